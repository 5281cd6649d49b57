"""The nightly report: HTML and Excel from tiny hand-written frames (docs/nightly-frames.md)."""

from __future__ import annotations

import base64
import errno
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pytest

from pipelines import report
from pipelines.report import xlsx

SCRIPT_NAME = "<script>alert(1)</script>"
FORMULA_NAME = "=1+1"
TITLES = {
    "P1": "Phó Giám đốc Sở Nội vụ tỉnh Lào Cai",
    "P2": "Quy hoạch Trưởng phòng Tổ chức cán bộ",
    "P3": "Nguồn nhân tài thường trực tỉnh Lào Cai",
}
REASONS = {  # person -> (positive, negative, suggestion), each (vi, en, amount)
    "A": (
        ("Hoàn thành KPI cao", "High KPI achievement", 0.3),
        ("Ít giờ bồi dưỡng", "Few training hours", -0.1),
        ("Tham gia lớp bồi dưỡng lãnh đạo", "Attend the leadership course", 0.05),
    ),
    "B": (
        ("Tín nhiệm cao", "High votes of confidence", 0.2),
        ("Xếp loại dao động", "Volatile ratings", -0.05),
        ("Nhận nhiệm vụ luân chuyển", "Take a rotation posting", 0.02),
    ),
    "D": (
        ("Đánh giá đa chiều tốt", "Strong 360 surveys", 0.25),
        ("Thiếu kinh nghiệm cơ sở", "Little grassroots experience", -0.2),
        ("Công tác tại cấp xã", "Serve at commune level", 0.04),
    ),
    "E": (
        ("Sản phẩm đúng hạn", "Outputs delivered on time", 0.15),
        ("Điểm chuẩn hoá thấp", "Low standardised score", -0.08),
        ("Thi đánh giá năng lực lại", "Retake the assessment", 0.03),
    ),
}


def _manifest(*, party_rules: list[str] | None = None) -> dict[str, Any]:
    return {
        "run_id": "abc123",
        "night": "2026-01-15",
        "as_of": "2026-01-15",
        "snapshot_id": "snap-42",
        "model_name": "talent-ranker",
        "model_version": "7",
        "config_hash": "cfg9f",
        "code_version": "4bc54b1",
        "started_at": "2026-01-15T19:00:00Z",
        "finished_at": "2026-01-15T19:40:00Z",
        "policy": "rerank",
        "counts": {"people_scored": 9, "pools": 3, "shortlisted": 5, "fairness_fail": 2},
        "party_rules": ["P1: Phải là đảng viên / must be a Party member"]
        if party_rules is None
        else party_rules,
        "stage_seconds": {"ingest": 12.5, "score": 30.0, "audit": 7.5},
        "report_file": "report.html",
        "excel_file": "report.xlsx",
    }


def _entry(pool: str, person: str, name: str, rank: int | None, **extra: Any) -> dict:
    row = {
        "pool_id": pool,
        "person_id": person,
        "full_name": name,
        "population": "internal",
        "rank": rank,
        "rank_model": rank or 3,
        "rank_fair": rank,
        "in_shortlist": rank is not None,
        "score": 0.9 - 0.1 * (rank or 3),
        "raw_score": 1.0,
        "percentile": 99.0 - (rank or 3),
        "moved": False,
        "move_note": None,
    }
    return {**row, **extra}


def _explanation(person: str) -> dict:
    def items(item: tuple[str, str, float], key: str) -> str:
        vi, en, amount = item
        return json.dumps([{"feature": "f", key: amount, "text_vi": vi, "text_en": en}])

    positive, negative, suggestion = REASONS[person]
    return {
        "person_id": person,
        "base_value": -1.0,
        "raw_score": 0.5,
        "score": 0.7,
        "additivity_error": 1e-9,
        "dimensions": json.dumps({"confidence": 0.2, "performance": 0.1, "integrity": -0.1}),
        "reasons_positive": items(positive, "contribution"),
        "reasons_negative": items(negative, "contribution"),
        "suggestions": items(suggestion, "score_gain"),
        "contributions": json.dumps({"f": 0.3}),
    }


