"""One ingestion batch: read every source, validate every table, then publish or refuse.

Nothing is published unless every table's rejection rate is within its limit; rejected rows are
always written to quarantine with file, row, column and reason, so nothing is lost either way.
"""

from __future__ import annotations

import errno
import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from hientai.atomic import remove_folder
from hientai.contract import CONTRACT_VERSION, TABLES, Table
from hientai.ingest.apply import apply_source, check_source_columns
from hientai.ingest.columns import typed_source
from hientai.ingest.errors import (
    BROKEN_LINK,
    DISK_FULL,
    OUTSIDE_EXTRACT,
    UNREADABLE,
    WRITE_FAILED,
    IngestError,
    IngestWriteError,
    printable,
)
from hientai.ingest.guard import forceable, hold_reasons
from hientai.ingest.issues import Issues
from hientai.ingest.mapping import Mapping, SourceSpec, identity_columns, identity_mapping
from hientai.ingest.publish import SnapshotStaging, new_batch_id, write_quarantine
from hientai.ingest.readers import RawFrame, check_table_file, read_source
from hientai.ingest.report import IngestReport, ReasonCount, TableReport
from hientai.ingest.validate import ValidationContext, check_table
from hientai.privacy import make_private_dir, private_umask
from hientai.settings import Settings

Progress = Callable[[str], None]


@dataclass
class TableOutcome:
    accepted: pd.DataFrame
    rejected: pd.DataFrame
    report: TableReport


class _SourceCache:
    """Each file (and sheet) is read once, however many tables it feeds."""

    def __init__(self, root: Path, settings: Settings, mapping: Mapping) -> None:
        self.root, self.settings, self.encoding = root, settings, mapping.encoding
        self.folder = (root if root.is_dir() else root.parent).resolve()
        self.allowed = [
            (p if p.is_absolute() else self.folder / p).resolve()
            for p in settings.ingest.allow_outside_paths
        ]
        self.frames: dict[tuple[Path, str | None, str | None], RawFrame] = {}
        self.hashes: dict[str, str] = {}
        self.notes: list[str] = []
        # How many sources still need each file: a frame is dropped after its last use.
        self.uses = Counter(
            self.key(spec.file, spec.sheet, table)
            for table, specs in mapping.tables.items()
            for spec in specs
        )

    def path_for(self, file: str | None) -> Path:
        if file is None:
            if self.root.is_file():
                return self.root
            raise IngestError(f"{self.root} is a folder: the mapping must name a file per source")
        path = self.root / file if self.root.is_dir() else self.root.parent / file
        return self.confined(path, file)

    def confined(self, path: Path, named: str) -> Path:
        """``path`` if it (after following links) is inside the extract folder or allowed."""
        try:
            target = path.resolve()
        except (RuntimeError, OSError):  # a loop of symbolic links
            raise IngestError(BROKEN_LINK.format(file=path)) from None
        inside = [self.folder, *self.allowed]
        if any(target == place or target.is_relative_to(place) for place in inside):
            return path
        raise IngestError(OUTSIDE_EXTRACT.format(file=named, target=target, root=self.folder))

    def key(
        self, file: str | None, sheet: str | None, table: str
    ) -> tuple[Path, str | None, str | None]:
        """A workbook named without a sheet is searched per table (by name, then columns)."""
        path = self.path_for(file)
        searched = sheet is None and path.suffix.lower() == ".xlsx"
        return path, sheet, table if searched else None

    def read(
        self,
        table: str,
        spec: SourceSpec,
        expected: list[str],
    ) -> RawFrame:
        key = self.key(spec.file, spec.sheet, table)
        path = key[0]
        if key not in self.frames:
            check_table_file(path)
            self.hashes[path.name] = _sha256(path)
            self.frames[key] = read_source(
                path,
                sheet=spec.sheet,
                table=table,
                header_row=spec.header_row,
                encoding=spec.encoding or self.encoding,
                na_values=self.settings.ingest.na_values,
                expected_columns=expected,
                header_search_rows=self.settings.ingest.excel_header_search_rows,
            )
            self.notes += self.frames[key].notes
        return self.frames[key]

    def release(self, table: str, spec: SourceSpec) -> None:
        key = self.key(spec.file, spec.sheet, table)
        self.uses[key] -= 1
        if self.uses[key] <= 0:
            self.frames.pop(key, None)

    def file_hashes(self) -> dict[str, str]:
        return dict(sorted(self.hashes.items()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 22), b""):
                digest.update(block)
    except OSError as exc:
        raise IngestError(UNREADABLE.format(file=path, why=exc.strerror or exc)) from None
    return digest.hexdigest()


