"""The application database publishes a night all or nothing, on SQLite and on PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from models.shortlist import spread_rows
from pipelines import results_db
from pipelines.results_db import ResultsDB

POSTGRES_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
FRAMES = ("pools", "entries", "explanations", "fairness", "warnings", "diff")
TABLES = ("pools", "entries", "explanations", "fairness", "warnings", "diffs")
TABLE_OF = dict(zip(FRAMES, TABLES, strict=True))
EXPLAIN = '[{"feature": "rating_trend_3y", "value": 1.0, "contribution": 0.2, "text_vi": "x"}]'


def manifest(night: str, **changes: object) -> dict:
    base = {
        "run_id": uuid.uuid4().hex,
        "night": night,
        "as_of": night,
        "snapshot_id": "snap-1",
        "model_name": "hientai-potential",
        "model_version": "3",
        "config_hash": "abc123",
        "code_version": "4bc54b1",
        "started_at": f"{night}T01:00:00+00:00",
        "finished_at": f"{night}T01:20:00+00:00",
        "policy": "audit_only",
        "counts": {"people_scored": 5, "pools": 2, "shortlisted": 3},
        "party_rules": ["POOL-A: party_member required"],
        "stage_seconds": {"score": 1.5, "publish": 0.25},
        "report_file": f"reports/{night}/report.html",
        "excel_file": f"reports/{night}/shortlists.xlsx",
    }
    return base | changes


def night_frames(n_entries: int = 5) -> dict[str, pd.DataFrame]:
    """Frames of docs/nightly-frames.md in the dtypes reads return; ``n_entries`` <= 5."""
    pools = pd.DataFrame(
        {
            "pool_id": ["POOL-A", "POOL-B"],
            "kind": ["leadership_post", "standing"],
            "position_id": ["POS-1", None],
            "org_id": ["P1", None],
            "province": ["LCI", None],
            "title": ["Giám đốc Sở Nội vụ", "Nguồn cán bộ trẻ"],
            "title_code": ["director", None],
            "scope": ["province", "national"],
            "k": pd.array([2, 3], dtype="Int64"),
            "n_eligible": pd.array([40, 300], dtype="Int64"),
            "n_qualified": pd.array([6, 9], dtype="Int64"),
            "max_age": [55.0, np.nan],
            "rules": ['["age<=55", "party_member"]', '["age<=40"]'],
            "party_rule": [True, False],
        }
    )
    entries = pd.DataFrame(
        {
            "pool_id": ["POOL-A", "POOL-A", "POOL-A", "POOL-B", "POOL-B"],
            "person_id": ["P001", "P002", "P003", "P001", "P004"],
            "full_name": ["Nguyễn Văn A", None, "Trần Thị C", "Nguyễn Văn A", "Lê D"],
            "population": ["internal", "internal", "external", "internal", "internal"],
            "rank": pd.array([1, 2, None, 1, None], dtype="Int64"),
            "rank_model": pd.array([1, 3, 2, 1, 2], dtype="Int64"),
            "rank_fair": pd.array([None] * 5, dtype="Int64"),
            "in_shortlist": [True, True, False, True, False],
            "score": [0.91, 0.72, 0.75, 0.66, 0.41],
            "raw_score": [2.3, 0.9, 1.1, 0.7, -0.4],
            "percentile": [99.5, 97.0, 98.1, 92.25, 80.0],
            "moved": [False, True, True, False, False],
            "move_note": [None, "up 1 (exposure)", "down 1", None, None],
        }
    ).iloc[:n_entries]
    explanations = pd.DataFrame(
        {
            "person_id": ["P001", "P002"],
            "base_value": [-1.2, -1.2],
            "raw_score": [2.3, 0.9],
            "score": [0.91, 0.72],
            "additivity_error": [1e-9, 0.0],
            "dimensions": ['{"performance": 1.4}', '{"performance": 0.6}'],
            "reasons_positive": [EXPLAIN, "[]"],
            "reasons_negative": ["[]", EXPLAIN],
            "suggestions": ["[]", "[]"],
            "contributions": ['{"rating_trend_3y": 0.2}', '{"rating_trend_3y": -0.1}'],
        }
    )
    fairness = pd.DataFrame(
        {
            "pool_id": ["POOL-A", "POOL-A", "POOL-B", None],
            "attribute": ["gender", "gender", "age_band", "gender"],
            "group": ["female", "male", "under_35", "female"],
            "metric": ["share_selected", "selection_impact_ratio", "skew_at_k", "ndkl"],
            "value": [0.5, np.nan, 1.25, 0.03],
            "ci_low": [0.1, np.nan, np.nan, np.nan],
            "ci_high": [0.9, np.nan, np.nan, np.nan],
            "n_pool": pd.array([40, 40, 300, 340], dtype="Int64"),
            "n_selected": pd.array([2, 2, 3, 5], dtype="Int64"),
            "small": [True, True, False, False],
            "threshold": [np.nan, 0.8, np.nan, np.nan],
            "verdict": ["info", "warn", "pass", "info"],
            "note": ["", "too few selected to judge", "", "whole run"],
        }
    )
    warnings = pd.DataFrame(
        {
            "person_id": ["P009"],
            "full_name": ["Phạm E"],
            "org_id": ["P1"],
            "province": [None],
            "title": ["Phó Giám đốc Sở"],
            "severity": ["high"],
            "signals": ['["rating_drop", "discipline"]'],
            "evidence_vi": ["Xếp loại giảm hai năm liền"],
            "evidence_en": ["Rating fell two years running"],
        }
    )
    diff = pd.DataFrame(
        {
            "pool_id": ["POOL-A", "POOL-A"],
            "person_id": ["P002", "P007"],
            "full_name": [None, "Đỗ F"],
            "change": ["entered", "left"],
            "rank_before": pd.array([None, 2], dtype="Int64"),
            "rank_after": pd.array([2, None], dtype="Int64"),
            "reason_vi": ["Điểm tăng", "Bị vượt"],
            "reason_en": ["Score rose", "Overtaken"],
        }
    )
    return dict(zip(FRAMES, (pools, entries, explanations, fairness, warnings, diff), strict=True))


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """One throwaway database for the module; each test starts from empty tables."""
    psycopg = pytest.importorskip("psycopg")
    try:
        admin = psycopg.connect(POSTGRES_ADMIN, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL at 127.0.0.1:5432 is unreachable ({exc}); start it to run these")
    name = f"hientai_app_{uuid.uuid4().hex[:8]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ResultsDB]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'nested' / 'app.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    app = ResultsDB(url)
    app.create_schema()
    app.create_schema()  # idempotent: a second call on an existing schema changes nothing
    if request.param == "postgresql":
        with app.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE runs, {', '.join(TABLES)} CASCADE"))
    yield app
    app.engine.dispose()


@pytest.fixture
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two rows per insert batch, so every frame here spans several batches."""
    monkeypatch.setattr(results_db, "CHUNK_ROWS", 2)