def _fair(pool: str | None, attribute: str, group: str, metric: str, value: float, verdict: str):
    return {
        "pool_id": pool,
        "attribute": attribute,
        "group": group,
        "metric": metric,
        "value": value,
        "ci_low": value - 0.1,
        "ci_high": value + 0.1,
        "n_pool": 40,
        "n_selected": 4,
        "small": False,
        "threshold": 0.8 if "impact" in metric else None,
        "verdict": verdict,
        "note": f"note {attribute} {group} {metric}",
    }


def _frames() -> dict[str, pd.DataFrame]:
    pools = pd.DataFrame(
        [
            {
                "pool_id": pid,
                "kind": kind,
                "position_id": None,
                "org_id": "P1",
                "province": "LCI",
                "title": TITLES[pid],
                "title_code": None,
                "scope": "province LCI",
                "k": 2,
                "n_eligible": 40,
                "n_qualified": 6,
                "max_age": 55.0,
                "rules": json.dumps([f"rule of {pid}"]),
                "party_rule": pid == "P1",
            }
            for pid, kind in (
                ("P1", "leadership_post"),
                ("P2", "planning_slot"),
                ("P3", "standing"),
            )
        ]
    )
    entries = pd.DataFrame(
        [
            _entry("P1", "A", "Nguyễn Thị An", 1),
            _entry("P1", "B", "Trần Văn Bình", 2, moved=True, move_note="lên 1 hạng / up 1"),
            _entry("P1", "C", "Lê Văn Cường", None, moved=True, move_note="ra do xếp lại"),
            _entry("P2", "D", SCRIPT_NAME, 1),
            _entry("P2", "A", "Nguyễn Thị An", 2),
            _entry("P3", "E", "Phạm Thị Em", 1),
            _entry("P3", "F", FORMULA_NAME, None),
        ]
    )
    fairness = pd.DataFrame(
        [
            _fair(None, "gender", "female", "selection_impact_ratio", 0.72, "fail"),
            _fair(None, "gender", "male", "selection_impact_ratio", 1.0, "pass"),
            _fair(None, "ethnicity", "minority", "selection_impact_ratio", 0.85, "warn"),
            _fair(None, "gender", "female", "share_pool", 0.4, "info"),
            _fair("P1", "gender", "female", "selection_impact_ratio", 0.95, "pass"),
            _fair("P2", "gender", "female", "selection_impact_ratio", 0.5, "fail"),
            _fair("P2", "gender", "male", "selection_impact_ratio", 1.0, "pass"),
            _fair("P3", "ethnicity", "minority", "skew_at_k", 0.7, "warn"),
        ]
    )
    warnings = pd.DataFrame(
        [
            {
                "person_id": "W",
                "full_name": "Đỗ Văn Cảnh",
                "org_id": "P1",
                "province": "LCI",
                "title": "Giám đốc Sở",
                "severity": "high",
                "signals": json.dumps(["confidence_drop", "rating_drop"]),
                "evidence_vi": "Tín nhiệm giảm 3 năm liên tiếp",
                "evidence_en": "Votes of confidence fell three years in a row",
            }
        ]
    )
    diff = pd.DataFrame(
        [
            {
                "pool_id": "P2",
                "person_id": "D",
                "full_name": SCRIPT_NAME,
                "change": "entered",
                "rank_before": None,
                "rank_after": 1,
                "reason_vi": "Điểm tín nhiệm tăng",
                "reason_en": "Confidence score rose",
            },
            {
                "pool_id": "P1",
                "person_id": "G",
                "full_name": "Hoàng Văn Giang",
                "change": "left",
                "rank_before": 2,
                "rank_after": None,
                "reason_vi": "Vượt quá tuổi quy hoạch",
                "reason_en": "Over the planning age limit",
            },
        ]
    )
    explanations = pd.DataFrame([_explanation(p) for p in ("A", "B", "D", "E")])
    return {
        "pools": pools,
        "entries": entries,
        "explanations": explanations,
        "fairness": fairness,
        "warnings": warnings,
        "diff": diff,
    }


