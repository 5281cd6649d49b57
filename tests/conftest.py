"""Shared fixtures: a tiny hand-written extract in contract form, and isolated settings."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from hientai.ingest import run_batch
from hientai.settings import Settings, load_settings
from hientai.synth import SynthConfig, generate_extract, write_extract

TODAY = dt.date(2026, 1, 15)
N_PEOPLE = 20


def tiny_tables() -> dict[str, pd.DataFrame]:
    """A valid extract: 3 units, 20 people, a year of ratings, trainings and one vote each."""
    orgs = pd.DataFrame(
        {
            "org_id": ["C1", "P1", "X1"],
            "name": ["Bộ Nội vụ", "Ủy ban nhân dân tỉnh Lào Cai", "Xã Sa Pa"],
            "level": ["central", "province", "commune"],
            "parent_id": [None, None, "P1"],
            "province_code": [None, "LCI", "LCI"],
        }
    )
    ids = [f"P{i:03d}" for i in range(N_PEOPLE)]
    people = pd.DataFrame(
        {
            "person_id": ids,
            "population": ["internal"] * (N_PEOPLE - 2) + ["external"] * 2,
            "full_name": [f"Nguyễn Văn {chr(65 + i)}" for i in range(N_PEOPLE)],
            "birth_date": [f"19{80 + i % 15}-0{1 + i % 9}-15" for i in range(N_PEOPLE)],
            "gender": ["female", "male"] * (N_PEOPLE // 2),
            "party_member": ["true", "false"] * (N_PEOPLE // 2),
            "education_level": ["bachelor"] * N_PEOPLE,
            "hire_date": ["2010-03-01"] * (N_PEOPLE - 2) + [None, None],
            "current_org_id": ["X1", "P1"] * ((N_PEOPLE - 2) // 2) + [None, None],
            "external_category": [None] * (N_PEOPLE - 2) + ["expert", "foreigner"],
        }
    )
    evaluations = pd.DataFrame(
        {
            "person_id": ids[:-2],
            "year": [2024] * (N_PEOPLE - 2),
            "rating": (["good", "excellent", "completed"] * N_PEOPLE)[: N_PEOPLE - 2],
            "org_id": ["X1"] * (N_PEOPLE - 2),
        }
    )
    trainings = pd.DataFrame(
        {
            "training_id": [f"T{i}" for i in range(N_PEOPLE)],
            "person_id": ids,
            "category": ["political_theory", "foreign_language"] * (N_PEOPLE // 2),
            "level": ["intermediate", "B2"] * (N_PEOPLE // 2),
            "end_date": ["2020-06-30"] * N_PEOPLE,
        }
    )
    return {
        "organizations": orgs,
        "people": people,
        "evaluations": evaluations,
        "trainings": trainings,
    }


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], suffix: str = ".csv") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, frame in tables.items():
        if suffix == ".csv":
            frame.to_csv(folder / f"{name}.csv", index=False)
        else:
            frame.to_parquet(folder / f"{name}.parquet", index=False)
    return folder


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", today=TODAY)


@pytest.fixture
def tiny_extract(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "extract", tiny_tables())


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """One Prefect test server per test session (its first start migrates a SQLite database)."""
    home = tmp_path_factory.mktemp("prefect-home")
    os.environ["PREFECT_HOME"] = str(home)
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"  # no internet on CI machines
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


def ingested_world(root: Path, synth: SynthConfig, config_text: str) -> tuple[Path, str]:
    """A generated extract in ``root / "extract"`` ingested with the settings ``config_text``
    (written to ``root / "conf.yaml"``): the config file and the published snapshot's id."""
    write_extract(generate_extract(synth), root / "extract")
    config = root / "conf.yaml"
    config.write_text(config_text, encoding="utf-8")
    report = run_batch(root / "extract", mapping=None, settings=load_settings(config))
    assert report.status == "published" and report.snapshot_id is not None
    return config, report.snapshot_id


@pytest.fixture(scope="session")
def trained_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(config file, truth file) of an ingested 5,000-person extract."""
    root = tmp_path_factory.mktemp("train")
    synth = SynthConfig(n_people=5000, n_external=200, years=10, seed=3)
    config, _ = ingested_world(root, synth, training_config_text(root, floor=0.1))
    return config, root / "extract" / "truth" / "truth.parquet"


def training_config_text(root: Path, *, floor: float) -> str:
    return (
        f"data_dir: {root / 'data'}\ntoday: 2026-06-01\n"
        "training:\n  params: {n_estimators: 120}\n"
        f"  gate: {{min_impact_ratio: {floor}}}\n"
    )


@pytest.fixture(scope="session")
def first_training(prefect_harness: None, trained_world: tuple[Path, Path]) -> dict:
    from pipelines.train import train

    config, truth = trained_world
    return train(config=str(config), truth=str(truth))


FIRST_NIGHT = "2026-01-01"


@pytest.fixture(scope="session")
def first_night(first_training: dict, trained_world: tuple[Path, Path]) -> dict:
    """One published night of the trained world (its app database in the world's data dir)."""
    from pipelines.nightly import nightly

    config, _ = trained_world
    return nightly(as_of=FIRST_NIGHT, config=str(config))


POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture
def postgres_uri() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"hientai_mlflow_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
