"""Planners' decisions live in the review app's own table, keyed by night: re-publishing a
night (a new run of it) keeps them, and the results database has no other decision table."""

from __future__ import annotations

import uuid
from pathlib import Path

import sqlalchemy as sa

from hientai_app.review import decisions
from hientai_app.review.db import ReviewDB
from tests.review.world import NIGHT, _frames, _manifest

NAMES = {f"P{number:03d}": f"Người {number}" for number in range(18)}


def test_decisions_survive_republishing_the_night(tmp_path: Path) -> None:
    db = ReviewDB(f"sqlite:///{tmp_path / 'app.db'}")
    db.create_schema()
    first = _manifest(NIGHT, "snapshot-1")
    db.results.publish_night(first, _frames(NAMES, night=NIGHT))
    wanted = decisions.DecisionRequest(
        night=NIGHT, run_id=first["run_id"], model_version="7", pool_id="slot-X1",
        person_id="P003", decision="nominate", readiness="ready_now", reason="", username="lan",
    )  # fmt: skip
    decision_id = decisions.record(db, wanted)
    second = _manifest(NIGHT, "snapshot-1") | {"run_id": uuid.uuid4().hex}
    db.results.publish_night(second, _frames(NAMES, night=NIGHT))

    assert db.results.run(NIGHT)["run_id"] == second["run_id"]  # type: ignore[index]
    kept = decisions.latest_by_person(db, NIGHT, "slot-X1")
    assert list(kept) == ["P003"]
    assert kept["P003"]["decision_id"] == decision_id
    assert kept["P003"]["run_id"] == first["run_id"]  # the run the planner saw
    assert "decisions" not in sa.inspect(db.engine).get_table_names()
    db.dispose()
