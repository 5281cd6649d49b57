"""Every bad-input case of the issue: a clear message naming file, row and column; nothing lost;
nothing published when the batch fails."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from hientai.ingest import IngestError, IngestReport, load_mapping, run_batch
from hientai.settings import Settings
from hientai.storage import SnapshotStore
from hientai_app.cli import app
from tests.conftest import N_PEOPLE, tiny_tables, write_tables

STRICT = {"max_rejection_rate": 0.0}


def _strict(settings: Settings) -> Settings:
    return settings.model_copy(update={"ingest": settings.ingest.model_copy(update=STRICT)})


def _quarantine(report: IngestReport, table: str) -> pd.DataFrame:
    assert report.quarantine_path is not None
    return pd.read_csv(Path(report.quarantine_path) / f"{table}.csv", dtype=str)


def _nothing_published(settings: Settings) -> bool:
    return SnapshotStore(settings.snapshots_dir).ids() == []


def _ingest_with(
    tmp_path: Path, settings: Settings, table: str, row: int, column: str, value: object
) -> IngestReport:
    tables = tiny_tables()
    tables[table] = tables[table].astype(object)
    tables[table].loc[row, column] = value
    return run_batch(write_tables(tmp_path / "x", tables), mapping=None, settings=settings)


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "reason"),
    [
        ("evaluations", 3, "year", "20x4", "expected a year (e.g. 2024), got '20x4'"),
        ("people", 4, "birth_date", "15/04/1990", "expected a date as %Y-%m-%d, got '15/04/1990'"),
        ("evaluations", 5, "rating", "superb", "unknown value 'superb'"),
        ("people", 6, "gender", "M", "unknown value 'M'"),
        ("evaluations", 7, "person_id", "P999", "people.person_id 'P999' does not exist"),
        ("people", 8, "hire_date", "2031-01-01", "2031-01-01 is in the future"),
        ("people", 9, "hire_date", "1970-01-01", "is before the person's birth date"),
        ("people", 7, "hire_date", "1890-05-01", "1890-05-01 is before 1900"),
        ("evaluations", 4, "year", "2031", "2031 is in the future (today is "),
        ("evaluations", 6, "year", "1899", "1899 is before 1900"),
        ("people", 5, "years_experience", "-2", "-2.0 is outside [0, 70]"),
        ("people", 3, "nationality", "Viet Nam", "'Viet Nam' does not match the expected format"),
        ("trainings", 2, "level", "C7", "level is not a valid level for this training category"),
        ("organizations", 2, "level", "hamlet", "unknown value 'hamlet'"),
    ],
)
def test_bad_cell_is_quarantined_with_file_row_column_reason(
    tmp_path: Path,
    settings: Settings,
    table: str,
    row: int,
    column: str,
    value: object,
    reason: str,
) -> None:
    report = _ingest_with(tmp_path, settings, table, row, column, value)
    summary = {t.name: t for t in report.tables}[table]
    assert summary.input_rows == summary.accepted + summary.quarantined
    quarantined = _quarantine(report, table)
    hit = quarantined[quarantined["source_row"] == str(row + 2)]  # header is row 1
    assert len(hit) == 1, quarantined
    assert hit["source_file"].item() == f"{table}.csv"
    assert column in hit["column"].item().split("; ")
    assert reason in hit["reason"].item()


def test_rejections_over_the_limit_publish_nothing(tmp_path: Path, settings: Settings) -> None:
    report = _ingest_with(tmp_path, _strict(settings), "evaluations", 3, "rating", "superb")
    assert report.status == "rejected"
    assert report.snapshot_id is None
    assert _nothing_published(settings)
    evaluations = {t.name: t for t in report.tables}["evaluations"]
    assert evaluations.over_limit
    assert (evaluations.accepted, evaluations.quarantined) == (N_PEOPLE - 3, 1)
    # Nothing lost: the rejected row is in quarantine with its values.
    assert _quarantine(report, "evaluations")["rating"].isna().all()


def test_rejection_within_the_limit_publishes_the_rest(tmp_path: Path, settings: Settings) -> None:
    # Row 18 is an external candidate: no evaluation cascades, 1 of 20 people = the 5% limit.
    report = _ingest_with(tmp_path, settings, "people", 18, "gender", "M")
    assert report.status == "published"
    assert len(SnapshotStore(settings.snapshots_dir).open().read("people")) == N_PEOPLE - 1


def test_rows_of_a_rejected_person_are_rejected_too(tmp_path: Path, settings: Settings) -> None:
    report = _ingest_with(tmp_path, settings, "people", 0, "population", "visitor")
    evaluations = _quarantine(report, "evaluations")
    assert evaluations["reason"].str.contains("people.person_id 'P000' does not exist").all()
    assert len(evaluations) == 1


def test_duplicate_keys_quarantine_every_copy(tmp_path: Path, settings: Settings) -> None:
    tables = tiny_tables()
    tables["people"] = pd.concat([tables["people"], tables["people"].iloc[[4]]])
    report = run_batch(write_tables(tmp_path / "x", tables), mapping=None, settings=settings)
    people = _quarantine(report, "people")
    assert sorted(people["source_row"].astype(int)) == [6, N_PEOPLE + 2]
    assert (
        people["reason"].str.contains("duplicate key person_id='P004' \\(first at row 6\\)").all()
    )
    summary = {t.name: t for t in report.tables}["people"]
    assert (summary.input_rows, summary.accepted, summary.quarantined) == (N_PEOPLE + 1, 19, 2)


def test_missing_required_column_names_file_row_and_column(
    tmp_path: Path, settings: Settings
) -> None:
    tables = tiny_tables()
    tables["people"] = tables["people"].drop(columns=["population"])
    with pytest.raises(IngestError) as caught:
        run_batch(write_tables(tmp_path / "x", tables), mapping=None, settings=settings)
    assert "people.csv row 1 (header): no column 'population'" in str(caught.value)
    assert _nothing_published(settings)


def test_empty_file_is_a_clear_error(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    (folder / "evaluations.csv").write_bytes(b"")
    with pytest.raises(IngestError, match=r"evaluations\.csv: the file is empty"):
        run_batch(folder, mapping=None, settings=settings)
    assert _nothing_published(settings)


def test_utf8_with_bom_reads_the_first_header(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    people = folder / "people.csv"
    people.write_bytes(b"\xef\xbb\xbf" + people.read_bytes())
    report = run_batch(folder, mapping=None, settings=settings)
    assert report.status == "published"
    assert len(SnapshotStore(settings.snapshots_dir).open().read("people")) == N_PEOPLE


def _cp1258(text: str) -> bytes:
    """Encode as Windows-1258 does: base letters with their vowel marks (â, ơ, ư) precomposed,
    tone marks as separate combining characters."""
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        for k in range(len(parts), 0, -1):
            candidate = unicodedata.normalize("NFC", parts[:k]) + parts[k:]
            try:
                out.append(candidate.encode("cp1258"))
                break
            except UnicodeEncodeError:
                continue
    return b"".join(out)


def test_windows_1258_text_is_decoded_and_composed(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    orgs = folder / "organizations.csv"
    # Windows-1258 spells Vietnamese with combining tone marks: decoded, then composed (NFC).
    orgs.write_bytes(_cp1258(orgs.read_text("utf-8")))
    report = run_batch(folder, mapping=None, settings=settings)
    assert report.status == "published"
    assert any("Windows-1258" in note for note in report.notes)
    names = SnapshotStore(settings.snapshots_dir).open().read("organizations")["name"].tolist()
    assert names[1] == unicodedata.normalize("NFC", "Ủy ban nhân dân tỉnh Lào Cai")
    assert all(unicodedata.is_normalized("NFC", n) for n in names)


def test_decomposed_unicode_is_normalised(tmp_path: Path, settings: Settings) -> None:
    tables = tiny_tables()
    tables["organizations"]["name"] = tables["organizations"]["name"].map(
        lambda s: unicodedata.normalize("NFD", s)
    )
    run_batch(write_tables(tmp_path / "x", tables), mapping=None, settings=settings)
    names = SnapshotStore(settings.snapshots_dir).open().read("organizations")["name"]
    assert names.iloc[2] == unicodedata.normalize("NFC", "Xã Sa Pa")
    assert names.iloc[2] != unicodedata.normalize("NFD", "Xã Sa Pa")


def test_excel_title_rows_above_the_header(tmp_path: Path, settings: Settings) -> None:
    tables = tiny_tables()
    tables["people"].loc[18, "gender"] = "unknown"  # external: no rows depend on them
    workbook = tmp_path / "extract.xlsx"
    with pd.ExcelWriter(workbook) as writer:
        for name, frame in tables.items():
            title = pd.DataFrame([[f"BÁO CÁO {name.upper()}"], ["Đơn vị: Bộ Nội vụ"]])
            title.to_excel(writer, sheet_name=name, header=False, index=False)
            frame.to_excel(writer, sheet_name=name, startrow=3, index=False)
    report = run_batch(workbook, mapping=None, settings=settings)
    assert report.status == "published"
    people = _quarantine(report, "people")
    # Title on rows 1-2, blank row 3, header on row 4: data row index 18 is sheet row 23.
    assert people["source_file"].item() == "extract.xlsx sheet 'people'"
    assert people["source_row"].item() == "23"
    assert "unknown value 'unknown'" in people["reason"].item()
    assert {t.name: t.accepted for t in report.tables}["evaluations"] == N_PEOPLE - 2


def test_mapping_naming_a_missing_column(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", {"people": tiny_tables()["people"]})
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(
        "name: broken\ntables:\n  people:\n    - file: people.csv\n      columns:\n"
        "        person_id: person_id\n        population: staff_type\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as caught:
        run_batch(folder, mapping=load_mapping(mapping_file), settings=settings)
    message = str(caught.value)
    assert "people.csv row 1 (header): no column 'staff_type'" in message
    assert f"named by {mapping_file} at tables.people[0].columns.population" in message
    assert _nothing_published(settings)


def test_mapping_with_an_unknown_contract_column(tmp_path: Path) -> None:
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(
        "name: broken\ntables:\n  people:\n    - columns:\n        person_id: id\n"
        "        shoe_size: shoes\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match=r"tables\.people\[0\]\.columns: \['shoe_size'\]"):
        load_mapping(mapping_file)


@pytest.mark.parametrize(
    ("prepare", "expected_code", "expected_text"),
    [
        (
            lambda folder: (folder / "people.csv").write_bytes(b""),
            2,
            "people.csv: the file is empty",
        ),
        (
            lambda folder: (folder / "evaluations.csv").write_text(
                "person_id,year,rating\nP001,2024,superb\n" * 1, encoding="utf-8"
            ),
            1,
            "Nothing published",
        ),
    ],
)
def test_cli_reports_errors_without_traceback(
    tmp_path: Path, prepare: object, expected_code: int, expected_text: str
) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    prepare(folder)  # type: ignore[operator]
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(folder), "--config", str(config)])
    assert result.exit_code == expected_code, result.output
    assert expected_text in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert not (tmp_path / "data" / "snapshots").exists() or not any(
        (tmp_path / "data" / "snapshots").glob("[!.]*/manifest.json")
    )


def test_planned_end_of_a_discipline_may_be_in_the_future(
    tmp_path: Path, settings: Settings
) -> None:
    tables = tiny_tables()
    tables["disciplines"] = pd.DataFrame(
        {
            "discipline_id": ["D1", "D2"],
            "person_id": ["P001", "P002"],
            "decision_date": ["2025-12-01", "2030-01-01"],
            "severity": ["reprimand", "reprimand"],
            "effective_until": ["2026-12-01", None],
        }
    )
    report = run_batch(write_tables(tmp_path / "x", tables), mapping=None, settings=settings)
    disciplines = _quarantine(report, "disciplines")
    assert disciplines["source_row"].tolist() == ["3"]  # only the future decision is refused
    assert "decision_date" in disciplines["column"].item()


def test_legacy_xls_is_refused_with_advice(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    (folder / "people.csv").rename(folder / "people.xls")
    mapping_file = tmp_path / "m.yaml"
    mapping_file.write_text(
        "name: xls\ntables:\n  people:\n    - file: people.xls\n      columns:\n"
        "        person_id: person_id\n        population: population\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match=r"people\.xls: legacy \.xls workbooks are not read"):
        run_batch(folder, mapping=load_mapping(mapping_file), settings=settings)


@pytest.mark.parametrize(
    ("table", "column", "value", "shown"),
    [("people", "hire_date", "1970-01-01", "1970-01-01"), ("evaluations", "year", "1950", "1950")],
)
def test_a_date_before_birth_quotes_the_value_and_the_birth_date(
    tmp_path: Path, settings: Settings, table: str, column: str, value: str, shown: str
) -> None:
    born = pd.Timestamp(tiny_tables()["people"].set_index("person_id").loc["P009", "birth_date"])
    row = int((tiny_tables()[table]["person_id"] == "P009").to_numpy().argmax())
    quarantined = _quarantine(_ingest_with(tmp_path, settings, table, row, column, value), table)
    hit = quarantined.loc[quarantined["source_row"] == str(row + 2), "reason"].item()
    assert hit == f"{column}: {shown} is before the person's birth date {born:%Y-%m-%d}"
