"""The gate's selection: a share of each cohort, so cohorts of different sizes weigh alike."""

from __future__ import annotations

import numpy as np
import pandas as pd

from models.experiment import ExperimentConfig, evaluate_scores
from models.fairness import impact_ratio
from models.metrics import top_k_mask, top_share_mask


def test_top_share_selects_the_same_share_of_every_cohort_and_at_least_one() -> None:
    cohorts = np.array(["a"] * 50 + ["b"] * 7)
    scores = np.r_[np.arange(50.0), np.arange(7.0)]
    chosen = top_share_mask(scores, cohorts, 0.1)
    assert chosen[:50].sum() == 5 and chosen[45:50].all()  # the 5 highest of a
    assert chosen[50:].sum() == 1 and chosen[56]  # ceil(0.7) = 1: the highest of b


def _world(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """20 small cohorts of 40 (a group at 5%) and 3 large ones of 3,000 (the group at 15%);
    scores ignore the group entirely."""
    rng = np.random.default_rng(seed)
    sizes = [40] * 20 + [3000] * 3
    shares = [0.05] * 20 + [0.15] * 3
    cohorts = np.repeat(np.arange(len(sizes)), sizes)
    group = np.concatenate([rng.random(n) < s for n, s in zip(sizes, shares, strict=True)])
    return cohorts, group.astype(float), rng.random(len(cohorts))


def test_a_group_concentrated_in_large_cohorts_is_not_misread_as_held_back() -> None:
    cohorts, group, scores = _world(seed=4)
    # The top 10 of each cohort picks 25% of small-cohort people and 0.3% of the others, so a
    # ranking blind to the group shows it far below the others...
    assert impact_ratio(top_k_mask(scores, cohorts, 10), group) < 0.6
    # ...while the same share of every cohort shows what the ranking does: nothing.
    assert impact_ratio(top_share_mask(scores, cohorts, 0.1), group) > 0.85


def test_training_reports_ratios_on_the_share_and_merit_precision_on_the_top_k() -> None:
    cohorts, group, scores = _world(seed=5)
    valid = pd.DataFrame(
        {
            "as_of": pd.Timestamp("2024-01-01"),
            "province": cohorts.astype(str),
            "label": (scores > 0.8).astype(int),
        }
    )
    groups = pd.DataFrame({"g": group})
    potential = scores + 0.01
    scored = {
        share: evaluate_scores(
            "m",
            scores,
            valid,
            groups,
            config=ExperimentConfig(bootstrap_draws=0, fairness_share=share),
            potential=potential,
            high_cut=float(np.quantile(potential, 0.9)),
        )
        for share in (None, 0.1)
    }
    assert scored[None].metrics["min_impact_ratio"] < 0.6
    assert scored[0.1].metrics["min_impact_ratio"] > 0.85
    # Precision at k is the top k's whatever the fairness selection.
    assert (
        scored[0.1].metrics["merit_precision_at_10"]
        == scored[None].metrics["merit_precision_at_10"]
    )
    selected = scored[0.1].merit.loc[0, "n_selected"]
    assert selected == sum(max(int(np.ceil(0.1 * n)), 1) for n in [40] * 20 + [3000] * 3)
