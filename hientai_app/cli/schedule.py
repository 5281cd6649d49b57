"""`hientai schedule`: scheduled runs on a local Prefect server and a process worker."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hientai_app.cli.common import (
    ConfigOption,
    app,
    fail,
    out,
    settings_for,
)

schedule_app = typer.Typer(
    help="Scheduled runs on a local Prefect server and process worker.", no_args_is_help=True
)
app.add_typer(schedule_app, name="schedule")
PortOption = Annotated[int, typer.Option(help="Port of the Prefect server and UI.")]
HostOption = Annotated[str, typer.Option(help="Address the Prefect server listens on.")]


def _scheduler(config: Path | None, host: str, port: int) -> Any:
    from hientai.settings import project_root
    from hientai_app.scheduler import Scheduler

    root = project_root()
    if root is None:
        raise fail("no project folder (one holding conf/hientai.yaml) here or in HIENTAI_HOME")
    state = settings_for(config).data_dir / "scheduler"  # pass the same --config to down
    return Scheduler(root, state, host=host, port=port, config=config)


@schedule_app.command("up")
def schedule_up(
    port: PortOption = 4200, host: HostOption = "127.0.0.1", config: ConfigOption = None
) -> None:
    """Start the server, create the work pool, deploy prefect.yaml, start a worker."""
    from hientai_app.scheduler import SchedulerError

    scheduler = _scheduler(config, host, port)
    try:
        scheduler.up(lambda line: out.print(line, highlight=False, soft_wrap=True))
    except SchedulerError as exc:
        raise fail(str(exc)) from None
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
