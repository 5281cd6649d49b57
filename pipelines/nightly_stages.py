"""The nightly flow's stages as plain functions: read from the workdir, call pure code, write.

Each stage reads what earlier stages wrote into the run's work folder (Parquet and JSON) and
writes its own results there; the flow passes only ids and paths between them. Nothing is
visible to users before ``publish`` (pipelines/nightly_publish.py).
"""

from __future__ import annotations

import json
import pickle
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from features.build import KEY_COLUMNS
from hientai.featurestore import FeatureStore
from hientai.settings import Settings
from hientai.storage import Snapshot, SnapshotStore
from models.career_stage import career_stages, stage_relative
from models.early_warning import (
    RATING_YEARS,
    WarningThresholds,
    current_leaders,
    early_warnings,
    kpi_change,
    rating_count,
)
from models.eligibility import (
    Candidates,
    PoolSpec,
    ScopeIndex,
    aligned,
    build_candidates,
    failed_rules_of,
)
from models.local_explain import (
    development_suggestions,
    explain_rows,
    reference_positions,
)
from models.pools import (
    PoolOptions,
    check_unique,
    party_rules,
    pools_frame,
    position_pools,
    standing_pools,
)
from models.shortlist import (
    ShortlistOptions,
    ShortlistResult,
    audit_groups,
    group_context,
    rank_pools,
    run_audit,
)
from models.shortlist_fairness import AuditThresholds, per_shortlist_checks
from pipelines.champion import champion
from pipelines.results_db import FRAME_COLUMNS, ResultsDB

WARNING_FEATURES = [
    "rating_trend_3y",
    "rating_last",
    "vote_high_share_trend",
    "vote_low_share_last",
    "discipline_active",
]
KPI_YEARS = 4  # the early warnings compare last year's KPIs with the two before
# The pools whose fairness rows another pool holds (``ShortlistResult.holders``).
HOLDERS_FILE = "holders.parquet"


def feature_frame(path: str, columns: list[str] | None = None) -> pd.DataFrame:
    """The night's feature table (or some of its columns) from its folder."""
    return FeatureStore(Path(path).parent.parent).open(Path(path)).read(columns)


def saved_classifier(workdir: Path) -> Any:
    """The champion the night's score stage loaded, from the run's work folder."""
    return pickle.loads((workdir / "classifier.pkl").read_bytes())


def save_classifier(classifier: Any, workdir: Path) -> None:
    (workdir / "classifier.pkl").write_bytes(pickle.dumps(classifier))


def score(settings: Settings, features_path: str, workdir: Path) -> dict[str, Any]:
    """Calibrated score of everyone with the champion; the classifier is kept for later stages."""
    classifier, version = champion(settings)  # loaded ahead, if the night started that
    started = time.perf_counter()
    features = feature_frame(features_path, scoring_columns(classifier))
    read_seconds = time.perf_counter() - started
    scores, seconds = score_people(classifier, features)
    scores.to_parquet(workdir / "scores.parquet", index=False)
    save_classifier(classifier, workdir)
    return {
        **champion_of(settings, version),
        "people_scored": len(features),
        "external_by_profile": int(classifier.external_rows(features).sum()),
        "read_seconds": read_seconds,
        "scoring_seconds": seconds,
    }


def scoring_columns(classifier: Any) -> list[str]:
    """The feature table's columns scoring reads: the ids, the champion's features and, with
    an external candidates' profile model, its features and the population flag."""
    names = ["person_id", *classifier.feature_names_]
    external = getattr(classifier, "external_", None)
    if external is not None:
        names += [*external.feature_names_, "is_external"]
    return list(dict.fromkeys(names))


def champion_of(settings: Settings, version: Any) -> dict[str, str]:
    """The model a night's scores come from, as the manifest names it."""
    return {
        "model_name": settings.training.model_name,
        "model_version": str(version.version),
        "model_run_id": version.run_id,
    }


