"""Languages: Russian by default, English on request. The choice is kept in a cookie (and on
the account, so that e-mails follow it)."""

from __future__ import annotations

from flask import Flask, current_app, has_app_context, has_request_context, request
from flask_babel import get_locale
from flask_login import current_user

from portal.config import PROJECT_ROOT
from portal.extensions import babel

LANGUAGE_COOKIE = "vektor_lang"


def select_locale() -> str:
    """The cookie's language, else the account's, else Russian. Outside a request (the
    command line, background jobs) the default; e-mails use `force_locale`."""
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in languages:
        return chosen
    if current_user and getattr(current_user, "is_authenticated", False):
        if current_user.locale in languages:
            return current_user.locale
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_locale() -> str:
    """The language of what is being written now: the request's, or the default outside a
    request (and inside `force_locale`, the forced one); Russian outside the application."""
    if not has_app_context():
        return "ru"
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def init_i18n(app: Flask) -> None:
    app.config.setdefault(
        "BABEL_TRANSLATION_DIRECTORIES", str(PROJECT_ROOT / "portal" / "translations")
    )
    babel.init_app(app, locale_selector=select_locale)
