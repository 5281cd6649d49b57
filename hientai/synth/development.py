"""Trainings and disciplines of internal cadres.

Political-theory places go far more often to Party members (configurable access advantage):
an unequal-access channel that later raises their eligibility for posts whose title standards
require political theory. Disciplines are rare and driven by the latent integrity.
"""

from __future__ import annotations

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import reference as ref
from hientai.synth.encode import NO_DATE, sigmoid, uniform_days
from hientai.synth.state import GRADE, CareerState, Chunk, Records, World, YearDays

TRAINING_LEVELS: tuple[str, ...] = (
    *v.POLITICAL_THEORY_LEVELS,
    *v.STATE_MANAGEMENT_LEVELS,
    *v.CEFR_LEVELS,
    *v.IT_LEVELS,
    *ref.LEADERSHIP_PROGRAMMES,
    *ref.PROFESSIONAL_COURSES,
)
PROVIDERS: tuple[str, ...] = tuple(
    dict.fromkeys(
        (
            *ref.POLITICAL_THEORY_PROVIDERS,
            ref.STATE_MANAGEMENT_PROVIDER,
            *ref.FOREIGN_LANGUAGE_PROVIDERS,
            *ref.PROFESSIONAL_PROVIDERS,
        )
    )
)
CATEGORY = {c: i for i, c in enumerate(v.TRAINING_CATEGORIES)}
# Course lengths in days, by level (elementary / intermediate / advanced; specialist /
# principal specialist / senior specialist).
POLITICAL_DAYS = np.array([45, 150, 270])
STATE_MANAGEMENT_DAYS = np.array([60, 75, 90])
SEVERITY = {s: i for i, s in enumerate(v.DISCIPLINE_SEVERITIES)}


def level_code(level: str) -> int:
    return TRAINING_LEVELS.index(level)


def provider_code(provider: str) -> int:
    return PROVIDERS.index(provider)


def course(
    world: World,
    rng: np.random.Generator,
    idx: np.ndarray,
    category: str,
    level: np.ndarray | int,
    provider: np.ndarray | int,
    start: np.ndarray,
    days: np.ndarray,
) -> Chunk:
    """Training rows; a course still running at end_date is in_progress with no end or score."""
    end = (start + days).astype(np.int32)
    done = end <= world.end_day
    noise = rng.standard_normal(len(idx))
    score = np.round((72 + 9 * (0.5 * world.people.potential[idx] + 0.85 * noise)).clip(0, 100), 1)
    result = np.select(
        [~done, score >= 88, score >= 76, score >= 50],
        [v.TRAINING_RESULTS.index(r) for r in ("in_progress", "excellent", "good", "pass")],
        v.TRAINING_RESULTS.index("fail"),
    )
    return {
        "person": idx.astype(np.int32),
        "category": np.full(len(idx), CATEGORY[category], dtype=np.int8),
        "level": np.broadcast_to(level, idx.shape).astype(np.int16),
        "provider": np.broadcast_to(provider, idx.shape).astype(np.int16),
        "start": start.astype(np.int32),
        "end": np.where(done, end, NO_DATE).astype(np.int32),
        "result": result.astype(np.int8),
        "score": np.where(done, score, np.nan),
    }


def political_provider(level: np.ndarray) -> np.ndarray:
    codes = np.array([provider_code(p) for p in ref.POLITICAL_THEORY_PROVIDERS])
    return codes[level - 1]


def _political_logit(world: World, st: CareerState, day: int) -> np.ndarray:
    """Log-odds of a place on the next political-theory level; leaders and senior grades are
    sent more often, and Party members far more often (the configured access advantage)."""
    level = st.political_theory
    leader = st.post >= 0
    senior = st.grade >= GRADE["principal_specialist"]
    access = world.config.biases.political_theory_party_access * world.party_on(day)
    by_level = np.select(
        [level == 0, level == 1, level == 2],
        [
            np.full(len(level), -3.2),
            -3.4 + 0.8 * leader + 0.5 * senior,
            -4.6 + 1.4 * leader + 0.7 * senior,
        ],
        -np.inf,
    )
    return access + 0.2 * world.people.potential + by_level


