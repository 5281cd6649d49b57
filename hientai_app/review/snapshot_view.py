"""What pages need from the night's snapshot: the organisation tree (for scopes and the
9-box), a person's history, and, for an auditor who asks, a person's protected attributes
(read through ``Snapshot.read_protected``, which logs the read)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from hientai.settings import Settings
from hientai.storage import SnapshotNotFound, SnapshotStore

HISTORY_TABLES = {
    "evaluations": ("year", ["year", "rating", "rating_score", "rating_scale_max", "org_id"]),
    "confidence_votes": (
        "vote_date",
        ["vote_date", "voting_body", "high_share", "medium_share", "low_share", "n_voters"],
    ),
    "outputs": ("period_end", ["period_end", "kind", "target", "achieved", "quality", "on_time"]),
}
PROTECTED_SHOWN = (
    "birth_date", "gender", "ethnicity", "religion", "nationality", "party_member",
    "party_join_date", "hometown_province",
)  # fmt: skip


@dataclass
class OrgTree:
    """Organisations by id with their children; a unit's subtree is itself and every unit
    below it."""

    names: dict[str, str] = field(default_factory=dict)
    levels: dict[str, str] = field(default_factory=dict)
    children: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    _subtrees: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    def from_frame(cls, orgs: pd.DataFrame) -> OrgTree:
        tree = cls()
        for row in orgs.itertuples(index=False):
            org = str(row.org_id)
            tree.names[org] = str(row.name)
            tree.levels[org] = str(row.level)
            if isinstance(row.parent_id, str) and row.parent_id:
                tree.children[row.parent_id].append(org)
        return tree

    def subtree(self, org_id: str) -> frozenset[str]:
        if org_id not in self._subtrees:
            found, stack = {org_id}, [org_id]
            while stack:
                for child in self.children.get(stack.pop(), []):
                    if child not in found:
                        found.add(child)
                        stack.append(child)
            self._subtrees[org_id] = frozenset(found)
        return self._subtrees[org_id]

    def name(self, org_id: str | None) -> str:
        return "" if org_id is None else self.names.get(org_id, org_id)


class SnapshotView:
    """Snapshots of the data folder, opened once each (they are immutable)."""

    def __init__(self, settings: Settings) -> None:
        self.store = SnapshotStore(settings.snapshots_dir)
        self._trees: dict[str, OrgTree] = {}
        self._histories: dict[tuple[str, str], tuple[np.ndarray, dict[str, np.ndarray]]] = {}
        self._lock = threading.Lock()

    def org_tree(self, snapshot_id: str) -> OrgTree:
        with self._lock:
            if snapshot_id not in self._trees:
                try:
                    orgs = self.store.open(snapshot_id).read("organizations")
                except SnapshotNotFound:
                    orgs = pd.DataFrame(columns=["org_id", "name", "level", "parent_id"])
                self._trees[snapshot_id] = OrgTree.from_frame(orgs)
            return self._trees[snapshot_id]

    def history(self, snapshot_id: str, person_id: str) -> dict[str, list[dict[str, Any]]]:
        """The person's ratings, confidence votes and performance outputs, oldest first;
        empty lists when the snapshot is gone or the extract lacked the table."""
        found: dict[str, list[dict[str, Any]]] = {}
        for name, (order, columns) in HISTORY_TABLES.items():
            index = self._history_table(snapshot_id, name)
            if index is None:
                found[name] = []
                continue
            keys, values = index
            start = int(np.searchsorted(keys, person_id, side="left"))
            stop = int(np.searchsorted(keys, person_id, side="right"))
            rows = [
                {column: _plain(values[column][at]) for column in columns}
                for at in range(start, stop)
            ]
            found[name] = sorted(rows, key=partial(_sort_key, order))
        return found

    def _history_table(
        self, snapshot_id: str, name: str
    ) -> tuple[np.ndarray, dict[str, np.ndarray]] | None:
        """A history table sorted by person, read once per snapshot: a page then finds a
        person's rows by binary search instead of scanning the Parquet file (memory grows
        with the extract: about the size of these columns)."""
        key = (snapshot_id, name)
        with self._lock:
            if key not in self._histories:
                try:
                    snapshot = self.store.open(snapshot_id)
                except SnapshotNotFound:
                    return None
                columns = HISTORY_TABLES[name][1]
                frame = snapshot.read(name, ["person_id", *columns])
                frame = frame.assign(person_id=frame["person_id"].astype(str))
                frame = frame.sort_values("person_id", kind="stable")
                values = {column: frame[column].to_numpy(dtype=object) for column in columns}
                self._histories[key] = (frame["person_id"].to_numpy(dtype=str), values)
            return self._histories[key]

    def protected(self, snapshot_id: str, person_id: str, *, reader: str) -> dict[str, Any]:
        """One person's protected attributes, for an auditor's logged reveal."""
        try:
            snapshot = self.store.open(snapshot_id)
        except SnapshotNotFound:
            return {}
        frame = snapshot.read_protected(purpose="authorised_review", reader=reader)
        mine = frame.loc[frame["person_id"].astype(str) == person_id]
        if mine.empty:
            return {}
        row = mine.iloc[0]
        return {name: _plain(row.get(name)) for name in PROTECTED_SHOWN if name in row.index}


def _sort_key(column: str, row: dict[str, Any]) -> str:
    return str(row[column])


def _plain(value: Any) -> Any:
    """A cell as text (dates, numbers), or None when missing."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0):
        return value.date().isoformat()  # dates are read back as midnight timestamps
    return value if isinstance(value, str) else str(value)
