"""`hientai explain` and `hientai nightly` as a user meets them, on a published night."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hientai.settings import load_settings
from hientai_app.cli import app
from pipelines.results_db import ResultsDB

pytestmark = pytest.mark.xdist_group("prefect")
RUNNER = CliRunner()


def _explain(config: Path, *args: str) -> dict:
    result = RUNNER.invoke(app, ["explain", *args, "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_explain_a_shortlisted_person(first_night: dict, trained_world: tuple[Path, Path]) -> None:
    config, _ = trained_world
    db = ResultsDB(load_settings(config).app_db_url)
    run = db.run(first_night["night"])
    assert run is not None
    entries = db.read("entries", run["run_id"])
    top = entries.loc[entries["in_shortlist"].astype(bool)].iloc[0]
    found = _explain(config, str(top["person_id"]), "--pool", str(top["pool_id"]))
    assert found["pool"]["eligible"] and found["pool"]["on_shortlist"]
    assert found["pool"]["rank"] == int(top["rank"])
    assert found["score"] == pytest.approx(float(top["score"]))
    stored = db.read("explanations", run["run_id"], person_id=str(top["person_id"]))
    assert [r["text_en"] for r in found["explanation"]["reasons_positive"]] == [
        r["text_en"] for r in json.loads(stored["reasons_positive"].iloc[0])
    ]


def test_explain_says_which_rule_keeps_someone_off(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    config, _ = trained_world
    db = ResultsDB(load_settings(config).app_db_url)
    run = db.run(first_night["night"])
    assert run is not None
    entries = db.read("entries", run["run_id"])
    external = entries.loc[entries["population"] == "external", "person_id"].iloc[0]
    found = _explain(config, str(external), "--pool", "national-young-talent")
    assert not found["pool"]["eligible"] and not found["pool"]["on_shortlist"]
    assert "internal cadre" in found["pool"]["failed_rules"]
    plain = RUNNER.invoke(
        app, ["explain", str(external), "--pool", "national-young-talent", "--config", str(config)]
    )
    assert plain.exit_code == 0 and "not eligible: internal cadre" in plain.stdout


def test_explain_errors_are_plain(first_night: dict, trained_world: tuple[Path, Path]) -> None:
    config, _ = trained_world
    result = RUNNER.invoke(app, ["explain", "NOBODY", "--config", str(config)])
    assert result.exit_code == 2
    assert "NOBODY is not in the population scored on 2026-01-01" in result.stderr
    entries_person = _any_person(config)
    result = RUNNER.invoke(
        app, ["explain", entries_person, "--pool", "no-such-pool", "--config", str(config)]
    )
    assert result.exit_code == 2 and "pool 'no-such-pool' is not among the" in result.stderr


def _any_person(config: Path) -> str:
    db = ResultsDB(load_settings(config).app_db_url)
    run = db.run()
    assert run is not None
    return str(db.read("entries", run["run_id"])["person_id"].iloc[0])


def test_nightly_without_a_snapshot_says_what_to_do(tmp_path: Path) -> None:
    config = tmp_path / "empty.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    result = RUNNER.invoke(app, ["nightly", "--config", str(config)])
    assert result.exit_code == 2
    assert "no snapshot published yet; run `hientai ingest`" in result.stderr
    result = RUNNER.invoke(app, ["explain", "P1", "--config", str(config)])
    assert result.exit_code == 2
    assert "data" in result.stderr and "does not exist: nothing has been ingested" in result.stderr
    assert not (tmp_path / "data").exists()  # said, not silently created
    (tmp_path / "data").mkdir()
    result = RUNNER.invoke(app, ["explain", "P1", "--config", str(config)])
    assert result.exit_code == 2 and "no night published in" in result.stderr
