"""What was knowable before ``as_of``: the point-in-time view every feature is computed from.

Each table has an event date; a record counts only if that date is strictly before ``as_of``.
Facts recorded later about an earlier record (an assignment's end, its end reason) are hidden
too. Features read only this view, so no feature can look into the future by construction;
the point-in-time tests check it anyway. Person ids become integer codes so that grouping is a
``bincount``, not a string hash.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
import pandas as pd
import pyarrow as pa

from features.person_codes import arrow_ids, codes_by_table, id_runs
from hientai.contract import get_table
from hientai.contract.tables import extract_date_range

# The columns feature code reads, per table: readers can load just these.
FEATURE_INPUTS: dict[str, tuple[str, ...]] = {
    "people": (
        "person_id",
        "population",
        "languages",
        "hire_date",
        "current_org_id",
        "current_grade",
        "education_level",
        "years_experience",
        "field",
    ),
    "organizations": ("org_id", "level", "province_code"),
    "assignments": (
        "person_id",
        "org_id",
        "grade",
        "is_leadership",
        "start_date",
        "end_date",
        "reason",
        "end_reason",
    ),
    "evaluations": (
        "person_id",
        "year",
        "rating",
        "unit_rating",
        "org_id",
        "rating_score",
        "rating_scale_max",
    ),
    "confidence_votes": ("person_id", "vote_date", "high_share", "low_share"),
    "surveys_360": (
        "person_id",
        "survey_date",
        "rater_role",
        "political_ideology",
        "ethics_lifestyle",
        "work_style",
        "task_performance",
        "leadership_capacity",
    ),
    "outputs": ("person_id", "period_end", "kind", "target", "achieved", "quality", "on_time"),
    "trainings": (
        "person_id",
        "category",
        "level",
        "start_date",
        "end_date",
        "result",
        "score",
        "sessions",
    ),
    "assessments": ("person_id", "assessment_date", "score"),
    "disciplines": ("person_id", "decision_date", "effective_until", "severity"),
    "awards": ("person_id", "award_date", "level"),
}
PERSON_TABLES = (
    "assignments",
    "evaluations",
    "confidence_votes",
    "surveys_360",
    "outputs",
    "trainings",
    "assessments",
    "disciplines",
    "awards",
)
SEPARATIONS = ("resignation", "dismissal", "retirement")
# Tables whose features look back a fixed number of years from as_of: the cut keeps only those
# records (older ones were known but no feature reads them, and gathering them was a large part
# of the build at 1,000,000 people).
LOOKBACK_YEARS: dict[str, int] = {"outputs": 3, "surveys_360": 3}
T = TypeVar("T")
AS_OF_OUT_OF_RANGE = (
    "as_of {as_of} is outside the extract's range {first} to {last} (its first and last "
    "records): pick an as_of from {earliest} to {latest}, the day after the last record; "
    "features before the first record or after the extract was taken would be empty or leak"
)


class AsOfError(ValueError):
    """``as_of`` is outside the range of dates the extract covers."""


@dataclass(frozen=True)
class PointInTime:
    """Tables as known just before ``as_of`` (of the ``LOOKBACK_YEARS`` tables, the window's
    records only); ``pid`` indexes ``people`` rows (the population)."""

    as_of: pd.Timestamp
    people: pd.DataFrame  # the population at as_of, indexed 0..n-1 in column order
    tables: dict[str, pd.DataFrame]
    organizations: pd.DataFrame
    present: frozenset[str]  # tables the extract has (an absent table is not an empty one)
    # Visible records of everyone, population or not (pid -1 outside it): peers for
    # comparisons such as "rated against colleagues of the same unit and year".
    everyone: dict[str, pd.DataFrame]

    @property
    def n(self) -> int:
        return len(self.people)

    def table(self, name: str) -> pd.DataFrame:
        return self.tables[name]


def empty_table(name: str) -> pd.DataFrame:
    """A contract table with no rows, with its columns, for extracts that lack the table."""
    table = get_table(name)
    kinds = {"date": "datetime64[ns]", "float": "float64", "int": "Int64", "year": "Int64"}
    return pd.DataFrame(
        {
            c.name: pd.Series(dtype=kinds.get(c.kind, object))
            for c in table.columns
            if not c.protected
        }
    )


def check_as_of(date_range: tuple[pd.Timestamp, pd.Timestamp] | None, as_of: pd.Timestamp) -> None:
    """Refuse an as_of before the extract's first record or after its last (plus one day)."""
    if date_range is None:
        raise AsOfError("the extract has no dated records, so no as_of can be checked")
    first, last = date_range
    day = pd.Timedelta(days=1)
    if not first < as_of <= last + day:
        raise AsOfError(
            AS_OF_OUT_OF_RANGE.format(
                as_of=f"{as_of:%Y-%m-%d}",
                first=f"{first:%Y-%m-%d}",
                last=f"{last:%Y-%m-%d}",
                earliest=f"{first + day:%Y-%m-%d}",
                latest=f"{last + day:%Y-%m-%d}",
            )
        )


