"""Reports: the page of one report (plan against actual, indicators, documents, rounds), the
library's forms while it may change the report, the review by finance or the chair, and
the report as PDF. Whoever may not see the report gets 404; a change the report's state no
longer allows answers 409 with the reason; finance and the chair review, never the library."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, lazyload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from portal import pdf
from portal.db import get_or_404, session, utcnow
from portal.errors import DomainError
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.reports import (
    SECTION_FORMS,
    AcceptForm,
    DocumentForm,
    ReturnForm,
    VersionedReportForm,
)
from portal.models import (
    Agreement,
    Application,
    Report,
    ReportDocument,
    ReportRound,
    User,
)
from portal.permissions import Action, can, require
from portal.services import reports as service
from portal.services.attachments import ACCEPTED_TYPES, format_size, stored_path
from portal.views import pdf_response, uploaded_file_response

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.app_template_global("application_reports")
def application_reports(app: Application) -> list[Report]:
    """The reports of `app`'s agreement that the signed-in user may see, earliest due
    first (none without an agreement)."""
    reports = session.scalars(
        select(Report).join(Agreement, Report.agreement_id == Agreement.id)
        .where(Agreement.application_id == app.id)
        .order_by(Report.due_date, Report.id)
    ).all()
    return [r for r in reports if can(current_user, Action.VIEW_REPORT, r)]


# What the report's page reads beside the report, in the report's own statement where it is
# one row (its agreement, project, call and library) and one more for the rounds with who
# decided them.
REPORT_PAGE = (
    joinedload(Report.agreement).options(
        lazyload(Agreement.tranches),
        joinedload(Agreement.application).options(
            joinedload(Application.call), joinedload(Application.organisation))),
    selectinload(Report.rounds).joinedload(ReportRound.decided_by).lazyload(User.role_rows),
)


def _load(report_id: int) -> Report:
    """The report, if the user may see it (404 otherwise)."""
    report = get_or_404(Report, report_id, REPORT_PAGE)
    require(current_user, Action.VIEW_REPORT, report)
    return report


def _load_for_change(report_id: int) -> Report:
    """The report, if the user may change it now: 404 when they may not see it, 409 with
    the reason when it is submitted or accepted, 404 for anyone but its library's
    applicants (permissions hide EDIT_REPORT)."""
    report = _load(report_id)
    service.ensure_report_editable(report)
    require(current_user, Action.EDIT_REPORT, report)
    return report


def _load_for_review(report_id: int) -> Report:
    """The report, if the user may decide on it now: 404 when they may not see it, 409
    unless it is submitted, 403 for anyone but finance and the chair (the library never
    decides on its own report)."""
    report = _load(report_id)
    service.ensure_reviewable(report)
    if not can(current_user, Action.REVIEW_REPORT, report):
        abort(403)
    return report


def _section_form(report: Report, section: str) -> VersionedReportForm:
    """A section's form filled from the report as saved (not from the request)."""
    form_class = SECTION_FORMS[section]
    data: dict[str, Any] = {"version": report.version}
    if section == "narrative":
        data["narrative"] = report.narrative
    elif section == "indicators":
        data["rows"] = [
            {"indicator_id": r.indicator.id, "achieved": r.achieved, "comment": r.comment}
            for r in service.indicator_results(report)
        ]
    else:
        spent = {s.budget_line_id: s for s in report.spending}
        data["rows"] = [
            {"budget_line_id": line.id,
             **({name: getattr(spent[line.id], name)
                 for name in (*service.SOURCE_FIELDS, "justification")}
                if line.id in spent else {})}
            for line in report.agreement.application.budget_lines
        ]
    return form_class(formdata=None, prefix=section, data=data)


