"""Counts of one ranked shortlist per protected group, summable over shortlists, and its NDKL.

``encode_groups`` integer-codes the protected attributes once (``GroupCodes``); ``take`` cuts
out one eligible pool. Missing values form the group ``unknown`` (code -1); an intersection of
attributes, named ``"a×b"``, is unknown where any part is. ``shortlist_counts`` gives, per
attribute and group present in the pool (``unknown`` last, always present), ``COUNT_COLUMNS``:
``n_pool``, ``n_selected`` (places in the top ``k``), ``n_scoring`` (people scoring strictly
above the pool's median score, as NYC Local Law 144 defines it) and ``exposure`` (sum of
1/log2(1 + rank) over the group's shortlisted), plus ``n_unknown`` per attribute. They sum over
shortlists; models/shortlist_fairness turns them into metrics and verdicts, reading them
(one shortlist or many) with ``_table``: arrays, with totals per attribute of one shortlist.
``wilson_interval`` is the Wilson score interval (no continuity correction) both use.

NDKL (Geyik et al. 2019): sum over prefixes i of KL(D_i || Q) / log2(i + 1), over
Z = sum 1/log2(i + 1); D_i = group shares among the top i, Q = pool shares (unknown counts as a
group). Terms with D_i(g) = 0 are 0 (the limit); Q is floored at ``NDKL_EPSILON`` so a group
absent from Q gives a large finite value instead of infinity. NDKL of a short list is large by
chance alone (a random top 20 of a balanced pool often exceeds 0.2): read it with ``k`` in mind.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = [
    "COUNT_COLUMNS",
    "UNKNOWN",
    "GroupCodes",
    "encode_groups",
    "ndkl",
    "shortlist_counts",
    "shortlist_ndkl",
    "wilson_interval",
]

UNKNOWN = "unknown"
INTERSECTION_SEP = "×"
NDKL_EPSILON = 1e-6
COUNT_COLUMNS = ["attribute", "group", "n_pool", "n_selected", "n_scoring", "exposure"]

RESERVED_LABEL = (
    "Column {column!r} holds the value {label!r}, reserved for missing values: rename it."
)
BAD_INTERSECTION = "Intersection {parts!r}: expected two or more distinct columns among {columns}."
BAD_K = "k must be a positive integer, got {k!r}."
BAD_LENGTH = "groups[{attribute!r}] has {got} rows but the eligible pool has {n}: align them."
BAD_RANKED = "ranked must start with min(k, pool size) = {need} distinct indices in [0, {n})."
NOT_FINITE = "scores must be finite: {bad} of {n} eligible rows are NaN or infinite."
EMPTY_POOL = "The eligible pool is empty or has no protected attribute: nothing to audit."
MISSING_COLUMNS = "{what} lacks the columns {missing}."


@dataclass(frozen=True)
class GroupCodes:
    """Protected groups of a set of people, integer-coded: ``codes[attr]`` is an int array
    (-1 = unknown), ``labels[attr]`` the group names (code i is ``labels[attr][i]``)."""

    codes: dict[str, np.ndarray]
    labels: dict[str, list[str]]

    def __post_init__(self) -> None:
        if set(self.codes) != set(self.labels):
            raise ValueError("GroupCodes: codes and labels must name the same attributes.")
        if len({len(c) for c in self.codes.values()}) > 1:
            raise ValueError("GroupCodes: every attribute must code the same rows.")

    def take(self, index: np.ndarray) -> GroupCodes:
        """The rows ``index`` (e.g. one eligible pool), keeping the labels."""
        rows = np.asarray(index)
        return GroupCodes({a: c[rows] for a, c in self.codes.items()}, dict(self.labels))


def encode_groups(
    groups: pd.DataFrame, *, intersections: Sequence[tuple[str, ...]] = ()
) -> GroupCodes:
    """Integer-code each column (labels sorted, NA -> -1), plus one attribute per intersection,
    named ``"a×b"``, unknown where any part is unknown."""
    codes: dict[str, np.ndarray] = {}
    labels: dict[str, list[str]] = {}
    for column in groups.columns:
        values, uniques = pd.factorize(groups[column], sort=True, use_na_sentinel=True)
        names = [str(u) for u in uniques]
        if UNKNOWN in names:
            raise ValueError(RESERVED_LABEL.format(column=column, label=UNKNOWN))
        codes[str(column)], labels[str(column)] = values.astype(np.intp), names
    base = list(codes)
    for parts in intersections:
        if len(parts) < 2 or len(set(parts)) < len(parts) or not set(parts) <= set(base):
            raise ValueError(BAD_INTERSECTION.format(parts=parts, columns=base))
        name = INTERSECTION_SEP.join(parts)
        codes[name], labels[name] = _intersect(
            [codes[p] for p in parts], [labels[p] for p in parts]
        )
    return GroupCodes(codes, labels)


def dense_codes(values: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for codes in ``range(space)``: counted
    rather than sorted when the space is small (a group code's combinations: a few hundred
    at most; sorting a million codes took 60 ms a call)."""
    if space > 4 * len(values) + 1024:
        present, inverse = np.unique(values, return_inverse=True)
        return present, inverse.reshape(-1)
    seen = np.bincount(values, minlength=space) > 0
    present = np.flatnonzero(seen)
    dense = np.cumsum(seen) - 1
    return present.astype(values.dtype, copy=False), dense[values]


