"""Validated ingestion of HR extracts into immutable snapshots (CSV, Parquet, Excel)."""

from hientai.ingest.batch import run_batch
from hientai.ingest.errors import IngestError
from hientai.ingest.mapping import Mapping, identity_mapping, load_mapping
from hientai.ingest.report import IngestReport, TableReport

__all__ = [
    "IngestError",
    "IngestReport",
    "Mapping",
    "TableReport",
    "identity_mapping",
    "load_mapping",
    "run_batch",
]
