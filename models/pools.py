"""The night's pools: planning slots, vacant leadership posts and the standing pools.

Each pool carries the title standards of its post or slot (from the positions table), the
age window of young-cadre planning slots (the slot's own, else the configured default), the
rotation rule (flagged posts, and the configured titles at the configured unit levels) and a
candidate scope. Party membership becomes a rule only where a position says
``requires_party_member``; ``party_rules`` lists every such pool so that each run reports them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from models.eligibility import (
    Candidates,
    PoolSpec,
    ScopeIndex,
    parse_languages,
    rule_names,
    scope_name,
    standard_rules,
)

NO_ROTATION = "rotation rule not applied: the post's unit has no province"
COURSES_AS_NEEDS = (
    "{courses}: a need to meet before appointment, not an exclusion (a planning pool: "
    "planning is where cadres are trained; nightly.planning_course_standards)"
)
# Why a pool is empty tonight: said in the published pool and by `hientai explain`.
NOBODY_ELIGIBLE = "nobody is eligible tonight: {why}"
NOBODY_ELIGIBLE_FOR = "nobody is eligible for {pool} tonight: {why}"
NOBODY_IN_SCOPE = "no one meets the scope ({scope})"
IN_SCOPE = "of the {n:,} in scope ({scope}), {steps}"


@dataclass(frozen=True)
class PoolOptions:
    k: int = 10
    young_max_age: float | None = 40
    include_filled_posts: bool = False
    rotation_titles: tuple[str, ...] = ("party_secretary", "committee_chair")
    rotation_levels: tuple[str, ...] = ("province",)
    no_active_discipline: bool = True
    planning_course_standards: Literal["required", "development"] = "development"
    planning_service_by: Literal["as_of", "term_end"] = "term_end"


def _course_note(row: Any, standards: str) -> tuple[str, ...]:
    """The planning pool's course standards turned into development needs, said in its rules."""
    if standards != "development":
        return ()
    courses = [
        f"{name} at least {level}"
        for name, level in (
            ("political theory", _text(row.min_political_theory)),
            ("state management", _text(row.min_state_management)),
        )
        if level
    ]
    return (COURSES_AS_NEEDS.format(courses="; ".join(courses)),) if courses else ()


def _term_end(row: Any) -> int | None:
    """The last year of a planning term written 'YYYY-YYYY' (or 'YYYY'); None otherwise."""
    term = _text(getattr(row, "planning_term", None))
    found = re.findall(r"\d{4}", term or "")
    return int(found[-1]) if found else None


