"""The Dask engine (``engine: dask``): the night's per-person stages, partitioned on Dask.

Scoring and explanations are row by row: a person's score and explanation do not depend on
who else is scored or explained with them. So the people are cut into partitions by a stable
hash of their person id, each partition is a Prefect task run on a Dask worker (prefect-dask's
``DaskTaskRunner``), and the flow's process puts the pieces back in the local engine's order:
the files the later stages read are the local engine's, value for value, and so are the
shortlists (tests/data/test_dask_engine.py).

What stays in the flow's process, and why: the features (percentiles within province and
field, ratings and surveys against unit and population means: a partition would change
them), the reference sample of the development suggestions (drawn from everyone), the
champion's loading (one read of the registry), shortlists, audit, drift and publish.

Workers read the feature table and the run's work folder by path and write their part there:
on a cluster of several machines the data folder must be on storage every worker mounts, and
workers need the flow's code and ``requirements.lock`` (docs/scale.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from prefect import task
from prefect.cache_policies import NONE

from hientai.settings import DaskSettings, Settings, SettingsError
from models.local_explain import reference_sample
from pipelines import nightly_stages as stages
from pipelines.champion import champion

SCHEDULER_UNREACHABLE = (
    "the Dask scheduler at {address} (dask.scheduler in {config}) did not answer within "
    "{timeout:g} s: {problem}. Start the scheduler and its workers, fix the address, or empty "
    "dask.scheduler to run a LocalCluster on this machine (or set engine: local)"
)
NO_WORKERS = (
    "the Dask scheduler at {address} has no worker after {timeout:g} s: start workers "
    "(the same image and requirements.lock as the flow; docs/scale.md)"
)
PARTITION_LOST = (
    "the {stage} partitions returned {got} rows, the night has {expected}: a partition was "
    "lost or doubled on the way back from the Dask workers; nothing was written"
)
PARTS_FOLDER = "partitions"
REFERENCE_FILE = "reference.parquet"  # the development suggestions' population sample
SHORTLISTED_FILE = "shortlisted.parquet"  # the rows of the people to explain


class DaskUnavailable(SettingsError):
    """The configured Dask scheduler cannot run the night (unreachable, or no workers)."""


class PartitionLost(RuntimeError):
    """The partitions did not give back every row of the night exactly once."""


def partition_of(person_ids: pd.Series, parts: int) -> np.ndarray:
    """Each person's partition, 0 to ``parts - 1``: a hash of the person id that every process
    computes alike (Python's own ``hash`` of a string differs from process to process)."""
    if parts < 1:
        raise ValueError(f"parts must be at least 1, got {parts}")
    hashed = pd.util.hash_array(person_ids.astype(str).to_numpy(dtype=object))
    return (hashed % np.uint64(parts)).astype(np.int64)


class DaskEngine:
    """The cluster of one night and a task runner on it.

    A LocalCluster starts when the first partitioned stage needs it, not beside the feature
    build: on a machine of two cores, worker processes starting and importing the project
    while the features were built made the feature stage 2.5 times slower (docs/benchmarks.md),
    more than their start costs on its own. ``release`` ends the engine after its last stage
    and closes the LocalCluster in the background while the central stages go on.
    """

    def __init__(self, settings: Settings, *, config: str | None = None) -> None:
        self.cfg = settings.dask
        if self.cfg.scheduler:  # a wrong address fails the night now, not after the features
            _check_scheduler(self.cfg, config)
        self._cluster: Any = None  # distributed.LocalCluster, started on first use
        self._closing: ThreadPoolExecutor | None = None
        self._runner: Any = None  # prefect_dask.DaskTaskRunner, started on first use
        self._api: ExitStack | None = None
        self.parts = 0
        self.workers = 0
        self.start_seconds = 0.0  # starting a LocalCluster, or connecting to the scheduler
        self._released = False

    def describe(self) -> dict[str, Any]:
        """How the night ran, for its manifest."""
        scheduler = self.cfg.scheduler or "LocalCluster"
        return {
            "name": "dask",
            "scheduler": scheduler,
            "workers": self.workers,
            "parts": self.parts,
            "start_seconds": round(self.start_seconds, 3),
        }

    def release(self) -> None:
        """No more partitioned stages tonight: disconnect, and close a LocalCluster in the
        background while the central stages go on."""
        if self._released:
            return
        self._released = True
        if self._runner is not None:
            self._runner.__exit__(None, None, None)
            self._runner = None
        if self._api is not None:
            self._api.close()
            self._api = None
        if self._cluster is not None:
            self._closing = ThreadPoolExecutor(1, thread_name_prefix="dask-engine-close")
            self._closing.submit(self._cluster.close)
            self._closing.shutdown(wait=False)

    def close(self) -> None:
        """Release, and wait until a LocalCluster has closed: whether the night succeeded or
        failed, no worker process outlives it."""
        self.release()
        if self._closing is not None:
            self._closing.shutdown(wait=True)

    def _start_cluster(self) -> Any:
        from distributed import Client, LocalCluster

        cluster = LocalCluster(
            n_workers=self.cfg.workers,
            threads_per_worker=self.cfg.threads_per_worker,
            processes=True,
            dashboard_address=None,
        )
        # Each new worker imports the project (Prefect, MLflow, LightGBM: seconds) once, here,
        # rather than inside the first partition's task run and its timing.
        try:
            with Client(cluster, set_as_default=False) as client:
                client.run(_project_imported)
        except BaseException:
            cluster.close()
            raise
        return cluster

    def _started_runner(self) -> Any:
        if self._runner is None:
            from prefect_dask import DaskTaskRunner

            started = time.perf_counter()
            if self.cfg.scheduler:
                runner = DaskTaskRunner(address=self.cfg.scheduler)
            else:
                self._cluster = self._start_cluster()
                runner = DaskTaskRunner(cluster=self._cluster)
            self._api = ExitStack()
            self._api.enter_context(_workers_reach_this_api())
            self._runner = runner.__enter__()
            self.start_seconds = time.perf_counter() - started
            threads = self._runner.client.nthreads()
            self.workers = len(threads)
            self.parts = self.cfg.partitions or max(sum(threads.values()), 1)
        return self._runner

    def score(self, settings: Settings, features_path: str, workdir: Path) -> dict[str, Any]:
        """The score stage of ``nightly_stages.score``, partitioned: same files, same summary
        (``scoring_seconds`` adds up the partitions' scoring)."""
        classifier, version = champion(settings)  # in the flow's process: workers need no MLflow
        stages.save_classifier(classifier, workdir)
        done = self._run(score_partition_task, workdir, features_path=features_path)
        scores = _gathered([d["file"] for d in done], "score")
        rows = scores.pop("row").to_numpy()
        expected = len(stages.feature_frame(features_path, ["person_id"]))
        if not np.array_equal(rows, np.arange(expected)):
            raise PartitionLost(
                PARTITION_LOST.format(stage="score", got=len(rows), expected=expected)
            )
        scores.to_parquet(workdir / "scores.parquet", index=False)
        return {
            **stages.champion_of(settings, version),
            "people_scored": len(scores),
            "external_by_profile": sum(d["external_by_profile"] for d in done),
            "scoring_seconds": sum(d["seconds"] for d in done),
        }

    def explain(self, features_path: str, workdir: Path) -> dict[str, Any]:
        """The explain stage of ``nightly_stages.explain``, partitioned: the reference sample is
        drawn here from everyone, as the local engine draws it; each partition explains its
        shortlisted people; the pieces are stored in the local engine's order."""
        wanted = stages.shortlisted_people(workdir)
        if len(wanted) == 0:
            return stages.write_explanations(stages.empty_explanations(), 0.0, workdir)
        classifier = stages.saved_classifier(workdir)
        features = stages.feature_frame(features_path)
        features = features.assign(person_id=features["person_id"].astype(str))
        chosen = features.loc[features["person_id"].isin(wanted)].set_index("person_id")
        order = np.concatenate(
            [chosen.index[rows] for _, rows in stages.explanation_models(classifier, chosen)]
        )
        columns = _model_columns(classifier)
        reference_sample(features)[columns].to_parquet(_parts_folder(workdir) / REFERENCE_FILE)
        chosen[columns].to_parquet(_parts_folder(workdir) / SHORTLISTED_FILE)
        del features, chosen
        done = self._run(explain_partition_task, workdir)
        out = _gathered([d["file"] for d in done], "explain")
        if len(out) != len(order) or set(out["person_id"]) != set(order):
            raise PartitionLost(
                PARTITION_LOST.format(stage="explain", got=len(out), expected=len(order))
            )
        out = out.set_index("person_id").loc[order].reset_index()
        return stages.write_explanations(out, sum(d["seconds"] for d in done), workdir)

    def _run(self, stage: Any, workdir: Path, **inputs: str) -> list[dict[str, Any]]:
        """One task run of ``stage`` per partition on the workers; their results in order."""
        runner = self._started_runner()
        futures = [
            runner.submit(
                stage, {**inputs, "workdir": str(workdir), "part": part, "parts": self.parts}
            )
            for part in range(self.parts)
        ]
        return [future.result() for future in futures]


@task(name="score-partition", cache_policy=NONE)
def score_partition_task(
    features_path: str, workdir: str, part: int, parts: int
) -> dict[str, Any]:
    """Scores of one partition of the people, with their row in the feature table."""
    folder = Path(workdir)
    classifier = stages.saved_classifier(folder)
    features = stages.feature_frame(features_path, ["person_id", *_model_columns(classifier)])
    rows = np.flatnonzero(partition_of(features["person_id"], parts) == part)
    mine = features.iloc[rows]
    scores, seconds = stages.score_people(classifier, mine)
    file = _parts_folder(folder) / f"scores-{part:04d}.parquet"
    scores.assign(row=rows).to_parquet(file, index=False)
    return {
        "file": str(file),
        "rows": len(rows),
        "external_by_profile": int(classifier.external_rows(mine).sum()),
        "seconds": seconds,
    }


@task(name="explain-partition", cache_policy=NONE)
def explain_partition_task(workdir: str, part: int, parts: int) -> dict[str, Any]:
    """Explanations of one partition's shortlisted people, against the night's reference.
    The flow wrote the shortlisted people's rows (a few thousand on a national night) and the
    reference apart, so a worker does not read the whole feature table to find them."""
    folder = Path(workdir)
    shortlisted = pd.read_parquet(_parts_folder(folder) / SHORTLISTED_FILE)
    chosen = shortlisted.loc[partition_of(shortlisted.index.to_series(), parts) == part]
    reference = pd.read_parquet(_parts_folder(folder) / REFERENCE_FILE)
    out, seconds = stages.explain_people(stages.saved_classifier(folder), chosen, reference)
    file = _parts_folder(folder) / f"explanations-{part:04d}.parquet"
    out.to_parquet(file, index=False)
    return {"file": str(file), "rows": len(out), "seconds": seconds}


def _model_columns(classifier: Any) -> list[str]:
    """Every feature either model reads, and ``is_external`` (which of the two scores a row)."""
    names = list(classifier.feature_names_)
    profile = getattr(classifier, "external_", None)
    if profile is not None:
        names += [n for n in [*profile.feature_names_, "is_external"] if n not in names]
    return names


def _parts_folder(workdir: Path) -> Path:
    folder = workdir / PARTS_FOLDER
    folder.mkdir(exist_ok=True)
    return folder


def _gathered(files: list[str], stage: str) -> pd.DataFrame:
    """The partitions' pieces in one frame (scores in feature-table order); the pieces go."""
    frames = [pd.read_parquet(f) for f in files]
    for file in files:
        Path(file).unlink()
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0]
    gathered = pd.concat(non_empty, ignore_index=True)
    return gathered.sort_values("row", kind="stable") if stage == "score" else gathered


