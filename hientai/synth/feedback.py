"""Multi-rater (360) surveys and votes of confidence: other people's opinions of a cadre.

Both follow potential, but through raters: each (unit, rater role) has its own leniency,
self-ratings are inflated, and confidence votes favour cadres who lead their home province.
"""

from __future__ import annotations

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import orgs as o
from hientai.synth.encode import december_31, sigmoid, stream, uniform_days
from hientai.synth.population import is_commune
from hientai.synth.state import GRADE, Chunk, World

ROLE = {r: i for i, r in enumerate(v.RATER_ROLES)}
BODY = {b: i for i, b in enumerate(v.VOTING_BODIES)}
# Raters per role: (fewest, most).
_RATERS = {"superior": (1, 3), "peer": (3, 10), "subordinate": (4, 25), "self": (1, 1),
           "citizen": (10, 40)}  # fmt: skip
_DIMENSION_BASE = np.array([3.95, 3.9, 3.75, 3.7, 3.55])  # easier dimensions score higher
_PARTY_TITLES = ("party_secretary", "deputy_party_secretary")
_COUNCIL_TITLES = ("committee_chair", "committee_vice_chair", "council_chair")


def _every(panel: Chunk, rows: np.ndarray, years: int) -> np.ndarray:
    """Rows falling on the person's own cycle of ``years`` (phase set by the person)."""
    return rows[(panel["year"][rows] + panel["person"][rows]) % years == 0]


def _survey_takes(
    world: World, panel: Chunk, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(panel row, rater role, survey day) of every survey row: every two years for leaders
    and senior grades; superior, peer and self always, subordinates for leaders, citizens
    for half the commune leaders."""
    senior = panel["grade"] >= GRADE["principal_specialist"]
    rows = _every(panel, np.flatnonzero(panel["active_end"] & ((panel["post"] >= 0) | senior)), 2)
    leader = panel["post"][rows] >= 0
    citizen = leader & is_commune(world.orgs, panel["org"][rows])
    citizen &= rng.random(len(rows)) < 0.5
    closes = december_31(panel["year"][rows])
    day = uniform_days(rng, closes - 60, closes - 20)
    everyone = np.ones(len(rows), dtype=bool)
    takes = [
        (ROLE["superior"], everyone),
        (ROLE["peer"], everyone),
        (ROLE["subordinate"], leader),
        (ROLE["self"], everyone),
        (ROLE["citizen"], citizen),
    ]
    at = np.concatenate([np.flatnonzero(m) for _, m in takes])
    role = np.concatenate([np.full(m.sum(), r, dtype=np.int8) for r, m in takes])
    return rows[at], role, day[at]


def surveys(world: World, panel: Chunk) -> Chunk:
    """Mean scores per rater role: potential, plus a personal halo, the leniency of the unit's
    raters in that role, self-inflation, the occasion, and rater noise."""
    rng = stream(world.config.seed, "surveys")
    b = world.config.biases
    rows, role, day = _survey_takes(world, panel, rng)
    person, org = panel["person"][rows], panel["org"][rows]
    leniency = b.rater_leniency_sd * rng.standard_normal((len(world.orgs), len(v.RATER_ROLES)))
    low, high = (np.array([_RATERS[r][i] for r in v.RATER_ROLES]) for i in (0, 1))
    n_raters = rng.integers(low[role], high[role] + 1)
    occasion = 0.25 * rng.standard_normal(len(panel["person"]))[rows]
    halo = stream(world.config.seed, "survey-halo").standard_normal(len(world.people))
    shift = (
        0.28 * world.people.potential[person]
        + 0.3 * halo[person]
        + leniency[org, role]
        + b.self_rating_inflation * (role == ROLE["self"])
        + occasion
    )
    spread = 0.6 / np.sqrt(n_raters)[:, None]
    noise = spread * rng.standard_normal((len(rows), len(_DIMENSION_BASE)))
    scores = np.round((_DIMENSION_BASE + shift[:, None] + noise).clip(1, 5), 2)
    scores[panel["post"][rows] < 0, -1] = np.nan  # leadership capacity: leaders only
    return {"person": person, "day": day, "role": role, "n_raters": n_raters, "scores": scores}


def _voting_body(world: World, post: np.ndarray) -> np.ndarray:
    title = np.array(v.TITLE_CODES)[world.posts.title_code[post]]
    kind = world.post_kind[post]
    return np.select(
        [
            np.isin(title, _PARTY_TITLES),
            title == "minister",
            np.isin(kind, (o.PROVINCE, o.COMMUNE)) & np.isin(title, _COUNCIL_TITLES),
        ],
        [BODY["party_committee"], BODY["national_assembly"], BODY["peoples_council"]],
        BODY["unit_collective"],
    ).astype(np.int8)


def _voters(rng: np.random.Generator, body: np.ndarray, commune: np.ndarray) -> np.ndarray:
    low = np.select(
        [body == BODY["national_assembly"], commune, body == BODY["unit_collective"]],
        [470, 15, 15],
        30,
    )
    span = np.select([body == BODY["national_assembly"], commune], [20, 20], 60)
    return low + rng.integers(0, span + 1)


def votes(world: World, panel: Chunk) -> Chunk:
    """Every three years for leaders a year or more in post; locals get more "high" votes."""
    rng = stream(world.config.seed, "votes")
    b = world.config.biases
    leader = panel["active_end"] & (panel["post"] >= 0)
    in_post = december_31(panel["year"]) - panel["post_since"] >= 365
    rows = _every(panel, np.flatnonzero(leader & in_post), 3)
    person, org, post = panel["person"][rows], panel["org"][rows], panel["post"][rows]
    body = _voting_body(world, post)
    n_voters = _voters(rng, body, is_commune(world.orgs, org))
    potential = world.people.potential[person]
    local = world.local(org, person)
    p_high = sigmoid(
        1.3
        + 0.4 * potential
        + b.vote_locality_favouritism * local
        + 0.45 * rng.standard_normal(len(rows))
    )
    p_low = sigmoid(-2.0 - 0.3 * potential + 0.4 * rng.standard_normal(len(rows)))
    high = rng.binomial(n_voters, p_high)
    low = rng.binomial(n_voters - high, p_low)
    year_end = december_31(panel["year"][rows])
    return {
        "person": person,
        "day": uniform_days(rng, year_end - 80, year_end - 10),
        "body": body,
        "n_voters": n_voters,
        "high": high / n_voters,
        "low": low / n_voters,
        "medium": (n_voters - high - low) / n_voters,
    }
