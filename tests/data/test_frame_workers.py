"""A training frame built on worker processes (training.frame_workers) is the frame one process
builds, through `hientai train` as a user types it; a worker that dies or fails is reported."""

from __future__ import annotations

import functools
import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from features.inputs import FEATURE_INPUTS
from features.per_date import Tables
from hientai.settings import Settings, load_settings
from hientai.storage import SnapshotStore
from hientai.synth import SynthConfig
from pipelines.frame_workers import (
    WORKERS_FROM_ROWS,
    FrameWorkerLost,
    FrameWorkers,
    load_snapshot_tables,
    worker_count,
)
from pipelines.train import TrainingInputs, prepare_training
from tests.conftest import ingested_world
from tests.data import frame_jobs

pytestmark = pytest.mark.slow

HIENTAI = Path(sys.executable).parent / "hientai"  # the command `make setup` installs
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The config file of an ingested 2,000-person extract whose frame runs on 2 workers."""
    root = tmp_path_factory.mktemp("frame-workers")
    config, _ = ingested_world(
        root,
        SynthConfig(n_people=2000, n_external=100, years=8, seed=11),
        f"data_dir: {root / 'data'}\ntoday: 2026-06-01\n"
        "training:\n  frame_workers: 2\n  compare_ranker: false\n  params: {n_estimators: 60}\n",
    )
    return config


def _settings(config: Path, workers: int) -> Settings:
    settings = load_settings(config)
    training = settings.training.model_copy(update={"frame_workers": workers})
    return settings.model_copy(update={"training": training})


@pytest.fixture(scope="module")
def one_process(world: Path) -> TrainingInputs:
    return prepare_training(_settings(world, 1), None)


def test_two_workers_build_the_frame_one_process_builds(
    world: Path, one_process: TrainingInputs
) -> None:
    two = prepare_training(_settings(world, 2), None)
    assert (one_process.workers, two.workers) == (1, 2)
    assert two.dates == one_process.dates and len(two.dates) >= 3
    assert two.split == one_process.split == "time"
    pd.testing.assert_frame_equal(two.frame, one_process.frame, check_exact=True)
    pd.testing.assert_frame_equal(two.groups, one_process.groups, check_exact=True)
    pd.testing.assert_frame_equal(two.audit, one_process.audit, check_exact=True)
    assert one_process.frame["label"].sum() > 0


def test_hientai_train_labels_and_builds_the_dates_on_two_workers(
    world: Path, one_process: TrainingInputs, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")
    done = subprocess.run(
        [str(HIENTAI), "train", "--config", str(world), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout)
    assert result["frame_workers"] == 2
    assert result["rows"] == len(one_process.frame)
    assert result["positives"] == int(one_process.frame["label"].sum())
    assert result["as_of_dates"] == [f"{d:%Y-%m-%d}" for d in one_process.dates]
    assert "labelled and built on 2 process(es)" in done.stderr


def _loader(world: Path, snapshot_id: str | None = None) -> functools.partial[Tables]:
    settings = load_settings(world)
    found = snapshot_id or SnapshotStore(settings.snapshots_dir).open(None).id
    return functools.partial(load_snapshot_tables, settings.snapshots_dir, found)


def test_the_jobs_run_on_two_worker_processes(world: Path) -> None:
    with FrameWorkers(_loader(world), 2) as workers:
        pids = workers.map(frame_jobs.pid_after_a_pause, [0, 1])
    assert len(set(pids)) == 2 and os.getpid() not in pids


def test_a_worker_that_dies_is_reported_with_what_to_do(world: Path) -> None:
    with (
        FrameWorkers(_loader(world), 2) as workers,
        pytest.raises(FrameWorkerLost, match=r"killed.*training\.frame_workers: 1"),
    ):
        workers.map(frame_jobs.exit_abruptly, [0, 1, 2])


def test_a_snapshot_a_worker_cannot_read_is_named(world: Path) -> None:
    with (
        FrameWorkers(_loader(world, "20990101T000000Z-gone"), 2) as workers,
        pytest.raises(FrameWorkerLost, match="could not read the snapshot's tables: Snapshot"),
    ):
        workers.map(frame_jobs.refuse, [0])


def test_a_job_error_comes_back_as_itself_and_call_runs_on_a_worker(world: Path) -> None:
    with FrameWorkers(_loader(world), 2) as workers:
        with pytest.raises(ValueError, match=r"item 2 refused with 1[0-9] tables held"):
            workers.map(frame_jobs.refuse, [2])
        assert workers.map(frame_jobs.exit_abruptly, [0, 2]) == [0, 2]  # the pool still works
        held = workers.call(len)
    with FrameWorkers(_loader(world), 1) as here:
        assert here.call(len) == held >= 10


SCRIPT = """
import functools, os, sys, time
from pathlib import Path
from pipelines.frame_workers import FrameWorkers, load_snapshot_tables
from tests.conftest import ingested_world
from tests.data import frame_jobs

