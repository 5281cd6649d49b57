"""models.drift against hand computations: bins, shares and PSI = sum (a - e) ln(a / e)."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pandas as pd
import pytest

from models.drift import (
    ATOM_SHARE,
    CLUSTER_SHARE,
    RESOLUTION,
    SHARE_FLOOR,
    ColumnProfile,
    DriftProfile,
    bin_shares,
    column_profile,
    drift_profile,
    drift_summary,
    missing_shares,
    night_drift,
    psi,
)

F = SHARE_FLOOR


def term(a: float, e: float) -> float:
    a, e = max(a, F), max(e, F)
    return (a - e) * math.log(a / e)


def test_identical_distributions_give_zero() -> None:
    values = np.random.default_rng(0).normal(size=1000)
    profile = column_profile(values)
    assert psi(values, profile) == 0.0
    assert psi(np.random.default_rng(0).permutation(values), profile) == 0.0


def test_deciles_of_one_to_ten_are_the_edges_and_each_bin_holds_a_tenth() -> None:
    profile = column_profile(np.arange(1, 11))
    assert profile.edges == pytest.approx([1.9, 2.8, 3.7, 4.6, 5.5, 6.4, 7.3, 8.2, 9.1])
    assert profile.shares == pytest.approx([0.1] * 10 + [0.0])
    assert profile.missing_share == 0.0


def test_everyone_moving_to_the_top_bin_gives_the_hand_computed_psi() -> None:
    profile = column_profile(np.arange(1, 11))
    expected = 9 * term(0.0, 0.1) + term(1.0, 0.1) + term(0.0, 0.0)
    assert expected == pytest.approx(9 * (F - 0.1) * math.log(F / 0.1) + 0.9 * math.log(10))
    assert psi(np.full(40, 10.0), profile) == pytest.approx(expected)


def test_a_known_shift_with_missing_values_gives_the_hand_computed_psi() -> None:
    profile = column_profile([0.0] * 50 + [1.0] * 50)
    new = [0.0] * 20 + [1.0] * 70 + [None] * 10
    # Reference: half at 0, half at 1, none missing; tonight 0.2, 0.7 and 0.1 missing.
    expected = term(0.2, 0.5) + term(0.7, 0.5) + term(0.1, 0.0)
    assert psi(new, profile) == pytest.approx(expected)
    assert psi(new, profile) == pytest.approx(
        -0.3 * math.log(0.4) + 0.2 * math.log(1.4) + (0.1 - F) * math.log(0.1 / F)
    )


def test_shares_match_a_loop_over_the_bins() -> None:
    rng = np.random.default_rng(1)
    reference = rng.integers(0, 7, size=500).astype(float)
    profile = column_profile(reference)
    new = np.where(rng.random(300) < 0.05, np.nan, rng.integers(-1, 9, size=300))
    edges = [-math.inf, *profile.edges, math.inf]
    counts = [0] * (len(edges) - 1)
    for x in new[~np.isnan(new)]:
        counts[next(i for i in range(len(counts)) if edges[i] < x <= edges[i + 1])] += 1
    shares = [c / len(new) for c in counts] + [float(np.isnan(new).mean())]
    ref_counts = [
        ((reference > lo) & (reference <= hi)).mean() for lo, hi in itertools.pairwise(edges)
    ]
    assert profile.shares == pytest.approx([*ref_counts, 0.0])
    expected = sum(term(a, e) for a, e in zip(shares, profile.shares, strict=True))
    assert psi(new, profile) == pytest.approx(expected)


def test_a_feature_constant_in_the_reference() -> None:
    profile = column_profile([5] * 10)
    assert profile.edges == (5.0,)
    assert profile.shares == (1.0, 0.0, 0.0)
    assert psi([5] * 8, profile) == 0.0
    assert psi([5] * 5 + [6] * 5, profile) == pytest.approx(term(0.5, 1.0) + term(0.5, 0.0))


def test_all_missing_columns() -> None:
    profile = column_profile([np.nan] * 6)
    assert profile.edges == () and profile.shares == (0.0, 1.0)
    assert psi(pd.Series([None] * 3, dtype=object), profile) == 0.0
    assert psi([1.0, 2.0], profile) == pytest.approx(term(1.0, 0.0) + term(0.0, 1.0))
    assert psi([1.0, 2.0], profile) == pytest.approx(2 * (1 - F) * math.log(1 / F))
    present = column_profile([1.0, 2.0, 3.0])
    assert psi([np.nan] * 4, present) == pytest.approx(
        sum(term(0.0, e) for e in present.shares[:-1]) + term(1.0, 0.0)
    )
    assert math.isnan(psi([], present))


def _tied_percentiles(rng: np.random.Generator, fields: int, jitter: float) -> np.ndarray:
    """A percentile of a rating with three levels within each field: one value per field and
    level, a field's value moving by ``jitter`` with its make-up (as in features/peers.py)."""
    level = rng.choice(3, size=60_000, p=[0.1, 0.6, 0.3])
    field = rng.integers(0, fields, size=60_000)
    centre = np.array([5.0, 40.0, 85.0])[level]
    return (
        centre + rng.normal(0.0, 0.05, size=fields)[field] + rng.normal(0.0, jitter, fields)[field]
    )


