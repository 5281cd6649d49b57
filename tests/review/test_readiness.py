"""The model's readiness proposal: the rule against a hand-written table, bench strength against
a hand count (a planner's decision overrides the proposal), and both through the pages.

The pages are read on the world's previous night, on which no other test records decisions,
so the counts here are exact."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pytest
from pydantic import ValidationError

from hientai.settings import ReviewSettings
from hientai_app.review.readiness import bench, check_percentiles, propose_readiness
from tests.review.conftest import csrf_of
from tests.review.world import PREVIOUS

LIST = f"/shortlists/{PREVIOUS}/slot-X1"


@pytest.mark.parametrize(
    ("in_shortlist", "percentile", "expected"),
    [
        (True, 100.0, "ready_now"),
        (True, 90.0, "ready_now"),  # the boundary belongs to "now"
        (True, 89.9, "ready_1_2_years"),
        (True, 10.0, "ready_1_2_years"),  # on the list: never "later"
        (False, 99.0, "ready_1_2_years"),  # off the list: never "now"
        (False, 75.0, "ready_1_2_years"),
        (False, 74.9, "ready_later"),
        (False, 0.0, "ready_later"),
    ],
)
def test_the_proposal_follows_the_documented_rule(
    in_shortlist: bool, percentile: float, expected: str
) -> None:
    proposed = propose_readiness(
        in_shortlist, percentile, now_percentile=90.0, soon_percentile=75.0
    )
    assert proposed == expected


def test_percentiles_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="'ready now' needs at least"):
        check_percentiles(70.0, 80.0)
    with pytest.raises(ValidationError, match="must not exceed"):
        ReviewSettings(readiness_now_percentile=70.0, readiness_soon_percentile=80.0)


def test_a_decision_overrides_the_proposal_in_bench_strength() -> None:
    proposed = {
        "p": {"a": "ready_now", "b": "ready_now", "c": "ready_1_2_years", "d": "ready_later"},
        "q": {"e": "ready_now"},
    }
    latest = [
        {"pool_id": "p", "person_id": "a", "decision": "nominate", "readiness": "ready_later"},
        {"pool_id": "p", "person_id": "c", "decision": "not_now", "readiness": None},
        {"pool_id": "p", "person_id": "z", "decision": "needs_info", "readiness": None},
        {"pool_id": "gone", "person_id": "a", "decision": "not_now", "readiness": None},
    ]
    table = bench(proposed, latest)
    # a: decided later (not proposed now); b: proposed now; c: not now; d: proposed later;
    # z: qualified but off the shortlist, decided "needs information".
    assert table["p"] == {
        "ready_now_decided": 0, "ready_now_proposed": 1, "ready_now": 1,
        "ready_1_2_years_decided": 0, "ready_1_2_years_proposed": 0, "ready_1_2_years": 0,
        "ready_later_decided": 1, "ready_later_proposed": 1, "ready_later": 2,
        "not_now": 1, "needs_info": 1, "decided": 3, "proposed": 2,
    }  # fmt: skip
    assert table["q"]["ready_now_proposed"] == 1 and table["q"]["decided"] == 0
    assert "gone" not in table


def _readiness_cells(html: str) -> dict[str, tuple[str, str | None]]:
    """person -> (proposed, decided or None) from the shortlist page's rows."""
    found = {}
    for person, cell in re.findall(r'<tr id="p-(P\d+)".*?<td class="readiness">(.*?)</td>', html,
                                   flags=re.S):  # fmt: skip
        proposed = re.search(r'data-proposed="(\w+)"', cell)
        decided = re.search(r'data-decided="(\w+)"', cell)
        assert proposed, f"{person}: no proposal on the page"
        found[person] = (proposed.group(1), decided.group(1) if decided else None)
    return found


def _bench_row(html: str, pool_id: str) -> dict[str, str]:
    row = re.search(rf'<tr id="bench-{pool_id}">(.*?)</tr>', html, flags=re.S)
    assert row, f"no bench row for {pool_id}"
    cells = re.findall(r'data-readiness="(\w+)">(\d+) <span class="muted">\((\d+) \+ (\d+)\)',
                       row.group(1))  # fmt: skip
    return {key: f"{total}={decided}+{proposed}" for key, total, decided, proposed in cells}


def _sources(html: str) -> tuple[int, int]:
    """(counts from decisions, counts from proposals) as the bench page states them."""
    said = re.search(r"On this page: (\d+) counts from planners.*? (\d+) from the model", html)
    assert said, "the bench page does not say where its counts come from"
    return int(said.group(1)), int(said.group(2))


def test_pages_show_proposed_and_decided_and_bench_counts_both(
    client_for: Callable[[str], httpx.Client],
) -> None:
    client = client_for("planner")
    page = client.get(LIST, params={"lang": "en"})
    assert page.status_code == 200
    assert "proposed: ready now" in page.text
    # slot-X1: ranks 1-5 are P003..P007 at percentiles 95, 90, 85, 80, 75; ranks 1-3 listed.
    assert _readiness_cells(page.text) == {
        "P003": ("ready_now", None), "P004": ("ready_now", None),
        "P005": ("ready_1_2_years", None), "P006": ("ready_1_2_years", None),
        "P007": ("ready_1_2_years", None),
    }  # fmt: skip
    before = client.get("/bench", params={"night": PREVIOUS, "lang": "en"}).text
    assert _bench_row(before, "slot-X1") == {
        "ready_now": "2=0+2", "ready_1_2_years": "1=0+1", "ready_later": "0=0+0",
    }  # fmt: skip
    assert _sources(before) == (0, 9)  # three lists with a bench, three listed on each

    form = {"person_id": "P003", "decision": "nominate", "readiness": "ready_later",
            "reason": "a term as deputy first", "csrf_token": csrf_of(page.text)}  # fmt: skip
    assert client.post(f"{LIST}/decide", data=form).status_code == 303

    after_list = client.get(LIST, params={"lang": "en"}).text
    assert _readiness_cells(after_list)["P003"] == ("ready_now", "ready_later")
    assert "decided: ready later" in after_list
    after = client.get("/bench", params={"night": PREVIOUS, "lang": "en"}).text
    assert _bench_row(after, "slot-X1") == {
        "ready_now": "1=0+1", "ready_1_2_years": "1=0+1", "ready_later": "1=1+0",
    }  # fmt: skip
    assert _sources(after) == (1, 8)
    assert "Nguồn cán bộ trẻ" not in after  # standing pools have no bench
