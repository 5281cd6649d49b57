"""The report workbook: every frame as a sheet, up to Excel's row limit, and a summary sheet
that says what it had to leave out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from features.catalog import DIMENSIONS
from pipelines.report.frames import (
    BANNER_EN,
    BANNER_VI,
    NONE_TEXT,
    _check_frames,
    _json,
    _reason_items,
    _records,
)
from pipelines.report.xlsx import write_workbook

EXCEL_MAX_ROWS = 1_048_576  # Excel's hard limit per sheet, header row included


def write_excel(path: Path, manifest: dict[str, Any], frames: dict[str, pd.DataFrame]) -> None:
    """Write every frame to one .xlsx: summary, pools, shortlists, explanations, fairness, ..."""
    _check_frames(frames)
    sheets = _excel_sheets(frames)
    limit = EXCEL_MAX_ROWS - 1
    notes = [
        _truncation_note(name, total=len(frame), limit=limit, manifest=manifest)
        for name, frame in sheets.items()
        if len(frame) > limit
    ]
    write_workbook(
        path,
        {"summary": _summary_sheet(manifest, notes)}
        | {name: frame.head(limit) for name, frame in sheets.items()},
    )


def _excel_sheets(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    pools = frames["pools"]
    titles = pools[["pool_id", "title"]]
    entries = frames["entries"].merge(titles, on="pool_id", how="left")
    entries = entries.sort_values(
        ["in_shortlist", "pool_id", "rank", "rank_model"],
        ascending=[False, True, True, True],
        na_position="last",
    )
    diff = frames["diff"].merge(titles, on="pool_id", how="left")
    warnings = frames["warnings"]
    signals = [
        ", ".join(_json(s, where="warnings column signals") or []) for s in warnings["signals"]
    ]
    return {
        "pools": pools,
        "shortlists": _title_second(entries),
        "explanations": _flat_explanations(frames["explanations"]),
        "fairness": frames["fairness"],
        "warnings": warnings.assign(signals=signals),
        "diff": _title_second(diff),
        **({"drift": frames["drift"]} if "drift" in frames else {}),
    }


def _title_second(frame: pd.DataFrame) -> pd.DataFrame:
    rest = [c for c in frame.columns if c not in ("pool_id", "title")]
    return frame[["pool_id", "title", *rest]]


def _flat_explanations(explanations: pd.DataFrame) -> pd.DataFrame:
    """Reasons as readable text columns, one per language; the raw JSON stays in the DB."""
    text: dict[str, list[str]] = {}
    for column in ("reasons_positive", "reasons_negative", "suggestions"):
        for lang in ("vi", "en"):
            text[f"{column}_{lang}"] = []
    dimensions = []
    for row in _records(explanations):
        where = f"explanations row of person {row['person_id']}"
        dims = _json(row["dimensions"], where=f"{where}, column dimensions") or {}
        ranked = sorted(dims.items(), key=lambda kv: -abs(kv[1]))
        dimensions.append("; ".join(f"{DIMENSIONS.get(k, (k, k))[1]} {v:+.3f}" for k, v in ranked))
        for column in ("reasons_positive", "reasons_negative", "suggestions"):
            items = _reason_items(row, column, where=where)
            for lang in ("vi", "en"):
                text[f"{column}_{lang}"].append("; ".join(_item_text(i, lang) for i in items))
    base = ("person_id", "base_value", "raw_score", "score", "additivity_error")
    return explanations[[c for c in base if c in explanations.columns]].assign(
        dimensions=dimensions, **text
    )


def _item_text(item: dict[str, Any], lang: str) -> str:
    amount = item["amount"]
    return item[lang] if amount is None else f"{item[lang]} ({amount:+.3f})"


def _summary_sheet(manifest: dict[str, Any], notes: list[str]) -> pd.DataFrame:
    rows: list[tuple[str, Any]] = [("decision_support", f"{BANNER_VI} / {BANNER_EN}")]
    rows += [(f"note[{i}]", note) for i, note in enumerate(notes, 1)]
    for key, value in manifest.items():
        if isinstance(value, dict):
            rows += [(f"{key}.{k}", v) for k, v in value.items()]
        elif isinstance(value, list):
            rows += [(f"{key}[{i}]", v) for i, v in enumerate(value, 1)] or [(key, NONE_TEXT)]
        else:
            rows.append((key, value))
    return pd.DataFrame(rows, columns=["key", "value"]).astype(object)


def _truncation_note(name: str, *, total: int, limit: int, manifest: dict[str, Any]) -> str:
    where = f"night {manifest.get('night')}, run {manifest.get('run_id')}"
    return (
        f"Trang '{name}': {total - limit:,} trong {total:,} dòng không ghi được (Excel tối đa "
        f"{limit:,} dòng); đủ dữ liệu trong CSDL ứng dụng ({where}). / Sheet '{name}': "
        f"{total - limit:,} of {total:,} rows left out (Excel holds {limit:,} rows per sheet); "
        f"the full data is in the application DB ({where})."
    )
