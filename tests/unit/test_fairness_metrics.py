"""Group metrics of a selection, each against an independent computation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, selection_rate

from models.fairness import group_table, impact_ratio, impact_ratio_interval
from models.reweigh import reweighing_weights

RNG = np.random.default_rng(3)
N = 4000
GROUP = RNG.choice(np.array(["a", "b", "c"], dtype=object), N, p=[0.5, 0.3, 0.2])
SELECTED = RNG.random(N) < np.where(GROUP == "a", 0.2, np.where(GROUP == "b", 0.15, 0.1))
Y = (RNG.random(N) < 0.3).astype(int)


def test_impact_ratio_equals_fairlearn_selection_rates() -> None:
    rates = MetricFrame(
        metrics=selection_rate, y_true=Y, y_pred=SELECTED.astype(int), sensitive_features=GROUP
    ).by_group
    assert impact_ratio(SELECTED, GROUP) == pytest.approx(rates.min() / rates.max(), rel=1e-12)


def test_small_groups_and_unknowns_are_left_out_of_the_ratio() -> None:
    group = GROUP.copy()
    group[:10] = "tiny"  # 10 people: below the minimum group size
    group[10:20] = None
    expected = pd.Series(SELECTED[20:]).groupby(group[20:]).mean()
    expected = expected.drop("tiny", errors="ignore")
    assert impact_ratio(SELECTED, group) == pytest.approx(expected.min() / expected.max())


def test_bootstrap_interval_matches_a_resampling_bootstrap() -> None:
    low, high = impact_ratio_interval(SELECTED, GROUP, draws=2000, seed=1)
    rng = np.random.default_rng(7)
    brute = []
    for _ in range(400):
        idx = rng.integers(0, N, N)
        brute.append(impact_ratio(SELECTED[idx], GROUP[idx]))
    assert low < impact_ratio(SELECTED, GROUP) < high
    assert low == pytest.approx(np.quantile(brute, 0.025), abs=0.04)
    assert high == pytest.approx(np.quantile(brute, 0.975), abs=0.04)


def test_group_table_matches_per_group_slices() -> None:
    table = group_table(SELECTED, Y, pd.DataFrame({"g": GROUP})).set_index("group")
    for value in ("a", "b", "c"):
        rows = value == GROUP
        assert table.loc[value, "n"] == rows.sum()
        assert table.loc[value, "selection_rate"] == pytest.approx(SELECTED[rows].mean())
        positives = rows & (Y == 1)
        assert table.loc[value, "tpr"] == pytest.approx(SELECTED[positives].mean())


def test_reweighing_makes_the_label_independent_of_the_group() -> None:
    y = (RNG.random(N) < np.where(GROUP == "a", 0.4, 0.1)).astype(int)
    weights = reweighing_weights(y, pd.DataFrame({"g": GROUP}))
    weighted = pd.DataFrame({"g": GROUP, "yw": y * weights, "w": weights})
    sums = weighted.groupby("g")[["yw", "w"]].sum()
    rates = sums["yw"] / sums["w"]
    assert rates.max() - rates.min() < 1e-12
    assert np.average(y, weights=weights) == pytest.approx(y.mean())
