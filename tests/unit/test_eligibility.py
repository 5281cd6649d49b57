"""Eligibility rules, each tested both ways on hand-made candidates, and pools from positions."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from models.eligibility import (
    PoolSpec,
    ScopeIndex,
    build_candidates,
    eligible_rows,
    failed_rules,
    parse_languages,
)
from models.pools import PoolOptions, party_rules, position_pools, standing_pools

ORGS = pd.DataFrame(
    {
        "org_id": ["C", "P1", "P1a", "P1a1", "P2"],
        "level": ["central", "province", "province", "commune", "province"],
        "parent_id": [None, None, "P1", "P1a", None],
        "province_code": [None, "HN", "HN", "HN", "HP"],
    }
)
AS_OF = pd.Timestamp("2026-01-01")

# One reference person who meets every rule of BASE_POOL; each test changes one fact.
REFERENCE = {
    "person_id": "A",
    "population": "internal",
    "org_id": "P1a1",
    "province": "HN",
    "political_theory_level": 3.0,
    "state_management_level": 2.0,
    "tenure_years": 12.0,
    "discipline_active": 0.0,
    "education_level": "master",
    "languages": "en:B2;fr",
    "birth_date": "1990-06-01",  # 35 at AS_OF
    "hometown_province": "HP",
    "party_member": False,
    "full_name": "Trần Thị A",
}
BASE_POOL = PoolSpec(
    pool_id="slot",
    kind="planning_slot",
    title="Giám đốc sở",
    scope="org_subtree",
    k=3,
    org_id="P1a",
    province="HN",
    min_education="bachelor",
    min_political_theory="advanced",
    min_state_management="principal_specialist",
    min_years_service=10,
    required_languages=(("en", 4),),
    max_age=40,
    outside_hometown=True,
)


def _world(**changes: object) -> tuple[object, ScopeIndex]:
    person = {**REFERENCE, **changes}
    frame = pd.DataFrame([person]).assign(as_of=AS_OF)
    people = frame[["person_id", "full_name", "education_level", "languages"]]
    protected = frame[["person_id", "birth_date", "hometown_province", "party_member"]]
    candidates = build_candidates(frame, people, protected)
    return candidates, ScopeIndex(candidates, ORGS)


def _eligible(pool: PoolSpec = BASE_POOL, **changes: object) -> tuple[bool, list[str]]:
    candidates, index = _world(**changes)
    rows = eligible_rows(pool, candidates, index)  # type: ignore[arg-type]
    failed = failed_rules(pool, candidates, index, 0)  # type: ignore[arg-type]
    assert (len(rows) == 1) == (failed == []), "pool filter and per-person rules disagree"
    return len(rows) == 1, failed


def test_the_reference_person_meets_every_rule() -> None:
    assert _eligible() == (True, [])


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"education_level": "college"}, "education at least bachelor"),
        ({"education_level": None}, "education at least bachelor"),
        ({"political_theory_level": 2.0}, "political theory at least advanced"),
        ({"state_management_level": 1.0}, "state management at least principal_specialist"),
        ({"tenure_years": 9.5}, "at least 10 years of service"),
        ({"languages": "en:B1"}, "speaks en:B2"),
        ({"languages": None}, "speaks en:B2"),
        ({"discipline_active": 1.0}, "no active discipline"),
        ({"birth_date": "1985-12-31"}, "younger than 40"),
        ({"birth_date": None}, "younger than 40"),
        ({"hometown_province": "HN"}, "hometown outside HN"),
        ({"hometown_province": None}, "hometown outside HN"),
        ({"org_id": "P2", "province": "HP"}, "works in the unit P1a or below"),
    ],
)
def test_each_rule_fails_alone_when_its_fact_changes(change: dict, rule: str) -> None:
    assert _eligible(**change) == (False, [rule])


def test_age_window_is_strict_at_the_limit() -> None:
    assert _eligible(birth_date="1986-01-02")[0]  # 40 tomorrow
    assert not _eligible(birth_date="1986-01-01")[0]  # 40 today
    older = dataclasses.replace(BASE_POOL, max_age=45)  # 11 leap days in 45 years
    assert _eligible(older, birth_date="1981-01-02")[0]
    assert not _eligible(older, birth_date="1981-01-01")[0]  # 45 today: 44.9993 in days/365.25


def test_rotation_rule_only_where_the_pool_has_it() -> None:
    local = {"hometown_province": "HN"}
    assert not _eligible(**local)[0]
    assert _eligible(dataclasses.replace(BASE_POOL, outside_hometown=False), **local)[0]


def test_party_membership_is_a_rule_only_when_explicitly_required() -> None:
    required = dataclasses.replace(BASE_POOL, requires_party_member=True)
    assert _eligible(party_member=False)[0]
    assert _eligible(required, party_member=True)[0]
    assert _eligible(required, party_member=False) == (False, ["Party member (explicit standard)"])


def test_scopes_province_national_external() -> None:
    province = dataclasses.replace(BASE_POOL, scope="province")
    assert _eligible(province)[0]
    assert not _eligible(province, org_id="P2", province="HP")[0]
    national = dataclasses.replace(BASE_POOL, scope="national")
    assert _eligible(national, org_id="P2", province="HP")[0]
    assert not _eligible(national, population="external", org_id=None)[0]
    open_pool = dataclasses.replace(BASE_POOL, scope="external_allowed", population="any")
    assert _eligible(open_pool, population="external", org_id=None, province=None)[0]


def test_subtree_covers_every_level_below() -> None:
    pool = dataclasses.replace(BASE_POOL, org_id="P1")
    for org in ("P1", "P1a", "P1a1"):
        assert _eligible(pool, org_id=org)[0], org
    assert not _eligible(pool, org_id="C", province=None)[0]


def test_languages_parse_levels() -> None:
    assert parse_languages("en:B2;fr") == (("en", 4), ("fr", 0))
    assert parse_languages(None) == ()
    assert _eligible(dataclasses.replace(BASE_POOL, required_languages=(("fr", 0),)))[0]


def test_pool_filter_matches_a_loop_over_people() -> None:
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            **{k: [v] * n for k, v in REFERENCE.items()},
            "person_id": [f"X{i}" for i in range(n)],
            "org_id": rng.choice(["P1", "P1a", "P1a1", "P2", "C"], n),
            "tenure_years": rng.uniform(0, 30, n),
            "political_theory_level": rng.integers(0, 4, n).astype(float),
            "state_management_level": rng.integers(0, 4, n).astype(float),
            "birth_date": pd.to_datetime("1970-01-01")
            + pd.to_timedelta(rng.integers(0, 11000, n), "D"),
            "hometown_province": rng.choice(["HN", "HP", None], n),
        }
    ).assign(as_of=AS_OF)
    frame["province"] = frame["org_id"].map(ORGS.set_index("org_id")["province_code"])
    people = frame[["person_id", "full_name", "education_level", "languages"]]
    protected = frame[["person_id", "birth_date", "hometown_province", "party_member"]]
    candidates = build_candidates(frame, people, protected)
    index = ScopeIndex(candidates, ORGS)
    fast = set(eligible_rows(BASE_POOL, candidates, index).tolist())
    slow = {i for i in range(n) if not failed_rules(BASE_POOL, candidates, index, i)}
    age = (AS_OF - frame["birth_date"]).dt.days / 365.25
    brute = {
        i
        for i in range(n)
        if frame["org_id"][i] in ("P1a", "P1a1")
        and frame["political_theory_level"][i] >= 3
        and frame["state_management_level"][i] >= 2
        and frame["tenure_years"][i] >= 10
        and age[i] < 40
        and frame["hometown_province"][i] not in ("HN", None)
    }
    assert fast == slow == brute
    assert 0 < len(brute) < n


POSITIONS = pd.DataFrame(
    {
        "position_id": ["S1", "V1", "F1", "R1"],
        "org_id": ["P1", "P1a", "P1a", "P1"],
        "title": ["Bí thư (quy hoạch)", "Giám đốc", "Phó giám đốc", "Chủ tịch UBND tỉnh"],
        "title_code": ["party_secretary", "director", "deputy_director", "committee_chair"],
        "kind": ["planning_slot", "leadership_post", "leadership_post", "leadership_post"],
        "is_leadership": [True] * 4,
        "min_education": ["bachelor"] * 4,
        "min_political_theory": ["advanced"] * 4,
        "min_state_management": [None] * 4,
        "required_languages": [None, "en:B1", None, None],
        "min_years_service": [10, 5, 5, 15],
        "max_age": [None, None, None, None],
        "requires_outside_hometown": [False, False, False, False],
        "candidate_scope": ["national", "province", "province", "national"],
        "requires_party_member": [False, False, False, True],
        "planning_term": [None] * 4,
        "vacant": [None, True, False, True],
    }
)


def test_pools_are_slots_and_vacant_posts_with_their_standards() -> None:
    pools = {p.pool_id: p for p in position_pools(POSITIONS, ORGS, options=PoolOptions(k=7))}
    assert set(pools) == {"S1", "V1", "R1"}  # F1 is filled
    assert pools["S1"].max_age == 40  # a young-cadre slot without its own window
    assert pools["V1"].max_age is None
    assert pools["S1"].outside_hometown and pools["R1"].outside_hometown  # rotation titles
    assert not pools["V1"].outside_hometown
    assert pools["V1"].required_languages == (("en", 3),)
    assert pools["V1"].province == "HN" and pools["V1"].k == 7
    filled = position_pools(POSITIONS, ORGS, options=PoolOptions(include_filled_posts=True))
    assert {p.pool_id for p in filled} == {"S1", "V1", "F1", "R1"}


def test_a_rotation_rule_that_cannot_apply_is_said_not_dropped() -> None:
    from models.eligibility import rule_names
    from models.pools import NO_ROTATION

    central = POSITIONS.assign(org_id="C", requires_outside_hometown=True)
    pools = position_pools(central, ORGS, options=PoolOptions())
    assert all(not p.outside_hometown and NO_ROTATION in rule_names(p) for p in pools)


def test_every_party_rule_is_reported_and_standing_pools_built() -> None:
    pools = position_pools(POSITIONS, ORGS, options=PoolOptions())
    assert party_rules(pools) == [
        "R1 (Chủ tịch UBND tỉnh): Party membership required by the position's standard"
    ]
    standing = standing_pools(
        [{"pool_id": "ext", "title": "External", "population": "external", "k": 5}],
        options=PoolOptions(),
    )
    assert standing[0].scope == "external_allowed" and standing[0].k == 5
    assert party_rules(standing) == []


def test_calendar_age_counts_completed_years() -> None:
    from models.eligibility import calendar_age

    births = pd.to_datetime(["1986-01-01", "1986-01-02", "1984-02-29", None]).to_numpy()
    ages = calendar_age(births, pd.Timestamp("2026-01-01"))
    assert list(ages[:3]) == [40.0, 39.0, 41.0] and np.isnan(ages[3])
    assert calendar_age(births[2:3], pd.Timestamp("2025-02-28"))[0] == 40.0  # no Feb 29th


def test_protected_columns_the_extract_lacks_fail_only_the_rules_that_need_them() -> None:
    frame = pd.DataFrame([REFERENCE]).assign(as_of=AS_OF)
    people = frame[["person_id", "full_name"]]  # no education nor languages mapped
    candidates = build_candidates(frame, people, frame[["person_id"]])
    index = ScopeIndex(candidates, ORGS)
    assert np.isnan(candidates.age[0]) and np.isnan(candidates.party_member[0])
    assert failed_rules(BASE_POOL, candidates, index, 0) == [
        "education at least bachelor",
        "speaks en:B2",
        "younger than 40",
        "hometown outside HN",
    ]
    open_pool = PoolSpec(pool_id="open", kind="standing", title="Open", scope="national", k=3)
    assert failed_rules(open_pool, candidates, index, 0) == []


@pytest.mark.parametrize(
    "dtype", [pd.StringDtype("pyarrow"), pd.ArrowDtype(pa.string()), object], ids=str
)
def test_missing_hometowns_of_any_dtype_fail_the_rotation_rule_without_crashing(
    dtype: object,
) -> None:
    frame = pd.DataFrame([REFERENCE] * 3).assign(
        as_of=AS_OF,
        person_id=["A", "B", "C"],
        hometown_province=pd.Series(["HP", None, "HN"], dtype=dtype),
        party_member=pd.array([True, None, False], dtype="boolean"),
    )
    candidates = build_candidates(frame, frame, frame)
    index = ScopeIndex(candidates, ORGS)
    assert list(eligible_rows(BASE_POOL, candidates, index)) == [0]
    assert failed_rules(BASE_POOL, candidates, index, 1) == ["hometown outside HN"]
    assert np.isnan(candidates.party_member[1]) and list(candidates.party_member[[0, 2]]) == [1, 0]


def test_rule_checks_say_every_rule_met_or_not_in_the_pools_order() -> None:
    from models.eligibility import rule_checks, rule_names

    candidates, index = _world(tenure_years=3.0, hometown_province="HN")
    checks = rule_checks(BASE_POOL, candidates, index, 0)  # type: ignore[arg-type]
    assert [name for name, _ in checks] == rule_names(BASE_POOL)
    failed = {"at least 10 years of service", "hometown outside HN"}
    assert {name for name, met in checks if not met} == failed


def _crowd(n: int = 30) -> tuple[object, ScopeIndex, pd.DataFrame]:
    """n people aged 31 to 49 in BASE_POOL's unit; only those over 40 have 15 years of service."""
    birth = pd.Timestamp("1976-06-01") + pd.to_timedelta(np.arange(n) * 230, "D")
    age = (AS_OF - birth).days / 365.25
    frame = pd.DataFrame([REFERENCE] * n).assign(
        as_of=AS_OF,
        person_id=[f"X{i}" for i in range(n)],
        birth_date=birth,
        tenure_years=np.where(age >= 40, 20.0, 5.0),
    )
    candidates = build_candidates(frame, frame, frame)
    return candidates, ScopeIndex(candidates, ORGS), frame


