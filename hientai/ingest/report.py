"""What an ingestion batch did, per table, in a form the CLI prints and tests read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

BatchStatus = Literal["published", "already_published", "rejected", "held"]


@dataclass
class ReasonCount:
    column: str
    rule: str
    count: int
    example: str


@dataclass
class TableReport:
    name: str
    sources: list[str]
    input_rows: int
    accepted: int
    quarantined: int
    filtered_by_mapping: int
    max_rejection_rate: float
    top_reasons: list[ReasonCount] = field(default_factory=list)

    @property
    def rejection_rate(self) -> float:
        return self.quarantined / self.input_rows if self.input_rows else 0.0

    @property
    def over_limit(self) -> bool:
        return self.rejection_rate > self.max_rejection_rate

    def to_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["rejection_rate"] = round(self.rejection_rate, 6)
        out["over_limit"] = self.over_limit
        return out


@dataclass
class IngestReport:
    batch_id: str
    status: BatchStatus
    source: str
    mapping: str
    snapshot_id: str | None
    snapshot_path: str | None
    quarantine_path: str | None
    tables: list[TableReport]
    notes: list[str] = field(default_factory=list)
    # Why the publish guard held the extract (see hientai.ingest.guard); with --accept-shrink
    # the same reasons, and the command that forced it, are in the snapshot's manifest.
    held_reasons: list[str] = field(default_factory=list)
    forced_by: str | None = None

    @property
    def ok(self) -> bool:
        return self.status not in ("rejected", "held")

    def to_dict(self) -> dict[str, object]:
        out = {k: v for k, v in asdict(self).items() if k != "tables"}
        out["tables"] = [t.to_dict() for t in self.tables]
        out["ok"] = self.ok
        return out
