"""Hostile files end in one clear error (exit 2, one line naming file and row, column or sheet,
never a traceback); encodings, NUL bytes and workbook sheets are read or named (issue 14)."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from hientai.ingest import IngestError, load_mapping, run_batch
from hientai.ingest.errors import LOOKS_UTF16, NOT_A_FILE
from hientai.settings import Settings
from hientai.storage import SnapshotStore
from hientai_app.cli import app
from tests.conftest import N_PEOPLE, tiny_tables, write_tables


def _ingest_error(folder: Path, settings: Settings) -> str:
    with pytest.raises(IngestError) as caught:
        run_batch(folder, mapping=None, settings=settings)
    assert SnapshotStore(settings.snapshots_dir).ids() == []
    return str(caught.value)


def _corrupt_parquet(folder: Path) -> None:
    (folder / "people.csv").unlink()
    (folder / "people.parquet").write_bytes(b"PAR1 this is not a parquet file at all")


def _trimmed_duplicate(folder: Path) -> None:
    people = folder / "people.csv"
    lines = people.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0] + ", person_id "
    lines[1:] = [line + ",X" for line in lines[1:]]
    people.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _folder_as_table(folder: Path) -> None:
    (folder / "organizations.csv").unlink()
    (folder / "organizations.csv").mkdir()


def _utf16_without_mark(folder: Path) -> None:
    people = folder / "people.csv"
    people.write_bytes(people.read_text(encoding="utf-8").encode("utf-16-le"))


def _truncated_parquet(folder: Path) -> None:
    frame = pd.read_csv(folder / "evaluations.csv", dtype=str)
    (folder / "evaluations.csv").unlink()
    frame.to_parquet(folder / "evaluations.parquet", index=False)
    data = (folder / "evaluations.parquet").read_bytes()
    (folder / "evaluations.parquet").write_bytes(data[: len(data) // 2])


FILE_PROBLEMS: list[tuple[str, Callable[[Path], None], str]] = [
    # (case, how the extract is spoilt, what the one line must say)
    ("corrupt parquet", _corrupt_parquet, "people.parquet: not a readable Parquet file"),
    (
        "two person_id columns once trimmed",
        _trimmed_duplicate,
        "people.csv row 1 (header): column 'person_id' appears 2 times (columns [1, 11]",
    ),
    ("a folder named like a table", _folder_as_table, "is a folder, not a table file"),
    ("UTF-16 without a byte-order mark", _utf16_without_mark, "encoding: utf-16-le"),
    ("truncated parquet", _truncated_parquet, "evaluations.parquet: not a readable Parquet"),
]


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [(p, e) for _, p, e in FILE_PROBLEMS],
    ids=[case for case, _, _ in FILE_PROBLEMS],
)
def test_file_problem_is_one_line_exit_2_without_traceback(
    tmp_path: Path, prepare: Callable[[Path], None], expected: str
) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    prepare(folder)
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["ingest", str(folder), "--config", str(config)])
    assert result.exit_code == 2, result.output
    assert result.output.strip().count("\n") == 0, result.output
    assert result.output.startswith("error: ")
    assert expected in result.output
    assert "Traceback" not in result.output
    assert SnapshotStore(tmp_path / "data" / "snapshots").ids() == []


def test_folder_as_table_names_the_path(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    _folder_as_table(folder)
    assert _ingest_error(folder, settings) == NOT_A_FILE.format(file=folder / "organizations.csv")


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig", "utf-32"])
def test_text_with_a_byte_order_mark_reads(tmp_path: Path, settings: Settings, codec: str) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    orgs = folder / "organizations.csv"
    orgs.write_bytes(orgs.read_text(encoding="utf-8").encode(codec))
    assert orgs.read_bytes().startswith(
        {"utf-16": codecs.BOM_UTF16, "utf-8-sig": codecs.BOM_UTF8, "utf-32": codecs.BOM_UTF32}[
            codec
        ]
    )
    report = run_batch(folder, mapping=None, settings=settings)
    assert report.status == "published"
    names = SnapshotStore(settings.snapshots_dir).open().read("organizations")["name"]
    assert names.tolist() == tiny_tables()["organizations"]["name"].tolist()


def test_utf16_without_a_mark_names_the_encoding_to_set(
    tmp_path: Path, settings: Settings
) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    _utf16_without_mark(folder)
    assert _ingest_error(folder, settings) == LOOKS_UTF16.format(file="people.csv")


def test_utf16_without_a_mark_reads_with_the_encoding_set(
    tmp_path: Path, settings: Settings
) -> None:
    folder = write_tables(tmp_path / "x", {"people": tiny_tables()["people"]})
    _utf16_without_mark(folder)
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "name: utf16\nencoding: utf-16-le\ntables:\n  people:\n    - file: people.csv\n"
        "      columns: {person_id: person_id, population: population, full_name: full_name,"
        " birth_date: birth_date}\n",
        encoding="utf-8",
    )
    report = run_batch(folder, mapping=load_mapping(mapping), settings=settings)
    assert report.status == "published"
    assert {t.name: t.accepted for t in report.tables} == {"people": N_PEOPLE}


def test_a_wrong_encoding_in_the_mapping_is_named(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", {"people": tiny_tables()["people"]})
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "name: wrong\nencoding: ascii\ntables:\n  people:\n    - file: people.csv\n"
        "      columns: {person_id: person_id, population: population}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError, match=r"^people\.csv: cannot be read as ascii: .*byte"):
        run_batch(folder, mapping=load_mapping(mapping), settings=settings)


def test_nul_bytes_are_removed_with_a_note(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    people = folder / "people.csv"
    lines = people.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("Nguyễn", "Ngu\x00yễn\x00")  # line 4: the third person
    people.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = run_batch(folder, mapping=None, settings=settings)
    assert report.status == "published"
    assert "people.csv: 2 NUL byte(s) removed from the text (line 4)" in report.notes
    names = SnapshotStore(settings.snapshots_dir).open().read("people")["full_name"]
    assert names.iloc[2] == "Nguyễn Văn C"
    assert not names.str.contains("\x00").any()


def test_nul_bytes_in_parquet_text_are_removed_with_a_note(
    tmp_path: Path, settings: Settings
) -> None:
    tables = tiny_tables()
    tables["organizations"].loc[1, "name"] = "Ủy ban\x00 tỉnh"
    folder = write_tables(tmp_path / "x", tables, suffix=".parquet")
    report = run_batch(folder, mapping=None, settings=settings)
    assert report.status == "published"
    assert "organizations.parquet: 1 NUL byte(s) removed from the text (column 2)" in (
        report.notes
    )
    names = SnapshotStore(settings.snapshots_dir).open().read("organizations")["name"]
    assert names.iloc[1] == "Ủy ban tỉnh"


def _workbook(path: Path, sheets: dict[str, pd.DataFrame]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with pd.ExcelWriter(path) as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name, index=False)
    return path


README = pd.DataFrame({"Hướng dẫn": ["Tệp này gồm danh sách cán bộ", "Xem trang sau"]})


def test_workbook_people_sheet_found_by_name_after_a_readme(
    tmp_path: Path, settings: Settings
) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    (folder / "people.csv").unlink()
    _workbook(folder / "people.xlsx", {"README": README, "People": tiny_tables()["people"]})
    report = run_batch(folder, mapping=None, settings=settings)
    assert report.status == "published"
    people = {t.name: t for t in report.tables}["people"]
    assert people.sources == ["people.xlsx sheet 'People'"]
    assert people.accepted == N_PEOPLE


def test_workbook_sheet_found_by_its_columns(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    (folder / "people.csv").unlink()
    _workbook(
        folder / "people.xlsx", {"README": README, "Danh sách 2026": tiny_tables()["people"]}
    )
    report = run_batch(folder, mapping=None, settings=settings)
    assert {t.name: t.sources for t in report.tables}["people"] == [
        "people.xlsx sheet 'Danh sách 2026'"
    ]


def test_workbook_without_the_table_lists_the_sheets_it_saw(
    tmp_path: Path, settings: Settings
) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    (folder / "people.csv").unlink()
    _workbook(folder / "people.xlsx", {"README": README, "Notes": README})
    message = _ingest_error(folder, settings)
    assert message.startswith("people.xlsx: no sheet named 'people' and no sheet with a header")
    assert "sheets seen: ['README', 'Notes']" in message


def test_mapping_naming_a_missing_sheet_lists_the_sheets(
    tmp_path: Path, settings: Settings
) -> None:
    book = _workbook(tmp_path / "x" / "hr.xlsx", {"README": README})
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "name: m\ntables:\n  people:\n    - file: hr.xlsx\n      sheet: Staff\n"
        "      columns: {person_id: id, population: kind}\n",
        encoding="utf-8",
    )
    with pytest.raises(IngestError) as caught:
        run_batch(book.parent, mapping=load_mapping(mapping), settings=settings)
    assert str(caught.value).startswith("hr.xlsx: no sheet 'Staff'; sheets seen: ['README']")


def test_a_corrupt_workbook_is_named(tmp_path: Path, settings: Settings) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    (folder / "people.csv").unlink()
    (folder / "people.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    assert _ingest_error(folder, settings).startswith("people.xlsx: not a readable Excel workbook")


def test_an_unreadable_file_is_named(
    tmp_path: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    real_open = Path.open

    def refuse(self: Path, *args: object, **kwargs: object) -> object:
        if self.name == "trainings.csv":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", refuse)
    message = _ingest_error(folder, settings)
    assert message.startswith(f"{folder / 'trainings.csv'}: cannot be read (Permission denied)")
