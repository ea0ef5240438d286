"""The life of an application as a table: `(status, action) -> new status`, who may make
each move, and the guards about the data. `apply_transition` is the only code that assigns
`Application.status`; it sets the status's timestamp and writes the audit row."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.models import Application, ApplicationStatus, User
from portal.permissions import Action, can
from portal.services.audit import record_event

S = ApplicationStatus

Guard = Callable[[Application, datetime], None]


def call_accepts_submissions(app: Application, now: datetime) -> None:
    """The call is published, open, and its closing time has not passed."""
    call = app.call
    if call.status != "published" or now < call.opens_at:
        raise ConflictError(_l("The call is not open for applications yet."))
    if now >= call.closes_at:
        raise ConflictError(
            _l("The call closed for applications; nothing can be submitted or changed now.")
        )


def organisation_approved(app: Application, now: datetime) -> None:
    """Only an approved library can submit."""
    if not app.organisation.is_approved:
        raise ConflictError(
            _l("Your library's registration has not been approved yet, so it cannot submit.")
        )


def no_broken_rules(app: Application, now: datetime) -> None:
    """The application is complete and breaks no rule of the call."""
    from portal.services.checks import check_application

    issues = check_application(app)
    if issues:
        raise DomainError(
            _l("The application cannot be submitted yet. Things to fix: %(n)d. Open “Check "
               "my application” to see them.", n=len(issues))
        )


def call_closed(app: Application, now: datetime) -> None:
    """Screening starts once the call has closed for applications."""
    if now < app.call.closes_at:
        raise ConflictError(
            _l("The call is still open for applications; screening starts after it closes.")
        )


def decisions_not_final(app: Application, now: datetime) -> None:
    """Decisions can be recorded until the committee finalises them."""
    if app.call.decisions_finalised_at is not None:
        raise ConflictError(_l("The committee's decisions on this call are final."))


# Every status an admitted application can reach: screening said yes, whatever came after
# (so that the ranking and the protocol of a finished call stay complete).
ADMITTED_STATUSES = (
    S.ELIGIBLE, S.IN_REVIEW, S.REVIEWED, S.FUNDED, S.NOT_FUNDED, S.DECLINED,
    S.UNDER_AGREEMENT, S.REPORTING, S.COMPLETED,
)


@dataclass(frozen=True)
class Transition:
    source: ApplicationStatus
    action: str
    target: ApplicationStatus
    # Who may make the move; None for a step the portal takes itself as a consequence of
    # another (the first assignment starts the review, the last review completes it).
    permission: Action | None
    guards: tuple[Guard, ...] = ()
    needs_reason: bool = False


TRANSITIONS: dict[tuple[ApplicationStatus, str], Transition] = {
    (t.source, t.action): t
    for t in (
        Transition(S.DRAFT, "submit", S.SUBMITTED, Action.SUBMIT_APPLICATION,
                   (call_accepts_submissions, organisation_approved, no_broken_rules)),
        Transition(S.SUBMITTED, "withdraw", S.WITHDRAWN, Action.WITHDRAW_APPLICATION,
                   needs_reason=True),
        Transition(S.SUBMITTED, "admit", S.ELIGIBLE, Action.SCREEN_APPLICATIONS,
                   (call_closed,)),
        Transition(S.SUBMITTED, "reject", S.INELIGIBLE, Action.SCREEN_APPLICATIONS,
                   (call_closed,), needs_reason=True),
        Transition(S.ELIGIBLE, "start_review", S.IN_REVIEW, None),
        Transition(S.IN_REVIEW, "complete_review", S.REVIEWED, None),
        Transition(S.REVIEWED, "resume_review", S.IN_REVIEW, None),
        Transition(S.REVIEWED, "fund", S.FUNDED, Action.DECIDE_FUNDING,
                   (decisions_not_final,)),
        Transition(S.REVIEWED, "not_fund", S.NOT_FUNDED, Action.DECIDE_FUNDING,
                   (decisions_not_final,)),
        Transition(S.FUNDED, "decline", S.DECLINED, Action.DECIDE_FUNDING, needs_reason=True),
        Transition(S.NOT_FUNDED, "fund_from_reserve", S.FUNDED, Action.DECIDE_FUNDING),
        Transition(S.FUNDED, "sign_agreement", S.UNDER_AGREEMENT, Action.MANAGE_FINANCE),
        Transition(S.UNDER_AGREEMENT, "start_reporting", S.REPORTING, None),
        Transition(S.REPORTING, "complete", S.COMPLETED, None),
    )
}

# The timestamp each status sets when an application enters it.
TIMESTAMPS: dict[ApplicationStatus, str] = {
    S.SUBMITTED: "submitted_at",
    S.WITHDRAWN: "withdrawn_at",
    S.ELIGIBLE: "screened_at",
    S.INELIGIBLE: "screened_at",
}


def allowed_actions(app: Application) -> list[str]:
    return [action for (source, action) in TRANSITIONS if source == app.status]


def apply_transition(
    session: Session,
    app: Application,
    action: str,
    *,
    actor: User,
    reason: str = "",
    now: datetime | None = None,
) -> Transition:
    """Move `app` by `action`: refuse a move the table does not have (409), an actor without
    the right (403-worthy DomainError), a broken guard (its message) and a missing reason;
    then set the status, its timestamp and the audit row."""
    now = now or utcnow()
    transition = TRANSITIONS.get((app.status, action))
    if transition is None:
        raise ConflictError(
            _l("This cannot be done to an application in its current state.")
        )
    if transition.permission is not None and not can(actor, transition.permission, app):
        raise PermissionError(action)
    for guard in transition.guards:
        guard(app, now)
    if transition.needs_reason and not reason.strip():
        raise DomainError(_l("Give a reason."), field="reason")
    previous = app.status
    app.status = transition.target
    stamp = TIMESTAMPS.get(transition.target)
    if stamp:
        setattr(app, stamp, now)
    app.updated_at = now
    record_event(
        session, actor=actor, action=f"application.{action}", obj=app,
        from_state=previous, to_state=app.status, reason=reason.strip(),
    )
    return transition
