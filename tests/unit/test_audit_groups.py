"""Protected groups of the nightly audit: the extract's own categories, "unknown" counted as a
group of its own whatever form a missing value takes, and the coarse views kept beside them.

Every rate is checked against an independent count over the shortlist (fairlearn or a plain
count over the input frame), never against the audit's own numbers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from fairlearn.metrics import MetricFrame, selection_rate

from hientai.settings import AuditSettings
from models.eligibility import PoolSpec, ScopeIndex, build_candidates
from models.shortlist import (
    ShortlistOptions,
    ShortlistResult,
    audit_groups,
    group_context,
    rank_pools,
    recorded_groups,
    run_audit,
)
from models.shortlist_fairness import (
    DERIVED,
    AuditThresholds,
    derived_rows,
    per_shortlist_checks,
)

ORGS = pd.DataFrame(
    {"org_id": ["P1"], "level": ["province"], "parent_id": [None], "province_code": ["HN"]}
)
POOL = PoolSpec(pool_id="all", kind="standing", title="Everyone", scope="national", k=20)
ARROW_TEXT = pd.ArrowDtype(pa.string())
PYARROW_STRING = pd.StringDtype("pyarrow")


def _frame(n: int, **protected: object) -> pd.DataFrame:
    """Everyone internal, eligible for POOL, with the given protected columns (any dtype)."""
    frame = pd.DataFrame(
        {
            "person_id": [f"X{i:03d}" for i in range(n)],
            "as_of": pd.Timestamp("2026-01-01"),
            "population": "internal",
            "org_id": "P1",
            "province": "HN",
            "political_theory_level": 1.0,
            "state_management_level": 1.0,
            "tenure_years": 5.0,
            "discipline_active": 0.0,
            "full_name": "x",
            "education_level": "bachelor",
            "languages": None,
            "birth_date": "1990-01-01",
            "hometown_province": "HN",
            "party_member": np.arange(n) % 2 == 0,
            "gender": np.where(np.arange(n) % 3 == 0, "female", "male"),
            "ethnicity": "Kinh",
            "nationality": "VN",
        }
    )
    return frame.assign(**protected)


def _rank(
    frame: pd.DataFrame,
    scores: np.ndarray,
    *,
    drop: tuple[str, ...] = (),
    policy: str = "audit_only",
    rerank: tuple[str, ...] = ("party_member", "gender"),
    pools: list[PoolSpec] | None = None,
) -> tuple[ShortlistResult, pd.DataFrame]:
    protected = frame.drop(columns=list(drop))
    candidates = build_candidates(frame, frame, protected)
    groups = audit_groups(candidates, protected)
    context = group_context(
        candidates, groups, intersections=[("ethnicity", "gender")], rerank=rerank
    )
    options = ShortlistOptions(policy=policy, rerank_attributes=rerank)  # type: ignore[arg-type]
    index = ScopeIndex(candidates, ORGS)
    result = rank_pools(pools or [POOL], candidates, index, scores, context, options=options)
    return result, groups


def _rows(fairness: pd.DataFrame, attribute: str, metric: str) -> pd.DataFrame:
    rows = fairness.loc[(fairness["attribute"] == attribute) & (fairness["metric"] == metric)]
    return rows.set_index("group")


def _listed(result: ShortlistResult, n: int) -> np.ndarray:
    selected = np.zeros(n, dtype=int)
    selected[result.entries.loc[result.entries["in_shortlist"], "row"].to_numpy(dtype=int)] = 1
    return selected


MISSING_NATIONALITY = {
    "None": pd.Series([None] * 40, dtype=object),
    "NaN": pd.Series([np.nan] * 40, dtype=object),
    "pyarrow string NA": pd.Series([None] * 40, dtype=PYARROW_STRING),
    "Arrow string NA": pd.Series([None] * 40, dtype=ARROW_TEXT),
    "Arrow null": pd.Series([None] * 40, dtype=pd.ArrowDtype(pa.null())),
    "blank": pd.Series(["  "] * 40, dtype=object),
}


@pytest.mark.parametrize("values", MISSING_NATIONALITY.values(), ids=list(MISSING_NATIONALITY))
def test_an_all_missing_nationality_is_one_counted_unknown_group(values: pd.Series) -> None:
    frame = _frame(40, nationality=values)
    assert frame["nationality"].dtype == values.dtype  # the dtype under test reaches the audit
    result, groups = _rank(frame, np.arange(40.0))
    assert groups["nationality"].isna().all() and groups["nationality_vn"].isna().all()
    for attribute in ("nationality", "nationality_vn"):
        shares = _rows(result.fairness, attribute, "share_pool")
        assert list(shares.index) == ["unknown"] and shares.loc["unknown", "n_pool"] == 40
        assert shares.loc["unknown", "n_selected"] == 20
    assert not _rows(result.fairness, "nationality", "selection_impact_ratio").size


def test_protected_columns_the_extract_lacks_are_unknown_for_everyone() -> None:
    unmapped = ("nationality", "ethnicity", "birth_date", "party_member")
    result, groups = _rank(_frame(40), np.arange(40.0), drop=unmapped)
    views = ["nationality", "ethnicity", "ethnicity_majority", "age_band", "party_member"]
    assert groups[views].isna().all().all()
    for attribute in views:
        assert list(_rows(result.fairness, attribute, "share_pool").index) == ["unknown"]
    scoring = _rows(result.fairness, "nationality", "scoring_rate")
    assert scoring.loc["unknown", "note"] == "unknown: 40 of 40 in the pool"


@pytest.mark.parametrize("dtype", [object, PYARROW_STRING, ARROW_TEXT], ids=str)
def test_partly_missing_values_of_any_dtype_form_the_unknown_group(dtype: object) -> None:
    n = 60
    rng = np.random.default_rng(3)
    nationality = rng.choice(np.array(["VN", "FR", None], dtype=object), n, p=[0.6, 0.2, 0.2])
    gender = rng.choice(np.array(["female", "male", None], dtype=object), n, p=[0.4, 0.4, 0.2])
    party = pd.array(rng.choice([True, False, None], n), dtype="boolean")
    frame = _frame(
        n,
        nationality=pd.Series(nationality, dtype=dtype),
        gender=pd.Series(gender, dtype=dtype),
        party_member=party,
    )
    assert frame["gender"].dtype == pd.Series(gender, dtype=dtype).dtype
    scores = rng.normal(size=n)
    result, groups = _rank(frame, scores)
    selected = _listed(result, n)
    for attribute, values in (("nationality", nationality), ("gender", gender)):
        unknown = pd.isna(values)
        shares = _rows(result.fairness, attribute, "share_pool")
        assert shares.loc["unknown", "n_pool"] == unknown.sum()
        assert shares.loc["unknown", "n_selected"] == selected[unknown].sum()
        rates = _rows(result.fairness, attribute, "selection_rate")["value"]
        expected = MetricFrame(
            metrics=selection_rate,
            y_true=selected[~unknown],
            y_pred=selected[~unknown],
            sensitive_features=values[~unknown],
        ).by_group
        for group, rate in expected.items():
            assert rates[group] == pytest.approx(rate)
    party_unknown = np.asarray(pd.isna(party))
    assert (groups["party_member"].isna().to_numpy() == party_unknown).all()
    assert _rows(result.fairness, "party_member", "share_pool").loc["unknown", "n_pool"] == (
        party_unknown.sum()
    )


def test_arrow_booleans_and_unreadable_values_leave_party_membership_unknown() -> None:
    party = pd.Series([True, None, False, "maybe"], dtype=object)
    frame = _frame(4).assign(party_member=party.to_numpy())
    arrow = frame.assign(party_member=pd.array([True, None, False, None], dtype="bool[pyarrow]"))
    for data in (frame, arrow):
        candidates = build_candidates(data, data, data)
        assert list(audit_groups(candidates, data)["party_member"]) == [
            "member",
            None,
            "non-member",
            None,
        ]


def test_recorded_groups_trim_and_read_blank_and_unknown_as_missing() -> None:
    values = pd.Series([" US ", "US", "", "Unknown", "unknown", None, np.nan, pd.NA, "Hmông"])
    assert list(recorded_groups(values)) == ["US", "US", *[None] * 6, "Hmông"]


def test_an_extracts_own_citizenship_gap_is_seen() -> None:
    """The issue's case: US citizens 16 of 199 listed, non-citizens 4 of 8 (ratio 0.16)."""
    n, us = 207, 199
    nationality = np.array(["US"] * us + ["MX"] * (n - us), dtype=object)
    scores = np.linspace(0.0, 1.0, n)
    top_us = np.arange(us)[-16:]  # the 16 best-scored US citizens, then 4 of the 8 others
    scores[us:] = [2.0, 2.1, 2.2, 2.3, -1.0, -1.1, -1.2, -1.3]
    result, _ = _rank(_frame(n, nationality=nationality), scores)
    selected = _listed(result, n)
    assert selected[top_us].all() and selected.sum() == 20
    rates = _rows(result.fairness, "nationality", "selection_rate")["value"]
    by_hand = {g: selected[nationality == g].mean() for g in ("US", "MX")}
    assert by_hand == pytest.approx({"US": 16 / 199, "MX": 4 / 8})
    assert rates[["US", "MX"]].to_dict() == pytest.approx(by_hand)
    ratio = _rows(result.fairness, "nationality", "selection_impact_ratio")
    assert ratio.loc["US", "value"] == pytest.approx(by_hand["US"] / by_hand["MX"])
    assert ratio.loc["US", "value"] == pytest.approx(0.16, abs=0.005)
    assert ratio.loc["US", "verdict"] == "fail"
    view = _rows(result.fairness, "nationality_vn", "share_pool")  # the binary view stays
    assert view.loc["foreign", "n_pool"] == n and list(view.index) == ["foreign"]


