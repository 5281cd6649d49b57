"""Crash leftovers: the work and staging folders a killed process leaves in the data folder.

Every writer stages its output in a hidden folder beside the target and renames it into place
(``hientai.atomic``); a process killed outright (``kill -9``, out of memory, power loss) leaves
that folder behind, gigabytes at national scale. Each folder's name ends with the id of the
process that made it, so a later command can tell a dead writer's leftovers (removed, and
said) from a running one's (never touched). A process id the system has since given to a newer
process is recognised by its start time, later than the folder's last change.

The data folder is meant to be written from one machine: a process id means nothing on
another host.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from hientai.atomic import remove_folder

Kind = Literal["work", "staging", "retired", "pointer"]
# Where leftovers can be, relative to the data folder (features: one folder per snapshot).
PLACES = ("snapshots", "quarantine", "runs", "features", "features/*")
PATTERNS: dict[str, Kind] = {
    ".work-*": "work",
    ".staging-*": "staging",
    ".retired-*": "retired",
    ".LATEST.*": "pointer",
}
_PID_AT_END = re.compile(r"[-.](\d+)$")
_PID_OF_WORK = re.compile(r"^\.work-(\d+)-")
# A process that started within this many seconds after a folder's last change may still be
# the one that made it (clock ticks and file times are not to the nanosecond).
START_SLACK_S = 2.0


@dataclass(frozen=True)
class Leftover:
    path: Path
    kind: Kind
    pid: int | None  # None: made by a version that did not record it
    owner_alive: bool | None  # None: unknown (no process id in the name)

    def describe(self) -> str:
        if self.pid is None:
            return f"{self.path} ({self.kind} folder, owner unknown)"
        state = "still running" if self.owner_alive else "no longer running"
        return f"{self.path} ({self.kind}, process {self.pid} {state})"


def owner_pid(name: str) -> int | None:
    # Work folders of older versions have a random name (tempfile): never read as a pid.
    found = _PID_OF_WORK.match(name) if name.startswith(".work-") else _PID_AT_END.search(name)
    return int(found.group(1)) if found else None


def process_start_ticks(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (Linux /proc), to tell a process id
    the system has given to someone else since from the one we knew; None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name in () may hold spaces


def process_started_at(pid: int) -> float | None:
    """When ``pid`` started (seconds since the epoch), from /proc on Linux; None elsewhere."""
    ticks = process_start_ticks(pid)
    try:
        boot = next(
            float(line.split()[1])
            for line in Path("/proc/stat").read_text(encoding="ascii").splitlines()
            if line.startswith("btime ")
        )
    except (OSError, StopIteration, ValueError, IndexError):
        return None
    if ticks is None:
        return None
    return boot + int(ticks) / os.sysconf("SC_CLK_TCK")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, someone else's
        return True
    return True


def owner_alive(pid: int, path: Path) -> bool:
    """Whether process ``pid`` is running and old enough to have made ``path``."""
    if pid == os.getpid():
        return True
    if not pid_alive(pid):
        return False
    started = process_started_at(pid)
    if started is None:
        return True
    try:
        changed = path.lstat().st_mtime
    except FileNotFoundError:
        return False
    return started <= changed + START_SLACK_S


def find_leftovers(data_dir: Path) -> list[Leftover]:
    """Every work, staging and retired folder (and half-written pointer) in the data folder."""
    found = []
    for place in PLACES:
        for folder in sorted(data_dir.glob(place)):
            if not folder.is_dir():
                continue
            for pattern, kind in PATTERNS.items():
                for path in sorted(folder.glob(pattern)):
                    pid = owner_pid(path.name)
                    alive = None if pid is None else owner_alive(pid, path)
                    found.append(Leftover(path, kind, pid, alive))
    return found


def sweep_leftovers(data_dir: Path) -> list[Leftover]:
    """Remove the leftovers of processes that are no longer running; returns what was removed.
    Folders of a running process, and folders whose owner is unknown, are left alone."""
    removed = []
    for leftover in find_leftovers(data_dir):
        if leftover.owner_alive is not False:
            continue
        if leftover.path.is_dir():
            remove_folder(leftover.path)
        else:
            leftover.path.unlink(missing_ok=True)
        removed.append(leftover)
    return removed


@contextmanager
def work_folder(parent: Path) -> Iterator[str]:
    """A hidden work folder under ``parent`` named with this process's id (so a later command
    can remove it if this process is killed), deleted on the way out."""
    parent.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=f".work-{os.getpid()}-", dir=parent))
    try:
        yield str(path)
    finally:
        remove_folder(path)
