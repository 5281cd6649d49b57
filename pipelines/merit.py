"""Latent merit of a synthetic extract, for evaluation only.

The one place outside the generator that reads the generator's latent truth (allow-listed in
tests/model/test_truth_isolation.py). Training never sees it: it only marks which rows of a
held-out period belong to truly high-potential people, to measure whether the model finds
real merit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

TOP_SHARE = 0.10


def truly_high_potential(truth_path: Path, person_ids: pd.Series) -> np.ndarray:
    """True where a row's person is in the top 10% of internal cadres by latent potential."""
    truth = pd.read_parquet(truth_path, columns=["person_id", "population", "potential"])
    internal = truth.loc[truth["population"] == "internal", "potential"]
    cut = internal.quantile(1 - TOP_SHARE)
    potential = person_ids.astype(str).map(truth.set_index("person_id")["potential"])
    return (potential >= cut).fillna(False).to_numpy(dtype=bool)
