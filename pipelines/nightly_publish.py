"""Publish a night: the application database and the run folder, together or not at all.

The run folder (HTML report, Excel export, scores, pools, manifest) is written into a staging
folder first. One database transaction then replaces the night's rows; just before it
commits, the staging folder is swapped into place (the previous folder of that night kept
aside). If the commit fails, the swap is undone; if anything fails earlier, neither the
database nor the folder has changed. Re-running a night replaces it.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
from collections.abc import Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from hientai.atomic import FolderSwap, freeze, remove_folder, write_json
from hientai.ingest.errors import IngestWriteError
from hientai.settings import Settings
from models.night_diff import night_diff
from models.shortlist import spread_rows
from pipelines.flowruns import FlowRunLog
from pipelines.nightly_drift import DRIFT_FILE, PROFILE_FILE
from pipelines.nightly_stages import HOLDERS_FILE, previous_night
from pipelines.results_db import FRAME_COLUMNS, MANIFEST_FIELDS, ResultsDB
from pipelines.side_process import SideProcess

REPORT_FILE, EXCEL_FILE = "report.html", "shortlists.xlsx"
FRAMES = ("pools", "entries", "explanations", "fairness", "warnings")

EXCEL_SCOPE = (
    "Shortlisted entries (and any moved by re-ranking); fairness: the whole-run rows and every "
    "failed shortlist check. Every qualified candidate and every check is in the application "
    "database."
)


DISK_FULL = (
    "night {night}: {path}: no space left on the device while writing; nothing of this run was "
    "published and the night's previous results are unchanged. Free some space (`hientai prune "
    "--keep N` removes old snapshots and run folders) and run the night again"
)


class NightWriteError(ValueError, OSError):
    """The disk filled up during a night; nothing was published. A ``ValueError`` like the
    project's other one-line errors, and still an ``OSError`` for callers that handle I/O
    errors as such."""


def _disk_full(exc: OSError) -> bool:
    # pyarrow reports a full disk as a plain OSError whose text carries the errno.
    text = str(exc).lower()
    return exc.errno in (errno.ENOSPC, errno.EDQUOT) or "no space left on" in text


@contextmanager
def disk_full_says_so(night: str, data_dir: Path) -> Iterator[None]:
    """A full disk anywhere in the night (work folder, run folder) ends in one line naming the
    file; other errors pass unchanged."""
    try:
        yield
    except OSError as exc:
        if isinstance(exc, NightWriteError) or not _disk_full(exc):
            raise
        if isinstance(exc, IngestWriteError):  # already names the file and the snapshot kept
            raise NightWriteError(f"night {night}: {exc}") from None
        path = exc.filename or data_dir
        raise NightWriteError(DISK_FULL.format(night=night, path=path)) from None


def excel(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """What the Excel export holds (see EXCEL_SCOPE): a workbook planners can open, not the
    full ~10^6 rows of a national night."""
    entries, fairness = frames["entries"], frames["fairness"]
    kept = fairness.loc[fairness["pool_id"].isna() | (fairness["verdict"] == "fail")]
    return {
        **frames,
        "entries": entries.loc[
            entries["in_shortlist"].astype(bool) | entries["moved"].astype(bool)
        ],
        # every pool with its failing rows (a night's frames hold a shortlist's rows once)
        "fairness": spread_rows(kept, frames["holders"]) if "holders" in frames else kept,
    }


def _frames(workdir: Path) -> dict[str, pd.DataFrame]:
    """The night's frames from the work folder as the audit left them: the fairness rows of
    each distinct shortlist once, and ``holders``, the pools having them."""
    frames = {name: pd.read_parquet(workdir / f"{name}.parquet") for name in FRAMES}
    entries = frames["entries"]
    frames["entries"] = entries.assign(
        rank=entries["rank"].where(entries["rank"] > 0).astype("Int64")
    )[list(FRAME_COLUMNS["entries"])]
    return {**frames, "holders": pd.read_parquet(workdir / HOLDERS_FILE)}


def diff_frame(
    db: ResultsDB, entries: pd.DataFrame, pools: pd.DataFrame, workdir: Path
) -> pd.DataFrame:
    """Tonight against the night it is compared with (one lookup, kept in the work folder, so
    a night published meanwhile cannot mix two previous nights)."""
    previous_id = previous_night(workdir)
    k = dict(zip(pools["pool_id"], pools["k"].astype(int), strict=True))
    if previous_id is None:
        empty = entries.iloc[0:0]
        return night_diff(empty, empty, pd.DataFrame(), previous_pools=set(), k=k)
    before = db.read("entries", previous_id)
    previous_pools = set(db.read("pools", previous_id)["pool_id"])
    status = pd.read_parquet(workdir / "status.parquet")
    return night_diff(before, entries, status, previous_pools=previous_pools, k=k)


def write_reports(
    staging: Path,
    manifest: dict[str, Any],
    workdir: Path,
    diff: pd.DataFrame,
    frames: dict[str, pd.DataFrame] | None = None,
) -> None:
    """The HTML report and the Excel export of the night into ``staging``, from ``frames`` or,
    in the night's side process (while the database takes the rows), the work folder's."""
    # Imported here: Matplotlib and the workbook writer take 0.6 s to import, which the night's
    # own process spares when the side process writes the reports (it imports them early).
    from pipelines.report import write_excel, write_html

    frames = {
        **(frames if frames is not None else _frames(workdir)),
        "diff": diff,
        "drift": pd.read_parquet(workdir / DRIFT_FILE),  # the report's, not the database's
    }
    write_html(staging / REPORT_FILE, manifest, frames)
    write_excel(staging / EXCEL_FILE, {**manifest, "excel_scope": EXCEL_SCOPE}, excel(frames))


def publish(
    settings: Settings,
    manifest: dict[str, Any],
    workdir: Path,
    helper: SideProcess | None = None,
) -> dict[str, Any]:
    """Write the report and exports, then the database, all or nothing; returns the paths.
    With a side process (``helper``) the report and export are written there while the
    database takes the rows; the folder is swapped in only once they are whole."""
    helper = helper or SideProcess(enabled=False)
    night = manifest["night"]
    db = ResultsDB(settings.app_db_url)
    db.create_schema()
    frames = _frames(workdir)
    holders = frames.pop("holders")
    frames["diff"] = diff_frame(db, frames["entries"], frames["pools"], workdir)
    target = (settings.runs_dir / night).resolve()
    manifest = {
        **manifest,
        "report_file": str(target / REPORT_FILE),
        "excel_file": str(target / EXCEL_FILE),
    }
    manifest["counts"] = {**manifest["counts"], "diff": len(frames["diff"])}
    previous = db.previous_run(night)
    problems = FlowRunLog(db).problems(since=previous["published_at"] if previous else None)
    staging = settings.runs_dir / f".staging-{night}-{os.getpid()}"
    remove_folder(staging)
    staging.mkdir(parents=True)
    swap = FolderSwap(staging, target)
    written: Future[None] | None = None

    def whole_then_swap() -> None:  # just before the commit
        assert written is not None
        helper.result(written)
        freeze(staging)
        swap()

    try:
        report_manifest = {**manifest, "problem_runs": problems.to_dict("records")}
        # The side process reads the frames from the work folder; here they are at hand.
        here = None if helper.describe() == "process" else {**frames, "holders": holders}
        written = helper.start(
            write_reports, staging, report_manifest, workdir, frames["diff"], here
        )
        for name in ("scores.parquet", "pools.json", "classifier.pkl", DRIFT_FILE, PROFILE_FILE):
            shutil.copyfile(workdir / name, staging / name)
        write_json(staging / "manifest.json", manifest)
        db_manifest = {name: manifest[name] for name in MANIFEST_FIELDS}
        db.publish_night(db_manifest, frames, before_commit=whole_then_swap, holders=holders)
    except BaseException:
        if written is not None:
            wait([written])  # nothing may still write into the folder removed here
        swap.undo()
        remove_folder(staging)
        raise
    swap.finish()
    return {
        "report": manifest["report_file"],
        "excel": manifest["excel_file"],
        "folder": str(target),
        "counts": manifest["counts"],
    }


def read_manifest(folder: Path) -> dict[str, Any]:
    return dict(json.loads((folder / "manifest.json").read_text(encoding="utf-8")))
