"""Early warnings: each signal raised and not raised, with evidence; KPI change by hand."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from models.early_warning import (
    WarningThresholds,
    current_leaders,
    early_warnings,
    kpi_change,
    rating_count,
)

AS_OF = pd.Timestamp("2026-01-01")
STEADY = {
    "org_id": "P1",
    "province": "HN",
    "rating_trend_3y": 0.0,
    "rating_last": 2.0,
    "vote_high_share_trend": 0.0,
    "vote_low_share_last": 0.05,
    "discipline_active": 0.0,
}


def _warn(kpi: float = 0.0, ratings: int = 3, **changes: float) -> pd.DataFrame:
    features = pd.DataFrame([{"person_id": "L1", **STEADY, **changes}])
    leaders = pd.DataFrame({"person_id": ["L1"], "full_name": ["Lê Văn B"], "title": ["Giám đốc"]})
    counts = pd.Series({"L1": ratings}) if ratings else pd.Series(dtype="int64")
    return early_warnings(
        features, pd.Series({"L1": kpi}), counts, leaders, thresholds=WarningThresholds()
    )


def test_a_steady_leader_gets_no_warning() -> None:
    assert _warn().empty


@pytest.mark.parametrize(
    ("changes", "signal", "severity", "evidence"),
    [
        ({"rating_trend_3y": -0.5}, "ratings_falling", "medium", "3-year rating trend -0.50"),
        ({"rating_last": 1.0}, "ratings_falling", "medium", "last rating: completed"),
        ({"kpi": -0.2}, "outputs_falling", "medium", "KPI achievement last year 20% below"),
        ({"vote_high_share_trend": -0.2}, "confidence_falling", "medium", "changed -20%"),
        (
            {"vote_low_share_last": 0.4},
            "confidence_falling",
            "medium",
            "'low confidence' share 40%",
        ),
        ({"discipline_active": 1.0}, "active_discipline", "high", "active disciplinary"),
    ],
)
def test_each_signal_with_its_evidence(
    changes: dict, signal: str, severity: str, evidence: str
) -> None:
    found = _warn(**changes)
    assert len(found) == 1
    assert json.loads(found["signals"].iloc[0]) == [signal]
    assert found["severity"].iloc[0] == severity
    assert evidence in found["evidence_en"].iloc[0]
    assert found["evidence_vi"].iloc[0]


def test_just_inside_the_thresholds_is_no_warning() -> None:
    assert _warn(kpi=-0.14, rating_trend_3y=-0.29, vote_low_share_last=0.3).empty


def test_kpi_change_equals_a_hand_computation() -> None:
    outputs = pd.DataFrame(
        {
            "person_id": ["A"] * 5 + ["B"],
            "period_end": [
                "2023-12-31",
                "2024-12-31",
                "2025-06-30",
                "2025-12-31",
                "2026-03-31",
                "2025-12-31",
            ],
            "kind": ["kpi"] * 6,
            "target": [10.0, 10.0, 10.0, 10.0, 10.0, 10.0],
            "achieved": [10.0, 12.0, 4.0, 4.0, 99.0, 9.0],
        }
    )
    change = kpi_change(outputs, AS_OF)
    # A: 2025 = 8/20 = 0.4; 2023 = 1.0, 2024 = 1.2 -> 0.4 - 1.1; the 2026 record is after as_of.
    assert change["A"] == pytest.approx(0.4 - 1.1)
    assert np.isnan(change["B"])  # no earlier years: no trend


def test_current_leaders_are_those_in_a_running_leadership_spell() -> None:
    spells = pd.DataFrame(
        {
            "person_id": ["A", "A", "B", "C", "D"],
            "title": ["Phó GĐ", "Giám đốc", "Giám đốc", "Chuyên viên", "Giám đốc"],
            "is_leadership": [True, True, True, False, True],
            "start_date": ["2015-01-01", "2020-01-01", "2018-01-01", "2019-01-01", "2026-05-01"],
            "end_date": [None, None, "2025-06-30", None, None],
        }
    )
    assert current_leaders(spells, AS_OF).to_dict("records") == [
        {"person_id": "A", "title": "Giám đốc"}
    ]


def test_unknown_facts_are_left_out_of_the_evidence() -> None:
    found = _warn(rating_last=1.0, rating_trend_3y=float("nan"))
    assert found["evidence_en"].iloc[0] == "last rating: completed; 3 ratings in the last 3 years"
    assert "nan" not in found["evidence_vi"].iloc[0]


def test_rating_count_equals_a_hand_count_of_the_trend_window() -> None:
    evaluations = pd.DataFrame(
        {
            "person_id": ["A", "A", "A", "A", "A", "B", "C", "D"],
            "year": [2022, 2023, 2024, 2025, 2026, 2025, 2025, 2024],
            "rating": ["good", "good", "excellent", "completed", "good", "good", None, "?"],
        }
    )
    counts = rating_count(evaluations, AS_OF)
    # The window of rating_trend_3y at 2026-01-01 is 2023-2025. A: 2023, 2024, 2025 (2022 is
    # before it, 2026 not known at as_of); B: one rating; C has none, D an unknown level.
    assert counts.to_dict() == {"A": 3, "B": 1}


@pytest.mark.parametrize("ratings", [0, 1])
def test_one_rating_is_no_falling_trend(ratings: int) -> None:
    assert _warn(ratings=ratings, rating_last=1.0).empty
    assert _warn(ratings=ratings, rating_last=0.0, rating_trend_3y=-1.0).empty


def test_two_ratings_make_a_trend_and_the_evidence_says_how_many() -> None:
    found = _warn(ratings=2, rating_last=1.0)
    assert json.loads(found["signals"].iloc[0]) == ["ratings_falling"]
    assert "2 ratings in the last 3 years" in found["evidence_en"].iloc[0]
    assert "2 lần xếp loại trong 3 năm gần nhất" in found["evidence_vi"].iloc[0]


def test_a_single_rating_leader_still_gets_the_other_signals() -> None:
    found = _warn(ratings=1, rating_last=1.0, discipline_active=1.0)
    assert json.loads(found["signals"].iloc[0]) == ["active_discipline"]
    assert "rating" not in found["evidence_en"].iloc[0]
