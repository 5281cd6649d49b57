"""The HR extract contract: tables, columns, vocabularies and protected attributes."""

from hientai.contract.schema import Column, ColumnKind, RowRule, Table
from hientai.contract.tables import PROTECTED_TABLE, TABLES, TABLES_BY_NAME, get_table
from hientai.contract.vocab import CONTRACT_VERSION

__all__ = [
    "CONTRACT_VERSION",
    "PROTECTED_TABLE",
    "TABLES",
    "TABLES_BY_NAME",
    "Column",
    "ColumnKind",
    "RowRule",
    "Table",
    "get_table",
]
