"""The night's side process (pipelines/side_process.py): jobs run in one spawned process, their
errors come back as themselves, a process that dies is reported with what to do, and ``auto``
uses it only for a large extract on two cores or more."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from hientai.settings import load_settings
from hientai.storage import SnapshotStore
from pipelines.side_process import SideLost, SideProcess, side_process_wanted
from tests.data import side_jobs


def test_jobs_run_in_one_other_process_and_come_back() -> None:
    with SideProcess(enabled=True) as side:
        assert side.describe() == "process"
        (first_pid, value), seconds = side.run(side_jobs.pid_and, 2, plus=3)
        (second_pid, _), _ = side.run(side_jobs.pid_and, 0)
    assert value == 5 and 0 <= seconds < 5  # the job's own time, not the process's start
    assert first_pid == second_pid != os.getpid()


def test_busy_while_a_job_runs_or_waits(tmp_path: Path) -> None:
    """The night runs the explanations itself while the side process is busy (nightly.py)."""
    signal = tmp_path / "go"
    with SideProcess(enabled=True) as side:
        side.run(side_jobs.pid_and, 0)  # started and warm
        assert not side.busy()
        running = side.start(side_jobs.wait_for, str(signal))
        waiting = side.start(side_jobs.pid_and, 1)
        assert side.busy()
        signal.touch()
        assert side.result(running) == str(signal)
        side.result(waiting)
        assert not side.busy()
    assert not SideProcess(enabled=False).busy()


def test_disabled_runs_the_jobs_here() -> None:
    with SideProcess(enabled=False) as side:
        assert side.describe() == "threads"
        assert side.run(side_jobs.pid_and, 1)[0] == (os.getpid(), 1)


def test_a_job_error_comes_back_as_itself() -> None:
    with SideProcess(enabled=True) as side, pytest.raises(FileNotFoundError) as raised:
        side.run(side_jobs.refuse, "/runs/.work-1/scores.parquet")
    assert raised.value.filename == "/runs/.work-1/scores.parquet"  # the night names the file


def test_a_side_process_that_dies_is_reported_with_what_to_do() -> None:
    with SideProcess(enabled=True) as side, pytest.raises(SideLost) as lost:
        side.run(side_jobs.exit_abruptly)
    message = str(lost.value)
    assert "ended abruptly" in message and "nightly.side_process: false" in message


@pytest.mark.parametrize(
    ("setting", "cores", "people_from", "wanted"),
    [
        ("auto", 2, 1, True),  # a large extract (threshold at 1 person) on two cores
        ("auto", 1, 1, False),  # one core: nothing to run beside the night
        ("auto", 2, None, False),  # the test extract is under the real threshold
        (True, 1, None, True),
        (False, 8, 1, False),
    ],
)
def test_auto_wants_two_cores_and_a_large_extract(
    trained_world: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    setting: bool | str,
    cores: int,
    people_from: int | None,
    wanted: bool,
) -> None:
    config, _ = trained_world
    snapshot = SnapshotStore(load_settings(config).snapshots_dir).open(None)
    monkeypatch.setattr("pipelines.side_process.available_cores", lambda: cores)
    if people_from is not None:
        monkeypatch.setattr("pipelines.side_process.SIDE_FROM_PEOPLE", people_from)
    assert side_process_wanted(setting, snapshot) is wanted  # type: ignore[arg-type]
