"""The committee's pages for a call: the ranking with the proposed funding line, the
simulator and the decisions; finalising them; a funded applicant declining and funding from
the reserve list afterwards; the protocol and the summary sheet (PDF and XLSX). The chair
decides; the admin may look."""

from __future__ import annotations

from collections.abc import Callable
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
from flask_wtf import FlaskForm

from portal import pdf, spreadsheets
from portal.db import Page, get_or_404, paginate_list, session
from portal.errors import DomainError
from portal.forms import ConfirmForm, show_domain_error
from portal.forms.committee import DecisionForm, DeclineForm, ReserveFundingForm, SimulatorForm
from portal.models import Application, ApplicationStatus, Call, DecisionOutcome
from portal.permissions import Action, can, require
from portal.services import decisions
from portal.services import ranking as ranking_service
from portal.services.ranking import FundingProposal, Ranking, RankingRow, propose_funding
from portal.views import page_arg, pdf_response

bp = Blueprint("committee", __name__, url_prefix="/committee")

# The ranking table shows this many applications a page. The ranking, the funding line, the
# totals and the proposal are computed over all of them; only the rows (and their forms)
# are cut into pages.
PER_PAGE = 50

# Each application's forms on the ranking page carry their own prefix, so ids stay unique.
FORMS: dict[str, type[FlaskForm]] = {
    "decision": DecisionForm,
    "decline": DeclineForm,
    "reserve": ReserveFundingForm,
}


def _prefix(kind: str, app_id: int) -> str:
    return f"{kind}{app_id}"


def _load_call(call_id: int, action: Action = Action.VIEW_COMMITTEE) -> Call:
    call = get_or_404(Call, call_id)
    require(current_user, action, call)
    return call


def _load_application(call: Call, app_id: int) -> Application:
    app = get_or_404(Application, app_id)
    if app.call_id != call.id:
        abort(404)
    return app


def _page_holding(ranking: Ranking, app_id: int | None) -> int:
    """The page of the ranking table that shows the application's row (the first page for
    an application not in the ranking)."""
    for position, row in enumerate(ranking.rows):
        if row.application_id == app_id:
            return position // PER_PAGE + 1
    return 1


def _ranking_url(call: Call, app_id: int | None = None) -> str:
    """The ranking page; with an application, the page of the table holding its row,
    scrolled to it."""
    if not app_id:
        return url_for("committee.ranking", call_id=call.id)
    page = _page_holding(ranking_service.rank_applications(session, call), app_id)
    url = url_for("committee.ranking", call_id=call.id, page=page if page > 1 else None)
    return f"{url}#app-{app_id}"


def _assignments_url(call: Call) -> str:
    """The call's assignments page (another part of the committee's pages), beside this one."""
    return url_for("committee.ranking", call_id=call.id).rsplit("/", 1)[0] + "/assignments"


# --- the ranking page -----------------------------------------------------------------------


def _simulation(ranking: Ranking, form: SimulatorForm) -> FundingProposal | None:
    """The proposal for the figures in the query string, if any were given and are valid."""
    if not any(name in request.args for name in ("passing_score", "reduction_percent")):
        return None
    if not form.validate():
        return None
    return propose_funding(
        ranking.rows, ranking.call.fund_amount, passing_score=form.passing_score.data,
        reduction_percent=form.reduction_percent.data or Decimal(0),
    )


def _decision_form(row: RankingRow, proposal: FundingProposal) -> DecisionForm:
    """A decision form filled with the decision recorded, or else with the proposal."""
    if row.decision in decisions.DECIDABLE:
        data: dict[str, Any] = {"outcome": row.decision.value,
                                "approved_amount": row.approved_amount,
                                "reason": row.decision_reason, "reserve_rank": row.reserve_rank}
    elif proposal.amount_for(row.application_id) is not None:
        data = {"outcome": DecisionOutcome.FUNDED.value,
                "approved_amount": proposal.amount_for(row.application_id)}
    elif proposal.reserve_position(row.application_id) is not None:
        data = {"outcome": DecisionOutcome.RESERVE.value}
    else:
        data = {"outcome": DecisionOutcome.NOT_FUNDED.value}
    return DecisionForm(formdata=None, prefix=_prefix("decision", row.application_id), data=data)


def _pager_args(call: Call) -> dict[str, Any]:
    """What the pager's links carry besides the page: the call, and the simulator's figures
    so that its funding line stays on every page."""
    args: dict[str, Any] = {"call_id": call.id}
    if request.method == "GET":
        args.update({name: request.args[name] for name in ("passing_score", "reduction_percent")
                     if name in request.args})
    return args


