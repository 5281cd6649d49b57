"""Prefect flow: ingest an extract into a snapshot. The nightly flow starts with this stage."""

from __future__ import annotations

from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

from hientai.ingest import load_mapping, run_batch
from hientai.settings import load_settings


class BatchRejected(RuntimeError):
    """A table's rejection rate was over its limit; nothing was published."""


@task(name="ingest", cache_policy=NONE)
def ingest_stage(source: str, mapping: str | None, config: str | None) -> dict[str, object]:
    """Validate and publish; returns the report (ids and paths, not data)."""
    settings = load_settings(Path(config) if config else None)
    report = run_batch(
        Path(source),
        mapping=load_mapping(Path(mapping)) if mapping else None,
        settings=settings,
    )
    logger = get_run_logger()
    for table in report.tables:
        logger.info(
            "%s: %d input, %d accepted, %d quarantined",
            table.name,
            table.input_rows,
            table.accepted,
            table.quarantined,
        )
    if report.status == "held":
        raise BatchRejected(
            "nothing published, the extract is held: " + "; ".join(report.held_reasons)
        )
    if not report.ok:
        over = [t.name for t in report.tables if t.over_limit]
        raise BatchRejected(
            f"nothing published: rejection rate over the limit in {over}; "
            f"quarantined rows are in {report.quarantine_path}"
        )
    return report.to_dict()


@flow(name="ingest", log_prints=False)
def ingest_extract(
    source: str, mapping: str | None = None, config: str | None = None
) -> dict[str, object]:
    """Ingest ``source`` through ``mapping`` and return the batch report with the snapshot id."""
    return ingest_stage(source, mapping, config)
