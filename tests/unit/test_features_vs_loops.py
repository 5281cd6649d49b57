"""Every vectorised feature against a plain loop over people, written from the catalog.

The reference below reads each table as a list of dicts and, for one person at a time, picks
that person's records with ordinary Python: no groupby, no bincount, nothing from features/
except the catalog (names and dimensions). Where the catalog sentence leaves a choice open the
comment says which reading the reference follows.
"""

from __future__ import annotations

import copy
import itertools
import math
import statistics
from datetime import date
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from features.build import build_features
from features.catalog import CATALOG, FEATURE_NAMES, MISSING_INDICATORS
from hientai.contract import vocab as v
from tests.featurekit import random_extract

NAN = math.nan
SEEDS = (0, 1, 2)
AS_OFS = (date(2019, 3, 15), date(2021, 7, 1), date(2023, 12, 31))
# Tables whose absence (not emptiness) changes a convention: 0 becomes NaN.
OPTIONAL = ("trainings", "disciplines", "awards", "outputs")
CASES = [
    *((s, a, "full") for s in SEEDS for a in AS_OFS),
    *((s, a, "dates_on_the_edges") for s in SEEDS for a in AS_OFS),
    *((s, date(2021, 7, 1), "without_optional_tables") for s in SEEDS),
]

SEPARATIONS = {"resignation", "dismissal", "retirement"}
POINTS = {"not_completed": 0.0, "completed": 1.0, "good": 2.0, "excellent": 3.0}
KPI_CAP = 2.0
OTHER_ROLES = ("superior", "peer", "subordinate")
ORG_LEVELS = ("central", "province", "commune")
EVENT_DATE = {
    "assignments": "start_date",
    "confidence_votes": "vote_date",
    "surveys_360": "survey_date",
    "outputs": "period_end",
    "assessments": "assessment_date",
    "disciplines": "decision_date",
    "awards": "award_date",
}
Row = dict[str, Any]


# --- plain-Python view of an extract -------------------------------------------------------


def _plain(value: object) -> object:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value.item() if isinstance(value, np.generic) else value


def _rows(frame: pd.DataFrame) -> list[Row]:
    names = list(frame.columns)
    return [
        {k: _plain(x) for k, x in zip(names, row, strict=True)}
        for row in frame.astype(object).itertuples(index=False, name=None)
    ]


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _years(later: date, earlier: date) -> float:
    return (later - earlier).days / 365.25


def _mean(values: list[float | None]) -> float:
    known = [x for x in values if x is not None and not math.isnan(x)]
    return statistics.mean(known) if known else NAN


def _when(name: str, row: Row) -> date | int | None:
    if name == "trainings":  # dated by completion, else start; undated never counts
        return row["end_date"] or row["start_date"]
    return row["year"] if name == "evaluations" else row[EVENT_DATE[name]]


def _visible(name: str, rows: list[Row], as_of: date) -> list[Row]:
    cut = as_of.year if name == "evaluations" else as_of
    kept = [dict(r) for r in rows if _when(name, r) is not None and _when(name, r) < cut]
    for r in kept if name == "assignments" else []:
        if r["end_date"] is not None and r["end_date"] >= as_of:  # not yet known at as_of
            r["end_date"] = r["end_reason"] = None
    return kept


def _in_population(person: Row, spells: list[Row], as_of: date) -> bool:
    if person["population"] == "external":
        return True
    if person["hire_date"] is not None and person["hire_date"] >= as_of:
        return False
    last = spells[-1] if spells else None
    # A separation on a spell with no visible end date cannot be placed before as_of, so the
    # person still counts (the code's reading; "ended with" needs an end).
    return not (last and last["end_reason"] in SEPARATIONS and last["end_date"] is not None)


