"""Read CSV, Parquet and Excel sources into raw frames that remember each row's number.

Row numbers are what a person sees when they open the file: for CSV and Excel the physical
row (the header is row 1, or the row it was found on); for Parquet the 1-based record number.
Text is trimmed and normalised to Unicode NFC; cells matching the configured missing-value
tokens become missing. Nothing is coerced to contract types here.
"""

from __future__ import annotations

import csv
import io
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hientai.ingest.decode import decode_text, nul_note
from hientai.ingest.errors import (
    BROKEN_LINK,
    CORRUPT_CSV,
    CORRUPT_EXCEL,
    CORRUPT_PARQUET,
    DUPLICATE_COLUMN,
    EMPTY_FILE,
    LEGACY_XLS,
    NO_HEADER,
    NO_SHEET,
    NO_TABLE_SHEET,
    NOT_A_FILE,
    NOT_FOUND,
    NOT_REGULAR,
    NOT_TEXT,
    SHORT_ROW,
    UNREADABLE,
    UNSUPPORTED,
    IngestError,
)


@dataclass
class RawFrame:
    """A source file's rows, untyped, with where each row came from."""

    label: str  # file name, plus sheet for Excel; used in every message
    data: pd.DataFrame
    row_numbers: np.ndarray  # the row number a person sees, per row of `data`
    header_row: int  # the row the header was found on (0 for Parquet)
    notes: list[str] = field(default_factory=list)


# What a path that is not a regular file is, for the message (opening a named pipe would wait
# for a writer forever, and a device may never end).
_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def check_table_file(path: Path) -> None:
    """A table file that exists, is a regular file (not a folder, a pipe or a device, nor a
    link leading nowhere), can be opened and is not empty."""
    if not path.exists():
        raise IngestError((BROKEN_LINK if path.is_symlink() else NOT_FOUND).format(file=path))
    if path.is_dir():
        raise IngestError(NOT_A_FILE.format(file=path))
    try:
        info = path.stat()
        kind = next((name for test, name in _SPECIAL_FILES if test(info.st_mode)), None)
        if kind is not None or not stat.S_ISREG(info.st_mode):
            raise IngestError(NOT_REGULAR.format(file=path, kind=kind or "not a regular file"))
        with path.open("rb"):
            pass
    except OSError as exc:
        raise IngestError(UNREADABLE.format(file=path, why=exc.strerror or exc)) from None
    if info.st_size == 0:
        raise IngestError(EMPTY_FILE.format(file=path.name))


# Files sent with a .csv name that are not text: an archive or another table format.
_NOT_TEXT = (
    (
        b"PK\x03\x04",
        "a ZIP archive (or an Excel workbook)",
        "unpack it and ingest the .csv inside (a workbook: rename it to .xlsx)",
    ),
    (b"\x1f\x8b", "gzip-compressed", "decompress it (gunzip) and ingest the .csv inside"),
    (b"BZh", "bzip2-compressed", "decompress it (bunzip2) and ingest the .csv inside"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it (unzstd) and ingest the .csv inside"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive", "unpack it and ingest the .csv inside"),
    (b"PAR1", "a Parquet file", "rename it to .parquet"),
)


def read_source(
    path: Path,
    *,
    sheet: str | None = None,
    header_row: int | None = None,
    encoding: str | None = None,
    na_values: list[str],
    expected_columns: list[str],
    header_search_rows: int = 30,
    table: str | None = None,
) -> RawFrame:
    """Read one table file (``table``, when known, picks a workbook's sheet by name)."""
    check_table_file(path)
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".csv":
        return _read_csv(path, encoding=encoding, na_values=na_values)
    if suffix == ".xls":
        raise IngestError(LEGACY_XLS.format(file=path.name))
    if suffix == ".xlsx":
        return _read_excel(
            path,
            sheet=sheet,
            table=table,
            header_row=header_row,
            na_values=na_values,
            expected_columns=expected_columns,
            search_rows=header_search_rows,
        )
    raise IngestError(UNSUPPORTED.format(file=path, suffix=suffix))


def header_names(values: list[object], file: str, where: str) -> list[str | None]:
    """Cleaned column names (None for a blank one); two columns of one name are an error,
    since every later step would silently read only one of them."""
    names = [_clean_header(v) if v is not None and not _is_nan(v) else "" for v in values]
    seen: dict[str, list[int]] = {}
    for position, name in enumerate(names, start=1):
        if name:
            seen.setdefault(name, []).append(position)
    for name, positions in seen.items():
        if len(positions) > 1:
            raise IngestError(
                DUPLICATE_COLUMN.format(
                    file=file, where=where, column=name, count=len(positions), positions=positions
                )
            )
    return [name or None for name in names]


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and np.isnan(value)


