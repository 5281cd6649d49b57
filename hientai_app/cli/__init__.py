"""The `hientai` command. It parses options, calls flows and the packages below, and prints; it
holds no logic of its own. Each module registers its commands on the shared command tree."""

from __future__ import annotations

import gc
import os
import sys
from pathlib import Path

from hientai.memory import one_heap_environment
from hientai.settings import SettingsError, load_settings
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
    _restart_with_one_heap(sys.argv[1:])
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


# The commands that run a feature build in their process (a night builds one).
BATCH_COMMANDS = ("nightly", "features")


def _restart_with_one_heap(args: list[str]) -> None:
    """A night or a feature build whose settings keep freed memory (``keep_freed_memory``)
    starts again at once, the same command line, with glibc's one heap for all its threads
    (hientai/memory.py): glibc reads it only as a process starts. Measured on the national
    night (docs/benchmarks.md): 33.6-34.8 s instead of 35.4-38.7 s, its peak 5.1 instead of
    5.2-5.5 GiB. Nothing happens elsewhere than glibc, or if the environment already sets it,
    or if the settings cannot be read (the command then says why)."""
    if not args or args[0] not in BATCH_COMMANDS:
        return
    environment = one_heap_environment(os.environ)
    if environment is None:
        return
    config = _option_value(args, "--config")
    try:
        keep = load_settings(Path(config) if config else None).keep_freed_memory
    except (SettingsError, OSError):  # the command reports it itself
        return
    if keep:
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], environment)


def _option_value(args: list[str], name: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == name and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
    return None
