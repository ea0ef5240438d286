"""Funding decisions on a call: recording and changing them until the committee finalises;
finalising (the applications move, every applicant is told); and after that only a funded
applicant declining and the first reserve application funded with what is free.

The approved amounts of a call never add up to more than its fund, however many people
decide at once: every change that approves money first takes the call row's lock and sums the
approved amounts again under it. On PostgreSQL that is SELECT ... FOR UPDATE, so a second
decision waits until the first commits and then sees its amount; SQLite has no row locks, but
the portal opens every SQLite transaction with BEGIN IMMEDIATE, so writers already run one at
a time. Every decision and change is audited."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.i18n import current_locale
from portal.models import (
    Application,
    ApplicationStatus,
    BudgetLine,
    Call,
    Decision,
    DecisionOutcome,
    Role,
    User,
    UserRole,
)
from portal.money import KOPECK, ZERO, format_money
from portal.permissions import Action, can
from portal.services.audit import record_event
from portal.services.mail import queue_mail
from portal.services.ranking import stored_integer
from portal.workflow import ADMITTED_STATUSES, apply_transition

S = ApplicationStatus

# Outcomes the committee records before finalising; "declined" comes only from decline().
DECIDABLE = (DecisionOutcome.FUNDED, DecisionOutcome.NOT_FUNDED, DecisionOutcome.RESERVE)
# Still waiting for reviews: finalising would leave them without a decision.
NOT_YET_REVIEWED = (S.ELIGIBLE, S.IN_REVIEW)


def _money(amount: Decimal) -> str:
    return format_money(amount, current_locale())


# --- reading under the lock -----------------------------------------------------------------


def lock_call(session: Session, call_id: int) -> Call:
    """Take the call row's lock (see the module's note) and re-read the call as committed."""
    return session.scalars(
        select(Call).where(Call.id == call_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def approved_total(session: Session, call_id: int, *, excluding: int | None = None) -> Decimal:
    """The sum of the amounts approved by the call's funded decisions, leaving out the
    application `excluding` (whose decision is being changed)."""
    query = select(func.coalesce(func.sum(stored_integer(Decision.approved_amount)), 0)).where(
        Decision.call_id == call_id, Decision.outcome == DecisionOutcome.FUNDED
    )
    if excluding is not None:
        query = query.where(Decision.application_id != excluding)
    return Decimal(int(session.scalar(query) or 0)).scaleb(-2).quantize(KOPECK)


def requested_amount(session: Session, application_id: int) -> Decimal:
    """The amount the application asks of the municipality: the sum of its budget lines."""
    raw = session.scalar(
        select(func.coalesce(func.sum(stored_integer(BudgetLine.requested_amount)), 0))
        .where(BudgetLine.application_id == application_id)
    )
    return Decimal(int(raw or 0)).scaleb(-2).quantize(KOPECK)


def _current_decision(session: Session, application_id: int) -> Decision | None:
    return session.scalars(
        select(Decision).where(Decision.application_id == application_id)
        .execution_options(populate_existing=True)
    ).one_or_none()


# --- the rules ------------------------------------------------------------------------------


def _check_amount(amount: Decimal | None, requested: Decimal, reason: str) -> Decimal:
    """More than 0, at most the amount requested, whole kopecks; a reason when it is less."""
    if amount is None or amount <= 0:
        raise DomainError(_l("Give the approved amount, more than 0."), field="approved_amount")
    if amount != amount.quantize(KOPECK):
        raise DomainError(_l("The amount has fractions of a kopeck."), field="approved_amount")
    if amount > requested:
        raise DomainError(
            _l("The approved amount %(amount)s is more than the %(requested)s requested.",
               amount=_money(amount), requested=_money(requested)),
            field="approved_amount",
        )
    if amount < requested and not reason:
        raise DomainError(
            _l("Say why the amount is less than the %(requested)s requested; the reason goes "
               "into the protocol.", requested=_money(requested)),
            field="reason",
        )
    return amount


def _check_fund(session: Session, call: Call, application_id: int, amount: Decimal) -> None:
    """Under the call's lock: the approved amounts with this one must fit in the fund."""
    approved = approved_total(session, call.id, excluding=application_id)
    if approved + amount > call.fund_amount:
        free = max(call.fund_amount - approved, ZERO)
        raise ConflictError(
            _l("%(amount)s does not fit in the fund: %(approved)s of the fund of %(fund)s is "
               "already approved, %(free)s is free. With this decision the approved amounts "
               "would come to %(total)s.",
               amount=_money(amount), approved=_money(approved), fund=_money(call.fund_amount),
               free=_money(free), total=_money(approved + amount)),
            field="approved_amount",
        )


