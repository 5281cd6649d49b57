"""Raw scores of a LightGBM model's trees, compiled: the booster's own numbers, a few times sooner.

LightGBM's ``Booster.predict`` walks each tree row by row; on a national night (807,806 people,
300 trees of 7 leaves) that took 6.7-9.0 s on two cores, the largest part of the score stage.
Here the trees are laid out as arrays (each node's two children side by side, a leaf pointing
at itself) and walked by a Numba kernel a block of rows at a time, with no branch per node:
``next = children + (value > threshold)``. Measured on the same rows: 1.6-2.5 s on two threads,
every score bit for bit LightGBM's (docs/benchmarks.md).

Exactly LightGBM's decisions (``Tree::NumericalDecision`` and its dense-row conversion): a
value within 1e-35 of zero counts as zero; a missing value (NaN) on a node whose missing type
is not NaN counts as zero; a node's missing values (NaN for missing type NaN, zero for type
Zero) go to its default side; otherwise left when ``value <= threshold``. The missing-value
rules are folded into the values: every (feature, rule) pair a node uses becomes a column in
which a missing value is -inf (default left) or +inf (default right). Leaf values are added
tree after tree in double precision, as LightGBM adds them.

Models this does not cover (categorical splits, linear trees, more than one tree per
iteration, averaged output) give ``None`` from ``compile_trees``; the caller keeps LightGBM.
Each call also scores a sample of its rows with LightGBM and compares: if any differs, the
whole matrix is scored by LightGBM (``scores`` never returns other numbers than LightGBM's).
"""

from __future__ import annotations

import weakref
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["CompiledTrees", "compile_trees", "raw_scores", "warm"]

# Below this many rows LightGBM is used as it is: the kernel's first compilation in a new
# environment takes seconds (then it is cached on disk), and small matrices gain nothing.
MIN_ROWS = 50_000
CHECK_ROWS = 512  # rows of every call also scored by LightGBM and compared
BLOCK = 128  # rows walked together
# How a node's missing values are folded into its column (see the module docstring).
NAN_AS_ZERO, NAN_LEFT, NAN_RIGHT, ZERO_LEFT, ZERO_RIGHT = range(5)