def row_counts(db: ResultsDB) -> dict[str, int]:
    with db.engine.connect() as conn:
        return {
            table: conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("runs", *TABLES)
        }


def assert_night_reads_back(db: ResultsDB, run_id: str, frames: dict[str, pd.DataFrame]) -> None:
    for name, expected in frames.items():
        pd.testing.assert_frame_equal(db.read(name, run_id), expected.reset_index(drop=True))


@pytest.mark.usefixtures("small_chunks")
def test_publish_then_read_back_every_frame(db: ResultsDB) -> None:
    frames, run = night_frames(), manifest("2026-01-15")
    db.publish_night(run, frames)
    assert_night_reads_back(db, run["run_id"], frames)
    stored = db.run("2026-01-15")
    assert stored is not None
    assert stored.pop("published_at") > "2026-"
    assert stored == run
    assert db.run() == db.run("2026-01-15")
    assert db.runs()["run_id"].tolist() == [run["run_id"]]
    assert row_counts(db) == {"runs": 1} | {t: len(frames[f]) for f, t in TABLE_OF.items()}


def test_read_filters_by_pool_and_person_and_checks_the_table_name(db: ResultsDB) -> None:
    frames, run = night_frames(), manifest("2026-01-15")
    db.publish_night(run, frames)
    pool_b = db.read("entries", run["run_id"], pool_id="POOL-B")
    assert pool_b["person_id"].tolist() == ["P001", "P004"]
    both = db.read("entries", run["run_id"], pool_id="POOL-A", person_id="P003")
    assert both["rank_model"].tolist() == [2]
    assert db.read("diffs", run["run_id"])["person_id"].tolist() == ["P002", "P007"]
    assert db.read("explanations", uuid.uuid4().hex).empty
    with pytest.raises(ValueError, match=r"unknown table 'people'.*'entries'"):
        db.read("people", run["run_id"])
    with pytest.raises(ValueError, match="table 'explanations' has no pool_id column"):
        db.read("explanations", run["run_id"], pool_id="POOL-A")