@contextmanager
def dask_engine(settings: Settings, *, config: str | None = None) -> Iterator[DaskEngine]:
    """The Dask engine of one night: connected to ``dask.scheduler``, or on a LocalCluster of
    ``dask.workers`` processes started here; released and its LocalCluster closed at the end,
    whatever happens."""
    engine = DaskEngine(settings, config=config)
    try:
        yield engine
    finally:
        engine.close()


def _project_imported() -> None:
    """Unpickling this function on a worker imports this module and the project's modules it
    imports; calling it imports what a worker's first task run would otherwise import."""
    import prefect.task_engine  # noqa: F401


def _check_scheduler(cfg: DaskSettings, config: str | None) -> None:
    """Fail before the night's work if the scheduler does not answer or has no worker."""
    from distributed import Client

    where = config or "the settings"
    try:
        client = Client(cfg.scheduler, timeout=cfg.connect_timeout_s, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise DaskUnavailable(
            SCHEDULER_UNREACHABLE.format(
                address=cfg.scheduler, config=where, timeout=cfg.connect_timeout_s, problem=exc
            )
        ) from None
    with client:
        try:
            client.wait_for_workers(1, timeout=cfg.connect_timeout_s)
        except (OSError, TimeoutError):
            raise DaskUnavailable(
                NO_WORKERS.format(address=cfg.scheduler, timeout=cfg.connect_timeout_s)
            ) from None


@contextmanager
def _workers_reach_this_api() -> Iterator[None]:
    """Workers run their task runs against the flow's Prefect API. Without a server
    (``hientai nightly`` on its own), that API is a temporary one in this process that the
    workers' settings do not name: name it, or each worker would start a temporary API of its
    own and its task runs would be recorded there."""
    from prefect.context import FlowRunContext
    from prefect.settings import PREFECT_API_URL, temporary_settings

    context = FlowRunContext.get()
    if PREFECT_API_URL.value() or context is None or context.client is None:
        yield
        return
    with temporary_settings(updates={PREFECT_API_URL: str(context.client.api_url)}):
        yield


__all__ = ["DaskEngine", "DaskUnavailable", "PartitionLost", "dask_engine", "partition_of"]