def point_in_time(
    tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, *, threads: int = 1
) -> PointInTime:
    """Cut every table to what was known before ``as_of``; inputs are not modified.

    One pass per table: the visible rows and the person codes come from the date and id
    columns alone, then each other column is gathered once, for the rows kept only (a
    DataFrame-wide ``.loc`` per filter cost more than all the features together at 1,000,000
    people). ``threads`` > 1 cuts that many tables at a time (NumPy and Arrow work without the
    GIL): the same view.
    """
    check_as_of(extract_date_range(tables), as_of)
    frames = {name: tables.get(name, empty_table(name)) for name in PERSON_TABLES}
    all_people = tables["people"]
    universe = arrow_ids(all_people["person_id"]).cast(pa.large_string())

    def each(job: Callable[[str], T]) -> dict[str, T]:
        results = run_all([functools.partial(job, name) for name in frames], threads)
        return dict(zip(frames, results, strict=True))

    visible = each(lambda name: _visible_rows(name, frames[name], as_of))
    codes = codes_by_table(each(lambda name: id_runs(frames[name]["person_id"])), universe)
    in_population = _in_population(all_people, frames["assignments"], visible, codes, as_of)
    # Codes of the people table become codes of the population; -1 (and index -1) stays -1.
    recode = np.r_[np.where(in_population, np.cumsum(in_population) - 1, -1), -1]

    def cut(name: str) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        frame, seen, pid = frames[name], visible[name], recode[codes[name]]
        every = None
        if name == "evaluations":
            every = _gather(frame, np.flatnonzero(seen), pid, FEATURE_INPUTS[name])
        mine = _gather(frame, np.flatnonzero(seen & (pid >= 0)), pid, FEATURE_INPUTS[name])
        return mine, every

    cuts = each(cut)
    coded = {name: mine for name, (mine, _) in cuts.items()}
    everyone = {name: every for name, (_, every) in cuts.items() if every is not None}
    coded["assignments"] = _hide_later_ends(coded["assignments"], as_of)
    people = _gather(all_people, np.flatnonzero(in_population), None, tuple(all_people.columns))
    orgs = tables.get("organizations", empty_table("organizations"))
    return PointInTime(as_of, people, coded, orgs, frozenset(tables), everyone)


def run_all(jobs: list[Callable[[], T]], threads: int) -> list[T]:
    """Each job's result, in the jobs' order; on ``threads`` threads when more than one."""
    if threads <= 1:
        return [job() for job in jobs]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="features") as pool:
        return list(pool.map(lambda job: job(), jobs))


def date_series(values: pd.Series) -> pd.Series:
    """A date column as datetimes (NaT where missing); a column of datetimes as it is
    (``pd.to_datetime`` looks at one element by one even then: a second per 10 million)."""
    return values if values.dtype.kind == "M" else pd.to_datetime(values)


def dates(values: pd.Series) -> np.ndarray:
    """A date column as a ``datetime64`` array (NaT where missing)."""
    return date_series(values).to_numpy()


def _gather(
    frame: pd.DataFrame, rows: np.ndarray, pid: np.ndarray | None, columns: tuple[str, ...]
) -> pd.DataFrame:
    """Rows ``rows`` of the feature inputs but the id (then ``pid``), indexed 0..len-1.

    When every row is kept the columns are shared with the input, not copied: features never
    write into a table.
    """
    every_row = len(rows) == len(frame)
    kept = {
        c: _take(frame[c], None if every_row else rows)
        for c in columns
        if c in frame.columns and (pid is None or c != "person_id")
    }
    if pid is not None:
        kept["pid"] = pd.Series(pid if every_row else pid[rows], copy=False)
    return pd.DataFrame(kept, copy=False)


def _take(column: pd.Series, rows: np.ndarray | None) -> pd.Series:
    """Rows ``rows`` of a column (all of them, not copied, if None), indexed 0..len-1."""
    # NumPy's take on NumPy-backed columns (dates included) is several times pandas' own.
    values = column.to_numpy() if isinstance(column.dtype, np.dtype) else column.array
    return pd.Series(values if rows is None else values.take(rows), copy=False)


