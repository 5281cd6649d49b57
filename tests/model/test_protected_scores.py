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
    births = pd.to_datetime(protected["birth_date"])
    out["birth_date"] = births.where(~protected.index.isin(head), births - pd.Timedelta(days=3650))
    return out


def test_changing_only_protected_attributes_changes_no_score(
    first_training: dict, trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    from features.build import build_features
    from hientai import tracking
    from pipelines.build_features import snapshot_tables

    config, _ = trained_world
    settings = load_settings(config)
    snapshot = SnapshotStore(settings.snapshots_dir).open()
    twin_dir = tmp_path / "data"
    shutil.copytree(snapshot.path, twin_dir / "snapshots" / snapshot.id)
    (twin_dir / "snapshots" / LATEST).write_text(snapshot.id, encoding="utf-8")
    folder = twin_dir / "snapshots" / snapshot.id / "protected"
    protected_file = folder / f"{PROTECTED_TABLE}.parquet"
    protected_file.chmod(0o600)
    original = pd.read_parquet(protected_file)
    _flip(original).to_parquet(protected_file, index=False)
    classifier, _ = tracking.load_champion(settings)
    scores = {}
    for name, data_dir in (("original", settings.data_dir), ("twin", twin_dir)):
        world = settings.model_copy(update={"data_dir": data_dir})
        twin_protected = (
            SnapshotStore(world.snapshots_dir).open().read_protected(purpose="fairness_audit")
        )
        flipped = (twin_protected["nationality"].head(CHANGED) == "FR").all()
        assert flipped == (name == "twin")  # the twin really reads the changed attributes
        _, tables = snapshot_tables(world, snapshot.id)
        features = build_features(tables, "2026-01-01")
        scores[name] = pd.DataFrame(
            {
                "person_id": features["person_id"].astype(str),
                "raw": classifier.raw_score(features),
                "score": classifier.predict_proba(features),
            }
        )
    changed = set(original["person_id"].astype(str)[:CHANGED])
    scored = changed & set(scores["twin"]["person_id"])  # some changed people have left
    assert len(scored) > CHANGED // 2
    pd.testing.assert_frame_equal(scores["original"], scores["twin"], check_exact=True)
