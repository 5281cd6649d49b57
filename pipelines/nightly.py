"""Prefect flow: one night of hientai, from the latest extract to published shortlists.

ingest (if an extract folder is given) -> features -> score with the champion -> eligible
pools and shortlists (with per-shortlist fairness) -> whole-run fairness audit -> publish
(application database, HTML report, Excel export, diff against the previous night) -> log the
run to MLflow. Beside that line, once their inputs exist, the side stages: early warnings and
drift (after the score) and explanations (after the shortlists), in the night's side process
(pipelines/side_process.py). Stages pass ids and paths; their data lives in a work folder that
is deleted at the end. Nothing is visible before ``publish``, which replaces
the night's results in one transaction, so a crash anywhere leaves the previous results intact.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture, wait

from hientai.featurestore import kept_in_memory
from hientai.housekeeping import sweep_leftovers, work_folder
from hientai.memory import keep_freed_memory
from hientai.privacy import apply_umask
from hientai.settings import Settings, load_settings
from hientai.storage import SnapshotStore
from pipelines import champion, nightly_drift, run_log
from pipelines import nightly_stages as stages
from pipelines.as_of import features_date, night_of, stale_note
from pipelines.build_features import feature_stage
from pipelines.dask_engine import DaskEngine, dask_engine
from pipelines.ingest import ingest_stage
from pipelines.night_lock import one_night_at_a_time
from pipelines.nightly_publish import disk_full_says_so, publish
from pipelines.side_process import SideProcess, side_process_wanted


def _settings(config: str | None) -> Settings:
    return load_settings(Path(config) if config else None)


def _timed(name: str, timings: dict[str, float], run: Callable[[], Any]) -> Any:
    started = time.perf_counter()
    result = run()
    timings[name] = round(time.perf_counter() - started, 3)
    return result


@contextmanager
def _engine(settings: Settings, config: str | None) -> Iterator[DaskEngine | None]:
    """The Dask engine for the night's per-person stages, or None: they run here."""
    with dask_engine(settings, config=config) if settings.engine == "dask" else nullcontext() as e:
        yield e


def _score(
    engine: DaskEngine | None, config: str | None, features_path: str, workdir: str
) -> dict[str, Any]:
    if engine is None:
        return score_task(config, features_path, workdir)
    return engine.score(_settings(config), features_path, Path(workdir))


def _explain(
    engine: DaskEngine | None,
    helper: SideProcess,
    config: str | None,
    features_path: str,
    workdir: str,
) -> PrefectFuture[dict[str, Any]] | dict[str, Any] | None:
    """The explanations: submitted beside the audit (local engine), or on the Dask engine;
    None while the side process is still busy with the early warnings or the drift: the
    explanations then run here once the audit is done (``_explain_here``), rather than wait
    behind them while this process has nothing left to do."""
    if engine is None:
        if helper.busy():
            return None
        return explain_task.submit(helper, config, features_path, workdir)
    started = time.perf_counter()
    explained = engine.explain(features_path, Path(workdir))
    engine.release()  # the engine's last stage: its LocalCluster closes while the night goes on
    return {**explained, "seconds": round(time.perf_counter() - started, 3)}


@task(name="score", cache_policy=NONE)
def score_task(config: str | None, features_path: str, workdir: str) -> dict[str, Any]:
    return stages.score(_settings(config), features_path, Path(workdir))


@task(name="shortlists", cache_policy=NONE)
def shortlists_task(
    config: str | None, snapshot_id: str, features_path: str, workdir: str
) -> dict[str, Any]:
    return stages.shortlists(_settings(config), snapshot_id, features_path, Path(workdir))


@task(name="explain", cache_policy=NONE)
def explain_task(
    helper: SideProcess, config: str | None, features_path: str, workdir: str
) -> dict[str, Any]:
    return _own_seconds(
        helper.run(stages.explain, _settings(config), features_path, Path(workdir))
    )


@task(name="audit", cache_policy=NONE)
def audit_task(config: str | None, workdir: str) -> dict[str, Any]:
    return stages.audit(_settings(config), Path(workdir))


def _own_seconds(ran: tuple[dict[str, Any], float]) -> dict[str, Any]:
    """A side stage's result with the seconds it ran (``seconds``)."""
    result, seconds = ran
    return {**result, "seconds": round(seconds, 3)}


