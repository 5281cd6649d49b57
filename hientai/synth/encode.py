"""Compact encodings shared by the generator: random streams, day numbers and typed columns.

Inside the generator every date is an int32 day number (days since 1970-01-01), every id an
integer index and every category an integer code; this module turns them into the written
column types (pyarrow-backed strings, pandas categoricals, datetime64) only at the end.
"""

from __future__ import annotations

import datetime as dt
import zlib
from collections.abc import Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = dt.date(1970, 1, 1)
DAYS_PER_YEAR = 365.25
NO_DATE = np.iinfo(np.int32).min  # sentinel for "no date" in day-number arrays


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent random stream per concept, so adding draws in one place keeps the others."""
    return np.random.default_rng([seed, zlib.crc32(name.encode("utf-8"))])


def day_number(date: dt.date) -> int:
    return (date - EPOCH).days


def year_bounds(year: int, end_day: int) -> tuple[int, int]:
    """First and last day of ``year`` as day numbers, the last clipped to the extract's end."""
    first = day_number(dt.date(year, 1, 1))
    last = min(day_number(dt.date(year, 12, 31)), end_day)
    return first, last


def years_to_days(years: np.ndarray | float) -> np.ndarray:
    return np.round(np.asarray(years) * DAYS_PER_YEAR).astype(np.int32)


def december_31(year: np.ndarray) -> np.ndarray:
    """Day number of 31 December of each year (vectorised)."""
    first_next = (np.asarray(year, dtype=np.int64) - 1969).astype("datetime64[Y]")
    return first_next.astype("datetime64[D]").astype(np.int64) - 1


def uniform_days(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """A uniform day in [low, high] for each element (high >= low)."""
    span = (np.asarray(high, dtype=np.int64) - low + 1).clip(min=1)
    return (low + np.floor(rng.random(span.shape) * span)).astype(np.int32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def dates(days: np.ndarray, valid: np.ndarray | None = None) -> pd.Series:
    """Day numbers as a datetime64 column (date only); invalid entries become NaT."""
    values = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    if valid is not None:
        values[~valid] = np.datetime64("NaT")
    return pd.Series(values.astype("datetime64[s]"))


def numbered_ids(prefix: str, count: int, *, width: int | None = None) -> pa.Array:
    """``prefix`` followed by 1..count, zero padded: a compact pyarrow string array."""
    digits = width or max(6, len(str(count)))
    numbers = pc.cast(pa.array(np.arange(1, count + 1, dtype=np.int64)), pa.string())
    padded = pc.utf8_lpad(numbers, width=digits, padding="0")
    return pc.binary_join_element_wise(prefix, padded, "")


def strings(
    vocabulary: Sequence[str] | pa.Array, codes: np.ndarray, valid: np.ndarray | None = None
) -> pd.Series:
    """Look ``codes`` up in ``vocabulary``; a pyarrow-backed string column (NA where invalid)."""
    table = vocabulary if isinstance(vocabulary, pa.Array) else pa.array(list(vocabulary))
    index = pa.array(np.asarray(codes, dtype=np.int64), mask=None if valid is None else ~valid)
    taken = table.take(index)
    return pd.Series(pd.arrays.ArrowStringArray(taken))


def categories(
    vocabulary: Sequence[str], codes: np.ndarray, valid: np.ndarray | None = None
) -> pd.Series:
    """Integer codes into the vocabulary as a pandas categorical (NA where invalid)."""
    coded = np.asarray(codes, dtype=np.int16).copy()
    if valid is not None:
        coded[~valid] = -1
    return pd.Series(pd.Categorical.from_codes(coded, categories=list(vocabulary)))


def join_strings(*parts: pd.Series | str, separator: str = "") -> pd.Series:
    """Element-wise concatenation of string columns and literals (NA if any part is NA)."""
    arrays = [
        pa.scalar(p, pa.large_string()) if isinstance(p, str) else p.array.__arrow_array__()
        for p in parts
    ]
    joined = pc.binary_join_element_wise(*arrays, pa.scalar(separator, pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(joined))
