"""Benchmark: feature build of a snapshot as of one date (issue 3's performance targets).

Each engine runs in its own process so its peak memory is its own. For each: time to read the
snapshot, time of the point-in-time cut, time of the heavy aggregations (outputs, ratings)
alone, total build time, peak RSS; and a check that both engines produce identical features.

    .venv/bin/python benchmarks/bench_features.py --data data/bench/data --as-of 2024-01-01
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_WALL_S, TARGET_PEAK_GIB = 120.0, 8.0


def child(data: Path, as_of: str, engine: str, out: Path) -> None:
    from features.build import build_features
    from features.duck import performance_features_duckdb, rating_features_duckdb
    from features.inputs import point_in_time
    from features.performance import performance_features
    from features.ratings import rating_features
    from hientai.settings import Settings
    from pipelines.build_features import snapshot_tables

    timings: dict[str, float] = {}
    start = time.perf_counter()
    _, tables = snapshot_tables(Settings(data_dir=data), None)  # what the flow reads
    timings["read_snapshot_s"] = time.perf_counter() - start
    start = time.perf_counter()
    features = build_features(tables, as_of, engine=engine)  # type: ignore[arg-type]
    timings["build_features_s"] = time.perf_counter() - start
    # Peak of reading and building, before the per-stage timings below add their own copies.
    timings["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    start = time.perf_counter()
    pit = point_in_time(tables, pd.Timestamp(as_of))
    timings["point_in_time_s"] = time.perf_counter() - start
    province = features["province"].astype(object)
    heavy = {
        "pandas": (performance_features, rating_features),
        "duckdb": (performance_features_duckdb, rating_features_duckdb),
    }[engine]
    start = time.perf_counter()
    heavy[0](pit, province)
    timings["outputs_aggregation_s"] = time.perf_counter() - start
    start = time.perf_counter()
    heavy[1](pit)
    timings["ratings_aggregation_s"] = time.perf_counter() - start
    timings["rows"] = float(len(features))
    features.to_parquet(out / f"features-{engine}.parquet", index=False)
    (out / f"timings-{engine}.json").write_text(json.dumps(timings), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/bench/data"))
    parser.add_argument("--as-of", default="2024-01-01")
    parser.add_argument("--child", choices=["pandas", "duckdb"])
    parser.add_argument("--out", type=Path, default=Path("data/bench/features"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args.data, args.as_of, args.child, args.out)
        return
    results = {}
    for engine in ("pandas", "duckdb"):
        started = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                engine,
                "--data",
                str(args.data),
                "--as-of",
                args.as_of,
                "--out",
                str(args.out),
            ],
            check=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        results[engine] = json.loads((args.out / f"timings-{engine}.json").read_text())
        results[engine]["process_wall_s"] = time.perf_counter() - started
    a = pd.read_parquet(args.out / "features-pandas.parquet")
    b = pd.read_parquet(args.out / "features-duckdb.parquet")
    identical = all(
        np.allclose(a[c], b[c], rtol=1e-9, atol=1e-12, equal_nan=True) for c in a.columns[5:]
    )
    print(
        f"\n{int(results['pandas']['rows']):,} feature rows as of {args.as_of}; "
        f"engines identical: {identical}\n"
    )
    print(
        "| engine | read snapshot | point-in-time cut | outputs agg | ratings agg | "
        "build total | process wall | peak RSS |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for engine, r in results.items():
        print(
            f"| {engine} | {r['read_snapshot_s']:.1f} s | {r['point_in_time_s']:.1f} s | "
            f"{r['outputs_aggregation_s']:.1f} s | {r['ratings_aggregation_s']:.1f} s | "
            f"{r['build_features_s']:.1f} s | {r['process_wall_s']:.1f} s | "
            f"{r['peak_rss_gib']:.2f} GiB |"
        )
    print(f"\nTargets: <= {TARGET_WALL_S:.0f} s wall, <= {TARGET_PEAK_GIB:.0f} GiB peak.")


if __name__ == "__main__":
    main()
