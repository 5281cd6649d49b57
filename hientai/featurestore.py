"""Versioned feature tables: one folder per (snapshot, as_of, feature-set version).

A feature table is published atomically with its manifest and proxy-audit report; rebuilding
the same (snapshot, as_of, version) replaces it in one step. A table whose manifest carries the
caller's build key (what else its content depends on: the code computing it, the settings it
read) can be found again instead of rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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
        """The table (or some of its columns): from memory if this process published it
        within ``kept_in_memory`` and its file is still the one written, else from the file.
        Either way a frame of its own, with the types the file gives."""
        file = self.path / FEATURES_FILE
        kept = _KEPT.get(file.resolve())
        # A column the table lacks (or none asked for): the file's own answer and error.
        if kept is not None and _answers(kept[1], columns) and kept[0] == _signature(file):
            frame = kept[1]
            if columns is None:
                return frame.copy()
            # The selection copies the values; the shallow copy makes it a frame of its own
            # for pandas too (not a slice that warns when a column is added).
            return frame[columns].copy(deep=False)
        return pd.read_parquet(file, columns=columns)

    def read_people(
        self, person_ids: np.ndarray, *, sample: Callable[[int], np.ndarray] | None = None
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The rows of ``person_ids`` (in the table's order) and, if asked, the rows at the
        positions ``sample(number of rows)`` gives: every column, indexed by position, with
        the types ``read`` gives, but only those rows made into pandas (the whole table took
        1-1.5 s, for the 3,073 people a national night explains)."""
        table = pq.read_table(self.path / FEATURES_FILE)
        ids = pc.cast(table.column("person_id"), pa.string())
        wanted = pa.array([str(i) for i in person_ids], type=pa.string())
        chosen = np.flatnonzero(pc.is_in(ids, value_set=wanted).to_numpy(zero_copy_only=False))
        extra = np.empty(0, dtype=np.int64) if sample is None else sample(table.num_rows)
        rows = _with_full_types(table, table.take(np.concatenate([chosen, extra])))
        rows.index = pd.Index(np.concatenate([chosen, extra]))
        return rows.iloc[: len(chosen)], rows.iloc[len(chosen) :]


def _answers(frame: pd.DataFrame, columns: list[str] | None) -> bool:
    """The kept frame answers a read of ``columns`` as the file would: not a column the table
    lacks, nor an empty list (the file's own answer and error then)."""
    return columns is None or (bool(columns) and set(columns) <= set(frame.columns))


def _as_read(features: pd.DataFrame) -> pd.DataFrame | None:
    """``features`` as reading its file gives it back, or None where that is not certain: a
    default index, and columns of types the file keeps as they are (floats, integers and flags
    without missing values, dates, object columns of text). The file gives
    back dates in seconds in milliseconds (Parquet has no seconds) and any missing value of an
    object column as None."""
    index, labels = features.index, features.columns
    if not (isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1):
        return None
    if index.name is not None or labels.name is not None or labels.dtype != np.dtype("O"):
        return None
    if not features.flags.allows_duplicate_labels:
        return None
    changed: dict[str, pd.Series] = {}
    for name, dtype in features.dtypes.items():
        if not isinstance(name, str):
            return None
        if dtype == np.dtype("O"):
            kind = pd.api.types.infer_dtype(features[name], skipna=True)
            if kind not in ("string", "empty"):
                return None
            values = features[name].to_numpy()
            missing = pd.isna(values)
            if not all(value is None for value in values[missing]):
                changed[name] = pd.Series(np.where(missing, None, values), dtype=object)
        elif dtype == np.dtype("datetime64[s]"):
            changed[name] = features[name].astype("datetime64[ms]")
        elif not (
            dtype in (np.dtype("float64"), np.dtype("int64"), np.dtype("bool"))
            or dtype in (np.dtype(f"datetime64[{unit}]") for unit in ("ms", "us", "ns"))
        ):
            return None  # pandas' own strings, for one, come back in Python's storage
    if not changed:
        return features
    kept = features.copy(deep=False)  # the other columns shared, not copied
    for name, column in changed.items():
        kept[name] = column
    return kept


