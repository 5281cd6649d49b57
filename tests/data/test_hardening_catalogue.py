"""A larger catalogue of hostile extracts (issue 14), each through the real command: a file
problem ends in exit 2 and one line naming the file (and row, column or sheet), never a
traceback, and nothing is published. Row-level problems stay row-level (quarantined with file,
row, column and reason); a file that is only unusual (mixed line endings, a huge cell, a folder
name that is not UTF-8) is read right."""

from __future__ import annotations

import gzip
import io
import json
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from hientai.ingest.errors import YAML_TOO_LARGE
from hientai.ingest.guard import NO_PEOPLE_ACCEPTED
from hientai.storage import SnapshotStore
from hientai_app.cli import app
from tests.conftest import N_PEOPLE, tiny_tables, write_tables

PEOPLE_COLUMNS = "{" + ", ".join(f"{c}: {c}" for c in tiny_tables()["people"].columns) + "}"


def _fifo(folder: Path) -> None:
    (folder / "people.csv").unlink()
    os.mkfifo(folder / "people.csv")  # opening it would wait for a writer forever


def _zero_byte_parquet(folder: Path) -> None:
    (folder / "people.csv").unlink()
    (folder / "people.parquet").write_bytes(b"")


def _only_a_bom(folder: Path) -> None:
    (folder / "people.csv").write_bytes(b"\xef\xbb\xbf")


def _zip_named_csv(folder: Path) -> None:
    people = folder / "people.csv"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("people.csv", people.read_bytes())
    people.write_bytes(buffer.getvalue())


def _gzip_named_csv(folder: Path) -> None:
    people = folder / "people.csv"
    people.write_bytes(gzip.compress(people.read_bytes()))


def _lone_cr_inside_a_cell(folder: Path) -> None:
    people = folder / "people.csv"
    lines = people.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("Nguyễn Văn", "Nguyễn\rVăn")  # the third person, row 4
    people.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="")


def _whitespace_header(folder: Path) -> None:
    people = folder / "people.csv"
    text = people.read_text(encoding="utf-8")
    people.write_text("  \t " + text.removeprefix("person_id"), encoding="utf-8")


def _merged_header_cells(folder: Path) -> None:
    people = tiny_tables()["people"]
    book = Workbook()
    sheet = book.active
    sheet.title = "people"
    sheet.append(["Danh sách cán bộ", *[None] * (len(people.columns) - 1)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=4)
    sheet.append(list(people.columns))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=2)  # hides population
    for row in people.itertuples(index=False):
        sheet.append(list(row))
    (folder / "people.csv").unlink()
    book.save(folder / "people.xlsx")


def _symlink_loop(folder: Path) -> None:
    (folder / "organizations.csv").unlink()
    (folder / "organizations.csv").symlink_to(folder / "organizations.csv")


def _two_files_for_one_table(folder: Path) -> None:
    tiny_tables()["people"].head(5).to_parquet(folder / "people.parquet", index=False)


