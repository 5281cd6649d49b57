"""What was knowable before ``as_of``: the point-in-time view every feature is computed from.

Each table has an event date; a record counts only if that date is strictly before ``as_of``.
Facts recorded later about an earlier record (an assignment's end, its end reason) are hidden
too. Features read only this view, so no feature can look into the future by construction;
the point-in-time tests check it anyway. Person ids become integer codes so that grouping is a
``bincount``, not a string hash.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
AS_OF_OUT_OF_RANGE = (
    "as_of {as_of} is outside the extract's range {first} to {last} (its first and last "
    "records): pick an as_of from {earliest} to {latest}, the day after the last record; "
    "features before the first record or after the extract was taken would be empty or leak"
)


class AsOfError(ValueError):
    """``as_of`` is outside the range of dates the extract covers."""


@dataclass(frozen=True)
class PointInTime:
    """Tables as known just before ``as_of``; ``pid`` indexes ``people`` rows (the population)."""

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


def point_in_time(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> PointInTime:
    """Cut every table to what was known before ``as_of``; inputs are not modified."""
    check_as_of(extract_date_range(tables), as_of)
    visible = {
        name: _visible(name, tables.get(name, empty_table(name)), as_of) for name in PERSON_TABLES
    }
    people = _population(tables["people"], visible["assignments"], as_of)
    universe = pa.array(people["person_id"].astype(object), type=pa.string())
    coded, everyone = {}, {}
    for name in PERSON_TABLES:
        # String ids give way to integer codes, table by table, to keep memory flat.
        frame = visible.pop(name)
        pid = person_codes(frame["person_id"], universe)
        frame = frame.drop(columns=["person_id"]).assign(pid=pid)
        if name == "evaluations":
            everyone[name] = frame
        coded[name] = frame.loc[pid >= 0].reset_index(drop=True)
    orgs = tables.get("organizations", empty_table("organizations"))
    return PointInTime(as_of, people, coded, orgs, frozenset(tables), everyone)


def person_codes(ids: pd.Series, universe: pa.Array) -> np.ndarray:
    """Position of each id in ``universe`` (-1 if absent), without Python string objects."""
    values = pa.array(ids.astype("string[pyarrow]").array, type=pa.string())
    found = pc.index_in(values, value_set=universe)
    return found.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)


def _visible(name: str, frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    if name == "evaluations":
        return frame.loc[frame["year"].astype("float64") < as_of.year]
    if name == "trainings":
        when = pd.to_datetime(frame["end_date"]).fillna(pd.to_datetime(frame["start_date"]))
        # Undated trainings cannot be placed in time, so they never count.
        return frame.loc[(when < as_of).fillna(False).to_numpy(dtype=bool)]
    when = pd.to_datetime(frame[get_table(name).event_date])
    kept = frame.loc[(when < as_of).fillna(False).to_numpy(dtype=bool)]
    if name == "assignments":
        ended_later = (pd.to_datetime(kept["end_date"]) >= as_of).fillna(False).to_numpy(bool)
        kept = kept.assign(
            end_date=pd.to_datetime(kept["end_date"]).mask(ended_later),
            end_reason=kept["end_reason"].astype(object).mask(ended_later),
        )
    return kept


def _population(
    people: pd.DataFrame, assignments: pd.DataFrame, as_of: pd.Timestamp
) -> pd.DataFrame:
    """External candidates, and internal people hired before as_of who had not left."""
    hired = pd.to_datetime(people["hire_date"])
    internal = people["population"].astype(str) == "internal"
    joined = ~internal | hired.isna() | (hired < as_of)
    last = assignments.sort_values(["person_id", "start_date"], kind="stable").drop_duplicates(
        "person_id", keep="last"
    )
    left_ids = last.loc[
        last["end_reason"].astype(object).isin(SEPARATIONS) & last["end_date"].notna(),
        "person_id",
    ]
    left = people["person_id"].isin(set(left_ids.astype(object)))
    keep = (joined & ~left).to_numpy(dtype=bool)
    return people.loc[keep].reset_index(drop=True)


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
    """Value of each person's latest record by ``order``; NaN where a person has none."""
    out = np.full(n, np.nan)
    if len(pid) == 0:
        return out
    idx = np.lexsort((order, pid))
    last = np.r_[pid[idx][1:] != pid[idx][:-1], True]
    out[pid[idx][last]] = values[idx][last]
    return out


def years_before(as_of: pd.Timestamp, years: int) -> pd.Timestamp:
    return as_of - pd.DateOffset(years=years)


def day_span(later: pd.Series | pd.Timestamp, earlier: pd.Series) -> np.ndarray:
    """Years between two dates, as floats."""
    delta = pd.to_datetime(later) - pd.to_datetime(earlier)
    return (
        np.asarray(delta.dt.days if hasattr(delta, "dt") else delta.days, dtype="float64") / 365.25
    )
