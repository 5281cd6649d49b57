"""Run history: every nightly and retraining attempt, how it ended and why.

A published night is in ``runs``; this table also keeps the attempts that did not publish, so
a failed or crashed scheduled run leaves a trace where planners look (`hientai runs`, the top of
the next night's report). A flow records itself when it starts and when it ends; Prefect's
failure and crash hooks record the reason. A process killed outright (``kill -9``, power loss)
cannot say anything: its row stays ``running`` and is reported as crashed once its process is
gone. Attempts that died before hientai's code ran (an entrypoint that does not load) are
copied in from Prefect's API by the next run of the same deployment.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

import pandas as pd
import sqlalchemy as sa

from hientai.housekeeping import pid_alive

if TYPE_CHECKING:
    from pipelines.results_db import ResultsDB

Status = Literal["running", "completed", "failed", "crashed", "cancelled"]
STATUSES: tuple[str, ...] = get_args(Status)
PROBLEMS = ("failed", "crashed", "cancelled")
COLUMNS = (
    "attempt_id", "flow", "night", "status", "trigger", "deployment", "started_at",
    "finished_at", "duration_s", "snapshot_id", "model_version", "reason", "host", "pid",
)  # fmt: skip
GONE = "the process ({pid} on {host}) ended without reporting: killed or lost power"


def flow_runs_table(metadata: sa.MetaData) -> sa.Table:
    statuses = ", ".join(f"'{s}'" for s in STATUSES)
    return sa.Table(
        "flow_runs",
        metadata,
        sa.Column("attempt_id", sa.String(64), primary_key=True),
        sa.Column("flow", sa.Text, nullable=False),
        sa.Column("night", sa.String(10), nullable=True),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("trigger", sa.Text, nullable=False),
        sa.Column("deployment", sa.Text, nullable=True),
        sa.Column("started_at", sa.Text, nullable=False),
        sa.Column("finished_at", sa.Text, nullable=True),
        sa.Column("duration_s", sa.Double, nullable=True),
        sa.Column("snapshot_id", sa.Text, nullable=True),
        sa.Column("model_version", sa.Text, nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("host", sa.Text, nullable=False),
        sa.Column("pid", sa.Integer, nullable=False),
        sa.CheckConstraint(f'"status" IN ({statuses})', name="ck_flow_runs_status"),
        sa.Index("ix_flow_runs_started", "started_at"),
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds")


def _clipped(reason: str | None) -> str | None:
    return None if reason is None else reason[:4000]


@dataclass(frozen=True)
class Attempt:
    """The start of one flow run, as recorded."""

    attempt_id: str
    flow: str
    trigger: Literal["local", "deployment"]
    night: str | None = None
    deployment: str | None = None

    def row(self, status: Status, started_at: dt.datetime, *, host: str, pid: int) -> dict:
        """The attempt as a ``flow_runs`` row that has not ended."""
        return {
            "attempt_id": self.attempt_id,
            "flow": self.flow,
            "night": self.night,
            "status": status,
            "trigger": self.trigger,
            "deployment": self.deployment,
            "started_at": _iso(started_at),
            "host": host,
            "pid": pid,
        }


class FlowRunLog:
    """Reads and writes ``flow_runs`` of an application database."""

    def __init__(self, db: ResultsDB) -> None:
        self.db = db
        self.table = db.flow_runs_table

    def start(self, attempt: Attempt, *, started_at: dt.datetime | None = None) -> None:
        """Record an attempt as running (a retried attempt id starts over)."""
        row = attempt.row(
            "running", started_at or _now(), host=socket.gethostname(), pid=os.getpid()
        )
        with self.db.engine.begin() as conn:
            conn.execute(self.table.delete().where(self.table.c.attempt_id == attempt.attempt_id))
            conn.execute(self.table.insert(), [row])

    def finish(
        self,
        attempt_id: str,
        status: Status,
        *,
        reason: str | None = None,
        snapshot_id: str | None = None,
        model_version: str | None = None,
        night: str | None = None,
    ) -> bool:
        """Record how an attempt ended; False if it was never recorded as started."""
        if status not in STATUSES or status == "running":
            raise ValueError(f"an attempt ends as one of {STATUSES[1:]}, got {status!r}")
        table = self.table
        with self.db.engine.begin() as conn:
            started = conn.execute(
                sa.select(table.c.started_at).where(table.c.attempt_id == attempt_id)
            ).scalar_one_or_none()
            if started is None:
                return False
            finished = _now()
            values: dict[str, Any] = {
                "status": status,
                "finished_at": _iso(finished),
                "duration_s": round(
                    (finished - dt.datetime.fromisoformat(started)).total_seconds(), 1
                ),
                "reason": _clipped(reason),
            }
            extra = {"snapshot_id": snapshot_id, "model_version": model_version, "night": night}
            values |= {k: v for k, v in extra.items() if v is not None}
            conn.execute(table.update().where(table.c.attempt_id == attempt_id).values(values))
        return True

    def add_ended(
        self,
        attempt: Attempt,
        status: Status,
        *,
        started_at: dt.datetime,
        finished_at: dt.datetime | None,
        reason: str | None,
    ) -> bool:
        """Record an attempt that ended before it could record itself (seen through Prefect's
        API); False if it is known already."""
        table = self.table
        with self.db.engine.begin() as conn:
            known = conn.execute(
                sa.select(table.c.attempt_id).where(table.c.attempt_id == attempt.attempt_id)
            ).first()
            if known is not None:
                return False
            row = attempt.row(status, started_at, host="?", pid=0)
            if finished_at is not None:
                seconds = (finished_at - started_at).total_seconds()
                row |= {"finished_at": _iso(finished_at), "duration_s": round(seconds, 1)}
            conn.execute(table.insert(), [row | {"reason": _clipped(reason)}])
        return True

    def recent(self, *, limit: int = 30, since: str | None = None) -> pd.DataFrame:
        """The latest attempts, newest first; a ``running`` attempt whose process is gone (on
        this host) is shown as ``crashed`` with the reason."""
        table = self.table
        query = sa.select(table).order_by(table.c.started_at.desc()).limit(limit)
        if since is not None:
            query = query.where(table.c.started_at > since)
        with self.db.engine.connect() as conn:
            rows = [dict(row._mapping) for row in conn.execute(query)]
        frame = pd.DataFrame(rows, columns=list(COLUMNS))
        return frame.apply(_effective, axis=1) if len(frame) else frame

    def problems(self, *, since: str | None, exclude: str | None = None) -> pd.DataFrame:
        """Failed, crashed and cancelled attempts started after ``since`` (an ISO time)."""
        recent = self.recent(limit=50, since=since)
        wanted = recent["status"].isin(PROBLEMS) & recent["attempt_id"].ne(exclude)
        return recent.loc[wanted].reset_index(drop=True)


def _effective(row: pd.Series) -> pd.Series:
    """Status as a reader should see it: a running attempt of a dead local process crashed."""
    if row["status"] != "running" or row["host"] != socket.gethostname():
        return row
    if pid_alive(int(row["pid"])):
        return row
    seen = row.copy()
    seen["status"] = "crashed"
    seen["reason"] = GONE.format(pid=row["pid"], host=row["host"])
    return seen
