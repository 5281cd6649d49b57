"""Benchmark: generate and ingest the national extract (issue 2's performance targets).

Runs each step as its own process (`hientai generate`, then `hientai ingest`) under
`/usr/bin/time -v`, so wall time and peak resident memory are those of the step alone, and
prints a Markdown table to paste into docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_ingest.py [--people 1000000] [--external 50000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

TARGETS = {"generate": (300.0, 8.0), "ingest": (180.0, 8.0)}  # seconds, GiB


def measure(name: str, command: list[str], env: dict[str, str]) -> dict[str, float]:
    """Wall time and peak memory of ``command`` as its own process: ``peak_gib`` its largest
    single process (``/usr/bin/time -v``), ``tree_peak_gib`` the largest sum over it and every
    process it started (a training's frame workers, the temporary Prefect server), sampled
    every 0.25 s."""
    print(f"$ {' '.join(command)}", flush=True)
    run = subprocess.Popen(
        ["/usr/bin/time", "-v", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    tree = TreePeak(run.pid)
    tree.start()
    stdout, stderr = run.communicate()
    tree.stop()
    if run.returncode != 0:
        sys.stderr.write(stdout[-4000:] + stderr[-4000:])
        raise SystemExit(f"{name} failed with exit code {run.returncode}")
    wall = re.search(r"Elapsed \(wall clock\) time.*: (?:(\d+):)?(\d+):([\d.]+)", stderr)
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    assert wall and rss, stderr[-2000:]
    hours, minutes, seconds = (float(g) if g else 0.0 for g in wall.groups())
    return {
        "wall_s": hours * 3600 + minutes * 60 + seconds,
        "peak_gib": int(rss.group(1)) / 1024**2,
        "tree_peak_gib": tree.peak / 1024**3,
        "stdout": stdout,  # type: ignore[dict-item]
    }


class TreePeak(threading.Thread):
    """The largest resident memory summed over a process and its descendants (Linux /proc)."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root, self.peak = root, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.wait(0.25):
            self.peak = max(self.peak, _tree_rss(self.root))

    def stop(self) -> None:
        self._done.set()
        self.join()


def _tree_rss(root: int) -> int:
    page = os.sysconf("SC_PAGE_SIZE")
    rss: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # ended meanwhile
            continue
        pid, parent = int(entry.name), int(fields[1])
        rss[pid] = int(fields[21]) * page
        children.setdefault(parent, []).append(pid)
    total, waiting = 0, [root]
    while waiting:
        pid = waiting.pop()
        total += rss.get(pid, 0)
        waiting.extend(children.get(pid, []))
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--external", type=int, default=50_000)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--work", type=Path, default=Path("data/bench"))
    args = parser.parse_args()
    hientai = str(Path(sys.executable).with_name("hientai"))
    extract, data_dir = args.work / "extract", args.work / "data"
    shutil.rmtree(args.work, ignore_errors=True)
    env = {**os.environ, "HIENTAI_DATA_DIR": str(data_dir), "COLUMNS": "120"}
    results = {
        "generate": measure(
            "generate",
            [
                hientai,
                "generate",
                "--people",
                str(args.people),
                "--external",
                str(args.external),
                "--years",
                str(args.years),
                "--seed",
                "7",
                "--out",
                str(extract),
            ],
            env,
        ),
        "ingest": measure("ingest", [hientai, "ingest", str(extract), "--json"], env),
    }
    report = json.loads(str(results["ingest"]["stdout"]))
    rows = sum(t["input_rows"] for t in report["tables"])
    quarantined = sum(t["quarantined"] for t in report["tables"])
    print(
        f"\nMachine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.0f} GiB; "
        f"{dt.date.today()}; {args.people:,} internal + {args.external:,} external, "
        f"{args.years} years; {rows:,} rows ingested, {quarantined:,} quarantined; "
        f"status {report['status']}\n"
    )
    print("| step | wall | target | peak RSS | target |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for step, (target_s, target_gib) in TARGETS.items():
        r = results[step]
        print(
            f"| {step} | {r['wall_s']:.1f} s | <= {target_s:.0f} s | "
            f"{r['peak_gib']:.2f} GiB | <= {target_gib:.0f} GiB |"
        )
    print("\nRows per table:")
    for t in report["tables"]:
        print(f"- {t['name']}: {t['input_rows']:,}")


if __name__ == "__main__":
    main()
