"""Applications: starting a draft, saving its sections (with optimistic locking), submitting
it with a registration number, and withdrawing it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import ConflictError
from portal.models import (
    Activity,
    Application,
    ApplicationStatus,
    BudgetLine,
    Call,
    Indicator,
    Partner,
    User,
)
from portal.permissions import Action, can
from portal.services import jobs
from portal.services.audit import record_event
from portal.services.mail import queue_mail
from portal.workflow import apply_transition

# Each section's plain fields; the list sections replace their rows as a whole.
SECTION_FIELDS: dict[str, tuple[str, ...]] = {
    "general": ("title", "direction", "start_date", "end_date", "summary"),
    "problem": ("problem",),
    "goals": ("goals", "tasks"),
    "target_groups": ("target_groups",),
}
ROW_MODELS: dict[str, tuple[str, type]] = {
    "activities": ("activities", Activity),
    "partners": ("partners", Partner),
    "results": ("indicators", Indicator),
    "budget": ("budget_lines", BudgetLine),
}


class StaleEditError(ConflictError):
    """Someone saved the application after this form was opened. `fields` lists what the
    form would overwrite; the form keeps what its user typed."""

    def __init__(self, app: Application, fields: list[str]) -> None:
        who = app.updated_by.full_name if app.updated_by else "?"
        super().__init__(
            _l("%(who)s saved this application after you opened this page. Your text is kept "
               "below; compare it with theirs and save again.", who=who)
        )
        self.fields = fields
        self.current_version = app.version


def ensure_editable(app: Application, now: datetime | None = None) -> None:
    """Raise ConflictError, with the reason, when the application can no longer change."""
    now = now or utcnow()
    if app.status != ApplicationStatus.DRAFT:
        raise ConflictError(
            _l("This application has been submitted and can no longer be changed.")
        )
    if now >= app.call.closes_at:
        raise ConflictError(
            _l("The call closed for applications; nothing can be submitted or changed now.")
        )


def start_application(session: Session, call: Call, *, actor: User) -> Application:
    """A library's applicant starts a draft in an open call."""
    if not can(actor, Action.CREATE_APPLICATION, call):
        raise ConflictError(_l("Applications to this call cannot be started now."))
    app = Application(
        call=call, organisation_id=actor.organisation_id, created_by_id=actor.id,
        updated_by_id=actor.id,
    )
    session.add(app)
    session.flush()
    record_event(session, actor=actor, action="application.created", obj=app,
                 to_state=app.status)
    return app


def _touch(app: Application, actor: User, expected_version: int, changes: list[str]) -> None:
    if app.version != expected_version:
        raise StaleEditError(app, changes)
    app.updated_at = utcnow()
    app.updated_by_id = actor.id


def _blank_for_missing(model: type, values: dict[str, Any]) -> dict[str, Any]:
    """A text the request left out is saved empty, as a browser sends an empty field: the
    column takes no NULL (a crafted request without the field was a 500)."""
    columns = model.__table__.c  # type: ignore[attr-defined]
    return {
        name: "" if value is None and name in columns and not columns[name].nullable
        and isinstance(columns[name].type, String) else value
        for name, value in values.items()
    }


def save_fields(
    session: Session,
    app: Application,
    section: str,
    data: dict[str, Any],
    *,
    expected_version: int,
    actor: User,
) -> None:
    """Save a section of plain fields. Incomplete values are fine: a draft is saved as it is.
    A save based on an older version is refused, naming what it would overwrite."""
    ensure_editable(app)
    if not can(actor, Action.EDIT_APPLICATION, app):
        raise PermissionError("edit")
    fields = SECTION_FIELDS[section]
    data = _blank_for_missing(Application, {name: data.get(name) for name in fields})
    changes = [f for f in fields if getattr(app, f) != data[f]]
    _touch(app, actor, expected_version, changes)
    for name in fields:
        setattr(app, name, data[name])
    session.flush()


def save_rows(
    session: Session,
    app: Application,
    section: str,
    rows: Sequence[dict[str, Any]],
    *,
    expected_version: int,
    actor: User,
) -> None:
    """Replace a list section (activities, partners, results, budget lines) with `rows`."""
    ensure_editable(app)
    if not can(actor, Action.EDIT_APPLICATION, app):
        raise PermissionError("edit")
    attribute, model = ROW_MODELS[section]
    rows = [_blank_for_missing(model, row) for row in rows]
    current = [
        {k: getattr(obj, k) for k in rows[0]} if rows else {} for obj in getattr(app, attribute)
    ]
    changes = [section] if current != list(rows) else []
    _touch(app, actor, expected_version, changes)
    setattr(app, attribute, [model(position=n, **row) for n, row in enumerate(rows, start=1)])
    session.flush()


def _registration_number(session: Session, app: Application) -> tuple[str, int]:
    """The next number of the call, taken under the call row's lock so that numbers are
    unique and without gaps even when many submit in the same second. The call is re-read
    under the lock: the copy loaded before it may hold a number another submission has
    taken since."""
    call = session.scalars(
        select(Call).where(Call.id == app.call_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()
    call.last_sequence += 1
    return f"{call.code}-{call.last_sequence:04d}", call.last_sequence


def submit_application(
    session: Session, app: Application, *, actor: User, now: datetime | None = None
) -> None:
    """Submit a complete draft before the call closes: it gets its registration number and
    submission time, becomes unchangeable, and the applicant is sent a confirmation. Its
    documents (the application and its budget) are rendered into the store once the
    transaction commits."""
    now = now or utcnow()
    with session.no_autoflush:  # the status and its number reach the database together
        apply_transition(session, app, "submit", actor=actor, now=now)
        app.registration_number, app.sequence = _registration_number(session, app)
    session.flush()
    queue_mail(
        session, to=actor, subject=_l("Your application has been submitted"),
        template="application_submitted", application=app,
    )
    jobs.prerender_after_commit(session, jobs.APPLICATION_DOCUMENTS, app.id)


def withdraw_application(
    session: Session, app: Application, *, actor: User, reason: str
) -> None:
    """The applicant withdraws a submitted application before review starts, with a reason."""
    apply_transition(session, app, "withdraw", actor=actor, reason=reason)
    app.withdrawal_reason = reason.strip()
