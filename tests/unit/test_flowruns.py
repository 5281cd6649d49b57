"""The run history table: starts, ends, attempts seen only by Prefect, and dead processes."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.flowruns import GONE, Attempt, FlowRunLog
from pipelines.results_db import ResultsDB


@pytest.fixture
def history(tmp_path: Path) -> FlowRunLog:
    db = ResultsDB(f"sqlite:///{tmp_path / 'app.db'}")
    db.create_schema()
    return FlowRunLog(db)


@pytest.mark.postgres
def test_the_history_works_on_postgresql(postgres_uri: str) -> None:
    db = ResultsDB(postgres_uri)
    db.create_schema()
    history = FlowRunLog(db)
    history.start(Attempt("pg1", "train", "deployment", deployment="retrain"))
    assert history.finish("pg1", "failed", reason="no usable label")
    row = history.recent().iloc[0]
    assert (row["status"], row["deployment"], row["reason"]) == (
        "failed",
        "retrain",
        "no usable label",
    )
    assert list(history.problems(since=None)["attempt_id"]) == ["pg1"]


def test_an_attempt_runs_then_completes_with_its_facts(history: FlowRunLog) -> None:
    history.start(Attempt("a1", "nightly", "local", night="2026-01-01"))
    running = history.recent().iloc[0]
    assert (running["status"], running["night"], running["finished_at"]) == (
        "running",
        "2026-01-01",
        None,
    )
    assert history.finish("a1", "completed", snapshot_id="S1", model_version="3")
    done = history.recent().iloc[0]
    assert (done["status"], done["snapshot_id"], done["model_version"]) == ("completed", "S1", "3")
    assert done["duration_s"] >= 0
    assert history.problems(since=None).empty


def test_failures_are_problems_since_a_time(history: FlowRunLog) -> None:
    early = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    history.start(Attempt("old", "nightly", "deployment"), started_at=early)
    history.finish("old", "failed", reason="old failure")
    history.start(Attempt("new", "train", "deployment"))
    history.finish("new", "crashed", reason="worker died")
    assert list(history.problems(since=None)["attempt_id"]) == ["new", "old"]
    assert list(history.problems(since="2026-06-01T00:00:00+00:00")["reason"]) == ["worker died"]


def test_finishing_an_unknown_attempt_says_so(history: FlowRunLog) -> None:
    assert history.finish("nobody", "failed", reason="x") is False
    with pytest.raises(ValueError, match="ends as one of"):
        history.finish("nobody", "running")


def test_attempts_seen_only_by_prefect_are_added_once(history: FlowRunLog) -> None:
    when = dt.datetime(2026, 3, 1, 18, 0, tzinfo=dt.UTC)
    attempt = Attempt("p1", "nightly", "deployment", deployment="nightly")
    args = {"started_at": when, "finished_at": when + dt.timedelta(seconds=5), "reason": "boom"}
    assert history.add_ended(attempt, "crashed", **args) is True
    assert history.add_ended(attempt, "crashed", **args) is False
    row = history.recent().iloc[0]
    assert (row["status"], row["duration_s"], row["reason"]) == ("crashed", 5.0, "boom")


def test_a_running_attempt_whose_process_is_gone_is_shown_crashed(history: FlowRunLog) -> None:
    history.start(Attempt("killed", "nightly", "local", night="2026-01-02"))
    history.start(Attempt("alive", "nightly", "local", night="2026-01-03"))
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)  # fmt: skip
    table = history.table
    with history.db.engine.begin() as conn:
        conn.execute(
            table.update().where(table.c.attempt_id == "killed").values(pid=int(dead.stdout))
        )
    shown = history.recent().set_index("attempt_id")
    assert shown.loc["alive", "status"] == "running"  # this very process
    assert shown.loc["killed", "status"] == "crashed"
    assert shown.loc["killed", "reason"].startswith(GONE.split("{")[0])
    with history.db.engine.connect() as conn:  # what is stored is not rewritten
        stored = conn.execute(sa.select(table.c.status).where(table.c.attempt_id == "killed"))
        assert stored.scalar_one() == "running"
