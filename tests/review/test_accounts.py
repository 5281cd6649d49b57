"""Accounts and sessions: argon2 hashes, throttled sign-in that never says which part was
wrong, sessions that end on idle, disable and reset, and the `hientai users` commands."""

from __future__ import annotations

from contextlib import closing
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hientai.settings import Settings
from hientai_app.cli import app as cli
from hientai_app.review import accounts, create_app, security
from hientai_app.review.db import ReviewDB
from tests.review.conftest import LiveServer, csrf_of, sign_in
from tests.review.world import PASSWORD


def _try(client: httpx.Client, username: str, password: str) -> httpx.Response:
    token = csrf_of(client.get("/signin").text)
    data = {"username": username, "password": password, "csrf_token": token}
    return client.post("/signin", data=data)


def test_passwords_are_stored_as_argon2_hashes(world: Settings) -> None:
    db = ReviewDB(world.app_db_url)
    with db.engine.connect() as conn:
        hashes = conn.execute(sa.select(db.users.c.password_hash)).scalars().all()
    assert hashes and all(h.startswith("$argon2id$") and PASSWORD not in h for h in hashes)


def test_refusals_read_the_same_whoever_is_asked(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url) as client:
        unknown = _try(client, "nobody-here", PASSWORD)
        wrong = _try(client, "scientist", "not-the-password")
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.text == wrong.text


def test_an_account_locks_after_too_many_failures_until_reset(
    world: Settings, live: LiveServer
) -> None:
    db = ReviewDB(world.app_db_url)
    accounts.add_user(db, "locky", role="planner", password=PASSWORD, scope_org_id=None, by="t")
    with httpx.Client(base_url=live.url) as client:
        for _ in range(world.review.max_failed_signins):
            assert _try(client, "locky", "wrong-password!").status_code == 401
        assert _try(client, "locky", PASSWORD).status_code == 401  # right, but locked
    accounts.reset_password(db, "locky", password=PASSWORD + "2", by="t")
    sign_in(live.url, "locky", PASSWORD + "2").close()


def test_one_address_is_throttled_across_usernames(world: Settings) -> None:
    strict = world.model_copy(update={"review": world.review.model_copy(
        update={"max_failed_signins": 1})})  # fmt: skip
    with LiveServer(create_app(strict)) as server, httpx.Client(base_url=server.url) as client:
        for number in range(4):  # max_failed_signins x the per-address factor
            assert _try(client, f"guess{number}", "wrong-password!").status_code == 401
        assert _try(client, "auditor", PASSWORD).status_code == 401


def test_disable_and_reset_end_open_sessions(world: Settings, live: LiveServer) -> None:
    db = ReviewDB(world.app_db_url)
    accounts.add_user(db, "leaver", role="auditor", password=PASSWORD, scope_org_id=None, by="t")
    client = sign_in(live.url, "leaver")
    assert client.get("/audit").status_code == 200
    accounts.disable_user(db, "leaver", by="t")
    assert client.get("/audit").headers["location"] == "/signin"
    accounts.reset_password(db, "leaver", password=PASSWORD, by="t")
    assert client.get("/audit").headers["location"] == "/signin"  # old session stays ended
    client.close()


def test_an_idle_session_expires(
    world: Settings, live: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = sign_in(live.url, "scientist")
    assert client.get("/runs").status_code == 200
    later = security.time.time() + world.review.session_minutes * 60 + 5
    monkeypatch.setattr(security.time, "time", lambda: later)
    assert client.get("/runs").headers["location"] == "/signin"
    client.close()


def test_users_commands(world: Settings, live: LiveServer, tmp_path: Path) -> None:
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {world.data_dir}\n", encoding="utf-8")
    runner = CliRunner()
    added = runner.invoke(cli, ["users", "add", "newbie", "--role", "planner", "--scope", "P1",
                                "--config", str(config)])  # fmt: skip
    assert added.exit_code == 0, added.output
    password = added.output.split("password (shown once): ")[1].split()[0]
    sign_in(live.url, "newbie", password).close()
    again = runner.invoke(cli, ["users", "add", "newbie", "--role", "planner",
                                "--config", str(config)])  # fmt: skip
    assert again.exit_code == 2 and "already exists" in again.output
    bad = runner.invoke(cli, ["users", "add", "x y", "--role", "boss", "--config", str(config)])
    assert bad.exit_code == 2 and "username" in bad.output
    nowhere = runner.invoke(cli, ["users", "add", "lost", "--role", "planner", "--scope", "Z9",
                                  "--config", str(config)])  # fmt: skip
    assert nowhere.exit_code == 2 and "'Z9' is not an organisation" in nowhere.output
    listed = runner.invoke(cli, ["users", "list", "--config", str(config)])
    assert "newbie\tplanner\tP1\tactive" in listed.output


def test_a_copied_session_cookie_dies_with_sign_out(world: Settings, live: LiveServer) -> None:
    db = ReviewDB(world.app_db_url)
    accounts.add_user(db, "copier", role="auditor", password=PASSWORD, scope_org_id=None, by="t")
    with closing(sign_in(live.url, "copier")) as client:
        stolen = dict(client.cookies)
        token = csrf_of(client.get("/audit").text)
        assert client.post("/signout", data={"csrf_token": token}).status_code == 303
    with httpx.Client(base_url=live.url, cookies=stolen) as thief:
        assert thief.get("/audit").headers["location"] == "/signin"
