"""Benchmark: the same night on the local engine and on the Dask engine (issue 12).

Runs `hientai nightly --as-of DATE --json` on the snapshot and champion in `--data` (made by
bench_ingest.py and bench_nightly.py, or any ingested folder with a champion), alternately
with `engine: local` and `engine: dask` on a LocalCluster of `--workers` single-threaded worker
processes on this machine, `--repeat` times each, each run as its own process under
`/usr/bin/time -v`. Both settings files are conf/hientai.yaml with only the engine changed.
Records the load (`uptime`) before each run, each stage's time as the flow measured it, and
whether the published shortlists are the local engine's (entries of the night, every column).
Prints Markdown for docs/benchmarks.md. The target: Dask within 1.5x of local on one machine.

    .venv/bin/python benchmarks/bench_dask.py --data data/bench/data [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import measure

TARGET_RATIO = 1.5
ENGINES = ("local", "dask")


def settings_file(folder: Path, data: Path, engine: str, workers: int) -> Path:
    """conf/hientai.yaml with the data folder and the engine set, nothing else changed."""
    base = Path(__file__).resolve().parent.parent / "conf" / "hientai.yaml"
    settings = yaml.safe_load(base.read_text(encoding="utf-8"))
    settings |= {"data_dir": str(data.resolve()), "engine": engine}
    settings["dask"] = {**settings.get("dask", {}), "workers": workers, "threads_per_worker": 1}
    path = folder / f"{engine}.yaml"
    path.write_text(yaml.safe_dump(settings, sort_keys=False), encoding="utf-8")
    return path


def published_entries_digest(config: Path, night: str) -> str:
    """A digest of the night's published entries, every column, in published order."""
    import pandas as pd

    from hientai.settings import load_settings
    from pipelines.results_db import ResultsDB

    db = ResultsDB(load_settings(config).app_db_url)
    run = db.run(night)
    assert run is not None, f"night {night} was not published"
    entries = db.read("entries", run["run_id"]).drop(columns=["run_id"], errors="ignore")
    hashed = pd.util.hash_pandas_object(entries, index=True).to_numpy()
    return hashlib.sha256(hashed.tobytes()).hexdigest()[:16]


def one_night(config: Path, as_of: str) -> dict:
    load = subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout
    hientai = str(Path(sys.executable).with_name("hientai"))
    env = {**os.environ, "COLUMNS": "120"}
    command = [hientai, "nightly", "--as-of", as_of, "--json", "--config", str(config)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = measure("nightly", command, env)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result = json.loads(str(run["stdout"]))
    return {
        "load": load.split("load average:")[1].strip(),
        "wall_s": run["wall_s"],
        # Every process of the night (flow, Prefect's server, Dask workers): the load of the
        # others on the machine moves the wall time far more than this.
        "cpu_s": cpu,
        "peak_gib": run["peak_gib"],
        "stages": result["stage_seconds"],
        "stages_wall": result.get("stages_wall_seconds") or sum(result["stage_seconds"].values()),
        "engine": result.get("engine", {"name": "local"}),
        "counts": result["counts"],
        "entries": published_entries_digest(config, result["night"]),
    }


def report(runs: list[dict], as_of: str) -> None:
    counts = runs[0]["counts"]
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} cores; {dt.date.today()}; night "
        f"{as_of}, {counts['people_scored']:,} people scored, {counts['shortlisted']:,} "
        f"shortlist places ({counts['explanations']:,} people explained)\n"
    )
    stage_names = list(runs[0]["stages"])
    head = ["run", "engine", "load (1, 5, 15 min)", "wall", "CPU", *stage_names, "cluster start"]
    print("| " + " | ".join(head) + " |")
    print("| ---: | --- | --- | " + " | ".join("---:" for _ in head[3:]) + " |")
    for i, run in enumerate(runs, 1):
        stages = " | ".join(f"{run['stages'].get(s, 0.0):.1f} s" for s in stage_names)
        print(
            f"| {i} | {run['engine']['name']} | {run['load']} | {run['wall_s']:.1f} s "
            f"| {run['cpu_s']:.1f} s | {stages} "
            f"| {run['engine'].get('start_seconds', 0.0):.1f} s |"
        )
    print("\n| measure | local | dask | dask / local |\n| --- | ---: | ---: | ---: |")
    for label, of in (
        ("process wall, median", lambda r: r["wall_s"]),
        ("CPU time of all its processes, median", lambda r: r["cpu_s"]),
        ("stages' wall (side stages overlap), median", lambda r: r["stages_wall"]),
        ("score stage, median", lambda r: r["stages"]["score"]),
        ("explain stage, median", lambda r: r["stages"]["explain"]),
        ("peak RSS of the flow process, median (GiB)", lambda r: r["peak_gib"]),
    ):
        local, dask = (
            statistics.median(of(r) for r in runs if r["engine"]["name"] == e) for e in ENGINES
        )
        print(f"| {label} | {local:.2f} | {dask:.2f} | {dask / local:.2f} |")
    digests = {r["entries"] for r in runs}
    print(f"\nPublished entries identical across all runs: {'yes' if len(digests) == 1 else 'NO'}")
    print(f"Target: dask / local process wall <= {TARGET_RATIO}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/bench/data"))
    parser.add_argument("--as-of", default="2026-01-01")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-dask-") as folder:
        configs = {e: settings_file(Path(folder), args.data, e, args.workers) for e in ENGINES}
        for i in range(args.repeat):
            # Alternate which engine goes first, so a drift in the machine's load is shared.
            for engine in ENGINES if i % 2 == 0 else ENGINES[::-1]:
                runs.append(one_night(configs[engine], args.as_of))
                done = runs[-1]
                print(f"{engine}: {done['wall_s']:.1f} s wall, load {done['load']}", flush=True)
    report(runs, args.as_of)


if __name__ == "__main__":
    main()
