"""A person's page (explanation, history, warnings, eligibility, decisions) and an auditor's
logged reveal of their protected attributes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from hientai_app.review import audit
from hientai_app.review.accounts import User
from hientai_app.review.lookup import Night
from hientai_app.review.pages import render
from hientai_app.review.person_view import person_context
from hientai_app.review.security import VIEWERS, allow

router = APIRouter()
Viewer = Annotated[User, Depends(allow(*VIEWERS))]
Auditor = Annotated[User, Depends(allow("auditor"))]


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
