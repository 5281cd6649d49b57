"""Errors that stop a whole ingestion batch. Row-level problems are quarantined, not raised.

Every problem with a file or a folder ends in one ``IngestError`` whose message names the file
and, where it applies, the row, column or sheet, what was expected and what to do; the command
prints it on one line and exits 2. The messages are constants so tests can check them.
"""

from __future__ import annotations

# Control characters a hostile header or cell may carry, shown escaped so a message is one line.
_ESCAPES = {code: f"\\x{code:02x}" for code in range(32)} | {10: "\\n", 13: "\\r", 9: "\\t"}


def printable(text: str) -> str:
    """``text`` with the undecodable bytes of a file name (Python keeps them as lone surrogates)
    shown as ``\\xff``, so it can be printed and written as UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raw = text.encode("utf-8", "surrogateescape" if _escaped_bytes_only(text) else "replace")
        return raw.decode("utf-8", "backslashreplace")
    return text


def _escaped_bytes_only(text: str) -> bool:
    return all(not 0xD800 <= ord(c) <= 0xDFFF or 0xDC80 <= ord(c) <= 0xDCFF for c in text)


class IngestError(Exception):
    """A problem with a file or the mapping as a whole; the message names file, row, column.

    Raised before anything is published, so a batch that meets one publishes nothing. The
    message is always one line: control characters quoted from a file are shown escaped, and
    so are bytes of a file name that are not UTF-8.
    """

    def __init__(self, message: str) -> None:
        super().__init__(printable(str(message)).translate(_ESCAPES))


class IngestWriteError(IngestError, OSError):
    """Writing the snapshot or the quarantine failed (disk full, no permission); nothing was
    published. Still an ``OSError`` for callers that handle input/output errors as such."""


MISSING_COLUMN = "{file} row {row} (header): no column {column!r}{why}. Columns found: {found}"
DUPLICATE_COLUMN = (
    "{file} {where}: column {column!r} appears {count} times (columns {positions}, "
    "counting from 1, once spaces are trimmed); rename or remove the extra ones"
)
EMPTY_FILE = "{file}: the file is empty (no header, no rows)"
NOT_FOUND = "{file}: file not found"
BROKEN_LINK = (
    "{file}: a symbolic link that leads nowhere (its target is missing, or links form a loop); "
    "replace it with the file itself"
)
NOT_REGULAR = (
    "{file}: is {kind}, not a regular file; hientai reads table files only (copy the data into "
    "a .csv, .parquet or .xlsx file in the extract folder)"
)
NOT_TEXT = "{file}: is {kind}, not CSV text; {advice}"
TWO_FILES = (
    "{table}: the extract folder holds {files}; keep only the one to ingest (or name it in a "
    "mapping file), so that the other is not silently ignored"
)
SHORT_ROW = (
    "{file} row {row}: {found} field(s) where the header has {expected}, after a carriage "
    "return (CR) alone in a file whose lines end with line feeds: a line break inside an "
    "unquoted cell? Quote that cell, or save the file again with one kind of line ending"
)
YAML_TOO_LARGE = (
    "{file}: the YAML expands to more than {limit:,} values through its anchors and aliases "
    "(a 'billion laughs' file?); a mapping is far smaller, so it is refused"
)
YAML_RECURSIVE = "{file}: a YAML alias refers to the anchor it is inside of; remove the loop"
NOT_A_FILE = "{file}: is a folder, not a table file; expected a .csv, .parquet or .xlsx file"
UNREADABLE = "{file}: cannot be read ({why}); check that the file exists and who may read it"
UNSUPPORTED = "{file}: unsupported file type {suffix!r}; use .csv, .parquet or .xlsx"
LEGACY_XLS = "{file}: legacy .xls workbooks are not read; save it as .xlsx (or CSV UTF-8)"
CORRUPT_PARQUET = (
    "{file}: not a readable Parquet file ({why}); export it again, or send the table as CSV UTF-8"
)
CORRUPT_EXCEL = (
    "{file}: not a readable Excel workbook ({why}); open it in Excel and save it again as .xlsx, "
    "or send the table as CSV UTF-8"
)
CORRUPT_CSV = "{file}: not a readable CSV file ({why}); check the separators and quotes there"
NO_HEADER = (
    "{file} sheet {sheet!r}: no header row in the first {rows} rows; expected a row holding "
    "the columns {columns}"
)
NO_SHEET = "{file}: no sheet {sheet!r}; sheets seen: {sheets}. Name one of them in the mapping"
NO_TABLE_SHEET = (
    "{file}: no sheet named {table!r} and no sheet with a header holding {columns} in its "
    "first {rows} rows; sheets seen: {sheets}. Name the sheet with `sheet:` in the mapping"
)
UNDECODABLE = (
    "{file}: cannot be read as UTF-8 (byte {position}), UTF-8 or UTF-16 with a byte-order mark, "
    "or Windows-1258; set `encoding:` in the mapping file (e.g. encoding: utf-16-le), or save "
    "the file as CSV UTF-8"
)
BAD_ENCODING = "{file}: cannot be read as {encoding}: {why}; check `encoding:` in the mapping"
LOOKS_UTF16 = (
    "{file}: looks like UTF-16 text without a byte-order mark; set `encoding: utf-16-le` (or "
    "utf-16-be) in the mapping file, or save the file as CSV UTF-8"
)
NUL_REMOVED = "{file}: {count} NUL byte(s) removed from the text{where}"
OUTSIDE_EXTRACT = (
    "{file}: resolves to {target}, outside the extract folder {root}; refused, so that an "
    "extract (or a link in it) cannot make hientai read other files. Copy the file into the "
    "extract folder, or list it (or its folder) under ingest.allow_outside_paths in the settings"
)
NO_PEOPLE = (
    "{source}: no people table found; every extract needs one (people.csv, .parquet, .xlsx)"
)
UNMAPPED_REQUIRED = (
    "{mapping}: tables.{table}[{index}] gives no value for column {column!r}, which contract "
    "table {table} requires (source {file})"
)
DISK_FULL = (
    "{path}: no space left on the device while writing; nothing was published and the latest "
    "snapshot is unchanged. Free some space (`hientai prune --keep N` removes old snapshots) "
    "and run the command again"
)
WRITE_FAILED = (
    "{path}: cannot write ({why}); nothing was published and the latest snapshot is unchanged"
)
