"""Finance's agreement pages: an agreement's page (finance prepares it, changes the payment
schedule before signing, signs it with the scan or uploads the scan afterwards; the chair
reads it), the scan's download (whoever may see the agreement, the library too), and the
administration's details that agreements print (finance and the admin edit them, the chair
reads them). The agreement's PDF is with the application's documents (views/documents.py)."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.orm import joinedload

from portal.db import get_or_404, session
from portal.errors import DomainError
from portal.extensions import login_manager
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.agreements import AdministrationForm, ScanForm, ScheduleForm, SignForm
from portal.i18n import current_locale
from portal.models import Agreement, AgreementStatus, Application, ApplicationStatus
from portal.money import amount_in_words, summarise_budget
from portal.permissions import FUNDED_STATUSES, Action, can, require
from portal.services import agreements as service
from portal.services.attachments import format_size
from portal.views import uploaded_file_response

bp = Blueprint("agreements", __name__)

EXTRA_ROWS = 2


def _load(app_id: int) -> tuple[Application, Agreement | None]:
    """The application and its agreement, for finance and the chair (403 for anyone else);
    404 for an application that was never funded."""
    app = get_or_404(Application, app_id, (joinedload(Application.call),
                                           joinedload(Application.organisation)))
    require(current_user, Action.VIEW_FINANCE, app)
    agreement = service.agreement_of(session, app)
    if agreement is None and app.status not in FUNDED_STATUSES:
        abort(404)
    return app, agreement


def _schedule_form(agreement: Agreement, *, from_request: bool) -> ScheduleForm:
    if from_request:
        form = ScheduleForm()
    else:
        form = ScheduleForm(formdata=None)
        for tranche in agreement.tranches:
            form.rows.append_entry({"due_date": tranche.due_date, "amount": tranche.amount,
                                    "condition": tranche.condition.value})
    for _n in range(EXTRA_ROWS):
        if len(form.rows.entries) < form.rows.max_entries:
            form.rows.append_entry()
    return form


def _page(app: Application, agreement: Agreement | None, *,
          failed: tuple[str, FlaskForm] | None = None, status: int = 200):
    managing = can(current_user, Action.MANAGE_FINANCE, app)
    forms: dict[str, FlaskForm] = {}
    if managing and agreement is None and app.status == ApplicationStatus.FUNDED:
        forms["prepare"] = ConfirmForm(formdata=None)
    if managing and agreement is not None and agreement.status == AgreementStatus.DRAFT:
        forms["schedule"] = _schedule_form(agreement, from_request=False)
        forms["sign"] = SignForm(formdata=None)
    if managing and agreement is not None and agreement.status == AgreementStatus.SIGNED:
        forms["scan"] = ScanForm(formdata=None)
    if failed is not None:
        forms[failed[0]] = failed[1]
    decision = service.funded_decision(session, app)
    locale = current_locale()
    amount = agreement.amount if agreement else (decision.approved_amount if decision else None)
    details = service.administration_details(session)
    return render_template(
        "finance/agreement_view.html", app=app, agreement=agreement, forms=forms,
        managing=managing, approved_amount=amount,
        amount_words=amount_in_words(amount, locale) if amount else "",
        summary=summarise_budget(app.budget_lines),
        administration_complete=service.administration_complete(details),
        max_scan_size=format_size(current_app.config["ATTACHMENT_MAX_BYTES"]),
    ), status


def _redirect(app: Application):
    return redirect(url_for("agreements.agreement", app_id=app.id))


def _prepare(app: Application, agreement: Agreement | None):
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if agreement is not None:
        flash(_("The agreement has already been prepared."), "info")
        return _redirect(app)
    service.prepare_agreement(session, app, actor=current_user)
    session.commit()
    flash(_("The agreement is prepared with the default payment schedule. Check the schedule, "
            "then record the signing."), "success")
    return _redirect(app)


def _schedule(app: Application, agreement: Agreement):
    form = _schedule_form(agreement, from_request=True)
    if not form.validate_on_submit():
        return _page(app, agreement, failed=("schedule", form), status=422)
    service.set_schedule(session, agreement, form.schedule(), actor=current_user)
    session.commit()
    flash(_("The payment schedule is saved."), "success")
    return _redirect(app)


def _sign(app: Application, agreement: Agreement):
    form = SignForm()
    if not form.validate_on_submit():
        return _page(app, agreement, failed=("sign", form), status=422)
    service.sign_agreement(session, agreement, actor=current_user, scan=form.file.data or None,
                           upload_dir=current_app.config["UPLOAD_DIR"])
    session.commit()
    flash(_("The agreement is recorded as signed; the advance can be paid."), "success")
    return _redirect(app)


def _scan(app: Application, agreement: Agreement):
    form = ScanForm()
    if not form.validate_on_submit():
        return _page(app, agreement, failed=("scan", form), status=422)
    service.upload_scan(session, agreement, form.file.data, actor=current_user,
                        upload_dir=current_app.config["UPLOAD_DIR"])
    session.commit()
    flash(_("The scan of the signed agreement is saved."), "success")
    return _redirect(app)


_FORM_CLASSES: dict[str, type[FlaskForm]] = {
    "prepare": ConfirmForm, "schedule": ScheduleForm, "sign": SignForm, "scan": ScanForm,
}


@bp.route("/finance/applications/<int:app_id>/agreement", methods=["GET", "POST"])
def agreement(app_id: int):
    app, agreement = _load(app_id)
    if request.method == "GET":
        return _page(app, agreement)
    require(current_user, Action.MANAGE_FINANCE, app)
    action = request.form.get("action", "")
    if action not in _FORM_CLASSES or (action != "prepare" and agreement is None):
        abort(400)
    try:
        if action == "prepare":
            return _prepare(app, agreement)
        assert agreement is not None
        return {"schedule": _schedule, "sign": _sign, "scan": _scan}[action](app, agreement)
    except DomainError as exc:
        session.rollback()
        agreement = service.agreement_of(session, app)
        if action == "prepare":
            flash(exc.message, "error")
            return _page(app, agreement, status=exc.status_code)
        # The form as it was sent, with the service's message beside it.
        form = (_schedule_form(agreement, from_request=True) if action == "schedule"
                else _FORM_CLASSES[action]())
        show_domain_error(form, exc)
        return _page(app, agreement, failed=(action, form), status=exc.status_code)


@bp.get("/finance/agreements/<int:agreement_id>/scan")
def scan(agreement_id: int):
    agreement = get_or_404(Agreement, agreement_id)
    require(current_user, Action.VIEW_AGREEMENT, agreement)
    if not agreement.scan_stored_name:
        abort(404)
    return uploaded_file_response(
        service.scan_path(current_app.config["UPLOAD_DIR"], agreement),
        label=f"agreement {agreement.id} scan", content_type=agreement.scan_content_type,
        name=agreement.scan_original_name,
    )


# --- the administration's details -------------------------------------------------------------


def _require_settings(edit: bool) -> None:
    """Finance and the admin edit the details; the chair may read them; anyone else 403."""
    if not current_user.is_authenticated:
        abort(login_manager.unauthorized())
    allowed = can(current_user, Action.EDIT_ADMINISTRATION_DETAILS) or (
        not edit and can(current_user, Action.VIEW_FINANCE)
    )
    if not allowed:
        abort(403)


@bp.route("/finance/settings", methods=["GET", "POST"])
def settings():
    _require_settings(edit=request.method == "POST")
    details = service.administration_details(session)
    editing = can(current_user, Action.EDIT_ADMINISTRATION_DETAILS)
    form = AdministrationForm(obj=details if request.method == "GET" else None)
    status = 200
    if editing and form.validate_on_submit():
        try:
            service.update_administration_details(session, form.details_data(),
                                                  actor=current_user)
        except DomainError as exc:
            session.rollback()
            show_domain_error(form, exc)
            status = exc.status_code
        else:
            session.commit()
            flash(_("The administration's details are saved."), "success")
            return redirect(url_for("agreements.settings"))
    elif form.is_submitted():
        status = 422
    return render_template("finance/settings.html", form=form, details=details,
                           editing=editing), status
