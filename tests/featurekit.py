"""Small random extracts in snapshot form (as ``Snapshot.read`` returns them), for feature tests.

Records are spread over 2015-2024 so that any as_of in 2019-2023 has history before it and
records after it. Values cover the awkward cases: missing ratings, undated trainings, spells
ending after as_of, zero targets, people with no records at all, external candidates.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from hientai.contract import vocab as v

FIRST, LAST = pd.Timestamp("2015-01-01"), pd.Timestamp("2024-12-31")


def _dates(rng: np.random.Generator, n: int, first: pd.Timestamp = FIRST) -> pd.Series:
    span = (LAST - first).days
    return pd.Series(first + pd.to_timedelta(rng.integers(0, span, n), unit="D")).astype(
        "datetime64[ms]"
    )


def _pick(rng: np.random.Generator, values: tuple[str, ...], n: int) -> np.ndarray:
    return rng.choice(np.array(values, dtype=object), n)


def _text(values: object) -> pd.Series:
    return pd.Series(values, dtype="string[pyarrow]")


def random_extract(seed: int, n_people: int = 40, n_external: int = 5) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    orgs = pd.DataFrame(
        {
            "org_id": _text(["C", "P1", "P2", "X1", "X2", "X3"]),
            "name": _text(["Bộ", "Tỉnh 1", "Tỉnh 2", "Xã 1", "Xã 2", "Xã 3"]),
            "level": pd.Categorical(
                ["central", "province", "province", "commune", "commune", "commune"]
            ),
            "parent_id": _text([None, None, None, "P1", "P1", "P2"]),
            "province_code": _text([None, "P1", "P2", "P1", "P1", "P2"]),
        }
    )
    org_ids = np.array(orgs["org_id"], dtype=object)
    n = n_people + n_external
    ids = [f"I{i:03d}" for i in range(n_people)] + [f"E{i:03d}" for i in range(n_external)]
    internal = np.arange(n) < n_people
    people = pd.DataFrame(
        {
            "person_id": _text(ids),
            "population": pd.Categorical(np.where(internal, "internal", "external")),
            "full_name": _text([None] * n),
            "education_level": pd.Categorical(
                np.where(rng.random(n) < 0.1, None, _pick(rng, v.EDUCATION_LEVELS, n))
            ),
            "field": _text(["law"] * n),
            "languages": _text(
                _pick(rng, ("en:B2", "en:C1;fr:A2", "zh", "", "ja:B1;en:B2"), n)
            ).replace("", None),
            "hire_date": pd.Series(
                np.where(internal, _dates(rng, n, pd.Timestamp("2005-01-01")), pd.NaT)
            ).astype("datetime64[ms]"),
            "current_org_id": _text(np.where(internal, rng.choice(org_ids, n), None)),
            "current_grade": pd.Categorical(np.where(internal, _pick(rng, v.GRADES, n), None)),
            "external_category": pd.Categorical(np.where(internal, None, "expert")),
            "years_experience": np.where(internal, np.nan, rng.uniform(2, 30, n).round(1)),
            "recruitment_channel": _text([None] * n),
        }
    )
    internal_ids = np.array(ids[:n_people], dtype=object)
    return {
        "organizations": orgs,
        "people": people,
        "assignments": _assignments(rng, internal_ids, org_ids),
        "evaluations": _evaluations(rng, internal_ids, org_ids),
        "confidence_votes": _votes(rng, internal_ids),
        "surveys_360": _surveys(rng, internal_ids),
        "outputs": _outputs(rng, internal_ids),
        "trainings": _trainings(rng, np.array(ids, dtype=object)),
        "assessments": _assessments(rng, np.array(ids, dtype=object)),
        "disciplines": _disciplines(rng, internal_ids),
        "awards": _awards(rng, internal_ids),
    }


def _assignments(rng: np.random.Generator, ids: np.ndarray, orgs: np.ndarray) -> pd.DataFrame:
    rows = []
    for person in ids[: len(ids) - 3]:  # the last three internal people have no history
        start = pd.Timestamp("2008-01-01") + pd.Timedelta(days=int(rng.integers(0, 2000)))
        for k in range(int(rng.integers(1, 5))):
            end = start + pd.Timedelta(days=int(rng.integers(200, 1500)))
            rows.append(
                {
                    "assignment_id": f"{person}-{k}",
                    "person_id": person,
                    "org_id": rng.choice(orgs),
                    "grade": rng.choice(np.array(v.GRADES[1:], dtype=object)),
                    "is_leadership": bool(rng.random() < 0.3),
                    "start_date": start,
                    "end_date": end,
                    "reason": "recruitment"
                    if k == 0
                    else rng.choice(
                        np.array(["promotion", "rotation", "transfer", "demotion"], dtype=object)
                    ),
                    "end_reason": rng.choice(
                        np.array(["promotion", "rotation", "resignation", None], dtype=object)
                    ),
                }
            )
            start = end + pd.Timedelta(days=1)
        rows[-1]["end_date"] = pd.NaT if rng.random() < 0.6 else rows[-1]["end_date"]
    frame = pd.DataFrame(rows)
    # A spell ending with a separation is the person's last one.
    frame.loc[frame["end_reason"] == "resignation", "end_reason"] = None
    frame.loc[frame.index[::17], "end_reason"] = "resignation"
    return frame.assign(
        assignment_id=_text(frame["assignment_id"]),
        person_id=_text(frame["person_id"]),
        org_id=_text(frame["org_id"]),
        position_id=_text([None] * len(frame)),
        title=_text([None] * len(frame)),
        title_code=pd.Categorical([None] * len(frame)),
        grade=pd.Categorical(frame["grade"]),
        start_date=frame["start_date"].astype("datetime64[ms]"),
        end_date=pd.to_datetime(frame["end_date"]).astype("datetime64[ms]"),
        reason=pd.Categorical(frame["reason"]),
        end_reason=pd.Categorical(frame["end_reason"]),
    )


def _evaluations(rng: np.random.Generator, ids: np.ndarray, orgs: np.ndarray) -> pd.DataFrame:
    person = np.repeat(ids, 10)
    year = np.tile(np.arange(2015, 2025), len(ids))
    keep = rng.random(len(person)) < 0.8
    n = int(keep.sum())
    rating = _pick(rng, v.RATINGS, n)
    rating[rng.random(n) < 0.08] = None
    unit = _pick(rng, v.RATINGS, n)
    unit[rng.random(n) < 0.2] = None
    return pd.DataFrame(
        {
            "person_id": _text(person[keep]),
            "year": pd.array(year[keep], dtype="Int64"),
            "rating": pd.Categorical(rating, categories=v.RATINGS),
            "org_id": _text(np.where(rng.random(n) < 0.1, None, rng.choice(orgs[3:], n))),
            "unit_rating": pd.Categorical(unit, categories=v.RATINGS),
        }
    )


def _events(rng: np.random.Generator, ids: np.ndarray, per_person: float) -> np.ndarray:
    counts = rng.poisson(per_person, len(ids))
    return np.repeat(ids, counts)


def _votes(rng: np.random.Generator, ids: np.ndarray) -> pd.DataFrame:
    person = _events(rng, ids, 2.5)
    n = len(person)
    high = rng.uniform(0.3, 0.9, n).round(3)
    low = (rng.uniform(0, 0.3, n) * (1 - high)).round(3)
    return pd.DataFrame(
        {
            "vote_id": _text([f"V{i}" for i in range(n)]),
            "person_id": _text(person),
            "vote_date": _dates(rng, n),
            "voting_body": pd.Categorical(_pick(rng, v.VOTING_BODIES, n)),
            "high_share": high,
            "medium_share": (1 - high - low).round(3),
            "low_share": low,
            "n_voters": pd.array(rng.integers(10, 60, n), dtype="Int64"),
        }
    )


def _surveys(rng: np.random.Generator, ids: np.ndarray) -> pd.DataFrame:
    person = _events(rng, ids, 1.5)
    date = _dates(rng, len(person))
    roles = ("superior", "peer", "subordinate", "self")
    person, date = np.repeat(person, len(roles)), np.repeat(date.to_numpy(), len(roles))
    n = len(person)
    frame = {
        "person_id": _text(person),
        "survey_date": pd.Series(date).astype("datetime64[ms]"),
        "rater_role": pd.Categorical(np.tile(np.array(roles, dtype=object), n // len(roles))),
        "n_raters": pd.array(rng.integers(1, 9, n), dtype="Int64"),
    }
    for dim in v.SURVEY_DIMENSIONS:
        score = rng.uniform(1, 5, n).round(2)
        score[rng.random(n) < 0.1] = np.nan
        frame[dim] = score
    return pd.DataFrame(frame).drop_duplicates(["person_id", "survey_date", "rater_role"])


def _outputs(rng: np.random.Generator, ids: np.ndarray) -> pd.DataFrame:
    person = _events(rng, ids, 8)
    n = len(person)
    kind = _pick(rng, v.OUTPUT_KINDS, n)
    target = np.where(kind == "kpi", rng.choice([0.0, 10.0, 20.0, 100.0], n), np.nan)
    target[(kind == "kpi") & (target == 0)] = 5.0
    achieved = np.where(kind == "kpi", target * rng.uniform(0.3, 3.0, n), np.nan).round(2)
    on_time = pd.array(rng.random(n) < 0.7, dtype="boolean")
    on_time[rng.random(n) < 0.2] = pd.NA
    quality = rng.integers(1, 6, n).astype("float64")
    quality[rng.random(n) < 0.3] = np.nan
    return pd.DataFrame(
        {
            "output_id": _text([f"O{i}" for i in range(n)]),
            "person_id": _text(person),
            "period_end": _dates(rng, n),
            "kind": pd.Categorical(kind),
            "description": _text([None] * n),
            "target": target,
            "achieved": achieved,
            "quality": quality,
            "on_time": on_time,
        }
    )


def _trainings(rng: np.random.Generator, ids: np.ndarray) -> pd.DataFrame:
    person = _events(rng, ids, 4)
    n = len(person)
    category = _pick(rng, v.TRAINING_CATEGORIES, n)
    level = np.array(
        [
            rng.choice(np.array(v.TRAINING_LEVELS_BY_CATEGORY[c] or ("programme",), dtype=object))
            for c in category
        ],
        dtype=object,
    )
    level[rng.random(n) < 0.1] = None
    end = _dates(rng, n).astype(object)
    start = (pd.to_datetime(pd.Series(end)) - pd.Timedelta(days=90)).astype(object)
    undated = rng.random(n) < 0.1
    end[undated] = None
    start[undated & (rng.random(n) < 0.5)] = None
    score = rng.uniform(40, 100, n).round(1)
    score[rng.random(n) < 0.3] = np.nan
    return pd.DataFrame(
        {
            "training_id": _text([f"T{i}" for i in range(n)]),
            "person_id": _text(person),
            "category": pd.Categorical(category),
            "level": _text(level),
            "provider": _text([None] * n),
            "start_date": pd.to_datetime(pd.Series(start)).astype("datetime64[ms]"),
            "end_date": pd.to_datetime(pd.Series(end)).astype("datetime64[ms]"),
            "result": pd.Categorical(_pick(rng, (*v.TRAINING_RESULTS, None), n)),
            "score": score,
            "sessions": pd.array(rng.integers(1, 4, n), dtype="Int64"),
        }
    )


def _assessments(rng: np.random.Generator, ids: np.ndarray) -> pd.DataFrame:
    person = _events(rng, ids, 1.2)
    n = len(person)
    return pd.DataFrame(
        {
            "assessment_id": _text([f"A{i}" for i in range(n)]),
            "person_id": _text(person),
            "assessment_date": _dates(rng, n),
            "instrument": pd.Categorical(_pick(rng, v.ASSESSMENT_INSTRUMENTS, n)),
            "score": rng.uniform(20, 100, n).round(1),
            "provider": _text([None] * n),
        }
    )


def _disciplines(rng: np.random.Generator, ids: np.ndarray) -> pd.DataFrame:
    person = _events(rng, ids, 0.4)
    n = len(person)
    decided = _dates(rng, n)
    until = (decided + pd.to_timedelta(rng.integers(100, 900, n), unit="D")).astype(object)
    until[rng.random(n) < 0.3] = None
    return pd.DataFrame(
        {
            "discipline_id": _text([f"D{i}" for i in range(n)]),
            "person_id": _text(person),
            "decision_date": decided,
            "severity": pd.Categorical(_pick(rng, v.DISCIPLINE_SEVERITIES, n)),
            "effective_until": pd.to_datetime(pd.Series(until)).astype("datetime64[ms]"),
            "description": _text([None] * n),
        }
    )


def _awards(rng: np.random.Generator, ids: np.ndarray) -> pd.DataFrame:
    person = _events(rng, ids, 1.0)
    n = len(person)
    return pd.DataFrame(
        {
            "award_id": _text([f"W{i}" for i in range(n)]),
            "person_id": _text(person),
            "award_date": _dates(rng, n),
            "level": pd.Categorical(_pick(rng, v.AWARD_LEVELS, n)),
            "kind": pd.Categorical(_pick(rng, v.AWARD_KINDS, n)),
            "description": _text([None] * n),
        }
    )
