"""The two heaviest aggregations (outputs, annual ratings) written for DuckDB.

Same definitions as ``features.performance`` and ``features.ratings``; a test holds the two
engines to identical results, and benchmarks/bench_features.py compares their speed (see
docs/benchmarks.md for which one the default uses and why). DuckDB runs in-process on the
DataFrames handed to it: no files, no server.
"""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd

from features.inputs import PointInTime, years_before
from features.performance import KPI_RATIO_CAP, WINDOW_YEARS, percentile_within
from features.ratings import RATING_POINTS

_POINTS = (
    "CASE {col} " + " ".join(f"WHEN '{k}' THEN {v}" for k, v in RATING_POINTS.items()) + " END"
)


def _scatter(result: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    pid = result["pid"].to_numpy(dtype="int64")
    out = {}
    for column in result.columns.drop("pid"):
        values = np.full(n, np.nan)
        values[pid] = result[column].to_numpy(dtype="float64", na_value=np.nan)
        out[column] = values
    return out


def performance_features_duckdb(pit: PointInTime, province: pd.Series) -> dict[str, np.ndarray]:
    outputs = pit.table("outputs")[
        ["pid", "kind", "target", "achieved", "quality", "on_time", "period_end"]
    ].assign(
        kind=lambda f: f["kind"].astype(str), on_time=lambda f: f["on_time"].astype("float64")
    )
    since = years_before(pit.as_of, WINDOW_YEARS).to_pydatetime()
    with duckdb.connect() as con:
        con.register("outputs", outputs)
        result = con.execute(
            f"""
            SELECT pid,
              avg(CASE WHEN kind = 'kpi' AND target > 0
                       THEN least(achieved / target, {KPI_RATIO_CAP}) END) AS kpi_achievement_3y,
              avg(quality) AS output_quality_3y,
              avg(on_time) AS on_time_share_3y,
              count(*) FILTER (WHERE kind = 'product') / {WINDOW_YEARS}.0
                AS products_per_year_3y
            FROM outputs WHERE period_end >= ? GROUP BY pid
            """,
            [since],
        ).df()
    out = _scatter(result, pit.n)
    out["kpi_achievement_pctile_province"] = percentile_within(out["kpi_achievement_3y"], province)
    return out


def rating_features_duckdb(pit: PointInTime) -> dict[str, np.ndarray]:
    # Everyone's visible ratings (pid -1 outside the population) so peers who left count.
    evaluations = pit.everyone["evaluations"][["pid", "year", "rating", "unit_rating", "org_id"]]
    evaluations = evaluations.assign(
        year=evaluations["year"].astype("float64"),
        rating=evaluations["rating"].astype(object),
        unit_rating=evaluations["unit_rating"].astype(object),
        org_id=evaluations["org_id"].astype(object),
    )
    last = pit.as_of.year - 1
    with duckdb.connect() as con:
        con.register("evaluations", evaluations)
        result = con.execute(
            f"""
            WITH scored AS (
              SELECT pid, year, org_id,
                {_POINTS.format(col="rating")}::DOUBLE AS score,
                {_POINTS.format(col="unit_rating")}::DOUBLE AS unit
              FROM evaluations
            ), z AS (
              SELECT *,
                CASE WHEN score IS NULL OR org_id IS NULL THEN NULL
                     WHEN stddev_pop(score) OVER w > 0
                     THEN (score - avg(score) OVER w) / stddev_pop(score) OVER w
                     ELSE 0 END AS z
              FROM scored WINDOW w AS (PARTITION BY org_id, year)
            )
            SELECT pid,
              arg_max(score, year) FILTER (WHERE score IS NOT NULL) AS rating_last,
              avg(score) FILTER (WHERE year >= {last - 2}) AS rating_mean_3y,
              avg(score) FILTER (WHERE year >= {last - 4}) AS rating_mean_5y,
              regr_slope(score, year) FILTER (WHERE year >= {last - 2}) AS rating_trend_3y,
              regr_slope(score, year) FILTER (WHERE year >= {last - 4}) AS rating_trend_5y,
              CASE WHEN count(score) FILTER (WHERE year >= {last - 2}) > 0
                   THEN count(*) FILTER (WHERE year >= {last - 2} AND score = 3) END
                AS rating_excellent_count_3y,
              CASE WHEN count(score) FILTER (WHERE year >= {last - 4}) >= 2
                   THEN stddev_pop(score) FILTER (WHERE year >= {last - 4}) END
                AS rating_volatility_5y,
              avg(z) FILTER (WHERE year >= {last - 2}) AS rating_z_org_year_3y,
              arg_max(unit, year) FILTER (WHERE unit IS NOT NULL) AS unit_rating_last,
              avg(unit) FILTER (WHERE year >= {last - 2}) AS unit_rating_mean_3y,
              avg(score - unit) FILTER (WHERE year >= {last - 2}) AS rating_vs_unit_3y
            FROM z WHERE pid >= 0 GROUP BY pid
            """
        ).df()
    return _scatter(result, pit.n)
