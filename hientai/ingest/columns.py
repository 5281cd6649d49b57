"""Per-source checks: coerce each contract column and check it on its own.

Runs per source file so that each source's date formats apply; cross-row checks (keys, foreign
keys, dates against birth) run once per table in ``hientai.ingest.validate``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from hientai.contract import Column, Table
from hientai.ingest.coerce import as_text, coerce, expected_text
from hientai.ingest.issues import Issues, quoting

EARLIEST = pd.Timestamp("1900-01-01")


def typed_source(
    table: Table,
    mapped: pd.DataFrame,
    *,
    date_formats: Mapping[str, str | Sequence[str]],
    org_levels: tuple[str, ...],
    today: pd.Timestamp,
) -> tuple[pd.DataFrame, Issues]:
    """Contract-typed frame for one source's rows, and the cells that broke a column rule."""
    issues = Issues(len(mapped))
    typed: dict[str, pd.Series] = {}
    for column in table.columns:
        if column.name not in mapped.columns:
            typed[column.name] = _absent(column, mapped.index, org_levels)
            continue
        raw = mapped[column.name]
        fmt = date_formats.get(column.name)
        values, bad = coerce(raw, column, date_format=fmt)
        if bad.any():
            got = "got '" + as_text(raw).astype(object).where(bad, "") + "'"
            issues.add(
                bad,
                column.name,
                f"type:{column.kind}",
                f"expected {expected_text(column, fmt)}, " + got,
            )
        values = values.where(~bad) if bad.any() else values
        typed[column.name] = _check_column(values, column, issues, org_levels, today)
    return pd.DataFrame(typed, index=mapped.index), issues


def _absent(column: Column, index: pd.Index, org_levels: tuple[str, ...]) -> pd.Series:
    dtype = _dtype(column, org_levels)
    if column.default is None:
        return pd.Series(index=index, dtype=dtype)
    return pd.Series(column.default, index=index).astype(dtype)


def _dtype(column: Column, org_levels: tuple[str, ...]) -> object:
    if column.kind == "category":
        return pd.CategoricalDtype(column.allowed_categories(org_levels))
    return {
        "string": "string[pyarrow]",
        "int": "Int64",
        "year": "Int64",
        "float": "float64",
        "bool": "boolean",
        "date": "datetime64[ns]",
    }[column.kind]


def _check_column(
    values: pd.Series,
    column: Column,
    issues: Issues,
    org_levels: tuple[str, ...],
    today: pd.Timestamp,
) -> pd.Series:
    name = column.name
    present = values.notna().to_numpy()
    missing_but_required = ~present & ~column.nullable & ~issues.bad_in([name])
    issues.add(missing_but_required, name, "required", "is blank but required")
    allowed = column.allowed_categories(org_levels)
    if allowed is not None:
        unknown = present & ~values.isin(allowed).to_numpy()
        shown = ", ".join(allowed)
        issues.add(
            unknown, name, "category", quoting(values, "unknown value '", f"'; allowed: {shown}")
        )
        return pd.Series(
            pd.Categorical(values.where(~unknown), categories=allowed), index=values.index
        )
    if column.min_value is not None or column.max_value is not None:
        _check_range(values, column, issues)
    if column.pattern is not None:
        matches = values.str.fullmatch(column.pattern).fillna(False).to_numpy(dtype=bool)
        expected = f"' does not match the expected format {column.pattern}"
        issues.add(present & ~matches, name, "pattern", quoting(values, "'", expected))
    if column.kind in ("date", "year"):
        _check_calendar(values, column, issues, today)
    return values


def _check_range(values: pd.Series, column: Column, issues: Issues) -> None:
    numbers = values.astype("float64")
    low = column.min_value if column.min_value is not None else -np.inf
    high = column.max_value if column.max_value is not None else np.inf
    outside = (numbers.notna() & ((numbers < low) | (numbers > high))).to_numpy()
    issues.add(
        outside, column.name, "range", quoting(numbers, "", f" is outside [{low:g}, {high:g}]")
    )


def _check_calendar(
    values: pd.Series, column: Column, issues: Issues, today: pd.Timestamp
) -> None:
    # The texts quote the value: built for the rows that fail only (strftime over a
    # ten-million-row column was a tenth of an ingest).
    if column.kind == "year":
        years = values.astype("float64")
        future = (years > today.year).fillna(False).to_numpy(dtype=bool)
        ancient = (years < EARLIEST.year).fillna(False).to_numpy(dtype=bool)

        def shown(at: np.ndarray) -> pd.Series:
            return years.iloc[at].astype(int).astype(str).astype(object)
    else:
        future = (values > today).fillna(False).to_numpy(dtype=bool)
        ancient = (values < EARLIEST).fillna(False).to_numpy(dtype=bool)

        def shown(at: np.ndarray) -> pd.Series:
            return values.iloc[at].dt.strftime("%Y-%m-%d").astype(object)

    if column.future_allowed:
        future = np.zeros_like(future)
    in_future = f" is in the future (today is {today:%Y-%m-%d})"
    issues.add(future, column.name, "future", lambda at: (shown(at) + in_future).to_numpy())
    issues.add(
        ancient, column.name, "too_early", lambda at: (shown(at) + " is before 1900").to_numpy()
    )
