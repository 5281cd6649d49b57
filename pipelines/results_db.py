"""The application database: the published nights the review app reads.

A night is published in one transaction (see docs/nightly-frames.md for the frames): the
previous run of that night and its rows go, the new run and all its rows come, and the
caller's ``before_commit`` hook runs last. Any failure rolls everything back, so readers see
the old night or the new one, never a mix. Pools with the same standards, scope and k have the
same fairness checks: such a pool stores none of its own, ``fairness_shared`` names the pool
that holds them, and ``read`` gives every pool its rows back (``share_pool_checks``).
Planners' decisions are the review app's (``review_decisions``, keyed by night, in
``hientai_app.review.db``), so re-publishing a night never erases them. Databases created
before that may still hold an old, empty ``decisions`` table; nothing reads it and it may be
dropped.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from pipelines.flowruns import flow_runs_table

CHUNK_ROWS = 10_000
BAD_HOLDERS = (
    "fairness rows held per distinct shortlist must come one holder after another, in the "
    "order of the holders' own pools, each holder listed as holding its own rows"
)
SHARED_CHECKS_TABLE = "fairness_shared"
POLICIES = ("audit_only", "rerank")
MANIFEST_JSON_FIELDS = ("counts", "party_rules", "stage_seconds")
MANIFEST_TEXT_FIELDS = (
    "run_id", "night", "as_of", "snapshot_id", "model_name", "model_version", "config_hash",
    "code_version", "started_at", "finished_at", "policy", "report_file", "excel_file",
)  # fmt: skip
MANIFEST_FIELDS = MANIFEST_TEXT_FIELDS + MANIFEST_JSON_FIELDS
_MANIFEST_TYPES = dict.fromkeys(MANIFEST_TEXT_FIELDS, str) | {
    "counts": dict,
    "party_rules": list,
    "stage_seconds": dict,
}


PUBLISH_FAILED = (
    "night {night}: the application database {url} failed while publishing ({why}); the "
    "transaction was rolled back, so nothing of this run was published and the night's previous "
    "results are unchanged. Fix the cause (disk space, the database server) and run the night "
    "again"
)


class PublishError(ValueError):
    """The database failed during a night's publish; the transaction was rolled back."""


class _Col(NamedTuple):
    name: str
    kind: Literal["str", "int", "float", "bool"] = "str"
    null: bool = False
    allowed: tuple[str, ...] = ()


_s = _Col
_i = partial(_Col, kind="int")
_f = partial(_Col, kind="float")
_b = partial(_Col, kind="bool")


# The frames of docs/nightly-frames.md, column by column, in the order they are read back.
FRAME_SPECS: dict[str, tuple[_Col, ...]] = {
    "pools": (
        _s("pool_id"), _s("kind", allowed=("leadership_post", "planning_slot", "standing")),
        _s("position_id", null=True), _s("org_id", null=True), _s("province", null=True),
        _s("title"), _s("title_code", null=True), _s("scope"), _i("k"), _i("n_eligible"),
        _i("n_qualified"), _f("max_age", null=True), _s("rules"), _b("party_rule"),
    ),
    "entries": (
        _s("pool_id"), _s("person_id"), _s("full_name", null=True),
        _s("population", allowed=("internal", "external")), _i("rank", null=True),
        _i("rank_model"), _i("rank_fair", null=True), _b("in_shortlist"), _f("score"),
        _f("raw_score"), _f("percentile"), _b("moved"), _s("move_note", null=True),
    ),
    "explanations": (
        _s("person_id"), _f("base_value"), _f("raw_score"), _f("score"),
        _f("additivity_error"), _s("dimensions"), _s("reasons_positive"),
        _s("reasons_negative"), _s("suggestions"), _s("contributions"),
    ),
    "fairness": (
        _s("pool_id", null=True), _s("attribute"), _s("group"), _s("metric"),
        _f("value", null=True), _f("ci_low", null=True), _f("ci_high", null=True),
        _i("n_pool"), _i("n_selected"), _b("small"), _f("threshold", null=True),
        _s("verdict", allowed=("pass", "warn", "fail", "info")), _s("note"),
    ),
    "warnings": (
        _s("person_id"), _s("full_name", null=True), _s("org_id", null=True),
        _s("province", null=True), _s("title"), _s("severity", allowed=("high", "medium")),
        _s("signals"), _s("evidence_vi"), _s("evidence_en"),
    ),
    "diff": (
        _s("pool_id"), _s("person_id"), _s("full_name", null=True),
        _s("change", allowed=("entered", "left")), _i("rank_before", null=True),
        _i("rank_after", null=True), _s("reason_vi"), _s("reason_en"),
    ),
}  # fmt: skip
FRAME_COLUMNS: dict[str, tuple[str, ...]] = {
    frame: tuple(col.name for col in spec) for frame, spec in FRAME_SPECS.items()
}
# Frame name -> table name (a table per frame; "diff" is stored in "diffs").
FRAME_TABLES: dict[str, str] = {frame: frame for frame in FRAME_SPECS} | {"diff": "diffs"}
_SQL_TYPES: dict[str, Any] = {
    "str": sa.Text, "int": sa.BigInteger, "float": sa.Double, "bool": sa.Boolean,
}  # fmt: skip
_READ_DTYPES = {"str": "object", "int": "Int64", "float": "float64", "bool": "bool"}


