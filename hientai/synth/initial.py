"""The workforce as it stands when the window opens: grades, credentials and sitting leaders.

The initial stock's earlier careers are summarised by at most two spells (entry, then the
current grade or post); sitting leaders were chosen by the same biased contests as later ones.
"""

from __future__ import annotations

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import orgs as o
from hientai.synth.development import (
    POLITICAL_DAYS,
    STATE_MANAGEMENT_DAYS,
    course,
    level_code,
    political_provider,
    provider_code,
)
from hientai.synth.encode import sigmoid, uniform_days, years_to_days
from hientai.synth.mobility import TERM_YEARS, entry_grade
from hientai.synth.promotion import (
    eligible,
    national_matches,
    open_posts,
    pool_matches,
    promote,
)
from hientai.synth.reference import STATE_MANAGEMENT_PROVIDER
from hientai.synth.state import END, GRADE, START, CareerState, Records, World


def initial_state(world: World, st: CareerState, rec: Records, rng: np.random.Generator) -> None:
    stock = _stock(world, st, rec, rng)
    _credentials(world, st, rec, stock, rng)
    _leaders(world, st, rec, rng)


def _stock(world: World, st: CareerState, rec: Records, rng: np.random.Generator) -> np.ndarray:
    """Activate everyone hired before the window; some have since passed a grade exam."""
    p, window = world.people, world.window_start
    idx = np.flatnonzero(p.hire < window)
    entry = entry_grade(p.education[idx])
    tenure = (window - p.hire[idx]) / 365.25
    potential = p.potential[idx]
    u = rng.random((2, len(idx)))
    principal = (entry == GRADE["specialist"]) & (tenure >= 9)
    principal &= u[0] < sigmoid(-4.0 + 0.25 * tenure + 0.7 * potential)
    senior = principal & (tenure >= 18) & (u[1] < sigmoid(-4.5 + 0.08 * tenure + 0.7 * potential))
    st.active[idx] = True
    st.grade[idx] = entry
    st.grade_since[idx] = p.hire[idx]
    st.open(idx, p.hire[idx], START["recruitment"])
    upgraded = principal
    up = idx[upgraded]
    low = np.minimum(p.hire[up] + years_to_days(9), window - 1)
    day = uniform_days(rng, low, np.full(len(up), window - 1))
    st.move(rec, up, day, END["promotion"], START["appointment"])
    st.grade[up] = entry[upgraded] + 1 + senior[upgraded]
    st.grade_since[up] = day
    return idx


def _pre_window_course(
    world: World, rng: np.random.Generator, idx: np.ndarray, days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Start days of courses finished before the window; False where there was no time."""
    low = world.people.hire[idx] + 30
    high = world.window_start - 1 - days
    return uniform_days(rng, np.minimum(low, high), high), low <= high


def _credentials(
    world: World, st: CareerState, rec: Records, idx: np.ndarray, rng: np.random.Generator
) -> None:
    """Political theory (Party members favoured) and state management held at the window:
    each grade above specialist requires its state-management certificate."""
    window = world.window_start
    tenure = (window - world.people.hire[idx]) / 365.25
    senior = st.grade[idx] >= GRADE["principal_specialist"]
    access = world.config.biases.political_theory_party_access * world.party_on(window, idx)
    latent = access + 0.12 * tenure + 0.8 * senior + 0.2 * world.people.potential[idx]
    latent += rng.logistic(size=len(idx))
    political = (latent > 1.5).astype(np.int8) + (latent > 2.8) + (latent > 4.4)
    required = np.maximum(st.grade[idx] - GRADE["specialist"] + 1, 0)
    basic = (st.grade[idx] >= GRADE["specialist"]) & (rng.random(len(idx)) < 0.75) & (tenure >= 2)
    management = np.maximum(required, basic).astype(np.int8)
    _record_held(world, st, rec, idx, political, "political_theory", rng)
    _record_held(world, st, rec, idx, management, "state_management", rng)


def _record_held(
    world: World,
    st: CareerState,
    rec: Records,
    idx: np.ndarray,
    level: np.ndarray,
    category: str,
    rng: np.random.Generator,
) -> None:
    """One training row for the highest level held (1-3; 0 = none), finished before the
    window; a level there was no time to take since hiring is dropped."""
    political = category == "political_theory"
    has = np.flatnonzero(level > 0)
    days = (POLITICAL_DAYS if political else STATE_MANAGEMENT_DAYS)[level[has] - 1]
    start, fits = _pre_window_course(world, rng, idx[has], days)
    held, reached = idx[has][fits], level[has][fits]
    if political:
        provider = political_provider(reached)
        code = level_code(v.POLITICAL_THEORY_LEVELS[0]) + reached - 1
    else:
        provider = np.full(len(held), provider_code(STATE_MANAGEMENT_PROVIDER))
        code = level_code(v.STATE_MANAGEMENT_LEVELS[0]) + reached - 1
    rec.trainings.append(
        course(world, rng, held, category, code, provider, start[fits], days[fits])
    )
    (st.political_theory if political else st.state_management)[held] = reached


def _appoint_before_window(
    world: World,
    st: CareerState,
    rec: Records,
    people: np.ndarray,
    posts: np.ndarray,
    rng: np.random.Generator,
) -> None:
    window = world.window_start
    low = np.maximum.reduce(
        [st.started[people] + 30, st.vacated[posts], np.full(len(posts), window - 5 * 365)]
    )
    fits = low <= window - 1  # a spell that began on the eve of the window cannot end yet
    day = uniform_days(rng, low[fits], np.full(fits.sum(), window - 1))
    promote(world, st, rec, people[fits], posts[fits], day)


def _fill_units(
    world: World, st: CareerState, rec: Records, ok: np.ndarray, rng: np.random.Generator
) -> None:
    national = (world.posts.tier == 1) & np.isin(world.post_kind, (o.PROVINCE, o.MINISTRY))
    vacant = np.flatnonzero(open_posts(world, st, world.window_start - 1) & ~national)
    cand = np.flatnonzero(ok & (st.post < 0))
    people, posts = pool_matches(world, st, cand, st.org[cand], vacant, world.window_start, rng)
    _appoint_before_window(world, st, rec, people, posts, rng)


def _leaders(world: World, st: CareerState, rec: Records, rng: np.random.Generator) -> None:
    """Unit posts from each unit's staff, then province and ministry heads nationally, then the
    posts those heads left."""
    window = world.window_start
    st.vacated[:] = window - years_to_days(TERM_YEARS)
    ok = eligible(world, st, st.active, window)
    _fill_units(world, st, rec, ok, rng)
    vacant = open_posts(world, st, window - 1)
    people, posts = national_matches(world, st, ok, vacant, window, rng)
    _appoint_before_window(world, st, rec, people, posts, rng)
    ok[people] = False
    _fill_units(world, st, rec, ok, rng)
