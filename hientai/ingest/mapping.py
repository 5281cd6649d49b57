"""Mapping files: how a source extract's files and columns become contract tables.

A mapping is YAML (see ``conf/mappings/``). Each contract table lists one or more sources;
each source names a file (and sheet), optional row filter, and how to produce each contract
column: copy a source column, a constant, a template over source columns, a value map, a date
format, or a date a number of years before a reference date. Without a mapping, an extract is a
folder of ``<table>.csv|parquet|xlsx`` files already named as in the contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from hientai.contract import TABLES, get_table
from hientai.ingest.errors import NO_PEOPLE, IngestError
from hientai.ingest.readers import excel_sheet_names
from hientai.settings import validation_problems

SOURCE_SUFFIXES = (".parquet", ".csv", ".xlsx")


class ColumnSpec(BaseModel):
    """How one contract column is produced from a source row."""

    model_config = ConfigDict(extra="forbid")
    source: str | None = None
    constant: Any = None
    template: str | None = None
    values: dict[Any, Any] | None = None
    date_format: str | None = None
    years_before: dt.date | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnSpec:
        origins = [self.source is not None, self.constant is not None, self.template is not None]
        if sum(origins) != 1:
            raise ValueError("give exactly one of source, constant or template")
        if self.years_before is not None and self.source is None:
            raise ValueError("years_before needs a source column holding a number of years")
        return self

    def source_columns(self) -> list[str]:
        if self.source is not None:
            return [self.source]
        if self.template is not None:
            return template_fields(self.template)
        return []


class SourceSpec(BaseModel):
    """One file (or sheet) feeding one contract table."""

    model_config = ConfigDict(extra="forbid")
    file: str | None = None
    sheet: str | None = None
    header_row: int | None = Field(None, ge=1, description="1-based header row (Excel)")
    encoding: str | None = None
    where: dict[str, Any] | None = None
    distinct: bool = False
    columns: dict[str, ColumnSpec]

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        # `person_id: emp_id` is shorthand for `person_id: {source: emp_id}`.
        if isinstance(data, dict) and isinstance(data.get("columns"), dict):
            data = dict(data)
            data["columns"] = {
                k: ({"source": spec} if isinstance(spec, str) else spec)
                for k, spec in data["columns"].items()
            }
        return data


class Mapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    encoding: str | None = None
    tables: dict[str, list[SourceSpec]]
    path: Path | None = Field(None, exclude=True)
    sha256: str | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _known_tables_and_columns(self) -> Mapping:
        for table_name, sources in self.tables.items():
            table = get_table(table_name)
            for i, src in enumerate(sources):
                unknown = sorted(set(src.columns) - set(table.column_names))
                if unknown:
                    raise ValueError(
                        f"tables.{table_name}[{i}].columns: {unknown} are not columns of "
                        f"contract table {table_name} ({', '.join(table.column_names)})"
                    )
        return self

    @property
    def label(self) -> str:
        return str(self.path) if self.path else f"mapping {self.name}"


def template_fields(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; errors name the file and the offending key."""
    if not path.exists():
        raise IngestError(f"{path}: mapping file not found")
    text = path.read_bytes()
    try:
        raw = yaml.safe_load(text.decode("utf-8-sig"))
    except yaml.YAMLError as exc:
        raise IngestError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise IngestError(f"{path}: expected a mapping with name and tables at the top level")
    try:
        mapping = Mapping.model_validate(raw)
    except ValidationError as exc:
        problems = validation_problems(exc)
        raise IngestError(f"{path}: {problems}") from None
    except KeyError as exc:
        raise IngestError(f"{path}: {exc.args[0]}") from None
    return mapping.model_copy(update={"path": path, "sha256": hashlib.sha256(text).hexdigest()})


def identity_mapping(source: Path) -> Mapping:
    """Mapping for an extract already in contract form: a folder of table files or a workbook."""
    tables: dict[str, list[SourceSpec]] = {}
    sheets = (
        set(excel_sheet_names(source))
        if source.is_file() and source.suffix.lower() == ".xlsx"
        else None
    )
    for table in TABLES:
        if sheets is not None and table.name not in sheets:
            continue
        spec = _identity_source(source, table.name)
        if spec is not None:
            tables[table.name] = [spec]
    if "people" not in tables:
        raise IngestError(NO_PEOPLE.format(source=source))
    return Mapping(name="contract", description="files named as contract tables", tables=tables)


def _identity_source(source: Path, table_name: str) -> SourceSpec | None:
    # Columns are filled in by the reader from the file's header (see ``resolve_identity``).
    if source.is_file() and source.suffix.lower() == ".xlsx":
        return SourceSpec(file=source.name, sheet=table_name, columns={})
    for suffix in SOURCE_SUFFIXES:
        candidate = source / f"{table_name}{suffix}"
        if candidate.exists():
            return SourceSpec(file=candidate.name, columns={})
    return None


def identity_columns(table_name: str, header: list[str]) -> dict[str, ColumnSpec]:
    """Contract columns present in a header, each copied from the column of the same name."""
    present = set(header)
    return {
        name: ColumnSpec(source=name)
        for name in get_table(table_name).column_names
        if name in present
    }
