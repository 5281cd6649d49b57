"""Internal cadres: latent truth, protected attributes and CV fields at entry.

Potential and integrity are drawn first, from their own random streams and from nothing else,
so talent is distributed equally across every protected group by construction. Everything that
depends on potential later (education, signals, careers) does so through explicit noise.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import reference as ref
from hientai.synth.config import SynthConfig
from hientai.synth.encode import NO_DATE, day_number, sigmoid, stream, years_to_days
from hientai.synth.languages import internal_languages
from hientai.synth.orgs import COMMUNE, Orgs

ETHNICITIES: tuple[str, ...] = (
    ref.KINH,
    *sorted({g for groups in ref.MINORITIES_BY_REGION.values() for g in groups}),
)
KINH_CODE = 0
NATIONALITIES: tuple[str, ...] = ("VN", *ref.FOREIGN_NATIONALITIES)
FIELDS: tuple[str, ...] = (*ref.FIELDS, *ref.EXTERNAL_FIELDS)
INTERNAL_CHANNELS = ("exam", "selection", "transfer", "talent_attraction")
EXTERNAL_CHANNELS = ("open_call", "referral", "headhunting")
CHANNELS: tuple[str, ...] = (*INTERNAL_CHANNELS, *EXTERNAL_CHANNELS)
FEMALE, MALE, OTHER = (v.GENDERS.index(g) for g in ("female", "male", "other"))
EDU = {level: i for i, level in enumerate(v.EDUCATION_LEVELS)}
RETIREMENT_AGE = 60
_WORK_PROVINCE_IS_HOMETOWN = 0.85


@dataclass
class People:
    """Person attributes as parallel arrays (internal people first, then external)."""

    potential: np.ndarray  # float64, latent truth
    integrity: np.ndarray  # float64, latent truth
    external_category: np.ndarray  # int8 code into vocab.EXTERNAL_CATEGORIES, -1 internal
    gender: np.ndarray  # int8 code into vocab.GENDERS
    ethnicity: np.ndarray  # int16 code into ETHNICITIES, -1 unknown / not applicable
    religion: np.ndarray  # int8 code into reference.RELIGIONS, -1 unknown
    nationality: np.ndarray  # int8 code into NATIONALITIES
    party: np.ndarray  # bool: a member by end_date
    party_join: np.ndarray  # int32 day, NO_DATE for non-members
    hometown: np.ndarray  # int16 index into reference.PROVINCES, -1 not applicable
    birth: np.ndarray  # int32 day
    hire: np.ndarray  # int32 day of entry into the public service, NO_DATE for external
    unit: np.ndarray  # int32 first unit, -1 for external
    education: np.ndarray  # int8 code into vocab.EDUCATION_LEVELS
    field: np.ndarray  # int8 code into FIELDS
    channel: np.ndarray  # int8 code into CHANNELS
    languages: np.ndarray  # int16 (n, 3) token codes into languages.TOKENS, -1 empty
    years_experience: np.ndarray  # float64, NaN for internal people

    def __len__(self) -> int:
        return len(self.potential)

    @staticmethod
    def concat(first: People, second: People) -> People:
        merged = {
            f.name: np.concatenate([getattr(first, f.name), getattr(second, f.name)])
            for f in fields(People)
        }
        return People(**merged)


def draw_latent(config: SynthConfig, count: int, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Potential and integrity: N(0, 1), independent of each other and of everything else."""
    potential = stream(config.seed, "potential").standard_normal(offset + count)[offset:]
    integrity = stream(config.seed, "integrity").standard_normal(offset + count)[offset:]
    return potential, integrity


def province_weights(capital_boost: float = 1.0) -> np.ndarray:
    population = np.array([p.population_m for p in ref.PROVINCES])
    population[[p.code for p in ref.PROVINCES].index(ref.CAPITAL_CODE)] *= capital_boost
    return population / population.sum()


def draw_ethnicity(rng: np.random.Generator, hometown: np.ndarray, scale: float) -> np.ndarray:
    """Kinh or one of the hometown region's minority groups (most frequent groups likelier)."""
    share = np.array([p.minority_share for p in ref.PROVINCES])[hometown.clip(0)] * scale
    minority = rng.random(len(hometown)) < share
    ethnicity = np.zeros(len(hometown), dtype=np.int16)
    regions = np.array([p.region for p in ref.PROVINCES])[hometown.clip(0)]
    for region, groups in ref.MINORITIES_BY_REGION.items():
        pick = minority & (regions == region)
        weights = 1.0 / np.arange(1, len(groups) + 1)
        choice = rng.choice(len(groups), pick.sum(), p=weights / weights.sum())
        ethnicity[pick] = np.array([ETHNICITIES.index(g) for g in groups])[choice]
    return ethnicity


def draw_religion(rng: np.random.Generator, ethnicity: np.ndarray) -> np.ndarray:
    religion = rng.choice(len(ref.RELIGIONS), len(ethnicity), p=ref.RELIGION_SHARES)
    khmer = ethnicity == ETHNICITIES.index("Khmer")
    religion[khmer & (rng.random(len(ethnicity)) < 0.9)] = ref.RELIGIONS.index("Phật giáo")
    return religion.astype(np.int8)


def draw_gender(rng: np.random.Generator, count: int, male_share: float) -> np.ndarray:
    shares = [1.0 - male_share - 0.001, male_share, 0.001]
    return rng.choice([FEMALE, MALE, OTHER], count, p=shares).astype(np.int8)


