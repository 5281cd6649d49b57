"""Benchmark: what changes from one night to the next, and what a night costs after 1% of
people's records changed (issue 12's incremental nights).

Measures, on the national snapshot and champion in `--data` (made by bench_ingest.py and
bench_nightly.py):

1. **One day later, same records.** Features as of `--day` and the day before (an ordinary
   night inside a year; at New Year a year's ratings become known to everyone), built here:
   how many people's feature rows differ (and in which features), and how many people's
   scores under the champion differ.
2. **1% of people's records changed.** A copy of the extract in which `--share` of the internal
   cadres, drawn with a fixed seed, have their last year's rating raised one step and their
   last year's KPI outputs achieved 10% more (a late correction of the year's results), is
   ingested as a new snapshot (`hientai ingest`, its own process under `/usr/bin/time -v`),
   then `hientai nightly --as-of DATE --json` runs on it (a full night, as a user runs it today).
   Then the features of both snapshots as of the same date are compared: people whose records
   changed, people whose feature row changed (peers included: the features ranked within unit,
   field and year move for colleagues too) and people whose score changed.

These figures decide what an incremental night could skip. Prints Markdown for
docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_changes.py --data data/bench/data \
        --extract data/bench/extract [--as-of 2026-01-01] [--share 0.01]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import measure

STEP_UP = {"not_completed": "completed", "completed": "good", "good": "excellent"}


def changed_extract(source: Path, target: Path, share: float, seed: int) -> np.ndarray:
    """Copy ``source`` to ``target`` with ``share`` of the internal cadres' last-year results
    changed; returns their person ids."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target)
    people = pd.read_parquet(target / "people.parquet", columns=["person_id"])
    evaluations = pd.read_parquet(target / "evaluations.parquet")
    last_year = int(evaluations["year"].max())
    rated = evaluations.loc[evaluations["year"] == last_year, "person_id"].unique()
    rng = np.random.default_rng(seed)
    n = round(share * len(people))
    chosen = rng.choice(np.asarray(rated), size=min(n, len(rated)), replace=False)
    hit = evaluations["person_id"].isin(chosen) & (evaluations["year"] == last_year)
    evaluations["rating"] = evaluations["rating"].astype("string")
    evaluations.loc[hit, "rating"] = evaluations.loc[hit, "rating"].replace(STEP_UP)
    evaluations.to_parquet(target / "evaluations.parquet", index=False)
    outputs = pd.read_parquet(target / "outputs.parquet")
    end = pd.to_datetime(outputs["period_end"])
    hit = outputs["person_id"].isin(chosen) & (end.dt.year == last_year)
    outputs.loc[hit, "achieved"] = outputs.loc[hit, "achieved"] * 1.1
    outputs.to_parquet(target / "outputs.parquet", index=False)
    return np.asarray(chosen).astype(str)


def build(settings, snapshot_id: str, as_of: str) -> tuple[pd.DataFrame, float]:  # type: ignore[no-untyped-def]
    from features.build import build_features
    from pipelines.build_features import snapshot_tables

    started = time.perf_counter()
    _, tables = snapshot_tables(settings, snapshot_id)
    features = build_features(
        tables, pd.Timestamp(as_of), org_levels=tuple(settings.contract.org_levels)
    )
    return features.set_index(features["person_id"].astype(str)), time.perf_counter() - started


