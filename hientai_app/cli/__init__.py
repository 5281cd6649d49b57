"""The `hientai` command. It parses options, calls flows and the packages below, and prints; it
holds no logic of its own. Each module registers its commands on the shared command tree."""

from __future__ import annotations

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
