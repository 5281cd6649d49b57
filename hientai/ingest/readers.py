"""Read CSV, Parquet and Excel sources into raw frames that remember each row's number.

Row numbers are what a person sees when they open the file: for CSV and Excel the physical
row (the header is row 1, or the row it was found on); for Parquet the 1-based record number.
Text is trimmed and normalised to Unicode NFC; cells matching the configured missing-value
tokens become missing. Nothing is coerced to contract types here.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hientai.ingest.errors import EMPTY_FILE, NO_HEADER, UNDECODABLE, IngestError

FALLBACK_ENCODING = "cp1258"  # Windows-1258, still common for Vietnamese exports


@dataclass
class RawFrame:
    """A source file's rows, untyped, with where each row came from."""

    label: str  # file name, plus sheet for Excel; used in every message
    data: pd.DataFrame
    row_numbers: np.ndarray  # the row number a person sees, per row of `data`
    header_row: int  # the row the header was found on (0 for Parquet)
    notes: list[str] = field(default_factory=list)


def read_source(
    path: Path,
    *,
    sheet: str | None = None,
    header_row: int | None = None,
    encoding: str | None = None,
    na_values: list[str],
    expected_columns: list[str],
    header_search_rows: int = 30,
) -> RawFrame:
    if not path.exists():
        raise IngestError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise IngestError(EMPTY_FILE.format(file=path.name))
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(path)
    if suffix == ".csv":
        return _read_csv(path, encoding=encoding, na_values=na_values)
    if suffix == ".xls":
        raise IngestError(
            f"{path.name}: legacy .xls workbooks are not read; save it as .xlsx (or CSV UTF-8)"
        )
    if suffix == ".xlsx":
        return _read_excel(
            path,
            sheet=sheet,
            header_row=header_row,
            na_values=na_values,
            expected_columns=expected_columns,
            search_rows=header_search_rows,
        )
    raise IngestError(f"{path}: unsupported file type {suffix!r}; use .csv, .parquet or .xlsx")


def _read_parquet(path: Path) -> RawFrame:
    table = pq.read_table(path)
    table = pa.table(
        {
            name: _clean_arrow_text(col)
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )
    data = table.to_pandas(types_mapper=string_types)
    return RawFrame(path.name, data, np.arange(1, len(data) + 1), header_row=0)


def string_types(arrow_type: pa.DataType) -> pd.ArrowDtype | pd.StringDtype | None:
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return pd.StringDtype("pyarrow")
    return None


def _clean_arrow_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """Trim and NFC-normalise text columns (dictionary-encoded ones are decoded first)."""
    if pa.types.is_dictionary(column.type) and pa.types.is_string(column.type.value_type):
        column = column.cast(pa.string())
    if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
        return column
    normalised = to_nfc(pc.utf8_trim_whitespace(column))
    return pc.if_else(pc.equal(normalised, ""), pa.scalar(None, pa.string()), normalised)


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
    texts = pc.filter(values, non_ascii).to_pylist()
    composed = pa.array([unicodedata.normalize("NFC", t) for t in texts], type=values.type)
    return pc.replace_with_mask(values, non_ascii, composed)


def _decode(path: Path, encoding: str | None) -> tuple[str, list[str]]:
    raw = path.read_bytes()
    if encoding:
        try:
            return raw.decode(encoding), []
        except (UnicodeDecodeError, LookupError) as exc:
            raise IngestError(f"{path.name}: cannot be read as {encoding}: {exc}") from None
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        first_error = exc.start
    try:
        text = raw.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError:
        raise IngestError(UNDECODABLE.format(file=path.name, position=first_error)) from None
    return text, [f"{path.name}: not UTF-8 (byte {first_error}); read as Windows-1258"]


def _read_csv(path: Path, *, encoding: str | None, na_values: list[str]) -> RawFrame:
    text, notes = _decode(path, encoding)
    if not text.strip():
        raise IngestError(EMPTY_FILE.format(file=path.name))
    try:
        dialect = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
        sep = dialect.delimiter
    except csv.Error:
        sep = ","
    try:
        data = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
        )
    except pd.errors.ParserError as exc:
        raise IngestError(f"{path.name}: not a readable CSV file: {exc}") from None
    # Physical rows: header on row 1, data from row 2; blank lines kept so numbers stay true.
    row_numbers = np.arange(2, len(data) + 2)
    data = _clean_text_frame(data, na_values)
    blank = data.isna().all(axis=1).to_numpy()
    if blank.any():
        notes.append(f"{path.name}: {int(blank.sum())} blank line(s) skipped")
        data = data.loc[~blank].reset_index(drop=True)
        row_numbers = row_numbers[~blank]
    return RawFrame(path.name, data, row_numbers, header_row=1, notes=notes)


