"""Labels: promoted (into leadership) within the horizon, then rated good and never disciplined."""

from __future__ import annotations

import pandas as pd
import pytest

from features.build import build_features
from features.labels import LabelDefinition, promotion_labels, training_frame
from tests.featurekit import random_extract

AS_OF = pd.Timestamp("2020-01-01")


def _tables() -> dict[str, pd.DataFrame]:
    """Five people: A clean promotion, B rated 'completed' after, C disciplined after,
    D promoted to a non-leadership post, E promoted after the horizon."""
    spells = pd.DataFrame(
        {
            "assignment_id": ["a", "b", "c", "d", "e"],
            "person_id": ["A", "B", "C", "D", "E"],
            "org_id": ["X"] * 5,
            "is_leadership": [True, True, True, False, True],
            "start_date": pd.to_datetime(
                ["2020-06-01", "2020-03-01", "2021-01-01", "2020-05-01", "2022-02-01"]
            ),
            "end_date": pd.NaT,
            "reason": ["promotion"] * 5,
            "end_reason": None,
        }
    )
    evaluations = pd.DataFrame(
        {
            "person_id": ["A", "A", "B", "B", "C"],
            "year": [2019, 2020, 2020, 2021, 2021],
            "rating": ["completed", "good", "excellent", "completed", "excellent"],
            "org_id": "X",
            "unit_rating": None,
        }
    )
    disciplines = pd.DataFrame(
        {
            "discipline_id": ["d1"],
            "person_id": ["C"],
            "decision_date": pd.to_datetime(["2021-06-01"]),
            "severity": ["warning"],
            "effective_until": pd.NaT,
        }
    )
    people = pd.DataFrame({"person_id": list("ABCDE"), "population": "internal"})
    return {
        "people": people,
        "assignments": spells,
        "evaluations": evaluations,
        "disciplines": disciplines,
        "awards": pd.DataFrame(
            {"award_id": ["w"], "person_id": ["A"], "award_date": pd.to_datetime(["2023-01-01"])}
        ),
    }


def _labels(definition: LabelDefinition) -> dict[str, int]:
    found = promotion_labels(_tables(), AS_OF, definition)
    return dict(zip(found["person_id"], found["label"], strict=True))


def test_default_definition() -> None:
    # A's 2019 'completed' is before the promotion, so it does not count against A.
    assert _labels(LabelDefinition(horizon_years=2)) == {"A": 1, "B": 0, "C": 0}


def test_each_condition_can_be_switched_off() -> None:
    loose = LabelDefinition(
        horizon_years=2, leadership_only=False, min_rating_after=None, no_discipline_after=False
    )
    assert _labels(loose) == {"A": 1, "B": 1, "C": 1, "D": 1}
    assert _labels(LabelDefinition(horizon_years=3))["E"] == 1


def test_a_horizon_past_the_extract_is_refused() -> None:
    with pytest.raises(ValueError, match="labels would be censored"):
        promotion_labels(_tables(), pd.Timestamp("2022-06-01"), LabelDefinition(horizon_years=2))


def test_training_frame_stacks_internal_rows_of_each_as_of() -> None:
    tables = random_extract(4)
    dates = ["2019-01-01", "2020-01-01", "2021-01-01"]
    frame = training_frame(
        tables,
        dates,
        LabelDefinition(horizon_years=2, leadership_only=False),
        build=build_features,
    )
    assert sorted(frame["as_of"].unique()) == [pd.Timestamp(d) for d in dates]
    assert (frame["population"] == "internal").all()
    assert set(frame["label"].unique()) <= {0, 1}
    for as_of, rows in frame.groupby("as_of"):
        assert len(rows) == len(build_features(tables, as_of).query("population == 'internal'"))
        expected = promotion_labels(
            tables, as_of, LabelDefinition(horizon_years=2, leadership_only=False)
        )
        positives = set(expected.loc[expected["label"] == 1, "person_id"])
        assert set(rows.loc[rows["label"] == 1, "person_id"]) == positives & set(rows["person_id"])


def test_training_frame_uses_the_labels_it_is_given_and_computes_the_others() -> None:
    tables = random_extract(4)
    definition = LabelDefinition(horizon_years=2, leadership_only=False)
    dates = ["2019-01-01", "2020-01-01"]
    computed = training_frame(tables, dates, definition, build=build_features)
    given = {"2020-01-01": promotion_labels(tables, pd.Timestamp("2020-01-01"), definition)}
    reused = training_frame(tables, dates, definition, build=build_features, labels_of=given)
    pd.testing.assert_frame_equal(reused, computed)
    # The given labels are the ones used: everyone labelled 1 means every labelled row is a 1.
    people = tables["people"]["person_id"].astype(str)
    everyone = {"2020-01-01": pd.DataFrame({"person_id": people, "label": 1})}
    ones = training_frame(tables, dates, definition, build=build_features, labels_of=everyone)
    in_2020 = (ones["as_of"] == pd.Timestamp("2020-01-01")).to_numpy()
    assert in_2020.sum() > 0 and (ones.loc[in_2020, "label"] == 1).all()
    assert computed.loc[in_2020, "label"].sum() < in_2020.sum()
    pd.testing.assert_frame_equal(ones.loc[~in_2020], computed.loc[~in_2020])
