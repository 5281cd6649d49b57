"""The proxy audit's one-sort-per-feature AUC equals the rank-sum AUC on every kind of input:
ties, missing values on either side, a constant feature, groups below the minimum size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.proxy import MIN_GROUP, _RankedFeature, folded_auc, proxy_audit


def _cases() -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(3)
    n = 2_000
    group = (rng.random(n) < 0.3).astype("float64")
    group[rng.random(n) < 0.1] = np.nan
    ties = rng.integers(0, 5, n).astype("float64")
    ties[rng.random(n) < 0.2] = np.nan
    linked = group * 0.8 + rng.normal(size=n)
    few = np.where(np.arange(n) < MIN_GROUP - 1, 1.0, 0.0)
    return [
        (rng.normal(size=n), group),
        (ties, group),
        (np.nan_to_num(linked, nan=0.0), group),
        (np.full(n, 2.0), group),
        (np.full(n, np.nan), group),
        (rng.normal(size=n), few),
        (ties, np.where(np.isnan(ties), 1.0, group)),
        # -0.0 and 0.0 are one value (tied), as the rank sum counts them
        (np.where(rng.random(n) < 0.3, 1.0, np.where(group == 1, 0.0, -0.0)), group),
    ]


@pytest.mark.parametrize("case", range(8))
def test_equal_to_the_rank_sum_auc(case: int) -> None:
    score, group = _cases()[case]
    expected, used = folded_auc(score, group)
    got, got_used = _RankedFeature(score).folded_auc(group)
    assert got_used == used
    if np.isnan(expected):
        assert np.isnan(got)
    else:
        assert got == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("others", [False, True])
def test_the_audit_table_is_the_reference_loop(others: bool) -> None:
    # ``others``: some rows are of neither population; they count in the scope of everyone.
    rng = np.random.default_rng(5)
    n = 1_500
    member = (rng.random(n) < 0.4).astype("float64")
    population = np.where(rng.random(n) < 0.1, "external", "internal")
    if others:
        population[rng.random(n) < 0.05] = "unknown"
    features = pd.DataFrame(
        {
            "population": population,
            "course": np.round(member * 2 + rng.normal(size=n)),
            "noise": rng.normal(size=n),
        }
    )
    male = (rng.random(n) < 0.5) * 1.0
    male[rng.random(n) < 0.1] = np.nan
    groups = pd.DataFrame({"party_member": member, "male": male})
    audit = proxy_audit(features, groups, ["course", "noise"], threshold=0.65)
    assert list(audit["scope"].unique()) == ["all", "internal", "external"]
    assert len(audit) == 3 * 2 * 2
    pairs = list(zip(audit["feature"], audit["attribute"], strict=True))
    first = [("course", "party_member"), ("course", "male"), ("noise", "party_member")]
    assert pairs[:3] == first
    for row in audit.itertuples():
        rows = {
            "all": np.ones(n, dtype=bool),
            "internal": features["population"].to_numpy() == "internal",
            "external": features["population"].to_numpy() == "external",
        }[row.scope]
        auc, used = folded_auc(
            features[row.feature].to_numpy(dtype="float64")[rows],
            groups[row.attribute].to_numpy()[rows],
        )
        assert row.rows == used
        assert (np.isnan(auc) and np.isnan(row.auc)) or row.auc == pytest.approx(auc, abs=1e-12)
    assert audit.loc[
        (audit["feature"] == "course") & (audit["scope"] == "internal"), "flagged"
    ].any()
