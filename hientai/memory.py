"""How a batch process (a night, a feature build) treats the memory it frees.

A feature build allocates and frees arrays of a million rows by the hundred. By default each
large array is a fresh mapping from the kernel (glibc maps blocks above a threshold, at most
32 MiB, and gives freed ones back), and NumPy asks for transparent huge pages on the ones of
4 MiB or more: every new array is a page fault per page, each page zeroed by the kernel, and a
huge page is zeroed whole. Measured on the national extract (docs/benchmarks.md, "Issue 12:
memory kept, the champion ahead, drift sorted once"): the kernel zeroing pages was 30% of the
feature stage's processor time, which took 18.4-20.8 s; with freed memory kept for the
process's next arrays, 15.4-15.8 s, its peak 4.73-4.78 -> 4.85-5.01 GiB.

``keep_freed_memory`` keeps it: glibc serves every block from its heap (``M_MMAP_MAX`` 0) and
returns the heap's free top only beyond 2 GiB (``M_TRIM_THRESHOLD``, an int: its largest
value); NumPy stops asking for huge pages. It changes where memory comes from, never a value.
The process holds its peak until it ends, so only batch processes do it (the setting
``keep_freed_memory``), never the review app. Elsewhere than glibc (musl, macOS) the glibc half
is skipped.
"""

from __future__ import annotations

import ctypes
import platform
import threading
from collections.abc import Mapping
from dataclasses import dataclass

# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_MAX = -4
TRIM_ABOVE = 2**31 - 1  # mallopt takes an int

_LOCK = threading.Lock()
_KEPT: KeptMemory | None = None


@dataclass(frozen=True)
class KeptMemory:
    """What took effect: the C heap keeps freed blocks; NumPy asks for no huge pages."""

    heap: bool
    numpy_small_pages: bool


def _glibc_keeps() -> bool:
    if not _is_glibc():
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    # Both or neither: without the trim threshold, the heap would give back what it keeps.
    return bool(libc.mallopt(M_TRIM_THRESHOLD, TRIM_ABOVE) and libc.mallopt(M_MMAP_MAX, 0))


def _numpy_small_pages() -> bool:
    import importlib

    # NumPy's own switch (what NUMPY_MADVISE_HUGEPAGE=0 sets at import): numpy._core since
    # NumPy 2, numpy.core before.
    try:
        multiarray = importlib.import_module("numpy._core.multiarray")
    except ImportError:
        multiarray = importlib.import_module("numpy.core.multiarray")
    setter = getattr(multiarray, "_set_madvise_hugepage", None)
    if setter is None:
        return False
    setter(False)
    return True


# One glibc heap for all the process's threads. By default each thread that allocates gets a
# heap of its own (up to eight per core), and those give freed memory back whatever the
# settings above say: a block above 64 MiB is always a fresh mapping, an emptied heap is
# unmapped. glibc reads this only as the process starts, so a batch command sets it for a
# process of its own (hientai_app.cli) and the deployments in their environment (prefect.yaml).
ONE_HEAP = {"MALLOC_ARENA_MAX": "1"}


def one_heap_environment(environ: Mapping[str, str]) -> dict[str, str] | None:
    """``environ`` with ``ONE_HEAP``, for a process to start with; None where glibc is not the
    C library or the environment already chooses (the user's value wins)."""
    if not _is_glibc() or any(name in environ for name in ONE_HEAP):
        return None
    return {**environ, **ONE_HEAP}


def _is_glibc() -> bool:
    return platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"


def keep_freed_memory() -> KeptMemory:
    """Keep this process's freed memory for its next arrays (see the module's docstring).
    For the rest of the process's life; calling it again changes nothing."""
    global _KEPT
    with _LOCK:
        if _KEPT is None:
            _KEPT = KeptMemory(heap=_glibc_keeps(), numpy_small_pages=_numpy_small_pages())
        return _KEPT
