"""A command starts Prefect's temporary server before importing its flow, so that the two
overlap; the flow then runs against it, and a user's own server always wins."""

from __future__ import annotations

import httpx
import pytest
from prefect.settings import PREFECT_API_URL, temporary_settings

from hientai_app.cli.common import EarlyPrefectServer

USERS_SERVER = "http://127.0.0.1:9/api"


def test_an_api_address_in_the_environment_starts_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREFECT_API_URL", USERS_SERVER)
    server = EarlyPrefectServer()
    assert server.process is None
    with temporary_settings(updates={PREFECT_API_URL: USERS_SERVER}), server.ready():
        assert PREFECT_API_URL.value() == USERS_SERVER


def test_the_flow_runs_against_the_early_server_and_it_stops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = EarlyPrefectServer()
    process = server.process
    assert process is not None
    try:
        with temporary_settings(restore_defaults={PREFECT_API_URL}), server.ready():
            assert PREFECT_API_URL.value() == server.api_url
            assert httpx.get(f"{server.api_url}/health", timeout=5).status_code == 200
    finally:
        server.stop()
    assert process.poll() is not None and server.process is None
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.api_url}/health", timeout=2)


def test_an_address_from_the_users_prefect_profile_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = EarlyPrefectServer()  # the environment names no server: one is started
    process = server.process
    assert process is not None
    with temporary_settings(updates={PREFECT_API_URL: USERS_SERVER}), server.ready():
        assert PREFECT_API_URL.value() == USERS_SERVER  # the profile's, as set
        assert process.poll() is not None  # ours stopped at once, not left running
    assert server.process is None


def test_a_server_that_dies_leaves_the_start_to_prefect(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    server = EarlyPrefectServer()
    assert server.process is not None
    server.process.kill()
    server.process.wait()
    with temporary_settings(restore_defaults={PREFECT_API_URL}), server.ready():
        assert PREFECT_API_URL.value() is None  # Prefect starts its own and says what stops it
    assert server.process is None
