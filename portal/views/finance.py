"""Finance's pages: the calls with funded projects, each call's dashboard (the fund,
approved, signed, paid and what remains; per project its tranches, payments and reports),
recording a payment against a tranche, and the exports for the accounting system. Finance and
the committee's chair see the pages; only finance records payments. (The agreements, the
reports and the archive of all budgets have blueprints of their own.)"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import spreadsheets
from portal.db import get_or_404, paginate, session
from portal.errors import DomainError
from portal.forms import show_domain_error
from portal.forms.finance import PaymentForm
from portal.i18n import current_locale
from portal.models import Agreement, Call, Tranche
from portal.money import format_money
from portal.permissions import Action, can, require
from portal.services import payments
from portal.views import page_arg

bp = Blueprint("finance", __name__, url_prefix="/finance")

# Funded projects per page of a call's dashboard: its time and size stay the same whatever
# the number of projects.
PROJECTS_PER_PAGE = 25


def _prefix(tranche_id: int) -> str:
    return f"pay{tranche_id}"


def _load_call(call_id: int) -> Call:
    require(current_user, Action.VIEW_FINANCE)
    call = get_or_404(Call, call_id)
    require(current_user, Action.VIEW_CALL, call)
    return call


def _query_arg() -> str:
    """What finance typed to find a project: part of a library's name or of a registration
    number."""
    return request.args.get("q", "").strip()[:100]


def _page_of(call: Call, tranche: Tranche) -> int:
    """The dashboard page (unfiltered) that lists the tranche's project."""
    agreement = session.get(Agreement, tranche.agreement_id)
    position = payments.project_position(session, call, agreement.application_id)
    return position // PROJECTS_PER_PAGE + 1


def _call_url(call: Call, tranche: Tranche | None = None) -> str:
    """The dashboard; for a tranche, the page that lists it, scrolled to it."""
    if tranche is None:
        return url_for("finance.call_dashboard", call_id=call.id)
    number = _page_of(call, tranche)
    url = url_for("finance.call_dashboard", call_id=call.id, page=number if number > 1 else None)
    return f"{url}#tranche-{tranche.id}"


def _page(call: Call, *, failed: tuple[Tranche, PaymentForm] | None = None, status: int = 200):
    """The dashboard: the call's figures over all its funded projects, and one page of the
    projects with a payment form for each payable tranche among them. After a refused
    payment, the page that holds its tranche, with the form as it was sent."""
    if failed is None:
        q, number = _query_arg(), page_arg()
    else:
        q, number = "", _page_of(call, failed[0])
    page = paginate(payments.funded_projects_query(call, q), number, PROJECTS_PER_PAGE)
    finances = payments.call_finances(session, call, application_ids=page.items)
    forms: dict[int, PaymentForm] = {}
    if can(current_user, Action.MANAGE_FINANCE):
        for project in finances.projects:
            for tranche in project.tranches:
                if project.is_signed and tranche.is_released and not tranche.is_paid:
                    forms[tranche.id] = PaymentForm(
                        formdata=None, prefix=_prefix(tranche.id),
                        data={"paid_on": finances.today, "amount": tranche.left},
                    )
    if failed is not None:
        forms[failed[0].id] = failed[1]
    return render_template(
        "finance/call.html", call=call, finances=finances, forms=forms, page=page, q=q,
        failed_id=failed[0].id if failed else None, exports=payments.EXPORTS,
    ), status


@bp.get("/")
def index():
    require(current_user, Action.VIEW_FINANCE)
    return render_template("finance/index.html",
                           calls=payments.calls_with_funded_projects(session))


@bp.get("/calls/<int:call_id>")
def call_dashboard(call_id: int):
    return _page(_load_call(call_id))


@bp.post("/tranches/<int:tranche_id>/payments")
def record_payment(tranche_id: int):
    tranche = get_or_404(Tranche, tranche_id)
    require(current_user, Action.MANAGE_FINANCE, tranche)
    agreement = session.get(Agreement, tranche.agreement_id)
    call = agreement.application.call
    form = PaymentForm(prefix=_prefix(tranche.id))
    if not form.validate_on_submit():
        return _page(call, failed=(tranche, form), status=422)
    try:
        payment = payments.record_payment(
            session, tranche, paid_on=form.paid_on.data, amount=form.amount.data,
            order_number=form.order_number.data or "", actor=current_user,
        )
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _page(call, failed=(tranche, form), status=exc.status_code)
    session.commit()
    flash(_("The payment of %(amount)s (payment order %(order)s) on tranche %(n)d of "
            "agreement No. %(number)s is recorded.",
            amount=format_money(payment.amount, current_locale()),
            order=payment.order_number, n=tranche.number, number=agreement.number),
          "success")
    return redirect(_call_url(call, tranche))


@bp.get("/calls/<int:call_id>/exports/<any(budgets, payments, spending):what>"
        ".<any(xlsx, csv):fmt>")
def export(call_id: int, what: str, fmt: str):
    """The accounting system's exports (see portal.spreadsheets for the file formats)."""
    call = _load_call(call_id)
    table = payments.export_table(session, call, what)
    return spreadsheets.table_download(table, fmt, f"{what}-{call.code}")
