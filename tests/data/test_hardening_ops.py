"""Crash leftovers, `hientai doctor`, `hientai prune`, private modes, and disk-full ingestion
(issue 14). Each test names the guarantee it checks."""

from __future__ import annotations

import errno
import grp
import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

import hientai.ingest.batch as batch_module
import hientai.ingest.publish as publish_module
from hientai.housekeeping import find_leftovers, sweep_leftovers, work_folder
from hientai.ingest import IngestError, run_batch
from hientai.privacy import PrivacyError, private_umask
from hientai.settings import PrivacySettings, Settings
from hientai.storage import SnapshotStore
from hientai_app.cli import app
from pipelines.doctor import examine, healthy
from pipelines.results_db import FRAME_SPECS, MANIFEST_FIELDS, ResultsDB
from pipelines.retention import plan, prune
from tests.conftest import TODAY, tiny_tables, write_tables


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# Crash leftovers: removed when their process is gone, never while it runs.


def test_leftovers_of_dead_processes_are_removed_and_said(tmp_path: Path) -> None:
    data = tmp_path / "data"
    dead = _dead_pid()
    made = [
        data / "runs" / f".work-{dead}-abc123",
        data / "runs" / f".staging-2026-01-01-{dead}",
        data / "snapshots" / f".staging-0123456789ab-{dead}",
        data / "features" / "20260101T000000Z-x" / f".staging-2026-01-01-v1-{dead}",
    ]
    for folder in made:
        (folder / "sub").mkdir(parents=True)
        (folder / "sub" / "big.parquet").write_bytes(b"x")
        (folder / "sub" / "big.parquet").chmod(0o400)  # frozen files are removed too
    removed = sweep_leftovers(data)
    assert sorted(r.path for r in removed) == sorted(made)
    assert all(not p.exists() for p in made)
    assert removed[0].describe().endswith(f"process {dead} no longer running)")


def test_a_running_process_keeps_its_folders(tmp_path: Path) -> None:
    runs = tmp_path / "data" / "runs"
    runs.mkdir(parents=True)
    with work_folder(runs) as mine:
        assert Path(mine).name.startswith(f".work-{os.getpid()}-")
        other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            time.sleep(0.2)
            theirs = runs / f".staging-2026-01-01-{other.pid}"
            theirs.mkdir()
            assert sweep_leftovers(tmp_path / "data") == []
            assert Path(mine).exists() and theirs.exists()
        finally:
            other.kill()
            other.wait()
    assert not Path(mine).exists()  # the work folder goes on the way out


def test_a_reused_process_id_is_not_taken_for_the_owner(tmp_path: Path) -> None:
    # A live process that started after the folder's last change cannot have made it.
    runs = tmp_path / "data" / "runs"
    old = runs / f".staging-2026-01-01-{os.getppid()}"
    old.mkdir(parents=True)
    os.utime(old, (time.time() - 10 * 365 * 86400,) * 2)
    assert [r.path for r in sweep_leftovers(tmp_path / "data")] == [old]


def test_a_work_folder_of_unknown_owner_is_reported_not_removed(tmp_path: Path) -> None:
    legacy = tmp_path / "data" / "runs" / ".work-k2j4h5g6"
    legacy.mkdir(parents=True)
    assert sweep_leftovers(tmp_path / "data") == []
    (found,) = find_leftovers(tmp_path / "data")
    assert (found.path, found.pid, found.owner_alive) == (legacy, None, None)


def _config(tmp_path: Path, extra: str = "") -> Path:
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: {TODAY}\n{extra}", encoding="utf-8")
    return config


