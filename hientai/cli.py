"""The `hientai` command. It parses options, calls the package, and prints; no logic of its own."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from hientai.ingest import IngestError, IngestReport, load_mapping, run_batch
from hientai.settings import Settings, SettingsError, load_settings
from hientai.storage import SnapshotNotFound, SnapshotStore

app = typer.Typer(
    help="hientai: talent discovery for public-sector HR. Decision support, never a decision.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
contract_app = typer.Typer(help="The HR extract data contract.", no_args_is_help=True)
snapshots_app = typer.Typer(help="Published snapshots.", no_args_is_help=True)
catalog_app = typer.Typer(help="The feature catalog.", no_args_is_help=True)
models_app = typer.Typer(help="The model registry (champion / challenger).", no_args_is_help=True)
app.add_typer(contract_app, name="contract")
app.add_typer(snapshots_app, name="snapshots")
app.add_typer(catalog_app, name="catalog")
app.add_typer(models_app, name="models")

out = Console()
err = Console(stderr=True)
ExtractFormat = Literal["parquet", "csv"]
ConfigOption = Annotated[
    Path | None, typer.Option("--config", help="Settings file (default conf/hientai.yaml).")
]


# Prefect's temporary local API gives up after 20 s by default; its first start migrates its
# database, which on a busy 2-core machine takes longer (measured: `make demo` failed 2 of 2).
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
}


def prepare_prefect_environment() -> None:
    """Environment defaults for the Prefect flows a command runs (the user's values win);
    called before Prefect is imported, since Prefect reads its settings at import."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
    if os.environ.get("PREFECT_HOME"):
        Path(os.environ["PREFECT_HOME"]).expanduser().mkdir(parents=True, exist_ok=True)


def main() -> None:
    """The console script: project errors end in one line and exit 2; bugs keep their
    traceback."""
    prepare_prefect_environment()
    try:
        app()
    except (SettingsError, SnapshotNotFound) as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


def _fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def _progress() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    )


@app.command()
def generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the extract to.")],
    people: Annotated[int | None, typer.Option(help="Internal cadres and civil servants.")] = None,
    external: Annotated[int | None, typer.Option(help="External talent candidates.")] = None,
    years: Annotated[int | None, typer.Option(help="Years of history.")] = None,
    seed: Annotated[
        int | None, typer.Option(help="Random seed (same seed, same extract).")
    ] = None,
    fmt: Annotated[ExtractFormat, typer.Option("--format", help="parquet or csv.")] = "parquet",
    synth_config: Annotated[
        Path | None, typer.Option("--synth-config", help="Generator settings and biases.")
    ] = None,
    overwrite: Annotated[bool, typer.Option(help="Replace an existing extract folder.")] = False,
) -> None:
    """Generate a synthetic national extract with a separate latent-truth output."""
    from hientai.synth import generate_extract, load_synth_config, write_extract

    try:
        config = load_synth_config(synth_config)
    except (ValueError, OSError) as exc:
        raise _fail(str(exc)) from None
    updates = {"n_people": people, "n_external": external, "years": years, "seed": seed}
    config = config.model_copy(update={k: v for k, v in updates.items() if v is not None})
    with _progress() as progress:
        task = progress.add_task("generating", total=None)
        extract = generate_extract(
            config, progress=lambda step: progress.update(task, description=step, advance=1)
        )
        progress.update(task, description="writing")
        try:
            write_extract(extract, out_dir, fmt=fmt, overwrite=overwrite)
        except ValueError as exc:
            raise _fail(str(exc)) from None
    summary = RichTable(
        title=f"Synthetic extract written to {out_dir}",
        caption="Latent potential is kept apart for evaluation; ingestion never reads it.",
    )
    summary.add_column("table")
    summary.add_column("rows", justify="right")
    for name, frame in extract.tables.items():
        summary.add_row(name, f"{len(frame):,}")
    out.print(summary)


