"""Nothing wrong is published: the publish guard (empty people, a shrinking extract) and
confinement to the extract folder (issue 14)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from hientai.ingest import IngestError, IngestReport, load_mapping, run_batch
from hientai.ingest.errors import OUTSIDE_EXTRACT
from hientai.ingest.guard import NO_PEOPLE_ACCEPTED
from hientai.settings import Settings
from hientai.storage import SnapshotStore
from hientai_app.cli import app
from tests.conftest import N_PEOPLE, tiny_tables, write_tables


def _without_people(tables: dict[str, pd.DataFrame], n: int) -> dict[str, pd.DataFrame]:
    """The extract with its last ``n`` internal people (and their rows) cut, as an export cut
    short would be."""
    gone = set(tables["people"]["person_id"].iloc[N_PEOPLE - 2 - n : N_PEOPLE - 2])
    return {
        name: frame.loc[~frame["person_id"].isin(gone)] if "person_id" in frame else frame
        for name, frame in tables.items()
    }


def _held_file(report: IngestReport) -> dict[str, object]:
    assert report.quarantine_path is not None
    return json.loads((Path(report.quarantine_path) / "held.json").read_text(encoding="utf-8"))


def test_people_file_with_a_header_and_no_rows_is_held(tmp_path: Path, settings: Settings) -> None:
    tables = tiny_tables()
    tables = {"organizations": tables["organizations"], "people": tables["people"].iloc[0:0]}
    report = run_batch(write_tables(tmp_path / "x", tables), mapping=None, settings=settings)
    assert report.status == "held"
    assert not report.ok
    assert report.held_reasons == [NO_PEOPLE_ACCEPTED.format(input_rows=0)]
    assert _held_file(report)["reasons"] == report.held_reasons
    assert SnapshotStore(settings.snapshots_dir).ids() == []


def test_truncated_export_is_held_against_the_latest_snapshot(
    tmp_path: Path, settings: Settings
) -> None:
    first = run_batch(write_tables(tmp_path / "a", tiny_tables()), mapping=None, settings=settings)
    cut = _without_people(tiny_tables(), 5)  # 5 of 20 people: 25% > 20%
    report = run_batch(write_tables(tmp_path / "b", cut), mapping=None, settings=settings)
    assert report.status == "held"
    people = next(r for r in report.held_reasons if r.startswith("people:"))
    assert people == (
        f"people: 15 rows accepted, 20 in the latest snapshot {first.snapshot_id} (25% fewer; "
        "the limit is ingest.max_shrink_share = 20%)"
    )
    assert any(r.startswith("evaluations: 13 rows accepted, 18") for r in report.held_reasons)
    assert SnapshotStore(settings.snapshots_dir).latest_id() == first.snapshot_id
    assert SnapshotStore(settings.snapshots_dir).ids() == [first.snapshot_id]
    assert "--accept-shrink" in str(_held_file(report)["advice"])


def test_a_shrink_within_the_limit_publishes(tmp_path: Path, settings: Settings) -> None:
    run_batch(write_tables(tmp_path / "a", tiny_tables()), mapping=None, settings=settings)
    cut = _without_people(tiny_tables(), 2)  # 10% fewer people, 11% fewer evaluations
    report = run_batch(write_tables(tmp_path / "b", cut), mapping=None, settings=settings)
    assert report.status == "published"
    assert report.held_reasons == []


def test_a_table_missing_from_the_next_extract_is_held(tmp_path: Path, settings: Settings) -> None:
    run_batch(write_tables(tmp_path / "a", tiny_tables()), mapping=None, settings=settings)
    tables = tiny_tables()
    del tables["trainings"]
    report = run_batch(write_tables(tmp_path / "b", tables), mapping=None, settings=settings)
    assert report.status == "held"
    assert report.held_reasons[0].startswith("trainings: not in this extract, 20 rows")


def test_the_share_comes_from_the_settings(tmp_path: Path, settings: Settings) -> None:
    loose = settings.model_copy(
        update={"ingest": settings.ingest.model_copy(update={"max_shrink_share": 0.5})}
    )
    run_batch(write_tables(tmp_path / "a", tiny_tables()), mapping=None, settings=loose)
    cut = _without_people(tiny_tables(), 5)
    report = run_batch(write_tables(tmp_path / "b", cut), mapping=None, settings=loose)
    assert report.status == "published"


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\n", encoding="utf-8")
    return config


def test_cli_holds_with_exit_1_and_accept_shrink_publishes_and_records_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(tmp_path)
    full = write_tables(tmp_path / "a", tiny_tables())
    cut = write_tables(tmp_path / "b", _without_people(tiny_tables(), 5))
    runner = CliRunner()
    assert runner.invoke(app, ["ingest", str(full), "--config", str(config)]).exit_code == 0
    store = SnapshotStore(tmp_path / "data" / "snapshots")
    before = store.latest_id()

    held = runner.invoke(app, ["ingest", str(cut), "--config", str(config)])
    assert held.exit_code == 1, held.output
    assert "held: people: 15 rows accepted, 20 in the latest snapshot" in held.output
    assert "run the same command again with --accept-shrink" in held.output
    assert store.latest_id() == before

    args = ["ingest", str(cut), "--config", str(config), "--accept-shrink"]
    monkeypatch.setattr("sys.argv", ["/usr/bin/hientai", *args])
    forced = runner.invoke(app, args)
    assert forced.exit_code == 0, forced.output
    assert store.latest_id() != before
    manifest = store.open().manifest
    assert manifest["forced"]["reasons"][0].startswith("people: 15 rows accepted")
    assert manifest["forced"]["by"] == f"hientai ingest {cut} --config {config} --accept-shrink"
    assert "Published although held, forced by: hientai ingest" in forced.output


def test_forced_by_records_the_command_line(tmp_path: Path, settings: Settings) -> None:
    run_batch(write_tables(tmp_path / "a", tiny_tables()), mapping=None, settings=settings)
    cut = write_tables(tmp_path / "b", _without_people(tiny_tables(), 5))
    command = f"hientai ingest {cut} --accept-shrink"
    report = run_batch(cut, mapping=None, settings=settings, accept_shrink_by=command)
    assert report.status == "published"
    assert report.forced_by == command
    manifest = SnapshotStore(settings.snapshots_dir).open().manifest
    assert manifest["forced"] == {"by": command, "reasons": report.held_reasons}


# Confinement: table files and mapping sources stay inside the extract folder.


def _people_mapping(tmp_path: Path, file: str) -> Path:
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        f"name: m\ntables:\n  people:\n    - file: {file}\n"
        "      columns: {person_id: person_id, population: population}\n",
        encoding="utf-8",
    )
    return mapping


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside.csv"
    tiny_tables()["people"].to_csv(outside, index=False)
    return outside


def test_mapping_naming_a_file_outside_the_extract_is_refused(
    tmp_path: Path, settings: Settings
) -> None:
    outside = _outside(tmp_path)
    folder = write_tables(tmp_path / "x", {"organizations": tiny_tables()["organizations"]})
    mapping = load_mapping(_people_mapping(tmp_path, "../outside.csv"))
    with pytest.raises(IngestError) as caught:
        run_batch(folder, mapping=mapping, settings=settings)
    assert str(caught.value) == OUTSIDE_EXTRACT.format(
        file="../outside.csv", target=outside.resolve(), root=folder.resolve()
    )
    assert SnapshotStore(settings.snapshots_dir).ids() == []


def test_absolute_path_in_a_mapping_is_refused(tmp_path: Path, settings: Settings) -> None:
    outside = _outside(tmp_path)
    folder = write_tables(tmp_path / "x", {"organizations": tiny_tables()["organizations"]})
    mapping = load_mapping(_people_mapping(tmp_path, str(outside)))
    with pytest.raises(IngestError, match="outside the extract folder"):
        run_batch(folder, mapping=mapping, settings=settings)


def test_table_file_linking_outside_the_extract_is_refused(
    tmp_path: Path, settings: Settings
) -> None:
    outside = _outside(tmp_path)
    tables = tiny_tables()
    del tables["people"]
    folder = write_tables(tmp_path / "x", tables)
    (folder / "people.csv").symlink_to(outside)
    with pytest.raises(IngestError) as caught:
        run_batch(folder, mapping=None, settings=settings)
    assert str(caught.value).startswith(f"people.csv: resolves to {outside.resolve()}, outside")


def test_a_link_inside_the_extract_is_followed(tmp_path: Path, settings: Settings) -> None:
    tables = tiny_tables()
    folder = write_tables(tmp_path / "x", tables)
    (folder / "exports").mkdir()
    (folder / "people.csv").rename(folder / "exports" / "people-2026.csv")
    (folder / "people.csv").symlink_to(folder / "exports" / "people-2026.csv")
    assert run_batch(folder, mapping=None, settings=settings).status == "published"


def test_allow_outside_paths_lets_a_listed_folder_in(tmp_path: Path, settings: Settings) -> None:
    outside = _outside(tmp_path)
    folder = write_tables(tmp_path / "x", {"organizations": tiny_tables()["organizations"]})
    allowed = settings.model_copy(
        update={
            "ingest": settings.ingest.model_copy(update={"allow_outside_paths": [outside.parent]})
        }
    )
    mapping = load_mapping(_people_mapping(tmp_path, "../outside.csv"))
    report = run_batch(folder, mapping=mapping, settings=allowed)
    assert report.status == "published"
    assert {t.name: t.accepted for t in report.tables}["people"] == N_PEOPLE
