"""The contract: one definition, consistent, documented."""

from __future__ import annotations

from pathlib import Path

from hientai.contract import TABLES, TABLES_BY_NAME
from hientai.contract.docs import render_contract_markdown

ROOT = Path(__file__).resolve().parents[2]
PROTECTED = {
    "party_member",
    "party_join_date",
    "nationality",
    "gender",
    "ethnicity",
    "hometown_province",
    "religion",
    "birth_date",
}


def test_protected_attributes_are_exactly_the_policy_list() -> None:
    marked = {c.name for t in TABLES for c in t.columns if c.protected}
    assert marked == PROTECTED


def test_only_people_is_required() -> None:
    assert [t.name for t in TABLES if t.required] == ["people"]


def test_foreign_keys_point_at_earlier_tables_primary_keys() -> None:
    order = [t.name for t in TABLES]
    for table in TABLES:
        for column in table.columns:
            if column.references is None:
                continue
            target, key = column.references.split(".")
            assert TABLES_BY_NAME[target].primary_key == (key,), column.references
            assert order.index(target) <= order.index(table.name), column.references


def test_primary_keys_are_required_non_null_columns() -> None:
    for table in TABLES:
        for key in table.primary_key:
            column = table.column(key)
            assert column.required and not column.nullable, f"{table.name}.{key}"


def test_generated_contract_doc_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "data-contract.md").read_text(encoding="utf-8")
    assert committed == render_contract_markdown(), "run `make docs`"
    for table in TABLES:
        assert f"## `{table.name}`" in committed
    locked_rows = [
        line for line in committed.splitlines() if line.startswith("| `") and "🔒" in line
    ]
    assert len(locked_rows) == len(PROTECTED)
