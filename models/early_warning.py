"""Early warnings for leaders: "in and out, up and down" (vào ra, lên xuống).

Cadres holding a leadership post at as_of whose results are falling, or who are under an
active disciplinary measure, go to a separate review list with the evidence. A warning is a
prompt for a human review, never a decision. Signals (thresholds in conf ``nightly.warnings``):

- ratings falling: the 3-year rating trend below a threshold, or the last rating at or below
  "completed", for leaders with at least two ratings in those 3 years (one rating is no
  trend; the evidence says how many there are);
- outputs falling: last year's KPI achievement below the mean of the two years before by more
  than a threshold;
- confidence falling: the "high confidence" share dropped since the previous vote by more than a
  threshold, or the "low confidence" share above a threshold;
- an active disciplinary measure (always "high").
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from features.ratings import points

RATING_YEARS = 3  # the window of rating_trend_3y
MIN_RATINGS = 2  # a trend needs two points
RATING_NAMES_EN = {0: "not completed", 1: "completed", 2: "good", 3: "excellent"}
RATING_NAMES_VI = {0: "không hoàn thành", 1: "hoàn thành", 2: "tốt", 3: "xuất sắc"}


@dataclass(frozen=True)
class WarningThresholds:
    rating_trend_below: float = -0.3
    rating_last_at_most: float = 1.0
    vote_high_share_drop: float = 0.10
    vote_low_share_above: float = 0.30
    kpi_drop: float = 0.15


def kpi_change(outputs: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per person: KPI achievement of the last full year before as_of minus the two before it.

    Achievement is achieved / target summed over the year's KPIs; NaN where a year is missing.
    """
    kpis = outputs.loc[
        (outputs["kind"].astype(str) == "kpi") & (pd.to_datetime(outputs["period_end"]) < as_of)
    ]
    year = pd.to_datetime(kpis["period_end"]).dt.year
    last = as_of.year - 1
    totals = (
        kpis.assign(year=year, person_id=kpis["person_id"].astype(str))
        .loc[lambda f: f["year"].between(last - 2, last)]
        .groupby(["person_id", "year"])[["achieved", "target"]]
        .sum()
    )
    ratio = (totals["achieved"] / totals["target"]).unstack("year")
    ratio = ratio.reindex(columns=[last - 2, last - 1, last])
    return (ratio[last] - ratio[[last - 2, last - 1]].mean(axis=1, skipna=False)).rename(
        "kpi_change"
    )


def rating_count(evaluations: pd.DataFrame, as_of: pd.Timestamp) -> pd.Series:
    """Per person: how many annual ratings they have in the ``RATING_YEARS`` years before as_of
    (the years rating_trend_3y looks at; a year's rating is known after the year ends)."""
    year = evaluations["year"].to_numpy(dtype="float64", na_value=np.nan)
    rated = ~np.isnan(points(evaluations["rating"]))
    rated &= (year < as_of.year) & (year >= as_of.year - RATING_YEARS)
    ids = evaluations.loc[rated, "person_id"].astype(str)
    return ids.value_counts().rename("ratings")


def early_warnings(
    features: pd.DataFrame,
    kpi: pd.Series,
    ratings: pd.Series,
    leaders: pd.DataFrame,
    *,
    thresholds: WarningThresholds,
) -> pd.DataFrame:
    """Leaders with at least one warning signal, with their evidence in Vietnamese and English.

    ``features``: the night's feature rows; ``kpi``: ``kpi_change`` by person id; ``ratings``:
    ``rating_count`` by person id (absent: none); ``leaders``: person_id, full_name, title of
    the post held (only these people are considered).
    """
    rows = features.assign(person_id=features["person_id"].astype(str)).merge(
        leaders.assign(person_id=leaders["person_id"].astype(str)), on="person_id", how="inner"
    )
    rows = rows.assign(
        kpi_change=rows["person_id"].map(kpi).astype("float64"),
        ratings=rows["person_id"].map(ratings).fillna(0).astype("int64"),
    )
    signals = _signals(rows, thresholds)
    flagged = signals.any(axis=1).to_numpy()
    out = rows.loc[flagged].reset_index(drop=True)
    hits = signals.loc[flagged].reset_index(drop=True)
    flags = hits.to_dict("records")
    evidence = [
        _evidence(row, hit) for row, hit in zip(out.to_dict("records"), flags, strict=True)
    ]
    return pd.DataFrame(
        {
            "person_id": out["person_id"],
            "full_name": out["full_name"],
            "org_id": out["org_id"].astype(object),
            "province": out["province"].astype(object),
            "title": out["title"],
            "severity": np.where(hits["active_discipline"].to_numpy(), "high", "medium"),
            "signals": [json.dumps([name for name, on in hit.items() if on]) for hit in flags],
            "evidence_vi": [e[0] for e in evidence],
            "evidence_en": [e[1] for e in evidence],
        }
    )


