"""Versioned feature tables: one folder per (snapshot, as_of, feature-set version).

A feature table is published atomically with its manifest and proxy-audit report; rebuilding
the same (snapshot, as_of, version) replaces it in one step. A table whose manifest carries the
caller's build key (what else its content depends on: the code computing it, the settings it
read) can be found again instead of rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from hientai.atomic import publish_folder, write_json

FEATURES_FILE = "features.parquet"
MANIFEST = "manifest.json"


def feature_set_version(feature_names: list[str], code_version: str) -> str:
    """Changes whenever the feature list or the code computing it changes."""
    digest = hashlib.sha256((code_version + "|" + ",".join(feature_names)).encode())
    return digest.hexdigest()[:10]


@dataclass(frozen=True)
class FeatureTable:
    path: Path
    manifest: dict[str, Any]

    def read(self, columns: list[str] | None = None) -> pd.DataFrame:
        return pd.read_parquet(self.path / FEATURES_FILE, columns=columns)


class FeatureStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, snapshot_id: str, as_of: pd.Timestamp, version: str) -> Path:
        return self.root / snapshot_id / f"{as_of:%Y-%m-%d}-{version}"

    def publish(
        self,
        features: pd.DataFrame,
        manifest: dict[str, Any],
        reports: dict[str, str],
        *,
        snapshot_id: str,
        as_of: pd.Timestamp,
        version: str,
    ) -> FeatureTable:
        target = self.folder(snapshot_id, as_of, version)

        def write(staging: Path) -> None:
            features.to_parquet(staging / FEATURES_FILE, index=False, compression="zstd")
            for name, text in reports.items():
                (staging / name).write_text(text, encoding="utf-8")
            write_json(staging / MANIFEST, manifest)

        publish_folder(target, write, replace=True)
        return FeatureTable(target, manifest)

    def find(
        self, snapshot_id: str, as_of: pd.Timestamp, version: str, build_key: str
    ) -> FeatureTable | None:
        """The published table of (snapshot, as_of, version) if it was built with ``build_key``
        and is whole (manifest and features file), else None."""
        folder = self.folder(snapshot_id, as_of, version)
        try:
            table = self.open(folder)
        except (OSError, ValueError):  # absent, or a manifest that cannot be read: rebuild
            return None
        if table.manifest.get("build_key") != build_key:
            return None
        return table if (folder / FEATURES_FILE).is_file() else None

    def open(self, path: Path) -> FeatureTable:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
        return FeatureTable(path, manifest)

    def list(self, snapshot_id: str | None = None) -> list[Path]:
        pattern = f"{snapshot_id or '*'}/[!.]*/{MANIFEST}"
        return sorted(p.parent for p in self.root.glob(pattern))