def run_batch(
    source: Path,
    *,
    mapping: Mapping | None,
    settings: Settings,
    progress: Progress | None = None,
    accept_shrink_by: str | None = None,
) -> IngestReport:
    """Ingest ``source`` (a folder or file) through ``mapping`` (identity if None).

    ``accept_shrink_by`` (the command line that passed ``--accept-shrink``) publishes an
    extract the publish guard holds, and is recorded in the snapshot's manifest; an extract
    without any accepted person stays held even then.
    """
    if not source.exists():
        raise IngestError(f"{source}: no such file or folder")
    with private_umask(settings.privacy):
        try:
            return _run(source, mapping, settings, progress, accept_shrink_by)
        except OSError as exc:  # writing the snapshot or the quarantine
            raise write_error(exc, settings.data_dir) from None


def write_error(exc: OSError, fallback: Path) -> IngestWriteError:
    """One line for a failed write, naming the file (the data folder if the error does not)."""
    if isinstance(exc, IngestWriteError):
        return exc
    path = exc.filename or fallback
    if exc.errno == errno.ENOSPC:
        return IngestWriteError(DISK_FULL.format(path=path))
    return IngestWriteError(WRITE_FAILED.format(path=path, why=exc.strerror or exc))


def _run(
    source: Path,
    mapping: Mapping | None,
    settings: Settings,
    progress: Progress | None,
    accept_shrink_by: str | None,
) -> IngestReport:
    mapping = mapping or identity_mapping(source)
    if "people" not in mapping.tables:
        raise IngestError(f"{mapping.label}: maps no people table; every extract needs one")
    cache = _SourceCache(source, settings, mapping)
    ctx = ValidationContext(
        today=pd.Timestamp(settings.reference_today()),
        org_levels=tuple(settings.contract.org_levels),
    )
    make_private_dir(settings.data_dir, settings.privacy)
    make_private_dir(settings.quarantine_dir, settings.privacy)
    staging = SnapshotStaging(settings.snapshots_dir, settings.privacy)
    rejects = settings.quarantine_dir / staging.path.name
    try:
        reports = []
        for table in TABLES:
            if table.name not in mapping.tables:
                continue
            if progress:
                progress(table.name)
            outcome = _ingest_table(table, mapping, cache, ctx, settings)
            staging.add(table.name, outcome.accepted)
            if len(outcome.rejected):
                rejects.mkdir(exist_ok=True)
                outcome.rejected.to_csv(rejects / f"{table.name}.csv", index=False)
            reports.append(outcome.report)
        content_hash = _content_hash(cache.file_hashes(), mapping, settings)
        report = _report(source, mapping, reports, content_hash, cache.notes + ctx.notes)
        report.held_reasons = hold_reasons(
            reports, settings.snapshots_dir, max_shrink_share=settings.ingest.max_shrink_share
        )
        return _conclude(report, staging, rejects, cache, mapping, settings, accept_shrink_by)
    except BaseException:
        staging.abort()
        remove_folder(rejects)
        raise


def _ingest_table(
    table: Table, mapping: Mapping, cache: _SourceCache, ctx: ValidationContext, settings: Settings
) -> TableOutcome:
    typed_parts, issue_parts, labels = [], [], []
    filtered = 0
    for index, spec in enumerate(mapping.tables[table.name]):
        expected = _expected_header(table, spec)
        raw = cache.read(table.name, spec, expected)
        if not spec.columns:  # identity mapping: columns named as in the contract
            spec = spec.model_copy(
                update={"columns": identity_columns(table.name, list(raw.data.columns))}
            )
        check_source_columns(raw, spec, mapping, table, index)
        mapped, rows, dropped = apply_source(raw, spec)
        filtered += dropped
        date_formats = {k: c.date_format for k, c in spec.columns.items() if c.date_format}
        typed, issues = typed_source(
            table, mapped, date_formats=date_formats, org_levels=ctx.org_levels, today=ctx.today
        )
        typed["_file"] = raw.label
        typed["_row"] = rows
        typed_parts.append(typed)
        issue_parts.append(issues)
        labels.append(raw.label)
        del raw, mapped
        cache.release(table.name, spec)
    typed = pd.concat(typed_parts, ignore_index=True) if len(typed_parts) > 1 else typed_parts[0]
    issues = _merge_issues(issue_parts, len(typed))
    check_table(table, typed, issues, ctx)
    bad = issues.bad_rows()
    accepted = typed.loc[~bad].reset_index(drop=True)
    _remember_keys(table, accepted, ctx)
    rejected = _rejected_rows(typed, issues, bad)
    report = TableReport(
        name=table.name,
        sources=labels,
        input_rows=len(typed),
        accepted=int((~bad).sum()),
        quarantined=int(bad.sum()),
        filtered_by_mapping=filtered,
        max_rejection_rate=settings.ingest.max_rate_for(table.name),
        top_reasons=_top_reasons(issues.frame()),
    )
    return TableOutcome(accepted.drop(columns=["_file", "_row"]), rejected, report)


def _expected_header(table: Table, spec: SourceSpec) -> list[str]:
    if spec.columns:
        return sorted({c for col in spec.columns.values() for c in col.source_columns()})
    return [c.name for c in table.columns if c.required]


