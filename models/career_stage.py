"""Career-stage-relative ranking for pools with an age window (young-cadre and planning pools).

A model's score rewards evidence, and evidence accumulates with years: at equal potential a
cadre of 12 years' service has more results on record, so a steadier, higher score, than one
of 3 years. Ranked on the raw score, a young-cadre pool fills with 35- to 39-year-olds. Here
each candidate is placed among all of the night's candidates at the same career stage (band of
years of service), and pools with an age window rank by that place, so a 28-year-old is
compared with what peers at the same stage have shown. The place is taken over the whole
night, not within each pool: within a small pool, the best of three candidates at a rare stage
would rank with the best of a hundred. Age itself is never used: the stage is years of service.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Bands of years of service: [0, 5), [5, 10), [10, 15), [15, ...); unknown service is a stage.
STAGE_EDGES = (5.0, 10.0, 15.0)
UNKNOWN_STAGE = -1


def career_stages(tenure_years: np.ndarray) -> np.ndarray:
    """Stage code of each candidate: 0.. by years of service, -1 where service is unknown."""
    tenure = np.asarray(tenure_years, dtype="float64")
    stage = np.searchsorted(np.asarray(STAGE_EDGES), tenure, side="right").astype(np.int64)
    return np.where(np.isnan(tenure), UNKNOWN_STAGE, stage)


def stage_relative(scores: np.ndarray, stages: np.ndarray) -> np.ndarray:
    """Each score's place (0-1, higher better) among the scores of the same stage, with the
    score itself as a tie-breaker far below any difference of place."""
    frame = pd.DataFrame({"s": np.asarray(scores, dtype="float64"), "g": stages})
    place = frame.groupby("g")["s"].rank(pct=True, method="average").to_numpy()
    spread = np.nanmax(np.abs(frame["s"].to_numpy())) if len(frame) else 0.0
    tie_break = frame["s"].to_numpy() / (spread * 1e6) if spread else 0.0
    return place + tie_break