@dataclass(frozen=True)
class CompiledTrees:
    """A booster's trees as arrays (see the module docstring)."""

    column_feature: np.ndarray  # int32: the feature each folded column reads
    column_rule: np.ndarray  # int8: how it folds missing values
    tree_start: np.ndarray  # int32: each tree's root
    tree_depth: np.ndarray  # int32: its deepest leaf
    child: np.ndarray  # int32: left child (the right one is next to it); a leaf: itself
    column: np.ndarray  # int32: the folded column a node compares
    threshold: np.ndarray  # float64: +inf for a leaf (nothing is greater)
    value: np.ndarray  # float64: a leaf's output, 0 for a node
    n_features: int

    def raw(self, matrix: np.ndarray, *, threads: int = 1) -> np.ndarray:
        """The trees' raw score of each row (columns: the model's features, in order), on
        ``threads`` threads."""
        from models._tree_kernel import walk

        rows = np.asarray(matrix, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != self.n_features:
            raise ValueError(
                f"expected a matrix of {self.n_features} feature columns, got shape {rows.shape}"
            )
        arrays = (
            self.column_feature,
            self.column_rule,
            self.tree_start,
            self.tree_depth,
            self.child,
            self.column,
            self.threshold,
            self.value,
        )
        parts = _row_slices(len(rows), threads)
        if len(parts) == 1:
            return walk(rows, *arrays, BLOCK)
        with ThreadPoolExecutor(len(parts), thread_name_prefix="trees") as pool:
            done = list(pool.map(lambda part: walk(rows[part], *arrays, BLOCK), parts))
        return np.concatenate(done)

    def scores(self, booster: Any, matrix: np.ndarray, *, threads: int = 1) -> np.ndarray:
        """``booster.predict(matrix, raw_score=True)``, computed here when it is sure to be the
        same: a spread sample of rows is scored both ways first, and any difference sends the
        whole matrix to LightGBM."""
        rows = np.asarray(matrix, dtype=np.float64)
        if len(rows) == 0:
            return np.asarray(booster.predict(rows, raw_score=True))
        sample = np.unique(np.linspace(0, len(rows) - 1, min(CHECK_ROWS, len(rows))).astype(int))
        reference = np.asarray(booster.predict(rows[sample], raw_score=True))
        mine = self.raw(rows, threads=threads)
        if not np.array_equal(mine[sample], reference):
            return np.asarray(booster.predict(rows, raw_score=True))
        return mine


# Each booster's compiled trees (or None: not representable), made once and dropped with it.
_COMPILED: weakref.WeakKeyDictionary[Any, CompiledTrees | None] = weakref.WeakKeyDictionary()


def warm() -> bool:
    """Load the kernel now (compiling it on its first use in an environment), so that the
    first large scoring does not wait for it: a night does this on a thread while Prefect's
    server starts. False if Numba cannot be imported (then LightGBM scores everything)."""
    try:
        import models._tree_kernel  # noqa: F401
    except ImportError:
        return False
    return True


def raw_scores(booster: Any, matrix: np.ndarray, *, threads: int = 1) -> np.ndarray:
    """``booster.predict(matrix, raw_score=True)``: through the compiled trees (on ``threads``
    threads, as LightGBM uses the model's) for a large matrix of a model they represent, else
    by LightGBM itself."""
    if len(matrix) >= MIN_ROWS and warm():
        if booster not in _COMPILED:
            _COMPILED[booster] = compile_trees(booster)
        trees = _COMPILED[booster]
        if trees is not None:
            return trees.scores(booster, matrix, threads=threads)
    return np.asarray(booster.predict(matrix, raw_score=True))


def _row_slices(n: int, parts: int) -> list[slice]:
    """``parts`` slices of ``n`` rows, cut at multiples of ``BLOCK``."""
    size = -(-n // max(parts, 1))
    size = max(BLOCK, -(-size // BLOCK) * BLOCK)
    return [slice(start, min(n, start + size)) for start in range(0, n, size)]


def compile_trees(booster: Any) -> CompiledTrees | None:
    """The booster's trees as arrays, or None for a model they cannot represent exactly."""
    model = booster.dump_model()
    trees = model.get("tree_info", [])
    if (
        model.get("num_tree_per_iteration", 1) != 1
        or model.get("average_output", False)
        or not trees
    ):
        return None
    layout = _Layout()
    for tree in trees:
        if not layout.add(tree["tree_structure"]):
            return None
    return layout.compiled(int(model.get("max_feature_idx", -1)) + 1)


class _Layout:
    """Trees laid out breadth first, so that each node's children are side by side."""

    def __init__(self) -> None:
        self.columns: dict[tuple[int, int], int] = {}
        self.child: list[int] = []
        self.column: list[int] = []
        self.threshold: list[float] = []
        self.value: list[float] = []
        self.start: list[int] = []
        self.depth: list[int] = []

    def add(self, root: dict[str, Any]) -> bool:
        base = len(self.child)
        nodes, depths = [root], [0]
        for node, depth in zip(nodes, depths, strict=False):  # read while it grows: breadth first
            if "split_feature" in node:
                nodes += [node["left_child"], node["right_child"]]
                depths += [depth + 1, depth + 1]
        position = {id(node): base + i for i, node in enumerate(nodes)}
        deepest = 0
        for node, depth in zip(nodes, depths, strict=True):
            if "split_feature" not in node:
                if "leaf_coeff" in node or "leaf_const" in node:  # a linear tree
                    return False
                self._leaf(position[id(node)], float(node["leaf_value"]))
                deepest = max(deepest, depth)
                continue
            rule = _rule(node)
            if rule is None:
                return False
            key = (int(node["split_feature"]), rule)
            self.child.append(position[id(node["left_child"])])
            self.column.append(self.columns.setdefault(key, len(self.columns)))
            self.threshold.append(float(node["threshold"]))
            self.value.append(0.0)
        self.start.append(base)
        self.depth.append(deepest)
        return True

    def _leaf(self, at: int, value: float) -> None:
        self.child.append(at)
        self.column.append(0)
        self.threshold.append(np.inf)
        self.value.append(value)

    def compiled(self, n_features: int) -> CompiledTrees:
        keys = sorted(self.columns, key=self.columns.__getitem__)
        if not keys:  # only single-leaf trees: one column keeps the kernel's shapes valid
            keys = [(0, NAN_AS_ZERO)]
        return CompiledTrees(
            column_feature=np.asarray([k[0] for k in keys], dtype=np.int32),
            column_rule=np.asarray([k[1] for k in keys], dtype=np.int8),
            tree_start=np.asarray(self.start, dtype=np.int32),
            tree_depth=np.asarray(self.depth, dtype=np.int32),
            child=np.asarray(self.child, dtype=np.int32),
            column=np.asarray(self.column, dtype=np.int32),
            threshold=np.asarray(self.threshold, dtype=np.float64),
            value=np.asarray(self.value, dtype=np.float64),
            n_features=max(n_features, 1),
        )


def _rule(node: dict[str, Any]) -> int | None:
    """How a numerical node folds missing values; None for a categorical split."""
    if node.get("decision_type") != "<=":
        return None
    left = bool(node.get("default_left", True))
    missing = node.get("missing_type", "None")
    if missing == "NaN":
        return NAN_LEFT if left else NAN_RIGHT
    if missing == "Zero":
        return ZERO_LEFT if left else ZERO_RIGHT
    return NAN_AS_ZERO if missing == "None" else None
