"""A training frame's dates on worker processes, one per core (``features.per_date.PerDate``).

Labelling a date and building its features are single-threaded passes over the whole extract;
a national training frame spends most of its time in them, six dates one after the other. Here
each worker process reads the snapshot's tables once and then takes dates as they come.

Workers are spawned, not forked (pipelines/spawned.py). A spawned worker starts a fresh
interpreter, imports the job's modules (this one imports no Prefect) and reads the tables
itself: about 5 s nationally, against 20-25 s a date.
"""

from __future__ import annotations

import contextlib
import functools
import multiprocessing
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from types import TracebackType
from typing import Literal

from features.inputs import FEATURE_INPUTS
from features.per_date import InProcess, Item, Result, Tables
from hientai.storage import Snapshot, SnapshotStore
from pipelines.spawned import (
    available_cores,
    main_module_hidden,
    spawned_pool,
    stop,
    watch_parent,
)

# Below this many rows in the tables features read, a date takes about as long as starting a
# worker, so the dates run in the training's own process ("auto"). Measured (prepare_training,
# 1 / 2 workers): 637,655 rows (20,000 people) 3.1-3.5 / 2.9-3.1 s; 6,319,164 rows 20.3-21.5 /
# 16.4-16.8 s; 31,539,824 rows 134.0 / 84.8 s.
WORKERS_FROM_ROWS = 500_000
# "auto" uses at most this many workers: each holds the extract's tables (about 4.6 GiB for the
# national extract of 1,000,000 people), and a training frame has 6 dates by default.
AUTO_MAX_WORKERS = 2
WORKER_DIED = (
    "a training-frame worker process ended abruptly ({error}); each of the {workers} workers "
    "holds the extract's tables, so it was most likely killed by the kernel for memory (a "
    "worker's own error, if it had one, is on standard error above). Set "
    "training.frame_workers: 1 in the config to build the dates one after the other in the "
    "training's own process"
)
UNREADABLE = "a training-frame worker could not read the snapshot's tables: {error}"
# A worker waits this long for the others to start (so that all of them start while the main
# module is hidden); past it, it goes on.
START_TIMEOUT_S = 120.0


class FrameWorkerLost(RuntimeError):
    """A worker process of a training frame ended, or failed, without finishing its dates."""


def read_feature_tables(snapshot: Snapshot) -> Tables:
    """The columns features and labels read of each of a snapshot's tables."""
    return {
        name: snapshot.read(name, columns=list(FEATURE_INPUTS[name]))
        for name in snapshot.tables
        if name in FEATURE_INPUTS
    }


def load_snapshot_tables(snapshots_dir: Path, snapshot_id: str) -> Tables:
    return read_feature_tables(SnapshotStore(snapshots_dir).open(snapshot_id))


def worker_count(setting: int | Literal["auto"], snapshot: Snapshot) -> int:
    """How many worker processes build a training frame (1: none, the dates run in-process)."""
    if setting != "auto":
        return setting
    rows = sum(snapshot.rows(name) for name in snapshot.tables if name in FEATURE_INPUTS)
    if rows < WORKERS_FROM_ROWS:
        return 1
    return max(1, min(AUTO_MAX_WORKERS, available_cores()))


# A worker process's state: the tables it holds, or why it could not read them, and the
# barrier its first job waits at until every worker has started.
_HELD: Tables = {}
_UNREADABLE: list[str] = []
_ALL_STARTED: list[threading.Barrier] = []


def _hold(load: Callable[[], Tables], started: threading.Barrier) -> None:
    watch_parent()
    _ALL_STARTED.append(started)
    try:
        _HELD.update(load())
    except MemoryError:
        raise  # the worker ends and the pool breaks: WORKER_DIED says what to do
    except Exception as error:  # reported by the first job, in the training's own log
        _UNREADABLE.append(f"{type(error).__name__}: {error}")


def _started() -> None:
    # Past the timeout the worker goes on (a worker that died has broken the pool already, and
    # the next job says so).
    with contextlib.suppress(threading.BrokenBarrierError):
        _ALL_STARTED[0].wait(timeout=START_TIMEOUT_S)


def _tables() -> Tables:
    if _UNREADABLE:
        raise FrameWorkerLost(UNREADABLE.format(error=_UNREADABLE[0]))
    return _HELD


def _run_one(job: Callable[[Tables, Item], Result], item: Item) -> Result:
    return job(_tables(), item)


def _run_once(job: Callable[[Tables], Result]) -> Result:
    return job(_tables())


@contextlib.contextmanager
def _lost_workers_reported(workers: int) -> Iterator[None]:
    try:
        yield
    except BrokenProcessPool as error:
        raise FrameWorkerLost(WORKER_DIED.format(error=error, workers=workers)) from error


class FrameWorkers:
    """``workers`` spawned processes, each holding ``load()``'s tables; a context manager (the
    processes stop on leaving it). With ``workers == 1`` the tables are loaded here instead and
    the jobs run in this process."""

    def __init__(self, load: Callable[[], Tables], workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self.workers = workers
        self._load = load
        self._here: InProcess | None = None
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> FrameWorkers:
        if self.workers > 1:
            barrier = multiprocessing.get_context("spawn").Barrier(self.workers)
            self._pool = spawned_pool(self.workers, _hold, (self._load, barrier))
            # Each submit starts a worker while none is idle, and no worker is idle before
            # all have started (the barrier): all of them start here.
            with main_module_hidden():
                for _ in range(self.workers):
                    self._pool.submit(_started)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        stop(self._pool)
        self._pool = None
        self._here = None

    def _in_process(self) -> InProcess:
        if self._here is None:
            self._here = InProcess(self._load())
        return self._here

    def map(self, job: Callable[[Tables, Item], Result], items: Sequence[Item]) -> list[Result]:
        if self._pool is None:
            return self._in_process().map(job, items)
        futures = [self._pool.submit(_run_one, job, item) for item in items]
        try:
            with _lost_workers_reported(self.workers):
                return [future.result() for future in futures]
        finally:
            for future in futures:
                future.cancel()

    def call(self, job: Callable[[Tables], Result]) -> Result:
        if self._pool is None:
            return self._in_process().call(job)
        with _lost_workers_reported(self.workers):
            return self._pool.submit(_run_once, job).result()


def frame_workers(
    snapshots_dir: Path, snapshot: Snapshot, setting: int | Literal["auto"]
) -> FrameWorkers:
    """The workers of a snapshot's training frame (``training.frame_workers``)."""
    load = functools.partial(load_snapshot_tables, snapshots_dir, snapshot.id)
    return FrameWorkers(load, worker_count(setting, snapshot))
