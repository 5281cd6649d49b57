"""Trainings outside the career loop: language and IT certificates, professional courses, and
leadership programmes for newly appointed leaders and planned cadres."""

from __future__ import annotations

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import reference as ref
from hientai.synth.development import course, level_code, provider_code
from hientai.synth.encode import december_31, stream, uniform_days, years_to_days
from hientai.synth.state import GRADE, START, Chunk, World

# Programme (index into reference.LEADERSHIP_PROGRAMMES) by unit kind: ministries and
# provinces strategic, departments "cấp sở", sub-units "cấp phòng", communes "cấp xã".
_LEADERSHIP_PROGRAMME_OF_KIND = np.array([2, 1, 0, 2, 1, 0, 3])
_PLANNING_PROGRAMME = 1


def extra_trainings(world: World, spells: Chunk, panel: Chunk) -> list[Chunk]:
    rng = stream(world.config.seed, "courses")
    return [
        _language_certificates(world, rng),
        _it_certificates(world, rng),
        _professional(world, panel, rng),
        _leadership(world, spells, panel, rng),
    ]


def _certificate_start(world: World, rng: np.random.Generator, idx: np.ndarray) -> np.ndarray:
    """Some time between age 18 and five years into the service (or end_date)."""
    p = world.people
    high = np.minimum(p.hire[idx] + years_to_days(5), world.end_day - 60)
    low = np.minimum(p.birth[idx] + years_to_days(18), high)
    return uniform_days(rng, low, high)


def _language_certificates(world: World, rng: np.random.Generator) -> Chunk:
    tokens = world.people.languages[:, 0]
    idx = np.flatnonzero((tokens >= 0) & (rng.random(len(tokens)) < 0.8))
    cefr = tokens[idx] % len(v.CEFR_LEVELS)
    level = level_code(v.CEFR_LEVELS[0]) + cefr
    providers = np.array([provider_code(x) for x in ref.FOREIGN_LANGUAGE_PROVIDERS])
    provider = providers[rng.integers(0, len(providers), len(idx))]
    start = _certificate_start(world, rng, idx)
    return course(
        world, rng, idx, "foreign_language", level, provider, start, np.full(len(idx), 90)
    )


def _it_certificates(world: World, rng: np.random.Generator) -> Chunk:
    u = rng.random(len(world.people))
    idx = np.flatnonzero(u < 0.75)
    level = np.where(u[idx] < 0.1, level_code("advanced"), level_code("basic"))
    level[world.people.field[idx] == ref.FIELDS.index("Công nghệ thông tin")] = level_code(
        "advanced"
    )
    start = _certificate_start(world, rng, idx)
    provider = provider_code(ref.IT_PROVIDER)
    return course(world, rng, idx, "it", level, provider, start, np.full(len(idx), 45))


def _professional(world: World, panel: Chunk, rng: np.random.Generator) -> Chunk:
    rows = np.flatnonzero(panel["active_end"] & (rng.random(len(panel["year"])) < 0.12))
    last = december_31(panel["year"][rows])
    hired = world.people.hire[panel["person"][rows]]
    start = uniform_days(rng, np.maximum(last - 364, hired), last - 35)
    course_codes = [level_code(c) for c in ref.PROFESSIONAL_COURSES]
    level = np.array(course_codes)[rng.integers(0, len(course_codes), len(rows))]
    providers = np.array([provider_code(x) for x in ref.PROFESSIONAL_PROVIDERS])
    provider = providers[rng.integers(0, len(providers), len(rows))]
    days = rng.integers(5, 31, len(rows))
    return course(world, rng, panel["person"][rows], "professional", level, provider, start, days)


def _leadership(world: World, spells: Chunk, panel: Chunk, rng: np.random.Generator) -> Chunk:
    """After an appointment (often), and for planned young senior specialists (sometimes)."""
    appointed = (spells["reason"] == START["promotion"]) & (spells["start"] >= world.window_start)
    rows = np.flatnonzero(appointed & (rng.random(len(appointed)) < 0.7))
    person = spells["person"][rows]
    start = spells["start"][rows] + rng.integers(30, 200, len(rows))
    programme = _LEADERSHIP_PROGRAMME_OF_KIND[world.orgs.kind[spells["org"][rows]]]
    age = (december_31(panel["year"]) - world.people.birth[panel["person"]]) / 365.25
    planned = panel["active_end"] & (panel["post"] < 0) & (age < 45)
    planned &= panel["grade"] >= GRADE["principal_specialist"]
    extra = np.flatnonzero(planned & (rng.random(len(planned)) < 0.03))
    extra_start = december_31(panel["year"][extra]) - rng.integers(60, 300, len(extra))
    person = np.concatenate([person, panel["person"][extra]])
    start = np.concatenate([start, extra_start])
    programme = np.concatenate([programme, np.full(len(extra), _PLANNING_PROGRAMME)])
    keep = start <= world.end_day - 7
    codes = np.array([level_code(x) for x in ref.LEADERSHIP_PROGRAMMES])
    academy = np.where(
        programme[keep] == 2,
        provider_code(ref.POLITICAL_THEORY_PROVIDERS[2]),
        provider_code(ref.STATE_MANAGEMENT_PROVIDER),
    )
    days = rng.integers(30, 61, keep.sum())
    return course(
        world,
        rng,
        person[keep],
        "leadership_programme",
        codes[programme[keep]],
        academy,
        start[keep],
        days,
    )
