"""Smoke run of the Prefect ingest flow under the session's test harness."""

from __future__ import annotations

from pathlib import Path

import pytest

from hientai.storage import SnapshotStore
from tests.conftest import tiny_tables, write_tables

pytestmark = pytest.mark.xdist_group("prefect")


def test_ingest_flow_publishes_a_snapshot(prefect_harness: None, tmp_path: Path) -> None:
    from pipelines.ingest import ingest_extract

    folder = write_tables(tmp_path / "x", tiny_tables())
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    report = ingest_extract(str(folder), config=str(config))
    assert report["status"] == "published"
    assert SnapshotStore(tmp_path / "data" / "snapshots").latest_id() == report["snapshot_id"]


def test_ingest_flow_fails_when_the_batch_is_rejected(
    prefect_harness: None, tmp_path: Path
) -> None:
    from pipelines.ingest import BatchRejected, ingest_extract

    tables = tiny_tables()
    tables["evaluations"]["rating"] = "superb"
    folder = write_tables(tmp_path / "x", tables)
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    with pytest.raises(BatchRejected, match="evaluations"):
        ingest_extract(str(folder), config=str(config))
    assert SnapshotStore(tmp_path / "data" / "snapshots").ids() == []
