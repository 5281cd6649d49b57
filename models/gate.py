"""The promotion gate: a new model replaces the champion only if it is better and fair.

Pure: metrics in, a decision with its reasons out. The registry (pipelines) acts on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class FairnessThresholds:
    """Every threshold must pass; ``None`` disables one."""

    min_impact_ratio: float | None = 0.8
    min_impact_ratio_ci_high: float | None = None
    max_brier: float | None = None


@dataclass(frozen=True)
class GateDecision:
    promote: bool
    reasons: list[str] = field(default_factory=list)


def decide(
    candidate: dict[str, float],
    champion: dict[str, float] | None,
    *,
    primary_metric: str,
    thresholds: FairnessThresholds,
    min_improvement: float = 0.0,
    impact_detail: str = "",
) -> GateDecision:
    """Promote when the candidate passes every fairness threshold and beats the champion.

    With no champion yet, passing the thresholds is enough. Missing or NaN metrics fail.
    ``impact_detail`` (models.fairness.lowest_impact_detail) names the attribute and groups
    behind a failing impact ratio.
    """
    reasons: list[str] = []
    value = candidate.get(primary_metric, math.nan)
    if math.isnan(value):
        reasons.append(f"{primary_metric} is missing")
    checks = [
        ("min_impact_ratio", thresholds.min_impact_ratio),
        ("min_impact_ratio_ci_high", thresholds.min_impact_ratio_ci_high),
    ]
    for metric, floor in checks:
        if floor is None:
            continue
        got = candidate.get(metric, math.nan)
        if math.isnan(got) or got < floor:
            detail = f" ({impact_detail})" if impact_detail else ""
            reasons.append(f"{metric} {got:.3f} is below the threshold {floor:.3f}{detail}")
    if thresholds.max_brier is not None:
        brier = candidate.get("brier", math.nan)
        if math.isnan(brier) or brier > thresholds.max_brier:
            reasons.append(f"brier {brier:.4f} is above the threshold {thresholds.max_brier:.4f}")
    if champion is not None and not math.isnan(value):
        best = champion.get(primary_metric, math.nan)
        if not math.isnan(best) and value <= best + min_improvement:
            reasons.append(
                f"{primary_metric} {value:.4f} does not beat the champion's {best:.4f}"
                + (f" by more than {min_improvement:.4f}" if min_improvement else "")
            )
    if reasons:
        return GateDecision(False, reasons)
    if champion is None:
        return GateDecision(True, ["no champion yet; every fairness threshold passes"])
    return GateDecision(
        True,
        [
            f"{primary_metric} {value:.4f} beats the champion's "
            f"{champion.get(primary_metric, math.nan):.4f}; every fairness threshold passes"
        ],
    )