def _flat(html: str) -> str:
    return " ".join(html.split())


@pytest.fixture(scope="module")
def html() -> str:
    return report.render_html(_manifest(), _frames())


def test_html_shows_every_pool_name_reason_diff_and_warning(html: str) -> None:
    text = _flat(html)
    for title in TITLES.values():
        assert title in html
    for name in ("Nguyễn Thị An", "Trần Văn Bình", "Phạm Thị Em"):
        assert name in html
    for triple in REASONS.values():
        for vi, en, _ in triple:
            assert vi in html and en in html
    assert "Hoàn thành KPI cao (+0.300)" in text
    for reason in ("Điểm tín nhiệm tăng", "Confidence score rose", "Over the planning age limit"):
        assert reason in html
    assert "Votes of confidence fell three years in a row" in html
    assert "Tín nhiệm giảm 3 năm liên tiếp" in html
    assert "confidence_drop, rating_drop" in html
    assert "Tín nhiệm / Votes of confidence +0.20" in text  # strongest dimension, both names


def test_html_shows_failing_verdicts_and_banner(html: str) -> None:
    text = _flat(html)
    assert report.BANNER_VI in html and report.BANNER_EN in html
    pool_check = (
        "gender = female · selection_impact_ratio 0.500 [0.400 – 0.600] · Không đạt / fail"
    )
    assert pool_check in text
    assert re.search(r'<tr class="v-fail"><td>gender</td>\s*<td>female</td>', html)
    assert "P1: Phải là đảng viên / must be a Party member" in html
    assert "lên 1 hạng / up 1" in html  # the move note of a shortlisted person
    assert "Lê Văn Cường (3, ra do xếp lại)" in text  # moved out by re-ranking


def test_html_is_self_contained_with_a_png_chart(html: str) -> None:
    assert not re.search(r"https?://", html)
    assert "<script" not in html
    charts = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(charts) == 2  # stage timings and selection impact ratio
    assert base64.b64decode(charts[0]).startswith(b"\x89PNG")


def test_html_escapes_names(html: str) -> None:
    assert SCRIPT_NAME not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_html_says_none_without_party_rules() -> None:
    html = report.render_html(_manifest(party_rules=[]), _frames())
    section = html.split("Party-membership and nationality rules")[1].split("<h2>")[0]
    assert report.NONE_TEXT in section


def test_failing_pools_first_and_omitted_ones_counted() -> None:
    html = _flat(report.render_html(_manifest(), _frames(), max_pools=1))
    shortlists = html.split("4. Danh sách rút gọn")[1].split("5. Thay đổi")[0]
    assert "1 / 3 nhóm được trình bày" in shortlists
    assert "2 nhóm không trình bày ở đây; tệp Excel có đủ tất cả" in shortlists
    assert TITLES["P2"] in shortlists  # the only pool with a failing check
    assert TITLES["P1"] not in shortlists and TITLES["P3"] not in shortlists


def test_check_counts_match_a_loop() -> None:
    fairness = _frames()["fairness"]
    per_pool = fairness.loc[fairness["pool_id"].notna()]
    expected = {}
    for (attribute, metric), rows in per_pool.groupby(["attribute", "metric"]):
        worst = {}
        for pool, verdict in zip(rows["pool_id"], rows["verdict"], strict=True):
            order = ["info", "pass", "warn", "fail"]
            worst[pool] = max(worst.get(pool, "info"), verdict, key=order.index)
        counts = {v: list(worst.values()).count(v) for v in ("fail", "warn", "pass")}
        expected[(attribute, metric)] = counts
    got = {
        (r["attribute"], r["metric"]): {v: r[v] for v in ("fail", "warn", "pass")}
        for r in report.html._check_counts(per_pool, report.html._held({"fairness": per_pool})[1])
    }
    assert got == expected
    assert got[("gender", "selection_impact_ratio")] == {"fail": 1, "warn": 0, "pass": 1}


