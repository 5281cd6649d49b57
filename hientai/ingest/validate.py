"""Table-level checks: primary keys, foreign keys, dates against birth, row rules, hierarchy.

Tables are validated in contract order, so each table's foreign keys are checked against the
rows already accepted in the tables it points to: a row whose person was rejected is rejected
too, and says why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from hientai.contract import Table
from hientai.ingest.issues import Issues, quoting

MAX_ORG_DEPTH = 64
CYCLE_ROUNDS = 20


@dataclass
class ValidationContext:
    today: pd.Timestamp
    org_levels: tuple[str, ...]
    accepted_keys: dict[str, pd.Index] = field(default_factory=dict)
    birth_dates: pd.Series | None = None  # by person_id, accepted people only
    notes: list[str] = field(default_factory=list)


def check_table(table: Table, typed: pd.DataFrame, issues: Issues, ctx: ValidationContext) -> None:
    """Add cross-row and cross-table problems of ``typed`` (all sources of a table) to issues."""
    _check_primary_key(table, typed, issues)
    _check_foreign_keys(table, typed, issues, ctx)
    _check_after_birth(table, typed, issues, ctx)
    for rule in table.rules:
        usable = ~issues.bad_in(rule.columns)
        broken = rule.violated(typed).fillna(False).to_numpy(dtype=bool) & usable
        issues.add(broken, rule.columns[-1], f"rule:{rule.name}", rule.message)
    if table.name == "organizations":
        _check_hierarchy(typed, issues, ctx.org_levels)


def _check_primary_key(table: Table, typed: pd.DataFrame, issues: Issues) -> None:
    key = list(table.primary_key)
    complete = typed[key].notna().all(axis=1).to_numpy()
    dup = typed[key].duplicated(keep=False).to_numpy() & complete
    if not dup.any():
        return
    shown = typed[key].astype(str).agg("/".join, axis=1) if len(key) > 1 else typed[key[0]]
    first_rows = typed["_row"].where(dup).groupby(shown.where(dup)).transform("min")
    label = "/".join(key)
    reason = (
        f"duplicate key {label}='"
        + shown.astype(object).where(dup, "").astype(str)
        + "' (first at row "
        + first_rows.astype(object).where(dup, 0).astype("int64").astype(str)
        + "); every copy is quarantined"
    )
    issues.add(dup, key[-1], "duplicate_key", reason)


def _check_foreign_keys(
    table: Table, typed: pd.DataFrame, issues: Issues, ctx: ValidationContext
) -> None:
    for column in table.columns:
        if column.references is None:
            continue
        target_table, target_column = column.references.split(".")
        if target_table == table.name:
            target = pd.Index(typed[target_column].dropna().unique())
        elif target_table in ctx.accepted_keys:
            target = ctx.accepted_keys[target_table]
        else:
            ctx.notes.append(
                f"{table.name}.{column.name}: not checked, the extract has no {target_table}"
            )
            continue
        values = typed[column.name]
        present = values.notna().to_numpy()
        unknown = present & (positions_in(target, values) < 0)
        missing = f"' does not exist (or was rejected) in {target_table}"
        texts = quoting(values, f"{target_table}.{target_column} '", missing)
        issues.add(unknown, column.name, "foreign_key", texts)


def positions_in(target: pd.Index, values: pd.Series) -> np.ndarray:
    """Each value's position in ``target`` (unique keys), -1 where absent or missing. Text
    keys are matched by Arrow, without a Python string per row (the people's ids are looked up
    for every row of every person table); other keys by pandas."""
    try:
        needles = pa.array(values, type=pa.string(), from_pandas=True)
        haystack = pa.array(target.to_numpy(dtype=object), type=pa.string(), from_pandas=True)
    except pa.ArrowException:  # not text (numbers, categories): pandas matches them
        return np.asarray(target.get_indexer(values.astype(object)), dtype=np.intp)
    found = pc.index_in(needles, value_set=haystack)
    return np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.intp)


def _birth_dates_for(
    table: Table, typed: pd.DataFrame, ctx: ValidationContext
) -> pd.Series | None:
    if table.name == "people":
        return typed.get("birth_date")
    if table.person_column is None or ctx.birth_dates is None:
        return None
    births = ctx.birth_dates
    positions = positions_in(births.index, typed[table.person_column])
    looked_up = births.to_numpy()[np.clip(positions, 0, None)] if len(births) else None
    if looked_up is None:
        return None
    looked_up = np.where(positions >= 0, looked_up, np.datetime64("NaT"))
    return pd.Series(looked_up, index=typed.index, dtype="datetime64[ns]")


def _check_after_birth(
    table: Table, typed: pd.DataFrame, issues: Issues, ctx: ValidationContext
) -> None:
    births = _birth_dates_for(table, typed, ctx)
    if births is None:
        return
    for column in table.columns:
        if not column.after_birth:
            continue
        values = typed[column.name]
        if column.kind == "year":
            before = (values.astype("float64") < births.dt.year).fillna(False)
        else:
            before = (values < births).fillna(False)
        before_mask = before.to_numpy(dtype=bool) & ~issues.bad_in([column.name])
        issues.add(before_mask, column.name, "before_birth", _before_birth(values, births))


def _before_birth(values: pd.Series, births: pd.Series) -> Callable[[np.ndarray], np.ndarray]:
    """The texts of the rows at some positions (built for the failing rows only)."""

    def texts(at: np.ndarray) -> np.ndarray:
        born = births.iloc[at].dt.strftime("%Y-%m-%d").astype(str)
        shown = values.iloc[at].astype(str) + " is before the person's birth date " + born
        return shown.to_numpy(dtype=object)

    return texts


def _check_hierarchy(typed: pd.DataFrame, issues: Issues, org_levels: tuple[str, ...]) -> None:
    ids = pd.Index(typed["org_id"].astype(object))
    parent_pos = ids.get_indexer(typed["parent_id"].astype(object))
    level_rank = pd.Categorical(typed["level"], categories=org_levels).codes
    has_parent = parent_pos >= 0
    parent_rank = np.where(has_parent, level_rank[np.clip(parent_pos, 0, None)], -1)
    above_parent = has_parent & (level_rank >= 0) & (parent_rank >= 0) & (level_rank < parent_rank)
    issues.add(above_parent, "level", "hierarchy", "level is above its parent unit's level")
    # Pointer doubling: after k rounds `ancestor` is the 2**k-th ancestor, so a unit still has
    # one after 2**CYCLE_ROUNDS steps only if its chain loops.
    ancestor = parent_pos.copy()
    for _ in range(CYCLE_ROUNDS):
        ancestor = np.where(ancestor >= 0, ancestor[np.clip(ancestor, 0, None)], -1)
    issues.add(ancestor >= 0, "parent_id", "hierarchy", "the parent chain loops back on itself")
    # Children of a rejected unit are rejected too, so the snapshot has no orphans.
    for _ in range(MAX_ORG_DEPTH):
        bad = issues.bad_rows()
        orphan = has_parent & bad[np.clip(parent_pos, 0, None)] & ~bad
        if not orphan.any():
            break
        issues.add(orphan, "parent_id", "foreign_key", "parent unit was rejected")
