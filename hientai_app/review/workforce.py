"""The night's whole scored workforce for the 9-box grid and for finding a person's unit:
the run folder's scores (everyone the champion scored) joined to the snapshot's people and
ratings. Built once per run and kept (a run never changes)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pandas as pd

from hientai.settings import Settings
from hientai.storage import SnapshotNotFound, SnapshotStore
from hientai_app.review import talent

SCORES_FILE, MANIFEST_FILE = "scores.parquet", "manifest.json"
_KEEP_RUNS = 2


class WorkforceCache:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._frames: dict[str, pd.DataFrame | None] = {}
        self._lock = threading.Lock()

    def get(self, run: dict[str, Any]) -> pd.DataFrame | None:
        """The run's workforce (indexed by person id), or None when its run folder's scores
        are not there (another run published since, or the folder was moved)."""
        with self._lock:
            if run["run_id"] not in self._frames:
                if len(self._frames) >= _KEEP_RUNS:
                    self._frames.pop(next(iter(self._frames)))
                self._frames[run["run_id"]] = self._build(run)
            return self._frames[run["run_id"]]

    def _build(self, run: dict[str, Any]) -> pd.DataFrame | None:
        folder = self.settings.runs_dir / run["night"]
        try:
            manifest = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
            scores = pd.read_parquet(folder / SCORES_FILE, columns=["person_id", "score"])
            snapshot = SnapshotStore(self.settings.snapshots_dir).open(run["snapshot_id"])
        except (OSError, ValueError, SnapshotNotFound):
            return None
        if manifest.get("run_id") != run["run_id"]:
            return None
        people = snapshot.read("people", ["person_id", "full_name", "current_org_id"])
        evaluations = snapshot.read("evaluations", ["person_id", "year", "rating"])
        ratings = talent.latest_ratings(evaluations, before_year=int(run["as_of"][:4]))
        frame = talent.workforce(people, ratings, scores)
        # Highest score first, so a 9-box cell's first people are its first rows.
        ranked = frame.sort_values("score", ascending=False, kind="stable")
        return ranked.set_index("person_id", drop=False)
