"""Training end to end: a small synthetic extract, a temporary MLflow store, the gate at work."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from hientai.settings import load_settings
from tests.conftest import training_config_text

if TYPE_CHECKING:
    from pipelines.train import TrainingInputs

pytestmark = pytest.mark.xdist_group("prefect")


def test_train_registers_a_champion_then_refuses_worse_or_unfair_models(
    first_training: dict, trained_world: tuple[Path, Path]
) -> None:
    from hientai import tracking
    from pipelines.train import train

    config, truth = trained_world
    first = first_training
    assert first["promoted"] and first["version"] == "1", first["reasons"]
    assert first["as_of_dates"][-1] == "2024-01-01"  # 2-year horizon ends at the extract's end
    assert {"lightgbm_classifier", "logistic_regression", "seniority_plus_last_rating"} <= set(
        first["baselines"]
    )
    assert "merit_precision_at_10" in first["baselines"]["lightgbm_classifier"]
    second = train(config=str(config), truth=str(truth))  # same data and seed: not better
    assert not second["promoted"]
    assert second["reasons"] == [
        f"ndcg_at_10 {second['metrics']['ndcg_at_10']:.4f} does not beat the champion's "
        f"{first['metrics']['ndcg_at_10']:.4f}"
    ]
    strict = config.parent / "strict.yaml"
    strict.write_text(training_config_text(config.parent, floor=0.99), encoding="utf-8")
    third = train(config=str(strict), truth=str(truth))
    assert not third["promoted"]
    assert any(
        "min_impact_ratio" in r and "below the threshold 0.990" in r for r in third["reasons"]
    )
    settings = load_settings(config)
    client = tracking.connect(settings)
    name = settings.training.model_name
    assert str(tracking.alias_version(client, name, "champion").version) == "1"
    assert str(tracking.alias_version(client, name, "challenger").version) == "3"
    run = client.get_run(first["run_id"])
    assert run.data.tags["snapshot_id"] and len(run.data.tags["config_hash"]) == 12
    artifacts = {a.path for a in client.list_artifacts(first["run_id"], "report")}
    assert {
        "report/model_card.md",
        "report/shap_summary.png",
        "report/fairness_impact_ratios.csv",
    } <= artifacts
    card = Path(client.download_artifacts(first["run_id"], "report/model_card.md")).read_text()
    assert "## Intended use" in card and "## Out-of-scope use" in card


def test_champion_serves_the_evaluated_scores(
    first_training: dict, trained_world: tuple[Path, Path]
) -> None:
    from features.build import build_features
    from hientai import tracking
    from pipelines.build_features import snapshot_tables

    config, _ = trained_world
    settings = load_settings(config)
    classifier, version = tracking.load_champion(settings)
    _, tables = snapshot_tables(settings, None)
    features = build_features(tables, "2025-06-01")
    probability = classifier.predict_proba(features)
    assert str(version.version) == "1"
    assert probability.shape == (len(features),)
    assert probability.min() >= 0.0 and probability.max() <= 1.0
    contributions = classifier.contributions(features)
    np.testing.assert_allclose(
        contributions.sum(axis=1), classifier.raw_score(features), atol=1e-9
    )


def _latest_dates(config: Path, n: int) -> tuple[TrainingInputs, pd.DataFrame, pd.DataFrame]:
    """The world's training inputs and the frame and groups of its ``n`` latest dates."""
    from pipelines.train import prepare_training

    inputs = prepare_training(load_settings(config), None)
    latest = inputs.frame["as_of"].isin(inputs.dates[-n:]).to_numpy()
    frame = inputs.frame.loc[latest].reset_index(drop=True)
    return inputs, frame, inputs.groups.loc[latest].reset_index(drop=True)


