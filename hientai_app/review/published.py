"""What the nightly flow published, read for pages: runs, pools, entries, explanations,
fairness, diff and early warnings (docs/nightly-frames.md), through the results database's
tables and the app's pooled engine. A run's rows never change once published, so the per-run
pool index, a list's entries, fairness and changes, and a person's entries and explanation are
kept by run id; the run row of a night (which a re-publish replaces) for a few seconds."""

from __future__ import annotations

import json
import threading
from typing import Any

import sqlalchemy as sa

from hientai_app.review.caching import Kept, Recent
from hientai_app.review.db import ReviewDB

VERDICT_ORDER = {"fail": 3, "warn": 2, "pass": 1, "info": 0}
IMPACT_METRICS = ("selection_impact_ratio", "scoring_impact_ratio")
_POOL_CACHE_RUNS = 4
LISTS_KEPT, PEOPLE_KEPT = 256, 1024  # per process; a list of 20 entries is ~50 kB


def _rows(db: ReviewDB, query: sa.Select) -> list[dict[str, Any]]:
    with db.reader.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(query)]


def _columns(table: sa.Table) -> list[sa.Column]:
    return [column for column in table.c if column.name not in ("run_id", "row_no")]


def _in_order(db: ReviewDB, table: sa.Table, *conditions: sa.ColumnElement[bool]) -> list[dict]:
    """Rows in published order, sorted here: an ORDER BY row_no in SQL lets SQLite walk the
    whole run by its primary key instead of using the (run_id, pool_id / person_id) index."""
    query = sa.select(table.c.row_no, *_columns(table)).where(*conditions)
    rows = sorted(_rows(db, query), key=lambda row: row["row_no"])
    for row in rows:
        del row["row_no"]
    return rows


def decode(text: str | None, default: Any) -> Any:
    return default if text in (None, "") else json.loads(str(text))


