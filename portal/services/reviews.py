"""The reviewer's side of the committee's work: scoring an assigned application (a draft
saved as often as wanted, then submitted and locked), the chair reopening a submitted review,
and a reviewer declaring a conflict of interest on an assignment."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.i18n import current_locale
from portal.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Call,
    CallReviewer,
    Criterion,
    Recommendation,
    Review,
    ReviewScore,
    ReviewStatus,
    Role,
    User,
    UserRole,
)
from portal.money import format_money, summarise_budget
from portal.permissions import Action, can
from portal.services.audit import record_event
from portal.services.mail import queue_mail
from portal.workflow import apply_transition

POINTS = Decimal("0.01")  # weights have two places, so totals do too


# --- the arithmetic ------------------------------------------------------------------------


def weighted_score(criterion: Criterion, score: int | None) -> Decimal | None:
    """score x weight, or None for a criterion not scored yet."""
    if score is None:
        return None
    return (Decimal(score) * criterion.weight).quantize(POINTS)


def review_total(review: Review) -> Decimal:
    """The sum of score x weight over the call's criteria (an unscored criterion adds
    nothing). The ranking computes the same sum in SQL for many reviews at once."""
    criteria = {c.id: c for c in review.application.call.criteria}
    total = sum(
        (weighted_score(criteria[s.criterion_id], s.score) or Decimal(0)
         for s in review.scores if s.criterion_id in criteria),
        Decimal(0),
    )
    return total.quantize(POINTS)


def call_maximum(call: Call) -> Decimal:
    """The largest total a review can give: the sum of scale_max x weight."""
    return sum((Decimal(c.scale_max) * c.weight for c in call.criteria), Decimal(0)).quantize(
        POINTS
    )


def mean_total(totals: list[Decimal]) -> Decimal | None:
    """The mean of review totals, to two places (half up); None without reviews."""
    if not totals:
        return None
    return (sum(totals, Decimal(0)) / len(totals)).quantize(POINTS, rounding=ROUND_HALF_UP)


def median_total(totals: list[Decimal]) -> Decimal | None:
    if not totals:
        return None
    ordered = sorted(totals)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return ((ordered[middle - 1] + ordered[middle]) / 2).quantize(POINTS, rounding=ROUND_HALF_UP)


@dataclass
class ScoreRow:
    """One line of a score sheet: the criterion, its score and comment, score x weight."""

    criterion: Criterion
    score: int | None
    comment: str
    weighted: Decimal | None


def score_rows(review: Review) -> list[ScoreRow]:
    """Every criterion of the call, in its order, with what the review gave it."""
    given = {s.criterion_id: s for s in review.scores}
    rows = []
    for criterion in review.application.call.criteria:
        score = given.get(criterion.id)
        value = score.score if score is not None else None
        rows.append(ScoreRow(criterion, value, score.comment if score is not None else "",
                             weighted_score(criterion, value)))
    return rows


def requested_amount(app: Application) -> Decimal:
    return summarise_budget(app.budget_lines).requested


# --- what a reviewer sees of their assignments ---------------------------------------------


class AssignmentState:
    NOT_STARTED = "not_started"
    DRAFT = "draft"
    SUBMITTED = "submitted"
    CONFLICT = "conflict"


# An assignment's state, in SQL over the assignment outer-joined to its review: lists
# compute it, and count it, in the statement that reads them.
ASSIGNMENT_STATE = case(
    (Assignment.status == AssignmentStatus.CONFLICT, AssignmentState.CONFLICT),
    (Review.id.is_(None), AssignmentState.NOT_STARTED),
    (Review.status == ReviewStatus.SUBMITTED, AssignmentState.SUBMITTED),
    else_=AssignmentState.DRAFT,
).label("state")

# Waiting for the reviewer: handed out to them and not submitted.
_WAITING = (Assignment.status == AssignmentStatus.ACTIVE) & (
    Review.id.is_(None) | (Review.status != ReviewStatus.SUBMITTED))


def _own_review(reviewer: User) -> ColumnElement[bool]:
    """How an assignment meets its review. A review is always its assignment's reviewer's:
    saying so lets the database read the reviewer's reviews by their index rather than
    every review there is."""
    return (Review.assignment_id == Assignment.id) & (Review.reviewer_id == reviewer.id)


# The order of a reviewer's calls, and of their assignments: the calls whose decisions are
# not final yet first (the reviewer's work now), the nearest review deadline first; then the
# past calls, the latest first.
CALL_ORDER = (
    Call.decisions_finalised_at.is_not(None), Call.decisions_finalised_at.desc(),
    Call.review_deadline.is_(None), Call.review_deadline, Call.id,
)


def reviewer_calls(session: Session, reviewer: User) -> list[Call]:
    """The calls the chair chose the reviewer for (a reviewer with assignments in a call
    stays one of its reviewers), in CALL_ORDER: what a reviewer's list is divided by."""
    return list(session.scalars(
        select(Call).join(CallReviewer, CallReviewer.call_id == Call.id)
        .where(CallReviewer.user_id == reviewer.id).order_by(*CALL_ORDER)))


