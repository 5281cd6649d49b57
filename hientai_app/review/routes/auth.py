"""Sign-in and sign-out. Failures are throttled per account (settings.review) and per client
address, and every refusal reads the same, whether the account exists or not."""

from __future__ import annotations

import threading
import time
from collections import defaultdict, deque
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from hientai_app.review import audit
from hientai_app.review.accounts import User, authenticate, end_sessions
from hientai_app.review.db import ROLES
from hientai_app.review.pages import render
from hientai_app.review.security import allow, check_csrf, sign_in

router = APIRouter()
# A client address that fails this many times per lockout window waits, whatever usernames
# it tries (the per-account limit alone would let it try every account a few times).
FAILURES_PER_ADDRESS_FACTOR = 4


class AddressThrottle:
    """Recent failed sign-ins per client address (one per app, in memory)."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = defaultdict(deque)
        self.lock = threading.Lock()


def _address_blocked(request: Request, *, record: bool) -> bool:
    conf = request.app.state.settings.review
    window = conf.signin_lockout_minutes * 60
    limit = conf.max_failed_signins * FAILURES_PER_ADDRESS_FACTOR
    address = request.client.host if request.client else "?"
    now, throttle = time.monotonic(), request.app.state.address_throttle
    with throttle.lock:
        seen = throttle.failures[address]
        while seen and now - seen[0] > window:
            seen.popleft()
        if record:
            seen.append(now)
        return len(seen) >= limit


@router.get("/signin")
def signin_page(request: Request) -> Response:
    return render(request, "signin.html", error=False)


@router.post("/signin")
def signin(
    request: Request,
    _csrf: Annotated[None, Depends(check_csrf)],
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
) -> Response:
    db, conf = request.app.state.db, request.app.state.settings.review
    user = None
    if not _address_blocked(request, record=False):
        user = authenticate(db, username.strip().lower(), password, conf)
    if user is None:
        _address_blocked(request, record=True)
        return render(request, "signin.html", status_code=401, error=True)
    sign_in(request, user)
    audit.append_new(db, username=user.username, action="signin", obj=user.username)
    return RedirectResponse("/shortlists", status_code=303)


@router.post("/signout")
def signout(request: Request, user: Annotated[User, Depends(allow(*ROLES))]) -> Response:
    end_sessions(request.app.state.db, user.username)
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)
