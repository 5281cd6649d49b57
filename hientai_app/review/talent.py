"""The 9-box grid (performance x potential), from what the night published. Presentation bins
only; no score is computed here. (Bench strength is in ``readiness``.)

Performance is the latest annual rating before the night (not completed / completed: low,
good: medium, excellent: high). Potential is the night's calibrated score, cut at the tertiles
of everyone scored that night, so a cell means the same thing in every organisation."""

from __future__ import annotations

import numpy as np
import pandas as pd

PERFORMANCE_BY_RATING = {"not_completed": 0, "completed": 0, "good": 1, "excellent": 2}
LEVELS = (0, 1, 2)  # low, medium, high


def latest_ratings(evaluations: pd.DataFrame, *, before_year: int) -> pd.Series:
    """person_id -> the rating of the latest rated year before ``before_year``."""
    rated = evaluations.loc[
        evaluations["rating"].notna() & (evaluations["year"].astype(int) < before_year)
    ]
    latest = rated.sort_values("year").drop_duplicates("person_id", keep="last")
    return latest.set_index(latest["person_id"].astype(str))["rating"].astype(str)


def workforce(people: pd.DataFrame, ratings: pd.Series, scores: pd.DataFrame) -> pd.DataFrame:
    """One row per scored internal person with a unit: org, score, performance and potential
    levels (performance -1 when never rated)."""
    staff = people.loc[
        people["current_org_id"].notna(), ["person_id", "full_name", "current_org_id"]
    ]
    staff = staff.assign(person_id=staff["person_id"].astype(str))
    scored = scores.assign(person_id=scores["person_id"].astype(str))[["person_id", "score"]]
    frame = staff.merge(scored, on="person_id", how="inner")
    cuts = (
        np.quantile(scores["score"].to_numpy(dtype=float), [1 / 3, 2 / 3])
        if len(scores)
        else [0, 0]
    )
    rating = frame["person_id"].map(ratings)
    return pd.DataFrame(
        {
            "person_id": frame["person_id"],
            "full_name": frame["full_name"],
            "org_id": frame["current_org_id"].astype(str).astype("category"),
            "score": frame["score"].astype(float),
            "rating": rating,
            "performance": rating.map(PERFORMANCE_BY_RATING).fillna(-1).astype(int),
            "potential": np.searchsorted(cuts, frame["score"].to_numpy(dtype=float), side="right"),
        }
    )


def ninebox(frame: pd.DataFrame) -> dict[tuple[int, int], int]:
    """(performance, potential) -> head count, every cell present."""
    performance = frame["performance"].to_numpy()
    rated = performance >= 0
    cells = performance[rated] * 3 + frame["potential"].to_numpy()[rated]
    counts = np.bincount(cells.astype(int), minlength=9)
    return {(p, q): int(counts[p * 3 + q]) for p in LEVELS for q in LEVELS}
