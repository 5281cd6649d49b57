"""`hientai nightly`, `explain` and `runs`: run one night, say why about one person, list runs."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from hientai.ingest.errors import IngestError
from hientai.settings import SettingsError
from hientai.storage import SnapshotNotFound, SnapshotStore
from hientai_app.cli.common import (
    ConfigOption,
    EarlyPrefectServer,
    app,
    fail,
    one_line_errors,
    out,
    progress_bar,
    settings_for,
)


@app.command()
def nightly(
    extract: Annotated[
        Path | None, typer.Option("--extract", help="Extract folder to ingest first.")
    ] = None,
    snapshot: Annotated[
        str | None, typer.Option("--snapshot", help="Snapshot id (default: latest).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The night (YYYY-MM-DD; default today).")
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="Mapping file for --extract.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the manifest as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Run one night locally: ingest?, features, score, shortlists, explain, audit, publish."""
    settings = settings_for(config)
    if extract is None:
        try:
            snapshot = snapshot or SnapshotStore(settings.snapshots_dir).open(None).id
        except SnapshotNotFound as exc:
            raise fail(str(exc)) from None
    server = EarlyPrefectServer()  # starts while the flow's modules import
    from models.compiled_trees import warm as warm_scoring
    from pipelines.ingest import BatchRejected
    from pipelines.nightly import nightly as nightly_flow

    # The scoring kernel loads on a thread while the server is still starting (its imports
    # take longer than the flow's); the score stage then finds it ready.
    threading.Thread(target=warm_scoring, name="warm-scoring", daemon=True).start()

    expected = (SnapshotNotFound, SettingsError, LookupError, ValueError, IngestError)
    try:
        with (
            server.ready(),
            one_line_errors(*expected, BatchRejected),
            progress_bar() as progress,
        ):
            progress.add_task("nightly run", total=None)
            result = nightly_flow(
                str(extract) if extract else None,
                snapshot,
                as_of,
                str(config) if config else None,
                str(mapping) if mapping else None,
            )
    except BatchRejected as exc:  # the extract was rejected or held: as `hientai ingest`
        raise fail(str(exc), code=1) from None
    except expected as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
        return
    _print_night(result)


def _print_night(result: dict[str, Any]) -> None:
    counts = result["counts"]
    out.print(
        f"[bold green]Night {result['night']} published[/] (model version "
        f"{result['model_version']}, snapshot {result['snapshot_id']}, "
        f"policy {result['policy']})\n"
        f"  {counts['people_scored']:,} people scored; {counts['pools']:,} pools; "
        f"{counts['shortlisted']:,} shortlist entries, each explained "
        f"({counts['explanations']:,} people)\n"
        f"  fairness checks: {counts['fairness_checks']:,} ({counts['fairness_fail']:,} fail, "
        f"{counts['fairness_warn']:,} warn); early warnings: {counts['warnings']:,}; "
        f"changes since the previous night: {counts.get('diff', 0):,}\n"
        f"  pools with nobody eligible: {counts.get('pools_nobody_eligible', 0):,} "
        "(each says why in its rules)\n"
        f"  Party-membership rules: {'; '.join(result['party_rules']) or 'none'}\n"
        f"  stages (s): "
        + ", ".join(f"{k} {v:.1f}" for k, v in result["stage_seconds"].items())
        + (" (features: the table already built, reused)" if result.get("features_reused") else "")
        + f"\n  report: {result['report']}\n  Excel:  {result['excel']}",
        highlight=False,
        soft_wrap=True,
    )


