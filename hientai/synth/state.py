"""The simulated world and the mutable state of every internal career, with its record logs.

Every person has one open spell (unit, post, grade since a start day); a change closes it the day
before and opens the next. A person changes at most once a year, which keeps each history
ordered without per-person bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from hientai.contract import vocab as v
from hientai.synth.config import SynthConfig
from hientai.synth.encode import NO_DATE, day_number, years_to_days
from hientai.synth.orgs import Orgs
from hientai.synth.population import KINH_CODE, MALE, RETIREMENT_AGE, People
from hientai.synth.positions import Positions

START = {reason: np.int8(i) for i, reason in enumerate(v.START_REASONS)}
END = {reason: np.int8(i) for i, reason in enumerate(v.END_REASONS)}
GRADE = {grade: np.int8(i) for i, grade in enumerate(v.GRADES)}

Chunk = dict[str, np.ndarray]
YearDays = tuple[int, int]  # first and last day of a simulated year


@dataclass(frozen=True)
class World:
    """Everything fixed during the simulation: config, units, posts and internal people."""

    config: SynthConfig
    orgs: Orgs
    posts: Positions
    people: People
    end_day: int
    window_start: int
    post_kind: np.ndarray  # unit kind of each post's unit
    post_province: np.ndarray  # province of each post's unit, -1 central
    male: np.ndarray
    kinh: np.ndarray
    retire_day: np.ndarray

    @staticmethod
    def build(config: SynthConfig, orgs: Orgs, posts: Positions, people: People) -> World:
        first = config.end_date.replace(year=config.first_year, month=1, day=1)
        return World(
            config=config,
            orgs=orgs,
            posts=posts,
            people=people,
            end_day=day_number(config.end_date),
            window_start=day_number(first),
            post_kind=orgs.kind[posts.org],
            post_province=orgs.province[posts.org],
            male=people.gender == MALE,
            kinh=people.ethnicity == KINH_CODE,
            retire_day=people.birth + years_to_days(RETIREMENT_AGE),
        )

    def age(self, day: int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        return (day - self.people.birth[idx]) / 365.25

    def party_on(self, day: int, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        p = self.people
        return p.party[idx] & (p.party_join[idx] <= day)

    def local(self, org: np.ndarray, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        province = self.orgs.province[org]
        return (province >= 0) & (province == self.people.hometown[idx])


@dataclass
class Records:
    """Rows emitted by the simulation, as chunks of parallel arrays."""

    spells: list[Chunk] = field(default_factory=list)
    trainings: list[Chunk] = field(default_factory=list)
    disciplines: list[Chunk] = field(default_factory=list)
    panel: list[Chunk] = field(default_factory=list)

    @staticmethod
    def stack(chunks: list[Chunk]) -> Chunk:
        if not chunks:
            return {}
        return {key: np.concatenate([c[key] for c in chunks]) for key in chunks[0]}


@dataclass
class CareerState:
    org: np.ndarray
    post: np.ndarray
    grade: np.ndarray
    grade_since: np.ndarray
    active: np.ndarray
    started: np.ndarray
    reason: np.ndarray
    exit_day: np.ndarray
    political_theory: np.ndarray  # 0 none, 1 elementary, 2 intermediate, 3 advanced
    state_management: np.ndarray  # 0 none, then the vocab.STATE_MANAGEMENT_LEVELS in order
    post_since: np.ndarray  # day the current post (or its latest term) began
    holder: np.ndarray  # per post: person holding it, -1 vacant
    vacated: np.ndarray  # per post: day it became vacant

    @staticmethod
    def empty(world: World) -> CareerState:
        n, n_posts = len(world.people), len(world.posts)
        return CareerState(
            org=world.people.unit.copy(),
            post=np.full(n, -1, dtype=np.int32),
            grade=np.zeros(n, dtype=np.int8),
            grade_since=np.full(n, NO_DATE, dtype=np.int32),
            active=np.zeros(n, dtype=bool),
            started=np.full(n, NO_DATE, dtype=np.int32),
            reason=np.zeros(n, dtype=np.int8),
            exit_day=np.full(n, NO_DATE, dtype=np.int32),
            political_theory=np.zeros(n, dtype=np.int8),
            state_management=np.zeros(n, dtype=np.int8),
            post_since=np.full(n, NO_DATE, dtype=np.int32),
            holder=np.full(n_posts, -1, dtype=np.int32),
            vacated=np.full(n_posts, world.window_start, dtype=np.int32),
        )

    def tier(self, world: World) -> np.ndarray:
        """0 for non-leaders, else the tier of the post held."""
        return np.where(self.post >= 0, world.posts.tier[self.post.clip(0)], 0).astype(np.int8)

    def close(self, rec: Records, idx: np.ndarray, end: np.ndarray | int, why: np.int8) -> None:
        rec.spells.append(
            {
                "person": idx.astype(np.int32),
                "org": self.org[idx],
                "post": self.post[idx],
                "grade": self.grade[idx],
                "start": self.started[idx],
                "end": np.broadcast_to(np.asarray(end, dtype=np.int32), idx.shape).copy(),
                "reason": self.reason[idx],
                "end_reason": np.full(len(idx), why, dtype=np.int8),
            }
        )

    def open(self, idx: np.ndarray, day: np.ndarray | int, why: np.int8) -> None:
        self.started[idx] = day
        self.reason[idx] = why

    def vacate(self, idx: np.ndarray, day: np.ndarray | int) -> None:
        """The posts held by ``idx`` become vacant from ``day``."""
        days = np.broadcast_to(np.asarray(day, dtype=np.int32), idx.shape)
        held = self.post[idx]
        self.holder[held[held >= 0]] = -1
        self.vacated[held[held >= 0]] = days[held >= 0]
        self.post[idx] = -1

    def take(self, idx: np.ndarray, posts: np.ndarray, day: np.ndarray | int) -> None:
        self.holder[posts] = idx
        self.post[idx] = posts
        self.post_since[idx] = day

    def exit(self, rec: Records, idx: np.ndarray, day: np.ndarray, why: np.int8) -> None:
        self.close(rec, idx, day, why)
        self.vacate(idx, day + 1)
        self.active[idx] = False
        self.exit_day[idx] = day

    def move(
        self, rec: Records, idx: np.ndarray, day: np.ndarray, ended: np.int8, started: np.int8
    ) -> None:
        """Close the current spells the day before ``day`` and open new ones; the caller then
        sets the new unit, post or grade."""
        self.close(rec, idx, day - 1, ended)
        self.open(idx, day, started)
