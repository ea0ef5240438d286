"""What every template can use: `can` and the actions and roles, the languages, whether the
version for visually impaired readers is on, and the one filter that formats a moment in the
portal's time zone."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, request
from flask_babel import format_datetime, get_timezone

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


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["day"] = format_date
    app.jinja_env.globals["zip"] = zip
    app.jinja_env.filters["money"] = lambda value: format_money(value, current_locale())
    app.jinja_env.filters["percent"] = lambda value: format_percent(value, current_locale())
    app.jinja_env.filters["number"] = lambda value: format_number(value, current_locale())
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals() -> dict:
        return {
            "can": can,
            "Action": Action,
            "Role": Role,
            **{name: getattr(labels, name) for name in dir(labels) if name.endswith("_LABELS")},
            "LANGUAGE_NAMES": LANGUAGE_NAMES,
            "current_locale": current_locale(),
            "accessible_mode": accessible_mode(),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
