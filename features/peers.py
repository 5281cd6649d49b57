"""Comparisons with peers: where a person stands among people of the same field or province.

A training score of 70 is high in a field whose courses average 50 and low in one whose
courses average 85; a rating or a KPI result reads the same way. Each feature here is the
percentile (0-100) of one of a person's own features among the population at ``as_of`` that
shares the peer group: the field of work or study (``people.field``) or the province of the
current unit. Computed after both feature engines from their finished values, so the engines
cannot disagree on them. A person whose group is unknown, or whose own value is missing, gets
a missing value, never the percentile of a group of strangers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from features.inputs import PointInTime
from features.performance import percentile_within

# Peer feature -> (the person's own feature it ranks, the peer group).
PEER_FEATURES: dict[str, tuple[str, str]] = {
    "training_score_pctile_field": ("training_score_mean", "field"),
    "training_score_pctile_province": ("training_score_mean", "province"),
    "rating_pctile_field": ("rating_finest_last", "field"),
    "kpi_achievement_pctile_field": ("kpi_achievement_3y", "field"),
}


def peer_groups(pit: PointInTime, placement: pd.DataFrame) -> dict[str, pd.Series]:
    """Each person's peer group by kind; missing where it is unknown."""
    field = pit.people["field"] if "field" in pit.people else pd.Series(np.nan, range(pit.n))
    return {
        "field": field.astype(object).reset_index(drop=True),
        "province": placement["province"].astype(object).reset_index(drop=True),
    }


def finest_rating(values: dict[str, np.ndarray]) -> np.ndarray:
    """The last rating on the finest scale known, 0-1: the employer's own score where the
    extract keeps one, else the contract level (0-3) divided by 3."""
    score = values["rating_score_last"]
    return np.where(np.isnan(score), values["rating_last"] / 3.0, score)


def peer_features(
    values: dict[str, np.ndarray], groups: dict[str, pd.Series]
) -> dict[str, np.ndarray]:
    """Percentiles within peer groups of features already in ``values`` (not modified)."""
    out: dict[str, np.ndarray] = {}
    for job in peer_jobs(values, groups):
        out |= job()
    return out


def peer_jobs(
    values: dict[str, np.ndarray], groups: dict[str, pd.Series]
) -> list[Callable[[], dict[str, np.ndarray]]]:
    """``peer_features`` as one job per feature, to run on threads (they only read)."""
    own = {**values, "rating_finest_last": finest_rating(values)}

    def job(name: str, feature: str, kind: str) -> Callable[[], dict[str, np.ndarray]]:
        def run() -> dict[str, np.ndarray]:
            group = groups[kind]
            ranked = percentile_within(own[feature], group)
            return {name: np.where(group.isna().to_numpy(), np.nan, ranked)}

        return run

    return [job(name, feature, kind) for name, (feature, kind) in PEER_FEATURES.items()]
