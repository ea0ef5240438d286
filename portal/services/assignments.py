"""Who reviews what: the call's reviewers and their limit, the conflict-of-interest rule,
automatic assignment that spreads the load evenly, the chair's changes by hand, and the
reminders before the review deadline. Every change is audited; reviewers are e-mailed."""

from __future__ import annotations

from collections import deque
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, object_session, selectinload

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Call,
    CallReviewer,
    Review,
    ReviewStatus,
    Role,
    User,
)
from portal.permissions import Action, can
from portal.services.audit import record_event
from portal.services.mail import queue_mail
from portal.services.reviews import complete_review_if_done
from portal.workflow import ADMITTED_STATUSES, apply_transition

S = ApplicationStatus

# Automatic assignment staffs admitted applications whose review has not finished.
ASSIGNABLE = (S.ELIGIBLE, S.IN_REVIEW)
# By hand the chair may also add a reviewer to a reviewed application (a disagreement).
OPEN_FOR_REVIEWERS = (S.ELIGIBLE, S.IN_REVIEW, S.REVIEWED)
# Reviewers are reminded when the review deadline is this close (or today).
REMIND_WITHIN_DAYS = 3

Pair = tuple[int, int]  # (application id, reviewer id)


# --- the rule of conflicts of interest --------------------------------------------------------


def _conflict(reviewer: User, application: Application, declared: Assignment | None) -> str | None:
    org, applicant = reviewer.organisation, application.organisation
    if org is not None and org.id == applicant.id:
        return str(_l("%(reviewer)s works at %(library)s, the applicant.",
                      reviewer=reviewer.full_name, library=org.short_name))
    if org is not None and org.inn == applicant.inn:
        return str(_l("%(reviewer)s works at %(library)s, which has the same INN (%(inn)s) as "
                      "the applicant %(applicant)s: one library system.",
                      reviewer=reviewer.full_name, library=org.short_name, inn=org.inn,
                      applicant=applicant.short_name))
    if declared is not None:
        return str(_l("%(reviewer)s declared a conflict of interest on this application: "
                      "%(reason)s", reviewer=reviewer.full_name,
                      reason=declared.conflict_reason or "—"))
    return None


def conflict_reason(reviewer: User, application: Application) -> str | None:
    """Why `reviewer` may not review `application`, or None when they may: they belong to
    the applicant library, or to a library with the same INN (branches of one library
    system share it), or they declared a conflict of interest on it before."""
    declared = None
    session = object_session(application)
    if session is not None and application.id is not None and reviewer.id is not None:
        declared = session.scalar(select(Assignment).where(
            Assignment.application_id == application.id,
            Assignment.reviewer_id == reviewer.id,
            Assignment.status == AssignmentStatus.CONFLICT,
        ))
    return _conflict(reviewer, application, declared)


# --- the plan, without the database ------------------------------------------------------------


