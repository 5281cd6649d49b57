"""A person's page (explanation, history, warnings, eligibility, decisions) and an auditor's
logged reveal of their protected attributes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import Response

from hientai_app.review import audit
from hientai_app.review.accounts import User
from hientai_app.review.lookup import Night, person_for
from hientai_app.review.pages import render
from hientai_app.review.person_view import person_context
from hientai_app.review.security import VIEWERS, Refused, allow
from pipelines.explain_person import ExplainError, explain_person

router = APIRouter()
Viewer = Annotated[User, Depends(allow(*VIEWERS))]
Auditor = Annotated[User, Depends(allow("auditor"))]
ELIGIBILITY_CHOICES = 2_000  # lists offered in the page's menu


@router.get("/people/{night}/{person_id}")
def person(request: Request, user: Viewer, night: str, person_id: str) -> Response:
    return render(request, "person.html", **person_context(request, user, night, person_id))


@router.post("/people/{night}/{person_id}/reveal")
def reveal(
    request: Request,
    user: Auditor,
    night: str,
    person_id: str,
    reason: Annotated[str, Form(min_length=1, max_length=2000)],
) -> Response:
    context = person_context(request, user, night, person_id)
    found: Night = context["night"]
    audit.append_new(
        request.app.state.db,
        username=user.username,
        action="reveal_protected",
        obj=f"{found.night}/{person_id}",
        detail={"reason": reason},
    )
    context["protected"] = request.app.state.snapshots.protected(
        found.run["snapshot_id"], person_id, reader=user.username
    )
    full_name = next((e["full_name"] for e in context["entries"] if e["full_name"]), None)
    context["name"] = full_name or context["name"]
    context["blind"] = False
    return render(request, "person.html", **context)


@router.get("/people/{night}/{person_id}/eligibility")
def eligibility(
    request: Request,
    user: Viewer,
    night: str,
    person_id: str,
    pool: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    """Whether the person meets each rule of a pool, recomputed from the night's snapshot and
    run folder by the same code as `hientai explain` (a fraction of a second to seconds)."""
    found, _entries, _warnings = person_for(request, user, night, person_id)
    if pool and pool not in found.pools:
        raise Refused
    status, problem = None, None
    if pool:
        try:
            explained = explain_person(
                request.app.state.settings, person_id, pool_id=pool, night=found.night
            )
            status = explained["pool"]
        except ExplainError as exc:  # says what is missing and what to run
            problem = str(exc)
        except (LookupError, OSError, ValueError):  # a run folder from elsewhere or damaged
            problem = "-"
    choices = sorted(
        ((p["pool_id"], p["title"]) for p in found.pools.values()), key=lambda item: item[1]
    )
    return render(
        request, "eligibility.html", night=found, person_id=person_id, pool=pool,
        status=status, problem=problem, choices=choices[:ELIGIBILITY_CHOICES],
    )  # fmt: skip
