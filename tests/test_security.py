"""Security headers and cookies, error pages without stack traces, configuration refusals."""

import pytest

from portal.config import ConfigError
from portal.models import Role
from tests.conftest import PASSWORD, make_test_app

PAGES = ["/", "/login", "/register", "/healthz", "/no-such-page"]


@pytest.mark.parametrize("path", PAGES)
def test_security_headers_on_every_response(client, path):
    headers = client.get(path).headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert "default-src 'self'" in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in headers  # plain HTTP here


def test_a_header_the_answer_sets_itself_is_kept_and_the_others_added_once(app):
    from flask import Response

    from portal.security import SECURITY_HEADERS

    with app.test_request_context("/"):
        response = app.process_response(Response("x", headers={
            "x-frame-options": "SAMEORIGIN", "Content-Security-Policy": "default-src 'none'"}))
    headers = response.headers
    assert headers.getlist("X-Frame-Options") == ["SAMEORIGIN"]
    assert headers.getlist("Content-Security-Policy") == ["default-src 'none'"]
    for name, value in SECURITY_HEADERS:
        if name not in ("X-Frame-Options", "Content-Security-Policy"):
            assert headers.getlist(name) == [value]


def test_hsts_over_https(client):
    headers = client.get("/login", base_url="https://portal.example.org").headers
    assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_contain_no_inline_scripts(client, create_user, login_as):
    login_as(create_user(Role.ADMIN))
    for path in ["/login", "/", "/admin/users", "/admin/audit"]:
        html = client.get(path).get_data(as_text=True)
        for chunk in html.split("<script")[1:]:
            tag = chunk.split(">", 1)[0]
            assert "src=" in tag, f"inline script on {path}"
        assert " onclick=" not in html and " style=" not in html


def _cookies(response):
    return response.headers.getlist("Set-Cookie")


def test_session_cookie_flags_over_http(client, create_user):
    user = create_user(Role.REVIEWER)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD,
                                           "remember": "y"})
    cookies = _cookies(response)
    session_cookie = next(c for c in cookies if c.startswith("vektor_session="))
    remember_cookie = next(c for c in cookies if c.startswith("vektor_remember="))
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie


def test_cookies_are_secure_over_https(client, create_user):
    user = create_user(Role.REVIEWER)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "remember": "y"},
        base_url="https://portal.example.org",
    )
    cookies = _cookies(response)
    assert {c.split("=", 1)[0] for c in cookies} >= {"vektor_session", "vektor_remember"}
    for cookie in cookies:
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_language_cookie_is_secure_over_https(client):
    response = client.post("/language", data={"lang": "en"},
                           base_url="https://portal.example.org")
    assert all("Secure" in c for c in _cookies(response))


@pytest.mark.parametrize("code", [400, 403, 404, 409, 413, 422, 429, 500])
def test_error_pages_exist_in_both_languages(app, code):
    from portal.views.errors import MESSAGES, render_error

    pages = {}
    for lang in ("en", "ru"):
        with app.test_request_context(headers={"Cookie": f"vektor_lang={lang}"}):
            body, status = render_error(code)
            title = str(MESSAGES[code][0])
        assert status == code
        assert f'<html lang="{lang}">' in body and title in body
        assert "Traceback" not in body
        pages[lang] = title
    assert pages["ru"] != pages["en"], "the Russian catalogue lacks this error page"
    assert any("\u0400" <= ch <= "\u04ff" for ch in pages["ru"])


def test_404_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_413_for_a_too_large_request(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/login", data={"email": "x@example.org", "password": "y" * 5000})
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)


def test_500_page_shows_no_stack_trace(database_url, tmp_path, db):
    app = make_test_app(database_url, str(tmp_path), PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    client = app.test_client()
    client.set_cookie("vektor_lang", "en")
    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


def test_production_refuses_to_start_without_a_secret_key(monkeypatch, tmp_path):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    monkeypatch.delenv("PORTAL_SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="PORTAL_SECRET_KEY"):
        create_app()


def test_production_refuses_to_start_without_a_database_url(monkeypatch, tmp_path):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "a" * 64)
    monkeypatch.delenv("PORTAL_DATABASE_URL", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="PORTAL_DATABASE_URL"):
        create_app()


def test_production_starts_with_both(monkeypatch, tmp_path):
    from portal import create_app

    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.setenv("PORTAL_SECRET_KEY", "a" * 64)
    monkeypatch.setenv("PORTAL_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite3")
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    assert create_app().config["SECRET_KEY"] == "a" * 64


def test_get_requests_change_nothing_language(client):
    assert client.get("/language?lang=en").status_code == 405


@pytest.mark.parametrize("path", [
    "/applications/99999999999999999999999999",
    "/applications/9223372036854775808/budget.pdf",
    "/public/projects/123456789012345678901234567890",
])
def test_an_identifier_beyond_any_stored_one_is_not_found(client, db, create_user, login_as,
                                                         path):
    login_as(create_user(Role.CHAIR))
    assert client.get(path).status_code == 404