def plan_assignments(
    applications: Sequence[int],
    reviewers: Sequence[int],
    existing: Iterable[Pair],
    per_app: int,
    limit: int | None,
    conflicts: Collection[Pair],
) -> list[Pair]:
    """The new (application, reviewer) pairs that give each of `applications` up to
    `per_app` reviewers, counting the `existing` active pairs of the call (which also count
    towards each reviewer's load), never a pair in `conflicts` or an existing one, and no
    reviewer above `limit` assignments in the call.

    This is a minimum-cost maximum flow (source -> application -> reviewer -> sink, where
    a reviewer's k-th assignment costs their load before it plus k) found by successive
    shortest paths. Inside the network every arc costs nothing, so each shortest path
    ends at the least-loaded reviewer who can take one more application, either directly
    or along a chain that hands a planned application from one reviewer to another
    (A takes X from B, who takes Y). Hence:
    - as many places are filled as the conflicts and the limit allow at all (a maximum
      flow): an application left short has every other reviewer in conflict, already on
      it, or at the limit;
    - among all such plans the sum of squared loads is the smallest, so no planned
      assignment could move to a reviewer with two fewer assignments; without conflicts
      (and without earlier assignments) no reviewer has more than one above another.
    Deterministic: ties go to the earlier application and reviewer in the given order."""
    apps = list(dict.fromkeys(applications))
    revs = list(dict.fromkeys(reviewers))
    existing_pairs = set(existing)
    forbidden = set(conflicts) | existing_pairs
    order = {r: i for i, r in enumerate(revs)}
    load = dict.fromkeys(revs, 0)
    staffed = dict.fromkeys(apps, 0)
    for a, r in existing_pairs:
        if r in load:
            load[r] += 1
        if a in staffed:
            staffed[a] += 1
    need = {a: max(0, per_app - staffed[a]) for a in apps}
    capacity = {r: len(apps) if limit is None else max(0, limit - load[r]) for r in revs}
    allowed = {a: [r for r in revs if (a, r) not in forbidden] for a in apps}
    planned: dict[int, list[int]] = {r: [] for r in revs}  # reviewer -> applications
    on_app: dict[int, set[int]] = {a: set() for a in apps}  # application -> reviewers

    while True:
        sources = [a for a in apps if len(on_app[a]) < need[a]]
        if not sources:
            break
        reached_from: dict[int, int] = {}  # reviewer -> the application that reached it
        handed_by: dict[int, int] = {}  # application -> the reviewer it would leave
        seen = set(sources)
        queue = deque(sources)
        while queue:
            a = queue.popleft()
            for r in allowed[a]:
                if r in reached_from or r in on_app[a]:
                    continue
                reached_from[r] = a
                for other in planned[r]:
                    if other not in seen:
                        seen.add(other)
                        handed_by[other] = r
                        queue.append(other)
        ends = [r for r in reached_from if len(planned[r]) < capacity[r]]
        if not ends:
            break
        r = min(ends, key=lambda rev: (load[rev] + len(planned[rev]), order[rev]))
        while True:  # along the chain back to its source application
            a = reached_from[r]
            planned[r].append(a)
            on_app[a].add(r)
            if a not in handed_by:
                break
            r = handed_by[a]
            planned[r].remove(a)
            on_app[a].discard(r)

    app_order = {a: i for i, a in enumerate(apps)}
    return sorted(((a, r) for r in revs for a in planned[r]),
                  key=lambda pair: (app_order[pair[0]], order[pair[1]]))


# --- reading ----------------------------------------------------------------------------------


def call_reviewers(session: Session, call: Call) -> list[User]:
    """The call's reviewers who can review: chosen for the call, holding the reviewer role,
    and with an enabled account; by name."""
    return list(session.scalars(
        select(User)
        .join(CallReviewer, CallReviewer.user_id == User.id)
        .where(CallReviewer.call_id == call.id, User.is_enabled.is_(True),
               User.role_rows.any(role=Role.REVIEWER))
        .options(selectinload(User.organisation))
        .order_by(User.full_name, User.id)
    ))


def reviewer_loads(session: Session, call: Call) -> dict[int, int]:
    """Active assignments in `call` per reviewer id (handed-back ones do not count)."""
    return dict(session.execute(
        select(Assignment.reviewer_id, func.count())
        .join(Application, Assignment.application_id == Application.id)
        .where(Application.call_id == call.id, Assignment.status == AssignmentStatus.ACTIVE)
        .group_by(Assignment.reviewer_id)
    ).all())


def _declared(session: Session, call: Call) -> dict[Pair, Assignment]:
    rows = session.scalars(
        select(Assignment)
        .join(Application, Assignment.application_id == Application.id)
        .where(Application.call_id == call.id, Assignment.status == AssignmentStatus.CONFLICT)
    )
    return {(a.application_id, a.reviewer_id): a for a in rows}


