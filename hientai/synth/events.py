"""Contract-shaped frames of the event tables, each sorted by person and date with fresh ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from hientai.contract import vocab as v
from hientai.synth import reference as ref
from hientai.synth.development import PROVIDERS, TRAINING_LEVELS
from hientai.synth.encode import NO_DATE, categories, dates, numbered_ids, strings
from hientai.synth.positions import Positions
from hientai.synth.state import Chunk, Records

GRADE_TITLES = (
    "Nhân viên",
    "Cán sự",
    "Chuyên viên",
    "Chuyên viên chính",
    "Chuyên viên cao cấp",
)
OTHER_TITLE = v.TITLE_CODES.index("other")


def _sorted(chunk: Chunk, *keys: str) -> Chunk:
    """Rows ordered by the given keys (first key outermost)."""
    order = np.lexsort(tuple(chunk[k] for k in reversed(keys)))
    return {name: values[order] for name, values in chunk.items()}


def _ids(prefix: str, count: int) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(numbered_ids(prefix, count)))


class Keys:
    """String ids of people, units and posts, looked up by integer index."""

    def __init__(self, person_ids: pd.Series, org_ids: list[str], posts: Positions) -> None:
        self.person = person_ids.array.__arrow_array__().combine_chunks()
        self.org = pa.array(org_ids)
        self.post = pa.array(posts.position_id)

    def people(self, idx: np.ndarray) -> pd.Series:
        return strings(self.person, idx)


def assignments_frame(spells: Chunk, posts: Positions, keys: Keys) -> pd.DataFrame:
    s = _sorted(spells, "person", "start")
    post, leader = s["post"], s["post"] >= 0
    titles = [*posts.title, *GRADE_TITLES]
    title = np.where(leader, post, len(posts) + s["grade"].astype(np.int64))
    ended = s["end"] != NO_DATE
    return pd.DataFrame(
        {
            "assignment_id": _ids("AS", len(post)),
            "person_id": keys.people(s["person"]),
            "org_id": strings(keys.org, s["org"]),
            "position_id": strings(keys.post, post.clip(0), leader),
            "title": strings(titles, title),
            "title_code": categories(
                v.TITLE_CODES, np.where(leader, posts.title_code[post.clip(0)], OTHER_TITLE)
            ),
            "grade": categories(v.GRADES, s["grade"]),
            "is_leadership": leader,
            "start_date": dates(s["start"]),
            "end_date": dates(s["end"], ended),
            "reason": categories(v.START_REASONS, s["reason"]),
            "end_reason": categories(v.END_REASONS, s["end_reason"].clip(0), ended),
        }
    )


def evaluations_frame(evaluation: Chunk, keys: Keys) -> pd.DataFrame:
    e = _sorted(evaluation, "person", "year")
    return pd.DataFrame(
        {
            "person_id": keys.people(e["person"]),
            "year": e["year"].astype(np.int16),
            "rating": categories(v.RATINGS, e["rating"], e["rated"]),
            "org_id": strings(keys.org, e["org"]),
            "unit_rating": categories(v.RATINGS, e["unit_rating"]),
        }
    )


def votes_frame(vote: Chunk, keys: Keys) -> pd.DataFrame:
    c = _sorted(vote, "person", "day")
    return pd.DataFrame(
        {
            "vote_id": _ids("VT", len(c["person"])),
            "person_id": keys.people(c["person"]),
            "vote_date": dates(c["day"]),
            "voting_body": categories(v.VOTING_BODIES, c["body"]),
            "high_share": np.round(c["high"], 4),
            "medium_share": np.round(c["medium"], 4),
            "low_share": np.round(c["low"], 4),
            "n_voters": c["n_voters"].astype(np.int32),
        }
    )


def surveys_frame(survey: Chunk, keys: Keys) -> pd.DataFrame:
    c = _sorted(survey, "person", "day", "role")
    frame = pd.DataFrame(
        {
            "person_id": keys.people(c["person"]),
            "survey_date": dates(c["day"]),
            "rater_role": categories(v.RATER_ROLES, c["role"]),
            "n_raters": c["n_raters"].astype(np.int32),
        }
    )
    for k, dimension in enumerate(v.SURVEY_DIMENSIONS):
        frame[dimension] = c["scores"][:, k]
    return frame


def outputs_frame(output: Chunk, keys: Keys) -> pd.DataFrame:
    c = _sorted(output, "person", "period_end")
    kpi = c["kpi"]
    descriptions = [*ref.OUTPUT_DESCRIPTIONS_KPI, *ref.OUTPUT_DESCRIPTIONS_PRODUCT]
    return pd.DataFrame(
        {
            "output_id": _ids("SP", len(kpi)),
            "person_id": keys.people(c["person"]),
            "period_end": dates(c["period_end"]),
            "kind": categories(v.OUTPUT_KINDS, np.where(kpi, 0, 1)),
            "description": strings(descriptions, c["description"]),
            "target": c["target"],
            "achieved": c["achieved"],
            "quality": c["quality"],
            "on_time": pd.Series(c["on_time"], dtype="boolean").where(~kpi),
        }
    )


def trainings_frame(rec: Records, extra: list[Chunk], keys: Keys) -> pd.DataFrame:
    c = _sorted(Records.stack([*rec.trainings, *extra]), "person", "start")
    done = c["end"] != NO_DATE
    return pd.DataFrame(
        {
            "training_id": _ids("DT", len(done)),
            "person_id": keys.people(c["person"]),
            "category": categories(v.TRAINING_CATEGORIES, c["category"]),
            "level": strings(TRAINING_LEVELS, c["level"]),
            "provider": strings(PROVIDERS, c["provider"]),
            "start_date": dates(c["start"]),
            "end_date": dates(c["end"], done),
            "result": categories(v.TRAINING_RESULTS, c["result"]),
            "score": c["score"],
        }
    )


def assessments_frame(chunks: list[Chunk], keys: Keys) -> pd.DataFrame:
    c = _sorted(Records.stack(chunks), "person", "day", "instrument")
    return pd.DataFrame(
        {
            "assessment_id": _ids("DG", len(c["person"])),
            "person_id": keys.people(c["person"]),
            "assessment_date": dates(c["day"]),
            "instrument": categories(v.ASSESSMENT_INSTRUMENTS, c["instrument"]),
            "score": c["score"],
            "provider": strings(ref.ASSESSMENT_PROVIDERS, c["provider"]),
        }
    )


def disciplines_frame(rec: Records, keys: Keys) -> pd.DataFrame:
    c = _sorted(Records.stack(rec.disciplines), "person", "day")
    return pd.DataFrame(
        {
            "discipline_id": _ids("KL", len(c["person"])),
            "person_id": keys.people(c["person"]),
            "decision_date": dates(c["day"]),
            "severity": categories(v.DISCIPLINE_SEVERITIES, c["severity"]),
            "effective_until": dates(c["until"], c["until"] != NO_DATE),
            "description": strings(ref.DISCIPLINE_GROUNDS, c["grounds"]),
        }
    )


def awards_frame(chunks: list[Chunk], keys: Keys) -> pd.DataFrame:
    c = _sorted(Records.stack(chunks), "person", "day", "title")
    return pd.DataFrame(
        {
            "award_id": _ids("KT", len(c["person"])),
            "person_id": keys.people(c["person"]),
            "award_date": dates(c["day"]),
            "level": categories(v.AWARD_LEVELS, c["level"]),
            "kind": categories(v.AWARD_KINDS, c["kind"]),
            "description": strings(ref.AWARD_TITLES, c["title"]),
        }
    )
