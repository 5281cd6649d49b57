"""The diff between two nights: who entered, who left, and a reason that is true."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.night_diff import night_diff


def _entries(rows: list[tuple[str, str, int | None, int, float, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows, columns=["pool_id", "person_id", "rank", "rank_model", "score", "in_shortlist"]
    ).assign(full_name="x")


PREVIOUS = _entries(
    [
        ("P", "closed", 1, 1, 0.9, True),  # P is gone tonight
        ("A", "gone", 1, 1, 0.9, True),  # left the population
        ("A", "ruled", 2, 2, 0.8, True),  # now under discipline
        ("A", "pushed", 3, 3, 0.7, True),  # re-ranking took the place
        ("A", "lower", 4, 4, 0.6, True),  # overtaken
        ("A", "riser", None, 7, 0.3, False),  # qualified, not listed last night
    ]
)
CURRENT = _entries(
    [
        ("A", "pushed", None, 2, 0.7, False),
        ("A", "lower", None, 6, 0.5, False),
        ("A", "riser", 1, 1, 0.95, True),
        ("A", "fresh", 2, 3, 0.65, True),
        ("A", "x1", 3, 4, 0.6, True),
        ("A", "x2", 4, 5, 0.6, True),
        ("N", "first", 1, 1, 0.5, True),  # a new pool
    ]
)
STATUS = pd.DataFrame(
    [
        ("P", "closed", True, False, [], 0.9),
        ("A", "gone", False, True, [], np.nan),
        ("A", "ruled", True, True, ["no active discipline"], 0.8),
        ("A", "pushed", True, True, [], 0.7),
        ("A", "lower", True, True, [], 0.5),
    ],
    columns=["pool_id", "person_id", "in_population", "pool_open", "failed_rules", "score"],
)


def test_each_change_has_its_true_reason() -> None:
    diff = night_diff(PREVIOUS, CURRENT, STATUS, previous_pools={"P", "A"}, k={"A": 4, "N": 1})
    reasons = dict(zip(diff["person_id"], diff["reason_en"], strict=True))
    changes = dict(zip(diff["person_id"], diff["change"], strict=True))
    assert reasons["closed"] == "pool closed (post filled or removed)"
    assert reasons["gone"] == "no longer in the population"
    assert reasons["ruled"] == "no longer eligible: no active discipline"
    assert reasons["pushed"] == "gave up the place to fairness re-ranking (model rank 2)"
    assert reasons["lower"] == "score 0.600 -> 0.500; ranked 6 tonight, the shortlist holds 4"
    assert reasons["riser"] == "score 0.300 -> 0.950; ranked 7 last night"
    assert reasons["fresh"].startswith("newly eligible, or outside last night's qualified set")
    assert reasons["first"] == "new pool (post or slot opened)"
    assert {p for p, c in changes.items() if c == "left"} == {
        "closed",
        "gone",
        "ruled",
        "pushed",
        "lower",
    }
    assert {p for p, c in changes.items() if c == "entered"} == {
        "riser",
        "fresh",
        "x1",
        "x2",
        "first",
    }
    assert diff["reason_vi"].str.len().gt(0).all()


def test_a_pool_that_existed_without_entries_is_not_new() -> None:
    diff = night_diff(
        PREVIOUS.iloc[0:0],
        CURRENT.loc[CURRENT["pool_id"] == "N"],
        STATUS.iloc[0:0],
        previous_pools={"N"},  # it existed, nobody was eligible
        k={"N": 1},
    )
    assert diff["reason_en"].tolist() == [
        "newly eligible, or outside last night's qualified set (score now 0.500)"
    ]