def _require_chair(actor: User, call: Call) -> None:
    """Only the committee's chair changes reviewers and assignments (the views check it
    first; this keeps the command line and jobs to the same rule)."""
    if not can(actor, Action.MANAGE_ASSIGNMENTS, call):
        raise PermissionError("manage_assignments")


def _lock(session: Session, call: Call) -> None:
    """Changes to a call's assignments are made under the call row's lock, so that two
    people assigning at once cannot take a reviewer over the limit."""
    session.scalars(select(Call.id).where(Call.id == call.id).with_for_update()).one()


# --- the call's reviewers --------------------------------------------------------------------


def set_call_reviewers(
    session: Session, call: Call, user_ids: Collection[int], limit: int | None, *,
    actor: User,
) -> None:
    """The chair chooses the call's reviewers and the most assignments each may have.
    Refuses (DomainError) a user without the reviewer role, removing a reviewer who still
    has assignments in the call, and a limit below a reviewer's current assignments."""
    _require_chair(actor, call)
    if limit is not None and limit < 1:
        raise DomainError(_l("The limit must be at least 1."),
                          field="max_assignments_per_reviewer")
    chosen = {row.user_id: row for row in session.scalars(
        select(CallReviewer).where(CallReviewer.call_id == call.id))}
    wanted = set(user_ids)
    users = {u.id: u for u in session.scalars(
        select(User).where(User.id.in_(wanted | set(chosen))))}
    if wanted - set(users):
        raise DomainError(_l("One of the chosen users does not exist."), field="reviewers")
    for user_id in sorted(wanted - set(chosen)):
        user = users[user_id]
        if not user.has_role(Role.REVIEWER) or not user.is_enabled:
            raise DomainError(_l("%(name)s does not hold the reviewer role.",
                                 name=user.full_name), field="reviewers")
    loads = reviewer_loads(session, call)
    for user_id in sorted(set(chosen) - wanted):
        if loads.get(user_id):
            raise DomainError(_l(
                "%(name)s has %(n)d assignments in this call; remove or swap them before "
                "taking them off the call's reviewers.", name=users[user_id].full_name,
                n=loads[user_id]), field="reviewers")
    if limit is not None:
        for user_id in sorted(wanted):
            if loads.get(user_id, 0) > limit:
                raise DomainError(_l(
                    "%(name)s already has %(n)d assignments in this call; the limit cannot "
                    "be lower than that.", name=users[user_id].full_name, n=loads[user_id]),
                    field="max_assignments_per_reviewer")

    for user_id in sorted(wanted - set(chosen)):
        session.add(CallReviewer(call_id=call.id, user_id=user_id))
        record_event(session, actor=actor, action="call.reviewer_added", obj=call,
                     details={"reviewer_id": user_id, "reviewer": users[user_id].email})
    for user_id in sorted(set(chosen) - wanted):
        session.delete(chosen[user_id])
        record_event(session, actor=actor, action="call.reviewer_removed", obj=call,
                     details={"reviewer_id": user_id, "reviewer": users[user_id].email})
    if limit != call.max_assignments_per_reviewer:
        record_event(session, actor=actor, action="call.reviewer_limit_changed", obj=call,
                     from_state=_text(call.max_assignments_per_reviewer), to_state=_text(limit))
        call.max_assignments_per_reviewer = limit
    session.flush()


def _text(limit: int | None) -> str:
    return "none" if limit is None else str(limit)


# --- automatic assignment ----------------------------------------------------------------------


@dataclass
class Shortfall:
    """An application that could not get all its reviewers, and why."""

    application: Application
    have: int
    needed: int
    reason: str


@dataclass
class AssignmentSummary:
    created: list[Assignment] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)