def _read_parquet(path: Path) -> RawFrame:
    try:
        table = pq.read_table(path)
        names = header_names(list(table.column_names), path.name, "(column names)")
        notes: list[str] = []
        columns = {}
        for i, (name, col) in enumerate(zip(names, table.columns, strict=True), start=1):
            cleaned, nul = _clean_arrow_text(col)
            columns[name or f"Unnamed: {i}"] = cleaned
            if nul:
                notes.append(nul_note(path.name, nul, [i], "column"))
        data = pa.table(columns).to_pandas(types_mapper=string_types)
    except (pa.ArrowException, OSError, ValueError, TypeError) as exc:
        raise IngestError(CORRUPT_PARQUET.format(file=path.name, why=_short(exc))) from None
    return RawFrame(path.name, data, np.arange(1, len(data) + 1), header_row=0, notes=notes)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


def string_types(arrow_type: pa.DataType) -> pd.ArrowDtype | pd.StringDtype | None:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow")
    return None


def _clean_arrow_text(column: pa.ChunkedArray) -> tuple[pa.ChunkedArray, int]:
    """Trim and NFC-normalise a text column (dictionary-encoded ones are decoded first), with
    NUL characters removed; returns the column and how many NULs it held."""
    if pa.types.is_dictionary(column.type) and pa.types.is_string(column.type.value_type):
        column = column.cast(pa.string())
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column, 0
    nul = int(pc.sum(pc.count_substring(column, "\x00")).as_py() or 0)
    if nul:
        column = pc.replace_substring(column, "\x00", "")
    normalised = to_nfc(pc.utf8_trim_whitespace(column))
    return pc.if_else(pc.equal(normalised, ""), pa.scalar(None, pa.string()), normalised), nul


