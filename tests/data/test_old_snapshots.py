"""A snapshot published before a column joined the contract still reads: the column is missing
values, so nights and training keep working on old snapshots after an upgrade."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from hientai.ingest import run_batch
from hientai.settings import Settings
from hientai.storage import SnapshotStore


def test_a_column_the_snapshot_predates_reads_as_missing(
    tiny_extract: Path, settings: Settings
) -> None:
    report = run_batch(tiny_extract, mapping=None, settings=settings)
    snapshot = SnapshotStore(settings.snapshots_dir).open(report.snapshot_id)
    path = snapshot.path / "tables" / "evaluations.parquet"
    old = pq.read_table(path).drop_columns(["rating_score", "rating_scale_max"])
    path.chmod(0o644)  # published files are read-only; this test plays an older release
    pq.write_table(old, path)
    wanted = ["person_id", "rating", "rating_score", "rating_scale_max"]
    frame = snapshot.read("evaluations", columns=wanted)
    assert list(frame.columns) == wanted
    assert len(frame) == 18 and frame["rating"].notna().all()
    assert frame["rating_score"].isna().all() and frame["rating_scale_max"].isna().all()
