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
count table is kept for the whole-run audit. A pool with nobody eligible gets a note saying why.

Audit groups are the extract's own categories (``audit_groups``), a missing value of any kind
being the counted group ``unknown``; nationality and ethnicity also have coarse views
(``VIEWS``), audited beside them and used by re-ranking in their place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

import numpy as np
import pandas as pd

from models.eligibility import (
    Candidates,
    PoolSpec,
    ScopeIndex,
    aligned,
    eligible_rows,
    rows_of,
)
from models.pools import why_nobody_eligible
from models.rerank import det_greedy, representation_targets, rerank_notes
from models.shortlist_counts import COUNT_COLUMNS, dense_codes
from models.shortlist_fairness import (
    AuditThresholds,
    CountedShortlist,
    GroupCodes,
    audit_shortlists,
    count_shortlist,
    encode_groups,
)
from models.shortlist_run import run_audit as run_audit
from models.shortlist_run import spread_rows

Policy = Literal["audit_only", "rerank"]
ENTRY_COLUMNS = [
    *["row", "rank", "rank_model", "rank_fair", "in_shortlist", "rank_score", "percentile"],
    *["moved", "move_note"],
]
AUDITABLE = (
    "party_member", "nationality", "gender", "ethnicity", "hometown", "age_band", "population"
)  # fmt: skip
UNKNOWN_ATTRIBUTES = "unknown audit or re-ranking attributes {unknown}; choose among {known}"
# Coarse views of an attribute whose groups are the extract's categories: audited beside it, and
# re-ranked on in its place, so that tiny categories never get re-ranking targets of their own.
VIEWS = {"nationality": "nationality_vn", "ethnicity": "ethnicity_majority"}
UNKNOWN_WORDS = frozenset({"", "unknown"})  # recorded values that mean "not recorded"
AGE_BANDS = (0, 30, 40, 50, 200)
AGE_LABELS = ("under 30", "30-39", "40-49", "50 and over")


@dataclass(frozen=True)
class ShortlistOptions:
    qualified_factor: float = 3.0
    policy: Policy = "audit_only"
    rerank_attributes: tuple[str, ...] = ("party_member", "gender")
    thresholds: AuditThresholds = field(default_factory=AuditThresholds)
    # Every candidate's place among the night's candidates at the same career stage
    # (models.career_stage.stage_relative); when given, pools with an age window rank by it
    # instead of the raw score.
    stage_scores: np.ndarray | None = None
    # The audit rows kept of each distinct pool's audit (all if None), taken before the rows
    # are repeated for every pool that shares them: a night keeps the rows it stores
    # (models.shortlist_fairness.per_shortlist_checks).
    fairness_rows: Callable[[pd.DataFrame], pd.DataFrame] | None = None

    def __post_init__(self) -> None:
        if self.policy not in get_args(Policy):
            raise ValueError(f"policy must be one of {get_args(Policy)}, got {self.policy!r}")


@dataclass
class ShortlistResult:
    """Every pool's entries (``pool_id``); the audit rows and count tables of each distinct
    shortlist once, under the id of the first pool that has it (``checks``, ``check_counts``),
    and ``holders``: for every pool with someone eligible, in pool order, the pool whose rows
    are its (``checks_pool_id``). ``fairness`` and ``counts`` give each pool its rows."""

    entries: pd.DataFrame
    checks: pd.DataFrame
    check_counts: pd.DataFrame
    holders: pd.DataFrame
    n_eligible: np.ndarray
    n_qualified: np.ndarray
    # pool id -> why nobody is eligible (models.pools.why_nobody_eligible), for empty pools
    empty_notes: dict[str, str] = field(default_factory=dict)

    @property
    def fairness(self) -> pd.DataFrame:
        """Per-shortlist audit rows of every pool, in pool order, with ``pool_id``."""
        return spread_rows(self.checks, self.holders)

    @property
    def counts(self) -> pd.DataFrame:
        """Per-shortlist count tables of every pool, in pool order, with ``pool_id``."""
        return spread_rows(self.check_counts, self.holders)


def recorded_groups(values: pd.Series) -> np.ndarray:
    """Each value's recorded category as trimmed text, None (the audit's ``unknown`` group)
    where missing (None, NaN, pandas or Arrow NA), blank or recorded as "unknown" in any case.
    One label per distinct value, so a million rows cost one pass."""
    codes, uniques = pd.factorize(pd.Series(values).astype(object), use_na_sentinel=True)
    names = [str(u).strip() for u in uniques]
    labels = [None if name.casefold() in UNKNOWN_WORDS else name for name in names]
    return np.asarray([*labels, None], dtype=object)[codes]


