"""Mapping files: how a source extract's files and columns become contract tables.

A mapping is YAML (see ``conf/mappings/`` and ``docs/mapping.md``). Each contract table lists
one or more sources; each source names a file (and sheet), optional row conditions
(``where``), and how to produce each contract column: copy a source column, a constant, a
template over source columns, or a choice between values by conditions (``when``), then
optionally a value map, arithmetic, date formats and a date part, or a date a number of years
before a reference date. Nothing in a mapping is code. Without a mapping, an extract is a
folder of ``<table>.csv|parquet|xlsx`` files already named as in the contract.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import string
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from hientai.contract import TABLES, get_table
from hientai.ingest.errors import (
    NO_PEOPLE,
    TWO_FILES,
    YAML_RECURSIVE,
    YAML_TOO_LARGE,
    IngestError,
)
from hientai.ingest.readers import excel_sheet_names
from hientai.settings import validation_problems

SOURCE_SUFFIXES = (".parquet", ".csv", ".xlsx")

Op = Literal["==", "!=", "<", "<=", ">", ">=", "in", "not_in", "blank", "not_blank"]
ORDERING_OPS = ("<", "<=", ">", ">=")
DatePart = Literal["year", "month", "day"]
# A value a mapping can write directly (YAML scalars).
Constant = str | bool | int | float | dt.date | None


class Condition(BaseModel):
    """A test on each source row: ``column`` against a ``value`` or an ``other`` column.

    ``==``/``!=``/``in``/``not_in`` compare cell text; ``<``, ``<=``, ``>``, ``>=`` compare
    numbers, or dates when ``date_format`` is given or ``value`` is a date. A blank or
    unreadable cell makes every test false except ``blank``.
    """

    model_config = ConfigDict(extra="forbid")
    column: str
    op: Op = "=="
    value: Any = None
    other: str | None = None
    date_format: str | list[str] | None = None

    @model_validator(mode="after")
    def _operands(self) -> Condition:
        given = (self.value is not None) + (self.other is not None)
        if self.op in ("blank", "not_blank"):
            if given:
                raise ValueError(f"op {self.op} takes no value or other column")
        elif self.op in ("in", "not_in"):
            if not isinstance(self.value, list) or self.other is not None:
                raise ValueError(f"op {self.op} needs value: a list of values")
        elif given != 1:
            raise ValueError(
                f"op {self.op!r} needs exactly one of value or other (another column); "
                "to test for a blank cell use op: blank"
            )
        ordered_value = isinstance(self.value, dt.date | int | float) and not isinstance(
            self.value, bool
        )
        if self.op in ORDERING_OPS and self.value is not None and not ordered_value:
            raise ValueError(f"op {self.op!r} compares numbers or dates, got {self.value!r}")
        if self.date_format is not None and self.op not in ORDERING_OPS:
            raise ValueError("date_format applies to <, <=, >, >= only")
        return self

    @property
    def compares_dates(self) -> bool:
        return self.date_format is not None or isinstance(self.value, dt.date)

    def source_columns(self) -> list[str]:
        return [self.column] + ([self.other] if self.other is not None else [])


def _conditions(data: Any) -> Any:
    """``where``/``if`` forms -> a list of condition dicts.

    ``{A: 1, B: [x, y]}`` is the shorthand for A == 1 and B in [x, y]; a dict with a
    ``column`` key is one condition; a list holds either form, all of which must hold.
    """
    if data is None:
        return None
    items = data if isinstance(data, list) else [data]
    out: list[Any] = []
    for item in items:
        if isinstance(item, dict) and "column" not in item:
            out += [_shorthand_condition(k, v) for k, v in item.items()]
        else:
            out.append(item)
    return out


def _shorthand_condition(column: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {"column": column, "op": "blank"}
    return {"column": column, "op": "in" if isinstance(value, list) else "==", "value": value}


class WhenBranch(BaseModel):
    """``if`` these conditions hold, ``then`` this value (a constant, or a column spec)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    if_: list[Condition] = Field(alias="if", min_length=1)
    then: BranchValue

    @field_validator("if_", mode="before")
    @classmethod
    def _if_forms(cls, data: Any) -> Any:
        return _conditions(data)