def test_rows_held_once_per_shortlist_render_as_every_pool_having_them() -> None:
    """A night's fairness rows come once per distinct shortlist, with the pools having them
    (``holders``): the page and the workbook's rows are those of every pool having its own."""
    from pipelines.nightly_publish import excel

    frames = _frames()
    fairness = frames["fairness"]
    p2 = fairness.loc[fairness["pool_id"] == "P2"]
    spread = pd.concat(
        [fairness.loc[fairness["pool_id"] != "P3"], p2.assign(pool_id="P3")], ignore_index=True
    )
    held = fairness.loc[fairness["pool_id"] != "P3"].reset_index(drop=True)
    holders = pd.DataFrame({"pool_id": ["P1", "P2", "P3"], "checks_pool_id": ["P1", "P2", "P2"]})
    every = {**frames, "fairness": spread}
    once = {**frames, "fairness": held, "holders": holders}
    assert report.render_html(_manifest(), once) == report.render_html(_manifest(), every)
    assert "P3" in set(excel(once)["fairness"]["pool_id"])  # P2's failing row, for P3 too
    pd.testing.assert_frame_equal(
        excel(once)["fairness"], excel(every)["fairness"].reset_index(drop=True)
    )


def test_rows_in_any_order_render_without_holders() -> None:
    frames = _frames()
    shuffled = frames["fairness"].iloc[[0, 1, 2, 3, 5, 4, 6, 7]].reset_index(drop=True)
    assert shuffled["pool_id"].tolist()[4:7] == ["P2", "P1", "P2"]  # P2's rows apart
    html = report.render_html(_manifest(), {**frames, "fairness": shuffled})
    assert html.count("<html") == 1


def test_bad_json_names_the_person_and_column() -> None:
    frames = _frames()
    frames["explanations"] = frames["explanations"].assign(reasons_negative="not json")
    with pytest.raises(ValueError, match="person A, column reasons_negative is not valid JSON"):
        report.render_html(_manifest(), frames)


def test_missing_column_is_named() -> None:
    frames = _frames()
    frames["fairness"] = frames["fairness"].drop(columns="verdict")
    with pytest.raises(ValueError, match=r"frame 'fairness' lacks columns \['verdict'\]"):
        report.render_html(_manifest(), frames)


def test_excel_round_trip(tmp_path: Path) -> None:
    frames = _frames()
    path = tmp_path / "report.xlsx"
    report.write_excel(path, _manifest(), frames)
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == [
        "summary", "pools", "shortlists", "explanations", "fairness", "warnings", "diff"
    ]  # fmt: skip
    for name, source in (("pools", "pools"), ("shortlists", "entries"), ("fairness", "fairness")):
        assert len(sheets[name]) == len(frames[source])
    short = sheets["shortlists"]
    assert short["in_shortlist"].tolist() == [True] * 5 + [False] * 2
    assert short.loc[short["person_id"] == "D", "title"].tolist() == [TITLES["P2"]]
    assert SCRIPT_NAME in short["full_name"].tolist()
    assert FORMULA_NAME in short["full_name"].tolist()  # stored as text, not as a formula
    expl = sheets["explanations"].set_index("person_id")
    assert len(expl) == 4
    assert expl.loc["A", "reasons_positive_en"] == "High KPI achievement (+0.300)"
    assert expl.loc["A", "suggestions_vi"] == "Tham gia lớp bồi dưỡng lãnh đạo (+0.050)"
    assert expl.loc["A", "dimensions"].startswith("Votes of confidence +0.200")
    assert sheets["warnings"]["signals"].tolist() == ["confidence_drop, rating_drop"]
    assert sheets["diff"]["title"].tolist() == [TITLES["P2"], TITLES["P1"]]
    summary = dict(zip(sheets["summary"]["key"], sheets["summary"]["value"], strict=True))
    assert summary["counts.people_scored"] == 9
    assert summary["party_rules[1]"].startswith("P1: Phải là đảng viên")
    assert not any(key.startswith("note") for key in summary)


