"""Baselines every model is judged against.

"Seniority plus last rating" is what planners do by hand today: order by last year's rating,
then by years of service. The logistic regression is the simplest learned model on the same
features (median-imputed, standardised, with the catalog's missing indicators).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler


def seniority_plus_rating(features: pd.DataFrame) -> np.ndarray:
    """Higher is better: last rating first (0-3), years of service to break ties."""
    rating = features["rating_last"].fillna(-1).to_numpy(dtype="float64")
    tenure = features["tenure_years"].fillna(0).clip(0, 99).to_numpy(dtype="float64")
    return rating * 100.0 + tenure


# A linear baseline needs far fewer rows than the trees: above this, it is fitted on a seeded
# random sample (stratified by nothing; positives are kept at their rate).
MAX_BASELINE_ROWS = 300_000


@dataclass
class LogisticBaseline:
    seed: int = 0
    max_rows: int = MAX_BASELINE_ROWS
    pipeline_: Pipeline | None = None
    feature_names_: list[str] = field(default_factory=list)

    def fit(
        self, X: pd.DataFrame, y: np.ndarray, *, sample_weight: np.ndarray | None = None
    ) -> LogisticBaseline:
        if len(X) > self.max_rows:
            rows = np.sort(np.random.default_rng(self.seed).choice(len(X), self.max_rows, False))
            X, y = X.iloc[rows], y[rows]
            sample_weight = None if sample_weight is None else sample_weight[rows]
        self.feature_names_ = [c for c in X.columns if X[c].notna().any()]
        self.pipeline_ = make_pipeline(
            SimpleImputer(strategy="median"),
            StandardScaler(),
            LogisticRegression(max_iter=2000, C=0.5, random_state=self.seed),
        )
        self.pipeline_.fit(
            X[self.feature_names_].to_numpy(dtype="float64"),
            y,
            logisticregression__sample_weight=sample_weight,
        )
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        assert self.pipeline_ is not None, "fit first"
        return self.pipeline_.predict_proba(X[self.feature_names_].to_numpy(dtype="float64"))[:, 1]
