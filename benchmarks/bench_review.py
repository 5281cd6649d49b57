"""Benchmark: review app page latency with 100,000 recommendations and 20 signed-in users.

Builds a data folder once (a generated extract, ingested, so organisations, people, ratings and
history are real; then one night of fabricated frames through ``ResultsDB.publish_night``:
5,000 pools x 20 qualified candidates = 100,000 entries, each pool's top 10 shortlisted and
explained, fairness rows per pool, and the run folder's scores of everyone), then serves it with
`hientai serve` (one uvicorn process) and has 20 concurrent clients, each signed in as its own
planner, request shortlist, person and 9-box pages in turn over loopback. Prints p50 / p95 /
p99 per page as a Markdown table for docs/benchmarks.md.

    .venv/bin/python benchmarks/bench_review.py [--out data/bench-review] [--seconds 60]
    .venv/bin/python benchmarks/bench_review.py --db-url postgresql+psycopg://postgres@127.0.0.1/x
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from contextlib import closing
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

N_POOLS, PER_POOL, LISTED, USERS = 5_000, 20, 10, 20
NIGHT, PASSWORD, TARGET_P95_MS = "2026-01-01", "bench-password-123", 200.0
PAGES = ("shortlist", "person", "ninebox")


def build(out: Path, db_url: str | None, people: int) -> Path:
    """The benchmark's data folder and settings file (reused when already built)."""
    from hientai.ingest import run_batch
    from hientai.settings import load_settings
    from hientai.synth import SynthConfig, generate_extract, write_extract

    config = out / "conf.yaml"
    if config.exists():
        return config
    out.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f"data_dir: {out / 'data'}\ntoday: 2026-06-01\n"
        + (f"nightly:\n  app_db_url: {db_url}\n" if db_url else ""),
        encoding="utf-8",
    )
    started = time.perf_counter()
    extract = generate_extract(SynthConfig(n_people=people, n_external=500, years=6, seed=11))
    write_extract(extract, out / "extract")
    settings = load_settings(config)
    report = run_batch(out / "extract", mapping=None, settings=settings)
    print(f"extract of {people:,} people generated and ingested in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    publish(settings, str(report.snapshot_id))
    return config


def _frames(snapshot, rng: np.random.Generator) -> tuple[dict[str, pd.DataFrame], list[str]]:
    people = snapshot.read("people", ["person_id", "full_name", "current_org_id"])
    staff = people.loc[people["current_org_id"].notna()]
    orgs = sorted(set(staff["current_org_id"].astype(str)))
    pools = pd.DataFrame(
        {"pool_id": [f"pool-{i:05d}" for i in range(N_POOLS)], "kind": "planning_slot",
         "position_id": None, "org_id": [orgs[i % len(orgs)] for i in range(N_POOLS)],
         "province": None, "title": [f"Quy hoạch vị trí {i}" for i in range(N_POOLS)],
         "title_code": None, "scope": "subtree", "k": LISTED, "n_eligible": 200,
         "n_qualified": PER_POOL, "max_age": None,
         "rules": json.dumps(["trình độ đại học trở lên", "không đang bị kỷ luật"]),
         "party_rule": False}
    )  # fmt: skip
    ids = staff["person_id"].astype(str).to_numpy()
    names = dict(zip(ids, staff["full_name"], strict=True))
    chosen = np.concatenate([rng.choice(ids, PER_POOL, replace=False) for _ in range(N_POOLS)])
    rank = np.tile(np.arange(1, PER_POOL + 1), N_POOLS)
    entries = pd.DataFrame(
        {"pool_id": np.repeat(pools["pool_id"].to_numpy(), PER_POOL), "person_id": chosen,
         "full_name": [names[p] for p in chosen], "population": "internal",
         "rank": pd.array(np.where(rank <= LISTED, rank, 0), dtype="Int64"),
         "rank_model": rank, "rank_fair": rank, "in_shortlist": rank <= LISTED,
         "score": 0.9 - rank / 40, "raw_score": 2 - rank / 10, "percentile": 100 - rank / 2,
         "moved": False, "move_note": None}
    )  # fmt: skip
    entries.loc[entries["rank"] == 0, "rank"] = pd.NA
    listed = sorted(set(entries.loc[entries["in_shortlist"], "person_id"]))
    frames = {
        "pools": pools, "entries": entries, "explanations": _explanations(listed, rng),
        "fairness": _fairness(pools), "warnings": _warnings(), "diff": _diff(),
    }  # fmt: skip
    return frames, listed


def _explanations(people: list[str], rng: np.random.Generator) -> pd.DataFrame:
    reason = {"feature": "rating_excellent_share", "value": 1.0, "contribution": 0.4,
              "text_vi": "được xếp loại xuất sắc 3 trong 3 năm gần nhất",
              "text_en": "rated excellent in 3 of the last 3 years"}  # fmt: skip
    dims = ["performance", "ratings", "collective", "surveys", "votes", "training",
            "assessments", "career", "integrity", "external"]  # fmt: skip
    contributions = {f"feature_{i}": float(v) for i, v in enumerate(rng.normal(0, 0.2, 60))}
    return pd.DataFrame(
        {"person_id": people, "base_value": -1.0, "raw_score": 1.0, "score": 0.7,
         "additivity_error": 0.0,
         "dimensions": json.dumps(dict(zip(dims, rng.normal(0, 0.5, 10).tolist(), strict=True))),
         "reasons_positive": json.dumps([reason] * 3, ensure_ascii=False),
         "reasons_negative": json.dumps([reason] * 3, ensure_ascii=False),
         "suggestions": json.dumps([reason | {"score_gain": 0.03}] * 3, ensure_ascii=False),
         "contributions": json.dumps(contributions)}
    )  # fmt: skip


def _fairness(pools: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for attribute in ("party_member", "gender", "ethnicity_majority", "nationality_vn"):
        for metric in ("selection_impact_ratio", "scoring_impact_ratio", "share_pool"):
            rows.append({"attribute": attribute, "group": "a", "metric": metric})
    template = pd.DataFrame(rows)
    frame = pools[["pool_id"]].merge(template, how="cross")
    return frame.assign(
        value=0.85, ci_low=0.6, ci_high=1.1, n_pool=200, n_selected=10, small=False,
        threshold=0.8, verdict="pass", note="",
    )  # fmt: skip


def _warnings() -> pd.DataFrame:
    columns = ["person_id", "full_name", "org_id", "province", "title", "severity", "signals",
               "evidence_vi", "evidence_en"]  # fmt: skip
    return pd.DataFrame(columns=columns)


def _diff() -> pd.DataFrame:
    columns = ["pool_id", "person_id", "full_name", "change", "rank_before", "rank_after",
               "reason_vi", "reason_en"]  # fmt: skip
    return pd.DataFrame(columns=columns)


def publish(settings, snapshot_id: str) -> None:  # type: ignore[no-untyped-def]
    from hientai.storage import SnapshotStore
    from hientai_app.review.accounts import add_user
    from hientai_app.review.db import ReviewDB

    rng = np.random.default_rng(5)
    snapshot = SnapshotStore(settings.snapshots_dir).open(snapshot_id)
    frames, _ = _frames(snapshot, rng)
    manifest = {
        "run_id": uuid.uuid4().hex, "night": NIGHT, "as_of": NIGHT, "snapshot_id": snapshot_id,
        "model_name": "bench", "model_version": "1", "config_hash": "bench",
        "code_version": "bench",
        "started_at": f"{NIGHT}T01:00:00+00:00", "finished_at": f"{NIGHT}T01:30:00+00:00",
        "policy": "audit_only", "counts": {"pools": N_POOLS, "shortlisted": N_POOLS * LISTED},
        "party_rules": [], "stage_seconds": {}, "report_file": "-", "excel_file": "-",
    }  # fmt: skip
    db = ReviewDB(settings.app_db_url)
    db.create_schema()
    started = time.perf_counter()
    db.results.publish_night(manifest, frames)
    print(f"published {len(frames['entries']):,} entries in {time.perf_counter() - started:.0f} s")
    people = snapshot.read("people", ["person_id"])["person_id"].astype(str)
    folder = settings.runs_dir / NIGHT
    folder.mkdir(parents=True, exist_ok=True)
    scores = rng.uniform(0, 1, len(people))
    pd.DataFrame({"person_id": people, "score": scores}).to_parquet(folder / "scores.parquet")
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for number in range(USERS):
        add_user(db, f"bench{number:02d}", role="planner", password=PASSWORD,
                 scope_org_id=None, by="bench")  # fmt: skip


def targets(config: Path) -> dict[str, list[str]]:
    from hientai.settings import load_settings
    from pipelines.results_db import ResultsDB

    settings = load_settings(config)
    db = ResultsDB(settings.app_db_url)
    run = db.run(NIGHT)
    assert run is not None, "no night published"
    entries = db.read("entries", run["run_id"])
    pools = db.read("pools", run["run_id"])
    listed = sorted(set(entries.loc[entries["in_shortlist"], "person_id"]))
    return {
        "shortlist": [f"/shortlists/{NIGHT}/{p}" for p in pools["pool_id"]],
        "person": [f"/people/{NIGHT}/{p}" for p in listed],
        "ninebox": [
            f"/ninebox?night={NIGHT}&org={org}&perf={cell // 3}&pot={cell % 3}"
            for org in sorted(set(pools["org_id"]))
            for cell in (random.randrange(9),)
        ],
        "entries": [str(len(entries))],
    }


def sign_in(url: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/signin").text)
    assert token, "no CSRF token on the sign-in page"
    data = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    answer = client.post("/signin", data=data, follow_redirects=False)
    assert answer.status_code == 303, f"{username} could not sign in"
    return client


def load(url: str, urls: dict[str, list[str]], seconds: float) -> dict[str, list[float]]:
    """Each user requests shortlist, person and 9-box pages in turn until time is up."""
    timings: dict[str, list[float]] = {page: [] for page in PAGES}
    lock, errors = threading.Lock(), []
    clients = [sign_in(url, f"bench{n:02d}") for n in range(USERS)]
    barrier, stop_at = threading.Barrier(USERS), [0.0]

    def user(client: httpx.Client, seed: int) -> None:
        pick = random.Random(seed)
        barrier.wait()
        while time.perf_counter() < stop_at[0]:
            for page in PAGES:
                started = time.perf_counter()
                try:
                    status = client.get(pick.choice(urls[page])).status_code
                except httpx.TransportError:  # e.g. a keep-alive connection the server closed
                    status = 0  # counted as a failure; the client reconnects and goes on
                spent = (time.perf_counter() - started) * 1000
                with lock:
                    (timings[page] if status == 200 else errors).append(spent)

    stop_at[0] = time.perf_counter() + seconds
    threads = [threading.Thread(target=user, args=(c, n)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    if errors:
        print(f"{len(errors)} requests failed")
    return timings


def serve(config: Path, port: int, workers: int) -> subprocess.Popen:
    hientai = str(Path(sys.executable).with_name("hientai"))
    server = subprocess.Popen(
        [
            hientai,
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env={**os.environ, "HIENTAI_REVIEW_SECRET": "bench"},
        start_new_session=True,  # its own process group: stop() ends the workers too
    )
    deadline = time.monotonic() + 180  # a busy shared machine can take a minute to import
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/signin", timeout=2)
            return server
        except httpx.TransportError:
            time.sleep(0.3)
    stop(server)
    raise RuntimeError("hientai serve did not answer within 180 s")


def stop(server: subprocess.Popen) -> None:
    """End the server and its worker processes (uvicorn stops its workers on SIGTERM)."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_cpu_seconds(pid: int) -> float:
    """User + system CPU time of the server and its worker processes (Linux /proc)."""
    listed = subprocess.run(
        ["ps", "-o", "pid=", "--pid", str(pid), "--ppid", str(pid)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    total = 0.0
    for process in listed.stdout.split():
        try:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended in between
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def server_rss_mib(pid: int) -> float:
    """Resident memory of the server and its worker processes."""
    listed = subprocess.run(
        ["ps", "-o", "rss=", "--pid", str(pid), "--ppid", str(pid)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return sum(int(line) for line in listed.stdout.split()) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("data/bench-review"))
    parser.add_argument("--db-url", default=None, help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--people", type=int, default=60_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--workers", type=int, default=1, help="hientai serve --workers")
    args = parser.parse_args()
    config = build(args.out.resolve(), args.db_url, args.people)
    urls = targets(config)
    args.port = args.port or free_port()
    server = serve(config, args.port, args.workers)
    try:
        url = f"http://127.0.0.1:{args.port}"
        with closing(sign_in(url, "bench00")) as warm:  # the first requests fill the caches
            for page in PAGES:  # (in every worker: a few rounds reach each of them)
                for number in range(4 * args.workers):
                    warm.get(urls[page][number])
            alone = one_user(warm, urls)
        load_before = os.getloadavg()[0]
        cpu_before, own_before = server_cpu_seconds(server.pid), os.times()
        timings = load(url, urls, args.seconds)
        cpu_after, own_after = server_cpu_seconds(server.pid), os.times()
        load_after = os.getloadavg()[0]
        memory = server_rss_mib(server.pid)
    finally:
        stop(server)
    report(alone, args, int(urls["entries"][0]), users=1)
    report(timings, args, int(urls["entries"][0]), users=USERS)
    print(f"server resident memory after the load: {memory:,.0f} MiB (all processes)")
    own = sum(own_after[:2]) - sum(own_before[:2])
    print(f"CPU during the load: server {cpu_after - cpu_before:.1f} s, load generator "
          f"{own:.1f} s, in {args.seconds:.0f} s")  # fmt: skip
    print(f"machine load average (1 min) before / after the load: "
          f"{load_before:.1f} / {load_after:.1f} on {os.cpu_count()} cores")  # fmt: skip


def one_user(client: httpx.Client, urls: dict[str, list[str]]) -> dict[str, list[float]]:
    """Each page 100 times by one user alone: the service time without queueing."""
    timings: dict[str, list[float]] = {page: [] for page in PAGES}
    for page in PAGES:
        for number in range(100):
            started = time.perf_counter()
            client.get(urls[page][(number * 7919) % len(urls[page])])
            timings[page].append((time.perf_counter() - started) * 1000)
    return timings


def report(
    timings: dict[str, list[float]], args: argparse.Namespace, entries: int, *, users: int
) -> None:
    backend = "PostgreSQL" if args.db_url else "SQLite"
    span = f"{args.seconds:.0f} s" if users > 1 else "100 requests per page"
    print(f"\n{backend}, {entries:,} recommendations, {users} concurrent user(s), "
          f"{args.workers} worker(s), {span}; {platform.machine()}, "
          f"{os.cpu_count()} cores\n")  # fmt: skip
    print("| page | requests | p50 ms | p95 ms | p99 ms | target p95 <= 200 ms |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for page, spent in timings.items():
        p50, p95, p99 = np.percentile(spent, [50, 95, 99]) if spent else (0, 0, 0)
        verdict = "met" if spent and p95 <= TARGET_P95_MS else "**not met**"
        print(f"| {page} | {len(spent):,} | {p50:.0f} | {p95:.0f} | {p99:.0f} | {verdict} |")
    if users > 1:
        total = sum(len(s) for s in timings.values())
        print(f"\nthroughput: {total / args.seconds:.1f} pages/s")


if __name__ == "__main__":
    main()
