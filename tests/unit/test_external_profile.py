"""External candidates' profile model: one comparable scale, distinct scores, monotone in the
shared evidence, exact and additive explanations (issue 10, item 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from features.catalog import EXTERNAL_SHARED
from models.calibration import StrictCalibrator
from models.external_profile import PlacedCalibrator, fit_external_profile, recruit_rows
from models.local_explain import explain_rows
from models.potential import PotentialClassifier

PARAMS = {"n_estimators": 60, "min_child_samples": 20, "num_leaves": 7}


class _Identity:
    def predict(self, raw: np.ndarray) -> np.ndarray:
        return np.asarray(raw, dtype="float64")


def test_placement_maps_percentiles_and_rises_strictly() -> None:
    rng = np.random.default_rng(0)
    profile = rng.normal(size=2_000)
    main = 3.0 * profile + 1.0 + rng.normal(scale=0.01, size=2_000)
    placed = PlacedCalibrator(_Identity()).fit(profile, main)
    # The recruit at the 80th profile percentile gets the main score of the 80th percentile.
    at = np.quantile(profile, [0.1, 0.5, 0.8])
    assert placed.predict(at) == pytest.approx(np.quantile(main, [0.1, 0.5, 0.8]), abs=0.05)
    grid = np.linspace(-10, 10, 5_001)  # far beyond every recruit on both sides
    out = placed.predict(grid)
    assert (np.diff(out) > 0).all()


def test_placement_keeps_distinct_scores_when_the_main_scale_has_steps() -> None:
    profile = np.linspace(0, 1, 500)
    main = np.repeat([0.0, 1.0, 2.0, 3.0, 4.0], 100)  # trees: a few steps only
    placed = PlacedCalibrator(_Identity()).fit(profile, main)
    out = placed.predict(np.linspace(-0.5, 1.5, 1_000))
    assert len(np.unique(out)) == 1_000
    assert (np.diff(out) > 0).all()


def _world(n: int = 6_000, seed: int = 1) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Labelled internal rows: results depend on a career signal and on the assessment."""
    rng = np.random.default_rng(seed)
    merit = rng.normal(size=n)
    recruit = rng.random(n) < 0.5
    exam = 60 + 8 * merit + rng.normal(size=n)
    X = pd.DataFrame(
        {
            "rating_mean_3y": merit + rng.normal(scale=0.7, size=n),
            "assessment_score_mean": np.where(recruit, exam, np.nan),
            "assessment_score_max": np.where(recruit, exam + 6 + rng.normal(size=n), np.nan),
            "assessment_count": np.where(recruit, 2.0, 0.0),
            "education_rank": rng.integers(3, 7, size=n).astype(float),
            "is_external": np.zeros(n),
        }
    )
    y = (merit + rng.normal(scale=0.5, size=n) > 1.0).astype(int)
    latest = rng.random(n) < 0.25
    return X, y, latest


def _fitted() -> tuple[PotentialClassifier, pd.DataFrame]:
    X, y, latest = _world()
    main = PotentialClassifier(PARAMS, seed=0, threads=1).fit(X, y, calibrate_on=latest)
    main.external_ = fit_external_profile(X, y, main, calibrate_on=latest, min_rows=100)
    return main, X


def _externals(n: int = 400, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    score = rng.uniform(40, 90, size=n)
    return pd.DataFrame(
        {
            "rating_mean_3y": np.nan,
            "assessment_score_mean": score,
            "assessment_score_max": score + rng.uniform(0, 8, size=n),
            "assessment_count": 3.0,
            "education_rank": rng.integers(3, 7, size=n).astype(float),
            "is_external": np.ones(n),
        }
    )


def test_the_profile_learns_from_recruits_and_shared_signals_only() -> None:
    main, X = _fitted()
    profile = main.external_
    assert profile is not None
    assert set(profile.feature_names_) <= set(EXTERNAL_SHARED)
    assert "rating_mean_3y" not in profile.feature_names_
    assert recruit_rows(X, min_rows=100).sum() == (X["assessment_count"] > 0).sum()


def test_external_scores_are_distinct_ordered_by_evidence_and_on_the_internal_scale() -> None:
    main, X = _fitted()
    externals = _externals()
    score = main.predict_proba(externals)
    assert len(np.unique(score)) / len(score) > 0.9  # the main trees alone gave a handful
    rho = pd.Series(score).corr(externals["assessment_score_mean"], method="spearman")
    assert rho > 0.8
    # The best external candidates reach the upper part of the internal cadres' scale.
    internal = main.predict_proba(X)
    assert np.quantile(score, 0.95) > np.quantile(internal, 0.8)
    # Internal cadres are scored by the main trees, exactly as without a profile model.
    alone = main.calibrator_.predict(main.raw_score(X))
    assert np.array_equal(internal, alone)


def test_better_shared_evidence_never_lowers_an_external_score() -> None:
    main, _ = _fitted()
    externals = _externals(200)
    better = externals.assign(
        assessment_score_mean=externals["assessment_score_mean"] + 10,
        assessment_score_max=externals["assessment_score_max"] + 10,
    )
    before, after = main.predict_proba(externals), main.predict_proba(better)
    assert (after >= before).all()
    assert (after > before).mean() > 0.5


def test_external_explanations_add_up_and_name_the_shared_evidence() -> None:
    main, _ = _fitted()
    profile = main.external_
    assert profile is not None
    externals = _externals(50)
    X = externals[profile.feature_names_]
    explained = explain_rows(profile, X)
    assert (explained["additivity_error"] <= 1e-6).all()
    assert explained["score"].to_numpy() == pytest.approx(main.predict_proba(externals))
    named = {r["feature"] for reasons in explained["reasons_positive"] for r in reasons}
    assert named and named <= set(EXTERNAL_SHARED)


def test_no_profile_without_shared_signals_or_successes() -> None:
    X, y, latest = _world(2_000)
    main = PotentialClassifier(PARAMS, seed=0, threads=1).fit(
        X[["rating_mean_3y"]], y, calibrate_on=latest
    )
    assert fit_external_profile(X[["rating_mean_3y"]], y, main, calibrate_on=latest) is None
    assert fit_external_profile(X, np.zeros_like(y), main, calibrate_on=latest) is None
    # Without a profile model, external candidates are scored by the main trees.
    externals = _externals(20)[["rating_mean_3y", "is_external"]]
    assert main.external_rows(externals).sum() == 0


def test_calibrator_of_older_models_is_kept() -> None:
    # Models pickled before the profile model existed have no external_ attribute.
    model = PotentialClassifier(PARAMS)
    del model.external_
    model.calibrator_ = StrictCalibrator()
    assert model.external_rows(_externals(3)).sum() == 0
