"""The pandas and DuckDB implementations of the heavy aggregations give identical features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features
from features.catalog import FEATURE_NAMES
from features.inputs import point_in_time
from tests.featurekit import random_extract


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("as_of", ["2019-03-15", "2021-07-01", "2023-12-31"])
def test_engines_agree(seed: int, as_of: str) -> None:
    tables = random_extract(seed, n_people=80)
    by_pandas = build_features(tables, as_of, engine="pandas")
    by_duckdb = build_features(tables, as_of, engine="duckdb")
    pd.testing.assert_frame_equal(by_pandas.iloc[:, :5], by_duckdb.iloc[:, :5])
    for name in FEATURE_NAMES:
        np.testing.assert_allclose(
            by_duckdb[name],
            by_pandas[name],
            rtol=1e-9,
            atol=1e-12,
            equal_nan=True,
            err_msg=name,
        )
    assert by_pandas["rating_z_org_year_3y"].notna().sum() > 10  # the comparison is not vacuous


def test_unknown_engine_is_refused() -> None:
    with pytest.raises(ValueError, match="engine must be one of"):
        build_features(random_extract(0), "2021-01-01", engine="spark")  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", [0, 3])
def test_threads_build_the_same_features(seed: int) -> None:
    """Dimensions computed on threads (a night's build) give exactly the one-thread table."""
    tables = random_extract(seed, n_people=300)
    one = build_features(tables, "2022-01-01")
    for threads in (2, 4):
        pd.testing.assert_frame_equal(
            build_features(tables, "2022-01-01", threads=threads), one, check_exact=True
        )
    assert one[list(FEATURE_NAMES)].notna().to_numpy().mean() > 0.5  # not a table of gaps


def test_the_cut_on_threads_is_the_one_thread_cut() -> None:
    """Tables cut two at a time: the same people, rows, person codes and values."""
    tables = random_extract(2, n_people=300)
    one = point_in_time(tables, pd.Timestamp("2022-01-01"))
    two = point_in_time(tables, pd.Timestamp("2022-01-01"), threads=2)
    pd.testing.assert_frame_equal(two.people, one.people, check_exact=True)
    assert two.tables.keys() == one.tables.keys() and two.everyone.keys() == one.everyone.keys()
    for name in one.tables:
        pd.testing.assert_frame_equal(two.tables[name], one.tables[name], check_exact=True)
    pd.testing.assert_frame_equal(
        two.everyone["evaluations"], one.everyone["evaluations"], check_exact=True
    )
    assert len(one.tables["evaluations"]) > 100  # not a comparison of empty tables


def test_threads_with_duckdb() -> None:
    """DuckDB's own sums differ in the last bit from run to run (its threads add in varying
    order: 4 of 6 pairs of one-thread builds differed), so threads are held to the engines'
    tolerance there."""
    tables = random_extract(1, n_people=300)
    one = build_features(tables, "2022-01-01", engine="duckdb")
    many = build_features(tables, "2022-01-01", engine="duckdb", threads=2)
    pd.testing.assert_frame_equal(many.iloc[:, :5], one.iloc[:, :5])
    for name in FEATURE_NAMES:
        np.testing.assert_allclose(
            many[name], one[name], rtol=1e-9, atol=1e-12, equal_nan=True, err_msg=name
        )


def test_a_failing_dimension_fails_the_threaded_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """An error in a dimension on a worker thread is raised by the build, not lost."""

    def broken(*args: object) -> dict[str, np.ndarray]:
        raise RuntimeError("vote features broke")

    monkeypatch.setattr("features.build.vote_features", broken)
    with pytest.raises(RuntimeError, match="vote features broke"):
        build_features(random_extract(0, n_people=50), "2021-01-01", threads=2)
