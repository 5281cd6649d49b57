"""Merit measures of a night against a known truth, checked on hand-made nights whose every
figure is computed here by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from models.merit_audit import merit_report

POOLS = pd.DataFrame(
    {"pool_id": ["A", "B"], "places": [4, 4], "eligible_high": [0.5, 0.25],
     "seniority_high": [0.25, 0.0]}
)  # fmt: skip


def _people(rows: list[tuple[str, bool, str, bool]]) -> pd.DataFrame:
    """(person, truly high, party group, eligible) -> a night's people."""
    return pd.DataFrame(
        {
            "person_id": [r[0] for r in rows],
            "high": [r[1] for r in rows],
            "potential": range(len(rows)),
            "population": "internal",
            "score": 0.5,
            "party_member": [r[2] for r in rows],
            "gender": "male",
            "nationality_vn": "VN",
            "age_band": "40-49",
            "eligible": [r[3] for r in rows],
        }
    )


def _ratio(report, measure: str, column: str = "party_member"):  # type: ignore[no-untyped-def]
    (found,) = [r for r in report.ratios if r.measure == measure and r.column == column]
    return found


def test_a_group_listed_only_in_a_thin_pool_is_not_held_to_a_lower_bar() -> None:
    """Pool A is rich in talent and lists members only; pool B, thin, lists both groups at
    the same precision. Crude precision: members 4/4 + 1/2 = 5/6, non-members 1/2; pool by
    pool the two groups are equal (Mantel-Haenszel ratio 1)."""
    people = _people(
        [(f"m{i}", True, "member", True) for i in range(5)]
        + [("m5", False, "member", True)]
        + [("n0", True, "non-member", True), ("n1", False, "non-member", True)]
    )
    places = pd.DataFrame(
        {
            "person_id": ["m0", "m1", "m2", "m3", "m4", "m5", "n0", "n1"],
            "pool_id": ["A"] * 4 + ["B"] * 4,
            "young_pool": False,
        }
    )
    report = merit_report(people, places, POOLS, min_group=1)
    crude = _ratio(report, "precision")
    assert crude.group_rate == pytest.approx(0.5) and crude.reference_rate == pytest.approx(5 / 6)
    assert crude.value == pytest.approx(0.6)
    within = _ratio(report, "within_pool_precision")
    assert within.value == pytest.approx(1.0)
    assert (within.group_n, within.reference_n) == (2, 2)  # pool B only: A lists one group
    assert report.precision == pytest.approx(6 / 8)
    assert report.random_precision == pytest.approx(0.375)


def test_mantel_haenszel_over_two_pools() -> None:
    """Pool A: non-members 1 high of 2, members 2 of 2; pool B: non-members 1 of 1, members
    1 of 3. MH = (1*2/4 + 1*3/4) / (2*2/4 + 1*1/4) = 1.25 / 1.25 = 1."""
    rows = [("a1", True, "non-member"), ("a2", False, "non-member"), ("a3", True, "member"),
            ("a4", True, "member"), ("b1", True, "non-member"), ("b2", True, "member"),
            ("b3", False, "member"), ("b4", False, "member")]  # fmt: skip
    people = _people([(p, h, g, True) for p, h, g in rows])
    places = pd.DataFrame(
        {"person_id": [r[0] for r in rows], "pool_id": list("AAAABBBB"), "young_pool": False}
    )
    within = _ratio(merit_report(people, places, POOLS, min_group=1), "within_pool_precision")
    assert within.value == pytest.approx(1.0)
    # Pool B's member made high: MH = (0.5 + 0.75) / (1 + 2 * 1 / 4) = 1.25 / 1.5
    people.loc[people["person_id"] == "b3", "high"] = True
    within = _ratio(merit_report(people, places, POOLS, min_group=1), "within_pool_precision")
    assert within.value == pytest.approx(1.25 / 1.5)


def test_eligible_opportunity_leaves_out_who_no_pool_admits() -> None:
    """Members: 4 truly high, 2 admitted by a pool, 1 listed (opportunity 1/4, 1/2 if
    eligible); non-members: 2 truly high, both admitted, 1 listed (1/2 either way)."""
    people = _people(
        [("m0", True, "member", True), ("m1", True, "member", True),
         ("m2", True, "member", False), ("m3", True, "member", False),
         ("n0", True, "non-member", True), ("n1", True, "non-member", True)]
    )  # fmt: skip
    places = pd.DataFrame({"person_id": ["m0", "n0"], "pool_id": ["A", "A"], "young_pool": False})
    report = merit_report(people, places, POOLS, min_group=1)
    assert _ratio(report, "opportunity").value == pytest.approx(0.5)
    eligible = _ratio(report, "eligible_opportunity")
    assert (eligible.group_rate, eligible.reference_rate) == (0.5, 0.5)
    assert eligible.value == pytest.approx(1.0)
    assert (eligible.group_n, eligible.reference_n) == (2, 2)


def test_small_groups_are_reported_but_not_judged() -> None:
    people = _people([("m0", True, "member", True), ("n0", True, "non-member", True)])
    places = pd.DataFrame({"person_id": ["m0", "n0"], "pool_id": ["A", "A"], "young_pool": False})
    report = merit_report(people, places, POOLS, min_group=20)
    assert all(r.value is None for r in report.ratios)
    assert _ratio(report, "within_pool_precision").group_n == 1
