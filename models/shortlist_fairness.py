"""Fairness audit of ranked shortlists drawn from an eligible pool: per shortlist and per run.

Each night ~5,000 shortlists are drawn, each the top ``k`` of a ranked eligible pool of 10 to
~10^6 people. Per protected attribute (and intersection) and group, ``audit_metrics`` reports:

- ``share_pool``, ``share_selected`` and, per shortlist only, ``skew_at_k`` =
  ln(share_selected / share_pool) (Geyik, Ambler, Kenthapadi 2019);
- ``selection_rate`` (shortlist places over people in the pool) and ``selection_impact_ratio``
  (over the highest rate among non-small known groups: the four-fifths rule);
- ``scoring_rate`` (share of the group scoring strictly above the pool's median score) and
  ``scoring_impact_ratio``, as NYC Local Law 144 defines them; their note states how many
  people have no recorded value, as the law asks;
- ``exposure_ratio``: a group's exposure (sum of 1/log2(1 + rank) over its shortlisted) per
  member of the pool, over the best non-small known group's.
``audit_shortlist`` adds one ``ndkl`` row per attribute (group ``*``). The counts, the
Wilson interval and NDKL are defined in models/shortlist_counts.

Missing values form the group ``unknown``: it counts in shares, skew and NDKL and its rates are
reported, but it is never part of a ratio. A known group (intersections included) with fewer
than ``min_group`` people in the pool is ``small``: reported, never the reference of a ratio,
its verdict at most "warn".

Verdict rule. Shares and rates carry no threshold: informational, verdict "pass" (and
``verdict_summary`` does not count them). A checked row passes if its point value meets the
threshold; fails if it misses and its whole interval lies on the wrong side as well; warns
otherwise, also when the value is undefined or there is no interval (NDKL never fails).

Intervals. Rates and shares: Wilson score intervals at ``confidence``. Ratios: each group's
Wilson interval at level sqrt(confidence), then [low_g / high_ref, high_g / low_ref]; for
independent groups the rectangle holds both true rates with probability >= confidence, hence
the ratio too. The reference row itself is [1, 1]. Exposure ratio: the same, holding each
group's mean position weight fixed (1, the top weight, for a group with no one shortlisted).
Skew: ln of the Wilson interval of share_selected over share_pool (a census, no interval);
skew is -inf for a group with no one in the shortlist.

The whole run's audit is models/shortlist_run's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from models.shortlist_counts import (
    COUNT_COLUMNS,
    GroupCodes,
    _shortlist_columns,
    _Table,
    _table,
    wilson_interval,
)

# Re-exported: callers import the whole shortlist audit, counting included, from here.
from models.shortlist_counts import UNKNOWN as UNKNOWN
from models.shortlist_counts import encode_groups as encode_groups
from models.shortlist_counts import ndkl as ndkl
from models.shortlist_counts import shortlist_counts as shortlist_counts
from models.shortlist_counts import shortlist_ndkl as shortlist_ndkl

AUDIT_COLUMNS = [
    *["attribute", "group", "metric", "value", "ci_low", "ci_high", "n_pool", "n_selected"],
    *["small", "threshold", "verdict", "note"],
]
VERDICTS = ("pass", "warn", "fail")
# Reported, never checked, and per shortlist a function of the counts every row carries
# (``per_shortlist_checks``): a night does not store them per shortlist. (The scoring rate
# stays: the number of people above the median is on no other row.)
DERIVED = ("share_pool", "share_selected", "selection_rate")

BAD_TOTAL = (
    "counts hold {got} selections for attribute {attribute!r}, expected min(k, pool) = {want}."
)

Rule = Literal["info", "min", "abs_max"]


@dataclass(frozen=True)
class AuditThresholds:
    min_impact_ratio: float = 0.8
    min_scoring_impact_ratio: float = 0.8
    max_abs_skew: float = 0.5
    max_ndkl: float = 0.2
    min_exposure_ratio: float = 0.8
    min_group: int = 5
    confidence: float = 0.95

    def __post_init__(self) -> None:
        if not 0 < self.confidence < 1 or self.min_group < 1:
            raise ValueError("AuditThresholds: confidence must lie in (0, 1), min_group be >= 1.")


@dataclass(frozen=True)
class _Block:
    """One metric over some count rows: values, interval, rule and notes."""

    metric: str
    rows: np.ndarray
    value: np.ndarray
    low: np.ndarray
    high: np.ndarray
    rule: Rule
    threshold: float
    note: np.ndarray


def _join(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    both = (first != "") & (second != "")
    return np.where(both, first + "; " + second, np.where(first == "", second, first))


def _notes(mask: np.ndarray, texts: np.ndarray | str) -> np.ndarray:
    return np.where(mask, np.asarray(texts, dtype=object), "").astype(object)


def _small_notes(small: np.ndarray, n_pool: np.ndarray) -> np.ndarray:
    """The note of a small group's rows ("" for the others)."""
    return _notes(small, np.asarray([f"small group (n={n:.0f})" for n in n_pool], dtype=object))


