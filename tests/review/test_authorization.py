"""The authorisation matrix, generated from the app's route table: every route, signed out,
with each role it does not admit, and (for routes naming a pool or a person) a scoped user
asking for an object outside their scope. Each refusal must read exactly like the answer for
an object that does not exist. A new route is covered the day it is added; a route without a
role declaration, or a form route this file has no form for, fails the suite."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from fastapi.routing import APIRoute

from hientai_app.review import create_app
from hientai_app.review.db import ROLES
from hientai_app.review.security import allow
from tests.review.conftest import LiveServer, csrf_of
from tests.review.world import NIGHT

PUBLIC = {("GET", "/signin"), ("POST", "/signin")}
# Routes every signed-in role needs (the home redirect, signing out); every other route must
# refuse at least one role.
EVERY_ROLE = {"/", "/signout"}
# A national user of each role; a user of each role scoped to province P1.
NATIONAL = {"planner": "planner", "data_scientist": "scientist", "auditor": "auditor",
            "admin": "admin"}  # fmt: skip
SCOPED_P1 = {"planner": "planner-p1", "data_scientist": "scientist-p1", "auditor": "auditor-p1"}
# Path parameter -> (inside P1, outside P1, absent). P008 is only on pools of C1 and national.
SAMPLES = {
    "night": (NIGHT, NIGHT, "1999-01-01"),
    "pool_id": ("post-P1-chair", "slot-C1", "no-such-pool"),
    "person_id": ("P000", "P008", "P999"),
    "fmt": ("csv", "xlsx", "csv"),
    "document": ("html", "pdf", "html"),
}
FORMS = {
    "/signout": {},
    "/shortlists/{night}/{pool_id}/decide": {
        "person_id": "P001", "decision": "needs_info", "reason": "matrix"},
    "/people/{night}/{person_id}/reveal": {"reason": "matrix"},
    "/people/{night}/{person_id}/contest": {"text": "matrix"},
}  # fmt: skip


def route_table() -> list[tuple[str, str, frozenset[str]]]:
    """(method, path, roles admitted) of every route of the app."""
    app = create_app_for_table()
    table = []
    for route in api_routes(app.routes):
        guards = [d.call for d in route.dependant.dependencies if isinstance(d.call, allow)]
        for method in sorted(route.methods):
            if (method, route.path) in PUBLIC:
                continue
            assert len(guards) == 1, f"{method} {route.path} declares no allow(...) roles"
            table.append((method, route.path, guards[0].roles))
    return table


def api_routes(routes: list) -> Iterator[APIRoute]:
    """Every APIRoute, through included routers (FastAPI keeps those as branches; no prefix is
    used, so each route's path is the path served)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def create_app_for_table():  # type: ignore[no-untyped-def]
    from hientai.settings import Settings

    return create_app(Settings(data_dir="/nonexistent-review-table"), db=_memory_db())


def _memory_db():  # type: ignore[no-untyped-def]
    from hientai_app.review.db import ReviewDB

    return ReviewDB("sqlite://")


ROUTES = route_table()


def _id(value: object) -> str:
    return "" if isinstance(value, frozenset) else str(value)


def fill(path: str, which: int) -> str:
    names = re.findall(r"{(\w+)}", path)
    for name in names:
        assert name in SAMPLES, f"no sample value for path parameter {name!r} of {path}"
        path = path.replace("{" + name + "}", SAMPLES[name][which])
    return path


def ask(client: httpx.Client, method: str, path: str, url: str) -> httpx.Response:
    if method == "GET":
        return client.get(url)
    token = csrf_of(client.get("/signin").text)
    return client.post(url, data=FORMS[path] | {"csrf_token": token})


def same_answer(first: httpx.Response, second: httpx.Response) -> bool:
    return (first.status_code, first.text) == (second.status_code, second.text)


def test_the_table_covers_every_route() -> None:
    paths = {path for _, path, _ in ROUTES}
    assert {"/shortlists/{night}/{pool_id}", "/people/{night}/{person_id}", "/audit"} <= paths
    assert all(path in FORMS for method, path, _ in ROUTES if method == "POST")


@pytest.mark.parametrize(("method", "path", "roles"), ROUTES, ids=_id)
def test_signed_out_is_sent_to_sign_in(live: LiveServer, method: str, path: str, roles) -> None:
    with httpx.Client(base_url=live.url, follow_redirects=False) as client:
        for which in (0, 2):
            answer = ask(client, method, path, fill(path, which))
            assert answer.status_code == 303 and answer.headers["location"] == "/signin"


@pytest.mark.parametrize(("method", "path", "roles"), ROUTES, ids=_id)
def test_wrong_role_is_refused_like_absence(
    client_for: Callable[[str], httpx.Client], method: str, path: str, roles
) -> None:
    refused_roles = [role for role in ROLES if role not in roles]
    assert refused_roles or path in EVERY_ROLE, f"{path} admits every role"
    for role in refused_roles:
        client = client_for(NATIONAL[role])
        existing = ask(client, method, path, fill(path, 0))
        absent = ask(client, method, path, fill(path, 2))
        assert existing.status_code == 404, (role, path)
        assert same_answer(existing, absent), (role, path)


@pytest.mark.parametrize(
    ("method", "path", "roles"),
    [r for r in ROUTES if re.search(r"{(pool_id|person_id)}", r[1])],
    ids=_id,
)
def test_out_of_scope_is_refused_like_absence(
    client_for: Callable[[str], httpx.Client], method: str, path: str, roles
) -> None:
    role = sorted(roles & set(SCOPED_P1))[0]
    client = client_for(SCOPED_P1[role])
    inside = ask(client, method, path, fill(path, 0))
    outside = ask(client, method, path, fill(path, 1))
    absent = ask(client, method, path, fill(path, 2))
    assert inside.status_code in (200, 303), (role, path, inside.status_code)
    assert outside.status_code == 404, (role, path)
    assert same_answer(outside, absent), (role, path)


@pytest.mark.parametrize(
    ("method", "path", "roles"), [r for r in ROUTES if r[0] == "POST"], ids=_id
)
def test_forms_without_the_session_token_are_refused(
    client_for: Callable[[str], httpx.Client], method: str, path: str, roles
) -> None:
    role = sorted(roles)[0]
    client = client_for(NATIONAL[role])
    for token in (None, "forged"):
        data = FORMS[path] | ({} if token is None else {"csrf_token": token})
        assert client.post(fill(path, 0), data=data).status_code == 403
