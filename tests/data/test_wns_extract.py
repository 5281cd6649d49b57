"""The real WNS promotion extract flows through its mapping file with zero rejections."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from features.build import build_features
from features.labels import LabelDefinition, promotion_labels
from hientai.ingest import IngestReport, load_mapping, run_batch
from hientai.settings import Settings
from hientai.storage import Snapshot, SnapshotStore
from models.dataset import model_features
from models.holdout import stratified_holdout

ROOT = Path(__file__).resolve().parents[2]
WNS = ROOT.parent / "shared" / "data" / "wns_promotion" / "train.csv"
MAPPING = ROOT / "conf" / "mappings" / "wns_promotion.yaml"


@pytest.fixture(scope="module")
def wns(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestReport, Snapshot, pd.DataFrame]:
    assert WNS.exists(), f"{WNS} is missing: ../shared must sit beside the repository"
    settings = Settings(data_dir=tmp_path_factory.mktemp("wns") / "data")
    report = run_batch(WNS, mapping=load_mapping(MAPPING), settings=settings)
    raw = pd.read_csv(WNS)
    return report, SnapshotStore(settings.snapshots_dir).open(report.snapshot_id), raw


def test_every_row_is_accepted(wns: tuple[IngestReport, Snapshot, pd.DataFrame]) -> None:
    report, _, raw = wns
    assert report.status == "published"
    by_table = {t.name: t for t in report.tables}
    assert all(t.quarantined == 0 for t in report.tables)
    assert by_table["people"].accepted == len(raw) == 54_808
    assert by_table["organizations"].accepted == raw["region"].nunique() == 34
    assert by_table["awards"].accepted == int(raw["awards_won"].sum())
    assert by_table["assignments"].accepted == len(raw) + int(raw["is_promoted"].sum())


def test_blanks_are_missing_values_not_errors(
    wns: tuple[IngestReport, Snapshot, pd.DataFrame],
) -> None:
    _, snap, raw = wns
    people = snap.read("people")
    evaluations = snap.read("evaluations")
    assert people["education_level"].isna().sum() == raw["education"].isna().sum() == 2_409
    assert evaluations["rating"].isna().sum() == raw["previous_year_rating"].isna().sum() == 4_124


def test_values_are_mapped_onto_the_contract(
    wns: tuple[IngestReport, Snapshot, pd.DataFrame],
) -> None:
    _, snap, raw = wns
    protected = snap.read_protected(purpose="fairness_audit", reader="test").set_index("person_id")
    first = raw.iloc[0]  # employee 65438: f, 35, Master's & above, 8 years, rating 5
    person = f"wns-{first['employee_id']}"
    assert protected.loc[person, "gender"] == "female"
    assert protected.loc[person, "birth_date"].year == 2018 - 35
    people = snap.read("people").set_index("person_id")
    assert people.loc[person, "education_level"] == "master"
    assert people.loc[person, "hire_date"].year == 2018 - 8
    ratings = snap.read("evaluations").set_index("person_id")
    assert ratings.loc[person, "rating"] == "excellent"
    # The 1-5 score is kept beside the level: 1 and 2 share a level but not a score.
    assert ratings.loc[person, ["rating_score", "rating_scale_max"]].tolist() == [5.0, 5.0]
    by_score = ratings.groupby("rating_score")["rating"].agg(lambda r: set(r.astype(str)))
    assert by_score.loc[1.0] == by_score.loc[2.0] == {"not_completed"}
    assert ratings["rating_score"].isna().sum() == raw["previous_year_rating"].isna().sum()
    promoted = snap.read("assignments").query("reason == 'promotion'")
    assert len(promoted) == int(raw["is_promoted"].sum()) == 4_668
    kpis = snap.read("outputs")
    assert kpis["achieved"].sum() == raw["KPIs_met _greaterthan_80percent"].sum()
    trainings = snap.read("trainings")
    assert trainings["sessions"].sum() == raw["no_of_trainings"].sum()


def test_the_minimal_extract_yields_features_and_labels(
    wns: tuple[IngestReport, Snapshot, pd.DataFrame],
) -> None:
    _, snap, raw = wns
    tables = {name: snap.read(name) for name in snap.tables}
    features = build_features(tables, "2018-01-01")
    assert len(features) == len(raw)
    # Tables the extract lacks give missing values plus an indicator, never a crash.
    assert features["missing_survey_360"].eq(1).all()
    assert features["survey_task_performance"].isna().all()
    assert features["missing_ratings"].sum() == raw["previous_year_rating"].isna().sum()
    by_id = features.set_index("person_id")
    kpi = raw.set_index("wns-" + raw["employee_id"].astype(str))["KPIs_met _greaterthan_80percent"]
    assert (by_id.loc[kpi.index, "kpi_achievement_3y"] == kpi).all()
    labels = promotion_labels(
        tables, pd.Timestamp("2018-01-01"), LabelDefinition(horizon_years=1, leadership_only=False)
    )
    assert labels["label"].sum() == raw["is_promoted"].sum()


def test_the_real_extract_trains_and_reports_auc_and_f1(
    wns: tuple[IngestReport, Snapshot, pd.DataFrame],
) -> None:
    """Reference (README of the extract): ROC-AUC 0.913, best F1 0.556 for a default LightGBM
    on the raw columns, which include age, department and region. hientai's features exclude
    age by design and keep neither department nor region as features; they compare people
    with peers of the same field and region instead (training score percentile within the
    department above all), which lifted seed 0 from 0.833 / 0.366 to 0.904 / 0.507
    (docs/model-selection.md); this test pins that level."""
    _, snap, raw = wns
    tables = {name: snap.read(name) for name in snap.tables}
    features = build_features(tables, "2018-01-01")
    promoted = set("wns-" + raw.loc[raw["is_promoted"] == 1, "employee_id"].astype(str))
    y = features["person_id"].astype(str).isin(promoted).to_numpy().astype(int)
    result = stratified_holdout(features, y, model_features(), seed=0)
    assert result.n_test == pytest.approx(0.2 * len(raw), abs=1)
    assert 0.895 < result.roc_auc < 0.913, result
    assert 0.49 < result.best_f1 < 0.556, result