def _ratio(
    t: _Table, rate: np.ndarray, low: np.ndarray, high: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ratio to the best non-small known group of the unit, its interval, and the note."""
    eligible = t.known & ~t.small
    best = np.full(t.unit.max() + 1, -np.inf)
    np.maximum.at(best, t.unit[eligible], rate[eligible])
    ref_rate = best[t.unit]
    is_ref = eligible & (rate == ref_rate)
    ref_row = np.zeros(len(best), dtype=np.intp)
    ref_row[t.unit[is_ref][::-1]] = np.flatnonzero(is_ref)[::-1]  # first reference row
    ref_low, ref_high = low[ref_row][t.unit], high[ref_row][t.unit]
    defined = ref_rate > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(defined, rate / ref_rate, np.nan)
        ci_low = np.where(is_ref, 1.0, np.where(defined, low / ref_high, np.nan))
        ci_high = np.where(is_ref, 1.0, np.where(defined, high / ref_low, np.nan))
    note = _join(
        _notes(is_ref & defined, "reference group (highest rate)"),
        _notes(~defined, "undefined: no reference group with a non-zero rate"),
    )
    return value, ci_low, ci_high, note


def _blocks(t: _Table, th: AuditThresholds, *, with_skew: bool) -> list[_Block]:
    rows = np.arange(len(t.group))
    nan, blank = np.full(len(rows), np.nan), np.full(len(rows), "", dtype=object)
    share_pool = t.n_pool / t.pool_total
    with np.errstate(invalid="ignore", divide="ignore"):
        share_selected = t.n_selected / t.selected_total
    low, high = wilson_interval(t.n_selected, t.selected_total, confidence=th.confidence)
    blocks = [
        _Block("share_pool", rows, share_pool, nan, nan, "info", np.nan, blank),
        _Block("share_selected", rows, share_selected, low, high, "info", np.nan, blank),
    ]
    if with_skew:
        with np.errstate(divide="ignore", invalid="ignore"):
            value, lo, hi = (np.log(x / share_pool) for x in (share_selected, low, high))
        none = _notes(t.n_selected == 0, "no one from the group in the shortlist")
        blocks.append(_Block("skew_at_k", rows, value, lo, hi, "abs_max", th.max_abs_skew, none))
    return blocks + _rate_blocks(t, th)


def _rate_blocks(t: _Table, th: AuditThresholds) -> list[_Block]:
    n = len(t.group)
    blank = np.full(n, "", dtype=object)
    unknown = _unknown_notes(t.n_unknown, t.pool_total)
    mean_weight = np.divide(t.exposure, t.n_selected, out=np.ones(n), where=t.n_selected > 0)
    selection = _rate_pair(t, th, t.n_selected, ("selection_rate", "selection_impact_ratio"))
    scoring = _rate_pair(t, th, t.n_scoring, ("scoring_rate", "scoring_impact_ratio"), unknown)
    exposure = _rate_pair(t, th, t.n_selected, ("", "exposure_ratio"), blank, mean_weight)
    return [*selection, *scoring, *exposure[1:]]


def _unknown_notes(n_unknown: np.ndarray, pool_total: np.ndarray) -> np.ndarray:
    """ "unknown: u of p in the pool" of each row, written once per distinct (u, p): a night's
    whole-run audit has 413,223 count rows and a few thousand distinct pairs."""
    if len(n_unknown) == 0:
        return np.empty(0, dtype=object)
    pairs, inverse = np.unique(
        np.column_stack([n_unknown, pool_total]), axis=0, return_inverse=True
    )
    texts = [f"unknown: {u:.0f} of {p:.0f} in the pool" for u, p in pairs]
    return np.asarray(texts, dtype=object)[inverse.ravel()]


def _rate_pair(
    t: _Table,
    th: AuditThresholds,
    count: np.ndarray,
    names: tuple[str, str],
    note: np.ndarray | None = None,
    weight: np.ndarray | float = 1.0,
) -> list[_Block]:
    """A rate per group (``count * weight`` per pool member) and its ratio to the reference."""
    rows, known = np.arange(len(t.group)), np.flatnonzero(t.known)
    note = np.full(len(rows), "", dtype=object) if note is None else note
    interval = wilson_interval(count, t.n_pool, confidence=th.confidence)
    rate = _Block(names[0], rows, count / t.n_pool, *interval, "info", np.nan, note)
    threshold = {
        "selection_impact_ratio": th.min_impact_ratio,
        "scoring_impact_ratio": th.min_scoring_impact_ratio,
        "exposure_ratio": th.min_exposure_ratio,
    }[names[1]]
    low, high = wilson_interval(count, t.n_pool, confidence=float(np.sqrt(th.confidence)))
    value, ci_low, ci_high, ratio_note = _ratio(
        t, count * weight / t.n_pool, low * weight, high * weight
    )
    ratio = (value[known], ci_low[known], ci_high[known], _join(ratio_note, note)[known])
    return [rate, _Block(names[1], known, *ratio[:3], "min", threshold, ratio[3])]


def _verdicts(block: _Block, small: np.ndarray) -> np.ndarray:
    value, low, high, threshold = block.value, block.low, block.high, block.threshold
    if block.rule == "info":
        return np.full(len(value), "pass", dtype=object)
    with np.errstate(invalid="ignore"):
        if block.rule == "min":
            ok, bad = value >= threshold, high < threshold
        else:
            ok, bad = np.abs(value) <= threshold, (low > threshold) | (high < -threshold)
    return np.where(ok, "pass", np.where(bad & ~small, "fail", "warn")).astype(object)


def _long_columns(
    t: _Table, blocks: list[_Block], *, with_rows: bool = False
) -> dict[str, np.ndarray]:
    """The blocks' rows, count row by count row (blocks in order within one), with the count
    row of each (``row``) if ``with_rows``."""
    rows = np.concatenate([b.rows for b in blocks])
    order = np.lexsort((np.repeat(np.arange(len(blocks)), [len(b.rows) for b in blocks]), rows))
    small = t.small[rows]
    frame = {
        "attribute": t.attribute[rows],
        "group": t.group[rows],
        "metric": np.repeat([b.metric for b in blocks], [len(b.rows) for b in blocks]),
        "value": np.concatenate([b.value for b in blocks]),
        "ci_low": np.concatenate([b.low for b in blocks]),
        "ci_high": np.concatenate([b.high for b in blocks]),
        "n_pool": t.n_pool[rows].astype(np.int64),
        "n_selected": t.n_selected[rows].astype(np.int64),
        "small": small,
        "threshold": np.repeat([b.threshold for b in blocks], [len(b.rows) for b in blocks]),
        "verdict": np.concatenate([_verdicts(b, t.small[b.rows]) for b in blocks]),
        "note": _join(
            _small_notes(small, t.n_pool[rows]), np.concatenate([b.note for b in blocks])
        ),
    }
    if with_rows:
        frame["row"] = rows
    return {c: v[order] for c, v in frame.items()}


def _long_frame(t: _Table, blocks: list[_Block]) -> pd.DataFrame:
    return pd.DataFrame(_long_columns(t, blocks), columns=AUDIT_COLUMNS)


def audit_metrics(
    counts: pd.DataFrame, *, thresholds: AuditThresholds, k: int | None
) -> pd.DataFrame:
    """Long audit frame (``AUDIT_COLUMNS``) from counts; ``k`` given means one shortlist of k
    (adds ``skew_at_k`` and checks each attribute holds min(k, pool) selections)."""
    t = _table(counts, thresholds.min_group)
    if k is not None:
        want = np.minimum(k, t.pool_total)
        wrong = np.flatnonzero(t.selected_total != want)
        if len(wrong):
            i = wrong[0]
            raise ValueError(
                BAD_TOTAL.format(got=t.selected_total[i], attribute=t.attribute[i], want=want[i])
            )
    return _long_frame(t, _blocks(t, thresholds, with_skew=k is not None))


def _ndkl_columns(
    attributes: np.ndarray,
    values: np.ndarray,
    totals: tuple[np.ndarray, np.ndarray],
    note: str,
    th: AuditThresholds,
) -> dict[str, np.ndarray]:
    """One ``ndkl`` row per attribute (group ``*``); ``totals``: pool size and selections."""
    n, nan = len(values), np.full(len(values), np.nan)
    return {
        "attribute": np.asarray(attributes, dtype=object),
        "group": np.full(n, "*", dtype=object),
        "metric": np.full(n, "ndkl", dtype=object),
        "value": values,
        "ci_low": nan,
        "ci_high": nan,
        "n_pool": np.asarray(totals[0], dtype=np.int64),
        "n_selected": np.asarray(totals[1], dtype=np.int64),
        "small": np.zeros(n, dtype=bool),
        "threshold": np.full(n, th.max_ndkl),
        "verdict": np.where(values <= th.max_ndkl, "pass", "warn").astype(object),
        "note": np.full(n, note, dtype=object),
    }


def audit_shortlist(
    groups: GroupCodes,
    scores: np.ndarray,
    ranked: np.ndarray,
    *,
    k: int,
    thresholds: AuditThresholds,
) -> pd.DataFrame:
    """Audit of one shortlist (the first ``k`` of ``ranked``): metrics plus NDKL per attribute."""
    return audit_with_counts(groups, scores, ranked, k=k, thresholds=thresholds)[0]


def audit_with_counts(
    groups: GroupCodes,
    scores: np.ndarray,
    ranked: np.ndarray,
    *,
    k: int,
    thresholds: AuditThresholds,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``audit_shortlist`` and ``shortlist_counts`` of one shortlist, from one pass."""
    counted = count_shortlist(groups, scores, ranked, k=k)
    audit = audit_shortlists([counted], thresholds=thresholds).drop(columns="shortlist")
    return audit, pd.DataFrame(counted.counts)


@dataclass(frozen=True)
class CountedShortlist:
    """One shortlist's count rows (``COUNT_COLUMNS`` + ``n_unknown``), its NDKL per attribute,
    its pool's size and its k: all its audit needs (``audit_shortlists``)."""

    counts: dict[str, np.ndarray]
    attributes: list[str]
    ndkls: np.ndarray
    pool_size: int
    k: int


def count_shortlist(
    groups: GroupCodes, scores: np.ndarray, ranked: np.ndarray, *, k: int
) -> CountedShortlist:
    """The counts and NDKL of the shortlist (the first ``k`` of ``ranked``) of a pool."""
    values = np.asarray(scores, dtype=float)
    counts, ndkls = _shortlist_columns(groups, values, len(values), ranked, k)
    return CountedShortlist(counts, list(groups.codes), ndkls, len(values), int(k))


def audit_shortlists(
    counted: list[CountedShortlist], *, thresholds: AuditThresholds
) -> pd.DataFrame:
    """The audits of many shortlists at once: for each, in order, its metric rows and one
    ``ndkl`` row per attribute (``AUDIT_COLUMNS``), with ``shortlist`` (its place in
    ``counted``). Every value is the one a shortlist audited alone gets: the metrics are
    computed per shortlist and attribute (``_table``'s units), only in one pass."""
    if not counted:
        return pd.DataFrame(columns=[*AUDIT_COLUMNS, "shortlist"])
    columns = [*COUNT_COLUMNS, "n_unknown"]
    lengths = [len(c.counts["n_pool"]) for c in counted]
    counts = {c: np.concatenate([x.counts[c] for x in counted]) for c in columns}
    counts["shortlist"] = np.repeat(np.arange(len(counted)), lengths)
    t = _table(counts, thresholds.min_group)
    metrics = _long_columns(t, _blocks(t, thresholds, with_skew=True), with_rows=True)
    shortlist = counts["shortlist"][counts["n_pool"] > 0][metrics.pop("row")]
    n_attributes = [len(c.attributes) for c in counted]
    sizes = np.repeat([c.pool_size for c in counted], n_attributes)
    selected = np.repeat([min(c.k, c.pool_size) for c in counted], n_attributes)
    rows = _ndkl_columns(
        np.asarray([a for c in counted for a in c.attributes], dtype=object),
        np.concatenate([c.ndkls for c in counted]),
        (sizes, selected),
        "no interval: above the threshold warns, never fails",
        thresholds,
    )
    rows_of = np.concatenate([shortlist, np.repeat(np.arange(len(counted)), n_attributes)])
    is_ndkl = np.r_[np.zeros(len(shortlist), dtype=bool), np.ones(len(sizes), dtype=bool)]
    order = np.lexsort((is_ndkl, rows_of))  # each shortlist's metrics, then its NDKL rows
    audit = {c: np.concatenate([metrics[c], rows[c]])[order] for c in AUDIT_COLUMNS}
    return pd.DataFrame({**audit, "shortlist": rows_of[order]})


def per_shortlist_checks(audit: pd.DataFrame) -> pd.DataFrame:
    """The rows of per-shortlist audits that a night stores: all but the ``DERIVED`` ones
    (on the national benchmark extract, 1,096,629 of 2,972,511 rows). ``derived_rows`` gives
    those back, equal to the audit's."""
    return audit.loc[~audit["metric"].isin(DERIVED)].reset_index(drop=True)


def derived_rows(checks: pd.DataFrame, *, confidence: float) -> pd.DataFrame:
    """The ``DERIVED`` rows of stored per-shortlist rows (``pool_id`` and ``AUDIT_COLUMNS``),
    from each group's ``skew_at_k`` row: with ``P`` and ``S`` the sums of ``n_pool`` and
    ``n_selected`` over an attribute's ``skew_at_k`` rows in a pool, share_pool = n_pool / P,
    share_selected = n_selected / S (Wilson interval of n_selected in S) and selection_rate =
    n_selected / n_pool (Wilson interval of n_selected in n_pool), at the audit's
    ``confidence``. Rows come per pool, attribute, group, in ``DERIVED`` order."""
    skew = checks.loc[checks["metric"] == "skew_at_k"].reset_index(drop=True)
    by = skew.groupby(["pool_id", "attribute"], sort=False, dropna=False)
    pool_total = by["n_pool"].transform("sum").to_numpy(dtype=float)
    selected_total = by["n_selected"].transform("sum").to_numpy(dtype=float)
    n_pool = skew["n_pool"].to_numpy(dtype=float)
    n_selected = skew["n_selected"].to_numpy(dtype=float)
    nan = np.full(len(skew), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = {
            "share_pool": (n_pool / pool_total, nan, nan),
            "share_selected": (
                n_selected / selected_total,
                *wilson_interval(n_selected, selected_total, confidence=confidence),
            ),
            "selection_rate": (
                n_selected / n_pool,
                *wilson_interval(n_selected, n_pool, confidence=confidence),
            ),
        }
    note = _small_notes(skew["small"].to_numpy(dtype=bool), n_pool)
    fixed = {"threshold": np.nan, "verdict": "pass", "note": note}
    parts = [
        skew.assign(metric=metric, value=value, ci_low=low, ci_high=high, **fixed)
        for metric, (value, low, high) in values.items()
    ]
    order = np.argsort(np.tile(np.arange(len(skew)), len(parts)), kind="stable")
    return pd.concat(parts, ignore_index=True).iloc[order].reset_index(drop=True)


def verdict_summary(audit: pd.DataFrame) -> dict[str, int]:
    """How many checked rows (those with a threshold) pass, warn and fail."""
    checked = audit.loc[audit["threshold"].notna(), "verdict"]
    return {v: int((checked == v).sum()) for v in VERDICTS}
