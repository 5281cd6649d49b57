"""Server-drawn SVG geometry for the person page (no script, no front-end build): a waterfall
of SHAP contributions by dimension and small line charts of a history."""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 560
ROW = 22
LABEL = 190


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    width: float
    y: float
    positive: bool


def waterfall(base: float, steps: list[tuple[str, float]], total_label: str) -> list[Bar]:
    """Bars from the base value through each step (largest effect first) to the total, on one
    horizontal scale; a step's bar starts where the previous one ended."""
    ordered = sorted(steps, key=lambda step: -abs(step[1]))
    running, ends = base, [base]
    for _, value in ordered:
        running += value
        ends.append(running)
    low, high = min(*ends, 0.0), max(*ends, 0.0)
    span = (high - low) or 1.0
    scale = (WIDTH - LABEL - 10) / span

    def x_of(value: float) -> float:
        return LABEL + (value - low) * scale

    bars, level = [], base
    for index, (label, value) in enumerate(ordered):
        start, end = level, level + value
        bars.append(
            Bar(label, value, x_of(min(start, end)), max(abs(value) * scale, 1.0),
                (index + 1) * ROW, value >= 0)
        )  # fmt: skip
        level = end
    bars.insert(
        0, Bar("base", base, x_of(min(0.0, base)), max(abs(base) * scale, 1.0), 0, base >= 0)
    )
    bars.append(
        Bar(total_label, level, x_of(min(0.0, level)), max(abs(level) * scale, 1.0),
            (len(ordered) + 1) * ROW, level >= 0)
    )  # fmt: skip
    return bars


def height(bars: list[Bar]) -> int:
    return (len(bars) + 1) * ROW


def line_points(values: list[float | None], *, width: int = 240, high: int = 60) -> str:
    """An SVG polyline's points for values (None skipped), scaled to the box."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if not known:
        return ""
    low, top = min(v for _, v in known), max(v for _, v in known)
    span, step = (top - low) or 1.0, width / max(len(values) - 1, 1)
    return " ".join(
        f"{i * step:.1f},{high - 4 - (v - low) / span * (high - 8):.1f}" for i, v in known
    )
