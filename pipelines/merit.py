"""Latent merit of a synthetic extract, for evaluation only.

The one place outside the generator that reads the generator's latent truth (allow-listed in
tests/model/test_truth_isolation.py). Training never sees it: it only marks which rows of a
held-out period belong to truly high-potential people, to measure whether the model finds
real merit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hientai.settings import Settings
from models.baselines import seniority_plus_rating
from models.eligibility import Candidates, PoolSpec, ScopeIndex, eligible_rows
from models.merit_audit import AUDITED, MeritReport, merit_report
from models.shortlist import audit_groups
from pipelines.nightly_publish import read_manifest
from pipelines.nightly_stages import feature_frame, night_candidates, night_pools
from pipelines.results_db import ResultsDB

# Truly high-potential: this top share of latent potential among the night's population.
HIGH_POTENTIAL_SHARE = 0.10


def latent_potential(truth_path: Path, person_ids: pd.Series) -> np.ndarray:
    """Each row's person's latent potential (NaN for people the truth does not know)."""
    truth = pd.read_parquet(truth_path, columns=["person_id", "potential"])
    potential = person_ids.astype(str).map(truth.set_index("person_id")["potential"])
    return potential.to_numpy(dtype="float64")


def night_merit(settings: Settings, truth_path: Path, night: str | None = None) -> MeritReport:
    """Merit measures of a published night (models.merit_audit) against the latent truth:
    truly high-potential = top 10% of latent potential among the night's population."""
    db = ResultsDB(settings.app_db_url)
    run = db.run(night)
    if run is None:
        raise ValueError(f"no night {night or ''} published in {settings.app_db_url}".strip())
    folder = Path(run["report_file"]).parent
    features_path = read_manifest(folder)["features_path"]
    candidates, index, protected, _ = night_candidates(settings, run["snapshot_id"], features_path)
    features = feature_frame(features_path, ["person_id", "rating_last", "tenure_years"])
    potential = latent_potential(truth_path, features["person_id"])
    high = potential >= np.nanquantile(potential, 1 - HIGH_POTENTIAL_SHARE)
    scores = pd.read_parquet(folder / "scores.parquet", columns=["person_id", "score"])
    people = pd.DataFrame(
        {
            "person_id": candidates.person_id.astype(str),
            "high": high,
            "potential": potential,
            "population": candidates.population.astype(str),
            "score": scores["score"].to_numpy(),
        }
    ).join(audit_groups(candidates, protected)[AUDITED])
    entries = db.read("entries", run["run_id"])
    listed = entries.loc[entries["in_shortlist"].astype(bool)]
    pools = night_pools(settings, run["snapshot_id"])
    young = {p.pool_id for p in pools if p.max_age is not None}
    places = pd.DataFrame(
        {
            "person_id": listed["person_id"].astype(str),
            "pool_id": listed["pool_id"],
            "young_pool": listed["pool_id"].isin(young),
        }
    )
    pool_rows, eligible = _pool_baselines(pools, candidates, index, listed, high, features)
    return merit_report(people.assign(eligible=eligible), places, pool_rows)


def _pool_baselines(
    pools: list[PoolSpec],
    candidates: Candidates,
    index: ScopeIndex,
    listed: pd.DataFrame,
    high: np.ndarray,
    features: pd.DataFrame,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per pool with places: the truly high-potential share of its eligible candidates (a random
    draw) and of the candidates "seniority + last rating" would list; and per candidate,
    whether any pool admits them."""
    seniority = seniority_plus_rating(features)
    places = listed.groupby("pool_id").size()
    rows = []
    admitted = np.zeros(candidates.n, dtype=bool)
    for pool in pools:
        n = int(places.get(pool.pool_id, 0))
        eligible = eligible_rows(pool, candidates, index)
        admitted[eligible] = True
        if n == 0 or len(eligible) == 0:
            continue
        by_hand = eligible[np.argsort(-seniority[eligible], kind="stable")[:n]]
        rows.append(
            {
                "pool_id": pool.pool_id,
                "places": n,
                "eligible_high": float(high[eligible].mean()),
                "seniority_high": float(high[by_hand].mean()),
            }
        )
    columns = ["pool_id", "places", "eligible_high", "seniority_high"]
    return pd.DataFrame(rows, columns=columns), admitted
