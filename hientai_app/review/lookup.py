"""Finding what a URL names, inside the user's scope, or refusing in the one way that does
not tell whether it exists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from hientai_app.review.accounts import User
from hientai_app.review.published import Published
from hientai_app.review.scope import org_in_scope, person_in_scope, visible_pools
from hientai_app.review.security import Refused
from hientai_app.review.snapshot_view import OrgTree


@dataclass(frozen=True)
class Night:
    run: dict[str, Any]
    pools: dict[str, dict[str, Any]]  # the pools the user may see
    tree: OrgTree

    @property
    def night(self) -> str:
        return str(self.run["night"])

    @property
    def run_id(self) -> str:
        return str(self.run["run_id"])


def published(request: Request) -> Published:
    return request.app.state.published


def night_for(request: Request, user: User, night: str | None) -> Night:
    """The night (the latest if None) with the pools the user may see."""
    run = published(request).run(night)
    if run is None:
        raise Refused
    tree = request.app.state.snapshots.org_tree(run["snapshot_id"])
    pools = visible_pools(published(request).pools(run["run_id"]), user, tree)
    return Night(run, pools, tree)


def pool_for(request: Request, user: User, night: str, pool_id: str) -> tuple[Night, dict]:
    found = night_for(request, user, night)
    pool = found.pools.get(pool_id)
    if pool is None:
        raise Refused
    return found, pool


def person_for(
    request: Request, user: User, night: str, person_id: str
) -> tuple[Night, list[dict], list[dict]]:
    """The night, the person's entries in pools the user may see, and their warnings in scope."""
    found = night_for(request, user, night)
    kept = published(request).person(found.run_id, person_id)
    entries, warnings = kept["entries"], kept["warnings"]
    every_pool = published(request).pools(found.run_id)
    if not person_in_scope(entries, warnings, every_pool, user, found.tree):
        staff = request.app.state.workforce.get(found.run)
        if staff is None or person_id not in staff.index:
            raise Refused
        if not org_in_scope(str(staff.at[person_id, "org_id"]), user, found.tree):
            raise Refused
    visible = [entry for entry in entries if entry["pool_id"] in found.pools]
    scoped = [w for w in warnings if org_in_scope(w["org_id"], user, found.tree)]
    return found, visible, scoped
