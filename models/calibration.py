"""Calibration that keeps every difference of raw score: isotonic in the middle, smooth tails.

Isotonic regression (the usual choice for trees) is a step function: everyone below its
lowest step gets one identical probability. Measured on the demo, that gave every external
candidate the same published score, so an external list could not be read. This calibrator
fits the same isotonic regression, then draws a line through the centre of each step (so the
middle stays as calibrated as isotonic) and, beyond the first and last centres, follows a
logistic (Platt) curve scaled to meet them. The result rises strictly with the raw score:
distinct raw scores get distinct probabilities, in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class StrictCalibrator:
    """Strictly increasing map raw score -> probability (see the module docstring)."""

    knots_x_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    knots_y_: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slope_: float = 1.0
    intercept_: float = 0.0

    def fit(self, raw: np.ndarray, y: np.ndarray) -> StrictCalibrator:
        raw, y = np.asarray(raw, dtype="float64"), np.asarray(y, dtype="float64")
        steps = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(raw, y)
        fitted = steps.predict(raw)
        values, block = np.unique(fitted, return_inverse=True)
        centres = np.array([np.median(raw[block == b]) for b in range(len(values))])
        order = np.argsort(centres)
        # A step at exactly 0 or 1 would flatten its tail: keep knots a half-case inside.
        inside = 0.5 / (len(y) + 1)
        self.knots_x_, self.knots_y_ = centres[order], np.clip(values[order], inside, 1 - inside)
        keep = np.r_[True, np.diff(self.knots_x_) > 0] & np.r_[True, np.diff(self.knots_y_) > 0]
        self.knots_x_, self.knots_y_ = self.knots_x_[keep], self.knots_y_[keep]
        platt = LogisticRegression(C=1e6).fit(raw.reshape(-1, 1), y) if len(set(y)) > 1 else None
        self.slope_ = max(float(platt.coef_[0, 0]), 1e-3) if platt is not None else 1.0
        self.intercept_ = float(platt.intercept_[0]) if platt is not None else 0.0
        return self

    def predict(self, raw: np.ndarray) -> np.ndarray:
        raw = np.asarray(raw, dtype="float64")
        x, y = self.knots_x_, self.knots_y_
        if len(x) == 0:
            return _sigmoid(self.slope_ * raw + self.intercept_)
        out = np.interp(raw, x, y)
        curve = _sigmoid(self.slope_ * raw + self.intercept_)
        low, high = raw < x[0], raw > x[-1]
        at_low = _sigmoid(self.slope_ * x[0] + self.intercept_)
        at_high = _sigmoid(self.slope_ * x[-1] + self.intercept_)
        out[low] = y[0] * curve[low] / at_low
        out[high] = 1.0 - (1.0 - y[-1]) * (1.0 - curve[high]) / (1.0 - at_high)
        return np.clip(out, 0.0, 1.0)
