"""A shortlist with its reasons as CSV or Excel. Text that a spreadsheet would run as a
formula is neutralised: in CSV a leading = + - @ tab or carriage return gets a quote in front
(OWASP's rule); in Excel every text cell is stored as text, never as a formula."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = (
    "rank", "rank_model", "person_id", "name", "score", "percentile", "population",
    "moved", "move_note", "reasons_for", "reasons_against", "suggestions",
    "decision", "readiness", "decision_reason", "decided_by",
)  # fmt: skip


def rows(entries: list[dict[str, Any]], explained: dict[str, dict], lang: str) -> list[list]:
    """One row per entry, in COLUMNS order."""

    def texts(person: str, key: str) -> str:
        items = explained.get(person, {}).get(key, [])
        return "; ".join(str(item.get(f"text_{lang}", "")) for item in items)

    table = []
    for e in entries:
        latest = e.get("latest") or {}
        table.append(
            [e["rank"], e["rank_model"], e["person_id"], e["name"], round(e["score"], 4),
             round(e["percentile"], 1), e["population"], e["moved"], e["move_note"] or "",
             texts(e["person_id"], "reasons_positive"), texts(e["person_id"], "reasons_negative"),
             texts(e["person_id"], "suggestions"), latest.get("decision", ""),
             latest.get("readiness") or "", latest.get("reason", ""), latest.get("username", "")]
        )  # fmt: skip
    return table


def csv_safe(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def to_csv(table: list[list]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for row in table:
        writer.writerow([csv_safe(value) for value in row])
    # A byte-order mark lets Excel open Vietnamese UTF-8 text correctly.
    return "\ufeff" + buffer.getvalue()


def to_xlsx(table: list[list], title: str) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "shortlist"
    for values in ([title], list(COLUMNS), *table):
        sheet.append(
            [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
        )
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # text, even when it starts with '='
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
