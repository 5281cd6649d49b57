"""`hientai serve` as a deployer runs it: the command in its own process, one worker and two,
serving the sign-in page and a signed-in shortlist index over loopback."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import httpx
import pytest

from hientai.settings import Settings
from tests.review.conftest import free_port, sign_in

pytestmark = pytest.mark.slow
HIENTAI = Path(sys.executable).with_name("hientai")


@contextmanager
def served(config: Path, workers: int) -> Iterator[str]:
    port = free_port()
    command = [str(HIENTAI), "serve", "--config", str(config), "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", str(workers)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            assert process.poll() is None, process.stdout.read().decode()  # type: ignore[union-attr]
            try:
                if httpx.get(f"{url}/signin", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "hientai serve did not answer within 180 s"
            time.sleep(0.2)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:  # the serving is what is tested, not the shutdown
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
        process.stdout.close()  # type: ignore[union-attr]


@pytest.mark.parametrize("workers", [1, 2])
def test_the_serve_command_serves_signed_in_pages(
    world: Settings, tmp_path: Path, workers: int
) -> None:
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {world.data_dir}\ntoday: {world.today}\n", encoding="utf-8")
    with served(config, workers) as url:
        signin = httpx.get(f"{url}/signin")
        assert signin.status_code == 200 and 'name="csrf_token"' in signin.text
        assert httpx.get(f"{url}/shortlists").status_code in (302, 303)  # signed out: sign in
        with closing(sign_in(url, "planner")) as client:
            page = client.get("/shortlists")
        assert page.status_code == 200 and "<table" in page.text
