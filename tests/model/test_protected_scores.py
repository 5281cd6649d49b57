"""Changing only a person's protected attributes changes no score in the nightly run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from hientai.contract import PROTECTED_TABLE
from hientai.ingest.publish import LATEST
from hientai.settings import load_settings
from hientai.storage import SnapshotStore

pytestmark = pytest.mark.xdist_group("prefect")
CHANGED = 300


def _flip(protected: pd.DataFrame) -> pd.DataFrame:
    """Every protected attribute of the first CHANGED people set to something else."""
    head = protected.index[:CHANGED]
    out = protected.copy()
    out.loc[head, "party_member"] = ~protected.loc[head, "party_member"].astype("boolean")
    out.loc[head, "nationality"] = "FR"
    out.loc[head, "gender"] = protected.loc[head, "gender"].map({"male": "female"}).fillna("male")
    out.loc[head, "ethnicity"] = "Hmông"
    out.loc[head, "religion"] = "Phật giáo"
    out.loc[head, "hometown_province"] = "ZZ"
    out.loc[head, "birth_date"] = pd.to_datetime(protected.loc[head, "birth_date"]) - pd.Timedelta(
        days=3650
    )
    return out


def test_changing_only_protected_attributes_changes_no_score(
    first_training: dict, trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    from pipelines import nightly_stages as stages
    from pipelines.features import feature_stage

    config, _ = trained_world
    settings = load_settings(config)
    snapshot = SnapshotStore(settings.snapshots_dir).open()
    twin_dir = tmp_path / "data"
    shutil.copytree(snapshot.path, twin_dir / "snapshots" / snapshot.id)
    (twin_dir / "snapshots" / LATEST).write_text(snapshot.id, encoding="utf-8")
    protected_file = (
        twin_dir / "snapshots" / snapshot.id / "protected" / f"{PROTECTED_TABLE}.parquet"
    )
    protected_file.chmod(0o600)
    original = pd.read_parquet(protected_file)
    _flip(original).to_parquet(protected_file, index=False)
    twin_config = tmp_path / "twin.yaml"
    twin_config.write_text(
        f"data_dir: {twin_dir}\ntraining:\n  tracking_uri: {settings.tracking_uri}\n",
        encoding="utf-8",
    )
    scores = {}
    for name, cfg in (("original", config), ("twin", twin_config)):
        built = feature_stage.fn(snapshot.id, "2026-01-01", str(cfg))
        work = tmp_path / name
        work.mkdir()
        stages.score(load_settings(cfg), built["path"], work)
        scores[name] = pd.read_parquet(work / "scores.parquet")
    changed = set(original["person_id"].astype(str)[:CHANGED])
    assert changed <= set(scores["twin"]["person_id"])  # the changed people were scored
    pd.testing.assert_frame_equal(scores["original"], scores["twin"], check_exact=True)