def _signals(rows: pd.DataFrame, t: WarningThresholds) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ratings_falling": (rows["ratings"] >= MIN_RATINGS)
            & (
                (rows["rating_trend_3y"] < t.rating_trend_below)
                | (rows["rating_last"] <= t.rating_last_at_most)
            ),
            "outputs_falling": rows["kpi_change"] < -t.kpi_drop,
            "confidence_falling": (rows["vote_high_share_trend"] < -t.vote_high_share_drop)
            | (rows["vote_low_share_last"] > t.vote_low_share_above),
            "active_discipline": rows["discipline_active"] >= 1,
        }
    )


def _known(value: object) -> bool:
    return value is not None and not pd.isna(value)


def _evidence(row: dict[str, Any], hits: dict[str, bool]) -> tuple[str, str]:
    """The facts behind each signal, leaving out what is unknown."""
    vi, en = [], []
    if hits["ratings_falling"]:
        last, trend = row["rating_last"], row["rating_trend_3y"]
        if _known(last):
            vi.append(f"xếp loại năm gần nhất: {RATING_NAMES_VI.get(int(last), '?')}")
            en.append(f"last rating: {RATING_NAMES_EN.get(int(last), '?')}")
        if _known(trend):
            vi.append(f"xu hướng xếp loại 3 năm {trend:+.2f} mức/năm")
            en.append(f"3-year rating trend {trend:+.2f} levels/year")
        vi.append(f"{row['ratings']} lần xếp loại trong {RATING_YEARS} năm gần nhất")
        en.append(f"{row['ratings']} ratings in the last {RATING_YEARS} years")
    if hits["outputs_falling"]:
        vi.append(f"hoàn thành KPI năm qua giảm {-row['kpi_change']:.0%} so với hai năm trước")
        en.append(f"KPI achievement last year {-row['kpi_change']:.0%} below the two years before")
    if hits["confidence_falling"]:
        change, low = row["vote_high_share_trend"], row["vote_low_share_last"]
        if _known(change):
            vi.append(f"tỷ lệ phiếu tín nhiệm cao thay đổi {change:+.0%}")
            en.append(f"'high confidence' share changed {change:+.0%}")
        if _known(low):
            vi.append(f"tỷ lệ phiếu tín nhiệm thấp {low:.0%}")
            en.append(f"'low confidence' share {low:.0%}")
    if hits["active_discipline"]:
        vi.append("đang trong thời hạn thi hành kỷ luật")
        en.append("under an active disciplinary measure")
    return "; ".join(vi), "; ".join(en)


def current_leaders(assignments: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """person_id and title of everyone whose latest spell started before as_of is a leadership
    post still running at as_of."""
    start = pd.to_datetime(assignments["start_date"])
    seen = assignments.loc[start < as_of].assign(_start=start[start < as_of])
    last = seen.sort_values(["person_id", "_start"], kind="stable").drop_duplicates(
        "person_id", keep="last"
    )
    running = pd.to_datetime(last["end_date"]).isna() | (pd.to_datetime(last["end_date"]) >= as_of)
    lead = last.loc[running & last["is_leadership"].astype("boolean").fillna(False).to_numpy()]
    return pd.DataFrame(
        {
            "person_id": lead["person_id"].astype(str).to_numpy(),
            "title": lead["title"].astype(object).to_numpy(),
        }
    )
