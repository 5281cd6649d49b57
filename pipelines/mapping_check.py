"""Dry run of a mapping: what ``hientai ingest`` would do with it, publishing nothing.

The batch runs for real (the same reading, mapping and validation code as an ingest) into a
scratch data folder that is deleted afterwards, with every rejection limit lifted so that even
a batch that would be refused leaves its accepted rows to look at; the limits are then put
back to say whether the batch would publish. On top of the ingest report it says what the
mapping feeds: contract columns fed or not, features that would be missing, protected
attributes known (the fairness groups), and the first problems with file, row, column and
reason.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from hientai.atomic import remove_folder
from hientai.contract import TABLES, get_table
from hientai.ingest.batch import run_batch
from hientai.ingest.mapping import Mapping
from hientai.ingest.report import IngestReport, TableReport
from hientai.settings import Settings
from hientai.storage import Snapshot, SnapshotStore

PROBLEM_COLUMNS = ["source_file", "source_row", "column", "reason"]


@dataclass
class Problem:
    table: str
    file: str
    row: int
    column: str
    reason: str

    def line(self) -> str:
        return f"{self.file} row {self.row} ({self.table}): {self.reason}"


@dataclass
class TableCheck:
    """One mapped table: the ingest counts (with the real limit) and the columns fed."""

    report: TableReport
    fed: list[str]
    not_fed: list[str]
    blank: list[str]  # fed, but blank in every accepted row

    @property
    def rows_read(self) -> int:
        return self.report.input_rows + self.report.filtered_by_mapping

    def to_dict(self) -> dict[str, object]:
        return {
            **self.report.to_dict(),
            "rows_read": self.rows_read,
            "fed": self.fed,
            "not_fed": self.not_fed,
            "blank": self.blank,
        }


@dataclass
class FeatureCoverage:
    name: str
    dimension: str
    available: float  # share of the population with a value


@dataclass
class MappingCheck:
    source: str
    mapping: str
    tables: list[TableCheck]
    unmapped_tables: list[str]
    problems: list[Problem]
    as_of: str | None = None
    features: list[FeatureCoverage] = field(default_factory=list)
    features_note: str | None = None
    protected_known: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def would_publish(self) -> bool:
        return not any(t.report.over_limit for t in self.tables)

    @property
    def missing_features(self) -> list[FeatureCoverage]:
        return [f for f in self.features if f.available == 0.0]

    def to_dict(self) -> dict[str, object]:
        out = dataclasses.asdict(self)
        out["tables"] = [t.to_dict() for t in self.tables]
        out["would_publish"] = self.would_publish
        out["missing_features"] = [f.name for f in self.missing_features]
        return out


def check_mapping(
    source: Path,
    mapping: Mapping,
    settings: Settings,
    *,
    as_of: pd.Timestamp | None = None,
    max_problems: int = 10,
) -> MappingCheck:
    """Dry-run ``mapping`` on ``source``; raises ``IngestError`` for file-level problems.

    Features are computed as of ``as_of`` (default: the day after the extract's last dated
    record, so that every record counts).
    """
    scratch_dir = Path(tempfile.mkdtemp(prefix="hientai-mapping-check-"))
    try:
        scratch = _scratch_settings(settings, scratch_dir / "data")
        report = run_batch(source, mapping=mapping, settings=scratch)
        snapshot = SnapshotStore(scratch.snapshots_dir).open(report.snapshot_id)
        protected = snapshot.read_protected(
            purpose="fairness_audit", reader="hientai mapping check"
        )
        check = MappingCheck(
            source=str(source),
            mapping=mapping.label,
            tables=_table_checks(report, mapping, settings, snapshot, protected),
            unmapped_tables=[t.name for t in TABLES if t.name not in mapping.tables],
            problems=first_problems(report, max_problems),
            protected_known=_protected_known(protected),
            notes=report.notes,
        )
        _add_features(check, snapshot, settings, as_of)
        return check
    finally:
        remove_folder(scratch_dir)


def _scratch_settings(settings: Settings, data_dir: Path) -> Settings:
    # No limit: a batch that would be refused still shows its accepted rows and coverage.
    lifted = settings.ingest.model_copy(
        update={"max_rejection_rate": 1.0, "max_rejection_rate_by_table": {}}
    )
    return settings.model_copy(update={"data_dir": data_dir, "ingest": lifted})


def _table_checks(
    report: IngestReport,
    mapping: Mapping,
    settings: Settings,
    snapshot: Snapshot,
    protected: pd.DataFrame,
) -> list[TableCheck]:
    checks = []
    for table_report in report.tables:
        limit = settings.ingest.max_rate_for(table_report.name)
        real = dataclasses.replace(table_report, max_rejection_rate=limit)
        table = get_table(table_report.name)
        fed = mapping.fed_columns(table.name)
        frame = snapshot.read(table.name)
        if table.name == "people":
            frame = frame.merge(protected, on="person_id", how="left")
        blank = [c for c in fed if len(frame) and frame[c].isna().all()]
        not_fed = [c for c in table.column_names if c not in fed]
        checks.append(TableCheck(real, fed, not_fed, blank))
    return checks


def first_problems(report: IngestReport, limit: int) -> list[Problem]:
    """The first ``limit`` quarantined rows, in contract table order, with their reasons."""
    found: list[Problem] = []
    if report.quarantine_path is None:
        return found
    for table in report.tables:
        path = Path(report.quarantine_path) / f"{table.name}.csv"
        if len(found) >= limit or not table.quarantined or not path.exists():
            continue
        rows = pd.read_csv(path, nrows=limit - len(found), usecols=PROBLEM_COLUMNS, dtype=str)
        found += [
            Problem(
                table.name, str(r.source_file), int(r.source_row), str(r.column), str(r.reason)
            )
            for r in rows.itertuples(index=False)
        ]
    return found


def _protected_known(protected: pd.DataFrame) -> dict[str, float]:
    """Share of people whose value of each protected attribute is known."""
    columns = get_table("people").protected_columns
    if protected.empty:
        return dict.fromkeys(columns, 0.0)
    return {c: round(float(protected[c].notna().mean()), 4) for c in columns}


def _add_features(
    check: MappingCheck, snapshot: Snapshot, settings: Settings, as_of: pd.Timestamp | None
) -> None:
    """Which catalog features the accepted rows can give, and for what share of people."""
    from features.build import build_features
    from features.catalog import CATALOG
    from features.inputs import AsOfError

    chosen = as_of
    if chosen is None:
        if snapshot.date_range is None:
            check.features_note = "no dated record in the extract: features need at least one"
            return
        chosen = snapshot.date_range[1] + pd.Timedelta(days=1)
    tables = {name: snapshot.read(name) for name in snapshot.tables}
    try:
        frame = build_features(tables, chosen, org_levels=tuple(settings.contract.org_levels))
    except AsOfError as exc:
        check.features_note = f"features not computed: {exc}"
        return
    check.as_of = f"{chosen:%Y-%m-%d}"
    if frame.empty:
        check.features_note = f"nobody is in the population on {check.as_of}"
    check.features = [
        FeatureCoverage(
            f.name,
            f.dimension,
            round(float(frame[f.name].notna().mean()), 4) if len(frame) else 0.0,
        )
        for f in CATALOG
    ]
