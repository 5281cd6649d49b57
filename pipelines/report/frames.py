"""What the nightly report reads and says in both outputs: the frames' required columns (see
docs/nightly-frames.md), how their cells are read, and the texts HTML and Excel share."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

BANNER_VI = "Chỉ hỗ trợ ra quyết định: mọi danh sách rút gọn đều cần con người quyết định."
BANNER_EN = "Decision support only: every shortlist needs a human decision."
NONE_TEXT = "Không có / none"
VERDICT_LABELS = {
    "fail": "Không đạt / fail",
    "warn": "Cảnh báo / warn",
    "pass": "Đạt / pass",
    "info": "Thông tin / info",
}
REQUIRED_COLUMNS = {  # the columns of docs/nightly-frames.md that the report reads
    "pools": ("pool_id", "title", "kind", "scope", "k", "n_eligible", "rules", "party_rule"),
    "entries": (
        *("pool_id", "person_id", "full_name", "rank", "rank_model", "in_shortlist"),
        *("score", "percentile", "moved", "move_note"),
    ),
    "explanations": (
        *("person_id", "dimensions", "reasons_positive", "reasons_negative", "suggestions"),
    ),
    "fairness": (
        *("pool_id", "attribute", "group", "metric", "value", "ci_low", "ci_high", "n_pool"),
        *("n_selected", "small", "threshold", "verdict", "note"),
    ),
    "warnings": (
        *("person_id", "full_name", "org_id", "province", "title", "severity", "signals"),
        *("evidence_vi", "evidence_en"),
    ),
    "diff": (
        *("pool_id", "person_id", "full_name", "change", "rank_before", "rank_after"),
        *("reason_vi", "reason_en"),
    ),
}


def _check_frames(frames: dict[str, pd.DataFrame]) -> None:
    for name, columns in REQUIRED_COLUMNS.items():
        if name not in frames:
            raise KeyError(f"frames lack {name!r}; the report needs {sorted(REQUIRED_COLUMNS)}")
        missing = [c for c in columns if c not in frames[name].columns]
        if missing:
            raise ValueError(f"frame {name!r} lacks columns {missing}; see docs/nightly-frames.md")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with every missing value (NaN, NA, None) as None."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


def _json(text: Any, *, where: str) -> Any:
    if text is None or (isinstance(text, float) and text != text) or text == "":
        return None
    try:
        return json.loads(text)
    except (TypeError, json.JSONDecodeError) as error:
        message = f"{where} is not valid JSON ({error}); see docs/nightly-frames.md"
        raise ValueError(message) from error


def _reason_items(row: dict[str, Any], column: str, *, where: str) -> list[dict[str, Any]]:
    items = _json(row.get(column), where=f"{where}, column {column}") or []
    return [
        {
            "vi": item.get("text_vi", ""),
            "en": item.get("text_en", ""),
            "amount": item.get("contribution", item.get("score_gain")),
        }
        for item in items
    ]
