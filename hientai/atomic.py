"""Publish a folder all at once: stage it beside its target, then rename it into place.

Readers see the whole folder or nothing; a crash while staging leaves no trace in the target.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path


def write_json(path: Path, payload: object) -> None:
    path.write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    with path.open("rb") as fh:
        os.fsync(fh.fileno())


def freeze(root: Path) -> None:
    """Make every file read-only (owner-only under any ``protected`` folder)."""
    for path in root.rglob("*"):
        if path.is_file():
            path.chmod(0o400 if "protected" in path.parts else 0o444)


def publish_folder(target: Path, write: Callable[[Path], None], *, replace: bool = False) -> None:
    """Call ``write(staging)`` then rename staging to ``target`` (swapping out an old one)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.parent / f".staging-{target.name}-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        staging.mkdir()
        write(staging)
        freeze(staging)
        if target.exists():
            if not replace:
                raise FileExistsError(f"{target} already exists")
            retired = target.parent / f".retired-{target.name}-{os.getpid()}"
            target.rename(retired)
            staging.rename(target)
            remove_folder(retired)
        else:
            staging.rename(target)
    except BaseException:
        remove_folder(staging)
        raise


def remove_folder(folder: Path) -> None:
    """Delete a folder even if its files were made read-only."""
    if not folder.exists():
        return
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o700 if path.is_dir() else 0o600)
    shutil.rmtree(folder, ignore_errors=True)
