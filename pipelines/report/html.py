"""The report page: one self-contained HTML file, context from the frames, charts as PNG.

The page details the whole-run fairness and the first `max_pools` shortlists (pools with a
failing fairness check first); the Jinja template is template.html.j2 in this package.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from features.catalog import DIMENSIONS
from models.shortlist import spread_rows
from pipelines.report.frames import (
    BANNER_EN,
    BANNER_VI,
    NONE_TEXT,
    VERDICT_LABELS,
    _check_frames,
    _json,
    _reason_items,
    _records,
)

CHANGE_LABELS = {"entered": "Vào danh sách / entered", "left": "Ra khỏi danh sách / left"}
POLICY_TEXT = {
    "audit_only": "Chỉ kiểm định: giữ thứ tự của mô hình, báo cáo công bằng / "
    "Audit only: the model's order is kept and fairness is reported",
    "rerank": "Xếp hạng lại để công bằng; lưu cả hai thứ tự / "
    "Re-ranked for fairness; both orders are kept",
}
_SEVERITY = {"info": 0, "pass": 1, "warn": 2, "fail": 3}


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
    pools, (fairness, holders) = frames["pools"], _held(frames)
    shown = _pools_to_detail(pools, fairness, holders, max_pools=max_pools)
    context = {
        "banner_vi": BANNER_VI,
        "banner_en": BANNER_EN,
        "none_text": NONE_TEXT,
        "verdicts": VERDICT_LABELS,
        **_run_context(manifest),
        "problem_runs": _problem_runs(manifest),
        "party_rules": list(manifest.get("party_rules") or []),
        "party_pools": int(pools["party_rule"].eq(True).sum()),
        "fair": _fairness_context(fairness, holders, max_rows=max_rows),
        "pools": _shortlists_context(frames, shown, holders),
        "pools_total": len(pools),
        "pools_omitted": len(pools) - len(shown),
        "diff": _diff_context(frames["diff"], pools, max_rows=max_rows),
        "warnings": _warnings_context(frames["warnings"], max_rows=max_rows),
        "drift": _drift_context(frames.get("drift"), manifest),
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


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=96)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@cache
def _template() -> jinja2.Template:
    env = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["num"] = _num
    return env.from_string(
        files("pipelines.report").joinpath("template.html.j2").read_text(encoding="utf-8")
    )


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


def _problem_runs(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """Attempts since the previous night that failed, crashed or were cancelled (newest
    first), so a broken schedule shows at the top of the next report."""
    keys = ("flow", "night", "status", "started_at", "duration_s", "trigger", "reason")
    return [{k: run.get(k) for k in keys} for run in manifest.get("problem_runs") or []]


def _stage_chart(stages: dict[str, float]) -> str:
    fig = Figure(figsize=(7, 0.35 * len(stages) + 1.2))  # no pyplot: no global state
    ax = fig.subplots()
    ax.barh(list(stages)[::-1], list(stages.values())[::-1], color="#3b6ea8")
    ax.set_xlabel("giây / seconds")
    ax.set_title("Thời gian từng bước / Stage timings")
    fig.tight_layout()
    return _png(fig)


def _held(frames: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The fairness rows and the pools having them: ``frames["holders"]`` when the rows are
    held once per distinct shortlist (a night's: models.shortlist.ShortlistResult.holders),
    else every pool holds its own rows."""
    fairness = frames["fairness"]
    if "holders" in frames:
        return fairness, frames["holders"]
    pools = pd.unique(fairness["pool_id"].dropna().to_numpy(dtype=object))
    return fairness, pd.DataFrame({"pool_id": pools, "checks_pool_id": pools})


