"""Kamiran-Calders reweighing: weights that make the label independent of group membership.

Each training row of group g with label y gets weight P(g) P(y) / P(g, y), so that in the
weighted data every group has the same promotion rate. Groups are the intersection of the
given protected attributes (unknown values form their own group).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def reweighing_weights(y: np.ndarray, groups: pd.DataFrame) -> np.ndarray:
    # Integer cell codes of the intersection (unknown values form their own group).
    key = groups.groupby(list(groups.columns), dropna=False, sort=False).ngroup().to_numpy()
    n = len(key)
    label = np.asarray(y).astype(np.int64)
    cell = key * 2 + label
    p_group = np.bincount(key)[key] / n
    p_label = np.bincount(label)[label] / n
    p_joint = np.bincount(cell)[cell] / n
    return (p_group * p_label / p_joint).astype("float64")
