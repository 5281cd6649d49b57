"""The synthetic extract's latent truth is never read by feature, model, pipeline or core code.

Only the generator (hientai/synth) writes it; only evaluation code explicitly allow-listed here
may read it, to measure whether the system finds real merit.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCANNED = ["features", "models", "pipelines", "hientai", "hientai_app"]
# Modules allowed to mention the truth, each with its reason:
ALLOWED = {
    # the generator, which writes it
    ROOT / "hientai" / "synth",
    # reads the truth file for evaluation on synthetic extracts only
    ROOT / "pipelines" / "merit.py",
    # receives latent merit as an array and scores held-out selections against it; fitting
    # never sees it (test_merit_never_reaches_the_fitted_models checks that)
    ROOT / "models" / "experiment.py",
    # receives each person's latent potential as a column and measures a published night
    # against it (precision and opportunity ratios); nothing that scores reads it
    ROOT / "models" / "merit_audit.py",
    # forward the `--truth` path of a synthetic extract to pipelines/merit.py, nothing more
    ROOT / "pipelines" / "train.py",
    ROOT / "hientai_app" / "cli" / "training.py",
    ROOT / "hientai_app" / "cli" / "merit.py",
}


def _docstring_nodes(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


# The review app's 9-box names its axis "potential" (the model's score, as planners say it):
# there only names containing "truth" count.
POTENTIAL_IS_A_WORD = ROOT / "hientai_app" / "review"


def truth_references(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstring_nodes(tree)
    word_only = POTENTIAL_IS_A_WORD in path.parents
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
            if "truth" in n.lower() or (n.lower() == "potential" and not word_only)
        ]
    return found


def _scanned_files() -> list[Path]:
    files = [p for folder in SCANNED for p in (ROOT / folder).rglob("*.py")]
    return [p for p in files if p not in ALLOWED and not any(a in p.parents for a in ALLOWED)]


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


def test_merit_never_reaches_the_fitted_models() -> None:
    import numpy as np

    from features.build import build_features
    from features.labels import LabelDefinition, training_frame
    from models.experiment import ExperimentConfig, run_experiment
    from tests.featurekit import random_extract

    tables = random_extract(5, n_people=300)
    dates = ["2019-01-01", "2020-01-01", "2021-01-01"]
    definition = LabelDefinition(horizon_years=2, leadership_only=False, min_rating_after=None)
    frame = training_frame(tables, dates, definition, build=build_features)
    groups = frame[["population"]].rename(columns={"population": "male"})
    config = ExperimentConfig(params={"n_estimators": 20, "min_child_samples": 5}, k=3)
    merit = np.random.default_rng(0).normal(size=len(frame))
    with_merit = run_experiment(frame, groups, config=config, potential=merit)
    without = run_experiment(frame, groups, config=config)
    valid = frame.loc[frame["as_of"] == frame["as_of"].max()]
    np.testing.assert_array_equal(
        with_merit.classifier.raw_score(valid), without.classifier.raw_score(valid)
    )
    assert "merit_spearman" in with_merit.model.metrics
    assert "merit_spearman" not in without.model.metrics
