"""The night's feature stage hands its table over: the proxy audit computed while the file is
written (what it describes joins the file afterwards), the table read back from memory by the
same process (what reading the file gives, exactly), and peer percentiles from one sort."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from features.peers import PEER_FEATURES, finest_rating, peer_features, peer_jobs
from features.performance import percentile_within
from hientai import featurestore
from hientai.featurestore import FEATURES_FILE, MANIFEST, FeatureStore, kept_in_memory

WHEN = pd.Timestamp("2026-01-01")


def _frame(n: int = 30) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    ids = pd.array([f"P{i:03d}" for i in range(n)], dtype="string[pyarrow]")
    return pd.DataFrame(
        {
            "person_id": ids.to_numpy(),  # object, as the build gives it
            "as_of": np.full(n, WHEN.to_datetime64()),  # seconds: the file keeps milliseconds
            "population": ["internal" if i % 3 else "external" for i in range(n)],
            # Missing as pd.NA, NaN and None: the file gives each back as None.
            "org_id": pd.array(
                [None if i % 7 == 0 else f"O{i % 4}" for i in range(n)], dtype="string[pyarrow]"
            ).to_numpy(),
            "province": [np.nan if i % 5 == 0 else f"V{i % 2}" for i in range(n)],
            "score_like": rng.normal(size=n),
            "count": np.arange(n, dtype=np.int64),
        }
    )


def _publish(store: FeatureStore, frame: pd.DataFrame) -> Path:
    return store.publish(
        frame, {"rows": len(frame)}, {}, snapshot_id="s", as_of=WHEN, version="v"
    ).path


def test_a_table_read_back_in_the_same_process_is_what_its_file_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, frame = FeatureStore(tmp_path), _frame()
    before = frame.copy()
    with kept_in_memory():
        folder = _publish(store, frame)
        table = store.open(folder)
        with monkeypatch.context() as patched:  # from memory: the file is not read
            patched.setattr(pd, "read_parquet", _no_reading)
            whole, some = table.read(), table.read(["person_id", "province", "score_like"])
        whole.loc[0, "score_like"] = 99.0  # a reader's frame is its own
        some["added"] = 1.0  # not a slice of another frame: pandas does not warn
        assert table.read()["score_like"].iloc[0] == frame["score_like"].iloc[0]
    from_file = store.open(folder)
    whole.loc[0, "score_like"] = frame["score_like"].iloc[0]
    pd.testing.assert_frame_equal(whole, from_file.read(), check_exact=True)
    pd.testing.assert_frame_equal(
        some.drop(columns="added"),
        from_file.read(["person_id", "province", "score_like"]),
        check_exact=True,
    )
    assert from_file.read()["as_of"].dtype == np.dtype("datetime64[ms]")
    assert from_file.read()["org_id"].iloc[0] is None
    pd.testing.assert_frame_equal(frame, before)  # the published frame is not changed


def _no_reading(*args: object, **kwargs: object) -> pd.DataFrame:
    raise AssertionError("the file was read")


def test_memory_is_used_only_within_the_context_and_for_the_file_written(tmp_path: Path) -> None:
    store, frame = FeatureStore(tmp_path), _frame()
    with kept_in_memory():
        folder = _publish(store, frame)
        # The file is read when it is no longer the one written: memory would be stale.
        changed = frame.assign(score_like=frame["score_like"] + 1)
        file = folder / FEATURES_FILE
        file.chmod(0o600)
        changed.to_parquet(file, index=False)
        assert store.open(folder).read(["score_like"])["score_like"].tolist() == pytest.approx(
            changed["score_like"].tolist()
        )
    # Memory is given back on leaving the context; outside it nothing is kept.
    with kept_in_memory():
        folder = _publish(store, frame)
    assert not featurestore._KEPT
    _publish(store, frame)
    assert not featurestore._KEPT
    file = folder / FEATURES_FILE
    file.chmod(0o600)
    changed.to_parquet(file, index=False)
    got = store.open(folder).read(["score_like"])["score_like"]
    assert got.tolist() == pytest.approx(changed["score_like"].tolist())


@pytest.mark.parametrize(
    "column",
    [
        pd.Categorical(["a", "b"] * 15),
        pd.array(["t"] * 30, dtype="string[pyarrow]"),  # comes back in Python's storage
        pd.array([1, None] * 15, dtype="Int64"),
        [b"bytes", None] * 15,
    ],
)
def test_a_table_of_types_the_file_may_change_is_read_from_its_file(
    tmp_path: Path, column: object
) -> None:
    store = FeatureStore(tmp_path)
    frame = _frame().assign(other=column)
    with kept_in_memory():
        folder = _publish(store, frame)
        expected = pd.read_parquet(folder / FEATURES_FILE)
        pd.testing.assert_frame_equal(store.open(folder).read(), expected, check_exact=True)
        assert store.open(folder).read()["other"].dtype == expected["other"].dtype


def test_what_describes_a_table_is_computed_while_its_file_is_written(tmp_path: Path) -> None:
    store, frame, seen = FeatureStore(tmp_path), _frame(), []

    def describe() -> tuple[dict[str, object], dict[str, str]]:
        seen.append((folder_of(store) / FEATURES_FILE).is_file())  # the file is there first
        return {"flagged": ["x"]}, {"audit.md": "# audit\n"}

    table = store.publish(frame, describe, snapshot_id="s", as_of=WHEN, version="v")
    assert seen == [True]
    assert table.manifest == {"flagged": ["x"]}
    assert json.loads((table.path / MANIFEST).read_text()) == {"flagged": ["x"]}
    assert (table.path / "audit.md").read_text() == "# audit\n"


def test_a_failing_description_publishes_nothing(tmp_path: Path) -> None:
    store = FeatureStore(tmp_path)

    def describe() -> tuple[dict[str, object], dict[str, str]]:
        raise RuntimeError("audit failed")

    with pytest.raises(RuntimeError, match="audit failed"):
        store.publish(_frame(), describe, snapshot_id="s", as_of=WHEN, version="v")
    assert not store.folder("s", WHEN, "v").exists()
    assert not any(tmp_path.rglob(FEATURES_FILE))


def folder_of(store: FeatureStore) -> Path:
    """The staging folder being written (the only one under the store)."""
    (staging,) = [p for p in (store.root / "s").iterdir() if p.name.startswith(".staging-")]
    return staging


def _pandas_percentile(values: np.ndarray, groups: pd.Series) -> np.ndarray:
    """What percentile_within computed before: pandas' grouped average rank."""
    frame = pd.DataFrame({"v": np.round(values, 10), "g": groups.to_numpy()})
    ranks = frame.groupby("g", dropna=False)["v"].rank(pct=True, method="average")
    return ranks.to_numpy(dtype="float64") * 100


