"""The append-only, tamper-evident audit log.

Each record carries the hash of the one before it and its own hash over its content and that
previous hash, so editing a record breaks its own hash, deleting one breaks the next record's
link, and reordering breaks both. What a chain alone cannot show is the loss of the newest
records (the tail): ``verify`` returns the head hash so an operator can record it elsewhere
(``hientai audit verify --expect-head``) and detect that too.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from hientai_app.review.db import ReviewDB, utc_now

GENESIS = "0" * 64
APPEND_ATTEMPTS = 20
T = TypeVar("T")


class AuditChainBroken(ValueError):
    """The audit log does not verify; the message names the first bad record."""


@dataclass(frozen=True)
class AuditReport:
    records: int
    head: str


def record_hash(record: dict[str, Any]) -> str:
    """The hash of a record: its sequence number, content and the previous record's hash."""
    content = {key: record[key] for key in ("seq", "at", "username", "action", "object")}
    content |= {"detail": record["detail"], "prev_hash": record["prev_hash"]}
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def append(
    db: ReviewDB,
    conn: Connection,
    *,
    username: str,
    action: str,
    obj: str,
    detail: dict[str, Any] | None = None,
) -> int:
    """Append a record inside the caller's transaction; returns its sequence number.

    Two writers racing for the same place both compute the same seq and prev_hash; the
    database's keys let one win and the other's transaction fail, which ``append_new`` retries.
    """
    table = db.audit
    last = conn.execute(sa.select(table.c.seq, table.c.hash).order_by(table.c.seq.desc()).limit(1))
    row = last.first()
    seq, prev = (1, GENESIS) if row is None else (int(row.seq) + 1, str(row.hash))
    record = {
        "seq": seq,
        "at": utc_now().isoformat(timespec="microseconds"),
        "username": username,
        "action": action,
        "object": obj,
        "detail": json.dumps(detail or {}, ensure_ascii=False, sort_keys=True),
        "prev_hash": prev,
    }
    conn.execute(table.insert().values(record | {"hash": record_hash(record)}))
    return seq


def chained(db: ReviewDB, work: Callable[[Connection], T]) -> T:
    """Run ``work`` (which appends to the chain) in a transaction of its own, again when another
    writer took the same place in the chain first (a key conflict, or SQLite's stale snapshot)."""
    for attempt in range(APPEND_ATTEMPTS):
        try:
            with db.engine.begin() as conn:
                return work(conn)
        except (sa.exc.IntegrityError, sa.exc.OperationalError):
            if attempt == APPEND_ATTEMPTS - 1:
                raise
            time.sleep(0.005 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def append_new(
    db: ReviewDB, *, username: str, action: str, obj: str, detail: dict[str, Any] | None = None
) -> int:
    """Append a record in a transaction of its own."""
    return chained(
        db, lambda conn: append(db, conn, username=username, action=action, obj=obj, detail=detail)
    )


def verify(db: ReviewDB, *, expect_head: str | None = None) -> AuditReport:
    """Walk the chain in order; raise ``AuditChainBroken`` at the first inconsistent record."""
    table = db.audit
    prev, expected_seq, count = GENESIS, 1, 0
    with db.reader.connect() as conn:
        for row in conn.execute(sa.select(table).order_by(table.c.seq)):
            record = dict(row._mapping)
            _check_record(record, expected_seq=expected_seq, prev=prev)
            prev, expected_seq, count = record["hash"], expected_seq + 1, count + 1
    if expect_head is not None and prev != expect_head:
        raise AuditChainBroken(
            f"the chain ends at {prev} after {count} records, not at the expected head "
            f"{expect_head}: records after it were removed, or the head is from another log"
        )
    return AuditReport(records=count, head=prev)


def _check_record(record: dict[str, Any], *, expected_seq: int, prev: str) -> None:
    seq = record["seq"]
    if seq != expected_seq:
        raise AuditChainBroken(
            f"record {seq}: expected sequence number {expected_seq}; "
            f"record {expected_seq} was deleted or the records were renumbered"
        )
    if record["prev_hash"] != prev:
        raise AuditChainBroken(
            f"record {seq}: its link does not match the hash of record {seq - 1}; "
            "a record before it was deleted, edited or moved"
        )
    if record_hash(record) != record["hash"]:
        raise AuditChainBroken(
            f"record {seq} ({record['action']} by {record['username']}): its content does not "
            "match its hash; it was edited"
        )


def recent(db: ReviewDB, *, limit: int = 200, offset: int = 0) -> list[dict[str, Any]]:
    """The newest records first, details decoded."""
    table = db.audit
    query = sa.select(table).order_by(table.c.seq.desc()).limit(limit).offset(offset)
    with db.reader.connect() as conn:
        rows = [dict(row._mapping) for row in conn.execute(query)]
    return [row | {"detail": json.loads(row["detail"])} for row in rows]


def objects_with(db: ReviewDB, action: str, objects: list[str]) -> set[str]:
    """Which of ``objects`` have at least one record of ``action`` (e.g. a contest)."""
    if not objects:
        return set()
    table = db.audit
    query = sa.select(sa.distinct(table.c.object)).where(
        table.c.action == action, table.c.object.in_(objects)
    )
    with db.reader.connect() as conn:
        return {str(found) for found in conn.execute(query).scalars()}