@app.command()
def explain(
    person_id: Annotated[str, typer.Argument(help="The person's id.")],
    pool: Annotated[str | None, typer.Option("--pool", help="Pool (post or slot) id.")] = None,
    night: Annotated[str | None, typer.Option("--night", help="Night (default latest).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Why a person is or is not on a shortlist: score drivers, suggestions, eligibility."""
    from pipelines.explain_person import ExplainError, explain_person

    try:
        found = explain_person(settings_for(config), person_id, pool_id=pool, night=night)
    except (ExplainError, SnapshotNotFound, FileNotFoundError, SettingsError) as exc:
        raise fail(str(exc)) from None
    if as_json:
        print(json.dumps(found, indent=2, ensure_ascii=False, default=str))
        return
    _print_explanation(found)


def _print_explanation(found: dict[str, Any]) -> None:
    exp = found["explanation"]
    lines = [
        f"[bold]{found['person_id']}[/] on {found['night']} (model {found['model_version']}): "
        f"score {found['score']:.3f}"
    ]
    lines.append("  raises the score / làm tăng điểm:")
    lines += [f"    + {r['text_en']} / {r['text_vi']}" for r in exp["reasons_positive"]] or [
        "    none"
    ]
    lines.append("  lowers the score / làm giảm điểm:")
    lines += [f"    - {r['text_en']} / {r['text_vi']}" for r in exp["reasons_negative"]] or [
        "    none"
    ]
    lines.append("  development suggestions / gợi ý phát triển:")
    lines += [f"    * {s['text_en']}" for s in found["suggestions"]] or ["    none"]
    listed = found["shortlists"]
    lines.append(
        "  on shortlists: "
        + (", ".join(f"{e['pool_id']} (rank {e['rank']})" for e in listed) or "none")
    )
    status = found["pool"]
    if status:
        verdict = (
            "eligible"
            if status["eligible"]
            else "not eligible: " + "; ".join(status["failed_rules"])
        )
        cutoff = status["cutoff_score"]
        where = (
            f"on the shortlist at rank {status['rank']}"
            if status["on_shortlist"]
            else f"not on the shortlist (top {status['k']}; cut-off score "
            f"{'n/a' if cutoff is None else f'{cutoff:.3f}'})"
        )
        lines.append(f"  pool {status['pool_id']} ({status['title']}): {verdict}; {where}")
        if status.get("note"):
            lines.append(f"  {status['note']}")
        lines += [
            f"    {'meets' if r['met'] else 'fails'}: {r['rule']}" for r in status.get("rules", [])
        ]
    out.print("\n".join(lines), highlight=False, soft_wrap=True)


_STATUS_STYLE = {
    "completed": "green",
    "running": "cyan",
    "failed": "red",
    "crashed": "bold red",
    "cancelled": "yellow",
}


@app.command()
def runs(
    limit: Annotated[int, typer.Option(help="How many attempts to show.", min=1)] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    config: ConfigOption = None,
) -> None:
    """Recent nightly and retraining runs: status, duration, snapshot, model, and why one
    failed or crashed (scheduled runs included)."""
    from pipelines.flowruns import FlowRunLog
    from pipelines.results_db import ResultsDB

    settings = settings_for(config)
    try:
        settings.require_data_dir()
    except SettingsError as exc:
        raise fail(str(exc)) from None
    db = ResultsDB(settings.app_db_url)
    db.create_schema()
    recent = FlowRunLog(db).recent(limit=limit)
    records = recent.astype(object).where(recent.notna(), None).to_dict("records")
    if as_json:
        print(json.dumps(records, indent=2, ensure_ascii=False, default=str))
        return
    if not records:
        out.print("No nightly or training run recorded yet.")
        return
    out.print(f"Recent runs, newest first ({settings.app_db_url}):", highlight=False)
    for run in records:
        style = _STATUS_STYLE.get(run["status"], "")
        seconds = "" if run["duration_s"] is None else f"{run['duration_s']:.0f} s"
        deployment = f" ({run['deployment']})" if run["deployment"] else ""
        line = (
            f"{run['started_at'][:16].replace('T', ' ')}  {run['flow']:<8} "
            f"{run['night'] or '':<10}  [{style}]{run['status']:<9}[/] {seconds:>7}  "
            f"{run['trigger']}{deployment}"
        )
        if run["snapshot_id"]:
            line += f"  snapshot {run['snapshot_id']}"
        if run["model_version"]:
            line += f"  model {run['model_version']}"
        out.print(line, highlight=False, soft_wrap=True)
        if run["reason"]:
            out.print(f"    {run['reason']}", highlight=False, soft_wrap=True)
