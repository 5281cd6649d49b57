"""One night per date at a time: a second night for a date that is running waits or stops.

Prefect's concurrency limit only covers runs that go through its server; a `hientai nightly`
started by hand (or by cron) does not see it. This lock is taken by the night itself, whatever
started it. With SQLite it is an exclusive lock on the file ``<data_dir>/locks/night-DATE.lock``
(released by the system when the process ends, even on ``kill -9``); with PostgreSQL it is a
session advisory lock on the application database, so nights started on two machines that
publish to one database also exclude each other (released when the connection closes). Nights
for different dates take different locks and may run together.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import functools
import hashlib
import inspect
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa

from hientai.settings import Settings, load_settings

LOCKS_DIR = "locks"
# How long a second night for the same date waits for the first before stopping; 0: it stops
# at once. HIENTAI_NIGHT_LOCK_WAIT (seconds) overrides it for one process (cron, Prefect).
WAIT_ENV = "HIENTAI_NIGHT_LOCK_WAIT"
DEFAULT_WAIT_S = 0.0
POLL_S = 1.0
NIGHT_BUSY = (
    "another night for {night} is running ({holder}); nights for one date run one at a time, "
    "so this one stopped without changing anything. Wait for that night to finish (hientai "
    "runs), or set {env}=SECONDS to make the next one wait for it"
)


class NightLocked(RuntimeError):
    """Another process holds the lock of this night; the message says which."""


@dataclass(frozen=True)
class Holder:
    """Who holds a night's lock, as far as the lock says."""

    night: str
    pid: int | None
    host: str | None
    since: str | None

    def describe(self) -> str:
        if self.pid is None:
            return "holder unknown"
        return f"process {self.pid} on {self.host}, since {self.since}"