def to_json(value: object) -> str:
    """The one JSON encoding of the database (manifest counts, party rules, stage timings)."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def from_json(text: str) -> Any:
    return json.loads(text)


def _is_iso_date(text: str) -> bool:
    try:
        return len(text) == 10 and dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def _utc_now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _in_check(table: str, col: str, allowed: tuple[str, ...]) -> sa.CheckConstraint:
    values = ", ".join(f"'{value}'" for value in allowed)
    return sa.CheckConstraint(f'"{col}" IN ({values})', name=f"ck_{table}_{col}")


def _frame_table(metadata: sa.MetaData, frame: str) -> sa.Table:
    name, spec = FRAME_TABLES[frame], FRAME_SPECS[frame]
    names = {col.name for col in spec}
    # The primary key (run_id, row_no) doubles as the run_id index and keeps the frame's order.
    run = sa.ForeignKey("runs.run_id", ondelete="CASCADE")
    return sa.Table(
        name,
        metadata,
        sa.Column("run_id", sa.String(64), run, primary_key=True),
        sa.Column("row_no", sa.Integer, primary_key=True, autoincrement=False),
        *(sa.Column(col.name, _SQL_TYPES[col.kind], nullable=col.null) for col in spec),
        *(_in_check(name, col.name, col.allowed) for col in spec if col.allowed),
        *(
            sa.Index(f"ix_{name}_run_{key}", "run_id", f"{key}_id")
            for key in ("pool", "person")
            if f"{key}_id" in names
        ),
    )


def _shared_checks_table(metadata: sa.MetaData) -> sa.Table:
    """A pool whose per-pool fairness rows equal another pool's of the same run: its rows are
    that pool's, with its own pool id, at row numbers ``row_no``, ``row_no + 1``, ..."""
    return sa.Table(
        SHARED_CHECKS_TABLE,
        metadata,
        sa.Column(
            "run_id", sa.String(64), sa.ForeignKey("runs.run_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("pool_id", sa.Text, primary_key=True),
        sa.Column("checks_pool_id", sa.Text, nullable=False),
        sa.Column("row_no", sa.Integer, nullable=False),
    )  # fmt: skip


def _metadata() -> tuple[sa.MetaData, sa.Table, dict[str, sa.Table]]:
    metadata, keys = sa.MetaData(), ("run_id", "night")
    runs = sa.Table(
        "runs",
        metadata,
        sa.Column("run_id", sa.String(64), primary_key=True),
        sa.Column("night", sa.String(10), nullable=False, unique=True),
        *(
            sa.Column(name, sa.Text, nullable=False)
            for name in MANIFEST_FIELDS
            if name not in keys
        ),
        sa.Column("published_at", sa.Text, nullable=False),
        _in_check("runs", "policy", POLICIES),
    )
    frames = {frame: _frame_table(metadata, frame) for frame in FRAME_SPECS}
    _shared_checks_table(metadata)
    return metadata, runs, frames


def _check_manifest(manifest: dict[str, Any]) -> None:
    missing = sorted(set(MANIFEST_FIELDS) - set(manifest))
    unexpected = sorted(set(manifest) - set(MANIFEST_FIELDS))
    if missing or unexpected:
        raise ValueError(
            f"manifest does not match docs/nightly-frames.md: missing fields {missing}, "
            f"unexpected fields {unexpected}"
        )
    for name, expected in _MANIFEST_TYPES.items():
        if not isinstance(manifest[name], expected) or manifest[name] == "":
            kind = "non-empty string" if expected is str else expected.__name__
            raise ValueError(f"manifest field {name!r} must be a {kind}, got {manifest[name]!r}")
    if not _is_iso_date(manifest["night"]):
        raise ValueError(f"manifest night must be a YYYY-MM-DD date, got {manifest['night']!r}")
    if manifest["policy"] not in POLICIES:
        raise ValueError(f"manifest policy must be one of {POLICIES}, got {manifest['policy']!r}")


def _cast(frame_name: str, column: pd.Series, col: _Col) -> pd.Series:
    target = {"str": "string", "int": "Int64", "float": "float64", "bool": "boolean"}[col.kind]
    try:
        cast = column.astype(target)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"frame {frame_name!r}, column {col.name!r}: expected {col.kind} values "
            f"(docs/nightly-frames.md), got dtype {column.dtype}: {exc}"
        ) from exc
    if col.allowed:
        bad = cast.notna() & ~cast.isin(col.allowed)
        if bad.any():
            raise ValueError(
                f"frame {frame_name!r}, column {col.name!r}: values must be one of "
                f"{col.allowed}; rows {list(cast.index[bad][:5])} hold "
                f"{sorted(set(cast[bad].astype(str)))[:5]}"
            )
    return cast


def prepare_frame(frame_name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with exactly the contract's columns, in order, in storable dtypes."""
    spec = FRAME_SPECS[frame_name]
    expected = [col.name for col in spec]
    missing = [name for name in expected if name not in frame.columns]
    unexpected = [str(name) for name in frame.columns if name not in expected]
    if missing or unexpected or frame.columns.has_duplicates:
        raise ValueError(
            f"frame {frame_name!r} does not match docs/nightly-frames.md: missing columns "
            f"{missing}, unexpected columns {unexpected}"
            + (", duplicated column names" if frame.columns.has_duplicates else "")
        )
    return pd.DataFrame(
        {col.name: _cast(frame_name, frame[col.name], col) for col in spec}
    ).reset_index(drop=True)


def _prepare_frames(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    missing = sorted(set(FRAME_SPECS) - set(frames))
    unexpected = sorted(set(frames) - set(FRAME_SPECS))
    if missing or unexpected:
        raise ValueError(
            f"a night publishes exactly the frames {sorted(FRAME_SPECS)}: missing {missing}, "
            f"unexpected {unexpected} (pass an empty frame with the columns when there are none)"
        )
    return {name: prepare_frame(name, frames[name]) for name in FRAME_SPECS}


def _row_chunks(frame: pd.DataFrame, run_id: str, numbers: np.ndarray) -> Iterator[list[tuple]]:
    """Rows as tuples of plain Python values with None for missing, row number first."""
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        columns = [part[name].to_numpy(dtype=object, na_value=None) for name in part.columns]
        part_numbers = numbers[start : start + len(part)].tolist()
        yield [
            (run_id, number, *values)
            for number, *values in zip(part_numbers, *columns, strict=True)
        ]


def _copy_rows(conn: Connection, table: sa.Table, rows: list[tuple]) -> None:
    """PostgreSQL COPY on the transaction's own connection: many times faster than INSERT."""
    names = ", ".join(f'"{column.name}"' for column in table.columns)
    with (
        conn.connection.driver_connection.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _insert_frame(
    conn: Connection,
    table: sa.Table,
    frame: pd.DataFrame,
    run_id: str,
    numbers: np.ndarray | None = None,
) -> None:
    """The frame's rows, numbered 0, 1, ... or by ``numbers`` (the rows' places in the frame)."""
    # Both bypass SQLAlchemy's per-row parameter processing (half the time on a large night).
    insert_sql = str(table.insert().compile(dialect=conn.dialect))
    numbers = np.arange(len(frame)) if numbers is None else numbers
    for rows in _row_chunks(frame, run_id, numbers):
        try:
            if conn.dialect.name == "postgresql":
                _copy_rows(conn, table, rows)
            else:
                conn.exec_driver_sql(insert_sql, rows)
        except (sa.exc.DBAPIError, conn.dialect.loaded_dbapi.Error) as exc:
            raise ValueError(
                f"the database refused table {table.name!r} rows {rows[0][1]}-{rows[-1][1]}"
                f" of run {run_id}; nothing was published: {getattr(exc, 'orig', exc)}"
            ) from exc


def share_pool_checks(fairness: pd.DataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """The rows of a prepared fairness frame to store, and the pools that share another's.

    Pools with the same standards, scope and k (the deputy posts of a province) have the same
    eligible people, shortlist and checks (``models.shortlist.rank_pools``): a national night
    repeats each distinct pool's rows about eight times. A pool whose rows (contiguous, and
    equal to an earlier pool's in every column but ``pool_id``, in the same order) repeat an
    earlier pool's stores none of them; the returned frame (``pool_id``, ``checks_pool_id``,
    ``row_no``: the row number of its first row) lets ``ResultsDB.read`` give them back. Rows are
    compared exactly: numbers by their bits, texts and flags value by value. If any pool's rows
    are not contiguous, every row is stored.
    """
    none = pd.DataFrame({"pool_id": [], "checks_pool_id": [], "row_no": []})
    everything = np.arange(len(fairness))
    if len(fairness) == 0:
        return everything, none
    codes, pool_ids = pd.factorize(fairness["pool_id"])  # the whole run's rows: -1
    starts = np.flatnonzero(np.diff(codes, prepend=-2))  # where a run of equal codes starts
    ends = np.r_[starts[1:], len(codes)].astype(np.int64)
    pools = codes[starts] >= 0
    starts, ends = starts[pools], ends[pools]
    if len(starts) != len(pool_ids) or len(starts) < 2:  # not contiguous, or nothing to share
        return everything, none
    rest = fairness.drop(columns="pool_id")
    numbers = [name for name in rest.columns if _is_number(rest[name])]
    words = np.ascontiguousarray(  # each row's numbers as int64 words: equal bits, equal values
        np.column_stack(
            [
                rest[name].to_numpy(dtype="float64", na_value=np.nan).view(np.int64)
                for name in numbers
            ]
        )
    )
    texts = [
        rest[name].to_numpy(dtype=object, na_value=None)
        for name in rest.columns
        if name not in numbers
    ]
    holder: dict[tuple[bytes, tuple[Any, ...]], int] = {}
    copies: list[tuple[int, int, int]] = []  # (start, holder's start, length)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        # the numbers by their bits, the texts and flags value by value
        key = (words[start:end].tobytes(), tuple(tuple(t[start:end]) for t in texts))
        first = holder.setdefault(key, start)
        if first != start:
            copies.append((start, first, end - start))
    if not copies:
        return everything, none
    at, held, lengths = (np.asarray(column) for column in zip(*copies, strict=True))
    copy_rows = np.repeat(at, lengths) + (
        np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    keep = np.ones(len(fairness), dtype=bool)
    keep[copy_rows] = False
    ids = fairness["pool_id"].to_numpy(dtype=object)
    shared = pd.DataFrame({"pool_id": ids[at], "checks_pool_id": ids[held], "row_no": at})
    return np.flatnonzero(keep), shared


def share_held_checks(
    fairness: pd.DataFrame, holders: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
    """``share_pool_checks`` of the frame ``models.shortlist.spread_rows`` would give every pool
    (the whole run's rows first, then each pool's in ``holders``' order), computed on
    ``fairness`` as held: the whole run's rows, then each distinct shortlist's once. Returns the
    held rows to store, their row numbers in the spread frame, and the pools sharing another's
    rows (``row_no``: the spread frame's number of the pool's first row).

    Pools sharing a holder have its rows: the first pool with those rows is the holder. Holders
    whose rows equal an earlier holder's (``share_pool_checks`` among them) share that one's.
    """
    pools = fairness["pool_id"].to_numpy(dtype=object)
    run = pd.isna(pools)
    n_run = int(run.sum())
    if run[n_run:].any():
        raise ValueError("fairness rows: the whole run's rows (no pool_id) must come first")
    codes, held_ids = pd.factorize(pools[n_run:])
    lengths = np.bincount(codes, minlength=len(held_ids))
    at = pd.Index(held_ids).get_indexer(holders["checks_pool_id"])
    sizes = np.r_[lengths, 0][np.where(at < 0, len(held_ids), at)]
    pool_start = n_run + np.cumsum(sizes) - sizes  # each pool's first row when spread
    own = (holders["pool_id"] == holders["checks_pool_id"]).to_numpy() & (at >= 0)
    holder_start = np.full(len(held_ids), -1, dtype=np.int64)
    holder_start[at[own]] = pool_start[own]
    # Held rows come contiguous per holder, holders in the order of their own pools.
    contiguous, in_order = (np.diff(codes) >= 0).all(), (np.diff(holder_start) > 0).all()
    if not contiguous or (holder_start < 0).any() or not in_order:
        raise ValueError(BAD_HOLDERS)
    offsets = np.arange(len(codes)) - (np.cumsum(lengths) - lengths)[codes]
    numbers = np.r_[np.arange(n_run), holder_start[codes] + offsets].astype(np.int64)
    kept, among = share_pool_checks(fairness)
    final = dict(zip(among["pool_id"], among["checks_pool_id"], strict=True))
    held_by = holders["checks_pool_id"].map(lambda h: final.get(h, h)).to_numpy(dtype=object)
    copy = (held_by != holders["pool_id"].to_numpy(dtype=object)) & (sizes > 0)
    shared = pd.DataFrame(
        {
            "pool_id": holders["pool_id"].to_numpy(dtype=object)[copy],
            "checks_pool_id": held_by[copy],
            "row_no": pool_start[copy],
        }
    )
    return kept, numbers[kept], shared


def _is_number(column: pd.Series) -> bool:
    """Counts, measures and thresholds (a float64 holds the counts exactly: far below 2**53)."""
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


class ResultsDB:
    """The application database at ``url`` (sqlite:////abs/app.db, postgresql+psycopg://...)."""

    def __init__(self, url: str) -> None:
        self.url = sa.make_url(url)
        if self.url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError(
                f"application database URL {url!r}: use sqlite:////abs/path/app.db "
                "or postgresql+psycopg://user@host/db"
            )
        sqlite = self.url.get_backend_name() == "sqlite"
        in_memory = sqlite and self.url.database in (None, "", ":memory:")
        self._sqlite_file = Path(str(self.url.database)) if sqlite and not in_memory else None
        # No pooled connection outlives a call: nobody has to remember dispose(), and dropping
        # or migrating the database never meets a stale session (in-memory SQLite needs one).
        pooling = {} if in_memory else {"poolclass": sa.pool.NullPool}
        self.engine: Engine = sa.create_engine(self.url, **pooling)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self.metadata, self.runs_table, self.tables = _metadata()
        self.shared_checks = self.metadata.tables[SHARED_CHECKS_TABLE]
        self._sharing = False  # known to have the shared-checks table
        self.flow_runs_table = flow_runs_table(self.metadata)

    def create_schema(self) -> None:
        """Create any missing table and index (safe to call on every start)."""
        if self._sqlite_file is not None:
            self._sqlite_file.parent.mkdir(parents=True, exist_ok=True)
        self.metadata.create_all(self.engine)

    def publish_night(
        self,
        manifest: dict[str, Any],
        frames: dict[str, pd.DataFrame],
        *,
        before_commit: Callable[[], None] | None = None,
        holders: pd.DataFrame | None = None,
    ) -> None:
        """Replace the manifest's night with this run, all or nothing (see module docstring).
        With ``holders`` (``models.shortlist.ShortlistResult.holders``), the fairness frame holds
        the whole run's rows and each distinct shortlist's once; the night stored is the one
        of every pool having its rows (``share_held_checks``)."""
        _check_manifest(manifest)
        prepared = _prepare_frames(frames)
        row = {name: manifest[name] for name in MANIFEST_TEXT_FIELDS}
        row |= {name: to_json(manifest[name]) for name in MANIFEST_JSON_FIELDS}
        try:
            with self.engine.begin() as conn:
                self._delete_night(conn, manifest["night"])
                conn.execute(self.runs_table.insert(), [row | {"published_at": _utc_now()}])
                run_id = manifest["run_id"]
                if holders is None:
                    kept, shared = share_pool_checks(prepared["fairness"])
                    numbers = kept
                else:
                    kept, numbers, shared = share_held_checks(prepared["fairness"], holders)
                for name, frame in prepared.items():
                    if name == "fairness":
                        table = self.tables[name]
                        _insert_frame(conn, table, frame.iloc[kept], run_id, numbers)
                    else:
                        _insert_frame(conn, self.tables[name], frame, run_id)
                if len(shared):
                    conn.execute(
                        self.shared_checks.insert(),
                        shared.assign(run_id=run_id).to_dict("records"),
                    )
                if before_commit is not None:
                    before_commit()
        except (sa.exc.DBAPIError, self.engine.dialect.loaded_dbapi.Error) as exc:
            # A lost connection, a full disk, a failed commit: the transaction is gone whole.
            raise PublishError(
                PUBLISH_FAILED.format(
                    night=manifest["night"],
                    url=self.url.render_as_string(hide_password=True),
                    why=" ".join(str(getattr(exc, "orig", None) or exc).split())[:300],
                )
            ) from None

    def _delete_night(self, conn: Connection, night: str) -> None:
        runs = self.runs_table
        old = sa.select(runs.c.run_id).where(runs.c.night == night).scalar_subquery()
        for table in (*self.tables.values(), self.shared_checks):
            conn.execute(table.delete().where(table.c.run_id == old))
        conn.execute(runs.delete().where(runs.c.night == night))

    def runs(self) -> pd.DataFrame:
        """Every published run, newest night first, JSON fields decoded."""
        query = sa.select(self.runs_table).order_by(self.runs_table.c.night.desc())
        with self.engine.connect() as conn:
            records = [_decode_run(row._mapping) for row in conn.execute(query)]
        return pd.DataFrame(records, columns=[*MANIFEST_FIELDS, "published_at"])

    def run(self, night: str | None = None) -> dict[str, Any] | None:
        """The manifest (plus published_at) of ``night``, or of the latest night if None."""
        return self._latest_run(sa.true() if night is None else self.runs_table.c.night == night)

    def previous_run(self, night: str) -> dict[str, Any] | None:
        """The latest night published strictly before ``night``."""
        return self._latest_run(self.runs_table.c.night < night)

    def _latest_run(self, condition: sa.ColumnElement[bool]) -> dict[str, Any] | None:
        runs = self.runs_table
        query = sa.select(runs).where(condition).order_by(runs.c.night.desc()).limit(1)
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _decode_run(row._mapping)

    def read(
        self,
        table: str,
        run_id: str,
        *,
        pool_id: str | None = None,
        person_id: str | None = None,
    ) -> pd.DataFrame:
        """Rows of one frame of a run, in published order, with the contract's columns."""
        frame = {name: frame for frame, name in FRAME_TABLES.items()}.get(table, table)
        if frame not in FRAME_SPECS:
            raise ValueError(
                f"unknown table {table!r}: choose one of {sorted(FRAME_TABLES)} "
                "(or the table name 'diffs')"
            )
        source = self.tables[frame]
        spec = FRAME_SPECS[frame]
        names = [col.name for col in spec]
        if frame == "fairness":
            return self._read_fairness(run_id, pool_id)
        query = sa.select(*(source.c[name] for name in names)).where(source.c.run_id == run_id)
        for key, value in (("pool_id", pool_id), ("person_id", person_id)):
            if value is None:
                continue
            if key not in source.c:
                raise ValueError(f"table {table!r} has no {key} column to filter on")
            query = query.where(source.c[key] == value)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(source.c.row_no)).all()
        return _typed(frame, pd.DataFrame([tuple(row) for row in rows], columns=names))

    def _read_fairness(self, run_id: str, pool_id: str | None) -> pd.DataFrame:
        """Every pool's fairness rows, those stored once for pools that share them included."""
        source, shared = self.tables["fairness"], self.shared_checks
        names = list(FRAME_COLUMNS["fairness"])
        query = sa.select(source.c.row_no, *(source.c[name] for name in names))
        query = query.where(source.c.run_id == run_id)
        links = sa.select(shared.c.pool_id, shared.c.checks_pool_id, shared.c.row_no).where(
            shared.c.run_id == run_id
        )
        with self.engine.connect() as conn:
            # A database no night has been published into since the table came has no shares.
            sharing = self._sharing or sa.inspect(conn).has_table(SHARED_CHECKS_TABLE)
            self._sharing = sharing
            if pool_id is not None and sharing:  # its own rows, or the pool's holding them
                holder = sa.select(shared.c.checks_pool_id).where(
                    shared.c.run_id == run_id, shared.c.pool_id == pool_id
                )
                query = query.where(
                    source.c.pool_id == sa.func.coalesce(holder.scalar_subquery(), pool_id)
                )
            elif pool_id is not None:
                query = query.where(source.c.pool_id == pool_id)
            rows = conn.execute(query.order_by(source.c.row_no)).all()
            shares = conn.execute(links).all() if pool_id is None and sharing else []
        stored = pd.DataFrame([tuple(row) for row in rows], columns=["row_no", *names])
        if pool_id is not None:
            stored["pool_id"] = pool_id
            return _typed("fairness", stored[names])
        groups = stored.groupby("pool_id", sort=False).indices
        at = [groups.get(holder, np.empty(0, dtype=np.int64)) for _, holder, _ in shares]
        lengths = np.asarray([len(rows_at) for rows_at in at], dtype=np.int64)
        firsts = np.asarray([first for *_, first in shares], dtype=np.int64)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        copies = stored.iloc[np.concatenate([np.empty(0, dtype=np.int64), *at])].assign(
            pool_id=np.repeat(np.asarray([pool for pool, *_ in shares], dtype=object), lengths),
            row_no=np.repeat(firsts, lengths) + offsets,
        )
        whole = pd.concat([stored, copies], ignore_index=True) if len(copies) else stored
        whole = whole.sort_values("row_no", kind="stable").reset_index(drop=True)
        return _typed("fairness", whole[names])


def _typed(frame: str, result: pd.DataFrame) -> pd.DataFrame:
    return result.astype({col.name: _READ_DTYPES[col.kind] for col in FRAME_SPECS[frame]})


def _decode_run(row: Any) -> dict[str, Any]:
    run = dict(row)
    for name in MANIFEST_JSON_FIELDS:
        run[name] = from_json(run[name])
    return run


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys (and so ON DELETE CASCADE) unless each connection asks.
    # WAL lets the review app keep reading the old night while a large publish is written.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()
