"""Drift every night (issue 12): tonight's features and score against the champion's training
rows and against the previous night, in drift.parquet, the report, MLflow and the run's
warnings. The nights run on the trained world's champion and snapshot, in a data folder of
their own; the shifted night ingests a copy of the world's extract with every rating changed.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hientai.settings import load_settings
from pipelines.flowruns import FlowRunLog
from pipelines.results_db import ResultsDB

pytestmark = pytest.mark.xdist_group("prefect")
FIRST, SAME, SHIFTED = "2026-01-01", "2026-01-02", "2026-01-03"
RATING_FEATURES = ("rating_last", "rating_mean_3y")


@pytest.fixture(scope="module")
def drift_world(
    first_training: dict,
    trained_world: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict, dict]:
    """(config, first night, an unchanged second night) in a data folder sharing the world's
    champion and snapshots."""
    from pipelines.nightly import nightly

    world = load_settings(trained_world[0])
    root = tmp_path_factory.mktemp("drift")
    data = root / "data"
    data.mkdir(mode=0o700)
    shutil.copy(world.data_dir / "mlflow.db", data / "mlflow.db")
    shutil.copytree(world.snapshots_dir, data / "snapshots")
    config = root / "conf.yaml"
    config.write_text(f"data_dir: {data}\ntoday: 2026-06-01\n", encoding="utf-8")
    first = nightly(as_of=FIRST, config=str(config))
    return config, first, nightly(as_of=SAME, config=str(config))


def _drift(night: dict) -> pd.DataFrame:
    return pd.read_parquet(Path(night["folder"]) / "drift.parquet").set_index("feature")


def test_the_first_night_compares_with_training_only(drift_world: tuple[Path, dict, dict]) -> None:
    _, first, _ = drift_world
    drift = _drift(first)
    features = drift.loc[drift["kind"] == "feature"]
    assert len(features) > 20 and drift.loc["score", "kind"] == "score"
    assert drift["psi_vs_previous"].isna().all()  # nothing before the first night
    assert features["psi_vs_training"].notna().all() and (features["psi_vs_training"] >= 0).all()
    assert np.isfinite(drift.loc["score", "psi_vs_training"])
    assert drift["missing_share"].between(0, 1).all()
    assert features["missing_share_training"].between(0, 1).all()
    tables = drift.loc[drift["kind"] == "table"]
    assert {"people", "evaluations"} <= set(tables.index)
    assert tables["missing_share"].between(0, 1).all()
    assert tables.loc["people", "missing_share"] > 0  # external candidates lack a hire date
    assert (Path(first["folder"]) / "drift_profile.json").is_file()
    assert first["counts"]["drift_warnings"] == len(first["drift_warnings"])
    assert first["counts"]["drift_warnings"] == int(drift["warning"].sum())


def test_an_unchanged_night_has_no_drift_against_the_previous_one(
    drift_world: tuple[Path, dict, dict],
) -> None:
    _, _, same = drift_world
    drift = _drift(same)
    columns = drift.loc[drift["kind"] != "table"]
    assert columns["psi_vs_previous"].notna().all()
    assert columns["psi_vs_previous"].max() < 0.01, columns["psi_vs_previous"].nlargest(3)
    tables = drift.loc[drift["kind"] == "table"]
    assert (tables["missing_share"] == tables["missing_share_previous"]).all()
    assert same["drift"]["psi_max_vs_previous"] < 0.01


def test_a_shifted_extract_is_reported_over_the_threshold_with_a_warning(
    drift_world: tuple[Path, dict, dict], trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    from mlflow import MlflowClient

    from pipelines.nightly import nightly

    config, _, _ = drift_world
    extract = tmp_path / "extract"
    shutil.copytree(
        trained_world[1].parent.parent, extract, ignore=shutil.ignore_patterns("truth")
    )
    evaluations = pd.read_parquet(extract / "evaluations.parquet")
    # Everyone rated "not completed" every year: the rating features leave their training bins.
    evaluations.assign(rating="not_completed").to_parquet(
        extract / "evaluations.parquet", index=False
    )
    shifted = nightly(extract=str(extract), as_of=SHIFTED, config=str(config))
    drift = _drift(shifted)
    threshold = load_settings(config).nightly.drift.psi_warning
    for feature in RATING_FEATURES:
        assert drift.loc[feature, "psi_vs_previous"] > threshold
        assert drift.loc[feature, "psi_vs_training"] > threshold
        assert drift.loc[feature, "warning"]
        assert any(line.startswith(f"feature {feature}:") for line in shifted["drift_warnings"])
    assert drift.loc["tenure_years", "psi_vs_previous"] < 0.01  # untouched by the shift
    assert shifted["counts"]["drift_warnings"] == int(drift["warning"].sum()) > 0
    report = Path(shifted["report"]).read_text(encoding="utf-8")
    assert 'id="drift-warnings"' in report and "rating_last" in report
    manifest = json.loads((Path(shifted["folder"]) / "manifest.json").read_text("utf-8"))
    assert manifest["drift_warnings"] == shifted["drift_warnings"]
    logged = MlflowClient(load_settings(config).tracking_uri).get_run(shifted["mlflow_run_id"])
    assert logged.data.metrics["drift.psi_max_vs_previous"] == pytest.approx(
        drift.loc[drift["kind"] == "feature", "psi_vs_previous"].max()
    )
    assert logged.data.metrics["count.drift_warnings"] == shifted["counts"]["drift_warnings"]
    history = FlowRunLog(ResultsDB(load_settings(config).app_db_url)).recent(limit=1)
    assert history["status"].iloc[0] == "completed"
    assert "drift over the thresholds" in history["reason"].iloc[0]
