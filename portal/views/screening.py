"""The chair's work on a closed call before scoring: screening the submitted applications,
the admission list (page and PDF), the call's reviewers and their limit, and the assignment
of reviewers (automatic and by hand). The admission list is a committee document, which
the admin may read too; every other page here is the chair's."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice

from portal import pdf
from portal.db import get_or_404, session, utcnow
from portal.errors import DomainError
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.screening import ReviewerChoiceForm, ReviewersForm, ScreeningForm
from portal.models import Application, Assignment, Call, CallReviewer, Role, User
from portal.permissions import Action, require
from portal.services import assignments as assignment_service
from portal.services import screening as screening_service
from portal.views import pdf_response

bp = Blueprint("screening", __name__, url_prefix="/committee")


# --- helpers ----------------------------------------------------------------------------------


def _call(call_id: int, action: Action) -> Call:
    call = get_or_404(Call, call_id)
    require(current_user, action, call)
    return call


def _application(call: Call, app_id: int) -> Application:
    app = get_or_404(Application, app_id)
    if app.call_id != call.id:
        abort(404)
    return app


def _assignment(call: Call, assignment_id: int) -> Assignment:
    assignment = get_or_404(Assignment, assignment_id)
    if assignment.application.call_id != call.id:
        abort(404)
    return assignment


# --- screening --------------------------------------------------------------------------------


def _screening_page(call: Call, failed: ScreeningForm | None = None, failed_id: int | None = None,
                    error: str | None = None, status: int = 200):
    is_open = utcnow() < call.closes_at
    rows = [] if is_open else screening_service.automatic_checks(session, call)
    forms = {app.id: ScreeningForm(prefix=f"app-{app.id}", formdata=None) for app, _c in rows}
    if failed is not None and failed_id in forms:
        forms[failed_id] = failed
    return render_template(
        "committee/screening.html", call=call, rows=rows, forms=forms, is_open=is_open,
        admission=screening_service.admission_list(session, call), error=error,
    ), status


@bp.get("/calls/<int:call_id>/screening")
def screening(call_id: int):
    call = _call(call_id, Action.SCREEN_APPLICATIONS)
    return _screening_page(call)


@bp.post("/calls/<int:call_id>/screening/<int:app_id>")
def screen(call_id: int, app_id: int):
    call = _call(call_id, Action.SCREEN_APPLICATIONS)
    app = _application(call, app_id)
    form = ScreeningForm(prefix=f"app-{app.id}")
    if not form.validate_on_submit():
        return _screening_page(call, form, app.id, status=422)
    admit = form.decision.data == "admit"
    try:
        screening_service.screen_application(session, app, admit, form.reason.data or "",
                                             actor=current_user)
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _screening_page(call, form, app.id, error=None if exc.field else exc.message,
                               status=exc.status_code)
    session.commit()
    if admit:
        flash(_("Application %(number)s is admitted.", number=app.registration_number),
              "success")
    else:
        flash(_("Application %(number)s is not admitted.", number=app.registration_number),
              "success")
    return redirect(url_for("screening.screening", call_id=call.id))


@bp.get("/calls/<int:call_id>/admission")
def admission(call_id: int):
    call = _call(call_id, Action.VIEW_COMMITTEE)
    return render_template("committee/admission.html", call=call,
                           admission=screening_service.admission_list(session, call))


@bp.get("/calls/<int:call_id>/admission.pdf")
def admission_pdf(call_id: int):
    call = _call(call_id, Action.VIEW_COMMITTEE)
    listing = screening_service.admission_list(session, call)
    return pdf_response(lambda: pdf.admission_pdf(call, listing.rows, listing.pending),
                        f"admission-{call.code}.pdf")


# --- the call's reviewers ---------------------------------------------------------------------


@bp.route("/calls/<int:call_id>/reviewers", methods=["GET", "POST"])
def reviewers(call_id: int):
    call = _call(call_id, Action.MANAGE_ASSIGNMENTS)
    chosen = set(session.scalars(
        select(CallReviewer.user_id).where(CallReviewer.call_id == call.id)))
    candidates = session.scalars(
        select(User)
        .where(or_(User.id.in_(chosen),
                   User.is_enabled.is_(True) & User.role_rows.any(role=Role.REVIEWER)))
        .options(selectinload(User.organisation))
        .order_by(User.full_name, User.id)
    ).all()
    loads = assignment_service.reviewer_loads(session, call)
    form = ReviewersForm()
    form.reviewers.choices = [
        SelectChoice(user.id, _reviewer_label(user, loads.get(user.id, 0)))
        for user in candidates
    ]
    if not form.is_submitted():
        form.reviewers.data = sorted(chosen)
        form.max_assignments_per_reviewer.data = call.max_assignments_per_reviewer
    status = 200
    if form.validate_on_submit():
        try:
            assignment_service.set_call_reviewers(
                session, call, form.reviewers.data or [],
                form.max_assignments_per_reviewer.data, actor=current_user,
            )
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            status = exc.status_code
        else:
            session.commit()
            flash(_("The call's reviewers have been saved."), "success")
            return redirect(url_for("screening.reviewers", call_id=call.id))
    elif form.is_submitted():
        status = 422
    return render_template("committee/reviewers.html", call=call, form=form,
                           has_candidates=bool(candidates)), status


def _reviewer_label(user: User, load: int) -> str:
    org = user.organisation
    if org is None:
        label = _("%(name)s (%(email)s), no library", name=user.full_name, email=user.email)
    else:
        label = _("%(name)s (%(email)s), %(library)s, INN %(inn)s", name=user.full_name,
                  email=user.email, library=org.short_name, inn=org.inn)
    if not user.has_role(Role.REVIEWER) or not user.is_enabled:
        label += " — " + _("no longer a reviewer")
    if load:
        label += " — " + _("assignments in this call: %(n)d", n=load)
    return label


# --- assignments ------------------------------------------------------------------------------


def _assignments_page(call: Call, error: str | None = None, status: int = 200):
    return render_template(
        "committee/assignments.html", call=call,
        board=assignment_service.assignment_board(session, call), error=error,
    ), status


def _chosen_reviewer() -> tuple[User | None, str | None]:
    form = ReviewerChoiceForm()
    if not form.validate_on_submit():
        return None, _("Choose a reviewer.")
    reviewer = session.get(User, form.reviewer_id.data)
    if reviewer is None:
        return None, _("Choose a reviewer.")
    return reviewer, None


@bp.get("/calls/<int:call_id>/assignments")
def assignments(call_id: int):
    call = _call(call_id, Action.MANAGE_ASSIGNMENTS)
    return _assignments_page(call)


@bp.post("/calls/<int:call_id>/assignments/auto")
def assign_automatically(call_id: int):
    call = _call(call_id, Action.MANAGE_ASSIGNMENTS)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    summary = assignment_service.auto_assign(session, call, actor=current_user)
    session.commit()
    flash(_("Automatic assignment made %(n)d new assignments.", n=len(summary.created)),
          "success")
    for short in summary.shortfalls:
        flash(_("%(number)s has %(have)d of %(needed)d reviewers. %(reason)s",
                number=short.application.registration_number, have=short.have,
                needed=short.needed, reason=short.reason), "warning")
    return redirect(url_for("screening.assignments", call_id=call.id))


@bp.post("/calls/<int:call_id>/applications/<int:app_id>/assignments")
def assignment_add(call_id: int, app_id: int):
    call = _call(call_id, Action.MANAGE_ASSIGNMENTS)
    app = _application(call, app_id)
    reviewer, problem = _chosen_reviewer()
    if reviewer is None:
        return _assignments_page(call, problem, 422)
    try:
        assignment_service.add_assignment(session, app, reviewer, actor=current_user)
    except DomainError as exc:
        session.rollback()
        return _assignments_page(call, exc.message, exc.status_code)
    session.commit()
    flash(_("%(name)s now reviews %(number)s.", name=reviewer.full_name,
            number=app.registration_number), "success")
    return redirect(url_for("screening.assignments", call_id=call.id))


@bp.post("/calls/<int:call_id>/assignments/<int:assignment_id>/remove")
def assignment_remove(call_id: int, assignment_id: int):
    call = _call(call_id, Action.MANAGE_ASSIGNMENTS)
    assignment = _assignment(call, assignment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = assignment.reviewer.full_name
    number = assignment.application.registration_number
    try:
        assignment_service.remove_assignment(session, assignment, actor=current_user)
    except DomainError as exc:
        session.rollback()
        return _assignments_page(call, exc.message, exc.status_code)
    session.commit()
    flash(_("%(name)s no longer reviews %(number)s.", name=name, number=number), "success")
    return redirect(url_for("screening.assignments", call_id=call.id))


@bp.post("/calls/<int:call_id>/assignments/<int:assignment_id>/swap")
def assignment_swap(call_id: int, assignment_id: int):
    call = _call(call_id, Action.MANAGE_ASSIGNMENTS)
    assignment = _assignment(call, assignment_id)
    reviewer, problem = _chosen_reviewer()
    if reviewer is None:
        return _assignments_page(call, problem, 422)
    old = assignment.reviewer.full_name
    number = assignment.application.registration_number
    try:
        assignment_service.swap_assignment(session, assignment, reviewer, actor=current_user)
    except DomainError as exc:
        session.rollback()
        return _assignments_page(call, exc.message, exc.status_code)
    session.commit()
    flash(_("%(number)s passed from %(old)s to %(new)s.", number=number, old=old,
            new=reviewer.full_name), "success")
    return redirect(url_for("screening.assignments", call_id=call.id))
