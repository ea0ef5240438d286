"""What every template can use: `can` and the actions and roles, the languages, and the
one filter that formats a moment in the portal's time zone."""

from __future__ import annotations

from datetime import datetime

from flask import Flask, request
from flask_babel import format_datetime, get_locale, get_timezone
from flask_babel import lazy_gettext as _l

from portal.forms.admin import ROLE_LABELS
from portal.models import OrganisationStatus, Role
from portal.models.mail import MailStatus
from portal.permissions import Action, can

LANGUAGE_NAMES = {"ru": "Русский", "en": "English"}

ORGANISATION_STATUS_LABELS = {
    OrganisationStatus.PENDING: _l("waiting for approval"),
    OrganisationStatus.APPROVED: _l("approved"),
    OrganisationStatus.REJECTED: _l("rejected"),
}


MAIL_STATUS_LABELS = {
    MailStatus.KEPT: _l("kept in the portal (no mail server)"),
    MailStatus.QUEUED: _l("waiting to be sent"),
    MailStatus.SENT: _l("sent"),
    MailStatus.FAILED: _l("failed"),
}


def format_moment(value: datetime | None) -> str:
    """`26.11.2026 14:05 MSK`: the moment in the portal's zone, with the zone shown."""
    if value is None:
        return "—"
    zone = get_timezone()
    label = value.astimezone(zone).tzname() if zone else "UTC"
    return f"{format_datetime(value, 'dd.MM.yyyy HH:mm')} {label}"


def init_templating(app: Flask) -> None:
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def _globals() -> dict:
        return {
            "can": can,
            "Action": Action,
            "Role": Role,
            "ROLE_LABELS": ROLE_LABELS,
            "ORGANISATION_STATUS_LABELS": ORGANISATION_STATUS_LABELS,
            "MAIL_STATUS_LABELS": MAIL_STATUS_LABELS,
            "LANGUAGE_NAMES": LANGUAGE_NAMES,
            "current_locale": str(get_locale() or "ru"),
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
