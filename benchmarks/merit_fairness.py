"""Does hientai find real merit, equally for every group, whatever the history? (issue 10)

For each seed x generator bias setting: generate a synthetic extract, ingest it, and for each
label family train a model and run one night; then print the merit measures of the night
against the generator's latent truth (models/merit_audit.py): precision and opportunity
ratios (non-members / members, women / men, foreigners / Vietnamese, externals / internals,
under-30s / 30-39s in the young pools), merit precision against a random draw and "seniority +
last rating", and how well external candidates' published scores follow their merit.

    .venv/bin/python benchmarks/merit_fairness.py --seeds 7 11 23 \
        --biases default strong merit-only --families results promotion

A gate refusal is reported and the challenger is scored anyway (the benchmark measures the
model; the gate is measured by its own line). Results and the defaults chosen from them:
docs/model-selection.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from hientai import tracking
from hientai.ingest import run_batch
from hientai.settings import load_settings
from hientai.synth import generate_extract, load_synth_config, write_extract
from hientai_app.cli.common import prepare_prefect_environment

BIASES: dict[str, dict[str, float]] = {
    "default": {},
    # History twice as partial as the default.
    "strong": {
        "promotion_party_member": 1.6,
        "promotion_local": 1.0,
        "promotion_male": 1.0,
        "promotion_kinh": 0.8,
        "political_theory_party_access": 2.4,
        "vote_locality_favouritism": 1.2,
    },
    # Promotions on merit alone, equal access to courses, no favour in votes.
    "merit-only": {
        "promotion_party_member": 0.0,
        "promotion_local": 0.0,
        "promotion_male": 0.0,
        "promotion_kinh": 0.0,
        "political_theory_party_access": 0.0,
        "vote_locality_favouritism": 0.0,
    },
}
NIGHT = "2026-01-01"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 11, 23])
    parser.add_argument("--biases", nargs="+", default=list(BIASES), choices=list(BIASES))
    parser.add_argument("--families", nargs="+", default=["results", "promotion"])
    parser.add_argument("--people", type=int, default=8000)
    parser.add_argument("--external", type=int, default=600)
    parser.add_argument("--out", type=Path, default=Path("data/bench-merit"))
    parser.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE",
        help="extra settings for every run, e.g. training.reweigh=false",
    )  # fmt: skip
    args = parser.parse_args()
    prepare_prefect_environment()  # Prefect's local API gets time to start on a busy machine
    rows = []
    for seed in args.seeds:
        for bias in args.biases:
            base = _extract(args.out / f"s{seed}-{bias}", seed, bias, args.people, args.external)
            for family in args.families:
                rows.append(_run(base, family, args.set) | {"seed": seed, "bias": bias})
                _print(rows[-1])
    (args.out / "results.json").write_text(json.dumps(rows, indent=2, default=str))
    _summary(rows)


def _extract(folder: Path, seed: int, bias: str, people: int, external: int) -> Path:
    """Generate and ingest once per seed and bias; returns the ingested data folder."""
    data = folder / "data"
    if (data / "snapshots").is_dir():
        return folder
    config = load_synth_config(None)
    config = config.model_copy(
        update={
            "seed": seed,
            "n_people": people,
            "n_external": external,
            "biases": config.biases.model_copy(update=BIASES[bias]),
        }
    )
    write_extract(generate_extract(config), folder / "extract", overwrite=True)
    settings = load_settings(None).model_copy(update={"data_dir": data})
    run_batch(folder / "extract", mapping=None, settings=settings)
    return folder


def _config(folder: Path, family: str, extra: list[str]) -> Path:
    data = folder / family
    if data.exists():
        shutil.rmtree(data)
    shutil.copytree(folder / "data" / "snapshots", data / "snapshots")
    values: dict[str, Any] = {"data_dir": str(data), "features": {"labels": {"family": family}}}
    for item in extra:
        key, value = item.split("=", 1)
        *parents, leaf = key.split(".")
        node = values
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = yaml.safe_load(value)
    path = folder / f"{family}.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def _run(folder: Path, family: str, extra: list[str]) -> dict[str, Any]:
    from pipelines.merit import night_merit
    from pipelines.nightly import nightly
    from pipelines.train import train

    config = _config(folder, family, extra)
    settings = load_settings(config)
    truth = folder / "extract" / "truth" / "truth.parquet"
    started = time.perf_counter()
    trained = train(config=str(config), truth=str(truth))
    gate = "champion" if trained.get("promoted") else "refused"
    if not trained.get("promoted"):
        client = tracking.connect(settings)
        tracking.set_alias(
            client, settings.training.model_name, tracking.CHAMPION,
            str(trained["version"]), "benchmark: score the refused challenger",
        )  # fmt: skip
    nightly(as_of=NIGHT, config=str(config))
    report = night_merit(settings, truth)
    return {
        "family": family,
        "gate": gate,
        "seconds": round(time.perf_counter() - started, 1),
        **report.summary(),
    }


def _ratio(row: dict[str, Any], measure: str, column: str) -> float | None:
    for r in row["ratios"]:
        if r["measure"] == measure and r["column"] == column:
            return r["value"]
    return None


def _fmt(value: float | None) -> str:
    return "n/a" if value is None or pd.isna(value) else f"{value:.2f}"


COLUMNS = [
    ("precision", "party_member"), ("opportunity", "party_member"),
    ("precision", "gender"), ("opportunity", "gender"),
    ("precision", "nationality_vn"), ("opportunity", "nationality_vn"),
    ("precision", "population"), ("opportunity", "population"),
    ("young_opportunity", "age_band"),
    ("eligible_opportunity", "party_member"), ("within_pool_precision", "party_member"),
    ("eligible_opportunity", "gender"), ("within_pool_precision", "gender"),
    ("within_pool_precision", "population"),
]  # fmt: skip


def _print(row: dict[str, Any]) -> None:
    cells = [_fmt(_ratio(row, m, c)) for m, c in COLUMNS]
    print(
        f"| {row['seed']} | {row['bias']} | {row['family']} ({row['gate']}) | "
        f"{row['precision']:.3f} | {row['random_precision']:.3f} | "
        f"{row['seniority_precision']:.3f} | " + " | ".join(cells) + f" | "
        f"{_fmt(row['external_spearman'])} | {_fmt(row['external_distinct_share'])} |",
        flush=True,
    )


def _summary(rows: list[dict[str, Any]]) -> None:
    print("\nratios: group / reference (precision: share of places held by truly high-potential")
    print("people; opportunity: share of truly high-potential people who got a place)")
    header = ["seed", "bias", "label", "merit precision", "random", "seniority"]
    header += [f"{m} {c}" for m, c in COLUMNS] + ["ext. Spearman", "ext. distinct"]
    print("| " + " | ".join(header) + " |")
    print("|" + " --- |" * len(header))
    for row in rows:
        _print(row)


if __name__ == "__main__":
    main()