def _page(report: Report, *, posted: dict[str, Any] | None = None,
          conflict: service.StaleReportError | None = None, status: int = 200):
    """The report's page; `posted` holds a form sent with this request, shown with what
    its user typed and its errors."""
    posted = posted or {}
    editable = can(current_user, Action.EDIT_REPORT, report)
    reviewable = can(current_user, Action.REVIEW_REPORT, report)
    summary = service.summarise_spending(report)
    forms: dict[str, Any] = {}
    if editable:
        for section in SECTION_FORMS:
            forms[section] = (posted[section] if section in posted
                              else _section_form(report, section))
        forms["document"] = (posted["document"] if "document" in posted
                             else DocumentForm(formdata=None, prefix="document"))
        forms["document"].file.description = _(
            "PDF, DOCX, XLSX, JPEG or PNG, up to %(limit)s each.",
            limit=format_size(current_app.config["ATTACHMENT_MAX_BYTES"]))
        # A hint to the browser's file chooser only; the service judges the content.
        forms["document"].file.render_kw = {
            "accept": ",".join(e for t in ACCEPTED_TYPES for e in t.extensions)}
    if reviewable:
        forms["accept"] = (posted["accept"] if "accept" in posted
                           else AcceptForm(formdata=None, prefix="accept"))
        forms["return"] = (posted["return"] if "return" in posted
                           else ReturnForm(formdata=None, prefix="return"))
    app = report.agreement.application
    lines_by_id = {row.line.id: row for row in summary.lines if row.line is not None}
    results_by_id = {r.indicator.id: r for r in service.indicator_results(report)}
    return render_template(
        "reports/report_view.html", report=report, app=app, agreement=report.agreement,
        summary=summary, results=list(results_by_id.values()), results_by_id=results_by_id,
        lines_by_id=lines_by_id, problems=service.report_problems(report, summary)
        if editable else [], editable=editable, reviewable=reviewable, forms=forms,
        conflict=conflict, posted=posted, confirm=ConfirmForm(), today=utcnow().date(),
    ), status


@bp.get("/<int:report_id>")
def view(report_id: int):
    return _page(_load(report_id))


SAVERS = {
    "narrative": lambda report, form, **kw: service.save_narrative(
        session, report, form.narrative.data, **kw),
    "indicators": lambda report, form, **kw: service.save_indicator_results(
        session, report, form.rows_data(), **kw),
    "spending": lambda report, form, **kw: service.save_spending(
        session, report, form.rows_data(), **kw),
}


@bp.post("/<int:report_id>/save/<section>")
def save(report_id: int, section: str):
    if section not in SECTION_FORMS:
        abort(404)
    report = _load_for_change(report_id)
    form = SECTION_FORMS[section](prefix=section)
    if not form.validate_on_submit():
        return _page(report, posted={section: form}, status=422)
    try:
        SAVERS[section](report, form, expected_version=form.version.data, actor=current_user)
        session.commit()
    except service.StaleReportError as exc:
        session.rollback()
        conflict = exc
    except StaleDataError:
        # Saved by someone else between this request's read and its write.
        session.rollback()
        conflict = service.StaleReportError(report)
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _page(report, posted={section: form}, status=exc.status_code)
    else:
        flash(_("Saved."), "success")
        return redirect(url_for("reports.view", report_id=report.id) + f"#{section}")
    # Saving again from here overwrites the other save, knowingly.
    form.version.data, form.version.raw_data = conflict.current_version, None
    return _page(report, posted={section: form}, conflict=conflict, status=409)


