"""The reviewer's pages: their assignments, the application beside its scoring sheet, the
conflict declaration and their own score sheets. The chair reads a submitted review and
reopens it; the applicant reads the scores and comments, without names, once the decisions
are final. A reviewer never sees another reviewer's scores or comments."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal import pdf
from portal.db import get_or_404, paginate, session
from portal.errors import ConflictError, DomainError
from portal.forms import show_domain_error
from portal.forms.admin import RejectForm
from portal.forms.reviews import ReviewForm, review_form
from portal.models import (
    Application,
    Assignment,
    Decision,
    Review,
    ReviewStatus,
    Role,
    ScoreAggregation,
)
from portal.money import summarise_budget
from portal.permissions import Action, require
from portal.services import reviews as service
from portal.services.checks import SECTIONS
from portal.views import page_arg, pdf_response

bp = Blueprint("review", __name__, url_prefix="/review")


# The assignment with its application, call, library and review: one statement.
ASSIGNMENT_PAGE = (
    joinedload(Assignment.application).options(
        joinedload(Application.call), joinedload(Application.organisation)),
    joinedload(Assignment.review),
)


def _load_assignment(assignment_id: int, action: Action = Action.VIEW_ASSIGNMENT) -> Assignment:
    """The user's own active assignment; anything else answers 404."""
    assignment = get_or_404(Assignment, assignment_id, ASSIGNMENT_PAGE)
    require(current_user, action, assignment)
    return assignment


# --- the reviewer -------------------------------------------------------------------------


# Assignments per page of the list: a reviewer has hundreds over the years.
ASSIGNMENTS_PER_PAGE = 50


@bp.get("/")
def assignment_list():
    """The reviewer's assignments, a page at a time: those of the calls in review now (or,
    when none is, of the latest past call), or with `?call=` those of one of their calls;
    above them, the reviewer's calls to choose from and how many wait for the reviewer."""
    require(current_user, Action.VIEW_DASHBOARD, Role.REVIEWER)
    calls = service.reviewer_calls(session, current_user)
    in_review = service.calls_in_review(calls)
    chosen = request.args.get("call", type=int)
    if chosen is not None:
        shown = [call for call in calls if call.id == chosen]
        if not shown:
            abort(404)
    else:
        shown = in_review or calls[:1]
    call_ids = [call.id for call in shown]
    page = paginate(service.reviewer_assignments(current_user, call_ids), page_arg(),
                    ASSIGNMENTS_PER_PAGE)
    return render_template(
        "review/assignment_list.html", page=page, calls=calls, chosen=chosen,
        in_review=in_review, shown_ids=call_ids,
        pager_args={"call": chosen} if chosen is not None else {},
        counts=service.assignment_counts(session, current_user, call_ids))


def _error_list(form: ReviewForm) -> list[tuple[str, Any]]:
    """The form's own errors for the summary, each named by its field's label."""
    return [
        (form[name].id, f"{form[name].label.text}: {message}")
        for name, messages in form.errors.items()
        if name != "csrf_token" and name in form
        for message in messages
    ]


def _add_problem(form: ReviewForm, errors: list[tuple[str, Any]], field: str | None,
                 message: Any) -> None:
    """A service's message beside its field (it already names the criterion) and in the
    error summary."""
    if field and field in form:
        form[field].errors = [*form[field].errors, message]
        errors.append((form[field].id, message))
    else:
        errors.append(("", message))


def _assignment_page(assignment: Assignment, form: ReviewForm | None,
                     errors: list[tuple[str, Any]], status: int = 200):
    app = assignment.application
    review = assignment.review
    locked = review is not None and review.status == ReviewStatus.SUBMITTED
    summary = summarise_budget(app.budget_lines)
    weighted = form.weighted_scores() if form is not None else {}
    return render_template(
        "review/assignment.html", assignment=assignment, app=app, review=review,
        locked=locked, form=form, errors=errors, sections=SECTIONS, summary=summary,
        rows=service.score_rows(review) if review is not None else [],
        total=service.review_total(review) if review is not None else None,
        maximum=service.call_maximum(app.call),
        weighted=weighted,
        live_total=sum((w for w in weighted.values() if w is not None), Decimal(0)),
    ), status