def calls_in_review(calls: Sequence[Call]) -> list[Call]:
    """Of a reviewer's calls, those whose decisions are not final yet."""
    return [call for call in calls if call.decisions_finalised_at is None]


def reviewer_assignments(reviewer: User, call_ids: Collection[int], *,
                         waiting_only: bool = False) -> Select[Any]:
    """The reviewer's assignments in the calls as a query of the rows a list shows (the
    assignment's id and state, the application's number and title, the call's title and
    review deadline), to be paginated or limited: by call in CALL_ORDER, then by number.
    It reads the assignments of those calls only, by index, so a list costs the same after
    any number of years. With `waiting_only`, only those waiting for the reviewer (active,
    not submitted)."""
    query = (
        select(Assignment.id, ASSIGNMENT_STATE, Application.registration_number,
               Application.title, Call.title.label("call_title"), Call.review_deadline)
        .select_from(Assignment)
        .join(Application, Application.id == Assignment.application_id)
        .join(Call, Call.id == Assignment.call_id)
        .outerjoin(Review, _own_review(reviewer))
        .where(Assignment.reviewer_id == reviewer.id, Assignment.call_id.in_(call_ids))
        .order_by(*CALL_ORDER, Application.registration_number, Assignment.id)
    )
    if waiting_only:
        query = query.where(_WAITING)
    return query


@dataclass(frozen=True)
class AssignmentCounts:
    """How many assignments a reviewer has, in each state."""

    by_state: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())

    @property
    def waiting(self) -> int:
        """Not started or with a draft saved: what `reviewer_assignments(waiting_only=True)`
        lists."""
        return self.by_state[AssignmentState.NOT_STARTED] + self.by_state[AssignmentState.DRAFT]

    @property
    def drafts(self) -> int:
        return self.by_state[AssignmentState.DRAFT]


def assignment_counts(session: Session, reviewer: User,
                      call_ids: Collection[int]) -> AssignmentCounts:
    """The reviewer's assignments in the calls counted by state, in one statement that
    reads those assignments and their reviews only."""
    counted = dict(session.execute(
        select(ASSIGNMENT_STATE, func.count())
        .select_from(Assignment)
        .outerjoin(Review, _own_review(reviewer))
        .where(Assignment.reviewer_id == reviewer.id, Assignment.call_id.in_(call_ids))
        .group_by(ASSIGNMENT_STATE)
    ).all())
    return AssignmentCounts({
        state: int(counted.get(state, 0))
        for state in (AssignmentState.NOT_STARTED, AssignmentState.DRAFT,
                      AssignmentState.SUBMITTED, AssignmentState.CONFLICT)
    })


def submitted_reviews(session: Session, app: Application) -> list[Review]:
    """The application's submitted reviews in a stable order (the order the applicant sees
    them numbered in: "Reviewer 1", "Reviewer 2")."""
    return list(session.scalars(
        select(Review)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .where(Review.application_id == app.id, Review.status == ReviewStatus.SUBMITTED,
               Assignment.status == AssignmentStatus.ACTIVE)
        .order_by(Review.id)
    ))


# --- saving and submitting ------------------------------------------------------------------


