"""Benchmark: training on the national extract's training frames (issue 4's targets).

Builds the stacked training frame of the latest snapshot (yearly as_of dates, as the training
flow does), then times each part of the experiment separately: LightGBM classifier fit,
LightGBM ranker fit, calibration, logistic baseline, held-out evaluation. Reports wall time
of the training step and the share of it spent outside LightGBM's own fitting. Then runs
`hientai train` as its own process, as a user does (issue 12's target: 5 minutes end to end,
frames included), with its peak memory over every process it starts; it registers a model
version in the data folder's registry (`--no-end-to-end` leaves it out).

    .venv/bin/python benchmarks/bench_train.py --data data/bench/data
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from features.build import build_features
from features.catalog import FULL_CATALOG
from features.labels import stack_dates, training_dates
from features.proxy import flagged_features, protected_groups, proxy_audit
from hientai.settings import load_settings
from hientai.storage import SnapshotStore
from models import experiment as exp
from models import potential
from pipelines.frame_workers import frame_workers
from pipelines.train import label_definition, training_plan

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import measure

TARGET_WALL_S, TARGET_OUTSIDE = 600.0, 0.20
TARGET_END_TO_END_S = 300.0


class Timer:
    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def wrap(self, name: str, function):  # type: ignore[no-untyped-def]
        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

        return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=Path("data/bench/data"))
    parser.add_argument("--end-to-end", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    settings = load_settings().model_copy(update={"data_dir": args.data})
    started = time.perf_counter()
    snapshot = SnapshotStore(settings.snapshots_dir).open(None)
    snapshot_id = snapshot.id
    assert snapshot.date_range is not None
    # As the training flow: the dates on training.frame_workers processes.
    workers = frame_workers(settings.snapshots_dir, snapshot, settings.training.frame_workers)
    with workers:
        plan = training_plan(workers, snapshot.date_range, settings)
        dates = plan.dates
        years = f"{dates[0]:%Y}-{dates[-1]:%Y}"
        cache = args.data.parent / f"train-frame-{snapshot_id}-{years}.parquet"
        # The frame is not what this benchmark times: reuse it between runs.
        parts = None
        if not cache.exists():
            definition = label_definition(settings)
            parts = training_dates(
                workers, dates, definition, build=build_features, labels_of=plan.labels
            )
    if parts is None:
        frame = pd.read_parquet(cache)
    else:  # stacked once the workers are gone, as prepare_training does
        frame = stack_dates(parts)
        del parts
        frame.to_parquet(cache, index=False)
    frame_s = time.perf_counter() - started
    started = time.perf_counter()
    groups = protected_groups(frame, snapshot.read_protected(purpose="fairness_audit"))
    audit = proxy_audit(
        frame, groups, [f.name for f in FULL_CATALOG], threshold=settings.features.proxy.threshold
    )
    audit_s = time.perf_counter() - started
    timer = Timer()
    # Time LightGBM's own fitting inside the experiment, without changing what it does.
    potential.lgb.LGBMClassifier.fit = timer.wrap(
        "lightgbm_classifier_fit", potential.lgb.LGBMClassifier.fit
    )  # type: ignore[method-assign]
    potential.lgb.LGBMRanker.fit = timer.wrap("lightgbm_ranker_fit", potential.lgb.LGBMRanker.fit)  # type: ignore[method-assign]
    exp.LogisticBaseline.fit = timer.wrap("logistic_fit", exp.LogisticBaseline.fit)  # type: ignore[method-assign]
    exp.evaluate_scores = timer.wrap("evaluation", exp.evaluate_scores)  # type: ignore[assignment]
    exp.reweighing_weights = timer.wrap("reweighing", exp.reweighing_weights)  # type: ignore[assignment]
    exp.time_split_rows = timer.wrap("time split", exp.time_split_rows)  # type: ignore[assignment]
    # Predictions are LightGBM's own work too (calibration scores, held-out scores).
    potential.lgb.Booster.predict = timer.wrap(  # type: ignore[method-assign]
        "lightgbm predictions", potential.lgb.Booster.predict
    )
    potential.IsotonicRegression.fit = timer.wrap(  # type: ignore[method-assign]
        "isotonic calibration fit", potential.IsotonicRegression.fit
    )
    started = time.perf_counter()
    config = exp.ExperimentConfig(
        k=settings.training.k,
        reweigh=settings.training.reweigh,
        exclude_proxies=settings.features.proxy.exclude_flagged,
        params=dict(settings.training.params),
        seed=settings.training.seed,
        compare_ranker=settings.training.compare_ranker,
    )
    result = exp.run_experiment(
        frame, groups, config=config, flagged_proxies=flagged_features(audit)
    )
    train_s = time.perf_counter() - started
    lightgbm_s = sum(v for k, v in timer.spent.items() if k.startswith("lightgbm"))
    outside = 1 - lightgbm_s / train_s
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        f"\n{os.cpu_count()} cores; snapshot {snapshot_id}; training frame {len(frame):,} rows x "
        f"{len(result.features)} features, {int(frame['label'].sum()):,} positives, "
        f"as_of {dates[0]:%Y-%m-%d}..{dates[-1]:%Y-%m-%d}; train {result.n_train:,} / "
        f"held-out {result.n_valid:,}\n"
    )
    print("| part | wall |")
    print("| --- | ---: |")
    print(
        f"| training frame (features at {len(dates)} dates + labels on {workers.workers} "
        "process(es), or its cache) "
        f"| {frame_s:.1f} s |"
    )
    print(f"| protected groups + proxy audit | {audit_s:.1f} s |")
    for name, spent in timer.spent.items():
        print(f"| {name.replace('_', ' ')} | {spent:.1f} s |")
    print(f"| other (frame slicing and copies) | {train_s - sum(timer.spent.values()):.1f} s |")
    print(f"| **training step total** (experiment) | **{train_s:.1f} s** |")
    print(
        f"\nTraining step: {train_s:.1f} s (target <= {TARGET_WALL_S:.0f} s); share outside "
        f"LightGBM (fitting and predicting) {outside:.1%} (target <= {TARGET_OUTSIDE:.0%}); "
        f"peak RSS "
        f"{peak:.2f} GiB. Held-out ROC-AUC {result.model.metrics['roc_auc']:.3f}, "
        f"NDCG@10 {result.model.metrics['ndcg_at_10']:.3f}; "
        f"min impact ratio {np.nanmin(result.model.impact['impact_ratio']):.3f}."
    )
    if args.end_to_end:
        end_to_end(args.data, compare_ranker=settings.training.compare_ranker)


def end_to_end(data: Path, *, compare_ranker: bool) -> None:
    """`hientai train` in its own process, timed from its start to its exit."""
    hientai = str(Path(sys.executable).with_name("hientai"))
    env = {**os.environ, "HIENTAI_DATA_DIR": str(data), "COLUMNS": "120"}
    run = measure("train", [hientai, "train", "--json"], env)
    result = json.loads(str(run["stdout"]))
    verdict = "promoted to champion" if result["promoted"] else "kept as challenger"
    print(
        f"\n`hientai train` end to end: {run['wall_s']:.1f} s (target <= "
        f"{TARGET_END_TO_END_S:.0f} s, frames included; the ranker comparison "
        f"{'on' if compare_ranker else 'off'}); peak {run['peak_gib']:.2f} GiB in one process, "
        f"{run['tree_peak_gib']:.2f} GiB over all its processes; training frame of "
        f"{result['rows']:,} rows on {result['frame_workers']} process(es); model version "
        f"{result['version']} {verdict}."
    )


if __name__ == "__main__":
    main()
