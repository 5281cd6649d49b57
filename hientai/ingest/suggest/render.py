"""The YAML text of a suggested mapping: blocks of contract columns, with comments.

Written by hand rather than dumped, because the comments (what was guessed, what could not be
mapped) are half of the suggestion. What cannot be used as it is is written commented out, so
the text always loads as a mapping and an ingest of it never fails on a guess.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from dataclasses import dataclass

import yaml
from pydantic import ValidationError

from hientai.contract import TABLES
from hientai.ingest.mapping import Mapping

PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_ .-]*")
# Words YAML 1.1 reads as booleans or null: always quoted.
YAML_WORDS = frozenset({"y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"})
WIDTH = 99


@dataclass
class Line:
    """One contract column of a source: its spec (a source column name or a dict)."""

    column: str
    spec: object
    comment: str = ""
    enabled: bool = True


@dataclass
class Block:
    """One source (file) of one contract table."""

    table: str
    file: str
    comment: str
    lines: list[Line]
    where: dict[str, object] | None = None
    distinct: bool = False
    enabled: bool = True


def render(
    *,
    name: str,
    source: str,
    as_of: dt.date,
    blocks: list[Block],
    unmapped: list[str],
    notes: list[str],
) -> str:
    out = _header(name, source, as_of, unmapped, notes)
    out += [f"name: {_scalar(name)}", f"description: {_scalar('Suggested for ' + source)}"]
    out.append("tables:")
    for table in TABLES:
        mine = [b for b in blocks if b.table == table.name]
        if not mine:
            continue
        enabled = any(b.enabled for b in mine)
        out.append(("  " if enabled else "  # ") + f"{table.name}:")
        for block in mine:
            out += _block(block, commented=not block.enabled)
    text = "\n".join(out) + "\n"
    _check_loads(text)
    return text


def _header(
    name: str, source: str, as_of: dt.date, unmapped: list[str], notes: list[str]
) -> list[str]:
    lines = [
        f"Suggested by `hientai mapping suggest` from {source}: a starting point to check and "
        "edit, not a finished mapping. Try it (nothing is published) with:",
        f"  hientai mapping check {name}.yaml {source}",
        "docs/mapping.md explains every feature of a mapping and what each table feeds.",
        "",
        f"Read as of {as_of:%Y-%m-%d}: durations count back from this day and undated records "
        "are dated just before it. Change it everywhere to the day the extract was taken. "
        "Lines commented out below need a decision (a value to map, a code to look up).",
    ]
    if unmapped:
        lines += ["", "Not mapped (the column is left out; a blank contract column is missing):"]
        lines += [f"  - {item}" for item in unmapped]
    if notes:
        lines += ["", "Notes:"] + [f"  - {note}" for note in notes]
    wrapped: list[str] = []
    for line in lines:
        indent = "      " if line.startswith("  - ") else ""
        parts = textwrap.wrap(
            line, WIDTH - 2, subsequent_indent=indent, break_on_hyphens=False
        ) or [""]
        wrapped += [f"# {part}".rstrip() for part in parts]
    return wrapped


def _block(block: Block, *, commented: bool) -> list[str]:
    lines = [f"    # {block.comment}", f"    - file: {_scalar(block.file)}"]
    if block.distinct:
        lines.append("      distinct: true")
    if block.where is not None:
        lines.append(f"      where: {_flow(block.where)}")
    lines.append("      columns:")
    for line in block.lines:
        lines += _column(line)
    if commented:
        lines = [line if line.lstrip().startswith("#") else _comment_out(line) for line in lines]
    return lines


def _column(line: Line, indent: str = "        ") -> list[str]:
    """One column as a single line if it fits, else its comment above and block style."""
    mark = "" if line.enabled else "# "
    text = f"{indent}{mark}{line.column}: {_flow(line.spec)}"
    if len(text) + len(line.comment) + 4 <= WIDTH:
        return [text + (f"  # {line.comment}" if line.comment else "")]
    above = [f"{indent}# {part}" for part in textwrap.wrap(line.comment, WIDTH - len(indent) - 2)]
    return above + _nested(line.column, line.spec, indent, mark)


def _nested(key: str, value: object, indent: str, mark: str) -> list[str]:
    text = f"{indent}{mark}{key}: {_flow(value)}"
    if len(text) <= WIDTH or not isinstance(value, dict):
        return [text]
    inner = indent + "  "
    return [f"{indent}{mark}{key}:"] + [
        line for k, v in value.items() for line in _nested(_scalar(k), v, inner, mark)
    ]


def _comment_out(line: str) -> str:
    stripped = line.lstrip()
    return line[: len(line) - len(stripped)] + "# " + stripped


def _flow(value: object) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_flow(v) for v in value) + "]"
    return _scalar(value)


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if PLAIN.fullmatch(text) and text == text.strip() and text.lower() not in YAML_WORDS:
        return text
    return json.dumps(text, ensure_ascii=False)


def _check_loads(text: str) -> None:
    """The suggestion must load as a mapping; if not, this module has a bug."""
    try:
        Mapping.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise RuntimeError(f"the suggested mapping does not load (a bug): {exc}") from exc
