"""External talent candidates: experts, overseas Vietnamese, foreigners, private sector and
academics. They have CV fields, assessments and sometimes awards, and no internal history."""

from __future__ import annotations

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import reference as ref
from hientai.synth.config import SynthConfig
from hientai.synth.encode import NO_DATE, day_number, stream, uniform_days, years_to_days
from hientai.synth.languages import LANGUAGES, external_languages
from hientai.synth.population import (
    CHANNELS,
    EDU,
    NATIONALITIES,
    People,
    draw_ethnicity,
    draw_gender,
    draw_latent,
    draw_religion,
    province_weights,
)

CATEGORY = {c: i for i, c in enumerate(v.EXTERNAL_CATEGORIES)}
_CATEGORY_SHARES = {
    "expert": 0.30,
    "overseas_vietnamese": 0.20,
    "foreigner": 0.10,
    "private_sector": 0.25,
    "academic": 0.15,
}
# Share of Party members by category (foreigners are never members).
_PARTY_SHARE = np.array([0.25, 0.01, 0.0, 0.05, 0.30])


def _nationality(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """VN for domestic candidates; overseas Vietnamese mostly hold a foreign nationality."""
    foreign = rng.integers(1, len(NATIONALITIES), len(category))
    abroad = (category == CATEGORY["foreigner"]) | (
        (category == CATEGORY["overseas_vietnamese"]) & (rng.random(len(category)) < 0.7)
    )
    return np.where(abroad, foreign, 0).astype(np.int8)


def _education(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    doctorate = np.where(np.isin(category, (CATEGORY["academic"], CATEGORY["expert"])), 0.6, 0.3)
    u = rng.random(len(category))
    return np.select(
        [u < doctorate, u < 0.9], [EDU["doctorate"], EDU["master"]], EDU["bachelor"]
    ).astype(np.int8)


def _native_language(nationality: np.ndarray) -> np.ndarray:
    codes = np.array(
        [-1] + [LANGUAGES.index(ref.FOREIGN_LANGUAGE_OF[c]) for c in NATIONALITIES[1:]]
    )
    return codes[nationality]


def _origins(rng: np.random.Generator, foreigner: np.ndarray) -> tuple[np.ndarray, ...]:
    """Hometown, ethnic group and religion; not applicable to (or unknown for) foreigners."""
    n = len(foreigner)
    hometown = rng.choice(len(ref.PROVINCES), n, p=province_weights(2.0)).astype(np.int16)
    hometown[foreigner] = -1
    ethnicity = draw_ethnicity(rng, hometown, 0.5)
    ethnicity[foreigner] = -1
    religion = draw_religion(rng, ethnicity)
    religion[foreigner & (rng.random(n) < 0.5)] = -1
    return hometown, ethnicity, religion


def build_external(config: SynthConfig, offset: int) -> People:
    """``config.n_external`` candidates; their latent truth continues the internal streams."""
    n = config.n_external
    rng = stream(config.seed, "external")
    potential, integrity = draw_latent(config, n, offset)
    category = rng.choice(len(_CATEGORY_SHARES), n, p=list(_CATEGORY_SHARES.values()))
    nationality = _nationality(rng, category)
    foreigner = category == CATEGORY["foreigner"]
    hometown, ethnicity, religion = _origins(rng, foreigner)
    end_day = day_number(config.end_date)
    age = (27.0 + rng.gamma(3.0, 4.0, n)).clip(max=66.0)
    birth = (end_day - years_to_days(age)).astype(np.int32)
    party = (rng.random(n) < _PARTY_SHARE[category]) & (nationality == 0)
    latest = np.minimum(birth + years_to_days(40), end_day)
    join = uniform_days(rng, birth + years_to_days(22), latest)
    education = _education(rng, category)
    years_experience = np.round((age - 23.0 - 2.0 * rng.random(n)).clip(min=0.0), 1)
    field = len(ref.FIELDS) + rng.integers(0, len(ref.EXTERNAL_FIELDS), n)
    channel = rng.choice(3, n, p=[0.5, 0.3, 0.2]) + CHANNELS.index("open_call")
    return People(
        potential=potential,
        integrity=integrity,
        external_category=category.astype(np.int8),
        gender=draw_gender(rng, n, 0.6),
        ethnicity=ethnicity,
        religion=religion,
        nationality=nationality,
        party=party,
        party_join=np.where(party, join, NO_DATE).astype(np.int32),
        hometown=hometown,
        birth=birth,
        hire=np.full(n, NO_DATE, dtype=np.int32),
        unit=np.full(n, -1, dtype=np.int32),
        education=education,
        field=field.astype(np.int8),
        channel=channel.astype(np.int8),
        languages=external_languages(rng, potential, _native_language(nationality), foreigner),
        years_experience=years_experience,
    )


def external_awards(config: SynthConfig, people: People, offset: int) -> dict[str, np.ndarray]:
    """Science prizes and Prime Minister's certificates, likelier with higher potential."""
    rng = stream(config.seed, "external-awards")
    n = len(people)
    won = np.flatnonzero(rng.random(n) < 1 / (1 + np.exp(1.6 - 0.8 * people.potential)))
    science = rng.random(len(won)) < 0.6
    end_day = day_number(config.end_date)
    earliest = np.maximum(people.birth[won] + years_to_days(25), end_day - years_to_days(6))
    return {
        "person": (won + offset).astype(np.int32),
        "day": uniform_days(rng, earliest, np.full(len(won), end_day)),
        "kind": np.where(
            science, v.AWARD_KINDS.index("other"), v.AWARD_KINDS.index("merit_certificate")
        ),
        "level": np.full(len(won), v.AWARD_LEVELS.index("national")),
        "title": np.where(science, 4, 5).astype(np.int8),  # reference.AWARD_TITLES
    }
