"""pipelines.champion: the champion loaded ahead is used only while the registry still names
it; otherwise, and when the load ahead failed, the score stage loads it itself."""

from __future__ import annotations

import threading
from dataclasses import dataclass

import pytest

from hientai import tracking
from hientai.settings import Settings
from pipelines import champion


@dataclass(frozen=True)
class Version:
    version: str
    run_id: str


class Registry:
    """The registry's champion now, and every load (with the thread it ran on)."""

    def __init__(self, version: Version) -> None:
        self.version = version
        self.loads: list[tuple[Version, str]] = []
        self.models: list[object] = []
        self.gate = threading.Event()
        self.gate.set()
        self.fail: Exception | None = None

    def load(self, settings: Settings) -> tuple[object, Version]:
        if threading.current_thread().name == "champion-ahead":
            assert self.gate.wait(10)  # the load ahead waits until the test lets it go
        self.loads.append((self.version, threading.current_thread().name))
        if self.fail is not None:
            raise self.fail
        loaded = object()
        self.models.append(loaded)
        return loaded, self.version


@pytest.fixture
def registry(monkeypatch, tmp_path):
    found = Registry(Version("3", "run-3"))
    monkeypatch.setattr(champion, "_load", found.load)
    monkeypatch.setattr(tracking, "connect", lambda settings: None)
    monkeypatch.setattr(tracking, "alias_version", lambda client, name, alias: found.version)
    settings = Settings(data_dir=tmp_path)
    yield found, settings
    champion.forget(settings)


def test_the_champion_loaded_ahead_is_the_one_scored(registry):
    found, settings = registry
    champion.load_ahead(settings)
    champion.load_ahead(settings)  # once per registry and model
    classifier, version = champion.champion(settings)
    assert version == Version("3", "run-3")
    assert found.loads == [(Version("3", "run-3"), "champion-ahead")]
    assert classifier is found.models[0]
    # taken once: the next night's score stage loads for itself
    champion.champion(settings)
    assert [thread for _, thread in found.loads][1] != "champion-ahead"


def test_a_champion_promoted_meanwhile_is_loaded_instead(registry):
    found, settings = registry
    found.gate.clear()
    champion.load_ahead(settings)
    found.gate.set()  # version 3 loads ahead ...
    while not found.loads:
        threading.Event().wait(0.01)
    found.version = Version("4", "run-4")  # ... then a retraining promotes version 4
    _, version = champion.champion(settings)
    assert version == Version("4", "run-4")
    assert [v.version for v, _ in found.loads] == ["3", "4"]


def test_a_failed_load_ahead_is_tried_again_and_says_why(registry):
    found, settings = registry
    found.fail = LookupError(tracking.NO_CHAMPION.format(name="hientai-potential"))
    champion.load_ahead(settings)
    with pytest.raises(LookupError, match="has no champion yet"):
        champion.champion(settings)
    assert len(found.loads) == 2  # ahead, then the score stage's own


def test_a_load_no_score_stage_took_is_forgotten(registry):
    found, settings = registry
    found.gate.clear()
    champion.load_ahead(settings)
    champion.forget(settings)
    champion.champion(settings)  # does not wait for the load ahead: loads here
    assert found.loads == [(Version("3", "run-3"), threading.current_thread().name)]
    found.gate.set()
