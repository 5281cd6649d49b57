"""The Dask engine publishes the local engine's night: the same shortlists (people, order,
scores) and explanations, with scoring and explanations partitioned across the worker
processes of a two-worker LocalCluster."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hientai.settings import load_settings
from pipelines.results_db import ResultsDB
from tests.conftest import FIRST_NIGHT

pytestmark = pytest.mark.xdist_group("prefect")
# More partitions than workers, and not a multiple of them: pieces come back out of order.
PARTS = 3


def _night_folder(world: Path, name: str, engine: str) -> Path:
    """A data folder of its own holding the world's snapshots, its registry shared: each night
    publishes into its own app database and run folder, touching no other test's night."""
    config = load_settings(world)
    root = world.parent / name
    data = root / "data"
    shutil.copytree(config.snapshots_dir, data / "snapshots")
    text = (
        f"data_dir: {data}\ntoday: 2026-06-01\n"
        f"training:\n  tracking_uri: {config.tracking_uri}\n"
        f"  artifact_location: {config.artifact_location}\n"
        f"engine: {engine}\n"
        f"dask: {{workers: 2, threads_per_worker: 1, partitions: {PARTS}}}\n"
    )
    (root / "conf.yaml").write_text(text, encoding="utf-8")
    return root / "conf.yaml"


def _published(config: Path) -> dict[str, pd.DataFrame]:
    db = ResultsDB(load_settings(config).app_db_url)
    run = db.run(FIRST_NIGHT)
    assert run is not None
    return {t: db.read(t, run["run_id"]) for t in ("entries", "explanations")}


def _partition_runs(since: dt.datetime) -> dict[str, list[str]]:
    """Names and final states of the partition task runs recorded since ``since``."""
    from prefect import get_client
    from prefect.client.schemas.filters import TaskRunFilter, TaskRunFilterStartTime

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(
            task_run_filter=TaskRunFilter(start_time=TaskRunFilterStartTime(after_=since))
        )
    found: dict[str, list[str]] = {}
    for run in runs:
        stage = run.name.rsplit("-", 1)[0]
        found.setdefault(stage, []).append(run.state.type.value if run.state else "?")
    return found


def test_a_dask_night_publishes_the_local_nights_shortlists_and_explanations(
    prefect_harness: None, first_training: dict, trained_world: tuple[Path, Path]
) -> None:
    from pipelines.nightly import nightly

    world, _ = trained_world  # the world's settings file
    local_config = _night_folder(world, "local-night", "local")
    dask_config = _night_folder(world, "dask-night", "dask")
    local = nightly(as_of=FIRST_NIGHT, config=str(local_config))
    started = dt.datetime.now(dt.UTC)
    on_dask = nightly(as_of=FIRST_NIGHT, config=str(dask_config))

    assert local["engine"] == {"name": "local"}
    started_in = on_dask["engine"].pop("start_seconds")
    assert on_dask["engine"] == {
        "name": "dask", "scheduler": "LocalCluster", "workers": 2, "parts": PARTS
    }  # fmt: skip
    assert 0 < started_in < on_dask["stage_seconds"]["score"]  # started for the score stage
    assert on_dask["mlflow_run_id"] is not None
    partitions = _partition_runs(started)
    assert partitions.get("score-partition") == ["COMPLETED"] * PARTS
    assert partitions.get("explain-partition") == ["COMPLETED"] * PARTS
    assert "score" not in partitions and "explain" not in partitions  # not run locally too

    assert on_dask["counts"] == local["counts"]
    want, got = _published(local_config), _published(dask_config)
    # In published order, every column: people, ranks, orders, scores, flags, names.
    pd.testing.assert_frame_equal(want["entries"], got["entries"], check_exact=True)
    listed = want["entries"]["in_shortlist"].astype(bool)
    assert listed.sum() == local["counts"]["shortlisted"] > 0
    assert want["explanations"]["person_id"].is_unique
    assert len(want["explanations"]) == local["counts"]["explanations"] > 0
    pd.testing.assert_frame_equal(want["explanations"], got["explanations"], check_exact=True)
    scores = [pd.read_parquet(Path(r["folder"]) / "scores.parquet") for r in (local, on_dask)]
    assert len(scores[0]) == local["counts"]["people_scored"]
    pd.testing.assert_frame_equal(scores[0], scores[1], check_exact=True)


def test_a_persons_partition_is_fixed_by_the_person_id_alone() -> None:
    """Workers and the flow must agree on who is in which partition. Python's own string hash
    changes from process to process (PYTHONHASHSEED); these partitions were computed once and
    must come out the same in every process and every release."""
    from pipelines.dask_engine import partition_of

    ids = pd.Series([f"P{i:07d}" for i in range(2000)])
    parts = partition_of(ids, 3)
    assert "".join(map(str, parts[:40])) == "1120210211002011020002011222122211012211"
    assert np.bincount(parts).tolist() == [674, 635, 691]  # every partition well filled
    assert (partition_of(ids.iloc[::-1], 3) == parts[::-1]).all()  # whoever else is there
    with pytest.raises(ValueError, match="parts must be at least 1"):
        partition_of(ids, 0)


def test_an_unreachable_scheduler_fails_the_night_with_a_message_naming_the_setting(
    tmp_path: Path,
) -> None:
    from hientai.settings import DaskSettings, Settings
    from pipelines.dask_engine import DaskUnavailable, dask_engine

    address = "tcp://127.0.0.1:9"  # the discard port: nothing listens
    settings = Settings(
        data_dir=tmp_path,
        engine="dask",
        dask=DaskSettings(scheduler=address, connect_timeout_s=2),
    )
    with pytest.raises(DaskUnavailable) as raised, dask_engine(settings, config="conf/night.yaml"):
        pass
    message = str(raised.value)
    assert message.startswith(f"the Dask scheduler at {address} (dask.scheduler in conf/night")
    assert "set engine: local" in message
