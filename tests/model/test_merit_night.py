"""A published night on a biased history: listed members and non-members are held to the same
standard of merit, within stated bounds (issue 10).

The session's world is generated with the default biases (Party members +0.8, men +0.5, Kinh
+0.4, locals +0.5 on the promotion logit; Party members +1.6 for political-theory courses), so
the promotion record is biased; the night uses the defaults a user gets (the results label,
course standards as needs, career-stage ranking in young pools).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hientai.settings import load_settings
from models.merit_audit import MeritReport
from pipelines.merit import night_merit

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("prefect")]
# Stated bounds for this 5,000-person world (measured 0.88 and 0.51: non-members listed on
# slightly stronger evidence, and given places more often); the benchmark's targets are 0.85
# (benchmarks/merit_fairness.py, docs/model-selection.md section 8). With the promotion label
# this history gave 0.50 or less. Women / men is not bounded here: this world lists women on
# much stronger evidence than men (0.82 against 0.47), a gap the benchmark's extracts do not
# show and docs/model-selection.md reports.
MIN_PRECISION_RATIO = 0.75
MIN_OPPORTUNITY_RATIO = 0.45


@pytest.fixture(scope="module")
def report(first_night: dict, trained_world: tuple[Path, Path]) -> MeritReport:
    config, truth = trained_world
    return night_merit(load_settings(config), truth, first_night["night"])


def _ratio(report: MeritReport, measure: str, column: str) -> float:
    found = [r for r in report.ratios if r.measure == measure and r.column == column]
    assert len(found) == 1 and found[0].value is not None, found
    return found[0].value


def test_members_and_non_members_are_held_to_the_same_merit(report: MeritReport) -> None:
    assert _ratio(report, "precision", "party_member") >= MIN_PRECISION_RATIO
    assert _ratio(report, "opportunity", "party_member") >= MIN_OPPORTUNITY_RATIO


def test_the_night_finds_more_merit_than_seniority_and_chance(report: MeritReport) -> None:
    assert report.precision >= 1.5 * report.seniority_precision
    assert report.precision >= 2.0 * report.random_precision


def test_external_candidates_are_scored_in_merit_order(report: MeritReport) -> None:
    # measured 0.75 (the promotion label gave 0.14-0.62 on the benchmark's extracts)
    assert report.external_spearman is not None and report.external_spearman > 0.5


def test_external_candidates_get_distinct_scores_explained_by_shared_evidence(
    first_night: dict, trained_world: tuple[Path, Path], report: MeritReport
) -> None:
    """One comparable scale: every external candidate's published score is their own (the
    main trees alone gave 7% distinct scores in this world), and a listed candidate's reasons
    name only the evidence they share with internal recruits."""
    from features.catalog import EXTERNAL_SHARED
    from pipelines.results_db import ResultsDB

    assert report.external_distinct_share is not None and report.external_distinct_share > 0.95
    settings = load_settings(trained_world[0])
    db = ResultsDB(settings.app_db_url)
    run = db.run(first_night["night"])
    entries = db.read("entries", run["run_id"])
    externals = entries.loc[
        (entries["population"] == "external") & entries["in_shortlist"].astype(bool), "person_id"
    ].unique()
    explained = db.read("explanations", run["run_id"])
    explained = explained.loc[explained["person_id"].isin(externals)]
    assert len(externals) > 0 and len(explained) == len(externals)
    named = {feature for text in explained["contributions"] for feature in json.loads(text)}
    assert named and named <= set(EXTERNAL_SHARED)
    assert (explained["additivity_error"] <= 1e-6).all()


def test_the_merit_command_prints_the_same_measures(
    first_night: dict, trained_world: tuple[Path, Path], report: MeritReport
) -> None:
    from typer.testing import CliRunner

    from hientai_app.cli import app

    config, truth = trained_world
    args = ["merit", "--truth", str(truth), "--config", str(config)]
    found = CliRunner().invoke(app, [*args, "--json"])
    assert found.exit_code == 0, found.output
    assert json.loads(found.stdout)["precision"] == pytest.approx(report.precision)
    text = CliRunner().invoke(app, args)
    assert text.exit_code == 0 and "non-member / member" in text.stdout
    missing = CliRunner().invoke(app, ["merit", "--truth", str(truth.parent / "no.parquet")])
    assert missing.exit_code == 2 and "truth file not found" in missing.output
