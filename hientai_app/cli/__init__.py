"""The `hientai` command. It parses options, calls flows and the packages below, and prints; it
holds no logic of its own. Each module registers its commands on the shared command tree."""

from __future__ import annotations

import gc
import sys

from hientai.settings import SettingsError
from hientai.storage import SnapshotNotFound
from hientai_app.cli import data, mapping, merit, nightly, ops, review, schedule, training
from hientai_app.cli.common import app, err, prepare_prefect_environment

__all__ = [
    "app",
    "data",
    "main",
    "mapping",
    "merit",
    "nightly",
    "ops",
    "review",
    "schedule",
    "training",
]


def main() -> None:
    """The console script: project errors end in one line and exit 2; bugs keep their
    traceback."""
    prepare_prefect_environment()
    try:
        app()
    except (SettingsError, SnapshotNotFound) as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise SystemExit(2) from None
    finally:
        _quick_exit()


def _quick_exit() -> None:
    """The command is done and the process is leaving: the objects alive now (half a million
    after a national night: Prefect, pandas, MLflow...) are left out of the garbage collections
    of the interpreter's teardown, which took 1.3 s after such a night (docs/benchmarks.md).
    The exit handlers still run (logging, Prefect's temporary server). Not with DuckDB loaded:
    its bindings report every object still alive at exit as a leak."""
    if "duckdb" not in sys.modules:
        gc.freeze()
