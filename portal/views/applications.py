"""The applicant's pages: starting an application, its overview with the task list, each
section's form, “Check my application”, submitting and withdrawing. The committee opens the
same overview, read-only, once an application is submitted."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload
from sqlalchemy.orm.exc import StaleDataError
from wtforms import SelectChoice

from portal.db import get_or_404, session
from portal.errors import DomainError
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.admin import RejectForm
from portal.forms.applications import FIELD_FORMS, ROW_FORMS, RowsForm
from portal.models import Agreement, Application, Call
from portal.money import summarise_budget
from portal.permissions import Action, can, require
from portal.services import applications as service
from portal.services.checks import SECTIONS, check_application, complete_sections

bp = Blueprint("applications", __name__)

EXTRA_ROWS = 3


def _load(app_id: int) -> Application:
    app = get_or_404(Application, app_id)
    require(current_user, Action.VIEW_APPLICATION, app)
    return app


@bp.post("/calls/<int:call_id>/apply")
def start(call_id: int):
    call = get_or_404(Call, call_id)
    require(current_user, Action.VIEW_CALL, call)  # a draft call is not there for applicants
    require(current_user, Action.CREATE_APPLICATION, call)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    app = service.start_application(session, call, actor=current_user)
    session.commit()
    flash(_("Your application is started. Fill in the sections in any order; each is saved "
            "on its own."), "success")
    return redirect(url_for("applications.view", app_id=app.id))


@bp.get("/applications/<int:app_id>")
def view(app_id: int):
    # The application with its call, its library and its agreement (only for its link) in
    # one statement; the sections' rows follow, one statement each, as the page reads them.
    row = session.execute(
        select(Application, Agreement)
        .outerjoin(Agreement, Agreement.application_id == Application.id)
        .options(joinedload(Application.call), joinedload(Application.organisation),
                 lazyload(Agreement.tranches))
        .where(Application.id == app_id)
    ).first()
    if row is None:
        abort(404)
    app, agreement = row
    require(current_user, Action.VIEW_APPLICATION, app)
    editable = can(current_user, Action.EDIT_APPLICATION, app)
    summary = summarise_budget(app.budget_lines)
    issues = check_application(app, summary) if editable else []
    return render_template(
        "applications/application_view.html", app=app, editable=editable, issues=issues,
        sections=SECTIONS, complete=complete_sections(app, issues) if editable else {},
        summary=summary, confirm=ConfirmForm(), agreement=agreement,
    )


@bp.get("/applications/<int:app_id>/check")
def check(app_id: int):
    app = _load(app_id)
    service.ensure_editable(app)
    require(current_user, Action.EDIT_APPLICATION, app)
    issues = check_application(app)
    return render_template("applications/application_check.html", app=app, issues=issues,
                           sections=SECTIONS, confirm=ConfirmForm())


def _section_form(app: Application, section: str) -> Any:
    """The section's form: filled from the application on GET, from the request on POST."""
    if section in FIELD_FORMS:
        form = FIELD_FORMS[section](obj=None if request.method == "POST" else app)
        if section == "general":
            form.direction.choices = [SelectChoice("", _("— choose —"))] + [
                SelectChoice(d, d) for d in app.call.directions
            ]
    else:
        form = ROW_FORMS[section]()
        if request.method != "POST":
            attribute, _model = service.ROW_MODELS[section]
            for obj in getattr(app, attribute):
                form.rows.append_entry(obj)
    if request.method != "POST":
        form.version.data = app.version
    return form


def _pad_rows(form: RowsForm, extra: int) -> None:
    for _n in range(extra):
        if len(form.rows.entries) >= form.rows.max_entries:
            break
        form.rows.append_entry()


@bp.route("/applications/<int:app_id>/edit/<section>", methods=["GET", "POST"])
def edit(app_id: int, section: str):
    app = _load(app_id)
    if section not in FIELD_FORMS and section not in ROW_FORMS:
        abort(404)
    service.ensure_editable(app)
    require(current_user, Action.EDIT_APPLICATION, app)
    form = _section_form(app, section)
    status = 200
    conflict: service.StaleEditError | None = None
    if form.validate_on_submit():
        try:
            if section in FIELD_FORMS:
                data = {name: form[name].data for name in service.SECTION_FIELDS[section]}
                service.save_fields(session, app, section, data,
                                    expected_version=form.version.data, actor=current_user)
            else:
                service.save_rows(session, app, section, form.rows_data(),
                                  expected_version=form.version.data, actor=current_user)
            session.commit()
        except service.StaleEditError as exc:
            session.rollback()
            conflict, status = exc, 409
        except StaleDataError:
            session.rollback()
            session.refresh(app)
            conflict, status = service.StaleEditError(app, [section]), 409
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            status = exc.status_code
        else:
            flash(_("Saved."), "success")
            if request.form.get("more_rows"):
                return redirect(url_for("applications.edit", app_id=app.id, section=section,
                                        extra=10))
            return redirect(url_for("applications.view", app_id=app.id) + f"#section-{section}")
    elif form.is_submitted():
        status = 422
    if conflict is not None:
        session.refresh(app)
        # Saving again from here overwrites the other save, knowingly.
        form.version.data, form.version.raw_data = conflict.current_version, None
    if isinstance(form, RowsForm):
        extra = request.args.get("extra", "")
        _pad_rows(form, min(int(extra), 50) if extra.isdigit() else EXTRA_ROWS)
    summary = summarise_budget(app.budget_lines) if section == "budget" else None
    # What "Check my application" finds in this section, shown where it is fixed.
    section_issues = [i for i in check_application(app) if i.section == section]
    return render_template(
        f"applications/section_{'rows' if section in ROW_FORMS else 'fields'}.html",
        app=app, form=form, section=section, sections=SECTIONS, conflict=conflict,
        summary=summary, section_issues=section_issues,
    ), status


@bp.post("/applications/<int:app_id>/submit")
def submit(app_id: int):
    app = _load(app_id)
    service.ensure_editable(app)
    require(current_user, Action.SUBMIT_APPLICATION, app)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.submit_application(session, app, actor=current_user)
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("applications.check", app_id=app.id)), 303
    session.commit()
    flash(_("Your application is submitted with the number %(number)s. A confirmation has "
            "been sent by e-mail.", number=app.registration_number), "success")
    return redirect(url_for("applications.view", app_id=app.id))


@bp.route("/applications/<int:app_id>/withdraw", methods=["GET", "POST"])
def withdraw(app_id: int):
    app = _load(app_id)
    require(current_user, Action.WITHDRAW_APPLICATION, app)
    form = RejectForm()
    if form.validate_on_submit():
        try:
            service.withdraw_application(session, app, actor=current_user,
                                         reason=form.reason.data)
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            return render_template("applications/withdraw.html", app=app, form=form), (
                exc.status_code
            )
        session.commit()
        flash(_("The application has been withdrawn."), "success")
        return redirect(url_for("applications.view", app_id=app.id))
    return render_template("applications/withdraw.html", app=app, form=form)
