"""The version for visually impaired readers in a real browser, in Russian: switched on and
off with the header's own button, it passes axe-core (WCAG 2.1 A/AA) in both modes on the
sign-in page, every role's dashboard and the public pages (when they exist), with no script
or console error, and its body text is larger than the standard version's."""

from __future__ import annotations

from typing import Any

import pytest
from flask_babel import force_locale, gettext

from portal.demo import DEMO_ACCOUNTS, DemoAccount
from portal.templating import ACCESSIBILITY_COOKIE
from tests.browser.test_sign_in import (
    accounts,
    assert_no_violations,
    collect_errors,
    open_sign_in,
    sign_in,
)

pytestmark = pytest.mark.browser

LANG = "ru"
PUBLIC_PATHS = ("/public/", "/calls/")


def switch_labels(live_server: Any) -> tuple[str, str]:
    """The two labels of the switch as a Russian reader sees them (from the catalogue)."""
    with live_server.app.test_request_context(), force_locale(LANG):
        return gettext("Version for the visually impaired"), gettext("Standard version")


def body_font_size(page: Any) -> float:
    return page.evaluate("parseFloat(getComputedStyle(document.querySelector('main p, main td,"
                         " main label, main') ).fontSize)")


def switch(page: Any, live_server: Any, on: bool) -> None:
    """Press the header's switch and come back to the same page in the other mode."""
    from playwright.sync_api import expect

    turn_on, turn_off = switch_labels(live_server)
    current = page.url
    button = page.locator("header form[data-a11y-switch] button[type=submit]")
    label = turn_on if on else turn_off
    expect(button).to_have_accessible_name(label)
    with page.expect_navigation(url=current):
        page.get_by_role("button", name=label, exact=True).click()
    if on:
        expect(page.locator("body")).to_have_class("a11y")
    else:
        expect(page.locator("body")).not_to_have_class("a11y")
    cookies = {c["name"]: c for c in page.context.cookies()}
    if on:
        assert cookies[ACCESSIBILITY_COOKIE]["value"] == "on"
        assert cookies[ACCESSIBILITY_COOKIE]["httpOnly"] is True
    else:
        assert ACCESSIBILITY_COOKIE not in cookies


def check_both_modes(page: Any, live_server: Any) -> None:
    """axe in the standard version, then in the accessible one (with larger text), then
    back; the page stays the same throughout."""
    assert_no_violations(page)
    standard = body_font_size(page)
    switch(page, live_server, on=True)
    assert_no_violations(page)
    assert body_font_size(page) >= standard * 1.4
    switch(page, live_server, on=False)
    assert body_font_size(page) == standard


def public_paths(page: Any, live_server: Any) -> list[str]:
    """The public pages that exist in this build (another piece of work adds `/public/`)."""
    return [path for path in PUBLIC_PATHS
            if page.request.get(live_server.url + path, max_redirects=0).status == 200]


def test_sign_in_page_in_both_modes(page: Any, live_server: Any):
    errors = collect_errors(page)
    open_sign_in(page, live_server.url, LANG)
    check_both_modes(page, live_server)
    assert errors == []


def test_public_pages_in_both_modes(page: Any, live_server: Any):
    errors = collect_errors(page)
    open_sign_in(page, live_server.url, LANG)
    paths = public_paths(page, live_server)
    if not paths:
        pytest.skip("no public page answers 200 in this build")
    for path in paths:
        page.goto(live_server.url + path)
        check_both_modes(page, live_server)
    assert errors == []


@accounts
def test_dashboard_in_both_modes(page: Any, live_server: Any, account: DemoAccount):
    from playwright.sync_api import expect

    errors = collect_errors(page)
    sign_in(page, live_server.url, account, LANG)
    expect(page.locator("main h1[data-dashboard]")).to_be_visible()
    check_both_modes(page, live_server)
    assert errors == []


def test_mode_is_remembered_across_pages_and_sign_in(page: Any, live_server: Any):
    """Turned on before signing in, the mode stays on after it, on every page."""
    from playwright.sync_api import expect

    open_sign_in(page, live_server.url, LANG)
    switch(page, live_server, on=True)
    sign_in(page, live_server.url, DEMO_ACCOUNTS[0], LANG)
    expect(page.locator("body")).to_have_class("a11y")
    expect(page.locator("link[href$='css/accessible.css']")).to_have_count(1)


def test_phone_layout_fits_in_accessible_mode(browser: Any, live_server: Any):
    """On a 360 px wide phone the accessible version needs no sideways scrolling."""
    context = browser.new_context(base_url=live_server.url)
    try:
        page = context.new_page()
        account = next(a for a in DEMO_ACCOUNTS if len(a.roles) == 1)
        sign_in(page, live_server.url, account, LANG)
        page.set_viewport_size({"width": 360, "height": 740})
        for on in (False, True):
            if on:
                switch(page, live_server, on=True)
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"the page is {width}px wide (accessible: {on})"
    finally:
        context.close()
