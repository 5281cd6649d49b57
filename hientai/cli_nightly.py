"""`hientai nightly` and `hientai explain`: run one night, and say why about one person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hientai.cli import (
    ConfigOption,
    _connect,
    _fail,
    _progress,
    _settings,
    app,
    err,
    models_app,
    out,
)
from hientai.settings import SettingsError
from hientai.storage import SnapshotNotFound, SnapshotStore


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
    from pipelines.nightly import nightly as nightly_flow

    settings = _settings(config)
    if extract is None:
        try:
            snapshot = snapshot or SnapshotStore(settings.snapshots_dir).open(None).id
        except SnapshotNotFound as exc:
            raise _fail(str(exc)) from None
    try:
        with _progress() as progress:
            progress.add_task("nightly run", total=None)
            result = nightly_flow(
                str(extract) if extract else None,
                snapshot,
                as_of,
                str(config) if config else None,
                str(mapping) if mapping else None,
            )
    except (SnapshotNotFound, SettingsError, LookupError, ValueError) as exc:
        raise _fail(str(exc)) from None
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
        found = explain_person(_settings(config), person_id, pool_id=pool, night=night)
    except (ExplainError, SnapshotNotFound, FileNotFoundError, SettingsError) as exc:
        raise _fail(str(exc)) from None
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


@models_app.command("champion")
def models_champion(config: ConfigOption = None) -> None:
    """Print the champion's version; exit 1 if there is none yet (used by `make demo`)."""
    from hientai import tracking

    settings = _settings(config)
    found = tracking.aliases(_connect(settings), settings.training.model_name)
    if tracking.CHAMPION not in found:
        err.print(f"no champion for {settings.training.model_name!r} yet", highlight=False)
        raise typer.Exit(1)
    print(found[tracking.CHAMPION])


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
    from hientai.appdb import AppDB
    from hientai.flowruns import FlowRunLog

    settings = _settings(config)
    try:
        settings.require_data_dir()
    except SettingsError as exc:
        raise _fail(str(exc)) from None
    db = AppDB(settings.app_db_url)
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


schedule_app = typer.Typer(
    help="Scheduled runs on a local Prefect server and process worker.", no_args_is_help=True
)
app.add_typer(schedule_app, name="schedule")
PortOption = Annotated[int, typer.Option(help="Port of the Prefect server and UI.")]
HostOption = Annotated[str, typer.Option(help="Address the Prefect server listens on.")]


def _scheduler(config: Path | None, host: str, port: int) -> Any:
    from hientai.scheduler import Scheduler
    from hientai.settings import project_root

    root = project_root()
    if root is None:
        raise _fail("no project folder (one holding conf/hientai.yaml) here or in HIENTAI_HOME")
    state = _settings(config).data_dir / "scheduler"  # pass the same --config to down
    return Scheduler(root, state, host=host, port=port, config=config)


@schedule_app.command("up")
def schedule_up(
    port: PortOption = 4200, host: HostOption = "127.0.0.1", config: ConfigOption = None
) -> None:
    """Start the server, create the work pool, deploy prefect.yaml, start a worker."""
    from hientai.scheduler import SchedulerError

    scheduler = _scheduler(config, host, port)
    try:
        scheduler.up(lambda line: out.print(line, highlight=False, soft_wrap=True))
    except SchedulerError as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"[bold green]Scheduled runs are on.[/] Prefect UI: {scheduler.ui_url}\n"
        f"  run a night now:  PREFECT_API_URL={scheduler.api_url} "
        ".venv/bin/prefect deployment run nightly/nightly\n"
        "  history:          .venv/bin/hientai runs\n"
        "  stop:             .venv/bin/hientai schedule down",
        highlight=False,
        soft_wrap=True,
    )


@schedule_app.command("down")
def schedule_down(
    port: PortOption = 4200, host: HostOption = "127.0.0.1", config: ConfigOption = None
) -> None:
    """Stop the worker (and its running flows), then the server."""
    _scheduler(config, host, port).down(lambda line: out.print(line, highlight=False))


@schedule_app.command("status")
def schedule_status(
    port: PortOption = 4200, host: HostOption = "127.0.0.1", config: ConfigOption = None
) -> None:
    """Whether the server and worker run, and where the UI and logs are; exit 1 if not."""
    found = _scheduler(config, host, port).status()
    print(json.dumps(found, indent=2))
    if not (found["server"] and found["worker"]):
        raise typer.Exit(1)
