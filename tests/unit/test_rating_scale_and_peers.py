"""The contract keeps a rating's own scale; features read it, and peers compare within groups."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features
from features.peers import peer_features
from hientai.contract import get_table
from tests.featurekit import random_extract


def _scale_rule_breaks(score: list[float | None], top: list[float | None]) -> list[bool]:
    (rule,) = [r for r in get_table("evaluations").rules if r.name == "rating_score_within_scale"]
    frame = pd.DataFrame({"rating_score": score, "rating_scale_max": top}, dtype="float64")
    return rule.violated(frame).tolist()


def test_a_score_needs_its_scale_and_must_fit_in_it() -> None:
    score = [4.0, 5.0, 6.0, 4.0, None, None]
    top = [5.0, 5.0, 5.0, None, 5.0, None]
    assert _scale_rule_breaks(score, top) == [False, False, True, True, False, False]


def test_the_score_is_optional_and_not_protected() -> None:
    evaluations = get_table("evaluations")
    for name in ("rating_score", "rating_scale_max"):
        column = evaluations.column(name)
        assert not column.required and column.nullable and not column.protected


def test_the_last_score_is_read_as_a_share_of_its_scale() -> None:
    tables = random_extract(0)
    evaluations = tables["evaluations"]
    years = evaluations["year"].astype(int)
    # Each person's score is their rating year on a 1-10 scale, so the last one is known.
    scored = evaluations.assign(rating_score=(years - 2014).astype(float), rating_scale_max=10.0)
    built = build_features({**tables, "evaluations": scored}, "2020-01-01").set_index("person_id")
    last_year = scored.loc[years < 2020].groupby("person_id")["year"].max().astype(int)
    expected = ((last_year - 2014) / 10).loc[lambda e: e.index.isin(built.index)]
    assert len(expected) >= 10
    got = built.loc[expected.index, "rating_score_last"]
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy())
    without = build_features(tables, "2020-01-01")
    assert without["rating_score_last"].isna().all()


def test_peers_are_ranked_within_their_group_only() -> None:
    values = {
        "training_score_mean": np.array([50.0, 60.0, 90.0, 80.0, 70.0, np.nan]),
        "kpi_achievement_3y": np.array([1.0, 0.0, 1.0, 1.0, 0.5, 0.5]),
        "rating_last": np.array([3.0, 2.0, np.nan, 1.0, 0.0, 3.0]),
        "rating_score_last": np.array([np.nan, 1.0, 0.4, np.nan, np.nan, 0.2]),
    }
    groups = {
        "field": pd.Series(["a", "a", "b", "b", None, "a"], dtype=object),
        "province": pd.Series(["p", "p", "p", "p", "p", "p"], dtype=object),
    }
    out = peer_features(values, groups)
    # Field a: 50 and 60 (the third member has no score); field b: 90 and 80; e: no field.
    np.testing.assert_allclose(
        out["training_score_pctile_field"], [50, 100, 100, 50, np.nan, np.nan]
    )
    np.testing.assert_allclose(
        out["training_score_pctile_province"], [20, 40, 100, 80, 60, np.nan]
    )
    # Finest rating: level/3 where no score (1.0, -, -, 1/3), else the score share.
    np.testing.assert_allclose(
        out["rating_pctile_field"], [100 * 2.5 / 3, 100 * 2.5 / 3, 100, 50, np.nan, 100 / 3]
    )
    assert not np.isnan(out["kpi_achievement_pctile_field"][[0, 1, 2, 3, 5]]).any()
    assert np.isnan(out["kpi_achievement_pctile_field"][4])


@pytest.mark.parametrize("engine", ["pandas", "duckdb"])
def test_an_extract_without_fields_has_no_field_percentiles(engine: str) -> None:
    tables = random_extract(1)
    people = tables["people"].drop(columns=["field"])
    built = build_features({**tables, "people": people}, "2021-07-01", engine=engine)  # type: ignore[arg-type]
    assert built["training_score_pctile_field"].isna().all()
    assert built["training_score_pctile_province"].notna().any()
