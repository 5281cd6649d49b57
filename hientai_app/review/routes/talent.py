"""The 9-box grid of an organisation (its subtree), each cell listing its people, and bench
strength per post from planners' readiness decisions and the model's proposal."""

from __future__ import annotations

from typing import Annotated, Any, NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from hientai_app.review import readiness, talent
from hientai_app.review.accounts import User
from hientai_app.review.db import ReviewDB
from hientai_app.review.lookup import Night, night_for
from hientai_app.review.pages import render
from hientai_app.review.readiness import proposal
from hientai_app.review.scope import org_in_scope
from hientai_app.review.security import VIEWERS, Refused, allow

router = APIRouter()
Viewer = Annotated[User, Depends(allow(*VIEWERS))]
CELL_PEOPLE = 200
BENCH_KINDS = ("leadership_post", "planning_slot")


def _chosen_org(found: Night, user: User, org: str) -> str | None:
    """The organisation asked for (must be inside the scope), else the user's scope root."""
    if not org:
        return user.scope_org_id
    if org not in found.tree.names or not org_in_scope(org, user, found.tree):
        raise Refused
    return org


def _path_to(found: Night, org: str | None, user: User) -> list[tuple[str, str]]:
    """The chain of units from the user's scope root down to ``org`` (for a breadcrumb)."""
    parents = {child: parent for parent, kids in found.tree.children.items() for child in kids}
    chain = []
    while org is not None and org != user.scope_org_id:
        chain.append((org, found.tree.name(org)))
        org = parents.get(org)
    if user.scope_org_id is not None:
        chain.append((user.scope_org_id, found.tree.name(user.scope_org_id)))
    return chain[::-1]


@router.get("/ninebox")
def ninebox(
    request: Request,
    user: Viewer,
    night: Annotated[str | None, Query(max_length=10)] = None,
    org: Annotated[str, Query(max_length=200)] = "",
    perf: Annotated[int | None, Query(ge=0, le=2)] = None,
    pot: Annotated[int | None, Query(ge=0, le=2)] = None,
) -> Response:
    found = night_for(request, user, night)
    chosen = _chosen_org(found, user, org)
    grid, people, total, unrated = None, [], 0, 0
    shown = _grid(request, found, chosen)
    if shown is not None:
        grid, total, unrated = shown
        if perf is not None and pot is not None:
            people = _cell(request, found, chosen, perf, pot)
    children = found.tree.children.get(chosen, []) if chosen else _roots(found)
    return render(
        request, "ninebox.html", night=found, org=chosen, grid=grid, total=total,
        unrated=unrated, people=people, cell=(perf, pot),
        children=sorted(((c, found.tree.name(c)) for c in children), key=lambda c: c[1]),
        breadcrumb=_path_to(found, chosen, user), org_name=found.tree.name(chosen),
    )  # fmt: skip


def _staff_of(request: Request, found: Night, chosen: str | None) -> pd.DataFrame | None:
    staff = request.app.state.workforce.get(found.run)
    if staff is None or chosen is None:
        return staff
    return in_units(staff, found.tree.subtree(chosen))


def _grid(
    request: Request, found: Night, chosen: str | None
) -> tuple[dict[tuple[int, int], int], int, int] | None:
    """The organisation's grid, head count and people never rated (kept per run: a run's
    scores and the snapshot's ratings never change)."""

    def compute() -> tuple[dict[tuple[int, int], int], int, int] | None:
        mine = _staff_of(request, found, chosen)
        if mine is None:
            return None
        return talent.ninebox(mine), len(mine), int((mine["performance"] < 0).sum())

    return request.app.state.grids.get((found.run_id, chosen), compute)


class CellPerson(NamedTuple):
    person_id: str
    org_id: str
    rating: str
    score: float


def _cell(
    request: Request, found: Night, chosen: str | None, perf: int, pot: int
) -> list[CellPerson]:
    def compute() -> list[CellPerson]:
        mine = _staff_of(request, found, chosen)
        if mine is None:
            return []
        cell = mine.loc[(mine["performance"] == perf) & (mine["potential"] == pot)]
        shown = cell.head(CELL_PEOPLE)  # the workforce is kept highest score first
        return [
            CellPerson(*row)
            for row in zip(
                shown["person_id"],
                shown["org_id"].astype(str),
                shown["rating"],
                shown["score"],
                strict=True,
            )
        ]

    return request.app.state.cells.get((found.run_id, chosen, perf, pot), compute)


def in_units(staff: pd.DataFrame, units: frozenset[str]) -> pd.DataFrame:
    """The staff of these units (the org column is categorical: compare codes, not text)."""
    column = staff["org_id"]
    codes = [column.cat.categories.get_loc(u) for u in units if u in column.cat.categories]
    return staff.iloc[np.flatnonzero(np.isin(column.cat.codes.to_numpy(), codes))]


def _roots(found: Night) -> list[str]:
    below = {child for kids in found.tree.children.values() for child in kids}
    return [org for org in found.tree.names if org not in below]


def _latest_decisions(db: ReviewDB, night: str) -> list[dict[str, Any]]:
    table = db.decisions
    query = (
        sa.select(table.c.pool_id, table.c.person_id, table.c.decision, table.c.readiness)
        .where(table.c.night == night)
        .order_by(table.c.decision_id)
    )
    with db.reader.connect() as conn:
        latest = {(r.pool_id, r.person_id): dict(r._mapping) for r in conn.execute(query)}
    return list(latest.values())


@router.get("/bench")
def bench(
    request: Request,
    user: Viewer,
    night: Annotated[str | None, Query(max_length=10)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    found = night_for(request, user, night)
    pools = [p for p in found.pools.values() if p["kind"] in BENCH_KINDS]
    size = 100
    shown = pools[(page - 1) * size : page * size]
    conf = request.app.state.settings.review
    listed = _shortlisted(request.app.state.db, found.run_id, [p["pool_id"] for p in shown])
    proposed = {
        p["pool_id"]: {e["person_id"]: proposal(e, conf) for e in listed.get(p["pool_id"], [])}
        for p in shown
    }
    counts = readiness.bench(proposed, _latest_decisions(request.app.state.db, found.night))
    rows = [p | counts[p["pool_id"]] | {"org_name": found.tree.name(p["org_id"])} for p in shown]
    return render(
        request, "bench.html", night=found, rows=rows, page=page,
        pages=max(1, -(-len(pools) // size)),
        decided=sum(r["decided"] for r in rows), proposed=sum(r["proposed"] for r in rows),
    )  # fmt: skip


def _shortlisted(db: ReviewDB, run_id: str, pool_ids: list[str]) -> dict[str, list[dict]]:
    """The shortlisted entries (person, percentile) of these pools, by pool."""
    if not pool_ids:
        return {}
    table = db.frames["entries"]
    query = sa.select(
        table.c.pool_id, table.c.person_id, table.c.in_shortlist, table.c.percentile
    ).where(
        table.c.run_id == run_id, table.c.pool_id.in_(pool_ids), table.c.in_shortlist.is_(True)
    )
    found: dict[str, list[dict]] = {}
    with db.reader.connect() as conn:
        for row in conn.execute(query):
            found.setdefault(row.pool_id, []).append(dict(row._mapping))
    return found
