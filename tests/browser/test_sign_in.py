"""Signing in through the real form, in Russian and in English, as every demo account lands on
`/` with that role's dashboard; axe-core finds no WCAG 2.1 A/AA violation on the sign-in page
or on any dashboard, in either language."""

from __future__ import annotations

from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, DemoAccount
from portal.templating import LANGUAGE_NAMES
from portal.views.main import ROLE_PRIORITY
from tests.assurance import record

pytestmark = pytest.mark.browser

LANGUAGES = ("ru", "en")
AXE_OPTIONS = {
    "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
    "resultTypes": ["violations"],
}
accounts = pytest.mark.parametrize(
    "account", DEMO_ACCOUNTS, ids=[a.email.split("@")[0] for a in DEMO_ACCOUNTS]
)
languages = pytest.mark.parametrize("lang", LANGUAGES)


def expected_dashboard(account: DemoAccount) -> str:
    """The dashboard `/` shows: the account's first role in the portal's priority order."""
    return next(role for role in ROLE_PRIORITY if role in account.roles).value


def open_sign_in(page: Any, base_url: str, lang: str) -> None:
    """Open the sign-in page and choose the language with its button, as a person would."""
    from playwright.sync_api import expect

    page.goto(f"{base_url}/login")
    with page.expect_navigation(url=f"{base_url}/login"):
        page.get_by_role("button", name=LANGUAGE_NAMES[lang], exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", lang)


def sign_in(page: Any, base_url: str, account: DemoAccount, lang: str) -> None:
    from playwright.sync_api import expect

    open_sign_in(page, base_url, lang)
    form = page.locator("main form:has(input[name=password])")
    form.locator("input[name=email]").fill(account.email)
    form.locator("input[name=password]").fill(DEMO_PASSWORD)
    form.locator("button[type=submit]").click()
    page.wait_for_url(f"{base_url}/")
    expect(page.locator("html")).to_have_attribute("lang", lang)


def collect_errors(page: Any) -> list[str]:
    """Script errors and console errors (a script or style the CSP refuses, or a missing
    file, shows up here)."""
    errors: list[str] = []

    def on_console(message: Any) -> None:
        if message.type == "error":
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", on_console)
    return errors


def assert_no_violations(page: Any) -> None:
    results = Axe().run(page, options=AXE_OPTIONS)
    record("pages checked by axe-core (WCAG 2.1 A/AA)")
    record("axe-core violations found", results.violations_count)
    assert results.violations_count == 0, results.generate_report()


@languages
def test_sign_in_page_is_accessible(page: Any, live_server: Any, lang: str):
    errors = collect_errors(page)
    open_sign_in(page, live_server.url, lang)
    assert_no_violations(page)
    assert errors == []


@languages
@accounts
def test_sign_in_lands_on_the_role_dashboard(
    page: Any, live_server: Any, account: DemoAccount, lang: str
):
    """One sign-in per account and language (they are what the time goes on), then the
    dashboard is checked: the right one, in the chosen language, accessible."""
    from playwright.sync_api import expect

    errors = collect_errors(page)
    sign_in(page, live_server.url, account, lang)

    heading = page.locator("main h1[data-dashboard]")
    expect(heading).to_have_count(1)
    expect(heading).to_have_attribute("data-dashboard", expected_dashboard(account))
    expect(heading).to_be_visible()
    expect(page.locator("header")).to_contain_text(account.full_name)
    assert_no_violations(page)
    assert errors == []
