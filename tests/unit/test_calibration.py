"""The calibrator keeps every difference of raw score and stays as calibrated as isotonic."""

from __future__ import annotations

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import brier_score_loss

from models.calibration import StrictCalibrator


def _data(seed: int, n: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    raw = rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * raw - 2)))).astype(int)
    return raw, y


def test_distinct_raw_scores_get_distinct_ordered_probabilities() -> None:
    raw, y = _data(0)
    calibrator = StrictCalibrator().fit(raw, y)
    grid = np.linspace(-8, 8, 5001)  # far below and above the fitted range too
    p = calibrator.predict(grid)
    assert (np.diff(p) > 0).all()
    assert (p > 0).all() and (p < 1).all()
    steps = IsotonicRegression(out_of_bounds="clip").fit(raw, y).predict(grid)
    assert len(np.unique(steps)) < len(grid) / 10  # the step function ties most of them


def test_as_calibrated_as_isotonic_on_new_data() -> None:
    raw, y = _data(1)
    test_raw, test_y = _data(2)
    strict = StrictCalibrator().fit(raw, y).predict(test_raw)
    steps = IsotonicRegression(out_of_bounds="clip").fit(raw, y).predict(test_raw)
    assert brier_score_loss(test_y, strict) <= brier_score_loss(test_y, steps) + 0.002


def test_one_class_still_gives_a_strict_map() -> None:
    p = StrictCalibrator().fit(np.array([0.1, 0.2, 0.3]), np.zeros(3)).predict(np.array([1, 2]))
    assert p[0] < p[1]