def _page(
    call: Call,
    *,
    failed: tuple[str, int, FlaskForm] | None = None,
    finalise_error: str | None = None,
    status: int = 200,
):
    ranking = ranking_service.rank_applications(session, call)
    proposal = propose_funding(ranking.rows, call.fund_amount, passing_score=call.passing_score)
    simulator = SimulatorForm(formdata=request.args if request.method == "GET" else None)
    simulation = _simulation(ranking, simulator) if request.method == "GET" else None
    line = simulation or proposal
    deciding = can(current_user, Action.DECIDE_FUNDING, call)
    final = call.decisions_finalised_at is not None
    # A refused form is shown on the page of its row, whatever page it was sent from.
    number = _page_holding(ranking, failed[1]) if failed is not None else page_arg()
    page: Page = paginate_list(ranking.rows, number, PER_PAGE)

    # Forms for the rows shown only: building one for each of hundreds of rows is what made
    # the page slow, and the chair decides on the rows in front of them.
    forms: dict[tuple[str, int], FlaskForm] = {}
    first_reserve = decisions.first_in_reserve(session, call.id) if final else None
    free = call.fund_amount - ranking.approved_total
    if deciding:
        for row in page.items:
            if not final and row.status == ApplicationStatus.REVIEWED:
                forms["decision", row.application_id] = _decision_form(row, proposal)
            elif final and row.status == ApplicationStatus.FUNDED:
                forms["decline", row.application_id] = DeclineForm(
                    formdata=None, prefix=_prefix("decline", row.application_id))
            elif final and row.application_id == first_reserve:
                forms["reserve", row.application_id] = ReserveFundingForm(
                    formdata=None, prefix=_prefix("reserve", row.application_id),
                    data={"approved_amount": min(row.requested_amount, max(free, Decimal(0)))},
                )
    if failed is not None:
        kind, app_id, form = failed
        forms[kind, app_id] = form

    problems = ([] if final or not deciding
                else decisions.finalisation_problems(session, call))
    return render_template(
        "committee/ranking.html", call=call, ranking=ranking, proposal=proposal,
        simulation=simulation, simulator=simulator, line=line, page=page,
        line_page=_page_holding(ranking, line.last_funded_id), pager_args=_pager_args(call),
        forms=forms, failed=failed, deciding=deciding, final=final, free=free,
        problems=problems, finalise_error=finalise_error, confirm=ConfirmForm(),
        assignments_url=_assignments_url(call),
    ), status


@bp.get("/calls/<int:call_id>/ranking")
def ranking(call_id: int):
    """The ranked applications with the proposed funding line; with `passing_score` and
    `reduction_percent` in the query string, the simulator's line instead (nothing saved)."""
    return _page(_load_call(call_id))


# --- changes (the chair) ----------------------------------------------------------------------


def _change(call_id: int, app_id: int, kind: str,
            apply: Callable[[Application, Any], Any], done: str):
    """The shape every change on the ranking page shares: load, check the right, validate,
    call the service, commit once, or show the refusal beside the field (409/422)."""
    call = _load_call(call_id, Action.DECIDE_FUNDING)
    app = _load_application(call, app_id)
    form = FORMS[kind](prefix=_prefix(kind, app.id))
    if not form.validate_on_submit():
        return _page(call, failed=(kind, app.id, form), status=422)
    try:
        apply(app, form)
    except DomainError as exc:
        session.rollback()
        show_domain_error(form, exc)
        return _page(call, failed=(kind, app.id, form), status=exc.status_code)
    session.commit()
    flash(done % {"number": app.registration_number}, "success")
    return redirect(_ranking_url(call, app.id))


@bp.post("/calls/<int:call_id>/applications/<int:app_id>/decision")
def decide(call_id: int, app_id: int):
    return _change(
        call_id, app_id, "decision",
        lambda app, form: decisions.decide(
            session, app, form.outcome.data, approved_amount=form.approved_amount.data,
            reason=form.reason.data or "", reserve_rank=form.reserve_rank.data,
            actor=current_user,
        ),
        _("The decision on %(number)s is recorded."),
    )


@bp.post("/calls/<int:call_id>/applications/<int:app_id>/decline")
def decline(call_id: int, app_id: int):
    return _change(
        call_id, app_id, "decline",
        lambda app, form: decisions.decline(session, app, reason=form.reason.data or "",
                                            actor=current_user),
        _("%(number)s has declined its grant; the money is free for the reserve list."),
    )


@bp.post("/calls/<int:call_id>/applications/<int:app_id>/fund-from-reserve")
def fund_from_reserve(call_id: int, app_id: int):
    return _change(
        call_id, app_id, "reserve",
        lambda app, form: decisions.fund_from_reserve(
            session, app, approved_amount=form.approved_amount.data,
            reason=form.reason.data or "", actor=current_user,
        ),
        _("%(number)s is funded from the reserve list; its applicants are told."),
    )


@bp.post("/calls/<int:call_id>/finalise")
def finalise(call_id: int):
    call = _load_call(call_id, Action.DECIDE_FUNDING)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        count = decisions.finalise_decisions(session, call, actor=current_user)
    except DomainError as exc:
        session.rollback()
        return _page(call, finalise_error=str(exc.message), status=exc.status_code)
    session.commit()
    flash(_("The decisions are final: %(n)d applications decided, their applicants told.",
            n=count), "success")
    return redirect(_ranking_url(call))


# --- documents --------------------------------------------------------------------------------


def _document(call: Call, kind: str, render: Callable[[], bytes]):
    return pdf_response(render, f"{kind}-{call.code}.pdf")


@bp.get("/calls/<int:call_id>/protocol.pdf")
def protocol_pdf(call_id: int):
    call = _load_call(call_id)
    return _document(call, "protocol", lambda: pdf.protocol_pdf(
        ranking_service.rank_applications(session, call)))


@bp.get("/calls/<int:call_id>/summary.pdf")
def summary_pdf(call_id: int):
    call = _load_call(call_id)
    return _document(call, "summary", lambda: pdf.summary_pdf(
        ranking_service.summary_sheet(session, call)))


@bp.get("/calls/<int:call_id>/summary.xlsx")
def summary_xlsx(call_id: int):
    call = _load_call(call_id)
    content = ranking_service.summary_xlsx(ranking_service.summary_sheet(session, call))
    return spreadsheets.download(content, spreadsheets.XLSX_MIMETYPE,
                                 f"summary-{call.code}.xlsx")
