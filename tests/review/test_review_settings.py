"""The review app's deployer settings: the session key from the settings file, overridden by
$HIENTAI_REVIEW_SECRET, and used to sign the session cookie (a second app with the same key
accepts a session the first signed; one with another key does not)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from hientai.settings import REVIEW_SECRET_ENV, Settings, load_settings
from hientai_app.review import create_app
from tests.review.conftest import LiveServer, sign_in


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv(REVIEW_SECRET_ENV, raising=False)
    path = tmp_path / "conf.yaml"
    path.write_text(
        f"data_dir: {tmp_path / 'data'}\nreview:\n  secret: from-the-file\n  threads: 3\n",
        encoding="utf-8",
    )
    yield path


def test_the_secret_comes_from_the_file_and_the_environment_overrides_it(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = load_settings(config)
    assert settings.review.secret is not None
    assert settings.review.secret.get_secret_value() == "from-the-file"
    assert settings.review.threads == 3
    assert "from-the-file" not in repr(settings)  # never printed with the settings
    monkeypatch.setenv(REVIEW_SECRET_ENV, "from-the-environment")
    overridden = load_settings(config)
    assert overridden.review.secret.get_secret_value() == "from-the-environment"  # type: ignore[union-attr]
    assert overridden.review.threads == 3  # the rest of the section is kept


def _with_secret(world: Settings, secret: str) -> Settings:
    review = world.review.model_copy(update={"secret": SecretStr(secret)})
    return world.model_copy(update={"review": review})


def test_apps_with_the_same_secret_accept_each_others_sessions(world: Settings) -> None:
    first = LiveServer(create_app(_with_secret(world, "shared-key-1")))
    same = LiveServer(create_app(_with_secret(world, "shared-key-1")))
    other = LiveServer(create_app(_with_secret(world, "another-key")))
    with first, same, other:
        signed = sign_in(first.url, "scientist")
        cookies = dict(signed.cookies)
        signed.close()
        with httpx.Client(base_url=same.url, cookies=cookies) as client:
            assert client.get("/runs").status_code == 200
        with httpx.Client(base_url=other.url, cookies=cookies) as client:
            assert client.get("/runs").headers["location"] == "/signin"
