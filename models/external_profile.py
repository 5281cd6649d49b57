"""External talent on one comparable scale: a profile model placed on the internal cadres' scale.

An external candidate has no internal history, so the main model (trained on careers) sees
little that tells two candidates apart: measured on the synthetic extracts, 20-75% of them
shared their published score with someone else. The profile model is a second LightGBM
classifier with the same label, trained only on the evidence external candidates share with
internal recruits (``features.catalog.EXTERNAL_SHARED``: standardised assessments, education,
languages, national awards) and only on the internal cadres who have that evidence (those who
sat a standardised assessment, when there are enough of them).

Trees alone are constant beyond their last split, so candidates stronger than every recruit
tied again; the profile model is therefore a logistic line through the shared evidence (each
coefficient with the catalog's direction, a wrong-signed one dropped) that boosted, monotone
trees refine (LightGBM boosting from the line's log-odds). Both parts explain exactly: the
line's contribution of a feature is its coefficient times the standardised value, the trees'
is TreeSHAP, and together they add up to the raw score.

Its raw score is then *placed* on the main model's scale by percentile among the same recruits
on the latest training date (rows neither model's trees saw): a candidate whose profile ranks
above 80% of the recruits gets the main model's raw score of the recruit at the 80th
percentile, and that raw score's calibrated probability. The placement rises strictly, so
distinct profile scores stay distinct, in the same order, and a mixed list of cadres and
external candidates is ordered on one scale. Explanations are exact TreeSHAP of the profile
model (the same catalog, so the same reason texts); its calibrator is the placement.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import lightgbm as lgb
import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

from features.catalog import EXTERNAL_SHARED
from models.calibration import StrictCalibrator
from models.potential import PotentialClassifier, lightgbm_params, monotone_constraints

MIN_ROWS = 200  # fewer labelled recruits than this: train on every internal row instead
MIN_POSITIVES = 10  # a profile model needs some successes to learn from
KNOTS = 201  # percentiles of the placement (every half percent)
RECRUIT_EVIDENCE = "assessment_count"  # a recruit: an internal cadre who sat an assessment


@dataclass
class PlacedCalibrator:
    """Profile raw score -> main raw score at the same percentile -> main probability.

    ``profile_knots_`` and ``main_knots_`` are strictly increasing; beyond the first and last
    knots the placement continues on a straight line with the slope of the whole range, so
    candidates stronger (or weaker) than every recruit still get distinct scores.
    """

    main: StrictCalibrator | Any
    profile_knots_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    main_knots_: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def fit(self, profile_raw: np.ndarray, main_raw: np.ndarray) -> PlacedCalibrator:
        q = np.linspace(0.0, 1.0, min(KNOTS, len(profile_raw)))
        p = np.quantile(np.asarray(profile_raw, dtype="float64"), q)
        m = np.quantile(np.asarray(main_raw, dtype="float64"), q)
        # Tied profile quantiles (trees give steps) become one knot at their mean placement.
        p_unique, inverse = np.unique(p, return_inverse=True)
        m_mean = np.bincount(inverse, weights=m) / np.bincount(inverse)
        span = max(float(np.ptp(m_mean)), 1e-6)
        # A strictly increasing placement: ties among the main quantiles get a tiny ramp.
        ramp = np.arange(len(m_mean)) * span * 1e-6
        self.profile_knots_ = p_unique
        self.main_knots_ = np.maximum.accumulate(m_mean) + ramp
        return self

    @property
    def slope_(self) -> float:
        p, m = self.profile_knots_, self.main_knots_
        if len(p) < 2:
            return 1.0
        return max(float((m[-1] - m[0]) / (p[-1] - p[0])), 1e-6)

    def placed_raw(self, profile_raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(profile_raw, dtype="float64")
        p, m = self.profile_knots_, self.main_knots_
        if len(p) == 0:
            return raw
        out = np.interp(raw, p, m)
        low, high = raw < p[0], raw > p[-1]
        out[low] = m[0] + (raw[low] - p[0]) * self.slope_
        out[high] = m[-1] + (raw[high] - p[-1]) * self.slope_
        return out

    def predict(self, profile_raw: np.ndarray) -> np.ndarray:
        return np.asarray(self.main.predict(self.placed_raw(profile_raw)), dtype="float64")


@dataclass
class ProfileClassifier(PotentialClassifier):
    """A monotone logistic line through the shared evidence, refined by boosted trees."""

    line_mean_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    line_scale_: np.ndarray = field(default_factory=lambda: np.ones(0))
    line_coef_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    line_intercept_: float = 0.0

    def fit(
        self,
        X: pd.DataFrame,
        y: np.ndarray,
        *,
        calibrate_on: np.ndarray,
        sample_weight: np.ndarray | None = None,
    ) -> ProfileClassifier:
        self.feature_names_ = list(X.columns)
        fit_rows = ~calibrate_on
        matrix = X.to_numpy(dtype="float64")
        weights = None if sample_weight is None else np.asarray(sample_weight)[fit_rows]
        self._fit_line(matrix[fit_rows], np.asarray(y)[fit_rows], weights)
        self.model_ = lgb.LGBMClassifier(
            **lightgbm_params(self.params, self.seed, self.threads, self.feature_names_)
        )
        self.model_.fit(
            X.loc[fit_rows],
            np.asarray(y)[fit_rows],
            sample_weight=weights,
            init_score=self._line(matrix[fit_rows]),
        )
        self.calibrator_ = StrictCalibrator().fit(
            self.raw_from_matrix(matrix[calibrate_on]), np.asarray(y)[calibrate_on]
        )
        return self

    def _standardised(self, matrix: np.ndarray) -> np.ndarray:
        z = (matrix - self.line_mean_) / self.line_scale_
        return np.nan_to_num(z, nan=0.0)  # missing: at the mean, no contribution

    def _fit_line(self, matrix: np.ndarray, y: np.ndarray, weights: np.ndarray | None) -> None:
        self.line_mean_ = np.nan_to_num(np.nanmean(matrix, axis=0))
        scale = np.nan_to_num(np.nanstd(matrix, axis=0))
        self.line_scale_ = np.where(scale > 0, scale, 1.0)
        sign = np.asarray(monotone_constraints(self.feature_names_), dtype="float64")
        keep = np.ones(matrix.shape[1], dtype=bool)
        z = self._standardised(matrix)
        for _ in range(matrix.shape[1]):  # drop wrong-signed coefficients, refit
            line = LogisticRegression(C=1.0, max_iter=1_000)
            line.fit(z[:, keep], y, sample_weight=weights)
            coef = np.zeros(matrix.shape[1])
            coef[keep] = line.coef_[0]
            wrong = keep & (sign * coef < 0)
            if not wrong.any():
                break
            keep &= ~wrong
        self.line_coef_, self.line_intercept_ = coef, float(line.intercept_[0])

    def _line(self, matrix: np.ndarray) -> np.ndarray:
        return self.line_intercept_ + self._standardised(matrix) @ self.line_coef_

    def raw_from_matrix(self, matrix: np.ndarray) -> np.ndarray:
        return super().raw_from_matrix(matrix) + self._line(matrix)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """Exact: TreeSHAP of the trees plus the line's coefficient x standardised value."""
        trees = super().contributions(X)
        z = self._standardised(X[self.feature_names_].to_numpy(dtype="float64"))
        trees[:, :-1] += z * self.line_coef_
        trees[:, -1] += self.line_intercept_
        return trees


