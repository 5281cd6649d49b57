"""The deployments of prefect.yaml, run the way an operator runs them: a real Prefect server,
`prefect deploy --all`, a process worker started outside the project folder, the monthly
`retrain` started from the CLI and the 01:00 `nightly` run the scheduler created, brought
forward to now. The worker's environment (HIENTAI_CONFIG) is all that points the flow runs at
this test's data folder: the deployments carry no parameters."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from mlflow import MlflowClient

from hientai import tracking
from hientai.settings import Settings, load_settings
from hientai.storage import SnapshotStore
from hientai.synth import SynthConfig
from pipelines.results_db import ResultsDB
from tests.conftest import ingested_world
from tests.e2e.prefect_stack import (
    PrefectStack,
    clean_environment,
    flow_run_id_of,
    prefect_stack,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

REPO = Path(__file__).resolve().parents[2]
POOL = "hientai-process"
NIGHT_ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FLOW_RUN_TIMEOUT_S = 600  # a busy 2-core machine; a run takes ~30 s when idle


@dataclass(frozen=True)
class World:
    config: Path
    settings: Settings
    snapshot_id: str


@dataclass(frozen=True)
class Night:
    flow_run: dict[str, Any]
    scheduled_for: str  # when the scheduler had planned it
    nights: set[str]  # today in Vietnam when the run was started and when it ended
    manifest: dict[str, Any] | None


def _timed(stack: PrefectStack, step: str, started: float) -> None:
    stack.timings[step] = time.perf_counter() - started


def _state(run: dict[str, Any]) -> str:
    return str(run["state"]["type"])


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """An ingested 2,000-person extract in its own data folder; the first model trained on it
    becomes champion (no fairness floor)."""
    root = tmp_path_factory.mktemp("e2e-world")
    config, snapshot_id = ingested_world(
        root,
        SynthConfig(n_people=2000, n_external=100, years=10, seed=7),
        f"data_dir: {root / 'data'}\ntoday: 2026-06-01\n"
        # frame_workers: the retraining's dates on worker processes under a Prefect worker;
        # side_process: the night's side stages in a process spawned from the flow run's
        "training:\n  params: {n_estimators: 120}\n  gate: {min_impact_ratio: null}\n"
        "  frame_workers: 2\nnightly:\n  side_process: true\n",
    )
    return World(config, load_settings(config), snapshot_id)


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, world: World) -> Iterator[PrefectStack]:
    """Server, work pool, every deployment of prefect.yaml and a worker, as the README says."""
    home = tmp_path_factory.mktemp("e2e-prefect")
    with prefect_stack(home / "prefect-home") as stack:
        started = time.perf_counter()
        stack.cli("work-pool", "create", POOL, "--type", "process", cwd=home)
        stack.cli("deploy", "--all", "--no-prompt", cwd=REPO, HIENTAI_HOME=str(REPO))
        _timed(stack, "work pool + deploy --all", started)
        stack.start_worker(
            POOL,
            cwd=home,  # not the project: the pull step must move the flow runs there
            HIENTAI_HOME=str(REPO),
            HIENTAI_CONFIG=str(world.config),
            PREFECT_WORKER_QUERY_SECONDS="2",
        )
        yield stack
        print("\ne2e timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in stack.timings.items()))


@pytest.fixture(scope="module")
def retrained(stack: PrefectStack) -> dict[str, Any]:
    """The `retrain` deployment, run from the CLI with its (empty) default parameters."""
    started = time.perf_counter()
    watched = stack.cli(
        *("deployment", "run", "train/retrain", "--watch"),
        *("--watch-timeout", str(FLOW_RUN_TIMEOUT_S)),
        cwd=stack.home,
        timeout_s=FLOW_RUN_TIMEOUT_S + 120,
        check=False,  # a failed run exits 1: the tests assert on its state, with its logs
    )
    run = stack.wait_for_final_state(flow_run_id_of(watched.stdout), timeout_s=60)
    _timed(stack, "retrain run", started)
    return run


@pytest.fixture(scope="module")
def scheduled_night(stack: PrefectStack, world: World, retrained: dict[str, Any]) -> Night:
    """The next 01:00 run the scheduler created for `nightly`, brought forward to now."""
    nightly = stack.get("/deployments/name/nightly/nightly")
    run = _next_scheduled_run(stack, nightly["id"])
    started = time.perf_counter()
    nights = {dt.datetime.now(NIGHT_ZONE).date().isoformat()}
    now = dt.datetime.now(dt.UTC).isoformat()
    stack.post(
        f"/flow_runs/{run['id']}/set_state",
        {
            "state": {
                "type": "SCHEDULED",
                "name": "Scheduled",
                "state_details": {"scheduled_time": now},
            },
            "force": True,
        },
    )
    finished = stack.wait_for_final_state(run["id"], timeout_s=FLOW_RUN_TIMEOUT_S)
    nights.add(dt.datetime.now(NIGHT_ZONE).date().isoformat())
    _timed(stack, "nightly run", started)
    manifest = ResultsDB(world.settings.app_db_url).run()
    return Night(finished, run["expected_start_time"], nights, manifest)


def _next_scheduled_run(stack: PrefectStack, deployment_id: str) -> dict[str, Any]:
    query = {
        "flow_runs": {
            "deployment_id": {"any_": [deployment_id]},
            "state": {"type": {"any_": ["SCHEDULED"]}},
        },
        "sort": "EXPECTED_START_TIME_ASC",
        "limit": 1,
    }
    deadline = time.monotonic() + 120  # the scheduler service loops every 60 s
    while not (runs := stack.post("/flow_runs/filter", query)) and time.monotonic() < deadline:
        time.sleep(2)
    assert runs, f"the scheduler created no nightly run\n{stack.diagnostics()}"
    return dict(runs[0])


def test_deploy_creates_every_deployment_on_the_pool_with_its_schedule(
    stack: PrefectStack,
) -> None:
    deployments = {d["name"]: d for d in stack.post("/deployments/filter", {})}
    assert set(deployments) == {"nightly", "retrain", "ingest", "build-features"}
    for deployment in deployments.values():
        assert deployment["work_pool_name"] == POOL
        assert deployment["pull_steps"] == [
            {"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}
        ]
    schedules = {
        name: [
            (s["schedule"]["cron"], s["schedule"]["timezone"], s["active"]) for s in d["schedules"]
        ]
        for name, d in deployments.items()
    }
    assert schedules == {
        "nightly": [("0 1 * * *", "Asia/Ho_Chi_Minh", True)],
        "retrain": [("0 2 1 * *", "Asia/Ho_Chi_Minh", True)],
        "ingest": [],
        "build-features": [],
    }
    # One night and one retraining at a time: a later run waits (ENQUEUE), never overlaps.
    for name in ("nightly", "retrain"):
        assert deployments[name]["global_concurrency_limit"]["limit"] == 1
        assert deployments[name]["concurrency_options"]["collision_strategy"] == "ENQUEUE"


def test_retrain_from_the_cli_registers_a_champion_in_the_workers_data_folder(
    stack: PrefectStack, world: World, retrained: dict[str, Any]
) -> None:
    assert _state(retrained) == "COMPLETED", stack.diagnostics(retrained["id"])
    assert retrained["parameters"] == {}
    # A client of our own: tracking.connect would also set this process's global MLflow URI.
    client = MlflowClient(world.settings.tracking_uri, world.settings.tracking_uri)
    name = world.settings.training.model_name
    champion = tracking.aliases(client, name).get(tracking.CHAMPION)
    assert champion == "1", tracking.aliases(client, name)
    run = client.get_run(client.get_model_version(name, champion).run_id)
    assert run.data.tags["snapshot_id"] == world.snapshot_id
    assert run.data.tags["gate"] == "promote"
    assert run.data.params["frame_workers"] == "2"  # spawned from the flow run's process
    # the artifacts went to the data folder HIENTAI_CONFIG names, not the project folder
    assert run.info.artifact_uri.startswith(world.settings.data_dir.resolve().as_uri())


def test_the_01h00_nightly_run_publishes_the_night_with_no_parameters(
    stack: PrefectStack, world: World, scheduled_night: Night
) -> None:
    run = scheduled_night.flow_run
    assert _state(run) == "COMPLETED", stack.diagnostics(run["id"])
    assert run["auto_scheduled"] and run["parameters"] == {}
    planned = dt.datetime.fromisoformat(scheduled_night.scheduled_for).astimezone(NIGHT_ZONE)
    assert (planned.hour, planned.minute) == (1, 0)
    manifest = scheduled_night.manifest
    assert manifest is not None, "no night in the application database"
    assert manifest["night"] in scheduled_night.nights
    client = MlflowClient(world.settings.tracking_uri, world.settings.tracking_uri)
    champion = tracking.aliases(client, world.settings.training.model_name)[tracking.CHAMPION]
    assert str(manifest["model_version"]) == champion
    assert manifest["snapshot_id"] == world.snapshot_id
    snapshot = SnapshotStore(world.settings.snapshots_dir).open(world.snapshot_id)
    assert snapshot.date_range is not None
    covered = snapshot.date_range[1] + pd.Timedelta(days=1)  # a stale snapshot caps the date
    expected_as_of = min(pd.Timestamp(manifest["night"]), covered).strftime("%Y-%m-%d")
    assert manifest["as_of"] == expected_as_of
    folder = world.settings.runs_dir / manifest["night"]
    assert (folder / "report.html").read_text(encoding="utf-8").count("<html") == 1
    published = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert published["side_stages"] == "process"  # spawned under the Prefect worker
    assert {"warnings", "drift", "explain"} <= set(published["stage_seconds"])


def test_a_run_that_crashed_before_hientai_ran_is_in_the_history_and_the_next_report(
    stack: PrefectStack, world: World, scheduled_night: Night
) -> None:
    """A worker lost before the flow's code ran: only Prefect knows. The next night of the
    deployment copies it into the run history, `hientai runs` shows it, the report heads
    with it; the scheduled night itself is in the history as a completed deployment run."""
    nightly = stack.get("/deployments/name/nightly/nightly")
    lost = _next_scheduled_run(stack, nightly["id"])
    crashed = {"type": "CRASHED", "name": "Crashed", "message": "worker lost (exit code -9)"}
    stack.post(f"/flow_runs/{lost['id']}/set_state", {"state": crashed, "force": True})
    watched = stack.cli(
        *("deployment", "run", "nightly/nightly", "--watch"),
        *("--watch-timeout", str(FLOW_RUN_TIMEOUT_S)),
        cwd=stack.home,
        timeout_s=FLOW_RUN_TIMEOUT_S + 120,
        check=False,
    )
    again = stack.wait_for_final_state(flow_run_id_of(watched.stdout), timeout_s=60)
    assert _state(again) == "COMPLETED", stack.diagnostics(again["id"])

    shown = subprocess.run(
        [str(Path(sys.executable).with_name("hientai")), "runs", "--json", "--limit", "50"],
        env=clean_environment(HIENTAI_CONFIG=str(world.config)),
        cwd=stack.home,
        capture_output=True,
        text=True,
        check=True,
    )
    history = {run["attempt_id"]: run for run in json.loads(shown.stdout)}
    assert history[lost["id"]]["status"] == "crashed"
    assert history[lost["id"]]["reason"] == "seen by Prefect: worker lost (exit code -9)"
    for run in (scheduled_night.flow_run, again):
        recorded = history[run["id"]]
        assert (recorded["status"], recorded["trigger"]) == ("completed", "deployment")
        assert recorded["deployment"] == "nightly"
        assert recorded["snapshot_id"] == world.snapshot_id
    manifest = ResultsDB(world.settings.app_db_url).run()
    assert manifest is not None
    report = (world.settings.runs_dir / manifest["night"] / "report.html").read_text("utf-8")
    banner = report[report.index('id="problem-runs"') : report.index("</div>")]
    assert "worker lost (exit code -9)" in banner
