"""Careers simulated year by year, vectorised over people.

Each year: recruits join; then retirements, disciplinary removals and dismissals, and
resignations; then ends of term (reappointment or rotation), promotions into vacant posts (the
biased contests of ``promotion``), transfers and grade upgrades; then training. A person makes at
most one move a year. The year's end state is kept as a person-year panel that the signal
generators (ratings, outputs, surveys, votes) read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import numpy as np

from hientai.synth.development import (
    SEVERITY,
    disciplines_year,
    political_theory_year,
    state_management_year,
)
from hientai.synth.encode import NO_DATE, day_number, sigmoid, stream, uniform_days, year_bounds
from hientai.synth.initial import initial_state
from hientai.synth.mobility import entry_grade, grade_upgrades, term_ends, transfers
from hientai.synth.promotion import fill_vacancies
from hientai.synth.state import END, START, CareerState, Records, World, YearDays


def simulate_careers(
    world: World, progress: Callable[[str], None] | None = None
) -> tuple[CareerState, Records]:
    rng = stream(world.config.seed, "careers")
    st = CareerState.empty(world)
    rec = Records()
    initial_state(world, st, rec, rng)
    for year in range(world.config.first_year, world.config.end_date.year + 1):
        _simulate_year(world, st, rec, year, rng)
        if progress is not None:
            progress(f"careers: simulated {year}")
    still_open = np.flatnonzero(st.active)
    st.close(rec, still_open, NO_DATE, np.int8(-1))
    return st, rec


def _simulate_year(
    world: World, st: CareerState, rec: Records, year: int, rng: np.random.Generator
) -> None:
    days = year_bounds(year, world.end_day)
    _hire(world, st, days)
    free = st.active & (st.started < days[0])  # settled in their spell: may move this year
    for leaving in (_retire, _discipline, _resign, term_ends):
        free[leaving(world, st, rec, free, days, rng)] = False
    free &= ~fill_vacancies(world, st, rec, free, days, rng)
    for moving in (transfers, grade_upgrades):
        free[moving(world, st, rec, free, days, rng)] = False
    political_theory_year(world, st, rec, days, rng)
    state_management_year(world, st, rec, days, rng)
    _panel(world, st, rec, year, days)


def _hire(world: World, st: CareerState, days: YearDays) -> None:
    p = world.people
    idx = np.flatnonzero((p.hire >= days[0]) & (p.hire <= days[1]))
    st.active[idx] = True
    st.org[idx] = p.unit[idx]
    st.grade[idx] = entry_grade(p.education[idx])
    st.grade_since[idx] = p.hire[idx]
    st.open(idx, p.hire[idx], START["recruitment"])


def _retire(
    world: World,
    st: CareerState,
    rec: Records,
    free: np.ndarray,
    days: YearDays,
    rng: np.random.Generator,
) -> np.ndarray:
    idx = np.flatnonzero(free & (world.retire_day <= days[1]))
    st.exit(rec, idx, np.maximum(world.retire_day[idx], days[0]), END["retirement"])
    return idx


def _discipline(
    world: World,
    st: CareerState,
    rec: Records,
    free: np.ndarray,
    days: YearDays,
    rng: np.random.Generator,
) -> np.ndarray:
    """Dismissals end the career; removal from post is a demotion to a non-leading spell."""
    idx, severity, day = disciplines_year(world, st, rec, free, days, rng)
    dismissed = severity == SEVERITY["dismissal"]
    st.exit(rec, idx[dismissed], day[dismissed], END["dismissal"])
    removed = severity == SEVERITY["removal_from_post"]
    st.move(rec, idx[removed], day[removed], END["demotion"], START["demotion"])
    st.vacate(idx[removed], day[removed])
    return idx[dismissed | removed]


def _resign(
    world: World,
    st: CareerState,
    rec: Records,
    free: np.ndarray,
    days: YearDays,
    rng: np.random.Generator,
) -> np.ndarray:
    """Young, high-potential cadres leave more often (the private sector pays better)."""
    age = world.age(days[0])
    leader = st.post >= 0
    chance = sigmoid(-4.4 + 0.35 * world.people.potential - 0.05 * (age - 30) - 0.8 * leader)
    idx = np.flatnonzero(free & (rng.random(len(chance)) < chance))
    day = uniform_days(rng, np.full(len(idx), days[0]), np.full(len(idx), days[1]))
    st.exit(rec, idx, day, END["resignation"])
    return idx


def _panel(world: World, st: CareerState, rec: Records, year: int, days: YearDays) -> None:
    """Who was in service this year, where and in which post at its end (or at exit)."""
    first, last = days
    hire, exit_day = world.people.hire, st.exit_day
    present = (hire <= last) & ((exit_day == NO_DATE) | (exit_day >= first))
    idx = np.flatnonzero(present)
    mid = day_number(dt.date(year, 6, 30))
    out = exit_day[idx]
    complete = last == day_number(dt.date(year, 12, 31))
    rec.panel.append(
        {
            "person": idx.astype(np.int32),
            "year": np.full(len(idx), year, dtype=np.int16),
            "org": st.org[idx],
            "post": st.post[idx],
            "grade": st.grade[idx],
            "post_since": st.post_since[idx],
            "active_mid": (mid <= world.end_day)
            & (hire[idx] <= mid)
            & ((out == NO_DATE) | (out >= mid)),
            "active_end": st.active[idx] & complete,
        }
    )
