"""Prefect flow: retrain the high-potential models, evaluate, track, register, gate.

Two coarse stages: build the stacked training frame of a snapshot (written to Parquet), then
train, evaluate against the baselines, write the model card and reports, log everything to
MLflow, register the model as ``challenger`` and promote it to ``champion`` only if the gate
allows.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from features.build import build_features
from features.catalog import FULL_CATALOG
from features.labels import LabelDefinition, stack_dates, training_dates
from features.per_date import PerDate, Tables
from features.proxy import flagged_features, protected_groups, proxy_audit
from features.results_label import ResultsDefinition
from hientai import tracking
from hientai.settings import Settings, load_settings
from hientai.storage import SnapshotStore
from models.card import model_card
from models.drift import drift_profile
from models.experiment import ExperimentConfig, ExperimentResult, run_experiment
from models.explain import mean_abs_contribution
from models.fairness import lowest_impact_detail, lowest_merit_ratios
from models.gate import FairnessThresholds, decide
from models.search import search_params
from models.training_plan import Split, TrainingPlan, plan_training
from pipelines import run_log
from pipelines.frame_workers import frame_workers
from pipelines.merit import latent_potential


def label_definition(settings: Settings) -> LabelDefinition | ResultsDefinition:
    labels = settings.features.labels
    if labels.family == "results":
        return ResultsDefinition(
            horizon_years=labels.horizon_years,
            top_share=labels.top_share,
            min_evidence=labels.min_evidence,
        )
    return LabelDefinition(
        horizon_years=labels.horizon_years,
        leadership_only=labels.leadership_only,
        min_rating_after=labels.min_rating_after,
        no_discipline_after=labels.no_discipline_after,
    )


def training_plan(
    tables: Tables | PerDate,
    date_range: tuple[pd.Timestamp, pd.Timestamp],
    settings: Settings,
) -> TrainingPlan:
    """The as_of dates and the split of a training run (models.training_plan)."""
    cfg = settings.training
    return plan_training(
        tables,
        date_range,
        label_definition(settings),
        month_day=cfg.as_of_month_day,
        history_years=cfg.history_years,
        max_dates=cfg.max_as_of_dates,
        n_valid_dates=cfg.n_valid_dates,
        split=cfg.split,
    )


@dataclass(frozen=True)
class TrainingInputs:
    snapshot_id: str
    dates: list[pd.Timestamp]
    frame: pd.DataFrame  # stacked feature rows with labels
    split: Split  # how the experiment validates (time, or held-out people of one date)
    groups: pd.DataFrame  # protected groups, row-aligned with frame (fairness use only)
    audit: pd.DataFrame  # proxy audit of the frame
    workers: int = 1  # processes that labelled and built the dates (training.frame_workers)

    @property
    def flagged(self) -> list[str]:
        return flagged_features(self.audit)


def prepare_training(settings: Settings, snapshot_id: str | None) -> TrainingInputs:
    """Training frame of a snapshot, its protected groups and its proxy audit. The dates are
    labelled and built on ``training.frame_workers`` processes (pipelines.frame_workers)."""
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    if snapshot.date_range is None:
        raise ValueError(f"snapshot {snapshot.id} has no dated records: nothing to train on")
    workers = frame_workers(settings.snapshots_dir, snapshot, settings.training.frame_workers)
    with workers:
        plan = training_plan(workers, snapshot.date_range, settings)
        dates = plan.dates
        parts = training_dates(
            workers, dates, label_definition(settings), build=build_features, labels_of=plan.labels
        )
    # Stacked once the workers and their tables are gone: the stacking copies every date.
    frame = stack_dates(parts)
    del parts
    groups = protected_groups(frame, snapshot.read_protected(purpose="fairness_audit"))
    audit = proxy_audit(
        frame, groups, [f.name for f in FULL_CATALOG], threshold=settings.features.proxy.threshold
    )
    return TrainingInputs(snapshot.id, dates, frame, plan.split, groups, audit, workers.workers)


@task(name="training-frame", cache_policy=NONE)
def frame_stage(snapshot_id: str | None, config: str | None, workdir: str) -> dict[str, Any]:
    settings = load_settings(Path(config) if config else None)
    inputs = prepare_training(settings, snapshot_id)
    snapshot_id, dates, frame = inputs.snapshot_id, inputs.dates, inputs.frame
    groups, audit = inputs.groups, inputs.audit
    folder = Path(workdir)
    frame.to_parquet(folder / "frame.parquet", index=False)
    groups.to_parquet(folder / "groups.parquet", index=False)
    audit.to_csv(folder / "proxy_audit.csv", index=False)
    get_run_logger().info(
        "training frame: %d dates, %d rows, labelled and built on %d process(es)",
        len(dates),
        len(frame),
        inputs.workers,
    )
    return {
        "snapshot_id": snapshot_id,
        "as_of_dates": [f"{d:%Y-%m-%d}" for d in dates],
        "split": inputs.split,
        "rows": len(frame),
        "positives": int(frame["label"].sum()),
        "flagged": flagged_features(audit),
        "frame_workers": inputs.workers,
    }


def _gate_metrics(result: ExperimentResult, settings: Settings) -> dict[str, float]:
    metrics = dict(result.model.metrics)
    impact = result.model.impact
    gated = impact.loc[impact["attribute"].isin(settings.training.gate.attributes)].dropna(
        subset=["impact_ratio"]
    )
    metrics["gate_min_impact_ratio"] = (
        float(gated["impact_ratio"].min()) if len(gated) else float("nan")
    )
    if result.model.merit is not None:  # a truth file: reported with the gate, not gated on
        metrics |= lowest_merit_ratios(result.model.merit, settings.training.gate.attributes)
    return metrics


def _merit_note(metrics: dict[str, float]) -> list[str]:
    """With a truth file, the merit ratios beside the gate's reasons (reported, not gated on:
    a real extract has no truth)."""
    if "merit_precision_ratio_min" not in metrics:
        return []
    return [
        "with the truth file (reported, not gated): lowest precision ratio "
        f"{metrics['merit_precision_ratio_min']:.2f} and opportunity ratio "
        f"{metrics['merit_opportunity_ratio_min']:.2f} across the gated attributes' groups "
        "(merit_by_group.csv)"
    ]


def _write_reports(result: ExperimentResult, folder: Path, frame_info: dict[str, Any]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    metrics = pd.DataFrame([{"model": n, **s.metrics} for n, s in result.scored.items()])
    metrics.to_csv(folder / "metrics_by_model.csv", index=False)
    result.model.groups.to_csv(folder / "fairness_groups.csv", index=False)
    result.model.impact.to_csv(folder / "fairness_impact_ratios.csv", index=False)
    if result.model.merit is not None:
        result.model.merit.to_csv(folder / "merit_by_group.csv", index=False)
    if result.model.calibration is not None:
        result.model.calibration.to_csv(folder / "calibration.csv", index=False)
    pd.DataFrame([asdict(f) for f in FULL_CATALOG]).to_csv(
        folder / "feature_catalog.csv", index=False
    )
    (folder / "features.json").write_text(json.dumps(result.features), encoding="utf-8")
    (folder / "training_frame.json").write_text(
        json.dumps(frame_info, default=str), encoding="utf-8"
    )


def _shap_summary(result: ExperimentResult, frame: pd.DataFrame, folder: Path) -> None:
    valid = frame.loc[frame["as_of"].isin(result.valid_dates)]
    sample = valid.sample(n=min(len(valid), 5000), random_state=result.config.seed)
    contributions = result.classifier.contributions(sample)
    summary = mean_abs_contribution(contributions, result.features)
    summary.to_csv(folder / "shap_summary.csv", index=False)
    top = summary.head(20).iloc[::-1]
    fig = Figure(figsize=(8, 6))  # no pyplot: no global state, no display backend
    ax = fig.subplots()
    ax.barh(top["feature"], top["mean_abs_shap"], color="#3b6ea8")
    ax.set_xlabel("mean |SHAP| (raw score)")
    ax.set_title("Global SHAP summary: top 20 features")
    fig.tight_layout()
    fig.savefig(folder / "shap_summary.png", dpi=120)


def attach_drift_reference(classifier: Any, frame: pd.DataFrame) -> None:
    """The night's drift reference (models.drift), pickled with the model as
    ``drift_reference_``: the features and scores of the latest training date's rows, the
    people as the model last saw them and closest to what a night scores (earlier dates repeat
    the same people younger)."""
    latest = frame.loc[frame["as_of"] == frame["as_of"].max()]
    rows = latest.assign(score=classifier.predict_proba(latest))
    profile = drift_profile(rows, [*classifier.feature_names_, "score"])
    as_of = pd.Timestamp(latest["as_of"].max()).date().isoformat()
    classifier.drift_reference_ = {"as_of": as_of, **profile.to_dict()}


@task(name="train-evaluate-register", cache_policy=NONE)
def train_stage(
    frame_info: dict[str, Any],
    config: str | None,
    workdir: str,
    truth: str | None,
    search_trials: int | None = None,
) -> dict[str, Any]:
    settings = load_settings(Path(config) if config else None)
    cfg = settings.training
    trials = cfg.search_trials if search_trials is None else search_trials
    folder = Path(workdir)
    frame = pd.read_parquet(folder / "frame.parquet")
    groups = pd.read_parquet(folder / "groups.parquet")
    merit = latent_potential(Path(truth), frame["person_id"]) if truth else None
    experiment = ExperimentConfig(
        k=cfg.k,
        n_valid_dates=cfg.n_valid_dates,
        reweigh=cfg.reweigh,
        exclude_proxies=settings.features.proxy.exclude_flagged,
        params=dict(cfg.params),
        seed=cfg.seed,
        split=frame_info["split"],
        holdout_share=cfg.holdout_share,
        fairness_share=cfg.gate.selection_share,
        compare_ranker=cfg.compare_ranker,
    )
    searched = None
    if trials > 0:
        best, searched = search_params(
            frame,
            groups,
            config=experiment,
            flagged_proxies=frame_info["flagged"],
            trials=trials,
            timeout_s=cfg.search_timeout_s,
        )
        experiment = replace(experiment, params=best)
    result = run_experiment(
        frame, groups, config=experiment, flagged_proxies=frame_info["flagged"], potential=merit
    )
    attach_drift_reference(result.classifier, frame)
    metrics = _gate_metrics(result, settings)
    client = tracking.connect(settings)
    champion = tracking.alias_version(client, cfg.model_name, tracking.CHAMPION)
    champion_metrics = tracking.run_metrics(client, champion)
    if champion_metrics is not None:
        champion_metrics = {
            **champion_metrics,
            "min_impact_ratio": champion_metrics.get("gate_min_impact_ratio", float("nan")),
        }
    gate = decide(
        {**metrics, "min_impact_ratio": metrics["gate_min_impact_ratio"]},
        champion_metrics,
        primary_metric=experiment.primary_metric,
        thresholds=FairnessThresholds(
            min_impact_ratio=cfg.gate.min_impact_ratio, max_brier=cfg.gate.max_brier
        ),
        min_improvement=cfg.gate.min_improvement,
        impact_detail=lowest_impact_detail(
            result.model.impact, result.model.groups, cfg.gate.attributes
        ),
    )
    reports = folder / "report"
    _write_reports(result, reports, frame_info)
    if searched is not None:
        searched.to_csv(reports / "search_trials.csv", index=False)
    _shap_summary(result, frame, reports)
    card = model_card(
        result,
        model_name=cfg.model_name,
        snapshot_id=frame_info["snapshot_id"],
        label_definition=str(label_definition(settings)),
        flagged_proxies=frame_info["flagged"],
        gate_reasons=gate.reasons + _merit_note(metrics),
    )
    (reports / "model_card.md").write_text(card, encoding="utf-8")
    registered = tracking.log_and_register(
        settings,
        classifier=result.classifier,
        params={**asdict(experiment), "features": len(result.features), **frame_info},
        metrics={
            f"{name}.{k}": v for name, s in result.scored.items() for k, v in s.metrics.items()
        }
        | metrics,
        tags={
            "snapshot_id": frame_info["snapshot_id"],
            "config_hash": run_log.config_hash(settings),
            "git_commit": run_log.git_commit(),
            "gate": "promote" if gate.promote else "refuse",
        },
        artifacts=reports,
    )
    reason = "; ".join(gate.reasons)
    tracking.set_alias(client, cfg.model_name, tracking.CHALLENGER, registered.version, reason)
    if gate.promote:
        tracking.set_alias(client, cfg.model_name, tracking.CHAMPION, registered.version, reason)
        client.set_model_version_tag(cfg.model_name, registered.version, "was_champion", "true")
    get_run_logger().info("model version %s: %s", registered.version, reason)
    return {
        "run_id": registered.run_id,
        "version": registered.version,
        "promoted": gate.promote,
        "reasons": gate.reasons,
        "merit_note": _merit_note(metrics),
        "metrics": {k: v for k, v in metrics.items() if isinstance(v, float)},
        "baselines": {n: s.metrics for n, s in result.scored.items()},
        "model_card": card,
    }


@flow(name="train", **run_log.HOOKS)
def train(
    snapshot_id: str | None = None,
    config: str | None = None,
    truth: str | None = None,
    search_trials: int | None = None,
) -> dict[str, Any]:
    """Retrain on ``snapshot_id`` (latest if None); ``truth`` (synthetic only) adds merit;
    ``search_trials`` overrides ``training.search_trials`` (Optuna, 0 = off)."""
    settings = load_settings(Path(config) if config else None)
    SnapshotStore(settings.snapshots_dir).open(snapshot_id)  # no snapshot: fail plainly
    attempt = run_log.begin(settings, "train")
    with tempfile.TemporaryDirectory(prefix="hientai-train-") as workdir:
        frame_info = frame_stage(snapshot_id, config, workdir)
        result = train_stage(frame_info, config, workdir, truth, search_trials)
    verdict = "promoted to champion" if result["promoted"] else "kept as challenger"
    run_log.end(
        settings,
        attempt,
        "completed",
        reason=f"version {result['version']} {verdict}: {'; '.join(result['reasons'])}",
        snapshot_id=frame_info["snapshot_id"],
        model_version=str(result["version"]),
    )
    return {**frame_info, **result, "trained_at": dt.datetime.now(dt.UTC).isoformat()}