@pytest.mark.parametrize("seed", range(40))
def test_percentiles_equal_pandas_grouped_rank_bit_for_bit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(0, 200))
    values = rng.integers(0, 6, n) / 3 if seed % 2 else rng.normal(size=n)
    values[rng.random(n) < 0.2] = np.nan
    values[rng.random(n) < 0.05] = np.inf
    values[rng.random(n) < 0.05] = -0.0
    values[rng.random(n) < 0.05] = 0.1 + 0.2  # equal to 0.3 once rounded: a tie
    values[rng.random(n) < 0.05] = 0.3
    groups = pd.Series(rng.choice(np.array(["a", "b", "c", None], dtype=object), n))
    got = percentile_within(values, groups)
    expected = _pandas_percentile(values, groups)
    assert np.array_equal(got, expected, equal_nan=True)


def test_peer_jobs_give_the_peer_features() -> None:
    rng = np.random.default_rng(2)
    n = 50
    values = {
        name: np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n))
        for name in (
            "training_score_mean",
            "rating_score_last",
            "rating_last",
            "kpi_achievement_3y",
        )
    }
    groups = {
        "field": pd.Series(rng.choice(np.array(["law", "it", None], dtype=object), n)),
        "province": pd.Series(rng.choice(np.array(["HN", "HCM", None], dtype=object), n)),
    }
    together: dict[str, np.ndarray] = {}
    for job in peer_jobs(values, groups):
        together |= job()
    alone = peer_features(values, groups)
    assert together.keys() == alone.keys() == PEER_FEATURES.keys()
    # Each against pandas' grouped rank of the person's own feature, unknown groups missing.
    own = {**values, "rating_finest_last": finest_rating(values)}
    for name, (feature, kind) in PEER_FEATURES.items():
        unknown = groups[kind].isna().to_numpy()
        expected = np.where(unknown, np.nan, _pandas_percentile(own[feature], groups[kind]))
        assert np.array_equal(together[name], expected, equal_nan=True), name
        assert np.array_equal(alone[name], expected, equal_nan=True), name
    assert np.isnan(alone["rating_pctile_field"][groups["field"].isna().to_numpy()]).all()


@pytest.mark.parametrize(
    "groups",
    [
        pd.Series([f"g{i % 40_000}" for i in range(90_000)]),  # codes beyond 16 bits
        pd.Series(pd.Categorical(["b", "a", None] * 30_000, categories=["a", "b", "unused"])),
        pd.Series([1.0, np.nan, 2.0] * 30_000),
    ],
)
def test_percentiles_equal_pandas_for_many_and_other_groups(groups: pd.Series) -> None:
    rng = np.random.default_rng(9)
    values = np.where(rng.random(len(groups)) < 0.1, np.nan, rng.integers(0, 50, len(groups)))
    expected = _pandas_percentile(values, groups)
    assert np.array_equal(percentile_within(values, groups), expected, equal_nan=True)


def test_percentiles_refuse_values_and_groups_of_different_lengths() -> None:
    with pytest.raises(ValueError, match="3 values for 2 groups"):
        percentile_within(np.array([1.0, 2.0, 3.0]), pd.Series(["a", "b"]))


def test_a_read_the_memory_cannot_answer_gets_the_files_answer(tmp_path: Path) -> None:
    store, frame = FeatureStore(tmp_path), _frame()
    folder = _publish(store, frame)
    with pytest.raises(Exception) as from_file:
        store.open(folder).read(["person_id", "nope"])
    empty_from_file = store.open(folder).read([])
    with kept_in_memory():
        folder = _publish(store, frame)
        with pytest.raises(type(from_file.value)):
            store.open(folder).read(["person_id", "nope"])
        pd.testing.assert_frame_equal(store.open(folder).read([]), empty_from_file)


def test_a_frame_with_labels_the_file_drops_is_not_kept(tmp_path: Path) -> None:
    store, frame = FeatureStore(tmp_path), _frame()
    frame.index.name = "row"
    with kept_in_memory():
        folder = _publish(store, frame)
        assert not featurestore._KEPT
        assert store.open(folder).read().index.name is None
