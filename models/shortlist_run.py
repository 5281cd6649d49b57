"""The whole run's fairness audit, from the count tables of its shortlists, and each pool's
rows from rows held once per distinct shortlist (``spread_rows``).

``audit_run`` sums the counts over shortlists: ``n_pool`` counts person-pool pairs (someone
eligible for 30 vacancies counts 30 times), ``n_selected`` shortlist places. A run selection
rate is places won per eligibility held, and a run ratio compares those across groups. Its
intervals treat the pairs as independent, which they are not when the same people recur across
pools: read them as too narrow. Per-shortlist checks are summarised in ``shortlists`` (how many
shortlists made the check), ``share_warn`` and ``share_fail``; run ``skew_at_k`` is the median
over shortlists and run ``ndkl`` the mean (pass or warn only).

Many pools of a night share one shortlist (models.shortlist.rank_pools): their count rows can
be given once, with ``spread`` saying which rows each pool repeats. The audit is then the one
of the rows repeated, value for value: sums run over the repeated rows in their order, and a
shortlist's checks, the same in each pool that repeats it, are computed once and counted as
often as it is repeated.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.shortlist_counts import COUNT_COLUMNS, _require, _table
from models.shortlist_fairness import (
    AUDIT_COLUMNS,
    AuditThresholds,
    _Block,
    _blocks,
    _long_frame,
    _ndkl_columns,
    _verdicts,
)

RUN_COLUMNS = [*AUDIT_COLUMNS, "shortlists", "share_warn", "share_fail"]
BAD_SPREAD = "spread must hold row positions of counts_per_shortlist, in [0, {n})."


def _per_shortlist_stats(
    counts: pd.DataFrame, pair: np.ndarray, spread: np.ndarray, th: AuditThresholds
) -> tuple[pd.DataFrame, np.ndarray]:
    """Per (pair, metric): shortlists checked, share warned, share failed; and median skew.
    Each count row's checks are computed once and weighed by how often ``spread`` repeats it."""
    t = _table(counts, th.min_group)
    repeats = np.bincount(spread, minlength=len(pair)).astype(float)
    n_pairs = pair.max() + 1
    stats, skew = [], np.full(n_pairs, np.nan)
    for block in _blocks(t, th, with_skew=True):
        ids, verdict = pair[block.rows], _verdicts(block, t.small[block.rows])
        weight = repeats[block.rows]
        checked = np.bincount(ids, weights=weight, minlength=n_pairs)
        present = np.flatnonzero(checked)
        shares = {
            f"share_{v}": np.bincount(ids, weights=weight * (verdict == v), minlength=n_pairs)[
                present
            ]
            / checked[present]
            for v in ("warn", "fail")
        }
        stats.append(
            pd.DataFrame(
                {
                    "pair": present,
                    "metric": block.metric,
                    "shortlists": checked[present].astype(np.int64),
                    **shares,
                }
            )
        )
        if block.metric == "skew_at_k":  # every row has a skew: block.rows is every row
            repeated = pd.Series(block.value[spread]).groupby(pair[spread])
            skew[present] = repeated.median().to_numpy()
    return pd.concat(stats, ignore_index=True), skew


def _run_ndkl_rows(
    ndkl_per_shortlist: pd.DataFrame, summed: pd.DataFrame, th: AuditThresholds
) -> pd.DataFrame:
    by_attribute = ndkl_per_shortlist.assign(
        warned=ndkl_per_shortlist["ndkl"] > th.max_ndkl
    ).groupby("attribute", sort=False)
    mean = by_attribute["ndkl"].mean()
    totals = summed.groupby("attribute", sort=False)[["n_pool", "n_selected"]].sum()
    totals = totals.reindex(mean.index, fill_value=0)
    note = "mean over shortlists; no interval: warns, never fails"
    columns = (mean.index.to_numpy(), mean.to_numpy(), (totals["n_pool"], totals["n_selected"]))
    return pd.DataFrame(_ndkl_columns(*columns, note, th)).assign(
        shortlists=by_attribute.size().to_numpy(),
        share_warn=by_attribute["warned"].mean().to_numpy(),
        share_fail=0.0,
    )