def _create(session: Session, application: Application, reviewer: User, actor: User | None,
            **details: object) -> Assignment:
    assignment = Assignment(application_id=application.id, call_id=application.call_id,
                            reviewer_id=reviewer.id, created_by_id=actor.id if actor else None)
    assignment.application = application
    assignment.reviewer = reviewer
    session.add(assignment)
    session.flush()
    record_event(session, actor=actor, action="assignment.created", obj=assignment,
                 to_state=AssignmentStatus.ACTIVE,
                 details={"application_id": application.id, "reviewer_id": reviewer.id,
                          "reviewer": reviewer.email, **details})
    return assignment


def _review_started(session: Session, application: Application, actor: User) -> None:
    """A new reviewer starts the review of an admitted application, or resumes that of a
    reviewed one (the chair added a reviewer after a disagreement)."""
    if application.status == S.ELIGIBLE:
        apply_transition(session, application, "start_review", actor=actor)
    elif application.status == S.REVIEWED:
        apply_transition(session, application, "resume_review", actor=actor)


def _notify_new(session: Session, reviewer: User, call: Call,
                assignments: list[Assignment]) -> None:
    queue_mail(session, to=reviewer, subject=_l("New applications to review"),
               template="assignments_new", call=call,
               applications=[a.application for a in assignments])


def auto_assign(session: Session, call: Call, *, actor: User) -> AssignmentSummary:
    """Give each admitted application still in need (eligible or in review) the call's
    number of reviewers, counting the active ones it has: the plan of plan_assignments over
    the call's reviewers, never a conflict of interest, never above the per-reviewer limit.
    Each new assignment is audited, an application's first one starts its review, and each
    reviewer gets one e-mail listing their new assignments. Returns what was made and which
    applications stay short, with the reason."""
    _require_chair(actor, call)
    _lock(session, call)
    reviewers = call_reviewers(session, call)
    applications = list(session.scalars(
        select(Application)
        .where(Application.call_id == call.id, Application.status.in_(ASSIGNABLE))
        .options(selectinload(Application.organisation))
        .order_by(Application.sequence)
    ))
    existing = [tuple(row) for row in session.execute(
        select(Assignment.application_id, Assignment.reviewer_id)
        .join(Application, Assignment.application_id == Application.id)
        .where(Application.call_id == call.id, Assignment.status == AssignmentStatus.ACTIVE)
    )]
    declared = _declared(session, call)
    conflicts = {
        (a.id, r.id) for a in applications for r in reviewers
        if _conflict(r, a, declared.get((a.id, r.id))) is not None
    }
    per_app = call.reviewers_per_application
    limit = call.max_assignments_per_reviewer
    plan = plan_assignments([a.id for a in applications], [r.id for r in reviewers],
                            existing, per_app, limit, conflicts)

    by_id = {a.id: a for a in applications}
    reviewer_by_id = {r.id: r for r in reviewers}
    summary = AssignmentSummary()
    new_for: dict[int, list[Assignment]] = {}
    for app_id, reviewer_id in plan:
        assignment = _create(session, by_id[app_id], reviewer_by_id[reviewer_id], actor,
                             automatic=True)
        summary.created.append(assignment)
        new_for.setdefault(reviewer_id, []).append(assignment)
    for app_id in dict.fromkeys(app_id for app_id, _r in plan):
        _review_started(session, by_id[app_id], actor)
    for reviewer in reviewers:
        if reviewer.id in new_for:
            _notify_new(session, reviewer, call, new_for[reviewer.id])

    pairs = set(existing) | set(plan)
    loads = dict.fromkeys(reviewer_by_id, 0)
    for _a, r in pairs:
        if r in loads:
            loads[r] += 1
    for app in applications:
        on_it = sum(1 for r in reviewer_by_id if (app.id, r) in pairs)
        have = sum(1 for a, _r in pairs if a == app.id)
        if have >= per_app:
            continue
        in_conflict = sum(1 for r in reviewer_by_id if (app.id, r) in conflicts)
        full = sum(1 for r in reviewer_by_id
                   if (app.id, r) not in pairs and (app.id, r) not in conflicts
                   and limit is not None and loads[r] >= limit)
        if not reviewers:
            reason = str(_l("The call has no reviewers yet; choose them first."))
        else:
            reason = str(_l(
                "Of the call's %(total)d reviewers, %(on)d already review it, %(conflicts)d "
                "have a conflict of interest and %(full)d have reached the limit.",
                total=len(reviewers), on=on_it, conflicts=in_conflict, full=full))
        summary.shortfalls.append(Shortfall(app, have, per_app, reason))
    session.flush()
    return summary


