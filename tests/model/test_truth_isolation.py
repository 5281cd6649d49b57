"""The synthetic extract's latent truth is never read by feature, model, pipeline or core code.

Only the generator (hientai/synth) writes it; only evaluation code explicitly allow-listed here
may read it, to measure whether the system finds real merit.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["features", "models", "pipelines", "hientai"]
# Modules allowed to mention the truth: the generator that writes it. Add evaluation-only
# modules here, one by one, with a reason.
ALLOWED = {ROOT / "hientai" / "synth"}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def truth_references(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstring_nodes(tree)
    found = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Name):
            names = [node.id]
        elif isinstance(node, ast.Attribute):
            names = [node.attr]
        elif isinstance(node, ast.alias):
            names = [node.name, node.asname or ""]
        elif isinstance(node, ast.arg):
            names = [node.arg]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            names = [node.value]
        found += [
            f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')}: {n!r}"
            for n in names
            if "truth" in n.lower() or n.lower() == "potential"
        ]
    return found


def _scanned_files() -> list[Path]:
    files = [p for folder in SCANNED for p in (ROOT / folder).rglob("*.py")]
    return [p for p in files if not any(allowed in p.parents for allowed in ALLOWED)]


def test_the_scan_finds_a_reference_when_there_is_one() -> None:
    planted = ROOT / "features" / "_planted_for_test.py"
    planted.write_text(
        'import pandas as pd\n\nlatent = pd.read_parquet("x/truth/truth.parquet")\n'
    )
    try:
        assert truth_references(planted)
    finally:
        planted.unlink()


def test_no_feature_model_or_pipeline_code_reads_the_truth() -> None:
    files = _scanned_files()
    assert any(p.parent.name == "ingest" for p in files)  # the scan really covers the core
    offenders = [ref for path in files for ref in truth_references(path)]
    assert offenders == []
