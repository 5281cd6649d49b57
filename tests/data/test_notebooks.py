"""Notebooks run on a small extract, so they never rot; each is in sync with its source."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))

pytestmark = pytest.mark.slow


def test_every_notebook_has_a_source_script() -> None:
    assert [nb.stem for nb in NOTEBOOKS] == [
        src.stem for src in sorted((ROOT / "notebooks" / "src").glob("*.py"))
    ]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_matches_its_source(notebook: Path) -> None:
    source = jupytext.read(ROOT / "notebooks" / "src" / f"{notebook.stem}.py")
    committed = nbformat.read(notebook, as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in source.cells], (
        "run `make notebooks`"
    )


# Folders whose contents tools or the data itself may change while a notebook runs.
_NOT_OURS = {".git", ".venv", "data", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}


def _project_files() -> set[Path]:
    return {
        path.relative_to(ROOT)
        for path in ROOT.rglob("*")
        if not _NOT_OURS.intersection(path.relative_to(ROOT).parts)
    }


def _execute(notebook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HIENTAI_NOTEBOOK_PEOPLE", "3000")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    nb = nbformat.read(notebook, as_version=4)
    before = _project_files()
    # As Jupyter runs it: the kernel's working directory is the notebook's own folder.
    client = NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert errors == []
    assert _project_files() - before == set(), "a notebook wrote outside the data folder"


def test_exploration_notebook_executes(monkeypatch: pytest.MonkeyPatch) -> None:
    _execute(ROOT / "notebooks" / "01-explore-extract.ipynb", monkeypatch)


@pytest.mark.xdist_group("prefect")
def test_model_analysis_notebook_executes_on_a_trained_registry(
    first_training: dict, trained_world: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = trained_world
    monkeypatch.setenv("HIENTAI_CONFIG", str(config))
    _execute(ROOT / "notebooks" / "02-model-analysis.ipynb", monkeypatch)


@pytest.mark.xdist_group("prefect")
def test_fairness_audit_notebook_executes_on_a_published_night(
    first_night: dict, trained_world: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, _ = trained_world
    monkeypatch.setenv("HIENTAI_CONFIG", str(config))
    _execute(ROOT / "notebooks" / "03-fairness-audit.ipynb", monkeypatch)
