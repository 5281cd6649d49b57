"""The demonstrated-results label: who went on to deliver, judged by products and results.

Resolution 28-NQ/TW asks that cadres be evaluated "by products and results", "through surveys",
with individual results "linked to the unit's". This label does that for the ``horizon_years``
after as_of, for everyone with enough evidence in that window (promoted or not), from five
kinds of evidence, each compared with peers so that lenient raters and easy targets do not
count as merit:

- **outputs**: KPI achievement against target (capped), quality of products, timeliness, each
  standardised over the window's outputs, then compared with the person's unit;
- **ratings**: the annual rating's place among the same unit's ratings of the same year;
- **360 surveys**: superiors', peers' and subordinates' scores (self-ratings ignored), less the
  leniency of the same unit and rater role;
- **confidence votes**: the "high confidence" share against the same year's votes;
- **unit result**: the collective rating of the person's unit in those years.

Each kind becomes a place among people (a percentile rank); a person's results score is the
weighted mean of the places of the kinds they have (weights renormalised over what exists).
Ranks rather than standard scores keep one extreme record from moving everyone else.

The label is 1 for the top ``top_share`` of results scores among people with at least
``min_evidence`` records, 0 for the others, missing (not 0) for people without enough
evidence: they are left out of training.
Only internal people in service at as_of (an assignment covering it) are labelled, the same
people the training frame holds; the top share is cut among them.

What the model trained on it estimates, in a planner's words: *the chance that this person's
results over the next two years will be among the best fifth of their peers'*.

Point in time: the label reads only records dated in [as_of, as_of + horizon); features read
only records before as_of. An as_of whose horizon runs past the extract's end is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.inputs import arrow_ids, empty_table
from features.labels import HORIZON_PAST_END
from features.performance import KPI_RATIO_CAP
from features.ratings import RATING_POINTS
from hientai.contract.tables import extract_date_range
from hientai.contract.vocab import SURVEY_DIMENSIONS

Tables = dict[str, pd.DataFrame]
OTHER_ROLES = ("superior", "peer", "subordinate")
# How much each kind of evidence counts (renormalised over the kinds a person has). Outputs are
# the least gamed record of results; votes carry a known favour to local leaders, so count
# little.
DEFAULT_WEIGHTS = {"outputs": 0.4, "ratings": 0.2, "surveys": 0.2, "votes": 0.1, "unit": 0.1}
UNIT_SHRINK = 5.0  # a unit's mean is trusted in proportion to n / (n + UNIT_SHRINK)


@dataclass(frozen=True)
class ResultsDefinition:
    horizon_years: int = 2
    top_share: float = 0.2
    min_evidence: int = 2
    weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))


def results_scores(
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp,
    definition: ResultsDefinition,
    *,
    unit: pd.Series | None = None,
) -> pd.DataFrame:
    """person_id, results (weighted standard score), evidence (records), one row per person
    with any evidence in [as_of, as_of + horizon), in the order of the ids. ``unit``: each
    person's unit at as_of (``_unit_at``), if the caller has it already."""
    as_of = pd.Timestamp(as_of)
    end = as_of + pd.DateOffset(years=definition.horizon_years)
    _check_horizon(tables, as_of, end, definition.horizon_years)
    unit = _unit_at(tables, as_of) if unit is None else unit
    parts = {
        "outputs": _outputs(tables, as_of, end, unit),
        "ratings": _ratings(tables, as_of, end),
        "surveys": _surveys(tables, as_of, end, unit),
        "votes": _votes(tables, as_of, end),
        "unit": _unit(tables, as_of, end),
    }
    found = {k: v for k, v in parts.items() if len(v)}
    if not found:
        return pd.DataFrame(columns=["person_id", "results", "evidence"])
    ids, rows = _aligned(found)
    matrix = np.full((len(ids), len(parts)), np.nan)
    evidence = np.zeros(len(ids))
    for j, kind in enumerate(parts):
        if kind in found:
            matrix[rows[kind], j] = found[kind]["value"].to_numpy(dtype="float64")
            if kind != "unit":
                evidence[rows[kind]] += found[kind]["n"].to_numpy(dtype="float64")
    kinds = pd.DataFrame(matrix, index=ids, columns=list(parts))
    z = kinds.rank(pct=True, method="average") - 0.5
    weights = pd.Series(definition.weights).reindex(z.columns).fillna(0.0)
    present = z.notna().astype(float) * weights
    score = (z.fillna(0.0) * weights).sum(axis=1) / present.sum(axis=1).replace(0, np.nan)
    return pd.DataFrame(
        {"person_id": kinds.index.astype(str), "results": score.to_numpy(),
         "evidence": evidence.astype("int64")}
    )  # fmt: skip


