"""The nightly report: one self-contained HTML page and one Excel workbook, built from the frames.

The frames are those of docs/nightly-frames.md. Both outputs are decision support for HR
planners, never a decision. They read only the frames given (no database); only `write_html`
and `write_excel` touch the disk. The HTML details the whole-run fairness and the first
`max_pools` shortlists (pools with a failing fairness check first); the workbook holds every row
up to Excel's sheet limit and says in its summary sheet what it had to leave out.
"""

from pipelines.report.excel import EXCEL_MAX_ROWS, write_excel
from pipelines.report.frames import (
    BANNER_EN,
    BANNER_VI,
    NONE_TEXT,
    REQUIRED_COLUMNS,
    VERDICT_LABELS,
)
from pipelines.report.html import render_html, write_html

__all__ = [
    "BANNER_EN",
    "BANNER_VI",
    "EXCEL_MAX_ROWS",
    "NONE_TEXT",
    "REQUIRED_COLUMNS",
    "VERDICT_LABELS",
    "render_html",
    "write_excel",
    "write_html",
]
