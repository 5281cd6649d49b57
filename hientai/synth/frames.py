"""Contract-shaped frames of the reference tables: organisations, positions and people."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

from hientai.contract import vocab as v
from hientai.synth import reference as ref
from hientai.synth.encode import (
    NO_DATE,
    categories,
    dates,
    join_strings,
    numbered_ids,
    stream,
    strings,
)
from hientai.synth.languages import languages_column
from hientai.synth.orgs import ORG_LEVELS, Orgs
from hientai.synth.population import CHANNELS, ETHNICITIES, FEMALE, FIELDS, NATIONALITIES, People
from hientai.synth.positions import PLANNING_SLOT, Positions
from hientai.synth.state import CareerState

PROVINCE_CODES = tuple(p.code for p in ref.PROVINCES)


def organizations_frame(orgs: Orgs) -> pd.DataFrame:
    ids = pa.array(orgs.org_id)
    has_parent = orgs.parent >= 0
    has_province = orgs.province >= 0
    return pd.DataFrame(
        {
            "org_id": strings(ids, np.arange(len(orgs))),
            "name": strings(orgs.name, np.arange(len(orgs))),
            "level": categories(ORG_LEVELS, orgs.level),
            "parent_id": strings(ids, orgs.parent.clip(0), has_parent),
            "province_code": strings(PROVINCE_CODES, orgs.province.clip(0), has_province),
        }
    )


def _category_codes(vocabulary: tuple[str, ...], values: list[str]) -> np.ndarray:
    return np.array([vocabulary.index(x) for x in values])


def positions_frame(posts: Positions, org_ids: pa.Array, holder: np.ndarray) -> pd.DataFrame:
    n = len(posts)
    std = posts.standard
    slot = posts.kind == PLANNING_SLOT
    languages = [x or "" for x in posts.required_languages]
    return pd.DataFrame(
        {
            "position_id": strings(posts.position_id, np.arange(n)),
            "org_id": strings(org_ids, posts.org),
            "title": strings(posts.title, np.arange(n)),
            "title_code": categories(v.TITLE_CODES, posts.title_code),
            "kind": categories(v.POSITION_KINDS, posts.kind),
            "is_leadership": np.ones(n, dtype=bool),
            "min_education": categories(
                v.EDUCATION_LEVELS,
                _category_codes(v.EDUCATION_LEVELS, [s.min_education for s in std]),
            ),
            "min_political_theory": categories(
                v.POLITICAL_THEORY_LEVELS,
                _category_codes(v.POLITICAL_THEORY_LEVELS, [s.min_political_theory for s in std]),
            ),
            "min_state_management": categories(
                v.STATE_MANAGEMENT_LEVELS,
                _category_codes(v.STATE_MANAGEMENT_LEVELS, [s.min_state_management for s in std]),
            ),
            "required_languages": strings(languages, np.arange(n), np.array(languages) != ""),
            "min_years_service": pd.array([s.min_years_service for s in std], dtype="Int64"),
            "max_age": pd.Series(posts.max_age, dtype="Int64").where(slot),
            "requires_outside_hometown": posts.outside_hometown,
            "candidate_scope": categories(
                v.CANDIDATE_SCOPES,
                _category_codes(v.CANDIDATE_SCOPES, [s.candidate_scope for s in std]),
            ),
            "requires_party_member": np.zeros(n, dtype=bool),
            "planning_term": strings([posts.planning_term], np.zeros(n), slot),
            "vacant": pd.Series(holder < 0, dtype="boolean").where(~slot),
        }
    )


def _full_names(seed: int, people: People) -> pd.Series:
    """Vietnamese names (surname, middle, given; middle and given names by gender), and
    Western or East Asian names for foreign nationals without a Vietnamese background."""
    rng = stream(seed, "names")
    n = len(people)
    female = people.gender == FEMALE
    surname = strings(
        ref.SURNAMES, rng.choice(len(ref.SURNAMES), n, p=_shares(ref.SURNAME_SHARES))
    )
    middle_f = strings(ref.MIDDLE_FEMALE, rng.integers(0, len(ref.MIDDLE_FEMALE), n))
    middle_m = strings(ref.MIDDLE_MALE, rng.integers(0, len(ref.MIDDLE_MALE), n))
    given_f = strings(ref.GIVEN_FEMALE, rng.integers(0, len(ref.GIVEN_FEMALE), n))
    given_m = strings(ref.GIVEN_MALE, rng.integers(0, len(ref.GIVEN_MALE), n))
    middle = middle_f.where(female, middle_m)
    given = given_f.where(female, given_m)
    vietnamese = join_strings(surname, middle, given, separator=" ")
    foreign_given = strings(ref.FOREIGN_GIVEN, rng.integers(0, len(ref.FOREIGN_GIVEN), n))
    foreign_family = strings(ref.FOREIGN_FAMILY, rng.integers(0, len(ref.FOREIGN_FAMILY), n))
    foreign = join_strings(foreign_given, foreign_family, separator=" ")
    return vietnamese.where(people.ethnicity >= 0, foreign)


def _shares(shares: tuple[float, ...]) -> np.ndarray:
    weights = np.array(shares)
    return weights / weights.sum()


def people_frame(
    seed: int, people: People, n_internal: int, st: CareerState, org_ids: pa.Array
) -> pd.DataFrame:
    n = len(people)
    internal = np.arange(n) < n_internal
    current = np.full(n, -1, dtype=np.int64)
    current[:n_internal] = np.where(st.active, st.org, -1)
    grade = np.full(n, -1, dtype=np.int64)
    grade[:n_internal] = st.grade
    return pd.DataFrame(
        {
            "person_id": person_ids(n),
            "population": categories(v.POPULATIONS, np.where(internal, 0, 1)),
            "full_name": _full_names(seed, people),
            "birth_date": dates(people.birth),
            "gender": categories(v.GENDERS, people.gender),
            "ethnicity": strings(ETHNICITIES, people.ethnicity.clip(0), people.ethnicity >= 0),
            "religion": strings(ref.RELIGIONS, people.religion.clip(0), people.religion >= 0),
            "nationality": strings(NATIONALITIES, people.nationality),
            "party_member": people.party,
            "party_join_date": dates(people.party_join, people.party_join != NO_DATE),
            "hometown_province": strings(
                PROVINCE_CODES, people.hometown.clip(0), people.hometown >= 0
            ),
            "education_level": categories(v.EDUCATION_LEVELS, people.education),
            "field": strings(FIELDS, people.field),
            "languages": languages_column(people.languages),
            "hire_date": dates(people.hire, people.hire != NO_DATE),
            "current_org_id": strings(org_ids, current.clip(0), current >= 0),
            "current_grade": categories(v.GRADES, grade.clip(0), grade >= 0),
            "external_category": categories(
                v.EXTERNAL_CATEGORIES, people.external_category.clip(0), ~internal
            ),
            "years_experience": people.years_experience,
            "recruitment_channel": strings(CHANNELS, people.channel),
        }
    )


def person_ids(count: int) -> pd.Series:
    return pd.Series(pd.arrays.ArrowStringArray(numbered_ids("P", count, width=7)))
