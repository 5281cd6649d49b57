"""The audit chain detects an edited, a deleted and a reordered record, through the library and
through `hientai audit verify`; a cut tail is caught against a recorded head."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hientai_app.cli import app as cli
from hientai_app.review import audit
from hientai_app.review.db import ReviewDB


@pytest.fixture
def chain(tmp_path: Path) -> tuple[ReviewDB, Path]:
    (tmp_path / "data").mkdir()
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    db = ReviewDB(f"sqlite:///{tmp_path / 'data' / 'app.db'}")
    db.create_schema()
    for number in range(1, 6):
        audit.append_new(
            db, username=f"user{number}", action="decision", obj=f"pool/P{number}",
            detail={"decision": "nominate", "reason": f"reason {number}"},
        )  # fmt: skip
    return db, config


def _sql(db: ReviewDB, statement: str) -> None:
    with db.engine.begin() as conn:
        conn.exec_driver_sql(statement)


def _verify_cli(config: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["audit", "verify", "--config", str(config)])
    return result.exit_code, result.output


def test_an_intact_chain_verifies(chain: tuple[ReviewDB, Path]) -> None:
    db, config = chain
    report = audit.verify(db)
    assert report.records == 5
    assert report.head == audit.recent(db, limit=1)[0]["hash"]
    code, output = _verify_cli(config)
    assert code == 0 and "5 records" in output


def test_an_edited_record_is_detected(chain: tuple[ReviewDB, Path]) -> None:
    db, config = chain
    _sql(db, 'UPDATE review_audit SET detail = \'{"decision": "not_now"}\' WHERE seq = 3')
    with pytest.raises(audit.AuditChainBroken, match=r"record 3 .*edited"):
        audit.verify(db)
    code, output = _verify_cli(config)
    assert code == 1 and "record 3" in output


def test_an_edited_author_is_detected(chain: tuple[ReviewDB, Path]) -> None:
    db, _ = chain
    _sql(db, "UPDATE review_audit SET username = 'someone_else' WHERE seq = 2")
    with pytest.raises(audit.AuditChainBroken, match=r"record 2 .*edited"):
        audit.verify(db)


def test_a_deleted_record_is_detected(chain: tuple[ReviewDB, Path]) -> None:
    db, config = chain
    _sql(db, "DELETE FROM review_audit WHERE seq = 3")
    with pytest.raises(audit.AuditChainBroken, match=r"record 4: expected sequence number 3"):
        audit.verify(db)
    assert _verify_cli(config)[0] == 1


def test_a_deleted_and_renumbered_record_is_detected(chain: tuple[ReviewDB, Path]) -> None:
    db, _ = chain
    _sql(db, "DELETE FROM review_audit WHERE seq = 3")
    _sql(db, "UPDATE review_audit SET seq = seq - 1 WHERE seq > 3")
    with pytest.raises(audit.AuditChainBroken, match=r"record 3: its link"):
        audit.verify(db)


def test_reordered_records_are_detected(chain: tuple[ReviewDB, Path]) -> None:
    db, config = chain
    # Swap the positions of records 2 and 4 (their contents and hashes move with them).
    _sql(db, "UPDATE review_audit SET seq = -2 WHERE seq = 2")
    _sql(db, "UPDATE review_audit SET seq = 2 WHERE seq = 4")
    _sql(db, "UPDATE review_audit SET seq = 4 WHERE seq = -2")
    with pytest.raises(audit.AuditChainBroken, match=r"record 2"):
        audit.verify(db)
    assert _verify_cli(config)[0] == 1


def test_a_cut_tail_is_detected_against_the_recorded_head(chain: tuple[ReviewDB, Path]) -> None:
    db, _ = chain
    head = audit.verify(db).head
    _sql(db, "DELETE FROM review_audit WHERE seq = 5")
    assert audit.verify(db).records == 4  # a chain alone cannot see a cut tail
    with pytest.raises(audit.AuditChainBroken, match="expected head"):
        audit.verify(db, expect_head=head)


def test_a_racing_append_cannot_fork_the_chain(chain: tuple[ReviewDB, Path]) -> None:
    db, _ = chain
    last = audit.recent(db, limit=1)[0]
    forged = {k: last[k] for k in ("at", "username", "action", "object")} | {
        "seq": 6, "detail": "{}", "prev_hash": last["prev_hash"], "hash": "f" * 64,
    }  # fmt: skip
    with pytest.raises(sa.exc.IntegrityError), db.engine.begin() as conn:
        conn.execute(db.audit.insert().values(forged))