class IncompleteReviewError(DomainError):
    """The review cannot be submitted yet. `problems` lists (field, message) for each thing
    missing, each message naming the criterion it concerns."""

    def __init__(self, problems: list[tuple[str, Any]]) -> None:
        super().__init__(
            _l("The review cannot be submitted yet. Things to complete: %(n)d.",
               n=len(problems)),
            field=problems[0][0] if problems else None,
        )
        self.problems = problems


def score_field(criterion: Criterion) -> str:
    """The form field (and error key) of a criterion's score."""
    return f"score_{criterion.id}"


def comment_field(criterion: Criterion) -> str:
    return f"comment_{criterion.id}"


def _lock_application(session: Session, app: Application) -> None:
    """Take the application's row lock and re-read it, so that two reviewers submitting at
    the same moment see each other's reviews and exactly one completes the review. The lock
    is taken on the row alone: a refresh FOR UPDATE would repeat the eager joins the page
    loaded the application with, and PostgreSQL refuses FOR UPDATE on an outer join."""
    session.execute(select(Application.id).where(Application.id == app.id).with_for_update())
    session.refresh(app)


def ensure_scorable(assignment: Assignment) -> None:
    """Raise ConflictError, with the reason, when the review can no longer change: it is
    submitted (locked), or the application is not in review."""
    review = assignment.review
    if review is not None and review.status == ReviewStatus.SUBMITTED:
        raise ConflictError(
            _l("This review has been submitted and is locked. Only the committee's chair can "
               "reopen it.")
        )
    if assignment.application.status != ApplicationStatus.IN_REVIEW:
        raise ConflictError(_l("This application is not in review, so it cannot be scored."))


def _check_score(criterion: Criterion, score: Any) -> int | None:
    """A whole number within 0..scale_max, or None (not scored yet)."""
    if score is None:
        return None
    if isinstance(score, bool) or not isinstance(score, int) or not (
        0 <= score <= criterion.scale_max
    ):
        raise DomainError(
            _l("“%(criterion)s”: the score must be a whole number from 0 to %(max)d.",
               criterion=criterion.name, max=criterion.scale_max),
            field=score_field(criterion),
        )
    return score


def _check_amount(app: Application, recommendation: Recommendation | None,
                  amount: Decimal | None) -> Decimal | None:
    """The recommended amount belongs to "fund with a reduced amount" only, where it is
    required, positive, and no more than the amount requested."""
    if recommendation != Recommendation.FUND_REDUCED:
        return None
    if amount is None:
        raise DomainError(
            _l("Give the amount you recommend when you recommend a reduced amount."),
            field="recommended_amount",
        )
    requested = requested_amount(app)
    if amount <= 0 or amount > requested:
        raise DomainError(
            _l("The recommended amount must be more than zero and no more than the amount "
               "requested, %(requested)s.",
               requested=format_money(requested, current_locale())),
            field="recommended_amount",
        )
    return amount


def save_review(
    session: Session,
    assignment: Assignment,
    data: dict[str, Any],
    *,
    actor: User,
    now: datetime | None = None,
) -> Review:
    """Save the reviewer's draft as it stands; scores may be missing. `data` holds
    `scores` ({criterion id: (score or None, comment)}), `overall_comment`,
    `recommendation` and `recommended_amount`. Each score given is a whole number within
    its criterion's scale; a reduced recommendation needs an amount no more than requested.
    Creates the review on the first save. Raises PermissionError for someone else's or a
    handed-back assignment, ConflictError once the review is submitted, DomainError (naming
    the criterion and field) for a broken rule."""
    now = now or utcnow()
    if not can(actor, Action.SCORE_ASSIGNMENT, assignment):
        raise PermissionError("score")
    app = assignment.application
    # Under the application's row lock, as submitting takes it, and with the review as
    # committed: two tabs saving the first draft at once create one review between them,
    # and a save never changes a review another tab has just submitted.
    _lock_application(session, app)
    session.expire(assignment, ["review"])
    if assignment.review is not None:
        session.refresh(assignment.review)
    ensure_scorable(assignment)
    criteria = {c.id: c for c in app.call.criteria}
    given: dict[int, tuple[Any, str]] = data.get("scores") or {}
    unknown = set(given) - set(criteria)
    if unknown:
        raise DomainError(_l("A score was given for a criterion this call does not have."))
    checked = {
        cid: (_check_score(criteria[cid], score), (comment or "").strip())
        for cid, (score, comment) in given.items()
    }
    recommendation = data.get("recommendation")
    recommendation = Recommendation(recommendation) if recommendation else None
    amount = _check_amount(app, recommendation, data.get("recommended_amount"))

    review = assignment.review
    if review is None:
        review = Review(assignment=assignment, application_id=app.id,
                        reviewer_id=assignment.reviewer_id, created_at=now)
        session.add(review)
    existing = {s.criterion_id: s for s in review.scores}
    for cid, (score, comment) in checked.items():
        row = existing.get(cid)
        if row is None:
            review.scores.append(ReviewScore(criterion_id=cid, score=score, comment=comment))
        else:
            row.score, row.comment = score, comment
    review.overall_comment = (data.get("overall_comment") or "").strip()
    review.recommendation = recommendation
    review.recommended_amount = amount
    review.updated_at = now
    session.flush()
    return review


