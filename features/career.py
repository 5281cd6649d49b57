"""Dimensions 8-10: career history, integrity and risk, and the external-candidate profile."""

from __future__ import annotations

import numpy as np
import pandas as pd

from features.development import spoken_language_levels
from features.inputs import (
    PointInTime,
    date_series,
    group_count,
    group_last,
    group_sum,
    is_in,
    years_before,
)
from hientai.contract.vocab import DISCIPLINE_SEVERITIES, EDUCATION_LEVELS, GRADES

MOVES = ("rotation", "transfer")


def current_placement(pit: PointInTime, org_levels: tuple[str, ...]) -> pd.DataFrame:
    """Each person's unit, province, grade and leadership at as_of (latest visible spell).

    The people table's current unit and grade describe the extract date, not as_of, so they
    are used only when the extract has no career history at all (minimal extracts); otherwise
    a person with no visible spell has no known unit or grade at as_of.
    """
    spells = pit.table("assignments").sort_values(["pid", "start_date"], kind="stable")
    last = spells.drop_duplicates("pid", keep="last").set_index("pid")
    index = pd.RangeIndex(pit.n)
    org = last["org_id"].astype(object).reindex(index)
    grade = last["grade"].astype(object).reindex(index)
    if "assignments" not in pit.present:
        org = org.where(org.notna(), pit.people["current_org_id"].astype(object))
        grade = grade.where(grade.notna(), pit.people["current_grade"].astype(object))
    orgs = pit.organizations.set_index(pit.organizations["org_id"].astype(object))
    level = org.map(orgs["level"].astype(object)) if len(orgs) else org * np.nan
    province = org.map(orgs["province_code"].astype(object)) if len(orgs) else org * np.nan
    return pd.DataFrame(
        {
            "org_id": org,
            # A unit with no province code is its own locality.
            "province": province.where(province.notna(), org),
            "grade_rank": grade.map({g: float(i) for i, g in enumerate(GRADES)}),
            "org_level_rank": level.map({lv: float(i) for i, lv in enumerate(org_levels)}),
            "in_leadership": last["is_leadership"].astype("float64").reindex(index),
        }
    )


def career_features(pit: PointInTime, placement: pd.DataFrame) -> dict[str, np.ndarray]:
    spells = pit.table("assignments").sort_values(["pid", "start_date"], kind="stable")
    n = pit.n
    pid = spells["pid"].to_numpy()
    start = date_series(spells["start_date"])
    end = date_series(spells["end_date"]).fillna(pit.as_of).clip(upper=pit.as_of)
    years = ((end - start).dt.days.to_numpy(dtype="float64")) / 365.25
    reason = spells["reason"]
    has_spells = group_count(pid, n) > 0
    hired = date_series(pit.people["hire_date"])
    first_start = pd.Series(start.to_numpy()).groupby(pid).min().reindex(range(n))
    entry = hired.fillna(pd.Series(pd.to_datetime(first_start.to_numpy())))
    tenure = ((pit.as_of - entry).dt.days.to_numpy(dtype="float64")) / 365.25
    same_person = np.r_[False, pid[1:] == pid[:-1]]
    grade = spells["grade"].astype(object).to_numpy()
    grade_changed = ~same_person | (grade != np.r_[None, grade[:-1]])
    day = start.to_numpy(dtype="datetime64[D]").astype("int64")
    grade_since = group_last(pid[grade_changed], day[grade_changed], day[grade_changed], n)
    as_of_day = np.datetime64(pit.as_of.date(), "D").astype("int64")
    orgs = pit.organizations.set_index(pit.organizations["org_id"].astype(object))
    org = spells["org_id"].astype(object)
    province = org.map(orgs["province_code"].astype(object))
    province = province.where(province.notna(), org).to_numpy(dtype=object)
    moved_province = same_person & (province != np.r_[None, province[:-1]])
    promotions = group_count(pid[is_in(reason, ["promotion"])], n)
    leadership = spells["is_leadership"].fillna(False).to_numpy(dtype=bool)

    def only_with_spells(values: np.ndarray) -> np.ndarray:
        return np.where(has_spells, values, np.nan)

    return {
        "tenure_years": np.where(np.isnan(tenure), np.nan, np.maximum(tenure, 0.0)),
        "time_in_grade_years": only_with_spells((as_of_day - grade_since) / 365.25),
        "grade_rank": placement["grade_rank"].to_numpy(dtype="float64"),
        "org_level_rank": placement["org_level_rank"].to_numpy(dtype="float64"),
        "in_leadership": placement["in_leadership"].to_numpy(dtype="float64"),
        "leadership_years": only_with_spells(group_sum(pid[leadership], years[leadership], n)),
        "promotions_count": only_with_spells(promotions),
        "promotion_velocity": only_with_spells(10 * promotions / np.maximum(tenure, 1.0)),
        "rotations_count": only_with_spells(group_count(pid[is_in(reason, MOVES)], n)),
        "cross_province_moves": only_with_spells(group_count(pid[moved_province], n)),
        "demotions_count": only_with_spells(group_count(pid[is_in(reason, ["demotion"])], n)),
    }


def integrity_features(pit: PointInTime) -> dict[str, np.ndarray]:
    n = pit.n
    disciplines, awards = pit.table("disciplines"), pit.table("awards")
    five_years_ago = years_before(pit.as_of, 5)
    decided = date_series(disciplines["decision_date"])
    until = date_series(disciplines["effective_until"])
    active = (until.isna() | (until >= pit.as_of)).to_numpy(dtype=bool)
    recent = (decided >= five_years_ago).to_numpy(dtype=bool)
    severity = (
        disciplines["severity"]
        .astype(object)
        .map({s: float(i + 1) for i, s in enumerate(DISCIPLINE_SEVERITIES)})
        .to_numpy(dtype="float64", na_value=0.0)
    )
    worst = np.zeros(n)
    dpid = disciplines["pid"].to_numpy()
    np.maximum.at(worst, dpid[recent], severity[recent])
    apid = awards["pid"].to_numpy()
    award_recent = (date_series(awards["award_date"]) >= five_years_ago).to_numpy(dtype=bool)
    national = (awards["level"].astype(str) == "national").to_numpy(dtype=bool)
    out = {
        "discipline_active": (group_count(dpid[active], n) > 0).astype("float64"),
        "disciplines_5y": group_count(dpid[recent], n),
        "discipline_max_severity_5y": worst,
        "awards_5y": group_count(apid[award_recent], n),
        "national_awards": group_count(apid[national], n),
    }
    for name, table in (("discipline", "disciplines"), ("awards", "awards")):
        if table not in pit.present:
            for key in out:
                if key.startswith(name) or (name == "awards" and key == "national_awards"):
                    out[key] = np.full(n, np.nan)
    return out


def profile_features(pit: PointInTime) -> dict[str, np.ndarray]:
    people = pit.people
    count, _ = spoken_language_levels(people["languages"])
    education = (
        people["education_level"]
        .astype(object)
        .map({e: float(i) for i, e in enumerate(EDUCATION_LEVELS)})
    )
    return {
        "education_rank": education.to_numpy(dtype="float64", na_value=np.nan),
        "years_experience": people["years_experience"].to_numpy(dtype="float64", na_value=np.nan),
        "languages_count": np.where(people["languages"].isna(), np.nan, count),
        "is_external": (people["population"].astype(str) == "external").to_numpy(dtype="float64"),
    }
