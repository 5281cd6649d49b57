"""The synthetic national extract: contract conformance, reproducibility and realism."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import unicodedata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from hientai.contract import TABLES, TABLES_BY_NAME
from hientai.synth import (
    DEFAULT_SYNTH_CONFIG_PATH,
    ORG_LEVELS,
    BiasConfig,
    SynthConfig,
    SynthConfigError,
    SyntheticExtract,
    generate_extract,
    load_synth_config,
    write_extract,
)
from hientai.synth.orgs import COMMUNE, PROVINCE, build_orgs

ROOT = Path(__file__).resolve().parents[2]
SMALL = SynthConfig(n_people=2_000, n_external=200)
MEDIUM = SynthConfig(n_people=8_000, n_external=400)
NO_BIAS = BiasConfig(
    promotion_party_member=0,
    promotion_local=0,
    promotion_male=0,
    promotion_kinh=0,
    political_theory_party_access=0,
)
RATING_POINTS = {"excellent": 3, "good": 2, "completed": 1, "not_completed": 0}


@pytest.fixture(scope="module")
def small() -> SyntheticExtract:
    return generate_extract(SMALL)


@pytest.fixture(scope="module")
def medium() -> SyntheticExtract:
    return generate_extract(MEDIUM)


def _potential(extract: SyntheticExtract) -> pd.Series:
    return extract.truth.set_index("person_id")["potential"]


# --- contract conformance -------------------------------------------------------------------


def _column_problems(extract: SyntheticExtract, name: str) -> list[str]:
    """Every column check of the contract, applied directly to one generated table."""
    frame, table = extract.tables[name], TABLES_BY_NAME[name]
    problems = [f"{name}: unknown column {c}" for c in set(frame) - set(table.column_names)]
    birth = extract.tables["people"].set_index("person_id")["birth_date"]
    end = pd.Timestamp(extract.config.end_date)
    for col in table.columns:
        if col.name not in frame:
            problems += [f"{name}.{col.name}: required column missing"] if col.required else []
            continue
        values = frame[col.name].dropna()
        where = f"{name}.{col.name}"
        allowed = col.allowed_categories(ORG_LEVELS)
        checks = {
            "blank in a non-nullable column": not col.nullable and frame[col.name].isna().any(),
            "value outside the vocabulary": allowed is not None and not values.isin(allowed).all(),
            "below min_value": col.min_value is not None and (values < col.min_value).any(),
            "above max_value": col.max_value is not None and (values > col.max_value).any(),
            "pattern mismatch": col.pattern is not None
            and not values.astype(str).str.fullmatch(col.pattern).all(),
            "dangling foreign key": col.references is not None
            and not values.isin(_referenced(extract, col.references)).all(),
        }
        problems += [f"{where}: {what}" for what, failed in checks.items() if failed]
        problems += _kind_problems(where, col.kind, frame[col.name], end)
        if col.after_birth and table.person_column:
            person_birth = birth.reindex(frame.loc[values.index, table.person_column]).to_numpy()
            if col.kind == "year":
                early = values.to_numpy() < pd.DatetimeIndex(person_birth).year.to_numpy()
            else:
                early = values.to_numpy() < person_birth
            problems += [f"{where}: {early.sum()} values before birth"] if early.any() else []
    return problems


def _referenced(extract: SyntheticExtract, reference: str) -> pd.Series:
    table, column = reference.split(".")
    return extract.tables[table][column]


def _kind_problems(where: str, kind: str, column: pd.Series, end: pd.Timestamp) -> list[str]:
    values = column.dropna()
    if kind == "date":
        if not pd.api.types.is_datetime64_any_dtype(column):
            return [f"{where}: dtype {column.dtype} is not datetime64"]
        problems = []
        if (values > end).any():
            problems.append(f"{where}: after end_date")
        if (values != values.dt.normalize()).any():
            problems.append(f"{where}: has a time of day")
        return problems
    expected = {
        "year": pd.api.types.is_integer_dtype,
        "bool": pd.api.types.is_bool_dtype,
        "int": pd.api.types.is_integer_dtype,
        "float": pd.api.types.is_float_dtype,
        "string": pd.api.types.is_string_dtype,
    }
    if kind in expected and not expected[kind](column):
        return [f"{where}: dtype {column.dtype} for a {kind} column"]
    if kind in ("string", "category"):
        text = values.astype(str)
        if not (text == text.map(lambda t: unicodedata.normalize("NFC", t))).all():
            return [f"{where}: text not in NFC"]
    return []


def test_tables_are_exactly_the_contract_tables(small: SyntheticExtract) -> None:
    assert list(small.tables) == [t.name for t in TABLES]
    assert small.row_counts == {name: len(frame) for name, frame in small.tables.items()}
    assert all(count > 0 for count in small.row_counts.values())


@pytest.mark.parametrize("name", [t.name for t in TABLES])
def test_every_column_passes_the_contract(small: SyntheticExtract, name: str) -> None:
    assert _column_problems(small, name) == []


@pytest.mark.parametrize("name", [t.name for t in TABLES])
def test_primary_keys_unique_and_row_rules_hold(small: SyntheticExtract, name: str) -> None:
    table, frame = TABLES_BY_NAME[name], small.tables[name]
    assert not frame.duplicated(list(table.primary_key)).any()
    for rule in table.rules:
        assert not rule.violated(frame).any(), rule.name


def test_no_date_after_end_date_even_in_the_last_year() -> None:
    extract = generate_extract(
        SynthConfig(n_people=1_000, n_external=50, end_date=dt.date(2024, 8, 15))
    )
    end = pd.Timestamp(2024, 8, 15)
    for name, frame in extract.tables.items():
        for column in frame.select_dtypes("datetime").columns:
            assert (frame[column].dropna() <= end).all(), f"{name}.{column}"
    assert extract.tables["evaluations"]["year"].max() == 2023  # 2024 not rated yet


# --- reproducibility ------------------------------------------------------------------------


def _digests(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_config_gives_identical_files(small: SyntheticExtract, tmp_path: Path) -> None:
    again = generate_extract(SMALL)
    for name, frame in small.tables.items():
        pd.testing.assert_frame_equal(frame, again.tables[name], obj=name)
    pd.testing.assert_frame_equal(small.truth, again.truth)
    write_extract(small, tmp_path / "a")
    write_extract(again, tmp_path / "b")
    assert _digests(tmp_path / "a") == _digests(tmp_path / "b")


def test_another_seed_gives_another_extract(small: SyntheticExtract) -> None:
    other = generate_extract(SMALL.model_copy(update={"seed": SMALL.seed + 1}))
    assert not np.allclose(small.truth["potential"], other.truth["potential"])
    assert not small.tables["people"]["birth_date"].equals(other.tables["people"]["birth_date"])
    assert not small.tables["assignments"].equals(other.tables["assignments"])


# --- realism --------------------------------------------------------------------------------


def test_potential_is_independent_of_protected_attributes(medium: SyntheticExtract) -> None:
    people = medium.tables["people"].set_index("person_id")
    potential = _potential(medium).reindex(people.index)
    attributes = {
        "party_member": people["party_member"],
        "male": people["gender"] == "male",
        "kinh": people["ethnicity"].eq("Kinh").fillna(False),
        "religious": people["religion"].fillna("Không") != "Không",
        "birth_year": people["birth_date"].dt.year,
    }
    for name, attribute in attributes.items():
        r = np.corrcoef(potential, attribute.astype(float))[0, 1]
        assert abs(r) < 0.04, f"potential correlates with {name}: r={r:.3f}"
    by_hometown = potential.groupby(people["hometown_province"]).agg(["mean", "size"])
    z = by_hometown["mean"] * np.sqrt(by_hometown["size"])  # ~N(0, 1) per province
    assert (z.abs() < 4.5).all()


def test_population_shares_are_plausible(medium: SyntheticExtract) -> None:
    people = medium.tables["people"]
    internal = people[people["population"] == "internal"]
    external = people[people["population"] == "external"]
    assert 0.52 < (internal["gender"] == "male").mean() < 0.58
    assert 0.80 < (internal["ethnicity"] == "Kinh").mean() < 0.90
    assert 0.40 < internal["party_member"].mean() < 0.50
    assert (internal["nationality"] == "VN").all()
    assert not external.loc[external["external_category"] == "foreigner", "party_member"].any()
    assert external["external_category"].notna().all()
    assert external["education_level"].isin(["master", "doctorate"]).mean() > 0.8
    in_service = internal[internal["current_org_id"].notna()]
    age = (pd.Timestamp(MEDIUM.end_date) - in_service["birth_date"]).dt.days / 365.25
    assert age.between(22, 60.01).all()
    assert ((internal["hire_date"] - internal["birth_date"]).dt.days / 365.25 >= 22).all()


def test_ratings_are_inflated(medium: SyntheticExtract) -> None:
    shares = medium.tables["evaluations"]["rating"].value_counts(normalize=True)
    assert 0.15 <= shares["excellent"] <= 0.20
    assert 0.64 <= shares["good"] <= 0.70
    assert shares["excellent"] + shares["good"] > 0.8


def _person_means(extract: SyntheticExtract) -> pd.DataFrame:
    evaluations = extract.tables["evaluations"]
    rating = evaluations["rating"].astype(object).map(RATING_POINTS).astype(float)
    outputs = extract.tables["outputs"]
    kpi = np.log(outputs["achieved"] / outputs["target"])
    score = pd.concat(
        [(kpi - kpi.mean()) / kpi.std(), (outputs["quality"] - outputs["quality"].mean())]
    )
    score = score.groupby(level=0).first()  # each output is either a kpi or a product
    return pd.DataFrame(
        {
            "rating": rating.groupby(evaluations["person_id"].to_numpy()).mean(),
            "outputs": score.groupby(outputs["person_id"].to_numpy()).mean(),
        }
    ).join(_potential(extract))


def test_outputs_track_potential_better_than_ratings(medium: SyntheticExtract) -> None:
    means = _person_means(medium).dropna()
    r = means.corr()["potential"]
    assert 0.15 < r["rating"] < 0.40
    assert 0.45 < r["outputs"] < 0.75
    assert r["outputs"] > r["rating"] + 0.15


def _party_coefficient(config: SynthConfig) -> float:
    """Logistic coefficient of Party membership on promotion into a leadership post during the
    window, at equal potential, age and seniority (people in service when the window opened)."""
    extract = generate_extract(config)
    people = extract.tables["people"].set_index("person_id")
    window = pd.Timestamp(config.first_year, 1, 1)
    stock = people[(people["population"] == "internal") & (people["hire_date"] < window)]
    spells = extract.tables["assignments"]
    won = spells["reason"].eq("promotion") & spells["is_leadership"]
    promoted = stock.index.isin(spells.loc[won & (spells["start_date"] >= window), "person_id"])
    age = (window - stock["birth_date"]).dt.days.to_numpy() / 365.25
    service = (window - stock["hire_date"]).dt.days.to_numpy() / 365.25
    features = np.column_stack(
        [
            _potential(extract).reindex(stock.index),
            stock["party_member"],
            stock["gender"] == "male",
            age,
            age**2 / 100,
            service,
        ]
    )
    model = LogisticRegression(C=1e6, max_iter=5_000).fit(features, promoted)
    return float(model.coef_[0][1])


def test_promotions_favour_party_members_at_equal_potential() -> None:
    config = SynthConfig(n_people=15_000, n_external=0)
    biased = _party_coefficient(config)
    fair = _party_coefficient(config.model_copy(update={"biases": NO_BIAS}))
    # Configured at 0.8; the within-pool contests dilute it a little. Across seeds the biased
    # coefficient stays in 0.7-1.0 and the unbiased one within 0.2 of zero.
    assert biased > 0.5
    assert abs(fair) < 0.3
    assert biased - fair > 0.5


def _local_vote_gap(extract: SyntheticExtract) -> float:
    """Mean "high" share of provincial and commune leaders voted on in their home province,
    minus that of leaders from elsewhere (the post held on the vote date decides)."""
    votes, spells = extract.tables["confidence_votes"], extract.tables["assignments"]
    people = extract.tables["people"].set_index("person_id")
    orgs = extract.tables["organizations"].set_index("org_id")
    held = spells.dropna(subset=["position_id"]).merge(votes, on="person_id")
    during = (held["start_date"] <= held["vote_date"]) & (
        held["end_date"].isna() | (held["end_date"] >= held["vote_date"])
    )
    held = held[during]
    province = orgs["province_code"].reindex(held["org_id"]).fillna("").to_numpy(dtype=object)
    home = people["hometown_province"].reindex(held["person_id"]).fillna("?")
    local = home.to_numpy(dtype=object) == province
    high = held["high_share"].to_numpy()
    return float(high[local].mean() - high[(province != "") & ~local].mean())


def test_confidence_votes_favour_locals(medium: SyntheticExtract) -> None:
    without = MEDIUM.model_copy(update={"biases": BiasConfig(vote_locality_favouritism=0)})
    assert _local_vote_gap(medium) > 0.03
    assert abs(_local_vote_gap(generate_extract(without))) < 0.03


def test_political_theory_access_favours_party_members(medium: SyntheticExtract) -> None:
    people = medium.tables["people"].set_index("person_id")
    internal = people[people["population"] == "internal"]
    trainings = medium.tables["trainings"]
    higher = trainings["category"].eq("political_theory") & trainings["level"].isin(
        ["intermediate", "advanced"]
    )
    trained = internal.index.isin(trainings.loc[higher, "person_id"])
    party = internal["party_member"].to_numpy()
    assert trained[party].mean() > 2 * trained[~party].mean()


def test_external_candidates_have_no_internal_history(small: SyntheticExtract) -> None:
    people = small.tables["people"]
    external = people.loc[people["population"] == "external", "person_id"]
    assert len(external) == SMALL.n_external
    for name in ("assignments", "evaluations", "confidence_votes", "surveys_360", "outputs"):
        assert not small.tables[name]["person_id"].isin(external).any(), name
    sittings = small.tables["assessments"]["person_id"].value_counts()
    assert sittings.reindex(external).between(2, 3).all()
    rows = people[people["population"] == "external"]
    assert rows[["hire_date", "current_org_id", "current_grade"]].isna().all().all()


def test_careers_are_consistent(small: SyntheticExtract) -> None:
    spells = small.tables["assignments"].sort_values(["person_id", "start_date"])
    people = small.tables["people"].set_index("person_id")
    same_person = spells["person_id"].eq(spells["person_id"].shift())
    gap = (spells["start_date"] - spells["end_date"].shift()).dt.days[same_person]
    assert (gap == 1).all()  # each spell starts the day after the previous one ends
    current = spells[spells["end_date"].isna()].set_index("person_id")
    assert current.index.is_unique
    in_service = people["current_org_id"].dropna()
    assert current["org_id"].reindex(in_service.index).equals(in_service)
    latest = spells.groupby("person_id").tail(1).set_index("person_id")
    assert (
        latest["grade"].astype(str) == people.loc[latest.index, "current_grade"].astype(str)
    ).all()
    held = spells.dropna(subset=["position_id"]).sort_values(["position_id", "start_date"])
    same_post = held["position_id"].eq(held["position_id"].shift())
    previous_end = held["end_date"].shift().fillna(pd.Timestamp.max)
    assert not (held["start_date"] <= previous_end)[same_post].any()  # one holder at a time


def test_outside_hometown_posts_are_held_by_outsiders(medium: SyntheticExtract) -> None:
    positions = medium.tables["positions"].set_index("position_id")
    orgs = medium.tables["organizations"].set_index("org_id")
    people = medium.tables["people"].set_index("person_id")
    outside = positions.index[positions["requires_outside_hometown"]]
    assert set(positions.loc[outside, "title_code"]) == {"party_secretary", "committee_chair"}
    assert (orgs.loc[positions.loc[outside, "org_id"], "level"] == "province").all()
    spells = medium.tables["assignments"]
    holders = spells[spells["position_id"].isin(outside)]
    hometown = people.loc[holders["person_id"], "hometown_province"].to_numpy()
    assert len(holders) > 0
    assert (hometown != orgs.loc[holders["org_id"], "province_code"].to_numpy()).all()
    assert not positions["requires_party_member"].any()
    slots = positions[positions["kind"] == "planning_slot"]
    assert slots["max_age"].notna().all() and slots["planning_term"].notna().all()


def test_units_scale_to_the_national_shape() -> None:
    orgs = build_orgs(1_000_000, 100.0, seed=7)
    assert (orgs.kind == PROVINCE).sum() == 34
    communes = orgs.kind == COMMUNE
    assert communes.sum() == 3_321
    assert 9_000 < len(orgs) < 11_000
    parents = orgs.parent[communes]
    assert (orgs.kind[parents] == PROVINCE).all()
    assert (orgs.province[parents] == orgs.province[communes]).all()


# --- writing and configuration --------------------------------------------------------------


def test_write_extract_layout(small: SyntheticExtract, tmp_path: Path) -> None:
    out = tmp_path / "extract"
    written = write_extract(small, out)
    assert sorted(p.relative_to(out).as_posix() for p in written) == sorted(
        [f"{name}.parquet" for name in small.tables] + ["truth/truth.parquet", "extract.json"]
    )
    manifest = json.loads((out / "extract.json").read_text(encoding="utf-8"))
    assert manifest["row_counts"] == small.row_counts
    assert manifest["config"]["seed"] == SMALL.seed
    back = pd.read_parquet(out / "people.parquet")
    assert back["birth_date"].equals(
        small.tables["people"]["birth_date"].astype(back["birth_date"].dtype)
    )
    assert list(pd.read_parquet(out / "truth" / "truth.parquet").columns) == [
        "person_id", "population", "potential", "integrity"
    ]  # fmt: skip
    assert not any("potential" in pd.read_parquet(p).columns for p in out.glob("*.parquet"))
    assert not list(tmp_path.glob(".extract.*"))  # no staging directory left behind


def test_write_extract_refuses_a_non_empty_folder(small: SyntheticExtract, tmp_path: Path) -> None:
    out = tmp_path / "extract"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(ValueError, match="not empty"):
        write_extract(small, out)
    assert (out / "keep.txt").exists()
    write_extract(small, out, overwrite=True)
    assert not (out / "keep.txt").exists() and (out / "people.parquet").exists()
    with pytest.raises(ValueError, match="fmt must be one of"):
        write_extract(small, tmp_path / "other", fmt="xlsx")  # type: ignore[arg-type]


def test_write_extract_as_csv(small: SyntheticExtract, tmp_path: Path) -> None:
    write_extract(small, tmp_path / "csv", fmt="csv")
    people = pd.read_csv(tmp_path / "csv" / "people.csv", dtype=str)
    assert people["birth_date"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert len(people) == len(small.tables["people"])
    assert (tmp_path / "csv" / "truth" / "truth.parquet").exists()


def test_progress_is_reported() -> None:
    messages: list[str] = []
    generate_extract(SynthConfig(n_people=500, n_external=10, years=2), progress=messages.append)
    assert any("2025" in m for m in messages) and messages[-1] == "tables assembled"


def test_default_config_file_documents_the_defaults() -> None:
    assert load_synth_config(ROOT / DEFAULT_SYNTH_CONFIG_PATH) == SynthConfig()


def test_config_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "synthetic.yaml"
    bad.write_text("n_people: 20000\nbiases:\n  promotion_party: 1.0\n", encoding="utf-8")
    with pytest.raises(SynthConfigError, match=r"synthetic\.yaml: biases\.promotion_party"):
        load_synth_config(bad)
    with pytest.raises(SynthConfigError, match="not found"):
        load_synth_config(tmp_path / "missing.yaml")
    with pytest.raises(ValueError, match="room for 'completed'"):
        BiasConfig(rating_excellent_share=0.5, rating_good_share=0.5)
