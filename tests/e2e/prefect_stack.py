"""A real Prefect server and process worker, started as an operator starts them (the CLI, in
their own process groups, logging to files), for end-to-end tests of the deployments.

Every command gets a clean environment: the developer's own ``PREFECT_*`` and ``HIENTAI_*``
variables (a profile pointing at a real server, a real data folder) never leak in.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import httpx

PREFECT = Path(sys.executable).with_name("prefect")
FINAL_STATES = frozenset({"COMPLETED", "FAILED", "CRASHED", "CANCELLED"})
FLOW_RUN_ID = re.compile(r"UUID: ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_environment(**extra: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "HIENTAI_"))}
    # Flow runs import the project from the checkout: no __pycache__ written into it.
    return inherited | {"PYTHONDONTWRITEBYTECODE": "1"} | extra


def tail(path: Path, lines: int = 60) -> str:
    if not path.exists():
        return f"({path}: no output)"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()
    return "\n".join(text[-lines:])


@dataclass
class Service:
    """A long-running command in its own session, so stopping it stops its children too
    (the worker's flow-run subprocesses)."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path
    _log_file: TextIO

    @classmethod
    def start(
        cls, name: str, args: list[str], *, env: dict[str, str], cwd: Path, log: Path
    ) -> Service:
        log_file = log.open("w", encoding="utf-8")
        process = subprocess.Popen(
            args,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return cls(name, process, log, log_file)

    def running(self) -> bool:
        return self.process.poll() is None

    def stop(self, *, grace_s: float = 30) -> None:
        """SIGTERM to the group, SIGKILL to whatever is left of it after ``grace_s``."""
        group = self.process.pid  # start_new_session: the group id is the leader's pid
        with suppress(ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(group, signal.SIGTERM)
            self.process.wait(timeout=grace_s)
        with suppress(ProcessLookupError):
            os.killpg(group, signal.SIGKILL)  # children outlive a leader that exited
        self.process.wait(timeout=grace_s)
        self._log_file.close()

    def report(self, lines: int = 60) -> str:
        status = "running" if self.running() else f"exited {self.process.returncode}"
        return f"--- {self.name} ({status}), last lines of {self.log}:\n{tail(self.log, lines)}"


@dataclass
class PrefectStack:
    """A Prefect server on a free local port, with its home (SQLite database) in ``home``."""

    home: Path
    port: int
    services: list[Service] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def env(self, **extra: str) -> dict[str, str]:
        return clean_environment(
            PREFECT_HOME=str(self.home),
            PREFECT_API_URL=self.api_url,
            PREFECT_SERVER_ANALYTICS_ENABLED="false",  # no internet
            PREFECT_CLI_PROMPT="false",
            **extra,
        )

    def start_server(self, *, timeout_s: float = 180) -> None:
        started = time.perf_counter()
        server = Service.start(
            "server",
            [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env(PREFECT_SERVER_UI_ENABLED="false"),
            cwd=self.home,
            log=self.home / "server.log",
        )
        self.services.append(server)
        deadline = time.monotonic() + timeout_s  # its first start migrates a SQLite database
        while time.monotonic() < deadline:
            if not server.running():
                raise RuntimeError(f"the Prefect server exited while starting\n{server.report()}")
            try:
                if httpx.get(f"{self.api_url}/health", timeout=5).status_code == 200:
                    self.timings["server start"] = time.perf_counter() - started
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.5)
        raise TimeoutError(
            f"no answer from {self.api_url}/health in {timeout_s} s\n{server.report()}"
        )

    def start_worker(self, pool: str, *, cwd: Path, **env: str) -> Service:
        worker = Service.start(
            "worker",
            [str(PREFECT), "worker", "start", "--pool", pool],
            env=self.env(**env),
            cwd=cwd,
            log=self.home / "worker.log",
        )
        self.services.append(worker)
        return worker

    def cli(
        self, *args: str, cwd: Path, timeout_s: float = 300, check: bool = True, **env: str
    ) -> subprocess.CompletedProcess[str]:
        """Run ``prefect ARGS``; a non-zero exit raises with the command's output if ``check``."""
        done = subprocess.run(
            [str(PREFECT), *args],
            env=self.env(COLUMNS="200", **env),  # rich wraps at 80 columns otherwise
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        if check and done.returncode != 0:
            raise RuntimeError(
                f"prefect {' '.join(args)} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
                f"\n{self.diagnostics()}"
            )
        return done

    def get(self, path: str) -> Any:
        answer = httpx.get(f"{self.api_url}{path}", timeout=30)
        answer.raise_for_status()
        return answer.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        answer = httpx.post(f"{self.api_url}{path}", json=body, timeout=30)
        answer.raise_for_status()
        return answer.json()

    def wait_for_final_state(self, flow_run_id: str, *, timeout_s: float) -> dict[str, Any]:
        """The flow run once its state is final (or as it is when ``timeout_s`` runs out)."""
        deadline = time.monotonic() + timeout_s
        while True:
            run = self.get(f"/flow_runs/{flow_run_id}")
            if run["state"]["type"] in FINAL_STATES or time.monotonic() > deadline:
                return run
            time.sleep(2)

    def flow_run_logs(self, flow_run_id: str, limit: int = 200) -> str:
        body = {
            "logs": {"flow_run_id": {"any_": [flow_run_id]}},
            "sort": "TIMESTAMP_ASC",
            "limit": limit,
        }
        try:
            logs = self.post("/logs/filter", body)
        except httpx.HTTPError as exc:
            return f"(flow run logs unavailable: {exc})"
        return "\n".join(f"{log['timestamp']} {log['name']}: {log['message']}" for log in logs)

    def diagnostics(self, flow_run_id: str | None = None) -> str:
        parts = [f"--- flow run {flow_run_id} logs:\n{self.flow_run_logs(flow_run_id)}"]
        return "\n".join(
            (parts if flow_run_id else []) + [s.report() for s in reversed(self.services)]
        )

    def stop(self) -> None:
        """Workers first: a worker outliving its server keeps retrying instead of stopping."""
        for service in reversed(self.services):
            service.stop()


@contextmanager
def prefect_stack(home: Path) -> Iterator[PrefectStack]:
    home.mkdir(parents=True, exist_ok=True)
    stack = PrefectStack(home=home, port=free_port())
    try:
        stack.start_server()
        yield stack
    finally:
        stack.stop()


def flow_run_id_of(output: str) -> str:
    """The flow run id ``prefect deployment run`` printed."""
    found = FLOW_RUN_ID.search(output)
    if found is None:
        raise ValueError(f"no flow run id in the output of `prefect deployment run`:\n{output}")
    return found.group(1)
