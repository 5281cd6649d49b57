"""The house has floors: every import points down, never up or sideways into a floor above.

ground floor `hientai/` (settings, contract, ingest, storage, generator) < `features/` <
`models/` < `pipelines/` (flows, the results store, the run report) < `hientai_app/` (the
command, the scheduler, the review app).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOORS = ["hientai", "features", "models", "pipelines", "hientai_app"]


def imported_packages(path: Path) -> set[str]:
    """Top-level names of the project packages a module imports (at any depth in the file)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names & set(FLOORS)


def upward_imports(package: str) -> dict[str, set[str]]:
    above = set(FLOORS[FLOORS.index(package) + 1 :])
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        bad = imported_packages(path) & above
        if bad:
            found[str(path.relative_to(ROOT))] = bad
    return found


@pytest.mark.parametrize("package", FLOORS)
def test_every_import_points_down(package: str) -> None:
    assert upward_imports(package) == {}


def test_an_upward_import_is_caught(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from pipelines.nightly import nightly\n", encoding="utf-8")
    assert imported_packages(module) == {"pipelines"}


def test_command_modules_share_only_the_common_module() -> None:
    # cli.py and cli_nightly.py once imported each other; each command module now takes what it
    # shares from hientai_app.cli.common and nothing from its siblings.
    for path in (ROOT / "hientai_app" / "cli").glob("*.py"):
        if path.stem in {"__init__", "common"}:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        siblings = {
            node.module
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
            and node.module
            and node.module.startswith("hientai_app.cli")
        }
        assert siblings <= {"hientai_app.cli.common"}, path.name
