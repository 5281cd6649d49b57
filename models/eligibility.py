"""Eligible pools: who may be considered for each leadership post, planning slot or standing pool.

A pool is a planning slot, a vacant leadership post (filled ones on request) or a standing pool
from configuration (the national young-talent pool, the external-talent pool). Whether a person
is eligible is a conjunction of rules, each defined once here and used both to filter a whole
pool (vectorised) and to tell one person which rules they fail (``failed_rules``):

- scope: the post's organisation subtree, its province, every internal cadre (national), or
  internal cadres and external candidates (external_allowed);
- title standards: education, political-theory and state-management levels, languages, years
  of service, no active discipline;
- the age window of young-cadre pools;
- the rotation rule: candidates from outside the post's province (hometown);
- Party membership, only where a post's standard explicitly requires it (reported by the run).

Nationality is never a rule. A standard that cannot be verified (unknown level, unknown age for
an age window, unknown hometown for the rotation rule) is not met: the planner sees which rule
failed and why. Discipline is the exception, by nature of the record: it is checked on the
disciplinary records, and no record means no discipline (an extract without a disciplines
table cannot show one). Ages are calendar ages at as_of: "younger than 45" means born after the
same day 45 years before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from features.inputs import arrow_ids
from hientai.contract.vocab import (
    CEFR_LEVELS,
    EDUCATION_LEVELS,
    POLITICAL_THEORY_LEVELS,
    STATE_MANAGEMENT_LEVELS,
)

Scope = Literal["org_subtree", "province", "national", "external_allowed"]
PoolKind = Literal["leadership_post", "planning_slot", "standing"]
Population = Literal["internal", "external", "any"]

EDUCATION_RANK = {level: float(i) for i, level in enumerate(EDUCATION_LEVELS)}
# The feature values of political_theory_level / state_management_level: 0 = none.
POLITICAL_THEORY_RANK = {level: float(i + 1) for i, level in enumerate(POLITICAL_THEORY_LEVELS)}
STATE_MANAGEMENT_RANK = {level: float(i + 1) for i, level in enumerate(STATE_MANAGEMENT_LEVELS)}
CEFR_RANK = {level: i + 1 for i, level in enumerate(CEFR_LEVELS)}
PARTY_WORDS = {
    **dict.fromkeys(("true", "1", "1.0", "yes"), 1.0),
    **dict.fromkeys(("false", "0", "0.0", "no"), 0.0),
}


def parse_languages(text: object) -> tuple[tuple[str, int], ...]:
    """'en:B2;fr' -> (('en', 4), ('fr', 0)); 0 means the code with no stated level."""
    if not isinstance(text, str) or not text.strip():
        return ()
    found = []
    for part in text.split(";"):
        code, _, level = part.strip().partition(":")
        found.append((code, CEFR_RANK.get(level, 0)))
    return tuple(found)


@dataclass(frozen=True)
class PoolSpec:
    pool_id: str
    kind: PoolKind
    title: str
    scope: Scope
    k: int
    position_id: str | None = None
    org_id: str | None = None
    province: str | None = None
    title_code: str | None = None
    population: Population = "internal"
    min_education: str | None = None
    min_political_theory: str | None = None
    min_state_management: str | None = None
    min_years_service: float | None = None
    # A planning slot may count years of service as they will be at the end of its planning
    # term (this year), since appointment comes within the term; None counts them at as_of.
    service_by_year: int | None = None
    required_languages: tuple[tuple[str, int], ...] = ()
    max_age: float | None = None
    outside_hometown: bool = False
    requires_party_member: bool = False
    no_active_discipline: bool = True
    # Course standards (political theory, state management) of a planning pool can be needs to
    # meet before appointment ("development") instead of exclusions ("required").
    course_standards: Literal["required", "development"] = "required"
    # Rules a position asks for that cannot apply, said in the pool's rules (never silent).
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The fields by name, as ``dataclasses.asdict`` gives them (every field is a plain
        value or a tuple of them), without its deep copy: the JSON of a national night's 4,361
        pools took 0.27 s through ``asdict``, 0.07 s so (the same text)."""
        return {name: getattr(self, name) for name in _POOL_FIELDS}

    @classmethod
    def from_dict(cls, entry: dict[str, Any]) -> PoolSpec:
        """The inverse of ``to_dict`` after a JSON round trip (lists -> tuples)."""
        languages = tuple((str(code), int(level)) for code, level in entry["required_languages"])
        return cls(**{**entry, "required_languages": languages, "notes": tuple(entry["notes"])})


