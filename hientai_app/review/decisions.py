"""Planners' decisions on shortlist entries, each chained into the audit log.

A decision is nominate (with a readiness), not now, or needs more information. Two cases need
a written reason, because they are where automation bias or unfairness would hide: nominating
someone ranked below a candidate already passed over, and acting on a list whose fairness
verdict is fail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hientai_app.review import audit
from hientai_app.review.db import DECISION_KINDS, READINESS, ReviewDB, utc_now

MAX_REASON = 4000
BAD_DECISION = "decision must be one of {allowed}"
NEEDS_READINESS = "a nomination needs a readiness: {allowed}"
NO_READINESS = "readiness belongs to a nomination only"
REASON_PASSED_OVER = (
    "a written reason is required: {person} is ranked below {others}, passed over on this list"
)
REASON_FAIRNESS = "a written reason is required: this list's fairness verdict is fail"
LONG_REASON = "the reason is longer than {n} characters"


class DecisionRefused(ValueError):
    """The decision was not recorded; the message says what to add or change. ``code`` and
    ``params`` let a page say it in the user's language (i18n key ``err_<code>``)."""

    def __init__(self, code: str, template: str, **params: str | int) -> None:
        super().__init__(template.format(**params))
        self.code, self.params = code, params


@dataclass(frozen=True)
class DecisionRequest:
    night: str
    run_id: str
    model_version: str
    pool_id: str
    person_id: str
    decision: str
    readiness: str | None
    reason: str
    username: str


def latest_by_person(db: ReviewDB, night: str, pool_id: str) -> dict[str, dict[str, Any]]:
    """The newest decision on each person of a night's pool."""
    table = db.decisions
    query = (
        sa.select(table)
        .where(table.c.night == night, table.c.pool_id == pool_id)
        .order_by(table.c.decision_id)
    )
    with db.reader.connect() as conn:
        return {row.person_id: dict(row._mapping) for row in conn.execute(query)}


def on_list(db: ReviewDB, night: str, pool_id: str, username: str) -> tuple[dict, bool]:
    """The newest decision on each person of a night's pool, and whether ``username`` has
    recorded one there (a first assessment: blind-first review lifts the names), in one read."""
    table = db.decisions
    query = (
        sa.select(table)
        .where(table.c.night == night, table.c.pool_id == pool_id)
        .order_by(table.c.decision_id)
    )
    with db.reader.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    latest = {row["person_id"]: row for row in rows}
    return latest, any(row["username"] == username for row in rows)


def history(db: ReviewDB, *, person_id: str) -> list[dict[str, Any]]:
    table = db.decisions
    query = sa.select(table).where(table.c.person_id == person_id).order_by(table.c.decision_id)
    with db.reader.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def decided_people_by_pool(db: ReviewDB, night: str) -> dict[str, int]:
    """How many people of each pool of the night have at least one decision."""
    table = db.decisions
    query = (
        sa.select(table.c.pool_id, sa.func.count(sa.distinct(table.c.person_id)))
        .where(table.c.night == night)
        .group_by(table.c.pool_id)
    )
    with db.reader.connect() as conn:
        return {pool: int(count) for pool, count in conn.execute(query)}


def assessed_pools(db: ReviewDB, night: str, username: str) -> set[str]:
    """Pools of the night on which this user has recorded a first assessment (blind-first
    review lifts the names of a list for a user once they have)."""
    table = db.decisions
    query = sa.select(sa.distinct(table.c.pool_id)).where(
        table.c.night == night, table.c.username == username
    )
    with db.reader.connect() as conn:
        return {str(pool) for pool in conn.execute(query).scalars()}


def check(
    request: DecisionRequest, *, ordered: list[str], latest: dict[str, dict], verdict: str
) -> None:
    """Raise ``DecisionRefused`` unless the request may be recorded as it is.

    ``ordered``: the pool's person ids in published order; ``latest``: the newest decision on
    each; ``verdict``: the pool's fairness verdict."""
    if request.decision not in DECISION_KINDS:
        raise DecisionRefused("bad_decision", BAD_DECISION, allowed=", ".join(DECISION_KINDS))
    if request.decision == "nominate" and request.readiness not in READINESS:
        raise DecisionRefused("needs_readiness", NEEDS_READINESS, allowed=", ".join(READINESS))
    if request.decision != "nominate" and request.readiness:
        raise DecisionRefused("no_readiness", NO_READINESS)
    if len(request.reason) > MAX_REASON:
        raise DecisionRefused("long_reason", LONG_REASON, n=MAX_REASON)
    if request.reason.strip():
        return
    if verdict == "fail":
        raise DecisionRefused("reason_fairness", REASON_FAIRNESS)
    if request.decision == "nominate":
        above = ordered[: ordered.index(request.person_id)]
        passed = [p for p in above if latest.get(p, {}).get("decision") == "not_now"]
        if passed:
            raise DecisionRefused(
                "reason_passed_over", REASON_PASSED_OVER,
                person=request.person_id, others=", ".join(passed),
            )  # fmt: skip


def record(db: ReviewDB, request: DecisionRequest) -> int:
    """Store the decision and its audit record in one transaction; returns the decision id."""
    values = {
        "night": request.night,
        "run_id": request.run_id,
        "model_version": request.model_version,
        "pool_id": request.pool_id,
        "person_id": request.person_id,
        "decision": request.decision,
        "readiness": request.readiness or None,
        "reason": request.reason.strip(),
        "username": request.username,
    }

    def work(conn: sa.Connection) -> int:
        detail = {k: v for k, v in values.items() if k != "username"}
        obj = f"{request.night}/{request.pool_id}/{request.person_id}"
        seq = audit.append(
            db, conn, username=request.username, action="decision", obj=obj, detail=detail
        )
        query = db.decisions.insert().values(values | {"decided_at": utc_now(), "audit_seq": seq})
        result = conn.execute(query.returning(db.decisions.c.decision_id))
        return int(result.scalar_one())

    return audit.chained(db, work)