def _intersect(parts: list[np.ndarray], names: list[list[str]]) -> tuple[np.ndarray, list[str]]:
    combined = np.zeros(len(parts[0]), dtype=np.int64)
    unknown = np.zeros(len(parts[0]), dtype=bool)
    for code, labels in zip(parts, names, strict=True):
        combined = combined * len(labels) + code
        unknown |= code < 0
    space = math.prod(len(labels) for labels in names)
    present, inverse = dense_codes(combined[~unknown], space)
    out = np.full(len(combined), -1, dtype=np.intp)
    out[~unknown] = inverse
    digits, rest = [], present
    for labels in reversed(names):
        digits.append(rest % len(labels))
        rest = rest // len(labels)
    digits.reverse()
    decoded = zip(
        *(np.asarray(lab, dtype=object)[d] for lab, d in zip(names, digits, strict=True)),
        strict=True,
    )
    return out, [INTERSECTION_SEP.join(combo) for combo in decoded]


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, *, confidence: float
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval (no continuity correction); NaN where there are no trials."""
    s, n = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = s / n
        denom = 1 + z**2 / n
        center = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    low = np.where(s == 0, 0.0, np.clip(center - half, 0.0, 1.0))
    high = np.where(s == n, 1.0, np.clip(center + half, 0.0, 1.0))
    return np.where(n > 0, low, np.nan), np.where(n > 0, high, np.nan)


def _shortlist_rows(groups: GroupCodes, n: int, ranked: np.ndarray, k: int) -> np.ndarray:
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(BAD_K.format(k=k))
    if n == 0 or not groups.codes:
        raise ValueError(EMPTY_POOL)
    for attribute, codes in groups.codes.items():
        if len(codes) != n:
            raise ValueError(BAD_LENGTH.format(attribute=attribute, got=len(codes), n=n))
    need = min(int(k), n)
    top = np.asarray(ranked)[:need]
    if (
        len(top) < need
        or not np.issubdtype(top.dtype, np.integer)
        or (need and (top.min() < 0 or top.max() >= n))
        or len(np.unique(top)) < need
    ):
        raise ValueError(BAD_RANKED.format(need=need, n=n))
    return top


def _above_median(scores: np.ndarray | None, n: int) -> np.ndarray:
    """1 where the score is strictly above the pool's median (LL144), else 0."""
    if scores is None or n == 0:
        return np.zeros(n, dtype=np.intp)
    bad = int(np.count_nonzero(~np.isfinite(scores)))
    if bad:
        raise ValueError(NOT_FINITE.format(bad=bad, n=n))
    half = np.partition(scores, n // 2)  # np.median, ~10x faster here
    median = half[n // 2] if n % 2 else (half[n // 2] + half[: n // 2].max()) / 2
    return (scores > median).astype(np.intp)


def _attribute_counts(
    codes: np.ndarray, size: int, above: np.ndarray, top: np.ndarray, weight: np.ndarray
) -> tuple[dict[str, np.ndarray], float]:
    """Counts of one attribute (index 0: unknown) in one bincount over the pool, and NDKL."""
    both = np.bincount(codes + (above * size + 1), minlength=2 * size)
    pool, top_codes = both[:size] + both[size:], codes[top] + 1
    order = np.r_[1:size, 0]  # unknown last, always kept
    order = order[(pool[order] > 0) | (order == 0)]
    counts = {
        "n_pool": pool[order],
        "n_selected": np.bincount(top_codes, minlength=size)[order],
        "n_scoring": both[size:][order],
        "exposure": np.bincount(top_codes, weights=weight, minlength=size)[order],
        "n_unknown": np.full(len(order), pool[0]),
        "order": order,
    }
    return counts, ndkl(top_codes, pool / max(len(codes), 1))


def _shortlist_columns(
    groups: GroupCodes, scores: np.ndarray | None, n: int, ranked: np.ndarray, k: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Counts per (attribute, group) and NDKL per attribute, in one pass over the pool."""
    top = _shortlist_rows(groups, n, ranked, k)
    above = _above_median(scores, n)
    weight = 1.0 / np.log2(np.arange(2, len(top) + 2))
    parts: list[dict[str, np.ndarray]] = []
    ndkls = []
    for attribute, codes in groups.codes.items():
        labels = groups.labels[attribute]
        counts, divergence = _attribute_counts(codes, len(labels) + 1, above, top, weight)
        names = np.asarray([UNKNOWN, *labels], dtype=object)[counts.pop("order")]
        parts.append(
            {"attribute": np.full(len(names), attribute, dtype=object), "group": names, **counts}
        )
        ndkls.append(divergence)
    columns = [*COUNT_COLUMNS, "n_unknown"]
    return {c: np.concatenate([p[c] for p in parts]) for c in columns}, np.asarray(ndkls)


def shortlist_counts(
    groups: GroupCodes, scores: np.ndarray, ranked: np.ndarray, *, k: int
) -> pd.DataFrame:
    """Summable counts of one shortlist: one row per (attribute, group present in the pool),
    ``unknown`` last (always present): ``COUNT_COLUMNS`` + ``n_unknown`` (per attribute)."""
    values = np.asarray(scores, dtype=float)
    return pd.DataFrame(_shortlist_columns(groups, values, len(values), ranked, k)[0])


def shortlist_ndkl(groups: GroupCodes, ranked: np.ndarray, *, k: int) -> pd.DataFrame:
    """NDKL of the shortlist per attribute: columns ``attribute``, ``ndkl``."""
    n = len(next(iter(groups.codes.values()))) if groups.codes else 0
    values = _shortlist_columns(groups, None, n, ranked, k)[1]
    return pd.DataFrame({"attribute": list(groups.codes), "ndkl": values})


def ndkl(group_codes_in_rank_order: np.ndarray, pool_shares: np.ndarray) -> float:
    """Normalized discounted KL divergence (Geyik et al. 2019) of a ranking from the pool shares;
    codes in 0..len(pool_shares)-1. NaN for an empty ranking. Memory O(len x groups)."""
    codes = np.asarray(group_codes_in_rank_order, dtype=np.intp)
    target = np.maximum(np.asarray(pool_shares, dtype=float), NDKL_EPSILON)
    if len(codes) == 0:
        return float("nan")
    if codes.min() < 0 or codes.max() >= len(target):
        raise ValueError(f"group codes must lie in [0, {len(target)}), the pool_shares indices.")
    onehot = np.zeros((len(codes), len(target)))
    onehot[np.arange(len(codes)), codes] = 1.0
    positions = np.arange(1, len(codes) + 1)
    shares = np.cumsum(onehot, axis=0) / positions[:, None]
    logs = np.log(shares / target, out=np.zeros_like(shares), where=shares > 0)
    discount = 1.0 / np.log2(positions + 1)
    return float(discount @ (shares * logs).sum(axis=1) / discount.sum())


@dataclass(frozen=True)
class _Table:
    """Count rows as arrays, with per-unit totals (a unit: one attribute of one shortlist)."""

    attribute: np.ndarray
    group: np.ndarray
    unit: np.ndarray
    n_pool: np.ndarray
    n_selected: np.ndarray
    n_scoring: np.ndarray
    exposure: np.ndarray
    known: np.ndarray
    small: np.ndarray
    pool_total: np.ndarray
    selected_total: np.ndarray
    n_unknown: np.ndarray


def _table(counts: pd.DataFrame | dict[str, np.ndarray], min_group: int) -> _Table:
    """Count rows (a frame or its columns) with a pool, as arrays; unit totals per row."""
    _require(counts, "counts", COUNT_COLUMNS)
    keep = np.asarray(counts["n_pool"]) > 0  # an empty unknown row: nothing to rate
    col = {c: np.asarray(counts[c])[keep] for c in COUNT_COLUMNS}
    attribute = col["attribute"].astype(object)
    unit = pd.factorize(attribute)[0]
    if "shortlist" in counts:
        shortlist = pd.factorize(np.asarray(counts["shortlist"])[keep])[0]
        unit = pd.factorize(shortlist * (unit.max() + 1) + unit)[0]
    n_pool, n_selected = col["n_pool"].astype(float), col["n_selected"].astype(float)
    known = col["group"] != UNKNOWN
    return _Table(
        attribute=attribute,
        group=col["group"].astype(object),
        unit=unit,
        n_pool=n_pool,
        n_selected=n_selected,
        n_scoring=col["n_scoring"].astype(float),
        exposure=col["exposure"].astype(float),
        known=known,
        small=known & (n_pool < min_group),
        pool_total=np.bincount(unit, weights=n_pool)[unit],
        selected_total=np.bincount(unit, weights=n_selected)[unit],
        n_unknown=np.bincount(unit, weights=np.where(known, 0.0, n_pool))[unit],
    )


def _require(frame: pd.DataFrame | dict[str, np.ndarray], what: str, need: list[str]) -> None:
    missing = sorted(set(need) - set(frame.keys()))
    if missing:
        raise ValueError(MISSING_COLUMNS.format(what=what, missing=missing))
