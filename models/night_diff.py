"""What changed on each shortlist since the previous published night: who entered, who left, why.

Reasons are facts the run knows: a pool that opened or closed, a person who left the
population, an eligibility rule no longer met (named), or the score against the shortlist's
cut-off on both nights.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

DIFF_COLUMNS = [
    "pool_id",
    "person_id",
    "full_name",
    "change",
    "rank_before",
    "rank_after",
    "reason_vi",
    "reason_en",
]


def _cutoffs(entries: pd.DataFrame) -> pd.Series:
    """Lowest score on each pool's shortlist."""
    listed = entries.loc[entries["in_shortlist"].astype(bool)]
    return listed.groupby("pool_id")["score"].min()


def night_diff(
    previous: pd.DataFrame, current: pd.DataFrame, status: pd.DataFrame
) -> pd.DataFrame:
    """Entered and left per pool.

    ``previous`` / ``current``: entries (pool_id, person_id, full_name, rank, rank_model,
    score, in_shortlist) of the two nights; ``status``: for each (pool_id, person_id) on the
    previous shortlist, tonight's facts: in_population (bool), pool_open (bool),
    failed_rules (list of str), score (float or NaN).
    """
    before = previous.loc[previous["in_shortlist"].astype(bool)]
    after = current.loc[current["in_shortlist"].astype(bool)]
    keys = ["pool_id", "person_id"]
    merged = before[[*keys, "full_name", "rank", "score"]].merge(
        after[[*keys, "full_name", "rank", "score"]],
        on=keys,
        how="outer",
        suffixes=("_before", "_after"),
        indicator=True,
    )
    left = merged.loc[merged["_merge"] == "left_only"]
    entered = merged.loc[merged["_merge"] == "right_only"]
    status_by = status.set_index(keys) if len(status) else pd.DataFrame()
    cut_now, cut_then = _cutoffs(current), _cutoffs(previous)
    prev_qualified = previous.set_index(keys)
    rows = []
    for rec in left.itertuples(index=False):
        facts = status_by.loc[(rec.pool_id, rec.person_id)] if len(status_by) else None
        vi, en = _left_reason(rec, facts, cut_now.get(rec.pool_id))
        rows.append(_row(rec, "left", rec.full_name_before, vi, en))
    pools_before = set(previous["pool_id"])
    for rec in entered.itertuples(index=False):
        was = (
            prev_qualified.loc[(rec.pool_id, rec.person_id)]
            if (rec.pool_id, rec.person_id) in prev_qualified.index
            else None
        )
        vi, en = _entered_reason(rec, was, rec.pool_id in pools_before, cut_then.get(rec.pool_id))
        rows.append(_row(rec, "entered", rec.full_name_after, vi, en))
    return pd.DataFrame(rows, columns=DIFF_COLUMNS)


def _row(rec: Any, change: str, name: object, vi: str, en: str) -> dict[str, object]:
    before, after = rec.rank_before, rec.rank_after
    return {
        "pool_id": rec.pool_id,
        "person_id": rec.person_id,
        "full_name": None if pd.isna(name) else name,
        "change": change,
        "rank_before": None if pd.isna(before) else int(before),
        "rank_after": None if pd.isna(after) else int(after),
        "reason_vi": vi,
        "reason_en": en,
    }


def _left_reason(rec: Any, facts: pd.Series | None, cutoff: float | None) -> tuple[str, str]:
    if facts is None or not bool(facts["pool_open"]):
        return "nguồn/vị trí đã đóng (đã bổ nhiệm hoặc bỏ)", "pool closed (post filled or removed)"
    if not bool(facts["in_population"]):
        return "không còn trong danh sách cán bộ", "no longer in the population"
    failed = list(facts["failed_rules"])
    if failed:
        return (
            "không còn đủ tiêu chuẩn: " + "; ".join(failed),
            "no longer eligible: " + "; ".join(failed),
        )
    before, now = rec.score_before, float(facts["score"])
    cut = f"{cutoff:.3f}" if cutoff is not None else "n/a"
    return (
        f"điểm {before:.3f} → {now:.3f}, thấp hơn ngưỡng danh sách ngắn {cut}",
        f"score {before:.3f} -> {now:.3f}, below the shortlist's cut-off {cut}",
    )


def _entered_reason(
    rec: Any, was: pd.Series | None, pool_existed: bool, cutoff_then: float | None
) -> tuple[str, str]:
    now = rec.score_after
    if not pool_existed:
        return "nguồn/vị trí mới mở", "new pool (post or slot opened)"
    if was is not None:
        rank = int(was["rank_model"])
        return (
            f"điểm {was['score']:.3f} → {now:.3f}; đêm trước xếp thứ {rank}",
            f"score {was['score']:.3f} -> {now:.3f}; ranked {rank} last night",
        )
    cut = f"{cutoff_then:.3f}" if cutoff_then is not None else "n/a"
    return (
        f"mới đủ tiêu chuẩn hoặc mới vượt ngưỡng (ngưỡng đêm trước {cut}; điểm nay {now:.3f})",
        f"newly eligible or newly above the cut-off (last night's cut-off {cut}; "
        f"score now {now:.3f})",
    )
