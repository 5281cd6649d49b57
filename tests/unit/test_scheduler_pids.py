"""`hientai schedule` only ever treats its own processes as its own: a process id the system
has given to someone else since (after a reboot) is neither "already running" nor stopped."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hientai_app.scheduler import Scheduler, _start_time


def _scheduler(tmp_path: Path) -> Scheduler:
    return Scheduler(tmp_path, tmp_path / "scheduler", port=1)


def test_a_recorded_process_is_ours_only_with_its_start_time(tmp_path: Path) -> None:
    scheduler = _scheduler(tmp_path)
    scheduler.state_dir.mkdir()
    pid_file = scheduler.state_dir / "worker.pid"
    me, started = os.getpid(), _start_time(os.getpid())
    assert started is not None and started.isdigit()
    pid_file.write_text(f"{me} {started}", encoding="utf-8")
    assert scheduler._pid("worker") == me
    pid_file.write_text(f"{me} {int(started) + 1}", encoding="utf-8")  # an id reused since
    assert scheduler._pid("worker") is None
    said: list[str] = []
    scheduler.down(said.append, grace_s=1)
    assert said == ["worker: not running", "server: not running"]
    assert not pid_file.exists()  # and this process, never ours, is untouched


def test_a_settings_file_reaches_every_flow_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HIENTAI_CONFIG", raising=False)
    config = tmp_path / "night.yaml"
    with_config = Scheduler(tmp_path, tmp_path / "s", config=config)
    assert with_config.env()["HIENTAI_CONFIG"] == str(config.resolve())
    assert with_config.env()["HIENTAI_HOME"] == str(tmp_path)
    assert "HIENTAI_CONFIG" not in _scheduler(tmp_path).env()