def _clean_text_frame(data: pd.DataFrame, na_values: list[str]) -> pd.DataFrame:
    data = data.rename(columns=lambda c: _clean_header(c))
    missing = {v.strip() for v in na_values}
    cleaned = {}
    for name in data.columns:
        col = data[name].astype("string[pyarrow]")
        arr = pa.array(col.array)
        arr = to_nfc(pc.utf8_trim_whitespace(arr))
        arr = pc.if_else(pc.is_in(arr, pa.array(sorted(missing))), None, arr)
        cleaned[name] = pd.Series(pd.arrays.ArrowStringArray(arr), index=data.index)
    return pd.DataFrame(cleaned, index=data.index)


def _clean_header(name: object) -> str:
    return unicodedata.normalize("NFC", str(name).replace("\ufeff", "").strip())


def excel_sheet_names(path: Path) -> list[str]:
    try:
        with pd.ExcelFile(path) as book:
            return [str(name) for name in book.sheet_names]
    except Exception as exc:  # openpyxl raises many types for corrupt workbooks
        raise IngestError(f"{path.name}: not a readable Excel workbook: {exc}") from None


def _read_excel(
    path: Path,
    *,
    sheet: str | None,
    header_row: int | None,
    na_values: list[str],
    expected_columns: list[str],
    search_rows: int,
) -> RawFrame:
    sheets = excel_sheet_names(path)
    chosen = sheet if sheet is not None else sheets[0]
    if chosen not in sheets:
        raise IngestError(f"{path.name}: no sheet {chosen!r}; sheets: {sheets}")
    grid = pd.read_excel(path, sheet_name=chosen, header=None, dtype=object)
    label = f"{path.name} sheet {chosen!r}"
    if grid.empty:
        raise IngestError(EMPTY_FILE.format(file=label))
    header_index = (
        header_row - 1
        if header_row is not None
        else _find_header(grid, expected_columns, search_rows, path.name, chosen)
    )
    header = [_clean_header(v) for v in grid.iloc[header_index].tolist()]
    body = grid.iloc[header_index + 1 :].reset_index(drop=True)
    body.columns = header
    body = body.loc[:, [h not in ("", "nan") for h in header]]
    row_numbers = np.arange(header_index + 2, header_index + 2 + len(body))
    data = _clean_excel_cells(body, na_values)
    blank = data.isna().all(axis=1).to_numpy()
    data = data.loc[~blank].reset_index(drop=True)
    return RawFrame(label, data, row_numbers[~blank], header_row=header_index + 1)


def _find_header(
    grid: pd.DataFrame, expected: list[str], search_rows: int, file: str, sheet: str
) -> int:
    wanted = set(expected)
    for i in range(min(search_rows, len(grid))):
        cells = {_clean_header(v) for v in grid.iloc[i].tolist() if pd.notna(v)}
        if wanted and wanted <= cells:
            return i
    raise IngestError(
        NO_HEADER.format(file=file, sheet=sheet, rows=search_rows, columns=sorted(wanted))
    )


def _clean_excel_cells(body: pd.DataFrame, na_values: list[str]) -> pd.DataFrame:
    """Excel cells keep their types (numbers, datetimes); text cells are trimmed and NFC'd."""
    missing = {v.strip() for v in na_values}

    def clean(value: object) -> object:
        if isinstance(value, str):
            text = unicodedata.normalize("NFC", value.strip())
            return None if text in missing else text
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        return value

    return body.apply(lambda col: col.map(clean)).astype(object)