def test_why_nobody_is_eligible_names_the_scope_when_no_one_is_in_it() -> None:
    from models.pools import why_nobody_eligible

    candidates, index, _ = _crowd()
    elsewhere = dataclasses.replace(BASE_POOL, org_id="P2", province="HP")
    assert len(eligible_rows(elsewhere, candidates, index)) == 0  # type: ignore[arg-type]
    why = why_nobody_eligible(elsewhere, candidates, index)  # type: ignore[arg-type]
    assert why == "no one meets the scope (works in the unit P2 or below)"


def test_why_nobody_is_eligible_names_the_rules_no_one_meets_alone() -> None:
    from models.pools import why_nobody_eligible

    candidates, index, frame = _crowd()
    pool = dataclasses.replace(BASE_POOL, max_age=30, requires_party_member=True)
    assert len(eligible_rows(pool, candidates, index)) == 0  # type: ignore[arg-type]
    age = (AS_OF - frame["birth_date"]).dt.days / 365.25
    assert (age >= 30).all() and not frame["party_member"].any()  # each excludes everyone
    assert why_nobody_eligible(pool, candidates, index) == (  # type: ignore[arg-type]
        f"of the {len(frame)} in scope (works in the unit P1a or below), "
        "none meets 'younger than 30'; none meets 'Party member (explicit standard)'"
    )


