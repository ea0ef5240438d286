"""What every template can use: `can` and the actions and roles, the languages, whether the
version for visually impaired readers is on, the one filter that formats a moment in the
portal's time zone, and the filters and `_()` that write in the page's language."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Flask, request
from flask_babel import format_datetime, get_timezone, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context

from portal import labels
from portal.i18n import current_locale
from portal.models import Role
from portal.money import format_money, format_number, format_percent
from portal.permissions import Action, can

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}
# The version for visually impaired readers: "on" in this cookie turns it on.
ACCESSIBILITY_COOKIE = "vektor_a11y"


def accessible_mode() -> bool:
    """Whether this request asked for the version for visually impaired readers."""
    return bool(request) and request.cookies.get(ACCESSIBILITY_COOKIE) == "on"


def format_moment(value: datetime | None) -> str:
    """`26.11.2026 14:05 MSK`: the moment in the portal's zone, with the zone shown."""
    if value is None:
        return "—"
    zone = get_timezone()
    label = value.astimezone(zone).tzname() if zone else "UTC"
    return f"{format_datetime(value, 'dd.MM.yyyy HH:mm')} {label}"


def format_date(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "—"


def _locale_of(context: Context) -> str:
    """The language the template is being rendered in: the one the context processor put in
    its context (read once per page, not once per figure), else the current one (a macro
    imported without the page's context, a template rendered without Flask's context)."""
    return context.get("current_locale") or current_locale()


def _translations_of(context: Context) -> Any:
    """The catalogue of that language, likewise read once per page: Flask-Babel's own
    template callables look the catalogue up again for every string."""
    return context.get("translations") or get_translations()


@pass_context
def _gettext(context: Context, string: str) -> str:
    return _translations_of(context).ugettext(string)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return _translations_of(context).ungettext(singular, plural, n)


@pass_context
def _pgettext(context: Context, message_context: str, string: str) -> str:
    return _translations_of(context).upgettext(message_context, string)


@pass_context
def _npgettext(context: Context, message_context: str, singular: str, plural: str,
               n: int) -> str:
    return _translations_of(context).unpgettext(message_context, singular, plural, n)


@pass_context
def _money(context: Context, value: Decimal | None) -> str:
    return format_money(value, _locale_of(context))


@pass_context
def _percent(context: Context, value: Decimal | None) -> str:
    return format_percent(value, _locale_of(context))


@pass_context
def _number(context: Context, value: Decimal | None) -> str:
    return format_number(value, _locale_of(context))


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["day"] = format_date
    app.jinja_env.filters["money"] = _money
    app.jinja_env.filters["percent"] = _percent
    app.jinja_env.filters["number"] = _number
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    # In place of the ones Flask-Babel installed (the same catalogue, found once per page).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, newstyle=True, pgettext=_pgettext,
        npgettext=_npgettext,
    )
    # What is the same on every page is set once, as globals; the context processor only
    # adds what depends on the request.
    app.jinja_env.globals.update(
        zip=zip, can=can, Action=Action, Role=Role, LANGUAGE_NAMES=LANGUAGE_NAMES,
        **{name: getattr(labels, name) for name in dir(labels) if name.endswith("_LABELS")},
    )

    @app.context_processor
    def _per_request() -> dict:
        return {
            "current_locale": current_locale(),
            "translations": get_translations(),
            "accessible_mode": accessible_mode(),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