def political_theory_year(
    world: World,
    st: CareerState,
    rec: Records,
    year_days: YearDays,
    rng: np.random.Generator,
) -> None:
    """Who completes the next political-theory level this year."""
    first, last = year_days
    chance = sigmoid(_political_logit(world, st, first))
    in_service = st.active & (world.people.hire < first)
    idx = np.flatnonzero(in_service & (rng.random(len(chance)) < chance))
    new_level = st.political_theory[idx] + 1
    start = uniform_days(rng, np.full(len(idx), first), np.full(len(idx), last))
    days = POLITICAL_DAYS[new_level - 1]
    provider = political_provider(new_level)
    code = level_code(v.POLITICAL_THEORY_LEVELS[0]) + new_level - 1
    chunk = course(world, rng, idx, "political_theory", code, provider, start, days)
    rec.trainings.append(chunk)
    done = chunk["end"] != NO_DATE
    st.political_theory[idx[done]] = new_level[done]


def state_management_year(
    world: World,
    st: CareerState,
    rec: Records,
    year_days: YearDays,
    rng: np.random.Generator,
) -> None:
    """State-management certificates, the prerequisite of each grade exam."""
    first, last = year_days
    level, grade = st.state_management, st.grade
    in_grade = (first - st.grade_since) / 365.25
    leader = st.post >= 0
    p = np.select(
        [
            (level == 0) & (grade >= GRADE["specialist"]),
            (level == 1) & ((in_grade >= 6) | leader),
            (level == 2) & (grade >= GRADE["principal_specialist"]) & ((in_grade >= 4) | leader),
        ],
        [0.3, 0.15, 0.1],
        0.0,
    )
    in_service = st.active & (world.people.hire < first)
    idx = np.flatnonzero(in_service & (rng.random(len(level)) < p))
    new_level = level[idx] + 1
    start = uniform_days(rng, np.full(len(idx), first), np.full(len(idx), last))
    days = STATE_MANAGEMENT_DAYS[new_level - 1]
    provider = provider_code(ref.STATE_MANAGEMENT_PROVIDER)
    code = level_code(v.STATE_MANAGEMENT_LEVELS[0]) + new_level - 1
    chunk = course(world, rng, idx, "state_management", code, provider, start, days)
    rec.trainings.append(chunk)
    done = chunk["end"] != NO_DATE
    st.state_management[idx[done]] = new_level[done]


def disciplines_year(
    world: World,
    st: CareerState,
    rec: Records,
    exposed: np.ndarray,
    year_days: YearDays,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disciplinary decisions this year as (person, severity code, day).

    Rare (about 1-2% a year) and far likelier at low integrity; only leaders can be removed
    from their post.
    """
    first, last = year_days
    integrity = world.people.integrity
    hit = exposed & (rng.random(len(integrity)) < sigmoid(-4.6 - 0.9 * integrity))
    idx = np.flatnonzero(hit)
    leader = st.post[idx] >= 0
    u = rng.random(len(idx)) + 0.1 * (integrity[idx] < -1.5)
    removal = np.where(leader, SEVERITY["removal_from_post"], SEVERITY["warning"])
    severity = np.select(
        [u < 0.58, u < 0.88, u < 0.97],
        [SEVERITY["reprimand"], SEVERITY["warning"], removal],
        SEVERITY["dismissal"],
    ).astype(np.int8)
    day = uniform_days(rng, np.full(len(idx), first), np.full(len(idx), last))
    lasting = severity != SEVERITY["dismissal"]
    rec.disciplines.append(
        {
            "person": idx.astype(np.int32),
            "day": day,
            "severity": severity,
            "until": np.where(lasting, np.minimum(day + 365, world.end_day), NO_DATE),
            "grounds": rng.integers(0, len(ref.DISCIPLINE_GROUNDS), len(idx)).astype(np.int8),
        }
    )
    return idx, severity, day
