"""Labels and training frames: who went on to be promoted, and then proved it (the promotion
label); ``features.results_label`` holds the other family, demonstrated results.

The label of a (person, as_of) row is 1 when, within ``horizon_years`` after as_of, the person
was promoted (into a leadership post, by default) and afterwards, up to the horizon, was never
rated below ``min_rating_after`` and received no discipline. Labels read the future by design;
features never do. A training frame stacks feature rows of several historical as_of dates with
their labels; an as_of whose horizon runs past the extract's end is refused (its labels would be
cut off, not negative).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from features.inputs import empty_table
from features.per_date import PerDate, Tables, per_date
from features.ratings import RATING_POINTS
from hientai.contract.tables import extract_date_range

if TYPE_CHECKING:
    from features.results_label import ResultsDefinition

HORIZON_PAST_END = (
    "as_of {as_of} + {years} years ends after the extract's last record ({last}); its labels "
    "would be censored. Use an earlier as_of or a shorter horizon"
)


@dataclass(frozen=True)
class LabelDefinition:
    horizon_years: int = 2
    leadership_only: bool = True
    min_rating_after: str | None = "good"
    no_discipline_after: bool = True


def promotion_labels(
    tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, definition: LabelDefinition
) -> pd.DataFrame:
    """person_id -> label (0/1) for everyone with a promotion-or-not outcome after as_of."""
    as_of = pd.Timestamp(as_of)
    end = as_of + pd.DateOffset(years=definition.horizon_years)
    date_range = extract_date_range(tables)
    if date_range is None:
        raise ValueError("the extract has no dated records: no label can be computed")
    _, last = date_range
    if end > last + pd.Timedelta(days=1):
        raise ValueError(
            HORIZON_PAST_END.format(
                as_of=f"{as_of:%Y-%m-%d}", years=definition.horizon_years, last=f"{last:%Y-%m-%d}"
            )
        )
    spells = tables.get("assignments", empty_table("assignments"))
    start = pd.to_datetime(spells["start_date"])
    promoted = (spells["reason"].astype(str) == "promotion") & (start >= as_of) & (start < end)
    if definition.leadership_only:
        promoted &= spells["is_leadership"].fillna(False).astype(bool)
    first = (
        pd.DataFrame({"person_id": spells["person_id"].astype(object), "start": start})
        .loc[promoted.to_numpy(dtype=bool)]
        .groupby("person_id")["start"]
        .min()
    )
    good = np.ones(len(first), dtype=bool)
    if definition.min_rating_after is not None:
        good &= ~first.index.isin(_rated_below(tables, first, end, definition.min_rating_after))
    if definition.no_discipline_after:
        good &= ~first.index.isin(_disciplined(tables, first, end))
    return pd.DataFrame({"person_id": first.index.to_numpy(), "label": good.astype("int64")})


def _rated_below(
    tables: dict[str, pd.DataFrame], since: pd.Series, end: pd.Timestamp, minimum: str
) -> set[object]:
    evaluations = tables.get("evaluations", empty_table("evaluations"))
    year = evaluations["year"].astype("float64")
    person = evaluations["person_id"].astype(object)
    promoted_year = person.map(since.dt.year)
    score = evaluations["rating"].astype(object).map(RATING_POINTS)
    below = (score < RATING_POINTS[minimum]) & (year >= promoted_year) & (year < end.year)
    return set(person[below.fillna(False).to_numpy(dtype=bool)])


def _disciplined(
    tables: dict[str, pd.DataFrame], since: pd.Series, end: pd.Timestamp
) -> set[object]:
    disciplines = tables.get("disciplines", empty_table("disciplines"))
    person = disciplines["person_id"].astype(object)
    decided = pd.to_datetime(disciplines["decision_date"])
    after = (decided >= pd.to_datetime(person.map(since))) & (decided < end)
    return set(person[after.fillna(False).to_numpy(dtype=bool)])


def training_frame(
    tables: Tables | PerDate,
    as_of_dates: Sequence[pd.Timestamp | str],
    definition: LabelDefinition | ResultsDefinition,
    *,
    build: Callable[[dict[str, pd.DataFrame], pd.Timestamp], pd.DataFrame],
    labels_of: Mapping[str, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Feature rows of internal people at each as_of, with their label (stacked).

    With the promotion label, someone not promoted is a 0; with the results label, someone
    without enough evidence in the horizon has no label and is left out. ``labels_of``: labels
    already computed (``outcome_labels``), by as_of as YYYY-MM-DD; the others are computed.
    ``tables``: the extract's tables, or a ``PerDate`` holding them (the dates then build where
    it runs them, e.g. one per core)."""
    dates = training_dates(tables, as_of_dates, definition, build=build, labels_of=labels_of)
    return stack_dates(dates)


def training_dates(
    tables: Tables | PerDate,
    as_of_dates: Sequence[pd.Timestamp | str],
    definition: LabelDefinition | ResultsDefinition,
    *,
    build: Callable[[dict[str, pd.DataFrame], pd.Timestamp], pd.DataFrame],
    labels_of: Mapping[str, pd.DataFrame] | None = None,
) -> list[pd.DataFrame]:
    """``training_frame``'s dates, each its own frame, in date order (``stack_dates`` stacks
    them: a caller can let go of the tables, or the processes holding them, first)."""
    dates = sorted(pd.Timestamp(d) for d in as_of_dates)
    job = functools.partial(labelled_rows, definition=definition, build=build)
    items = [(as_of, (labels_of or {}).get(f"{as_of:%Y-%m-%d}")) for as_of in dates]
    return per_date(tables).map(job, items)


def stack_dates(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def labelled_rows(
    tables: Tables,
    item: tuple[pd.Timestamp, pd.DataFrame | None],
    *,
    definition: LabelDefinition | ResultsDefinition,
    build: Callable[[dict[str, pd.DataFrame], pd.Timestamp], pd.DataFrame],
) -> pd.DataFrame:
    """One date of a training frame: its internal people's feature rows with their label
    (``item``: the date and its labels, None to compute them)."""
    as_of, known = item
    labels = outcome_labels(tables, as_of, definition) if known is None else known
    rows = build(tables, as_of)
    rows = rows.loc[rows["population"] == "internal"]
    rows = rows.merge(
        labels.assign(person_id=labels["person_id"].astype("string[pyarrow]")),
        on="person_id",
        how="left" if isinstance(definition, LabelDefinition) else "inner",
    )
    return rows.assign(label=rows["label"].astype("float64").fillna(0).astype("int64"))


def outcome_labels(
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
    definition: LabelDefinition | ResultsDefinition,
) -> pd.DataFrame:
    """person_id -> label under either label family."""
    from features.results_label import results_labels

    if isinstance(definition, LabelDefinition):
        return promotion_labels(tables, as_of, definition)
    return results_labels(tables, as_of, definition)
