"""Smoke run of the Prefect feature flow: snapshot in, versioned feature table and audit out."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from features.catalog import FEATURE_NAMES
from hientai.ingest import run_batch
from hientai.settings import Settings
from tests.conftest import write_tables
from tests.featurekit import random_extract

pytestmark = pytest.mark.xdist_group("prefect")


def test_feature_flow_publishes_table_manifest_and_proxy_audit(
    prefect_harness: None, tmp_path: Path
) -> None:
    from pipelines.build_features import build_features

    tables = random_extract(3, n_people=120)
    folder = write_tables(tmp_path / "x", tables, suffix=".parquet")
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", today=pd.Timestamp("2026-01-15").date())
    report = run_batch(folder, mapping=None, settings=settings)
    assert report.status == "published", [t.top_reasons for t in report.tables]
    result = build_features(report.snapshot_id, "2022-01-01", str(config))
    path = Path(str(result["path"]))
    features = pd.read_parquet(path / "features.parquet")
    assert list(features.columns[5:]) == list(FEATURE_NAMES)
    assert len(features) == result["rows"] > 0
    manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["snapshot_id"] == report.snapshot_id
    assert manifest["as_of"] == "2022-01-01"
    audit = pd.read_csv(path / "proxy_audit.csv")
    assert set(audit["feature"]) == set(FEATURE_NAMES)
    assert (path / "proxy_audit.md").read_text(encoding="utf-8").startswith("# Proxy audit")
    again = build_features(report.snapshot_id, "2022-01-01", str(config))
    assert again["path"] == result["path"]  # the same build replaces itself in place


def test_hientai_features_says_when_it_used_a_table_already_built(
    prefect_harness: None, tmp_path: Path
) -> None:
    """`hientai features` run twice on the same snapshot and date builds once and says so the
    second time, with how to rebuild; with features.reuse: false it builds again."""
    from typer.testing import CliRunner

    from hientai_app.cli import app

    folder = write_tables(tmp_path / "x", random_extract(5, n_people=120), suffix=".parquet")
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", today=pd.Timestamp("2026-01-15").date())
    assert run_batch(folder, mapping=None, settings=settings).status == "published"
    command = ["features", "--as-of", "2022-01-01", "--config", str(config)]
    first = CliRunner().invoke(app, command)
    assert first.exit_code == 0, first.output
    assert "reused" not in first.output
    again = CliRunner().invoke(app, command)
    assert again.exit_code == 0, again.output
    assert "reused: built at" in again.output and "features.reuse: false" in again.output
    config.write_text(config.read_text(encoding="utf-8") + "features:\n  reuse: false\n")
    rebuilt = CliRunner().invoke(app, command)
    assert rebuilt.exit_code == 0 and "reused" not in rebuilt.output, rebuilt.output
