"""The high-potential models: a calibrated LightGBM classifier and a LightGBM LambdaRank ranker.

Both are pure: arrays and frames in, fitted objects out; no files, no tracking. The classifier
gives a calibrated probability of high potential (isotonic regression with smooth tails,
strictly increasing, fitted on the latest training as_of date, which the trees did not see);
the ranker orders people within a cohort.
LightGBM runs deterministically (fixed seed, row-wise histograms), so the same data, config
and seed give the same scores. Trees are monotone in each feature's catalog direction unless
``params["monotone"]`` is False.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.isotonic import IsotonicRegression

from features.catalog import BY_NAME
from models.calibration import StrictCalibrator
from models.compiled_trees import raw_scores
from models.dataset import ranker_groups

# Small, heavily regularised trees: positives are rare (about 1-2% of rows) and the labels are
# noisy, biased history. Measured on the synthetic extract against latent merit, these beat
# the library defaults (31 leaves) and a logistic regression; see docs/model-selection.md.
DEFAULT_PARAMS: dict[str, Any] = {
    "n_estimators": 300,
    "learning_rate": 0.03,
    "num_leaves": 7,
    "min_child_samples": 200,
    "subsample": 0.8,
    "subsample_freq": 1,
    "colsample_bytree": 0.8,
    "reg_lambda": 5.0,
}


def monotone_constraints(feature_names: list[str]) -> list[int]:
    """+1 / -1 / 0 per feature from the catalog's direction (higher better / worse / neutral).

    A person can never score lower for more of a good thing (a better rating, more outputs)
    or higher for more of a bad one (discipline). LightGBM's "intermediate" method is used:
    its "advanced" method let small violations through in our measurements (0.005 raw score
    on 5 of 2,000 rows), which the behavioural test would catch. Measured on the synthetic
    extract, this also finds more real merit in noisy, biased labels
    (docs/model-selection.md).
    """
    sign = {"higher_is_better": 1, "lower_is_better": -1, "neutral": 0}
    return [sign[BY_NAME[name].direction] if name in BY_NAME else 0 for name in feature_names]


def lightgbm_params(
    params: dict[str, Any], seed: int, threads: int, feature_names: list[str]
) -> dict[str, Any]:
    constrained = params.get("monotone", True)
    return {
        **DEFAULT_PARAMS,
        **(
            {
                "monotone_constraints": monotone_constraints(feature_names),
                "monotone_constraints_method": "intermediate",
            }
            if constrained
            else {}
        ),
        **{k: v for k, v in params.items() if k != "monotone"},
        "random_state": seed,
        "n_jobs": threads,
        "deterministic": True,
        "force_row_wise": True,
        "verbose": -1,
    }


@dataclass
class PotentialClassifier:
    """LightGBM classifier plus strictly increasing calibration (models.calibration);
    ``feature_names_`` fixes column order."""

    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    threads: int = 2
    model_: lgb.LGBMClassifier | None = None
    calibrator_: StrictCalibrator | IsotonicRegression | None = None  # isotonic: older models
    feature_names_: list[str] = field(default_factory=list)
    # External candidates' profile model, placed on this model's scale
    # (models.external_profile); None: external candidates are scored by these trees.
    external_: PotentialClassifier | None = None

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        *,
        calibrate_on: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> PotentialClassifier:
        """Fit trees on rows not in ``calibrate_on`` and calibrate on those that are."""
        self.feature_names_ = list(X.columns)
        fit_rows = ~calibrate_on
        self.model_ = lgb.LGBMClassifier(
            **lightgbm_params(self.params, self.seed, self.threads, self.feature_names_)
        )
        weights = None if sample_weight is None else sample_weight[fit_rows]
        self.model_.fit(X.loc[fit_rows], y[fit_rows], sample_weight=weights)
        raw = self.raw_score(X.loc[calibrate_on])
        self.calibrator_ = StrictCalibrator().fit(raw, y[calibrate_on])
        return self

    @property
    def booster_(self) -> lgb.Booster:
        assert self.model_ is not None, "fit first"
        return self.model_.booster_

    def raw_score(self, X: pd.DataFrame) -> np.ndarray:
        return self.raw_from_matrix(X[self.feature_names_].to_numpy(dtype="float64"))

    def raw_from_matrix(self, matrix: np.ndarray) -> np.ndarray:
        """Raw score of a float matrix whose columns are ``feature_names_`` (LightGBM's own
        numbers; large matrices through models.compiled_trees)."""
        return raw_scores(self.booster_, matrix, threads=self.threads)

    def external_rows(self, X: pd.DataFrame) -> np.ndarray:
        """Rows scored by the profile model: external candidates, when there is one."""
        if getattr(self, "external_", None) is None or "is_external" not in X.columns:
            return np.zeros(len(X), dtype=bool)
        return X["is_external"].to_numpy(dtype="float64", na_value=0.0) == 1.0

    def ranking_raw(self, X: pd.DataFrame) -> np.ndarray:
        """Raw score on this model's scale for everyone: the trees' own for internal cadres,
        the placed profile score for external candidates (models.external_profile)."""
        raw = self.raw_score(X)
        external = self.external_rows(X)
        if external.any():
            profile = self.external_
            assert profile is not None and profile.calibrator_ is not None
            placement: Any = profile.calibrator_
            raw[external] = placement.placed_raw(profile.raw_score(X.loc[external]))
        return raw

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """The published score: the calibrated probability of ``ranking_raw``."""
        assert self.calibrator_ is not None, "fit first"
        return self.calibrator_.predict(self.ranking_raw(X))

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Exact TreeSHAP values (one column per feature, then the bias) in raw-score units."""
        return np.asarray(self.booster_.predict(X[self.feature_names_], pred_contrib=True))


@dataclass
class PotentialRanker:
    """LightGBM LambdaRank within cohorts (groups cut to at most 10,000 rows)."""

    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    threads: int = 2
    model_: lgb.LGBMRanker | None = None
    feature_names_: list[str] = field(default_factory=list)

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        cohorts: np.ndarray,
        *,
        sample_weight: np.ndarray | None = None,
    ) -> PotentialRanker:
        self.feature_names_ = list(X.columns)
        order, groups = ranker_groups(cohorts)
        params = lightgbm_params(self.params, self.seed, self.threads, self.feature_names_)
        params.pop("subsample", None), params.pop("subsample_freq", None)
        self.model_ = lgb.LGBMRanker(objective="lambdarank", **params)
        if np.array_equal(order, np.arange(len(order))):  # already grouped: no copy
            self.model_.fit(X, y, group=groups, sample_weight=sample_weight)
            return self
        weights = None if sample_weight is None else sample_weight[order]
        self.model_.fit(X.iloc[order], y[order], group=groups, sample_weight=weights)
        return self

    def score(self, X: pd.DataFrame) -> np.ndarray:
        assert self.model_ is not None, "fit first"
        return np.asarray(self.model_.booster_.predict(X[self.feature_names_], raw_score=True))
