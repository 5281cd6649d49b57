"""Faults during a night (issue 14): a disk that fills up at each write point, a database
connection lost during publish, a tracking outage during ingest. Each test names the guarantee
it checks; all of them check that the previous results of the night stay published, whole and
readable, and that no work, staging or retired folder is left behind.

The night runs on the trained world's champion and snapshot, in a data folder of its own.
"""

from __future__ import annotations

import errno
import hashlib
import shutil
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from hientai.settings import load_settings
from hientai.storage import SnapshotStore
from hientai_app.cli import app
from pipelines import results_db
from pipelines.results_db import FRAME_TABLES, PublishError, ResultsDB
from tests.conftest import POSTGRES_ADMIN, tiny_tables, write_tables

pytestmark = [pytest.mark.xdist_group("prefect"), pytest.mark.slow]
NIGHT = "2026-01-01"
FRAMES = ("pools", "entries", "explanations", "fairness", "warnings", "diff")


@pytest.fixture(scope="module")
def night_world(
    first_training: dict,
    trained_world: tuple[Path, Path],
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict]:
    """(config, first run) of a data folder sharing the world's champion and snapshots, with
    NIGHT published once."""
    from pipelines.nightly import nightly

    world = load_settings(trained_world[0])
    root = tmp_path_factory.mktemp("night-faults")
    data = root / "data"
    data.mkdir(mode=0o700)
    shutil.copy(world.data_dir / "mlflow.db", data / "mlflow.db")
    shutil.copytree(world.snapshots_dir, data / "snapshots")
    config = root / "conf.yaml"
    config.write_text(f"data_dir: {data}\ntoday: 2026-06-01\n", encoding="utf-8")
    return config, nightly(as_of=NIGHT, config=str(config))


def _state(config: Path) -> dict[str, Any]:
    """What readers of NIGHT see: its run, its rows, and every file of its run folder."""
    settings = load_settings(config)
    db = ResultsDB(settings.app_db_url)
    run = db.run(NIGHT)
    assert run is not None
    folder = settings.runs_dir / NIGHT
    return {
        "run_id": run["run_id"],
        "rows": {frame: len(db.read(frame, run["run_id"])) for frame in FRAME_TABLES},
        "files": {
            p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())
        },
        "runs": db.runs()["run_id"].tolist(),
    }


def _hidden_leftovers(config: Path) -> list[str]:
    return sorted(p.name for p in load_settings(config).runs_dir.iterdir() if p.name[0] == ".")


def _night_cli(config: Path) -> Any:
    return CliRunner().invoke(app, ["nightly", "--as-of", NIGHT, "--config", str(config)])


def _assert_one_line_error(result: Any, *expected: str) -> str:
    """Exit 2 and the command's own one-line error, no traceback."""
    assert result.exit_code == 2, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    errors = [line for line in result.output.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.output
    assert "Traceback" not in result.output
    for text in expected:
        assert text in " ".join(result.output.split()), result.output
    return errors[0]


# Disk full at each write point of a night.


def _full(path: object, name: str, folder: str) -> None:
    path = Path(str(path))
    if path.name == name and path.parent.name.startswith(folder):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))


