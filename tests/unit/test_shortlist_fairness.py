"""Shortlist fairness audit, each number against an independent computation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame, demographic_parity_ratio, selection_rate
from scipy.stats import binomtest

from models.shortlist_fairness import (
    DERIVED,
    AuditThresholds,
    GroupCodes,
    audit_metrics,
    audit_shortlist,
    derived_rows,
    encode_groups,
    ndkl,
    per_shortlist_checks,
    shortlist_counts,
    shortlist_ndkl,
    verdict_summary,
    wilson_interval,
)
from models.shortlist_run import audit_run

RNG = np.random.default_rng(11)
N, K = 600, 60
SEX = RNG.choice(np.array(["f", "m", None], dtype=object), N, p=[0.45, 0.45, 0.1])
REGION = RNG.choice(np.array(["east", "north", "south"], dtype=object), N, p=[0.2, 0.5, 0.3])
REGION[RNG.random(N) < 0.05] = None
GROUPS = pd.DataFrame({"sex": SEX, "region": REGION})
SCORES = RNG.normal(size=N) + np.where(SEX == "m", 0.4, 0.0)
RANKED = np.argsort(-SCORES, kind="stable")
TH = AuditThresholds()


def _rows(audit: pd.DataFrame, attribute: str, metric: str) -> pd.Series:
    rows = audit[(audit["attribute"] == attribute) & (audit["metric"] == metric)]
    return rows.set_index("group")["value"]


@pytest.fixture(scope="module")
def audit() -> pd.DataFrame:
    return audit_shortlist(encode_groups(GROUPS), SCORES, RANKED, k=K, thresholds=TH)


def test_selection_rates_and_impact_ratio_equal_fairlearn(audit: pd.DataFrame) -> None:
    selected = np.zeros(N, dtype=int)
    selected[RANKED[:K]] = 1
    for attribute, values in (("sex", SEX), ("region", REGION)):
        known = pd.notna(values)
        frame = MetricFrame(
            metrics=selection_rate,
            y_true=selected[known],
            y_pred=selected[known],
            sensitive_features=values[known],
        )
        rates = _rows(audit, attribute, "selection_rate")
        for group, rate in frame.by_group.items():
            assert rates[group] == pytest.approx(rate, rel=1e-12)
        ratios = _rows(audit, attribute, "selection_impact_ratio")
        expected = demographic_parity_ratio(
            selected[known], selected[known], sensitive_features=values[known]
        )
        assert ratios.min() == pytest.approx(expected, rel=1e-12)
        assert ratios.max() == pytest.approx(1.0)
        assert "unknown" not in ratios.index  # reported as a rate, never in a ratio
        assert rates["unknown"] == pytest.approx(selected[~known].mean())


@pytest.mark.parametrize(("successes", "trials"), [(0, 7), (3, 10), (10, 10), (41, 600)])
def test_wilson_interval_equals_scipy(successes: int, trials: int) -> None:
    expected = binomtest(successes, trials).proportion_ci(confidence_level=0.9, method="wilson")
    low, high = wilson_interval(np.array([successes]), np.array([trials]), confidence=0.9)
    assert low[0] == pytest.approx(expected.low, abs=1e-12)
    assert high[0] == pytest.approx(expected.high, abs=1e-12)


def test_rate_intervals_in_the_audit_are_wilson(audit: pd.DataFrame) -> None:
    row = audit[(audit["attribute"] == "sex") & (audit["group"] == "f")]
    row = row[row["metric"] == "selection_rate"].iloc[0]
    ci = binomtest(int(row["n_selected"]), int(row["n_pool"])).proportion_ci(method="wilson")
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((ci.low, ci.high), abs=1e-12)


def test_skew_at_k_equals_the_definition(audit: pd.DataFrame) -> None:
    top = set(RANKED[:K].tolist())
    skews = _rows(audit, "sex", "skew_at_k")
    for group in ("f", "m"):
        members = [i for i in range(N) if SEX[i] == group]
        in_top = sum(1 for i in members if i in top)
        assert skews[group] == pytest.approx(math.log((in_top / K) / (len(members) / N)))


def _ndkl_loop(codes: list[int], shares: list[float]) -> float:
    """Geyik et al. 2019, eq. for NDKL, written out with plain loops."""
    total, z = 0.0, 0.0
    for i in range(1, len(codes) + 1):
        kl = 0.0
        for group, q in enumerate(shares):
            d = codes[:i].count(group) / i
            if d > 0:
                kl += d * math.log(d / max(q, 1e-6))
        total += kl / math.log2(i + 1)
        z += 1 / math.log2(i + 1)
    return total / z


def test_ndkl_equals_a_loop_from_the_paper(audit: pd.DataFrame) -> None:
    codes = RNG.integers(0, 3, 25)
    shares = [0.2, 0.5, 0.3]
    assert ndkl(codes, np.array(shares)) == pytest.approx(_ndkl_loop(codes.tolist(), shares))
    # a group absent from the pool shares: large but finite, through the documented epsilon
    assert ndkl(np.array([0, 1, 2]), np.array([0.5, 0.5, 0.0])) == pytest.approx(
        _ndkl_loop([0, 1, 2], [0.5, 0.5, 0.0])
    )
    # in the audit, unknown is a category of its own
    category = {"unknown": 0, "f": 1, "m": 2}
    labels = pd.Series(SEX).fillna("unknown")
    shares_sex = [float((labels == g).mean()) for g in category]
    top_codes = [category[g] for g in labels.to_numpy()[RANKED[:K]]]
    assert _rows(audit, "sex", "ndkl")["*"] == pytest.approx(_ndkl_loop(top_codes, shares_sex))


def test_scoring_rate_follows_local_law_144(audit: pd.DataFrame) -> None:
    above = np.greater(SCORES, pd.Series(SCORES).median())
    frame = pd.DataFrame({"group": SEX, "above": above})
    rates = frame.dropna().groupby("group")["above"].mean()
    assert _rows(audit, "sex", "scoring_rate")[["f", "m"]].to_numpy() == pytest.approx(rates)
    ratios = _rows(audit, "sex", "scoring_impact_ratio")
    assert ratios[["f", "m"]].to_numpy() == pytest.approx(rates / rates.max())
    notes = audit.loc[audit["metric"] == "scoring_impact_ratio"].query("attribute == 'sex'")
    n_unknown = int(pd.isna(SEX).sum())
    assert notes["note"].str.contains(f"unknown: {n_unknown} of {N} in the pool").all()


def test_exposure_equals_a_loop(audit: pd.DataFrame) -> None:
    counts = shortlist_counts(encode_groups(GROUPS), SCORES, RANKED, k=K)
    exposure = {"east": 0.0, "north": 0.0, "south": 0.0, "unknown": 0.0}
    for position in range(K):
        region = REGION[RANKED[position]]
        exposure["unknown" if region is None else region] += 1 / math.log2(position + 2)
    table = counts[counts["attribute"] == "region"].set_index("group")
    for group, value in exposure.items():
        assert table.loc[group, "exposure"] == pytest.approx(value)
    per_member = {g: exposure[g] / np.equal(REGION, g).sum() for g in ("east", "north", "south")}
    best = max(per_member.values())
    ratios = _rows(audit, "region", "exposure_ratio")
    for group, value in per_member.items():
        assert ratios[group] == pytest.approx(value / best)
    assert (table["n_unknown"] == pd.isna(REGION).sum()).all()


def test_run_level_rates_equal_a_direct_computation_over_both_shortlists() -> None:
    codes = encode_groups(GROUPS)
    pools = [np.arange(0, 400), np.arange(250, N)]  # overlapping: person-pool pairs
    counts, ndkls, selected, members = [], [], [], []
    for number, pool in enumerate(pools):
        order = np.argsort(-SCORES[pool], kind="stable")
        groups = codes.take(pool)
        counts.append(shortlist_counts(groups, SCORES[pool], order, k=30).assign(shortlist=number))
        ndkls.append(shortlist_ndkl(groups, order, k=30).assign(shortlist=number))
        chosen = np.zeros(len(pool), dtype=bool)
        chosen[order[:30]] = True
        selected.append(chosen)
        members.append(SEX[pool])
    run = audit_run(pd.concat(counts), pd.concat(ndkls), thresholds=TH)
    both = pd.DataFrame({"group": np.concatenate(members), "sel": np.concatenate(selected)})
    expected = both.dropna().groupby("group")["sel"].mean()
    rates = _rows(run, "sex", "selection_rate")
    assert rates[["f", "m"]].to_numpy() == pytest.approx(expected.to_numpy())
    assert _rows(run, "sex", "selection_impact_ratio").min() == pytest.approx(
        expected.min() / expected.max()
    )
    assert _rows(run, "sex", "ndkl")["*"] == pytest.approx(
        pd.concat(ndkls).query("attribute == 'sex'")["ndkl"].mean()
    )
    assert set(run.loc[run["metric"] == "selection_rate", "shortlists"]) == {2}


def _crafted(min_group: int = 50) -> pd.DataFrame:
    counts = pd.DataFrame(
        {
            "attribute": "g",
            "group": ["a", "b", "c", "d", "tiny", "unknown"],
            "n_pool": [1000, 1000, 1000, 60, 40, 100],
            "n_selected": [500, 100, 450, 21, 0, 90],
        }
    )
    counts = counts.assign(n_scoring=counts["n_selected"], exposure=counts["n_selected"] * 0.5)
    thresholds = AuditThresholds(min_group=min_group)
    return audit_metrics(counts, thresholds=thresholds, k=None).set_index(["group", "metric"])


def test_verdicts_on_crafted_cases() -> None:
    audit = _crafted()
    ratio = "selection_impact_ratio"
    assert audit.loc[("a", ratio), "verdict"] == "pass"  # the reference
    assert audit.loc[("b", ratio), "value"] == pytest.approx(0.2)
    assert audit.loc[("b", ratio), "verdict"] == "fail"  # 0.2, interval far below 0.8
    assert audit.loc[("c", ratio), "verdict"] == "pass"  # 0.9
    assert audit.loc[("d", ratio), "value"] == pytest.approx(0.7)
    assert audit.loc[("d", ratio), "verdict"] == "warn"  # 0.7, but 21 of 60 is uncertain
    assert audit.loc[("d", ratio), "ci_high"] > 0.8 > audit.loc[("d", ratio), "ci_low"]
    assert ("a", "skew_at_k") not in audit.index  # run level: no k, no skew
    assert verdict_summary(audit.reset_index()) == {"pass": 6, "warn": 6, "fail": 3}


def test_small_groups_warn_at_most_and_are_never_the_reference() -> None:
    audit = _crafted()
    tiny = audit.loc[("tiny", "selection_impact_ratio")]
    assert tiny["small"]
    assert tiny["ci_high"] < 0.8  # would fail if it were not small
    assert tiny["verdict"] == "warn"
    assert "small group (n=40)" in tiny["note"]
    # the unknown group has the highest rate (0.9) yet is not the reference
    assert ("unknown", "selection_impact_ratio") not in audit.index
    assert audit.loc[("unknown", "selection_rate"), "value"] == pytest.approx(0.9)
    # with min_group=100, d (60 people) is small too and its 0.7 stays a warn
    assert _crafted(min_group=100).loc[("d", "selection_impact_ratio"), "small"]


def test_tiny_group_with_the_best_rate_does_not_set_the_reference() -> None:
    groups = pd.DataFrame({"g": ["x"] * 50 + ["y"] * 50 + ["z"] * 3})
    scores = np.r_[np.linspace(1, 0.5, 50), np.linspace(0.9, 0.4, 50), [2.0, 2.0, 2.0]]
    order = np.argsort(-scores, kind="stable")
    audit = audit_shortlist(encode_groups(groups), scores, order, k=13, thresholds=TH)
    rates = _rows(audit, "g", "selection_rate")
    ratios = _rows(audit, "g", "selection_impact_ratio")
    assert rates["z"] == 1.0
    best_big = max(rates["x"], rates["y"])
    assert ratios["x"] == pytest.approx(rates["x"] / best_big)
    assert ratios["z"] == pytest.approx(1.0 / best_big)


def test_intersections_code_unknown_when_any_part_is_unknown() -> None:
    codes = encode_groups(GROUPS, intersections=[("sex", "region")])
    name = "sex×region"
    labels = np.asarray(codes.labels[name], dtype=object)
    decoded = np.where(codes.codes[name] >= 0, labels[codes.codes[name]], None)
    expected = np.where(
        pd.notna(SEX) & pd.notna(REGION), SEX.astype(str) + "×" + REGION.astype(str), None
    )
    assert (decoded == expected).all()
    counts = shortlist_counts(codes, SCORES, RANKED, k=K).query("attribute == @name")
    crosstab = pd.Series(expected).value_counts()
    table = counts.set_index("group")["n_pool"]
    assert table.drop("unknown").to_dict() == crosstab.to_dict()
    assert table["unknown"] == pd.isna(expected).sum()


def test_small_intersections_are_marked_small() -> None:
    groups = pd.DataFrame({"a": ["p"] * 40 + ["q"] * 4, "b": ["r", "s"] * 22})
    codes = encode_groups(groups, intersections=[("a", "b")])
    order = np.arange(44)
    audit = audit_shortlist(codes, np.linspace(1, 0, 44), order, k=10, thresholds=TH)
    rows = audit[(audit["attribute"] == "a×b") & (audit["group"] != "*")]
    small = rows.groupby("group")["small"].first()
    assert small.to_dict() == {"p×r": False, "p×s": False, "q×r": True, "q×s": True}


def test_take_keeps_labels_and_selects_rows() -> None:
    codes = encode_groups(GROUPS)
    subset = codes.take(np.array([5, 2]))
    assert subset.labels == codes.labels
    assert subset.codes["sex"].tolist() == codes.codes["sex"][[5, 2]].tolist()
    with pytest.raises(ValueError, match="same rows"):
        GroupCodes({"a": np.zeros(2), "b": np.zeros(3)}, {"a": [], "b": []})


def test_bad_inputs_raise_actionable_errors() -> None:
    codes = encode_groups(GROUPS)
    with pytest.raises(ValueError, match="distinct indices"):
        shortlist_counts(codes, SCORES, np.r_[RANKED[:5], RANKED[:5]], k=10)
    with pytest.raises(ValueError, match="positive integer"):
        shortlist_counts(codes, SCORES, RANKED, k=0)
    with pytest.raises(ValueError, match="reserved for missing"):
        encode_groups(pd.DataFrame({"g": ["unknown", "x"]}))
    with pytest.raises(ValueError, match="NaN or infinite"):
        shortlist_counts(codes, np.r_[SCORES[:-1], np.nan], RANKED, k=10)
    counts = shortlist_counts(codes, SCORES, RANKED, k=K)
    with pytest.raises(ValueError, match="expected min"):
        audit_metrics(counts, thresholds=TH, k=K + 1)


def test_the_rows_a_night_leaves_out_come_back_equal_from_the_rows_it_keeps() -> None:
    """Two shortlists, one with small groups: the stored checks give back every share and
    selection rate of the full audit, value, interval, verdict and note."""
    subset = np.flatnonzero(REGION != "south")[:90]
    strict = AuditThresholds(min_group=30)
    full = pd.concat(
        [
            audit_shortlist(encode_groups(GROUPS), SCORES, RANKED, k=K, thresholds=TH).assign(
                pool_id="a"
            ),
            audit_shortlist(
                encode_groups(GROUPS.iloc[subset].reset_index(drop=True)),
                SCORES[subset],
                np.argsort(-SCORES[subset], kind="stable"),
                k=7,
                thresholds=strict,
            ).assign(pool_id="b"),
        ],
        ignore_index=True,
    )
    assert full["small"].any() and set(DERIVED) <= set(full["metric"])
    kept = per_shortlist_checks(full)
    assert not kept["metric"].isin(DERIVED).any()
    assert len(kept) == (~full["metric"].isin(DERIVED)).sum()
    rebuilt = derived_rows(kept, confidence=TH.confidence)
    key = ["pool_id", "attribute", "group", "metric"]
    expected = full.loc[full["metric"].isin(DERIVED)].sort_values(key).reset_index(drop=True)
    got = rebuilt[expected.columns].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)


@pytest.mark.parametrize(("n", "space"), [(0, 1), (1, 1), (500, 7), (500, 60), (40, 100_000)])
def test_dense_codes_are_numpys_unique_codes(n: int, space: int) -> None:
    from models.shortlist_counts import dense_codes

    values = np.random.default_rng(n + space).integers(0, space, n)
    present, inverse = dense_codes(values, space)
    expected, expected_inverse = np.unique(values, return_inverse=True)
    assert np.array_equal(present, expected) and present.dtype == expected.dtype
    assert np.array_equal(inverse, expected_inverse.reshape(-1))
