"""Annual signals from the person-year panel: ratings, concrete outputs and awards.

Ratings are inflated and only weakly linked to potential (most cadres are rated good or better;
the unit and the rater matter as much as the person). Concrete outputs (KPI achievement,
product quality and timeliness) are the stronger, less gamed signal.
"""

from __future__ import annotations

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import reference as ref
from hientai.synth.encode import december_31, sigmoid, stream, uniform_days
from hientai.synth.state import Chunk, World

RATING = {r: i for i, r in enumerate(v.RATINGS)}
_UNIT_RATING_SHARES = {"not_completed": 0.02, "completed": 0.10, "good": 0.58}
# Persistent, potential-free parts of each signal: how well a cadre gets on with the raters
# (ratings), and how demanding their job and their unit's targets are (outputs). They keep
# averages over many years from revealing potential exactly.
_RAPPORT_WEIGHT = 0.8
_JOB_WEIGHT, _UNIT_TARGET_WEIGHT, _OUTPUT_NOISE = 1.1, 0.6, 1.5
_KPI_TARGETS = np.array([10.0, 12.0, 20.0, 24.0, 30.0, 50.0, 100.0, 120.0, 200.0])
AWARD_KINDS = {k: i for i, k in enumerate(v.AWARD_KINDS)}
AWARD_LEVELS = {k: i for i, k in enumerate(v.AWARD_LEVELS)}


def _rated(world: World, panel: Chunk) -> np.ndarray:
    """Rated in December: in service on 30 June of a year that ended within the extract."""
    return panel["active_mid"] & (december_31(panel["year"]) <= world.end_day)


def unit_effects(world: World, rng: np.random.Generator) -> np.ndarray:
    """How well each unit did each year (standard normal), shared by its ratings."""
    return rng.standard_normal((len(world.orgs), world.config.years))


def _cut(latent: np.ndarray, groups: np.ndarray, shares_low_to_high: list[float]) -> np.ndarray:
    """Rating code (0 = excellent ... 3 = not_completed) from per-group latent quantiles."""
    code = np.zeros(len(latent), dtype=np.int8)
    for g in np.unique(groups):
        at = groups == g
        cuts = np.quantile(latent[at], np.cumsum(shares_low_to_high))
        code[at] = 3 - np.searchsorted(cuts, latent[at])
    return code


def evaluations(world: World, panel: Chunk, effects: np.ndarray) -> Chunk:
    """Individual ratings (inflated: configured shares per year, from a latent in which
    potential weighs little) and the unit's collective rating that year."""
    b = world.config.biases
    rng = stream(world.config.seed, "evaluations")
    rows = np.flatnonzero(_rated(world, panel))
    person, year, org = panel["person"][rows], panel["year"][rows], panel["org"][rows]
    unit_effect = effects[org, year - world.config.first_year]
    leader = panel["post"][rows] >= 0
    rapport = stream(world.config.seed, "rating-rapport").standard_normal(len(world.people))
    latent = (
        b.rating_potential_weight * world.people.potential[person]
        + _RAPPORT_WEIGHT * rapport[person]
        + 0.35 * unit_effect
        + 0.3 * leader
        + rng.standard_normal(len(rows))
    )
    completed = 1.0 - b.rating_not_completed_share - b.rating_good_share - b.rating_excellent_share
    shares = [b.rating_not_completed_share, completed, b.rating_good_share]
    unit_rating = _unit_ratings(world, effects, rng)[org, year - world.config.first_year]
    return {
        "person": person,
        "year": year,
        "org": org,
        "rating": _cut(latent, year, shares),
        "rated": rng.random(len(rows)) >= 0.01,  # a few are not rated (long leave)
        "unit_rating": unit_rating,
        "in_service_at_end": panel["active_end"][rows],
    }