def test_each_recorded_ethnicity_is_its_own_group_and_the_majority_view_stays() -> None:
    n = 300
    rng = np.random.default_rng(5)
    race = rng.choice(
        np.array(["White", "Black", "Asian", "Hispanic", None], dtype=object),
        n,
        p=[0.5, 0.2, 0.15, 0.1, 0.05],
    )
    scores = rng.normal(size=n) + np.where(race == "White", 0.8, 0.0)
    result, groups = _rank(_frame(n, ethnicity=race), scores)
    selected = _listed(result, n)
    known = pd.notna(race)
    expected = MetricFrame(
        metrics=selection_rate,
        y_true=selected[known],
        y_pred=selected[known],
        sensitive_features=race[known],
    )
    rates = _rows(result.fairness, "ethnicity", "selection_rate")["value"]
    assert set(rates.index) == {"White", "Black", "Asian", "Hispanic", "unknown"}
    for group, rate in expected.by_group.items():
        assert rates[group] == pytest.approx(rate)
    assert rates["unknown"] == pytest.approx(selected[~known].mean())
    majority = _rows(result.fairness, "ethnicity_majority", "selection_rate")["value"]
    assert majority["majority"] == pytest.approx(selected[race == "White"].mean())
    minority = known & (race != "White")
    assert majority["minority"] == pytest.approx(selected[minority].mean())
    assert (groups["ethnicity_majority"] == "majority").sum() == (race == "White").sum()
    intersection = _rows(result.fairness, "ethnicity×gender", "share_pool")
    assert "Asian×female" in intersection.index


