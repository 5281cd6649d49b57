"""A shortlist exported with its reasons, as CSV or Excel (names masked while the list is
reviewed blind); each export is written to the audit log."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from hientai_app.review import audit, exports
from hientai_app.review.accounts import User
from hientai_app.review.lookup import pool_for, published
from hientai_app.review.security import VIEWERS, allow
from hientai_app.review.shortlist_view import shortlist_context

router = APIRouter()
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@router.get("/shortlists/{night}/{pool_id}/export.{fmt}")
def export(
    request: Request,
    user: Annotated[User, Depends(allow(*VIEWERS))],
    night: str,
    pool_id: str,
    fmt: Literal["csv", "xlsx"],
) -> Response:
    found, pool = pool_for(request, user, night, pool_id)
    lang = request.state.lang
    context = shortlist_context(
        request.app.state.db, published(request), found, pool, user, lang,
        conf=request.app.state.settings.review,
    )  # fmt: skip
    entries = context["entries"]
    people = [e["person_id"] for e in entries]
    explained = published(request).explanations(found.run_id, people, reasons_only=True)
    table = exports.rows(entries, explained, lang)
    audit.append_new(
        request.app.state.db, username=user.username, action="export",
        obj=f"{found.night}/{pool_id}", detail={"format": fmt, "blind": context["blind"]},
    )  # fmt: skip
    if fmt == "csv":
        body: bytes = exports.to_csv(table).encode("utf-8")
    else:
        body = exports.to_xlsx(table, f"{pool['title']} ({found.night})")
    filename = f"shortlist-{found.night}-{len(entries)}.{fmt}"
    return Response(
        body,
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