def _merge_issues(parts: list[Issues], n_rows: int) -> Issues:
    if len(parts) == 1:
        return parts[0]
    merged, offset = Issues(n_rows), 0
    for part in parts:
        merged.extend(part, offset)
        offset += part.n_rows
    return merged


def _remember_keys(table: Table, accepted: pd.DataFrame, ctx: ValidationContext) -> None:
    if len(table.primary_key) == 1:
        ctx.accepted_keys[table.name] = pd.Index(accepted[table.primary_key[0]].astype(object))
    if table.name == "people":
        ctx.birth_dates = pd.Series(
            accepted["birth_date"].to_numpy(), index=pd.Index(accepted["person_id"].astype(object))
        )


def _rejected_rows(typed: pd.DataFrame, issues: Issues, bad: np.ndarray) -> pd.DataFrame:
    if not bad.any():
        return pd.DataFrame()
    found = issues.frame().sort_values(["position", "column"], kind="stable")
    found["text"] = found["column"] + ": " + found["reason"].astype(str)
    # Most rejected rows have one problem; only rows with several need a (slow) string join.
    several = found["position"].duplicated(keep=False).to_numpy()
    single = found.loc[~several].set_index("position")[["column", "text"]]
    multi = (
        found.loc[several]
        .groupby("position", sort=True)
        .agg(column=("column", lambda s: "; ".join(dict.fromkeys(s))), text=("text", "; ".join))
    )
    per_row = pd.concat([single, multi]).sort_index()
    per_row = per_row.rename(columns={"text": "reason"})
    rows = typed.iloc[per_row.index.to_numpy()].reset_index(drop=True)
    lead = pd.DataFrame(
        {
            "source_file": rows["_file"].to_numpy(),
            "source_row": rows["_row"].to_numpy(),
            "column": per_row["column"].to_numpy(),
            "reason": per_row["reason"].to_numpy(),
        }
    )
    return pd.concat([lead, rows.drop(columns=["_file", "_row"])], axis=1)


def _top_reasons(found: pd.DataFrame, limit: int = 8) -> list[ReasonCount]:
    if found.empty:
        return []
    grouped = found.groupby(["column", "rule"], sort=False)["reason"].agg(["size", "first"])
    grouped = grouped.sort_values("size", ascending=False).head(limit)
    return [
        ReasonCount(column=str(c), rule=str(r), count=int(n), example=str(ex))
        for (c, r), (n, ex) in grouped.iterrows()
    ]


def _content_hash(file_hashes: dict[str, str], mapping: Mapping, settings: Settings) -> str:
    digest = hashlib.sha256()
    digest.update(CONTRACT_VERSION.encode())
    digest.update((mapping.sha256 or "identity").encode())
    digest.update(",".join(settings.contract.org_levels).encode())
    for name, value in file_hashes.items():
        digest.update(f"{name}={value}".encode())
    return digest.hexdigest()


def _report(
    source: Path,
    mapping: Mapping,
    reports: list[TableReport],
    content_hash: str,
    notes: list[str],
) -> IngestReport:
    return IngestReport(
        batch_id=new_batch_id(content_hash),
        status="rejected",
        source=printable(str(source)),
        mapping=mapping.label,
        snapshot_id=None,
        snapshot_path=None,
        quarantine_path=None,
        tables=reports,
        notes=notes,
    )


def _conclude(
    report: IngestReport,
    staging: SnapshotStaging,
    rejects: Path,
    cache: _SourceCache,
    mapping: Mapping,
    settings: Settings,
    accept_shrink_by: str | None,
) -> IngestReport:
    """Publish, or say why not; the quarantine (rejected rows, summary, hold reasons) is
    written in full before it is renamed to the batch's name."""
    over_limit = any(t.over_limit for t in report.tables)
    held = bool(report.held_reasons) and (accept_shrink_by is None or not forceable(report.tables))
    if rejects.exists() or held:
        rejects.mkdir(exist_ok=True)
        write_quarantine(rejects, report.tables, report.held_reasons if held else None)
        quarantine = rejects.rename(settings.quarantine_dir / report.batch_id)
        report.quarantine_path = str(quarantine)
    if over_limit or held:
        report.status = "rejected" if over_limit else "held"
        staging.abort()
        return report
    forced: dict[str, object] | None = None
    if report.held_reasons:
        report.forced_by = accept_shrink_by
        forced = {"by": accept_shrink_by, "reasons": report.held_reasons}
    try:
        published = staging.commit(
            batch_id=report.batch_id,
            content_hash=_content_hash(cache.file_hashes(), mapping, settings),
            reports=report.tables,
            file_hashes=cache.file_hashes(),
            source=report.source,
            mapping=mapping,
            settings=settings,
            forced=forced,
        )
    except BaseException:
        # A batch that did not publish leaves no quarantine either: it is run again whole.
        if report.quarantine_path:
            remove_folder(Path(report.quarantine_path))
        raise
    report.status = "published" if published.created else "already_published"
    report.snapshot_id, report.snapshot_path = published.snapshot_id, str(published.path)
    return report
