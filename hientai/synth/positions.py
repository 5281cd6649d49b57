"""Leadership posts and planning slots of every unit, with their title standards.

Tier 1 is the head of a unit (minister, director, party secretary, committee chair); tier 2 the
deputies and council chairs. Party membership is never a standard (requires_party_member is
False everywhere); the provinces' party secretary and committee chair must come from outside the
province (requires_outside_hometown), as the cadre-rotation rules say.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hientai.contract import vocab as v
from hientai.synth import orgs as o

TIER_HEAD, TIER_DEPUTY = 1, 2
LEADERSHIP_POST, PLANNING_SLOT = 0, 1


@dataclass(frozen=True)
class _Standard:
    min_education: str
    min_political_theory: str
    min_state_management: str
    min_years_service: int
    candidate_scope: str


# Title standard by (unit kind, tier).
_STANDARDS: dict[tuple[int, int], _Standard] = {
    (o.MINISTRY, 1): _Standard("master", "advanced", "senior_specialist", 20, "national"),
    (o.MINISTRY, 2): _Standard("master", "advanced", "senior_specialist", 15, "national"),
    (o.CENTRAL_DEPT, 1): _Standard("bachelor", "advanced", "principal_specialist", 10, "national"),
    (o.CENTRAL_DEPT, 2): _Standard(
        "bachelor", "advanced", "principal_specialist", 7, "org_subtree"
    ),
    (o.CENTRAL_SUB, 1): _Standard("bachelor", "intermediate", "specialist", 5, "org_subtree"),
    (o.CENTRAL_SUB, 2): _Standard("bachelor", "intermediate", "specialist", 3, "org_subtree"),
    (o.PROVINCE, 1): _Standard("bachelor", "advanced", "senior_specialist", 15, "national"),
    (o.PROVINCE, 2): _Standard("bachelor", "advanced", "principal_specialist", 12, "province"),
    (o.PROVINCE_DEPT, 1): _Standard(
        "bachelor", "advanced", "principal_specialist", 10, "province"
    ),
    (o.PROVINCE_DEPT, 2): _Standard("bachelor", "advanced", "principal_specialist", 7, "province"),
    (o.PROVINCE_SUB, 1): _Standard("bachelor", "intermediate", "specialist", 5, "org_subtree"),
    (o.PROVINCE_SUB, 2): _Standard("bachelor", "intermediate", "specialist", 3, "org_subtree"),
    (o.COMMUNE, 1): _Standard("bachelor", "intermediate", "specialist", 5, "province"),
    (o.COMMUNE, 2): _Standard("bachelor", "intermediate", "specialist", 3, "province"),
}
# (title_code, tier, how many) per unit kind.
_POSTS: dict[int, tuple[tuple[str, int, int], ...]] = {
    o.MINISTRY: (("minister", 1, 1), ("deputy_minister", 2, 4)),
    o.CENTRAL_DEPT: (("director", 1, 1), ("deputy_director", 2, 3)),
    o.CENTRAL_SUB: (("head", 1, 1), ("deputy_head", 2, 2)),
    o.PROVINCE: (
        ("party_secretary", 1, 1),
        ("committee_chair", 1, 1),
        ("deputy_party_secretary", 2, 2),
        ("committee_vice_chair", 2, 3),
        ("council_chair", 2, 1),
    ),
    o.PROVINCE_DEPT: (("director", 1, 1), ("deputy_director", 2, 3)),
    o.PROVINCE_SUB: (("head", 1, 1), ("deputy_head", 2, 2)),
    o.COMMUNE: (
        ("party_secretary", 1, 1),
        ("committee_chair", 1, 1),
        ("deputy_party_secretary", 2, 1),
        ("committee_vice_chair", 2, 2),
        ("council_chair", 2, 1),
    ),
}
# Planning slots (young-cadre pools): (title_code, tier, max_age) per unit kind.
_SLOTS: dict[int, tuple[tuple[str, int, int], ...]] = {
    o.MINISTRY: (("deputy_minister", 2, 50),),
    o.CENTRAL_DEPT: (("director", 1, 45),),
    o.PROVINCE: (("party_secretary", 1, 50), ("committee_chair", 1, 50)),
    o.PROVINCE_DEPT: (("director", 1, 45),),
    o.COMMUNE: (("committee_chair", 1, 40),),
}
_OUTSIDE_HOMETOWN_TITLES = ("party_secretary", "committee_chair")
_EXTERNAL_TALENT_UNITS = ("Khoa học", "Chuyển đổi số")
_LANGUAGE_UNITS = ("Ngoại giao", "Ngoại vụ", "Hợp tác quốc tế")


@dataclass(frozen=True)
class Positions:
    """Posts and slots as parallel arrays; rows with kind LEADERSHIP_POST can be held."""

    position_id: list[str]
    org: np.ndarray  # int32 unit number
    title: list[str]
    title_code: np.ndarray  # int8 code into vocab.TITLE_CODES
    tier: np.ndarray  # int8
    kind: np.ndarray  # int8
    outside_hometown: np.ndarray  # bool
    standard: list[_Standard]
    max_age: np.ndarray  # int16, -1 for none
    required_languages: list[str | None]
    planning_term: str

    def __len__(self) -> int:
        return len(self.position_id)

    @property
    def is_post(self) -> np.ndarray:
        return self.kind == LEADERSHIP_POST


def _head_words(kind: int, unit_name: str) -> tuple[str, str]:
    """The head and deputy titles of a department or sub-unit, from the unit's name."""
    for prefix, head in (
        ("Văn phòng", "Chánh Văn phòng"),
        ("Thanh tra", "Chánh Thanh tra"),
        ("Chi cục", "Chi cục trưởng"),
        ("Cục", "Cục trưởng"),
        ("Vụ", "Vụ trưởng"),
        ("Sở", "Giám đốc Sở"),
        ("Phòng", "Trưởng phòng"),
    ):
        if unit_name.startswith(prefix):
            return head, f"Phó {head}"
    return "Thủ trưởng", "Phó Thủ trưởng"