def _visible_rows(name: str, frame: pd.DataFrame, as_of: pd.Timestamp) -> np.ndarray:
    """Boolean mask of the records known before ``as_of`` (NaT compares False: never known)."""
    if name == "evaluations":
        return frame["year"].to_numpy(dtype="float64", na_value=np.nan) < as_of.year
    cut = np.datetime64(as_of)
    if name == "trainings":
        # Undated trainings cannot be placed in time, so they never count.
        end = dates(frame["end_date"])
        return np.where(np.isnat(end), dates(frame["start_date"]), end) < cut
    when = dates(frame[get_table(name).event_date])
    if name in LOOKBACK_YEARS:
        return (when < cut) & (when >= np.datetime64(years_before(as_of, LOOKBACK_YEARS[name])))
    return when < cut


def _hide_later_ends(spells: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """An end on or after as_of was not known at as_of: the spell was still running."""
    end = date_series(spells["end_date"])
    ended_later = (end >= as_of).fillna(False).to_numpy(bool)
    return spells.assign(
        end_date=end.mask(ended_later),
        end_reason=spells["end_reason"].astype(object).mask(ended_later),
    )


def _in_population(
    people: pd.DataFrame,
    assignments: pd.DataFrame,
    visible: dict[str, np.ndarray],
    codes: dict[str, np.ndarray],
    as_of: pd.Timestamp,
) -> np.ndarray:
    """External candidates, and internal people hired before as_of who had not left: whose
    latest visible spell (by start, ties to the later record) ended before as_of with a
    separation."""
    cut = np.datetime64(as_of)
    hired = dates(people["hire_date"])
    internal = (people["population"].astype(str) == "internal").to_numpy(dtype=bool)
    joined = ~internal | np.isnat(hired) | (hired < cut)
    rows = np.flatnonzero(visible["assignments"] & (codes["assignments"] >= 0))
    code = codes["assignments"][rows]
    start = dates(assignments["start_date"])[rows].astype("datetime64[ns]").astype("int64")
    rows = rows[np.lexsort((start, code))]
    code = codes["assignments"][rows]
    last = rows[np.r_[code[1:] != code[:-1], True]] if len(rows) else rows
    reason = assignments["end_reason"].array.take(last)
    ended = dates(assignments["end_date"])[last] < cut
    separated = np.asarray(pd.Series(reason).isin(SEPARATIONS), dtype=bool) & ended
    left = np.zeros(len(people), dtype=bool)
    left[codes["assignments"][last[separated]]] = True
    return joined & ~left


def category_values(
    values: pd.Series, mapping: Mapping[str, float], *, default: float = np.nan
) -> np.ndarray:
    """``mapping`` of each value as floats (``default`` where missing or not in it), looked up
    once per distinct value, not row by row."""
    codes, distinct = pd.factorize(values, use_na_sentinel=True)
    lookup = np.array([mapping.get(v, default) for v in distinct] + [default], dtype="float64")
    return lookup[codes]  # code -1 (missing) takes the last entry


def is_in(values: pd.Series, allowed: Sequence[str]) -> np.ndarray:
    """Boolean array: the value is one of ``allowed`` (missing values are not)."""
    return np.asarray(values.isin(list(allowed)), dtype=bool)


def group_sum(pid: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(pid, weights=values, minlength=n)


def group_count(pid: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(pid, minlength=n).astype("float64")


def group_mean(pid: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Mean per person of the non-missing values; NaN where a person has none."""
    ok = ~np.isnan(values)
    count = np.bincount(pid[ok], minlength=n)
    total = np.bincount(pid[ok], weights=values[ok], minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def group_last(pid: np.ndarray, order: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Value of each person's latest record by ``order``; NaN where a person has none.

    Ties go to the record that comes last, and a missing ``order`` counts as later than any
    other: what a stable sort by person and order would put last, without the sort.
    """
    out = np.full(n, np.nan)
    if len(pid) == 0:
        return out
    order = np.nan_to_num(np.asarray(order, dtype="float64"), nan=np.inf)
    latest = np.full(n, -np.inf)
    np.maximum.at(latest, pid, order)
    candidates = np.flatnonzero(order == latest[pid])
    row = np.full(n, -1)
    np.maximum.at(row, pid[candidates], candidates)
    found = row >= 0
    out[found] = values[row[found]]
    return out


def years_before(as_of: pd.Timestamp, years: int) -> pd.Timestamp:
    return as_of - pd.DateOffset(years=years)