def test_why_nobody_is_eligible_counts_down_rule_by_rule_to_the_first_empty_step() -> None:
    from models.pools import why_nobody_eligible

    candidates, index, frame = _crowd()
    age = (AS_OF - frame["birth_date"]).dt.days / 365.25
    senior = frame["tenure_years"] >= 15
    young = age < 40
    assert senior.any() and young.any() and not (senior & young).any()
    pool = dataclasses.replace(BASE_POOL, min_years_service=15)
    assert len(eligible_rows(pool, candidates, index)) == 0  # type: ignore[arg-type]
    by_hand = (
        f"of the {len(frame)} in scope (works in the unit P1a or below), "
        f"{len(frame)} left after 'education at least bachelor'; "
        f"{len(frame)} left after 'political theory at least advanced'; "
        f"{len(frame)} left after 'state management at least principal_specialist'; "
        f"{int(senior.sum())} left after 'at least 15 years of service'; "
        f"{int(senior.sum())} left after 'speaks en:B2'; "
        f"{int(senior.sum())} left after 'no active discipline'; "
        "0 left after 'younger than 40'"
    )
    assert why_nobody_eligible(pool, candidates, index) == by_hand  # type: ignore[arg-type]


def test_a_pool_with_nobody_eligible_is_published_with_why() -> None:
    import json

    from models.pools import pools_frame

    pools = [BASE_POOL, dataclasses.replace(BASE_POOL, pool_id="empty")]
    frame = pools_frame(
        pools, np.array([3, 0]), np.array([3, 0]), empty_notes={"empty": "no one meets x"}
    )
    rules = [json.loads(text) for text in frame["rules"]]
    assert rules[0][-1] == "hometown outside HN"
    assert (
        rules[1][:-1] == rules[0] and rules[1][-1] == "nobody is eligible tonight: no one meets x"
    )
    assert list(frame["n_eligible"]) == [3, 0]