def recruit_rows(X: pd.DataFrame, *, min_rows: int = MIN_ROWS) -> np.ndarray:
    """The internal cadres a profile model learns from: those with a standardised assessment
    if at least ``min_rows`` have one, else every row."""
    if RECRUIT_EVIDENCE in X.columns:
        recruits = (X[RECRUIT_EVIDENCE].fillna(0) > 0).to_numpy()
        if recruits.sum() >= min_rows:
            return recruits
    return np.ones(len(X), dtype=bool)


def shared_features(X: pd.DataFrame, rows: np.ndarray) -> list[str]:
    """Shared signals present in ``X`` that vary among ``rows`` (in catalog order)."""
    return [
        name
        for name in EXTERNAL_SHARED
        if name in X.columns and X.loc[rows, name].nunique(dropna=True) > 1
    ]


def fit_external_profile(
    X: pd.DataFrame,
    y: np.ndarray,
    main: PotentialClassifier,
    *,
    calibrate_on: np.ndarray,
    sample_weight: np.ndarray | None = None,
    min_rows: int = MIN_ROWS,
) -> ProfileClassifier | None:
    """The profile model of external candidates, placed on ``main``'s scale; None when the
    training rows cannot support one (no shared signal, too few rows or successes).

    ``X`` holds the main model's training rows (internal cadres, labelled), with the columns
    the main model may use (flagged proxies already left out), ``calibrate_on`` the rows of
    the latest training date (held out from both models' trees).
    """
    X = X.reset_index(drop=True)
    y = np.asarray(y)
    rows = recruit_rows(X, min_rows=min_rows)
    names = shared_features(X, rows)
    fit_rows = rows & ~calibrate_on
    reference = rows & calibrate_on
    if (
        not names
        or fit_rows.sum() < min_rows
        or reference.sum() < min_rows // 4
        or y[fit_rows].sum() < MIN_POSITIVES
        or y[reference].sum() < 1
    ):
        return None
    weights = None if sample_weight is None else np.asarray(sample_weight)[rows]
    profile = ProfileClassifier(main.params, main.seed, main.threads).fit(
        X.loc[rows, names].reset_index(drop=True),
        y[rows],
        calibrate_on=calibrate_on[rows],
        sample_weight=weights,
    )
    assert main.calibrator_ is not None, "fit the main model first"
    placement = PlacedCalibrator(main.calibrator_).fit(
        profile.raw_score(X.loc[reference]), main.raw_score(X.loc[reference])
    )
    profile.calibrator_ = placement
    return profile
