"""The applicant's and the chair's pages for calls and applications, in a real browser: no
WCAG 2.1 A/AA violation in either language, no script or console error, and the budget's
live totals add up as the applicant types."""

from __future__ import annotations

from typing import Any

import pytest

from portal.demo import DEMO_ACCOUNTS
from tests.browser.test_sign_in import assert_no_violations, collect_errors, languages, sign_in

pytestmark = pytest.mark.browser

ACCOUNT = {a.email.split("@")[0]: a for a in DEMO_ACCOUNTS}


def first_application(page: Any) -> str:
    href = page.locator("main table a[href^='/applications/']").first.get_attribute("href")
    return href


@languages
def test_applicant_pages_are_accessible(page: Any, live_server: Any, lang: str):
    errors = collect_errors(page)
    sign_in(page, live_server.url, ACCOUNT["library3"], lang)
    application = first_application(page)
    paths = ["/calls/", application, f"{application}/check", f"{application}/edit/general",
             f"{application}/edit/activities", f"{application}/edit/budget",
             f"{application}/attachments"]
    call_link = page.locator("main a[href^='/calls/']").first.get_attribute("href")
    paths.append(call_link)
    for path in paths:
        page.goto(live_server.url + path)
        assert_no_violations(page)
    assert errors == []


@languages
def test_chair_pages_are_accessible(page: Any, live_server: Any, lang: str):
    errors = collect_errors(page)
    sign_in(page, live_server.url, ACCOUNT["chair"], lang)
    call_link = page.locator("main table a[href^='/calls/']").first.get_attribute("href")
    for path in ["/calls/new", call_link, f"{call_link}/edit", f"{call_link}/criteria"]:
        page.goto(live_server.url + path)
        assert_no_violations(page)
    assert errors == []


def test_budget_totals_update_as_the_applicant_types(page: Any, live_server: Any):
    from playwright.sync_api import expect

    sign_in(page, live_server.url, ACCOUNT["library3"], "en")
    page.goto(live_server.url + first_application(page) + "/edit/budget")
    line = page.locator("[data-budget-line]").first
    line.locator("[name$='-quantity']").fill("3")
    line.locator("[name$='-unit_price']").fill("33,33")
    expect(line.locator("[data-line-total]")).to_have_text("99.99\u00a0₽")