@pytest.mark.parametrize(
    ("fields", "jitter", "band"),
    [
        (40, 0.05, 0.3),
        (15, 0.4, 1.6),
    ],  # a national extract; a small one (fields' values move more)
)
def test_cut_points_never_split_a_cluster_of_near_equal_values(
    fields: int, jitter: float, band: float
) -> None:
    reference = _tied_percentiles(np.random.default_rng(3), fields=fields, jitter=0.0)
    tonight = _tied_percentiles(np.random.default_rng(4), fields=fields, jitter=jitter)
    profile = column_profile(reference)
    # Each level's values lie within ``band`` of its centre; no cut point falls in those bands.
    for centre in (5.0, 40.0, 85.0):
        assert all(abs(e - centre) > band for e in profile.edges), profile.edges
    assert psi(tonight, profile) < 0.01
    # The plain deciles cut the 60% level six times: the same people read as a large drift.
    plain = np.unique(np.quantile(reference, np.arange(0.1, 1.0, 0.1)))
    fragile = ColumnProfile(tuple(plain), tuple(bin_shares(reference, tuple(plain))))
    assert psi(tonight, fragile) > 0.25
    # A real move of a level is still seen.
    assert psi(np.where(tonight > 80, 30.0, tonight), profile) > 0.25


def _rule_by_hand(values: np.ndarray) -> tuple[float, ...]:
    """The module docstring's rule, computed the slow way (under TIE_SAMPLE rows: no sample)."""
    levels = np.arange(0.1, 1.0, 0.1)
    low, high = np.quantile(values, [0.01, 0.99])
    width = RESOLUTION * (high - low)
    distinct, counts = np.unique(values, return_counts=True)
    ties = {v for v, c in zip(distinct, counts, strict=True) if c >= ATOM_SHARE * len(values)}

    def crowded(point: float) -> bool:
        near = (np.abs(values - point) <= width) & (values != point)
        on_ties = np.isin(values, list(ties))
        return (near & on_ties).mean() > CLUSTER_SHARE

    sturdy = [m for m in (distinct[:-1] + distinct[1:]) / 2 if not crowded(m)]
    edges = []
    for level, decile in zip(levels, np.quantile(values, levels), strict=True):
        if crowded(decile) and sturdy:
            edges.append(min(sturdy, key=lambda m: abs((values <= m).mean() - level)))
        else:
            edges.append(decile)
    return tuple(np.unique(edges))


@pytest.mark.parametrize("case", range(7))
def test_cut_points_follow_the_rule_computed_by_hand(case: int) -> None:
    rng = np.random.default_rng(10 + case)
    values = [
        _tied_percentiles(rng, fields=25, jitter=0.02)[:4000],
        rng.integers(0, 5, size=3000).astype(float),
        rng.normal(size=3000),
        np.r_[np.zeros(2000), rng.exponential(size=1000)],
        np.r_[rng.normal(0, 0.0005, size=1500), rng.normal(10, 3, size=1500)],
        np.round(rng.normal(50, 10, size=3000), 2),
        _tied_percentiles(rng, fields=30, jitter=0.3)[:5000],
    ][case]
    assert column_profile(values).edges == pytest.approx(_rule_by_hand(values), abs=1e-12)


def test_smooth_columns_keep_their_deciles() -> None:
    for values in (
        np.random.default_rng(5).normal(size=100_000),
        np.random.default_rng(6).lognormal(sigma=1.0, size=100_000),
    ):
        deciles = np.quantile(values, np.arange(0.1, 1.0, 0.1))
        assert column_profile(values).edges == pytest.approx(tuple(deciles))


def test_missing_shares_per_feature() -> None:
    frame = pd.DataFrame({"a": [1.0, None, 3.0, None], "b": ["x", "y", None, "z"]})
    assert missing_shares(frame, ["a", "b", "absent"]) == {"a": 0.5, "b": 0.25, "absent": 1.0}


def test_a_profile_survives_json() -> None:
    frame = pd.DataFrame({"a": np.arange(20.0), "score": np.linspace(0, 1, 20)})
    profile = drift_profile(frame, ["a", "score"], tables={"people": 0.125})
    again = DriftProfile.from_dict(json.loads(json.dumps(profile.to_dict())))
    assert again == profile