@bp.post("/<int:report_id>/submit")
def submit(report_id: int):
    report = _load_for_change(report_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.submit_report(session, report, actor=current_user)
        session.commit()
    except StaleDataError:
        session.rollback()
        flash(_("Someone changed this report while you were submitting it. Check it and "
                "submit again."), "danger")
        return redirect(url_for("reports.view", report_id=report.id)), 303
    except DomainError as exc:
        session.rollback()
        flash(exc.message, "danger")
        return redirect(url_for("reports.view", report_id=report.id)), 303
    flash(_("The report has been submitted. Finance will check it; you will be told of the "
            "outcome by e-mail."), "success")
    return redirect(url_for("reports.view", report_id=report.id))


def _document_of(report: Report, document_id: int) -> ReportDocument:
    """One of `report`'s documents; an id of another report's document answers 404."""
    document = session.scalar(select(ReportDocument).where(
        ReportDocument.id == document_id, ReportDocument.report_id == report.id))
    if document is None:
        abort(404)
    return document


@bp.post("/<int:report_id>/documents")
def upload(report_id: int):
    report = _load_for_change(report_id)
    form = DocumentForm(prefix="document")
    if not form.validate_on_submit():
        return _page(report, posted={"document": form}, status=422)
    try:
        document = service.add_report_document(
            session, report, form.file.data, actor=current_user,
            upload_dir=current_app.config["UPLOAD_DIR"],
        )
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _page(report, posted={"document": form}, status=exc.status_code)
    session.commit()
    flash(_("The file %(name)s has been attached.", name=document.original_name), "success")
    return redirect(url_for("reports.view", report_id=report.id) + "#documents")


@bp.get("/<int:report_id>/documents/<int:document_id>")
def download(report_id: int, document_id: int):
    document = _document_of(_load(report_id), document_id)
    return uploaded_file_response(
        stored_path(current_app.config["UPLOAD_DIR"], document),  # type: ignore[arg-type]
        label=f"report document {document.id}", content_type=document.content_type,
        name=document.original_name, etag=document.sha256, modified=document.created_at,
    )


@bp.post("/<int:report_id>/documents/<int:document_id>/delete")
def delete_document(report_id: int, document_id: int):
    report = _load_for_change(report_id)
    document = _document_of(report, document_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = document.original_name
    service.remove_report_document(session, document, actor=current_user,
                                   upload_dir=current_app.config["UPLOAD_DIR"])
    session.commit()
    flash(_("The file %(name)s has been removed.", name=name), "success")
    return redirect(url_for("reports.view", report_id=report.id) + "#documents")


@bp.post("/<int:report_id>/accept")
def accept(report_id: int):
    report = _load_for_review(report_id)
    form = AcceptForm(prefix="accept")
    if not form.validate_on_submit():
        return _page(report, posted={"accept": form}, status=422)
    try:
        released = service.accept_report(session, report, actor=current_user,
                                         comment=form.comment.data or "")
        session.commit()
    except StaleDataError:
        session.rollback()
        flash(_("Someone decided on this report at the same time; see the outcome below."),
              "danger")
        return redirect(url_for("reports.view", report_id=report.id)), 303
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _page(report, posted={"accept": form}, status=exc.status_code)
    message = _("The report has been accepted and the library told.")
    if released:
        message += " " + _("Released for payment: tranche %(numbers)s.",
                           numbers=", ".join(str(t.number) for t in released))
    flash(message, "success")
    return redirect(url_for("reports.view", report_id=report.id))


@bp.post("/<int:report_id>/return")
def return_report(report_id: int):
    report = _load_for_review(report_id)
    form = ReturnForm(prefix="return")
    if not form.validate_on_submit():
        return _page(report, posted={"return": form}, status=422)
    try:
        service.return_report(session, report, actor=current_user, comment=form.comment.data)
        session.commit()
    except StaleDataError:
        session.rollback()
        flash(_("Someone decided on this report at the same time; see the outcome below."),
              "danger")
        return redirect(url_for("reports.view", report_id=report.id)), 303
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _page(report, posted={"return": form}, status=exc.status_code)
    flash(_("The report has been returned to the library with your comments."), "success")
    return redirect(url_for("reports.view", report_id=report.id))


@bp.get("/<int:report_id>/report.pdf")
def report_pdf(report_id: int):
    report = _load(report_id)
    app = report.agreement.application
    filename = (f"report-{report.kind.value}-{app.registration_number or app.id}-"
                f"{report.due_date.isoformat()}.pdf")
    return pdf_response(lambda: pdf.report_pdf(report), filename)
