"""The shortlists index, a shortlist page, and a decision on one of its entries."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from hientai_app.review import decisions, i18n
from hientai_app.review.accounts import User
from hientai_app.review.lookup import Night, night_for, pool_for, published
from hientai_app.review.pages import render
from hientai_app.review.security import VIEWERS, Refused, allow
from hientai_app.review.shortlist_view import shortlist_context

router = APIRouter()
PAGE_SIZE = 100
Viewer = Annotated[User, Depends(allow(*VIEWERS))]
Planner = Annotated[User, Depends(allow("planner"))]
STATES = ("undecided", "in_progress", "decided")


@router.get("/")
def home(
    user: Annotated[User, Depends(allow("planner", "data_scientist", "auditor", "admin"))],
) -> Response:
    target = "/runs" if user.role == "admin" else "/shortlists"
    return RedirectResponse(target, status_code=303)


def _state(pool: dict[str, Any], decided: dict[str, int]) -> str:
    count = decided.get(pool["pool_id"], 0)
    if count == 0:
        return "undecided"
    return "decided" if count >= pool["n_shortlisted"] else "in_progress"


def _matches(pool: dict[str, Any], filters: dict[str, str], tree: Any, state: str) -> bool:
    if filters["org"] and (
        pool["org_id"] is None or pool["org_id"] not in tree.subtree(filters["org"])
    ):
        return False
    if filters["level"] and tree.levels.get(pool["org_id"] or "", "national") != filters["level"]:
        return False
    if filters["kind"] and pool["kind"] != filters["kind"]:
        return False
    if filters["verdict"] and pool["verdict"] != filters["verdict"]:
        return False
    return not filters["state"] or state == filters["state"]


@router.get("/shortlists")
def shortlists(
    request: Request,
    user: Viewer,
    night: Annotated[str | None, Query(max_length=10)] = None,
    org: Annotated[str, Query(max_length=200)] = "",
    level: Annotated[str, Query(max_length=50)] = "",
    kind: Annotated[str, Query(max_length=50)] = "",
    verdict: Annotated[str, Query(max_length=10)] = "",
    state: Annotated[str, Query(max_length=20)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    found = night_for(request, user, night)
    filters = {"org": org, "level": level, "kind": kind, "verdict": verdict, "state": state}
    decided = decisions.decided_people_by_pool(request.app.state.db, found.night)
    rows = []
    for pool in found.pools.values():
        pool_state = _state(pool, decided)
        if _matches(pool, filters, found.tree, pool_state):
            rows.append(pool | {"state": pool_state, "org_name": found.tree.name(pool["org_id"])})
    start = (page - 1) * PAGE_SIZE
    orgs = sorted(
        {(p["org_id"], found.tree.name(p["org_id"])) for p in found.pools.values() if p["org_id"]},
        key=lambda o: o[1],
    )
    return render(
        request,
        "shortlists.html",
        night=found,
        pools=rows[start : start + PAGE_SIZE],
        total=len(rows),
        page=page,
        pages=max(1, -(-len(rows) // PAGE_SIZE)),
        filters=filters,
        orgs=orgs,
        levels=sorted({*found.tree.levels.values(), "national"}),
        nights=[run["night"] for run in published(request).runs()],
        states=STATES,
    )


@router.get("/shortlists/{night}/{pool_id}")
def shortlist(request: Request, user: Viewer, night: str, pool_id: str) -> Response:
    found, pool = pool_for(request, user, night, pool_id)
    context = shortlist_context(
        request.app.state.db, published(request), found, pool, user, request.state.lang,
        conf=request.app.state.settings.review,
    )  # fmt: skip
    return render(request, "shortlist.html", error=None, form={}, **context)


@router.post("/shortlists/{night}/{pool_id}/decide")
def decide(
    request: Request,
    user: Planner,
    night: str,
    pool_id: str,
    person_id: Annotated[str, Form(max_length=200)],
    decision: Annotated[str, Form(max_length=20)],
    readiness: Annotated[str, Form(max_length=30)] = "",
    reason: Annotated[str, Form(max_length=decisions.MAX_REASON + 1)] = "",
) -> Response:
    found, pool = pool_for(request, user, night, pool_id)
    db = request.app.state.db
    ordered = [entry["person_id"] for entry in published(request).entries(found.run_id, pool_id)]
    if person_id not in ordered:
        raise Refused
    wanted = decisions.DecisionRequest(
        night=found.night, run_id=found.run_id, model_version=str(found.run["model_version"]),
        pool_id=pool_id, person_id=person_id, decision=decision, readiness=readiness or None,
        reason=reason, username=user.username,
    )  # fmt: skip
    latest = decisions.latest_by_person(db, found.night, pool_id)
    try:
        decisions.check(wanted, ordered=ordered, latest=latest, verdict=pool["verdict"])
    except decisions.DecisionRefused as exc:
        return _refused(request, user, found, pool, exc, wanted)
    decisions.record(db, wanted)
    target = f"/shortlists/{quote(found.night)}/{quote(pool_id)}#p-{quote(person_id)}"
    return RedirectResponse(target, status_code=303)


def _refused(
    request: Request,
    user: User,
    found: Night,
    pool: dict[str, Any],
    exc: decisions.DecisionRefused,
    wanted: decisions.DecisionRequest,
) -> Response:
    """The list again, with the refusal in the user's language and the form as typed."""
    lang = request.state.lang
    context = shortlist_context(
        request.app.state.db, published(request), found, pool, user, lang,
        conf=request.app.state.settings.review,
    )  # fmt: skip
    form = {"person_id": wanted.person_id, "decision": wanted.decision,
            "readiness": wanted.readiness or "", "reason": wanted.reason}  # fmt: skip
    error = i18n.translator(lang)(f"err_{exc.code}").format(**exc.params)
    return render(request, "shortlist.html", status_code=422, error=error, form=form, **context)