def test_the_drift_table_flags_what_crossed_a_threshold() -> None:
    rng = np.random.default_rng(2)
    training = pd.DataFrame({"stable": rng.normal(size=2000), "moved": rng.normal(size=2000)})
    training = training.assign(score=rng.random(2000), gone=rng.normal(size=2000))
    reference = drift_profile(training, ["stable", "moved", "gone", "score"], tables={"t": 0.0})
    tonight = training.assign(
        moved=training["moved"] + 2.0, gone=training["gone"].where(rng.random(2000) < 0.5)
    )
    table, _ = night_drift(
        tonight,
        ["stable", "moved", "gone", "score"],
        training=reference,
        previous=None,
        tables={"t": 0.3},
        psi_warning=0.25,
        missing_share_warning=0.1,
    )
    table = table.set_index("feature")
    assert table.loc["stable", "psi_vs_training"] == 0.0
    assert table.loc["moved", "psi_vs_training"] > 1.0
    assert table["psi_vs_previous"].isna().all()  # no previous night
    assert table.loc["gone", "missing_share"] == pytest.approx(0.5, abs=0.05)
    assert table.loc["gone", "missing_share_training"] == 0.0
    assert table.loc["t", "kind"] == "table" and table.loc["score", "kind"] == "score"
    assert table["warning"].to_dict() == {
        "stable": False,
        "moved": True,
        "gone": True,
        "score": False,
        "t": True,  # the table's missing share rose from 0 to 0.3
    }
    summary = drift_summary(table.reset_index())
    assert summary["psi_score_vs_training"] == 0.0
    assert summary["psi_max_vs_training"] == max(table.loc[["moved", "gone"], "psi_vs_training"])
    assert math.isnan(summary["psi_max_vs_previous"])
    assert summary["warnings"] == 3.0


def _awkward_column(rng: np.random.Generator, n: int, *, infinite: bool = True) -> np.ndarray:
    """Ties held by many rows, smooth values, missing values, infinities and both zeros."""
    values = np.where(rng.random(n) < 0.5, rng.integers(-3, 4, n) * 0.5, rng.normal(size=n))
    values[rng.random(n) < 0.1] = np.nan
    values[rng.random(n) < (0.01 if infinite else 0.0)] = np.inf
    values[rng.random(n) < 0.05] = -0.0
    return values


@pytest.mark.parametrize("seed", range(8))
def test_bin_shares_count_each_value_in_its_right_closed_bin(seed: int) -> None:
    """Against a direct count: bin i holds edges[i-1] < x <= edges[i], then the missing."""
    rng = np.random.default_rng(seed)
    values = _awkward_column(rng, 5_000)
    edges = tuple(np.unique(np.concatenate([rng.normal(size=6), [-1.5, 0.0, 0.5]])))
    present = values[~np.isnan(values)]
    expected = [
        np.sum((present > low) & (present <= high))
        for low, high in zip((-np.inf, *edges), (*edges, np.inf), strict=True)
    ]
    shares = bin_shares(values, edges)
    assert shares.tolist() == [c / len(values) for c in [*expected, np.isnan(values).sum()]]


@pytest.mark.parametrize("seed", range(8))
def test_ties_are_counted_as_pandas_counts_them(seed: int) -> None:
    """The sorted column's runs are pandas' value counts (-0.0 and 0.0 one value)."""
    from models.drift import _column, _ties

    values = _awkward_column(np.random.default_rng(seed), 30_000)
    present = values[~np.isnan(values)]
    counted = pd.Series(present).value_counts(sort=False).sort_index()
    found = _ties(_column(values))
    assert found is not None
    assert found[0].tolist() == counted.index.tolist()
    assert found[1].tolist() == counted.tolist()


def test_the_night_drift_is_the_table_and_the_profile() -> None:
    rng = np.random.default_rng(5)
    # no infinities: a quantile between two of them is not a number (and warns)
    frame = pd.DataFrame({c: _awkward_column(rng, 3_000, infinite=False) for c in "ab"})
    frame["score"] = rng.random(3_000)
    reference = drift_profile(frame.sample(frac=1.0, random_state=1), ["a", "b", "score"])
    kwargs = {"training": reference, "previous": None, "tables": {"t": 0.2}}
    thresholds = {"psi_warning": 0.25, "missing_share_warning": 0.1}
    columns = ["a", "b", "absent", "score"]
    table, profile = night_drift(frame, columns, **kwargs, **thresholds)
    rows = table.set_index("feature")
    for name in ["a", "b", "score"]:  # each column's row as psi and bin_shares give it alone
        assert rows.loc[name, "psi_vs_training"] == psi(frame[name], reference.columns[name])
        assert rows.loc[name, "missing_share"] == bin_shares(frame[name], ())[-1]
    assert np.isnan(rows.loc["absent", "psi_vs_training"])
    assert rows.loc["absent", "missing_share"] == 1.0
    assert rows.loc["t", "missing_share"] == 0.2
    assert profile == drift_profile(frame, columns, tables={"t": 0.2})
    assert profile.columns["absent"].missing_share == 1.0
