"""Atomic publication of snapshots, and quarantine files.

A snapshot is staged in a hidden sibling folder, every file and the manifest written and
flushed, then renamed into place in one step: readers see the whole snapshot or none of it.
Published files are made read-only; protected attributes go to their own folder.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

import hientai
from hientai.atomic import freeze, remove_folder, write_json
from hientai.contract import CONTRACT_VERSION, PROTECTED_TABLE, get_table
from hientai.contract.tables import extract_date_range
from hientai.ingest.mapping import Mapping
from hientai.ingest.report import TableReport
from hientai.privacy import make_private_dir
from hientai.settings import PrivacySettings, Settings

MANIFEST = "manifest.json"
LATEST = "LATEST"
HELD = "held.json"
HELD_ADVICE = (
    "Nothing published: the extract is held. Check that the export is complete; if the "
    "shrink is real, run the same command again with --accept-shrink (an extract without any "
    "accepted person is never published)"
)


@dataclass
class Published:
    snapshot_id: str
    path: Path
    created: bool


def new_batch_id(content_hash: str) -> str:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{content_hash[:10]}"


def find_by_content(snapshots_dir: Path, content_hash: str) -> Path | None:
    if not snapshots_dir.exists():
        return None
    for manifest in sorted(snapshots_dir.glob(f"*/{MANIFEST}")):
        if json.loads(manifest.read_text(encoding="utf-8")).get("content_hash") == content_hash:
            return manifest.parent
    return None


class SnapshotStaging:
    """A snapshot being built: each accepted table is written as soon as it is validated, so
    a batch never holds every table in memory; ``commit`` renames the folder into place in
    one step and ``abort`` leaves no trace."""

    def __init__(self, snapshots_dir: Path, privacy: PrivacySettings | None = None) -> None:
        self.snapshots_dir = snapshots_dir
        make_private_dir(snapshots_dir, privacy or PrivacySettings())
        self.path = snapshots_dir / f".staging-{uuid.uuid4().hex[:12]}-{os.getpid()}"
        (self.path / "tables").mkdir(parents=True)
        self.written: dict[str, dict[str, object]] = {}
        self.date_ranges: list[tuple[pd.Timestamp, pd.Timestamp]] = []

    def add(self, name: str, frame: pd.DataFrame) -> None:
        self.written |= _write_tables(self.path, {name: frame})
        found = extract_date_range({name: frame})
        if found:
            self.date_ranges.append(found)

    def abort(self) -> None:
        remove_folder(self.path)

    def commit(
        self,
        *,
        batch_id: str,
        content_hash: str,
        reports: list[TableReport],
        file_hashes: dict[str, str],
        source: str,
        mapping: Mapping,
        settings: Settings,
        forced: dict[str, object] | None = None,
    ) -> Published:
        existing = find_by_content(self.snapshots_dir, content_hash)
        if existing is not None:
            self.abort()
            return Published(existing.name, existing, created=False)
        first = min((r[0] for r in self.date_ranges), default=None)
        last = max((r[1] for r in self.date_ranges), default=None)
        manifest = {
            "snapshot_id": batch_id,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "content_hash": content_hash,
            "contract_version": CONTRACT_VERSION,
            "hientai_version": hientai.__version__,
            "source": source,
            "mapping": {"name": mapping.name, "path": mapping.label, "sha256": mapping.sha256},
            "input_files": file_hashes,
            "org_levels": list(settings.contract.org_levels),
            "today": settings.reference_today().isoformat(),
            "tables": {r.name: {**r.to_dict(), **self.written[r.name]} for r in reports},
            "date_range": [f"{first:%Y-%m-%d}", f"{last:%Y-%m-%d}"] if first else None,
            "protected": self.written.get(PROTECTED_TABLE),
        }
        if forced is not None:
            manifest["forced"] = forced
        final = self.snapshots_dir / batch_id
        renamed = False
        try:
            write_json(self.path / MANIFEST, manifest)
            freeze(self.path)
            self.path.rename(final)
            renamed = True
            # A snapshot is published once LATEST names it; if that write fails (disk full),
            # the folder goes back to staging and away, so a re-run publishes it again.
            write_latest(self.snapshots_dir, batch_id)
        except BaseException:
            if renamed:
                final.rename(self.path)
            self.abort()
            raise
        return Published(batch_id, final, created=True)


def _write_tables(staging: Path, tables: dict[str, pd.DataFrame]) -> dict[str, dict[str, object]]:
    (staging / "tables").mkdir(parents=True, exist_ok=True)
    written: dict[str, dict[str, object]] = {}
    for name, frame in tables.items():
        table = get_table(name)
        open_part = frame[list(table.feature_columns)]
        written[name] = _write_parquet(open_part, staging / "tables" / f"{name}.parquet", staging)
        if table.protected_columns:
            protected_dir = staging / "protected"
            protected_dir.mkdir(mode=0o700, exist_ok=True)
            part = frame[[table.primary_key[0], *table.protected_columns]]
            target = protected_dir / f"{PROTECTED_TABLE}.parquet"
            written[PROTECTED_TABLE] = _write_parquet(part, target, staging)
    return written


def _write_parquet(frame: pd.DataFrame, path: Path, root: Path) -> dict[str, object]:
    arrow = pa.Table.from_pandas(frame, preserve_index=False)
    fields = [
        f.with_type(pa.date32()) if pa.types.is_timestamp(f.type) else f for f in arrow.schema
    ]
    arrow = arrow.cast(pa.schema(fields))
    pq.write_table(arrow, path, compression="zstd")
    with path.open("rb") as fh:
        os.fsync(fh.fileno())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {
        "file": str(path.relative_to(root)),
        "sha256": digest,
        "rows": len(frame),
        "columns": list(frame.columns),
    }


def write_latest(snapshots_dir: Path, snapshot_id: str) -> None:
    tmp = snapshots_dir / f".{LATEST}.{os.getpid()}"
    try:
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(snapshot_id + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(snapshots_dir / LATEST)
    finally:
        tmp.unlink(missing_ok=True)


def write_quarantine(
    folder: Path, reports: list[TableReport], held: list[str] | None = None
) -> Path:
    """The summary beside the per-table CSVs of rejected rows already in ``folder``, and why
    the publish guard held the extract, if it did (``held.json``)."""
    folder.mkdir(parents=True, exist_ok=True)
    write_json(folder / "summary.json", [r.to_dict() for r in reports])
    if held:
        write_json(folder / HELD, {"held": True, "reasons": held, "advice": HELD_ADVICE})
    return folder
