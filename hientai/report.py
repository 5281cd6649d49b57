"""The nightly report: one self-contained HTML page and one Excel workbook, built from the frames.

The frames are those of docs/nightly-frames.md. Both outputs are decision support for HR
planners, never a decision. They read only the frames given (no database); only `write_html`
and `write_excel` touch the disk. The HTML details the whole-run fairness and the first
`max_pools` shortlists (pools with a failing fairness check first); the workbook holds every row
up to Excel's sheet limit and says in its summary sheet what it had to leave out.
"""

from __future__ import annotations

import base64
import io
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from features.catalog import DIMENSIONS

__all__ = ["BANNER_EN", "BANNER_VI", "EXCEL_MAX_ROWS", "render_html", "write_excel", "write_html"]

EXCEL_MAX_ROWS = 1_048_576  # Excel's hard limit per sheet, header row included
BANNER_VI = "Chỉ hỗ trợ ra quyết định: mọi danh sách rút gọn đều cần con người quyết định."
BANNER_EN = "Decision support only: every shortlist needs a human decision."
NONE_TEXT = "Không có / none"
VERDICT_LABELS = {
    "fail": "Không đạt / fail",
    "warn": "Cảnh báo / warn",
    "pass": "Đạt / pass",
    "info": "Thông tin / info",
}
CHANGE_LABELS = {"entered": "Vào danh sách / entered", "left": "Ra khỏi danh sách / left"}
POLICY_TEXT = {
    "audit_only": "Chỉ kiểm định: giữ thứ tự của mô hình, báo cáo công bằng / "
    "Audit only: the model's order is kept and fairness is reported",
    "rerank": "Xếp hạng lại để công bằng; lưu cả hai thứ tự / "
    "Re-ranked for fairness; both orders are kept",
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
_SEVERITY = {"info": 0, "pass": 1, "warn": 2, "fail": 3}
_EXCEL_CARE = re.compile(ILLEGAL_CHARACTERS_RE.pattern + r"|^=", re.MULTILINE)


def render_html(
    manifest: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    *,
    max_pools: int = 200,
    max_rows: int = 1000,
) -> str:
    """The report page: run summary, fairness, the first `max_pools` shortlists, diff, warnings.

    Tables of the whole run (fairness rows, diff, warnings) show at most `max_rows` rows and say
    how many more the Excel file holds.
    """
    _check_frames(frames)
    if max_pools < 0 or max_rows < 0:
        raise ValueError(f"max_pools and max_rows must be >= 0, got {max_pools}, {max_rows}")
    pools, fairness = frames["pools"], frames["fairness"]
    shown = _pools_to_detail(pools, fairness, max_pools=max_pools)
    context = {
        "banner_vi": BANNER_VI,
        "banner_en": BANNER_EN,
        "none_text": NONE_TEXT,
        "verdicts": VERDICT_LABELS,
        **_run_context(manifest),
        "party_rules": list(manifest.get("party_rules") or []),
        "party_pools": int(pools["party_rule"].eq(True).sum()),
        "fair": _fairness_context(fairness, max_rows=max_rows),
        "pools": _shortlists_context(frames, shown),
        "pools_total": len(pools),
        "pools_omitted": len(pools) - len(shown),
        "diff": _diff_context(frames["diff"], pools, max_rows=max_rows),
        "warnings": _warnings_context(frames["warnings"], max_rows=max_rows),
    }
    return _template().render(**context)


def write_html(
    path: Path,
    manifest: dict[str, Any],
    frames: dict[str, pd.DataFrame],
    *,
    max_pools: int = 200,
    max_rows: int = 1000,
) -> None:
    """Write `render_html(...)` to `path` as UTF-8."""
    html = render_html(manifest, frames, max_pools=max_pools, max_rows=max_rows)
    path.write_text(html, encoding="utf-8")


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
    workbook = Workbook(write_only=True)
    _write_sheet(workbook, "summary", _summary_sheet(manifest, notes))
    for name, frame in sheets.items():
        _write_sheet(workbook, name, frame.head(limit))
    workbook.save(path)


# --- checks and small helpers ---------------------------------------------------------------


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


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env.from_string(TEMPLATE)


def _num(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


# --- HTML sections --------------------------------------------------------------------------


def _run_context(manifest: dict[str, Any]) -> dict[str, Any]:
    get = manifest.get
    fields = [
        ("Đêm chạy / Night", get("night")),
        ("Ngày dữ liệu / As of", get("as_of")),
        ("Ảnh chụp dữ liệu / Snapshot", get("snapshot_id")),
        ("Mô hình / Model", f"{get('model_name', '—')} v{get('model_version', '—')}"),
        ("Mã cấu hình / Config hash", get("config_hash")),
        ("Phiên bản mã / Code version", get("code_version")),
        ("Bắt đầu – kết thúc / Started – finished", f"{get('started_at')} – {get('finished_at')}"),
        ("Mã lượt chạy / Run id", get("run_id")),
        ("Tệp Excel / Excel file", get("excel_file")),
    ]
    stages = {str(k): float(v) for k, v in (get("stage_seconds") or {}).items()}
    total = sum(stages.values()) or 1.0
    policy = str(get("policy", "—"))
    return {
        "run_fields": fields,
        "counts": list((get("counts") or {}).items()),
        "stages": [(name, s, 100 * s / total) for name, s in stages.items()],
        "stage_chart": _stage_chart(stages) if stages else None,
        "policy": policy,
        "policy_text": POLICY_TEXT.get(policy, ""),
    }


def _stage_chart(stages: dict[str, float]) -> str:
    fig = Figure(figsize=(7, 0.35 * len(stages) + 1.2))  # no pyplot: no global state
    ax = fig.subplots()
    ax.barh(list(stages)[::-1], list(stages.values())[::-1], color="#3b6ea8")
    ax.set_xlabel("giây / seconds")
    ax.set_title("Thời gian từng bước / Stage timings")
    fig.tight_layout()
    return _png(fig)


def _fairness_context(fairness: pd.DataFrame, *, max_rows: int) -> dict[str, Any]:
    whole = fairness.loc[fairness["pool_id"].isna()].sort_values(["attribute", "metric", "group"])
    impact = whole.loc[(whole["metric"] == "selection_impact_ratio") & whole["value"].notna()]
    return {
        "rows": _records(whole.head(max_rows)),
        "omitted": max(len(whole) - max_rows, 0),
        "chart": _impact_chart(impact) if len(impact) else None,
        "checks": _check_counts(fairness.loc[fairness["pool_id"].notna()]),
    }


def _impact_chart(impact: pd.DataFrame, *, max_bars: int = 60) -> str:
    rows = impact.sort_values("value").head(max_bars).iloc[::-1]
    values = rows["value"].astype(float)
    low = (values - rows["ci_low"].astype(float)).clip(lower=0).fillna(0)
    high = (rows["ci_high"].astype(float) - values).clip(lower=0).fillna(0)
    threshold = rows["threshold"].dropna()
    line = float(threshold.iloc[0]) if len(threshold) else 0.8
    colours = rows["verdict"].map({"fail": "#c0392b", "warn": "#e67e22"}).fillna("#3b6ea8")
    labels = (rows["attribute"].astype(str) + ": " + rows["group"].astype(str)).tolist()
    fig = Figure(figsize=(8, 0.3 * len(rows) + 1.5))
    ax = fig.subplots()
    ax.errorbar(values, labels, xerr=[low, high], fmt="none", ecolor="#555555", capsize=3)
    ax.scatter(values, labels, c=colours.tolist(), zorder=3)
    ax.axvline(line, color="#c0392b", linestyle="--", label=f"ngưỡng / threshold {line:g}")
    ax.set_xlabel("Tỷ lệ tác động lựa chọn / Selection impact ratio")
    ax.legend(loc="best")
    if len(impact) > max_bars:
        ax.set_title(f"{max_bars} / {len(impact)} nhóm thấp nhất / lowest groups")
    fig.tight_layout()
    return _png(fig)


def _check_counts(per_pool: pd.DataFrame) -> list[dict[str, Any]]:
    """Per check (attribute, metric): how many shortlists have it worst at fail, warn, pass."""
    if per_pool.empty:
        return []
    # Integer codes instead of a groupby on three text columns: 750,000 rows in ~0.1 s.
    attribute, attributes = pd.factorize(per_pool["attribute"])
    metric, metrics = pd.factorize(per_pool["metric"])
    pool, pools = pd.factorize(per_pool["pool_id"])
    check = attribute.astype(np.int64) * len(metrics) + metric
    severity = per_pool["verdict"].map(_SEVERITY).fillna(0).to_numpy(dtype=np.int64)
    worst = pd.Series(severity).groupby(check * max(len(pools), 1) + pool).max()
    worst_check = worst.index.to_numpy() // max(len(pools), 1)
    counts = np.bincount(worst_check * 4 + worst.to_numpy(), minlength=4 * (check.max() + 1))
    counts = counts.reshape(-1, 4)
    rows = [
        {
            "attribute": attributes[c // len(metrics)],
            "metric": metrics[c % len(metrics)],
            **{v: int(counts[c, _SEVERITY[v]]) for v in ("fail", "warn", "pass")},
        }
        for c in np.unique(check)
    ]
    return sorted(rows, key=lambda r: (r["attribute"], r["metric"]))


def _pools_to_detail(pools: pd.DataFrame, fairness: pd.DataFrame, *, max_pools: int) -> list[str]:
    failing = fairness.loc[fairness["verdict"].eq("fail") & fairness["pool_id"].notna()]
    order = pools.assign(_fail=pools["pool_id"].isin(failing["pool_id"].unique()))
    order = order.sort_values(["_fail", "pool_id"], ascending=[False, True])
    return order["pool_id"].head(max_pools).tolist()


def _group(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _shortlists_context(frames: dict[str, pd.DataFrame], shown: list[str]) -> list[dict]:
    pools = frames["pools"]
    by_id = {p["pool_id"]: p for p in _records(pools.loc[pools["pool_id"].isin(shown)])}
    entries = frames["entries"]
    entries = entries.loc[
        entries["pool_id"].isin(shown)
        & (entries["in_shortlist"].eq(True) | entries["moved"].eq(True))
    ].sort_values(["pool_id", "rank", "rank_model"], na_position="last")
    listed = entries.loc[entries["in_shortlist"].eq(True), "person_id"].unique()
    reasons = _explanations_by_person(frames["explanations"], set(listed))
    by_pool = _group(_records(entries), "pool_id")
    checks = _pool_checks(frames["fairness"], shown)
    result = []
    for pool_id in shown:
        pool, rows = by_id[pool_id], by_pool.get(pool_id, [])
        for row in rows:
            row["why"] = reasons.get(row["person_id"]) if row["in_shortlist"] else None
        pool["rules_list"] = _json(pool["rules"], where=f"pools row {pool_id}, column rules")
        pool["shortlist"] = [r for r in rows if r["in_shortlist"]]
        pool["moved_out"] = [r for r in rows if not r["in_shortlist"]]
        pool["checks"] = checks[pool_id]
        result.append(pool)
    return result


def _pool_checks(
    fairness: pd.DataFrame, shown: list[str], *, max_listed: int = 12
) -> dict[str, dict[str, Any]]:
    """Per shown pool: verdict counts and its fail/warn rows, worst first."""
    checks = fairness.loc[fairness["pool_id"].isin(shown)]
    counts = _group(
        _records(checks.groupby(["pool_id", "verdict"]).size().reset_index(name="n")), "pool_id"
    )
    flagged = checks.loc[checks["verdict"].isin(["fail", "warn"])]
    flagged = flagged.assign(_s=flagged["verdict"].map(_SEVERITY)).sort_values(
        ["pool_id", "_s", "attribute", "metric", "group"],
        ascending=[True, False, True, True, True],
    )
    listed = _group(_records(flagged), "pool_id")
    result = {}
    for pool_id in shown:
        by_verdict = {r["verdict"]: r["n"] for r in counts.get(pool_id, [])}
        rows = listed.get(pool_id, [])
        result[pool_id] = {
            "counts": {v: by_verdict[v] for v in VERDICT_LABELS if by_verdict.get(v)},
            "listed": rows[:max_listed],
            "more": max(len(rows) - max_listed, 0),
        }
    return result


def _explanations_by_person(explanations: pd.DataFrame, people: set[str]) -> dict[str, dict]:
    wanted = explanations.loc[explanations["person_id"].isin(people)]
    result: dict[str, dict] = {}
    for row in _records(wanted.drop_duplicates("person_id")):
        where = f"explanations row of person {row['person_id']}"
        dims = _json(row["dimensions"], where=f"{where}, column dimensions") or {}
        strongest = sorted(((v, k) for k, v in dims.items() if v > 0), reverse=True)[:3]
        result[row["person_id"]] = {
            "dimensions": [(*DIMENSIONS.get(k, (k, k)), v) for v, k in strongest],
            "positive": _reason_items(row, "reasons_positive", where=where)[:3],
            "negative": _reason_items(row, "reasons_negative", where=where)[:2],
            "suggestions": _reason_items(row, "suggestions", where=where)[:3],
        }
    return result


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


def _diff_context(diff: pd.DataFrame, pools: pd.DataFrame, *, max_rows: int) -> dict[str, Any]:
    titled = diff.merge(pools[["pool_id", "title"]], on="pool_id", how="left")
    titled = titled.sort_values(["pool_id", "change", "rank_after", "rank_before"])
    counts = diff["change"].value_counts()
    return {
        "rows": _records(titled.head(max_rows)),
        "omitted": max(len(diff) - max_rows, 0),
        "entered": int(counts.get("entered", 0)),
        "left": int(counts.get("left", 0)),
        "labels": CHANGE_LABELS,
    }


def _warnings_context(warnings: pd.DataFrame, *, max_rows: int) -> dict[str, Any]:
    ordered = warnings.assign(_high=warnings["severity"].eq("high"))
    ordered = ordered.sort_values(
        ["_high", "province", "full_name"], ascending=[False, True, True]
    )
    rows = _records(ordered.head(max_rows))
    for row in rows:
        signals = _json(row["signals"], where=f"warnings row of person {row['person_id']}")
        row["signal_text"] = ", ".join(signals or [])
    counts = warnings["severity"].value_counts()
    return {
        "rows": rows,
        "omitted": max(len(warnings) - max_rows, 0),
        "high": int(counts.get("high", 0)),
        "medium": int(counts.get("medium", 0)),
    }


# --- Excel ----------------------------------------------------------------------------------


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


def _write_sheet(workbook: Workbook, name: str, frame: pd.DataFrame) -> None:
    sheet = workbook.create_sheet(name)
    sheet.freeze_panes = "A2"
    for i, column in enumerate(frame.columns, 1):
        sample = frame[column].head(500).dropna().astype(str).str.len()
        width = max(len(str(column)), int(sample.max()) if len(sample) else 0) + 2
        sheet.column_dimensions[get_column_letter(i)].width = min(max(width, 8), 60)
    bold = Font(bold=True)
    header = []
    for column in frame.columns:
        cell = WriteOnlyCell(sheet, value=str(column))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    values = frame.astype(object).where(frame.notna(), None)
    for column in frame.select_dtypes(include=["object", "string"]).columns:
        values[column] = _excel_safe(values[column], sheet)
    for row in values.to_numpy().tolist():
        sheet.append(row)


def _excel_safe(column: pd.Series, sheet: Any) -> pd.Series:
    """Drop characters Excel refuses; keep text that starts with '=' as text, not a formula."""
    strings = [v for v in column if isinstance(v, str)]
    if not _EXCEL_CARE.search("\n".join(strings)):
        return column

    def safe(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value.startswith("="):
            return value
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell

    return column.map(safe)


# --- the page -------------------------------------------------------------------------------

TEMPLATE = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="utf-8">
<title>Báo cáo đêm {{ run_fields[0][1] }} / Nightly report</title>
<style>
body{font-family:system-ui,"Segoe UI",Arial,sans-serif;margin:1.5em;color:#222;max-width:1400px}
h1{font-size:1.5em}h2{border-bottom:2px solid #3b6ea8;padding-bottom:.2em;margin-top:1.6em}
h3{margin-bottom:.2em}table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;vertical-align:top;text-align:left}
th{background:#eef2f7}.banner{background:#fff3cd;border:2px solid #e0a800;padding:.8em;
font-weight:bold;font-size:1.1em}.en{color:#555;font-style:italic}.muted{color:#666}
.v-fail{background:#f8d7da}.v-warn{background:#fff3cd}.v-pass{background:#e6f4ea}
.v-info{background:#f4f4f4}.badge{display:inline-block;padding:.1em .4em;margin:.1em;
border-radius:3px;font-size:.85em}.pool{border:1px solid #ddd;padding:.5em 1em;margin:1em 0}
ul{margin:.1em 0;padding-left:1.2em}img{max-width:100%}
</style></head><body>
<h1>Báo cáo gợi ý nhân tài hằng đêm / Nightly talent recommendation report</h1>
<p class="banner">{{ banner_vi }}<br>{{ banner_en }}</p>

<h2>1. Tóm tắt lượt chạy / Run summary</h2>
<table>{% for label, value in run_fields %}<tr><th>{{ label }}</th><td>{{ value }}</td></tr>
{% endfor %}<tr><th>Chính sách / Policy</th><td>{{ policy }}: {{ policy_text }}</td></tr></table>
<h3>Số lượng / Counts</h3>
<table>{% for key, value in counts %}<tr><th>{{ key }}</th><td>{{ value|num }}</td></tr>
{% endfor %}</table>
<h3>Thời gian từng bước / Stage timings</h3>
<table><tr><th>Bước / Stage</th><th>Giây / Seconds</th><th>%</th></tr>
{% for name, seconds, share in stages %}<tr><td>{{ name }}</td><td>{{ seconds|num(1) }}</td>
<td>{{ share|num(1) }}</td></tr>{% endfor %}</table>
{% if stage_chart %}<img alt="stage timings" src="{{ stage_chart }}">{% endif %}

<h2>2. Quy tắc về đảng viên, quốc tịch / Party-membership and nationality rules</h2>
{% if party_rules %}<p>{{ party_pools }} nhóm có quy tắc này / pools with such a rule.</p>
<ul>{% for rule in party_rules %}<li>{{ rule }}</li>{% endfor %}</ul>
{% else %}<p>{{ none_text }}</p>{% endif %}

<h2>3. Tổng quan công bằng / Fairness overview</h2>
<h3>Toàn lượt chạy / Whole run</h3>
<table><tr><th>Thuộc tính / Attribute</th><th>Nhóm / Group</th><th>Chỉ số / Metric</th>
<th>Giá trị / Value</th><th>Khoảng tin cậy / Interval</th><th>n pool</th><th>n selected</th>
<th>Ngưỡng / Threshold</th><th>Kết luận / Verdict</th><th>Ghi chú / Note</th></tr>
{% for r in fair.rows %}<tr class="v-{{ r.verdict }}"><td>{{ r.attribute }}</td>
<td>{{ r.group }}</td><td>{{ r.metric }}</td><td>{{ r.value|num }}</td>
<td>{{ r.ci_low|num }} – {{ r.ci_high|num }}</td><td>{{ r.n_pool|num }}</td>
<td>{{ r.n_selected|num }}</td><td>{{ r.threshold|num }}</td>
<td>{{ verdicts.get(r.verdict, r.verdict) }}{% if r.small %} (nhóm nhỏ / small){% endif %}</td>
<td>{{ r.note }}</td></tr>{% endfor %}</table>
{% if fair.omitted %}<p class="muted">+{{ fair.omitted|num }} dòng trong tệp Excel /
rows more in the Excel file.</p>{% endif %}
{% if fair.chart %}<img alt="selection impact ratio" src="{{ fair.chart }}">{% endif %}
<h3>Số danh sách theo kết luận / Shortlists by verdict, per check</h3>
<table><tr><th>Thuộc tính / Attribute</th><th>Chỉ số / Metric</th>
<th class="v-fail">{{ verdicts.fail }}</th><th class="v-warn">{{ verdicts.warn }}</th>
<th class="v-pass">{{ verdicts.pass }}</th></tr>
{% for c in fair.checks %}<tr><td>{{ c.attribute }}</td><td>{{ c.metric }}</td>
<td>{{ c.fail|num }}</td><td>{{ c.warn|num }}</td><td>{{ c.pass|num }}</td></tr>
{% endfor %}</table>

<h2>4. Danh sách rút gọn / Shortlists</h2>
<p>{{ pools|length }} / {{ pools_total }} nhóm được trình bày (nhóm có kiểm định không đạt trước)
/ pools shown (pools with a failing check first).{% if pools_omitted %} {{ pools_omitted }}
nhóm không trình bày ở đây; tệp Excel có đủ tất cả / pools omitted here; the Excel file has
them all.{% endif %}</p>
{% for p in pools %}<div class="pool"><h3>{{ p.title }}</h3>
<p class="muted">{{ p.pool_id }} · {{ p.kind }} · {{ p.scope }} · k = {{ p.k }} ·
đủ điều kiện / eligible: {{ p.n_eligible|num }}{% if p.party_rule %} · quy tắc đảng viên,
quốc tịch / party or nationality rule{% endif %}</p>
{% if p.rules_list %}<p class="muted">{{ p.rules_list|join("; ") }}</p>{% endif %}
<table><tr><th>Hạng / Rank</th><th>Họ tên / Name</th><th>Điểm / Score</th>
<th>Phân vị / Percentile</th><th>Thay đổi / Moved</th><th>Lý do nổi bật / Top reasons</th>
<th>Điểm cần lưu ý / Concerns</th><th>Gợi ý phát triển / Development</th></tr>
{% for e in p.shortlist %}<tr><td>{{ e.rank|num(0) }}</td><td>{{ e.full_name }}</td>
<td>{{ e.score|num }}</td><td>{{ e.percentile|num(1) }}</td>
<td>{% if e.moved %}có / yes{% if e.move_note %}: {{ e.move_note }}{% endif %}{% endif %}</td>
{% if e.why %}{% for kind in ("positive", "negative", "suggestions") %}<td>
{% if loop.first %}{% for vi, en, v in e.why.dimensions %}<span class="badge v-pass">{{ vi }}
/ {{ en }} {{ "%+.2f"|format(v) }}</span>{% endfor %}{% endif %}<ul>{% for i in e.why[kind] %}
<li>{{ i.vi }}{% if i.amount is not none %} ({{ "%+.3f"|format(i.amount) }}){% endif %}<br>
<span class="en">{{ i.en }}</span></li>{% endfor %}</ul></td>{% endfor %}
{% else %}<td colspan="3" class="muted">—</td>{% endif %}</tr>{% endfor %}</table>
{% if p.moved_out %}<p>Bị chuyển ra khi xếp lại / Moved out by re-ranking:
{% for e in p.moved_out %}{{ e.full_name }} ({{ e.rank_model }}{% if e.move_note %},
{{ e.move_note }}{% endif %}){% if not loop.last %}; {% endif %}{% endfor %}</p>{% endif %}
<p>Công bằng / Fairness: {% for v, n in p.checks.counts.items() %}<span
class="badge v-{{ v }}">{{ verdicts[v] }}: {{ n }}</span>{% else %}—{% endfor %}
{% for r in p.checks.listed %}<br><span class="badge v-{{ r.verdict }}">{{ r.attribute }}
= {{ r.group }} · {{ r.metric }} {{ r.value|num }} [{{ r.ci_low|num }} – {{ r.ci_high|num }}]
· {{ verdicts[r.verdict] }}</span>{% endfor %}{% if p.checks.more %} +{{ p.checks.more }}
{% endif %}</p></div>{% endfor %}

<h2>5. Thay đổi so với đêm trước / Changes since the previous night</h2>
<p>Vào / entered: {{ diff.entered }} · Ra / left: {{ diff.left }}</p>
<table><tr><th>Nhóm / Pool</th><th>Họ tên / Name</th><th>Thay đổi / Change</th>
<th>Hạng trước → sau / Rank before → after</th><th>Lý do / Reason</th></tr>
{% for d in diff.rows %}<tr><td>{{ d.title or d.pool_id }}</td><td>{{ d.full_name }}</td>
<td>{{ diff.labels.get(d.change, d.change) }}</td><td>{{ d.rank_before|num(0) }} →
{{ d.rank_after|num(0) }}</td><td>{{ d.reason_vi }}<br><span class="en">{{ d.reason_en }}
</span></td></tr>{% endfor %}</table>
{% if diff.omitted %}<p class="muted">+{{ diff.omitted|num }} dòng trong tệp Excel /
rows more in the Excel file.</p>{% endif %}

<h2>6. Cảnh báo sớm / Early warnings</h2>
<p>Cao / high: {{ warnings.high }} · Trung bình / medium: {{ warnings.medium }}</p>
<table><tr><th>Họ tên / Name</th><th>Chức vụ / Post</th><th>Đơn vị / Org</th>
<th>Tỉnh / Province</th><th>Mức / Severity</th><th>Tín hiệu / Signals</th>
<th>Bằng chứng / Evidence</th></tr>
{% for w in warnings.rows %}<tr class="{{ 'v-fail' if w.severity == 'high' else 'v-warn' }}">
<td>{{ w.full_name }}</td><td>{{ w.title }}</td><td>{{ w.org_id }}</td><td>{{ w.province }}</td>
<td>{{ w.severity }}</td><td>{{ w.signal_text }}</td><td>{{ w.evidence_vi }}<br>
<span class="en">{{ w.evidence_en }}</span></td></tr>{% endfor %}</table>
{% if warnings.omitted %}<p class="muted">+{{ warnings.omitted|num }} dòng trong tệp Excel /
rows more in the Excel file.</p>{% endif %}
<p class="banner">{{ banner_vi }}<br>{{ banner_en }}</p>
</body></html>
"""
