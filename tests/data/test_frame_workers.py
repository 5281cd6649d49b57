"""A training frame built on worker processes (training.frame_workers) is the frame one process
builds, through `hientai train` as a user types it; a worker that dies or fails is reported."""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from hientai.ingest import run_batch
from hientai.settings import Settings, load_settings
from hientai.storage import SnapshotStore
from hientai.synth import SynthConfig, generate_extract, write_extract
from pipelines.frame_workers import (
    WORKERS_FROM_ROWS,
    FrameWorkerLost,
    FrameWorkers,
    load_snapshot_tables,
    worker_count,
)
from pipelines.train import TrainingInputs, prepare_training

pytestmark = pytest.mark.slow

HIENTAI = Path(sys.executable).parent / "hientai"  # the command `make setup` installs


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The config file of an ingested 2,000-person extract whose frame runs on 2 workers."""
    root = tmp_path_factory.mktemp("frame-workers")
    write_extract(
        generate_extract(SynthConfig(n_people=2000, n_external=100, years=8, seed=11)),
        root / "extract",
    )
    config = root / "conf.yaml"
    config.write_text(
        f"data_dir: {root / 'data'}\ntoday: 2026-06-01\n"
        "training:\n  frame_workers: 2\n  compare_ranker: false\n  params: {n_estimators: 60}\n",
        encoding="utf-8",
    )
    report = run_batch(root / "extract", mapping=None, settings=load_settings(config))
    assert report.status == "published"
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


def _exit_abruptly(tables: dict[str, pd.DataFrame], item: int) -> int:
    if item == 1:
        os._exit(3)  # as the kernel's OOM killer would end it: no exception, no cleanup
    return item


def _refuse(tables: dict[str, pd.DataFrame], item: int) -> int:
    raise ValueError(f"item {item} refused with {len(tables)} tables held")


def _loader(world: Path) -> functools.partial[dict[str, pd.DataFrame]]:
    settings = load_settings(world)
    snapshot = SnapshotStore(settings.snapshots_dir).open(None)
    return functools.partial(load_snapshot_tables, settings.snapshots_dir, snapshot.id)


def test_a_worker_that_dies_is_reported_with_what_to_do(world: Path) -> None:
    with (
        FrameWorkers(_loader(world), 2) as workers,
        pytest.raises(FrameWorkerLost, match=r"training\.frame_workers: 1"),
    ):
        workers.map(_exit_abruptly, [0, 1, 2])


def test_a_job_error_comes_back_as_itself_and_call_runs_once(world: Path) -> None:
    with FrameWorkers(_loader(world), 2) as workers:
        with pytest.raises(ValueError, match=r"item 2 refused with 1[0-9] tables held"):
            workers.map(_refuse, [2])
        held = workers.call(len)
        assert workers.map(_exit_abruptly, [0, 2]) == [0, 2]
    with FrameWorkers(_loader(world), 1) as here:
        assert here.call(len) == held >= 10


def test_auto_uses_workers_only_for_a_large_extract(world: Path) -> None:
    settings = load_settings(world)
    snapshot = SnapshotStore(settings.snapshots_dir).open(None)
    rows = sum(snapshot.rows(name) for name in snapshot.tables)
    assert 10_000 < rows < WORKERS_FROM_ROWS  # this extract is small
    assert worker_count("auto", snapshot) == 1
    assert worker_count(3, snapshot) == 3
    assert load_settings(world).training.frame_workers == 2


def test_auto_uses_two_workers_from_the_threshold(
    world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    snapshot = SnapshotStore(load_settings(world).snapshots_dir).open(None)
    monkeypatch.setattr("pipelines.frame_workers.WORKERS_FROM_ROWS", snapshot.rows("people"))
    assert worker_count("auto", snapshot) == min(2, os.cpu_count() or 1)