class ColumnSpec(BaseModel):
    """How one contract column is produced from a source row.

    One origin (``source``, ``constant``, ``template`` or ``when``), then in this order:
    ``values`` (a value map; values it does not list pass through unchanged), ``multiply`` and
    ``add`` (numbers), ``date_format``/``date_part`` (dates), ``years_before`` (a number of
    years -> a date).
    """

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    source: str | None = None
    constant: Any = None
    template: str | None = None
    when: list[WhenBranch] | None = Field(None, min_length=1)
    otherwise: BranchValue = Field(None, alias="else")
    values: dict[Any, Any] | None = None
    multiply: float | None = None
    add: float | None = None
    date_format: str | list[str] | None = None
    two_digit_years_from: int | None = Field(None, ge=1000, le=9999)
    date_part: DatePart | None = None
    years_before: dt.date | None = None

    @field_validator("date_format")
    @classmethod
    def _formats(cls, value: str | list[str] | None) -> str | list[str] | None:
        formats = [value] if isinstance(value, str) else value or []
        if value is not None and (not formats or not all("%" in f for f in formats)):
            raise ValueError("date_format: one strftime format or a list, e.g. '%d/%m/%Y'")
        return value

    @model_validator(mode="after")
    def _consistent_steps(self) -> ColumnSpec:
        origins = [self.source, self.constant, self.template, self.when]
        if sum(o is not None for o in origins) != 1:
            raise ValueError("give exactly one of source, constant, template or when")
        if "otherwise" in self.model_fields_set and self.when is None:
            raise ValueError("else belongs to a when")
        reads_dates = self.date_format is not None or self.date_part is not None
        if self.years_before is not None and (self.constant is not None or reads_dates):
            raise ValueError(
                "years_before reads a number of years from the source (not a constant or a "
                "date); use date_format or date_part for dates"
            )
        if reads_dates and (self.multiply is not None or self.add is not None):
            raise ValueError("multiply and add apply to numbers, not to dates")
        if self.two_digit_years_from is not None and not any("%y" in f for f in self.date_formats):
            raise ValueError("two_digit_years_from needs a date_format with %y")
        return self

    @property
    def date_formats(self) -> tuple[str, ...]:
        if isinstance(self.date_format, str):
            return (self.date_format,)
        return tuple(self.date_format or ())

    def source_columns(self) -> list[str]:
        """Every source column this spec reads, conditions and branches included."""
        found: list[str] = []
        if self.source is not None:
            found.append(self.source)
        if self.template is not None:
            found += template_fields(self.template)
        for branch in self.when or []:
            for condition in branch.if_:
                found += condition.source_columns()
            if isinstance(branch.then, ColumnSpec):
                found += branch.then.source_columns()
        if isinstance(self.otherwise, ColumnSpec):
            found += self.otherwise.source_columns()
        return list(dict.fromkeys(found))


class SourceSpec(BaseModel):
    """One file (or sheet) feeding one contract table."""

    model_config = ConfigDict(extra="forbid")
    file: str | None = None
    sheet: str | None = None
    header_row: int | None = Field(None, ge=1, description="1-based header row (Excel)")
    encoding: str | None = None
    where: list[Condition] | None = None
    distinct: bool = False
    columns: dict[str, ColumnSpec]

    @field_validator("where", mode="before")
    @classmethod
    def _where_forms(cls, data: Any) -> Any:
        return _conditions(data)

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

    def condition_columns(self) -> list[str]:
        return list(dict.fromkeys(c for cond in self.where or [] for c in cond.source_columns()))


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

    def fed_columns(self, table_name: str) -> list[str]:
        """Contract columns of ``table_name`` that at least one source gives a value."""
        named = {c for src in self.tables.get(table_name, []) for c in src.columns}
        return [c for c in get_table(table_name).column_names if c in named]


def _spec_or_constant(value: Any) -> str:
    return "spec" if isinstance(value, dict | ColumnSpec) else "constant"


# A branch's value: a column spec (a mapping in YAML) or a constant (a scalar). Told apart by
# their YAML shape, so that a mistake in either is reported alone.
BranchValue = Annotated[
    Annotated[ColumnSpec, Tag("spec")] | Annotated[Constant, Tag("constant")],
    Discriminator(_spec_or_constant),
]
WhenBranch.model_rebuild()
ColumnSpec.model_rebuild()


def template_fields(template: str) -> list[str]:
    return [field for _, field, _, _ in string.Formatter().parse(template) if field]


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; errors name the file and the offending key."""
    if not path.exists():
        raise IngestError(f"{path}: mapping file not found")
    text = path.read_bytes()
    try:
        node = yaml.compose(text.decode("utf-8-sig"), Loader=yaml.SafeLoader)
        _check_expanded_size(node, path)
        raw = yaml.safe_load(text.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: not valid YAML: {exc}") from None
    except RecursionError:
        raise IngestError(f"{path}: the YAML is nested too deeply to be a mapping") from None
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


MAX_YAML_VALUES = 100_000  # the largest shipped mapping holds a few hundred


def _check_expanded_size(root: yaml.Node | None, path: Path) -> None:
    """Refuse a YAML whose aliases expand to more than MAX_YAML_VALUES values (or into a loop)
    before it is built: every later step would walk the whole expansion. Counted per node
    once (aliases share their anchor's node), so the count itself stays cheap."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        if id(node) in sizes:
            return sizes[id(node)]
        if id(node) in open_nodes:
            raise IngestError(YAML_RECURSIVE.format(file=path))
        open_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            total = 1 + sum(size(child) for child in node.value)
        elif isinstance(node, yaml.MappingNode):
            total = 1 + sum(size(key) + size(value) for key, value in node.value)
        else:
            total = 1
        open_nodes.discard(id(node))
        sizes[id(node)] = min(total, MAX_YAML_VALUES + 1)
        if total > MAX_YAML_VALUES:
            raise IngestError(YAML_TOO_LARGE.format(file=path, limit=MAX_YAML_VALUES))
        return total

    if root is not None:
        size(root)


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
    # A link that leads nowhere is listed too, so that reading it says so (not "no table").
    found = [
        f"{table_name}{suffix}"
        for suffix in SOURCE_SUFFIXES
        if (source / f"{table_name}{suffix}").exists()
        or (source / f"{table_name}{suffix}").is_symlink()
    ]
    if len(found) > 1:
        raise IngestError(TWO_FILES.format(table=table_name, files=" and ".join(found)))
    return SourceSpec(file=found[0], columns={}) if found else None


def identity_columns(table_name: str, header: list[str]) -> dict[str, ColumnSpec]:
    """Contract columns present in a header, each copied from the column of the same name."""
    present = set(header)
    return {
        name: ColumnSpec(source=name)
        for name in get_table(table_name).column_names
        if name in present
    }
