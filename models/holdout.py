"""Stratified hold-out for extracts with a single as_of date (no time to split on).

Used for the WNS extract, whose one snapshot has no history: the held-out 20% are people,
not a later period, so this measures fit to the same moment, not prediction of the future.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split

from models.metrics import best_f1
from models.potential import PotentialClassifier


@dataclass(frozen=True)
class HoldoutResult:
    roc_auc: float
    best_f1: float
    threshold: float
    n_train: int
    n_test: int


def stratified_holdout(
    features: pd.DataFrame,
    y: np.ndarray,
    names: list[str],
    *,
    seed: int = 0,
    test_size: float = 0.2,
    params: dict[str, object] | None = None,
) -> HoldoutResult:
    """Fit on 80% (calibrating on a fifth of it), score the stratified 20% left out."""
    rows = np.arange(len(features))
    train, test = train_test_split(rows, test_size=test_size, stratify=y, random_state=seed)
    calibrate = np.zeros(len(train), dtype=bool)
    calibrate[np.random.default_rng(seed).permutation(len(train))[: len(train) // 5]] = True
    model = PotentialClassifier(params=dict(params or {}), seed=seed).fit(
        features.iloc[train][names].reset_index(drop=True), y[train], calibrate_on=calibrate
    )
    probability = model.predict_proba(features.iloc[test][names])
    f1, threshold = best_f1(y[test], probability)
    return HoldoutResult(
        roc_auc=float(roc_auc_score(y[test], model.raw_score(features.iloc[test][names]))),
        best_f1=f1,
        threshold=threshold,
        n_train=len(train),
        n_test=len(test),
    )