def _fairness_context(
    fairness: pd.DataFrame, holders: pd.DataFrame, *, max_rows: int
) -> dict[str, Any]:
    whole = fairness.loc[fairness["pool_id"].isna()].sort_values(["attribute", "metric", "group"])
    impact = whole.loc[(whole["metric"] == "selection_impact_ratio") & whole["value"].notna()]
    # The checks (rows with a threshold); shares and rates behind them are in the Excel file.
    checked = whole.loc[whole["threshold"].notna()]
    return {
        "rows": _records(checked.head(max_rows)),
        "omitted": max(len(checked) - max_rows, 0) + len(whole) - len(checked),
        "chart": _impact_chart(impact) if len(impact) else None,
        "checks": _check_counts(fairness.loc[fairness["pool_id"].notna()], holders),
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


def _check_counts(per_pool: pd.DataFrame, holders: pd.DataFrame) -> list[dict[str, Any]]:
    """Per check (attribute, metric): how many shortlists have it worst at fail, warn, pass
    (a holder's rows count once for every pool having them)."""
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
    having = holders["checks_pool_id"].value_counts().reindex(pools, fill_value=0).to_numpy()
    weight = having[worst.index.to_numpy() % max(len(pools), 1)]
    counts = np.bincount(
        worst_check * 4 + worst.to_numpy(), weights=weight, minlength=4 * (check.max() + 1)
    )
    counts = counts.astype(np.int64).reshape(-1, 4)
    rows = [
        {
            "attribute": attributes[c // len(metrics)],
            "metric": metrics[c % len(metrics)],
            **{v: int(counts[c, _SEVERITY[v]]) for v in ("fail", "warn", "pass")},
        }
        for c in np.unique(check)
    ]
    return sorted(rows, key=lambda r: (r["attribute"], r["metric"]))


def _pools_to_detail(
    pools: pd.DataFrame, fairness: pd.DataFrame, holders: pd.DataFrame, *, max_pools: int
) -> list[str]:
    failing = fairness.loc[fairness["verdict"].eq("fail") & fairness["pool_id"].notna()]
    failing_pools = holders.loc[holders["checks_pool_id"].isin(failing["pool_id"].unique())]
    order = pools.assign(_fail=pools["pool_id"].isin(failing_pools["pool_id"]))
    order = order.sort_values(["_fail", "pool_id"], ascending=[False, True])
    return order["pool_id"].head(max_pools).tolist()


def _group(rows: list[dict[str, Any]], key: str) -> dict[Any, list[dict[str, Any]]]:
    grouped: dict[Any, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _shortlists_context(
    frames: dict[str, pd.DataFrame], shown: list[str], holders: pd.DataFrame
) -> list[dict]:
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
    fairness, mine = frames["fairness"], holders.loc[holders["pool_id"].isin(shown)]
    if "holders" in frames:  # each pool's rows from its holder's (held once per shortlist)
        held = fairness.loc[fairness["pool_id"].isin(mine["checks_pool_id"].unique())]
        fairness = spread_rows(held, mine)
    checks = _pool_checks(fairness, shown)
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
    # Only the rows a pool lists become dicts, not every flagged row of the shown pools.
    n_flagged = flagged["pool_id"].value_counts()
    listed = _group(_records(flagged.groupby("pool_id", sort=False).head(max_listed)), "pool_id")
    result = {}
    for pool_id in shown:
        by_verdict = {r["verdict"]: r["n"] for r in counts.get(pool_id, [])}
        result[pool_id] = {
            "counts": {v: by_verdict[v] for v in VERDICT_LABELS if by_verdict.get(v)},
            "listed": listed.get(pool_id, []),
            "more": max(int(n_flagged.get(pool_id, 0)) - max_listed, 0),
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


def _drift_context(
    drift: pd.DataFrame | None, manifest: dict[str, Any], *, max_rows: int = 15
) -> dict[str, Any] | None:
    """The features (and score) that moved most, the tables' missing shares, the warning lines
    (docs/operations.md, Drift); None when the night has no drift frame."""
    if drift is None:
        return None
    columns = drift.loc[drift["kind"] != "table"]
    worst = columns[["psi_vs_training", "psi_vs_previous"]].max(axis=1).fillna(-1.0)
    top = columns.assign(_worst=worst).sort_values(["_worst", "feature"], ascending=[False, True])
    score = _records(drift.loc[drift["kind"] == "score"])
    return {
        "rows": _records(top.drop(columns="_worst").head(max_rows)),
        "omitted": max(len(columns) - max_rows, 0),
        "score": score[0] if score else None,
        "tables": _records(drift.loc[drift["kind"] == "table"]),
        "warnings": list(manifest.get("drift_warnings") or []),
    }
