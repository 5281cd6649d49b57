"""Building blocks of the data contract: columns, row rules and tables.

The contract itself (which tables exist, what each column means, which are protected) is in
``hientai.contract.tables``; validation, documentation, storage and masking all read it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

ColumnKind = Literal["string", "int", "float", "bool", "date", "year", "category"]


@dataclass(frozen=True)
class Column:
    """One column of a contract table.

    ``required`` means a source must provide the column; an optional column that a source does
    not provide is filled with ``default`` (missing when ``default`` is None). ``nullable``
    means a provided column may hold blanks. ``references`` is ``"table.column"`` for foreign
    keys. ``after_birth`` applies to date and year columns of person tables: the value may not
    precede the person's birth date. Every date and year must also not be in the future.
    """

    name: str
    kind: ColumnKind
    description: str
    required: bool = True
    nullable: bool = False
    categories: tuple[str, ...] | None = None
    categories_setting: str | None = None  # categories read from settings (e.g. org levels)
    min_value: float | None = None
    max_value: float | None = None
    pattern: str | None = None
    references: str | None = None
    protected: bool = False
    after_birth: bool = False
    # A planned date (e.g. when a discipline lapses) may lie in the future; recorded events not.
    future_allowed: bool = False
    default: object = None

    def allowed_categories(self, org_levels: tuple[str, ...]) -> tuple[str, ...] | None:
        if self.categories_setting == "org_levels":
            return org_levels
        return self.categories


@dataclass(frozen=True)
class RowRule:
    """A rule across several columns of one row. ``violated`` returns True where it is broken.

    ``violated`` is called only on rows whose ``columns`` all passed their own column checks.
    """

    name: str
    columns: tuple[str, ...]
    message: str
    violated: Callable[[pd.DataFrame], pd.Series]


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...]
    required: bool = False
    person_column: str | None = None
    rules: tuple[RowRule, ...] = field(default_factory=tuple)
    # The column dating when a record becomes known (point-in-time cuts, extract date range).
    event_date: str | None = None

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def protected_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.protected)

    @property
    def feature_columns(self) -> tuple[str, ...]:
        """Columns that feature and model code may read: everything but protected columns."""
        return tuple(c.name for c in self.columns if not c.protected)
