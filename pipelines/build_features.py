"""Prefect flow: build the feature table of a snapshot as of a date, with its proxy audit."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

import features
import hientai
from features.build import build_features as compute_features
from features.catalog import FEATURE_NAMES
from features.proxy import audit_markdown, flagged_features, protected_groups, proxy_audit
from hientai.featurestore import FeatureStore, feature_set_version
from hientai.memory import keep_freed_memory
from hientai.settings import Settings, load_settings
from hientai.storage import SnapshotStore
from pipelines.as_of import features_date, night_of, stale_note
from pipelines.frame_workers import read_feature_tables
from pipelines.spawned import available_cores

# "auto" threads of a feature build: the dimensions' two largest take most of the time, so more
# threads than this would mostly wait.
AUTO_MAX_THREADS = 4


def snapshot_tables(
    settings: Settings, snapshot_id: str | None
) -> tuple[str, dict[str, pd.DataFrame]]:
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    return snapshot.id, read_feature_tables(snapshot)


@functools.cache
def _code_digest() -> str:
    """The source of the features package (the code that computes a feature table)."""
    root = Path(features.__file__).parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def build_key(settings: Settings) -> str:
    """What a feature table depends on besides its snapshot (immutable), date and feature list:
    the features code, the libraries running it and the settings it reads. A table published
    with the same key holds exactly what a rebuild would compute."""
    parts = [
        _code_digest(),
        hientai.__version__,
        np.__version__,
        pd.__version__,
        list(settings.contract.org_levels),
        settings.features.engine,
        settings.features.proxy.threshold,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def feature_threads(setting: int | Literal["auto"]) -> int:
    """Threads of a feature build (``features.threads``)."""
    return min(AUTO_MAX_THREADS, available_cores()) if setting == "auto" else setting


@task(name="features", cache_policy=NONE)
def feature_stage(snapshot_id: str | None, as_of: str, config: str | None) -> dict[str, Any]:
    """Read the snapshot, compute features, audit proxies, publish; returns ids and paths.
    A table of the same snapshot, date, code and settings already published is used as it is
    (``features.reuse``): a night on an extract that has not changed builds nothing."""
    settings = load_settings(Path(config) if config else None)
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    snapshot_id = snapshot.id
    when = pd.Timestamp(as_of)
    version = feature_set_version(list(FEATURE_NAMES), hientai.__version__)
    key = build_key(settings)
    store = FeatureStore(settings.features_dir)
    if settings.features.reuse and (found := store.find(snapshot_id, when, version, key)):
        get_run_logger().info(
            "features of %s as of %s: the table built at %s with the same code and settings "
            "is used (features.reuse)",
            snapshot_id,
            found.manifest["as_of"],
            found.manifest["built_at"],
        )
        return {**found.manifest, "path": str(found.path), "reused": True}
    started = time.perf_counter()
    _, tables = snapshot_tables(settings, snapshot_id)
    read_seconds = time.perf_counter() - started
    features = compute_features(
        tables,
        when,
        org_levels=tuple(settings.contract.org_levels),
        engine=settings.features.engine,
        threads=feature_threads(settings.features.threads),
    )
    threshold = settings.features.proxy.threshold
    manifest = {
        "snapshot_id": snapshot_id,
        "as_of": f"{when:%Y-%m-%d}",
        "feature_set_version": version,
        "build_key": key,
        "engine": settings.features.engine,
        "hientai_version": hientai.__version__,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": len(features),
        "rows_by_population": features["population"].value_counts().to_dict(),
        "features": list(FEATURE_NAMES),
        "proxy_threshold": threshold,
    }
    protected = snapshot.read_protected(purpose="fairness_audit")
    # The proxy audit on a thread while the table's file is written (Arrow writes without the
    # GIL): the manifest and the audit's reports join the file once both are done.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="proxy-audit") as pool:
        audited = pool.submit(
            lambda: proxy_audit(
                features,
                protected_groups(features, protected),
                list(FEATURE_NAMES),
                threshold=threshold,
            )
        )

        def describe() -> tuple[dict[str, Any], dict[str, str]]:
            audit = audited.result()
            manifest["proxy_flagged"] = flagged_features(audit)
            reports = {
                "proxy_audit.csv": audit.to_csv(index=False),
                "proxy_audit.md": audit_markdown(audit, threshold=threshold),
            }
            return manifest, reports

        table = store.publish(
            features, describe, snapshot_id=snapshot_id, as_of=when, version=version
        )
    get_run_logger().info(
        "features of %s as of %s: %d rows, flagged proxies %s",
        snapshot_id,
        manifest["as_of"],
        len(features),
        manifest["proxy_flagged"],
    )
    return {**manifest, "path": str(table.path), "reused": False, "read_seconds": read_seconds}


@flow(name="build-features")
def build_features(
    snapshot_id: str | None = None, as_of: str | None = None, config: str | None = None
) -> dict[str, Any]:
    """Feature table of ``snapshot_id`` (latest if None) as of ``as_of`` (today in Vietnam if
    None), capped at the day after the snapshot's last record as a night is (pipelines.as_of);
    the manifest's ``requested_as_of`` keeps the date asked for."""
    settings = load_settings(Path(config) if config else None)
    if settings.keep_freed_memory:
        keep_freed_memory()
    night = night_of(as_of)
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    when = features_date(snapshot, night)
    if note := stale_note(snapshot, night, when):
        get_run_logger().warning(note)
    return {**feature_stage(snapshot.id, when, config), "requested_as_of": night}
