"""Benchmark: feature build of a snapshot as of one date (issues 3 and 12).

Each engine runs in its own process so its peak memory is its own. For each: time to read the
snapshot, time of the point-in-time cut, time of the heavy aggregations (outputs, ratings)
alone, total build time (the first build, then ``--repeat`` more: best and median), the CPU
time of the builds, peak RSS, the machine's load average before and after; and a check that
both engines produce identical features. The machine's cores may be shared: the load average
says how much, and the CPU time is what the build itself used.

``--reference DIR`` compares the pandas engine's features with ``DIR/features-pandas.parquet``
written by an earlier run (say, of the code before a change) exactly: values, dtypes, missing.

    .venv/bin/python benchmarks/bench_features.py --data data/bench/data --as-of 2024-01-01
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

TARGET_WALL_S, TARGET_PEAK_GIB = 120.0, 8.0
ENGINES = ["pandas", "duckdb"]
TARGET_BUILD_S = 15.0  # issue 12: build_features alone, 1,000,000 + 50,000 people


def child(data: Path, as_of: str, engine: str, out: Path, repeat: int) -> None:
    from features.build import build_features
    from features.duck import performance_features_duckdb, rating_features_duckdb
    from features.inputs import point_in_time
    from features.performance import performance_features
    from features.ratings import rating_features
    from hientai.settings import Settings
    from pipelines.build_features import snapshot_tables

    timings: dict[str, float] = {"load_before": os.getloadavg()[0]}
    start = time.perf_counter()
    _, tables = snapshot_tables(Settings(data_dir=data), None)  # what the flow reads
    timings["read_snapshot_s"] = time.perf_counter() - start
    builds, cpu = [], []
    for _ in range(1 + repeat):
        start, started_cpu = time.perf_counter(), time.process_time()
        features = build_features(tables, as_of, engine=engine)  # type: ignore[arg-type]
        builds.append(time.perf_counter() - start)
        cpu.append(time.process_time() - started_cpu)
        if len(builds) == 1:
            # Peak of reading and building once, before the timings below add their copies.
            timings["peak_rss_gib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    timings["build_features_s"] = builds[0]
    timings["build_best_s"] = min(builds)
    timings["build_median_s"] = statistics.median(builds)
    timings["build_cpu_best_s"] = min(cpu)
    timings["builds"] = float(len(builds))
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
    timings["load_after"] = os.getloadavg()[0]
    features.to_parquet(out / f"features-{engine}.parquet", index=False)
    (out / f"timings-{engine}.json").write_text(json.dumps(timings), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/bench/data"))
    parser.add_argument("--as-of", default="2024-01-01")
    parser.add_argument("--child", choices=["pandas", "duckdb"])
    parser.add_argument("--out", type=Path, default=Path("data/bench/features"))
    parser.add_argument("--repeat", type=int, default=2, help="builds after the first")
    parser.add_argument("--engines", nargs="+", choices=["pandas", "duckdb"], default=ENGINES)
    parser.add_argument("--reference", type=Path, help="folder of an earlier run to compare with")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.child:
        child(args.data, args.as_of, args.child, args.out, args.repeat)
        return
    results = {}
    for engine in args.engines:
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
                "--repeat",
                str(args.repeat),
            ],
            check=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        results[engine] = json.loads((args.out / f"timings-{engine}.json").read_text())
        results[engine]["process_wall_s"] = time.perf_counter() - started
    a = pd.read_parquet(args.out / f"features-{args.engines[0]}.parquet")
    identical: bool | str = "one engine run"
    if len(args.engines) == 2:
        b = pd.read_parquet(args.out / "features-duckdb.parquet")
        identical = all(
            np.allclose(a[c], b[c], rtol=1e-9, atol=1e-12, equal_nan=True) for c in a.columns[5:]
        )
    print(f"\n{len(a):,} feature rows as of {args.as_of}; engines identical: {identical}\n")
    if args.reference and args.engines[0] == "pandas":
        reference = pd.read_parquet(args.reference / "features-pandas.parquet")
        try:
            pd.testing.assert_frame_equal(a, reference, check_exact=True)
            print(f"pandas features identical to {args.reference} (values, dtypes, missing)\n")
        except AssertionError as error:
            print(f"pandas features DIFFER from {args.reference}: {error}\n")
    print(
        "| engine | read snapshot | point-in-time cut | outputs agg | ratings agg | "
        "first build | best / median of builds | CPU (best) | process wall | peak RSS | "
        "load before / after |"
    )
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for engine, r in results.items():
        print(
            f"| {engine} | {r['read_snapshot_s']:.1f} s | {r['point_in_time_s']:.1f} s | "
            f"{r['outputs_aggregation_s']:.1f} s | {r['ratings_aggregation_s']:.1f} s | "
            f"{r['build_features_s']:.1f} s | {r['build_best_s']:.1f} / "
            f"{r['build_median_s']:.1f} s ({int(r['builds'])}) | {r['build_cpu_best_s']:.1f} s | "
            f"{r['process_wall_s']:.1f} s | {r['peak_rss_gib']:.2f} GiB | "
            f"{r['load_before']:.1f} / {r['load_after']:.1f} |"
        )
    print(
        f"\nTargets: <= {TARGET_WALL_S:.0f} s wall, <= {TARGET_PEAK_GIB:.0f} GiB peak; "
        f"build <= {TARGET_BUILD_S:.0f} s (issue 12)."
    )


if __name__ == "__main__":
    main()