def _duplicate_parquet_columns(folder: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    people = pa.table([pa.array(["P1"]), pa.array(["P2"])], names=["person_id", "person_id"])
    (folder / "people.csv").unlink()
    pq.write_table(people, folder / "people.parquet")


FILE_PROBLEMS: list[tuple[str, Callable[[Path], None], str]] = [
    # (case, how the extract is spoilt, what the one line must say)
    ("people file is a FIFO", _fifo, "people.csv: is a named pipe (FIFO), not a regular file"),
    ("zero-byte Parquet", _zero_byte_parquet, "people.parquet: the file is empty"),
    ("CSV holding only a BOM", _only_a_bom, "people.csv: the file is empty"),
    ("ZIP named .csv", _zip_named_csv, "people.csv: is a ZIP archive (or an Excel workbook)"),
    ("gzip named .csv", _gzip_named_csv, "people.csv: is gzip-compressed, not CSV text"),
    (
        "lone CR inside a cell",
        _lone_cr_inside_a_cell,
        "people.csv row 4: 3 field(s) where the header has 10, after a carriage return (CR)",
    ),
    (
        "header that is only whitespace",
        _whitespace_header,
        "people.csv row 1 (header): no column 'person_id'",
    ),
    (
        "Excel with merged header cells",
        _merged_header_cells,
        "people.xlsx sheet 'people': no header row in the first 30 rows",
    ),
    (
        "symbolic link loop",
        _symlink_loop,
        "organizations.csv: a symbolic link that leads nowhere",
    ),
    (
        "people.csv and people.parquet both",
        _two_files_for_one_table,
        "people: the extract folder holds people.parquet and people.csv; keep only the one",
    ),
    (
        "Parquet with two columns of one name",
        _duplicate_parquet_columns,
        "people.parquet: not a readable Parquet file",
    ),
]


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    return config


def _ingest(tmp_path: Path, source: Path, *extra: str) -> object:
    return CliRunner().invoke(
        app, ["ingest", str(source), "--config", str(_config(tmp_path)), *extra]
    )


def _published(tmp_path: Path) -> list[str]:
    return SnapshotStore(tmp_path / "data" / "snapshots").ids()


def _assert_one_line(result: object, expected: str) -> None:
    output = result.output  # type: ignore[attr-defined]
    assert result.exit_code == 2, output  # type: ignore[attr-defined]
    assert output.strip().count("\n") == 0, output
    assert output.startswith("error: "), output
    assert expected in " ".join(output.split()), output
    assert "Traceback" not in output


@pytest.mark.parametrize(
    ("prepare", "expected"),
    [(p, e) for _, p, e in FILE_PROBLEMS],
    ids=[case for case, _, _ in FILE_PROBLEMS],
)
def test_hostile_file_is_one_line_exit_2_and_nothing_published(
    tmp_path: Path, prepare: Callable[[Path], None], expected: str
) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    prepare(folder)
    _assert_one_line(_ingest(tmp_path, folder), expected)
    assert _published(tmp_path) == []


# Mapping files.


def _mapping(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_mapping_that_is_a_list_is_one_line(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    mapping = _mapping(tmp_path, "- name: a list\n- tables: {}\n")
    result = _ingest(tmp_path, folder, "--mapping", str(mapping))
    _assert_one_line(result, f"{mapping}: expected a mapping with name and tables at the top")
    assert _published(tmp_path) == []


def _bomb(levels: int) -> str:
    """A mapping whose where-list values expand to 9**levels strings through aliases; each
    level is a valid condition, so only the size betrays it."""
    conditions = ['{column: population, op: in, value: &l0 ["a","b","c","d","e","f","g","h","i"]}']
    for level in range(1, levels):
        nine = ",".join([f"*l{level - 1}"] * 9)
        conditions.append(f"{{column: population, op: in, value: &l{level} [{nine}]}}")
    where = "\n".join(f"        - {c}" for c in conditions)
    return (
        "name: bomb\ntables:\n  people:\n    - file: people.csv\n      where:\n"
        f"{where}\n      columns: {PEOPLE_COLUMNS}\n"
    )


def test_a_yaml_anchor_bomb_is_refused_before_it_expands(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    mapping = _mapping(tmp_path, _bomb(9))  # 9**9 = 387 million strings once expanded
    result = _ingest(tmp_path, folder, "--mapping", str(mapping))
    _assert_one_line(result, YAML_TOO_LARGE.format(file=mapping, limit=100_000))
    assert _published(tmp_path) == []


def test_anchors_of_an_ordinary_size_still_work(tmp_path: Path) -> None:
    # An anchor reused by an alias, as docs/mapping.md recommends, loads and ingests.
    folder = write_tables(tmp_path / "x", tiny_tables())
    text = (
        "name: anchors\ntables:\n  people:\n    - file: people.csv\n      where:\n"
        "        - {column: population, op: in, value: &kinds [internal, external]}\n"
        "        - {column: population, op: in, value: *kinds}\n"
        f"      columns: {PEOPLE_COLUMNS}\n"
    )
    result = _ingest(tmp_path, folder, "--mapping", str(_mapping(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert len(_published(tmp_path)) == 1


def test_a_self_referencing_yaml_alias_is_one_line(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    mapping = _mapping(tmp_path, "name: loop\ndescription: &me [*me]\ntables: {}\n")
    result = _ingest(tmp_path, folder, "--mapping", str(mapping))
    _assert_one_line(result, f"{mapping}: a YAML alias refers to the anchor it is inside of")


# Paths that are not UTF-8.


def _non_utf8_folder(tmp_path: Path) -> Path:
    folder = write_tables(tmp_path / "x", tiny_tables())
    odd = Path(os.fsdecode(os.fsencode(tmp_path) + b"/tr\xedch-xu\xe2t"))  # Latin-1 bytes
    folder.rename(odd)
    return odd


def test_an_extract_folder_named_in_non_utf8_bytes_publishes_and_prints(tmp_path: Path) -> None:
    odd = _non_utf8_folder(tmp_path)
    result = _ingest(tmp_path, odd, "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["source"] == f"{tmp_path}/tr\\xedch-xu\\xe2t"
    manifest = SnapshotStore(tmp_path / "data" / "snapshots").open().manifest
    assert manifest["source"] == report["source"]


def test_a_missing_table_in_a_non_utf8_folder_is_one_line(tmp_path: Path) -> None:
    odd = _non_utf8_folder(tmp_path)
    (odd / "people.csv").unlink()
    result = _ingest(tmp_path, odd)
    _assert_one_line(result, f"{tmp_path}/tr\\xedch-xu\\xe2t: no people table found")
    assert _published(tmp_path) == []


# Row-level problems stay row-level; unusual but sound files are read right.


def _quarantine(tmp_path: Path) -> pd.DataFrame:
    (batch,) = (tmp_path / "data" / "quarantine").iterdir()
    return pd.read_csv(batch / "people.csv", dtype=str)


def test_dates_in_three_formats_in_one_column_are_quarantined_by_row(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["people"]["birth_date"] = ["1980-01-15", "15/01/1980", "Jan 15 1980", "1981-02-15"] * 5
    result = _ingest(tmp_path, write_tables(tmp_path / "x", tables))
    assert result.exit_code == 1, result.output  # over the rejection limit: not published
    assert _published(tmp_path) == []
    rejected = _quarantine(tmp_path)
    birth = rejected.loc[rejected["column"].str.contains("birth_date")]
    assert sorted(birth["source_row"].astype(int)) == [
        row for row in range(2, N_PEOPLE + 2) if (row - 2) % 4 in (1, 2)
    ]
    assert set(birth["source_file"]) == {"people.csv"}
    assert birth["reason"].str.contains("expected a date as %Y-%m-%d, got '15/01/1980'").any()


def test_duplicate_person_ids_across_two_files_of_a_table_are_quarantined(
    tmp_path: Path,
) -> None:
    people = tiny_tables()["people"]
    folder = write_tables(tmp_path / "x", {"organizations": tiny_tables()["organizations"]})
    people.iloc[:12].to_csv(folder / "people-a.csv", index=False)
    people.iloc[8:].to_csv(folder / "people-b.csv", index=False)  # P008-P011 in both
    mapping = _mapping(
        tmp_path,
        f"name: two\ntables:\n  people:\n    - file: people-a.csv\n      columns: {PEOPLE_COLUMNS}"
        f"\n    - file: people-b.csv\n      columns: {PEOPLE_COLUMNS}\n  organizations:\n"
        "    - file: organizations.csv\n      columns: {org_id: org_id, name: name, level: level,"
        " parent_id: parent_id, province_code: province_code}\n",
    )
    result = _ingest(tmp_path, folder, "--mapping", str(mapping))
    assert result.exit_code == 1, result.output
    assert _published(tmp_path) == []
    rejected = _quarantine(tmp_path)
    assert sorted(zip(rejected["source_file"], rejected["person_id"], strict=True)) == sorted(
        (file, f"P{i:03d}") for file in ("people-a.csv", "people-b.csv") for i in range(8, 12)
    )
    assert rejected["column"].str.contains("person_id").all()


def test_mixed_line_endings_are_read_row_for_row(tmp_path: Path) -> None:
    folder = write_tables(tmp_path / "x", tiny_tables())
    people = folder / "people.csv"
    lines = people.read_text(encoding="utf-8").splitlines()
    ends = ["\r\n", "\n", "\r"]  # Windows, Unix and old-Mac line ends in one file
    people.write_text(
        "".join(line + ends[i % 3] for i, line in enumerate(lines)), encoding="utf-8", newline=""
    )
    assert _ingest(tmp_path, folder).exit_code == 0
    read = SnapshotStore(tmp_path / "data" / "snapshots").open().read("people")
    assert read["full_name"].tolist() == tiny_tables()["people"]["full_name"].tolist()


def test_a_one_megabyte_cell_is_kept_whole(tmp_path: Path) -> None:
    tables = tiny_tables()
    tables["people"].loc[4, "full_name"] = "Nguyễn " + "A" * 1_000_000
    assert _ingest(tmp_path, write_tables(tmp_path / "x", tables)).exit_code == 0
    read = SnapshotStore(tmp_path / "data" / "snapshots").open().read("people")
    assert len(read["full_name"].iloc[4]) == 1_000_007
    assert read["full_name"].iloc[5] == "Nguyễn Văn F"


# --accept-shrink never publishes an extract without people.


def test_accept_shrink_does_not_publish_an_extract_without_people(tmp_path: Path) -> None:
    full = write_tables(tmp_path / "a", tiny_tables())
    assert _ingest(tmp_path, full).exit_code == 0
    before = _published(tmp_path)
    tables = tiny_tables()
    tables = {"organizations": tables["organizations"], "people": tables["people"].iloc[0:0]}
    empty = write_tables(tmp_path / "b", tables)
    forced = _ingest(tmp_path, empty, "--accept-shrink", "--json")
    assert forced.exit_code == 1, forced.output
    report = json.loads(forced.output)
    assert report["status"] == "held" and report["forced_by"] is None
    assert NO_PEOPLE_ACCEPTED.format(input_rows=0) in report["held_reasons"]
    assert "never published (not even with --accept-shrink)" in report["held_reasons"][0]
    assert _published(tmp_path) == before
    held = json.loads((Path(report["quarantine_path"]) / "held.json").read_text("utf-8"))
    assert held["reasons"] == report["held_reasons"]


def test_accept_shrink_still_forces_a_shrink_that_keeps_people(tmp_path: Path) -> None:
    # The other guard reasons stay forceable: 5 of 20 people left out, then forced.
    assert _ingest(tmp_path, write_tables(tmp_path / "a", tiny_tables())).exit_code == 0
    tables = tiny_tables()
    gone = set(tables["people"]["person_id"].iloc[13:18])
    cut = {
        name: frame.loc[~frame["person_id"].isin(gone)] if "person_id" in frame else frame
        for name, frame in tables.items()
    }
    forced = _ingest(tmp_path, write_tables(tmp_path / "b", cut), "--accept-shrink")
    assert forced.exit_code == 0, forced.output
    assert len(_published(tmp_path)) == 2
