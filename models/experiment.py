"""One training experiment: time split, fit, evaluate against baselines, by group and merit.

Pure: a training frame and aligned group / merit arrays in, fitted models and every metric out.
The training flow does the reading, tracking and registering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from models.baselines import LogisticBaseline, seniority_plus_rating
from models.dataset import (
    TimeSplit,
    cohort_ids,
    model_features,
    people_split_rows,
    time_split_rows,
)
from models.external_profile import fit_external_profile
from models.fairness import (
    group_table,
    impact_ratios,
    merit_precision_by_group,
    minimum_impact_ratio,
)
from models.metrics import (
    calibration_table,
    precision_at_k,
    quality_metrics,
    top_k_mask,
    top_share_mask,
)
from models.potential import PotentialClassifier, PotentialRanker
from models.reweigh import reweighing_weights

# Attributes reweighing balances: the ones history is known to have favoured.
REWEIGH_ON = ("party_member", "male", "ethnic_majority", "local_hometown")


@dataclass(frozen=True)
class ExperimentConfig:
    k: int = 10
    n_valid_dates: int = 1
    reweigh: bool = False
    exclude_proxies: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    seed: int = 0
    threads: int = 2
    bootstrap_draws: int = 200
    # "time": the latest n_valid_dates validate; "people": a one-date extract holds out a
    # stratified share of its people at the same date (see models.dataset).
    split: Literal["time", "people"] = "time"
    holdout_share: float = 0.2
    # Fairness and merit-by-group measures select this share of each cohort (None: its top k).
    # Cohorts differ in size (a central unit of 80 people, a province of 4,500), so a top k
    # selects some cohorts' people far more often, and any group concentrated in the small
    # ones looks favoured (docs/model-selection.md section 7).
    fairness_share: float | None = 0.1
    # Train and score the LambdaRank ranker beside the classifier, as a comparison (the
    # classifier is the model registered and served). A national training took 15 min 46 s
    # with it, 6 min 20 s without (docs/benchmarks.md).
    compare_ranker: bool = True

    def split_rows(self, frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        if self.split == "people":
            return people_split_rows(frame, share=self.holdout_share, seed=self.seed)
        if self.split == "time":
            return time_split_rows(frame, n_valid_dates=self.n_valid_dates)
        raise ValueError(f"split must be 'time' or 'people', got {self.split!r}")

    @property
    def primary_metric(self) -> str:
        return f"ndcg_at_{self.k}"


@dataclass
class ScoredModel:
    name: str
    metrics: dict[str, float]
    groups: pd.DataFrame
    impact: pd.DataFrame
    merit: pd.DataFrame | None
    calibration: pd.DataFrame | None


@dataclass
class ExperimentResult:
    config: ExperimentConfig
    features: list[str]
    classifier: PotentialClassifier
    ranker: PotentialRanker | None  # None: config.compare_ranker was off
    scored: dict[str, ScoredModel]
    train_dates: list[pd.Timestamp]
    valid_dates: list[pd.Timestamp]
    n_train: int
    n_valid: int

    @property
    def model(self) -> ScoredModel:
        return self.scored["lightgbm_classifier"]


def evaluate_scores(
    name: str,
    score: np.ndarray,
    valid: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    config: ExperimentConfig,
    probability: np.ndarray | None = None,
    potential: np.ndarray | None = None,
    high_cut: float = np.nan,
) -> ScoredModel:
    y = valid["label"].to_numpy()
    cohorts = cohort_ids(valid)
    # Metrics that need probabilities use a rank transform for plain scores (baselines).
    as_probability = probability if probability is not None else _unit_rank(score)
    metrics = quality_metrics(y, as_probability, cohorts, k=config.k)
    if probability is None:
        metrics.pop("brier"), metrics.pop("best_f1"), metrics.pop("best_f1_threshold")
    metrics[f"precision_at_{config.k}"] = precision_at_k(y.astype(bool), score, cohorts, config.k)
    top_k = top_k_mask(score, cohorts, config.k)
    selected = (
        top_share_mask(score, cohorts, config.fairness_share)
        if config.fairness_share is not None
        else top_k
    )
    impact = impact_ratios(selected, groups, draws=config.bootstrap_draws, seed=config.seed)
    metrics["min_impact_ratio"] = minimum_impact_ratio(impact)
    finite = impact.dropna(subset=["impact_ratio"])
    metrics["min_impact_ratio_ci_high"] = float(finite["ci_high"].min()) if len(finite) else np.nan
    merit = None
    if potential is not None:
        truly_high = potential >= high_cut
        merit = merit_precision_by_group(selected, truly_high, groups)
        at_k = merit_precision_by_group(top_k, truly_high, groups)
        metrics[f"merit_precision_at_{config.k}"] = float(at_k.loc[0, "merit_precision"])
        per_group = at_k.loc[at_k["attribute"] != "all", "merit_precision"]
        metrics[f"merit_precision_at_{config.k}_min_group"] = float(per_group.min())
        metrics.update(pooled_merit(score, potential, high_cut))
    calibration = calibration_table(y, probability) if probability is not None else None
    return ScoredModel(name, metrics, group_table(selected, y, groups), impact, merit, calibration)


def pooled_merit(score: np.ndarray, potential: np.ndarray, high_cut: float) -> dict[str, float]:
    """Merit over the whole held-out period (less noisy than per-cohort top k).

    ``merit_spearman``: rank correlation of score with latent potential;
    ``merit_precision_top10pct``: share of the top 10% by score who are truly high-potential.
    """
    known = ~np.isnan(potential)
    score, potential = score[known], potential[known]
    chosen = score >= np.quantile(score, 0.9)
    return {
        "merit_spearman": float(spearmanr(score, potential).statistic),
        "merit_precision_top10pct": float((potential[chosen] >= high_cut).mean()),
    }


def _calibration_rows(train: pd.DataFrame, config: ExperimentConfig) -> np.ndarray:
    """Rows the isotonic calibration is fitted on: the latest training date, or (people
    hold-out, or a time split left with one training date: an extract of two usable dates)
    every row of a seeded fifth of the training people."""
    if config.split == "people" or train["as_of"].nunique() < 2:
        # By person, as the hold-out: no one on both sides. With one training date, the latest
        # date would be every training row and leave the trees nothing to fit on.
        people = np.sort(train["person_id"].astype(str).unique())
        rng = np.random.default_rng(config.seed)
        chosen = rng.permutation(people)[: max(len(people) // 5, 1)]
        return train["person_id"].astype(str).isin(chosen).to_numpy()
    return (train["as_of"] == train["as_of"].max()).to_numpy()


def _unit_rank(score: np.ndarray) -> np.ndarray:
    return pd.Series(score).rank(pct=True).to_numpy()


def run_experiment(
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    config: ExperimentConfig,
    flagged_proxies: list[str] | None = None,
    potential: np.ndarray | None = None,
) -> ExperimentResult:
    """Fit on earlier as_of dates, evaluate on the latest ones (or on held-out people of a
    one-date extract: ``config.split``); groups align with frame rows."""
    train_rows, valid_rows = config.split_rows(frame)
    # Training rows sorted by cohort, taken from the frame in one copy: the ranker needs its
    # groups contiguous, the classifier does not care.
    keys = frame[["as_of", "province"]].iloc[train_rows]
    train_rows = train_rows[np.argsort(cohort_ids(keys), kind="stable")]
    names = model_features(exclude=(flagged_proxies or []) if config.exclude_proxies else [])
    # One copy of the training matrix (rows and columns taken together); the rest of the
    # training rows is only what the split, cohorts and labels need.
    X = frame.iloc[train_rows, [frame.columns.get_loc(c) for c in names]].reset_index(drop=True)
    split = TimeSplit(
        frame[["person_id", "as_of", "province", "label"]].iloc[train_rows].reset_index(drop=True),
        frame.iloc[valid_rows].reset_index(drop=True),
    )
    train_groups = groups.iloc[train_rows].reset_index(drop=True)
    valid_groups = groups.iloc[valid_rows].reset_index(drop=True)
    y = split.train["label"].to_numpy()
    weights = None
    if config.reweigh:
        weights = reweighing_weights(y, train_groups[[c for c in REWEIGH_ON if c in groups]])
    latest = _calibration_rows(split.train, config)
    classifier = PotentialClassifier(config.params, config.seed, config.threads).fit(
        X, y, calibrate_on=latest, sample_weight=weights
    )
    classifier.external_ = fit_external_profile(
        X, y, classifier, calibrate_on=latest, sample_weight=weights
    )
    ranker = None
    if config.compare_ranker:
        ranker = PotentialRanker(config.params, config.seed, config.threads).fit(
            X, y, cohort_ids(split.train), sample_weight=weights
        )
    logistic = LogisticBaseline(config.seed).fit(X, y, sample_weight=weights)
    valid = split.valid
    merit = potential[valid_rows] if potential is not None else None
    # "Truly high-potential": the top 10% of latent potential among the frame's people.
    high_cut = float(np.nanquantile(potential, 0.9)) if potential is not None else np.nan
    probability = classifier.predict_proba(valid)
    # Calibrated probabilities tie within isotonic steps; the raw score breaks the ties.
    order_score = probability + 1e-9 * _unit_rank(classifier.raw_score(valid))
    scored = {
        "lightgbm_classifier": evaluate_scores(
            "lightgbm_classifier",
            order_score,
            valid,
            valid_groups,
            config=config,
            probability=probability,
            potential=merit,
            high_cut=high_cut,
        ),
    }
    if ranker is not None:
        scored["lightgbm_ranker"] = evaluate_scores(
            "lightgbm_ranker",
            ranker.score(valid),
            valid,
            valid_groups,
            config=config,
            potential=merit,
            high_cut=high_cut,
        )
    logistic_probability = logistic.predict_proba(valid)
    scored |= {
        "logistic_regression": evaluate_scores(
            "logistic_regression",
            logistic_probability,
            valid,
            valid_groups,
            config=config,
            probability=logistic_probability,
            potential=merit,
            high_cut=high_cut,
        ),
        "seniority_plus_last_rating": evaluate_scores(
            "seniority_plus_last_rating",
            seniority_plus_rating(valid),
            valid,
            valid_groups,
            config=config,
            potential=merit,
            high_cut=high_cut,
        ),
    }
    return ExperimentResult(
        config,
        names,
        classifier,
        ranker,
        scored,
        split.train_dates,
        split.valid_dates,
        len(split.train),
        len(split.valid),
    )
