"""Turn raw source values into contract types, vectorised, reporting the cells that fail.

Each coercer returns the typed column and a boolean mask of cells that held a value which
could not be read as the contract kind (missing cells are not failures here; whether a column
may be missing is checked by the validator).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import numpy as np
import pandas as pd

from hientai.contract import Column

TRUE_TEXT = frozenset({"true", "t", "yes", "y", "1", "có", "x"})
FALSE_TEXT = frozenset({"false", "f", "no", "n", "0", "không"})
KIND_EXPECTED = {
    "string": "text",
    "int": "a whole number",
    "float": "a number",
    "bool": "true/false (also yes/no, 1/0)",
    "date": "a date",
    "year": "a year (e.g. 2024)",
    "category": "one of the allowed values",
}


def as_text(values: pd.Series) -> pd.Series:
    """Text view of any column: whole-number floats print without '.0' (Excel ids)."""
    if isinstance(values.dtype, pd.StringDtype):
        return values
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("string[pyarrow]").str.lower()
    if pd.api.types.is_integer_dtype(values.dtype):
        return values.astype("string[pyarrow]")
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values == np.floor(values))
        text = values.astype("string[pyarrow]")
        return text.mask(whole, values.where(whole).astype("Int64").astype("string[pyarrow]"))
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return values.dt.strftime("%Y-%m-%d").astype("string[pyarrow]")
    return values.map(_cell_text, na_action="ignore").astype("string[pyarrow]")


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime | pd.Timestamp):
        return value.strftime("%Y-%m-%d")
    return str(value)


DateFormats = str | Sequence[str] | None
ISO_DATE = "%Y-%m-%d"


def date_formats(date_format: DateFormats) -> tuple[str, ...]:
    """One format or several as a tuple; none means ISO dates."""
    if date_format is None:
        return (ISO_DATE,)
    return (date_format,) if isinstance(date_format, str) else tuple(date_format) or (ISO_DATE,)


def coerce(
    values: pd.Series, column: Column, *, date_format: DateFormats
) -> tuple[pd.Series, np.ndarray]:
    kind = column.kind
    if kind in ("string", "category"):
        return as_text(values), np.zeros(len(values), dtype=bool)
    if kind in ("int", "year"):
        return _to_int(values)
    if kind == "float":
        return _to_float(values)
    if kind == "bool":
        return _to_bool(values)
    return _to_date(values, date_format)


def to_numbers(values: pd.Series) -> pd.Series:
    """Numbers of any column as float64 (decimal commas read), NaN where a cell is not one."""
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        return values.astype("float64")
    text = as_text(values).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _to_float(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    numbers = to_numbers(values)
    bad = (values.notna() & (numbers.isna() | np.isinf(numbers))).to_numpy()
    return numbers.where(~bad), bad


def _to_int(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    numbers = to_numbers(values)
    whole = numbers.notna() & (numbers == np.floor(numbers)) & (numbers.abs() < 2**53)
    bad = (values.notna() & ~whole).to_numpy()
    return numbers.where(whole).astype("Int64"), bad


def _to_bool(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    if pd.api.types.is_bool_dtype(values.dtype):
        return values.astype("boolean"), np.zeros(len(values), dtype=bool)
    text = as_text(values).str.lower()
    is_true = text.isin(TRUE_TEXT).fillna(False).to_numpy(dtype=bool)
    is_false = text.isin(FALSE_TEXT).fillna(False).to_numpy(dtype=bool)
    result = pd.Series(pd.NA, index=values.index, dtype="boolean")
    result[is_true] = True
    result[is_false] = False
    bad = values.notna().to_numpy() & ~is_true & ~is_false
    return result, bad


def _to_date(values: pd.Series, date_format: DateFormats) -> tuple[pd.Series, np.ndarray]:
    parsed = parse_dates(values, date_format)
    bad = (values.notna() & parsed.isna()).to_numpy()
    return parsed, bad


def parse_dates(
    values: pd.Series, date_format: DateFormats, *, two_digit_years_from: int | None = None
) -> pd.Series:
    """Dates (datetime64, midnight) of any column, NaT where no format reads a cell.

    Excel date cells and datetimes are taken as they are; text is tried with each format in
    turn and the first that reads a cell wins. ``two_digit_years_from`` puts two-digit years
    (``%y``) in the hundred years from that year (1930: 29 -> 2029, 30 -> 1930) instead of
    Python's 1969-2068.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values.dt.tz_localize(None) if values.dt.tz is not None else values
        return parsed.astype("datetime64[ns]").dt.normalize()
    parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    todo = values.notna().to_numpy()
    if values.dtype == object:
        # Excel date cells arrive as datetimes; text cells are parsed with the formats.
        is_cell_date = values.map(lambda v: isinstance(v, dt.date)).astype(bool).to_numpy()
        if is_cell_date.any():
            parsed[is_cell_date] = pd.to_datetime(values[is_cell_date].map(pd.Timestamp))
        todo &= ~is_cell_date
    text = as_text(values)
    for fmt in date_formats(date_format):
        if not todo.any():
            break
        found = pd.to_datetime(text[todo], format=fmt, errors="coerce")
        if two_digit_years_from is not None and "%y" in fmt:
            found = _in_century_from(found, two_digit_years_from)
        hit = found.notna().to_numpy()
        parsed.iloc[np.flatnonzero(todo)[hit]] = found[hit].to_numpy()
        todo[np.flatnonzero(todo)[hit]] = False
    return parsed.astype("datetime64[ns]").dt.normalize()


def _in_century_from(dates: pd.Series, first_year: int) -> pd.Series:
    shift = (dates.dt.year - first_year) % 100 + first_year - dates.dt.year
    if not shift.fillna(0).any():
        return dates
    parts = {"year": dates.dt.year + shift, "month": dates.dt.month, "day": dates.dt.day}
    return pd.to_datetime(pd.DataFrame(parts), errors="coerce")


def expected_text(column: Column, date_format: DateFormats) -> str:
    if column.kind == "date":
        return "a date as " + " or ".join(date_formats(date_format))
    return KIND_EXPECTED[column.kind]
