"""Who is asking: the signed session, its idle expiry, CSRF tokens, and the role each route
allows. Every page route declares ``Depends(allow(...))``; the authorisation test reads those
declarations from the route table, so a route without one fails the test suite."""

from __future__ import annotations

import secrets
import time
from typing import Any

from fastapi import Request

from hientai_app.review.accounts import User, load_user
from hientai_app.review.db import ROLES

CSRF_FIELD = "csrf_token"
VIEWERS = ("planner", "data_scientist", "auditor")
SEEN_REFRESH_SECONDS = 60


class SignInRequired(Exception):
    """No valid session: the app answers with the sign-in page."""


class Refused(Exception):
    """Signed in but not allowed, out of scope, or absent: one answer for all three, so a
    refusal never tells whether the object exists."""


class CsrfRejected(Exception):
    """A form came without this session's token."""


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


async def check_csrf(request: Request) -> None:
    expected = request.session.get("csrf")
    form = await request.form()
    given = form.get(CSRF_FIELD)
    if not expected or not isinstance(given, str) or not secrets.compare_digest(given, expected):
        raise CsrfRejected


def sign_in(request: Request, user: User) -> None:
    """A fresh session (new CSRF token too), so a token seen before sign-in is worthless."""
    request.session.clear()
    request.session.update(
        {"user": user.username, "epoch": user.session_epoch, "seen": time.time()}
    )
    csrf_token(request)


def current_user(request: Request) -> User:
    """The signed-in user, or ``SignInRequired`` if the session is missing, idle too long, from
    before a password reset or disable, or of an account that no longer exists."""
    session = request.session
    username = session.get("user")
    if not username:
        raise SignInRequired
    conf = request.app.state.settings.review
    now, seen = time.time(), float(session.get("seen", 0))
    if now - seen > conf.session_minutes * 60:
        session.clear()
        raise SignInRequired
    user = load_user(request.app.state.db, str(username), max_age=conf.cache_seconds)
    if user is None or user.session_epoch != session.get("epoch"):
        session.clear()
        raise SignInRequired
    # Re-signing the cookie on every page costs; an idle session then ends up to a tenth of
    # its time (at most a minute) early, never late.
    if now - seen >= min(SEEN_REFRESH_SECONDS, conf.session_minutes * 6):
        session["seen"] = now
    return user


class allow:
    """A dependency that admits signed-in users of these roles (and checks CSRF on forms)."""

    def __init__(self, *roles: str) -> None:
        unknown = set(roles) - set(ROLES)
        if unknown:
            raise ValueError(f"unknown roles {sorted(unknown)}; roles are {ROLES}")
        self.roles = frozenset(roles)

    async def __call__(self, request: Request) -> User:
        user = current_user(request)
        if request.method == "POST":
            await check_csrf(request)
        if user.role not in self.roles:
            raise Refused
        request.state.user = user
        return user


def session_config(settings: Any) -> dict[str, Any]:
    """SessionMiddleware options: the cookie outlives no idle session, is not readable by
    scripts (Starlette sets HttpOnly) and is not sent by other sites' forms."""
    return {
        "max_age": settings.review.session_minutes * 60,
        "same_site": "strict",
        "session_cookie": "hientai_session",
    }