@app.command()
def ingest(
    source: Annotated[
        Path, typer.Argument(help="Extract folder, or a CSV / Parquet / Excel file.")
    ],
    mapping: Annotated[
        Path | None, typer.Option(help="Mapping file (conf/mappings/NAME.yaml).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Validate an extract and publish it as an immutable snapshot (or refuse, saying why)."""
    try:
        settings = load_settings(config)
        chosen = load_mapping(mapping) if mapping else None
        with _progress() as progress:
            task = progress.add_task("validating", total=None)
            report = run_batch(
                source,
                mapping=chosen,
                settings=settings,
                progress=lambda t: progress.update(task, description=f"validating {t}", advance=1),
            )
    except (IngestError, SettingsError) as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        raise _fail(str(exc)) from None
    if as_json:
        print(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        _print_report(report)
    if not report.ok:
        raise typer.Exit(1)


def _print_report(report: IngestReport) -> None:
    table = RichTable(title=f"Ingestion batch {report.batch_id}")
    for name in ("table", "input rows", "accepted", "quarantined", "rate", "limit", ""):
        table.add_column(name, justify="left" if name in ("table", "") else "right")
    for t in report.tables:
        flag = "[red]over limit[/]" if t.over_limit else "[green]ok[/]"
        table.add_row(
            t.name,
            f"{t.input_rows:,}",
            f"{t.accepted:,}",
            f"{t.quarantined:,}",
            f"{t.rejection_rate:.2%}",
            f"{t.max_rejection_rate:.0%}",
            flag,
        )
    out.print(table)
    for t in report.tables:
        for reason in t.top_reasons[:3]:
            out.print(
                f"  {t.name}.{reason.column} [{reason.rule}] x{reason.count:,}: {reason.example}",
                highlight=False,
                soft_wrap=True,
            )
    for note in report.notes:
        out.print(f"  note: {note}", highlight=False, soft_wrap=True)
    if report.quarantine_path:
        out.print(f"Quarantined rows (file, row, column, reason): {report.quarantine_path}")
    if report.status == "published":
        out.print(
            f"[bold green]Published snapshot {report.snapshot_id}[/] at {report.snapshot_path}"
        )
    elif report.status == "already_published":
        out.print(f"Already published as snapshot {report.snapshot_id}: nothing new written.")
    else:
        out.print("[bold red]Nothing published:[/] a table's rejection rate is over its limit.")


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
    from pipelines.build_features import build_features

    try:
        night = night_of(as_of)
        chosen = SnapshotStore(_settings(config).snapshots_dir).open(snapshot)
        when = features_date(chosen, night)
        check_as_of(chosen.date_range, pd.Timestamp(when))  # before Prefect: fail plainly
    except (AsOfError, SnapshotNotFound, ValueError) as exc:
        raise _fail(str(exc)) from None
    try:
        with _progress() as progress:
            progress.add_task("building features", total=None)
            result = build_features(chosen.id, night, str(config) if config else None)
    except (AsOfError, SnapshotNotFound, SettingsError) as exc:
        raise _fail(str(exc)) from None
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
        f"{result['proxy_threshold']}: {', '.join(result['proxy_flagged']) or 'none'}",
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
    from pipelines.train import train as train_flow

    if truth is not None and not truth.exists():
        raise _fail(f"{truth}: truth file not found")
    try:
        settings = _settings(config)
        SnapshotStore(settings.snapshots_dir).open(snapshot)
        with _progress() as progress:
            progress.add_task("training", total=None)
            result = train_flow(
                snapshot,
                str(config) if config else None,
                str(truth) if truth else None,
                search_trials,
            )
    except (SnapshotNotFound, SettingsError, ValueError) as exc:
        raise _fail(str(exc)) from None
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

    settings = _settings(config)
    client = _connect(settings)
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

    settings = _settings(config)
    client = _connect(settings)
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
        raise _fail(
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

    settings = _settings(config)
    client = _connect(settings)
    name = settings.training.model_name
    current = tracking.alias_version(client, name, tracking.CHAMPION)
    if current is None:
        raise _fail(f"model {name!r} has no champion to roll back")
    earlier = [
        v
        for v in tracking.versions(client, name)
        if int(v.version) < int(current.version) and v.tags.get("was_champion") == "true"
    ]
    if not earlier:
        raise _fail(f"version {current.version} is the first champion; nothing to roll back to")
    previous = earlier[-1].version
    tracking.set_alias(client, name, tracking.CHAMPION, previous, f"rollback: {reason}")
    out.print(f"Champion rolled back from version {current.version} to {previous} ({reason}).")


def _write_doc(text: str, out_path: Path, check: bool, make_target: str) -> None:
    if check:
        current = out_path.read_text(encoding="utf-8") if out_path.exists() else ""
        if current != text:
            raise _fail(f"{out_path} is out of date; run `{make_target}`", code=1)
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text, encoding="utf-8")
    out.print(f"wrote {out_path}")


CheckOption = Annotated[bool, typer.Option(help="Fail if the file is out of date.")]


@contract_app.command("docs")
def contract_docs(
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the Markdown.")] = Path(
        "docs/data-contract.md"
    ),
    check: CheckOption = False,
) -> None:
    """Write (or check) docs/data-contract.md from the contract definition."""
    from hientai.contract.docs import render_contract_markdown

    _write_doc(render_contract_markdown(), out_path, check, "hientai contract docs")


@catalog_app.command("docs")
def catalog_docs(
    out_path: Annotated[Path, typer.Option("--out", help="Where to write the Markdown.")] = Path(
        "docs/feature-catalog.md"
    ),
    check: CheckOption = False,
) -> None:
    """Write (or check) docs/feature-catalog.md from the feature catalog."""
    from features.docs import render_catalog_markdown

    _write_doc(render_catalog_markdown(), out_path, check, "hientai catalog docs")


@snapshots_app.command("list")
def snapshots_list(config: ConfigOption = None) -> None:
    """List published snapshots, newest last."""
    store = SnapshotStore(_settings(config).snapshots_dir)
    latest = store.latest_id()
    for snapshot_id in store.ids():
        snap = store.open(snapshot_id)
        rows = sum(int(t["accepted"]) for t in snap.manifest["tables"].values())
        mark = " (latest)" if snapshot_id == latest else ""
        out.print(f"{snapshot_id}{mark}  {rows:,} rows  source {snap.manifest['source']}")


@snapshots_app.command("show")
def snapshots_show(
    snapshot_id: Annotated[
        str | None, typer.Argument(help="Snapshot id (default: latest).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Print a snapshot's manifest."""
    try:
        snap = SnapshotStore(_settings(config).snapshots_dir).open(snapshot_id)
    except SnapshotNotFound as exc:
        raise _fail(str(exc)) from None
    print(json.dumps(snap.manifest, indent=2, ensure_ascii=False))


def _connect(settings: Settings) -> Any:
    """The MLflow client, or a one-line error (no data folder, unreachable store)."""
    from hientai import tracking

    try:
        return tracking.connect(settings)
    except SettingsError as exc:
        raise _fail(str(exc)) from None


def _settings(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except SettingsError as exc:
        raise _fail(str(exc)) from None


import hientai.cli_mapping  # noqa: E402  (registers mapping suggest and check)
import hientai.cli_nightly  # noqa: E402,F401  (registers nightly and explain)
