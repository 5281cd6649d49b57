"""DetGreedy re-ranking, checked against the paper's constraints and hand-worked orders."""

from __future__ import annotations

import math

import numpy as np
import pytest

from models.rerank import det_greedy, meets_targets, representation_targets, rerank_annotations

# group B is half the qualified set, but every B scores below every A
SCORES = np.r_[np.linspace(20, 11, 10), np.linspace(10, 1, 10)]
CODES = np.r_[np.zeros(10, dtype=int), np.ones(10, dtype=int)]
HALF = np.array([0.5, 0.5])


def _floors_met_by_loop(codes: np.ndarray, targets: np.ndarray, k: int) -> bool:
    for i in range(1, k + 1):
        for group, share in enumerate(targets):
            if np.sum(codes[:i] == group) < math.floor(i * share + 1e-9):
                return False
    return True


def test_biased_list_gets_half_b_in_the_top_10_and_meets_every_floor() -> None:
    order = det_greedy(SCORES, CODES, HALF, k=10)
    assert np.sum(CODES[order[:10]] == 1) >= 5
    assert _floors_met_by_loop(CODES[order], HALF, 10)
    assert meets_targets(CODES[order], HALF, 10)
    assert not meets_targets(CODES[np.argsort(-SCORES)], HALF, 10)
    # worked by hand from Algorithm 1: A and B alternate, A first (higher score), then by score
    assert order.tolist() == [0, 10, 1, 11, 2, 12, 3, 13, 4, 14, 5, 6, 7, 8, 9, *range(15, 20)]


def test_output_is_a_permutation_and_keeps_within_group_order() -> None:
    rng = np.random.default_rng(5)
    scores, codes = rng.normal(size=40), rng.integers(0, 3, 40)
    order = det_greedy(scores, codes, np.array([0.2, 0.3, 0.5]), k=25)
    assert sorted(order.tolist()) == list(range(40))
    for group in range(3):
        in_group = order[codes[order] == group]
        assert (np.diff(scores[in_group]) <= 0).all()


def test_an_already_fair_list_is_unchanged() -> None:
    scores = np.arange(20, 0, -1, dtype=float)
    codes = np.tile([0, 1], 10)
    order = det_greedy(scores, codes, HALF, k=20)
    assert order.tolist() == list(range(20))


def test_ties_are_broken_by_index() -> None:
    scores = np.ones(6)
    codes = np.array([1, 0, 1, 0, 1, 0])
    assert det_greedy(scores, codes, HALF, k=6).tolist() == [0, 1, 2, 3, 4, 5]


def test_three_groups_meet_their_floors_and_ceilings() -> None:
    codes = np.r_[np.zeros(10, dtype=int), np.ones(6, dtype=int), np.full(4, 2)]
    scores = np.r_[np.linspace(30, 21, 10), np.linspace(20, 15, 6), np.linspace(14, 11, 4)]
    targets = representation_targets(codes, 3)
    assert targets.tolist() == pytest.approx([0.5, 0.3, 0.2])
    order = det_greedy(scores, codes, targets, k=10)
    top = codes[order[:10]]
    assert _floors_met_by_loop(codes[order], targets, 10)
    assert [int(np.sum(top == g)) for g in range(3)] == [5, 3, 2]
    for i in range(1, 11):  # no group beyond its ceiling in any prefix
        counts = np.bincount(codes[order[:i]], minlength=3)
        assert (counts <= np.ceil(i * targets - 1e-9)).all()


def test_k_beyond_the_set_and_groups_that_run_out() -> None:
    codes = np.array([0, 0, 0, 0, 1])
    scores = np.array([5.0, 4.0, 3.0, 2.0, 1.0])
    order = det_greedy(scores, codes, HALF, k=50)
    assert order.tolist() == [0, 4, 1, 2, 3]


def test_annotations_mark_exactly_the_moved_candidates() -> None:
    model = np.argsort(-SCORES, kind="stable")
    fair = det_greedy(SCORES, CODES, HALF, k=10)
    notes = rerank_annotations(model, fair, ["A", "B"], CODES).set_index("index")
    rank_model = {int(i): r + 1 for r, i in enumerate(model)}
    rank_fair = {int(i): r + 1 for r, i in enumerate(fair)}
    for index, row in notes.iterrows():
        assert row["rank_model"] == rank_model[index]
        assert row["rank_fair"] == rank_fair[index]
        assert row["moved"] == (rank_model[index] != rank_fair[index])
        assert (row["note"] == "") == (not row["moved"])
    assert notes.loc[12, "note"] == (
        "moved up from 13 to 6 to meet the representation target of group 'B'"
    )
    assert notes.loc[3, "note"] == "moved down from 4 to 7 to make room for group 'B'"
    assert notes.loc[0, "note"] == ""
    assert set(notes.index) == set(range(20))


def test_bad_inputs_raise() -> None:
    with pytest.raises(ValueError, match="shares summing to 1"):
        det_greedy(SCORES, CODES, np.array([0.5, 0.6]), k=5)
    with pytest.raises(ValueError, match="integers in"):
        det_greedy(SCORES, CODES + 1, HALF, k=5)
    with pytest.raises(ValueError, match="permutation"):
        rerank_annotations(np.arange(20), np.zeros(20, dtype=int), ["A", "B"], CODES)