def _next_reserve_rank(session: Session, call_id: int, application_id: int) -> int:
    highest = session.scalar(
        select(func.max(Decision.reserve_rank)).where(
            Decision.call_id == call_id, Decision.outcome == DecisionOutcome.RESERVE,
            Decision.application_id != application_id,
        )
    )
    return int(highest or 0) + 1


def _check_reserve_rank(session: Session, call_id: int, application_id: int, rank: int) -> None:
    if rank < 1:
        raise DomainError(_l("A place on the reserve list is 1 or more."), field="reserve_rank")
    taken = session.scalar(
        select(Application.registration_number)
        .join(Decision, Decision.application_id == Application.id)
        .where(Decision.call_id == call_id, Decision.outcome == DecisionOutcome.RESERVE,
               Decision.reserve_rank == rank, Decision.application_id != application_id)
    )
    if taken:
        raise DomainError(
            _l("Place %(rank)d on the reserve list is already given to %(number)s.",
               rank=rank, number=taken),
            field="reserve_rank",
        )


def _prerender(session: Session, call_id: int, application_id: int | None = None) -> None:
    """Have the call's final documents (the protocol and the approved budgets), and those of
    an application that is no longer funded, rendered into the store once this commits."""
    from portal.services import jobs  # jobs imports this module (lock_call)

    jobs.prerender_after_commit(session, jobs.CALL_DOCUMENTS, call_id)
    if application_id is not None:
        jobs.prerender_after_commit(session, jobs.APPLICATION_DOCUMENTS, application_id)


def _ensure_not_final(call: Call) -> None:
    if call.decisions_finalised_at is not None:
        raise ConflictError(
            _l("The committee's decisions on this call are final. What remains is recording "
               "that a funded applicant declines, and funding from the reserve list.")
        )


def _snapshot(decision: Decision | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {"outcome": str(decision.outcome),
            "approved_amount": (str(decision.approved_amount)
                                if decision.approved_amount is not None else None),
            "reserve_rank": decision.reserve_rank, "reason": decision.reason}


# --- before finalising ----------------------------------------------------------------------


def decide(
    session: Session,
    application: Application,
    outcome: DecisionOutcome | str,
    *,
    approved_amount: Decimal | None = None,
    reason: str = "",
    reserve_rank: int | None = None,
    actor: User,
    now: datetime | None = None,
) -> Decision:
    """Record or change the decision on a reviewed application, until the committee
    finalises: funded (an approved amount above 0 and at most the amount requested, with a
    reason when it is less), not funded (a reason), or the reserve list (a place, the next
    free one when none is given). Funding is checked against the fund under the call's lock.
    Raises PermissionError for anyone but the chair, ConflictError when the decisions are
    final, the application is not reviewed or the money does not fit, DomainError for a
    missing or wrong figure or reason."""
    now = now or utcnow()
    if not can(actor, Action.DECIDE_FUNDING, application):
        raise PermissionError("decide_funding")
    try:
        outcome = DecisionOutcome(outcome)
    except ValueError:
        raise DomainError(_l("Choose a decision."), field="outcome") from None
    if outcome not in DECIDABLE:
        raise DomainError(_l("Choose a decision."), field="outcome")
    reason = (reason or "").strip()

    session.flush()
    call = lock_call(session, application.call_id)
    session.refresh(application)  # its state as committed before the lock was ours
    _ensure_not_final(call)
    if application.status != S.REVIEWED:
        raise ConflictError(
            _l("A decision can be recorded once all the application's reviews are in; "
               "%(number)s is not reviewed.", number=application.registration_number)
        )

    amount: Decimal | None = None
    rank: int | None = None
    if outcome == DecisionOutcome.FUNDED:
        amount = _check_amount(approved_amount, requested_amount(session, application.id),
                               reason)
        _check_fund(session, call, application.id, amount)
    elif outcome == DecisionOutcome.NOT_FUNDED:
        if not reason:
            raise DomainError(_l("Say why the application is not funded; the reason goes "
                                 "into the protocol."), field="reason")
    else:
        rank = reserve_rank or _next_reserve_rank(session, call.id, application.id)
        _check_reserve_rank(session, call.id, application.id, rank)

    decision = _current_decision(session, application.id)
    previous = _snapshot(decision)
    if decision is None:
        decision = Decision(application_id=application.id, call_id=call.id)
        session.add(decision)
    decision.outcome = outcome
    decision.approved_amount = amount
    decision.reason = reason
    decision.reserve_rank = rank
    decision.decided_at = now
    decision.decided_by_id = actor.id
    session.flush()
    record_event(
        session, actor=actor, action="decision.changed" if previous else "decision.recorded",
        obj=application, from_state=previous["outcome"] if previous else None,
        to_state=outcome, reason=reason,
        details={"call_id": call.id, "before": previous, "after": _snapshot(decision)},
    )
    return decision


def finalisation_problems(session: Session, call: Call) -> list[str]:
    """What stops the decisions from being finalised, as messages a person can act on."""
    rows = session.execute(
        select(Application.registration_number, Application.status, Decision.outcome)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Application.call_id == call.id, Application.status.in_(ADMITTED_STATUSES))
        .order_by(Application.sequence)
    ).all()
    waiting = [r.registration_number for r in rows if r.status in NOT_YET_REVIEWED]
    undecided = [r.registration_number for r in rows
                 if r.status == S.REVIEWED and r.outcome not in DECIDABLE]
    problems = []
    if waiting:
        problems.append(str(_l(
            "Still waiting for reviews: %(numbers)s. Finish or reassign their reviews first.",
            numbers=", ".join(waiting))))
    if undecided:
        problems.append(str(_l("No decision recorded yet for: %(numbers)s.",
                               numbers=", ".join(undecided))))
    if not any(r.status == S.REVIEWED for r in rows):
        problems.append(str(_l("There is no reviewed application to decide on.")))
    approved = approved_total(session, call.id)
    if approved > call.fund_amount:
        problems.append(str(_l(
            "The approved amounts come to %(approved)s, more than the fund of %(fund)s (it "
            "was lowered after the decisions). Reduce them first.",
            approved=_money(approved), fund=_money(call.fund_amount))))
    return problems


