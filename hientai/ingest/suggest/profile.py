"""What each column of a source file holds: blanks, distinct values, numbers, date formats."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from hientai.ingest.coerce import as_text, parse_dates, to_numbers
from hientai.ingest.readers import RawFrame
from hientai.ingest.suggest.synonyms import role_of

DATE_FORMATS = (
    "%Y-%m-%d", "%d/%m/%Y", "%m/%d/%Y", "%d/%m/%y", "%m/%d/%y", "%d-%m-%Y", "%m-%d-%Y",
    "%d.%m.%Y", "%Y/%m/%d", "%Y-%m-%d %H:%M:%S", "%d-%b-%Y", "%d %b %Y", "%b %d, %Y",
)  # fmt: skip


MAX_VALUES = 50  # distinct values a category may have for its values to be mapped one by one


SAMPLE_VALUES = 2000  # distinct values tried against the date formats


@dataclass(frozen=True)
class Profile:
    """What one source column holds."""

    file: str
    name: str
    role: str | None
    present: int
    distinct: tuple[str, ...]  # most frequent first, at most MAX_VALUES
    n_distinct: int
    is_number: bool
    is_integer: bool
    low: float | None
    high: float | None
    date_formats: tuple[str, ...]

    @property
    def integer_codes(self) -> list[int]:
        return sorted(int(float(v)) for v in self.distinct) if self.is_integer else []


def profile(raw: RawFrame) -> list[Profile]:
    return [_profile(raw.label, str(name), raw.data[name]) for name in raw.data.columns]


def _profile(file: str, name: str, values: pd.Series) -> Profile:
    text = as_text(values).dropna()
    counts = text.value_counts()
    numbers = to_numbers(text)
    is_number = bool(len(text)) and bool(numbers.notna().all())
    is_integer = is_number and bool((numbers == numbers.round()).all())
    formats: tuple[str, ...] = ()
    if len(text) and not is_number:
        formats = detect_date_formats(pd.Series(counts.index[:SAMPLE_VALUES], dtype=object))
    return Profile(
        file=file,
        name=name,
        role=role_of(name),
        present=len(text),
        distinct=tuple(str(v) for v in counts.index[:MAX_VALUES]),
        n_distinct=len(counts),
        is_number=is_number,
        is_integer=is_integer,
        low=float(numbers.min()) if is_number else None,
        high=float(numbers.max()) if is_number else None,
        date_formats=formats,
    )


def detect_date_formats(values: pd.Series) -> tuple[str, ...]:
    """The fewest formats (at most 3) that read every value, in order of how many each reads;
    none if some value is not a date in any of them. Day-first wins a tie with month-first."""
    left = values.reset_index(drop=True)
    chosen: list[str] = []
    while len(left) and len(chosen) < 3:
        reads = {f: parse_dates(left, f).notna().to_numpy() for f in DATE_FORMATS}
        best = max(DATE_FORMATS, key=lambda f: (int(reads[f].sum()), -DATE_FORMATS.index(f)))
        if not reads[best].any():
            return ()
        chosen.append(best)
        left = left[~reads[best]].reset_index(drop=True)
    return tuple(chosen) if not len(left) else ()