class Published:
    """Read access to the published nights of one application database."""

    def __init__(self, db: ReviewDB, *, cache_seconds: float = 0.0) -> None:
        self.db = db
        self._pools: dict[str, dict[str, dict[str, Any]]] = {}
        self._lock = threading.Lock()
        self._runs: Recent[Any] = Recent(cache_seconds)
        self._lists: Kept[dict[str, Any]] = Kept(LISTS_KEPT)
        self._people: Kept[dict[str, Any]] = Kept(PEOPLE_KEPT)
        self._list_query = self._entries_with_reasons_query()

    def runs(self) -> list[dict[str, Any]]:
        runs = self.db.runs
        rows = _rows(self.db, sa.select(runs).order_by(runs.c.night.desc()))
        for row in rows:
            for name in ("counts", "party_rules", "stage_seconds"):
                row[name] = decode(row[name], {})
        return rows

    def run(self, night: str | None = None) -> dict[str, Any] | None:
        """The night's run row (the latest night's if None); may be cache_seconds old."""
        return self._runs.get(("run", night), lambda: self._read_run(night))

    def _read_run(self, night: str | None) -> dict[str, Any] | None:
        runs = self.db.runs
        query = sa.select(runs).order_by(runs.c.night.desc()).limit(1)
        if night is not None:
            query = query.where(runs.c.night == night)
        found = _rows(self.db, query)
        return found[0] | {"counts": decode(found[0]["counts"], {})} if found else None

    def trends(self) -> dict[str, dict[str, float | None]]:
        """Per run id: the mean calibrated score of the shortlisted entries and the lowest
        whole-run selection impact ratio (aggregated by the database)."""
        entries, fairness = self.db.frames["entries"], self.db.frames["fairness"]
        scores = (
            sa.select(entries.c.run_id, sa.func.avg(entries.c.score))
            .where(entries.c.in_shortlist.is_(True))
            .group_by(entries.c.run_id)
        )
        ratios = (
            sa.select(fairness.c.run_id, sa.func.min(fairness.c.value))
            .where(fairness.c.pool_id.is_(None), fairness.c.metric == "selection_impact_ratio")
            .group_by(fairness.c.run_id)
        )
        with self.db.reader.connect() as conn:
            mean_score = {str(row[0]): row[1] for row in conn.execute(scores).all()}
            lowest_ratio = {str(row[0]): row[1] for row in conn.execute(ratios).all()}
        return {
            run: {"mean_score": mean_score.get(run), "min_impact_ratio": lowest_ratio.get(run)}
            for run in set(mean_score) | set(lowest_ratio)
        }

    def previous_night(self, night: str) -> str | None:
        runs = self.db.runs
        query = sa.select(sa.func.max(runs.c.night)).where(runs.c.night < night)

        def read() -> str | None:
            with self.db.reader.connect() as conn:
                return conn.execute(query).scalar()

        return self._runs.get(("previous", night), read)

    def pools(self, run_id: str) -> dict[str, dict[str, Any]]:
        """Every pool of a run by id, with its fairness verdict and shortlist length."""
        with self._lock:
            cached = self._pools.get(run_id)
        if cached is not None:
            return cached
        pools = {row["pool_id"]: row for row in self._read_pools(run_id)}
        with self._lock:
            if len(self._pools) >= _POOL_CACHE_RUNS:
                self._pools.pop(next(iter(self._pools)))
            self._pools[run_id] = pools
        return pools

    def _read_pools(self, run_id: str) -> list[dict[str, Any]]:
        table, fairness = self.db.frames["pools"], self.db.frames["fairness"]
        rows = _rows(
            self.db,
            sa.select(*_columns(table)).where(table.c.run_id == run_id).order_by(table.c.row_no),
        )
        verdicts: dict[str, str] = {}
        query = (
            sa.select(fairness.c.pool_id, fairness.c.verdict)
            .where(fairness.c.run_id == run_id, fairness.c.pool_id.is_not(None))
            .group_by(fairness.c.pool_id, fairness.c.verdict)
        )
        for row in _rows(self.db, query):
            known = verdicts.get(row["pool_id"], "info")
            if VERDICT_ORDER[row["verdict"]] > VERDICT_ORDER[known]:
                verdicts[row["pool_id"]] = row["verdict"]
        shared = self.db.results.shared_checks  # pools whose checks another pool holds
        holders = sa.select(shared.c.pool_id, shared.c.checks_pool_id)
        holder = {
            row["pool_id"]: row["checks_pool_id"]
            for row in _rows(self.db, holders.where(shared.c.run_id == run_id))
        }
        listed = self._shortlist_lengths(run_id)
        for row in rows:
            row["verdict"] = verdicts.get(holder.get(row["pool_id"], row["pool_id"]), "info")
            row["rules"] = decode(row["rules"], [])
            row["n_shortlisted"] = listed.get(row["pool_id"], 0)
        return rows

    def _shortlist_lengths(self, run_id: str) -> dict[str, int]:
        table = self.db.frames["entries"]
        query = (
            sa.select(table.c.pool_id, sa.func.count())
            .where(table.c.run_id == run_id, table.c.in_shortlist.is_(True))
            .group_by(table.c.pool_id)
        )
        with self.db.reader.connect() as conn:
            return {pool: int(count) for pool, count in conn.execute(query)}

    def entries(self, run_id: str, pool_id: str) -> list[dict[str, Any]]:
        """The pool's qualified candidates: the shortlist first in published rank, then the
        rest of the qualified set in the model's order."""
        table = self.db.frames["entries"]
        query = sa.select(*_columns(table)).where(
            table.c.run_id == run_id, table.c.pool_id == pool_id
        )
        rows = _rows(self.db, query)
        return sorted(rows, key=lambda r: (not r["in_shortlist"], r["rank"] or 0, r["rank_model"]))

    def shortlist(self, run_id: str, pool_id: str) -> dict[str, Any]:
        """What a list page shows of the night (kept: it never changes): the entries in
        order, each with its reasons and whether the person has an early warning, the
        fairness rows and the changes since the previous night."""

        def read() -> dict[str, Any]:
            return {
                "entries": self._entries_with_reasons(run_id, pool_id),
                "fairness": self.fairness(run_id, pool_id),
                "diff": self.diff(run_id, pool_id),
            }

        return self._lists.get((run_id, pool_id), read)

    def _entries_with_reasons(self, run_id: str, pool_id: str) -> list[dict[str, Any]]:
        """``entries`` with the explanation's reasons and an early-warning flag, in one query
        (a list page's largest read)."""
        with self.db.reader.connect() as conn:
            found = conn.execute(self._list_query, {"run_id": run_id, "pool_id": pool_id})
            rows = [dict(row._mapping) for row in found]
        for row in rows:
            row["warned"] = bool(row["warned"])
            for name in ("reasons_positive", "reasons_negative"):
                row[name] = decode(row[name], [])
        return sorted(rows, key=lambda r: (not r["in_shortlist"], r["rank"] or 0, r["rank_model"]))

    def _entries_with_reasons_query(self) -> sa.Select:
        """Built once: building a statement costs about as much as running it."""
        entries, explained = self.db.frames["entries"], self.db.frames["explanations"]
        warnings = self.db.frames["warnings"]
        warned = sa.exists().where(
            warnings.c.run_id == entries.c.run_id, warnings.c.person_id == entries.c.person_id
        )
        joined = entries.outerjoin(
            explained,
            sa.and_(
                explained.c.run_id == entries.c.run_id,
                explained.c.person_id == entries.c.person_id,
            ),
        )
        return (
            sa.select(
                *_columns(entries),
                explained.c.reasons_positive,
                explained.c.reasons_negative,
                warned.label("warned"),
            )
            .select_from(joined)
            .where(
                entries.c.run_id == sa.bindparam("run_id"),
                entries.c.pool_id == sa.bindparam("pool_id"),
            )
        )

    def person(self, run_id: str, person_id: str) -> dict[str, Any]:
        """A person's entries, early warnings and explanation in a run (kept)."""

        def read() -> dict[str, Any]:
            return {
                "entries": self.person_entries(run_id, person_id),
                "warnings": self.warnings(run_id, person_id),
                "explanation": self.explanations(run_id, [person_id]).get(person_id),
            }

        return self._people.get((run_id, person_id), read)

    def person_entries(self, run_id: str, person_id: str) -> list[dict[str, Any]]:
        table = self.db.frames["entries"]
        return _in_order(self.db, table, table.c.run_id == run_id, table.c.person_id == person_id)

    def explanations(
        self, run_id: str, person_ids: list[str], *, reasons_only: bool = False
    ) -> dict[str, dict[str, Any]]:
        """Explanations by person; ``reasons_only`` skips the SHAP values (a list page shows
        reasons and suggestions only, and decoding every contribution costs)."""
        if not person_ids:
            return {}
        table = self.db.frames["explanations"]
        skipped = ("dimensions", "contributions") if reasons_only else ()
        columns = [column for column in _columns(table) if column.name not in skipped]
        query = sa.select(*columns).where(
            table.c.run_id == run_id, table.c.person_id.in_(person_ids)
        )
        found = {}
        for row in _rows(self.db, query):
            for name in ("dimensions", "contributions"):
                if name in row:
                    row[name] = decode(row[name], {})
            for name in ("reasons_positive", "reasons_negative", "suggestions"):
                row[name] = decode(row[name], [])
            found[row["person_id"]] = row
        return found

    def fairness(self, run_id: str, pool_id: str) -> list[dict[str, Any]]:
        """The pool's impact ratios (selection and scoring) with their intervals (the rows of
        the pool holding them when it shares another pool's checks)."""
        table, shared = self.db.frames["fairness"], self.db.results.shared_checks
        holder = sa.select(shared.c.checks_pool_id).where(
            shared.c.run_id == run_id, shared.c.pool_id == pool_id
        )
        rows = _in_order(
            self.db,
            table,
            table.c.run_id == run_id,
            table.c.pool_id == sa.func.coalesce(holder.scalar_subquery(), pool_id),
            table.c.metric.in_(IMPACT_METRICS),
        )
        return [row | {"pool_id": pool_id} for row in rows]

    def run_fairness(self, run_id: str) -> list[dict[str, Any]]:
        table = self.db.frames["fairness"]
        return _in_order(
            self.db,
            table,
            table.c.run_id == run_id,
            table.c.pool_id.is_(None),
            table.c.metric.in_(IMPACT_METRICS),
        )

    def diff(self, run_id: str, pool_id: str) -> list[dict[str, Any]]:
        table = self.db.frames["diff"]
        return _in_order(self.db, table, table.c.run_id == run_id, table.c.pool_id == pool_id)

    def warnings(self, run_id: str, person_id: str | None = None) -> list[dict[str, Any]]:
        table = self.db.frames["warnings"]
        conditions = [table.c.run_id == run_id]
        if person_id is not None:
            conditions.append(table.c.person_id == person_id)
        rows = _in_order(self.db, table, *conditions)
        for row in rows:
            row["signals"] = decode(row["signals"], [])
        return rows
