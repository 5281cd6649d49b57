"""Filling leadership vacancies: the historical promotions that later code learns from.

Each vacancy is contested by a pool of candidates (deputies of the unit, heads of its
sub-units, directors of the province, ...). A candidate's score is potential plus the configured
biases (Party membership, locality, male, Kinh) plus seniority and credentials plus Gumbel noise,
so each contest is a multinomial logit: at equal potential, favoured groups win more often.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hientai.synth import orgs as o
from hientai.synth.state import END, GRADE, START, CareerState, Records, World

# Nobody is promoted into a post within four years of retirement.
MAX_PROMOTION_AGE = 56.0
MIN_TENURE_YEARS = 3.0
_HEADS_OF = (o.CENTRAL_DEPT, o.CENTRAL_SUB, o.PROVINCE_DEPT, o.PROVINCE_SUB, o.COMMUNE)


@dataclass(frozen=True)
class Role:
    """Candidates holding a post of ``tier`` (0: none) in units of ``kinds``, pooled by
    their own unit, its parent or its top unit."""

    kinds: tuple[int, ...]
    tier: int
    pool: str  # "own", "parent" or "top"


# Who may step up to a vacant province or ministry head post (contested nationally).
_NATIONAL_CANDIDATES = {
    o.PROVINCE: ((o.PROVINCE, 2), (o.PROVINCE_DEPT, 1), (o.CENTRAL_DEPT, 1), (o.MINISTRY, 2)),
    o.MINISTRY: ((o.MINISTRY, 2), (o.PROVINCE, 1)),
}
# The cascade, top down: vacancies of (unit kinds, tier) and the roles that contest them.
_POOLED_PASSES: tuple[tuple[tuple[int, ...], int, tuple[Role, ...]], ...] = (
    (
        (o.PROVINCE, o.MINISTRY),
        2,
        (Role((o.PROVINCE_DEPT, o.COMMUNE, o.CENTRAL_DEPT), 1, "top"),),
    ),
    (
        _HEADS_OF,
        1,
        (Role(_HEADS_OF, 2, "own"), Role((o.PROVINCE_SUB, o.CENTRAL_SUB), 1, "parent")),
    ),
    (
        _HEADS_OF,
        2,
        (Role(_HEADS_OF, 0, "own"), Role((o.PROVINCE_SUB, o.CENTRAL_SUB), 1, "parent")),
    ),
)


def score(
    world: World, st: CareerState, idx: np.ndarray, post_province: np.ndarray, day: int
) -> np.ndarray:
    """Deterministic part of a candidate's score for a post in ``post_province``."""
    b, p = world.config.biases, world.people
    tenure = ((day - p.hire[idx]) / 365.25).clip(0, 25)
    local = (post_province >= 0) & (p.hometown[idx] == post_province)
    return (
        b.promotion_potential * p.potential[idx]
        + b.promotion_party_member * world.party_on(day, idx)
        + b.promotion_male * world.male[idx]
        + b.promotion_kinh * world.kinh[idx]
        + b.promotion_local * local
        + 0.04 * tenure
        + 0.5 * (st.political_theory[idx] >= 2)
        + 0.3 * (st.grade[idx] >= GRADE["principal_specialist"])
    )


def eligible(world: World, st: CareerState, available: np.ndarray, day: int) -> np.ndarray:
    """Who may be appointed at all: old enough in the service, not about to retire."""
    tenure = (day - world.people.hire) / 365.25
    return (
        available
        & (world.age(day) <= MAX_PROMOTION_AGE)
        & (tenure >= MIN_TENURE_YEARS)
        & (st.grade >= GRADE["specialist"])
    )


def _in_roles(world: World, st: CareerState, roles: tuple[tuple[int, int], ...]) -> np.ndarray:
    kind, tier = world.orgs.kind[st.org], st.tier(world)
    mask = np.zeros(len(st.org), dtype=bool)
    for role_kind, role_tier in roles:
        mask |= (kind == role_kind) & (tier == role_tier)
    return mask


def open_posts(world: World, st: CareerState, last_day: int) -> np.ndarray:
    """Leadership posts that are vacant on or before ``last_day``."""
    return world.posts.is_post & (st.holder < 0) & (st.vacated <= last_day)


