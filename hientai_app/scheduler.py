"""`hientai schedule up|down|status`: the README's four scheduling steps as one command.

``up`` starts a Prefect server (its own home and SQLite database under the data folder, so it
never shares a database with the temporary servers of CLI commands), creates the process work
pool, runs ``prefect deploy --all`` from the project root and starts a process worker. Server
and worker run detached in their own sessions; their process ids and logs are kept in
``<data_dir>/scheduler/``, which ``down`` and ``status`` read. Each step is skipped when it is
already done, so ``up`` can be run again after a reboot or a code change (it re-deploys).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from hientai.housekeeping import pid_alive
from hientai.housekeeping import process_start_ticks as _start_time

POOL = "hientai-process"
PREFECT = Path(sys.executable).with_name("prefect")


class SchedulerError(RuntimeError):
    """A step of `hientai schedule` failed; the message says which and where its log is."""


def _alive(pid: int | None) -> bool:
    return pid is not None and pid_alive(pid)


@dataclass(frozen=True)
class Scheduler:
    root: Path  # the project folder: HIENTAI_HOME of the deployments' pull step
    state_dir: Path  # <data_dir>/scheduler: pid files, logs, the server's Prefect home
    host: str = "127.0.0.1"
    port: int = 4200
    pool: str = POOL
    config: Path | None = None  # a settings file of the user's: every flow run gets it too

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.port}/api"

    @property
    def ui_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        return (
            os.environ
            | {
                "PREFECT_HOME": str(self.state_dir / "prefect"),
                "PREFECT_API_URL": self.api_url,
                "PREFECT_SERVER_ANALYTICS_ENABLED": os.environ.get(
                    "PREFECT_SERVER_ANALYTICS_ENABLED", "false"
                ),
                "PREFECT_CLI_PROMPT": "false",
                "HIENTAI_HOME": str(self.root),
            }
            | ({"HIENTAI_CONFIG": str(self.config.resolve())} if self.config else {})
        )

    def _pid(self, name: str) -> int | None:
        """The process id of our server or worker if it still runs: the id recorded with its
        start time, both matching (a reused id after a reboot is not ours)."""
        path = self.state_dir / f"{name}.pid"
        try:
            pid_text, _, started = path.read_text(encoding="utf-8").strip().partition(" ")
            pid = int(pid_text)
        except (FileNotFoundError, ValueError):
            return None
        if not _alive(pid) or (started and _start_time(pid) not in (None, started)):
            return None
        return pid

    def _start(self, name: str, args: list[str]) -> int:
        log = (self.state_dir / f"{name}.log").open("a", encoding="utf-8")
        with log:
            process = subprocess.Popen(
                [str(PREFECT), *args],
                env=self.env(),
                cwd=self.state_dir,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # outlives this command; `down` stops its group
            )
        started = _start_time(process.pid) or ""
        (self.state_dir / f"{name}.pid").write_text(f"{process.pid} {started}", encoding="utf-8")
        return process.pid

    def _run(self, step: str, args: list[str], *, cwd: Path) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(PREFECT), *args],
            env=self.env() | {"COLUMNS": "200"},
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0 and step:
            raise SchedulerError(
                f"{step} failed (prefect {' '.join(args)}, exit {done.returncode}):\n"
                f"{done.stdout[-3000:]}{done.stderr[-3000:]}"
            )
        return done

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.api_url}/health", timeout=5).status_code == 200
        except httpx.HTTPError:
            return False

    def up(self, say: Callable[[str], None], *, timeout_s: float = 300) -> None:
        (self.state_dir / "prefect").mkdir(parents=True, exist_ok=True)
        if self._pid("server") is not None:
            self._wait_healthy(timeout_s)  # ours, perhaps still starting: never a second one
            say(f"server: already running at {self.ui_url}")
        else:
            self._start(
                "server", ["server", "start", "--host", self.host, "--port", str(self.port)]
            )
            self._wait_healthy(timeout_s)
            say(f"server: started at {self.ui_url} (log {self.state_dir / 'server.log'})")
        if self._run("", ["work-pool", "inspect", self.pool], cwd=self.state_dir).returncode:
            self._run("creating the work pool", ["work-pool", "create", self.pool, "--type",
                      "process"], cwd=self.state_dir)  # fmt: skip
            say(f"work pool {self.pool}: created")
        else:
            say(f"work pool {self.pool}: exists")
        self._run("deploying", ["deploy", "--all", "--no-prompt"], cwd=self.root)
        say("deployments: nightly (01:00), retrain (02:00 on the 1st), ingest, build-features")
        if self._pid("worker") is not None:
            say("worker: already running")
        else:
            self._start("worker", ["worker", "start", "--pool", self.pool])
            say(f"worker: started (log {self.state_dir / 'worker.log'})")

    def _wait_healthy(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s  # the first start migrates its database
        while time.monotonic() < deadline:
            if self.healthy():
                return
            if not _alive(self._pid("server")):
                break
            time.sleep(1)
        log = self.state_dir / "server.log"
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-20:])
        raise SchedulerError(f"the Prefect server did not start; last lines of {log}:\n{tail}")

    def down(self, say: Callable[[str], None], *, grace_s: float = 30) -> None:
        for name in ("worker", "server"):
            pid = self._pid(name)
            if pid is None:
                say(f"{name}: not running")
            else:
                _stop_group(pid, grace_s)
                say(f"{name}: stopped (process group {pid})")
            (self.state_dir / f"{name}.pid").unlink(missing_ok=True)

    def status(self) -> dict[str, object]:
        return {
            "server": self._pid("server") is not None and self.healthy(),
            "worker": self._pid("worker") is not None,
            "ui": self.ui_url,
            "api": self.api_url,
            "logs": str(self.state_dir),
        }


def _stop_group(pid: int, grace_s: float) -> None:
    """SIGTERM to the process group (a worker's flow runs too), SIGKILL what is left."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