def test_unknown_groups_are_counted_in_the_whole_run_audit() -> None:
    n = 50
    nationality = np.array(["VN"] * 30 + [None] * 20, dtype=object)
    narrow = PoolSpec(pool_id="narrow", kind="standing", title="Top 5", scope="national", k=5)
    result, _ = _rank(
        _frame(n, nationality=nationality), np.arange(n, 0, -1.0), pools=[POOL, narrow]
    )
    run = run_audit(result.fairness, result.counts, thresholds=AuditThresholds())
    unknown = _rows(run, "nationality", "scoring_rate").loc["unknown"]
    assert unknown["n_pool"] == 2 * 20  # 20 unknown in each of the two shortlists' pools
    assert unknown["note"].startswith("unknown: 40 of 100 in the pool")


def test_reranking_uses_the_coarse_views_and_small_groups_do_not_break_it() -> None:
    n = 120
    rng = np.random.default_rng(7)
    nationality = rng.choice(np.array(["VN", "FR", "US", "JP", None], dtype=object), n)
    gender = np.array(["male"] * 100 + ["female"] * 17 + ["other"] + [None, None], dtype=object)
    frame = _frame(n, nationality=nationality, gender=gender)
    scores = rng.normal(size=n)
    protected = frame
    candidates = build_candidates(frame, frame, protected)
    context = group_context(
        candidates,
        audit_groups(candidates, protected),
        intersections=[],
        rerank=("nationality", "gender"),
    )
    parts = {label.split(" × ")[0] for label in context.rerank_labels}
    assert parts == {"VN", "foreign", "unknown"}  # not one target per nationality code
    result, _ = _rank(frame, scores, policy="rerank", rerank=("nationality", "gender"))
    entries = result.entries
    assert len(entries) == 60 and entries["row"].is_unique
    assert sorted(entries["rank_fair"]) == list(range(1, 61))
    listed = entries.loc[entries["in_shortlist"]]
    assert len(listed) == 20 and sorted(listed["rank"]) == list(range(1, 21))