_POOL_FIELDS = tuple(f.name for f in fields(PoolSpec))


@dataclass
class Candidates:
    """Everyone who could be in a pool at as_of, one row each (arrays row-aligned).

    ``hometown``, ``age`` and ``party_member`` come from protected attributes, read for the
    eligibility rules that need them; they are never model features.
    """

    person_id: np.ndarray
    population: np.ndarray
    org_id: np.ndarray  # object, None for external candidates
    province: np.ndarray  # object
    education: np.ndarray  # float rank, NaN unknown
    political_theory: np.ndarray
    state_management: np.ndarray
    tenure_years: np.ndarray
    discipline_active: np.ndarray
    age: np.ndarray  # whole years at as_of (calendar age), NaN unknown: for age bands
    birth: np.ndarray  # datetime64, NaT unknown: the age window compares calendar dates
    as_of: pd.Timestamp
    hometown: np.ndarray  # object
    party_member: np.ndarray  # float 1/0, NaN unknown
    languages: np.ndarray  # object: 'en:B2;fr' as in people.languages (parsed when a pool asks)
    # Where each candidate is among the people and the protected attributes they were built
    # from (None: looked up by reindexing).
    people_rows: Rows | None = field(default=None, repr=False)
    protected_rows: Rows | None = field(default=None, repr=False)
    _language_cache: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    _hometowns: tuple[np.ndarray, dict[object, int]] | None = field(default=None, repr=False)

    @property
    def n(self) -> int:
        return len(self.person_id)

    def language_level(self, code: str) -> np.ndarray:
        """Best stated level of ``code`` per person: -1 not spoken, 0 no level, 1-6 A1..C2."""
        if code not in self._language_cache:
            # Each distinct text parsed once (a few hundred nationally, for 1,050,000 people).
            texts, distinct = pd.factorize(pd.Series(self.languages, dtype=object))
            levels = np.fromiter(
                (
                    max((lv for c, lv in parse_languages(text) if c == code), default=-1)
                    for text in [*distinct, None]  # the last: a missing text (code -1)
                ),
                dtype=np.int8,
                count=len(distinct) + 1,
            )
            self._language_cache[code] = levels[texts]
        return self._language_cache[code]

    def hometown_outside(self, province: str | None, rows: np.ndarray) -> np.ndarray:
        """Whether each of ``rows`` has a known hometown other than ``province``."""
        if self._hometowns is None:
            codes, distinct = pd.factorize(pd.Series(self.hometown, dtype=object))
            self._hometowns = codes, {value: i for i, value in enumerate(distinct)}
        codes, index = self._hometowns
        theirs = codes[rows]
        return (theirs >= 0) & (theirs != index.get(province, -2))


@dataclass(frozen=True)
class Rows:
    """Where each of some ids (``wanted``) is among a table's person ids (``keys``)."""

    wanted: pa.Array
    keys: pa.Array
    positions: np.ndarray


def rows_of(
    frame: pd.DataFrame, ids: pd.Index | np.ndarray, known: Rows | None = None
) -> Rows | None:
    """The rows of ``frame`` (by person_id) of each of ``ids``; ``known`` if it was found for
    the same ids among the same person ids (people and protected attributes share them).
    None if someone is missing or an id is there twice: ``aligned`` then reindexes."""
    wanted, keys = arrow_ids(pd.Series(ids, dtype=object)), arrow_ids(frame["person_id"])
    if known is not None and known.wanted.equals(wanted) and known.keys.equals(keys):
        return known
    # Looked up in Arrow: a pandas index of a million Python strings took 0.6 s a table.
    # Each key's place among the wanted ids: one hash table (of the wanted ids) tells both
    # where each wanted id is and whether it is there exactly once (the table's other ids,
    # even repeated, are never taken).
    place = pc.index_in(keys, value_set=wanted).fill_null(-1).to_numpy(zero_copy_only=False)
    hits = np.flatnonzero(place >= 0)
    # As many hits as wanted ids, none of them missed: each is there exactly once.
    if len(hits) != len(wanted) or not np.bincount(place[hits], minlength=len(wanted)).all():
        return None
    at = np.empty(len(wanted), dtype=np.int64)
    at[place[hits]] = hits
    return Rows(wanted, keys, at)