def _repeated_rows(
    counts: pd.DataFrame, spread: np.ndarray | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The count rows with a pool that ``spread`` repeats, and ``spread`` renumbered to them."""
    n = len(counts)
    spread = np.arange(n) if spread is None else np.asarray(spread, dtype=np.intp)
    if len(spread) and (spread.min() < 0 or spread.max() >= n):
        raise ValueError(BAD_SPREAD.format(n=n))
    keep = (counts["n_pool"].to_numpy() > 0) & (np.bincount(spread, minlength=n) > 0)
    renumber = np.cumsum(keep) - 1
    return counts[keep], renumber[spread[keep[spread]]]


def audit_run(
    counts_per_shortlist: pd.DataFrame,
    ndkl_per_shortlist: pd.DataFrame,
    *,
    thresholds: AuditThresholds,
    spread: np.ndarray | None = None,
) -> pd.DataFrame:
    """Whole-run audit (``RUN_COLUMNS``) from ``shortlist_counts`` and ``shortlist_ndkl`` frames,
    each with a ``shortlist`` id column; see the module docstring for what the numbers mean.
    ``spread`` (None: every row once, in order) gives the rows of ``counts_per_shortlist`` in
    the order of every shortlist they stand for; ``ndkl_per_shortlist`` has every shortlist's."""
    _require(counts_per_shortlist, "counts_per_shortlist", [*COUNT_COLUMNS, "shortlist"])
    _require(ndkl_per_shortlist, "ndkl_per_shortlist", ["shortlist", "attribute", "ndkl"])
    counts, spread = _repeated_rows(counts_per_shortlist, spread)
    codes, uniques = pd.MultiIndex.from_frame(counts[["attribute", "group"]]).factorize()
    # Pairs numbered by first appearance among the repeated rows, as factorizing those would.
    first = pd.unique(codes[spread])
    renumber = np.empty(len(uniques), dtype=np.intp)
    renumber[first] = np.arange(len(first))
    pair = renumber[codes]
    summed = (
        uniques.take(first)
        .to_frame(index=False, name=["attribute", "group"])
        .assign(
            **{
                c: np.bincount(pair[spread], weights=counts[c].to_numpy()[spread])
                for c in COUNT_COLUMNS[2:]
            }
        )
    )
    summed = summed.astype(dict.fromkeys(("n_pool", "n_selected", "n_scoring"), np.int64))
    stats, skew = _per_shortlist_stats(counts, pair, spread, thresholds)
    stats = stats.assign(
        attribute=summed["attribute"].to_numpy()[stats["pair"]],
        group=summed["group"].to_numpy()[stats["pair"]],
    ).drop(columns="pair")
    t = _table(summed, thresholds.min_group)
    nan, note = np.full(len(skew), np.nan), np.full(len(skew), "median over shortlists", object)
    skew_block = _Block(
        "skew_at_k", np.arange(len(skew)), skew, nan, nan, "abs_max", thresholds.max_abs_skew, note
    )
    run = _long_frame(t, [*_blocks(t, thresholds, with_skew=False), skew_block])
    run = run.merge(stats, on=["attribute", "group", "metric"], how="left", validate="1:1")
    ndkl_rows = _run_ndkl_rows(ndkl_per_shortlist, summed, thresholds)
    return pd.concat([run, ndkl_rows], ignore_index=True)[RUN_COLUMNS]


def _spread_index(row_pools: np.ndarray, holders: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the rows (of pools ``row_pools``; None: the whole run's) that each pool of
    ``holders`` repeats, in order, and the pool each repeated row is for."""
    held = np.flatnonzero(pd.notna(row_pools))
    codes, uniques = pd.factorize(row_pools[held])
    if (np.diff(codes) < 0).any():  # codes number pools by first appearance
        raise ValueError("each pool's rows must be contiguous, one pool after another")
    lengths = np.bincount(codes, minlength=len(uniques))
    # A holder with no rows here (index len(uniques): a sentinel of length 0) repeats none.
    at = pd.Index(uniques).get_indexer(holders["checks_pool_id"])
    at = np.where(at < 0, len(uniques), at)
    sizes = np.r_[lengths, 0][at]
    starts = np.r_[np.cumsum(lengths) - lengths, 0][at]
    offsets = np.arange(sizes.sum()) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    take = held[np.repeat(starts, sizes) + offsets]
    return take, np.repeat(holders["pool_id"].to_numpy(dtype=object), sizes)


def spread_rows(rows: pd.DataFrame, holders: pd.DataFrame) -> pd.DataFrame:
    """Each pool's rows, in ``holders``' order, under its own id: the rows of ``rows`` (kept
    once per distinct result, contiguous per ``pool_id``) whose ``pool_id`` is the pool's
    ``checks_pool_id``. Rows with no pool (the whole run's) stay, first."""
    pools = rows["pool_id"].to_numpy(dtype=object)
    run = np.flatnonzero(pd.isna(pools))
    take, pool_ids = _spread_index(pools, holders)
    spread = rows.take(np.concatenate([run, take]))
    spread.index = pd.RangeIndex(len(spread))
    spread["pool_id"] = np.concatenate([pools[run], pool_ids])
    return spread


def run_audit(
    checks: pd.DataFrame,
    check_counts: pd.DataFrame,
    *,
    thresholds: AuditThresholds,
    holders: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Whole-run fairness rows (pool_id None) in the per-shortlist rows' columns, from each
    distinct shortlist's audit rows and counts (``ShortlistResult.checks``, ``check_counts``)
    and the pools that share them (``holders``; None: every pool has rows of its own). How
    many shortlists warned or failed each check goes into the note."""
    if checks.empty:
        return checks
    if holders is None:
        pools = pd.unique(check_counts["pool_id"].to_numpy(dtype=object))
        holders = pd.DataFrame({"pool_id": pools, "checks_pool_id": pools})
    ndkl = checks.loc[checks["metric"] == "ndkl", ["pool_id", "attribute", "value"]]
    spread, _ = _spread_index(check_counts["pool_id"].to_numpy(dtype=object), holders)
    run = audit_run(
        check_counts.rename(columns={"pool_id": "shortlist"}),
        spread_rows(ndkl, holders).rename(columns={"pool_id": "shortlist", "value": "ndkl"}),
        thresholds=thresholds,
        spread=spread,
    )
    checked = run["shortlists"].notna()
    tally = (
        run["shortlists"].fillna(0).astype(int).astype(str)
        + " shortlists: "
        + (100 * run["share_warn"].fillna(0)).round(1).astype(str)
        + "% warn, "
        + (100 * run["share_fail"].fillna(0)).round(1).astype(str)
        + "% fail"
    )
    note = run["note"].fillna("").astype(str)
    run = run.assign(
        note=np.where(checked, np.where(note != "", note + "; ", "") + tally, note),
        pool_id=None,
    )
    return run[checks.columns]
