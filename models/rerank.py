"""Fairness-aware re-ranking of a qualified set: DetGreedy (Geyik, Ambler, Kenthapadi 2019,
"Fairness-Aware Ranking in Search & Recommendation Systems", Algorithm 1).

The re-ranker only reorders: its output is a permutation of the qualified candidates, nobody is
added or removed, and within a group the model's score order is kept. At each position
i = 1..k, with p the target shares and c the counts placed so far: if some group with candidates
left has c < floor(i * p), the best-scoring next candidate among those groups is placed; else the
best among groups with c < ceil(i * p); else (only when groups run out, a case the paper leaves
open) the best remaining candidate. After k, the rest follow by score. Ties go to the lower
index. Floors and ceilings use a tolerance of ``TOLERANCE`` so that 10 x 0.7 counts as 7.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TOLERANCE = 1e-9
BAD_CODES = "group codes must be integers in [0, {n_groups}); map unknown to a group of its own."
BAD_TARGETS = "targets must be {n_groups} non-negative shares summing to 1, got {targets}."
BAD_SCORES = "scores must be finite and as long as group_codes ({n}), got {got} values."
BAD_ORDER = "{what} must be a permutation of 0..{last}: every candidate exactly once."
BAD_K = "k must be a non-negative integer, got {k!r}."


def _codes(group_codes: np.ndarray, n_groups: int) -> np.ndarray:
    codes = np.asarray(group_codes)
    if codes.ndim != 1 or not np.issubdtype(codes.dtype, np.integer):
        raise ValueError(BAD_CODES.format(n_groups=n_groups))
    if len(codes) and (codes.min() < 0 or codes.max() >= n_groups):
        raise ValueError(BAD_CODES.format(n_groups=n_groups))
    return codes.astype(np.intp)


def representation_targets(pool_codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Each group's share of the eligible pool: the default targets."""
    codes = _codes(pool_codes, n_groups)
    if len(codes) == 0:
        raise ValueError("pool_codes is empty: no pool to take representation targets from.")
    return np.bincount(codes, minlength=n_groups) / len(codes)


def _floors(positions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    return np.floor(np.outer(positions, targets) + TOLERANCE)


def meets_targets(order_codes_topk: np.ndarray, targets: np.ndarray, k: int) -> bool:
    """True when every prefix i <= k holds at least floor(i * p_g) of every group g."""
    p = np.asarray(targets, dtype=float)
    codes = _codes(order_codes_topk, len(p))[:k]
    onehot = np.zeros((len(codes), len(p)))
    onehot[np.arange(len(codes)), codes] = 1.0
    floors = _floors(np.arange(1, len(codes) + 1), p)
    return bool(np.all(np.cumsum(onehot, axis=0) >= floors))


def _validated(
    scores: np.ndarray, group_codes: np.ndarray, targets: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    p = np.asarray(targets, dtype=float)
    if p.ndim != 1 or len(p) == 0 or (p < 0).any() or abs(p.sum() - 1) > 1e-6:
        raise ValueError(BAD_TARGETS.format(n_groups=len(np.atleast_1d(p)), targets=p.tolist()))
    codes = _codes(group_codes, len(p))
    values = np.asarray(scores, dtype=float)
    if values.shape != codes.shape or not np.isfinite(values).all():
        raise ValueError(BAD_SCORES.format(n=len(codes), got=values.size))
    return values, codes, p


def _next_group(
    position: int, p: np.ndarray, placed: np.ndarray, heads: list[int], queues: list[np.ndarray]
) -> int:
    """The group whose best remaining candidate takes ``position`` (1-based)."""
    available = np.array([h < len(q) for h, q in zip(heads, queues, strict=True)])
    below_min = available & (placed < np.floor(position * p + TOLERANCE))
    below_max = available & (placed < np.ceil(position * p - TOLERANCE))
    allowed = below_min if below_min.any() else below_max if below_max.any() else available
    # queues hold candidates best first; a smaller global rank means a higher score
    best = [(queues[g][heads[g]], g) for g in np.flatnonzero(allowed)]
    return int(min(best)[1])


def det_greedy(
    scores: np.ndarray, group_codes: np.ndarray, targets: np.ndarray, *, k: int
) -> np.ndarray:
    """DetGreedy order of the qualified candidates (a permutation of ``arange(n)``)."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 0:
        raise ValueError(BAD_K.format(k=k))
    values, codes, p = _validated(scores, group_codes, targets)
    n = len(values)
    by_score = np.lexsort((np.arange(n), -values))  # best first, ties by index
    global_rank = np.empty(n, dtype=np.intp)
    global_rank[by_score] = np.arange(n)
    queues = [np.sort(global_rank[codes == g]) for g in range(len(p))]
    heads, placed = [0] * len(p), np.zeros(len(p))
    chosen = []
    for position in range(1, min(k, n) + 1):
        group = _next_group(position, p, placed, heads, queues)
        chosen.append(queues[group][heads[group]])
        heads[group] += 1
        placed[group] += 1
    taken = np.zeros(n, dtype=bool)
    taken[chosen] = True
    return np.concatenate([by_score[chosen], by_score[~taken]]).astype(np.intp)


def _ranks(order: np.ndarray, n: int, what: str) -> np.ndarray:
    values = np.asarray(order)
    if values.shape != (n,) or not np.array_equal(np.sort(values), np.arange(n)):
        raise ValueError(BAD_ORDER.format(what=what, last=n - 1))
    ranks = np.empty(n, dtype=np.int64)
    ranks[values] = np.arange(1, n + 1)
    return ranks


def rerank_notes(
    model_order: np.ndarray,
    fair_order: np.ndarray,
    group_labels: list[str],
    group_codes: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Per candidate, by index: group label, rank_model, rank_fair (1-based) and a
    plain-English note on why the candidate moved ("" if not)."""
    codes = _codes(group_codes, len(group_labels))
    n = len(codes)
    rank_model = _ranks(model_order, n, "model_order")
    rank_fair = _ranks(fair_order, n, "fair_order")
    labels = np.asarray(group_labels, dtype=object)[codes]
    notes = np.full(n, "", dtype=object)
    for i in np.flatnonzero(rank_fair < rank_model):
        notes[i] = (
            f"moved up from {rank_model[i]} to {rank_fair[i]} to meet the representation "
            f"target of group '{labels[i]}'"
        )
    for i in np.flatnonzero(rank_fair > rank_model):
        # who now precedes this candidate but followed it in the model's order
        passed = (rank_model > rank_model[i]) & (rank_fair < rank_fair[i])
        groups = sorted(set(labels[passed]))
        names = ("group " if len(groups) == 1 else "groups ") + ", ".join(f"'{g}'" for g in groups)
        notes[i] = f"moved down from {rank_model[i]} to {rank_fair[i]} to make room for {names}"
    return labels, rank_model, rank_fair, notes


def rerank_annotations(
    model_order: np.ndarray,
    fair_order: np.ndarray,
    group_labels: list[str],
    group_codes: np.ndarray,
) -> pd.DataFrame:
    """One row per candidate, in fair order: index, group, rank_model, rank_fair (1-based),
    moved, and a plain-English note on why the candidate moved."""
    labels, rank_model, rank_fair, notes = rerank_notes(
        model_order, fair_order, group_labels, group_codes
    )
    frame = pd.DataFrame(
        {
            "index": np.arange(len(labels)),
            "group": labels,
            "rank_model": rank_model,
            "rank_fair": rank_fair,
            "moved": rank_model != rank_fair,
            "note": notes,
        }
    )
    return frame.sort_values("rank_fair", ignore_index=True)