@pytest.mark.usefixtures("small_chunks")
def test_republish_replaces_the_night_and_leaves_other_nights(db: ResultsDB) -> None:
    first, other = manifest("2026-01-15"), manifest("2026-01-14")
    db.publish_night(other, night_frames())
    db.publish_night(first, night_frames())
    again, fewer = manifest("2026-01-15"), night_frames(n_entries=3)
    db.publish_night(again, fewer)
    assert db.runs()["run_id"].tolist() == [again["run_id"], other["run_id"]]
    assert_night_reads_back(db, again["run_id"], fewer)
    assert_night_reads_back(db, other["run_id"], night_frames())
    assert all(db.read(name, first["run_id"]).empty for name in FRAMES)
    expected = {t: len(fewer[f]) + len(night_frames()[f]) for f, t in TABLE_OF.items()}
    assert row_counts(db) == {"runs": 2} | expected


@pytest.mark.usefixtures("small_chunks")
def test_failing_before_commit_keeps_the_published_night(db: ResultsDB) -> None:
    published = manifest("2026-01-15")
    db.publish_night(published, night_frames())
    counts = row_counts(db)
    seen: list[int] = []

    def rename_report() -> None:
        seen.append(row_counts(db)["entries"])  # another connection: the new rows not visible
        raise OSError("rename failed: report folder is busy")

    replacement = manifest("2026-01-15")
    with pytest.raises(OSError, match="report folder is busy"):
        db.publish_night(replacement, night_frames(n_entries=3), before_commit=rename_report)
    assert seen == [5]
    assert row_counts(db) == counts
    assert db.run("2026-01-15")["run_id"] == published["run_id"]  # type: ignore[index]
    assert_night_reads_back(db, published["run_id"], night_frames())
    assert all(db.read(name, replacement["run_id"]).empty for name in FRAMES)


def test_a_bad_column_is_refused_before_any_database_statement(db: ResultsDB) -> None:
    db.publish_night(manifest("2026-01-15"), night_frames())
    counts, statements = row_counts(db), []
    sa.event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args))
    frames = night_frames()
    frames["entries"] = frames["entries"].rename(columns={"score": "scr"})
    message = r"frame 'entries'.*missing columns \['score'\], unexpected columns \['scr'\]"
    with pytest.raises(ValueError, match=message):
        db.publish_night(manifest("2026-01-15"), frames)
    assert statements == []
    assert row_counts(db) == counts


@pytest.mark.usefixtures("small_chunks")
def test_a_null_in_a_required_column_mid_insert_rolls_everything_back(db: ResultsDB) -> None:
    published = manifest("2026-01-15")
    db.publish_night(published, night_frames())
    counts = row_counts(db)
    frames = night_frames()
    # fairness comes after pools, entries and explanations; its third batch holds the null.
    frames["fairness"] = frames["fairness"].assign(note=["", "", "", None])
    replacement = manifest("2026-01-15")
    with pytest.raises(ValueError, match=r"refused table 'fairness' rows 2-3 of run \w+"):
        db.publish_night(replacement, frames)
    assert row_counts(db) == counts
    assert db.run("2026-01-15")["run_id"] == published["run_id"]  # type: ignore[index]
    assert_night_reads_back(db, published["run_id"], night_frames())


def test_previous_run_is_the_latest_night_strictly_before(tmp_path: Path) -> None:
    db = ResultsDB(f"sqlite:///{tmp_path / 'app.db'}")
    db.create_schema()
    for night in ("2026-01-10", "2026-01-14", "2026-01-12"):
        db.publish_night(manifest(night), night_frames(n_entries=1))
    assert db.runs()["night"].tolist() == ["2026-01-14", "2026-01-12", "2026-01-10"]
    assert db.run()["night"] == "2026-01-14"  # type: ignore[index]
    assert db.previous_run("2026-01-14")["night"] == "2026-01-12"  # type: ignore[index]
    assert db.previous_run("2026-01-13")["night"] == "2026-01-12"  # type: ignore[index]
    assert db.previous_run("2026-01-11")["night"] == "2026-01-10"  # type: ignore[index]
    assert db.previous_run("2026-01-10") is None
    assert db.run("2025-12-31") is None
    db.engine.dispose()


