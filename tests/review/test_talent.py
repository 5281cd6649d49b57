"""The 9-box bins against hand counts, and the pages over the tiny world (bench strength:
test_readiness.py)."""

from __future__ import annotations

import re
from collections.abc import Callable

import httpx
import pandas as pd

from hientai_app.review import talent


def test_latest_rating_is_the_last_rated_year_before_the_night() -> None:
    evaluations = pd.DataFrame(
        {"person_id": ["a", "a", "a", "b", "b"], "year": [2022, 2024, 2026, 2023, 2024],
         "rating": ["good", "excellent", "completed", "completed", None]}
    )  # fmt: skip
    latest = talent.latest_ratings(evaluations, before_year=2026)
    assert latest.to_dict() == {"a": "excellent", "b": "completed"}


def test_ninebox_matches_a_hand_count() -> None:
    people = pd.DataFrame(
        {"person_id": list("abcdefg"), "full_name": list("ABCDEFG"),
         "current_org_id": ["X", "X", "X", "Y", "Y", None, "Y"]}
    )  # fmt: skip
    scores = pd.DataFrame(
        {"person_id": list("abcdefg"), "score": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.9]}
    )
    ratings = pd.Series(
        {"a": "excellent", "b": "good", "c": "completed", "d": "excellent", "g": "good"}
    )
    frame = talent.workforce(people, ratings, scores).set_index("person_id")
    assert "f" not in frame.index  # no unit: not in any organisation's grid
    # tertiles of the seven scores: 0.3 and 0.5 (numpy linear interpolation)
    expected_potential = {"a": 0, "b": 0, "c": 1, "d": 1, "e": 2, "g": 2}
    assert frame["potential"].to_dict() == expected_potential
    assert frame.loc["e", "performance"] == -1  # never rated
    grid = talent.ninebox(frame)
    hand = {(2, 0): 1, (1, 0): 1, (0, 1): 1, (2, 1): 1, (1, 2): 1}
    assert grid == {cell: hand.get(cell, 0) for cell in grid} and len(grid) == 9


def test_ninebox_page_counts_and_cells(client_for: Callable[[str], httpx.Client]) -> None:
    client = client_for("planner-p1")
    page = client.get("/ninebox")
    # tiny_tables: 18 internal people, all rated in 2024; P008 works in C1, the rest in P1 or X1.
    assert page.status_code == 200 and "17 " in page.text
    cells = [int(n) for n in re.findall(r"perf=\d&pot=\d\">(\d+)<", page.text)]
    assert sum(cells) == 17
    cell = client.get("/ninebox", params={"org": "X1", "perf": 2, "pot": 2})
    assert cell.status_code == 200
    assert client.get("/ninebox", params={"org": "C1"}).status_code == 404  # outside P1
    assert client.get("/ninebox", params={"org": "nowhere"}).status_code == 404


def test_runs_page_shows_trends_over_nights(client_for: Callable[[str], httpx.Client]) -> None:
    page = client_for("scientist").get("/runs", params={"lang": "en"})
    assert page.status_code == 200 and "Trends over nights" in page.text
    # both nights: shortlisted scores 0.8, 0.7, 0.6 in every pool; whole-run ratio 0.5
    assert page.text.count('<td class="num">0.700</td>') == 2
    assert page.text.count('<td class="num">0.50</td>') >= 2
    assert re.search(r'<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"', page.text)