def test_planning_course_standards_are_needs_or_exclusions_as_configured() -> None:
    from dataclasses import replace

    from models.eligibility import rule_names
    from models.pools import COURSES_AS_NEEDS

    lacking = {"political_theory_level": 0.0, "state_management_level": 0.0}
    development = replace(BASE_POOL, course_standards="development")
    assert _eligible(development, **lacking) == (True, [])
    assert _eligible(BASE_POOL, **lacking)[1] == [
        "political theory at least advanced",
        "state management at least principal_specialist",
    ]
    # Built from positions: planning slots follow the option and say so; posts stay strict.
    pools = {p.pool_id: p for p in position_pools(POSITIONS, ORGS, options=PoolOptions())}
    assert pools["S1"].course_standards == "development"
    assert pools["V1"].course_standards == "required"
    assert COURSES_AS_NEEDS.format(courses="political theory at least advanced") in rule_names(
        pools["S1"]
    )
    strict = position_pools(
        POSITIONS, ORGS, options=PoolOptions(planning_course_standards="required")
    )
    assert all(p.course_standards == "required" and not p.notes for p in strict)


def test_planning_service_may_count_to_the_end_of_the_term() -> None:
    from dataclasses import replace

    by_term = replace(BASE_POOL, min_years_service=15, service_by_year=2031)
    # 12 years at 2026-01-01 + 5 years to 2031 = 17 >= 15; 9 + 5 = 14 < 15.
    assert _eligible(by_term) == (True, [])
    assert _eligible(by_term, tenure_years=9.0) == (
        False,
        ["at least 15 years of service by 2031"],
    )
    assert _eligible(replace(BASE_POOL, min_years_service=15))[0] is False
    terms = POSITIONS.assign(planning_term="2026-2031")
    pools = {p.pool_id: p for p in position_pools(terms, ORGS, options=PoolOptions())}
    assert pools["S1"].service_by_year == 2031 and pools["V1"].service_by_year is None
    as_of = position_pools(terms, ORGS, options=PoolOptions(planning_service_by="as_of"))
    assert all(p.service_by_year is None for p in as_of)


def test_pool_to_dict_is_asdict_and_round_trips_through_json() -> None:
    import json

    pool = PoolSpec(
        pool_id="p1",
        kind="leadership_post",
        title="Deputy director",
        scope="province",
        province="HN",
        k=5,
        required_languages=(("en", 4), ("fr", 2)),
        max_age=45.0,
        notes=("a rule that cannot apply",),
    )
    assert pool.to_dict() == dataclasses.asdict(pool)
    assert list(pool.to_dict()) == [f.name for f in dataclasses.fields(PoolSpec)]
    assert PoolSpec.from_dict(json.loads(json.dumps(pool.to_dict()))) == pool