def completeness_problems(app: Application, review: Review | None) -> list[tuple[str, Any]]:
    """What the review (None: not started) lacks before it can be submitted, as (field,
    message): a score on every criterion, a comment where the score is at either end of the
    scale, an overall comment and a recommendation."""
    problems: list[tuple[str, Any]] = []
    given = {s.criterion_id: s for s in review.scores} if review is not None else {}
    for criterion in app.call.criteria:
        row = given.get(criterion.id)
        if row is None or row.score is None:
            problems.append((score_field(criterion), _l(
                "“%(criterion)s”: give a score from 0 to %(max)d.",
                criterion=criterion.name, max=criterion.scale_max)))
        elif row.score in (0, criterion.scale_max) and not row.comment.strip():
            problems.append((comment_field(criterion), _l(
                "“%(criterion)s”: a score of %(score)d is at the end of the scale; explain it "
                "in a comment.", criterion=criterion.name, score=row.score)))
    if review is None or not review.overall_comment.strip():
        problems.append(("overall_comment", _l("Write an overall comment.")))
    if review is None or review.recommendation is None:
        problems.append(("recommendation", _l("Choose a recommendation.")))
    return problems


def review_is_complete(session: Session, app: Application) -> bool:
    """Every active assignment of the application has a submitted review, and there are at
    least as many as the call asks for."""
    active, submitted = session.execute(
        select(func.count(Assignment.id), func.count(Review.id))
        .select_from(Assignment)
        .outerjoin(Review, (Review.assignment_id == Assignment.id)
                   & (Review.status == ReviewStatus.SUBMITTED))
        .where(Assignment.application_id == app.id,
               Assignment.status == AssignmentStatus.ACTIVE)
    ).one()
    return active == submitted and submitted >= app.call.reviewers_per_application


def complete_review_if_done(
    session: Session, app: Application, *, actor: User, now: datetime | None = None
) -> bool:
    """Move the application in review -> reviewed when its reviews are all in; True if
    it moved. Whoever changes what the application waits for (a review submitted, an
    assignment handed back or removed) calls it; it takes the application's row lock, so
    that of two such changes at the same moment the later one sees the earlier."""
    session.flush()
    _lock_application(session, app)
    if app.status == ApplicationStatus.IN_REVIEW and review_is_complete(session, app):
        apply_transition(session, app, "complete_review", actor=actor, now=now)
        return True
    return False


def submit_review(
    session: Session, assignment: Assignment, *, actor: User, now: datetime | None = None
) -> Review:
    """Submit a complete review: it is locked (submitted, with the time) and audited; when
    it is the last one the application waits for, the application becomes reviewed.
    Raises IncompleteReviewError listing what is missing, ConflictError when it is already
    submitted, PermissionError for someone else's assignment."""
    now = now or utcnow()
    if not can(actor, Action.SCORE_ASSIGNMENT, assignment):
        raise PermissionError("score")
    app = assignment.application
    session.flush()
    _lock_application(session, app)
    review = assignment.review
    if review is not None:
        session.refresh(review)
    ensure_scorable(assignment)
    problems = completeness_problems(app, review)
    if problems or review is None:
        raise IncompleteReviewError(problems)
    review.status = ReviewStatus.SUBMITTED
    review.submitted_at = now
    review.updated_at = now
    record_event(session, actor=actor, action="review.submitted", obj=review,
                 from_state=ReviewStatus.DRAFT, to_state=ReviewStatus.SUBMITTED,
                 details={"application_id": app.id, "total": str(review_total(review))})
    complete_review_if_done(session, app, actor=actor, now=now)
    return review