def _aligned(parts: dict[str, pd.DataFrame]) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """The sorted union of the parts' person ids, and each part's rows' places in it: what
    ``pd.concat(axis=1, sort=True)`` aligns, with Arrow's hashing and sorting of the ids
    instead of Python's (12 s of a national training's labels). UTF-8 bytes sort as Python
    sorts strings, by code point."""
    ids = {kind: arrow_ids(part.index.to_series()) for kind, part in parts.items()}
    union = pc.unique(pa.chunked_array(list(ids.values()), type=pa.string()))
    union = union.take(pc.sort_indices(union))
    rows = {
        kind: pc.index_in(values, value_set=union).to_numpy(zero_copy_only=False)
        for kind, values in ids.items()
    }
    return pd.Index(union.to_numpy(zero_copy_only=False), dtype=object), rows


def _among(ids: pa.Array, values: Any) -> np.ndarray:
    found = pc.is_in(ids, value_set=arrow_ids(pd.Series(values)))
    return found.to_numpy(zero_copy_only=False)


def results_labels(
    tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, definition: ResultsDefinition
) -> pd.DataFrame:
    """person_id -> label (1 = top ``top_share`` of results), for people with enough evidence."""
    unit = _unit_at(tables, pd.Timestamp(as_of))
    scores = results_scores(tables, as_of, definition, unit=unit)
    enough = (scores["evidence"] >= definition.min_evidence) & scores["results"].notna()
    scores = scores.loc[enough]
    ids = arrow_ids(scores["person_id"])
    labelled = _among(ids, unit.index) & _among(ids, _internal(tables))
    scores = scores.loc[labelled]
    if scores.empty:
        return pd.DataFrame(
            {"person_id": pd.Series(dtype=object), "label": pd.Series(dtype="int64")}
        )
    cut = np.quantile(scores["results"], 1 - definition.top_share)
    return pd.DataFrame(
        {"person_id": scores["person_id"].to_numpy(),
         "label": (scores["results"] >= cut).to_numpy().astype("int64")}
    )  # fmt: skip


def _internal(tables: dict[str, pd.DataFrame]) -> np.ndarray:
    people = tables.get("people", empty_table("people"))
    if "population" not in people:
        return people["person_id"].to_numpy(dtype=str)
    internal = people["population"].astype(str) == "internal"
    return people.loc[internal.to_numpy(), "person_id"].to_numpy(dtype=str)


def _check_horizon(
    tables: dict[str, pd.DataFrame], as_of: pd.Timestamp, end: pd.Timestamp, years: int
) -> None:
    date_range = extract_date_range(tables)
    if date_range is None:
        raise ValueError("the extract has no dated records: no label can be computed")
    last = date_range[1]
    if end > last + pd.Timedelta(days=1):
        raise ValueError(
            HORIZON_PAST_END.format(
                as_of=f"{as_of:%Y-%m-%d}", years=years, last=f"{last:%Y-%m-%d}"
            )
        )


def _in_window(dates: pd.Series, as_of: pd.Timestamp, end: pd.Timestamp) -> np.ndarray:
    day = pd.to_datetime(dates)
    return ((day >= as_of) & (day < end)).to_numpy(dtype=bool)


def _per_person(person: pd.Series, value: np.ndarray) -> pd.DataFrame:
    """Mean and count of each person's values (missing ones left out), by person id in sorted
    order. Grouped on the ids' codes (sorted, so the same order and the same sums as grouping
    the ids themselves): far cheaper than turning every record's id into a Python string."""
    codes, ids = pd.factorize(person, sort=True)
    keep = (codes >= 0) & ~np.isnan(np.asarray(value, dtype="float64"))
    grouped = pd.Series(np.asarray(value, dtype="float64")[keep]).groupby(codes[keep])
    mean, size = grouped.mean(), grouped.size()
    index = pd.Index(np.asarray(ids, dtype=object)[mean.index.to_numpy()], name="p")
    return pd.DataFrame({"value": mean.to_numpy(), "n": size.to_numpy()}, index=index)


def _number(frame: pd.DataFrame, column: str) -> pd.Series:
    """A numeric column, or missing values where the extract does not have it."""
    if column not in frame:
        return pd.Series(np.nan, index=frame.index)
    return frame[column].astype("float64")


def _place(values: pd.Series) -> pd.Series:
    """Each value's place among the others, -0.5 (lowest) to 0.5 (highest); missing stays
    missing. Ranks, not standard scores: one extreme record moves nobody else's place much,
    and a better record never lowers its owner's place."""
    return values.rank(pct=True, method="average") - 0.5


