"""`hientai generate`, `ingest`, `snapshots` and the generated docs: data in."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from hientai.housekeeping import Leftover, sweep_leftovers
from hientai.ingest import IngestError, IngestReport, load_mapping, run_batch
from hientai.ingest.publish import HELD_ADVICE
from hientai.settings import SettingsError, load_settings
from hientai.storage import SnapshotNotFound, SnapshotStore
from hientai_app.cli.common import (
    CheckOption,
    ConfigOption,
    ExtractFormat,
    app,
    catalog_app,
    contract_app,
    err,
    fail,
    out,
    progress_bar,
    settings_for,
    snapshots_app,
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
        raise fail(str(exc)) from None
    updates = {"n_people": people, "n_external": external, "years": years, "seed": seed}
    config = config.model_copy(update={k: v for k, v in updates.items() if v is not None})
    with progress_bar() as progress:
        task = progress.add_task("generating", total=None)
        extract = generate_extract(
            config, progress=lambda step: progress.update(task, description=step, advance=1)
        )
        progress.update(task, description="writing")
        try:
            write_extract(extract, out_dir, fmt=fmt, overwrite=overwrite)
        except ValueError as exc:
            raise fail(str(exc)) from None
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
    accept_shrink: Annotated[
        bool,
        typer.Option(
            "--accept-shrink",
            help="Publish even if a table lost more rows than ingest.max_shrink_share against "
            "the latest snapshot (recorded in the manifest). An extract with no accepted "
            "person is never published.",
        ),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Validate an extract and publish it as an immutable snapshot (or refuse, saying why)."""
    removed: list[Leftover] = []
    try:
        settings = load_settings(config)
        removed = sweep_leftovers(settings.data_dir)
        chosen = load_mapping(mapping) if mapping else None
        with progress_bar() as progress:
            task = progress.add_task("validating", total=None)
            report = run_batch(
                source,
                mapping=chosen,
                settings=settings,
                progress=lambda t: progress.update(task, description=f"validating {t}", advance=1),
                accept_shrink_by=shlex.join(["hientai", *sys.argv[1:]]) if accept_shrink else None,
            )
    except (IngestError, SettingsError) as exc:
        if as_json:
            print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        raise fail(str(exc)) from None
    if as_json:
        payload = report.to_dict() | {"removed_leftovers": [str(r.path) for r in removed]}
        print(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for leftover in removed:
            err.print(f"removed leftover {leftover.describe()}", highlight=False, soft_wrap=True)
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
    for held in report.held_reasons:
        out.print(f"  [bold]held:[/] {held}", highlight=False, soft_wrap=True)
    if report.forced_by:
        out.print(f"Published although held, forced by: {report.forced_by}", highlight=False)
    if report.status == "published":
        out.print(
            f"[bold green]Published snapshot {report.snapshot_id}[/] at {report.snapshot_path}"
        )
    elif report.status == "already_published":
        out.print(f"Already published as snapshot {report.snapshot_id}: nothing new written.")
    elif report.status == "held":
        out.print(f"[bold red]{HELD_ADVICE}[/]", highlight=False, soft_wrap=True)
    else:
        out.print("[bold red]Nothing published:[/] a table's rejection rate is over its limit.")


def _write_doc(text: str, out_path: Path, check: bool, make_target: str) -> None:
    if check:
        current = out_path.read_text(encoding="utf-8") if out_path.exists() else ""
        if current != text:
            raise fail(f"{out_path} is out of date; run `{make_target}`", code=1)
        return
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(text, encoding="utf-8")
    out.print(f"wrote {out_path}")


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
    store = SnapshotStore(settings_for(config).snapshots_dir)
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
        snap = SnapshotStore(settings_for(config).snapshots_dir).open(snapshot_id)
    except SnapshotNotFound as exc:
        raise fail(str(exc)) from None
    print(json.dumps(snap.manifest, indent=2, ensure_ascii=False))
