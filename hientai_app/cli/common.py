"""What every `hientai` command shares: the command tree, the consoles, the common options
and the one-line error."""

from __future__ import annotations

import atexit
import importlib.util
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from hientai.settings import Settings, SettingsError, load_settings

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
CheckOption = Annotated[bool, typer.Option(help="Fail if the file is out of date.")]


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


class EarlyPrefectServer:
    """Prefect's temporary API server, started before the command imports its flows.

    Without an API address Prefect starts that server (a process of its own: 8 s measured on
    this machine) only when a flow first calls it, after the command has imported the flow's
    modules (pandas, LightGBM, MLflow, Prefect: 11 s). Started first, the two overlap on the
    two cores. The process is Prefect's own command for its temporary server; the flow reaches
    it through a temporary ``PREFECT_API_URL``, Prefect's public setting. If the user has an
    API address (environment or Prefect profile), or this server does not answer, the flow
    goes on exactly as without it: to the user's server, or Prefect starts its own and
    reports what stops it. Stopped when the command's process ends."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        self.port = 0
        if os.environ.get("PREFECT_API_URL"):
            return
        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.submodule_search_locations:
            return
        self.app_dir = str(Path(next(iter(spec.submodule_search_locations))).parent)
        self._launch()
        atexit.register(self.stop)  # registered before Prefect's hooks: runs after them

    def _launch(self) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        command = [sys.executable, "-m", "uvicorn", "--app-dir", self.app_dir, "--factory"]
        command += ["prefect.server.api.server:create_app", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--log-level", "error", "--lifespan", "on"]
        self.process = subprocess.Popen(
            command,
            env={**os.environ, **_TEMPORARY_SERVER_ENVIRONMENT},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @contextmanager
    def ready(self) -> Iterator[None]:
        """The flow runs inside: against this server once it answers its health check,
        otherwise as it would have without it."""
        from prefect.settings import (
            PREFECT_API_URL,
            PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS,
            temporary_settings,
        )

        if (
            self.process is None
            or PREFECT_API_URL.value()
            or not self._answers(float(PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
        ):
            self.stop()
            yield
            return
        logging.getLogger("prefect").info("Using the temporary server on %s", self.api_url)
        with temporary_settings(updates={PREFECT_API_URL: self.api_url}):
            yield

    def _answers(self, timeout: float) -> bool:
        import httpx

        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=5) as client:
            while time.monotonic() < deadline and self.process is not None:
                code = self.process.poll()
                if code == 3:  # the port was taken meanwhile: Prefect's own rule, a new port
                    self._launch()
                elif code is not None:
                    return False
                try:
                    if client.get(f"{self.api_url}/health").status_code == 200:
                        return True
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        return False

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# What Prefect sets for its temporary server's process (prefect.server.api.server).
_TEMPORARY_SERVER_ENVIRONMENT = {
    "PREFECT_UI_ENABLED": "0",
    "PREFECT__SERVER_EPHEMERAL": "1",
    "PREFECT__SERVER_FINAL": "1",
}


# Prefect logs a failed task's or flow's exception with its traceback; for the errors a command
# turns into its one-line message, that traceback only hides the line that matters.
PREFECT_RUN_LOGGERS = ("prefect.task_runs", "prefect.flow_runs")


class _WithoutTraceback(logging.Filter):
    def __init__(self, kinds: tuple[type[BaseException], ...]) -> None:
        super().__init__()
        self.kinds = kinds

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, self.kinds):
            record.exc_info, record.exc_text = None, None
        return True


@contextmanager
def one_line_errors(*kinds: type[BaseException]) -> Iterator[None]:
    """While a command runs a flow: Prefect's run logs keep their error line but drop the
    traceback of the ``kinds`` of error the command reports in one line itself."""
    quiet = _WithoutTraceback(kinds)
    loggers = [logging.getLogger(name) for name in PREFECT_RUN_LOGGERS]
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


def fail(message: str, code: int = 2) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


def progress_bar() -> Progress:
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


def connect_tracking(settings: Settings) -> Any:
    """The MLflow client, or a one-line error (no data folder, unreachable store)."""
    from hientai import tracking

    try:
        return tracking.connect(settings)
    except SettingsError as exc:
        raise fail(str(exc)) from None


def settings_for(config: Path | None) -> Settings:
    try:
        return load_settings(config)
    except SettingsError as exc:
        raise fail(str(exc)) from None
