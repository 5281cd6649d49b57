"""What a user may see: pools whose organisation is inside the user's scope (an organisation
subtree; no scope is the whole country, and only then the national and standing pools), and
people who are candidates on such a pool or leaders with an early warning inside it."""

from __future__ import annotations

from typing import Any

from hientai_app.review.accounts import User
from hientai_app.review.snapshot_view import OrgTree


def org_in_scope(org_id: str | None, user: User, tree: OrgTree) -> bool:
    if user.scope_org_id is None:
        return True
    return org_id is not None and org_id in tree.subtree(user.scope_org_id)


def visible_pools(
    pools: dict[str, dict[str, Any]], user: User, tree: OrgTree
) -> dict[str, dict[str, Any]]:
    if user.scope_org_id is None:
        return pools
    inside = tree.subtree(user.scope_org_id)
    return {pid: pool for pid, pool in pools.items() if pool["org_id"] in inside}


def person_in_scope(
    entries: list[dict[str, Any]],
    warnings: list[dict[str, Any]],
    pools: dict[str, dict[str, Any]],
    user: User,
    tree: OrgTree,
) -> bool:
    """True when the person is a candidate of a pool, or has a warning, inside the scope."""
    for entry in entries:
        pool = pools.get(entry["pool_id"])
        if pool is not None and org_in_scope(pool["org_id"], user, tree):
            return True
    return any(org_in_scope(w["org_id"], user, tree) for w in warnings)