def national_matches(
    world: World,
    st: CareerState,
    candidates: np.ndarray,
    vacant_posts: np.ndarray,
    day: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Fill vacant province and ministry head posts one by one (there are few of them)."""
    posts = world.posts
    vacant = np.flatnonzero(
        vacant_posts & (posts.tier == 1) & np.isin(world.post_kind, tuple(_NATIONAL_CANDIDATES))
    )
    winners, filled = [], []
    taken = np.zeros(len(st.org), dtype=bool)
    roles = {
        kind: candidates & _in_roles(world, st, r) for kind, r in _NATIONAL_CANDIDATES.items()
    }
    for post in vacant.tolist():
        pool = roles[int(world.post_kind[post])] & ~taken
        if posts.outside_hometown[post]:
            pool &= world.people.hometown != world.post_province[post]
        idx = np.flatnonzero(pool)
        if len(idx) == 0:
            continue
        province = np.full(len(idx), world.post_province[post])
        total = score(world, st, idx, province, day) + rng.gumbel(size=len(idx))
        best = int(idx[np.argmax(total)])
        taken[best] = True
        winners.append(best)
        filled.append(post)
    return np.array(winners, dtype=np.int64), np.array(filled, dtype=np.int64)


def _rank_in_groups(sorted_keys: np.ndarray) -> np.ndarray:
    position = np.arange(len(sorted_keys))
    starts = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    return position - np.maximum.accumulate(np.where(starts, position, 0))


def pool_matches(
    world: World,
    st: CareerState,
    cand: np.ndarray,
    cand_pool: np.ndarray,
    vacant: np.ndarray,
    day: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Within each pool (a unit), the best candidate gets the first vacancy, and so on.

    Vacancies of a pool are ordered by tier, so a unit's head post goes to its best candidate.
    """
    if len(cand) == 0 or len(vacant) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    province = world.orgs.province[cand_pool]
    total = score(world, st, cand, province, day) + rng.gumbel(size=len(cand))
    post_pool = world.posts.org[vacant].astype(np.int64)
    post_order = np.lexsort((vacant, world.posts.tier[vacant], post_pool))
    cand_order = np.lexsort((-total, cand_pool))
    width = np.int64(max(len(cand), len(vacant)) + 1)
    post_key = post_pool[post_order] * width + _rank_in_groups(post_pool[post_order])
    sorted_pool = cand_pool[cand_order].astype(np.int64)
    cand_key = sorted_pool * width + _rank_in_groups(sorted_pool)
    _, at_post, at_cand = np.intersect1d(post_key, cand_key, return_indices=True)
    return cand[cand_order][at_cand], vacant[post_order][at_post]


def role_candidates(
    world: World, st: CareerState, pool_ok: np.ndarray, roles: tuple[Role, ...]
) -> tuple[np.ndarray, np.ndarray]:
    """Candidates for a pooled pass and the pool (unit number) each one contests."""
    kind, tier = world.orgs.kind[st.org], st.tier(world)
    people, pools = [], []
    for role in roles:
        idx = np.flatnonzero(pool_ok & np.isin(kind, role.kinds) & (tier == role.tier))
        unit = st.org[idx]
        pool = {"own": unit, "parent": world.orgs.parent[unit], "top": world.orgs.top[unit]}
        people.append(idx)
        pools.append(pool[role.pool])
    return np.concatenate(people), np.concatenate(pools)


def promote(
    world: World,
    st: CareerState,
    rec: Records,
    people: np.ndarray,
    posts: np.ndarray,
    day: np.ndarray,
) -> None:
    """Appoint ``people`` to ``posts`` on ``day``; their old posts fall vacant that day."""
    st.move(rec, people, day, END["promotion"], START["promotion"])
    st.vacate(people, day)
    st.org[people] = world.posts.org[posts]
    st.take(people, posts, day)


def fill_vacancies(
    world: World,
    st: CareerState,
    rec: Records,
    available: np.ndarray,
    year_days: tuple[int, int],
    rng: np.random.Generator,
) -> np.ndarray:
    """One year of promotions, top down; returns who was promoted (they move no more)."""
    first, last = year_days
    ok = eligible(world, st, available, first)
    moved = np.zeros(len(st.org), dtype=bool)

    def appoint(people: np.ndarray, posts: np.ndarray) -> None:
        since = np.maximum(st.vacated[posts], first)
        day = np.minimum(since + rng.integers(7, 90, len(posts)), last).astype(np.int32)
        promote(world, st, rec, people, posts, day)
        moved[people] = True

    appoint(*national_matches(world, st, ok, open_posts(world, st, last), first, rng))
    for kinds, tier, roles in _POOLED_PASSES:
        vacant = np.flatnonzero(
            open_posts(world, st, last)
            & (world.posts.tier == tier)
            & np.isin(world.post_kind, kinds)
        )
        cand, pool = role_candidates(world, st, ok & ~moved, roles)
        appoint(*pool_matches(world, st, cand, pool, vacant, first, rng))
    return moved