def compare(before: pd.DataFrame, after: pd.DataFrame, classifier) -> dict:  # type: ignore[no-untyped-def]
    """People in both tables: whose feature row differs, in which features; whose raw score
    under the champion differs."""
    both = before.index.intersection(after.index)
    a, b = before.loc[both], after.loc[both]
    numeric = [c for c in classifier.feature_names_ if c in a.columns]
    x, y = a[numeric].to_numpy(dtype="float64"), b[numeric].to_numpy(dtype="float64")
    differs = ~((x == y) | (np.isnan(x) & np.isnan(y)))
    rows = differs.any(axis=1)
    per_feature = pd.Series(differs.sum(axis=0), index=numeric).sort_values(ascending=False)
    raw_a = classifier.ranking_raw(a.reset_index(drop=True))
    raw_b = classifier.ranking_raw(b.reset_index(drop=True))
    return {
        "people": len(both),
        "rows_changed": int(rows.sum()),
        "scores_changed": int((raw_a != raw_b).sum()),
        "top_features": per_feature[per_feature > 0].head(8).to_dict(),
        "changed_ids": set(both[rows]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/bench/data"))
    parser.add_argument("--extract", type=Path, default=Path("data/bench/extract"))
    parser.add_argument("--as-of", default="2026-01-01")
    parser.add_argument("--day", default="2025-07-01", help="the later night of the one-day pair")
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    from hientai import tracking
    from hientai.settings import Settings
    from hientai.storage import SnapshotStore

    settings = Settings(data_dir=args.data)
    classifier, version = tracking.load_champion(settings)
    store = SnapshotStore(settings.snapshots_dir)
    original = store.open(None).id
    day_before = (dt.date.fromisoformat(args.day) - dt.timedelta(days=1)).isoformat()
    features_before, seconds_before = build(settings, original, day_before)
    features_day, seconds_day = build(settings, original, args.day)
    one_day = compare(features_before, features_day, classifier)
    del features_before, features_day
    features_night, seconds_night = build(settings, original, args.as_of)

    hientai = str(Path(sys.executable).with_name("hientai"))
    env = {**os.environ, "HIENTAI_DATA_DIR": str(args.data), "COLUMNS": "120"}
    changed_dir = args.extract.with_name(args.extract.name + "-changed")
    chosen = changed_extract(args.extract, changed_dir, args.share, args.seed)
    ingest = measure("ingest", [hientai, "ingest", str(changed_dir), "--json"], env)
    new_snapshot = str(json.loads(str(ingest["stdout"]))["snapshot_id"])
    if new_snapshot == original:  # a second run: the latest snapshot was the changed extract
        raise SystemExit(
            f"the latest snapshot {original} already is the changed extract; run "
            "bench_ingest.py (or ingest the original extract again) before this script"
        )
    night = measure("nightly", [hientai, "nightly", "--as-of", args.as_of, "--json"], env)
    result = json.loads(str(night["stdout"]))
    assert result["snapshot_id"] == new_snapshot, (result["snapshot_id"], new_snapshot)
    features_changed, seconds_changed = build(settings, new_snapshot, args.as_of)
    one_percent = compare(features_night, features_changed, classifier)
    spilled = one_percent["changed_ids"] - set(chosen)

    now = dt.datetime.now(dt.UTC)
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} cores; {now:%Y-%m-%d %H:%M} UTC; "
        f"load {os.getloadavg()[0]:.1f}; champion version {version.version}; "
        f"snapshots {original} and {new_snapshot}\n"
    )
    print("| comparison | people in both | feature rows changed | scores changed | top features |")
    print("| --- | ---: | ---: | ---: | --- |")
    for name, c in (
        (f"{day_before} -> {args.day}, same snapshot", one_day),
        (f"{len(chosen):,} people's results changed, as of {args.as_of}", one_percent),
    ):
        top = ", ".join(f"{k} {v:,}" for k, v in c["top_features"].items())
        print(
            f"| {name} | {c['people']:,} | {c['rows_changed']:,} "
            f"({c['rows_changed'] / c['people']:.1%}) | {c['scores_changed']:,} "
            f"({c['scores_changed'] / c['people']:.1%}) | {top} |"
        )
    print(
        f"\nOf the feature rows changed by the 1% change, {len(spilled):,} belong to people whose "
        f"own records did not change (peers). In-process feature builds: {seconds_before:.1f} s, "
        f"{seconds_day:.1f} s, {seconds_night:.1f} s, {seconds_changed:.1f} s."
    )
    print("\n| step on the changed extract | wall | peak RSS |")
    print("| --- | ---: | ---: |")
    print(f"| hientai ingest | {ingest['wall_s']:.1f} s | {ingest['peak_gib']:.2f} GiB |")
    print(f"| hientai nightly (full) | {night['wall_s']:.1f} s | {night['peak_gib']:.2f} GiB |")
    stages = ", ".join(f"{k} {v:.1f} s" for k, v in result["stage_seconds"].items())
    print(f"\nNight stages: {stages}.")


if __name__ == "__main__":
    main()
