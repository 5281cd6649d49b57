"""The review app: ``create_app(settings)`` builds the FastAPI application `hientai serve`
runs. Pages are server-rendered Jinja2 with autoescaping on, so text from the data is shown,
never run."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.middleware.sessions import SessionMiddleware

from hientai.settings import Settings, load_settings
from hientai_app.review.db import ReviewDB
from hientai_app.review.middleware import LanguageAndHeaders
from hientai_app.review.pages import render
from hientai_app.review.published import Published
from hientai_app.review.routes import auth, exports, letters, lists, oversight, person, talent
from hientai_app.review.security import (
    CsrfRejected,
    Refused,
    SignInRequired,
    session_config,
)
from hientai_app.review.snapshot_view import SnapshotView
from hientai_app.review.workforce import WorkforceCache

SECRET_ENV = "HIENTAI_REVIEW_SECRET"
TEMPLATES = Path(__file__).parent / "templates"


def create_app(settings: Settings, *, db: ReviewDB | None = None) -> FastAPI:
    """The app over ``settings.app_db_url`` (its tables created if missing). The session key
    comes from $HIENTAI_REVIEW_SECRET, else is new on every start (sessions end on restart)."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.state.db = db or ReviewDB(settings.app_db_url)
    app.state.db.create_schema()
    app.state.published = Published(app.state.db)
    app.state.snapshots = SnapshotView(settings)
    app.state.address_throttle = auth.AddressThrottle()
    app.state.workforce = WorkforceCache(settings)
    app.state.templates = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        auto_reload=False,  # templates ship with the code; no stat() per page
    )
    for module in (auth, lists, person, oversight, exports, talent, letters):
        app.include_router(module.router)
    _add_handlers(app)
    app.add_middleware(LanguageAndHeaders, default_language=settings.review.default_language)
    secret = os.environ.get(SECRET_ENV) or secrets.token_urlsafe(48)
    app.add_middleware(SessionMiddleware, secret_key=secret, **session_config(settings))
    return app


def create_app_from_env() -> FastAPI:
    """The app for `hientai serve --workers N` (uvicorn imports it in each worker): settings
    from $HIENTAI_CONFIG or the project's, the session key from $HIENTAI_REVIEW_SECRET."""
    return create_app(load_settings())


def _add_handlers(app: FastAPI) -> None:
    async def signin_required(request: Request, _exc: Exception) -> Response:
        return RedirectResponse("/signin", status_code=303)

    async def refused(request: Request, _exc: Exception) -> Response:
        return render(request, "refused.html", status_code=404)

    async def csrf_rejected(request: Request, _exc: Exception) -> Response:
        return render(request, "csrf.html", status_code=403)

    async def invalid(request: Request, exc: Exception) -> Response:
        problems = [
            f"{'.'.join(str(part) for part in error['loc'][1:])}: {error['msg']}"
            for error in getattr(exc, "errors", list)()
        ]
        return render(request, "invalid.html", status_code=400, problems=problems)

    app.add_exception_handler(RequestValidationError, invalid)
    app.add_exception_handler(SignInRequired, signin_required)
    app.add_exception_handler(Refused, refused)
    app.add_exception_handler(CsrfRejected, csrf_rejected)