def _unit_ratings(world: World, effects: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    latent = effects + 0.5 * rng.standard_normal(effects.shape)
    years = np.broadcast_to(np.arange(effects.shape[1]), effects.shape)
    flat = _cut(latent.ravel(), years.ravel(), list(_UNIT_RATING_SHARES.values()))
    return flat.reshape(effects.shape)


def outputs(world: World, panel: Chunk) -> Chunk:
    """One or two outputs per person-year (June and December), KPI or product."""
    rng = stream(world.config.seed, "outputs")
    mid_year = panel["active_mid"] & (
        ~panel["active_end"] | (rng.random(len(panel["year"])) < 0.5)
    )
    rows = np.concatenate([np.flatnonzero(mid_year), np.flatnonzero(panel["active_end"])])
    person, year, org = panel["person"][rows], panel["year"][rows], panel["org"][rows]
    period_end = december_31(year)
    period_end[: mid_year.sum()] -= 184  # 30 June
    job = stream(world.config.seed, "output-job").standard_normal(len(world.people))
    unit = stream(world.config.seed, "output-unit").standard_normal(len(world.orgs))
    performance = (
        world.people.potential[person]
        + _JOB_WEIGHT * job[person]
        + _UNIT_TARGET_WEIGHT * unit[org]
        + _OUTPUT_NOISE * rng.standard_normal(len(rows))
    )
    kpi_person = stream(world.config.seed, "output-kind").random(len(world.people)) < 0.55
    kpi = kpi_person[person] ^ (rng.random(len(rows)) < 0.2)
    target = _KPI_TARGETS[rng.integers(0, len(_KPI_TARGETS), len(rows))]
    ratio = np.exp(0.04 + 0.08 * performance)
    quality = (3.3 + 0.25 * performance).clip(1, 5)
    on_time = rng.random(len(rows)) < sigmoid(1.5 + 0.4 * performance)
    n_kpi, n_product = len(ref.OUTPUT_DESCRIPTIONS_KPI), len(ref.OUTPUT_DESCRIPTIONS_PRODUCT)
    description = np.where(
        kpi, rng.integers(0, n_kpi, len(rows)), n_kpi + rng.integers(0, n_product, len(rows))
    )
    return {
        "person": person,
        "period_end": period_end.astype(np.int32),
        "kpi": kpi,
        "target": np.where(kpi, target, np.nan),
        "achieved": np.where(kpi, np.round(target * ratio, 1), np.nan),
        "quality": np.where(kpi, np.nan, np.round(quality, 1)),
        "on_time": on_time,
        "description": description.astype(np.int8),
    }


def awards(world: World, panel: Chunk, evaluation: Chunk) -> Chunk:
    """Emulation titles follow excellent ratings; certificates and medals follow potential and,
    mildly, Party membership and seniority."""
    rng = stream(world.config.seed, "awards")
    person, year = evaluation["person"], evaluation["year"]
    potential = world.people.potential[person]
    party = world.people.party[person] & (world.people.party_join[person] <= december_31(year))
    excellent = evaluation["rated"] & (evaluation["rating"] == RATING["excellent"])
    present = evaluation["in_service_at_end"]
    service = (december_31(year) - world.people.hire[person]) / 365.25
    u = rng.random((4, len(person)))
    chances = (
        ("emulation_title", "unit", 0, excellent & (u[0] < 0.35 + 0.1 * party)),
        ("merit_certificate", "ministry_province", 1,
         u[1] < sigmoid(-4.0 + 0.5 * potential + 0.4 * party + 0.8 * excellent)),
        ("medal", "national", 2, (service >= 20) & (service < 21) & (u[2] < 0.6)),
        ("merit_certificate", "national", 5,
         u[3] < sigmoid(-6.5 + 0.6 * potential + 0.4 * party + 0.8 * excellent)),
    )  # fmt: skip
    chunks = []
    for kind, level, title, won in chances:
        idx = np.flatnonzero(won & present)
        chunks.append((idx, kind, level, title))
    rows = np.concatenate([c[0] for c in chunks])
    last = np.minimum(december_31(year[rows]), world.end_day)
    return {
        "person": person[rows],
        "day": uniform_days(rng, last - 20, last),
        "kind": np.concatenate([np.full(len(c[0]), AWARD_KINDS[c[1]]) for c in chunks]),
        "level": np.concatenate([np.full(len(c[0]), AWARD_LEVELS[c[2]]) for c in chunks]),
        "title": np.concatenate([np.full(len(c[0]), c[3]) for c in chunks]).astype(np.int8),
    }