class Extract:
    """What was known before ``as_of``, one person at a time."""

    def __init__(self, tables: dict[str, pd.DataFrame], as_of: date) -> None:
        self.as_of = as_of
        self.present = set(tables)
        self.orgs = {o["org_id"]: o for o in _rows(tables["organizations"])}
        names = ("evaluations", "trainings", *EVENT_DATE)
        self.visible = {
            n: _visible(n, _rows(tables[n]) if n in tables else [], as_of) for n in names
        }
        self.people = [
            p
            for p in _rows(tables["people"])
            if _in_population(p, self.records("assignments", p["person_id"]), as_of)
        ]

    def records(self, table: str, person_id: str) -> list[Row]:
        mine = [r for r in self.visible[table] if r["person_id"] == person_id]
        return sorted(mine, key=lambda r: r["start_date"]) if table == "assignments" else mine

    def locality(self, org_id: str | None) -> str | None:
        province = self.orgs.get(org_id, {}).get("province_code")
        return province if province is not None else org_id  # a central unit is its own place

    def placement(self, person: Row) -> Row:
        spells = self.records("assignments", person["person_id"])
        last = spells[-1] if spells else {}
        # No visible spell: unknown at as_of, except in an extract with no career history at
        # all (minimal extracts), where the people table's current unit and grade are all
        # there is.
        fallback = "assignments" not in self.present
        org = last.get("org_id") or (person["current_org_id"] if fallback else None)
        grade = last.get("grade") or (person["current_grade"] if fallback else None)
        level = self.orgs.get(org, {}).get("level")
        return {
            "org_id": org,
            "province": self.locality(org),
            "grade_rank": float(v.GRADES.index(grade)) if grade else NAN,
            "org_level_rank": float(ORG_LEVELS.index(level)) if level in ORG_LEVELS else NAN,
            # The latest spell is the current post even if its end is already known (the
            # code's reading: nothing later is known, as for the unit and grade).
            "in_leadership": float(last["is_leadership"]) if last else NAN,
        }


# --- the reference, dimension by dimension -------------------------------------------------


def _performance(x: Extract, pid: str) -> dict[str, float]:
    since = _years_back(x.as_of, 3)
    recent = [o for o in x.records("outputs", pid) if o["period_end"] >= since]
    ratios = [
        min(o["achieved"] / o["target"], KPI_CAP)
        for o in recent
        if o["kind"] == "kpi" and (o["target"] or 0) > 0 and o["achieved"] is not None
    ]
    products = sum(o["kind"] == "product" for o in recent)
    return {
        "kpi_achievement_3y": _mean(ratios),
        "output_quality_3y": _mean([o["quality"] for o in recent]),
        "on_time_share_3y": _mean(
            [float(o["on_time"]) for o in recent if o["on_time"] is not None]
        ),
        "products_per_year_3y": products / 3 if recent else NAN,
    }


def _percentile(value: float, peers: list[float]) -> float:
    """Average-rank percentile (0-100) of ``value`` among the non-missing ``peers``."""
    if math.isnan(value):
        return NAN
    known = [p for p in peers if not math.isnan(p)]
    below, ties = sum(p < value for p in known), sum(p == value for p in known)
    return 100 * (below + (ties + 1) / 2) / len(known)


def _z_scores(x: Extract) -> dict[tuple[str, int], float]:
    """z of each rating among all visible ratings of the same unit and year.

    Colleagues are everyone rated in that unit that year, including people who have left
    since: they were colleagues then, and their ratings were known before as_of.
    """
    out = {}
    for e in x.visible["evaluations"]:
        if e["rating"] is None or e["org_id"] is None:
            continue
        peers = [
            POINTS[p["rating"]]
            for p in x.visible["evaluations"]
            if p["org_id"] == e["org_id"] and p["year"] == e["year"] and p["rating"] is not None
        ]
        spread = statistics.pstdev(peers)
        score = POINTS[e["rating"]]
        z = (score - statistics.mean(peers)) / spread if spread > 0 else 0.0
        out[(e["person_id"], e["year"])] = z
    return out


