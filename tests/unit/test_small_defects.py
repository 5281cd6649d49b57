"""Small defects of issue 9, each pinned by a test that failed before its fix: the as_of range
message, a night with nobody to explain, and the licence file pyproject.toml names."""

from __future__ import annotations

import hashlib
import pickle
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.inputs import AsOfError, check_as_of
from hientai.featurestore import FeatureStore
from hientai.settings import Settings
from models.potential import PotentialClassifier
from pipelines.nightly_stages import explain
from pipelines.results_db import FRAME_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
RANGE = (pd.Timestamp("2005-03-10"), pd.Timestamp("2024-12-31"))
# md5 of https://www.apache.org/licenses/LICENSE-2.0.txt, the licence's canonical text
APACHE_2_MD5 = "3b83ef96387f14655fc854ddc3c6bd57"


@pytest.mark.parametrize("as_of", ["2005-03-11", "2024-12-31", "2025-01-01"])
def test_every_as_of_the_message_allows_is_accepted(as_of: str) -> None:
    check_as_of(RANGE, pd.Timestamp(as_of))


@pytest.mark.parametrize("as_of", ["2005-03-10", "2025-01-02", "2030-01-01"])
def test_the_range_message_names_the_first_and_last_allowed_as_of(as_of: str) -> None:
    with pytest.raises(AsOfError) as raised:
        check_as_of(RANGE, pd.Timestamp(as_of))
    message = str(raised.value)
    day = pd.Timedelta(days=1)
    # the allowed range is first < as_of <= last + 1 day, whatever the message says
    earliest, latest = RANGE[0] + day, RANGE[1] + day
    assert f"pick an as_of from {earliest:%Y-%m-%d} to {latest:%Y-%m-%d}" in message
    assert "2025-01-01" in message and f"as_of {as_of}" in message


def _night_folder(tmp_path: Path) -> tuple[Path, str]:
    """A work folder holding a fitted classifier, as the score stage leaves it, and features."""
    rng = np.random.default_rng(0)
    n = 300
    X = pd.DataFrame(
        {
            "kpi_achievement_3y": rng.normal(1.0, 0.15, n),
            "tenure_years": rng.uniform(1, 30, n),
        }
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-3 * (X["kpi_achievement_3y"] - 1)))).astype(int)
    classifier = PotentialClassifier(params={"n_estimators": 5}).fit(
        X, y.to_numpy(), calibrate_on=rng.random(n) < 0.3
    )
    workdir = tmp_path / "work"
    workdir.mkdir()
    (workdir / "classifier.pkl").write_bytes(pickle.dumps(classifier))
    features = X.assign(person_id=[f"P{i}" for i in range(n)])
    table = FeatureStore(tmp_path / "features").publish(
        features, {}, {}, snapshot_id="s", as_of=pd.Timestamp("2026-01-01"), version="v"
    )
    return workdir, str(table.path)


@pytest.mark.parametrize("entries", [0, 3])
def test_a_night_with_nobody_shortlisted_explains_no_one_and_does_not_crash(
    tmp_path: Path, entries: int
) -> None:
    workdir, features_path = _night_folder(tmp_path)
    pd.DataFrame(
        {"person_id": [f"P{i}" for i in range(entries)], "in_shortlist": [False] * entries}
    ).to_parquet(workdir / "entries.parquet", index=False)
    settings = Settings(data_dir=tmp_path / "data")
    found = explain(settings, features_path, workdir)
    assert found["explanations"] == 0
    written = pd.read_parquet(workdir / "explanations.parquet")
    assert written.empty and tuple(written.columns) == FRAME_COLUMNS["explanations"]


def test_the_licence_file_is_the_apache_2_text_pyproject_names() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert project["license"] == {"text": "Apache-2.0"}
    text = (ROOT / "LICENSE").read_bytes()
    assert hashlib.md5(text).hexdigest() == APACHE_2_MD5
    assert b"Apache License\n                           Version 2.0, January 2004" in text
