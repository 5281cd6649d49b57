"""Personal data readable by its service alone: folders 0700 and files 0600 (read-only published
files 0400), or 0750 / 0640 / 0440 with a group named in ``privacy.group``.

Vietnam's Decree 13/2023 on personal data protection, like any public-sector security review,
expects names, scores and reasons to be readable by the service that holds them and nobody
else. Ingestion creates the data folder this way; a night (or a service manager's ``UMask=``)
sets the process's file-creation mask with ``apply_umask`` so that every file it creates,
the SQLite database included, is private from its first byte. ``hientai doctor`` reports
anything wider and ``--fix`` narrows it.
"""

from __future__ import annotations

import grp
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hientai.settings import PrivacySettings, SettingsError

UNKNOWN_GROUP = (
    "privacy.group {group!r}: no such group on this machine; create it (groupadd) or remove "
    "the setting to keep the data readable by its owner only"
)
NOT_IN_GROUP = (
    "{path}: cannot give it to group {group!r} ({why}); the user running hientai must be a "
    "member of that group"
)


class PrivacyError(SettingsError):
    """The privacy settings cannot be applied (unknown group, not a member of it)."""


@dataclass(frozen=True)
class Modes:
    folder: int
    file: int
    frozen: int  # a published, read-only file
    umask: int
    group: str | None = None


OWNER_ONLY = Modes(folder=0o700, file=0o600, frozen=0o400, umask=0o077)


def modes(privacy: PrivacySettings) -> Modes:
    if privacy.group is None:
        return OWNER_ONLY
    # setgid on folders: what is created inside belongs to the group too.
    return Modes(folder=0o2750, file=0o640, frozen=0o440, umask=0o027, group=privacy.group)


def group_id(privacy: PrivacySettings) -> int | None:
    if privacy.group is None:
        return None
    try:
        return grp.getgrnam(privacy.group).gr_gid
    except KeyError:
        raise PrivacyError(UNKNOWN_GROUP.format(group=privacy.group)) from None


def apply_umask(privacy: PrivacySettings) -> int:
    """Make every file and folder this process creates from now on private; returns the old
    mask. Called at the start of a command or a flow run (a process-wide setting)."""
    return os.umask(modes(privacy).umask)


@contextmanager
def private_umask(privacy: PrivacySettings) -> Iterator[None]:
    previous = apply_umask(privacy)
    try:
        yield
    finally:
        os.umask(previous)


def secure(path: Path, privacy: PrivacySettings, *, frozen: bool | None = None) -> None:
    """Give one file or folder the private mode (and group); ``frozen`` files stay read-only
    (default: a file without any write bit is frozen)."""
    wanted = modes(privacy)
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return
    gid = group_id(privacy)
    if gid is not None and info.st_gid != gid:
        try:
            os.chown(path, -1, gid)
        except PermissionError as exc:
            raise PrivacyError(
                NOT_IN_GROUP.format(path=path, group=privacy.group, why=exc.strerror)
            ) from None
    if stat.S_ISDIR(info.st_mode):
        path.chmod(wanted.folder)
        return
    if frozen is None:
        frozen = not info.st_mode & 0o222
    path.chmod(wanted.frozen if frozen else wanted.file)


def make_private_dir(path: Path, privacy: PrivacySettings) -> Path:
    """Create ``path`` and any missing parent, each private; existing folders are left as they
    are (``hientai doctor`` reports them)."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:  # created meanwhile by another process
            continue
        secure(folder, privacy)
    return path


def too_open(path: Path, privacy: PrivacySettings) -> bool:
    """Whether ``path`` grants more than the private mode allows (others, or a group that is
    not the configured one)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return False
    wanted = modes(privacy)
    allowed = wanted.folder if stat.S_ISDIR(info.st_mode) else wanted.file
    if stat.S_IMODE(info.st_mode) & ~allowed & 0o777:
        return True
    gid = group_id(privacy)
    return gid is not None and bool(info.st_mode & 0o070) and info.st_gid != gid


def open_paths(root: Path, privacy: PrivacySettings) -> list[Path]:
    """``root`` and everything under it that is wider than the private mode."""
    if not root.exists():
        return []
    return [p for p in (root, *sorted(root.rglob("*"))) if too_open(p, privacy)]


def secure_tree(root: Path, privacy: PrivacySettings) -> list[Path]:
    """Narrow everything under ``root`` to the private mode; returns what was changed."""
    found = open_paths(root, privacy)
    for path in found:
        secure(path, privacy)
    return found


def sqlite_files(url: str) -> list[Path]:
    """The files of a SQLite database URL (database, write-ahead log, shared memory)."""
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url.removeprefix(prefix) in ("", ":memory:"):
        return []
    database = Path(url.removeprefix(prefix))
    return [database.with_name(database.name + suffix) for suffix in ("", "-wal", "-shm")]
