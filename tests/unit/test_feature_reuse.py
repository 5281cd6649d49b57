"""A published feature table is found again only with the build key it was made with, and only
whole; the key follows the features code and the settings the build reads."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

import features
from hientai.featurestore import FEATURES_FILE, MANIFEST, FeatureStore
from hientai.settings import Settings
from pipelines import build_features as build_features_module
from pipelines.build_features import build_key

WHEN = pd.Timestamp("2026-01-01")


def _store(tmp_path: Path, key: str) -> FeatureStore:
    store = FeatureStore(tmp_path / "features")
    frame = pd.DataFrame({"person_id": ["P1", "P2"], "x": [1.0, 2.0]})
    store.publish(frame, {"build_key": key}, {}, snapshot_id="s", as_of=WHEN, version="v")
    return store


def test_found_with_its_key_only(tmp_path: Path) -> None:
    store = _store(tmp_path, "k1")
    found = store.find("s", WHEN, "v", "k1")
    assert found is not None and found.read()["x"].tolist() == [1.0, 2.0]
    assert store.find("s", WHEN, "v", "k2") is None  # other code or settings
    assert store.find("s", pd.Timestamp("2026-01-02"), "v", "k1") is None  # another date
    assert store.find("other", WHEN, "v", "k1") is None  # another snapshot


def test_a_table_that_is_not_whole_is_not_found(tmp_path: Path) -> None:
    store = _store(tmp_path, "k1")
    folder = store.folder("s", WHEN, "v")
    (folder / FEATURES_FILE).unlink()
    assert store.find("s", WHEN, "v", "k1") is None
    store = _store(tmp_path, "k1")
    (folder / MANIFEST).write_text("{not json", encoding="utf-8")
    assert store.find("s", WHEN, "v", "k1") is None
    legacy = _store(tmp_path / "old", "k1")  # built before keys existed: no key, rebuilt
    (legacy.folder("s", WHEN, "v") / MANIFEST).write_text("{}", encoding="utf-8")
    assert legacy.find("s", WHEN, "v", "k1") is None


def test_the_key_follows_the_settings_the_build_reads(tmp_path: Path) -> None:
    base = Settings(data_dir=tmp_path)
    assert build_key(base) == build_key(Settings(data_dir=tmp_path / "elsewhere"))
    changed = [
        base.model_copy(
            update={"features": base.features.model_copy(update={"engine": "duckdb"})}
        ),
        base.model_copy(
            update={
                "features": base.features.model_copy(
                    update={"proxy": base.features.proxy.model_copy(update={"threshold": 0.7})}
                )
            }
        ),
        base.model_copy(
            update={"contract": base.contract.model_copy(update={"org_levels": ["ministry"]})}
        ),
    ]
    assert len({build_key(base), *(build_key(s) for s in changed)}) == 4


def test_the_key_follows_the_features_code(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = tmp_path / "features"
    shutil.copytree(Path(features.__file__).parent, copy)
    monkeypatch.setattr(features, "__file__", str(copy / "__init__.py"))
    settings = Settings(data_dir=tmp_path)
    build_features_module._code_digest.cache_clear()
    before = build_key(settings)
    with (copy / "build.py").open("a", encoding="utf-8") as source:
        source.write("\n# a change to the code computing features\n")
    build_features_module._code_digest.cache_clear()
    try:
        assert build_key(settings) != before
    finally:
        build_features_module._code_digest.cache_clear()