def _disk_full_at(monkeypatch: pytest.MonkeyPatch, name: str, folder: str) -> None:
    """Writing the file ``name`` in a folder whose name starts with ``folder`` (the night's
    work folder ``.work-*`` or its run folder being staged, ``.staging-*``) fails as a full
    disk does, whichever way it is written."""
    to_parquet, write_text, write_bytes = (
        pd.DataFrame.to_parquet,
        Path.write_text,
        Path.write_bytes,
    )
    copyfile = shutil.copyfile

    def parquet(self: pd.DataFrame, path: object, *args: Any, **kwargs: Any) -> Any:
        _full(path, name, folder)
        return to_parquet(self, path, *args, **kwargs)

    def text(self: Path, *args: Any, **kwargs: Any) -> int:
        _full(self, name, folder)
        return write_text(self, *args, **kwargs)

    def data(self: Path, *args: Any, **kwargs: Any) -> int:
        _full(self, name, folder)
        return write_bytes(self, *args, **kwargs)

    def copy(src: Any, dst: Any, *args: Any, **kwargs: Any) -> Any:
        _full(dst, name, folder)
        return copyfile(src, dst, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", parquet)
    monkeypatch.setattr(Path, "write_text", text)
    monkeypatch.setattr(Path, "write_bytes", data)
    monkeypatch.setattr(shutil, "copyfile", copy)


WRITE_POINTS = {
    # (file, folder): the stage that writes it
    ("scores.parquet", ".work-"): "score",
    ("previous.json", ".work-"): "shortlists",
    ("explanations.parquet", ".work-"): "explain",
    ("warnings.parquet", ".work-"): "audit",
    ("report.html", ".staging-"): "publish: the HTML report",
    ("shortlists.xlsx", ".staging-"): "publish: the Excel export",
    ("classifier.pkl", ".staging-"): "publish: the model beside the scores",
    ("manifest.json", ".staging-"): "publish: the run folder's manifest",
}


@pytest.mark.parametrize(
    ("name", "folder"),
    list(WRITE_POINTS),
    ids=[f"{n} ({s})" for (n, _), s in WRITE_POINTS.items()],
)
def test_disk_full_at_a_run_folder_write_point(
    night_world: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch, name: str, folder: str
) -> None:
    """Guarantee: a disk that fills up while a night writes its work folder or stages its run
    folder ends in exit 2 and one line naming the file (no traceback); the night's previous
    run stays published, whole (run row, rows, run folder byte for byte) and readable; no
    hidden folder is left."""
    config, _ = night_world
    before = _state(config)
    with monkeypatch.context() as patch:
        _disk_full_at(patch, name, folder)
        result = _night_cli(config)
    line = _assert_one_line_error(
        result,
        f"night {NIGHT}:",
        f"{name}: no space left on the device while writing",
        "the night's previous results are unchanged",
    )
    assert f"{folder}" in line  # the path named is the file that could not be written
    assert _state(config) == before
    assert _hidden_leftovers(config) == []


def _sqlite_full_on_insert(monkeypatch: pytest.MonkeyPatch, config: Path, seen: list[str]) -> None:
    """SQLite says "database or disk is full" while the entries go in; just before, a second
    connection reads which run readers see for the night."""
    execute = sa.engine.Connection.exec_driver_sql
    url = load_settings(config).app_db_url

    def full(self: sa.engine.Connection, statement: str, *args: Any, **kwargs: Any) -> Any:
        if statement.startswith("INSERT INTO entries"):
            seen.append(str(ResultsDB(url).run(NIGHT)["run_id"]))  # type: ignore[index]
            raise sqlite3.OperationalError("database or disk is full")
        return execute(self, statement, *args, **kwargs)

    monkeypatch.setattr(sa.engine.Connection, "exec_driver_sql", full)


def _sqlite_full_on_commit(monkeypatch: pytest.MonkeyPatch, config: Path, seen: list[str]) -> None:
    """SQLite says "database or disk is full" when the publish commits, after the run folder
    was swapped into place."""
    publish_night, commit = ResultsDB.publish_night, sa.engine.default.DefaultDialect.do_commit
    armed = {"now": False}
    url = load_settings(config).app_db_url

    def publish(self: ResultsDB, *args: Any, before_commit: Callable[[], None], **kw: Any) -> None:
        def swap_then_arm() -> None:
            before_commit()
            seen.append(str(ResultsDB(url).run(NIGHT)["run_id"]))  # type: ignore[index]
            armed["now"] = True

        publish_night(self, *args, before_commit=swap_then_arm, **kw)

    def do_commit(self: Any, dbapi_connection: Any) -> None:
        if armed["now"]:
            armed["now"] = False
            raise sqlite3.OperationalError("database or disk is full")
        commit(self, dbapi_connection)

    monkeypatch.setattr(ResultsDB, "publish_night", publish)
    monkeypatch.setattr(sa.engine.default.DefaultDialect, "do_commit", do_commit)


def _sqlite_connection_lost(
    monkeypatch: pytest.MonkeyPatch, config: Path, seen: list[str]
) -> None:
    """The database connection is closed under the publish while the entries go in."""
    insert = results_db._insert_frame
    url = load_settings(config).app_db_url

    def lost(conn: sa.engine.Connection, table: sa.Table, *args: Any) -> None:
        if table.name == "entries":
            seen.append(str(ResultsDB(url).run(NIGHT)["run_id"]))  # type: ignore[index]
            conn.connection.driver_connection.close()  # type: ignore[union-attr]
        insert(conn, table, *args)

    monkeypatch.setattr(results_db, "_insert_frame", lost)


REFUSED_ENTRIES = "the database refused table 'entries' rows 0-"
DATABASE_FAULTS = {
    # fault: (how it is injected, what the one line says)
    "disk full while the rows go in": (
        _sqlite_full_on_insert,
        (REFUSED_ENTRIES, "nothing was published: database or disk is full"),
    ),
    "disk full at the commit": (
        _sqlite_full_on_commit,
        (
            f"night {NIGHT}: the application database sqlite:///",
            "(database or disk is full); the transaction was rolled back",
            "nothing of this run was published",
        ),
    ),
    "connection lost mid-transaction": (
        _sqlite_connection_lost,
        (REFUSED_ENTRIES, "nothing was published: Cannot operate on a closed database"),
    ),
}


@pytest.mark.parametrize("fault", list(DATABASE_FAULTS))
def test_a_database_fault_during_publish_rolls_back_and_the_rerun_succeeds(
    night_world: tuple[Path, dict], monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    """Guarantee: SQLite failing inside the publish transaction (full disk on insert or on
    commit, a connection lost) ends in exit 2 and one line saying the transaction was rolled
    back; during the publish a reader still sees the previous run; afterwards the previous run
    and its folder are intact (the folder swap undone) and the same night runs again."""
    config, _ = night_world
    before = _state(config)
    inject, says = DATABASE_FAULTS[fault]
    seen: list[str] = []
    with monkeypatch.context() as patch:
        inject(patch, config, seen)
        result = _night_cli(config)
    _assert_one_line_error(result, *says)
    assert seen == [before["run_id"]]  # what a reader saw in the middle of the publish
    assert _state(config) == before
    assert _hidden_leftovers(config) == []
    again = CliRunner().invoke(app, ["nightly", "--as-of", NIGHT, "--config", str(config)])
    assert again.exit_code == 0, again.output
    after = _state(config)
    assert after["run_id"] != before["run_id"] and after["rows"] == before["rows"]
    assert after["runs"] == [after["run_id"]]


# PostgreSQL: the backend terminated in the middle of the publish.


@pytest.fixture
def postgres_db() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    name = f"hientai_faults_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_postgresql_backend_terminated_mid_publish_rolls_back_and_the_rerun_succeeds(
    night_world: tuple[Path, dict], postgres_db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guarantee: with PostgreSQL, a connection killed by the server (pg_terminate_backend from
    a second connection) while the night's rows are copied in ends in a one-line
    ``PublishError`` (a ValueError, which the command prints as one line); the transaction is
    rolled back, the previous run is intact, and publishing the same night again succeeds."""
    import psycopg

    config, first = night_world
    source = ResultsDB(load_settings(config).app_db_url)
    run = source.run(NIGHT)
    assert run is not None
    frames = {frame: source.read(frame, run["run_id"]) for frame in FRAMES}
    manifest = {name: run[name] for name in results_db.MANIFEST_FIELDS}
    db = ResultsDB(postgres_db)
    db.create_schema()
    db.publish_night(manifest, frames)
    before = {frame: len(db.read(frame, run["run_id"])) for frame in FRAMES}
    assert before["entries"] > 0

    insert = results_db._insert_frame
    killed: list[int] = []

    def terminated(conn: sa.engine.Connection, table: sa.Table, *args: Any) -> None:
        if table.name == "entries":
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            admin = postgres_db.replace("postgresql+psycopg", "postgresql")
            with psycopg.connect(admin, autocommit=True) as other:
                assert db.run(NIGHT)["run_id"] == run["run_id"]  # type: ignore[index]
                other.execute("SELECT pg_terminate_backend(%s)", (pid,))
            killed.append(pid)
        insert(conn, table, *args)

    second = manifest | {"run_id": uuid.uuid4().hex}
    monkeypatch.setattr(results_db, "_insert_frame", terminated)
    with pytest.raises(ValueError, match=r"nothing (of this run )?was published") as caught:
        db.publish_night(second, frames)
    assert len(killed) == 1
    assert "\n" not in str(caught.value)
    assert db.runs()["run_id"].tolist() == [run["run_id"]]
    assert {frame: len(db.read(frame, run["run_id"])) for frame in FRAMES} == before
    assert len(db.read("entries", second["run_id"])) == 0

    monkeypatch.setattr(results_db, "_insert_frame", insert)
    db.publish_night(second, frames)
    assert db.runs()["run_id"].tolist() == [second["run_id"]]
    assert {frame: len(db.read(frame, second["run_id"])) for frame in FRAMES} == before
    assert first["run_id"] != second["run_id"]


def test_a_lost_sqlite_connection_is_a_publish_error_not_a_driver_error(tmp_path: Path) -> None:
    """Guarantee (database level): whatever statement of the publish transaction meets the
    lost connection (the delete of the old night, the run row, the commit), the caller gets
    the project's ``PublishError`` naming the night, and the old night stays."""
    from tests.data.test_results_db import manifest, night_frames

    db = ResultsDB(f"sqlite:///{tmp_path / 'app.db'}")
    db.create_schema()
    old = manifest(NIGHT)
    db.publish_night(old, night_frames())

    def lost() -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(PublishError) as caught:
        db.publish_night(manifest(NIGHT), night_frames(), before_commit=lost)
    assert str(caught.value).startswith(
        f"night {NIGHT}: the application database sqlite:///{tmp_path / 'app.db'} failed while "
        "publishing (disk I/O error); the transaction was rolled back"
    )
    assert db.runs()["run_id"].tolist() == [old["run_id"]]


# A tracking outage during ingest.


def test_ingest_publishes_without_the_tracking_store(tmp_path: Path) -> None:
    """Guarantee: ingestion never needs MLflow (hientai.tracking is used by training and the
    nightly scoring only), so with the tracking store unreachable `hientai ingest` still
    publishes the snapshot and says so, exit 0."""
    config = tmp_path / "conf.yaml"
    config.write_text(
        f"data_dir: {tmp_path / 'data'}\ntoday: 2026-01-15\ntraining:\n"
        "  tracking_uri: postgresql+psycopg://postgres@127.0.0.1:1/nowhere\n",
        encoding="utf-8",
    )
    extract = write_tables(tmp_path / "x", tiny_tables())
    result = CliRunner().invoke(app, ["ingest", str(extract), "--config", str(config)])
    assert result.exit_code == 0, result.output
    latest = SnapshotStore(tmp_path / "data" / "snapshots").latest_id()
    assert latest is not None and f"Published snapshot {latest}" in result.output


DOWN = "http://127.0.0.1:1"  # nothing listens on port 1: the tracking server is down


def _tracking_down(config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The same settings with the tracking store at a server that is down (MLflow asked not to
    retry, so the outage shows at once)."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "5")
    down = tmp_path / "down.yaml"
    down.write_text(
        config.read_text(encoding="utf-8") + f"training:\n  tracking_uri: {DOWN}\n",
        encoding="utf-8",
    )
    return down


def test_a_tracking_outage_is_named_not_taken_for_a_missing_champion(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Guarantee: a registry that cannot be reached is reported as such (a one-line
    ``TrackingUnavailable``, a settings error), never as "no champion yet; run hientai train"
    (which would send the operator to retrain); a missing model is still None."""
    from hientai import tracking

    config = tmp_path / "conf.yaml"
    config.write_text(f"data_dir: {tmp_path / 'data'}\n", encoding="utf-8")
    (tmp_path / "data").mkdir()
    settings = load_settings(_tracking_down(config, tmp_path, monkeypatch))
    with pytest.raises(tracking.TrackingUnavailable) as caught:
        tracking.load_champion(settings)
    assert str(caught.value).startswith(f"the tracking store {DOWN} cannot be used (")
    local = tracking.connect(load_settings(config))
    assert tracking.alias_version(local, "no-such-model", tracking.CHAMPION) is None
    assert tracking.aliases(local, "no-such-model") == {}


def test_a_night_with_an_extract_and_the_tracking_store_down_publishes_the_snapshot_only(
    night_world: tuple[Path, dict],
    trained_world: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Guarantee: a night given a new extract while the tracking store is down publishes the
    snapshot (ingestion does not need MLflow), then stops at scoring with exit 2 and one line
    naming the tracking store; the night's previous run stays published, whole."""
    config, _ = night_world
    down = _tracking_down(config, tmp_path, monkeypatch)
    extract = tmp_path / "extract"
    shutil.copytree(
        trained_world[1].parent.parent, extract, ignore=shutil.ignore_patterns("truth")
    )
    orgs = pd.read_parquet(extract / "organizations.parquet")
    orgs.loc[0, "name"] = f"{orgs.loc[0, 'name']} (renamed)"  # a new extract, a new snapshot
    orgs.to_parquet(extract / "organizations.parquet", index=False)
    store = SnapshotStore(load_settings(config).snapshots_dir)
    latest, before = store.latest_id(), _state(config)
    result = CliRunner().invoke(
        app, ["nightly", "--extract", str(extract), "--as-of", NIGHT, "--config", str(down)]
    )
    _assert_one_line_error(result, f"the tracking store {DOWN} cannot be used")
    assert store.latest_id() not in (None, latest)
    assert store.open().manifest["source"] == str(extract)
    assert _state(config) == before
    assert _hidden_leftovers(config) == []


def test_a_night_given_a_refused_or_broken_extract_says_so_in_one_line(
    night_world: tuple[Path, dict], trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    """Guarantee: `hientai nightly --extract` with an extract that ingestion refuses (a people
    file with no rows: every other table's rows name unknown people) ends like `hientai
    ingest`: exit 1, one line, nothing published; with a
    file that cannot be read (a people file that is not Parquet), exit 2 and one line naming
    it; never a traceback, and the night's previous run stays published, whole."""
    config, _ = night_world
    store = SnapshotStore(load_settings(config).snapshots_dir)
    latest, before = store.latest_id(), _state(config)
    held = tmp_path / "held"
    shutil.copytree(trained_world[1].parent.parent, held, ignore=shutil.ignore_patterns("truth"))
    people = pd.read_parquet(held / "people.parquet")
    people.iloc[:0].to_parquet(held / "people.parquet", index=False)
    args = ["nightly", "--as-of", NIGHT, "--config", str(config), "--extract"]
    result = CliRunner().invoke(app, [*args, str(held)])
    assert result.exit_code == 1, (result.output, result.exception)
    assert isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "error: nothing published" in " ".join(result.output.split()), result.output
    broken = tmp_path / "broken"
    shutil.copytree(held, broken)
    (broken / "people.parquet").write_bytes(b"not a parquet file")
    result = CliRunner().invoke(app, [*args, str(broken)])
    _assert_one_line_error(result, "people.parquet")
    assert store.latest_id() == latest
    assert _state(config) == before
    assert _hidden_leftovers(config) == []
