"""The night's drift stage: tonight's features and score against the champion's training rows
and against the previous night (models.drift), and the share of missing cells per snapshot
table.

Reads the work folder (classifier.pkl and scores.parquet of the score stage, previous.json
written before it) and writes drift.parquet and drift_profile.json there; publish copies
both into the run folder, where the next night finds the profile to compare with.
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from hientai.settings import Settings
from hientai.storage import Snapshot, SnapshotStore
from models.drift import DriftProfile, drift_summary, night_drift
from pipelines.nightly_stages import feature_frame, previous_night
from pipelines.results_db import ResultsDB

DRIFT_FILE, PROFILE_FILE = "drift.parquet", "drift_profile.json"
MAX_NAMED = 5  # features named in the run's warning line; drift.parquet has them all


def table_missing_shares(snapshot: Snapshot) -> dict[str, float]:
    """Share of missing cells of each table, from the Parquet footers' null counts (no table is
    read); NaN for a table whose footer lacks them or that has no rows."""
    shares = {}
    for table in snapshot.tables:
        path = snapshot.path / "tables" / f"{table}.parquet"
        if not path.is_file():
            continue
        meta = pq.read_metadata(path)
        cells = meta.num_rows * meta.num_columns
        nulls = 0
        for g in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                stats = meta.row_group(g).column(c).statistics
                if stats is None or not stats.has_null_count:
                    nulls = -1
                    break
                nulls += stats.null_count
            if nulls < 0:
                break
        shares[table] = nulls / cells if cells and nulls >= 0 else float("nan")
    return shares


def previous_profile(settings: Settings, workdir: Path) -> DriftProfile | None:
    """The drift profile of the night tonight is compared with (previous.json), from
    its run folder; None on a first night or if that night kept no profile."""
    previous_id = previous_night(workdir)
    if previous_id is None:
        return None
    runs = ResultsDB(settings.app_db_url).runs()
    report = runs.loc[runs["run_id"] == previous_id, "report_file"]
    if report.empty:
        return None
    path = Path(str(report.iloc[0])).parent / PROFILE_FILE
    if not path.is_file():  # a night published before drift was monitored
        return None
    return DriftProfile.from_dict(json.loads(path.read_text(encoding="utf-8")))


def drift_warnings(table: pd.DataFrame, settings: Settings) -> list[str]:
    """One line per row over a threshold, the largest PSI first."""
    cfg = settings.nightly.drift
    flagged = table.loc[table["warning"]]
    worst = flagged[["psi_vs_training", "psi_vs_previous"]].max(axis=1).fillna(-1.0)
    lines = []
    for row in flagged.assign(_worst=worst).sort_values("_worst", ascending=False).itertuples():
        sides = (
            (row.psi_vs_training, row.missing_share_training, "training"),
            (row.psi_vs_previous, row.missing_share_previous, "the previous night"),
        )
        parts = [
            f"PSI {psi:.2f} against {side}" for psi, _, side in sides if psi > cfg.psi_warning
        ]
        parts += [
            f"missing {row.missing_share:.0%} (was {before:.0%} at {side})"
            for _, before, side in sides
            if row.missing_share - before > cfg.missing_share_warning
        ]
        lines.append(f"{row.kind} {row.feature}: {'; '.join(parts)}")
    return lines


def drift(
    settings: Settings, snapshot_id: str, features_path: str, workdir: Path
) -> dict[str, Any]:
    """Compare tonight with the champion's training rows and with the previous night; write
    drift.parquet and tonight's profile. Returns summary figures and the warning lines."""
    classifier = pickle.loads((workdir / "classifier.pkl").read_bytes())
    columns = [*classifier.feature_names_, "score"]
    reference = getattr(classifier, "drift_reference_", None)  # None: trained before drift
    training = DriftProfile.from_dict(reference) if reference else None
    scores = pd.read_parquet(workdir / "scores.parquet", columns=["score"])
    names = list(dict.fromkeys([*classifier.feature_names_, "is_external"]))
    current = feature_frame(features_path, names)
    current["score"] = scores["score"].to_numpy()  # a column added, the frame not copied
    # Internal cadres only: the trees' training rows are theirs; external candidates (no
    # tenure, no grade) would read as missing values against training every night.
    current = current.loc[~classifier.external_rows(current)]
    tables = table_missing_shares(SnapshotStore(settings.snapshots_dir).open(snapshot_id))
    cfg = settings.nightly.drift
    table, profile = night_drift(
        current,
        columns,
        training=training,
        previous=previous_profile(settings, workdir),
        tables=tables,
        psi_warning=cfg.psi_warning,
        missing_share_warning=cfg.missing_share_warning,
    )
    table.to_parquet(workdir / DRIFT_FILE, index=False)
    (workdir / PROFILE_FILE).write_text(json.dumps(profile.to_dict()), encoding="utf-8")
    summary = {k: v for k, v in drift_summary(table).items() if np.isfinite(v)}
    return {"summary": summary, "warnings": drift_warnings(table, settings)}