def _ratings(x: Extract, pid: str, z: dict[tuple[str, int], float]) -> dict[str, float]:
    rows = sorted(x.records("evaluations", pid), key=lambda e: e["year"])
    rated = [(e["year"], POINTS[e["rating"]]) for e in rows if e["rating"] is not None]
    last3 = [(y, s) for y, s in rated if y >= x.as_of.year - 3]
    last5 = [(y, s) for y, s in rated if y >= x.as_of.year - 5]

    def trend(pairs: list[tuple[int, float]]) -> float:
        if len({y for y, _ in pairs}) < 2:
            return NAN
        return statistics.linear_regression([y for y, _ in pairs], [s for _, s in pairs]).slope

    units = [(e["year"], POINTS[e["unit_rating"]]) for e in rows if e["unit_rating"] is not None]
    scored = [e for e in rows if e.get("rating_score") is not None]
    both3 = [e for e in rows if e["rating"] and e["unit_rating"] and e["year"] >= x.as_of.year - 3]
    return {
        "rating_last": rated[-1][1] if rated else NAN,
        # The last score, unless a newer year has a level without one.
        "rating_score_last": scored[-1]["rating_score"] / scored[-1]["rating_scale_max"]
        if scored and (not rated or scored[-1]["year"] >= rated[-1][0])
        else NAN,
        "rating_mean_3y": _mean([s for _, s in last3]),
        "rating_mean_5y": _mean([s for _, s in last5]),
        "rating_trend_3y": trend(last3),
        "rating_trend_5y": trend(last5),
        "rating_excellent_count_3y": float(sum(s == 3.0 for _, s in last3)) if last3 else NAN,
        # Population standard deviation (the catalog does not say which; the code uses ddof=0).
        "rating_volatility_5y": statistics.pstdev([s for _, s in last5])
        if len(last5) > 1
        else NAN,
        "rating_z_org_year_3y": _mean([z.get((pid, y), NAN) for y, _ in last3]),
        # "Last" is the latest year with a unit rating, not necessarily as_of.year - 1 (the code's
        # reading of "năm gần nhất").
        "unit_rating_last": units[-1][1] if units else NAN,
        "unit_rating_mean_3y": _mean([s for y, s in units if y >= x.as_of.year - 3]),
        "rating_vs_unit_3y": _mean(
            [POINTS[e["rating"]] - POINTS[e["unit_rating"]] for e in both3]
        ),
    }


def _row_score(row: Row) -> float:
    return _mean([row[d] for d in v.SURVEY_DIMENSIONS])


def _leniency(x: Extract, recent: list[Row], unit: dict[str, str | None]) -> list[float]:
    """Shift of each survey row: its (ratee's unit at as_of, role) mean minus the role mean.

    The code takes the survey rows of the population only: people who have left have no unit
    at as_of, so this reading is reasonable and the reference follows it.
    """
    shifts = []
    for r in recent:
        same_role = [s for s in recent if s["rater_role"] == r["rater_role"]]
        same_unit = [s for s in same_role if unit[s["person_id"]] == unit[r["person_id"]]]
        shifts.append(
            _mean([_row_score(s) for s in same_unit]) - _mean([_row_score(s) for s in same_role])
        )
    return shifts


def _surveys(x: Extract, recent: list[Row], shift: list[float], pid: str) -> dict[str, float]:
    mine = [(r, s) for r, s in zip(recent, shift, strict=True) if r["person_id"] == pid]
    others = [(r, s) for r, s in mine if r["rater_role"] in OTHER_ROLES]
    out = {
        f"survey_{d}": _mean([r[d] - s for r, s in others if r[d] is not None])
        for d in v.SURVEY_DIMENSIONS
    }
    for role in OTHER_ROLES:
        out[f"survey_by_{role}"] = _mean(
            [_row_score(r) - s for r, s in mine if r["rater_role"] == role]
        )
    # Self minus others, both uncorrected (the code's reading of "how much higher").
    own = _mean([_row_score(r) for r, _ in mine if r["rater_role"] == "self"])
    out["survey_self_gap"] = own - _mean([_row_score(r) for r, _ in others])
    return out


def _votes(x: Extract, pid: str) -> dict[str, float]:
    # Stable sort: of two votes on one day the later row in the table is the later vote.
    votes = sorted(x.records("confidence_votes", pid), key=lambda r: r["vote_date"])
    last = votes[-1] if votes else {"high_share": NAN, "low_share": NAN}
    previous = votes[-2]["high_share"] if len(votes) > 1 else NAN
    return {
        "vote_high_share_last": last["high_share"],
        "vote_low_share_last": last["low_share"],
        "vote_high_share_trend": last["high_share"] - previous,
    }


def _development(x: Extract, person: Row) -> dict[str, float]:
    mine = x.records("trainings", person["person_id"])
    # A training with no recorded result counts as completed (the code's reading).
    done = [t for t in mine if t["result"] not in ("fail", "in_progress")]

    def best(category: str, levels: tuple[str, ...]) -> float:
        reached = [
            levels.index(t["level"]) + 1
            for t in done
            if t["category"] == category and t["level"] in levels
        ]
        return float(max(reached, default=0))

    spoken = [t for t in (person["languages"] or "").split(";") if t]
    cefr = [v.CEFR_LEVELS.index(t.split(":")[1]) + 1 if ":" in t else 1 for t in spoken]
    since = _years_back(x.as_of, 5)
    out = {
        "political_theory_level": best("political_theory", v.POLITICAL_THEORY_LEVELS),
        "state_management_level": best("state_management", v.STATE_MANAGEMENT_LEVELS),
        "foreign_language_level": max(best("foreign_language", v.CEFR_LEVELS), *cefr, 0.0),
        "it_level": best("it", v.IT_LEVELS),
        "leadership_programmes": float(sum(t["category"] == "leadership_programme" for t in done)),
        "training_courses_5y": float(
            sum(t["sessions"] or 1 for t in mine if _when("trainings", t) >= since)
        ),
        "training_score_mean": _mean([t["score"] for t in mine]),
        "training_fail_count": float(sum(t["result"] == "fail" for t in mine)),
    }
    if "trainings" not in x.present:
        # No table: every feature is unknown, except a language level the CV states. A blank
        # CV entry is unknown too (languages_count says so), not "no foreign language".
        cv_known = person["languages"] is not None
        out = {
            k: val if k == "foreign_language_level" and cv_known else NAN for k, val in out.items()
        }
    return out


