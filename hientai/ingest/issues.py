"""Row-level problems found while validating one table."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

ISSUE_COLUMNS = ["position", "column", "rule", "reason"]


class Issues:
    """Accumulates (row position, column, rule, reason) for the rows of one frame."""

    def __init__(self, n_rows: int) -> None:
        self.n_rows = n_rows
        self._parts: list[pd.DataFrame] = []
        self._bad_by_column: dict[str, np.ndarray] = {}

    def add(
        self,
        mask: np.ndarray,
        column: str,
        rule: str,
        reason: str | pd.Series | Callable[[np.ndarray], np.ndarray],
    ) -> None:
        """Record a problem for every row where ``mask`` is True.

        ``reason`` is one text for all rows, a Series aligned with the frame (only the masked
        rows are read), or a function of the masked rows' positions returning their texts
        (so a text that quotes a value is built for the few bad rows, not for millions).
        """
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        positions = np.flatnonzero(mask)
        if isinstance(reason, pd.Series):
            reasons = reason.to_numpy(dtype=object)[positions]
        elif callable(reason):
            reasons = np.asarray(reason(positions), dtype=object)
        else:
            reasons = np.full(len(positions), reason, dtype=object)
        self._parts.append(
            pd.DataFrame(
                {"position": positions, "column": column, "rule": rule, "reason": reasons}
            )
        )
        seen = self._bad_by_column.get(column)
        self._bad_by_column[column] = mask if seen is None else (seen | mask)

    def bad_in(self, columns: Iterable[str]) -> np.ndarray:
        """Rows with a problem in any of ``columns``."""
        bad = np.zeros(self.n_rows, dtype=bool)
        for col in columns:
            if col in self._bad_by_column:
                bad |= self._bad_by_column[col]
        return bad

    def bad_rows(self) -> np.ndarray:
        return self.bad_in(self._bad_by_column)

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame({c: pd.Series(dtype=object) for c in ISSUE_COLUMNS}).astype(
                {"position": "int64"}
            )
        return pd.concat(self._parts, ignore_index=True)

    def extend(self, other: Issues, offset: int) -> None:
        """Append another frame's issues, shifting its row positions by ``offset``."""
        for part in other._parts:
            self._parts.append(part.assign(position=part["position"] + offset))
        for col, mask in other._bad_by_column.items():
            full = np.zeros(self.n_rows, dtype=bool)
            full[offset : offset + len(mask)] = mask
            seen = self._bad_by_column.get(col)
            self._bad_by_column[col] = full if seen is None else (seen | full)


def quoting(values: pd.Series, before: str, after: str) -> Callable[[np.ndarray], np.ndarray]:
    """A ``reason`` for ``Issues.add``: ``before + value + after`` of each failing row, built
    for those rows only (a text per row of a ten-million-row column is most of a check's cost)."""

    def texts(at: np.ndarray) -> np.ndarray:
        return (before + values.iloc[at].astype(object).astype(str) + after).to_numpy()

    return texts
