"""Shortlists: each pool's eligible candidates ranked by the champion's score.

The ranking key is the model's raw score: calibration is monotone, so the order is the same as
by calibrated probability, without the ties isotonic calibration creates (equal probabilities
would otherwise be ordered by row, arbitrarily). Percentiles and the scoring-rate checks use it
too; the published score is the calibrated probability.

For every pool: the eligible rows (models.eligibility), the qualified set (the top
``qualified_factor`` x k of the eligible pool by score), the model's order of the qualified set
and the fairness-aware order (DetGreedy towards the eligible pool's shares of the re-ranking
attributes, reordering only within the qualified set). The policy picks which order becomes
the shortlist; both are kept. Each shortlist is audited against its eligible pool, and its
count table is kept for the whole-run audit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, get_args

import numpy as np
import pandas as pd

from models.eligibility import Candidates, PoolSpec, ScopeIndex, eligible_rows
from models.rerank import det_greedy, representation_targets, rerank_annotations
from models.shortlist_fairness import (
    AuditThresholds,
    GroupCodes,
    audit_with_counts,
)

Policy = Literal["audit_only", "rerank"]
AGE_BANDS = (0, 30, 40, 50, 200)
AGE_LABELS = ("under 30", "30-39", "40-49", "50 and over")


@dataclass(frozen=True)
class ShortlistOptions:
    qualified_factor: float = 3.0
    policy: Policy = "audit_only"
    rerank_attributes: tuple[str, ...] = ("party_member", "gender")
    thresholds: AuditThresholds = field(default_factory=AuditThresholds)

    def __post_init__(self) -> None:
        if self.policy not in get_args(Policy):
            raise ValueError(f"policy must be one of {get_args(Policy)}, got {self.policy!r}")


@dataclass
class ShortlistResult:
    entries: pd.DataFrame
    fairness: pd.DataFrame  # per-shortlist audit rows, with pool_id
    counts: pd.DataFrame  # per-shortlist count tables, with pool_id (summable)
    n_eligible: np.ndarray
    n_qualified: np.ndarray


def audit_groups(candidates: Candidates, protected: pd.DataFrame) -> pd.DataFrame:
    """Protected groups of every candidate as readable labels (NA = unknown), row-aligned.

    Hometown locality is relative to each pool, so it is not here (see ``pool_groups``).
    """
    prot = protected.assign(person_id=protected["person_id"].astype(str)).set_index("person_id")
    ids = pd.Index(candidates.person_id)

    def labels(column: str, mapping: dict[object, str] | None = None) -> pd.Series:
        values = prot[column].astype(object).reindex(ids)
        return values.map(mapping) if mapping else values.where(values.notna(), None)

    ethnicity = prot["ethnicity"].dropna().astype(object)
    majority = ethnicity.mode().iloc[0] if len(ethnicity) else None
    nationality = prot["nationality"].astype(object).reindex(ids)
    ethnic = prot["ethnicity"].astype(object).reindex(ids)
    age_band = pd.cut(candidates.age, AGE_BANDS, right=False, labels=AGE_LABELS)
    frame = pd.DataFrame(
        {
            "party_member": labels("party_member", {True: "member", False: "non-member"}),
            "nationality": nationality.map(
                lambda v: v if pd.isna(v) else ("VN" if v == "VN" else "foreign")
            ),
            "gender": labels("gender"),
            "ethnicity": ethnic.map(
                lambda v: v if pd.isna(v) else ("majority" if v == majority else "minority")
            ),
            "age_band": pd.Series(age_band, index=ids).astype(object),
            "population": pd.Series(candidates.population, index=ids),
        }
    )
    return (
        frame.reset_index(drop=True)
        .astype(object)
        .where(frame.reset_index(drop=True).notna(), None)
    )


@dataclass(frozen=True)
class GroupContext:
    """Integer group codes of every candidate, and what per-pool locality needs."""

    base: GroupCodes
    hometown_codes: np.ndarray  # int code of each candidate's hometown province, -1 unknown
    province_codes: np.ndarray  # int code of each candidate's current province, -1 unknown
    province_lookup: dict[str, int]
    rerank_codes: np.ndarray
    rerank_labels: list[str]


def group_context(
    candidates: Candidates,
    groups: pd.DataFrame,
    *,
    intersections: list[tuple[str, ...]],
    rerank: tuple[str, ...],
) -> GroupContext:
    from models.shortlist_fairness import encode_groups

    base = encode_groups(groups, intersections=intersections)
    both = pd.concat([pd.Series(candidates.hometown), pd.Series(candidates.province)]).astype(
        object
    )
    codes, uniques = pd.factorize(both)
    n = candidates.n
    key = groups[list(rerank)].astype(object).fillna("unknown").astype(str).agg(" × ".join, axis=1)
    rerank_codes, rerank_labels = pd.factorize(key, sort=True)
    return GroupContext(
        base=base,
        hometown_codes=codes[:n],
        province_codes=codes[n:],
        province_lookup={str(u): i for i, u in enumerate(uniques)},
        rerank_codes=rerank_codes,
        rerank_labels=[str(x) for x in rerank_labels],
    )


def pool_groups(context: GroupContext, pool: PoolSpec, rows: np.ndarray) -> GroupCodes:
    """Groups of a pool's eligible rows, with hometown locality relative to the pool: local
    means from the post's province (or, for pools with no province, from one's own)."""
    taken = context.base.take(rows)
    hometown = context.hometown_codes[rows]
    if pool.province is not None:
        target = np.full(len(rows), context.province_lookup.get(pool.province, -2))
    else:
        target = context.province_codes[rows]
    local = np.where(hometown < 0, -1, np.where(hometown == target, 0, 1))
    return GroupCodes(
        codes={**taken.codes, "hometown": local},
        labels={**taken.labels, "hometown": ["local", "non-local"]},
    )


def qualified_order(scores: np.ndarray, rows: np.ndarray, *, size: int) -> np.ndarray:
    """Positions (into ``scores``) of the ``size`` best, by score then by row (deterministic)."""
    if size <= 0:
        return np.empty(0, dtype=np.int64)
    top = (
        np.argpartition(-scores, size - 1)[:size] if size < len(scores) else np.arange(len(scores))
    )
    return top[np.lexsort((rows[top], -scores[top]))]


def rank_pool(
    pool: PoolSpec,
    rows: np.ndarray,
    scores: np.ndarray,
    context: GroupContext,
    options: ShortlistOptions,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Entries, audit rows and count table of one pool whose eligible rows are ``rows``."""
    pool_scores = scores[rows]
    size = min(len(rows), math.ceil(options.qualified_factor * pool.k))
    model_order = qualified_order(pool_scores, rows, size=size)
    codes = context.rerank_codes[rows]
    targets = representation_targets(codes, len(context.rerank_labels))
    fair = det_greedy(pool_scores[model_order], codes[model_order], targets, k=pool.k)
    fair_order = model_order[fair]
    final = fair_order if options.policy == "rerank" else model_order
    groups = pool_groups(context, pool, rows)
    audit, counts = audit_with_counts(
        groups, pool_scores, final, k=pool.k, thresholds=options.thresholds
    )
    notes = rerank_annotations(
        np.arange(size), fair, context.rerank_labels, codes[model_order]
    ).set_index("index")
    ranked = np.sort(pool_scores)
    percentile = (
        100.0 * np.searchsorted(ranked, pool_scores[model_order], side="right") / max(len(rows), 1)
    )
    final_rank = np.empty(size, dtype=np.int64)
    position_of = {int(p): i for i, p in enumerate(model_order)}
    final_rank[[position_of[int(p)] for p in final]] = np.arange(1, size + 1)
    moved = final_rank != np.arange(1, size + 1)
    entries = pd.DataFrame(
        {
            "pool_id": pool.pool_id,
            "row": rows[model_order],
            "rank": np.where(final_rank <= pool.k, final_rank, -1),
            "rank_model": np.arange(1, size + 1),
            "rank_fair": notes["rank_fair"].reindex(np.arange(size)).to_numpy(),
            "in_shortlist": final_rank <= pool.k,
            "rank_score": pool_scores[model_order],
            "percentile": percentile,
            "moved": moved,
            "move_note": np.where(
                moved, notes["note"].reindex(np.arange(size)).to_numpy(dtype=object), None
            ),
        }
    )
    return entries, audit.assign(pool_id=pool.pool_id), counts.assign(pool_id=pool.pool_id)


def rank_pools(
    pools: list[PoolSpec],
    candidates: Candidates,
    index: ScopeIndex,
    scores: np.ndarray,
    context: GroupContext,
    *,
    options: ShortlistOptions,
) -> ShortlistResult:
    """Every pool's shortlist, fairness audit and counts (see ``rank_pool``)."""
    entries, audits, counts = [], [], []
    n_eligible = np.zeros(len(pools), dtype=np.int64)
    n_qualified = np.zeros(len(pools), dtype=np.int64)
    for i, pool in enumerate(pools):
        rows = eligible_rows(pool, candidates, index)
        n_eligible[i] = len(rows)
        if len(rows) == 0:
            continue
        pool_entries, audit, count = rank_pool(pool, rows, scores, context, options)
        n_qualified[i] = len(pool_entries)
        entries.append(pool_entries)
        audits.append(audit)
        counts.append(count)
    return ShortlistResult(
        entries=_concat(entries),
        fairness=_concat(audits),
        counts=_concat(counts),
        n_eligible=n_eligible,
        n_qualified=n_qualified,
    )


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
