"""Dimensions 6 and 7: training and development, and standardised assessments."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.inputs import (
    PointInTime,
    category_values,
    dates,
    group_count,
    group_mean,
    group_sum,
    is_in,
    years_before,
)
from hientai.contract.vocab import (
    CEFR_LEVELS,
    IT_LEVELS,
    POLITICAL_THEORY_LEVELS,
    STATE_MANAGEMENT_LEVELS,
)

NOT_COMPLETED = ("fail", "in_progress")


def _rank(levels: tuple[str, ...]) -> dict[str, float]:
    return {level: float(i + 1) for i, level in enumerate(levels)}


def _max_level(
    trainings: pd.DataFrame, category: str, ranks: dict[str, float], n: int
) -> np.ndarray:
    """Highest completed level per person; 0 where the person has none in this category."""
    rows = np.flatnonzero(
        is_in(trainings["category"], [category]) & ~is_in(trainings["result"], NOT_COMPLETED)
    )
    level = category_values(trainings["level"].iloc[rows], ranks, default=0.0)
    best = np.zeros(n)
    np.maximum.at(best, trainings["pid"].to_numpy()[rows], level)
    return best


def spoken_language_levels(languages: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(number of languages, highest CEFR rank) from 'en:B2;fr' strings; a bare code counts 1.

    Each distinct string is parsed once: CVs repeat a few combinations many times.
    """
    codes, distinct = pd.factorize(languages, use_na_sentinel=True)
    cefr = _rank(CEFR_LEVELS)
    tokens = [[t for t in str(s).split(";") if t] for s in distinct]
    count = np.array([len(t) for t in tokens] + [0], dtype="float64")
    best = np.array(
        [
            max((cefr.get(t.split(":")[1], 1.0) if ":" in t else 1.0 for t in each), default=0.0)
            for each in tokens
        ]
        + [0.0],
        dtype="float64",
    )
    return count[codes], best[codes]  # code -1 (missing) takes the last entry: none


def development_features(pit: PointInTime) -> dict[str, np.ndarray]:
    trainings = pit.table("trainings")
    n = pit.n
    pid = trainings["pid"].to_numpy()
    end = dates(trainings["end_date"])
    when = np.where(np.isnat(end), dates(trainings["start_date"]), end)
    recent = when >= np.datetime64(years_before(pit.as_of, 5))
    sessions = trainings["sessions"].to_numpy(dtype="float64", na_value=1.0)
    completed_leadership = is_in(trainings["category"], ["leadership_programme"]) & ~is_in(
        trainings["result"], NOT_COMPLETED
    )
    _, spoken_best = spoken_language_levels(pit.people["languages"])
    has_any = group_count(pid, n) > 0
    out = {
        "political_theory_level": _max_level(
            trainings, "political_theory", _rank(POLITICAL_THEORY_LEVELS), n
        ),
        "state_management_level": _max_level(
            trainings, "state_management", _rank(STATE_MANAGEMENT_LEVELS), n
        ),
        "foreign_language_level": np.maximum(
            _max_level(trainings, "foreign_language", _rank(CEFR_LEVELS), n), spoken_best
        ),
        "it_level": _max_level(trainings, "it", _rank(IT_LEVELS), n),
        "leadership_programmes": group_count(pid[completed_leadership], n),
        "training_courses_5y": group_sum(pid[recent], sessions[recent], n),
        "training_score_mean": group_mean(
            pid, trainings["score"].to_numpy("float64", na_value=np.nan), n
        ),
        "training_fail_count": group_count(pid[is_in(trainings["result"], ["fail"])], n),
    }
    if "trainings" not in pit.present:
        # Without a trainings table only the CV's languages are known; a blank CV is unknown.
        spoken = pit.people["languages"].notna().to_numpy()
        for name in out:
            known = has_any | spoken if name == "foreign_language_level" else has_any
            out[name] = np.where(known, out[name], np.nan)
    return out


def assessment_features(pit: PointInTime) -> dict[str, np.ndarray]:
    assessments = pit.table("assessments")
    n = pit.n
    pid = assessments["pid"].to_numpy()
    score = assessments["score"].to_numpy(dtype="float64", na_value=np.nan)
    best = np.full(n, -np.inf)
    np.maximum.at(best, pid, np.nan_to_num(score, nan=-np.inf))
    count = group_count(pid, n)
    return {
        "assessment_score_mean": group_mean(pid, score, n),
        "assessment_score_max": np.where(np.isfinite(best), best, np.nan),
        "assessment_count": np.where(count > 0, count, np.nan),
    }