def aligned(frame: pd.DataFrame, ids: pd.Index, rows: Rows | None = None) -> pd.DataFrame:
    """``frame``'s rows in the order of ``ids`` (by person_id; missing people: empty values).
    ``rows``: where they are (``rows_of``), if known."""
    if rows is None:
        keyed = frame.assign(person_id=frame["person_id"].astype(str)).set_index("person_id")
        return keyed.reindex(ids)
    taken = frame.drop(columns="person_id").take(rows.positions)
    taken.index = pd.Index(ids)
    return taken


def calendar_age(birth: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    """Completed years at ``as_of`` (a birthday on as_of counts), NaN where birth is unknown."""
    born = pd.DatetimeIndex(birth)
    before_birthday = (as_of.month < born.month) | (
        (as_of.month == born.month) & (as_of.day < born.day)
    )
    years = (as_of.year - born.year - before_birthday).to_numpy(dtype="float64")
    return np.where(born.isna(), np.nan, years)


def party_flags(values: pd.Series) -> np.ndarray:
    """Party membership as 1.0 / 0.0, NaN where unknown: missing (None, NaN, pandas or Arrow
    NA) or not a yes/no value. Booleans, 1/0 and true/false/yes/no texts are read."""
    codes, uniques = pd.factorize(pd.Series(values).astype(object), use_na_sentinel=True)
    flags = [PARTY_WORDS.get(str(u).strip().casefold(), np.nan) for u in uniques]
    return np.asarray([*flags, np.nan], dtype="float64")[codes]


def _objects(values: pd.Series) -> np.ndarray:
    """Values as an object array with None for every kind of missing value (pandas and Arrow
    NA compare as NA, which a boolean mask cannot hold)."""
    out = values.astype(object)
    return out.where(out.notna(), None).to_numpy(dtype=object)


def build_candidates(
    features: pd.DataFrame, people: pd.DataFrame, protected: pd.DataFrame
) -> Candidates:
    """Candidates from a feature table (one row per person), people and protected attributes.

    A people or protected column the extract lacks is unknown for everyone (never an error):
    an unmapped birth date, hometown or Party membership fails only the rules that need it.
    """
    ids = pd.Index(features["person_id"].astype(str))
    in_people = rows_of(people, ids)
    person = aligned(
        people.reindex(columns=["person_id", "education_level", "languages"]), ids, in_people
    )
    found = rows_of(protected, ids, in_people)
    prot = aligned(
        protected.reindex(
            columns=["person_id", "birth_date", "hometown_province", "party_member"]
        ),
        ids,
        found,
    )
    birth = pd.to_datetime(prot["birth_date"]).to_numpy()
    as_of = pd.to_datetime(features["as_of"]).to_numpy()
    age = calendar_age(birth, pd.Timestamp(as_of[0]) if len(as_of) else pd.Timestamp(0))
    education = person["education_level"].astype(object).map(EDUCATION_RANK)
    return Candidates(
        person_id=ids.to_numpy(dtype=object),
        population=features["population"].astype(str).to_numpy(dtype=object),
        org_id=_objects(features["org_id"]),
        province=_objects(features["province"]),
        education=education.to_numpy(dtype="float64"),
        political_theory=features["political_theory_level"].to_numpy(dtype="float64"),
        state_management=features["state_management_level"].to_numpy(dtype="float64"),
        tenure_years=features["tenure_years"].to_numpy(dtype="float64"),
        discipline_active=features["discipline_active"].to_numpy(dtype="float64"),
        age=age,
        birth=np.asarray(birth, dtype="datetime64[ns]"),
        as_of=pd.Timestamp(as_of[0]) if len(as_of) else pd.NaT,
        hometown=_objects(prot["hometown_province"]),
        party_member=party_flags(prot["party_member"]),
        languages=_objects(person["languages"]),
        people_rows=in_people,
        protected_rows=found,
    )


Predicate = Callable[[Candidates, np.ndarray], np.ndarray]


def _at_least(values: Callable[[Candidates], np.ndarray], floor: float) -> Predicate:
    return lambda c, rows: values(c)[rows] >= floor  # NaN (unknown) compares False


def standard_rules(pool: PoolSpec) -> list[tuple[str, Predicate]]:
    """The pool's rules other than scope, each a readable name and a vectorised predicate."""
    rules: list[tuple[str, Predicate]] = []
    if pool.min_education:
        floor = EDUCATION_RANK[pool.min_education]
        rules.append((f"education at least {pool.min_education}", _at_least(_edu, floor)))
    courses_required = pool.course_standards == "required"
    if pool.min_political_theory and courses_required:
        floor = POLITICAL_THEORY_RANK[pool.min_political_theory]
        name = f"political theory at least {pool.min_political_theory}"
        rules.append((name, _at_least(lambda c: c.political_theory, floor)))
    if pool.min_state_management and courses_required:
        floor = STATE_MANAGEMENT_RANK[pool.min_state_management]
        name = f"state management at least {pool.min_state_management}"
        rules.append((name, _at_least(lambda c: c.state_management, floor)))
    if pool.min_years_service is not None and pool.service_by_year is not None:
        name = f"at least {pool.min_years_service:g} years of service by {pool.service_by_year}"
        rules.append((name, _service_by(pool.service_by_year, pool.min_years_service)))
    elif pool.min_years_service is not None:
        name = f"at least {pool.min_years_service:g} years of service"
        rules.append((name, _at_least(lambda c: c.tenure_years, pool.min_years_service)))
    for code, level in pool.required_languages:
        stated = f"{code}:{CEFR_LEVELS[level - 1]}" if level else code
        rules.append((f"speaks {stated}", _language_rule(code, level)))
    if pool.no_active_discipline:
        rules.append(("no active discipline", lambda c, rows: ~(c.discipline_active[rows] >= 1)))
    if pool.max_age is not None:
        limit = pool.max_age
        rules.append((f"younger than {limit:g}", _younger_rule(limit)))
    if pool.outside_hometown:
        rules.append((f"hometown outside {pool.province}", _outside_rule(pool.province)))
    if pool.requires_party_member:
        rules.append(("Party member (explicit standard)", _party_rule))
    return rules


def _service_by(year: int, floor: float) -> Predicate:
    def served(c: Candidates, rows: np.ndarray) -> np.ndarray:
        ahead = max(0.0, float(year - c.as_of.year))
        return np.asarray(c.tenure_years[rows] + ahead >= floor)  # NaN compares False

    return served


def _younger_rule(limit: float) -> Predicate:
    def younger(c: Candidates, rows: np.ndarray) -> np.ndarray:
        born_after = (c.as_of - pd.DateOffset(years=int(limit))).to_datetime64()
        return np.asarray(c.birth[rows] > born_after)  # NaT (unknown) compares False

    return younger


def _party_rule(c: Candidates, rows: np.ndarray) -> np.ndarray:
    return np.asarray(c.party_member[rows] == 1)


def _edu(c: Candidates) -> np.ndarray:
    return c.education


def _language_rule(code: str, level: int) -> Predicate:
    return lambda c, rows: c.language_level(code)[rows] >= level


def _outside_rule(province: str | None) -> Predicate:
    def outside(c: Candidates, rows: np.ndarray) -> np.ndarray:
        return c.hometown_outside(province, rows)

    return outside


def scope_name(pool: PoolSpec) -> str:
    """The scope as a readable rule (ScopeIndex applies it)."""
    if pool.scope == "org_subtree":
        return f"works in the unit {pool.org_id} or below"
    if pool.scope == "province":
        return f"works in province {pool.province}"
    if pool.population == "any":
        return "internal cadre or external candidate"
    return "internal cadre" if pool.population == "internal" else "external candidate"


def _rows_by_key(values: np.ndarray) -> dict[object, np.ndarray]:
    """Row indices of each distinct non-missing value, sorted (one argsort for all keys)."""
    known = np.flatnonzero(pd.notna(values))
    if len(known) == 0:
        return {}
    codes, uniques = pd.factorize(pd.Series(values[known], dtype=object))
    order = np.argsort(codes, kind="stable")
    bounds = np.flatnonzero(np.diff(codes[order])) + 1
    return dict(zip(uniques, np.split(known[order], bounds), strict=True))


class ScopeIndex:
    """Row indices of each scope, built once per night: provinces, units, subtrees."""

    def __init__(self, candidates: Candidates, organizations: pd.DataFrame) -> None:
        internal = np.asarray(candidates.population == "internal")
        nobody = np.full(candidates.n, None, dtype=object)
        self.internal = np.flatnonzero(internal)
        self.external = np.flatnonzero(~internal)
        self.everyone = np.arange(candidates.n)
        self.by_province = _rows_by_key(np.where(internal, candidates.province, nobody))
        self.by_org = _rows_by_key(np.where(internal, candidates.org_id, nobody))
        children: dict[str, list[str]] = {}
        for org, parent in zip(
            organizations["org_id"].astype(str), organizations["parent_id"], strict=True
        ):
            if pd.notna(parent):
                children.setdefault(str(parent), []).append(org)
        self.children = children
        self._subtree_cache: dict[str, np.ndarray] = {}

    def subtree_orgs(self, org_id: str) -> list[str]:
        found, stack = [], [org_id]
        while stack:
            org = stack.pop()
            found.append(org)
            stack.extend(self.children.get(org, ()))
        return found

    def rows(self, pool: PoolSpec) -> np.ndarray:
        if pool.scope == "org_subtree":
            assert pool.org_id is not None, f"{pool.pool_id}: org_subtree scope needs an org_id"
            if pool.org_id not in self._subtree_cache:
                orgs = self.subtree_orgs(pool.org_id)
                parts = [self.by_org[o] for o in orgs if o in self.by_org]
                self._subtree_cache[pool.org_id] = (
                    np.sort(np.concatenate(parts)) if parts else np.empty(0, dtype=np.int64)
                )
            return self._subtree_cache[pool.org_id]
        if pool.scope == "province":
            return self.by_province.get(pool.province, np.empty(0, dtype=np.int64))
        if pool.population == "external":
            return self.external
        return self.everyone if pool.population == "any" else self.internal


def eligible_rows(pool: PoolSpec, candidates: Candidates, index: ScopeIndex) -> np.ndarray:
    """Row indices of the candidates who meet every rule of the pool."""
    rows = index.rows(pool)
    for _, predicate in standard_rules(pool):
        if len(rows) == 0:
            break
        rows = rows[predicate(candidates, rows)]
    return rows


def rule_checks_of(
    pool: PoolSpec, candidates: Candidates, index: ScopeIndex, rows: np.ndarray
) -> list[tuple[str, np.ndarray]]:
    """Every rule of the pool (scope first) with whether each of ``rows`` meets it."""
    rows = np.asarray(rows, dtype=np.int64)
    checks = [(scope_name(pool), np.isin(rows, index.rows(pool)))]
    checks += [(name, predicate(candidates, rows)) for name, predicate in standard_rules(pool)]
    return checks


def failed_rules_of(
    pool: PoolSpec, candidates: Candidates, index: ScopeIndex, rows: np.ndarray
) -> list[list[str]]:
    """The rules each of ``rows`` does not meet (an empty list: eligible), one pass per rule."""
    checks = rule_checks_of(pool, candidates, index, rows)
    return [[name for name, met in checks if not met[i]] for i in range(len(rows))]


def failed_rules(pool: PoolSpec, candidates: Candidates, index: ScopeIndex, row: int) -> list[str]:
    """The rules one candidate does not meet (empty: eligible)."""
    return failed_rules_of(pool, candidates, index, np.array([row]))[0]


def rule_checks(
    pool: PoolSpec, candidates: Candidates, index: ScopeIndex, row: int
) -> list[tuple[str, bool]]:
    """Rule by rule, whether one candidate meets it (scope first, in the pool's order)."""
    return [
        (name, bool(met[0]))
        for name, met in rule_checks_of(pool, candidates, index, np.array([row]))
    ]


def rule_names(pool: PoolSpec) -> list[str]:
    return [scope_name(pool)] + [name for name, _ in standard_rules(pool)] + list(pool.notes)
