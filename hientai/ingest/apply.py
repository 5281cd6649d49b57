"""Apply one mapping source to a raw frame: filter rows, build contract columns.

The mapping stage never rejects a row itself: a value it cannot read (a date no format
parses, text where a number of years was expected) is left as it was, so the contract check
that follows rejects the row with its file, row, column and the offending value.
"""

from __future__ import annotations

import datetime as dt
import operator
import string
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from hientai.contract import Table
from hientai.ingest.coerce import as_text, parse_dates, to_numbers
from hientai.ingest.errors import MISSING_COLUMN, UNMAPPED_REQUIRED, IngestError
from hientai.ingest.mapping import ColumnSpec, Condition, Constant, Mapping, SourceSpec
from hientai.ingest.readers import RawFrame

DAYS_PER_YEAR = 365.25
# PyYAML reads yes/no/on/off as booleans; a cell written that way still matches.
BOOL_SPELLINGS = {
    True: ("true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"),
    False: ("false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"),
}
ORDERING: dict[str, Callable[[Any, Any], Any]] = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def yaml_text(value: object) -> str:
    """How a YAML scalar compares with cell text: 1 -> '1', True -> 'true', 1.0 -> '1'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def yaml_texts(value: object) -> tuple[str, ...]:
    """Every cell text a YAML scalar stands for (a boolean also as yes/no, on/off)."""
    if isinstance(value, bool):
        return BOOL_SPELLINGS[value]
    return (yaml_text(value),)


def _missing_column(raw: RawFrame, column: str, why: str) -> IngestError:
    return IngestError(
        MISSING_COLUMN.format(
            file=raw.label,
            row=max(raw.header_row, 1),
            column=column,
            why=why,
            found=", ".join(map(str, raw.data.columns)),
        )
    )


def check_source_columns(
    raw: RawFrame, spec: SourceSpec, mapping: Mapping, table: Table, index: int
) -> None:
    """Every column the mapping names exists; every required contract column is produced."""
    found = set(raw.data.columns)
    where = f"{mapping.label} at tables.{table.name}[{index}]"
    for name, col_spec in spec.columns.items():
        for source_column in col_spec.source_columns():
            if source_column not in found:
                raise _missing_column(raw, source_column, f" (named by {where}.columns.{name})")
    for source_column in spec.condition_columns():
        if source_column not in found:
            raise _missing_column(raw, source_column, f" (named by {where}.where)")
    for column in table.columns:
        if column.required and column.name not in spec.columns:
            if mapping.path is not None:
                raise IngestError(
                    UNMAPPED_REQUIRED.format(
                        mapping=mapping.label,
                        table=table.name,
                        index=index,
                        column=column.name,
                        file=raw.label,
                    )
                )
            raise _missing_column(raw, column.name, f" (required by contract table {table.name})")


def apply_source(raw: RawFrame, spec: SourceSpec) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Mapped frame (contract column names, raw values), row numbers, rows filtered out."""
    data, rows = raw.data, raw.row_numbers
    keep = conditions_hold(data, spec.where or [])
    filtered_out = int((~keep).sum())
    if filtered_out:
        data, rows = data.loc[keep].reset_index(drop=True), rows[keep]
    mapped = pd.DataFrame(
        {name: column_values(data, col_spec) for name, col_spec in spec.columns.items()},
        index=data.index,
    )
    if spec.distinct:
        first = ~mapped.astype(str).duplicated().to_numpy()
        filtered_out += int((~first).sum())
        mapped, rows = mapped.loc[first].reset_index(drop=True), rows[first]
    return mapped, rows, filtered_out


