"""One night per date at a time, across processes, with SQLite (a file lock) and PostgreSQL
(an advisory lock); nights for different dates run together (issue 14)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hientai.settings import Settings, load_settings
from pipelines.night_lock import (
    NightLocked,
    held_file_locks,
    night_lock,
    one_night_at_a_time,
)

HOLD = """
import sys, time
from pathlib import Path
from hientai.settings import load_settings
from pipelines.night_lock import night_lock
config, night, ready, hold_s = sys.argv[1], sys.argv[2], Path(sys.argv[3]), float(sys.argv[4])
with night_lock(load_settings(Path(config)), night):
    ready.write_text("locked")
    time.sleep(hold_s)
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    """A settings file on SQLite, or on a fresh PostgreSQL database."""
    lines = [f"data_dir: {tmp_path / 'data'}"]
    if request.param == "postgresql":
        uri = request.getfixturevalue("postgres_uri")
        lines.append(f"nightly: {{app_db_url: '{uri}'}}")
    path = tmp_path / "conf.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield path


def _holder(config: Path, night: str, tmp_path: Path, hold_s: float) -> subprocess.Popen[bytes]:
    """Another process that takes the night's lock and holds it for ``hold_s`` seconds."""
    ready = tmp_path / f"ready-{night}-{time.monotonic_ns()}"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(config), night, str(ready), str(hold_s)],
        cwd=Path(__file__).resolve().parents[2],
    )
    deadline = time.monotonic() + 60
    while not ready.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise AssertionError(f"the holder did not take the lock (exit {process.poll()})")
        time.sleep(0.05)
    return process


def test_a_second_night_for_the_same_date_stops_naming_the_first(
    config: Path, tmp_path: Path
) -> None:
    settings = load_settings(config)
    first = _holder(config, "2026-01-01", tmp_path, hold_s=60)
    try:
        with pytest.raises(NightLocked) as caught, night_lock(settings, "2026-01-01", wait_s=0):
            pytest.fail("the lock of a running night was taken twice")
        message = str(caught.value)
        assert message.startswith(f"another night for 2026-01-01 is running (process {first.pid}")
        assert "HIENTAI_NIGHT_LOCK_WAIT=SECONDS" in message
        # A night for another date is not held up.
        with night_lock(settings, "2026-01-02", wait_s=0):
            pass
    finally:
        first.kill()
        first.wait()


def test_a_killed_night_releases_its_lock(config: Path, tmp_path: Path) -> None:
    settings = load_settings(config)
    first = _holder(config, "2026-01-01", tmp_path, hold_s=60)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    # PostgreSQL ends the killed client's session as soon as its socket closes.
    with night_lock(settings, "2026-01-01", wait_s=10):
        pass


def test_a_second_night_can_wait_for_the_first(config: Path, tmp_path: Path) -> None:
    settings = load_settings(config)
    first = _holder(config, "2026-01-01", tmp_path, hold_s=1.5)
    started = time.monotonic()
    with night_lock(settings, "2026-01-01", wait_s=30):
        assert first.poll() is not None or time.monotonic() - started > 1.0
    first.wait()
    assert first.returncode == 0


def test_doctor_sees_a_held_file_lock(tmp_path: Path) -> None:
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    settings = load_settings(config)
    first = _holder(config, "2026-01-01", tmp_path, hold_s=60)
    try:
        held = held_file_locks(settings)
        assert [(h.night, h.pid) for h in held] == [("2026-01-01", first.pid)]
    finally:
        first.kill()
        first.wait()
    assert held_file_locks(settings) == []


def test_the_flow_decorator_locks_the_night_of_its_arguments(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {settings.data_dir}\n", encoding="utf-8")
    seen = []

    @one_night_at_a_time
    def nightly(
        extract: str | None = None, as_of: str | None = None, config: str | None = None
    ) -> str:
        # Inside the night: its lock is held, another date's is free.
        with pytest.raises(NightLocked), night_lock(settings, "2026-03-01", wait_s=0):
            pass
        with night_lock(settings, "2026-03-02", wait_s=0):
            seen.append(as_of)
        return "done"

    # Prefect passes parameters by position as well as by name.
    assert nightly(None, "2026-03-01", str(config)) == "done"
    assert nightly(as_of="2026-03-01", config=str(config)) == "done"
    assert seen == ["2026-03-01", "2026-03-01"]
