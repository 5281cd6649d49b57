"""Training dates and split: a history gets a time split, a one-date extract a people hold-out,
an extract without a usable outcome a message saying what is missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.labels import LabelDefinition
from models.dataset import people_split_rows
from models.training_plan import NoUsableLabel, plan_training

RANGE = (pd.Timestamp("2010-01-01"), pd.Timestamp("2018-12-31"))


def _assignments(promotions: list[tuple[str, str, bool]]) -> dict[str, pd.DataFrame]:
    """Everyone hired 2010-01-01 (one last hire on 2018-12-31 ends the extract); then
    (person, start date, into leadership) promotions."""
    people = [f"P{i}" for i in range(10)]
    last_hire = {"person_id": "P99", "start_date": "2018-12-31", "reason": "recruitment",
                 "is_leadership": False}  # fmt: skip
    rows = [last_hire] + [
        {"person_id": p, "start_date": "2010-01-01", "reason": "recruitment",
         "is_leadership": False} for p in people
    ] + [
        {"person_id": p, "start_date": d, "reason": "promotion", "is_leadership": lead}
        for p, d, lead in promotions
    ]  # fmt: skip
    return {"assignments": pd.DataFrame(rows)}


ONE_YEAR = LabelDefinition(horizon_years=1, min_rating_after=None, no_discipline_after=False)


def test_a_history_with_promotions_every_year_is_split_by_time() -> None:
    tables = _assignments([(f"P{y - 2013}", f"{y}-06-01", True) for y in range(2013, 2019)])
    plan = plan_training(tables, RANGE, ONE_YEAR, max_dates=6)
    assert plan.split == "time"
    assert [f"{d:%Y}" for d in plan.dates] == ["2013", "2014", "2015", "2016", "2017", "2018"]
    assert sorted(plan.labels) == [f"{d:%Y-%m-%d}" for d in plan.dates]


def test_only_the_latest_usable_dates_are_labelled() -> None:
    # Each date's labels are a pass over the extract: dates older than the max_dates latest
    # usable ones are not looked at, and the labels of the chosen ones are kept for the frame.
    tables = _assignments([(f"P{y - 2013}", f"{y}-06-01", True) for y in range(2013, 2019)])
    plan = plan_training(tables, RANGE, ONE_YEAR, max_dates=2)
    assert [f"{d:%Y}" for d in plan.dates] == ["2017", "2018"]
    assert sorted(plan.positives) == ["2017-01-01", "2018-01-01"]
    labels = plan.labels["2018-01-01"]
    assert labels.loc[labels["label"] == 1, "person_id"].tolist() == ["P5"]


def test_a_one_date_extract_holds_out_people_at_that_date() -> None:
    # WNS: the outcome is dated at the end of the year after the one as_of; no earlier date
    # has a promotion in its horizon.
    tables = _assignments([("P1", "2018-12-31", True), ("P2", "2018-12-31", True)])
    plan = plan_training(tables, RANGE, ONE_YEAR)
    assert (plan.split, plan.dates) == ("people", [pd.Timestamp("2018-01-01")])
    assert plan.positives["2018-01-01"] == 2 and plan.positives["2017-01-01"] == 0


def test_promotions_not_into_leadership_name_the_setting_to_change() -> None:
    tables = _assignments([("P1", "2018-12-31", False)])
    with pytest.raises(NoUsableLabel, match=r"leadership_only: false") as raised:
        plan_training(tables, RANGE, ONE_YEAR)
    assert "1 promotion record(s) in all (0 into leadership" in str(raised.value)
    assert "has a champion" in str(raised.value)
    learn_all = LabelDefinition(horizon_years=1, leadership_only=False, min_rating_after=None)
    assert plan_training(tables, RANGE, learn_all).split == "people"


def test_no_promotion_at_all_says_what_is_missing() -> None:
    with pytest.raises(NoUsableLabel, match=r"0 promotion record\(s\) in all") as raised:
        plan_training(_assignments([]), RANGE, ONE_YEAR)
    assert "leadership_only" not in str(raised.value)


def test_a_horizon_longer_than_the_extract_names_the_setting() -> None:
    short = (pd.Timestamp("2018-01-01"), pd.Timestamp("2018-12-31"))
    with pytest.raises(ValueError, match=r"horizon_years"):
        plan_training(_assignments([]), short, ONE_YEAR)


def test_a_forced_time_split_on_one_date_is_refused() -> None:
    tables = _assignments([("P1", "2018-12-31", True)])
    with pytest.raises(ValueError, match=r"split is 'time' but only 1 date"):
        plan_training(tables, RANGE, ONE_YEAR, split="time")


def test_people_split_keeps_each_person_on_one_side_and_stratifies() -> None:
    rng = np.random.default_rng(0)
    people = np.repeat([f"P{i}" for i in range(200)], 2)  # two dates each
    label = np.repeat((rng.random(200) < 0.2).astype(int), 2)
    frame = pd.DataFrame({"person_id": people, "label": label})
    train, valid = people_split_rows(frame, share=0.25, seed=1)
    assert set(frame["person_id"].iloc[train]).isdisjoint(frame["person_id"].iloc[valid])
    assert len(train) + len(valid) == len(frame)
    held_people = frame.iloc[valid].drop_duplicates("person_id")
    assert len(held_people) == 50
    overall = frame.drop_duplicates("person_id")["label"].mean()
    assert abs(held_people["label"].mean() - overall) <= 0.02
    with pytest.raises(ValueError, match="promoted and not-promoted"):
        people_split_rows(frame.assign(label=0), share=0.25)


def test_max_dates_below_one_is_refused() -> None:
    tables = _assignments([("P1", "2018-06-01", True)])
    with pytest.raises(ValueError, match="max_dates must be at least 1, got 0"):
        plan_training(tables, RANGE, ONE_YEAR, max_dates=0)
