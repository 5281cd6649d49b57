"""prefect.yaml names flows that exist, with schedules in Vietnam's time zone."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from prefect import Flow

ROOT = Path(__file__).resolve().parents[2]


def test_every_deployment_points_at_a_flow() -> None:
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    names = {d["name"] for d in config["deployments"]}
    assert {"nightly", "retrain", "ingest", "build-features"} <= names
    nightly = next(d for d in config["deployments"] if d["name"] == "nightly")
    assert [s["cron"] for s in nightly["schedules"]] == ["0 1 * * *"]
    for deployment in config["deployments"]:
        path, name = deployment["entrypoint"].split(":")
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        assert isinstance(getattr(module, name), Flow), deployment["entrypoint"]
        assert deployment["work_pool"]["name"] == "hientai-process"
        for schedule in deployment.get("schedules", []):
            assert schedule["timezone"] == "Asia/Ho_Chi_Minh"