def test_training_is_reproducible(trained_world: tuple[Path, Path]) -> None:
    from models.experiment import ExperimentConfig, run_experiment

    config, _ = trained_world
    inputs, frame, groups = _latest_dates(config, 3)
    dates = inputs.dates
    experiment = ExperimentConfig(params={"n_estimators": 60}, bootstrap_draws=10, seed=5)
    a = run_experiment(frame, groups, config=experiment)
    b = run_experiment(frame, groups, config=experiment)
    valid = frame.loc[frame["as_of"] == pd.Timestamp(dates[-1])]
    np.testing.assert_array_equal(
        a.classifier.predict_proba(valid), b.classifier.predict_proba(valid)
    )
    np.testing.assert_array_equal(a.ranker.score(valid), b.ranker.score(valid))
    assert a.model.metrics == b.model.metrics
    c = run_experiment(
        frame,
        groups,
        config=ExperimentConfig(params={"n_estimators": 60}, bootstrap_draws=10, seed=6),
    )
    assert not np.array_equal(a.classifier.raw_score(valid), c.classifier.raw_score(valid))


@pytest.mark.postgres
def test_the_training_flow_runs_on_a_postgresql_store(
    prefect_harness: None, trained_world: tuple[Path, Path], postgres_uri: str
) -> None:
    from hientai import tracking
    from pipelines.train import train

    config, truth = trained_world
    on_postgres = config.parent / "postgres.yaml"
    on_postgres.write_text(
        training_config_text(config.parent, floor=0.1).replace(
            "training:\n", f"training:\n  tracking_uri: {postgres_uri}\n"
        ),
        encoding="utf-8",
    )
    result = train(config=str(on_postgres), truth=str(truth))
    assert result["promoted"] and result["version"] == "1"
    settings = load_settings(on_postgres)
    classifier, version = tracking.load_champion(settings)
    assert str(version.version) == "1" and len(classifier.feature_names_) > 30


def test_two_usable_dates_train_with_one_training_date(trained_world: tuple[Path, Path]) -> None:
    """An extract of two usable dates (a short history): the latest validates, the other
    trains, and calibration takes a fifth of its people instead of every training row (which
    left the trees nothing to fit on: "Input data must be 2 dimensional and non empty")."""
    from models.experiment import ExperimentConfig, _calibration_rows, run_experiment

    config, _ = trained_world
    inputs, frame, groups = _latest_dates(config, 2)
    experiment = ExperimentConfig(params={"n_estimators": 40}, bootstrap_draws=10, seed=5)
    train_rows, _ = experiment.split_rows(frame)
    calibrate = _calibration_rows(frame.iloc[train_rows].reset_index(drop=True), experiment)
    assert 0.15 < calibrate.mean() < 0.25  # a fifth of the people, all their rows
    result = run_experiment(frame, groups, config=experiment)
    valid = frame.loc[frame["as_of"] == pd.Timestamp(inputs.dates[-1])]
    assert result.model.metrics["roc_auc"] > 0.6
    assert np.unique(result.classifier.predict_proba(valid)).size > 10


def test_the_ranker_comparison_can_be_left_out(trained_world: tuple[Path, Path]) -> None:
    """training.compare_ranker: false trains no ranker and changes nothing else (the
    classifier, its measures and the baselines are the same)."""
    from models.experiment import ExperimentConfig, run_experiment

    config, _ = trained_world
    _, frame, groups = _latest_dates(config, 3)
    both = ExperimentConfig(params={"n_estimators": 40}, bootstrap_draws=10, seed=5)
    alone = ExperimentConfig(
        params={"n_estimators": 40}, bootstrap_draws=10, seed=5, compare_ranker=False
    )
    a, b = run_experiment(frame, groups, config=both), run_experiment(frame, groups, config=alone)
    assert list(a.scored) == [
        "lightgbm_classifier", "lightgbm_ranker", "logistic_regression",
        "seniority_plus_last_rating",
    ]  # fmt: skip
    assert b.ranker is None and list(b.scored) == [n for n in a.scored if n != "lightgbm_ranker"]
    for name in b.scored:
        assert b.scored[name].metrics == a.scored[name].metrics
    assert load_settings(config).training.compare_ranker is True
