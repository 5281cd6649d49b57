"""What changed on each shortlist since the previous published night: who entered, who left, why.

Reasons are facts the run knows: a pool that opened or closed, a person who left the
population, an eligibility rule no longer met (named), a place given up to fairness
re-ranking, or the person's rank tonight against the shortlist's length. Ranks, not scores,
carry the comparison: calibrated scores tie often, so "0.008 -> 0.008, below 0.008" would
explain nothing.
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
KEYS = ["pool_id", "person_id"]


def night_diff(
    previous: pd.DataFrame,
    current: pd.DataFrame,
    status: pd.DataFrame,
    *,
    previous_pools: set[str],
    k: dict[str, int],
) -> pd.DataFrame:
    """Entered and left per pool.

    ``previous`` / ``current``: entries (pool_id, person_id, full_name, rank, rank_model,
    score, in_shortlist) of the two nights; ``status``: for each (pool_id, person_id) on the
    previous shortlist, tonight's facts: in_population, pool_open, failed_rules (list), score;
    ``previous_pools``: the previous night's pool ids; ``k``: tonight's shortlist length per pool.
    """
    before = previous.loc[previous["in_shortlist"].astype(bool)]
    after = current.loc[current["in_shortlist"].astype(bool)]
    merged = before[[*KEYS, "full_name", "rank", "score"]].merge(
        after[[*KEYS, "full_name", "rank", "score"]],
        on=KEYS,
        how="outer",
        suffixes=("_before", "_after"),
        indicator="side",
    )
    status_by = status.set_index(KEYS) if len(status) else None
    tonight = current.set_index(KEYS)
    last_night = previous.set_index(KEYS)
    rows = []
    for rec in merged.itertuples(index=False):
        key = (rec.pool_id, rec.person_id)
        if rec.side == "left_only":
            facts = (
                status_by.loc[key] if status_by is not None and key in status_by.index else None
            )
            now = tonight.loc[key] if key in tonight.index else None
            vi, en = _left_reason(rec, facts, now, k.get(rec.pool_id))
            rows.append(_row(rec, "left", rec.full_name_before, vi, en))
        elif rec.side == "right_only":
            was = last_night.loc[key] if key in last_night.index else None
            vi, en = _entered_reason(rec, was, rec.pool_id in previous_pools)
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


def _left_reason(
    rec: Any, facts: pd.Series | None, now: pd.Series | None, k: int | None
) -> tuple[str, str]:
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
    score_vi = f"{rec.score_before:.3f} → {float(facts['score']):.3f}"
    score = score_vi.replace("→", "->")
    if now is not None and k is not None and int(now["rank_model"]) <= k:
        return (
            f"nhường chỗ khi xếp lại vì công bằng (hạng theo mô hình {int(now['rank_model'])})",
            f"gave up the place to fairness re-ranking (model rank {int(now['rank_model'])})",
        )
    rank = f"{int(now['rank_model'])}" if now is not None else "outside the qualified set"
    rank_vi = f"{int(now['rank_model'])}" if now is not None else "ngoài nhóm đủ điều kiện xét"
    return (
        f"điểm {score}; đêm nay xếp hạng {rank_vi}, danh sách có {k} người",
        f"score {score}; ranked {rank} tonight, the shortlist holds {k}",
    )


def _entered_reason(rec: Any, was: pd.Series | None, pool_existed: bool) -> tuple[str, str]:
    now = rec.score_after
    if not pool_existed:
        return "nguồn/vị trí mới mở", "new pool (post or slot opened)"
    if was is not None:
        rank = int(was["rank_model"])
        return (
            f"điểm {was['score']:.3f} → {now:.3f}; đêm trước xếp hạng {rank}",
            f"score {was['score']:.3f} -> {now:.3f}; ranked {rank} last night",
        )
    return (
        f"mới đủ tiêu chuẩn hoặc trước đây ngoài nhóm đủ điều kiện xét (điểm nay {now:.3f})",
        f"newly eligible, or outside last night's qualified set (score now {now:.3f})",
    )