def test_excel_header_is_bold_and_frozen(tmp_path: Path) -> None:
    path = tmp_path / "report.xlsx"
    report.write_excel(path, _manifest(party_rules=[]), _frames())
    book = openpyxl.load_workbook(path)
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.bold
    assert book["shortlists"]["D8"].data_type == "s"  # "=1+1" is text
    keys = [row[0].value for row in book["summary"].iter_rows(min_row=2)]
    values = [row[1].value for row in book["summary"].iter_rows(min_row=2)]
    assert values[keys.index("party_rules")] == report.NONE_TEXT


def test_excel_truncates_at_the_row_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report.excel, "EXCEL_MAX_ROWS", 5)  # header + 4 data rows
    path = tmp_path / "report.xlsx"
    report.write_excel(path, _manifest(), _frames())
    sheets = pd.read_excel(path, sheet_name=None)
    assert len(sheets["fairness"]) == 4 and len(sheets["shortlists"]) == 4
    assert len(sheets["pools"]) == 3  # under the limit: untouched
    assert sheets["shortlists"]["in_shortlist"].all()  # shortlisted rows come first
    notes = sheets["summary"].loc[sheets["summary"]["key"].str.startswith("note"), "value"]
    assert len(notes) == 2
    assert "Sheet 'shortlists': 3 of 7 rows left out" in notes.iloc[0]
    assert "Sheet 'fairness': 4 of 8 rows left out" in notes.iloc[1]
    assert "application DB (night 2026-01-15, run abc123)" in notes.iloc[1]


def test_empty_fairness_warnings_and_diff(tmp_path: Path) -> None:
    frames = _frames()
    for name in ("fairness", "warnings", "diff"):
        frames[name] = frames[name].iloc[0:0]
    html = _flat(report.render_html(_manifest(), frames))
    assert "Cao / high: 0 · Trung bình / medium: 0" in html
    assert "Vào / entered: 0 · Ra / left: 0" in html
    assert "data:image/png;base64," in html  # the stage chart; no impact chart without rows
    path = tmp_path / "report.xlsx"
    report.write_excel(path, _manifest(), frames)
    sheets = pd.read_excel(path, sheet_name=None)
    assert [len(sheets[n]) for n in ("fairness", "warnings", "diff")] == [0, 0, 0]
    assert list(sheets["fairness"].columns) == list(frames["fairness"].columns)


