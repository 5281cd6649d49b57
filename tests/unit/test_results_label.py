"""The demonstrated-results label: horizon records only, peers compared, evidence required."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features
from features.labels import training_frame
from features.results_label import (
    ResultsDefinition,
    _aligned,
    _surveys,
    _unit_at,
    results_labels,
    results_scores,
)
from tests.featurekit import random_extract

AS_OF = pd.Timestamp("2019-01-01")
DEFINITION = ResultsDefinition(horizon_years=2)


def _scores(tables: dict[str, pd.DataFrame]) -> pd.Series:
    found = results_scores(tables, AS_OF, DEFINITION)
    return found.set_index("person_id")["results"]


def _outside_the_horizon(tables: dict[str, pd.DataFrame], rng: np.random.Generator) -> dict:
    """The same extract with every result dated before as_of or after the horizon changed."""
    end = AS_OF + pd.DateOffset(years=2)
    changed = dict(tables)
    for name, column, values in [
        ("outputs", "achieved", lambda n: rng.uniform(0, 500, n)),
        ("outputs", "quality", lambda n: rng.uniform(1, 5, n)),
        ("surveys_360", "task_performance", lambda n: rng.uniform(1, 5, n)),
        ("confidence_votes", "high_share", lambda n: rng.uniform(0, 1, n)),
    ]:
        frame = changed[name].copy()
        date_column = {"outputs": "period_end", "surveys_360": "survey_date"}.get(
            name, "vote_date"
        )
        day = pd.to_datetime(frame[date_column])
        outside = ((day < AS_OF) | (day >= end)).to_numpy()
        if column in frame and outside.any():
            kept = frame[column].notna().to_numpy() & outside
            frame.loc[kept, column] = values(int(kept.sum()))
        changed[name] = frame
    evaluations = changed["evaluations"].copy()
    outside = ((evaluations["year"] < AS_OF.year) | (evaluations["year"] >= end.year)).to_numpy()
    evaluations.loc[outside, "rating"] = rng.choice(
        ["excellent", "good", "completed", "not_completed"], int(outside.sum())
    )
    evaluations.loc[outside, "rating_score"] = np.nan
    changed["evaluations"] = evaluations
    return changed


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_label_reads_only_the_horizon(seed: int) -> None:
    tables = random_extract(seed, n_people=60)
    changed = _outside_the_horizon(tables, np.random.default_rng(seed))
    assert not changed["outputs"]["achieved"].equals(tables["outputs"]["achieved"])
    before, after = _scores(tables), _scores(changed)
    pd.testing.assert_series_equal(before.sort_index(), after.sort_index())


def test_better_outputs_in_the_horizon_raise_the_score() -> None:
    tables = random_extract(5, n_people=60)
    base = _scores(tables)
    outputs = tables["outputs"]
    window = pd.to_datetime(outputs["period_end"]).between(AS_OF, AS_OF + pd.DateOffset(years=2))
    kpis = outputs.loc[window & (outputs["kind"] == "kpi")]
    person = kpis.loc[(kpis["achieved"] / kpis["target"]).idxmin(), "person_id"]  # the weakest
    mine = (outputs["person_id"] == person) & window & (outputs["kind"] == "kpi")
    better = outputs.copy()
    better.loc[mine, "achieved"] = better.loc[mine, "target"] * 5  # the capped best
    raised = _scores({**tables, "outputs": better})
    assert raised[person] > base[person]


def test_lenient_raters_of_a_unit_do_not_count_as_merit() -> None:
    # Every 360 score given in one unit rises by one point: results compare each person with
    # the same unit's raters, so nobody's survey part moves.
    tables = random_extract(6, n_people=60)
    unit = _unit_at(tables, AS_OF)
    surveys = tables["surveys_360"]
    in_unit = surveys["person_id"].astype(str).map(unit) == unit.iloc[0]
    lenient = surveys.copy()
    for dim in ["political_ideology", "ethics_lifestyle", "work_style", "task_performance",
                "leadership_capacity"]:  # fmt: skip
        lenient.loc[in_unit, dim] = lenient.loc[in_unit, dim] + 1
    end = AS_OF + pd.DateOffset(years=2)
    before = _surveys(tables, AS_OF, end, unit)["value"]
    after = _surveys({**tables, "surveys_360": lenient}, AS_OF, end, unit)["value"]
    pd.testing.assert_series_equal(before, after, atol=1e-9)


def test_people_without_enough_evidence_get_no_label() -> None:
    tables = random_extract(7, n_people=60)
    scores = results_scores(tables, AS_OF, DEFINITION)
    strict = ResultsDefinition(horizon_years=2, min_evidence=int(scores["evidence"].max()))
    labelled = results_labels(tables, AS_OF, strict)
    assert set(labelled["person_id"]) == set(
        scores.loc[scores["evidence"] >= strict.min_evidence, "person_id"]
    ) & set(_unit_at(tables, AS_OF).index)


def test_the_top_share_is_labelled_one() -> None:
    tables = random_extract(8, n_people=80)
    labels = results_labels(tables, AS_OF, ResultsDefinition(horizon_years=2, top_share=0.25))
    assert 0.2 <= labels["label"].mean() <= 0.3
    scores = _scores(tables)
    top = scores.reindex(labels.loc[labels["label"] == 1, "person_id"])
    rest = scores.reindex(labels.loc[labels["label"] == 0, "person_id"])
    assert top.min() >= rest.max()


def test_a_horizon_past_the_extract_is_refused() -> None:
    tables = random_extract(9)
    with pytest.raises(ValueError, match="labels would be censored"):
        results_labels(tables, pd.Timestamp("2030-01-01"), DEFINITION)


def test_training_frame_keeps_only_labelled_people() -> None:
    tables = random_extract(10, n_people=60)
    definition = ResultsDefinition(horizon_years=2, min_evidence=3)
    frame = training_frame(tables, [AS_OF], definition, build=build_features)
    labels = results_labels(tables, AS_OF, definition)
    rows = build_features(tables, AS_OF).query("population == 'internal'")
    assert len(frame) > 0
    assert set(frame["person_id"].astype(str)) == set(labels["person_id"]) & set(
        rows["person_id"].astype(str)
    )
    expected = labels.set_index("person_id")["label"]
    got = frame.set_index(frame["person_id"].astype(str))["label"]
    assert (got == expected.reindex(got.index)).all()


@pytest.mark.parametrize("dtype", ["string[pyarrow]", "object", "category"])
def test_scores_and_labels_do_not_depend_on_how_ids_are_stored(dtype: str) -> None:
    """People are grouped by their ids' sorted codes: text, Python strings and categories give
    the same scores and labels, value for value (and in the same order)."""
    tables = random_extract(11, n_people=80)
    recast = {
        name: frame.assign(
            **{c: frame[c].astype(dtype) for c in ("person_id", "org_id") if c in frame}
        )
        for name, frame in tables.items()
    }
    for as_of in (AS_OF, pd.Timestamp("2020-01-01")):
        pd.testing.assert_frame_equal(
            results_scores(recast, as_of, DEFINITION),
            results_scores(tables, as_of, DEFINITION),
            check_exact=True,
        )
        pd.testing.assert_frame_equal(
            results_labels(recast, as_of, DEFINITION),
            results_labels(tables, as_of, DEFINITION),
            check_exact=True,
        )


def test_the_parts_align_as_a_sorted_concat_would() -> None:
    """Arrow's union and sort of the ids give pandas' order, non-ASCII and mixed-case ids too."""
    rng = np.random.default_rng(8)
    pool = np.array(["Đỗ-7", "do-7", "Z-1", "a-10", "a-9", "Ánh", "anh", "P-01", "P-1", "ß"])
    parts = {}
    for kind in ("outputs", "ratings", "unit"):
        ids = rng.choice(pool, size=int(rng.integers(3, len(pool))), replace=False)
        parts[kind] = pd.DataFrame({"value": rng.random(len(ids))}, index=pd.Index(ids))
    ids, rows = _aligned(parts)
    expected = pd.concat({k: v["value"] for k, v in parts.items()}, axis=1, sort=True)
    assert list(ids) == list(expected.index)
    for kind, part in parts.items():
        got = pd.Series(np.nan, index=ids)
        got.iloc[rows[kind]] = part["value"].to_numpy()
        pd.testing.assert_series_equal(got, expected[kind], check_names=False)