def _text(value: object) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def position_pools(
    positions: pd.DataFrame, organizations: pd.DataFrame, *, options: PoolOptions
) -> list[PoolSpec]:
    """One pool per planning slot and per vacant (or, on request, any) leadership post."""
    orgs = organizations.assign(org_id=organizations["org_id"].astype(str)).set_index("org_id")
    vacant = positions["vacant"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    slot = (positions["kind"].astype(str) == "planning_slot").to_numpy()
    chosen = positions.loc[slot | vacant | options.include_filled_posts]
    pools = []
    for row in chosen.itertuples(index=False):
        org = str(row.org_id)
        level = _text(orgs["level"].get(org))
        province = _text(orgs["province_code"].get(org))
        is_slot = str(row.kind) == "planning_slot"
        standards = options.planning_course_standards
        by_term_end = options.planning_service_by == "term_end"
        max_age = _number(row.max_age)
        flagged = row.requires_outside_hometown
        rotation = bool(flagged) if pd.notna(flagged) else False
        rotation |= str(row.title_code) in options.rotation_titles and (
            level in options.rotation_levels
        )
        scope = str(row.candidate_scope) if pd.notna(row.candidate_scope) else "national"
        pools.append(
            PoolSpec(
                pool_id=str(row.position_id),
                kind="planning_slot" if is_slot else "leadership_post",
                title=str(row.title),
                scope=scope,  # type: ignore[arg-type]
                k=options.k,
                position_id=str(row.position_id),
                org_id=org,
                province=province,
                title_code=_text(row.title_code),
                population="any" if scope == "external_allowed" else "internal",
                min_education=_text(row.min_education),
                min_political_theory=_text(row.min_political_theory),
                min_state_management=_text(row.min_state_management),
                min_years_service=_number(row.min_years_service),
                service_by_year=_term_end(row) if is_slot and by_term_end else None,
                required_languages=parse_languages(row.required_languages),
                max_age=max_age if max_age is not None or not is_slot else options.young_max_age,
                outside_hometown=rotation and province is not None,
                notes=((NO_ROTATION,) if rotation and province is None else ())
                + (_course_note(row, standards) if is_slot else ()),
                course_standards=standards if is_slot else "required",
                requires_party_member=bool(row.requires_party_member)
                if pd.notna(row.requires_party_member)
                else False,
                no_active_discipline=options.no_active_discipline,
            )
        )
    return pools


def standing_pools(
    configured: Sequence[dict[str, object]], *, options: PoolOptions
) -> list[PoolSpec]:
    """Standing pools from configuration (national young talent, external talent, ...)."""
    pools = []
    for entry in configured:
        population = str(entry.get("population", "internal"))
        years = entry.get("min_years_service")
        pools.append(
            PoolSpec(
                pool_id=str(entry["pool_id"]),
                kind="standing",
                title=str(entry["title"]),
                scope="external_allowed" if population != "internal" else "national",
                k=int(entry.get("k") or options.k),  # type: ignore[call-overload]
                population=population,  # type: ignore[arg-type]
                min_education=_text(entry.get("min_education")),
                min_political_theory=_text(entry.get("min_political_theory")),
                min_state_management=_text(entry.get("min_state_management")),
                min_years_service=None if years is None else float(years),  # type: ignore[arg-type]
                required_languages=parse_languages(entry.get("required_languages")),
                max_age=_number(entry.get("max_age")),
                requires_party_member=bool(entry.get("requires_party_member", False)),
                no_active_discipline=options.no_active_discipline,
            )
        )
    return pools


def party_rules(pools: Sequence[PoolSpec]) -> list[str]:
    """Every eligibility rule of the night that uses Party membership (nationality: never)."""
    return [
        f"{p.pool_id} ({p.title}): Party membership required by the position's standard"
        for p in pools
        if p.requires_party_member
    ]


def check_unique(pools: Sequence[PoolSpec]) -> None:
    ids = pd.Series([p.pool_id for p in pools])
    dupes = sorted(ids[ids.duplicated()].unique())
    if dupes:
        raise ValueError(
            f"pool ids must be unique; {dupes} appear twice (a standing pool in conf "
            "nightly.standing_pools shares an id with a position?)"
        )


def why_nobody_eligible(pool: PoolSpec, candidates: Candidates, index: ScopeIndex) -> str:
    """Which rules leave a pool empty: the scope if no one is in it; else the rules that no one
    in scope meets on their own; else how many remain after each rule, up to the first that
    leaves no one (each rule alone lets someone through, together they do not)."""
    scope, rows = scope_name(pool), index.rows(pool)
    if len(rows) == 0:
        return NOBODY_IN_SCOPE.format(scope=scope)
    rules = [(name, predicate(candidates, rows)) for name, predicate in standard_rules(pool)]
    steps = [f"none meets '{name}'" for name, met in rules if not met.any()]
    if not steps:
        left = np.ones(len(rows), dtype=bool)
        for name, met in rules:
            left &= met
            steps.append(f"{int(left.sum()):,} left after '{name}'")
            if not left.any():
                break
    return IN_SCOPE.format(n=len(rows), scope=scope, steps="; ".join(steps))


def pools_frame(
    pools: Sequence[PoolSpec],
    eligible: np.ndarray,
    qualified: np.ndarray,
    *,
    empty_notes: dict[str, str] | None = None,
) -> pd.DataFrame:
    """The published pools table (docs/nightly-frames.md); a pool with nobody eligible says
    why at the end of its rules (``empty_notes``: pool id -> ``why_nobody_eligible``)."""
    notes = empty_notes or {}

    def rules(pool: PoolSpec) -> str:
        why = notes.get(pool.pool_id)
        said = rule_names(pool) + ([NOBODY_ELIGIBLE.format(why=why)] if why else [])
        return json.dumps(said, ensure_ascii=False)

    return pd.DataFrame(
        {
            "pool_id": [p.pool_id for p in pools],
            "kind": [p.kind for p in pools],
            "position_id": [p.position_id for p in pools],
            "org_id": [p.org_id for p in pools],
            "province": [p.province for p in pools],
            "title": [p.title for p in pools],
            "title_code": [p.title_code for p in pools],
            "scope": [p.scope for p in pools],
            "k": [p.k for p in pools],
            "n_eligible": eligible.astype(int),
            "n_qualified": qualified.astype(int),
            "max_age": [p.max_age for p in pools],
            "rules": [rules(p) for p in pools],
            "party_rule": [p.requires_party_member for p in pools],
        }
    )
