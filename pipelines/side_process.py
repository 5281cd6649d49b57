"""The night's side process: stages that read only files run there, beside the main line.

A night is a chain of single-threaded stages on one core. Three of them need nothing from the
stages running at the same time, only files already written: the early warnings (the snapshot
and the features), the drift (the features and the scores) and the explanations (the
shortlists). On a thread they gained little, the GIL making the two lines take turns
(docs/benchmarks.md); in a spawned process they run on the second core. The publish's HTML
report and Excel export are written there too while the database takes the night's rows. The
process starts with the night, so its imports happen while the features are built, and ends
with it.

``nightly.side_process``: ``auto`` uses it on a machine with two cores or more for a snapshot
of at least ``SIDE_FROM_PEOPLE`` people; ``true`` whenever it can; ``false`` never (the side
stages then run on threads of the flow's process).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from types import TracebackType
from typing import Any, Literal, TypeVar

from hientai.memory import keep_freed_memory
from hientai.storage import Snapshot
from pipelines.spawned import (
    available_cores,
    main_module_hidden,
    spawned_pool,
    stop,
    watch_parent,
)

# Below this many people a night's side stages take well under a second each: a process that
# spends seconds importing would only compete with the main line for the second core.
SIDE_FROM_PEOPLE = 100_000
SIDE_DIED = (
    "the night's side process (early warnings, drift, explanations) ended abruptly ({error}); "
    "it was most likely killed by the kernel for memory (its own error, if it had one, is on "
    "standard error above). Set nightly.side_process: false in the config to run those stages "
    "in the night's own process"
)

T = TypeVar("T")


def side_process_wanted(setting: bool | Literal["auto"], snapshot: Snapshot) -> bool:
    """Whether a night on ``snapshot`` runs its side stages in a process of their own."""
    if setting != "auto":
        return setting
    return available_cores() >= 2 and snapshot.rows("people") >= SIDE_FROM_PEOPLE


def _timed(job: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    started = time.perf_counter()
    result = job(*args, **kwargs)
    return result, time.perf_counter() - started


def _warm(keep_memory: bool) -> None:
    """Import what the side stages run while the main line builds the features; keep the
    memory freed as the night's process does (``keep_freed_memory``)."""
    if keep_memory:
        keep_freed_memory()
    import pipelines.nightly_drift
    import pipelines.nightly_stages
    import pipelines.report  # noqa: F401


class SideLost(RuntimeError):
    """The side process ended without finishing a stage."""


class SideProcess:
    """Runs jobs in one spawned process (``enabled``) or where they are called (not). A
    context manager: the process starts on entering and stops on leaving, after its jobs."""

    def __init__(self, enabled: bool, *, keep_memory: bool = False) -> None:
        self.enabled = enabled
        self.keep_memory = keep_memory
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: list[Future[Any]] = []
        self._lock = threading.Lock()  # jobs are submitted from the flow's task threads

    def __enter__(self) -> SideProcess:
        if self.enabled:
            self._pool = spawned_pool(1, watch_parent)
            with main_module_hidden():  # the process starts with the first job
                self._submit(_warm, self.keep_memory)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        stop(self._pool)
        self._pool = None

    def run(self, job: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
        """``job(*args, **kwargs)`` in the side process (its exception raised here), or here;
        with the seconds it ran (not those it waited behind another job)."""
        if self._pool is None:
            return _timed(job, *args, **kwargs)
        try:
            return self._submit(_timed, job, *args, **kwargs).result()
        except BrokenProcessPool as error:
            raise SideLost(SIDE_DIED.format(error=error)) from error

    def start(self, job: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """``job(*args, **kwargs)`` started in the side process, its ``Future`` returned at
        once; without the process it runs here first (its error raised here, as before)."""
        if self._pool is None:
            done: Future[T] = Future()
            done.set_result(job(*args, **kwargs))
            return done
        return self._submit(job, *args, **kwargs)

    def _submit(self, job: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        assert self._pool is not None
        with self._lock:
            submitted = self._pool.submit(job, *args, **kwargs)
            self._jobs = [*(j for j in self._jobs if not j.done()), submitted]
        return submitted

    def busy(self) -> bool:
        """Whether a job is running or waiting in the side process (never, without it)."""
        with self._lock:
            return any(not job.done() for job in self._jobs)

    def result(self, started: Future[T]) -> T:
        """What ``start`` started, once it has ended (its exception raised here)."""
        try:
            return started.result()
        except BrokenProcessPool as error:
            raise SideLost(SIDE_DIED.format(error=error)) from error

    def describe(self) -> str:
        """Where the jobs run: "process" or "threads" (of the caller's process)."""
        return "process" if self._pool is not None else "threads"