@bp.route("/assignments/<int:assignment_id>", methods=["GET", "POST"])
def assignment(assignment_id: int):
    assignment = _load_assignment(assignment_id)
    criteria = assignment.application.call.criteria
    if request.method == "GET":
        try:
            service.ensure_scorable(assignment)
        except ConflictError:  # submitted, or no longer in review: shown read-only
            return _assignment_page(assignment, None, [])
        return _assignment_page(assignment, review_form(criteria, assignment.review), [])

    require(current_user, Action.SCORE_ASSIGNMENT, assignment)
    service.ensure_scorable(assignment)  # a locked review answers 409, whatever was sent
    form = review_form(criteria)
    if not form.validate_on_submit():
        return _assignment_page(assignment, form, _error_list(form), 422)
    errors: list[tuple[str, Any]] = []
    try:
        service.save_review(session, assignment, form.review_data(), actor=current_user)
    except DomainError as exc:
        session.rollback()
        _add_problem(form, errors, exc.field, exc.message)
        return _assignment_page(assignment, form, errors, exc.status_code)
    if request.form.get("action") != "submit":
        session.commit()
        flash(_("Your draft is saved. You can come back to it any time before the deadline."),
              "success")
        return redirect(url_for("review.assignment", assignment_id=assignment.id))
    try:
        service.submit_review(session, assignment, actor=current_user)
    except service.IncompleteReviewError as exc:
        session.commit()  # the draft is kept; only the submission waits
        form.form_errors.append(_("Your draft is saved, but it cannot be submitted yet."))
        for field, message in exc.problems:
            _add_problem(form, errors, field, message)
        return _assignment_page(assignment, form, errors, exc.status_code)
    except DomainError as exc:
        session.rollback()
        _add_problem(form, errors, exc.field, exc.message)
        return _assignment_page(assignment, form, errors, exc.status_code)
    session.commit()
    flash(_("Your review is submitted and locked. Thank you."), "success")
    return redirect(url_for("review.assignment", assignment_id=assignment.id))


@bp.route("/assignments/<int:assignment_id>/conflict", methods=["GET", "POST"])
def declare_conflict(assignment_id: int):
    assignment = _load_assignment(assignment_id, Action.DECLARE_CONFLICT)
    form = RejectForm()
    status = 200
    if form.validate_on_submit():
        try:
            service.declare_conflict(session, assignment, actor=current_user,
                                     reason=form.reason.data)
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            status = exc.status_code
        else:
            session.commit()
            flash(_("The conflict of interest is declared and the application handed back. "
                    "The committee's chair has been told."), "success")
            return redirect(url_for("review.assignment_list"))
    elif form.is_submitted():
        status = 422
    return render_template("review/conflict.html", assignment=assignment,
                           app=assignment.application, form=form), status


# --- the chair ----------------------------------------------------------------------------


def _review_page(review: Review, form: RejectForm, status: int = 200):
    app = review.application
    return render_template(
        "review/review_view.html", review=review, app=app, form=form,
        rows=service.score_rows(review), total=service.review_total(review),
        maximum=service.call_maximum(app.call),
    ), status


@bp.get("/reviews/<int:review_id>")
def review_view(review_id: int):
    review = get_or_404(Review, review_id)
    require(current_user, Action.VIEW_COMMITTEE, review)
    return _review_page(review, RejectForm(formdata=None))


@bp.post("/reviews/<int:review_id>/reopen")
def reopen(review_id: int):
    review = get_or_404(Review, review_id)
    require(current_user, Action.REOPEN_REVIEW, review)
    form = RejectForm()
    if not form.validate_on_submit():
        return _review_page(review, form, 422)
    try:
        service.reopen_review(session, review, actor=current_user, reason=form.reason.data)
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _review_page(review, form, exc.status_code)
    session.commit()
    flash(_("The review is reopened and its reviewer has been told."), "success")
    return redirect(url_for("review.review_view", review_id=review.id))


# --- the score sheet ----------------------------------------------------------------------


@bp.get("/reviews/<int:review_id>/sheet.pdf")
def score_sheet(review_id: int):
    review = get_or_404(Review, review_id)
    # Someone else's sheet, or one not submitted yet, is not there for this user.
    require(current_user, Action.VIEW_SCORE_SHEET, review)
    number = review.application.registration_number or f"draft-{review.application_id}"
    return pdf_response(lambda: pdf.score_sheet_pdf(review),
                        f"score-sheet-{number}-{review.id}.pdf")


# --- the applicant, once the decisions are final -------------------------------------------


def results(app_id: int):
    app = get_or_404(Application, app_id)
    require(current_user, Action.VIEW_OWN_RESULTS, app)
    reviews = service.submitted_reviews(session, app)
    totals = [service.review_total(r) for r in reviews]
    call = app.call
    return render_template(
        "review/results.html", app=app, call=call,
        # Numbered, never named: the applicant does not learn who scored what.
        reviews=[
            {"number": n, "rows": service.score_rows(r), "total": total,
             "overall_comment": r.overall_comment, "recommendation": r.recommendation,
             "recommended_amount": r.recommended_amount}
            for n, (r, total) in enumerate(zip(reviews, totals, strict=True), start=1)
        ],
        criteria=call.criteria,
        mean=service.mean_total(totals),
        median=service.median_total(totals)
        if call.score_aggregation == ScoreAggregation.MEDIAN else None,
        maximum=service.call_maximum(call),
        decision=session.scalar(select(Decision).where(Decision.application_id == app.id)),
    )


@bp.record_once
def _register_results(state: Any) -> None:
    # The results sit beside the application they belong to, outside the /review prefix.
    state.app.add_url_rule("/applications/<int:app_id>/results", endpoint="review.results",
                           view_func=results, methods=["GET"])
