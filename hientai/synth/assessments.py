"""Standardised assessments: the recruitment exams of cadres hired inside the window, and the
assessment centre of every external candidate. Scores rise with potential, with noise."""

from __future__ import annotations

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import reference as ref
from hientai.synth.encode import stream, uniform_days
from hientai.synth.state import Chunk, World

INSTRUMENT = {name: i for i, name in enumerate(v.ASSESSMENT_INSTRUMENTS)}
_EXTERNAL_INSTRUMENTS = np.array(
    [
        INSTRUMENT[name]
        for name in (
            "structured_interview",
            "leadership_assessment",
            "situational_judgement",
            "domain_knowledge",
            "language",
        )
    ]
)
_PASS_MARK = 50.0
_RECRUITMENT_BOARD = ref.ASSESSMENT_PROVIDERS.index("Hội đồng tuyển dụng")
_INDEPENDENT_PANEL = ref.ASSESSMENT_PROVIDERS.index("Hội đồng đánh giá độc lập")


def _score(rng: np.random.Generator, potential: np.ndarray) -> np.ndarray:
    noise = rng.standard_normal(len(potential))
    return np.round((63 + 11 * (0.65 * potential + 0.75 * noise)).clip(0, 100), 1)


def recruit_assessments(world: World) -> Chunk:
    """Cognitive and domain-knowledge exams (a language test for some) a few months before
    hiring; the recruits passed, so every score is at least the pass mark."""
    rng = stream(world.config.seed, "recruit-assessments")
    p = world.people
    recruits = np.flatnonzero(p.hire >= world.window_start)
    with_language = recruits[rng.random(len(recruits)) < 0.4]
    person = np.concatenate([recruits, recruits, with_language])
    instrument = np.concatenate(
        [
            np.full(len(recruits), INSTRUMENT["cognitive"]),
            np.full(len(recruits), INSTRUMENT["domain_knowledge"]),
            np.full(len(with_language), INSTRUMENT["language"]),
        ]
    )
    exam_day = p.hire[person] - rng.integers(30, 150, len(person))
    return {
        "person": person.astype(np.int32),
        "day": exam_day.astype(np.int32),
        "instrument": instrument.astype(np.int8),
        "score": np.maximum(_score(rng, p.potential[person]), _PASS_MARK),
        "provider": np.full(len(person), _RECRUITMENT_BOARD, dtype=np.int8),
    }


def external_assessments(world: World, potential: np.ndarray, offset: int) -> Chunk:
    """Two or three sittings per external candidate in the last eighteen months."""
    rng = stream(world.config.seed, "external-assessments")
    n = len(potential)
    sittings = 2 + (rng.random(n) < 0.5)
    candidate = np.repeat(np.arange(n), sittings)
    order = np.argsort(rng.random((n, len(_EXTERNAL_INSTRUMENTS))), axis=1)
    first_sitting = np.repeat(np.cumsum(sittings) - sittings, sittings)
    nth = np.arange(len(candidate)) - first_sitting
    instrument = _EXTERNAL_INSTRUMENTS[order[candidate, nth]]
    day = uniform_days(
        rng, np.full(len(candidate), world.end_day - 540), np.full(len(candidate), world.end_day)
    )
    return {
        "person": (candidate + offset).astype(np.int32),
        "day": day,
        "instrument": instrument.astype(np.int8),
        "score": _score(rng, potential[candidate]),
        "provider": np.full(len(candidate), _INDEPENDENT_PANEL, dtype=np.int8),
    }
