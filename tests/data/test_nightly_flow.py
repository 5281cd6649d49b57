"""The nightly flow end to end on a 5,000-person extract with a trained champion: everything
published is explained and audited, re-running a night replaces it, a crash publishes nothing."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hientai.settings import load_settings
from hientai.storage import SnapshotStore
from models.shortlist_fairness import DERIVED, derived_rows
from pipelines.nightly_stages import leader_warnings
from pipelines.results_db import ResultsDB
from pipelines.side_process import SideLost
from tests.conftest import FIRST_NIGHT
from tests.data import side_jobs

pytestmark = pytest.mark.xdist_group("prefect")
NIGHT = FIRST_NIGHT


def _db(config: Path) -> ResultsDB:
    return ResultsDB(load_settings(config).app_db_url)


def _published(config: Path, night: str = NIGHT) -> dict[str, pd.DataFrame]:
    db = _db(config)
    run = db.run(night)
    assert run is not None
    tables = ("pools", "entries", "explanations", "fairness", "warnings", "diffs")
    return {"run": pd.DataFrame([run]), **{t: db.read(t, run["run_id"]) for t in tables}}


def test_every_recommendation_has_its_explanation_and_fairness_context(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    config, _ = trained_world
    got = _published(config)
    entries, explanations = got["entries"], got["explanations"]
    listed = entries.loc[entries["in_shortlist"].astype(bool)]
    assert len(listed) > 0 and len(listed) == first_night["counts"]["shortlisted"]
    assert set(listed["person_id"]) == set(explanations["person_id"])
    audited = set(got["fairness"]["pool_id"].dropna())
    assert set(listed["pool_id"]) <= audited
    assert got["fairness"]["pool_id"].isna().any()  # the whole-run audit
    pools = got["pools"].set_index("pool_id")
    for pool_id, rows in listed.groupby("pool_id"):
        assert sorted(rows["rank"].astype(int)) == list(range(1, len(rows) + 1))
        assert len(rows) == min(pools.loc[pool_id, "k"], pools.loc[pool_id, "n_eligible"])
        assert rows["percentile"].between(0, 100).all()
    assert {"national-young-talent", "external-talent"} <= set(pools.index)
    assert set(listed.loc[listed["pool_id"] == "external-talent", "population"]) == {"external"}
    assert Path(first_night["report"]).read_text(encoding="utf-8").count("<html") == 1
    assert Path(first_night["excel"]).stat().st_size > 0


def test_per_shortlist_fairness_keeps_the_checks_and_the_counts_that_give_the_rest(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    config, _ = trained_world
    fairness = _published(config)["fairness"]
    per_pool = fairness.loc[fairness["pool_id"].notna()]
    whole_run = fairness.loc[fairness["pool_id"].isna()]
    assert not per_pool["metric"].isin(DERIVED).any()
    assert set(DERIVED) <= set(whole_run["metric"])  # the whole run keeps every metric
    assert first_night["counts"]["fairness_checks"] == len(fairness)
    derived = derived_rows(per_pool, confidence=load_settings(config).nightly.audit.confidence)
    assert set(derived["pool_id"]) == set(per_pool["pool_id"])
    shares = derived.loc[derived["metric"] == "share_pool"].groupby(["pool_id", "attribute"])
    assert np.allclose(shares["value"].sum(), 1.0)
    # Each attribute's groups hold every shortlist place: the counts the rest comes from.
    listed = _published(config)["entries"].query("in_shortlist").groupby("pool_id").size()
    places = derived.loc[derived["metric"] == "share_selected"].groupby(["pool_id", "attribute"])
    held = places["n_selected"].sum().reset_index(level="attribute", drop=True)
    assert (held == listed.reindex(held.index)).all()
    rates = derived.loc[derived["metric"] == "selection_rate"]
    assert rates["ci_low"].le(rates["value"]).all() and rates["ci_high"].ge(rates["value"]).all()


def test_every_stored_explanation_adds_up_to_the_models_raw_score(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    config, _ = trained_world
    got = _published(config)
    explanations = got["explanations"].set_index("person_id")
    folder = Path(first_night["folder"])
    classifier = pickle.loads((folder / "classifier.pkl").read_bytes())
    features = pd.read_parquet(Path(first_night["features_path"]) / "features.parquet")
    X = features.assign(person_id=features["person_id"].astype(str)).set_index("person_id")
    X = X.loc[explanations.index]
    external = X["is_external"].to_numpy() == 1
    assert external.any() and classifier.external_ is not None  # both models explain here
    independent = np.empty(len(X))  # recomputed here, from the boosters and the line
    independent[~external] = classifier.booster_.predict(
        X.loc[~external, classifier.feature_names_], raw_score=True
    )
    profile = classifier.external_
    shared = X.loc[external, profile.feature_names_].to_numpy(dtype="float64")
    z = np.nan_to_num((shared - profile.line_mean_) / profile.line_scale_)
    independent[external] = (
        profile.booster_.predict(shared, raw_score=True)
        + profile.line_intercept_
        + z @ profile.line_coef_
    )
    for person, row in explanations.iterrows():
        contributions = json.loads(row["contributions"])
        total = row["base_value"] + sum(contributions.values())
        assert total == pytest.approx(row["raw_score"], abs=1e-5), person
    np.testing.assert_allclose(explanations["raw_score"], independent, atol=1e-9)
    # reason codes carry the sign of their SHAP value
    for _, row in explanations.iterrows():
        assert all(r["contribution"] > 0 for r in json.loads(row["reasons_positive"]))
        assert all(r["contribution"] < 0 for r in json.loads(row["reasons_negative"]))


def test_the_published_warnings_are_those_computed_from_everyones_records(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    """The audit stage reads only the leaders' KPI and rating rows; computed from every row of
    the snapshot, the warnings are the same."""
    config, _ = trained_world
    settings = load_settings(config)
    snapshot = SnapshotStore(settings.snapshots_dir).open(first_night["snapshot_id"])
    everyone = leader_warnings(
        settings,
        snapshot,
        first_night["features_path"],
        pd.Timestamp(first_night["as_of"]),
        leaders_rows_only=False,
    )
    published = _published(config)["warnings"]
    assert len(published) == first_night["counts"]["warnings"] > 0
    assert set(json.loads(published["signals"].iloc[0])) and (published["severity"] != "").all()
    pd.testing.assert_frame_equal(
        published.astype(object).where(published.notna(), None),
        everyone.astype(object).where(everyone.notna(), None),
    )


def test_rerunning_a_night_replaces_it(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    from pipelines.nightly import nightly

    config, _ = trained_world
    before = _published(config)
    again = nightly(as_of=NIGHT, config=str(config))
    after = _published(config)
    runs = _db(config).runs()
    assert (runs["night"] == NIGHT).sum() == 1
    assert after["run"]["run_id"].iloc[0] == again["run_id"] != before["run"]["run_id"].iloc[0]
    keys = ["pool_id", "person_id", "rank", "rank_model", "score", "in_shortlist"]
    pd.testing.assert_frame_equal(
        before["entries"][keys].sort_values(keys[:2]).reset_index(drop=True),
        after["entries"][keys].sort_values(keys[:2]).reset_index(drop=True),
    )
    assert len(after["fairness"]) == len(before["fairness"])
    manifest = json.loads((Path(again["folder"]) / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["run_id"] == again["run_id"]


def _without_run(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in ("run_id", "id") if c in frame.columns])
    return frame.sort_values(by).reset_index(drop=True)


def test_a_night_on_an_unchanged_snapshot_reuses_its_features_with_the_same_results(
    first_night: dict, trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    """Guarantee (issue 12): a night whose snapshot, date, features code and settings match a
    published feature table uses that table instead of building it again, and publishes what a
    night that rebuilds everything publishes (``features.reuse: false``); a setting the build
    reads (the proxy threshold) makes the next night rebuild."""
    from pipelines.nightly import nightly

    config, _ = trained_world
    table = Path(first_night["features_path"])

    def built_at() -> str:
        return str(json.loads((table / "manifest.json").read_text(encoding="utf-8"))["built_at"])

    reused = nightly(as_of=NIGHT, config=str(config))
    assert reused["features_reused"] is True
    assert reused["features_path"] == first_night["features_path"]
    first_built = built_at()
    kept = pd.read_parquet(table / "features.parquet")
    with_reuse = _published(config)

    rebuild = tmp_path / "rebuild.yaml"
    rebuild.write_text(config.read_text(encoding="utf-8") + "features:\n  reuse: false\n")
    full = nightly(as_of=NIGHT, config=str(rebuild))
    assert full["features_reused"] is False and full["features_path"] == reused["features_path"]
    assert built_at() != first_built  # built again, into the same place
    pd.testing.assert_frame_equal(pd.read_parquet(table / "features.parquet"), kept)
    rebuilt = _published(config)
    for name, by in (("entries", ["pool_id", "person_id"]), ("explanations", ["person_id"])):
        pd.testing.assert_frame_equal(
            _without_run(with_reuse[name], by), _without_run(rebuilt[name], by)
        )
    assert len(with_reuse["fairness"]) == len(rebuilt["fairness"])

    stricter = tmp_path / "stricter.yaml"
    stricter.write_text(
        config.read_text(encoding="utf-8") + "features:\n  proxy: {threshold: 0.7}\n"
    )
    assert nightly(as_of=NIGHT, config=str(stricter))["features_reused"] is False
    assert nightly(as_of=NIGHT, config=str(config))["features_reused"] is False  # 0.65 again


def test_side_stages_in_a_process_publish_what_threads_publish(
    first_night: dict, trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    """Guarantee (issue 12): the early warnings, the drift and the explanations run in the
    night's side process (``nightly.side_process: true``; the test extract is under ``auto``'s
    threshold, so its first night ran them on threads) and the night publishes exactly the
    same rows, drift and report counts."""
    from pipelines.nightly import nightly

    config, _ = trained_world
    assert first_night["side_stages"] == "threads"
    on_threads = _published(config)
    drift_before = pd.read_parquet(Path(first_night["folder"]) / "drift.parquet")
    in_process = tmp_path / "side.yaml"
    in_process.write_text(config.read_text(encoding="utf-8") + "nightly:\n  side_process: true\n")
    night = nightly(as_of=NIGHT, config=str(in_process))
    assert night["side_stages"] == "process"
    assert Path(night["report"]).read_text(encoding="utf-8").count("<html") == 1
    assert Path(night["excel"]).stat().st_size > 0  # written in the side process
    assert night["counts"] == {**first_night["counts"], "diff": night["counts"]["diff"]}
    assert {"warnings", "drift", "explain"} <= set(night["stage_seconds"])
    got = _published(config)
    keys = {
        "entries": ["pool_id", "person_id"],
        "explanations": ["person_id"],
        "warnings": ["person_id", "title"],
        "fairness": ["pool_id", "attribute", "group", "metric"],
    }
    for name, by in keys.items():
        pd.testing.assert_frame_equal(
            _without_run(got[name], by), _without_run(on_threads[name], by), obj=name
        )
    assert len(got["warnings"]) > 0 and len(got["explanations"]) > 0  # not vacuous
    # Against training, not against the previous night (the first one had none).
    tonight = ["kind", "feature", "psi_vs_training", "missing_share", "missing_share_training"]
    drift = pd.read_parquet(Path(night["folder"]) / "drift.parquet")
    pd.testing.assert_frame_equal(drift[tonight], drift_before[tonight])


def test_explanations_run_here_while_the_side_process_is_busy(
    first_night: dict,
    trained_world: tuple[Path, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """When the side process is still busy (early warnings, drift) as the explanations could
    start, the night runs them itself after the audit, and publishes the same ones."""
    from pipelines.nightly import explain_task, nightly
    from pipelines.side_process import SideProcess

    config, _ = trained_world
    before = _published(config)["explanations"]

    def not_submitted(*args: object, **kwargs: object) -> None:
        raise AssertionError("the explanations were sent to the busy side process")

    monkeypatch.setattr(SideProcess, "busy", lambda self: True)
    monkeypatch.setattr(explain_task, "submit", not_submitted)
    in_process = tmp_path / "side.yaml"
    in_process.write_text(config.read_text(encoding="utf-8") + "nightly:\n  side_process: true\n")
    night = nightly(as_of=NIGHT, config=str(in_process))
    assert night["side_stages"] == "process" and night["counts"]["explanations"] > 0
    got = _published(config)["explanations"]
    pd.testing.assert_frame_equal(
        _without_run(got, ["person_id"]), _without_run(before, ["person_id"])
    )


@pytest.mark.parametrize(
    ("job", "error", "says"),
    [
        ("half_written_reports", RuntimeError, "the report broke half-way"),
        ("reports_killed", SideLost, "side process .* ended abruptly"),
    ],
)
def test_a_report_failing_in_the_side_process_publishes_nothing(
    first_night: dict,
    trained_world: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    job: str,
    error: type[Exception],
    says: str,
) -> None:
    """Guarantee: the report and export, written in the side process while the database takes
    the rows, fail the night if they fail half-way or the process dies: the previous night
    stays published, whole, and no staging folder is left."""
    from pipelines.nightly import nightly

    config, _ = trained_world
    before = _snapshot_of_night(config)
    in_process = tmp_path / "side.yaml"
    in_process.write_text(config.read_text(encoding="utf-8") + "nightly:\n  side_process: true\n")
    # The side process runs what the main one sends it: a job of a module it can import.
    monkeypatch.setattr("pipelines.nightly_publish.write_reports", getattr(side_jobs, job))
    with pytest.raises(error, match=says):
        nightly(as_of=NIGHT, config=str(in_process))
    assert _snapshot_of_night(config) == before
    runs_dir = load_settings(config).runs_dir
    assert not [p for p in runs_dir.iterdir() if p.name.startswith(".")]
    report = Path(_db(config).run(NIGHT)["report_file"])  # type: ignore[index]
    assert "half" not in report.read_text(encoding="utf-8")


def _snapshot_of_night(config: Path) -> tuple[str, int, str]:
    run = _db(config).run(NIGHT)
    assert run is not None
    manifest = json.loads(
        (Path(run["report_file"]).parent / "manifest.json").read_text(encoding="utf-8")
    )
    entries = _db(config).read("entries", run["run_id"])
    return run["run_id"], len(entries), manifest["run_id"]


@pytest.mark.parametrize(
    ("target", "name"),
    [
        ("pipelines.nightly_stages.explain_rows", "between shortlists and explain"),
        ("models.shortlist_run.audit_run", "between explain and audit"),
        ("pipelines.report.write_excel", "inside publish, before the database"),
        ("hientai.atomic.FolderSwap.__call__", "after the folder swap, before commit"),
    ],
)
def test_a_crash_leaves_the_previous_night_published_and_intact(
    first_night: dict,
    trained_world: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    target: str,
    name: str,
) -> None:
    from pipelines.nightly import nightly

    config, _ = trained_world
    before = _snapshot_of_night(config)

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"injected crash {name}")

    if target.endswith("__call__"):  # the swap happens, then the commit fails: undo it
        from hientai.atomic import FolderSwap

        swap = FolderSwap.__call__

        def swap_then_crash(self: FolderSwap) -> None:
            swap(self)
            crash()

        monkeypatch.setattr(FolderSwap, "__call__", swap_then_crash)
    else:
        monkeypatch.setattr(target, crash)
    with pytest.raises(RuntimeError, match="injected crash"):
        nightly(as_of=NIGHT, config=str(config))
    assert _snapshot_of_night(config) == before
    runs_dir = load_settings(config).runs_dir
    assert not [p for p in runs_dir.iterdir() if p.name.startswith(".")]


def test_a_night_reports_who_entered_and_left_since_the_previous_one(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    from pipelines.nightly import nightly

    config, _ = trained_world
    nightly(as_of="2025-11-01", config=str(config))  # an earlier night, then tonight again
    tonight = nightly(as_of=NIGHT, config=str(config))
    db = _db(config)
    previous = db.previous_run(NIGHT)
    assert previous is not None and previous["night"] == "2025-11-01"
    old = db.read("entries", previous["run_id"])
    new = db.read("entries", tonight["run_id"])
    diff = db.read("diffs", tonight["run_id"])

    def listed(frame: pd.DataFrame) -> set[tuple[str, str]]:
        rows = frame.loc[frame["in_shortlist"].astype(bool)]
        return set(zip(rows["pool_id"], rows["person_id"], strict=True))

    def changed(kind: str) -> set[tuple[str, str]]:
        rows = diff.loc[diff["change"] == kind]
        return set(zip(rows["pool_id"], rows["person_id"], strict=True))

    assert changed("entered") == listed(new) - listed(old)
    assert changed("left") == listed(old) - listed(new)
    assert len(diff) > 0 and diff["reason_en"].str.len().gt(0).all()
    assert tonight["counts"]["diff"] == len(diff)


@pytest.mark.postgres
def test_a_night_publishes_to_postgresql_and_replaces_itself(
    first_night: dict, trained_world: tuple[Path, Path], postgres_uri: str, tmp_path: Path
) -> None:
    from pipelines.nightly import nightly

    config, _ = trained_world
    settings = load_settings(config)
    pg_config = tmp_path / "pg.yaml"
    pg_config.write_text(
        f"data_dir: {settings.data_dir}\ntraining:\n  tracking_uri: {settings.tracking_uri}\n"
        f"nightly:\n  app_db_url: {postgres_uri}\n",
        encoding="utf-8",
    )
    night = "2025-12-01"  # its own night: the run folder is shared with the SQLite tests
    first = nightly(as_of=night, config=str(pg_config))
    second = nightly(as_of=night, config=str(pg_config))
    db = ResultsDB(postgres_uri)
    runs = db.runs()
    assert list(runs["night"]) == [night] and runs["run_id"].iloc[0] == second["run_id"]
    entries = db.read("entries", second["run_id"])
    assert int(entries["in_shortlist"].sum()) == first["counts"]["shortlisted"] > 0
    explained = db.read("explanations", second["run_id"])
    assert set(entries.loc[entries["in_shortlist"], "person_id"]) == set(explained["person_id"])


def test_the_night_is_logged_to_mlflow(
    first_night: dict, trained_world: tuple[Path, Path]
) -> None:
    from hientai import tracking

    config, _ = trained_world
    client = tracking.connect(load_settings(config))
    logged = client.get_run(first_night["mlflow_run_id"])
    assert logged.data.tags["night"] == NIGHT
    assert logged.data.tags["model_version"] == first_night["model_version"]
    assert logged.data.metrics["count.shortlisted"] == first_night["counts"]["shortlisted"]
    assert logged.data.metrics["floor.treeshap"] >= 0
    assert [a.path for a in client.list_artifacts(logged.info.run_id, "report")] == [
        "report/report.html"
    ]


def test_a_night_can_start_from_a_delivered_extract(
    first_night: dict, trained_world: tuple[Path, Path], tmp_path: Path
) -> None:
    from pipelines.ingest import BatchRejected
    from pipelines.nightly import nightly

    config, truth = trained_world
    extract = truth.parent.parent  # the folder the world was ingested from: nothing new
    night = nightly(extract=str(extract), as_of="2025-10-01", config=str(config))
    assert "ingest" in night["stage_seconds"]
    assert night["snapshot_id"] == first_night["snapshot_id"]
    assert _db(config).run("2025-10-01") is not None
    broken = tmp_path / "broken"
    broken.mkdir()
    people = pd.read_parquet(extract / "people.parquet").head(50)
    people.assign(population="nobody").to_csv(broken / "people.csv", index=False)
    with pytest.raises(BatchRejected, match="nothing published"):
        nightly(extract=str(broken), as_of="2025-09-01", config=str(config))
    assert _db(config).run("2025-09-01") is None


def test_an_undone_swap_restores_the_previous_folder_at_every_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hientai.atomic import FolderSwap

    target, staging = tmp_path / "2026-01-01", tmp_path / ".staging"
    target.mkdir()
    (target / "old.txt").write_text("old", encoding="utf-8")
    staging.mkdir()
    (staging / "new.txt").write_text("new", encoding="utf-8")
    rename = Path.rename
    calls = {"n": 0}

    def second_rename_fails(self: Path, to: Path) -> Path:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("injected: the disk refused the second rename")
        return rename(self, to)

    swap = FolderSwap(staging, target)
    monkeypatch.setattr(Path, "rename", second_rename_fails)
    with pytest.raises(OSError, match="injected"):
        swap()
    swap.undo()
    monkeypatch.setattr(Path, "rename", rename)
    assert (target / "old.txt").read_text(encoding="utf-8") == "old"
    assert (staging / "new.txt").exists() and not swap.retired.exists()


def test_a_tracking_outage_after_publishing_does_not_fail_the_night(
    first_night: dict, trained_world: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.nightly import nightly

    def outage(*args: object, **kwargs: object) -> str:
        raise ConnectionError("injected: MLflow is down")

    monkeypatch.setattr("hientai.tracking.log_night", outage)
    monkeypatch.setattr("pipelines.nightly.track_task.retries", 0)
    night = nightly(as_of="2025-08-01", config=str(trained_world[0]))
    assert night["mlflow_run_id"] is None
    assert _db(trained_world[0]).run("2025-08-01")["run_id"] == night["run_id"]
