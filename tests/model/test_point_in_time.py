"""Features never look into the future, and never see a protected attribute.

Property: adding or changing any record dated on or after as_of leaves that as_of's features
unchanged; adding a record before as_of changes them.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from features.build import build_features
from features.inputs import AsOfError
from hientai.contract import get_table
from tests.featurekit import random_extract

AS_OF_DAYS = st.integers(0, 5 * 365)  # as_of between 2019-01-01 and 2023-12-31
FUTURE_TABLES = [
    "outputs",
    "evaluations",
    "surveys_360",
    "confidence_votes",
    "trainings",
    "assessments",
    "disciplines",
    "awards",
    "assignments",
]
_CACHE: dict[tuple[int, pd.Timestamp], pd.DataFrame] = {}


def _as_of(days: int) -> pd.Timestamp:
    return pd.Timestamp("2019-01-01") + pd.Timedelta(days=days)


@functools.cache
def _extract(seed: int) -> dict[str, pd.DataFrame]:
    return random_extract(seed)  # shared between examples: tests copy, never modify


def _baseline(seed: int, as_of: pd.Timestamp) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    tables = _extract(seed)
    if (seed, as_of) not in _CACHE:
        _CACHE[(seed, as_of)] = build_features(tables, as_of)
    return tables, _CACHE[(seed, as_of)]


def _future_copy(
    frame: pd.DataFrame, table: str, as_of: pd.Timestamp, rng: np.random.Generator, k: int
) -> pd.DataFrame:
    """k existing rows, re-dated on or after as_of, with new keys and shuffled values."""
    rows = frame.sample(n=k, replace=True, random_state=int(rng.integers(1 << 31)))
    rows = rows.reset_index(drop=True)
    spec = get_table(table)
    for key in spec.primary_key:
        if key not in ("person_id", "year", "survey_date", "rater_role"):
            rows[key] = pd.array([f"future-{i}" for i in range(k)], dtype="string[pyarrow]")
    later = as_of + pd.to_timedelta(rng.integers(0, 800, k), unit="D")
    if table == "evaluations":
        rows["year"] = pd.array(as_of.year + rng.integers(0, 3, k), dtype="Int64")
    elif table == "trainings":
        rows["end_date"] = later.astype("datetime64[ms]")
        rows["start_date"] = (later - pd.Timedelta(days=30)).astype("datetime64[ms]")
    else:
        rows[spec.event_date] = later.astype("datetime64[ms]")
        if table == "disciplines":
            rows["effective_until"] = (later + pd.Timedelta(days=400)).astype("datetime64[ms]")
        if table == "assignments":
            rows["end_date"] = pd.Series(pd.NaT, index=rows.index, dtype="datetime64[ms]")
    for column in spec.columns:
        if column.kind == "float" and column.name in rows and column.name != "target":
            low = column.min_value or 0.0
            high = column.max_value if column.max_value is not None else 10.0
            rows[column.name] = rng.uniform(low, high, k)
    return pd.concat([frame, rows], ignore_index=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 3),
    days=AS_OF_DAYS,
    table=st.sampled_from(FUTURE_TABLES),
    count=st.integers(1, 25),
    noise=st.integers(0, 2**31 - 1),
)
def test_records_on_or_after_as_of_change_nothing(
    seed: int, days: int, table: str, count: int, noise: int
) -> None:
    as_of = _as_of(days)
    tables, before = _baseline(seed, as_of)
    rng = np.random.default_rng(noise)
    changed = dict(tables)
    changed[table] = _future_copy(tables[table], table, as_of, rng, count)
    pd.testing.assert_frame_equal(build_features(changed, as_of), before)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 3), days=AS_OF_DAYS, noise=st.integers(0, 2**31 - 1))
def test_changing_what_happens_after_as_of_to_known_spells_changes_nothing(
    seed: int, days: int, noise: int
) -> None:
    """A spell that started before as_of but ends later: its end date and reason are future."""
    as_of = _as_of(days)
    tables, before = _baseline(seed, as_of)
    spells = tables["assignments"].copy()
    open_at_as_of = (spells["start_date"] < as_of) & (
        spells["end_date"].isna() | (spells["end_date"] >= as_of)
    )
    rng = np.random.default_rng(noise)
    later = as_of + pd.to_timedelta(rng.integers(0, 900, len(spells)), unit="D")
    spells.loc[open_at_as_of, "end_date"] = later[open_at_as_of.to_numpy()].astype(
        "datetime64[ms]"
    )
    spells["end_reason"] = spells["end_reason"].astype(object)
    spells.loc[open_at_as_of, "end_reason"] = "dismissal"
    pd.testing.assert_frame_equal(build_features({**tables, "assignments": spells}, as_of), before)


def test_people_hired_after_as_of_are_not_in_the_population() -> None:
    as_of = pd.Timestamp("2021-07-01")
    tables, before = _baseline(0, as_of)
    newcomer = (
        tables["people"]
        .iloc[[0]]
        .assign(
            person_id=pd.array(["NEW"], dtype="string[pyarrow]"),
            hire_date=pd.Series([as_of], dtype="datetime64[ms]").to_numpy(),
        )
    )
    people = pd.concat([tables["people"], newcomer], ignore_index=True)
    after = build_features({**tables, "people": people}, as_of)
    pd.testing.assert_frame_equal(after, before)


def _with_row(tables: dict[str, pd.DataFrame], table: str, row: dict[str, object]) -> dict:
    frame = tables[table]
    added = pd.DataFrame([row]).astype({k: frame[k].dtype for k in row if k in frame})
    return {**tables, table: pd.concat([frame, added], ignore_index=True)}


@pytest.mark.parametrize(
    ("table", "row", "feature"),
    [
        (
            "outputs",
            {
                "output_id": "new",
                "kind": "kpi",
                "target": 10.0,
                "achieved": 20.0,
                "period_end": "BEFORE",
            },
            "kpi_achievement_3y",
        ),
        ("evaluations", {"year": "LAST_YEAR", "rating": "not_completed"}, "rating_last"),
        (
            "disciplines",
            {"discipline_id": "new", "decision_date": "BEFORE", "severity": "dismissal"},
            "discipline_max_severity_5y",
        ),
        (
            "trainings",
            {
                "training_id": "new",
                "category": "political_theory",
                "level": "advanced",
                "end_date": "BEFORE",
                "sessions": 1,
            },
            "political_theory_level",
        ),
        (
            "confidence_votes",
            {
                "vote_id": "new",
                "vote_date": "BEFORE",
                "voting_body": "party_committee",
                "high_share": 0.01,
                "medium_share": 0.01,
                "low_share": 0.98,
            },
            "vote_low_share_last",
        ),
    ],
)
def test_a_record_before_as_of_changes_the_features(
    table: str, row: dict[str, object], feature: str
) -> None:
    as_of = pd.Timestamp("2021-07-01")
    tables, before = _baseline(1, as_of)
    person = "I005"
    assert person in set(before["person_id"])
    filled = {
        k: (
            as_of - pd.Timedelta(days=3)
            if v == "BEFORE"
            else as_of.year - 1
            if v == "LAST_YEAR"
            else v
        )
        for k, v in row.items()
    }
    if table == "evaluations":
        tables = {
            **tables,
            "evaluations": tables["evaluations"].loc[
                ~(
                    (tables["evaluations"]["person_id"] == person)
                    & (tables["evaluations"]["year"] == as_of.year - 1)
                )
            ],
        }
        before = build_features(tables, as_of)
    after = build_features(_with_row(tables, table, {**filled, "person_id": person}), as_of)
    position = before.index[before["person_id"] == person][0]
    old, new = before.loc[position, feature], after.loc[position, feature]
    assert not (old == new or (np.isnan(old) and np.isnan(new))), (feature, old, new)


@pytest.mark.parametrize("as_of", ["2004-06-30", "2025-01-02"])
def test_as_of_outside_the_extract_is_a_clear_error(as_of: str) -> None:
    with pytest.raises(
        AsOfError, match=r"outside the extract.s range 2005-\d\d-\d\d to 2024-12-31"
    ):
        build_features(random_extract(0), as_of)


PROTECTED_VALUES = {
    "party_member": [True, False],
    "gender": ["male", "female"],
    "ethnicity": ["Kinh", "Tày"],
    "nationality": ["VN", "FR"],
    "religion": ["none", "Catholic"],
    "hometown_province": ["P1", "P2"],
    "birth_date": [pd.Timestamp("1970-01-01"), pd.Timestamp("1995-06-30")],
    "party_join_date": [pd.Timestamp("1999-01-01"), pd.NaT],
}


@pytest.mark.parametrize("attribute", sorted(PROTECTED_VALUES))
def test_changing_only_a_protected_attribute_changes_no_feature(attribute: str) -> None:
    """Even if protected columns reach the feature code by mistake, they are not used."""
    tables = random_extract(2)
    first, second = PROTECTED_VALUES[attribute]
    people = tables["people"]
    a = build_features(
        {**tables, "people": people.assign(**{attribute: [first] * len(people)})}, "2022-01-01"
    )
    flipped = [second if i % 2 else first for i in range(len(people))]
    b = build_features({**tables, "people": people.assign(**{attribute: flipped})}, "2022-01-01")
    pd.testing.assert_frame_equal(a, b)


def test_no_protected_attribute_or_age_is_a_feature() -> None:
    from features.catalog import FEATURE_NAMES

    protected = set(get_table("people").protected_columns)
    words = {"age", "birth", "party", "gender", "ethnic", "religion", "nationality", "hometown"}
    for name in FEATURE_NAMES:
        assert name not in protected
        assert not (set(name.split("_")) & words), name
