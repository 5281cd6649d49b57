"""Dimension 1, performance outputs: KPI achievement, quality, timeliness, volume of products."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.inputs import (
    LOOKBACK_YEARS,
    PointInTime,
    dates,
    group_count,
    group_mean,
    is_in,
    years_before,
)

KPI_RATIO_CAP = 2.0  # an achievement of 5x target is a badly set target, not 5x merit
WINDOW_YEARS = LOOKBACK_YEARS["outputs"]  # the cut keeps this window only


def performance_features(pit: PointInTime, province: pd.Series) -> dict[str, np.ndarray]:
    outputs = pit.table("outputs")
    # Each column is read once, for the window's rows only.
    recent = np.flatnonzero(
        dates(outputs["period_end"]) >= np.datetime64(years_before(pit.as_of, WINDOW_YEARS))
    )
    pid = outputs["pid"].to_numpy()[recent]
    is_product = is_in(outputs["kind"], ["product"])[recent]
    target = outputs["target"].to_numpy(dtype="float64", na_value=np.nan)[recent]
    achieved = outputs["achieved"].to_numpy(dtype="float64", na_value=np.nan)[recent]
    is_kpi = is_in(outputs["kind"], ["kpi"])[recent] & (target > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(is_kpi, np.minimum(achieved / target, KPI_RATIO_CAP), np.nan)
    on_time = outputs["on_time"].take(recent).astype("float64").to_numpy(na_value=np.nan)
    quality = outputs["quality"].to_numpy(dtype="float64", na_value=np.nan)[recent]
    products = group_count(pid[is_product], pit.n)
    kpi = group_mean(pid, ratio, pit.n)
    has_outputs = group_count(pid, pit.n) > 0
    return {
        "kpi_achievement_3y": kpi,
        "kpi_achievement_pctile_province": percentile_within(kpi, province),
        "output_quality_3y": group_mean(pid, quality, pit.n),
        "on_time_share_3y": group_mean(pid, on_time, pit.n),
        "products_per_year_3y": np.where(has_outputs, products / WINDOW_YEARS, np.nan),
    }


def percentile_within(values: np.ndarray, groups: pd.Series) -> np.ndarray:
    """Percentile (0-100) of each value among non-missing values of the same group."""
    # Rounded so that means equal in exact arithmetic tie, whichever engine summed them.
    frame = pd.DataFrame({"v": np.round(values, 10), "g": groups.to_numpy()})
    ranks = frame.groupby("g", dropna=False)["v"].rank(pct=True, method="average")
    return ranks.to_numpy(dtype="float64") * 100