def test_ingest_says_what_it_removed(tmp_path: Path) -> None:
    dead = _dead_pid()
    leftover = tmp_path / "data" / "snapshots" / f".staging-feedbeef0000-{dead}"
    leftover.mkdir(parents=True)
    extract = write_tables(tmp_path / "x", tiny_tables())
    result = CliRunner().invoke(app, ["ingest", str(extract), "--config", str(_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert f"removed leftover {leftover} (staging, process {dead} no longer running)" in (
        " ".join(result.output.split())
    )
    assert not leftover.exists()


# Private by default.


def _lenient(settings: Settings) -> Settings:
    """Settings under which one quarantined row (and its person's rows) still publishes."""
    lenient = settings.ingest.model_copy(update={"max_rejection_rate": 1.0})
    return settings.model_copy(update={"ingest": lenient})


def test_ingestion_creates_a_private_data_folder(tmp_path: Path, settings: Settings) -> None:
    settings = _lenient(settings)
    tables = tiny_tables()
    tables["people"].loc[3, "gender"] = "M"  # one quarantined row, within the limit
    report = run_batch(write_tables(tmp_path / "x", tables), mapping=None, settings=settings)
    assert report.status == "published"
    snapshot = Path(str(report.snapshot_path))
    quarantine = Path(str(report.quarantine_path))
    for folder in (settings.data_dir, settings.snapshots_dir, snapshot, quarantine.parent):
        assert _mode(folder) == 0o700, folder
    assert {_mode(p) for p in snapshot.rglob("*") if p.is_file()} == {0o400}
    assert {_mode(p) for p in quarantine.rglob("*") if p.is_file()} == {0o600}


def test_a_group_can_be_given_read_access(tmp_path: Path) -> None:
    group = grp.getgrgid(os.getgid()).gr_name
    settings = Settings(
        data_dir=tmp_path / "data", today=TODAY, privacy=PrivacySettings(group=group)
    )
    report = run_batch(
        write_tables(tmp_path / "x", tiny_tables()), mapping=None, settings=settings
    )
    snapshot = Path(str(report.snapshot_path))
    assert _mode(settings.data_dir) == 0o2750
    assert _mode(settings.snapshots_dir) == 0o2750
    tables = {_mode(p) for p in (snapshot / "tables").iterdir()}
    assert tables == {0o440}
    assert {_mode(p) for p in (snapshot / "protected").iterdir()} == {0o400}
    assert settings.data_dir.stat().st_gid == os.getgid()


def test_an_unknown_group_is_a_settings_error(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", privacy=PrivacySettings(group="no-such-group-hientai")
    )
    with pytest.raises(PrivacyError, match=r"privacy\.group 'no-such-group-hientai': no such"):
        run_batch(write_tables(tmp_path / "x", tiny_tables()), mapping=None, settings=settings)


def test_the_sqlite_database_is_created_owner_only_under_the_private_umask(
    tmp_path: Path,
) -> None:
    # What a night does once `apply_umask` is wired into it (see the report of issue 14).
    with private_umask(PrivacySettings()):
        db = ResultsDB(f"sqlite:///{tmp_path / 'app.db'}")
        db.create_schema()
    assert _mode(tmp_path / "app.db") == 0o600


# Doctor and prune.


def _empty_frames() -> dict[str, pd.DataFrame]:
    return {
        name: pd.DataFrame({col.name: pd.Series(dtype=object) for col in spec})
        for name, spec in FRAME_SPECS.items()
    }


def _publish_night(settings: Settings, night: str, snapshot_id: str) -> None:
    """A night in the database and its run folder, as the nightly publish leaves them."""
    manifest: dict[str, object] = {name: f"{name}-{night}" for name in MANIFEST_FIELDS}
    manifest |= {"night": night, "snapshot_id": snapshot_id, "policy": "audit_only"}
    manifest |= {"counts": {}, "party_rules": [], "stage_seconds": {}}
    with private_umask(settings.privacy):
        db = ResultsDB(settings.app_db_url)
        db.create_schema()
        db.publish_night(manifest, _empty_frames())
        folder = settings.runs_dir / night
        folder.mkdir(parents=True)
        (folder / "manifest.json").write_text(f'{{"run_id": "run_id-{night}"}}', "utf-8")


def _three_snapshots(tmp_path: Path, settings: Settings) -> list[str]:
    ids = []
    for i in range(3):
        tables = tiny_tables()
        tables["organizations"].loc[0, "name"] = f"Bộ Nội vụ {i}"  # a new content hash
        folder = write_tables(tmp_path / f"x{i}", tables)
        ids.append(str(run_batch(folder, mapping=None, settings=settings).snapshot_id))
        time.sleep(1.01)  # snapshot ids are stamped to the second
    return ids


def test_doctor_on_a_healthy_folder(tmp_path: Path, settings: Settings) -> None:
    ids = _three_snapshots(tmp_path, settings)
    _publish_night(settings, "2026-01-01", ids[0])
    findings = examine(settings)
    assert healthy(findings), findings
    texts = [f.text for f in findings]
    assert f"latest snapshot {ids[-1]}: 5 files, checksums match the manifest" in texts
    assert "1 night(s): database and run folders agree" in texts


def test_doctor_finds_and_fixes_what_is_safe(tmp_path: Path, settings: Settings) -> None:
    ids = _three_snapshots(tmp_path, settings)
    _publish_night(settings, "2026-01-01", ids[0])
    (settings.runs_dir / "2025-12-31").mkdir()  # a folder without a night
    leftover = settings.runs_dir / f".staging-2026-01-02-{_dead_pid()}"
    leftover.mkdir()
    (settings.snapshots_dir / "LATEST").unlink()
    settings.data_dir.chmod(0o755)
    findings = examine(settings)
    assert not healthy(findings)
    problems = {f.area for f in findings if f.level == "problem"}
    assert problems == {"snapshot", "leftovers", "permissions"}
    assert any("2025-12-31 has no night in the database" in f.text for f in findings)

    fixed = examine(settings, fix=True)
    assert healthy(fixed), fixed
    assert SnapshotStore(settings.snapshots_dir).latest_id() == ids[-1]
    assert not leftover.exists()
    assert _mode(settings.data_dir) == 0o700
    assert healthy(examine(settings))


def test_doctor_reports_a_changed_snapshot_file_and_exits_1(tmp_path: Path) -> None:
    config = _config(tmp_path)
    extract = write_tables(tmp_path / "x", tiny_tables())
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(extract), "--config", str(config)]).exit_code == 0
    people = next((tmp_path / "data" / "snapshots").glob("[!.]*/tables/people.parquet"))
    people.chmod(0o600)
    people.write_bytes(people.read_bytes() + b"tampered")
    result = runner.invoke(app, ["doctor", "--fix", "--config", str(config)])
    assert result.exit_code == 1, result.output
    assert "tables/people.parquet differs from its checksum in the manifest" in result.output


def test_prune_keeps_the_latest_and_what_nights_need(tmp_path: Path, settings: Settings) -> None:
    ids = _three_snapshots(tmp_path, settings)
    _publish_night(settings, "2026-01-01", ids[0])
    (settings.runs_dir / "2025-12-30").mkdir()
    (settings.runs_dir / "2025-12-31").mkdir()
    features = settings.features_dir / ids[1] / "2026-01-01-v1"
    features.mkdir(parents=True)
    chosen = prune(settings, keep=1)
    # ids[0] is a night's snapshot, ids[2] the latest: only ids[1] (and its features) go.
    assert chosen.snapshots == [ids[1]]
    assert SnapshotStore(settings.snapshots_dir).ids() == [ids[0], ids[2]]
    assert not (settings.features_dir / ids[1]).exists()
    # 2026-01-01 is the newest folder and in the database: the two older ones go.
    assert chosen.run_folders == ["2025-12-30", "2025-12-31"]
    assert sorted(p.name for p in settings.runs_dir.iterdir()) == ["2026-01-01"]
    assert find_leftovers(settings.data_dir) == []


def test_prune_keep_0_never_removes_the_latest(tmp_path: Path, settings: Settings) -> None:
    ids = _three_snapshots(tmp_path, settings)
    assert plan(settings, 0).kept_snapshots == [ids[-1]]
    prune(settings, keep=0)
    assert SnapshotStore(settings.snapshots_dir).ids() == [ids[-1]]
    assert SnapshotStore(settings.snapshots_dir).latest_id() == ids[-1]


def test_prune_cli(tmp_path: Path) -> None:
    config = _config(tmp_path)
    runner = CliRunner()
    for i in range(2):
        tables = tiny_tables()
        tables["organizations"].loc[0, "name"] = f"Bộ {i}"
        extract = write_tables(tmp_path / f"x{i}", tables)
        assert runner.invoke(app, ["ingest", str(extract), "--config", str(config)]).exit_code == 0
        time.sleep(1.01)
    oldest = SnapshotStore(tmp_path / "data" / "snapshots").ids()[0]
    dry = runner.invoke(app, ["prune", "--keep", "1", "--dry-run", "--config", str(config)])
    assert f"would remove snapshot {oldest}" in dry.output
    assert len(SnapshotStore(tmp_path / "data" / "snapshots").ids()) == 2
    done = runner.invoke(app, ["prune", "--keep", "1", "--config", str(config)])
    assert done.exit_code == 0, done.output
    assert f"removed snapshot {oldest}" in done.output
    assert len(SnapshotStore(tmp_path / "data" / "snapshots").ids()) == 1


# Disk full while ingesting: a clear error, nothing half-published, the previous snapshot stays.

WRITE_POINTS = {
    # where the write fails: (module, function) replaced by one raising ENOSPC
    "a table's Parquet file": (publish_module, "_write_parquet"),
    "the quarantine CSV": (pd.DataFrame, "to_csv"),
    "the quarantine summary": (batch_module, "write_quarantine"),
    "the snapshot manifest": (publish_module, "write_json"),
    "the LATEST pointer": (publish_module, "write_latest"),
}


@pytest.mark.parametrize("point", list(WRITE_POINTS))
def test_disk_full_at_each_write_point(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch, point: str
) -> None:
    settings = _lenient(settings)
    first = run_batch(write_tables(tmp_path / "a", tiny_tables()), mapping=None, settings=settings)
    tables = tiny_tables()
    tables["organizations"].loc[0, "name"] = "Bộ Nội vụ (mới)"
    tables["people"].loc[18, "gender"] = "M"  # a quarantined row: the quarantine is written
    second = write_tables(tmp_path / "b", tables)
    owner, name = WRITE_POINTS[point]

    def disk_full(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(settings.data_dir / "x"))

    monkeypatch.setattr(owner, name, disk_full)
    with pytest.raises(IngestError) as caught:
        run_batch(second, mapping=None, settings=settings)
    assert isinstance(caught.value, batch_module.IngestWriteError)
    assert str(caught.value).startswith(f"{settings.data_dir / 'x'}: no space left on the device")
    store = SnapshotStore(settings.snapshots_dir)
    assert store.ids() == [first.snapshot_id]
    assert store.latest_id() == first.snapshot_id
    assert find_leftovers(settings.data_dir) == []
    assert sorted(p.name for p in settings.quarantine_dir.iterdir()) == []
