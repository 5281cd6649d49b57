"""Turn raw source values into contract types, vectorised, reporting the cells that fail.

Each coercer returns the typed column and a boolean mask of cells that held a value which
could not be read as the contract kind (missing cells are not failures here; whether a column
may be missing is checked by the validator).
"""

from __future__ import annotations

import datetime as dt

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


def coerce(
    values: pd.Series, column: Column, *, date_format: str | None
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


def _numbers(values: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    ):
        return values.astype("float64")
    text = as_text(values).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce").astype("float64")


def _to_float(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    numbers = _numbers(values)
    bad = (values.notna() & (numbers.isna() | np.isinf(numbers))).to_numpy()
    return numbers.where(~bad), bad


def _to_int(values: pd.Series) -> tuple[pd.Series, np.ndarray]:
    numbers = _numbers(values)
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


def _to_date(values: pd.Series, date_format: str | None) -> tuple[pd.Series, np.ndarray]:
    fmt = date_format or "%Y-%m-%d"
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = values.dt.tz_localize(None) if values.dt.tz is not None else values
    elif values.dtype == object:
        # Excel date cells arrive as datetimes; text cells are parsed with the source's format.
        is_cell_date = values.map(lambda v: isinstance(v, dt.date)).astype(bool)
        parsed = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
        if is_cell_date.any():
            parsed[is_cell_date] = pd.to_datetime(values[is_cell_date].map(pd.Timestamp))
        text = ~is_cell_date & values.notna()
        if text.any():
            parsed[text] = pd.to_datetime(as_text(values[text]), format=fmt, errors="coerce")
    else:
        parsed = pd.to_datetime(as_text(values), format=fmt, errors="coerce")
    parsed = parsed.astype("datetime64[ns]").dt.normalize()
    bad = (values.notna() & parsed.isna()).to_numpy()
    return parsed, bad


def expected_text(column: Column, date_format: str | None) -> str:
    if column.kind == "date":
        return f"a date as {date_format or '%Y-%m-%d'}"
    return KIND_EXPECTED[column.kind]
