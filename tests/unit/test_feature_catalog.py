"""The feature catalog is complete, bilingual and documented."""

from __future__ import annotations

import ast
from pathlib import Path

from features.build import build_features
from features.catalog import DIMENSIONS, FEATURE_NAMES, FULL_CATALOG
from features.docs import render_catalog_markdown
from hientai.contract import get_table
from tests.featurekit import random_extract

ROOT = Path(__file__).resolve().parents[2]


def test_every_entry_is_complete_and_unique() -> None:
    assert len(set(FEATURE_NAMES)) == len(FEATURE_NAMES)
    for spec in FULL_CATALOG:
        assert spec.dimension in DIMENSIONS, spec.name
        assert spec.description_en.strip() and spec.description_vi.strip(), spec.name
        assert spec.description_en != spec.description_vi, spec.name
        assert spec.unit, spec.name


def test_every_dimension_has_several_features() -> None:
    for dimension in DIMENSIONS:
        members = [f for f in FULL_CATALOG if f.dimension == dimension]
        assert len(members) >= 3, dimension


def test_the_build_produces_exactly_the_catalog() -> None:
    built = build_features(random_extract(0), "2021-01-01")
    assert list(built.columns[5:]) == list(FEATURE_NAMES)


def test_political_theory_is_declared_a_party_proxy_risk() -> None:
    spec = next(f for f in FULL_CATALOG if f.name == "political_theory_level")
    assert "Party" in spec.proxy_risk


def test_generated_catalog_doc_is_up_to_date() -> None:
    committed = (ROOT / "docs" / "feature-catalog.md").read_text(encoding="utf-8")
    assert committed == render_catalog_markdown(), "run `make docs`"
    assert all(f"`{name}`" in committed for name in FEATURE_NAMES)


def test_feature_code_never_names_a_protected_column() -> None:
    """Only the proxy audit may name protected attributes (it measures them)."""
    protected = set(get_table("people").protected_columns)
    offenders = []
    for path in sorted((ROOT / "features").glob("*.py")):
        if path.name == "proxy.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and node.value in protected:
                offenders.append(f"{path.name}:{node.lineno}: {node.value}")
            if isinstance(node, ast.Attribute) and node.attr == "read_protected":
                offenders.append(f"{path.name}:{node.lineno}: read_protected")
    assert offenders == []