def _with_full_types(table: pa.Table, part: pa.Table) -> pd.DataFrame:
    """``part`` (rows of ``table``) in pandas, each column with the type the whole column gets:
    a NumPy integer column with a missing value anywhere in the column is float, a flag
    column object (pandas' own nullable types, kept in the file's metadata, stay as they are)."""
    frame = part.to_pandas()
    types = table.slice(0, 0).to_pandas().dtypes
    for name in table.column_names:
        if table.column(name).null_count and part.column(name).null_count == 0:
            if types[name] == np.bool_:
                frame[name] = frame[name].astype(object)
            elif isinstance(types[name], np.dtype) and types[name].kind in "iu":
                frame[name] = frame[name].astype("float64")
    return frame


# Tables this process published within ``kept_in_memory``: file -> (its signature, frame).
_KEPT: dict[Path, tuple[tuple[int, int, int], pd.DataFrame]] = {}
_KEEPING: list[bool] = []


def _signature(file: Path) -> tuple[int, int, int]:
    """What changes if the file is replaced or rewritten (-1s if it is gone)."""
    try:
        stat = file.stat()
    except OSError:
        return (-1, -1, -1)
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns)


@contextmanager
def kept_in_memory() -> Iterator[None]:
    """Within it, a table this process publishes is read back from memory, not its file: a
    night's score and shortlists read the table its feature stage has just written (at
    1,000,000 people the score's read of it took 0.5-0.8 s alone, 1.6-2.3 s in a night). The
    latest table only, for the whole process while any such context is open (reads still
    check the file is the one written); memory is given back when the last one is left."""
    _KEEPING.append(True)
    try:
        yield
    finally:
        _KEEPING.pop()
        if not _KEEPING:
            _KEPT.clear()


class FeatureStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def folder(self, snapshot_id: str, as_of: pd.Timestamp, version: str) -> Path:
        return self.root / snapshot_id / f"{as_of:%Y-%m-%d}-{version}"

    def publish(
        self,
        features: pd.DataFrame,
        manifest: dict[str, Any] | Callable[[], tuple[dict[str, Any], dict[str, str]]],
        reports: dict[str, str] | None = None,
        *,
        snapshot_id: str,
        as_of: pd.Timestamp,
        version: str,
    ) -> FeatureTable:
        """Publish ``features`` with its manifest and reports (file name -> text) in one step.

        ``manifest`` may be a function returning the manifest and the reports: it is called
        once the features file is written, so that what describes the table (its proxy audit)
        can be computed on another thread while the file is written (seconds at 1,000,000
        people). If it raises, nothing is published. Within ``kept_in_memory`` the table
        keeps ``features`` itself: the caller must not change it afterwards.
        """
        target = self.folder(snapshot_id, as_of, version)
        described: list[dict[str, Any]] = []
        written: list[tuple[int, int, int]] = []

        def write(staging: Path) -> None:
            features.to_parquet(staging / FEATURES_FILE, index=False, compression="zstd")
            # Taken here: the folder's rename keeps the file's inode, size and time.
            written.append(_signature(staging / FEATURES_FILE))
            meta, texts = manifest() if callable(manifest) else (manifest, reports or {})
            for name, text in texts.items():
                (staging / name).write_text(text, encoding="utf-8")
            write_json(staging / MANIFEST, meta)
            described.append(meta)

        publish_folder(target, write, replace=True)
        if _KEEPING:
            file = (target / FEATURES_FILE).resolve()
            _KEPT.clear()  # the latest table only
            if (kept := _as_read(features)) is not None:
                _KEPT[file] = (written[0], kept)
        return FeatureTable(target, described[0])

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
