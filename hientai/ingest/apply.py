"""Apply one mapping source to a raw frame: filter rows, build contract columns."""

from __future__ import annotations

import datetime as dt
import string
from typing import Any

import numpy as np
import pandas as pd

from hientai.contract import Table
from hientai.ingest.coerce import as_text
from hientai.ingest.errors import MISSING_COLUMN, UNMAPPED_REQUIRED, IngestError
from hientai.ingest.mapping import ColumnSpec, Mapping, SourceSpec
from hientai.ingest.readers import RawFrame

DAYS_PER_YEAR = 365.25


def yaml_text(value: object) -> str:
    """How a YAML scalar compares with cell text: 1 -> '1', True -> 'true', 1.0 -> '1'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def _missing_column(raw: RawFrame, column: str, why: str) -> IngestError:
    return IngestError(
        MISSING_COLUMN.format(
            file=raw.label,
            row=max(raw.header_row, 1),
            column=column,
            why=why,
            found=", ".join(map(str, raw.data.columns)),
        )
    )


def check_source_columns(
    raw: RawFrame, spec: SourceSpec, mapping: Mapping, table: Table, index: int
) -> None:
    """Every column the mapping names exists; every required contract column is produced."""
    found = set(raw.data.columns)
    where = f"{mapping.label} at tables.{table.name}[{index}]"
    for name, col_spec in spec.columns.items():
        for source_column in col_spec.source_columns():
            if source_column not in found:
                raise _missing_column(raw, source_column, f" (named by {where}.columns.{name})")
    for source_column in spec.where or {}:
        if source_column not in found:
            raise _missing_column(raw, source_column, f" (named by {where}.where)")
    for column in table.columns:
        if column.required and column.name not in spec.columns:
            if mapping.path is not None:
                raise IngestError(
                    UNMAPPED_REQUIRED.format(
                        mapping=mapping.label,
                        table=table.name,
                        index=index,
                        column=column.name,
                        file=raw.label,
                    )
                )
            raise _missing_column(raw, column.name, f" (required by contract table {table.name})")


def apply_source(raw: RawFrame, spec: SourceSpec) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Mapped frame (contract column names, raw values), row numbers, rows filtered out."""
    data, rows = raw.data, raw.row_numbers
    keep = np.ones(len(data), dtype=bool)
    for source_column, wanted in (spec.where or {}).items():
        choices = wanted if isinstance(wanted, list) else [wanted]
        texts = [yaml_text(w) for w in choices]
        keep &= as_text(data[source_column]).isin(texts).fillna(False).to_numpy(dtype=bool)
    filtered_out = int((~keep).sum())
    if filtered_out:
        data, rows = data.loc[keep].reset_index(drop=True), rows[keep]
    mapped = pd.DataFrame(
        {name: _column(data, col_spec) for name, col_spec in spec.columns.items()},
        index=data.index,
    )
    if spec.distinct:
        first = ~mapped.astype(str).duplicated().to_numpy()
        filtered_out += int((~first).sum())
        mapped, rows = mapped.loc[first].reset_index(drop=True), rows[first]
    return mapped, rows, filtered_out


def _column(data: pd.DataFrame, spec: ColumnSpec) -> pd.Series:
    if spec.constant is not None:
        values = pd.Series([spec.constant] * len(data), index=data.index, dtype=object)
    elif spec.template is not None:
        values = _template(data, spec.template)
    else:
        assert spec.source is not None
        values = data[spec.source]
    if spec.values is not None:
        values = _map_values(values, spec.values)
    if spec.years_before is not None:
        values = _years_before(values, spec.years_before)
    return values


def _template(data: pd.DataFrame, template: str) -> pd.Series:
    result = pd.Series("", index=data.index, dtype="string[pyarrow]")
    missing = np.zeros(len(data), dtype=bool)
    for literal, field, _, _ in string.Formatter().parse(template):
        if literal:
            result = result + literal
        if field:
            text = as_text(data[field])
            missing |= text.isna().to_numpy()
            result = result + text.fillna("")
    return result.mask(missing)


def _map_values(values: pd.Series, value_map: dict[Any, Any]) -> pd.Series:
    lookup = {yaml_text(k): v for k, v in value_map.items()}
    text = as_text(values)
    hit = text.isin(list(lookup)).fillna(False).to_numpy(dtype=bool)
    mapped = values.astype(object).copy()
    mapped[hit] = text[hit].map(lookup).to_numpy(dtype=object)
    return mapped.where(pd.notna(mapped), None)


def _years_before(values: pd.Series, reference: dt.date) -> pd.Series:
    """A date that many calendar years (fractions as days) before ``reference``."""
    numbers = pd.to_numeric(as_text(values), errors="coerce")
    ok = (numbers.notna() & (numbers >= 0) & (numbers < reference.year - 1)).to_numpy()
    whole = np.floor(numbers.where(ok, 0)).astype("int64")
    day = min(reference.day, 28) if reference.month == 2 else reference.day
    dates = pd.to_datetime(
        pd.DataFrame({"year": reference.year - whole, "month": reference.month, "day": day})
    ) - pd.to_timedelta((numbers.where(ok, 0) - whole) * DAYS_PER_YEAR, unit="D")
    out = values.astype(object).copy()
    out[ok] = dates[ok].dt.normalize().to_numpy(dtype=object)
    return out