def _me(night: str) -> dict[str, Any]:
    return {
        "night": night,
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "since": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def lock_file(settings: Settings, night: str) -> Path:
    return settings.data_dir / LOCKS_DIR / f"night-{night}.lock"


def uses_postgres(settings: Settings) -> bool:
    return sa.make_url(settings.app_db_url).get_backend_name() == "postgresql"


def advisory_key(night: str) -> int:
    """A signed 64-bit key for PostgreSQL's advisory locks, the same in every process."""
    digest = hashlib.sha256(f"hientai-night:{night}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def wait_seconds() -> float:
    return float(os.environ.get(WAIT_ENV) or DEFAULT_WAIT_S)


def _retry(attempt: Callable[[], bool], wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while not attempt():
        if time.monotonic() >= deadline:
            return False
        time.sleep(min(POLL_S, max(deadline - time.monotonic(), 0.0)))
    return True


@contextmanager
def _file_lock(settings: Settings, night: str, wait_s: float) -> Iterator[None]:
    path = lock_file(settings, night)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # The file is never deleted (a process may be waiting on it): only its lock matters.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:

        def attempt() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            return True

        if not _retry(attempt, wait_s):
            raise NightLocked(_busy(night, file_holder(path)))
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(_me(night)).encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the lock


def file_holder(path: Path) -> Holder:
    night = path.stem.removeprefix("night-")
    try:
        found = json.loads(path.read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        found = {}
    return Holder(night, found.get("pid"), found.get("host"), found.get("since"))


def file_lock_held(path: Path) -> bool:
    """Whether some process holds the lock of this file now (a free lock is taken and given
    back at once)."""
    try:
        fd = os.open(path, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@contextmanager
def _advisory_lock(settings: Settings, night: str, wait_s: float) -> Iterator[None]:
    me = _me(night)
    name = f"hientai night {night} pid {me['pid']} on {me['host']}"[:63]
    engine = sa.create_engine(
        settings.app_db_url,
        poolclass=sa.pool.NullPool,
        connect_args={"application_name": name},
    )
    key = advisory_key(night)
    try:
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT")

            def attempt() -> bool:
                query = sa.text("SELECT pg_try_advisory_lock(:key)")
                return bool(conn.execute(query, {"key": key}).scalar())

            if not _retry(attempt, wait_s):
                raise NightLocked(_busy(night, advisory_holder(conn, night)))
            try:
                yield
            finally:
                conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": key})
    finally:
        engine.dispose()


def advisory_holder(conn: sa.Connection, night: str) -> Holder:
    """The holder of a night's advisory lock, from the application name it connected with."""
    key = advisory_key(night) & 0xFFFFFFFFFFFFFFFF
    row = conn.execute(
        sa.text(
            "SELECT a.application_name, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            "AND l.granted AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1"
        ),
        {"hi": key >> 32, "lo": key & 0xFFFFFFFF},
    ).first()
    return Holder(night, None, None, None) if row is None else _named_holder(*row)


def _named_holder(application_name: str, since: dt.datetime) -> Holder:
    """A holder from its connection's name: 'hientai night DATE pid PID on HOST'."""
    words = str(application_name).split()
    pid = int(words[4]) if len(words) > 6 and words[4].isdigit() else None
    host = words[6] if pid is not None else None
    return Holder(words[2], pid, host, since.isoformat(timespec="seconds"))


def _busy(night: str, holder: Holder) -> str:
    return NIGHT_BUSY.format(night=night, holder=holder.describe(), env=WAIT_ENV)


@contextmanager
def night_lock(settings: Settings, night: str, *, wait_s: float | None = None) -> Iterator[None]:
    """Hold the lock of ``night`` (a YYYY-MM-DD date) for the block; if another process holds
    it, wait up to ``wait_s`` seconds (default: $HIENTAI_NIGHT_LOCK_WAIT, else 0) and then
    raise ``NightLocked`` naming that process."""
    wait = wait_seconds() if wait_s is None else wait_s
    lock = _advisory_lock if uses_postgres(settings) else _file_lock
    with lock(settings, night, wait):
        yield


def held_file_locks(settings: Settings) -> list[Holder]:
    """Nights whose file lock is held now (for `hientai doctor`)."""
    folder = settings.data_dir / LOCKS_DIR
    if not folder.is_dir():
        return []
    return [file_holder(p) for p in sorted(folder.glob("night-*.lock")) if file_lock_held(p)]


def held_advisory_locks(settings: Settings) -> list[Holder]:
    """Nights holding their advisory lock on the PostgreSQL application database now."""
    engine = sa.create_engine(settings.app_db_url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT a.application_name, a.backend_start FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
                    "AND l.granted AND a.application_name LIKE 'hientai night %'"
                )
            ).all()
    finally:
        engine.dispose()
    return sorted((_named_holder(*row) for row in rows), key=lambda h: h.night)


def running_nights(settings: Settings) -> list[Holder]:
    """Every night running now, as its lock says (both kinds: a data folder may have moved
    from SQLite to PostgreSQL)."""
    found = held_file_locks(settings)
    if uses_postgres(settings):
        found += held_advisory_locks(settings)
    return found


P = ParamSpec("P")
R = TypeVar("R")


def one_night_at_a_time(run: Callable[P, R]) -> Callable[P, R]:
    """Decorate the nightly flow function (under ``@flow``): the call holds the lock of its
    night, read from its ``as_of`` and ``config`` arguments the way the flow reads them."""

    signature = inspect.signature(run)

    @functools.wraps(run)
    def locked(*args: P.args, **kwargs: P.kwargs) -> R:
        # Prefect passes parameters by position or by name: bind them as the function would.
        bound = signature.bind(*args, **kwargs)
        bound.apply_defaults()
        as_of, config = bound.arguments.get("as_of"), bound.arguments.get("config")
        from pipelines.as_of import night_of  # pandas: not needed by the lock itself

        settings = load_settings(Path(str(config)) if config else None)
        with night_lock(settings, night_of(as_of if isinstance(as_of, str) else None)):
            return run(*args, **kwargs)

    return locked
