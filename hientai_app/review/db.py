"""The review app's own tables, in the same database as the published nights.

Users, the planners' decisions and the audit chain are the app's; the nights are the nightly
flow's (read through ``pipelines.results_db``). Decisions carry readiness, run and model
version and are chained into the audit log; they are keyed by night, so re-publishing a night
keeps them. (Databases from before this app may hold an old, empty ``decisions`` table that
nothing reads.)
"""

from __future__ import annotations

import datetime as dt
from typing import Literal, get_args

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from pipelines.results_db import ResultsDB

Role = Literal["planner", "data_scientist", "auditor", "admin"]
ROLES: tuple[str, ...] = get_args(Role)
DecisionKind = Literal["nominate", "not_now", "needs_info"]
DECISION_KINDS: tuple[str, ...] = get_args(DecisionKind)
Readiness = Literal["ready_now", "ready_1_2_years", "ready_later"]
READINESS: tuple[str, ...] = get_args(Readiness)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _values(name: str, column: str, allowed: tuple[str, ...]) -> sa.CheckConstraint:
    listed = ", ".join(f"'{value}'" for value in allowed)
    return sa.CheckConstraint(f'"{column}" IN ({listed})', name=f"ck_{name}_{column}")


def _tables(metadata: sa.MetaData) -> tuple[sa.Table, sa.Table, sa.Table]:
    users = sa.Table(
        "review_users",
        metadata,
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        # The organisation whose subtree the user sees; NULL: the whole country.
        sa.Column("scope_org_id", sa.Text, nullable=True),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("failed_signins", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        # Bumped by a reset or a disable: every session signed before it ends.
        sa.Column("session_epoch", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _values("review_users", "role", ROLES),
    )
    decisions = sa.Table(
        "review_decisions",
        metadata,
        sa.Column("decision_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("night", sa.String(10), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("model_version", sa.Text, nullable=False),
        sa.Column("pool_id", sa.Text, nullable=False),
        sa.Column("person_id", sa.Text, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("readiness", sa.String(24), nullable=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("audit_seq", sa.Integer, nullable=False),
        _values("review_decisions", "decision", DECISION_KINDS),
        sa.Index("ix_review_decisions_night_pool", "night", "pool_id"),
        sa.Index("ix_review_decisions_person", "person_id"),
    )
    audit = sa.Table(
        "review_audit",
        metadata,
        # seq is the chain's order; unique prev_hash makes a fork (two appends racing for the
        # same place) fail in the database instead of silently branching.
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.Text, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("object", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Index("ix_review_audit_action_object", "action", "object"),
    )
    return users, decisions, audit


class ReviewDB:
    """The application database at ``url``: the published nights and the review app's tables.

    One pooled engine serves both (the results database's own engine opens a connection per
    call, which is right for a nightly job and too slow for a page)."""

    def __init__(self, url: str) -> None:
        self.results = ResultsDB(url)
        url_obj = sa.make_url(url)
        self.engine: Engine = self.results.engine
        if url_obj.get_backend_name() == "postgresql" or (
            url_obj.database not in (None, "", ":memory:")
        ):
            self.engine = sa.create_engine(url_obj, pool_size=10, max_overflow=20)
            if self.engine.dialect.name == "sqlite":
                sa.event.listen(self.engine, "connect", _sqlite_reader_pragmas)
        # Reads for pages: each statement on its own, no BEGIN / ROLLBACK around it (on
        # PostgreSQL that is two round trips fewer per query). Writes use ``engine``.
        self.reader: Engine = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.metadata = sa.MetaData()
        self.users, self.decisions, self.audit = _tables(self.metadata)
        self.frames = self.results.tables
        self.runs = self.results.runs_table

    def create_schema(self) -> None:
        """Create any missing table, the nightly flow's and the app's (safe on every start)."""
        self.results.create_schema()
        self.metadata.create_all(self.engine)

    def dispose(self) -> None:
        self.engine.dispose()


def _sqlite_reader_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    # A publish holds the write lock for seconds; a decision waits for it instead of failing.
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