load = functools.partial(load_snapshot_tables, Path(sys.argv[1]), sys.argv[2])
with FrameWorkers(load, 2) as workers:
    print(workers.call(len), *workers.map(frame_jobs.pid_after_a_pause, [0, 1]), flush=True)
    if sys.argv[3] == "stay":
        time.sleep(600)
"""


def _script(world: Path, tmp_path: Path, then: str) -> subprocess.Popen[str]:
    """A script without a ``__main__`` guard, as a data scientist writes one."""
    settings = load_settings(world)
    snapshot = SnapshotStore(settings.snapshots_dir).open(None)
    script = tmp_path / "frame.py"
    script.write_text(SCRIPT, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, str(script), str(settings.snapshots_dir), snapshot.id, then],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_script_without_a_main_guard_starts_its_workers_once(
    world: Path, tmp_path: Path
) -> None:
    done = _script(world, tmp_path, "end")
    out, err = done.communicate(timeout=300)
    assert done.returncode == 0, err[-3000:]
    tables, *pids = out.split()
    assert int(tables) >= 10 and len(set(pids)) == 2  # printed once: the script ran once


def test_workers_end_when_the_training_process_is_killed(world: Path, tmp_path: Path) -> None:
    running = _script(world, tmp_path, "stay")
    try:
        assert running.stdout is not None
        ready, _, _ = select.select([running.stdout], [], [], 300)
        assert ready, "the script printed nothing in 300 s"
        pids = [int(p) for p in running.stdout.readline().split()[1:]]
        assert len(pids) == 2
    finally:
        running.kill()  # SIGKILL, as the OOM killer: no cleanup in the training process
        running.communicate(timeout=60)  # reaps it and closes its pipes
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in pids)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    return state != "Z"  # a zombie has ended and waits to be reaped


def test_auto_uses_workers_only_for_a_large_extract(world: Path) -> None:
    settings = load_settings(world)
    snapshot = SnapshotStore(settings.snapshots_dir).open(None)
    rows = sum(snapshot.rows(name) for name in snapshot.tables)
    assert 10_000 < rows < WORKERS_FROM_ROWS  # this extract is small
    assert worker_count("auto", snapshot) == 1
    assert worker_count(3, snapshot) == 3
    assert settings.training.frame_workers == 2


@pytest.mark.parametrize(
    ("threshold_over_rows", "cores", "expected"),
    [(0, 4, 2), (0, 2, 2), (0, 1, 1), (1, 4, 1)],
)
def test_auto_from_the_threshold_and_the_cores(
    world: Path,
    monkeypatch: pytest.MonkeyPatch,
    threshold_over_rows: int,
    cores: int,
    expected: int,
) -> None:
    snapshot = SnapshotStore(load_settings(world).snapshots_dir).open(None)
    rows = sum(snapshot.rows(name) for name in snapshot.tables if name in FEATURE_INPUTS)
    monkeypatch.setattr("pipelines.frame_workers.WORKERS_FROM_ROWS", rows + threshold_over_rows)
    monkeypatch.setattr("pipelines.frame_workers.available_cores", lambda: cores)
    assert worker_count("auto", snapshot) == expected
