"""Do the night's shortlists find real merit? Synthetic extracts only (latent truth).

For each pool of a published night, compares the share of truly high-potential people (top
10% of latent potential in the population, as the training evaluation defines it) on the
published shortlist with the same share in the pool's eligible candidates (what a random
draw would give) and on the shortlist "seniority plus last rating" would have drawn from the
same eligible candidates (what planners do by hand today). Also per Party membership and
population, on the shortlists. Prints Markdown for docs/model-selection.md.

    .venv/bin/python benchmarks/merit_nightly.py --truth data/demo-extract/truth/truth.parquet
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from hientai.settings import load_settings
from models.baselines import seniority_plus_rating
from models.eligibility import eligible_rows
from pipelines.merit import latent_potential
from pipelines.nightly_publish import read_manifest
from pipelines.nightly_stages import feature_frame, night_candidates, night_pools
from pipelines.results_db import ResultsDB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--truth", type=Path, required=True)
    parser.add_argument("--night", default=None)
    args = parser.parse_args()
    settings = load_settings()
    db = ResultsDB(settings.app_db_url)
    run = db.run(args.night)
    assert run is not None, "no night published"
    manifest = read_manifest(Path(run["report_file"]).parent)
    features_path = manifest["features_path"]
    candidates, index, protected, _ = night_candidates(settings, run["snapshot_id"], features_path)
    features = feature_frame(features_path, ["person_id", "rating_last", "tenure_years"])
    potential = latent_potential(args.truth, features["person_id"])
    cut = float(np.nanquantile(potential, 0.9))  # top 10% of the night's population
    high = potential >= cut
    baseline_key = seniority_plus_rating(features)
    entries = db.read("entries", run["run_id"])
    listed = entries.loc[entries["in_shortlist"].astype(bool)]
    row_of = pd.Series(np.arange(candidates.n), index=candidates.person_id)
    rows = []
    for pool in night_pools(settings, run["snapshot_id"]):
        eligible = eligible_rows(pool, candidates, index)
        chosen = row_of.reindex(listed.loc[listed["pool_id"] == pool.pool_id, "person_id"])
        if len(eligible) <= pool.k or chosen.isna().any() or chosen.empty:
            continue  # everyone eligible is listed: nothing was chosen
        by_hand = eligible[np.argsort(-baseline_key[eligible], kind="stable")[: pool.k]]
        rows.append(
            {
                "pool": pool.pool_id,
                "kind": pool.kind,
                "eligible": high[eligible].mean(),
                "model": high[chosen.to_numpy(dtype=int)].mean(),
                "seniority_plus_rating": high[by_hand].mean(),
            }
        )
    frame = pd.DataFrame(rows)
    print(
        f"night {run['night']}, model version {run['model_version']}: {len(frame)} pools "
        "with more eligible candidates than places\n"
    )
    print("| pools | truly high-potential: eligible | model's shortlist | seniority + rating |")
    print("| --- | ---: | ---: | ---: |")
    for name, part in [("all", frame), *frame.groupby("kind")]:
        print(
            f"| {name} ({len(part)}) | {part['eligible'].mean():.3f} | {part['model'].mean():.3f} "
            f"| {part['seniority_plus_rating'].mean():.3f} |"
        )
    _by_group(listed, protected, args.truth, cut)


def _by_group(listed: pd.DataFrame, protected: pd.DataFrame, truth: Path, cut: float) -> None:
    """Merit precision of the shortlist places by Party membership and population."""
    high = latent_potential(truth, listed["person_id"]) >= cut
    party = listed["person_id"].map(
        protected.assign(person_id=protected["person_id"].astype(str)).set_index("person_id")[
            "party_member"
        ]
    )
    table = pd.DataFrame(
        {"party_member": party.astype(object), "population": listed["population"], "high": high}
    )
    print("\n| group | shortlist places | truly high-potential |\n| --- | ---: | ---: |")
    for column in ("party_member", "population"):
        for value, part in table.groupby(column, dropna=False):
            print(f"| {column} = {value} | {len(part):,} | {part['high'].mean():.3f} |")


if __name__ == "__main__":
    main()
