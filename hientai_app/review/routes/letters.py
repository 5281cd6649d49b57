"""The contestability letter of a person (HTML or PDF, in the page's language) and the record
of a contest, which goes to the audit log and flags the person on their lists."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hientai_app.review import audit, letters
from hientai_app.review.accounts import User
from hientai_app.review.lookup import Night
from hientai_app.review.pages import render
from hientai_app.review.person_view import person_context
from hientai_app.review.security import allow

router = APIRouter()
Writer = Annotated[User, Depends(allow("planner", "auditor"))]


@router.get("/letters/{night}/{person_id}.{document}")
def letter(
    request: Request, user: Writer, night: str, person_id: str, document: Literal["html", "pdf"]
) -> Response:
    context = person_context(request, user, night, person_id)
    found: Night = context["night"]
    composed = letters.compose(
        lang=request.state.lang, name=context["name"], person_id=person_id, run=found.run,
        entries=context["entries"], explanation=context["explanation"],
    )  # fmt: skip
    if document == "html":
        return render(request, "letter.html", letter=composed, night=found, person_id=person_id)
    return Response(
        letters.to_pdf(composed),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="letter-{found.night}.pdf"'},
    )


@router.post("/people/{night}/{person_id}/contest")
def contest(
    request: Request,
    user: Writer,
    night: str,
    person_id: str,
    text: Annotated[str, Form(min_length=1, max_length=4000)],
) -> Response:
    context = person_context(request, user, night, person_id)
    found: Night = context["night"]
    audit.append_new(
        request.app.state.db, username=user.username, action="contest",
        obj=f"{found.night}/{person_id}",
        detail={"text": text, "pools": [e["pool_id"] for e in context["entries"]]},
    )  # fmt: skip
    return RedirectResponse(f"/people/{found.night}/{person_id}#contest", status_code=303)
