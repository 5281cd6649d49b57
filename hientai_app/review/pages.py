"""Rendering a page: the request's language, the signed-in user and the CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from hientai_app.review import i18n
from hientai_app.review.security import csrf_token


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    """A page in the request's language, with the user, the CSRF token and the translator."""
    lang = getattr(request.state, "lang", "vi")
    page = request.app.state.templates.get_template(template)
    html = page.render(
        request=request,
        lang=lang,
        t=i18n.translator(lang),
        user=getattr(request.state, "user", None),
        csrf=csrf_token(request),
        **context,
    )
    return HTMLResponse(html, status_code=status_code)
