"""Where a training frame's per-date work runs.

A training frame labels its people and builds their features at several as_of dates, each a
single-threaded pass over the whole extract. ``PerDate`` is what that work needs: run a job on
the extract's tables for each of some items, or once. ``InProcess`` runs the jobs here, on tables
already in memory; ``pipelines.frame_workers`` runs them on worker processes that each hold the
tables, one date per core. Jobs are module-level functions (or ``functools.partial`` of them) so
that they can be sent to another process; they must not depend on which process runs them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

import pandas as pd

Tables = dict[str, pd.DataFrame]
Item = TypeVar("Item")
Result = TypeVar("Result")


class PerDate(Protocol):
    def map(self, job: Callable[[Tables, Item], Result], items: Sequence[Item]) -> list[Result]:
        """``job(tables, item)`` for each item, results in the items' order."""
        ...

    def call(self, job: Callable[[Tables], Result]) -> Result:
        """``job(tables)`` once."""
        ...


class InProcess:
    """Per-date jobs run one after the other in this process, on ``tables``."""

    def __init__(self, tables: Tables) -> None:
        self.tables = tables

    def map(self, job: Callable[[Tables, Item], Result], items: Sequence[Item]) -> list[Result]:
        return [job(self.tables, item) for item in items]

    def call(self, job: Callable[[Tables], Result]) -> Result:
        return job(self.tables)


def per_date(source: Tables | PerDate) -> PerDate:
    """The tables themselves (run here) or a ``PerDate`` already holding them."""
    return InProcess(source) if isinstance(source, dict) else source