@task(name="warnings", cache_policy=NONE)
def warnings_task(
    helper: SideProcess,
    config: str | None,
    snapshot_id: str,
    features_path: str,
    workdir: str,
    as_of: str,
) -> dict[str, Any]:
    settings = _settings(config)
    return _own_seconds(
        helper.run(
            stages.early_warnings_stage,
            settings,
            snapshot_id,
            features_path,
            Path(workdir),
            as_of=as_of,
        )
    )


@task(name="drift", cache_policy=NONE)
def drift_task(
    helper: SideProcess, config: str | None, snapshot_id: str, features_path: str, workdir: str
) -> dict[str, Any]:
    settings = _settings(config)
    return _own_seconds(
        helper.run(nightly_drift.drift, settings, snapshot_id, features_path, Path(workdir))
    )


@contextmanager
def _side_stages() -> Iterator[list[PrefectFuture[Any]]]:
    """Stages submitted to run beside the others (on the flow's thread pool). Whatever
    happens, the night leaves only once they have ended, so none writes into a work folder
    being removed; a side stage's error is raised by its ``result()``."""
    submitted: list[PrefectFuture[Any]] = []
    try:
        yield submitted
    finally:
        wait(submitted)


@task(name="publish", cache_policy=NONE)
def publish_task(
    helper: SideProcess, config: str | None, manifest: dict[str, Any], workdir: str
) -> dict[str, Any]:
    return publish(_settings(config), manifest, Path(workdir), helper)


@task(name="track", cache_policy=NONE, retries=2, retry_delay_seconds=5)
def track_task(config: str | None, manifest: dict[str, Any]) -> str:
    from hientai.tracking import log_night

    return log_night(_settings(config), manifest)