# --- changes by hand ---------------------------------------------------------------------------


def _ensure_open(application: Application) -> None:
    if application.status not in OPEN_FOR_REVIEWERS:
        raise ConflictError(_l(
            "Reviewers can be changed only on admitted applications whose review is not "
            "decided yet."))


def _check_new_reviewer(session: Session, application: Application, reviewer: User) -> None:
    """Refuse a reviewer who is not among the call's reviewers, already on the application,
    in a conflict of interest with it, or at the call's limit."""
    call = application.call
    if reviewer.id not in {u.id for u in call_reviewers(session, call)}:
        raise DomainError(_l("%(name)s is not among this call's reviewers; choose them on the "
                             "Reviewers page first.", name=reviewer.full_name),
                          field="reviewer_id")
    already = session.scalar(select(exists().where(
        Assignment.application_id == application.id, Assignment.reviewer_id == reviewer.id,
        Assignment.status == AssignmentStatus.ACTIVE)))
    if already:
        raise ConflictError(_l("%(name)s already reviews this application.",
                               name=reviewer.full_name), field="reviewer_id")
    reason = conflict_reason(reviewer, application)
    if reason is not None:
        raise DomainError(_l("A conflict of interest: %(reason)s", reason=reason),
                          field="reviewer_id")
    limit = call.max_assignments_per_reviewer
    load = reviewer_loads(session, call).get(reviewer.id, 0)
    if limit is not None and load >= limit:
        raise DomainError(_l(
            "%(name)s already has %(n)d assignments in this call, the limit for each "
            "reviewer.", name=reviewer.full_name, n=load), field="reviewer_id")


def _ensure_removable(session: Session, assignment: Assignment) -> None:
    """Take the application's row lock (a reviewer submitting holds it too) and re-read the
    assignment and its review, then refuse what may not be taken off the reviewer."""
    session.refresh(assignment.application, with_for_update=True)
    session.refresh(assignment)
    if assignment.review is not None:
        session.refresh(assignment.review)
    if assignment.status != AssignmentStatus.ACTIVE:
        raise ConflictError(_l("This assignment was handed back with a declared conflict of "
                               "interest; it stays on record."))
    review = assignment.review
    if review is not None and review.status == ReviewStatus.SUBMITTED:
        raise ConflictError(_l(
            "%(name)s has submitted a review of this application; the assignment can no "
            "longer be removed.", name=assignment.reviewer.full_name))
    _ensure_open(assignment.application)


def _delete(session: Session, assignment: Assignment) -> bool:
    """Delete the assignment and a draft review of it; True when there was a draft."""
    review = assignment.review
    if review is not None:
        session.delete(review)
    session.delete(assignment)
    session.flush()
    return review is not None


def _notify_removed(session: Session, reviewer: User, application: Application) -> None:
    queue_mail(session, to=reviewer, subject=_l("An application was taken off your list"),
               template="assignments_removed", call=application.call,
               application=application)


def add_assignment(session: Session, application: Application, reviewer: User, *,
                   actor: User) -> Assignment:
    """The chair gives `application` one more reviewer. Refused (DomainError, saying why)
    for a reviewer who is not among the call's reviewers, already on it, in a conflict of
    interest with it, or at the limit; and for an application not admitted or decided."""
    _require_chair(actor, application.call)
    _lock(session, application.call)
    _ensure_open(application)
    _check_new_reviewer(session, application, reviewer)
    assignment = _create(session, application, reviewer, actor)
    _review_started(session, application, actor)
    _notify_new(session, reviewer, application.call, [assignment])
    session.flush()
    return assignment


