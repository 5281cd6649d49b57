"""One model for everyone, or a separate model for external candidates? Measured on merit.

External candidates have no promotion history, so no label of their own. Two ways to score
them on the same calibrated scale as internal cadres:

- **one model**: the trained classifier (population-aware features: ``is_external`` and the
  ``missing_*`` indicators) scores externals directly;
- **profile model**: a classifier trained on internal cadres using only the features external
  candidates also have (education, languages, assessments, training, awards), calibrated on
  the same internal labels, then applied to externals.

Both are judged on the external candidates present at the held-out date, against the synthetic
extract's latent potential: Spearman correlation and precision in their top 10%.

    .venv/bin/python benchmarks/compare_populations.py --data data \\
        --truth data/demo-extract/truth/truth.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from features.build import build_features
from hientai.settings import load_settings
from models.dataset import time_split
from models.experiment import ExperimentConfig, run_experiment
from models.potential import PotentialClassifier
from pipelines.build_features import snapshot_tables
from pipelines.merit import latent_potential
from pipelines.train import prepare_training

SHARED = [
    "education_rank",
    "languages_count",
    "foreign_language_level",
    "assessment_score_mean",
    "assessment_score_max",
    "assessment_count",
    "training_score_mean",
    "awards_5y",
    "national_awards",
    "missing_assessment",
]


def merit(score: np.ndarray, potential: np.ndarray) -> tuple[float, float]:
    known = ~np.isnan(potential)
    score, potential = score[known], potential[known]
    top = potential >= np.quantile(potential, 0.9)
    chosen = score >= np.quantile(score, 0.9)
    return float(spearmanr(score, potential).statistic), float(top[chosen].mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--truth", type=Path, required=True)
    args = parser.parse_args()
    settings = load_settings().model_copy(update={"data_dir": args.data})
    inputs = prepare_training(settings, None)
    frame, groups, dates = inputs.frame, inputs.groups, inputs.dates
    _, tables = snapshot_tables(settings, inputs.snapshot_id)
    config = ExperimentConfig(reweigh=True, exclude_proxies=True, bootstrap_draws=0)
    one = run_experiment(frame, groups, config=config, flagged_proxies=inputs.flagged)
    train = time_split(frame).train
    latest = (train["as_of"] == train["as_of"].max()).to_numpy()
    profile = PotentialClassifier(params={"monotone": False}).fit(
        train[SHARED], train["label"].to_numpy(), calibrate_on=latest
    )
    held_out = build_features(tables, dates[-1])
    externals = held_out.loc[held_out["population"] == "external"].reset_index(drop=True)
    potential = latent_potential(args.truth, externals["person_id"])
    print(f"{len(externals):,} external candidates at {dates[-1]:%Y-%m-%d}\n")
    print("| approach | merit Spearman | top-10% merit | mean calibrated score |")
    print("| --- | ---: | ---: | ---: |")
    for name, model in (
        ("one population-aware model", one.classifier),
        ("profile model", profile),
    ):
        rho, top = merit(model.raw_score(externals), potential)
        mean = float(np.mean(model.predict_proba(externals)))
        print(f"| {name} | {rho:.3f} | {top:.3f} | {mean:.4f} |")


if __name__ == "__main__":
    main()
