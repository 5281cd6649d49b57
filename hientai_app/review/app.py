"""The review app: ``create_app(settings)`` builds the FastAPI application `hientai serve`
runs. Pages are server-rendered Jinja2 with autoescaping on, so text from the data is shown,
never run."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio.to_thread
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.middleware.sessions import SessionMiddleware

from hientai.settings import Settings, load_settings
from hientai_app.review.caching import Kept
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

TEMPLATES = Path(__file__).parent / "templates"
# 9-box grids (nine counts) and cells (at most 200 people, ~30 kB) kept per process.
GRIDS_KEPT, CELLS_KEPT = 8192, 1024


def create_app(settings: Settings, *, db: ReviewDB | None = None) -> FastAPI:
    """The app over ``settings.app_db_url`` (its tables created if missing). The session key is
    ``settings.review.secret`` ($HIENTAI_REVIEW_SECRET overrides it in ``load_settings``), else
    new on every start (sessions end on restart)."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        limiter = anyio.to_thread.current_default_thread_limiter()
        limiter.total_tokens = settings.review.threads
        yield

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None, lifespan=lifespan)
    app.state.settings = settings
    app.state.db = db or ReviewDB(settings.app_db_url)
    app.state.db.create_schema()
    app.state.published = Published(app.state.db, cache_seconds=settings.review.cache_seconds)
    app.state.grids = Kept(GRIDS_KEPT)
    app.state.cells = Kept(CELLS_KEPT)
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
    configured = settings.review.secret
    secret = configured.get_secret_value() if configured else secrets.token_urlsafe(48)
    app.add_middleware(SessionMiddleware, secret_key=secret, **session_config(settings))
    return app


def create_app_from_env() -> FastAPI:
    """The app for `hientai serve --workers N` (uvicorn imports it in each worker): settings
    from $HIENTAI_CONFIG or the project's, the session key from them or
    $HIENTAI_REVIEW_SECRET (which `hientai serve` sets for its workers when neither has one)."""
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
