"""The review app's fixtures: the tiny hostile world served by a real uvicorn server on a free
port, and signed-in HTTP clients."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from hientai.settings import Settings
from hientai_app.review import create_app
from tests.review.world import PASSWORD, build_world

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LiveServer:
    """uvicorn serving an app in a thread of the test process."""

    def __init__(self, app: object) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the review app did not start within 30 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_world(tmp_path_factory.mktemp("review-world"))


@pytest.fixture(scope="session")
def live(world: Settings) -> Iterator[LiveServer]:
    with LiveServer(create_app(world)) as server:
        yield server


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no CSRF token"
    return found.group(1)


def sign_in(base_url: str, username: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
    token = csrf_of(client.get("/signin").text)
    answer = client.post(
        "/signin", data={"username": username, "password": password, "csrf_token": token}
    )
    assert answer.status_code == 303, f"{username} could not sign in: {answer.status_code}"
    return client


@pytest.fixture(scope="session")
def client_for(live: LiveServer) -> Iterator[Callable[[str], httpx.Client]]:
    """A signed-in client per world user, kept for the session (argon2 makes each sign-in
    cost tens of milliseconds, and the matrix asks hundreds of times)."""
    opened: dict[str, httpx.Client] = {}

    def get(username: str) -> httpx.Client:
        if username not in opened:
            opened[username] = sign_in(live.url, username)
        return opened[username]

    yield get
    for client in opened.values():
        client.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots of the browser tests (git-ignored; CI uploads the folder)."""
    folder = Path(__file__).resolve().parents[2] / "test-artifacts" / "review"
    folder.mkdir(parents=True, exist_ok=True)
    return folder
