"""`hientai doctor`: is the data folder whole, consistent with the database, and private?

It checks the latest snapshot (its files against the checksums of its manifest), every
published night against its run folder, crash leftovers, the night locks held now and file
permissions. With ``fix`` it repairs what can be repaired without judgement: leftovers of dead
processes are removed, permissions narrowed, a missing or dangling LATEST pointer set to the
newest complete snapshot. A changed snapshot file or a night without its folder is reported
with what to do (restore from backup, re-run the night), never "repaired".
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import sqlalchemy as sa

from hientai.housekeeping import find_leftovers, sweep_leftovers
from hientai.ingest.publish import LATEST, MANIFEST, write_latest
from hientai.privacy import open_paths, secure, secure_tree, sqlite_files, too_open
from hientai.settings import Settings
from hientai.storage import SnapshotStore
from pipelines.night_lock import running_nights
from pipelines.results_db import ResultsDB

Level = Literal["ok", "note", "problem"]


@dataclass
class Finding:
    area: str  # snapshot, nights, leftovers, locks, permissions
    level: Level
    text: str
    fixed: bool = False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


def _complete(snapshots_dir: Path, snapshot_id: str) -> bool:
    return (snapshots_dir / snapshot_id / MANIFEST).is_file()


def check_snapshot(settings: Settings, *, fix: bool) -> list[Finding]:
    store = SnapshotStore(settings.snapshots_dir)
    ids = store.ids()
    latest = store.latest_id()
    if not ids:
        return [Finding("snapshot", "note", "no snapshot published yet")]
    findings = []
    if latest is None or not _complete(settings.snapshots_dir, latest):
        said = "missing" if latest is None else f"names {latest!r}, which does not exist"
        finding = Finding("snapshot", "problem", f"{settings.snapshots_dir / LATEST} {said}")
        if fix:
            write_latest(settings.snapshots_dir, ids[-1])
            finding.text += f"; set to the newest complete snapshot {ids[-1]}"
            finding.fixed = True
        findings.append(finding)
        latest = ids[-1] if fix else None
    if latest is not None:
        findings += _checksums(store.root / latest)
    return findings


def _checksums(folder: Path) -> list[Finding]:
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    entries = [*manifest["tables"].values()]
    if manifest.get("protected"):
        entries.append(manifest["protected"])
    bad = []
    for entry in entries:
        path = folder / str(entry["file"])
        if not path.is_file():
            bad.append(f"{entry['file']} is missing")
        elif _sha256(path) != entry["sha256"]:
            bad.append(f"{entry['file']} differs from its checksum in the manifest")
    if bad:
        text = (
            f"latest snapshot {folder.name}: {'; '.join(bad)}. A published snapshot never "
            "changes: restore it from the backup, or ingest the extract again"
        )
        return [Finding("snapshot", "problem", text)]
    return [Finding("snapshot", "ok", f"latest snapshot {folder.name}: {len(entries)} files, "
                    "checksums match the manifest")]  # fmt: skip


def check_nights(settings: Settings) -> list[Finding]:
    files = sqlite_files(settings.app_db_url)
    if files and not files[0].exists():
        return [Finding("nights", "note", "no application database yet: no night published")]
    try:
        runs = ResultsDB(settings.app_db_url).runs()
    except sa.exc.SQLAlchemyError as exc:
        reason = " ".join(str(exc.orig if hasattr(exc, "orig") else exc).split())[:200]
        return [Finding("nights", "problem", f"cannot read the application database: {reason}")]
    findings = []
    snapshots = set(SnapshotStore(settings.snapshots_dir).ids())
    for run in runs.to_dict("records"):
        night, folder = run["night"], settings.runs_dir / run["night"]
        manifest = folder / "manifest.json"
        if not manifest.is_file():
            findings.append(
                Finding("nights", "problem", f"night {night}: in the database, but its run "
                        f"folder {folder} is missing; re-run the night or restore the folder")
            )  # fmt: skip
            continue
        on_disk = json.loads(manifest.read_text(encoding="utf-8")).get("run_id")
        if on_disk != run["run_id"]:
            findings.append(
                Finding("nights", "problem", f"night {night}: run folder is of run {on_disk}, "
                        f"the database of run {run['run_id']}; re-run the night")
            )  # fmt: skip
        elif run["snapshot_id"] not in snapshots:
            findings.append(
                Finding("nights", "note", f"night {night}: its snapshot {run['snapshot_id']} "
                        "is no longer in the data folder (restored database, or pruned by hand)")
            )  # fmt: skip
    known = set(runs["night"])
    for folder in sorted(settings.runs_dir.glob("[!.]*")) if settings.runs_dir.exists() else []:
        if folder.is_dir() and folder.name not in known:
            findings.append(
                Finding("nights", "note", f"run folder {folder} has no night in the database; "
                        "`hientai prune` removes it")
            )  # fmt: skip
    if not findings:
        findings.append(Finding("nights", "ok", f"{len(runs)} night(s): database and run "
                                "folders agree"))  # fmt: skip
    return findings


def check_leftovers(settings: Settings, *, fix: bool) -> list[Finding]:
    findings = []
    if fix:
        findings += [
            Finding("leftovers", "problem", f"{r.describe()}", fixed=True)
            for r in sweep_leftovers(settings.data_dir)
        ]
    for leftover in find_leftovers(settings.data_dir):
        if leftover.owner_alive:
            findings.append(Finding("leftovers", "note", f"in use: {leftover.describe()}"))
        elif leftover.owner_alive is None:
            findings.append(
                Finding("leftovers", "note", f"{leftover.describe()}: remove it by hand once "
                        "no night is running (older versions did not record their process)")
            )  # fmt: skip
        else:
            findings.append(
                Finding("leftovers", "problem", f"{leftover.describe()}: `hientai doctor --fix` "
                        "removes it")
            )  # fmt: skip
    if not findings:
        findings.append(Finding("leftovers", "ok", "no work or staging folder left by a crash"))
    return findings


def check_locks(settings: Settings) -> list[Finding]:
    try:
        held = running_nights(settings)
    except sa.exc.SQLAlchemyError:
        return [Finding("locks", "note", "cannot read the advisory locks of the database")]
    if not held:
        return [Finding("locks", "ok", "no night running")]
    return [Finding("locks", "note", f"night {h.night} running: {h.describe()}") for h in held]


def check_permissions(settings: Settings, *, fix: bool) -> list[Finding]:
    privacy = settings.privacy
    wide = open_paths(settings.data_dir, privacy)
    # The SQLite database may live outside the data folder (nightly.app_db_url).
    database = [p for p in sqlite_files(settings.app_db_url) if p.exists() and p not in wide]
    wide += [p for p in database if too_open(p, privacy)]
    if not wide:
        who = f"owner and group {privacy.group!r}" if privacy.group else "owner"
        return [Finding("permissions", "ok", f"data folder readable by its {who} only")]
    shown = ", ".join(str(p) for p in wide[:5]) + (" ..." if len(wide) > 5 else "")
    finding = Finding("permissions", "problem", f"{len(wide)} path(s) readable by others: {shown}")
    if fix:
        secure_tree(settings.data_dir, privacy)
        for path in database:
            secure(path, privacy)
        finding.text += "; narrowed"
        finding.fixed = True
    return [finding]


def examine(settings: Settings, *, fix: bool = False) -> list[Finding]:
    """Every check, in the order `hientai doctor` prints them."""
    settings.require_data_dir()
    return [
        *check_snapshot(settings, fix=fix),
        *check_nights(settings),
        *check_leftovers(settings, fix=fix),
        *check_locks(settings),
        *check_permissions(settings, fix=fix),
    ]


def healthy(findings: list[Finding]) -> bool:
    """No problem left unrepaired."""
    return all(f.level != "problem" or f.fixed for f in findings)
