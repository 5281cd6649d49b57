"""Model quality on a held-out period: discrimination, calibration, ranking within cohorts."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    precision_recall_curve,
    roc_auc_score,
)


def top_k_mask(scores: np.ndarray, cohorts: np.ndarray, k: int) -> np.ndarray:
    """True for the k highest-scored rows of each cohort (ties broken by row order)."""
    frame = pd.DataFrame({"s": scores, "c": cohorts, "i": np.arange(len(scores))})
    frame = frame.sort_values(["c", "s", "i"], ascending=[True, False, True], kind="stable")
    rank = frame.groupby("c").cumcount().to_numpy()
    mask = np.zeros(len(scores), dtype=bool)
    mask[frame["i"].to_numpy()[rank < k]] = True
    return mask


def top_share_mask(scores: np.ndarray, cohorts: np.ndarray, share: float) -> np.ndarray:
    """True for the highest-scored ``share`` of each cohort, at least one row per cohort (ties
    broken by row order). Every cohort is selected at the same rate, so groups spread unevenly
    over cohorts of very different sizes are compared fairly."""
    frame = pd.DataFrame({"s": scores, "c": cohorts, "i": np.arange(len(scores))})
    frame = frame.sort_values(["c", "s", "i"], ascending=[True, False, True], kind="stable")
    grouped = frame.groupby("c")
    rank = grouped.cumcount().to_numpy()
    places = np.maximum(np.ceil(share * grouped["s"].transform("size").to_numpy()), 1)
    mask = np.zeros(len(scores), dtype=bool)
    mask[frame["i"].to_numpy()[rank < places]] = True
    return mask


def precision_at_k(relevant: np.ndarray, scores: np.ndarray, cohorts: np.ndarray, k: int) -> float:
    """Share of relevant rows among each cohort's top k, pooled over cohorts."""
    chosen = top_k_mask(scores, cohorts, k)
    return float(relevant[chosen].mean()) if chosen.any() else float("nan")


def ndcg_at_k(relevant: np.ndarray, scores: np.ndarray, cohorts: np.ndarray, k: int) -> float:
    """Mean NDCG@k over cohorts that have at least one relevant row (binary gains)."""
    frame = pd.DataFrame({"r": relevant.astype(float), "s": scores, "c": cohorts})
    frame["i"] = np.arange(len(frame))
    by_score = frame.sort_values(["c", "s", "i"], ascending=[True, False, True], kind="stable")
    by_score["rank"] = by_score.groupby("c").cumcount()
    discount = 1.0 / np.log2(by_score["rank"].to_numpy() + 2.0)
    top = by_score["rank"].to_numpy() < k
    dcg = (
        pd.Series(by_score["r"].to_numpy() * discount * top)
        .groupby(by_score["c"].to_numpy())
        .sum()
    )
    positives = frame.groupby("c")["r"].sum()
    ideal_discounts = np.cumsum(1.0 / np.log2(np.arange(k) + 2.0))
    ideal = positives.clip(upper=k).astype(int).map(lambda m: ideal_discounts[m - 1] if m else 0.0)
    has_positive = positives > 0
    return float((dcg[has_positive.index[has_positive]] / ideal[has_positive]).mean())


def best_f1(y: np.ndarray, probability: np.ndarray) -> tuple[float, float]:
    """Best F1 over every threshold (one precision-recall curve), and that threshold."""
    precision, recall, thresholds = precision_recall_curve(y, probability)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    best = int(np.argmax(f1[:-1])) if len(thresholds) else 0
    return float(f1[best]), float(thresholds[best]) if len(thresholds) else float("nan")


def quality_metrics(
    y: np.ndarray, probability: np.ndarray, cohorts: np.ndarray, *, k: int
) -> dict[str, float]:
    f1, threshold = best_f1(y, probability)
    return {
        "roc_auc": float(roc_auc_score(y, probability)),
        "pr_auc": float(average_precision_score(y, probability)),
        "brier": float(brier_score_loss(y, probability)),
        "best_f1": f1,
        "best_f1_threshold": threshold,
        f"precision_at_{k}": precision_at_k(y.astype(bool), probability, cohorts, k),
        f"ndcg_at_{k}": ndcg_at_k(y.astype(bool), probability, cohorts, k),
    }


def calibration_table(y: np.ndarray, probability: np.ndarray, bins: int = 10) -> pd.DataFrame:
    observed, predicted = calibration_curve(y, probability, n_bins=bins, strategy="quantile")
    return pd.DataFrame({"predicted": predicted, "observed": observed})
