"""One ingestion batch: read every source, validate every table, then publish or refuse.

Nothing is published unless every table's rejection rate is within its limit; rejected rows are
always written to quarantine with file, row, column and reason, so nothing is lost either way.
"""

from __future__ import annotations

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
from hientai.ingest.errors import IngestError
from hientai.ingest.issues import Issues
from hientai.ingest.mapping import Mapping, SourceSpec, identity_columns, identity_mapping
from hientai.ingest.publish import SnapshotStaging, new_batch_id, write_quarantine
from hientai.ingest.readers import RawFrame, read_source
from hientai.ingest.report import IngestReport, ReasonCount, TableReport
from hientai.ingest.validate import ValidationContext, check_table
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
        self.frames: dict[tuple[Path, str | None], RawFrame] = {}
        self.hashes: dict[str, str] = {}
        self.notes: list[str] = []
        # How many sources still need each file: a frame is dropped after its last use.
        self.uses = Counter(
            (self.path_for(spec.file), spec.sheet)
            for specs in mapping.tables.values()
            for spec in specs
        )

    def path_for(self, file: str | None) -> Path:
        if file is None:
            if self.root.is_file():
                return self.root
            raise IngestError(f"{self.root} is a folder: the mapping must name a file per source")
        return self.root / file if self.root.is_dir() else self.root.parent / file

    def read(
        self,
        file: str | None,
        sheet: str | None,
        header_row: int | None,
        encoding: str | None,
        expected: list[str],
    ) -> RawFrame:
        path = self.path_for(file)
        key = (path, sheet)
        if key not in self.frames:
            self.hashes[path.name] = _sha256(path)
            self.frames[key] = read_source(
                path,
                sheet=sheet,
                header_row=header_row,
                encoding=encoding or self.encoding,
                na_values=self.settings.ingest.na_values,
                expected_columns=expected,
                header_search_rows=self.settings.ingest.excel_header_search_rows,
            )
            self.notes += self.frames[key].notes
        return self.frames[key]

    def release(self, file: str | None, sheet: str | None) -> None:
        key = (self.path_for(file), sheet)
        self.uses[key] -= 1
        if self.uses[key] <= 0:
            self.frames.pop(key, None)

    def file_hashes(self) -> dict[str, str]:
        return dict(sorted(self.hashes.items()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def run_batch(
    source: Path,
    *,
    mapping: Mapping | None,
    settings: Settings,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest ``source`` (a folder or file) through ``mapping`` (identity if None)."""
    if not source.exists():
        raise IngestError(f"{source}: no such file or folder")
    mapping = mapping or identity_mapping(source)
    if "people" not in mapping.tables:
        raise IngestError(f"{mapping.label}: maps no people table; every extract needs one")
    cache = _SourceCache(source, settings, mapping)
    ctx = ValidationContext(
        today=pd.Timestamp(settings.reference_today()),
        org_levels=tuple(settings.contract.org_levels),
    )
    staging = SnapshotStaging(settings.snapshots_dir)
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
                rejects.mkdir(parents=True, exist_ok=True)
                outcome.rejected.to_csv(rejects / f"{table.name}.csv", index=False)
            reports.append(outcome.report)
        content_hash = _content_hash(cache.file_hashes(), mapping, settings)
        return _conclude(
            source,
            mapping,
            reports,
            staging,
            rejects,
            cache,
            content_hash,
            cache.notes + ctx.notes,
            settings,
        )
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
        raw = cache.read(spec.file, spec.sheet, spec.header_row, spec.encoding, expected)
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
        cache.release(spec.file, spec.sheet)
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


def _conclude(
    source: Path,
    mapping: Mapping,
    reports: list[TableReport],
    staging: SnapshotStaging,
    rejects: Path,
    cache: _SourceCache,
    content_hash: str,
    notes: list[str],
    settings: Settings,
) -> IngestReport:
    batch_id = new_batch_id(content_hash)
    quarantine = None
    if rejects.exists():
        quarantine = rejects.rename(settings.quarantine_dir / batch_id)
        write_quarantine(quarantine, reports)
    report = IngestReport(
        batch_id=batch_id,
        status="rejected",
        source=str(source),
        mapping=mapping.label,
        snapshot_id=None,
        snapshot_path=None,
        quarantine_path=str(quarantine) if quarantine else None,
        tables=reports,
        notes=notes,
    )
    if any(r.over_limit for r in reports):
        staging.abort()
        return report
    published = staging.commit(
        batch_id=batch_id,
        content_hash=content_hash,
        reports=reports,
        file_hashes=cache.file_hashes(),
        source=str(source),
        mapping=mapping,
        settings=settings,
    )
    report.status = "published" if published.created else "already_published"
    report.snapshot_id, report.snapshot_path = published.snapshot_id, str(published.path)
    return report
