"""`make scheduler` (hientai schedule up / status / down), as an operator runs it: one command
brings up a server, the pool, every deployment and a worker that survive the command, and one
command stops them all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.e2e.prefect_stack import clean_environment, free_port

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.xdist_group("e2e")]

REPO = Path(__file__).resolve().parents[2]
HIENTAI = Path(sys.executable).with_name("hientai")


def _hientai(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HIENTAI), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_schedule_up_then_down(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "hientai.yaml"
    config.write_text(f"data_dir: {data}\n", encoding="utf-8")
    env = clean_environment(HIENTAI_CONFIG=str(config), HIENTAI_HOME=str(REPO))
    port = str(free_port())
    state = data / "scheduler"
    try:
        up = _hientai("schedule", "up", "--port", port, env=env, cwd=tmp_path)
        assert up.returncode == 0, up.stdout + up.stderr
        assert f"Prefect UI: http://127.0.0.1:{port}" in up.stdout
        status = _hientai("schedule", "status", "--port", port, env=env, cwd=tmp_path)
        assert status.returncode == 0 and json.loads(status.stdout)["worker"] is True
        api = f"http://127.0.0.1:{port}/api"
        names = {d["name"] for d in httpx.post(f"{api}/deployments/filter", json={}).json()}
        assert names == {"nightly", "retrain", "ingest", "build-features"}
        pools = httpx.post(f"{api}/work_pools/filter", json={}).json()
        assert [(p["name"], p["type"]) for p in pools] == [("hientai-process", "process")]
        # Its own Prefect home: never the database of the commands' temporary servers.
        assert (state / "prefect" / "prefect.db").exists()
        again = _hientai("schedule", "up", "--port", port, env=env, cwd=tmp_path)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "server: already running" in again.stdout
        assert "worker: already running" in again.stdout
        pids = [
            int((state / f"{name}.pid").read_text().split()[0]) for name in ("server", "worker")
        ]
    finally:
        down = _hientai("schedule", "down", "--port", port, env=env, cwd=tmp_path)
    assert down.returncode == 0, down.stdout + down.stderr
    assert "worker: stopped" in down.stdout and "server: stopped" in down.stdout
    assert not any(_alive(pid) for pid in pids)
    status = _hientai("schedule", "status", "--port", port, env=env, cwd=tmp_path)
    assert status.returncode == 1 and json.loads(status.stdout)["server"] is False
