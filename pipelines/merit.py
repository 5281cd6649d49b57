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


def latent_potential(truth_path: Path, person_ids: pd.Series) -> np.ndarray:
    """Each row's person's latent potential (NaN for people the truth does not know)."""
    truth = pd.read_parquet(truth_path, columns=["person_id", "potential"])
    potential = person_ids.astype(str).map(truth.set_index("person_id")["potential"])
    return potential.to_numpy(dtype="float64")
