"""A full review in real headless Chromium (Debian's, driven by Playwright): a planner signs
in, opens a shortlist, reads an explanation, records a decision that needs a reason, and an
auditor reveals a protected attribute and finds both in the verified audit log. Screenshots
of every step go to test-artifacts/review/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from hientai.settings import Settings
from hientai_app.review.accounts import add_user
from hientai_app.review.db import ReviewDB
from tests.review.conftest import LiveServer
from tests.review.world import NIGHT, PASSWORD

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


def _sign_in(page: Page, url: str, username: str) -> None:
    page.goto(f"{url}/shortlists")
    expect(page).to_have_url(f"{url}/signin")
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page).to_have_url(f"{url}/shortlists")


def test_a_full_review_in_a_browser(
    world: Settings,
    live: LiveServer,
    browser: Browser,
    artifacts: Path,
    record_property: Callable[[str, object], None],
) -> None:
    record_property("screenshots", str(artifacts))  # in the JUnit report for CI to upload
    db = ReviewDB(world.app_db_url)
    for name, role in (("e2e-planner", "planner"), ("e2e-auditor", "auditor")):
        add_user(db, name, role=role, password=PASSWORD, scope_org_id=None, by="test")
    page = browser.new_page()
    shot = iter(range(1, 100))

    def snap(step: str) -> None:
        page.screenshot(path=str(artifacts / f"{next(shot):02d}-{step}.png"), full_page=True)

    _sign_in(page, live.url, "e2e-planner")
    snap("shortlists")
    page.get_by_role("link", name="Chủ tịch UBND tỉnh").click()
    expect(page.locator("#blind-note")).to_be_visible()
    expect(page.locator("#entries")).to_contain_text("Ứng viên #1")
    snap("shortlist-blind")

    page.locator("#p-P001 a").first.click()
    expect(page).to_have_url(f"{live.url}/people/{NIGHT}/P001")
    expect(page.locator("#explanation svg rect")).to_have_count(5)  # base, 3 dimensions, total
    expect(page.locator("#suggestions")).to_contain_text("học thêm <img src=x")
    snap("explanation")
    page.go_back()

    row = page.locator("#p-P001")
    row.locator("select[name=decision]").select_option("nominate")
    row.locator("select[name=readiness]").select_option("ready_now")
    row.get_by_role("button").click()
    expect(page.locator("#decision-error")).to_contain_text("không đạt kiểm tra công bằng")
    snap("reason-required")
    row = page.locator("#p-P001")
    row.locator("textarea[name=reason]").fill("Dẫn dắt dự án chuyển đổi số <b>tốt</b>")
    row.get_by_role("button").click()
    expect(page.locator("#blind-note")).to_have_count(0)
    expect(page.locator("#p-P001")).to_contain_text("Nguyễn Văn B")
    expect(page.locator("#p-P001")).to_contain_text("Dẫn dắt dự án chuyển đổi số <b>tốt</b>")
    snap("decided")
    page.get_by_role("button", name="Đăng xuất").click()

    _sign_in(page, live.url, "e2e-auditor")
    page.goto(f"{live.url}/people/{NIGHT}/P001?lang=en")
    page.get_by_label("Why you need to see them").fill("complaint 2026/14")
    page.get_by_role("button", name="Reveal protected attributes").click()
    expect(page.locator("#protected")).to_contain_text("Gender")
    expect(page.locator("#protected")).to_contain_text("male")
    snap("revealed")

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("#chain-state")).to_contain_text("Chain intact")
    log = page.locator("#audit")
    expect(log).to_contain_text("reveal_protected")
    expect(log).to_contain_text("complaint 2026/14")
    expect(log.locator("tr", has_text="e2e-planner").filter(has_text="decision")).to_contain_text(
        "ready_now"
    )
    snap("audit-log")
    page.close()
