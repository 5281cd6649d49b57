"""Generate a whole synthetic national extract in memory (no file I/O)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from hientai.contract import vocab as v
from hientai.synth import events as ev
from hientai.synth.assessments import external_assessments, recruit_assessments
from hientai.synth.careers import simulate_careers
from hientai.synth.config import SynthConfig
from hientai.synth.courses import extra_trainings
from hientai.synth.encode import categories, stream
from hientai.synth.external import build_external, external_awards
from hientai.synth.feedback import surveys, votes
from hientai.synth.frames import organizations_frame, people_frame, person_ids, positions_frame
from hientai.synth.orgs import build_orgs
from hientai.synth.population import People, build_internal
from hientai.synth.positions import build_positions
from hientai.synth.signals import awards, evaluations, outputs, unit_effects
from hientai.synth.state import Records, World

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SyntheticExtract:
    """The contract tables of one synthetic extract, and the latent truth behind them.

    ``truth`` (potential, integrity) must never reach feature or model code: it exists to
    measure how well the pipeline recovers talent, and is written apart from the tables.
    """

    config: SynthConfig
    tables: dict[str, pd.DataFrame]
    truth: pd.DataFrame

    @property
    def row_counts(self) -> dict[str, int]:
        return {name: len(frame) for name, frame in self.tables.items()}


def _quiet(_: str) -> None:
    return None


def generate_extract(config: SynthConfig, *, progress: Progress | None = None) -> SyntheticExtract:
    """Simulate ``config.years`` years of a national civil service; same config, same tables."""
    say = progress or _quiet
    orgs = build_orgs(config.n_people, config.people_per_unit, config.seed)
    posts = build_positions(orgs, end_year=config.end_date.year)
    world = World.build(config, orgs, posts, build_internal(config, orgs))
    say(f"{len(orgs):,} units, {len(posts):,} posts and planning slots")
    st, rec = simulate_careers(world, say)
    external = build_external(config, offset=config.n_people)
    people = People.concat(world.people, external)
    ids = person_ids(len(people))
    keys = ev.Keys(ids, orgs.org_id, posts)
    tables = {
        "organizations": organizations_frame(orgs),
        "people": people_frame(config.seed, people, config.n_people, st, keys.org),
        "positions": positions_frame(posts, keys.org, st.holder),
        **_event_tables(world, rec, external, keys, say),
    }
    say("tables assembled")
    truth = _truth(ids, people, config.n_people)
    return SyntheticExtract(config=config, tables=tables, truth=truth)


def _event_tables(
    world: World, rec: Records, external: People, keys: ev.Keys, say: Progress
) -> dict[str, pd.DataFrame]:
    """Careers, signals, trainings and the rest, from the simulation's records."""
    seed, n_internal = world.config.seed, world.config.n_people
    panel, spells = Records.stack(rec.panel), Records.stack(rec.spells)
    say(f"careers done: {len(spells['person']):,} spells; deriving signals")
    evaluation = evaluations(world, panel, unit_effects(world, stream(seed, "units")))
    assessed = [
        recruit_assessments(world),
        external_assessments(world, external.potential, n_internal),
    ]
    awarded = [
        awards(world, panel, evaluation),
        external_awards(world.config, external, n_internal),
    ]
    return {
        "assignments": ev.assignments_frame(spells, world.posts, keys),
        "evaluations": ev.evaluations_frame(evaluation, keys),
        "confidence_votes": ev.votes_frame(votes(world, panel), keys),
        "surveys_360": ev.surveys_frame(surveys(world, panel), keys),
        "outputs": ev.outputs_frame(outputs(world, panel), keys),
        "trainings": ev.trainings_frame(rec, extra_trainings(world, spells, panel), keys),
        "assessments": ev.assessments_frame(assessed, keys),
        "disciplines": ev.disciplines_frame(rec, keys),
        "awards": ev.awards_frame(awarded, keys),
    }


def _truth(ids: pd.Series, people: People, n_internal: int) -> pd.DataFrame:
    internal = np.arange(len(people)) < n_internal
    return pd.DataFrame(
        {
            "person_id": ids,
            "population": categories(v.POPULATIONS, np.where(internal, 0, 1)),
            "potential": people.potential,
            "integrity": people.integrity,
        }
    )
