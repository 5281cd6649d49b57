"""Kamiran-Calders reweighing: weights that make the label independent of group membership.

Each training row of group g with label y gets weight P(g) P(y) / P(g, y), so that in the
weighted data every group has the same promotion rate. Groups are the intersection of the
given protected attributes (unknown values form their own group).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def reweighing_weights(y: np.ndarray, groups: pd.DataFrame) -> np.ndarray:
    known = groups.astype(object)
    key = known.where(known.notna(), "?").astype(str).agg("|".join, axis=1).to_numpy()
    frame = pd.DataFrame({"g": key, "y": y})
    n = len(frame)
    p_group = frame.groupby("g")["y"].transform("size") / n
    p_label = frame.groupby("y")["y"].transform("size") / n
    p_joint = frame.groupby(["g", "y"])["y"].transform("size") / n
    return (p_group * p_label / p_joint).to_numpy(dtype="float64")
