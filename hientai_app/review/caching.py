"""Two small per-process caches for pages.

``Kept`` holds what never changes once a night is published (a list's entries, a person's
explanation, a 9-box cell), keyed by run id, the newest used kept up to a size. ``Recent``
holds what may change (the signed-in account, the night's run row) for a few seconds, so
twenty pages a second ask the database once a second instead of twenty times."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Kept(Generic[V]):
    """The ``size`` most recently used values, each computed once (two threads asking for a
    missing key at once may both compute it; both get a correct value)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError(f"a cache keeps at least one value, not {size}")
        self.size = size
        self._values: OrderedDict[Hashable, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                self._values.move_to_end(key)
                return self._values[key]
        value = compute()
        with self._lock:
            self._values[key] = value
            self._values.move_to_end(key)
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return value


class Recent(Generic[V]):
    """Values at most ``seconds`` old (0: never kept); ``forget`` drops them at once, and a
    value computed while a ``forget`` ran is not kept (it may be from before the change)."""

    def __init__(self, seconds: float, *, size: int = 4096) -> None:
        self.seconds = seconds
        self.size = size
        self._values: dict[Hashable, tuple[float, V]] = {}
        self._generation = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable, compute: Callable[[], V], *, seconds: float | None = None) -> V:
        limit = self.seconds if seconds is None else seconds
        if limit <= 0:
            return compute()
        now = time.monotonic()
        with self._lock:
            found, generation = self._values.get(key), self._generation
        if found is not None and now - found[0] < limit:
            return found[1]
        value = compute()
        with self._lock:
            if generation == self._generation:
                if len(self._values) >= self.size:
                    self._values.clear()
                self._values[key] = (now, value)
        return value

    def forget(self, match: Callable[[Hashable], bool]) -> None:
        with self._lock:
            self._generation += 1
            for key in [key for key in self._values if match(key)]:
                del self._values[key]