def _hometowns(rng: np.random.Generator, orgs: Orgs, unit: np.ndarray) -> np.ndarray:
    """Provincial staff mostly come from their work province; central staff from anywhere."""
    work_province = orgs.province[unit]
    elsewhere = rng.choice(len(ref.PROVINCES), len(unit), p=province_weights()).astype(np.int16)
    capital_heavy = rng.choice(len(ref.PROVINCES), len(unit), p=province_weights(4.0))
    local = (work_province >= 0) & (rng.random(len(unit)) < _WORK_PROVINCE_IS_HOMETOWN)
    hometown = np.where(work_province >= 0, elsewhere, capital_heavy).astype(np.int16)
    hometown[local] = work_province[local]
    return hometown


def _education(rng: np.random.Generator, potential: np.ndarray, recruit: np.ndarray) -> np.ndarray:
    """Highest degree: weakly linked to potential, younger cohorts more educated."""
    latent = 0.35 * potential + 0.3 * recruit + rng.standard_normal(len(potential))
    shares = {"upper_secondary": 0.02, "vocational": 0.03, "college": 0.06, "bachelor": 0.66}
    cuts = np.quantile(latent, np.cumsum(list(shares.values())))
    level = np.searchsorted(cuts, latent) + EDU["upper_secondary"]
    doctorate = latent > np.quantile(latent, 0.98)
    return np.where(doctorate, EDU["doctorate"], level).astype(np.int8)


def _ages(rng: np.random.Generator, count: int, recruit: np.ndarray) -> tuple[np.ndarray, ...]:
    """(age at window start or at hire, age at hire) in years."""
    stock_age = 23.0 + 36.9 * rng.beta(1.3, 1.2, count)
    entry_age = 22.0 + rng.gamma(1.6, 2.0, count)
    stock_entry = np.minimum(entry_age, stock_age - 0.2).clip(min=22.0)
    return np.where(recruit, entry_age.clip(max=40.0), stock_age), np.where(
        recruit, entry_age.clip(max=40.0), stock_entry
    )


def _party(
    rng: np.random.Generator, birth: np.ndarray, end_day: int
) -> tuple[np.ndarray, np.ndarray]:
    """Membership rises with age (never with potential); join at 22-45, before end_date."""
    age_end = (end_day - birth) / 365.25
    member = rng.random(len(birth)) < sigmoid(-1.15 + 0.085 * (age_end - 35.0))
    join_age = 22.0 + rng.random(len(birth)) * (np.minimum(age_end, 45.0) - 22.0).clip(min=0.1)
    join = (birth + years_to_days(join_age)).clip(max=end_day)
    return member, np.where(member, join, NO_DATE).astype(np.int32)


def _entry(rng: np.random.Generator, config: SynthConfig) -> tuple[np.ndarray, ...]:
    """(recruit, hire day, birth day): the stock was hired before the window, recruits in it
    (about as many as leave, so the workforce stays roughly stable)."""
    n = config.n_people
    window_start = day_number(config.end_date.replace(year=config.first_year, month=1, day=1))
    end_day = day_number(config.end_date)
    recruit = rng.random(n) < 1.0 - 1.0 / (1.0 + 0.045 * config.years)
    age, entry_age = _ages(rng, n, recruit)
    hire_recruit = window_start + np.floor(rng.random(n) * (end_day - window_start + 1))
    hire = np.where(recruit, hire_recruit, window_start - years_to_days(age - entry_age) - 1)
    birth = hire - years_to_days(entry_age)
    return recruit, hire.astype(np.int32), birth.astype(np.int32)


def build_internal(config: SynthConfig, orgs: Orgs) -> People:
    """The internal workforce of the whole window: the initial stock and later recruits."""
    n = config.n_people
    rng = stream(config.seed, "population")
    potential, integrity = draw_latent(config, n, 0)
    recruit, hire, birth = _entry(rng, config)
    unit = rng.choice(len(orgs), n, p=orgs.people_weight).astype(np.int32)
    hometown = _hometowns(rng, orgs, unit)
    ethnicity = draw_ethnicity(rng, hometown, 1.0)
    central = orgs.province[unit] < 0
    ethnicity[central & (rng.random(n) < 0.5)] = KINH_CODE  # fewer minorities at the centre
    party, party_join = _party(rng, birth, day_number(config.end_date))
    education = _education(rng, potential, recruit)
    channel = rng.choice(3, n, p=[0.78, 0.15, 0.07])
    talent = recruit & (education >= EDU["master"]) & (rng.random(n) < 0.3)
    return People(
        potential=potential,
        integrity=integrity,
        external_category=np.full(n, -1, dtype=np.int8),
        gender=draw_gender(rng, n, 0.55),
        ethnicity=ethnicity,
        religion=draw_religion(rng, ethnicity),
        nationality=np.zeros(n, dtype=np.int8),
        party=party,
        party_join=party_join,
        hometown=hometown,
        birth=birth,
        hire=hire,
        unit=unit,
        education=education,
        field=rng.choice(len(ref.FIELDS), n, p=ref.FIELD_SHARES).astype(np.int8),
        channel=np.where(talent, CHANNELS.index("talent_attraction"), channel).astype(np.int8),
        languages=internal_languages(
            rng, potential, education, (day_number(config.end_date) - birth) / 365.25
        ),
        years_experience=np.full(n, np.nan),
    )


def is_commune(orgs: Orgs, unit: np.ndarray) -> np.ndarray:
    return orgs.kind[unit] == COMMUNE
