"""`hientai models list|promote|rollback` on a registry of its own (SQLite in a temp folder)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from hientai.settings import load_settings
from hientai_app.cli import app
from models.potential import PotentialClassifier


@pytest.fixture
def registry(tmp_path: Path) -> Path:
    """Three versions: 1 champion (fair), 2 fair, 3 unfair (impact ratio 0.1)."""
    from hientai import tracking

    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    (tmp_path / "data").mkdir()  # as ingestion leaves it
    settings = load_settings(config)
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(300, 2)), columns=["kpi_achievement_3y", "rating_last"])
    y = (X["kpi_achievement_3y"] > 0.5).to_numpy().astype(int)
    model = PotentialClassifier(params={"n_estimators": 5, "min_child_samples": 5}).fit(
        X, y, calibrate_on=np.arange(300) >= 200
    )
    (tmp_path / "report").mkdir()
    (tmp_path / "report" / "model_card.md").write_text("# card\n", encoding="utf-8")
    client = tracking.connect(settings)
    for ratio in (0.9, 0.85, 0.1):
        registered = tracking.log_and_register(
            settings,
            classifier=model,
            params={},
            tags={"gate": "test"},
            metrics={"ndcg_at_10": 0.3, "gate_min_impact_ratio": ratio},
            artifacts=tmp_path / "report",
        )
    tracking.set_alias(client, settings.training.model_name, "champion", "1", "first")
    client.set_model_version_tag(settings.training.model_name, "1", "was_champion", "true")
    assert registered.version == "3"
    return config


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, " ".join(result.output.split())


def test_list_promote_refuse_and_rollback(registry: Path) -> None:
    from hientai import tracking

    code, text = _run("models", "list", "--config", str(registry))
    assert code == 0 and "champion" in text and "0.100" in text
    code, text = _run("models", "promote", "3", "--reason", "try", "--config", str(registry))
    assert code == 2
    assert "version 3 fails the fairness thresholds: min_impact_ratio 0.100 is below" in text
    code, text = _run(
        "models", "promote", "2", "--reason", "review board", "--config", str(registry)
    )
    assert code == 0 and "Version 2 is now champion" in text
    code, text = _run("models", "rollback", "--reason", "complaint", "--config", str(registry))
    assert code == 0 and "from version 2 to 1" in text
    settings = load_settings(registry)
    client = tracking.connect(settings)
    champion = tracking.alias_version(client, settings.training.model_name, "champion")
    assert champion is not None and str(champion.version) == "1"
    assert champion.tags["champion_reason"] == "rollback: complaint"
    code, text = _run("models", "rollback", "--reason", "again", "--config", str(registry))
    assert code == 2 and "nothing to roll back to" in text
