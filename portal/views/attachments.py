"""The "Attachments" section of an application: the list, the upload, the download and the
removal. Whoever may see the application may download its files; its library's applicants
add and remove them while the application may still change."""

from __future__ import annotations

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

from portal.db import get_or_404, session
from portal.errors import DomainError
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.attachments import AttachmentForm
from portal.models import Application, Attachment
from portal.permissions import Action, require
from portal.services.applications import ensure_editable
from portal.services.attachments import (
    ACCEPTED_TYPES,
    add_attachment,
    format_size,
    remove_attachment,
    stored_path,
    used_bytes,
)
from portal.views import uploaded_file_response

bp = Blueprint("attachments", __name__)
bp.add_app_template_filter(format_size, "filesize")


def _load(app_id: int) -> Application:
    """The application, if the user may see it (404 otherwise)."""
    app = get_or_404(Application, app_id)
    require(current_user, Action.VIEW_APPLICATION, app)
    return app


def _load_for_change(app_id: int) -> Application:
    """The application, if the user may change its attachments now: 404 when they may not
    see it, 409 with the reason when it can no longer change, 403 for anyone but its
    library's applicants."""
    app = _load(app_id)
    ensure_editable(app)
    require(current_user, Action.EDIT_APPLICATION, app)
    return app


def _attachment_of(app: Application, attachment_id: int) -> Attachment:
    """One of `app`'s attachments; an id belonging to another application answers 404."""
    attachment = session.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id, Attachment.application_id == app.id
        )
    )
    if attachment is None:
        abort(404)
    return attachment


def _page(app: Application, form: AttachmentForm, status: int = 200):
    max_total = current_app.config["ATTACHMENTS_MAX_TOTAL_BYTES"]
    used = used_bytes(session, app)
    form.file.description = _(
        "PDF, DOCX, XLSX, JPEG or PNG, up to %(limit)s each.",
        limit=format_size(current_app.config["ATTACHMENT_MAX_BYTES"]),
    )
    # A hint to the browser's file chooser only; the service judges the content.
    form.file.render_kw = {"accept": ",".join(e for t in ACCEPTED_TYPES for e in t.extensions)}
    return render_template(
        "applications/attachments.html", app=app, form=form, attachments=app.attachments,
        used=used, max_total=max_total, left=max(0, max_total - used),
    ), status


@bp.get("/applications/<int:app_id>/attachments")
def attachment_list(app_id: int):
    return _page(_load(app_id), AttachmentForm())


@bp.post("/applications/<int:app_id>/attachments")
def upload(app_id: int):
    app = _load_for_change(app_id)
    form = AttachmentForm()
    if not form.validate_on_submit():
        return _page(app, form, 422)
    try:
        attachment = add_attachment(
            session, app, form.file.data, form.kind.data, actor=current_user,
            upload_dir=current_app.config["UPLOAD_DIR"],
        )
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _page(app, form, exc.status_code)
    session.commit()
    flash(_("The file %(name)s has been attached.", name=attachment.original_name), "success")
    return redirect(url_for("attachments.attachment_list", app_id=app.id))


@bp.get("/applications/<int:app_id>/attachments/<int:attachment_id>")
def download(app_id: int, attachment_id: int):
    attachment = _attachment_of(_load(app_id), attachment_id)
    return uploaded_file_response(
        stored_path(current_app.config["UPLOAD_DIR"], attachment),
        label=f"attachment {attachment.id}", content_type=attachment.content_type,
        name=attachment.original_name, etag=attachment.sha256, modified=attachment.created_at,
    )


@bp.post("/applications/<int:app_id>/attachments/<int:attachment_id>/delete")
def delete(app_id: int, attachment_id: int):
    app = _load_for_change(app_id)
    attachment = _attachment_of(app, attachment_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    name = attachment.original_name
    remove_attachment(
        session, attachment, actor=current_user, upload_dir=current_app.config["UPLOAD_DIR"]
    )
    session.commit()
    flash(_("The file %(name)s has been removed.", name=name), "success")
    return redirect(url_for("attachments.attachment_list", app_id=app.id))
