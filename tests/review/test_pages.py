"""Pages as a user sees them: hostile text shown inert on every page in both languages,
blind-first review, the decision rules, and the auditor's logged reveal."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable, Iterator

import httpx
import pytest
from markupsafe import escape
from openpyxl import load_workbook

from hientai.settings import Settings
from hientai_app.review import audit, decisions, exports
from hientai_app.review.accounts import add_user
from hientai_app.review.db import ReviewDB
from tests.review.conftest import LiveServer, csrf_of, sign_in
from tests.review.test_authorization import NATIONAL, ROUTES, fill
from tests.review.world import FORMULA, NIGHT, PASSWORD

RAW_HOSTILE = ("<script>alert", "<img src=x", 'onerror="alert')
SHORTLIST = f"/shortlists/{NIGHT}/post-P1-chair"
X1_LIST = f"/shortlists/{NIGHT}/slot-X1"


@pytest.fixture
def fresh(world: Settings, live: LiveServer) -> Iterator[Callable[[str, str], httpx.Client]]:
    """A new national account of a role, signed in (its decisions are its own)."""
    opened: list[httpx.Client] = []

    def make(username: str, role: str) -> httpx.Client:
        add_user(ReviewDB(world.app_db_url), username, role=role, password=PASSWORD,
                 scope_org_id=None, by="test")  # fmt: skip
        opened.append(sign_in(live.url, username))
        return opened[-1]

    yield make
    for client in opened:
        client.close()


def _decide(client: httpx.Client, url: str, **form: str) -> httpx.Response:
    token = csrf_of(client.get(url).text)
    # English, so the refusals read like the constants in hientai_app.review.decisions
    return client.post(f"{url}/decide", data=form | {"csrf_token": token}, params={"lang": "en"})


GET_PAGES = [
    (path, roles)
    for method, path, roles in ROUTES
    if method == "GET" and path != "/" and "export" not in path
]


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(("path", "roles"), GET_PAGES, ids=[p for p, _ in GET_PAGES])
def test_hostile_text_is_inert_on_every_page(
    client_for: Callable[[str], httpx.Client], path: str, roles: frozenset, lang: str
) -> None:
    for role in sorted(roles):
        page = client_for(NATIONAL[role]).get(fill(path, 0), params={"lang": lang})
        assert page.status_code == 200, (role, path, page.text[:300])
        assert page.headers["content-security-policy"].count("script-src 'none'") == 1
        for raw in RAW_HOSTILE:
            assert raw not in page.text, (role, path, raw)
        assert f'<html lang="{lang}">' in page.text


def test_hostile_text_reaches_pages_escaped(client_for: Callable[[str], httpx.Client]) -> None:
    client = client_for("auditor")
    shortlist, person = client.get(SHORTLIST).text, client.get(f"/people/{NIGHT}/P000").text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in shortlist  # title, reasons
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in person  # suggestions


def test_names_are_hidden_until_a_first_assessment(
    fresh: Callable[[str, str], httpx.Client],
) -> None:
    client = fresh("blind-planner", "planner")
    before = client.get(SHORTLIST).text
    assert 'id="blind-note"' in before and "Ứng viên #1" in before
    assert "Nguyễn Văn B" not in before  # P001, rank 2
    assert "Nguyễn Văn B" not in client.get(f"/people/{NIGHT}/P001").text
    answer = _decide(client, SHORTLIST, person_id="P002", decision="needs_info", reason="CV")
    assert answer.status_code == 303
    after = client.get(SHORTLIST).text
    assert 'id="blind-note"' not in after and "Nguyễn Văn B" in after
    assert "Nguyễn Văn B" in client.get(f"/people/{NIGHT}/P001").text
    assert "Nguyễn Văn B" not in client.get(X1_LIST).text  # another list stays blind
    assert 'id="protected"' not in client.get(f"/people/{NIGHT}/P001").text


def test_a_failing_list_needs_a_reason(fresh: Callable[[str, str], httpx.Client]) -> None:
    client = fresh("fair-planner", "planner")
    refused = _decide(client, SHORTLIST, person_id="P003", decision="needs_info")
    assert refused.status_code == 422
    assert str(escape(decisions.REASON_FAIRNESS)) in refused.text
    assert _decide(client, SHORTLIST, person_id="P003", decision="needs_info",
                   reason="check the record").status_code == 303  # fmt: skip


def test_nominating_below_a_passed_over_candidate_needs_a_reason(
    world: Settings, fresh: Callable[[str, str], httpx.Client]
) -> None:
    client = fresh("order-planner", "planner")
    db = ReviewDB(world.app_db_url)
    first, second = "P003", "P004"  # ranks 1 and 2 of slot-X1 (verdict pass)
    assert _decide(client, X1_LIST, person_id=first, decision="not_now").status_code == 303
    refused = _decide(client, X1_LIST, person_id=second, decision="nominate",
                      readiness="ready_now")  # fmt: skip
    assert refused.status_code == 422 and "passed over" in refused.text and first in refused.text
    no_readiness = _decide(client, X1_LIST, person_id=second, decision="nominate", reason="x")
    assert no_readiness.status_code == 422 and "needs a readiness" in no_readiness.text
    done = _decide(client, X1_LIST, person_id=second, decision="nominate",
                   readiness="ready_1_2_years", reason="led the flood response")  # fmt: skip
    assert done.status_code == 303
    stored = decisions.latest_by_person(db, NIGHT, "slot-X1")[second]
    run = db.results.run(NIGHT)
    assert run is not None
    assert (stored["username"], stored["readiness"], stored["run_id"], stored["model_version"]) \
        == ("order-planner", "ready_1_2_years", run["run_id"], "7")  # fmt: skip
    record = next(r for r in audit.recent(db, limit=500) if r["seq"] == stored["audit_seq"])
    assert record["action"] == "decision" and record["detail"]["person_id"] == second
    audit.verify(db)


def test_an_auditor_reveal_is_logged(
    world: Settings, fresh: Callable[[str, str], httpx.Client]
) -> None:
    client = fresh("reveal-auditor", "auditor")
    person = f"/people/{NIGHT}/P001"
    page = client.get(person).text
    assert 'id="protected"' not in page
    token = csrf_of(page)
    shown = client.post(f"{person}/reveal", data={"csrf_token": token, "reason": "complaint 12"})
    assert shown.status_code == 200 and 'id="protected"' in shown.text
    assert re.search(r"Giới tính</th><td>male", shown.text)  # P001 is male in tiny_tables
    records = audit.recent(ReviewDB(world.app_db_url), limit=50)
    mine = [r for r in records if r["username"] == "reveal-auditor" and r["action"] != "signin"]
    assert mine[0]["action"] == "reveal_protected"
    assert mine[0]["object"] == f"{NIGHT}/P001" and mine[0]["detail"] == {"reason": "complaint 12"}
    log = (world.data_dir / "audit" / "protected-access.jsonl").read_text(encoding="utf-8")
    last = json.loads(log.strip().splitlines()[-1])
    assert (last["purpose"], last["reader"]) == ("authorised_review", "reveal-auditor")


def test_exports_neutralise_formulas(
    world: Settings, client_for: Callable[[str], httpx.Client]
) -> None:
    client = client_for("auditor")
    text = client.get(f"{SHORTLIST}/export.csv").content.decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    assert table[0][:4] == ["rank", "rank_model", "person_id", "name"]
    note = table[2][exports.COLUMNS.index("move_note")]
    assert note.startswith("'=HYPERLINK(") and FORMULA in note
    workbook = load_workbook(io.BytesIO(client.get(f"{SHORTLIST}/export.xlsx").content))
    cells = [c for row in workbook["shortlist"].iter_rows() for c in row]
    formula_cells = [c for c in cells if isinstance(c.value, str) and c.value.startswith("=")]
    assert formula_cells and all(c.data_type == "s" for c in formula_cells)
    assert len(workbook["shortlist"]["C"]) == 2 + 5  # title, header, five entries
    records = audit.recent(ReviewDB(world.app_db_url), limit=20)
    exported = [r for r in records if r["action"] == "export"]
    assert {r["detail"]["format"] for r in exported} >= {"csv", "xlsx"}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_letters_in_both_languages(client_for: Callable[[str], httpx.Client], lang: str) -> None:
    client = client_for("auditor")
    page = client.get(f"/letters/{NIGHT}/P001.html", params={"lang": lang})
    assert page.status_code == 200
    assert ("Thư giải thích" if lang == "vi" else "Why you are or are not") in page.text
    assert ("xếp thứ 2 trên 3" if lang == "vi" else "ranked 2 of 3") in page.text
    assert ("học thêm" if lang == "vi" else "train more") in page.text  # a suggestion
    assert f"{NIGHT}/P001" in page.text  # the reference to quote
    for raw in RAW_HOSTILE:
        assert raw not in page.text
    pdf = client.get(f"/letters/{NIGHT}/P001.pdf", params={"lang": lang})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert pdf.headers["content-type"] == "application/pdf"


def test_a_contest_is_logged_and_flags_the_lists(
    world: Settings, fresh: Callable[[str, str], httpx.Client]
) -> None:
    client = fresh("contest-planner", "planner")
    person = f"/people/{NIGHT}/P004"
    token = csrf_of(client.get(person).text)
    answer = client.post(f"{person}/contest", data={"csrf_token": token, "text": "I led X"})
    assert answer.status_code == 303
    record = audit.recent(ReviewDB(world.app_db_url), limit=5)[0]
    assert (record["action"], record["object"]) == ("contest", f"{NIGHT}/P004")
    assert record["detail"]["text"] == "I led X"
    row = client.get(SHORTLIST).text.split('id="p-P004"')[1].split("</tr>")[0]
    assert "đã đề nghị xem xét lại" in row


def test_eligibility_page_checks_scope_and_says_when_it_cannot(
    client_for: Callable[[str], httpx.Client],
) -> None:
    page = client_for("planner").get(
        f"/people/{NIGHT}/P001/eligibility", params={"pool": "slot-X1"}
    )
    # the tiny world's run folder holds scores only, not the features and model it would need
    assert page.status_code == 200 and 'class="error"' in page.text
    scoped = client_for("planner-p1")
    assert scoped.get(f"/people/{NIGHT}/P000/eligibility").status_code == 200
    outside = scoped.get(f"/people/{NIGHT}/P000/eligibility", params={"pool": "slot-C1"})
    absent = scoped.get(f"/people/{NIGHT}/P000/eligibility", params={"pool": "no-such-pool"})
    assert outside.status_code == 404 and outside.text == absent.text
