"""A night on an extract with blank and unmapped protected attributes and a pool nobody can
enter: it publishes, counts "unknown" as a group, keeps the extract's own categories, and says
why the empty pool is empty (in the published pool and in `hientai explain`)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hientai.settings import load_settings
from pipelines.results_db import ResultsDB
from tests.conftest import FIRST_NIGHT

pytestmark = pytest.mark.xdist_group("prefect")

NOBODY_POOL = "nobody-under-18"
NOBODY = f"""
    - pool_id: {NOBODY_POOL}
      title: Cadres under 18 (nobody)
      population: internal
      max_age: 18
"""
STANDING = f"""
nightly:
  standing_pools:
    - pool_id: national-young-talent
      title: National young-talent pool
      population: internal
      max_age: 40
      min_education: bachelor
      k: 20
    - pool_id: external-talent
      title: External-talent pool
      population: external
      k: 20
{NOBODY}"""


def _night(
    world: tuple[Path, Path], root: Path, tables: dict[str, pd.DataFrame], standing: str
) -> tuple[Path, dict]:
    """One night of ``tables`` in a data folder of its own sharing the world's champion."""
    from pipelines.nightly import nightly

    extract, data = root / "extract", root / "data"
    extract.mkdir()
    data.mkdir()
    for name, frame in tables.items():
        frame.to_parquet(extract / f"{name}.parquet", index=False)
    shutil.copy(load_settings(world[0]).data_dir / "mlflow.db", data / "mlflow.db")
    config = root / "conf.yaml"
    config.write_text(f"data_dir: {data}\ntoday: 2026-06-01\n{standing}", encoding="utf-8")
    return config, nightly(extract=str(extract), as_of=FIRST_NIGHT, config=str(config))


def _tables(world: tuple[Path, Path]) -> dict[str, pd.DataFrame]:
    return {t.stem: pd.read_parquet(t) for t in world[1].parent.parent.glob("*.parquet")}


@pytest.fixture(scope="module")
def blank_night(
    first_training: dict,
    trained_world: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, pd.DataFrame, dict]:
    """The trained world's extract with ethnicity unmapped and a third of nationalities blank."""
    tables = _tables(trained_world)
    people = tables["people"]
    blank = np.arange(len(people)) % 3 == 0
    people = people.drop(columns=["ethnicity"]).assign(
        nationality=people["nationality"].astype(object).mask(blank, None)
    )
    root = tmp_path_factory.mktemp("blank-night")
    config, night = _night(trained_world, root, {**tables, "people": people}, STANDING)
    return config, people, night


def _published(config: Path) -> dict[str, pd.DataFrame]:
    db = ResultsDB(load_settings(config).app_db_url)
    run = db.run(FIRST_NIGHT)
    assert run is not None
    return {t: db.read(t, run["run_id"]) for t in ("pools", "entries", "fairness")}


def test_blank_and_unmapped_attributes_are_counted_as_unknown(
    blank_night: tuple[Path, pd.DataFrame, dict],
) -> None:
    config, people, night = blank_night
    got = _published(config)
    fairness, entries = got["fairness"], got["entries"]
    assert night["counts"]["shortlisted"] > 0
    run = fairness.loc[fairness["pool_id"].isna() & (fairness["metric"] != "ndkl")]

    def groups(attribute: str) -> set[str]:
        return set(run.loc[run["attribute"] == attribute, "group"])

    assert groups("ethnicity") == groups("ethnicity_majority") == {"unknown"}
    codes = set(people["nationality"].dropna())
    nationality = groups("nationality")
    assert "unknown" in nationality and "VN" in nationality and nationality <= codes | {"unknown"}
    assert len(nationality) > 2  # the extract's own codes, not VN / foreign
    assert groups("nationality_vn") == {"VN", "foreign", "unknown"}
    # Per shortlist, the unknown group's places are those of the people left blank (by hand).
    blank_ids = set(people.loc[people["nationality"].isna(), "person_id"].astype(str))
    listed = entries.loc[entries["in_shortlist"].astype(bool)]
    places = listed.assign(blank=listed["person_id"].isin(blank_ids)).groupby("pool_id")["blank"]
    unknown = fairness.loc[
        (fairness["attribute"] == "nationality")
        & (fairness["group"] == "unknown")
        & (fairness["metric"] == "skew_at_k")
        & fairness["pool_id"].notna()
    ].set_index("pool_id")["n_selected"]
    by_hand = places.sum().astype(int)
    pooled = by_hand.index.isin(unknown.index)  # a pool without blanks has no unknown row
    assert unknown.to_dict() == by_hand[pooled].to_dict() and (by_hand[~pooled] == 0).all()
    assert unknown.sum() > 0


def test_a_pool_with_nobody_eligible_is_published_and_explained(
    blank_night: tuple[Path, pd.DataFrame, dict],
) -> None:
    from pipelines.explain_person import explain_person

    config, _, night = blank_night
    got = _published(config)
    pool = got["pools"].set_index("pool_id").loc[NOBODY_POOL]
    assert pool["n_eligible"] == 0 and pool["n_qualified"] == 0
    note = json.loads(pool["rules"])[-1]
    assert note.startswith("nobody is eligible tonight: of the ")
    assert note.endswith("in scope (internal cadre), none meets 'younger than 18'")
    assert NOBODY_POOL not in set(got["entries"]["pool_id"])
    assert night["counts"]["shortlisted"] > 0  # the other pools are listed and explained
    person = str(got["entries"]["person_id"].iloc[0])
    found = explain_person(load_settings(config), person, pool_id=NOBODY_POOL)
    status = found["pool"]
    assert status["n_eligible"] == 0
    assert status["note"] == note.replace("tonight", f"for {NOBODY_POOL} tonight", 1)
    assert not status["eligible"] and status["failed_rules"] == ["younger than 18"]
    assert [r["rule"] for r in status["rules"]][-1] == "younger than 18"
    assert all(r["met"] for r in status["rules"][:-1])
    assert status["cutoff_score"] is None and not status["on_shortlist"]


def test_a_night_where_no_pool_has_anyone_eligible_publishes_empty_shortlists(
    first_training: dict, trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    """An extract without positions (as WNS or IBM) and one impossible standing pool: the
    explain stage has no one to explain and must not ask the model about an empty table."""
    tables = {n: f for n, f in _tables(trained_world).items() if n != "positions"}
    config, night = _night(trained_world, tmp_path, tables, f"nightly:\n  standing_pools:{NOBODY}")
    assert night["counts"]["pools"] == 1 and night["counts"]["shortlisted"] == 0
    assert night["counts"]["explanations"] == 0
    got = _published(config)
    assert got["entries"].empty and got["fairness"].empty
    note = json.loads(got["pools"].set_index("pool_id").loc[NOBODY_POOL, "rules"])[-1]
    assert note.startswith("nobody is eligible tonight: ")
