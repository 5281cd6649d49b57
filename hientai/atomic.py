"""Publish a folder all at once: stage it beside its target, then rename it into place.

Readers see the whole folder or nothing; a crash while staging leaves no trace in the target.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from collections.abc import Callable
from pathlib import Path


def write_json(path: Path, payload: object) -> None:
    path.write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def freeze(root: Path, *, group_readable: bool | None = None) -> None:
    """Make every file read-only and private: readable by its owner only, or by the group too
    when ``group_readable`` (default: when the folder ``root`` is published into is a group's,
    marked by its set-group-id bit, see ``hientai.privacy``). Protected attributes stay
    owner-only."""
    if group_readable is None:
        group_readable = bool(root.parent.stat().st_mode & stat.S_ISGID)
    for path in [root, *root.rglob("*")]:
        owner_only = "protected" in path.relative_to(root).parts or not group_readable
        if path.is_dir():
            path.chmod(0o700 if owner_only else 0o2750)
        elif path.is_file():
            path.chmod(0o400 if owner_only else 0o440)


class FolderSwap:
    """Put a staged folder in ``target``'s place in two phases: ``swap()`` renames the old one
    aside and the staged one in; ``finish()`` deletes the old one, ``undo()`` restores whatever
    step was done. Callers that must commit something else in between (a database transaction)
    undo on failure; ``publish_folder`` finishes at once."""

    def __init__(self, staging: Path, target: Path) -> None:
        self.staging, self.target = staging, target
        self.retired = target.parent / f".retired-{target.name}-{os.getpid()}"
        self.retired_done = self.done = False

    def __call__(self) -> None:
        remove_folder(self.retired)
        if self.target.exists():
            self.target.rename(self.retired)
            self.retired_done = True
        self.staging.rename(self.target)
        self.done = True

    def undo(self) -> None:
        if self.done:
            self.target.rename(self.staging)
            self.done = False
        if self.retired_done:
            self.retired.rename(self.target)
            self.retired_done = False

    def finish(self) -> None:
        remove_folder(self.retired)


def publish_folder(target: Path, write: Callable[[Path], None], *, replace: bool = False) -> None:
    """Call ``write(staging)`` then rename staging to ``target`` (swapping out an old one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".staging-{target.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    swap = FolderSwap(staging, target)
    try:
        staging.mkdir()
        write(staging)
        freeze(staging)
        if target.exists() and not replace:
            raise FileExistsError(f"{target} already exists")
        swap()
    except BaseException:
        swap.undo()
        remove_folder(staging)
        raise
    swap.finish()


def remove_folder(folder: Path) -> None:
    """Delete a folder even if its files were made read-only."""
    if not folder.exists():
        return
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    shutil.rmtree(folder, ignore_errors=True)
