"""Ingestion on valid extracts: counts add up, snapshots are complete, immutable and idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from hientai.contract import get_table
from hientai.ingest import publish as publish_module
from hientai.ingest import run_batch
from hientai.settings import Settings
from hientai.storage import SnapshotStore
from tests.conftest import N_PEOPLE, tiny_tables, write_tables


def test_valid_extract_publishes_every_row(tiny_extract: Path, settings: Settings) -> None:
    report = run_batch(tiny_extract, mapping=None, settings=settings)
    assert report.status == "published"
    counts = {t.name: (t.input_rows, t.accepted, t.quarantined) for t in report.tables}
    assert counts == {
        "organizations": (3, 3, 0),
        "people": (N_PEOPLE, N_PEOPLE, 0),
        "evaluations": (N_PEOPLE - 2, N_PEOPLE - 2, 0),
        "trainings": (N_PEOPLE, N_PEOPLE, 0),
    }
    snap = SnapshotStore(settings.snapshots_dir).open()
    assert snap.id == report.snapshot_id
    people = snap.read("people")
    assert len(people) == N_PEOPLE
    assert people["hire_date"].iloc[0] == pd.Timestamp("2010-03-01")
    assert snap.read("organizations").loc[1, "name"] == "Ủy ban nhân dân tỉnh Lào Cai"


def test_parquet_and_csv_extracts_publish_the_same_rows(
    tmp_path: Path, settings: Settings
) -> None:
    csv_report = run_batch(
        write_tables(tmp_path / "csv", tiny_tables()), mapping=None, settings=settings
    )
    parquet_settings = Settings(data_dir=tmp_path / "data2", today=settings.today)
    parquet_report = run_batch(
        write_tables(tmp_path / "pq", tiny_tables(), suffix=".parquet"),
        mapping=None,
        settings=parquet_settings,
    )
    a = SnapshotStore(settings.snapshots_dir).open(csv_report.snapshot_id)
    b = SnapshotStore(parquet_settings.snapshots_dir).open(parquet_report.snapshot_id)
    for table in ("people", "evaluations", "trainings"):
        pd.testing.assert_frame_equal(a.read(table), b.read(table))


def test_protected_attributes_are_stored_apart(tiny_extract: Path, settings: Settings) -> None:
    run_batch(tiny_extract, mapping=None, settings=settings)
    snap = SnapshotStore(settings.snapshots_dir).open()
    people = snap.read("people")
    protected = set(get_table("people").protected_columns)
    assert protected.isdisjoint(people.columns)
    with pytest.raises(PermissionError, match="protected"):
        snap.read("people", columns=["person_id", "party_member"])
    with pytest.raises(ValueError, match="purpose must be one of"):
        snap.read_protected(purpose="curiosity")  # type: ignore[arg-type]
    sensitive = snap.read_protected(purpose="fairness_audit", reader="test")
    assert set(sensitive.columns) == {"person_id", *protected}
    assert sensitive["party_member"].tolist()[:2] == [True, False]
    log = (settings.data_dir / "audit" / "protected-access.jsonl").read_text().splitlines()
    assert json.loads(log[-1])["purpose"] == "fairness_audit"


def test_published_files_are_read_only(tiny_extract: Path, settings: Settings) -> None:
    report = run_batch(tiny_extract, mapping=None, settings=settings)
    assert report.snapshot_path is not None
    files = [p for p in Path(report.snapshot_path).rglob("*") if p.is_file()]
    assert files
    assert all(p.stat().st_mode & 0o222 == 0 for p in files)


def test_manifest_records_counts_and_hashes(tiny_extract: Path, settings: Settings) -> None:
    report = run_batch(tiny_extract, mapping=None, settings=settings)
    manifest = SnapshotStore(settings.snapshots_dir).open().manifest
    assert manifest["snapshot_id"] == report.snapshot_id
    assert manifest["contract_version"]
    assert set(manifest["input_files"]) == {  # type: ignore[arg-type]
        "organizations.csv",
        "people.csv",
        "evaluations.csv",
        "trainings.csv",
    }
    people = manifest["tables"]["people"]  # type: ignore[index]
    assert people["accepted"] == N_PEOPLE
    assert len(people["sha256"]) == 64


def test_reingesting_the_same_files_publishes_nothing_new(
    tiny_extract: Path, settings: Settings
) -> None:
    first = run_batch(tiny_extract, mapping=None, settings=settings)
    second = run_batch(tiny_extract, mapping=None, settings=settings)
    assert second.status == "already_published"
    assert second.snapshot_id == first.snapshot_id
    assert SnapshotStore(settings.snapshots_dir).ids() == [first.snapshot_id]


def test_crash_while_publishing_leaves_nothing_half_written(
    tiny_extract: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = publish_module._write_parquet
    calls = {"n": 0}

    def failing_write(frame: pd.DataFrame, path: Path, root: Path) -> dict[str, object]:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk full")
        return real_write(frame, path, root)

    monkeypatch.setattr(publish_module, "_write_parquet", failing_write)
    with pytest.raises(OSError, match="disk full"):
        run_batch(tiny_extract, mapping=None, settings=settings)
    assert calls["n"] == 3
    leftovers = list(settings.snapshots_dir.iterdir()) if settings.snapshots_dir.exists() else []
    assert leftovers == []
    assert SnapshotStore(settings.snapshots_dir).latest_id() is None


def test_previous_snapshot_stays_latest_when_a_later_batch_fails(
    tiny_extract: Path, settings: Settings
) -> None:
    good = run_batch(tiny_extract, mapping=None, settings=settings)
    tables = tiny_tables()
    tables["evaluations"].loc[:, "rating"] = "superb"
    write_tables(tiny_extract, tables)
    bad = run_batch(tiny_extract, mapping=None, settings=settings)
    assert bad.status == "rejected"
    store = SnapshotStore(settings.snapshots_dir)
    assert store.ids() == [good.snapshot_id]
    assert store.latest_id() == good.snapshot_id


def test_minimal_extract_with_only_people(tmp_path: Path, settings: Settings) -> None:
    people = tiny_tables()["people"].drop(columns=["current_org_id"])
    folder = write_tables(tmp_path / "minimal", {"people": people})
    report = run_batch(folder, mapping=None, settings=settings)
    assert report.status == "published"
    snap = SnapshotStore(settings.snapshots_dir).open()
    assert snap.tables == ["people"]
    assert snap.read("evaluations").empty
    assert snap.read("people")["current_org_id"].isna().all()