def _assessments(x: Extract, pid: str) -> dict[str, float]:
    mine = x.records("assessments", pid)
    scores = [a["score"] for a in mine if a["score"] is not None]
    return {
        "assessment_score_mean": _mean(scores),
        "assessment_score_max": max(scores, default=NAN),
        "assessment_count": float(len(mine)) if mine else NAN,
    }


def _career(x: Extract, person: Row) -> dict[str, float]:
    spells = x.records("assignments", person["person_id"])
    entry = person["hire_date"] or (spells[0]["start_date"] if spells else None)
    tenure = _years(x.as_of, entry) if entry else NAN
    grade_since = None
    for before, spell in zip([None, *spells], spells, strict=False):
        if before is None or spell["grade"] != before["grade"]:
            grade_since = spell["start_date"]
    moves = sum(
        x.locality(a["org_id"]) != x.locality(b["org_id"]) for a, b in itertools.pairwise(spells)
    )
    promotions = sum(s["reason"] == "promotion" for s in spells)
    counts = {
        "time_in_grade_years": _years(x.as_of, grade_since) if grade_since else NAN,
        "leadership_years": sum(
            _years(min(s["end_date"] or x.as_of, x.as_of), s["start_date"])
            for s in spells
            if s["is_leadership"]
        ),
        "promotions_count": promotions,
        "promotion_velocity": 10 * promotions / max(tenure, 1.0),
        "rotations_count": sum(s["reason"] in ("rotation", "transfer") for s in spells),
        "cross_province_moves": moves,
        "demotions_count": sum(s["reason"] == "demotion" for s in spells),
    }
    placement = x.placement(person)
    return {
        "tenure_years": max(tenure, 0.0) if entry else NAN,
        **{k: float(val) if spells else NAN for k, val in counts.items()},
        **{k: placement[k] for k in ("grade_rank", "org_level_rank", "in_leadership")},
    }


def _integrity(x: Extract, pid: str) -> dict[str, float]:
    since = _years_back(x.as_of, 5)
    decisions = x.records("disciplines", pid)
    recent = [d for d in decisions if d["decision_date"] >= since]
    awards = x.records("awards", pid)
    severities = v.DISCIPLINE_SEVERITIES
    out = {
        "discipline_active": float(
            any(d["effective_until"] is None or d["effective_until"] >= x.as_of for d in decisions)
        ),
        "disciplines_5y": float(len(recent)),
        "discipline_max_severity_5y": float(
            max((severities.index(d["severity"]) + 1 for d in recent if d["severity"]), default=0)
        ),
        "awards_5y": float(sum(a["award_date"] >= since for a in awards)),
        "national_awards": float(sum(a["level"] == "national" for a in awards)),
    }
    absent = {t for t in ("disciplines", "awards") if t not in x.present}
    for key in out:
        if ("awards" if "award" in key else "disciplines") in absent:
            out[key] = NAN
    return out


def _profile(person: Row) -> dict[str, float]:
    languages = person["languages"]
    education = person["education_level"]
    return {
        "education_rank": float(v.EDUCATION_LEVELS.index(education)) if education else NAN,
        "years_experience": NAN
        if person["years_experience"] is None
        else person["years_experience"],
        "languages_count": NAN
        if languages is None
        else float(len([t for t in languages.split(";") if t])),
        "is_external": float(person["population"] == "external"),
    }