@flow(name="nightly", **run_log.HOOKS)
@one_night_at_a_time
def nightly(
    extract: str | None = None,
    snapshot_id: str | None = None,
    as_of: str | None = None,
    config: str | None = None,
    mapping: str | None = None,
) -> dict[str, Any]:
    """One night: ``extract`` (a folder to ingest first) or ``snapshot_id`` (latest if None),
    as of ``as_of`` (today if None). Returns the run manifest with the report's path."""
    settings = _settings(config)
    apply_umask(settings.privacy)  # runs, reports and app.db are created private
    if settings.keep_freed_memory:
        keep_freed_memory()
    night = night_of(as_of)
    logger = get_run_logger()
    started = dt.datetime.now(dt.UTC)
    store = SnapshotStore(settings.snapshots_dir)
    if extract is None:
        # Resolved once: a snapshot published while the night runs must not mix in.
        settings.require_data_dir()
        snapshot = store.open(snapshot_id)
        snapshot_id = snapshot.id
    # Only ingestion may start a data folder: a night with an extract is one.
    settings.runs_dir.mkdir(parents=True, exist_ok=True)
    for gone in sweep_leftovers(settings.data_dir):
        logger.info("removed leftover %s", gone.describe())
    attempt = run_log.begin(settings, "nightly", night=night)
    timings: dict[str, float] = {}
    with (
        disk_full_says_so(night, settings.data_dir),
        work_folder(settings.runs_dir) as workdir,
        _engine(settings, config) as engine,
        ExitStack() as later,
    ):
        stages_started = time.perf_counter()
        # The score and the shortlists read the feature table this process has just built
        # from memory, not from its file; the memory is given back after them.
        keeping = later.enter_context(ExitStack())
        keeping.enter_context(kept_in_memory())
        if extract is not None:
            report = _timed("ingest", timings, lambda: ingest_stage(extract, mapping, config))
            snapshot = store.open(str(report["snapshot_id"]))
            snapshot_id = snapshot.id
        # Started now, its imports done while the features are built; left after its stages.
        wanted = side_process_wanted(settings.nightly.side_process, snapshot)
        helper = later.enter_context(SideProcess(wanted, keep_memory=settings.keep_freed_memory))
        # The champion loads on a thread while the features are built (pipelines/champion.py).
        champion.load_ahead(settings)
        later.callback(champion.forget, settings)
        side = later.enter_context(_side_stages())
        features_as_of = features_date(snapshot, night)
        if note := stale_note(snapshot, night, features_as_of):
            logger.warning(note)
        built = _timed(
            "features", timings, lambda: feature_stage(snapshot_id, features_as_of, config)
        )
        snapshot_id = str(built["snapshot_id"])
        features_path = str(Path(built["path"]).resolve())
        stages.find_previous_night(settings, night, Path(workdir))
        # Side stages read only files of the stages before them: the early warnings the
        # features, the drift the scores too, the explanations the shortlists. They run beside
        # the main line (pipelines/side_process.py) and their times are their own: stages overlap.
        # After the score, which runs LightGBM on both cores.
        scored = _timed("score", timings, lambda: _score(engine, config, features_path, workdir))
        args = (config, snapshot_id, features_path, workdir)
        warning = warnings_task.submit(helper, *args, features_as_of)
        drifting = drift_task.submit(helper, *args)
        side += [warning, drifting]
        listed = _timed(
            "shortlists",
            timings,
            lambda: shortlists_task(config, snapshot_id, features_path, workdir),
        )
        keeping.close()
        explaining = _explain(engine, helper, config, features_path, workdir)
        audited = _timed("audit", timings, lambda: audit_task(config, workdir))
        if explaining is None:
            logger.info("explanations run here: the side process was busy when they could start")
            explaining = explain_task(SideProcess(enabled=False), config, features_path, workdir)
        explained = explaining if isinstance(explaining, dict) else explaining.result()
        warned, drifted = warning.result(), drifting.result()
        for name, result in (("explain", explained), ("warnings", warned), ("drift", drifted)):
            timings[name] = result["seconds"]
        for line in drifted["warnings"]:
            logger.warning("night %s drift: %s", night, line)
        manifest = {
            "run_id": uuid.uuid4().hex,
            "night": night,
            "as_of": features_as_of,
            "snapshot_id": snapshot_id,
            "model_name": scored["model_name"],
            "model_version": scored["model_version"],
            "config_hash": run_log.config_hash(settings),
            "code_version": run_log.git_commit(),
            "started_at": started.isoformat(timespec="seconds"),
            "policy": settings.nightly.rerank.policy,
            "engine": engine.describe() if engine else {"name": "local"},
            "side_stages": helper.describe(),
            "party_rules": listed["party_rules"],
            "features_path": features_path,
            "features_reused": bool(built.get("reused")),
            "counts": {
                "people_scored": scored["people_scored"],
                "pools": listed["pools"],
                "eligible_pairs": listed["eligible_pairs"],
                "pools_nobody_eligible": listed["pools_nobody_eligible"],
                "shortlisted": listed["shortlisted"],
                "explanations": explained["explanations"],
                "warnings": warned["warnings"],
                **{k: audited[k] for k in ("fairness_checks", "fairness_fail", "fairness_warn")},
                "drift_warnings": len(drifted["warnings"]),
            },
            "drift": drifted["summary"],
            "drift_warnings": drifted["warnings"],
            "floor_seconds": {
                # Reading the columns the night needs: the snapshot's feature inputs when it
                # builds the features, else the feature table's scoring columns (timed alone,
                # as scoring and TreeSHAP are; the Dask engine's partitions' reads are not).
                "reading": round(built.get("read_seconds", scored.get("read_seconds", 0.0)), 3),
                "scoring": round(scored["scoring_seconds"], 3),
                "treeshap": round(explained["treeshap_seconds"], 3),
            },
        }
        manifest["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        manifest["stage_seconds"] = dict(timings)
        paths = _timed("publish", timings, lambda: publish_task(helper, config, manifest, workdir))
        stages_wall = round(time.perf_counter() - stages_started, 3)
    # The night is published: a tracking outage must not make it look failed (or re-run).
    tracked = track_task(
        config,
        {**manifest, "stage_seconds": timings, "report_file": paths["report"]},
        return_state=True,
    )
    mlflow_run_id = tracked.result() if tracked.is_completed() else None
    problem = None
    if mlflow_run_id is None:
        problem = f"published, but logging the night to MLflow failed: {tracked.message}"
        logger.error("night %s %s", night, problem)
    if drifted["warnings"]:
        drift_note = f"drift over the thresholds in {len(drifted['warnings'])} features or tables"
        problem = f"{problem}; {drift_note}" if problem else drift_note
    run_log.end(
        settings,
        attempt,
        "completed",
        reason=problem,
        snapshot_id=snapshot_id,
        model_version=str(manifest["model_version"]),
    )
    logger.info("night %s published: %s", night, paths["report"])
    return {
        **manifest,
        **paths,
        "stage_seconds": timings,
        "stages_wall_seconds": stages_wall,
        "mlflow_run_id": mlflow_run_id,
    }
