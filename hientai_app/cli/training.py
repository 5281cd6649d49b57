"""`hientai features`, `train` and `models`: build features, train, manage the registry."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from hientai.settings import SettingsError
from hientai.storage import SnapshotNotFound, SnapshotStore
from hientai_app.cli.common import (
    ConfigOption,
    EarlyPrefectServer,
    app,
    connect_tracking,
    err,
    fail,
    models_app,
    one_line_errors,
    out,
    progress_bar,
    settings_for,
)
from pipelines.frame_workers import FrameWorkerLost

# Errors `hientai train` reports in one line (the user's input or machine, not a bug).
TRAIN_ERRORS = (SnapshotNotFound, SettingsError, ValueError, FrameWorkerLost)


@app.command()
def features(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Date the features describe (YYYY-MM-DD; default today in Vietnam, capped at "
            "the day after the snapshot's last record, as a night is).",
        ),
    ] = None,
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="Snapshot id (default: latest).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Build the point-in-time feature table of a snapshot (runs the Prefect flow)."""
    import pandas as pd

    from features.inputs import AsOfError, check_as_of
    from pipelines.as_of import features_date, night_of, stale_note

    try:
        night = night_of(as_of)
        chosen = SnapshotStore(settings_for(config).snapshots_dir).open(snapshot)
        when = features_date(chosen, night)
        check_as_of(chosen.date_range, pd.Timestamp(when))  # before Prefect: fail plainly
    except (AsOfError, SnapshotNotFound, ValueError) as exc:
        raise fail(str(exc)) from None
    server = EarlyPrefectServer()  # starts while the flow's modules import
    from pipelines.build_features import build_features

    try:
        with (
            server.ready(),
            one_line_errors(AsOfError, SnapshotNotFound, SettingsError),
            progress_bar() as progress,
        ):
            progress.add_task("building features", total=None)
            result = build_features(chosen.id, night, str(config) if config else None)
    except (AsOfError, SnapshotNotFound, SettingsError) as exc:
        raise fail(str(exc)) from None
    if note := stale_note(chosen, night, result["as_of"]):
        err.print(f"[yellow]warning:[/] {note}", highlight=False, soft_wrap=True)
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        return
    out.print(
        f"[bold green]Feature table[/] {result['path']}\n"
        f"  snapshot {result['snapshot_id']}, as of {result['as_of']}, {result['rows']:,} rows, "
        f"{len(result['features'])} features (version {result['feature_set_version']})\n"
        f"  proxy audit: {result['path']}/proxy_audit.md; flagged at AUC >= "
        f"{result['proxy_threshold']}: {', '.join(result['proxy_flagged']) or 'none'}"
        + (
            f"\n  reused: built at {result['built_at']} from the same snapshot, date, code and "
            "settings (features.reuse: false in the settings rebuilds it)"
            if result.get("reused")
            else ""
        ),
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def train(
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="Snapshot id (default: latest).")
    ] = None,
    truth: Annotated[
        Path | None,
        typer.Option(help="Synthetic extracts only: truth/truth.parquet, to measure merit."),
    ] = None,
    search_trials: Annotated[
        int | None,
        typer.Option(help="Optuna trials before the final fit (default: training.search_trials)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Retrain, compare with baselines, register a challenger; promote it if the gate allows."""
    if truth is not None and not truth.exists():
        raise fail(f"{truth}: truth file not found")
    try:
        settings = settings_for(config)
        SnapshotStore(settings.snapshots_dir).open(snapshot)
        server = EarlyPrefectServer()  # starts while the flow's modules import
        from pipelines.train import train as train_flow

        with (
            server.ready(),
            one_line_errors(*TRAIN_ERRORS),
            progress_bar() as progress,
        ):
            progress.add_task("training", total=None)
            result = train_flow(
                snapshot,
                str(config) if config else None,
                str(truth) if truth else None,
                search_trials,
            )
    except TRAIN_ERRORS as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(
            json.dumps(
                {k: v for k, v in result.items() if k != "model_card"}, indent=2, default=str
            )
        )
        return
    held_out = (
        f"{settings.training.holdout_share:.0%} of people held out at "
        + ", ".join(result["as_of_dates"])
        if result.get("split") == "people"
        else f"held-out {result['as_of_dates'][-1]}"
    )
    table = RichTable(title=f"{held_out[0].upper()}{held_out[1:]}: model vs baselines")
    columns = {
        "roc_auc": "AUC",
        "ndcg_at_10": "NDCG@10",
        "precision_at_10": "P@10",
        "merit_precision_at_10": "merit@10",
        "min_impact_ratio": "min IR",
    }
    table.add_column("model")
    for label in columns.values():
        table.add_column(label, justify="right")
    for name, metrics in result["baselines"].items():
        table.add_row(
            name.replace("_", " "), *(f"{metrics.get(c, float('nan')):.3f}" for c in columns)
        )
    out.print(table)
    out.print(
        "merit@10: share of each cohort's top 10 who are truly high-potential (synthetic "
        "extracts, with --truth); min IR: lowest selection-rate impact ratio over every audited "
        "group, age bands included. The gate checks only the attributes of "
        f"training.gate.attributes ({', '.join(settings.training.gate.attributes)}): for this "
        f"model {result['metrics'].get('gate_min_impact_ratio', float('nan')):.3f}.",
        highlight=False,
        soft_wrap=True,
    )
    verdict = (
        "[bold green]promoted to champion[/]"
        if result["promoted"]
        else "[yellow]kept as challenger[/]"
    )
    out.print(f"Model version {result['version']}: {verdict}", highlight=False)
    for reason in result["reasons"]:
        out.print(f"  - {reason}", highlight=False, soft_wrap=True)


@models_app.command("list")
def models_list(config: ConfigOption = None) -> None:
    """Every registered version with its aliases, gate verdict and key metrics."""
    from hientai import tracking

    settings = settings_for(config)
    client = connect_tracking(settings)
    name = settings.training.model_name
    table = RichTable(title=f"Registered model {name}")
    for column in ("version", "aliases", "gate", "ndcg_at_10", "min impact ratio", "snapshot"):
        table.add_column(column)
    aliases = tracking.aliases(client, name)
    for version in tracking.versions(client, name):
        metrics = tracking.run_metrics(client, version) or {}
        run = client.get_run(version.run_id) if version.run_id else None
        tags = run.data.tags if run else {}
        table.add_row(
            str(version.version),
            ", ".join(a for a, v in aliases.items() if v == str(version.version)),
            tags.get("gate", ""),
            f"{metrics.get('ndcg_at_10', float('nan')):.3f}",
            f"{metrics.get('gate_min_impact_ratio', float('nan')):.3f}",
            tags.get("snapshot_id", ""),
        )
    out.print(table)


@models_app.command("promote")
def models_promote(
    version: Annotated[str, typer.Argument(help="Version to make champion.")],
    reason: Annotated[str, typer.Option(help="Why (kept in the registry).")],
    config: ConfigOption = None,
) -> None:
    """Make a version champion by hand; it must still pass every fairness threshold."""
    from hientai import tracking
    from models.gate import FairnessThresholds, decide

    settings = settings_for(config)
    client = connect_tracking(settings)
    name = settings.training.model_name
    chosen = client.get_model_version(name, version)
    metrics = tracking.run_metrics(client, chosen) or {}
    gate = settings.training.gate
    decision = decide(
        {**metrics, "min_impact_ratio": metrics.get("gate_min_impact_ratio", float("nan"))},
        None,
        primary_metric="ndcg_at_10",
        thresholds=FairnessThresholds(
            min_impact_ratio=gate.min_impact_ratio, max_brier=gate.max_brier
        ),
    )
    if not decision.promote:
        raise fail(
            f"version {version} fails the fairness thresholds: {'; '.join(decision.reasons)}"
        )
    tracking.set_alias(client, name, tracking.CHAMPION, version, f"manual: {reason}")
    client.set_model_version_tag(name, version, "was_champion", "true")
    out.print(f"Version {version} is now champion ({reason}).")


@models_app.command("rollback")
def models_rollback(
    reason: Annotated[str, typer.Option(help="Why (kept in the registry).")],
    config: ConfigOption = None,
) -> None:
    """Give the champion alias back to the previous champion."""
    from hientai import tracking

    settings = settings_for(config)
    client = connect_tracking(settings)
    name = settings.training.model_name
    current = tracking.alias_version(client, name, tracking.CHAMPION)
    if current is None:
        raise fail(f"model {name!r} has no champion to roll back")
    earlier = [
        v
        for v in tracking.versions(client, name)
        if int(v.version) < int(current.version) and v.tags.get("was_champion") == "true"
    ]
    if not earlier:
        raise fail(f"version {current.version} is the first champion; nothing to roll back to")
    previous = earlier[-1].version
    tracking.set_alias(client, name, tracking.CHAMPION, previous, f"rollback: {reason}")
    out.print(f"Champion rolled back from version {current.version} to {previous} ({reason}).")


@models_app.command("champion")
def models_champion(config: ConfigOption = None) -> None:
    """Print the champion's version; exit 1 if there is none yet (used by `make demo`)."""
    from hientai import tracking

    settings = settings_for(config)
    found = tracking.aliases(connect_tracking(settings), settings.training.model_name)
    if tracking.CHAMPION not in found:
        err.print(f"no champion for {settings.training.model_name!r} yet", highlight=False)
        raise typer.Exit(1)
    print(found[tracking.CHAMPION])
