"""Shortlists of a crafted biased pool: the model's order, the fair order, both kept; the
re-ranker reorders only the qualified set and reaches its target; the audit sees the bias."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.eligibility import PoolSpec, ScopeIndex, build_candidates
from models.shortlist import (
    ShortlistOptions,
    audit_groups,
    group_context,
    rank_pools,
)

N = 400
K = 20
ORGS = pd.DataFrame(
    {"org_id": ["P1"], "level": ["province"], "parent_id": [None], "province_code": ["HN"]}
)
POOL = PoolSpec(pool_id="young", kind="standing", title="Young talent", scope="national", k=K)


def _world() -> tuple:
    rng = np.random.default_rng(1)
    member = np.arange(N) % 2 == 0
    frame = pd.DataFrame(
        {
            "person_id": [f"X{i:03d}" for i in range(N)],
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
            "hometown_province": rng.choice(["HN", "HP"], N),
            "party_member": member,
            "gender": rng.choice(["female", "male"], N),
            "ethnicity": "Kinh",
            "nationality": "VN",
        }
    )
    protected = frame[
        [
            "person_id",
            "birth_date",
            "hometown_province",
            "party_member",
            "gender",
            "ethnicity",
            "nationality",
        ]
    ]
    candidates = build_candidates(frame, frame, protected)
    # Biased scores: the top K are all members, but the qualified 3 x K hold some non-members.
    spread = np.linspace(0, 0.4, N // 2)
    scores = np.empty(N)
    scores[member], scores[~member] = 0.05 + spread, spread
    return candidates, ScopeIndex(candidates, ORGS), protected, scores, member


def _run(policy: str) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    candidates, index, protected, scores, member = _world()
    context = group_context(
        candidates,
        audit_groups(candidates, protected),
        intersections=[("party_member", "gender")],
        rerank=("party_member",),
    )
    result = rank_pools(
        [POOL],
        candidates,
        index,
        scores,
        context,
        options=ShortlistOptions(policy=policy, rerank_attributes=("party_member",)),  # type: ignore[arg-type]
    )
    return result.entries, result.fairness, member


def _impact(fairness: pd.DataFrame) -> pd.Series:
    rows = fairness.loc[
        (fairness["attribute"] == "party_member")
        & (fairness["metric"] == "selection_impact_ratio")
    ]
    return rows.set_index("group")["verdict"]


def test_audit_only_keeps_the_models_order_and_flags_the_bias() -> None:
    entries, fairness, member = _run("audit_only")
    listed = entries.loc[entries["in_shortlist"]].sort_values("rank")
    assert list(listed["rank"]) == list(range(1, K + 1)) == list(listed["rank_model"])
    assert member[listed["row"]].all()  # the biased model picks members only
    assert not entries["moved"].any()
    assert entries["rank_fair"].notna().all()  # the fair order is stored as well
    assert _impact(fairness)["non-member"] == "fail"


def test_rerank_reaches_its_target_within_the_same_qualified_set() -> None:
    model, _, member = _run("audit_only")
    fair, fairness, _ = _run("rerank")
    assert set(fair["row"]) == set(model["row"])  # no one added or removed
    assert len(fair) == 3 * K  # qualified_factor 3 x k
    assert (~member[fair["row"]]).sum() >= K // 2  # enough non-members qualified
    listed = fair.loc[fair["in_shortlist"]].sort_values("rank")
    assert (~member[listed["row"]]).sum() == K // 2  # the pool's share: half
    assert (fair["rank"] == fair["rank_fair"]).where(fair["in_shortlist"], True).all()
    moved = fair.loc[fair["moved"]]
    assert len(moved) > 0 and moved["move_note"].str.contains("moved").all()
    assert fair.loc[~fair["moved"], "move_note"].isna().all()
    assert _impact(fairness)["non-member"] == "pass"
    # within each group the model's order is kept
    for flag in (True, False):
        mine = listed.loc[member[listed["row"]] == flag]
        assert list(mine["rank_model"]) == sorted(mine["rank_model"])


def test_percentile_is_the_share_of_the_pool_at_or_below() -> None:
    entries, _, _ = _run("audit_only")
    _, _, _, scores, _ = _world()
    for _, row in entries.head(5).iterrows():
        assert row["percentile"] == pytest.approx(100 * (scores <= row["rank_score"]).mean())


def test_pools_with_the_same_standards_share_one_result_and_others_do_not() -> None:
    import dataclasses

    candidates, index, protected, scores, _ = _world()
    context = group_context(
        candidates, audit_groups(candidates, protected), intersections=[], rerank=("gender",)
    )
    twin = dataclasses.replace(POOL, pool_id="twin", title="Another post, same standards")
    other = dataclasses.replace(POOL, pool_id="other", max_age=30)  # nobody under 30
    narrow = dataclasses.replace(POOL, pool_id="narrow", k=5)
    result = rank_pools(
        [POOL, twin, other, narrow], candidates, index, scores, context, options=ShortlistOptions()
    )
    by_pool = dict(tuple(result.entries.groupby("pool_id")))
    first, second = by_pool["young"], by_pool["twin"]
    pd.testing.assert_frame_equal(
        first.drop(columns="pool_id").reset_index(drop=True),
        second.drop(columns="pool_id").reset_index(drop=True),
    )
    assert "other" not in by_pool and list(result.n_eligible) == [N, N, 0, N]
    assert int(by_pool["narrow"]["in_shortlist"].sum()) == 5
    assert list(result.n_qualified) == [3 * K, 3 * K, 0, 15]
    audits = result.fairness.groupby("pool_id").size()
    assert audits["young"] == audits["twin"] and "other" not in audits
    # held once: the twin's rows are the first pool's
    assert set(result.checks["pool_id"]) == {"young", "narrow"}
    assert result.holders.values.tolist() == [
        ["young", "young"], ["twin", "young"], ["narrow", "narrow"]
    ]  # fmt: skip


def test_the_run_audit_of_rows_held_once_is_the_one_of_every_pools_rows() -> None:
    import dataclasses

    from models.shortlist import run_audit
    from models.shortlist_fairness import AuditThresholds

    candidates, index, protected, scores, _ = _world()
    context = group_context(
        candidates, audit_groups(candidates, protected), intersections=[], rerank=("gender",)
    )
    pools = [
        POOL,
        dataclasses.replace(POOL, pool_id="narrow", k=5),
        dataclasses.replace(POOL, pool_id="twin", title="Same standards"),
        dataclasses.replace(POOL, pool_id="narrow twin", k=5, title="Same again"),
        dataclasses.replace(POOL, pool_id="third", title="And again"),
    ]
    result = rank_pools(pools, candidates, index, scores, context, options=ShortlistOptions())
    th = AuditThresholds()
    held = run_audit(result.checks, result.check_counts, thresholds=th, holders=result.holders)
    every = run_audit(result.fairness, result.counts, thresholds=th)
    pd.testing.assert_frame_equal(held, every)
    assert held["note"].str.contains("5 shortlists").any()  # every pool counted


def test_shortlists_audited_together_are_audited_as_alone() -> None:
    from models.shortlist_fairness import AuditThresholds, audit_shortlists, count_shortlist

    candidates, _, protected, scores, _ = _world()
    groups = group_context(
        candidates, audit_groups(candidates, protected), intersections=[], rerank=("gender",)
    ).base
    rng = np.random.default_rng(5)
    counted = []
    for size, k in ((N, K), (37, 50), (120, 7)):
        rows = np.sort(rng.choice(N, size=size, replace=False))
        order = np.argsort(-scores[rows], kind="stable")
        counted.append(count_shortlist(groups.take(rows), scores[rows], order, k=k))
    th = AuditThresholds()
    together = audit_shortlists(counted, thresholds=th)
    alone = pd.concat(
        [audit_shortlists([c], thresholds=th).assign(shortlist=i) for i, c in enumerate(counted)],
        ignore_index=True,
    )
    pd.testing.assert_frame_equal(together, alone)
    assert together["shortlist"].nunique() == 3


def test_combined_group_codes_match_joined_labels() -> None:
    from models.shortlist import _combined_codes

    frame = pd.DataFrame(
        {"a": ["x", "y", None, "x", "y"], "b": ["m", "f", "f", None, "f"]}, dtype=object
    )
    codes, labels = _combined_codes(frame)
    joined = [
        f"{a if a is not None else 'unknown'} × {b if b is not None else 'unknown'}"
        for a, b in zip(frame["a"], frame["b"], strict=True)
    ]
    assert [labels[c] for c in codes] == joined
    assert len(labels) == len(set(joined))


def test_a_night_where_nobody_is_eligible_gives_empty_frames_with_their_columns() -> None:
    import dataclasses

    from models.shortlist import ENTRY_COLUMNS

    candidates, index, protected, scores, _ = _world()
    context = group_context(
        candidates, audit_groups(candidates, protected), intersections=[], rerank=("gender",)
    )
    nobody = dataclasses.replace(POOL, max_age=20)
    result = rank_pools([nobody], candidates, index, scores, context, options=ShortlistOptions())
    assert result.entries.empty and list(result.entries.columns) == [*ENTRY_COLUMNS, "pool_id"]
    assert result.fairness.empty and "verdict" in result.fairness.columns
    assert result.counts.empty and "n_pool" in result.counts.columns
    assert list(result.n_eligible) == [0] and list(result.n_qualified) == [0]
    assert result.empty_notes == {
        "young": f"of the {N} in scope (internal cadre), none meets 'younger than 20'"
    }


def test_only_the_pools_with_nobody_eligible_carry_a_note() -> None:
    import dataclasses

    candidates, index, protected, scores, _ = _world()
    context = group_context(
        candidates, audit_groups(candidates, protected), intersections=[], rerank=("gender",)
    )
    pools = [
        dataclasses.replace(POOL, pool_id="nobody", max_age=20),
        POOL,
        dataclasses.replace(POOL, pool_id="nobody-twin", title="Same standards", max_age=20),
    ]
    result = rank_pools(pools, candidates, index, scores, context, options=ShortlistOptions())
    assert list(result.n_eligible) == [0, N, 0]
    assert set(result.empty_notes) == {"nobody", "nobody-twin"}
    assert result.empty_notes["nobody"] == result.empty_notes["nobody-twin"]
    assert set(result.entries["pool_id"]) == {"young"}


def test_ties_at_the_qualified_boundary_go_to_the_lower_row() -> None:
    from models.shortlist import qualified_order

    scores = np.array([1.0] * 8 + [2.0] * 2)
    rows = np.arange(10) * 3
    picked = qualified_order(scores, rows, size=4)
    assert list(rows[picked]) == [24, 27, 0, 3]
    shuffled = np.random.default_rng(0).permutation(10)
    again = qualified_order(scores[shuffled], rows[shuffled], size=4)
    assert list(rows[shuffled][again]) == [24, 27, 0, 3]  # same set and order, any input order


@pytest.mark.parametrize("seed", range(6))
def test_percentile_counts_from_the_qualified_rows_equal_those_of_the_whole_pool(
    seed: int,
) -> None:
    from models.shortlist import at_or_below, qualified_order

    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 3000))
    scores = rng.integers(0, 40, n).astype(float) / 7  # many ties, at the boundary too
    if seed % 3 == 1:
        scores[rng.random(n) < 0.05] = np.nan
    if seed % 3 == 2:
        scores[rng.random(n) < 0.05] = rng.choice([np.inf, -np.inf])
    for size in {1, max(1, n // 10), n}:
        top = qualified_order(scores, np.arange(n), size=size)
        direct = np.searchsorted(np.sort(scores), scores[top], side="right")
        assert np.array_equal(at_or_below(scores, top), direct)


def test_hometown_locality_is_unknown_without_a_province_to_compare() -> None:
    import dataclasses

    from models.shortlist import pool_groups

    candidates, _, protected, _, _ = _world()
    context = group_context(
        candidates, audit_groups(candidates, protected), intersections=[], rerank=("gender",)
    )
    rows = np.arange(4)
    here = pool_groups(context, dataclasses.replace(POOL, province="HN"), rows)
    expected = [0 if h == "HN" else 1 for h in candidates.hometown[:4]]
    assert list(here.codes["hometown"]) == expected
    nowhere = dataclasses.replace(POOL, province="ZZ")  # no candidate comes from there
    assert set(pool_groups(context, nowhere, rows).codes["hometown"]) == {1}
    unplaced = dataclasses.replace(context, province_codes=np.full(candidates.n, -1))
    assert set(pool_groups(unplaced, POOL, rows).codes["hometown"]) == {-1}


def test_staff_of_a_unit_with_no_province_are_neither_local_nor_not() -> None:
    """A ministry has no province (the feature build gives it its own id as locality): its
    staff have no locality in a national pool, and the usual one in a provincial pool."""
    import dataclasses

    from models.shortlist import pool_groups

    candidates, _, protected, _, _ = _world()
    central = np.arange(candidates.n) < 10
    candidates = dataclasses.replace(
        candidates,
        org_id=np.where(central, "B01", candidates.org_id).astype(object),
        province=np.where(central, "B01", candidates.province).astype(object),
    )
    context = group_context(
        candidates, audit_groups(candidates, protected), intersections=[], rerank=("gender",)
    )
    rows = np.arange(20)
    national = pool_groups(context, POOL, rows).codes["hometown"]
    assert set(national[:10]) == {-1}
    assert list(national[10:]) == [0 if h == "HN" else 1 for h in candidates.hometown[10:20]]
    provincial = pool_groups(context, dataclasses.replace(POOL, province="HN"), rows)
    assert list(provincial.codes["hometown"]) == [
        0 if h == "HN" else 1 for h in candidates.hometown[:20]
    ]


def test_a_nights_kept_rows_are_the_stored_rows_of_the_whole_audit() -> None:
    # The night keeps only the rows it stores of each distinct pool's audit, before the rows
    # are repeated for the pools that share them: the same rows, in the same order.
    import dataclasses

    from models.shortlist_fairness import per_shortlist_checks

    candidates, index, protected, scores, _ = _world()
    context = group_context(
        candidates, audit_groups(candidates, protected), intersections=[], rerank=("gender",)
    )
    twin = dataclasses.replace(POOL, pool_id="twin")
    nobody = dataclasses.replace(POOL, pool_id="nobody", max_age=30)
    narrow = dataclasses.replace(POOL, pool_id="narrow", k=5)
    pools = [POOL, nobody, twin, narrow]
    whole = rank_pools(pools, candidates, index, scores, context, options=ShortlistOptions())
    kept = rank_pools(
        pools,
        candidates,
        index,
        scores,
        context,
        options=ShortlistOptions(fairness_rows=per_shortlist_checks),
    )
    expected = per_shortlist_checks(whole.fairness)
    assert 0 < len(expected) < len(whole.fairness)
    pd.testing.assert_frame_equal(kept.fairness, expected)
    pd.testing.assert_frame_equal(kept.entries, whole.entries)
    pd.testing.assert_frame_equal(kept.counts, whole.counts)


def test_candidates_aligned_by_arrow_lookup_are_the_reindexed_ones() -> None:
    # People and protected attributes in another order than the features, ids of other
    # types: the lookup gives the rows reindex gives; anyone missing or an id twice goes
    # reindex's way (empty values; its error).
    from models.eligibility import aligned, rows_of

    frame = _world()[2].iloc[::-1].reset_index(drop=True)
    ids = pd.Index([f"X{i:03d}" for i in range(0, N, 3)])
    reindexed = frame.assign(person_id=frame["person_id"].astype(str)).set_index("person_id")
    found = rows_of(frame, ids)
    assert found is not None
    pd.testing.assert_frame_equal(aligned(frame, ids, found), reindexed.reindex(ids))
    assert rows_of(frame.iloc[::-1], ids, found) is not found  # other rows: looked up again
    assert rows_of(frame.copy(), ids, found) is found
    assert rows_of(frame, ids.append(pd.Index(["nobody"]))) is None
    assert rows_of(pd.concat([frame, frame.head(2)]), ids) is None
    numbers = pd.DataFrame({"person_id": [3, 1, 2], "x": [30, 10, 20]})
    pd.testing.assert_frame_equal(
        aligned(numbers, pd.Index(["1", "2"]), rows_of(numbers, pd.Index(["1", "2"]))),
        numbers.assign(person_id=numbers["person_id"].astype(str))
        .set_index("person_id")
        .reindex(pd.Index(["1", "2"])),
    )
