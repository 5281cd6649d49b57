"""Errors that stop a whole ingestion batch. Row-level problems are quarantined, not raised."""

from __future__ import annotations


class IngestError(Exception):
    """A problem with a file or the mapping as a whole; the message names file, row, column.

    Raised before anything is published, so a batch that meets one publishes nothing.
    """


MISSING_COLUMN = "{file} row {row} (header): no column {column!r}{why}. Columns found: {found}"
EMPTY_FILE = "{file}: the file is empty (no header, no rows)"
NO_HEADER = (
    "{file} sheet {sheet!r}: no header row in the first {rows} rows; expected a row holding "
    "the columns {columns}"
)
UNDECODABLE = (
    "{file}: cannot be read as UTF-8 or Windows-1258 (byte {position}); set `encoding:` in the "
    "mapping file"
)
NO_PEOPLE = (
    "{source}: no people table found; every extract needs one (people.csv, .parquet, .xlsx)"
)
UNMAPPED_REQUIRED = (
    "{mapping}: tables.{table}[{index}] gives no value for column {column!r}, which contract "
    "table {table} requires (source {file})"
)