def reference_features(tables: dict[str, pd.DataFrame], as_of: date) -> dict[str, Row]:
    """person_id -> {feature: value} for the population at ``as_of``, one person at a time."""
    x = Extract(tables, as_of)
    placement = {p["person_id"]: x.placement(p) for p in x.people}
    kpi = {p["person_id"]: _performance(x, p["person_id"])["kpi_achievement_3y"] for p in x.people}
    z = _z_scores(x)
    since = _years_back(as_of, 3)
    recent = [
        s
        for s in x.visible["surveys_360"]
        if s["person_id"] in placement and s["survey_date"] >= since
    ]
    shift = _leniency(x, recent, {pid: p["org_id"] for pid, p in placement.items()})
    out = {}
    for person in x.people:
        pid = person["person_id"]
        province = placement[pid]["province"]
        same_province = [kpi[q] for q in kpi if placement[q]["province"] == province]
        row: Row = {
            **placement[pid],
            "population": person["population"],
            **_performance(x, pid),
            "kpi_achievement_pctile_province": _percentile(kpi[pid], same_province),
            **_ratings(x, pid, z),
            **_surveys(x, recent, shift, pid),
            **_votes(x, pid),
            **_development(x, person),
            **_assessments(x, pid),
            **_career(x, person),
            **_integrity(x, pid),
            **_profile(person),
        }
        out[pid] = row
    _add_peer_percentiles(x, out, placement)
    for row in out.values():
        for indicator in MISSING_INDICATORS:
            members = [f.name for f in CATALOG if f.dimension == indicator.dimension]
            row[indicator.name] = float(all(math.isnan(row[m]) for m in members))
    return out


def _add_peer_percentiles(x: Extract, out: dict[str, Row], placement: dict[str, Row]) -> None:
    """Percentiles among the population of the same field or province (unknown group: NaN).

    The rating compared is the last one on the finest scale known: the score as a share of its
    scale's top where there is one, else the level out of 3 (the catalog's "finest scale").
    """
    field = {p["person_id"]: p.get("field") for p in x.people}
    province = {pid: p["province"] for pid, p in placement.items()}

    def finest(row: Row) -> float:
        score = row["rating_score_last"]
        return row["rating_last"] / 3 if math.isnan(score) else score

    own = {
        pid: {
            "training_score_mean": row["training_score_mean"],
            "kpi_achievement_3y": row["kpi_achievement_3y"],
            "rating": finest(row),
        }
        for pid, row in out.items()
    }
    wanted = {
        "training_score_pctile_field": ("training_score_mean", field),
        "training_score_pctile_province": ("training_score_mean", province),
        "rating_pctile_field": ("rating", field),
        "kpi_achievement_pctile_field": ("kpi_achievement_3y", field),
    }
    for pid, row in out.items():
        for name, (feature, group) in wanted.items():
            if group[pid] is None:
                row[name] = NAN
                continue
            peers = [own[q][feature] for q in out if group[q] == group[pid]]
            row[name] = _percentile(own[pid][feature], peers)


# --- the comparison ------------------------------------------------------------------------


def _on_the_edges(tables: dict[str, pd.DataFrame], as_of: date) -> dict[str, pd.DataFrame]:
    """Move dates onto as_of and the 3- and 5-year window edges, and a day before each.

    Random dates hardly ever fall on an edge, so without this a ``<`` written as ``<=`` (or a
    window one day off) would pass.
    """
    day, at = pd.Timedelta(days=1), pd.Timestamp(as_of)
    windows = [pd.Timestamp(_years_back(as_of, n)) for n in (3, 5)]
    edges = [at, at - day, *windows, *(w - day for w in windows)]
    out = {name: frame.copy() for name, frame in tables.items()}

    def spread(name: str, rows: pd.Index, column: str, dates: list[pd.Timestamp]) -> None:
        out[name].loc[rows, column] = [dates[i % len(dates)] for i in range(len(rows))]

    for name, column in EVENT_DATE.items():
        if name != "assignments":
            spread(name, out[name].index[::3], column, edges)
    trainings = out["trainings"]
    spread("trainings", trainings.index[::3], "end_date", edges)
    undated_end = trainings.index[1::3]  # dated by their start instead
    trainings.loc[undated_end, "end_date"] = pd.NaT
    spread("trainings", undated_end, "start_date", edges)
    spread("disciplines", out["disciplines"].index[1::2], "effective_until", [at, at - day])
    internal = out["people"].index[out["people"]["population"] == "internal"]
    spread("people", internal[::4], "hire_date", [at, at - day])
    # Each person's last spell: starting on as_of or the day before, or leaving on either.
    spells = out["assignments"]
    last = spells.sort_values("start_date").drop_duplicates("person_id", keep="last").index
    spread("assignments", last[0::4], "start_date", [at, at - day])
    spells.loc[last[0::4], "end_date"] = pd.NaT
    spread("assignments", last[1::2], "end_date", [at, at - day])
    spells.loc[last[1::2], "end_reason"] = "resignation"
    return out