def test_the_majority_view_crossed_with_gender_has_few_groups_per_pool() -> None:
    """``nightly.audit.intersections: [[ethnicity_majority, gender]]``: the coarse
    intersection (a few groups a pool) the settings now accept, with the same counts as
    crossing by hand; a view needs its attribute audited, and hometown cannot be crossed."""
    n = 300
    rng = np.random.default_rng(8)
    race = rng.choice(np.array(["Kinh", "Tay", "Thai", "Muong", None], dtype=object), n)
    frame = _frame(n, ethnicity=race)
    audit = AuditSettings(intersections=[["ethnicity_majority", "gender"]])
    candidates = build_candidates(frame, frame, frame)
    groups = audit_groups(candidates, frame)
    context = group_context(
        candidates,
        groups,
        attributes=list(audit.attributes),
        intersections=[tuple(x) for x in audit.intersections],
        rerank=("gender",),
    )
    scores = rng.normal(size=n)
    result = rank_pools(
        [POOL], candidates, ScopeIndex(candidates, ORGS), scores, context,
        options=ShortlistOptions(rerank_attributes=("gender",)),
    )  # fmt: skip
    pool = _rows(result.fairness, "ethnicity_majority×gender", "share_pool")
    majority = groups["ethnicity_majority"].to_numpy()
    gender = groups["gender"].to_numpy()
    expected = {
        f"{m}×{g}": int(((majority == m) & (gender == g)).sum())
        for m in ("majority", "minority")
        for g in ("female", "male")
    }
    assert pool["n_pool"].to_dict() == expected | {"unknown": int(pd.isna(majority).sum())}
    assert "ethnicity×gender" not in set(result.fairness["attribute"])
    with pytest.raises(ValueError, match=r"\['ethnicity'\] not in nightly.audit.attributes"):
        AuditSettings(attributes=["gender"], intersections=[["ethnicity_majority", "gender"]])
    with pytest.raises(ValueError, match="hometown locality is relative to each pool"):
        AuditSettings(intersections=[["hometown", "gender"]])


def test_the_settings_know_the_views_the_audit_computes() -> None:
    from hientai.settings import VIEW_OF
    from models.shortlist import VIEWS

    assert {view: attribute for attribute, view in VIEWS.items()} == VIEW_OF


def test_intersections_need_different_attributes_and_the_defaults_follow_the_attributes() -> None:
    for parts in (["gender"], ["gender", "gender"], ["ethnicity", "ethnicity_majority"]):
        with pytest.raises(ValueError, match="two or more different attributes"):
            AuditSettings(intersections=[parts])
    # Narrowing the attributes without writing intersections keeps the defaults that apply.
    narrowed = AuditSettings(attributes=["gender", "party_member"])
    assert narrowed.intersections == [["party_member", "gender"]]
    assert AuditSettings(attributes=["gender"]).intersections == []


def test_a_pools_shares_and_selection_rates_come_back_from_its_stored_checks() -> None:
    """Unknowns, each recorded ethnicity, the views, an intersection and small groups: what a
    night stores per shortlist gives back the audit's shares and selection rates, equal."""
    n = 400
    rng = np.random.default_rng(21)
    frame = _frame(
        n,
        ethnicity=rng.choice(
            np.array(["Kinh", "Tay", "Thai", "Hmong", None], dtype=object),
            n,
            p=[0.6, 0.15, 0.13, 0.02, 0.1],
        ),
        nationality=rng.choice(np.array(["VN", "LA", "KH", None], dtype=object), n),
        party_member=rng.choice(np.array([True, False, None], dtype=object), n),
    )
    result, _ = _rank(frame, rng.normal(size=n))
    full = result.fairness
    assert full["small"].any() and "ethnicity×gender" in set(full["attribute"])
    assert {"nationality_vn", "ethnicity_majority"} <= set(full["attribute"])
    rebuilt = derived_rows(per_shortlist_checks(full), confidence=AuditThresholds().confidence)
    key = ["pool_id", "attribute", "group", "metric"]
    expected = full.loc[full["metric"].isin(DERIVED)].sort_values(key).reset_index(drop=True)
    got = rebuilt[expected.columns].sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12)
