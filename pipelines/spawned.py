"""What every spawned helper process of a run needs: its start without re-running the main
program, and its end when the run's process dies (pipelines/frame_workers.py, the night's side
process in pipelines/side_process.py).

Helpers are spawned, not forked: runs happen inside Prefect flows and tasks, whose threads (an
event loop, log and event workers) a forked child would not have while holding their locks.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import threading
import types
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any

_MAIN_SWAP = threading.Lock()


@contextlib.contextmanager
def main_module_hidden() -> Iterator[None]:
    """While helpers start: a spawned child runs the parent's main module again first (a
    script, ``hientai``'s entry point, Prefect's engine), which costs its imports and, in a
    script without a ``__main__`` guard, starts the whole run again. Jobs live in modules of
    their own, so the children are told there is none."""
    with _MAIN_SWAP:
        main = sys.modules["__main__"]
        sys.modules["__main__"] = types.ModuleType("__main__")
        try:
            yield
        finally:
            sys.modules["__main__"] = main


def exit_with_parent() -> None:
    """Run on a daemon thread of a helper: a helper whose parent was killed (SIGKILL, the OOM
    killer) would otherwise wait for jobs for ever, holding its memory."""
    parent = multiprocessing.parent_process()
    if parent is not None:
        parent.join()
        os._exit(1)


def watch_parent() -> None:
    """A helper's first step: start ``exit_with_parent`` on a daemon thread."""
    threading.Thread(target=exit_with_parent, daemon=True).start()


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity: what taskset or a container's cpuset
    allows; a CPU quota such as Docker's --cpus does not change it)."""
    return len(os.sched_getaffinity(0))


def spawned_pool(
    workers: int, initializer: Callable[..., None], initargs: tuple[Any, ...] = ()
) -> ProcessPoolExecutor:
    """A pool of ``workers`` spawned processes, each running ``initializer(*initargs)`` first.
    Processes start with the pool's first jobs: submit those inside ``main_module_hidden``."""
    return ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=initargs,
    )


def stop(pool: ProcessPoolExecutor | None) -> None:
    """Stop a pool once its running jobs end (queued ones are cancelled); None: nothing."""
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)
