"""Jobs for tests/data/test_side_process.py's side process, in a module of their own: a spawned
process imports the module of each job it runs, and this one imports nothing heavy."""

from __future__ import annotations

import os
from pathlib import Path


def pid_and(value: int, *, plus: int = 0) -> tuple[int, int]:
    return os.getpid(), value + plus


def wait_for(path: str) -> str:
    """Runs until ``path`` exists (the test's signal that it may end)."""
    import time

    while not Path(path).exists():
        time.sleep(0.02)
    return path


def refuse(name: str) -> None:
    raise FileNotFoundError(2, "No such file or directory", name)


def exit_abruptly() -> None:
    os._exit(3)  # as the kernel's OOM killer would end it: no exception, no cleanup


def half_written_reports(staging: Path, *args: object) -> None:
    """A report writer that fails half-way in the side process (the night's publish)."""
    (staging / "report.html").write_text("<html>half", encoding="utf-8")
    raise RuntimeError("the report broke half-way")


def reports_killed(staging: Path, *args: object) -> None:
    (staging / "report.html").write_text("<html>half", encoding="utf-8")
    os._exit(3)
