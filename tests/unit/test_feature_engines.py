"""The pandas and DuckDB implementations of the heavy aggregations give identical features."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.build import build_features
from features.catalog import FEATURE_NAMES
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
