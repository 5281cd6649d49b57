"""Budgeted hyper-parameter search (Optuna), off unless asked for.

Tuned on an inner time split of the training dates only (fit on the earlier ones, score on the
latest training date), so the held-out period that judges the model is never used to choose it.
The objective is the primary ranking metric (NDCG@k within cohorts).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np
import optuna
import pandas as pd

from models.experiment import ExperimentConfig, run_experiment


def _suggest(trial: optuna.Trial) -> dict[str, Any]:
    return {
        "num_leaves": trial.suggest_int("num_leaves", 3, 31, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 50, 500, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.1, log=True),
        "n_estimators": trial.suggest_int("n_estimators", 100, 600, step=50),
        "reg_lambda": trial.suggest_float("reg_lambda", 0.1, 20.0, log=True),
        "colsample_bytree": trial.suggest_float("colsample_bytree", 0.4, 1.0),
    }


def search_params(
    frame: pd.DataFrame,
    groups: pd.DataFrame,
    *,
    config: ExperimentConfig,
    flagged_proxies: list[str],
    trials: int,
    timeout_s: float | None = None,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Best LightGBM params and one row per trial (params, score, seconds)."""
    # Trials never see the final hold-out: they split the training part again the same way.
    train_rows, _ = config.split_rows(frame)
    inner = frame.iloc[train_rows].reset_index(drop=True)
    inner_groups = groups.iloc[train_rows].reset_index(drop=True)
    records: list[dict[str, Any]] = []

    def objective(trial: optuna.Trial) -> float:
        params = {**config.params, **_suggest(trial)}
        started = time.perf_counter()
        # A trial is judged on the classifier alone: no ranker to compare, no bootstrap.
        trial_config = dataclasses.replace(
            config, params=params, bootstrap_draws=0, compare_ranker=False
        )
        result = run_experiment(
            inner, inner_groups, config=trial_config, flagged_proxies=flagged_proxies
        )
        score = result.model.metrics[config.primary_metric]
        records.append({**params, "score": score, "seconds": time.perf_counter() - started})
        return score if np.isfinite(score) else -1.0

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=config.seed)
    )
    study.optimize(objective, n_trials=trials, timeout=timeout_s)
    return {**config.params, **study.best_params}, pd.DataFrame(records)