def score_people(classifier: Any, features: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Each row's calibrated and raw score, in the rows' order, and the seconds it took.
    Row by row: scoring a subset of the rows gives those rows the same scores."""
    started = time.perf_counter()
    raw = classifier.ranking_raw(features)  # external candidates: their profile, placed
    calibrated = classifier.calibrator_.predict(raw)
    seconds = time.perf_counter() - started
    scores = pd.DataFrame(
        {"person_id": features["person_id"].astype(str), "score": calibrated, "raw_score": raw}
    )
    return scores, seconds


def pool_options(settings: Settings) -> PoolOptions:
    cfg = settings.nightly
    return PoolOptions(
        k=cfg.k,
        young_max_age=cfg.young_max_age,
        include_filled_posts=cfg.include_filled_posts,
        rotation_titles=tuple(cfg.rotation_titles),
        rotation_levels=tuple(cfg.rotation_levels),
        no_active_discipline=cfg.no_active_discipline,
        planning_course_standards=cfg.planning_course_standards,
        planning_service_by=cfg.planning_service_by,
    )


def audit_thresholds(settings: Settings) -> AuditThresholds:
    audit = settings.nightly.audit
    return AuditThresholds(**audit.model_dump(exclude={"attributes", "intersections"}))


def night_pools(settings: Settings, snapshot_id: str) -> list[PoolSpec]:
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    options = pool_options(settings)
    pools = position_pools(
        snapshot.read("positions"), snapshot.read("organizations"), options=options
    )
    configured = [p.model_dump() for p in settings.nightly.standing_pools]
    pools += standing_pools(configured, options=options)
    check_unique(pools)
    return pools


def night_candidates(
    settings: Settings, snapshot_id: str, features_path: str
) -> tuple[Candidates, ScopeIndex, pd.DataFrame, np.ndarray]:
    """Candidates, scope index, protected attributes and names (row-aligned) of the night."""
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    columns = [*KEY_COLUMNS, "political_theory_level", "state_management_level", "tenure_years"]
    features = feature_frame(features_path, [*columns, "discipline_active"])
    people = snapshot.read("people", ["person_id", "full_name", "education_level", "languages"])
    protected = snapshot.read_protected(purpose="eligibility")
    candidates = build_candidates(features, people, protected)
    # Taken from the rows the candidates were found at: reindexing a million names by a
    # string index took 0.7 s of the national night.
    names = aligned(
        people[["person_id", "full_name"]], pd.Index(candidates.person_id), candidates.people_rows
    )["full_name"].to_numpy(dtype=object)
    return candidates, ScopeIndex(candidates, snapshot.read("organizations")), protected, names


def shortlists(
    settings: Settings, snapshot_id: str, features_path: str, workdir: Path
) -> dict[str, Any]:
    """Eligible pools, ranked and re-ranked shortlists, per-shortlist fairness; leavers' status."""
    candidates, index, protected, names = night_candidates(settings, snapshot_id, features_path)
    pools = night_pools(settings, snapshot_id)
    scores = pd.read_parquet(workdir / "scores.parquet")
    assert (scores["person_id"].to_numpy() == candidates.person_id).all(), "row order changed"
    result = _rank(settings, pools, candidates, index, protected, scores)
    entries = _entries(result, candidates, names, scores)
    entries.to_parquet(workdir / "entries.parquet", index=False)
    # Shares and selection rates per shortlist follow from the stored rows' counts
    # (models.shortlist_fairness.derived_rows): about three rows in eight, not stored (nor
    # kept: ``_rank`` drops them from each distinct pool's audit). Each distinct shortlist's
    # rows are written once, with the pools that share them (holders.parquet): a national
    # night's pools repeat them about eleven times.
    result.checks.to_parquet(workdir / "fairness_pools.parquet", index=False)
    result.check_counts.to_parquet(workdir / "counts.parquet", index=False)
    result.holders.to_parquet(workdir / HOLDERS_FILE, index=False)
    pools_frame(
        pools, result.n_eligible, result.n_qualified, empty_notes=result.empty_notes
    ).to_parquet(workdir / "pools.parquet", index=False)
    (workdir / "pools.json").write_text(json.dumps([p.to_dict() for p in pools]), encoding="utf-8")
    status = leaver_status(settings, previous_night(workdir), pools, candidates, index, scores)
    status.to_parquet(workdir / "status.parquet", index=False)
    return {
        "pools": len(pools),
        "eligible_pairs": int(result.n_eligible.sum()),
        "pools_nobody_eligible": len(result.empty_notes),
        "shortlisted": int(entries["in_shortlist"].sum()) if len(entries) else 0,
        "party_rules": party_rules(pools),
    }


def _rank(
    settings: Settings,
    pools: list[PoolSpec],
    candidates: Candidates,
    index: ScopeIndex,
    protected: pd.DataFrame,
    scores: pd.DataFrame,
) -> ShortlistResult:
    cfg = settings.nightly
    context = group_context(
        candidates,
        audit_groups(candidates, protected),
        attributes=list(cfg.audit.attributes),
        intersections=[tuple(x) for x in cfg.audit.intersections],
        rerank=tuple(cfg.rerank.attributes),
    )
    ranking_key = scores["raw_score"].to_numpy()
    options = ShortlistOptions(
        qualified_factor=cfg.qualified_factor,
        policy=cfg.rerank.policy,
        rerank_attributes=tuple(cfg.rerank.attributes),
        thresholds=audit_thresholds(settings),
        stage_scores=stage_relative(ranking_key, career_stages(candidates.tenure_years))
        if cfg.stage_relative_young_pools
        else None,
        fairness_rows=per_shortlist_checks,
    )
    return rank_pools(pools, candidates, index, ranking_key, context, options=options)


def _entries(
    result: ShortlistResult, candidates: Candidates, names: np.ndarray, scores: pd.DataFrame
) -> pd.DataFrame:
    """Entries with who they are and their calibrated score (rows -> person ids)."""
    rows = result.entries.pop("row").to_numpy() if len(result.entries) else np.empty(0, int)
    return result.entries.assign(
        person_id=candidates.person_id[rows],
        full_name=names[rows],
        population=candidates.population[rows],
        score=scores["score"].to_numpy()[rows],
        raw_score=scores["raw_score"].to_numpy()[rows],
    ).drop(columns="rank_score")


def find_previous_night(settings: Settings, night: str, workdir: Path) -> str | None:
    """The run id of the night tonight is compared with (None on a first night), looked up
    once and kept in the work folder (previous.json): the shortlists' leavers, the drift and
    the publish's diff all compare with the same night, even if another is published meanwhile."""
    db = ResultsDB(settings.app_db_url)
    db.create_schema()
    previous = db.previous_run(night)
    run_id = None if previous is None else str(previous["run_id"])
    (workdir / "previous.json").write_text(json.dumps({"run_id": run_id}), encoding="utf-8")
    return run_id


def previous_night(workdir: Path) -> str | None:
    """The run id ``find_previous_night`` kept in the work folder."""
    run_id = json.loads((workdir / "previous.json").read_text(encoding="utf-8"))["run_id"]
    return None if run_id is None else str(run_id)


def leaver_status(
    settings: Settings,
    previous: str | None,
    pools: list[PoolSpec],
    candidates: Candidates,
    index: ScopeIndex,
    scores: pd.DataFrame,
) -> pd.DataFrame:
    """Tonight's facts about everyone on the shortlists of the night ``previous`` (a run id)."""
    columns = ["pool_id", "person_id", "in_population", "pool_open", "failed_rules", "score"]
    if previous is None:
        return pd.DataFrame(columns=columns)
    before = ResultsDB(settings.app_db_url).read("entries", previous)
    before = before.loc[before["in_shortlist"].astype(bool)].reset_index(drop=True)
    by_id = {p.pool_id: p for p in pools}
    row_of = pd.Series(np.arange(candidates.n), index=candidates.person_id)
    rows = row_of.reindex(before["person_id"]).to_numpy()  # NaN: left the population
    known = ~np.isnan(rows)
    open_pool = before["pool_id"].isin(list(by_id)).to_numpy()
    failed: list[list[str]] = [[] for _ in range(len(before))]
    for pool_id, at in before.loc[known & open_pool].groupby("pool_id").indices.items():
        positions = np.flatnonzero(known & open_pool)[at]
        found = failed_rules_of(by_id[str(pool_id)], candidates, index, rows[positions])
        for position, rules in zip(positions, found, strict=True):
            failed[position] = rules
    out = before[["pool_id", "person_id"]].assign(
        in_population=known,
        pool_open=open_pool,
        failed_rules=failed,
        score=np.where(known, scores["score"].to_numpy()[np.nan_to_num(rows).astype(int)], np.nan),
    )
    return out[columns]


def _json_columns(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    return frame.assign(
        **{
            c: [json.dumps(v, ensure_ascii=False, default=float) for v in frame[c]]
            for c in columns
        }
    )


EXPLANATION_JSON = ["dimensions", "reasons_positive", "reasons_negative", "suggestions"]


def explain(settings: Settings, features_path: str, workdir: Path) -> dict[str, Any]:
    """Exact TreeSHAP explanation, reason codes and development suggestions of every
    shortlisted person (additivity asserted row by row)."""
    wanted = shortlisted_people(workdir)
    if len(wanted) == 0:  # no pool has anyone eligible: nothing to explain, nor to predict on
        return write_explanations(empty_explanations(), 0.0, workdir)
    classifier = saved_classifier(workdir)
    table = FeatureStore(Path(features_path).parent.parent).open(Path(features_path))
    chosen, reference = table.read_people(wanted, sample=reference_positions)
    chosen = chosen.assign(person_id=chosen["person_id"].astype(str)).set_index("person_id")
    out, shap_seconds = explain_people(classifier, chosen, reference)
    return write_explanations(out, shap_seconds, workdir)


def shortlisted_people(workdir: Path) -> np.ndarray:
    """The person ids on tonight's shortlists (each once)."""
    entries = pd.read_parquet(workdir / "entries.parquet", columns=["person_id", "in_shortlist"])
    return entries.loc[entries["in_shortlist"].astype(bool), "person_id"].unique()


def empty_explanations() -> pd.DataFrame:
    return pd.DataFrame(columns=list(FRAME_COLUMNS["explanations"]))


def explanation_models(classifier: Any, chosen: pd.DataFrame) -> list[tuple[Any, np.ndarray]]:
    """Which model explains which rows, in the order explanations are stored: internal cadres
    by the main trees; external candidates by the profile model that scored them
    (models.external_profile), so each explanation adds up to its own score."""
    external = classifier.external_rows(chosen)
    return [
        (model, rows)
        for model, rows in ((classifier, ~external), (classifier.external_, external))
        if model is not None and rows.any()
    ]


def explain_people(
    classifier: Any, chosen: pd.DataFrame, reference: pd.DataFrame
) -> tuple[pd.DataFrame, float]:
    """Explanations of ``chosen`` (indexed by person id) against the population ``reference``,
    ready to store, and the seconds TreeSHAP took. Row by row: explaining a subset of the
    people gives each of them the same explanation."""
    parts, shap_seconds = [], 0.0
    for model, rows in explanation_models(classifier, chosen):
        X = chosen.loc[rows, model.feature_names_]
        started = time.perf_counter()
        contributions = model.contributions(X)  # the floor: TreeSHAP of the recommended rows
        shap_seconds += time.perf_counter() - started
        explained = explain_rows(model, X, contributions=contributions)
        suggestions = development_suggestions(model, X, reference[model.feature_names_])
        parts.append(explained.assign(suggestions=suggestions))
    if not parts:
        return empty_explanations(), shap_seconds
    out = pd.concat(parts).rename_axis("person_id").reset_index()
    return _json_columns(out, [*EXPLANATION_JSON, "contributions"]), shap_seconds


def write_explanations(out: pd.DataFrame, shap_seconds: float, workdir: Path) -> dict[str, Any]:
    out.to_parquet(workdir / "explanations.parquet", index=False)
    return {
        "explanations": len(out),
        "treeshap_seconds": shap_seconds,
        "max_additivity_error": float(out["additivity_error"].max()) if len(out) else 0.0,
    }


def leader_warnings(
    settings: Settings,
    snapshot: Snapshot,
    features_path: str,
    when: pd.Timestamp,
    *,
    leaders_rows_only: bool = True,
) -> pd.DataFrame:
    """Early warnings of the leaders in post at ``when`` (models.early_warning).

    Only leaders can be warned, and a person's KPI change and rating count come from their own
    rows: reading the leaders' rows alone (``leaders_rows_only``) gives them the same figures,
    from about 5% of the rows on the national benchmark extract.
    """
    leaders = current_leaders(
        snapshot.read(
            "assignments", ["person_id", "title", "is_leadership", "start_date", "end_date"]
        ),
        when,
    )
    people = snapshot.read("people", ["person_id", "full_name"])
    leaders = leaders.merge(people.assign(person_id=people["person_id"].astype(str)), how="left")
    since = (when - pd.DateOffset(years=KPI_YEARS)).date()
    # pyarrow refuses an empty "in" list: with no leaders, everyone's rows are read.
    theirs = leaders["person_id"].tolist()
    of_theirs = [("person_id", "in", theirs)] if leaders_rows_only and theirs else []
    outputs = snapshot.read(
        "outputs",
        ["person_id", "period_end", "kind", "target", "achieved"],
        filters=[("kind", "=", "kpi"), ("period_end", ">=", since), *of_theirs],
    )
    evaluations = snapshot.read(
        "evaluations",
        ["person_id", "year", "rating"],
        filters=[("year", ">=", when.year - RATING_YEARS), *of_theirs],
    )
    return early_warnings(
        feature_frame(features_path, ["person_id", "org_id", "province", *WARNING_FEATURES]),
        kpi_change(outputs, when),
        rating_count(evaluations, when),
        leaders,
        thresholds=WarningThresholds(**settings.nightly.warnings.model_dump()),
    )


def early_warnings_stage(
    settings: Settings, snapshot_id: str, features_path: str, workdir: Path, *, as_of: str
) -> dict[str, Any]:
    """Early warnings of the leaders in post at ``as_of`` (features and snapshot only: no
    later stage's output), written to warnings.parquet."""
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    warnings = leader_warnings(settings, snapshot, features_path, pd.Timestamp(as_of))
    warnings.to_parquet(workdir / "warnings.parquet", index=False)
    return {"warnings": len(warnings)}


def audit(settings: Settings, workdir: Path) -> dict[str, Any]:
    """Whole-run fairness audit from the shortlists' counts. fairness.parquet holds the whole
    run's rows, then each distinct shortlist's once (holders.parquet: the pools sharing them);
    the counts returned are of every pool's rows."""
    checks = pd.read_parquet(workdir / "fairness_pools.parquet")
    counts = pd.read_parquet(workdir / "counts.parquet")
    holders = pd.read_parquet(workdir / HOLDERS_FILE)
    run = run_audit(checks, counts, thresholds=audit_thresholds(settings), holders=holders)
    fairness = pd.concat([run, checks], ignore_index=True)
    fairness.to_parquet(workdir / "fairness.parquet", index=False)
    repeats = holders["checks_pool_id"].value_counts()
    weight = checks["pool_id"].map(repeats).fillna(0).to_numpy()  # pools having each row
    verdict = checks["verdict"].to_numpy(dtype=object)
    return {
        "fairness_checks": len(run) + int(weight.sum()),
        "fairness_fail": int((run["verdict"] == "fail").sum() + weight[verdict == "fail"].sum()),
        "fairness_warn": int((run["verdict"] == "warn").sum() + weight[verdict == "warn"].sum()),
    }
