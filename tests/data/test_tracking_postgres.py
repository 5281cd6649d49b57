"""The MLflow tracking and registry work on the local PostgreSQL (a real database)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hientai.settings import Settings, TrainingSettings
from models.potential import PotentialClassifier

pytestmark = pytest.mark.postgres


def test_register_and_load_a_champion_on_postgresql(postgres_uri: str, tmp_path: Path) -> None:
    from hientai import tracking

    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        rng.normal(size=(600, 3)), columns=["kpi_achievement_3y", "rating_last", "awards_5y"]
    )
    y = (X["kpi_achievement_3y"] + rng.normal(size=600) > 1).to_numpy().astype(int)
    calibrate = np.arange(600) >= 450
    model = PotentialClassifier(params={"n_estimators": 20, "min_child_samples": 10}).fit(
        X, y, calibrate_on=calibrate
    )
    settings = Settings(data_dir=tmp_path, training=TrainingSettings(tracking_uri=postgres_uri))
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "model_card.md").write_text("# card\n", encoding="utf-8")
    registered = tracking.log_and_register(
        settings,
        classifier=model,
        params={"k": 10},
        metrics={"ndcg_at_10": 0.5},
        tags={"snapshot_id": "s1"},
        artifacts=tmp_path / "report",
    )
    client = tracking.connect(settings)
    tracking.set_alias(client, "hientai-potential", "champion", registered.version, "test")
    loaded, version = tracking.load_champion(settings)
    assert str(version.version) == registered.version == "1"
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    assert tracking.run_metrics(client, version) == {"ndcg_at_10": 0.5}