# --- reopening ------------------------------------------------------------------------------


def reopen_review(
    session: Session, review: Review, *, actor: User, reason: str,
    now: datetime | None = None,
) -> None:
    """The chair sends a submitted review back to its reviewer as a draft, with a reason
    (audited; the reviewer is e-mailed). A reviewed application goes back in review.
    Refused once the committee has decided on the application."""
    now = now or utcnow()
    if not can(actor, Action.REOPEN_REVIEW, review):
        raise PermissionError("reopen")
    if not (reason or "").strip():
        raise DomainError(_l("Give a reason."), field="reason")
    app = review.application
    session.flush()
    _lock_application(session, app)
    session.refresh(review)
    if review.status != ReviewStatus.SUBMITTED:
        raise ConflictError(_l("This review is not submitted, so there is nothing to reopen."))
    if app.status not in (ApplicationStatus.IN_REVIEW, ApplicationStatus.REVIEWED):
        raise ConflictError(
            _l("The committee has already decided on this application; its reviews can no "
               "longer be reopened.")
        )
    reason = reason.strip()
    review.status = ReviewStatus.DRAFT
    review.submitted_at = None
    review.reopened_at = now
    review.reopen_reason = reason
    review.updated_at = now
    record_event(session, actor=actor, action="review.reopened", obj=review,
                 from_state=ReviewStatus.SUBMITTED, to_state=ReviewStatus.DRAFT, reason=reason,
                 details={"application_id": app.id})
    if app.status == ApplicationStatus.REVIEWED:
        apply_transition(session, app, "resume_review", actor=actor, now=now, reason=reason)
    queue_mail(session, to=review.reviewer, subject=_l("Your review has been reopened"),
               template="review_reopened", review=review, application=app, reason=reason)
    session.flush()


# --- conflicts of interest ------------------------------------------------------------------


def chairs(session: Session) -> list[User]:
    """Everyone who holds the chair role and can sign in."""
    return list(session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.CHAIR, User.is_enabled.is_(True))
        .order_by(User.id)
    ))


def declare_conflict(
    session: Session, assignment: Assignment, *, actor: User, reason: str,
    now: datetime | None = None,
) -> None:
    """The reviewer hands an assignment back, with a reason: it is marked as a conflict for
    the chair to reassign, an unsubmitted draft of it is deleted, the chairs are e-mailed
    and it is audited. Refused once the reviewer has submitted the review."""
    now = now or utcnow()
    if not can(actor, Action.DECLARE_CONFLICT, assignment):
        raise PermissionError("declare_conflict")
    if not (reason or "").strip():
        raise DomainError(_l("Give a reason."), field="reason")
    app = assignment.application
    session.flush()
    _lock_application(session, app)
    review = assignment.review
    if review is not None:
        session.refresh(review)
        if review.status == ReviewStatus.SUBMITTED:
            raise ConflictError(
                _l("You have submitted your review of this application, so a conflict of "
                   "interest can no longer be declared on it. Write to the committee's chair.")
            )
        session.delete(review)
        session.flush()
        session.expire(assignment, ["review"])
    reason = reason.strip()
    assignment.status = AssignmentStatus.CONFLICT
    assignment.conflict_reason = reason
    assignment.conflict_declared_at = now
    record_event(session, actor=actor, action="assignment.conflict_declared", obj=assignment,
                 from_state=AssignmentStatus.ACTIVE, to_state=AssignmentStatus.CONFLICT,
                 reason=reason, details={"application_id": app.id})
    for chair in chairs(session):
        queue_mail(session, to=chair, subject=_l("A reviewer declared a conflict of interest"),
                   template="review_conflict_declared", assignment=assignment, application=app,
                   reviewer=actor, reason=reason)
    # The handed-back assignment may have been the only one the application waited for.
    complete_review_if_done(session, app, actor=actor, now=now)