def _applicants(session: Session, organisation_ids: Sequence[int]) -> dict[int, list[User]]:
    """The enabled applicant accounts of each organisation, in one statement."""
    users = session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.APPLICANT, User.is_enabled.is_(True),
               User.organisation_id.in_(organisation_ids))
        .order_by(User.id)
    ).all()
    found: dict[int, list[User]] = {}
    for user in users:
        found.setdefault(user.organisation_id, []).append(user)  # type: ignore[arg-type]
    return found


SUBJECTS = {
    DecisionOutcome.FUNDED: _l("Your application has been funded"),
    DecisionOutcome.NOT_FUNDED: _l("Your application has not been funded"),
    DecisionOutcome.RESERVE: _l("Your application is on the reserve list"),
}


def _tell_applicants(session: Session, app: Application, decision: Decision,
                     users: Sequence[User], *, from_reserve: bool = False) -> None:
    for user in users:
        queue_mail(session, to=user, subject=SUBJECTS[decision.outcome],
                   template=f"decision_{decision.outcome.value}", application=app,
                   decision=decision, call=app.call, from_reserve=from_reserve)


def finalise_decisions(
    session: Session, call: Call, *, actor: User, now: datetime | None = None
) -> int:
    """Make the call's decisions final: every admitted application must be reviewed and
    decided, and the approved amounts within the fund. The funded ones move to funded, the
    others (the reserve list too) to not funded; the call records when; every applicant of
    every decided application is e-mailed the outcome (the amount, the reason, the place on
    the reserve list); it is audited; the protocol and the approved budgets are rendered into
    the document store once this commits. Returns how many applications were decided.
    Raises ConflictError listing what is missing."""
    now = now or utcnow()
    if not can(actor, Action.DECIDE_FUNDING, call):
        raise PermissionError("decide_funding")
    session.flush()
    call = lock_call(session, call.id)
    _ensure_not_final(call)
    # Then the applications' rows, in one statement (always after the call's, never before,
    # so no lock cycle): a review reopened at this moment waits, or is seen as reopened.
    session.scalars(
        select(Application).where(Application.call_id == call.id,
                                  Application.status.in_(ADMITTED_STATUSES))
        .order_by(Application.id).with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    problems = finalisation_problems(session, call)
    if problems:
        raise ConflictError(" ".join(problems))

    decided = session.execute(
        select(Application, Decision)
        .join(Decision, Decision.application_id == Application.id)
        .where(Application.call_id == call.id, Application.status == S.REVIEWED)
        .order_by(Application.sequence)
        .execution_options(populate_existing=True)
    ).all()
    for app, decision in decided:
        action = "fund" if decision.outcome == DecisionOutcome.FUNDED else "not_fund"
        apply_transition(session, app, action, actor=actor, now=now,
                         reason=decision.reason)
    call.decisions_finalised_at = now
    applicants = _applicants(session, sorted({app.organisation_id for app, _d in decided}))
    for app, decision in decided:
        _tell_applicants(session, app, decision, applicants.get(app.organisation_id, []))
    counts = {o.value: sum(1 for _a, d in decided if d.outcome == o) for o in DECIDABLE}
    record_event(
        session, actor=actor, action="call.decisions_finalised", obj=call,
        details={**counts, "approved_total": str(approved_total(session, call.id)),
                 "fund_amount": str(call.fund_amount)},
    )
    session.flush()
    _prerender(session, call.id)
    return len(decided)


# --- after finalising -------------------------------------------------------------------------


def _ensure_final(call: Call) -> None:
    if call.decisions_finalised_at is None:
        raise ConflictError(
            _l("The decisions are not final yet; change the decision itself instead.")
        )


def decline(
    session: Session, application: Application, *, reason: str, actor: User,
    now: datetime | None = None,
) -> Decision:
    """Record that a funded applicant declines the grant, with their reason: the decision
    becomes “declined” (its amount kept for the record, no longer counted against the fund)
    and the application moves funded -> declined. The money is then free for the reserve
    list. The protocol and the budgets that change are rendered into the document store once
    this commits. Raises ConflictError before finalisation or for an application not
    funded."""
    now = now or utcnow()
    if not can(actor, Action.DECIDE_FUNDING, application):
        raise PermissionError("decide_funding")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give a reason."), field="reason")
    session.flush()
    call = lock_call(session, application.call_id)
    session.refresh(application)
    _ensure_final(call)
    decision = _current_decision(session, application.id)
    if (application.status != S.FUNDED or decision is None
            or decision.outcome != DecisionOutcome.FUNDED):
        raise ConflictError(_l("Only a funded application can decline its grant."))
    previous = _snapshot(decision)
    apply_transition(session, application, "decline", actor=actor, reason=reason, now=now)
    decision.outcome = DecisionOutcome.DECLINED
    decision.reason = reason
    decision.decided_at = now
    decision.decided_by_id = actor.id
    session.flush()
    record_event(session, actor=actor, action="decision.declined", obj=application,
                 from_state=DecisionOutcome.FUNDED, to_state=DecisionOutcome.DECLINED,
                 reason=reason,
                 details={"call_id": call.id, "before": previous, "after": _snapshot(decision)})
    _prerender(session, call.id, application.id)
    return decision


def first_in_reserve(session: Session, call_id: int) -> int | None:
    """The application at the top of the reserve list that is still waiting (not funded)."""
    return session.scalar(
        select(Decision.application_id)
        .join(Application, Application.id == Decision.application_id)
        .where(Decision.call_id == call_id, Decision.outcome == DecisionOutcome.RESERVE,
               Application.status == S.NOT_FUNDED)
        .order_by(Decision.reserve_rank, Application.sequence)
        .limit(1)
    )


def fund_from_reserve(
    session: Session, application: Application, *, approved_amount: Decimal | None,
    actor: User, reason: str = "", now: datetime | None = None,
) -> Decision:
    """Fund the first application of the reserve list with what is free in the fund (after
    a funded applicant declined, or a remainder): the same amount rules as decide(), the fund
    checked again under the call's lock; the application moves not funded -> funded and its
    applicants are e-mailed; the protocol and its approved budget are rendered into the
    document store once this commits. Raises ConflictError before finalisation, for an
    application that is not first on the reserve list, or when the money does not fit."""
    now = now or utcnow()
    if not can(actor, Action.DECIDE_FUNDING, application):
        raise PermissionError("decide_funding")
    reason = (reason or "").strip()
    session.flush()
    call = lock_call(session, application.call_id)
    session.refresh(application)
    _ensure_final(call)
    decision = _current_decision(session, application.id)
    if (decision is None or decision.outcome != DecisionOutcome.RESERVE
            or application.status != S.NOT_FUNDED):
        raise ConflictError(_l("This application is not on the reserve list."))
    first = first_in_reserve(session, call.id)
    if first != application.id:
        number = session.scalar(select(Application.registration_number)
                                .where(Application.id == first))
        raise ConflictError(
            _l("The reserve list is funded in its order: %(number)s comes first.",
               number=number)
        )
    amount = _check_amount(approved_amount, requested_amount(session, application.id), reason)
    _check_fund(session, call, application.id, amount)
    previous = _snapshot(decision)
    apply_transition(session, application, "fund_from_reserve", actor=actor, reason=reason,
                     now=now)
    decision.outcome = DecisionOutcome.FUNDED
    decision.approved_amount = amount
    decision.reason = reason
    decision.decided_at = now
    decision.decided_by_id = actor.id
    session.flush()
    record_event(session, actor=actor, action="decision.funded_from_reserve", obj=application,
                 from_state=DecisionOutcome.RESERVE, to_state=DecisionOutcome.FUNDED, reason=reason,
                 details={"call_id": call.id, "before": previous, "after": _snapshot(decision)})
    users = _applicants(session, [application.organisation_id]).get(
        application.organisation_id, [])
    _tell_applicants(session, application, decision, users, from_reserve=True)
    _prerender(session, call.id)
    return decision