def _title(kind: int, title_code: str, unit_name: str) -> str:
    if kind == o.MINISTRY:
        head = "Bộ trưởng" if unit_name.startswith("Bộ") else "Thủ trưởng cơ quan ngang bộ"
        return head if title_code == "minister" else f"Phó {head}".replace("Phó Bộ", "Thứ")
    if kind in (o.PROVINCE, o.COMMUNE):
        place = unit_name.removeprefix("Ủy ban nhân dân ").split(" ")[0]
        if kind == o.PROVINCE:
            party = "Thành ủy" if place == "thành" else "Tỉnh ủy"
            place = "thành phố" if place == "thành" else "tỉnh"
        else:
            place = place.lower()
            party = f"Đảng ủy {place}"
        return {
            "party_secretary": f"Bí thư {party}",
            "deputy_party_secretary": f"Phó Bí thư {party}",
            "committee_chair": f"Chủ tịch Ủy ban nhân dân {place}",
            "committee_vice_chair": f"Phó Chủ tịch Ủy ban nhân dân {place}",
            "council_chair": f"Chủ tịch Hội đồng nhân dân {place}",
        }[title_code]
    head, deputy = _head_words(kind, unit_name)
    return head if title_code in ("director", "head") else deputy


@dataclass(frozen=True)
class _Row:
    position_id: str
    unit: int
    title: str
    title_code: str
    tier: int
    kind: int
    outside_hometown: bool
    standard: _Standard
    max_age: int
    languages: str | None


def _unit_posts(orgs: o.Orgs, unit: int, languages: str | None) -> list[_Row]:
    kind, name = int(orgs.kind[unit]), orgs.name[unit]
    talent = any(w in name for w in _EXTERNAL_TALENT_UNITS)
    rows: list[_Row] = []
    for code, tier, count in _POSTS[kind]:
        standard = _STANDARDS[(kind, tier)]
        if talent and tier == TIER_DEPUTY:
            standard = _Standard(**{**standard.__dict__, "candidate_scope": "external_allowed"})
        outside = kind == o.PROVINCE and code in _OUTSIDE_HOMETOWN_TITLES
        title = _title(kind, code, name)
        for _ in range(count):
            post_id = f"{orgs.org_id[unit]}-CV{len(rows) + 1:02d}"
            rows.append(
                _Row(
                    post_id,
                    unit,
                    title,
                    code,
                    tier,
                    LEADERSHIP_POST,
                    outside,
                    standard,
                    -1,
                    languages,
                )
            )
    return rows


def _unit_slots(orgs: o.Orgs, unit: int, languages: str | None) -> list[_Row]:
    kind, name = int(orgs.kind[unit]), orgs.name[unit]
    rows: list[_Row] = []
    for number, (code, tier, max_age) in enumerate(_SLOTS.get(kind, ()), start=1):
        outside = kind == o.PROVINCE and code in _OUTSIDE_HOMETOWN_TITLES
        title = f"Quy hoạch {_title(kind, code, name)}"
        slot_id = f"{orgs.org_id[unit]}-QH{number:02d}"
        standard = _STANDARDS[(kind, tier)]
        rows.append(
            _Row(
                slot_id,
                unit,
                title,
                code,
                tier,
                PLANNING_SLOT,
                outside,
                standard,
                max_age,
                languages,
            )
        )
    return rows


def _unit_rows(orgs: o.Orgs, unit: int) -> list[_Row]:
    """The unit's posts, then its planning slots; language standards for diplomatic units."""
    names = (orgs.name[orgs.top[unit]], orgs.name[unit])
    languages = "en:B2" if any(w in n for w in _LANGUAGE_UNITS for n in names) else None
    return _unit_posts(orgs, unit, languages) + _unit_slots(orgs, unit, languages)


def build_positions(orgs: o.Orgs, *, end_year: int) -> Positions:
    rows = [row for unit in range(len(orgs)) for row in _unit_rows(orgs, unit)]
    return Positions(
        position_id=[r.position_id for r in rows],
        org=np.array([r.unit for r in rows], dtype=np.int32),
        title=[r.title for r in rows],
        title_code=np.array([v.TITLE_CODES.index(r.title_code) for r in rows], dtype=np.int8),
        tier=np.array([r.tier for r in rows], dtype=np.int8),
        kind=np.array([r.kind for r in rows], dtype=np.int8),
        outside_hometown=np.array([r.outside_hometown for r in rows], dtype=bool),
        standard=[r.standard for r in rows],
        max_age=np.array([r.max_age for r in rows], dtype=np.int16),
        required_languages=[r.languages for r in rows],
        planning_term=f"{end_year + 1}-{end_year + 6}",
    )
