"""Dimensions 2 and 3: annual ratings (inflation-aware) and the unit's collective results."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.inputs import (
    PointInTime,
    category_values,
    group_count,
    group_last,
    group_mean,
    group_sum,
)

RATING_POINTS = {"not_completed": 0.0, "completed": 1.0, "good": 2.0, "excellent": 3.0}


def points(ratings: pd.Series) -> np.ndarray:
    return category_values(ratings, RATING_POINTS)


def _slope(pid: np.ndarray, x: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    """Least-squares slope of y on x per person; NaN with fewer than two distinct x."""
    k = group_count(pid, n)
    sx, sy = group_sum(pid, x, n), group_sum(pid, y, n)
    sxx, sxy = group_sum(pid, x * x, n), group_sum(pid, x * y, n)
    denominator = k * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 1e-9, (k * sxy - sx * sy) / denominator, np.nan)


def _std(pid: np.ndarray, y: np.ndarray, n: int) -> np.ndarray:
    k = group_count(pid, n)
    mean = group_mean(pid, y, n)
    mean_sq = group_mean(pid, y * y, n)
    with np.errstate(invalid="ignore"):
        return np.where(k >= 2, np.sqrt(np.maximum(mean_sq - mean * mean, 0.0)), np.nan)


def _z_within_org_year(evaluations: pd.DataFrame, score: np.ndarray) -> np.ndarray:
    """z-score of each rating among all ratings of the same unit and year (0 if no spread)."""
    org, _ = pd.factorize(evaluations["org_id"], use_na_sentinel=True)
    year = evaluations["year"].to_numpy(dtype="float64", na_value=np.nan)
    # A rating without its unit has no colleagues to compare with. Dense integer group codes,
    # not (string, year) pairs, make this fast; pandas' own mean and spread, summing each
    # group in row order as before, keep the results to the last bit.
    rated = np.flatnonzero(~np.isnan(score) & (org >= 0) & ~np.isnan(year))
    first = year[rated].min() if len(rated) else 0.0
    years = int(year[rated].max() - first) + 1 if len(rated) else 1
    group = org[rated].astype("int64") * years + (year[rated] - first).astype("int64")
    codes = pd.Categorical.from_codes(
        group, categories=pd.RangeIndex(int(org.max(initial=0) + 1) * years)
    )
    grouped = pd.Series(score[rated]).groupby(codes, sort=False, observed=True)
    mean = grouped.transform("mean").to_numpy()
    std = grouped.transform("std", ddof=0).to_numpy()
    z = np.full(len(score), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        z[rated] = np.where(std > 0, (score[rated] - mean) / std, 0.0)
    return z


def rating_features(pit: PointInTime) -> dict[str, np.ndarray]:
    # Colleagues who left later, or who are not scored, were still colleagues that year.
    everyone = pit.everyone["evaluations"]
    z_everyone = _z_within_org_year(everyone, points(everyone["rating"]))
    in_population = everyone["pid"].to_numpy() >= 0
    evaluations = pit.table("evaluations")
    z = z_everyone[in_population]
    year = evaluations["year"].to_numpy(dtype="float64", na_value=np.nan)
    score = points(evaluations["rating"])
    unit = points(evaluations["unit_rating"])
    rated = ~np.isnan(score)
    pid_all = evaluations["pid"].to_numpy()
    last_year = pit.as_of.year - 1
    in3 = rated & (year >= last_year - 2)
    in5 = rated & (year >= last_year - 4)
    n = pit.n
    out = {
        "rating_last": group_last(pid_all[rated], year[rated], score[rated], n),
        "rating_mean_3y": group_mean(pid_all[in3], score[in3], n),
        "rating_mean_5y": group_mean(pid_all[in5], score[in5], n),
        "rating_trend_3y": _slope(pid_all[in3], year[in3], score[in3], n),
        "rating_trend_5y": _slope(pid_all[in5], year[in5], score[in5], n),
        "rating_excellent_count_3y": np.where(
            group_count(pid_all[in3], n) > 0,
            group_count(pid_all[in3 & (score == 3.0)], n),
            np.nan,
        ),
        "rating_volatility_5y": _std(pid_all[in5], score[in5], n),
        "rating_z_org_year_3y": group_mean(pid_all[in3], z[in3], n),
    }
    has_unit = ~np.isnan(unit)
    unit3 = has_unit & (year >= last_year - 2)
    both3 = unit3 & rated
    out |= {
        "unit_rating_last": group_last(pid_all[has_unit], year[has_unit], unit[has_unit], n),
        "unit_rating_mean_3y": group_mean(pid_all[unit3], unit[unit3], n),
        "rating_vs_unit_3y": group_mean(pid_all[both3], score[both3] - unit[both3], n),
    }
    return out


def rating_score_features(pit: PointInTime) -> dict[str, np.ndarray]:
    """The last rating on the employer's own scale, as a share of its top (0-1).

    Extracts that keep no score (or whose reader did not load the columns) give missing values.
    Computed outside the two engines: one record per person and year, nothing heavy.
    """
    evaluations = pit.table("evaluations")
    if not {"rating_score", "rating_scale_max"} <= set(evaluations.columns):
        return {"rating_score_last": np.full(pit.n, np.nan)}
    score = evaluations["rating_score"].to_numpy(dtype="float64", na_value=np.nan)
    top = evaluations["rating_scale_max"].to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(top > 0, score / top, np.nan)
    year = evaluations["year"].to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(share)
    pid = evaluations["pid"].to_numpy()
    last = group_last(pid[known], year[known], share[known], pit.n)
    # An older score must not stand for a newer level (a unit that stopped keeping scores).
    rated = evaluations["rating"].notna().to_numpy() & ~np.isnan(year)
    last_rated_year = group_last(pid[rated], year[rated], year[rated], pit.n)
    last_score_year = group_last(pid[known], year[known], year[known], pit.n)
    current = np.isnan(last_rated_year) | (last_score_year >= last_rated_year)
    return {"rating_score_last": np.where(current, last, np.nan)}
