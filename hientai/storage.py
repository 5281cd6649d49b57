"""Read published snapshots. Protected attributes are only handed out for a stated purpose.

Feature and model code reads tables through ``Snapshot.read``, which never returns a protected
column. ``Snapshot.read_protected`` serves the fairness audit and authorised reviewers, and
every call is appended to ``<data_dir>/audit/protected-access.jsonl``.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from hientai.contract import PROTECTED_TABLE, get_table
from hientai.ingest.publish import LATEST, MANIFEST
from hientai.ingest.readers import string_types

ProtectedPurpose = Literal["fairness_audit", "eligibility", "authorised_review"]
UNKNOWN_PURPOSE = "purpose must be one of {allowed}, got {purpose!r}"


class SnapshotNotFound(LookupError):
    pass


def _pandas(table: pa.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=string_types, date_as_object=False)


@dataclass(frozen=True)
class Snapshot:
    path: Path
    manifest: dict[str, Any]

    @property
    def id(self) -> str:
        return str(self.manifest["snapshot_id"])

    @property
    def tables(self) -> list[str]:
        return list(self.manifest["tables"])

    @property
    def date_range(self) -> tuple[pd.Timestamp, pd.Timestamp] | None:
        """First and last dated record, as recorded in the manifest at ingestion."""
        found = self.manifest.get("date_range")
        return (pd.Timestamp(found[0]), pd.Timestamp(found[1])) if found else None

    def has(self, table: str) -> bool:
        return table in self.tables

    def rows(self, table: str) -> int:
        """A table's published rows (0 if the extract lacked the table), from its file's footer."""
        return int(pq.read_metadata(self._file(table)).num_rows) if self.has(table) else 0

    def _file(self, table: str) -> Path:
        return self.path / "tables" / f"{table}.parquet"

    def read(
        self,
        table: str,
        columns: list[str] | None = None,
        *,
        filters: list[tuple[str, str, Any]] | None = None,
    ) -> pd.DataFrame:
        """A table's non-protected columns (an empty frame if the extract lacked the table);
        ``filters`` (pyarrow's, e.g. ``[("kind", "=", "kpi")]``) select rows while reading."""
        spec = get_table(table)
        allowed = list(spec.feature_columns)
        wanted = columns or allowed
        refused = [c for c in wanted if c not in allowed]
        if refused:
            raise PermissionError(
                f"{table}: columns {refused} are protected or unknown; protected attributes are "
                "read only through Snapshot.read_protected for a stated purpose"
            )
        if not self.has(table):
            return pd.DataFrame({c: pd.Series(dtype=object) for c in wanted})
        path = self._file(table)
        # A snapshot published before a column joined the contract lacks it: missing values.
        present = set(pq.read_schema(path).names)
        frame = _pandas(
            pq.read_table(path, columns=[c for c in wanted if c in present], filters=filters)
        )
        absent = {
            c: pd.Series(None, index=frame.index, dtype=object) for c in wanted if c not in present
        }
        return frame.assign(**absent)[wanted] if absent else frame

    def read_protected(
        self, *, purpose: ProtectedPurpose, reader: str | None = None
    ) -> pd.DataFrame:
        if purpose not in get_args(ProtectedPurpose):
            raise ValueError(
                UNKNOWN_PURPOSE.format(allowed=get_args(ProtectedPurpose), purpose=purpose)
            )
        path = self.path / "protected" / f"{PROTECTED_TABLE}.parquet"
        frame = _pandas(pq.read_table(path))
        _log_access(self.path.parent.parent, self.id, purpose, reader or getpass.getuser())
        return frame


def _log_access(data_dir: Path, snapshot_id: str, purpose: str, reader: str) -> None:
    log = data_dir / "audit" / "protected-access.jsonl"
    log.parent.mkdir(parents=True, exist_ok=True)
    entry = {
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "snapshot_id": snapshot_id,
        "purpose": purpose,
        "reader": reader,
    }
    with log.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")


class SnapshotStore:
    def __init__(self, snapshots_dir: Path) -> None:
        self.root = snapshots_dir

    def ids(self) -> list[str]:
        if not self.root.exists():
            return []
        return sorted(p.parent.name for p in self.root.glob(f"[!.]*/{MANIFEST}"))

    def latest_id(self) -> str | None:
        pointer = self.root / LATEST
        return pointer.read_text(encoding="utf-8").strip() if pointer.exists() else None

    def open(self, snapshot_id: str | None = None) -> Snapshot:
        chosen = snapshot_id or self.latest_id()
        if chosen is None:
            raise SnapshotNotFound(f"{self.root}: no snapshot published yet; run `hientai ingest`")
        manifest = self.root / chosen / MANIFEST
        if not manifest.exists():
            raise SnapshotNotFound(f"{self.root}: no snapshot {chosen!r}; known: {self.ids()}")
        return Snapshot(manifest.parent, json.loads(manifest.read_text(encoding="utf-8")))
