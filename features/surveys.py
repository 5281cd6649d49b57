"""Dimensions 4 and 5: 360 surveys (corrected for rater leniency) and votes of confidence."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.inputs import (
    LOOKBACK_YEARS,
    PointInTime,
    date_series,
    group_last,
    group_mean,
    years_before,
)
from hientai.contract.vocab import SURVEY_DIMENSIONS

OTHER_ROLES = ("superior", "peer", "subordinate")
WINDOW_YEARS = LOOKBACK_YEARS["surveys_360"]  # the cut keeps this window only


def _leniency(recent: pd.DataFrame, unit: pd.Series) -> pd.DataFrame:
    """How much more generous each (unit, rater role) is than that role is on average.

    The unit is the ratee's unit at as_of. Subtracting it removes lenient or harsh raters; it
    also removes real differences between units, a trade-off the catalog documents.
    """
    scores = recent[list(SURVEY_DIMENSIONS)]
    frame = pd.DataFrame(
        {
            "unit": unit.to_numpy()[recent["pid"].to_numpy()],
            "role": recent["rater_role"].astype(str).to_numpy(),
            "score": scores.mean(axis=1).to_numpy(),
        }
    )
    role_mean = frame.groupby("role")["score"].transform("mean")
    unit_role_mean = frame.groupby(["unit", "role"], dropna=False)["score"].transform("mean")
    return (unit_role_mean - role_mean).to_numpy()


def survey_features(pit: PointInTime, unit: pd.Series) -> dict[str, np.ndarray]:
    surveys = pit.table("surveys_360")
    recent = surveys.loc[
        date_series(surveys["survey_date"]) >= years_before(pit.as_of, WINDOW_YEARS)
    ].reset_index(drop=True)
    n = pit.n
    pid = recent["pid"].to_numpy()
    role = recent["rater_role"].astype(str).to_numpy()
    shift = _leniency(recent, unit) if len(recent) else np.zeros(0)
    others = np.isin(role, OTHER_ROLES)
    out: dict[str, np.ndarray] = {}
    corrected = {}
    for dim in SURVEY_DIMENSIONS:
        raw = recent[dim].to_numpy(dtype="float64", na_value=np.nan)
        corrected[dim] = raw - shift
        out[f"survey_{dim}"] = group_mean(pid[others], corrected[dim][others], n)
    per_row = (
        np.nanmean(np.column_stack(list(corrected.values())), axis=1)
        if len(recent)
        else np.zeros(0)
    )
    for r in OTHER_ROLES:
        mask = role == r
        out[f"survey_by_{r}"] = group_mean(pid[mask], per_row[mask], n)
    raw_row = recent[list(SURVEY_DIMENSIONS)].mean(axis=1).to_numpy(dtype="float64")
    self_mean = group_mean(pid[role == "self"], raw_row[role == "self"], n)
    others_mean = group_mean(pid[others], raw_row[others], n)
    out["survey_self_gap"] = self_mean - others_mean
    return out


def vote_features(pit: PointInTime) -> dict[str, np.ndarray]:
    votes = pit.table("confidence_votes")
    n = pit.n
    pid = votes["pid"].to_numpy()
    day = date_series(votes["vote_date"]).to_numpy(dtype="datetime64[D]").astype("int64")
    high = votes["high_share"].to_numpy(dtype="float64", na_value=np.nan)
    low = votes["low_share"].to_numpy(dtype="float64", na_value=np.nan)
    last_high = group_last(pid, day, high, n)
    # The previous vote: drop each person's latest and take the latest of the rest.
    order = np.lexsort((day, pid))
    is_last = np.r_[pid[order][1:] != pid[order][:-1], True] if len(pid) else np.zeros(0, bool)
    earlier = order[~is_last]
    previous_high = group_last(pid[earlier], day[earlier], high[earlier], n)
    return {
        "vote_high_share_last": last_high,
        "vote_low_share_last": group_last(pid, day, low, n),
        "vote_high_share_trend": last_high - previous_high,
    }
