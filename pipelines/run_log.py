"""The flows' side of the run history (pipelines.flowruns): begin, end, and Prefect's hooks.

A flow calls ``begin`` once its settings are known and ``end`` when it has done its work;
``on_failure``, ``on_crashed`` and ``on_cancellation`` are Prefect state hooks that record how
an attempt ended and why. A scheduled run also copies into the history the attempts of its
deployment that Prefect saw fail before hientai's code could run (``copy_missed``). Nothing
here may hide the flow's own outcome: a history that cannot be written is logged, not raised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import subprocess
import uuid
from pathlib import Path
from typing import Any

from hientai.settings import Settings, load_settings
from pipelines.flowruns import Attempt, FlowRunLog, Status
from pipelines.results_db import ResultsDB

LOOKBACK_DAYS = 30
_PREFECT_STATUS: dict[str, Status] = {
    "FAILED": "failed",
    "CRASHED": "crashed",
    "CANCELLED": "cancelled",
}
log = logging.getLogger(__name__)


def config_hash(settings: Settings) -> str:
    """The settings a model or a night's scores depend on (training and features), hashed."""
    payload = json.dumps(
        {"training": settings.training.model_dump(), "features": settings.features.model_dump()},
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def git_commit() -> str:
    """The code's commit, or "unknown" outside a git checkout."""
    try:
        found = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True, timeout=10
        )
        return found.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _history(settings: Settings) -> FlowRunLog:
    settings.require_data_dir()
    db = ResultsDB(settings.app_db_url)
    db.create_schema()
    return FlowRunLog(db)


def begin(settings: Settings, flow: str, *, night: str | None = None) -> str:
    """Record this flow run as running; returns its attempt id (Prefect's flow run id)."""
    from prefect import runtime

    attempt = Attempt(
        attempt_id=str(runtime.flow_run.id or uuid.uuid4().hex),
        flow=flow,
        trigger="deployment" if runtime.deployment.id else "local",
        night=night,
        deployment=runtime.deployment.name,
    )
    history = _history(settings)
    history.start(attempt)
    if runtime.deployment.id:
        copy_missed(history, str(runtime.deployment.id), flow, attempt.deployment)
    return attempt.attempt_id


def end(settings: Settings, attempt_id: str, status: Status, **fields: Any) -> None:
    """Record how the attempt ended (``fields``: reason, snapshot_id, model_version, night)."""
    try:
        _history(settings).finish(attempt_id, status, **fields)
    except Exception:  # the work is done; a history that cannot be written must not undo it
        log.exception("could not record the end of attempt %s in the run history", attempt_id)


def copy_missed(history: FlowRunLog, deployment_id: str, flow: str, deployment: str | None) -> int:
    """Add the deployment's failed, crashed or cancelled flow runs of the last 30 days that
    never reached hientai's code (an entrypoint that did not load, a worker that died)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterExpectedStartTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType

    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=LOOKBACK_DAYS)
    try:
        with get_client(sync_client=True) as client:
            runs = client.read_flow_runs(
                deployment_filter=DeploymentFilter(
                    id=DeploymentFilterId(any_=[uuid.UUID(deployment_id)])
                ),
                flow_run_filter=FlowRunFilter(
                    state=FlowRunFilterState(
                        type=FlowRunFilterStateType(
                            any_=[StateType.FAILED, StateType.CRASHED, StateType.CANCELLED]
                        )
                    ),
                    expected_start_time=FlowRunFilterExpectedStartTime(after_=since),
                ),
                limit=50,
            )
    except Exception:  # Prefect's API is down or older: the history just misses them
        log.exception("could not read earlier flow runs of deployment %s", deployment_id)
        return 0
    added = 0
    for run in runs:
        started = run.start_time or run.expected_start_time
        if run.state is None or started is None:
            continue
        status = _PREFECT_STATUS[run.state.type.value]
        attempt = Attempt(str(run.id), flow, "deployment", None, deployment)
        added += history.add_ended(
            attempt,
            status,
            started_at=started,
            finished_at=run.end_time,
            reason=f"seen by Prefect: {run.state.message or run.state.name}",
        )
    return added


def _record_hook(status: Status, flow: Any, flow_run: Any, state: Any) -> None:
    from prefect import runtime

    try:
        config = flow_run.parameters.get("config")
        settings = load_settings(Path(config) if config else None)
        history = _history(settings)
        reason = state.message or state.name
        if not history.finish(str(flow_run.id), status, reason=reason):
            # It failed before it could record its start (settings, a missing snapshot...).
            attempt = Attempt(
                str(flow_run.id),
                flow.name,
                "deployment" if flow_run.deployment_id else "local",
                _night_or_none(flow_run.parameters.get("as_of")),
                runtime.deployment.name
                or (str(flow_run.deployment_id) if flow_run.deployment_id else None),
            )
            now = dt.datetime.now(dt.UTC)
            started = flow_run.start_time or now
            history.add_ended(attempt, status, started_at=started, finished_at=now, reason=reason)
    except Exception:
        log.exception(
            "could not record the %s flow run %s (%s) in the run history",
            status,
            flow_run.id,
            flow_run.name,
        )


def _night_or_none(as_of: object) -> str | None:
    """The night a failed run was asked for, if it was a date (a bad one is in the reason)."""
    try:
        return dt.date.fromisoformat(str(as_of)).isoformat() if as_of else None
    except ValueError:
        return None


def on_failure(flow: Any, flow_run: Any, state: Any) -> None:
    _record_hook("failed", flow, flow_run, state)


def on_crashed(flow: Any, flow_run: Any, state: Any) -> None:
    _record_hook("crashed", flow, flow_run, state)


def on_cancellation(flow: Any, flow_run: Any, state: Any) -> None:
    _record_hook("cancelled", flow, flow_run, state)


HOOKS: dict[str, Any] = {
    "on_failure": [on_failure],
    "on_crashed": [on_crashed],
    "on_cancellation": [on_cancellation],
}
