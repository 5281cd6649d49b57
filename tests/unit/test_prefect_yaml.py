"""prefect.yaml names flows that load the way Prefect loads them, with schedules in Vietnam's
time zone and no overlapping nights or retrainings."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIG = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
DEPLOYMENTS = {d["name"]: d for d in CONFIG["deployments"]}
# What a flow-run process does (prefect.flows.load_flow_from_entrypoint): run the entrypoint
# file as a script, its folder first on sys.path, in a fresh interpreter.
LOAD = """
import sys
from prefect.flows import load_flow_from_entrypoint
flow = load_flow_from_entrypoint(sys.argv[1], use_placeholder_flow=False)
print(flow.name)
"""


def test_every_deployment_is_scheduled_where_expected() -> None:
    assert {"nightly", "retrain", "ingest", "build-features"} <= set(DEPLOYMENTS)
    assert [s["cron"] for s in DEPLOYMENTS["nightly"]["schedules"]] == ["0 1 * * *"]
    for deployment in CONFIG["deployments"]:
        assert deployment["work_pool"]["name"] == "hientai-process"
        for schedule in deployment.get("schedules", []):
            assert schedule["timezone"] == "Asia/Ho_Chi_Minh"


@pytest.mark.parametrize("name", ["nightly", "build-features"])
def test_feature_builds_start_with_one_heap(name: str) -> None:
    from hientai.memory import ONE_HEAP

    assert DEPLOYMENTS[name]["work_pool"]["job_variables"]["env"] == ONE_HEAP


@pytest.mark.parametrize("name", ["nightly", "retrain"])
def test_nights_and_retrainings_never_overlap(name: str) -> None:
    limit = DEPLOYMENTS[name]["concurrency_limit"]
    assert limit == {"limit": 1, "collision_strategy": "ENQUEUE"}


def test_no_pipeline_module_hides_a_top_level_package() -> None:
    # Prefect puts pipelines/ first on sys.path: pipelines/features.py once hid `features`.
    folder = ROOT / "pipelines"
    modules = [p.stem for p in folder.glob("*.py") if p.stem != "__init__"]
    modules += [p.parent.name for p in folder.glob("*/__init__.py")]
    hidden = {}
    for name in modules:
        spec = importlib.util.find_spec(name)
        if spec is not None:
            hidden[name] = spec.origin
    assert hidden == {}, "rename these pipelines/ modules: they hide importable packages"


def test_a_module_hiding_a_package_is_caught(tmp_path: Path) -> None:
    # The check above would fire for the old name: `features` is importable.
    assert importlib.util.find_spec("features") is not None


def test_every_entrypoint_loads_as_prefect_loads_it() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    # Start all four at once: each is a cold interpreter importing the flow's dependencies.
    running = {
        name: subprocess.Popen(
            [sys.executable, "-c", LOAD, d["entrypoint"]],
            cwd=ROOT,  # the pull step's working directory ($HIENTAI_HOME)
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, d in DEPLOYMENTS.items()
    }
    loaded = {}
    for name, process in running.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, f"{DEPLOYMENTS[name]['entrypoint']}: {stderr[-2000:]}"
        loaded[name] = stdout.strip().splitlines()[-1]
    assert loaded == {
        "nightly": "nightly",
        "retrain": "train",
        "ingest": "ingest",
        "build-features": "build-features",
    }