def column_values(data: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    """One contract column's values for every row of ``data``, in the spec's order of steps."""
    if spec.constant is not None:
        values = _constant(data, spec.constant)
    elif spec.template is not None:
        values = _template(data, spec.template)
    elif spec.when is not None:
        values = _when(data, spec)
    else:  # the model allows exactly one origin: here, source
        values = data[spec.source]
    if spec.values is not None:
        values = _map_values(values, spec.values)
    if spec.multiply is not None or spec.add is not None:
        values = _arithmetic(values, multiply=spec.multiply, add=spec.add)
    if spec.date_format is not None or spec.date_part is not None:
        values = _dates(values, spec)
    if spec.years_before is not None:
        values = _years_before(values, spec.years_before)
    return values


def _constant(data: pd.DataFrame, value: object) -> pd.Series:
    return pd.Series([value] * len(data), index=data.index, dtype=object)


def _template(data: pd.DataFrame, template: str) -> pd.Series:
    result = pd.Series("", index=data.index, dtype="string[pyarrow]")
    missing = np.zeros(len(data), dtype=bool)
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            result = result + literal
        if field:
            text = as_text(data[field])
            missing |= text.isna().to_numpy()
            result = result + text.fillna("")
    return result.mask(missing)


def _when(data: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    """The first branch whose conditions hold gives the value; ``else`` (blank) otherwise."""
    result = _branch(data, spec.otherwise)
    # Later branches first, so that an earlier branch overwrites them where both hold.
    for branch in reversed(spec.when or []):
        hit = conditions_hold(data, branch.if_)
        if hit.any():
            result[hit] = _branch(data, branch.then)[hit].to_numpy(dtype=object)
    return result


def _branch(data: pd.DataFrame, value: ColumnSpec | Constant) -> pd.Series:
    if isinstance(value, ColumnSpec):
        found = column_values(data, value).astype(object)
        return found.where(pd.notna(found), None)
    return _constant(data, value)


def _map_values(values: pd.Series, value_map: dict[Any, Any]) -> pd.Series:
    """Cells whose text a key stands for take its value; every other cell passes unchanged."""
    lookup = {text: v for k, v in value_map.items() for text in yaml_texts(k)}
    text = as_text(values)
    hit = text.isin(list(lookup)).fillna(False).to_numpy(dtype=bool)
    mapped = values.astype(object).copy()
    mapped[hit] = text[hit].map(lookup).to_numpy(dtype=object)
    return mapped.where(pd.notna(mapped), None)


def _arithmetic(values: pd.Series, *, multiply: float | None, add: float | None) -> pd.Series:
    """``value * multiply + add`` where the cell is a number; other cells pass unchanged."""
    numbers = to_numbers(values)
    result = numbers * (1.0 if multiply is None else multiply) + (add or 0.0)
    return _where_read(values, result, numbers.notna().to_numpy())


def _dates(values: pd.Series, spec: ColumnSpec) -> pd.Series:
    """Dates read with the spec's formats (or a part of them); unread cells pass unchanged."""
    parsed = parse_dates(
        values, spec.date_formats or None, two_digit_years_from=spec.two_digit_years_from
    )
    if spec.date_part is not None:
        result: pd.Series = getattr(parsed.dt, spec.date_part).astype("Int64")
    else:
        result = parsed
    return _where_read(values, result, parsed.notna().to_numpy())


def _where_read(values: pd.Series, result: pd.Series, ok: np.ndarray) -> pd.Series:
    """``result`` where a cell was read (``ok``); the original cell elsewhere, so that
    validation names the value it could not read."""
    if not (values.notna().to_numpy() & ~ok).any():
        return result
    out = values.astype(object).copy()
    out[ok] = result[ok].to_numpy(dtype=object)
    return out


def _years_before(values: pd.Series, reference: dt.date) -> pd.Series:
    """A date that many calendar years (fractions as days) before ``reference``."""
    numbers = to_numbers(values)
    ok = (numbers.notna() & (numbers >= 0) & (numbers < reference.year - 1)).to_numpy()
    whole = np.floor(numbers.where(ok, 0)).astype("int64")
    day = min(reference.day, 28) if reference.month == 2 else reference.day
    dates = pd.to_datetime(
        pd.DataFrame({"year": reference.year - whole, "month": reference.month, "day": day})
    ) - pd.to_timedelta((numbers.where(ok, 0) - whole) * DAYS_PER_YEAR, unit="D")
    out = values.astype(object).copy()
    out[ok] = dates[ok].dt.normalize().to_numpy(dtype=object)
    return out


def conditions_hold(data: pd.DataFrame, conditions: Sequence[Condition]) -> np.ndarray:
    """Rows where every condition holds (no conditions: every row)."""
    keep = np.ones(len(data), dtype=bool)
    for condition in conditions:
        keep &= _holds(data, condition)
    return keep


def _holds(data: pd.DataFrame, cond: Condition) -> np.ndarray:
    left = data[cond.column]
    present = left.notna().to_numpy()
    if cond.op in ("blank", "not_blank"):
        return ~present if cond.op == "blank" else present
    if cond.op in ("in", "not_in", "==", "!=") and cond.other is None:
        choices = cond.value if isinstance(cond.value, list) else [cond.value]
        texts = [t for choice in choices for t in yaml_texts(choice)]
        hit = as_text(left).isin(texts).fillna(False).to_numpy(dtype=bool)
        return hit if cond.op in ("in", "==") else present & ~hit
    if cond.op in ("==", "!=") and cond.other is not None:
        right = as_text(data[cond.other])
        known = present & right.notna().to_numpy()
        same = (as_text(left) == right).fillna(False).to_numpy(dtype=bool)
        return known & (same if cond.op == "==" else ~same)
    lhs, rhs = _comparable(data, cond)
    return ORDERING[cond.op](lhs, rhs).fillna(False).to_numpy(dtype=bool)


def _comparable(data: pd.DataFrame, cond: Condition) -> tuple[pd.Series, Any]:
    """Both sides of an ordering test as numbers, or as dates (NaN/NaT where unreadable)."""
    if cond.compares_dates:
        formats = cond.date_format
        lhs: pd.Series = parse_dates(data[cond.column], formats)
        if cond.other is not None:
            return lhs, parse_dates(data[cond.other], formats)
        return lhs, pd.Timestamp(cond.value)
    lhs = to_numbers(data[cond.column])
    if cond.other is not None:
        return lhs, to_numbers(data[cond.other])
    return lhs, float(cond.value)
