"""The version for visually impaired readers: a switch in the header of every page, a POST
with a CSRF token that sets (or clears) the `vektor_a11y` cookie and goes back to a page
inside the portal, and, while it is on, the `a11y` class on `<body>` and its stylesheet."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from portal.models import Role
from portal.templating import ACCESSIBILITY_COOKIE

SWITCH = 'action="/accessibility"'
STYLESHEET = "css/accessible.css"
ON_BUTTON = 'name="mode" value="on"'
OFF_BUTTON = 'name="mode" value="off"'


def turn(client: FlaskClient, mode: str, next_path: str = "/login", **extra: str):
    return client.post("/accessibility", data={"mode": mode, "next": next_path, **extra})


def assert_standard(html: str) -> None:
    assert SWITCH in html and ON_BUTTON in html and OFF_BUTTON not in html
    assert "Version for the visually impaired" in html
    assert 'class="a11y"' not in html and STYLESHEET not in html


def assert_accessible(html: str) -> None:
    assert SWITCH in html and OFF_BUTTON in html and ON_BUTTON not in html
    assert "Standard version" in html
    assert '<body class="a11y">' in html and STYLESHEET in html


def test_switch_is_on_the_sign_in_and_front_pages(client):
    for path in ("/login", "/", "/register"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_standard(response.get_data(as_text=True))


@pytest.mark.parametrize("role", list(Role))
def test_switch_is_on_every_dashboard_in_both_modes(client, create_user, login_as, role):
    login_as(create_user(role))
    assert_standard(client.get(f"/dashboard/{role.value}").get_data(as_text=True))
    turn(client, "on", f"/dashboard/{role.value}")
    assert_accessible(client.get(f"/dashboard/{role.value}").get_data(as_text=True))


def test_switch_is_on_an_application_page(client, create_application, login_as):
    application = create_application()
    login_as(application.created_by)
    path = f"/applications/{application.id}"
    response = client.get(path)
    assert response.status_code == 200
    assert_standard(response.get_data(as_text=True))
    turn(client, "on", path)
    assert_accessible(client.get(path).get_data(as_text=True))


def test_error_pages_carry_the_switch_too(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert SWITCH in response.get_data(as_text=True)


def test_turning_on_sets_a_year_long_httponly_lax_cookie_and_goes_back(client):
    response = turn(client, "on", "/login?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?x=1"
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith(f"{ACCESSIBILITY_COOKIE}="))
    assert header.startswith(f"{ACCESSIBILITY_COOKIE}=on;")
    assert "Max-Age=31536000" in header
    assert "HttpOnly" in header and "SameSite=Lax" in header
    cookie = client.get_cookie(ACCESSIBILITY_COOKIE)
    assert cookie is not None and cookie.value == "on"
    assert_accessible(client.get("/login").get_data(as_text=True))


def test_turning_off_clears_the_cookie(client):
    turn(client, "on")
    response = turn(client, "off", "/login")
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get_cookie(ACCESSIBILITY_COOKIE) is None
    assert_standard(client.get("/login").get_data(as_text=True))


def test_a_cookie_with_another_value_is_the_standard_version(client):
    client.set_cookie(ACCESSIBILITY_COOKIE, "yes")
    assert_standard(client.get("/login").get_data(as_text=True))


def test_unknown_mode_is_refused(client):
    assert turn(client, "maybe").status_code == 400
    assert client.post("/accessibility", data={"next": "/login"}).status_code == 400
    assert client.get_cookie(ACCESSIBILITY_COOKIE) is None


def test_get_does_nothing(client):
    response = client.get("/accessibility?mode=on")
    assert response.status_code == 405
    assert client.get_cookie(ACCESSIBILITY_COOKIE) is None


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"]
)
def test_next_outside_the_portal_is_refused(client, target):
    response = turn(client, "on", target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get_cookie(ACCESSIBILITY_COOKIE).value == "on"


def test_csrf_token_is_required(app: Flask, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert turn(client, "on").status_code == 400
    assert client.get_cookie(ACCESSIBILITY_COOKIE) is None


def test_csrf_token_from_the_page_is_accepted(app: Flask, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = client.get("/login").get_data(as_text=True)
    form = html.split(SWITCH, 1)[1]
    token = form.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = turn(client, "on", "/login", csrf_token=token)
    assert response.status_code == 302
    assert client.get_cookie(ACCESSIBILITY_COOKIE).value == "on"


def test_the_stylesheet_is_served_and_scoped(client):
    with client.get(f"/static/{STYLESHEET}") as response:
        assert response.status_code == 200
        css = response.get_data(as_text=True)
    assert ".a11y" in css and "font-size: 150%" in css
    assert 'img[alt=""]' in css and ".decorative" in css


def test_the_switch_is_translated_the_same_way_as_other_strings(ru_client):
    """The Russian page shows the switch (its wording comes from the catalogue)."""
    html = ru_client.get("/login").get_data(as_text=True)
    assert SWITCH in html and '<html lang="ru">' in html