def test_flow_dtypes_are_stored_and_bad_values_refused(tmp_path: Path) -> None:
    db = ResultsDB(f"sqlite:///{tmp_path / 'app.db'}")
    db.create_schema()
    frames = night_frames()
    # What a pipeline usually hands over: ranks as floats with NaN, counts as numpy int64.
    flow_like = frames | {
        "entries": frames["entries"].astype({"rank": "float64", "rank_model": "int64"}),
        "pools": frames["pools"].astype({"k": "int64", "n_eligible": "int32"}),
    }
    run = manifest("2026-01-15")
    db.publish_night(run, flow_like)
    assert_night_reads_back(db, run["run_id"], frames)
    fractional = flow_like | {"entries": flow_like["entries"].assign(rank=1.5)}
    with pytest.raises(ValueError, match="frame 'entries', column 'rank': expected int"):
        db.publish_night(manifest("2026-01-16"), fractional)
    unknown = frames | {"pools": frames["pools"].assign(kind="committee")}
    with pytest.raises(ValueError, match=r"column 'kind': values must be one of .*'committee'"):
        db.publish_night(manifest("2026-01-16"), unknown)
    db.engine.dispose()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"night": "15/01/2026"}, "night must be a YYYY-MM-DD date"),
        ({"night": "20260115"}, "night must be a YYYY-MM-DD date"),
        ({"policy": "quota"}, "policy must be one of"),
        ({"counts": [1, 2]}, "'counts' must be a dict"),
        ({"model_version": 3}, "'model_version' must be a non-empty string"),
        ({"extra": "x"}, r"unexpected fields \['extra'\]"),
    ],
)
def test_a_bad_manifest_is_refused(tmp_path: Path, changes: dict, message: str) -> None:
    db = ResultsDB(f"sqlite:///{tmp_path / 'app.db'}")
    with pytest.raises(ValueError, match=message):
        db.publish_night(manifest("2026-01-15") | changes, night_frames())
    frames = night_frames()
    del frames["diff"]
    with pytest.raises(ValueError, match=r"missing \['diff'\]"):
        db.publish_night(manifest("2026-01-15"), frames)
    db.engine.dispose()


def sharing_frames() -> dict[str, pd.DataFrame]:
    """Pools A-E: C repeats A's checks, E repeats B's, D differs from A in one note only."""
    frames = night_frames()
    fairness = frames["fairness"]  # POOL-A's two rows, POOL-B's one, the whole run's one
    a = fairness.iloc[[0, 1]]
    b = fairness.iloc[[2]]
    run_rows = fairness.iloc[[3]]
    d = a.assign(pool_id="POOL-D", note=["", "too few selected to judge, D"])
    blocks = [a, b, a.assign(pool_id="POOL-C"), run_rows, d, b.assign(pool_id="POOL-E")]
    extra = frames["pools"].iloc[[1, 1, 1]].assign(pool_id=["POOL-C", "POOL-D", "POOL-E"])
    return frames | {
        "fairness": pd.concat(blocks, ignore_index=True),
        "pools": pd.concat([frames["pools"], extra], ignore_index=True),
    }


def shared_links(db: ResultsDB) -> list[tuple]:
    table = db.shared_checks
    query = sa.select(table.c.pool_id, table.c.checks_pool_id, table.c.row_no)
    with db.engine.connect() as conn:
        return sorted(tuple(row) for row in conn.execute(query.order_by(table.c.pool_id)))


@pytest.mark.usefixtures("small_chunks")
def test_pools_with_the_same_checks_store_them_once_and_read_back_whole(db: ResultsDB) -> None:
    frames, run = sharing_frames(), manifest("2026-01-15")
    db.publish_night(run, frames)
    assert_night_reads_back(db, run["run_id"], frames)
    fairness = frames["fairness"]
    for pool in ("POOL-A", "POOL-B", "POOL-C", "POOL-D", "POOL-E"):
        expected = fairness.loc[fairness["pool_id"] == pool].reset_index(drop=True)
        pd.testing.assert_frame_equal(db.read("fairness", run["run_id"], pool_id=pool), expected)
    assert db.read("fairness", run["run_id"], pool_id="POOL-Z").empty
    # 9 rows: A (2), B (1), the whole run (1) and D (2) stored; C and E point at A and B.
    assert row_counts(db)["fairness"] == 6
    assert shared_links(db) == [("POOL-C", "POOL-A", 3), ("POOL-E", "POOL-B", 8)]
    # A re-publish of the night with nothing shared leaves no link behind.
    db.publish_night(manifest("2026-01-15"), night_frames())
    assert shared_links(db) == []
    assert row_counts(db)["fairness"] == len(night_frames()["fairness"])


