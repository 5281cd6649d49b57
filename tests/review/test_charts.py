"""The waterfall's bars chain from the base value through each dimension to the raw score."""

from __future__ import annotations

import pytest

from hientai_app.review import charts


def test_waterfall_bars_chain_from_base_to_total() -> None:
    base, steps = -1.0, [("small", -0.5), ("large", 2.0)]
    bars = charts.waterfall(base, steps, "raw score")
    assert [b.label for b in bars] == ["base", "large", "small", "raw score"]
    scale = bars[1].width / 2.0
    zero = bars[0].x + bars[0].width  # the base bar runs from -1 up to 0
    assert bars[0].positive is False and bars[-1].positive is True

    def x_of(value: float) -> float:
        return zero + value * scale

    # large: -1 -> 1 (starts at the base's end); small: 1 -> 0.5 (drawn from 0.5 to 1)
    assert bars[1].x == pytest.approx(x_of(-1.0)) and bars[1].positive
    assert bars[2].x == pytest.approx(x_of(0.5)) and bars[2].width == pytest.approx(0.5 * scale)
    assert bars[3].x == pytest.approx(x_of(0.0)) and bars[3].width == pytest.approx(0.5 * scale)
    assert bars[3].value == pytest.approx(base + sum(v for _, v in steps))


def test_line_points_skip_missing_values() -> None:
    points = charts.line_points([1.0, None, 3.0], width=100, high=60)
    assert points == "0.0,56.0 100.0,4.0"
    assert charts.line_points([None, None]) == ""
