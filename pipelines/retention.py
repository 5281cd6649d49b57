"""Retention: `hientai prune --keep N` removes old snapshots and run folders nobody needs.

Kept, always: the N newest snapshots, the latest one (even if N is 0), and every snapshot a
night in the application database was computed from (its shortlists are explained from it);
the N newest run folders and the folder of every night still in the database. Removed: the
rest, with each removed snapshot's feature tables. Nothing is pruned while a night runs, since
it may be reading a snapshot that no published night names yet.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from hientai.atomic import remove_folder
from hientai.privacy import sqlite_files
from hientai.settings import Settings
from hientai.storage import SnapshotStore
from pipelines.night_lock import running_nights
from pipelines.results_db import ResultsDB

NIGHT_RUNNING = (
    "night {night} is running ({holder}); prune removes nothing while a night runs, since it "
    "may be reading an older snapshot. Run it again when the night is over"
)


class PruneRefused(RuntimeError):
    """Pruning now could remove what a running night reads."""


@dataclass
class PrunePlan:
    keep: int
    snapshots: list[str] = field(default_factory=list)  # removed (or to remove)
    run_folders: list[str] = field(default_factory=list)
    kept_snapshots: list[str] = field(default_factory=list)
    kept_run_folders: list[str] = field(default_factory=list)


def published_nights(settings: Settings) -> dict[str, str]:
    """Every night in the application database, with the snapshot it was computed from."""
    files = sqlite_files(settings.app_db_url)
    if files and not files[0].exists():
        return {}
    runs = ResultsDB(settings.app_db_url).runs()
    return dict(zip(runs["night"], runs["snapshot_id"], strict=True))


def _retire(folder: Path) -> None:
    """Rename out of sight in one step, then delete: a reader sees the whole folder or none,
    and a crash while deleting leaves a `.retired-*` leftover the next command removes."""
    if not folder.exists():
        return
    retired = folder.parent / f".retired-{folder.name}-{os.getpid()}"
    folder.rename(retired)
    remove_folder(retired)


def _run_folders(runs_dir: Path) -> list[str]:
    if not runs_dir.is_dir():
        return []
    return sorted(p.name for p in runs_dir.glob("[!.]*") if p.is_dir())


def plan(settings: Settings, keep: int) -> PrunePlan:
    if keep < 0:
        raise ValueError(f"--keep must be 0 or more, got {keep}")
    store = SnapshotStore(settings.snapshots_dir)
    nights = published_nights(settings)
    ids = store.ids()  # oldest first: ids begin with their UTC time
    needed = set(ids[len(ids) - keep :] if keep else []) | set(nights.values())
    if store.latest_id():
        needed.add(str(store.latest_id()))
    folders = _run_folders(settings.runs_dir)
    kept_folders = set(folders[len(folders) - keep :] if keep else []) | set(nights)
    return PrunePlan(
        keep=keep,
        snapshots=[i for i in ids if i not in needed],
        run_folders=[f for f in folders if f not in kept_folders],
        kept_snapshots=[i for i in ids if i in needed],
        kept_run_folders=[f for f in folders if f in kept_folders],
    )


def prune(settings: Settings, keep: int, *, dry_run: bool = False) -> PrunePlan:
    """Remove what ``plan`` says (nothing if ``dry_run``); returns the plan."""
    settings.require_data_dir()
    running = running_nights(settings)
    if running:
        first = running[0]
        raise PruneRefused(NIGHT_RUNNING.format(night=first.night, holder=first.describe()))
    chosen = plan(settings, keep)
    if dry_run:
        return chosen
    for snapshot_id in chosen.snapshots:
        _retire(settings.features_dir / snapshot_id)
        _retire(settings.snapshots_dir / snapshot_id)
    for night in chosen.run_folders:
        _retire(settings.runs_dir / night)
    return chosen
