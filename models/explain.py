"""Global explanations: exact TreeSHAP contributions summarised per feature and per dimension.

LightGBM's ``pred_contrib`` gives the same exact TreeSHAP values as the shap package, far
cheaper (shap re-parses the model). The last column is the expected value (bias); each row's
contributions plus the bias equal its raw score.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.catalog import BY_NAME


def mean_abs_contribution(contributions: np.ndarray, feature_names: list[str]) -> pd.DataFrame:
    """Mean |SHAP| per feature, with its catalog dimension, largest first."""
    values = np.abs(contributions[:, :-1]).mean(axis=0)
    frame = pd.DataFrame(
        {
            "feature": feature_names,
            "dimension": [BY_NAME[name].dimension for name in feature_names],
            "mean_abs_shap": values,
        }
    )
    return frame.sort_values("mean_abs_shap", ascending=False, kind="stable").reset_index(
        drop=True
    )


def additivity_error(contributions: np.ndarray, raw_score: np.ndarray) -> float:
    """Largest |bias + sum of contributions - raw score| over rows (should be ~1e-12)."""
    return float(np.max(np.abs(contributions.sum(axis=1) - raw_score))) if len(raw_score) else 0.0