def remove_assignment(session: Session, assignment: Assignment, *, actor: User) -> None:
    """The chair takes an application off a reviewer (a draft review of it goes too).
    Refused (ConflictError) once the reviewer has submitted the review, for a handed-back
    assignment, and after the application is decided."""
    _require_chair(actor, assignment.application.call)
    _lock(session, assignment.application.call)
    _ensure_removable(session, assignment)
    application, reviewer = assignment.application, assignment.reviewer
    record_event(session, actor=actor, action="assignment.removed", obj=assignment,
                 from_state=assignment.status, details={
                     "application_id": application.id, "reviewer_id": reviewer.id,
                     "reviewer": reviewer.email,
                     "draft_review_discarded": assignment.review is not None})
    _delete(session, assignment)
    _notify_removed(session, reviewer, application)
    # The removed reviewer may have been the only one the application still waited for.
    complete_review_if_done(session, application, actor=actor)


def swap_assignment(session: Session, assignment: Assignment, new_reviewer: User, *,
                    actor: User) -> Assignment:
    """The chair hands an assignment to another reviewer: the refusals of remove_assignment
    for the old one and of add_assignment for the new one."""
    application, old = assignment.application, assignment.reviewer
    _require_chair(actor, application.call)
    _lock(session, application.call)
    _ensure_removable(session, assignment)
    _check_new_reviewer(session, application, new_reviewer)
    had_draft = _delete(session, assignment)
    new = _create(session, application, new_reviewer, actor, swapped_from_id=old.id,
                  swapped_from=old.email)
    record_event(session, actor=actor, action="assignment.swapped", obj=new,
                 from_state=old.email, to_state=new_reviewer.email,
                 details={"application_id": application.id, "from_reviewer_id": old.id,
                          "to_reviewer_id": new_reviewer.id,
                          "draft_review_discarded": had_draft})
    _notify_removed(session, old, application)
    _notify_new(session, new_reviewer, application.call, [new])
    session.flush()
    return new


# --- the chair's table ------------------------------------------------------------------------


@dataclass
class ReviewerChoice:
    reviewer: User
    problem: str | None  # why the portal would refuse them here, if it would


@dataclass
class BoardRow:
    application: Application
    assignments: list[Assignment]  # active ones first, then those handed back
    active: int
    missing: int  # reviewers still needed
    choices: list[ReviewerChoice]  # the call's reviewers not on the application
    can_change: bool


@dataclass
class ReviewerLoad:
    reviewer: User
    active: int
    submitted: int


@dataclass
class Board:
    rows: list[BoardRow]
    loads: list[ReviewerLoad]
    reviewers: list[User]


