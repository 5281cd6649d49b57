"""Moves that are not promotions: end of term, rotation of leaders, transfers, grade upgrades."""

from __future__ import annotations

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import orgs as o
from hientai.synth.encode import sigmoid, uniform_days, years_to_days
from hientai.synth.population import EDU
from hientai.synth.state import END, GRADE, START, CareerState, Records, World, YearDays

TERM_YEARS = 5
ROTATION_SHARE = 0.3  # of leaders at the end of a term, rotated rather than reappointed
TRANSFER_RATE = 0.025
# Rotation swaps posts of the same title: nationally for province and ministry level posts,
# within the ministry or province for the others.
_NATIONAL_ROTATION = (o.MINISTRY, o.PROVINCE, o.PROVINCE_DEPT)


def entry_grade(education: np.ndarray) -> np.ndarray:
    """Staff without a degree enter as staff or officer, graduates as specialist."""
    return np.select(
        [education >= EDU["bachelor"], education >= EDU["vocational"]],
        [GRADE["specialist"], GRADE["officer"]],
        GRADE["staff"],
    ).astype(np.int8)


def _pairs(key: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random disjoint pairs of positions of ``key`` sharing the same key value."""
    order = np.lexsort((rng.random(len(key)), key))
    sorted_key = key[order]
    position = np.arange(len(key))
    starts = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    rank = position - np.maximum.accumulate(np.where(starts, position, 0))
    has_next = np.r_[sorted_key[1:] == sorted_key[:-1], False]
    lead = np.flatnonzero((rank % 2 == 0) & has_next)
    return order[lead], order[lead + 1]


def _swap(
    world: World, st: CareerState, rec: Records, a: np.ndarray, b: np.ndarray, day: np.ndarray
) -> None:
    post_a, post_b = st.post[a].copy(), st.post[b].copy()
    both = np.concatenate([a, b])
    st.move(rec, both, np.concatenate([day, day]), END["rotation"], START["rotation"])
    st.take(a, post_b, day)
    st.take(b, post_a, day)
    st.org[a] = world.posts.org[post_b]
    st.org[b] = world.posts.org[post_a]


def _lands_at_home(world: World, person: np.ndarray, post: np.ndarray) -> np.ndarray:
    return world.posts.outside_hometown[post] & (
        world.people.hometown[person] == world.post_province[post]
    )


def term_ends(
    world: World,
    st: CareerState,
    rec: Records,
    free: np.ndarray,
    days: YearDays,
    rng: np.random.Generator,
) -> np.ndarray:
    """Leaders whose five-year term ends: most are reappointed, some rotated (post swaps)."""
    first, last = days
    term_day = st.post_since + years_to_days(TERM_YEARS)
    idx = np.flatnonzero(free & (st.post >= 0) & (term_day <= last))
    day = np.maximum(term_day[idx], first)
    rotating = rng.random(len(idx)) < ROTATION_SHARE
    post = st.post[idx]
    kind = world.post_kind[post].astype(np.int64)
    scope = np.where(np.isin(kind, _NATIONAL_ROTATION), 0, world.orgs.top[world.posts.org[post]])
    key = (kind * len(v.TITLE_CODES) + world.posts.title_code[post]) * len(world.orgs) + scope
    a, b = _pairs(np.where(rotating, key, -1 - np.arange(len(idx))), rng)
    ok = ~(_lands_at_home(world, idx[a], post[b]) | _lands_at_home(world, idx[b], post[a]))
    a, b = a[ok], b[ok]
    swapped = np.zeros(len(idx), dtype=bool)
    swapped[a] = swapped[b] = True
    _swap(world, st, rec, idx[a], idx[b], np.maximum(day[a], day[b]))
    stay = idx[~swapped]
    st.move(rec, stay, day[~swapped], END["end_of_term"], START["appointment"])
    st.post_since[stay] = day[~swapped]
    return idx


def _random_unit_in_group(
    rng: np.random.Generator, group_of_unit: np.ndarray, groups: np.ndarray
) -> np.ndarray:
    """A uniformly random unit of each requested group (groups are small non-negative ints)."""
    order = np.argsort(group_of_unit, kind="stable")
    counts = np.bincount(group_of_unit, minlength=groups.max(initial=0) + 1)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    pick = starts[groups] + np.floor(rng.random(len(groups)) * counts[groups]).astype(np.int64)
    return order[pick]


def transfers(
    world: World,
    st: CareerState,
    rec: Records,
    free: np.ndarray,
    days: YearDays,
    rng: np.random.Generator,
) -> np.ndarray:
    """Non-leaders changing unit: mostly within their province, some to another province or
    the centre. Senior grades moved across provinces are recorded as rotation."""
    first, last = days
    idx = np.flatnonzero(free & (st.post < 0) & (rng.random(len(st.org)) < TRANSFER_RATE))
    province = world.orgs.province.astype(np.int64) + 1  # 0 = central
    here = province[st.org[idx]]
    u = rng.random(len(idx))
    stay_in_group = u < np.where(here == 0, 0.7, 0.75)
    same = _random_unit_in_group(rng, province, here)
    anywhere = rng.choice(len(world.orgs), len(idx), p=world.orgs.people_weight)
    dest = np.where(stay_in_group, same, anywhere)
    keep = dest != st.org[idx]
    idx, dest = idx[keep], dest[keep]
    across = province[dest] != province[st.org[idx]]
    rotation = across & (st.grade[idx] >= GRADE["principal_specialist"])
    day = uniform_days(rng, np.full(len(idx), first), np.full(len(idx), last))
    for flag, name in ((rotation, "rotation"), (~rotation, "transfer")):
        st.move(rec, idx[flag], day[flag], END[name], START[name])
    st.org[idx] = dest
    return idx


def grade_upgrades(
    world: World,
    st: CareerState,
    rec: Records,
    free: np.ndarray,
    days: YearDays,
    rng: np.random.Generator,
) -> np.ndarray:
    """Grade (ngạch) exams: after years in grade, with the state-management certificate, and
    more often with higher potential. A new spell in the same post, reason appointment."""
    first, last = days
    p = world.people
    in_grade = (first - st.grade_since) / 365.25
    chance = np.select(
        [
            (st.grade == GRADE["staff"]) & (p.education >= EDU["vocational"]),
            (st.grade == GRADE["officer"]) & (p.education >= EDU["bachelor"]),
            (st.grade == GRADE["specialist"]) & (in_grade >= 9) & (st.state_management >= 2),
            (st.grade == GRADE["principal_specialist"])
            & (in_grade >= 6)
            & (st.state_management >= 3),
        ],
        [
            0.04,
            0.08,
            sigmoid(-1.8 + 0.7 * p.potential),
            sigmoid(-3.4 + 0.6 * p.potential + 1.0 * (st.post >= 0)),
        ],
        0.0,
    )
    idx = np.flatnonzero(free & (rng.random(len(st.org)) < chance))
    day = uniform_days(rng, np.full(len(idx), first), np.full(len(idx), last))
    st.move(rec, idx, day, END["promotion"], START["appointment"])
    st.grade[idx] += 1
    st.grade_since[idx] = day
    return idx
