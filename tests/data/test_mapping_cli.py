"""`hientai mapping suggest` and `check` on the two real extracts, and the IBM mapping file."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from hientai.ingest import IngestReport, Mapping, load_mapping, run_batch
from hientai.settings import Settings
from hientai.storage import Snapshot, SnapshotStore
from hientai_app.cli import app

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
WNS = SHARED / "wns_promotion" / "train.csv"
IBM = SHARED / "ibm_hr_attrition" / "attrition.csv"
MAPPINGS = ROOT / "conf" / "mappings"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "conf.yaml"
    path.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    return path


def _invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _suggest(extract: Path, as_of: str, tmp_path: Path, config: Path) -> tuple[Mapping, str]:
    out = tmp_path / "suggested.yaml"
    code, _, stderr = _invoke(
        "mapping", "suggest", str(extract), "--as-of", as_of, "--out", str(out),
        "--config", str(config),
    )  # fmt: skip
    assert code == 0, stderr
    return load_mapping(out), out.read_text(encoding="utf-8")


def _spec(mapping: Mapping, table: str, column: str) -> dict:
    return mapping.tables[table][0].columns[column].model_dump(exclude_defaults=True)


def test_suggest_maps_the_obvious_wns_columns(tmp_path: Path, config: Path) -> None:
    mapping, text = _suggest(WNS, "2018-01-01", tmp_path, config)
    assert _spec(mapping, "people", "person_id") == {"source": "employee_id"}
    assert _spec(mapping, "people", "gender") == {
        "source": "gender",
        "values": {"m": "male", "f": "female"},
    }
    assert _spec(mapping, "people", "education_level")["values"]["Bachelor's"] == "bachelor"
    birth = _spec(mapping, "people", "birth_date")
    assert birth["source"] == "age" and str(birth["years_before"]) == "2018-01-01"
    assert _spec(mapping, "people", "hire_date")["source"] == "length_of_service"
    assert _spec(mapping, "evaluations", "rating")["values"][5] == "excellent"
    assert _spec(mapping, "trainings", "sessions") == {"source": "no_of_trainings"}
    assert mapping.tables["awards"][0].where is not None
    assert "#   - train.csv: is_promoted: an outcome" in text  # said, not mapped
    assert "#   - train.csv: region: another unit column" in text


def test_suggest_on_ibm_loads_checks_clean_and_says_what_it_left_out(
    tmp_path: Path, config: Path
) -> None:
    mapping, text = _suggest(IBM, "2017-01-01", tmp_path, config)
    assert _spec(mapping, "people", "person_id") == {"source": "EmployeeNumber"}
    assert _spec(mapping, "people", "gender")["values"] == {"Male": "male", "Female": "female"}
    assert _spec(mapping, "people", "birth_date")["source"] == "Age"
    assert _spec(mapping, "people", "hire_date")["source"] == "YearsAtCompany"
    assert _spec(mapping, "people", "current_grade")["values"] == {
        1: "staff", 2: "officer", 3: "specialist", 4: "principal_specialist",
        5: "senior_specialist",
    }  # fmt: skip
    assert _spec(mapping, "evaluations", "rating")["values"] == {4: "excellent", 3: "good"}
    assert "education_level" not in mapping.tables["people"][0].columns  # codes 1-5: asked
    assert "        # education_level:" in text and "TODO" in text
    for column in ("Attrition", "MaritalStatus", "Over18", "MonthlyIncome"):
        assert f"#   - attrition.csv: {column}:" in text
    code, stdout, stderr = _invoke(
        "mapping", "check", str(tmp_path / "suggested.yaml"), str(IBM), "--config", str(config)
    )
    assert code == 0, stdout + stderr
    assert "Would publish" in stdout


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[int, dict, Path]]:
    """`mapping check --json` of each real extract with its mapping file (run once)."""
    found = {}
    for name, extract in (("wns_promotion", WNS), ("ibm_hr_attrition", IBM)):
        root = tmp_path_factory.mktemp(name)
        config = root / "conf.yaml"
        config.write_text(f"data_dir: {root / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
        mapping = MAPPINGS / f"{name}.yaml"
        code, stdout, stderr = _invoke(
            "mapping", "check", str(mapping), str(extract), "--json", "--config", str(config)
        )
        assert code == 0, stdout + stderr
        found[name] = (code, json.loads(stdout), root / "data")
    return found


@pytest.mark.parametrize(
    ("name", "people"), [("wns_promotion", 54_808), ("ibm_hr_attrition", 1_470)]
)
def test_check_reports_coverage_of_the_real_mappings(
    checks: dict[str, tuple[int, dict, Path]], name: str, people: int
) -> None:
    code, result, data_dir = checks[name]
    assert code == 0 and result["would_publish"] is True
    tables = {t["name"]: t for t in result["tables"]}
    assert tables["people"]["accepted"] == tables["people"]["rows_read"] == people
    assert all(t["quarantined"] == 0 for t in tables.values())
    assert "person_id" in tables["people"]["fed"] and "nationality" in tables["people"]["not_fed"]
    assert "surveys_360" in result["unmapped_tables"]
    survey = [f for f in result["features"] if f["dimension"] == "survey_360"]
    assert survey and all(f["name"] in result["missing_features"] for f in survey)
    assert "rating_last" not in result["missing_features"]
    assert result["protected_known"]["gender"] == 1.0
    assert result["protected_known"]["nationality"] == 0.0  # unknown, never invented
    assert not data_dir.exists()  # a dry run writes nothing under the data folder


def test_check_text_names_tables_features_and_verdict(tmp_path: Path, config: Path) -> None:
    code, stdout, _ = _invoke(
        "mapping", "check", str(MAPPINGS / "ibm_hr_attrition.yaml"), str(IBM),
        "--config", str(config),
    )  # fmt: skip
    assert code == 0
    text = " ".join(stdout.split())
    assert "assignments 13,230 9,481 3,749 0 0.00% 5% ok" in text  # 9 sources
    assert "Features as of 2017-01-01:" in text and "missing, survey_360:" in text
    assert "Would publish (exit 0)" in text


def _mapping_file(tmp_path: Path, people_columns: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(
        "name: broken\ntables:\n  people:\n    - file: attrition.csv\n      columns:\n"
        "        person_id: EmployeeNumber\n        population: {constant: internal}\n"
        + people_columns,
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        (
            "        gender: {source: Sex}\n",
            "attrition.csv row 1 (header): no column 'Sex' (named by {mapping} at "
            "tables.people[0].columns.gender)",
        ),
        (
            "        gender: {source: Gender, date_part: week}\n",
            "{mapping}: tables.people.0.columns.gender.date_part: Input should be",
        ),
    ],
)
def test_check_of_a_broken_mapping_exits_2_with_one_line(
    tmp_path: Path, config: Path, column: str, expected: str
) -> None:
    mapping = _mapping_file(tmp_path, column)
    code, stdout, stderr = _invoke(
        "mapping", "check", str(mapping), str(IBM), "--config", str(config)
    )
    assert code == 2
    assert stderr.count("\n") == 1 and "Traceback" not in stderr + stdout
    assert expected.format(mapping=mapping) in stderr


def test_check_of_a_refused_batch_exits_1_and_shows_the_problems(
    tmp_path: Path, config: Path
) -> None:
    extract = tmp_path / "staff.csv"
    dob = ["09/19/88", "09/19/1988", "1988-09-19", "31/31/1990"] + ["01/02/1980"] * 6
    pd.DataFrame({"EmpID": range(10), "DOB": dob}).to_csv(extract, index=False)
    mapping = tmp_path / "staff.yaml"
    mapping.write_text(
        "name: staff\ntables:\n  people:\n    - file: staff.csv\n      columns:\n"
        "        person_id: EmpID\n        population: {constant: internal}\n"
        '        birth_date: {source: DOB, date_format: ["%m/%d/%y", "%m/%d/%Y"]}\n',
        encoding="utf-8",
    )
    code, stdout, _ = _invoke(
        "mapping", "check", str(mapping), str(extract), "--json", "--config", str(config)
    )
    assert code == 1
    result = json.loads(stdout)
    assert result["would_publish"] is False
    assert [(p["file"], p["row"], p["column"]) for p in result["problems"]] == [
        ("staff.csv", 4, "birth_date"),
        ("staff.csv", 5, "birth_date"),
    ]
    assert result["problems"][0]["reason"] == (
        "birth_date: expected a date as %m/%d/%y or %m/%d/%Y, got '1988-09-19'"
    )
    assert not (tmp_path / "data").exists()


@pytest.fixture(scope="module")
def ibm(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestReport, Snapshot, pd.DataFrame]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("ibm") / "data")
    report = run_batch(
        IBM, mapping=load_mapping(MAPPINGS / "ibm_hr_attrition.yaml"), settings=settings
    )
    raw = pd.read_csv(IBM, encoding="utf-8-sig")
    return report, SnapshotStore(settings.snapshots_dir).open(report.snapshot_id), raw


def test_ibm_mapping_publishes_every_row(ibm: tuple[IngestReport, Snapshot, pd.DataFrame]) -> None:
    report, _, raw = ibm
    assert report.status == "published"
    tables = {t.name: t for t in report.tables}
    assert tables["people"].accepted == tables["people"].input_rows == len(raw) == 1_470
    assert all(t.quarantined == 0 for t in report.tables)
    assert tables["organizations"].accepted == raw["Department"].nunique() + 1
    assert tables["trainings"].accepted == int((raw["TrainingTimesLastYear"] > 0).sum())


def test_ibm_career_is_rebuilt_from_the_durations(
    ibm: tuple[IngestReport, Snapshot, pd.DataFrame],
) -> None:
    _, snap, raw = ibm
    spells = snap.read("assignments")
    a, r, p = raw["YearsAtCompany"], raw["YearsInCurrentRole"], raw["YearsSinceLastPromotion"]
    expected = 1 + (p < a).astype(int) + ((r < a) & (r != p)).astype(int)
    per_person = spells.groupby(spells["person_id"].astype(str)).size()
    ids = "ibm-" + raw["EmployeeNumber"].astype(str)
    assert per_person.reindex(ids).tolist() == expected.tolist()
    assert (spells["reason"] == "promotion").sum() == (p < a).sum()
    ongoing = spells.loc[spells["end_date"].isna()]
    assert ongoing["person_id"].is_unique and len(ongoing) == len(raw)  # one current post each
    leading = set(spells.loc[spells["is_leadership"].astype(bool), "title"].astype(str))
    assert leading == {"Manager", "Research Director"}
    first = spells.loc[spells["assignment_id"].astype(str).str.endswith("-hire")]
    hired = pd.Timestamp("2017-01-01") - pd.to_timedelta((a + 0.5) * 365.25, unit="D")
    assert (
        first.set_index(first["person_id"].astype(str))["start_date"].reindex(ids).dt.year.tolist()
        == hired.dt.normalize().dt.year.tolist()
    )


def test_ibm_protected_attributes_it_lacks_stay_unknown(
    ibm: tuple[IngestReport, Snapshot, pd.DataFrame],
) -> None:
    _, snap, raw = ibm
    protected = snap.read_protected(purpose="fairness_audit", reader="test")
    for column in ("nationality", "ethnicity", "religion", "party_member", "hometown_province"):
        assert protected[column].isna().all()
    assert protected["gender"].value_counts().loc[lambda n: n > 0].to_dict() == {
        "male": int((raw["Gender"] == "Male").sum()),
        "female": int((raw["Gender"] == "Female").sum()),
    }
    ages = (pd.Timestamp("2017-01-01") - pd.to_datetime(protected["birth_date"])).dt.days // 365.25
    assert sorted(ages.astype(int).tolist()) == sorted(raw["Age"].tolist())
