"""Assemble every dimension into one feature row per (person, as_of)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, get_args

import numpy as np
import pandas as pd

from features.career import (
    career_features,
    current_placement,
    integrity_features,
    profile_features,
)
from features.catalog import CATALOG, DIMENSIONS, FEATURE_NAMES, MISSING_INDICATORS
from features.development import assessment_features, development_features
from features.inputs import point_in_time, run_all
from features.peers import peer_groups, peer_jobs
from features.performance import performance_features
from features.ratings import rating_features, rating_score_features
from features.surveys import survey_features, vote_features

Engine = Literal["pandas", "duckdb"]
KEY_COLUMNS = ("person_id", "as_of", "population", "org_id", "province")
DEFAULT_ORG_LEVELS = ("central", "province", "commune")


def build_features(
    tables: dict[str, pd.DataFrame],
    as_of: pd.Timestamp | str,
    *,
    org_levels: tuple[str, ...] = DEFAULT_ORG_LEVELS,
    engine: Engine = "pandas",
    threads: int = 1,
) -> pd.DataFrame:
    """One row per person in the population at ``as_of``, one column per catalog feature.

    ``tables`` are a snapshot's non-protected tables (``people`` required, every other table
    optional). Only records dated before ``as_of`` are used. The inputs are not modified.
    ``threads`` > 1 computes the dimensions on that many threads (they only read the
    point-in-time view; NumPy and pandas release the GIL in much of their work): the same
    features, sooner on a machine with spare cores.
    """
    if engine not in get_args(Engine):
        raise ValueError(f"engine must be one of {get_args(Engine)}, got {engine!r}")
    as_of = pd.Timestamp(as_of)
    pit = point_in_time(tables, as_of, threads=threads)
    placement = current_placement(pit, org_levels)
    performance, ratings = performance_features, rating_features
    if engine == "duckdb":  # imported only then: DuckDB takes a tenth of a second to import
        from features.duck import performance_features_duckdb, rating_features_duckdb

        performance, ratings = performance_features_duckdb, rating_features_duckdb
    dimensions: list[Callable[[], dict[str, np.ndarray]]] = [
        # The two largest first: with threads, the others fill in beside them.
        lambda: performance(pit, placement["province"]),
        lambda: ratings(pit),
        lambda: rating_score_features(pit),
        lambda: survey_features(pit, placement["org_id"]),
        lambda: vote_features(pit),
        lambda: development_features(pit),
        lambda: assessment_features(pit),
        lambda: career_features(pit, placement),
        lambda: integrity_features(pit),
        lambda: profile_features(pit),
    ]
    values: dict[str, np.ndarray] = {}
    for part in run_all(dimensions, threads):
        values |= part
    for part in run_all(peer_jobs(values, peer_groups(pit, placement)), threads):
        values |= part
    values |= _missing_indicators(values)
    missing = set(FEATURE_NAMES) - set(values)
    extra = set(values) - set(FEATURE_NAMES)
    assert not missing and not extra, f"catalog mismatch: missing {missing}, extra {extra}"
    keys = pd.DataFrame(
        {
            "person_id": pit.people["person_id"].astype("string[pyarrow]").to_numpy(),
            "as_of": np.full(pit.n, as_of.to_datetime64()),
            "population": pit.people["population"].astype(str).to_numpy(),
            "org_id": placement["org_id"].astype("string[pyarrow]").to_numpy(),
            "province": placement["province"].astype("string[pyarrow]").to_numpy(),
        }
    )
    assert tuple(keys.columns) == KEY_COLUMNS
    # One float block filled column by column: a frame of 68 separate columns, then a concat,
    # copied the features twice more (seconds at 1,000,000 people).
    block = np.empty((len(FEATURE_NAMES), pit.n))
    for i, name in enumerate(FEATURE_NAMES):
        block[i] = values[name]
    features = pd.DataFrame(block.T, columns=list(FEATURE_NAMES), copy=False)
    return pd.concat([keys, features], axis=1, copy=False)


def _missing_indicators(values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {}
    for indicator in MISSING_INDICATORS:
        members = [f.name for f in CATALOG if f.dimension == indicator.dimension]
        missing = np.ones(len(values[members[0]]), dtype=bool)
        for member in members:
            missing &= np.isnan(values[member])
        out[indicator.name] = missing.astype("float64")
    assert set(DIMENSIONS) - {"profile"} == {i.dimension for i in MISSING_INDICATORS}
    return out