def _binary_view(recorded: np.ndarray, value: object, yes: str, no: str) -> np.ndarray:
    """``yes`` where the recorded category is ``value``, ``no`` elsewhere, None if unknown."""
    view = np.where(recorded == value, yes, no).astype(object)
    view[pd.isna(recorded)] = None
    return view


def audit_groups(candidates: Candidates, protected: pd.DataFrame) -> pd.DataFrame:
    """Protected groups of every candidate as readable labels (None = unknown), row-aligned.

    Groups are the extract's own categories: each nationality code, gender and ethnicity as
    recorded. The coarse views ride beside them: ``nationality_vn`` (VN or foreign) and
    ``ethnicity_majority`` (the candidates' most frequent ethnicity, or another). A column the
    extract lacks or left blank is unknown for everyone. Hometown locality is relative to
    each pool, so it is not here (``pool_groups``).
    """
    columns = ["nationality", "gender", "ethnicity"]
    ids = pd.Index(candidates.person_id)
    found = rows_of(protected, ids, candidates.protected_rows)
    prot = aligned(protected.reindex(columns=["person_id", *columns]), ids, found)
    nationality = recorded_groups(prot["nationality"])
    ethnicity = recorded_groups(prot["ethnicity"])
    known = pd.Series(ethnicity[pd.notna(ethnicity)], dtype=object)
    majority = known.mode().iloc[0] if len(known) else None
    party = candidates.party_member  # 1, 0 or NaN
    party_code = np.where(np.isnan(party), 2, (party == 1).astype(np.intp))
    age_band = pd.cut(candidates.age, AGE_BANDS, right=False, labels=AGE_LABELS)
    return pd.DataFrame(
        {
            "party_member": np.asarray(["non-member", "member", None], dtype=object)[party_code],
            "nationality": nationality,
            "nationality_vn": _binary_view(nationality, "VN", "VN", "foreign"),
            "gender": recorded_groups(prot["gender"]),
            "ethnicity": ethnicity,
            "ethnicity_majority": _binary_view(ethnicity, majority, "majority", "minority"),
            "age_band": recorded_groups(pd.Series(age_band)),
            "population": candidates.population,
        },
        dtype=object,
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
    with_hometown: bool = True


def group_context(
    candidates: Candidates,
    groups: pd.DataFrame,
    *,
    attributes: list[str] | None = None,
    intersections: list[tuple[str, ...]],
    rerank: tuple[str, ...],
) -> GroupContext:
    """Codes of the audited attributes (all of ``groups`` and hometown locality if
    ``attributes`` is None; each chosen attribute with its coarse view), their intersections,
    and the re-ranking groups (an attribute's coarse view where it has one)."""
    chosen = (
        [*groups.columns, "hometown"]
        if attributes is None
        else _with_views(attributes, groups.columns)
    )
    unknown = sorted(set(chosen) - {*groups.columns, "hometown"})
    if unknown:
        raise ValueError(UNKNOWN_ATTRIBUTES.format(unknown=unknown, known=AUDITABLE))
    audited = groups[[a for a in chosen if a != "hometown"]]
    base = encode_groups(audited, intersections=intersections)
    # A unit with no province (a ministry: its own id stands as its locality) has no locals.
    province = pd.Series(candidates.province, dtype=object)
    province = province.where(province != pd.Series(candidates.org_id, dtype=object))
    both = pd.concat([pd.Series(candidates.hometown, dtype=object), province])
    codes, uniques = pd.factorize(both.astype(object))
    n = candidates.n
    coarse = [VIEWS[a] if VIEWS.get(a) in groups.columns else a for a in rerank]
    rerank_codes, rerank_labels = _combined_codes(groups[coarse])
    return GroupContext(
        base=base,
        hometown_codes=codes[:n],
        province_codes=codes[n:],
        province_lookup={str(u): i for i, u in enumerate(uniques)},
        rerank_codes=rerank_codes,
        rerank_labels=rerank_labels,
        with_hometown="hometown" in chosen,
    )


def _with_views(attributes: list[str], available: pd.Index) -> list[str]:
    """The attributes and the coarse views (``VIEWS``) of those that have one in ``available``."""
    views = [VIEWS[a] for a in attributes if VIEWS.get(a) in available]
    return [*attributes, *(v for v in views if v not in attributes)]


def _combined_codes(frame: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """One code per combination of the columns' values (missing = "unknown"), and its label."""
    combined = np.zeros(len(frame), dtype=np.int64)
    parts = []
    for column in frame.columns:
        codes, uniques = pd.factorize(frame[column].astype(object).fillna("unknown"), sort=True)
        combined = combined * len(uniques) + codes
        parts.append([str(u) for u in uniques])
    space = math.prod(len(options) for options in parts)
    used, dense = dense_codes(combined, space)
    labels = []
    for value in used:
        names = []
        for options in reversed(parts):
            value, position = divmod(int(value), len(options))
            names.append(options[position])
        labels.append(" × ".join(reversed(names)))
    return dense.astype(np.int64), labels


def pool_groups(context: GroupContext, pool: PoolSpec, rows: np.ndarray) -> GroupCodes:
    """Groups of a pool's eligible rows, with hometown locality relative to the pool: local
    means from the post's province (or, for pools with no province, from one's own; unknown
    for staff of a unit with no province)."""
    taken = context.base.take(rows)
    if not context.with_hometown:
        return taken
    hometown = context.hometown_codes[rows]
    if pool.province is not None:
        target = np.full(len(rows), context.province_lookup.get(pool.province, -2))
        target = np.where(target == -2, np.iinfo(np.int64).max, target)  # nobody's hometown
    else:
        target = context.province_codes[rows]
    unknown = (hometown < 0) | (target < 0)  # an external candidate has no province of their own
    local = np.where(unknown, -1, np.where(hometown == target, 0, 1))
    return GroupCodes(
        codes={**taken.codes, "hometown": local},
        labels={**taken.labels, "hometown": ["local", "non-local"]},
    )


def qualified_order(scores: np.ndarray, rows: np.ndarray, *, size: int) -> np.ndarray:
    """Positions (into ``scores``) of the ``size`` best, by score then by row: ties at the
    boundary go to the lower row, so the same data always gives the same qualified set."""
    if size <= 0:
        return np.empty(0, dtype=np.int64)
    if size < len(scores):
        kth = np.partition(-scores, size - 1)[size - 1]  # minus the size-th best score
        better = np.flatnonzero(-scores < kth)
        tied = np.flatnonzero(-scores == kth)
        tied = tied[np.argsort(rows[tied], kind="stable")][: size - len(better)]
        top = np.concatenate([better, tied])
    else:
        top = np.arange(len(scores))
    return top[np.lexsort((rows[top], -scores[top]))]


def at_or_below(scores: np.ndarray, top: np.ndarray) -> np.ndarray:
    """How many of ``scores`` are at or below each of ``scores[top]``, where ``top`` holds
    every position whose score is above the lowest of them (``qualified_order``'s rows).

    A score above one of the top's is in the top itself, so the counts need only the top's
    scores sorted, not the whole pool's (national pools hold 220,000-340,000 rows, sorted
    once per pool before). Missing scores: counted as ``np.searchsorted`` on the sorted pool
    counts them, from the whole pool."""
    values = scores[top]
    if np.isnan(values).any() or (len(top) and np.isnan(scores).any()):
        return np.searchsorted(np.sort(scores), values, side="right")
    above = len(top) - np.searchsorted(np.sort(values), values, side="right")
    return len(scores) - above


def rank_pool(
    pool: PoolSpec,
    rows: np.ndarray,
    scores: np.ndarray,
    context: GroupContext,
    options: ShortlistOptions,
) -> tuple[dict[str, np.ndarray], CountedShortlist]:
    """Entries (``ENTRY_COLUMNS``, as arrays) and the counted shortlist of one pool whose
    eligible rows are ``rows`` (its audit: ``models.shortlist_fairness.audit_shortlists``)."""
    pool_scores = scores[rows]
    if options.stage_scores is not None and pool.max_age is not None:
        pool_scores = options.stage_scores[rows]
    size = min(len(rows), math.ceil(options.qualified_factor * pool.k))
    model_order = qualified_order(pool_scores, rows, size=size)
    codes = context.rerank_codes[rows]
    targets = representation_targets(codes, len(context.rerank_labels))
    fair = det_greedy(pool_scores[model_order], codes[model_order], targets, k=pool.k)
    final_positions = fair if options.policy == "rerank" else np.arange(size)
    counted = count_shortlist(
        pool_groups(context, pool, rows), pool_scores, model_order[final_positions], k=pool.k
    )
    _, _, rank_fair, notes = rerank_notes(
        np.arange(size), fair, context.rerank_labels, codes[model_order]
    )
    final_rank = np.empty(size, dtype=np.int64)
    final_rank[final_positions] = np.arange(1, size + 1)
    moved = final_rank != np.arange(1, size + 1)
    notes[~moved] = None
    entries = {
        "row": rows[model_order],
        "rank": np.where(final_rank <= pool.k, final_rank, -1),
        "rank_model": np.arange(1, size + 1),
        "rank_fair": rank_fair,
        "in_shortlist": final_rank <= pool.k,
        "rank_score": pool_scores[model_order],
        "percentile": 100.0 * at_or_below(pool_scores, model_order) / len(rows),
        "moved": moved,
        "move_note": notes,
    }
    return entries, counted


def _same_candidates(pool: PoolSpec) -> PoolSpec:
    """What makes two pools rank and audit identically: everything but their identity (the
    unit matters only for a subtree scope; the province also sets hometown locality)."""
    return replace(
        pool,
        pool_id="",
        kind="standing",
        title="",
        position_id=None,
        title_code=None,
        org_id=pool.org_id if pool.scope == "org_subtree" else None,
    )


def rank_pools(
    pools: list[PoolSpec],
    candidates: Candidates,
    index: ScopeIndex,
    scores: np.ndarray,
    context: GroupContext,
    *,
    options: ShortlistOptions,
) -> ShortlistResult:
    """Every pool's shortlist, fairness audit and counts (see ``rank_pool``).

    Pools with the same standards, scope and k (many deputy posts of a province) have the same
    eligible pool, shortlist and audit: each distinct one is computed once, its audit and
    counts kept once (``ShortlistResult.holders``). A pool with nobody eligible has no entries
    nor audit rows, and says why in ``empty_notes``.
    """
    done: dict[PoolSpec, tuple[int, int]] = {}  # key -> (part, eligible count)
    parts: list[tuple[dict[str, np.ndarray], CountedShortlist]] = []
    holder_ids: list[str] = []  # the first pool of each part
    empty: dict[PoolSpec, str] = {}  # key -> why nobody is eligible
    which = np.full(len(pools), -1, dtype=np.int64)
    n_eligible = np.zeros(len(pools), dtype=np.int64)
    for i, pool in enumerate(pools):
        key = _same_candidates(pool)
        if key not in done:
            rows = eligible_rows(pool, candidates, index)
            done[key] = (len(parts) if len(rows) else -1, len(rows))
            if len(rows):
                parts.append(rank_pool(pool, rows, scores, context, options))
                holder_ids.append(pool.pool_id)
            else:
                empty[key] = why_nobody_eligible(pool, candidates, index)
        which[i], n_eligible[i] = done[key]
    ids = np.asarray([p.pool_id for p in pools], dtype=object)
    used = which >= 0
    holders = pd.DataFrame(
        {"pool_id": ids[used], "checks_pool_id": np.asarray(holder_ids, dtype=object)[which[used]]}
    )
    checks, check_counts = _distinct_audits([p[1] for p in parts], holder_ids, options)
    entries = _stacked([p[0] for p in parts], ENTRY_COLUMNS, holder_ids)
    qualified = np.asarray([0, *(len(p[0]["row"]) for p in parts)], dtype=np.int64)
    n_qualified = qualified[which + 1]  # which is -1 for a pool with nobody eligible
    notes = {p.pool_id: empty[k] for p in pools if (k := _same_candidates(p)) in empty}
    return ShortlistResult(
        spread_rows(entries, holders),
        checks,
        check_counts,
        holders,
        n_eligible,
        n_qualified,
        notes,
    )


def _distinct_audits(
    counted: list[CountedShortlist], holder_ids: list[str], options: ShortlistOptions
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Audit rows (those ``options.fairness_rows`` keeps) and count tables of each distinct
    shortlist, with the id of the pool that holds them."""
    ids = np.asarray(holder_ids, dtype=object)
    audit = audit_shortlists(counted, thresholds=options.thresholds)
    audit = audit.assign(pool_id=ids[audit.pop("shortlist").to_numpy(dtype=np.int64)])
    if options.fairness_rows is not None:
        audit = options.fairness_rows(audit)
    counts = _stacked([c.counts for c in counted], [*COUNT_COLUMNS, "n_unknown"], holder_ids)
    return audit, counts


def _stacked(
    parts: list[dict[str, np.ndarray]], columns: list[str], holder_ids: list[str]
) -> pd.DataFrame:
    """The parts' columns, one after the other, with the id of each part's pool."""
    if not parts:
        return pd.DataFrame(columns=[*columns, "pool_id"])
    lengths = [len(p[columns[0]]) for p in parts]
    stacked = {c: np.concatenate([p[c] for p in parts]) for c in columns}
    return pd.DataFrame(
        {**stacked, "pool_id": np.repeat(np.asarray(holder_ids, dtype=object), lengths)}
    )