def _with_fields_and_scores(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Give people several fields (some unknown) and most ratings a score on a 1-5 or 1-10
    scale, so that peer groups and the finer scale have something to tell apart."""
    people, evaluations = tables["people"], tables["evaluations"]
    fields = ["law", "economics", "medicine", None]
    scale = np.where(np.arange(len(evaluations)) % 3 == 0, 10.0, 5.0)
    score = (np.arange(len(evaluations)) * 7 % scale.astype(int) + 1).astype("float64")
    score[np.arange(len(evaluations)) % 5 == 0] = np.nan  # not every rating keeps its score
    return {
        **tables,
        "people": people.assign(field=[fields[i % 4] for i in range(len(people))]),
        "evaluations": evaluations.assign(rating_score=score, rating_scale_max=scale),
    }


def _tables(seed: int, as_of: date, variant: str) -> dict[str, pd.DataFrame]:
    tables = _with_fields_and_scores(random_extract(seed))
    if variant == "dates_on_the_edges":
        tables = _on_the_edges(tables, as_of)
    if variant == "without_optional_tables":
        tables = {k: t for k, t in tables.items() if k not in OPTIONAL}
    return tables


@cache
def _case(seed: int, as_of: date, variant: str) -> tuple[pd.DataFrame, dict[str, Row]]:
    tables = _tables(seed, as_of, variant)
    return build_features(tables, pd.Timestamp(as_of)), reference_features(tables, as_of)


@pytest.mark.parametrize(("seed", "as_of", "variant"), CASES, ids=lambda c: str(c))
def test_population_and_placement_match_the_loop(seed: int, as_of: date, variant: str) -> None:
    built, expected = _case(seed, as_of, variant)
    assert list(built["person_id"]) == list(expected)
    for key in ("population", "org_id", "province"):
        got = [None if pd.isna(x) else x for x in built[key]]
        assert got == [row[key] for row in expected.values()], key


def test_the_cases_leave_out_people_not_yet_hired_and_people_who_left() -> None:
    """The population test above must have people on each side of the line to check."""
    not_yet_hired, left = set(), set()
    for seed, as_of, variant in CASES:
        people = _tables(seed, as_of, variant)["people"]
        kept = set(_case(seed, as_of, variant)[1])
        internal = people.loc[people["population"] == "internal"]
        out = set(internal["person_id"]) - kept
        hired_later = set(internal.loc[internal["hire_date"] >= pd.Timestamp(as_of), "person_id"])
        not_yet_hired |= {(seed, as_of, p) for p in out & hired_later}
        left |= {(seed, as_of, p) for p in out - hired_later}
        assert set(people.loc[people["population"] == "external", "person_id"]) <= kept
    assert len(not_yet_hired) >= 5 and len(left) >= 5, (not_yet_hired, left)


@pytest.mark.parametrize("name", FEATURE_NAMES)
def test_feature_matches_the_loop(name: str) -> None:
    seen = set()
    for seed, as_of, variant in CASES:
        built, expected = _case(seed, as_of, variant)
        want = np.array([row[name] for row in expected.values()], dtype="float64")
        got = built[name].to_numpy(dtype="float64")
        want_list, got_list = want.tolist(), got.tolist()
        close = np.isclose(got, want, rtol=1e-9, atol=1e-9, equal_nan=True)
        wrong = [
            f"{pid}: built {g!r}, loop {w!r}"
            for pid, g, w, ok in zip(expected, got_list, want_list, close, strict=True)
            if not ok
        ]
        message = f"{name} (seed {seed}, as_of {as_of}, {variant}): " + "; ".join(wrong[:5])
        np.testing.assert_allclose(
            got, want, rtol=1e-9, atol=1e-9, equal_nan=True, err_msg=message
        )
        seen |= set(want[~np.isnan(want)].tolist())
    # A feature that is constant or always missing in every case would make this test vacuous.
    assert len(seen) >= 2, f"{name} takes fewer than two values over all cases: {seen}"


def test_build_features_does_not_mutate_its_inputs() -> None:
    tables = random_extract(3)
    before = copy.deepcopy(tables)
    build_features(tables, "2021-07-01")
    assert tables.keys() == before.keys()
    for name, frame in tables.items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)