def test_pools_whose_rows_are_not_together_are_stored_whole() -> None:
    fairness = results_db.prepare_frame("fairness", sharing_frames()["fairness"])
    kept, shared = results_db.share_pool_checks(fairness)
    assert kept.tolist() == [0, 1, 2, 5, 6, 7] and shared["pool_id"].tolist() == [
        "POOL-C",
        "POOL-E",
    ]
    apart = fairness.iloc[[0, 2, 1, 3, 4, 5, 6, 7, 8]].reset_index(drop=True)  # A, B, A
    kept, shared = results_db.share_pool_checks(apart)
    assert kept.tolist() == list(range(9)) and shared.empty
    kept, shared = results_db.share_pool_checks(fairness.iloc[0:0])
    assert len(kept) == 0 and shared.empty


def test_a_database_from_before_shared_checks_reads_as_before(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    db, run = ResultsDB(url), manifest("2026-01-15")
    db.create_schema()
    db.publish_night(run, night_frames())
    with db.engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE {results_db.SHARED_CHECKS_TABLE}"))
    reader = ResultsDB(url)
    assert_night_reads_back(reader, run["run_id"], night_frames())
    pool_a = reader.read("fairness", run["run_id"], pool_id="POOL-A")
    assert pool_a["metric"].tolist() == ["share_selected", "selection_impact_ratio"]
    reader.create_schema()  # what the next night or the review app does first
    reader.publish_night(manifest("2026-01-16"), sharing_frames())
    assert_night_reads_back(reader, run["run_id"], night_frames())
    db.engine.dispose()
    reader.engine.dispose()


def held_and_spread() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A night's fairness rows as the audit holds them (the whole run's, then each distinct
    shortlist's once), the holders, and the same rows spread to every pool. C and H share
    A's shortlist, E B's, F D's; D differs from A in one note; G's own rows equal A's."""
    fairness = night_frames()["fairness"]
    a, b, run_rows = fairness.iloc[[0, 1]], fairness.iloc[[2]], fairness.iloc[[3]]
    d = a.assign(pool_id="POOL-D", note=["", "too few selected to judge, D"])
    g = a.assign(pool_id="POOL-G")
    held = pd.concat([run_rows, a, b, d, g], ignore_index=True)
    holders = pd.DataFrame(
        {
            "pool_id": [f"POOL-{p}" for p in "ABCDEFGH"],
            "checks_pool_id": [f"POOL-{p}" for p in "ABADBDGG"],
        }
    )
    spread = spread_rows(held, holders)
    return held, holders, spread


def test_rows_held_once_are_stored_as_their_spread_would_be() -> None:
    held, holders, spread = held_and_spread()
    assert len(spread) == 1 + 2 + 1 + 2 + 2 + 1 + 2 + 2 + 2
    kept, numbers, shared = results_db.share_held_checks(
        results_db.prepare_frame("fairness", held), holders
    )
    want_kept, want_shared = results_db.share_pool_checks(
        results_db.prepare_frame("fairness", spread)
    )
    assert numbers.tolist() == want_kept.tolist()
    pd.testing.assert_frame_equal(shared, want_shared, check_dtype=False)
    # G (a holder) and H (G's) point at A, the first pool with those rows
    assert dict(zip(shared["pool_id"], shared["checks_pool_id"], strict=True)) == {
        "POOL-C": "POOL-A", "POOL-E": "POOL-B", "POOL-F": "POOL-D",
        "POOL-G": "POOL-A", "POOL-H": "POOL-A",
    }  # fmt: skip
    assert held.iloc[kept]["pool_id"].tolist()[1:] == [f"POOL-{p}" for p in "AABDD"]


def test_a_night_published_with_holders_reads_back_every_pool(db: ResultsDB) -> None:
    held, holders, spread = held_and_spread()
    pools = night_frames()["pools"]
    extra = pools.iloc[[1] * 6].assign(
        pool_id=["POOL-C", "POOL-D", "POOL-E", "POOL-F", "POOL-G", "POOL-H"]
    )
    frames = night_frames() | {
        "fairness": held,
        "pools": pd.concat([pools, extra], ignore_index=True),
    }
    run = manifest("2026-01-15")
    db.publish_night(run, frames, holders=holders)
    assert_night_reads_back(db, run["run_id"], frames | {"fairness": spread})
    for pool in holders["pool_id"]:
        expected = spread.loc[spread["pool_id"] == pool].reset_index(drop=True)
        pd.testing.assert_frame_equal(db.read("fairness", run["run_id"], pool_id=pool), expected)
    bad = holders.iloc[::-1].reset_index(drop=True)  # holders out of their pools' order
    with pytest.raises(ValueError, match="in the order of the holders' own pools"):
        db.publish_night(manifest("2026-01-16"), frames, holders=bad)
