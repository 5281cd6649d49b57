"""Conformance: the two public extracts in ../shared/data go from raw file to an explained,
fairness-checked shortlist through their mapping files, with the commands a user types and no
code specific to either. WNS (one date, its own outcome) trains the champion with a people
hold-out; IBM (durations, no nationality, ethnicity or Party fields) is scored by it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from hientai.settings import load_settings
from hientai_app.cli import app
from pipelines.results_db import ResultsDB

pytestmark = [pytest.mark.xdist_group("prefect"), pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
WNS = SHARED / "wns_promotion" / "train.csv"
IBM = SHARED / "ibm_hr_attrition" / "attrition.csv"
RUNNER = CliRunner()

if not (WNS.exists() and IBM.exists()):  # CI runs with ../shared beside the clone
    pytest.skip("the public extracts of ../shared/data are not here", allow_module_level=True)


def _run(*args: str, code: int = 0) -> dict[str, Any]:
    result = RUNNER.invoke(app, [*args, "--json"])
    assert result.exit_code == code, f"hientai {' '.join(args)}:\n{result.output}"
    return dict(json.loads(result.stdout))


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, prefect_harness: None) -> dict[str, Any]:
    """One data folder: WNS ingested and trained, then a night on each extract."""
    root = tmp_path_factory.mktemp("real")
    # The settings file the WNS mapping guide gives, with this test's data folder.
    settings = (ROOT / "conf" / "wns_promotion.yaml").read_text(encoding="utf-8")
    config = root / "conf.yaml"
    config.write_text(
        settings.replace("data_dir: data/wns", f"data_dir: {root / 'data'}")
        + "training:\n  params: {n_estimators: 150}\n",
        encoding="utf-8",
    )
    c = ("--config", str(config))
    mappings = ROOT / "conf" / "mappings"
    wns = _run("ingest", str(WNS), "--mapping", str(mappings / "wns_promotion.yaml"), *c)
    trained = _run("train", *c)
    wns_night = _run("nightly", "--snapshot", wns["snapshot_id"], "--as-of", "2019-01-01", *c)
    # A different extract in the same data folder: 1,470 people after 54,808, which the publish
    # guard holds as a shrink unless told (the test of the guard itself is elsewhere).
    ibm_mapping = str(mappings / "ibm_hr_attrition.yaml")
    held = _run("ingest", str(IBM), "--mapping", ibm_mapping, *c, code=1)
    assert held["status"] == "held", held
    ibm = _run("ingest", str(IBM), "--mapping", ibm_mapping, "--accept-shrink", *c)
    ibm_night = _run("nightly", "--snapshot", ibm["snapshot_id"], "--as-of", "2017-01-01", *c)
    return {
        "config": config,
        "wns": wns,
        "ibm": ibm,
        "trained": trained,
        "nights": {"wns": wns_night, "ibm": ibm_night},
    }


def _rows(report: dict[str, Any], table: str) -> dict[str, int]:
    found = next(t for t in report["tables"] if t["name"] == table)
    return {k: found[k] for k in ("input_rows", "accepted", "quarantined")}


def test_both_extracts_ingest_every_person(world: dict[str, Any]) -> None:
    assert _rows(world["wns"], "people") == {
        "input_rows": 54_808,
        "accepted": 54_808,
        "quarantined": 0,
    }
    assert _rows(world["ibm"], "people") == {
        "input_rows": 1470,
        "accepted": 1470,
        "quarantined": 0,
    }


def test_the_one_date_extract_trains_a_champion_on_held_out_people(
    world: dict[str, Any],
) -> None:
    trained = world["trained"]
    assert trained["split"] == "people" and trained["as_of_dates"] == ["2018-01-01"]
    assert trained["promoted"] is True
    model = trained["baselines"]["lightgbm_classifier"]
    hand = trained["baselines"]["seniority_plus_last_rating"]
    # Below the raw-column reference (0.913, which uses age), above what planners do by hand.
    assert model["roc_auc"] > 0.8 and model["roc_auc"] > hand["roc_auc"] + 0.1


@pytest.mark.parametrize("extract", ["wns", "ibm"])
def test_each_night_publishes_explained_fairness_checked_shortlists(
    world: dict[str, Any], extract: str
) -> None:
    night = world["nights"][extract]
    counts = night["counts"]
    assert counts["shortlisted"] > 0 and counts["explanations"] > 0
    assert counts["fairness_checks"] > 0
    assert night["model_version"] == world["trained"]["version"]
    db = ResultsDB(load_settings(world["config"]).app_db_url)
    run = db.run(night["night"])
    assert run is not None and run["snapshot_id"] == world[extract]["snapshot_id"]
    entries = db.read("entries", run["run_id"])
    listed = entries.loc[entries["in_shortlist"].astype(bool)]
    explained = db.read("explanations", run["run_id"])
    assert set(listed["person_id"]) <= set(explained["person_id"])
    assert (explained["additivity_error"].abs() < 1e-6).all()


@pytest.mark.parametrize("extract", ["wns", "ibm"])
def test_attributes_the_extract_lacks_are_counted_as_unknown(
    world: dict[str, Any], extract: str
) -> None:
    db = ResultsDB(load_settings(world["config"]).app_db_url)
    run = db.run(world["nights"][extract]["night"])
    assert run is not None
    fairness = db.read("fairness", run["run_id"])
    # Group rows of the whole run (NDKL rows summarise an attribute under the group "*").
    whole_run = fairness.loc[fairness["pool_id"].isna() & (fairness["group"] != "*")]
    for attribute in ("nationality", "party_member"):
        groups = set(whole_run.loc[whole_run["attribute"] == attribute, "group"])
        assert groups == {"unknown"}, (attribute, groups)
    genders = set(whole_run.loc[whole_run["attribute"] == "gender", "group"])
    assert {"female", "male"} <= genders


def test_a_listed_person_is_explained_from_the_cli(world: dict[str, Any]) -> None:
    db = ResultsDB(load_settings(world["config"]).app_db_url)
    run = db.run(world["nights"]["ibm"]["night"])
    assert run is not None
    entries = db.read("entries", run["run_id"])
    first = entries.loc[entries["in_shortlist"].astype(bool)].iloc[0]
    found = _run(
        "explain", str(first["person_id"]), "--pool", str(first["pool_id"]),
        "--night", run["night"], "--config", str(world["config"]),
    )  # fmt: skip
    assert found["pool"]["on_shortlist"] is True
    assert found["explanation"]["reasons_positive"] or found["explanation"]["reasons_negative"]
