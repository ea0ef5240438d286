"""The documents of an application as PDFs: the application as submitted and its budget
(смета), whoever may view the application; its grant agreement, whoever may view the
agreement. No one else learns they exist."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy.orm import joinedload

from portal import pdf
from portal.db import get_or_404, session
from portal.models import Application
from portal.permissions import Action, require
from portal.services.agreements import agreement_of
from portal.views import pdf_response

bp = Blueprint("documents", __name__)


def _pdf_response(app_id: int, kind: str, render: Callable[[Application], bytes]):
    # What every document prints beside its own rows, in the same statement: a conditional
    # request for a stored document reads little more than these rows and its key.
    app = get_or_404(Application, app_id, options=(joinedload(Application.organisation),
                                                   joinedload(Application.call)))
    require(current_user, Action.VIEW_APPLICATION, app)
    return pdf_response(lambda: render(app), pdf.document_filename(kind, app))


@bp.get("/applications/<int:app_id>/application.pdf")
def application_pdf(app_id: int):
    return _pdf_response(app_id, "application", pdf.application_pdf)


@bp.get("/applications/<int:app_id>/budget.pdf")
def budget_pdf(app_id: int):
    return _pdf_response(app_id, "budget", pdf.budget_pdf)


@bp.get("/applications/<int:app_id>/agreement.pdf")
def agreement_pdf(app_id: int):
    app = get_or_404(Application, app_id)
    agreement = agreement_of(session, app)
    if agreement is None:
        # Anonymous visitors are sent to sign in; to anyone else there is nothing here yet.
        require(current_user, Action.VIEW_APPLICATION, app)
        abort(404)
    require(current_user, Action.VIEW_AGREEMENT, agreement)
    return pdf_response(lambda: pdf.agreement_pdf(agreement),
                        pdf.document_filename("agreement", app))
