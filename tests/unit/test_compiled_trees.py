"""The compiled trees give LightGBM's own raw scores, bit for bit, or step aside."""

from __future__ import annotations

import dataclasses

import lightgbm as lgb
import numpy as np
import pytest

from models import compiled_trees
from models.compiled_trees import compile_trees, raw_scores


def _matrix(rng: np.random.Generator, n: int, n_features: int = 6) -> np.ndarray:
    """Values with every case the decisions treat apart: NaN, zeros of both signs, values
    within LightGBM's 1e-35 of zero, and ordinary ones (repeated, so thresholds fall on them)."""
    x = rng.normal(size=(n, n_features)).round(1)
    cases = rng.integers(0, 8, size=(n, n_features))
    x[cases == 0] = np.nan
    x[cases == 1] = 0.0
    x[cases == 2] = -0.0
    x[cases == 3] = rng.choice([1e-40, -1e-36, 1e-35, -1e-35, 2e-35], size=int((cases == 3).sum()))
    return x


def _fitted(
    params: dict, rng: np.random.Generator, n: int = 3000
) -> tuple[lgb.Booster, np.ndarray]:
    x = _matrix(rng, n)
    signal = np.nan_to_num(x[:, 0]) - 2 * np.isnan(x[:, 1]) + (x[:, 2] == 0) + 0.5 * x[:, 3]
    y = (signal + rng.normal(scale=0.5, size=n) > 0.2).astype(int)
    base = {"n_estimators": 40, "num_leaves": 7, "min_child_samples": 5, "verbose": -1}
    model = lgb.LGBMClassifier(**(base | params)).fit(x, y)
    return model.booster_, _matrix(rng, 4000)


@pytest.mark.parametrize(
    "params",
    [
        {},  # NaN is its own missing value (missing type NaN, both default sides)
        {"zero_as_missing": True},  # missing type Zero
        {"use_missing": False},  # missing type None: NaN counts as zero
        {"num_leaves": 31, "max_depth": -1, "min_child_samples": 2},  # deep, uneven trees
        {"min_child_samples": 100_000},  # no split at all: single-leaf trees
    ],
)
def test_raw_scores_are_lightgbm_bit_for_bit(params: dict) -> None:
    booster, x = _fitted(params, np.random.default_rng(7))
    trees = compile_trees(booster)
    assert trees is not None
    expected = booster.predict(x, raw_score=True)
    for threads in (1, 3):
        got = trees.raw(x, threads=threads)
        assert got.dtype == np.float64
        np.testing.assert_array_equal(got, expected)  # exact, NaN-free


def test_rows_not_a_multiple_of_the_block_and_every_slicing() -> None:
    booster, x = _fitted({}, np.random.default_rng(3))
    trees = compile_trees(booster)
    assert trees is not None
    for n in (1, compiled_trees.BLOCK - 1, compiled_trees.BLOCK + 1, 1001):
        part = np.asfortranarray(x[:n])  # a column-major matrix, as pandas gives
        np.testing.assert_array_equal(
            trees.raw(part, threads=2), booster.predict(part, raw_score=True)
        )


def test_models_the_arrays_cannot_represent_are_left_to_lightgbm() -> None:
    rng = np.random.default_rng(5)
    x = rng.integers(0, 6, size=(2000, 3)).astype(float)
    y = (x[:, 0] % 2 == 0).astype(int)
    base = {"n_estimators": 10, "min_child_samples": 5, "verbose": -1}
    categorical = lgb.LGBMClassifier(**base).fit(x, y, categorical_feature=[0])
    assert compile_trees(categorical.booster_) is None
    multiclass = lgb.LGBMClassifier(**base).fit(x, (x[:, 1] % 3).astype(int))
    assert compile_trees(multiclass.booster_) is None
    linear = lgb.LGBMRegressor(**base, linear_tree=True).fit(x, x[:, 0] * 2.0 + x[:, 1])
    assert compile_trees(linear.booster_) is None
    # raw_scores still gives LightGBM's numbers for them, however large the matrix
    big = np.repeat(x, 30, axis=0)
    for model in (categorical, linear):
        np.testing.assert_array_equal(
            raw_scores(model.booster_, big), model.booster_.predict(big, raw_score=True)
        )


def test_a_difference_in_the_checked_rows_sends_everything_to_lightgbm() -> None:
    booster, x = _fitted({}, np.random.default_rng(11))
    trees = compile_trees(booster)
    assert trees is not None
    wrong = dataclasses.replace(trees, value=trees.value + 1e-9)
    assert not np.array_equal(wrong.raw(x), booster.predict(x, raw_score=True))
    np.testing.assert_array_equal(wrong.scores(booster, x), booster.predict(x, raw_score=True))


def test_large_matrices_go_through_the_compiled_trees(monkeypatch: pytest.MonkeyPatch) -> None:
    booster, x = _fitted({}, np.random.default_rng(13))
    calls = []
    real = compiled_trees.CompiledTrees.raw
    monkeypatch.setattr(
        compiled_trees.CompiledTrees,
        "raw",
        lambda self, m, **kw: calls.append(len(m)) or real(self, m, **kw),
    )
    monkeypatch.setattr(compiled_trees, "MIN_ROWS", 1000)
    np.testing.assert_array_equal(raw_scores(booster, x), booster.predict(x, raw_score=True))
    np.testing.assert_array_equal(
        raw_scores(booster, x[:999]), booster.predict(x[:999], raw_score=True)
    )
    assert calls == [len(x)]  # the small matrix went to LightGBM


def test_a_matrix_of_the_wrong_width_is_refused() -> None:
    booster, x = _fitted({}, np.random.default_rng(17))
    trees = compile_trees(booster)
    assert trees is not None
    with pytest.raises(ValueError, match="expected a matrix of 6 feature columns"):
        trees.raw(x[:, :5])