def assignment_board(session: Session, call: Call) -> Board:
    """Each admitted application of `call` with its reviewers and the state of their
    reviews (never the scores), how many reviewers it still needs and whom the chair could
    add; each reviewer's load."""
    reviewers = call_reviewers(session, call)
    applications = session.scalars(
        select(Application)
        .where(Application.call_id == call.id, Application.status.in_(ADMITTED_STATUSES))
        .options(selectinload(Application.organisation))
        .order_by(Application.sequence)
    ).all()
    assignments = session.scalars(
        select(Assignment)
        .join(Application, Assignment.application_id == Application.id)
        .where(Application.call_id == call.id)
        .options(selectinload(Assignment.reviewer).selectinload(User.organisation),
                 selectinload(Assignment.review))
        .order_by(Assignment.created_at, Assignment.id)
    ).all()
    declared = {(a.application_id, a.reviewer_id): a for a in assignments
                if a.status == AssignmentStatus.CONFLICT}
    loads = reviewer_loads(session, call)
    limit = call.max_assignments_per_reviewer
    by_app: dict[int, list[Assignment]] = {}
    for assignment in assignments:
        by_app.setdefault(assignment.application_id, []).append(assignment)

    rows = []
    for app in applications:
        mine = sorted(by_app.get(app.id, []),
                      key=lambda a: a.status != AssignmentStatus.ACTIVE)
        active = sum(1 for a in mine if a.status == AssignmentStatus.ACTIVE)
        taken = {a.reviewer_id for a in mine if a.status == AssignmentStatus.ACTIVE}
        choices = []
        for reviewer in reviewers:
            if reviewer.id in taken:
                continue
            problem = _conflict(reviewer, app, declared.get((app.id, reviewer.id)))
            if problem is None and limit is not None and loads.get(reviewer.id, 0) >= limit:
                problem = str(_l("at the limit of %(n)d assignments", n=limit))
            choices.append(ReviewerChoice(reviewer, problem))
        can_change = app.status in OPEN_FOR_REVIEWERS
        rows.append(BoardRow(
            application=app, assignments=mine, active=active,
            missing=max(0, call.reviewers_per_application - active) if can_change else 0,
            choices=choices, can_change=can_change,
        ))
    submitted: dict[int, int] = {}
    for assignment in assignments:
        if assignment.review is not None and assignment.review.status == ReviewStatus.SUBMITTED:
            submitted[assignment.reviewer_id] = submitted.get(assignment.reviewer_id, 0) + 1
    return Board(
        rows=rows,
        loads=[ReviewerLoad(r, loads.get(r.id, 0), submitted.get(r.id, 0)) for r in reviewers],
        reviewers=reviewers,
    )


# --- reminders --------------------------------------------------------------------------------


def send_review_reminders(session: Session, now: datetime | None = None) -> int:
    """E-mail each reviewer who has unsubmitted reviews (active assignments without a
    submitted review) in a call whose review deadline is today or within the next
    REMIND_WITHIN_DAYS days, counted in the call's time zone: one message per reviewer
    and call. Each assignment is stamped when reminded and never reminded again, so running
    this twice sends nothing twice. Returns how many e-mails were written."""
    now = now or utcnow()
    # A rough window in SQL (time zones are at most a day apart); the exact day below.
    window = (now.date() - timedelta(days=1), now.date() + timedelta(days=REMIND_WITHIN_DAYS + 1))
    rows = session.execute(
        select(Assignment, Call)
        .join(Application, Assignment.application_id == Application.id)
        .join(Call, Application.call_id == Call.id)
        .where(
            Assignment.status == AssignmentStatus.ACTIVE,
            Assignment.deadline_reminded_at.is_(None),
            Application.status.in_(OPEN_FOR_REVIEWERS),
            Call.review_deadline.between(*window),
            ~exists().where(Review.assignment_id == Assignment.id,
                            Review.status == ReviewStatus.SUBMITTED),
        )
        .order_by(Call.id, Assignment.reviewer_id, Application.sequence)
        .with_for_update(of=Assignment)
    ).all()
    due: dict[tuple[int, int], list[Assignment]] = {}
    for assignment, call in rows:
        today = now.astimezone(ZoneInfo(call.timezone)).date()
        if 0 <= (call.review_deadline - today).days <= REMIND_WITHIN_DAYS:
            due.setdefault((call.id, assignment.reviewer_id), []).append(assignment)
    for assignments in due.values():
        call = assignments[0].application.call
        queue_mail(
            session, to=assignments[0].reviewer,
            subject=_l("Reviews are due on %(date)s",
                       date=call.review_deadline.strftime("%d.%m.%Y")),
            template="assignments_reminder", call=call,
            applications=[a.application for a in assignments],
        )
        for assignment in assignments:
            assignment.deadline_reminded_at = now
    session.flush()
    return len(due)