def test_excel_that_cannot_be_written_raises_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full disk at the write: the error reaches the caller and no workbook file is left (the
    workbook is assembled in memory and written in one call)."""
    path = tmp_path / "report.xlsx"

    def full(self: Path, data: bytes) -> int:
        raise OSError(errno.ENOSPC, "No space left on device", str(self))

    monkeypatch.setattr(Path, "write_bytes", full)
    with pytest.raises(OSError, match="No space left on device"):
        report.write_excel(path, _manifest(), _frames())
    assert not path.exists()


def test_excel_cells_keep_their_types(tmp_path: Path) -> None:
    """Every kind of value a frame holds lands as Excel reads it back: numbers (integers
    exact, floats to the last digit), booleans, dates, text with XML's special and refused
    characters, missing values as empty cells."""
    frame = pd.DataFrame(
        {
            "n": pd.array([1, None, 3], dtype="Int64"),
            "x": [0.1, float("nan"), 1e-300],
            "flag": [True, False, True],
            "mixed": ["a<b & c>", None, 2.5],
            "when": pd.to_datetime(["2026-01-01 08:30:00", None, "1999-12-31 00:00:00"]),
            "text": ["tab\there", "bell\x07gone", "  spaced  "],
            "zoned": pd.Series(
                [pd.Timestamp("2026-01-01 08:00", tz="Asia/Ho_Chi_Minh"), np.datetime64("NaT"), 7],
                dtype=object,
            ),
        }
    )
    path = tmp_path / "types.xlsx"
    xlsx.write_workbook(path, {"one": frame, "empty": frame.iloc[0:0]})
    book = openpyxl.load_workbook(path)
    sheet = book["one"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=2)]
    assert rows[0][:4] == [1, 0.1, True, "a<b & c>"]
    assert rows[0][4].isoformat() == "2026-01-01T08:30:00"
    assert rows[1] == [None, None, False, None, None, "bellgone", None]
    assert rows[0][6] == "2026-01-01T08:00:00+07:00"  # Excel has no time zones: kept as text
    assert rows[2][1] == 1e-300 and rows[2][3] == 2.5 and rows[2][5] == "  spaced  "
    assert rows[0][5] == "tab\there"
    assert [c.value for c in next(book["empty"].iter_rows())] == list(frame.columns)
    assert xlsx.column_letter(1) == "A" and xlsx.column_letter(28) == "AB"
    assert xlsx.column_letter(16384) == "XFD"


@pytest.mark.parametrize(
    "values",
    [
        ["plain", None, "Nguyễn Văn A"],
        ["a<b & c>", pd.NA, "x"],
        ["bell\x07gone", "ok", None],
        ["both\x07 & <", "", "=1+1"],
        [None, None],
        ["text", 1.5],  # not all texts: cell by cell
    ],
)
def test_a_text_column_is_written_as_cell_by_cell(values: list[object]) -> None:
    column = pd.Series(values, dtype=object)
    expected = [xlsx._value_cell(f"C{r}", v) for r, v in enumerate(values, 2)]
    assert xlsx._column_cells("C", column, 2) == expected
    as_strings = (
        column.astype("string")
        if all(isinstance(v, str) or v is None or v is pd.NA for v in values)
        else column
    )
    assert xlsx._column_cells("C", as_strings, 2) == expected


def test_a_pool_lists_its_worst_checks_first_and_counts_the_rest() -> None:
    from pipelines.report.html import _pool_checks

    rng = np.random.default_rng(3)
    n = 90
    fairness = pd.DataFrame(
        {
            "pool_id": rng.choice(["p1", "p2", "p3"], n),
            "verdict": rng.choice(["fail", "warn", "pass", "info"], n),
            "attribute": rng.choice(["gender", "party_member"], n),
            "metric": rng.choice(["share", "ratio", "ndkl"], n),
            "group": [f"g{i}" for i in rng.permutation(n)],
            "value": rng.random(n),
        }
    )
    checks = _pool_checks(fairness, ["p1", "p2", "p3", "nobody"], max_listed=4)
    severity = {"fail": 0, "warn": 1}
    for pool_id in ["p1", "p2", "p3"]:
        mine = fairness.loc[(fairness["pool_id"] == pool_id) & fairness["verdict"].isin(severity)]
        ordered = sorted(
            mine.to_dict("records"),
            key=lambda r: (severity[r["verdict"]], r["attribute"], r["metric"], r["group"]),
        )
        assert [r["group"] for r in checks[pool_id]["listed"]] == [r["group"] for r in ordered[:4]]
        assert checks[pool_id]["more"] == len(ordered) - 4
        counts = fairness.loc[fairness["pool_id"] == pool_id, "verdict"].value_counts()
        assert checks[pool_id]["counts"] == {v: int(counts[v]) for v in counts.index}
    assert checks["nobody"] == {"counts": {}, "listed": [], "more": 0}
