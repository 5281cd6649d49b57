"""Prefect flow: build the feature table of a snapshot as of a date, with its proxy audit."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE

import hientai
from features.build import build_features as compute_features
from features.catalog import FEATURE_NAMES
from features.inputs import FEATURE_INPUTS
from features.proxy import audit_markdown, flagged_features, protected_groups, proxy_audit
from hientai.featurestore import FeatureStore, feature_set_version
from hientai.settings import Settings, load_settings
from hientai.storage import SnapshotStore
from pipelines.as_of import features_date, night_of, stale_note


def snapshot_tables(
    settings: Settings, snapshot_id: str | None
) -> tuple[str, dict[str, pd.DataFrame]]:
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    return snapshot.id, {
        name: snapshot.read(name, columns=list(FEATURE_INPUTS[name]))
        for name in snapshot.tables
        if name in FEATURE_INPUTS
    }


@task(name="features", cache_policy=NONE)
def feature_stage(snapshot_id: str | None, as_of: str, config: str | None) -> dict[str, Any]:
    """Read the snapshot, compute features, audit proxies, publish; returns ids and paths."""
    settings = load_settings(Path(config) if config else None)
    snapshot_id, tables = snapshot_tables(settings, snapshot_id)
    when = pd.Timestamp(as_of)
    features = compute_features(
        tables,
        when,
        org_levels=tuple(settings.contract.org_levels),
        engine=settings.features.engine,
    )
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    groups = protected_groups(features, snapshot.read_protected(purpose="fairness_audit"))
    threshold = settings.features.proxy.threshold
    audit = proxy_audit(features, groups, list(FEATURE_NAMES), threshold=threshold)
    version = feature_set_version(list(FEATURE_NAMES), hientai.__version__)
    manifest = {
        "snapshot_id": snapshot_id,
        "as_of": f"{when:%Y-%m-%d}",
        "feature_set_version": version,
        "engine": settings.features.engine,
        "hientai_version": hientai.__version__,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "rows": len(features),
        "rows_by_population": features["population"].value_counts().to_dict(),
        "features": list(FEATURE_NAMES),
        "proxy_threshold": threshold,
        "proxy_flagged": flagged_features(audit),
    }
    table = FeatureStore(settings.features_dir).publish(
        features,
        manifest,
        {
            "proxy_audit.csv": audit.to_csv(index=False),
            "proxy_audit.md": audit_markdown(audit, threshold=threshold),
        },
        snapshot_id=snapshot_id,
        as_of=when,
        version=version,
    )
    get_run_logger().info(
        "features of %s as of %s: %d rows, flagged proxies %s",
        snapshot_id,
        manifest["as_of"],
        len(features),
        manifest["proxy_flagged"],
    )
    return {**manifest, "path": str(table.path)}


@flow(name="build-features")
def build_features(
    snapshot_id: str | None = None, as_of: str | None = None, config: str | None = None
) -> dict[str, Any]:
    """Feature table of ``snapshot_id`` (latest if None) as of ``as_of`` (today in Vietnam if
    None), capped at the day after the snapshot's last record as a night is (pipelines.as_of);
    the manifest's ``requested_as_of`` keeps the date asked for."""
    settings = load_settings(Path(config) if config else None)
    night = night_of(as_of)
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    when = features_date(snapshot, night)
    if note := stale_note(snapshot, night, when):
        get_run_logger().warning(note)
    return {**feature_stage(snapshot.id, when, config), "requested_as_of": night}
