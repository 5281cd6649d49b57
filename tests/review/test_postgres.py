"""The review app on PostgreSQL: the same world, a decision, a reveal, a verified chain, and a
tampered record caught."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import pytest

from hientai_app.review import audit, create_app
from hientai_app.review.db import ReviewDB
from tests.review.conftest import LiveServer, csrf_of, sign_in
from tests.review.world import NIGHT, build_world

pytestmark = pytest.mark.postgres


def test_a_review_on_postgresql(postgres_uri: str, tmp_path: Path) -> None:
    settings = build_world(tmp_path, db_url=postgres_uri)
    app = create_app(settings)
    with LiveServer(app) as server, closing(sign_in(server.url, "planner")) as client:
        shortlist = f"/shortlists/{NIGHT}/slot-X1"
        page = client.get(shortlist)
        assert page.status_code == 200 and 'id="blind-note"' in page.text
        form = {"csrf_token": csrf_of(page.text), "person_id": "P004", "decision": "nominate",
                "readiness": "ready_now", "reason": "strong record"}  # fmt: skip
        assert client.post(f"{shortlist}/decide", data=form).status_code == 303
        assert "Nguyễn Văn E" in client.get(shortlist).text
        assert client.get(f"/people/{NIGHT}/P004").status_code == 200
        assert client.get("/ninebox").status_code == 200
    db = ReviewDB(settings.app_db_url)
    assert audit.verify(db).records >= 8  # 8 accounts added, sign-in, decision
    with db.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE review_audit SET username = 'x' WHERE seq = 2")
    with pytest.raises(audit.AuditChainBroken, match="record 2"):
        audit.verify(db)
    db.dispose()
    app.state.db.dispose()
