"""Oversight pages: the audit log, the run history and the early-warning list."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from hientai_app.review import audit, charts
from hientai_app.review.accounts import User
from hientai_app.review.lookup import night_for, published
from hientai_app.review.pages import render
from hientai_app.review.scope import org_in_scope
from hientai_app.review.security import VIEWERS, allow

router = APIRouter()
AUDIT_PAGE = 200


@router.get("/audit")
def audit_log(
    request: Request,
    user: Annotated[User, Depends(allow("auditor", "admin"))],
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    db = request.app.state.db
    try:
        report, problem = audit.verify(db), None
    except audit.AuditChainBroken as exc:
        report, problem = None, str(exc)
    records = audit.recent(db, limit=AUDIT_PAGE, offset=(page - 1) * AUDIT_PAGE)
    return render(
        request, "audit.html", records=records, report=report, problem=problem, page=page
    )


@router.get("/runs")
def runs(
    request: Request,
    user: Annotated[User, Depends(allow("data_scientist", "auditor", "admin"))],
) -> Response:
    history = published(request).runs()
    latest = history[0] if history else None
    fairness = published(request).run_fairness(latest["run_id"]) if latest else []
    trends = published(request).trends()
    for run in history:
        run.update(trends.get(run["run_id"], {"mean_score": None, "min_impact_ratio": None}))
    oldest_first = history[::-1]
    lines = {
        name: charts.line_points([run[name] for run in oldest_first])
        for name in ("mean_score", "min_impact_ratio")
    }
    return render(
        request, "runs.html", runs=history, fairness=fairness, latest=latest, lines=lines
    )


@router.get("/warnings")
def warnings(
    request: Request,
    user: Annotated[User, Depends(allow(*VIEWERS))],
    night: Annotated[str | None, Query(max_length=10)] = None,
) -> Response:
    found = night_for(request, user, night)
    rows = [
        w | {"org_name": found.tree.name(w["org_id"])}
        for w in published(request).warnings(found.run_id)
        if org_in_scope(w["org_id"], user, found.tree)
    ]
    return render(request, "warnings.html", night=found, warnings=rows)