def _outputs(
    tables: Tables, as_of: pd.Timestamp, end: pd.Timestamp, unit: pd.Series
) -> pd.DataFrame:
    outputs = tables.get("outputs", empty_table("outputs"))
    window = outputs.loc[_in_window(outputs["period_end"], as_of, end)]
    if window.empty:
        return pd.DataFrame(columns=["value", "n"])
    target, achieved = _number(window, "target"), _number(window, "achieved")
    kpi = window["kind"].isin(["kpi"]) & (target > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.log(np.clip(achieved / target, 0.05, KPI_RATIO_CAP)).where(kpi)
    measures = pd.DataFrame(
        {
            "kpi": _place(ratio),
            "quality": _place(_number(window, "quality")),
            "on_time": _place(_number(window, "on_time")),
        }
    )
    value = measures.mean(axis=1).to_numpy()
    return _less_unit_mean(_per_person(window["person_id"], value), unit)


def _unit_at(tables: dict[str, pd.DataFrame], as_of: pd.Timestamp) -> pd.Series:
    """Each person's unit at as_of (the spell covering it), for peer comparison."""
    spells = tables.get("assignments", empty_table("assignments"))
    start = pd.to_datetime(spells["start_date"])
    stop = pd.to_datetime(spells["end_date"])
    covering = (start <= as_of) & (stop.isna() | (stop > as_of))
    current = spells.loc[covering.to_numpy(dtype=bool)].assign(_start=start)
    current = current.sort_values("_start").drop_duplicates("person_id", keep="last")
    return pd.Series(
        current["org_id"].astype(object).to_numpy(), index=current["person_id"].astype(str)
    )


def _less_unit_mean(per_person: pd.DataFrame, unit: pd.Series) -> pd.DataFrame:
    """Value less the (shrunk) mean of the same unit: easy targets are not merit."""
    units = per_person.index.to_series().map(unit).fillna("(none)")
    grouped = per_person["value"].groupby(units)
    mean, size = grouped.transform("mean"), grouped.transform("size")
    value = per_person["value"] - mean * size / (size + UNIT_SHRINK)
    return per_person.assign(value=value)


def _ratings(tables: Tables, as_of: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    evaluations = tables.get("evaluations", empty_table("evaluations"))
    year = evaluations["year"].astype("float64")
    window = evaluations.loc[((year >= as_of.year) & (year < end.year)).to_numpy(dtype=bool)]
    if window.empty:
        return pd.DataFrame(columns=["value", "n"])
    score = _number(window, "rating_score") / _number(window, "rating_scale_max")
    score = score.fillna(window["rating"].astype(object).map(RATING_POINTS).astype("float64"))
    org = window["org_id"].astype(object).fillna("(none)")
    place = score.groupby([org, window["year"]]).rank(pct=True, method="average") - 0.5
    return _per_person(window["person_id"], place.to_numpy(dtype="float64"))


def _surveys(
    tables: Tables, as_of: pd.Timestamp, end: pd.Timestamp, unit: pd.Series
) -> pd.DataFrame:
    surveys = tables.get("surveys_360", empty_table("surveys_360"))
    window = surveys.loc[_in_window(surveys["survey_date"], as_of, end)]
    window = window.loc[window["rater_role"].astype(str).isin(OTHER_ROLES).to_numpy(dtype=bool)]
    if window.empty:
        return pd.DataFrame(columns=["value", "n"])
    score = window[list(SURVEY_DIMENSIONS)].astype("float64").mean(axis=1)
    # Each record's unit: the ids' codes looked up once, not every record's id as a string.
    codes, ids = pd.factorize(window["person_id"])
    units = unit.reindex(pd.Index(np.asarray(ids, dtype=object))).to_numpy(dtype=object)
    units = np.concatenate([units, np.array([None], dtype=object)])  # code -1 (no id): no unit
    of_record = pd.Series(units[codes], index=window.index).fillna("(none)")
    role = window["rater_role"].astype(str)
    lenient = score.groupby([of_record, role]).transform("mean")
    return _per_person(window["person_id"], (score - lenient).to_numpy(dtype="float64"))


def _votes(tables: Tables, as_of: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    votes = tables.get("confidence_votes", empty_table("confidence_votes"))
    window = votes.loc[_in_window(votes["vote_date"], as_of, end)]
    if window.empty:
        return pd.DataFrame(columns=["value", "n"])
    year = pd.to_datetime(window["vote_date"]).dt.year
    high = _number(window, "high_share")
    relative = high - high.groupby(year).transform("mean")
    return _per_person(window["person_id"], relative.to_numpy(dtype="float64"))


def _unit(tables: Tables, as_of: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    evaluations = tables.get("evaluations", empty_table("evaluations"))
    year = evaluations["year"].astype("float64")
    window = evaluations.loc[((year >= as_of.year) & (year < end.year)).to_numpy(dtype=bool)]
    if "unit_rating" not in window:
        return pd.DataFrame(columns=["value", "n"])
    points = window["unit_rating"].astype(object).map(RATING_POINTS).astype("float64")
    return _per_person(window["person_id"], points.to_numpy())
