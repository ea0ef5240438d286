"""Eligibility screening (допуск): the checks the portal makes itself on each submitted
application, the chair's decision to admit it or not with a reason, and the admission list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from portal.models import Application, ApplicationStatus, Call, User
from portal.services.checks import Issue, check_application
from portal.workflow import ADMITTED_STATUSES, apply_transition

S = ApplicationStatus

# Submitted and not withdrawn: what screening looks at and what counts against the limit.
SCREENED_OR_PENDING = (S.SUBMITTED, S.INELIGIBLE, *ADMITTED_STATUSES)


@dataclass
class AutomaticChecks:
    """What the portal can tell the chair about one submitted application by itself."""

    issues: list[Issue]  # the call's rules re-run on the application as submitted
    organisation_approved: bool
    organisation_count: int  # the library's submitted applications to this call
    organisation_rank: int  # this one's place among them, by registration number
    limit: int | None  # the call's limit per library, if it has one
    messages: list[str] = field(default_factory=list)

    @property
    def within_limit(self) -> bool:
        return self.limit is None or self.organisation_rank <= self.limit

    @property
    def passed(self) -> bool:
        return not self.issues and self.organisation_approved and self.within_limit


def _submitted(session: Session, call: Call) -> list[Application]:
    return list(session.scalars(
        select(Application)
        .where(Application.call_id == call.id, Application.status.in_(SCREENED_OR_PENDING))
        .options(
            selectinload(Application.organisation), selectinload(Application.activities),
            selectinload(Application.partners), selectinload(Application.indicators),
            selectinload(Application.budget_lines),
        )
        .order_by(Application.sequence)
    ))


def automatic_checks(session: Session, call: Call) -> list[tuple[Application, AutomaticChecks]]:
    """Each application of `call` waiting for screening, in the order of registration, with
    the checks: the call's rules are met (check_application finds nothing), the library is
    approved, and the library is within the call's limit of applications (its applications
    counted in the order they were registered)."""
    applications = _submitted(session, call)
    counts: dict[int, int] = {}
    ranks: dict[int, int] = {}
    for app in applications:
        counts[app.organisation_id] = counts.get(app.organisation_id, 0) + 1
        ranks[app.id] = counts[app.organisation_id]
    limit = call.max_applications_per_organisation
    rows = []
    for app in applications:
        if app.status != S.SUBMITTED:
            continue
        checks = AutomaticChecks(
            issues=check_application(app),
            organisation_approved=app.organisation.is_approved,
            organisation_count=counts[app.organisation_id],
            organisation_rank=ranks[app.id],
            limit=limit,
        )
        checks.messages = [issue.message for issue in checks.issues]
        if not checks.organisation_approved:
            checks.messages.append(str(_l("The library's registration is not approved.")))
        if not checks.within_limit:
            checks.messages.append(str(_l(
                "This is application %(rank)d of %(count)d from this library; the call "
                "accepts at most %(limit)d per library.", rank=checks.organisation_rank,
                count=checks.organisation_count, limit=limit)))
        rows.append((app, checks))
    return rows


def screen_application(
    session: Session, app: Application, admit: bool, reason: str = "", *, actor: User,
    now: datetime | None = None,
) -> None:
    """The chair admits a submitted application or does not, after the call has closed. A
    reason is required not to admit and kept either way. Raises ConflictError while the
    call is open or when the application was already screened, DomainError (field
    `reason`) when a refusal has no reason, PermissionError for anyone but the chair."""
    apply_transition(session, app, "admit" if admit else "reject", actor=actor,
                     reason=reason, now=now)
    app.eligibility_reason = reason.strip()
    session.flush()


@dataclass
class AdmissionRow:
    number: int
    application: Application
    admitted: bool
    reason: str


@dataclass
class AdmissionList:
    admitted: list[AdmissionRow]
    not_admitted: list[AdmissionRow]
    pending: int  # submitted and not yet screened

    @property
    def rows(self) -> list[AdmissionRow]:
        return self.admitted + self.not_admitted


def admission_list(session: Session, call: Call) -> AdmissionList:
    """The admission list of `call`: admitted and not admitted applications in the order of
    registration, each list numbered from 1, and how many still wait for screening."""
    applications = session.scalars(
        select(Application)
        .where(Application.call_id == call.id, Application.status.in_(SCREENED_OR_PENDING))
        .options(selectinload(Application.organisation))
        .order_by(Application.sequence)
    ).all()
    admitted = [a for a in applications if a.status in ADMITTED_STATUSES]
    refused = [a for a in applications if a.status == S.INELIGIBLE]
    return AdmissionList(
        admitted=[AdmissionRow(n, a, True, a.eligibility_reason)
                  for n, a in enumerate(admitted, start=1)],
        not_admitted=[AdmissionRow(n, a, False, a.eligibility_reason)
                      for n, a in enumerate(refused, start=1)],
        pending=sum(1 for a in applications if a.status == S.SUBMITTED),
    )
