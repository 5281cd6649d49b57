"""Reading some people's rows of a feature table: the same rows, values and types as reading
the whole table and cutting it (what the night's explanations did before)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from hientai.featurestore import FeatureStore
from models.local_explain import reference_positions, reference_sample

WHEN = pd.Timestamp("2026-01-01")


def _table(tmp_path: Path) -> tuple[FeatureStore, pd.DataFrame]:
    n = 40
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "person_id": [f"P{i:03d}" for i in range(n)],
            "score_like": rng.normal(size=n),
            # Missing only in rows the reads below do not take.
            "courses": pd.array([None if i == 39 else i % 4 for i in range(n)], dtype="Int64"),
            "flag": pd.array([None if i == 38 else i % 2 == 0 for i in range(n)], "boolean"),
            "count_full": np.arange(n, dtype=np.int64),  # no missing value: stays an integer
            "org_id": [None if i % 5 == 0 else f"O{i % 3}" for i in range(n)],
        }
    )
    store = FeatureStore(tmp_path)
    store.publish(frame, {}, {}, snapshot_id="s", as_of=WHEN, version="v")
    return store, frame


def test_people_and_sample_rows_equal_the_cut_whole_table(tmp_path: Path) -> None:
    store, _ = _table(tmp_path)
    table = store.open(store.folder("s", WHEN, "v"))
    whole = table.read()
    wanted = np.asarray(["P017", "P003", "P030", "P999"], dtype=object)  # P999: not there
    chosen, sample = table.read_people(wanted, sample=lambda n: reference_positions(n, rows=7))
    expected = whole.loc[whole["person_id"].isin(wanted)]
    pd.testing.assert_frame_equal(chosen, expected, check_index_type=False)
    assert list(chosen["person_id"]) == ["P003", "P017", "P030"]  # the table's order
    # pandas' nullable types come back from the file's metadata, with or without a gap
    assert chosen["courses"].dtype == "Int64" and chosen["flag"].dtype == "boolean"
    assert chosen["count_full"].dtype == np.int64
    pd.testing.assert_frame_equal(sample, reference_sample(whole, rows=7), check_index_type=False)


def test_reference_positions_are_the_sample_of_the_population() -> None:
    population = pd.DataFrame({"x": np.arange(1000) * 2.0})
    taken = population.sample(n=100, random_state=0)
    assert list(reference_positions(1000, rows=100)) == list(taken.index)
    assert len(reference_positions(30, rows=100)) == 30


def test_a_table_written_without_pandas_types_reads_as_whole(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from hientai.featurestore import FEATURES_FILE, FeatureTable

    arrow = pa.table(
        {
            "person_id": ["a", "b", "c", "d"],
            "n": pa.array([1, 2, None, 4], pa.int64()),  # whole: float64 (a missing value)
            "ok": pa.array([True, None, False, True]),  # whole: object
        }
    )
    pq.write_table(arrow, tmp_path / FEATURES_FILE)
    table = FeatureTable(tmp_path, {})
    whole = table.read()
    chosen, sample = table.read_people(np.asarray(["d", "a"]), sample=lambda n: np.array([3]))
    pd.testing.assert_frame_equal(chosen, whole.iloc[[0, 3]], check_index_type=False)
    assert chosen["n"].dtype == np.float64 and chosen["ok"].dtype == object
    pd.testing.assert_frame_equal(sample, whole.iloc[[3]], check_index_type=False)
