"""Compare the bias counter-measures on a synthetic extract, against latent merit.

Runs the training experiment four times on the same frame (reweighing off/on x flagged proxy
features kept/excluded) and prints, for the LightGBM classifier and both baselines, ranking
quality, true-merit precision@k and the lowest impact ratio over the gated attributes. The
defaults in conf/hientai.yaml come from this table (docs/model-selection.md).

    .venv/bin/python benchmarks/compare_countermeasures.py --data data \
        --truth data/demo-extract/truth/truth.parquet
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from hientai.settings import load_settings
from models.experiment import ExperimentConfig, run_experiment
from pipelines.merit import latent_potential
from pipelines.train import prepare_training


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data"))
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=None)
    args = parser.parse_args()
    settings = load_settings(args.config).model_copy(update={"data_dir": args.data})
    inputs = prepare_training(settings, None)
    snapshot_id, dates, frame, groups = (
        inputs.snapshot_id,
        inputs.dates,
        inputs.frame,
        inputs.groups,
    )
    flagged = inputs.flagged
    merit = latent_potential(args.truth, frame["person_id"])
    gated = settings.training.gate.attributes
    k = settings.training.k
    print(
        f"snapshot {snapshot_id}; {len(frame):,} rows, {int(frame['label'].sum()):,} positives; "
        f"as_of {dates[0]:%Y-%m-%d}..{dates[-1]:%Y-%m-%d}; flagged proxies: {', '.join(flagged)}\n"
    )
    print(
        f"| reweigh | exclude proxies | model | ROC-AUC | NDCG@{k} | merit@{k} | "
        f"min IR (gated) | min IR (all) |"
    )
    print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for reweigh in (False, True):
        for exclude in (False, True):
            started = time.perf_counter()
            config = ExperimentConfig(
                k=k,
                reweigh=reweigh,
                exclude_proxies=exclude,
                seed=settings.training.seed,
                params=dict(settings.training.params),
                bootstrap_draws=50,
                compare_ranker=False,  # the comparison below is of the served classifier
            )
            result = run_experiment(
                frame, groups, config=config, flagged_proxies=flagged, potential=merit
            )
            for name, scored in result.scored.items():
                impact = scored.impact.dropna(subset=["impact_ratio"])
                gated_ir = impact.loc[impact["attribute"].isin(gated), "impact_ratio"].min()
                m = scored.metrics
                print(
                    f"| {reweigh} | {exclude} | {name} | {m.get('roc_auc', np.nan):.3f} | "
                    f"{m[f'ndcg_at_{k}']:.3f} | {m[f'merit_precision_at_{k}']:.3f} | "
                    f"{gated_ir:.3f} | {m['min_impact_ratio']:.3f} |"
                )
            print(f"<!-- {time.perf_counter() - started:.0f} s -->")


if __name__ == "__main__":
    main()
