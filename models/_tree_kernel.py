"""The Numba kernel of models.compiled_trees, compiled when this module is imported (once per
environment, 1.4-3.6 s; then loaded from Numba's disk cache, 0.5-0.9 s). Imported only
when a large matrix is scored, or early on a thread by a command that will score one (the
night imports it while it waits for Prefect's server). One signature for every memory layout
of the rows (C, Fortran or a slice of either), so no call compiles again."""

from __future__ import annotations

import numba
import numpy as np

ZERO = 1e-35  # LightGBM's kZeroThreshold


# The rows in any layout; the trees' arrays contiguous (strided reads of those, in the inner
# loop, cost a third more time).
SIGNATURE = (
    "float64[::1](float64[:, :], int32[::1], int8[::1], int32[::1], int32[::1], int32[::1],"
    " int32[::1], float64[::1], float64[::1], int64)"
)


@numba.njit(SIGNATURE, nogil=True, cache=True)
def walk(  # the arrays of models.compiled_trees.CompiledTrees
    rows: np.ndarray,
    column_feature: np.ndarray,
    column_rule: np.ndarray,
    tree_start: np.ndarray,
    tree_depth: np.ndarray,
    child: np.ndarray,
    column: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    block: int,
) -> np.ndarray:  # pragma: no cover - compiled; tested through models.compiled_trees
    n = rows.shape[0]
    n_columns = column_feature.shape[0]
    out = np.zeros(n)
    folded = np.empty((n_columns, block))
    node = np.empty(block, np.int32)
    total = np.empty(block)
    for low in range(0, n, block):
        m = min(block, n - low)
        for c in range(n_columns):
            feature, rule = column_feature[c], column_rule[c]
            for r in range(m):
                x = rows[low + r, feature]
                if abs(x) <= ZERO:
                    x = 0.0
                if x != x:  # NaN
                    x = -np.inf if rule == 1 else (np.inf if rule == 2 else 0.0)
                if rule >= 3 and x == 0.0:
                    x = -np.inf if rule == 3 else np.inf
                folded[c, r] = x
        for r in range(m):
            total[r] = 0.0
        for t in range(tree_start.shape[0]):
            for r in range(m):
                node[r] = tree_start[t]
            for _ in range(tree_depth[t]):
                for r in range(m):
                    k = node[r]
                    node[r] = child[k] + (folded[column[k], r] > threshold[k])
            for r in range(m):
                total[r] += value[node[r]]
        for r in range(m):
            out[low + r] = total[r]
    return out