def to_nfc(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    """Unicode NFC (composed Vietnamese letters). Only non-ASCII values are touched.

    pyarrow's own utf8_normalize returns decomposed text in the build we pin, so Python's
    unicodedata does the work, on the few values that need it.
    """
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    non_ascii = pc.invert(pc.fill_null(pc.string_is_ascii(values), True))
    if not pc.any(non_ascii).as_py():
        return values
    # Each distinct text once (a title or unit name recurs on millions of rows).
    encoded = pc.filter(values, non_ascii).dictionary_encode()
    distinct = encoded.dictionary.to_pylist()
    normal = pa.array([unicodedata.normalize("NFC", t) for t in distinct], type=values.type)
    return pc.replace_with_mask(values, non_ascii, normal.take(encoded.indices))


def _read_csv(path: Path, *, encoding: str | None, na_values: list[str]) -> RawFrame:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise IngestError(UNREADABLE.format(file=path, why=exc.strerror or exc)) from None
    for magic, kind, advice in _NOT_TEXT:
        if raw.startswith(magic):
            raise IngestError(NOT_TEXT.format(file=path.name, kind=kind, advice=advice))
    text, notes = decode_text(raw, path.name, encoding)
    if not text.strip():
        raise IngestError(EMPTY_FILE.format(file=path.name))
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        grid = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
        raise IngestError(CORRUPT_CSV.format(file=path.name, why=_short(exc))) from None
    names = header_names(grid.iloc[0].tolist(), path.name, "row 1 (header)")
    _check_lone_cr(text, sep, path.name)
    data = grid.iloc[1:].reset_index(drop=True)
    data.columns = [name or f"Unnamed: {i}" for i, name in enumerate(names)]
    # Physical rows: header on row 1, data from row 2; blank lines kept so numbers stay true.
    row_numbers = np.arange(2, len(data) + 2)
    data = _clean_text_frame(data, na_values)
    blank = data.isna().all(axis=1).to_numpy()
    if blank.any():
        notes.append(f"{path.name}: {int(blank.sum())} blank line(s) skipped")
        data = data.loc[~blank].reset_index(drop=True)
        row_numbers = row_numbers[~blank]
    return RawFrame(path.name, data, row_numbers, header_row=1, notes=notes)


_LONE_CR = re.compile(r"\r(?!\n)")


def _check_lone_cr(text: str, sep: str, file: str) -> None:
    """A carriage return alone in a file of line-feed lines ends a row where the C parser sees
    it: inside an unquoted cell it cuts the row in two, and the first half would be read as a
    row with its last cells blank. Such a row has fewer fields than the header: refused."""
    if "\n" not in text or not _LONE_CR.search(text):
        return
    records = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    expected = None
    try:
        for row, fields in enumerate(records, start=1):
            if expected is None:
                expected = len(fields)
            elif fields and any(f.strip() for f in fields) and len(fields) < expected:
                raise IngestError(
                    SHORT_ROW.format(file=file, row=row, found=len(fields), expected=expected)
                )
    except csv.Error:  # e.g. a cell over csv's field size limit: pandas has read it already
        return


def _clean_text_frame(data: pd.DataFrame, na_values: list[str]) -> pd.DataFrame:
    missing = {v.strip() for v in na_values}
    cleaned = {}
    for name in data.columns:
        col = data[name].astype("string[pyarrow]")
        arr = pa.array(col.array)
        arr = to_nfc(pc.utf8_trim_whitespace(arr))
        arr = pc.if_else(pc.is_in(arr, pa.array(sorted(missing))), None, arr)
        cleaned[name] = pd.Series(pd.arrays.ArrowStringArray(arr), index=data.index)
    return pd.DataFrame(cleaned, index=data.index, columns=data.columns)


def _clean_header(name: object) -> str:
    text = str(name).replace("\ufeff", "").replace("\x00", "")
    return unicodedata.normalize("NFC", text.strip())


def excel_sheet_names(path: Path) -> list[str]:
    try:
        with pd.ExcelFile(path) as book:
            return [str(name) for name in book.sheet_names]
    except Exception as exc:  # openpyxl raises many types for corrupt workbooks
        raise IngestError(CORRUPT_EXCEL.format(file=path.name, why=_short(exc))) from None


def _excel_grid(path: Path, sheet: str, rows: int | None = None) -> pd.DataFrame:
    try:
        return pd.read_excel(path, sheet_name=sheet, header=None, dtype=object, nrows=rows)
    except Exception as exc:  # a workbook whose sheet XML is damaged
        label = f"{path.name} sheet {sheet!r}"
        raise IngestError(CORRUPT_EXCEL.format(file=label, why=_short(exc))) from None


def choose_sheet(
    path: Path, sheets: list[str], table: str | None, expected: list[str], search_rows: int
) -> str:
    """The sheet holding ``table``: the only one, the one named after it, else the first whose
    first rows hold a header with the ``expected`` columns; the error lists the sheets seen."""
    if not sheets:
        raise IngestError(CORRUPT_EXCEL.format(file=path.name, why="no sheets"))
    if len(sheets) == 1 or (table is None and not expected):
        return sheets[0]
    if table is not None:
        for name in sheets:
            if name.strip().casefold() == table.casefold():
                return name
    wanted = set(expected)
    for name in sheets:
        grid = _excel_grid(path, name, rows=search_rows)
        if wanted and _header_index(grid, wanted, search_rows) is not None:
            return name
    raise IngestError(
        NO_TABLE_SHEET.format(
            file=path.name, table=table, columns=sorted(wanted), rows=search_rows, sheets=sheets
        )
    )


def _read_excel(
    path: Path,
    *,
    sheet: str | None,
    table: str | None,
    header_row: int | None,
    na_values: list[str],
    expected_columns: list[str],
    search_rows: int,
) -> RawFrame:
    sheets = excel_sheet_names(path)
    chosen = (
        sheet
        if sheet is not None
        else choose_sheet(path, sheets, table, expected_columns, search_rows)
    )
    if chosen not in sheets:
        raise IngestError(NO_SHEET.format(file=path.name, sheet=chosen, sheets=sheets))
    grid = _excel_grid(path, chosen)
    label = f"{path.name} sheet {chosen!r}"
    if grid.empty:
        raise IngestError(EMPTY_FILE.format(file=label))
    if header_row is not None:
        header_index = header_row - 1
    else:
        found = _header_index(grid, set(expected_columns), search_rows)
        if found is None:
            raise IngestError(
                NO_HEADER.format(
                    file=path.name,
                    sheet=chosen,
                    rows=search_rows,
                    columns=sorted(expected_columns),
                )
            )
        header_index = found
    if header_index >= len(grid):
        raise IngestError(EMPTY_FILE.format(file=f"{label} (header row {header_index + 1})"))
    names = header_names(grid.iloc[header_index].tolist(), label, f"row {header_index + 1}")
    body = grid.iloc[header_index + 1 :].reset_index(drop=True)
    keep = [name is not None for name in names]
    body = body.loc[:, keep]
    body.columns = [name for name in names if name is not None]
    row_numbers = np.arange(header_index + 2, header_index + 2 + len(body))
    data, nul = _clean_excel_cells(body, na_values)
    blank = data.isna().all(axis=1).to_numpy()
    data = data.loc[~blank].reset_index(drop=True)
    notes = [nul_note(label, nul, [], "cell")] if nul else []
    return RawFrame(label, data, row_numbers[~blank], header_row=header_index + 1, notes=notes)


def _header_index(grid: pd.DataFrame, wanted: set[str], search_rows: int) -> int | None:
    for i in range(min(search_rows, len(grid))):
        cells = {_clean_header(v) for v in grid.iloc[i].tolist() if pd.notna(v)}
        if wanted and wanted <= cells:
            return i
    return None


def _clean_excel_cells(body: pd.DataFrame, na_values: list[str]) -> tuple[pd.DataFrame, int]:
    """Excel cells keep their types (numbers, datetimes); text cells are trimmed and NFC'd,
    NUL characters removed (returned: how many)."""
    missing = {v.strip() for v in na_values}
    removed = 0

    def clean(value: object) -> object:
        nonlocal removed
        if isinstance(value, str):
            if "\x00" in value:
                removed += value.count("\x00")
                value = value.replace("\x00", "")
            text = unicodedata.normalize("NFC", value.strip())
            return None if text in missing else text
        if value is None or _is_nan(value):
            return None
        return value

    return body.apply(lambda col: col.map(clean)).astype(object), removed
