"""A small .xlsx writer for the report's workbook: sheets of a frame each, a bold frozen header
row, column widths; numbers, booleans, dates and text as inline strings.

openpyxl styles and writes cell by cell (5.6 s for the 43,517 shortlist rows of a national
night, docs/benchmarks.md); here each column becomes its cells' XML in one pass. Text is
written as inline strings, never as formulas, so text starting with "=" stays text. Characters
XML 1.0 cannot hold are dropped. The workbook is assembled in memory and written in one call.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # what XML 1.0 cannot hold

_EXCEL_EPOCH = dt.datetime(1899, 12, 30)
BOLD, DATE = 1, 2  # cell style indexes in styles.xml

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm:ss"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def column_letter(index: int) -> str:
    """1 -> A, 27 -> AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def clean_text(value: str) -> str:
    """Text as a cell can hold it: without the characters XML 1.0 refuses."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _text_cell(ref: str, value: str, style: int = 0) -> str:
    return _inline_string(ref, escape(clean_text(value)), style)


def _inline_string(ref: str, text: str, style: int = 0) -> str:
    """The cell of a text already cleaned and escaped."""
    style_attr = f' s="{style}"' if style else ""
    return (
        f'<c r="{ref}"{style_attr} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    )


def _value_cell(ref: str, value: Any) -> str:
    """One cell of any value a frame holds (None and non-finite numbers: no cell)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool | np.bool_):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | np.integer):
        return f'<c r="{ref}"><v>{int(value)}</v></c>'
    if isinstance(value, float | np.floating):
        return f'<c r="{ref}"><v>{float(value)!r}</v></c>' if math.isfinite(value) else ""
    if isinstance(value, dt.datetime | dt.date | np.datetime64):
        stamp = pd.Timestamp(value)
        if stamp is pd.NaT:
            return ""
        if stamp.tzinfo is not None:  # Excel has no time zones: the offset stays, as text
            return _text_cell(ref, stamp.isoformat())
        days = (stamp.to_pydatetime() - _EXCEL_EPOCH).total_seconds() / 86400
        return f'<c r="{ref}" s="{DATE}"><v>{days!r}</v></c>'
    return _text_cell(ref, str(value))


def _column_cells(letter: str, values: pd.Series, first_row: int) -> list[str]:
    """The XML of one column's cells, row by row; the common dtypes in one vectorised pass."""
    rows = range(first_row, first_row + len(values))
    dtype = values.dtype
    if pd.api.types.is_bool_dtype(dtype) and not values.hasnans:
        return [
            f'<c r="{letter}{r}" t="b"><v>{int(v)}</v></c>'
            for r, v in zip(rows, values.to_numpy(), strict=True)
        ]
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        numbers = values.to_numpy(dtype="float64", na_value=np.nan)
        integral = pd.api.types.is_integer_dtype(dtype)
        return [
            (f'<c r="{letter}{r}"><v>{int(v) if integral else repr(v)}</v></c>')
            if math.isfinite(v)
            else ""
            for r, v in zip(rows, numbers.tolist(), strict=True)
        ]
    items = values.astype(object).tolist()
    texts = _text_cells(letter, rows, items)
    if texts is not None:
        return texts
    return [_value_cell(f"{letter}{r}", v) for r, v in zip(rows, items, strict=True)]


def _text_cells(letter: str, rows: range, items: list[Any]) -> list[str] | None:
    """A column of texts (each a string, None or pandas' NA) as ``_value_cell`` writes it,
    with the characters to drop or escape looked for once in the whole column, not per cell
    (the shortlist sheet's texts took most of the workbook's time); None for another column."""
    if not all(isinstance(v, str) or v is None or v is pd.NA for v in items):
        return None
    whole = "".join(v for v in items if isinstance(v, str))
    clean = ILLEGAL_CHARACTERS_RE.search(whole) is not None
    special = any(c in whole for c in "&<>")
    out = []
    for r, v in zip(rows, items, strict=True):
        if not isinstance(v, str):
            out.append("")
            continue
        text = clean_text(v) if clean else v
        out.append(_inline_string(f"{letter}{r}", escape(text) if special else text))
    return out


def _width(frame: pd.DataFrame, column: Any) -> float:
    sample = frame[column].head(500).dropna().astype(str).str.len()
    width = max(len(str(column)), int(sample.max()) if len(sample) else 0) + 2
    return float(min(max(width, 8), 60))


def sheet_xml(frame: pd.DataFrame) -> str:
    """The worksheet part of ``frame``: its header (bold, frozen) then its rows."""
    columns = list(frame.columns)
    letters = [column_letter(i) for i in range(1, len(columns) + 1)]
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{_width(frame, c)}" customWidth="1"/>'
        for i, c in enumerate(columns, 1)
    )
    header = "".join(
        _text_cell(f"{letter}1", str(c), BOLD) for letter, c in zip(letters, columns, strict=True)
    )
    cells = [_column_cells(letter, frame.iloc[:, i], 2) for i, letter in enumerate(letters)]
    rows = [f'<row r="1">{header}</row>']
    rows += [
        f'<row r="{r}">{"".join(row)}</row>' for r, row in enumerate(zip(*cells, strict=True), 2)
    ]
    view = (
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    )
    return (
        f'{_XML}<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}">{view}'
        f'<sheetFormatPr defaultRowHeight="15"/>{f"<cols>{cols}</cols>" if cols else ""}'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> None:
    """Write ``sheets`` (name -> frame, in order) as one .xlsx at ``path``."""
    names = list(sheets)
    content_types = (
        f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(names) + 1)
        )
        + "</Types>"
    )
    root_rels = (
        f'{_XML}<Relationships xmlns="{_PKG_REL}"><Relationship Id="rId1" Type="{_REL}/'
        'officeDocument" Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        + "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(names, 1)
        )
        + "</sheets></workbook>"
    )
    workbook_rels = (
        f'{_XML}<Relationships xmlns="{_PKG_REL}">'
        + "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(names) + 1)
        )
        + f'<Relationship Id="rId{len(names) + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
        + "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", _STYLES)
        for i, name in enumerate(names, 1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml(sheets[name]))
    path.write_bytes(buffer.getvalue())
