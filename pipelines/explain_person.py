"""Why a person is or is not on a shortlist, on demand, from a published night.

Reads the night's run folder (the classifier it scored with, its pools and scores) and the
application database (its shortlists); explains the person's score with exact TreeSHAP values
and reason codes, lists development suggestions, and for each pool asked about says whether
the person meets each of its rules, their rank and the shortlist's cut-off; for a pool nobody
is eligible for tonight, which rules exclude everyone.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq

from hientai.featurestore import FEATURES_FILE
from hientai.settings import Settings
from hientai.storage import SnapshotStore
from models.eligibility import PoolSpec, ScopeIndex, build_candidates, rule_checks
from models.local_explain import development_suggestions, explain_rows, reference_sample
from models.pools import NOBODY_ELIGIBLE_FOR, why_nobody_eligible
from pipelines.nightly_publish import read_manifest
from pipelines.nightly_stages import feature_frame, night_candidates
from pipelines.results_db import ResultsDB

NO_NIGHT = "no night {which}published in {url}; run `hientai nightly` first"
NOT_IN_POPULATION = "{person} is not in the population scored on {night} (snapshot {snapshot})"
OTHER_RUN = (
    "{folder} does not hold the run the database published for {night} (a publish was "
    "interrupted, or the data folder moved); run `hientai nightly --as-of {night}` again"
)
UNKNOWN_POOL = "pool {pool!r} is not among the {n} pools of {night}; see the report"


class ExplainError(LookupError):
    pass


def _pools(folder: Path) -> dict[str, PoolSpec]:
    raw = json.loads((folder / "pools.json").read_text(encoding="utf-8"))
    return {entry["pool_id"]: PoolSpec.from_dict(entry) for entry in raw}


def explain_person(
    settings: Settings, person_id: str, *, pool_id: str | None = None, night: str | None = None
) -> dict[str, Any]:
    settings.require_data_dir()
    db = ResultsDB(settings.app_db_url)
    db.create_schema()
    run = db.run(night)
    if run is None:
        which = f"{night} " if night else ""
        raise ExplainError(NO_NIGHT.format(which=which, url=settings.app_db_url))
    folder = settings.runs_dir / run["night"]
    manifest = read_manifest(folder) if (folder / "manifest.json").exists() else {}
    if manifest.get("run_id") != run["run_id"]:
        raise ExplainError(OTHER_RUN.format(folder=folder, night=run["night"]))
    table = pq.read_table(
        Path(manifest["features_path"]) / FEATURES_FILE, filters=[("person_id", "=", person_id)]
    ).to_pandas()
    if table.empty:
        raise ExplainError(
            NOT_IN_POPULATION.format(
                person=person_id, night=run["night"], snapshot=run["snapshot_id"]
            )
        )
    classifier = pickle.loads((folder / "classifier.pkl").read_bytes())
    X = table.assign(person_id=table["person_id"].astype(str)).set_index("person_id")
    if classifier.external_rows(X).any():  # scored by the profile model: explained by it
        classifier = classifier.external_
    X = X[classifier.feature_names_]
    explained = explain_rows(classifier, X).iloc[0]
    population = feature_frame(manifest["features_path"], classifier.feature_names_)
    suggestions = development_suggestions(classifier, X, reference_sample(population))
    entries = db.read("entries", run["run_id"], person_id=person_id)
    return {
        "night": run["night"],
        "person_id": person_id,
        "model_version": run["model_version"],
        "score": float(explained["score"]),
        "explanation": explained.to_dict(),
        "suggestions": suggestions.iloc[0],
        "shortlists": entries.loc[entries["in_shortlist"].astype(bool)].to_dict("records"),
        "pool": (
            _pool_status(settings, db, run, folder, table, pool_id, manifest["features_path"])
            if pool_id
            else None
        ),
    }


def _pool_status(
    settings: Settings,
    db: ResultsDB,
    run: dict[str, Any],
    folder: Path,
    row: pd.DataFrame,
    pool_id: str,
    features_path: str,
) -> dict[str, Any]:
    """The person's standing in one pool: every rule met or not, rank and cut-off; for a pool
    with nobody eligible, a note naming the rules that exclude everyone."""
    pools = _pools(folder)
    if pool_id not in pools:
        raise ExplainError(UNKNOWN_POOL.format(pool=pool_id, n=len(pools), night=run["night"]))
    pool = pools[pool_id]
    snapshot = SnapshotStore(settings.snapshots_dir).open(run["snapshot_id"])
    people = snapshot.read("people", ["person_id", "full_name", "education_level", "languages"])
    protected = snapshot.read_protected(purpose="eligibility")
    person = str(row["person_id"].iloc[0])
    candidates = build_candidates(
        row,
        people.loc[people["person_id"].astype(str) == person],
        protected.loc[protected["person_id"].astype(str) == person],
    )
    index = ScopeIndex(candidates, snapshot.read("organizations"))
    checks = rule_checks(pool, candidates, index, 0)
    published = db.read("pools", run["run_id"], pool_id=pool_id)
    n_eligible = int(published["n_eligible"].iloc[0]) if len(published) else None
    entries = db.read("entries", run["run_id"], pool_id=pool_id)
    listed = entries.loc[entries["in_shortlist"].astype(bool)]
    mine = entries.loc[entries["person_id"] == person]
    return {
        "pool_id": pool_id,
        "title": pool.title,
        "n_eligible": n_eligible,
        "note": _nobody_note(settings, run, pool, features_path) if n_eligible == 0 else None,
        "eligible": all(met for _, met in checks),
        "rules": [{"rule": name, "met": met} for name, met in checks],
        "failed_rules": [name for name, met in checks if not met],
        "on_shortlist": bool(len(mine) and mine["in_shortlist"].iloc[0]),
        "rank": None if mine.empty or pd.isna(mine["rank"].iloc[0]) else int(mine["rank"].iloc[0]),
        "rank_model": None if mine.empty else int(mine["rank_model"].iloc[0]),
        "cutoff_score": float(listed["score"].min()) if len(listed) else None,
        "k": pool.k,
    }


def _nobody_note(
    settings: Settings, run: dict[str, Any], pool: PoolSpec, features_path: str
) -> str:
    """Why nobody is eligible for the pool, from the night's whole population."""
    candidates, index, _, _ = night_candidates(settings, run["snapshot_id"], features_path)
    why = why_nobody_eligible(pool, candidates, index)
    return NOBODY_ELIGIBLE_FOR.format(pool=pool.pool_id, why=why)
