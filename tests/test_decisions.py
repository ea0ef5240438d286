"""Funding decisions: the amount and reason rules, the fund that is never exceeded (also
under concurrent decisions, on SQLite and PostgreSQL, with real commits), finalisation
(transitions, e-mails, lock), declining and the reserve list, the audit trail, the permission
matrix of every committee route, and the protocol read back against the computed figures."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask_babel import get_locale
from pypdf import PdfReader
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from portal.db import db as database
from portal.db import utcnow
from portal.demo import demo_account, demo_inn, demo_ogrn
from portal.errors import ConflictError, DomainError
from portal.i18n import LANGUAGE_COOKIE
from portal.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    BudgetCategory,
    BudgetLine,
    Call,
    CallStatus,
    Decision,
    DecisionOutcome,
    OutboxMessage,
    Role,
    User,
)
from portal.money import format_money, format_number, format_percent
from portal.services import decisions
from portal.services.accounts import create_user as create_user_service
from portal.services.calls import create_call as create_call_service
from portal.services.organisations import create_organisation as create_org_service
from portal.services.ranking import rank_applications
from tests.conftest import (
    TEST_DATABASE_URL,
    call_data,
    live_database_url,
    make_test_app,
    reset_schema,
    run_together,
)

D = Decimal
S = ApplicationStatus
O = DecisionOutcome  # noqa: E741
FULL = D("225000.00")  # what the default budget requests


def money(amount: Decimal, locale: str | None = None) -> str:
    """An amount as the portal writes it: in `locale`, or else in the language of the
    current request, as the services' messages do."""
    return " ".join(format_money(amount, locale or str(get_locale() or "ru")).split())


def squash(text_: str) -> str:
    return " ".join(text_.split())


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture
def chair(create_user: Callable[..., User]) -> User:
    return create_user(Role.CHAIR, full_name="Председатель Комиссии")


@pytest.fixture
def committee(db, create_call, create_application, create_review, create_user, close_call):
    """A closed call with a fund of 500 000 and four reviewed applications asking 225 000
    each, scored 90, 80, 70 and 60 by two reviewers; a colleague of the first applicant
    shares its library."""
    call = create_call(fund_amount=D("500000.00"), max_grant_amount=D("300000.00"))
    call.criteria = call.criteria[:1]
    call.criteria[0].scale_max, call.criteria[0].weight = 100, D("1")
    db.flush()
    reviewers = [create_user(Role.REVIEWER, full_name=f"Эксперт {n}") for n in (1, 2)]
    apps = [create_application(call=call, status=S.REVIEWED) for _n in range(4)]
    for app, score in zip(apps, (90, 80, 70, 60), strict=True):
        for reviewer in reviewers:
            create_review(app, [score], reviewer=reviewer)
    colleague = create_user(Role.APPLICANT, organisation=apps[0].organisation,
                            full_name="Коллега Заявителя")
    close_call(call)
    return call, apps, reviewers, colleague


@pytest.fixture
def in_request(app: Flask) -> Callable[[Callable[[], Any]], Any]:
    """Run a service in a request of its own (English), for tests that also use the client,
    whose requests must not share a context with it."""

    def run(work: Callable[[], Any]) -> Any:
        with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
            return work()

    return run


def decide_all(db: Session, apps: list[Application], chair: User) -> None:
    """Two funded (one reduced), one on the reserve list, one not funded."""
    decisions.decide(db, apps[0], O.FUNDED, approved_amount=FULL, actor=chair)
    decisions.decide(db, apps[1], O.FUNDED, approved_amount=D("200000.00"),
                     reason="Снижены расходы на оборудование", actor=chair)
    decisions.decide(db, apps[2], O.RESERVE, actor=chair)
    decisions.decide(db, apps[3], O.NOT_FUNDED, reason="Не хватило средств фонда",
                     actor=chair)


def decision_of(db: Session, app: Application) -> Decision | None:
    return db.scalar(select(Decision).where(Decision.application_id == app.id)
                     .execution_options(populate_existing=True))


def events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


# --- recording decisions --------------------------------------------------------------------------


def test_a_decision_is_recorded_and_audited(ctx, db, committee, chair):
    call, apps, *_ = committee
    decision = decisions.decide(db, apps[0], O.FUNDED, approved_amount=FULL, actor=chair)
    assert (decision.outcome, decision.approved_amount, decision.call_id) == (
        O.FUNDED, FULL, call.id)
    assert decision.decided_by_id == chair.id
    assert apps[0].status == S.REVIEWED  # the application moves only at finalisation
    [event] = events(db, "decision.recorded")
    assert (event.object_type, event.object_id) == ("application", str(apps[0].id))
    assert (event.from_state, event.to_state, event.actor_id) == (None, "funded", chair.id)
    assert event.details["after"]["approved_amount"] == "225000.00"


def test_a_changed_decision_is_audited_with_what_it_was(ctx, db, committee, chair):
    _call, apps, *_ = committee
    decisions.decide(db, apps[0], O.FUNDED, approved_amount=FULL, actor=chair)
    decisions.decide(db, apps[0], O.NOT_FUNDED, reason="Передумали", actor=chair)
    decision = decision_of(db, apps[0])
    assert (decision.outcome, decision.approved_amount) == (O.NOT_FUNDED, None)
    [event] = events(db, "decision.changed")
    assert (event.from_state, event.to_state, event.reason) == ("funded", "not_funded",
                                                                "Передумали")
    assert event.details["before"]["approved_amount"] == "225000.00"


@pytest.mark.parametrize(("amount", "reason", "field", "figures"), [
    (None, "", "approved_amount", []),
    (D("0"), "", "approved_amount", []),
    (D("225000.01"), "x", "approved_amount", [D("225000.01"), FULL]),
    (D("200000.00"), "", "reason", [FULL]),
    (D("200000.00"), "   ", "reason", [FULL]),
])
def test_the_amount_rules(ctx, db, committee, chair, amount, reason, field, figures):
    """More than 0, at most the amount requested, a reason when less; the message names the
    amount requested."""
    _call, apps, *_ = committee
    with pytest.raises(DomainError) as caught:
        decisions.decide(db, apps[0], O.FUNDED, approved_amount=amount, reason=reason,
                         actor=chair)
    assert caught.value.field == field
    for figure in figures:
        assert money(figure) in squash(str(caught.value.message))
    assert decision_of(db, apps[0]) is None


def test_a_reduced_amount_with_a_reason_is_accepted(ctx, db, committee, chair):
    _call, apps, *_ = committee
    decision = decisions.decide(db, apps[0], "funded", approved_amount=D("0.01"),
                                reason="Символически", actor=chair)
    assert (decision.approved_amount, decision.reason) == (D("0.01"), "Символически")


def test_not_funded_needs_a_reason(ctx, db, committee, chair):
    _call, apps, *_ = committee
    with pytest.raises(DomainError) as caught:
        decisions.decide(db, apps[3], O.NOT_FUNDED, actor=chair)
    assert caught.value.field == "reason"


def test_the_reserve_list_takes_the_next_place_and_refuses_a_taken_one(
    ctx, db, committee, chair
):
    _call, apps, *_ = committee
    assert decisions.decide(db, apps[2], O.RESERVE, actor=chair).reserve_rank == 1
    assert decisions.decide(db, apps[3], O.RESERVE, actor=chair).reserve_rank == 2
    with pytest.raises(DomainError) as caught:
        decisions.decide(db, apps[1], O.RESERVE, reserve_rank=1, actor=chair)
    assert apps[2].registration_number in str(caught.value.message)
    # an application keeps its own place when its decision is saved again
    assert decisions.decide(db, apps[2], O.RESERVE, reserve_rank=1, actor=chair).reserve_rank == 1


def test_declined_is_not_a_decision_the_chair_records(ctx, db, committee, chair):
    _call, apps, *_ = committee
    for outcome in (O.DECLINED, "nonsense"):
        with pytest.raises(DomainError):
            decisions.decide(db, apps[0], outcome, approved_amount=FULL, actor=chair)


def test_the_fund_is_never_exceeded_and_the_refusal_gives_the_figures(
    ctx, db, committee, chair
):
    call, apps, *_ = committee
    decisions.decide(db, apps[0], O.FUNDED, approved_amount=FULL, actor=chair)
    decisions.decide(db, apps[1], O.FUNDED, approved_amount=FULL, actor=chair)
    with pytest.raises(ConflictError) as caught:
        decisions.decide(db, apps[2], O.FUNDED, approved_amount=FULL, actor=chair)
    message = squash(str(caught.value.message))
    for figure in (FULL, D("450000.00"), D("500000.00"), D("50000.00"), D("675000.00")):
        assert money(figure) in message, figure
    assert caught.value.status_code == 409
    # what is free can be given, with a reason; a kopeck more cannot
    decisions.decide(db, apps[2], O.FUNDED, approved_amount=D("50000.00"),
                     reason="Остаток фонда", actor=chair)
    with pytest.raises(ConflictError):
        decisions.decide(db, apps[3], O.FUNDED, approved_amount=D("0.01"), reason="x",
                         actor=chair)
    # lowering one decision frees money for another
    decisions.decide(db, apps[1], O.FUNDED, approved_amount=D("224999.99"), reason="Снижено",
                     actor=chair)
    decisions.decide(db, apps[3], O.FUNDED, approved_amount=D("0.01"), reason="x", actor=chair)
    assert decisions.approved_total(db, call.id) == call.fund_amount


def test_only_reviewed_applications_of_an_open_committee_are_decided(
    ctx, db, committee, chair, create_application
):
    call, apps, *_ = committee
    apps[0].status = S.IN_REVIEW
    db.flush()
    with pytest.raises(ConflictError):
        decisions.decide(db, apps[0], O.FUNDED, approved_amount=FULL, actor=chair)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.REVIEWER, Role.FINANCE, Role.APPLICANT])
def test_only_the_chair_decides(ctx, db, committee, create_user, role):
    call, apps, *_ = committee
    someone = create_user(role)
    with pytest.raises(PermissionError):
        decisions.decide(db, apps[0], O.FUNDED, approved_amount=FULL, actor=someone)
    with pytest.raises(PermissionError):
        decisions.finalise_decisions(db, call, actor=someone)
    assert decision_of(db, apps[0]) is None


# --- finalisation ---------------------------------------------------------------------------------


def test_finalising_needs_every_reviewed_application_decided(ctx, db, committee, chair):
    call, apps, *_ = committee
    decisions.decide(db, apps[0], O.FUNDED, approved_amount=FULL, actor=chair)
    with pytest.raises(ConflictError) as caught:
        decisions.finalise_decisions(db, call, actor=chair)
    message = str(caught.value.message)
    assert all(a.registration_number in message for a in apps[1:])
    assert apps[0].registration_number not in message
    assert call.decisions_finalised_at is None


def reopen_for_one_more(db: Session, call: Call, create_application: Any, close_call: Any,
                        status: ApplicationStatus) -> Application:
    """One more application submitted to the call (reopened for the moment) and closed."""
    call.closes_at = utcnow() + timedelta(days=1)
    db.flush()
    app = create_application(call=call, status=status)
    close_call(call)
    return app


def test_finalising_waits_for_applications_still_in_review(
    ctx, db, committee, chair, create_application, close_call
):
    call, apps, *_ = committee
    decide_all(db, apps, chair)
    waiting = reopen_for_one_more(db, call, create_application, close_call, S.IN_REVIEW)
    with pytest.raises(ConflictError) as caught:
        decisions.finalise_decisions(db, call, actor=chair)
    assert waiting.registration_number in str(caught.value.message)


def test_finalising_refuses_when_the_fund_was_lowered_below_the_decisions(
    ctx, db, committee, chair
):
    call, apps, *_ = committee
    decide_all(db, apps, chair)
    call.fund_amount = D("400000.00")
    db.flush()
    with pytest.raises(ConflictError) as caught:
        decisions.finalise_decisions(db, call, actor=chair)
    assert money(D("425000.00")) in squash(str(caught.value.message))


def test_finalising_moves_the_applications_tells_the_applicants_and_locks(
    ctx, db, committee, chair
):
    call, apps, _reviewers, colleague = committee
    for user in [a.created_by for a in apps] + [colleague]:
        user.locale = "en"  # so that the messages read as written in the code
    decide_all(db, apps, chair)
    db.execute(delete(OutboxMessage))  # the confirmations of submission
    assert decisions.finalise_decisions(db, call, actor=chair) == 4
    assert call.decisions_finalised_at is not None
    assert [a.status for a in apps] == [S.FUNDED, S.FUNDED, S.NOT_FUNDED, S.NOT_FUNDED]
    assert decision_of(db, apps[2]).outcome == O.RESERVE  # not funded, on the reserve list
    assert len(events(db, "application.fund")) == 2
    assert len(events(db, "application.not_fund")) == 2
    [final] = events(db, "call.decisions_finalised")
    assert final.details["approved_total"] == "425000.00"
    assert (final.details["funded"], final.details["reserve"]) == (2, 1)

    mails = {m.recipient: m for m in db.scalars(select(OutboxMessage))}
    first = mails[apps[0].created_by.email]
    assert first.subject == "Your application has been funded"
    assert money(FULL, "en") in squash(first.body) and apps[0].registration_number in first.body
    assert colleague.email in mails  # every applicant of the library is told
    reduced = mails[apps[1].created_by.email]
    assert money(D("200000.00"), "en") in squash(reduced.body)
    assert "Снижены расходы на оборудование" in reduced.body
    reserve = mails[apps[2].created_by.email]
    assert reserve.subject == "Your application is on the reserve list"
    assert "place 1" in reserve.body
    refused = mails[apps[3].created_by.email]
    assert refused.subject == "Your application has not been funded"
    assert "Не хватило средств фонда" in refused.body
    assert len(mails) == 5

    with pytest.raises(ConflictError):
        decisions.decide(db, apps[3], O.FUNDED, approved_amount=FULL, actor=chair)
    with pytest.raises(ConflictError):
        decisions.finalise_decisions(db, call, actor=chair)


def test_the_mail_is_in_the_recipients_language(ctx, db, committee, chair):
    call, apps, _reviewers, colleague = committee
    apps[0].created_by.locale = "en"  # the colleague has chosen none: Russian, the default
    decide_all(db, apps, chair)
    db.execute(delete(OutboxMessage))
    decisions.finalise_decisions(db, call, actor=chair)
    bodies = {m.recipient: squash(m.body) for m in db.scalars(select(OutboxMessage))}
    assert money(FULL, "en") in bodies[apps[0].created_by.email]
    assert money(FULL, "ru") in bodies[colleague.email]
    assert money(FULL, "en") not in bodies[colleague.email]


# --- after finalisation: declining and the reserve list -----------------------------------------


def test_declining_frees_the_money_for_the_first_of_the_reserve_list(
    ctx, db, committee, chair, create_application, close_call
):
    call, apps, *_ = committee
    decide_all(db, apps, chair)
    with pytest.raises(ConflictError):  # not before the decisions are final
        decisions.decline(db, apps[0], reason="Нет помещения", actor=chair)
    decisions.finalise_decisions(db, call, actor=chair)
    with pytest.raises(ConflictError):  # only a funded application declines
        decisions.decline(db, apps[2], reason="x", actor=chair)
    with pytest.raises(DomainError):
        decisions.decline(db, apps[0], reason=" ", actor=chair)

    decisions.decline(db, apps[0], reason="Нет помещения", actor=chair)
    declined = decision_of(db, apps[0])
    assert apps[0].status == S.DECLINED
    assert (declined.outcome, declined.approved_amount) == (O.DECLINED, FULL)
    assert decisions.approved_total(db, call.id) == D("200000.00")
    assert events(db, "decision.declined")[0].reason == "Нет помещения"
    assert events(db, "application.decline")

    # the reserve list is funded in its order (apps[3] is not on it), within what is free
    second = reopen_for_one_more(db, call, create_application, close_call, S.NOT_FUNDED)
    db.add(Decision(application_id=second.id, call_id=call.id, outcome=O.RESERVE,
                    reserve_rank=2))
    db.flush()
    with pytest.raises(ConflictError) as caught:
        decisions.fund_from_reserve(db, second, approved_amount=FULL, actor=chair)
    assert apps[2].registration_number in str(caught.value.message)
    with pytest.raises(ConflictError):
        decisions.fund_from_reserve(db, apps[3], approved_amount=FULL, actor=chair)
    decisions.fund_from_reserve(db, apps[2], approved_amount=FULL, actor=chair)  # 300 000 free
    assert decisions.approved_total(db, call.id) == D("425000.00")
    assert decisions.first_in_reserve(db, call.id) == second.id


def test_funding_from_the_reserve_checks_the_fund_again(ctx, db, committee, chair):
    call, apps, *_ = committee
    apps[2].created_by.locale = "en"
    decide_all(db, apps, chair)
    decisions.finalise_decisions(db, call, actor=chair)
    with pytest.raises(ConflictError) as caught:  # 75 000 free, before anyone declines
        decisions.fund_from_reserve(db, apps[2], approved_amount=FULL, actor=chair)
    assert money(D("75000.00")) in squash(str(caught.value.message))
    with pytest.raises(DomainError):  # a partial grant needs a reason
        decisions.fund_from_reserve(db, apps[2], approved_amount=D("75000.00"), actor=chair)
    db.execute(delete(OutboxMessage))
    decisions.fund_from_reserve(db, apps[2], approved_amount=D("75000.00"),
                                reason="Остаток фонда", actor=chair)
    assert apps[2].status == S.FUNDED
    decision = decision_of(db, apps[2])
    assert (decision.outcome, decision.approved_amount) == (O.FUNDED, D("75000.00"))
    assert decisions.approved_total(db, call.id) == call.fund_amount
    assert events(db, "decision.funded_from_reserve")
    [mail] = db.scalars(select(OutboxMessage)).all()
    assert mail.recipient == apps[2].created_by.email
    assert "first on the reserve list" in mail.body
    assert money(D("75000.00"), "en") in squash(mail.body)
    with pytest.raises(ConflictError):  # no longer on the reserve list
        decisions.fund_from_reserve(db, apps[2], approved_amount=D("1.00"), reason="x",
                                    actor=chair)


def test_funding_from_the_reserve_waits_for_finalisation(ctx, db, committee, chair):
    _call, apps, *_ = committee
    decide_all(db, apps, chair)
    with pytest.raises(ConflictError):
        decisions.fund_from_reserve(db, apps[2], approved_amount=D("1.00"), reason="x",
                                    actor=chair)


# --- the pages: who may do what ------------------------------------------------------------------


def routes(call: Call, app: Application) -> list[tuple[str, str, dict[str, str]]]:
    base = f"/committee/calls/{call.id}"
    return [
        ("GET", f"{base}/ranking", {}),
        ("GET", f"{base}/protocol.pdf", {}),
        ("GET", f"{base}/summary.pdf", {}),
        ("GET", f"{base}/summary.xlsx", {}),
        ("POST", f"{base}/applications/{app.id}/decision",
         {f"decision{app.id}-outcome": "funded", f"decision{app.id}-approved_amount": "1000"}),
        ("POST", f"{base}/finalise", {}),
        ("POST", f"{base}/applications/{app.id}/decline", {f"decline{app.id}-reason": "x"}),
        ("POST", f"{base}/applications/{app.id}/fund-from-reserve",
         {f"reserve{app.id}-approved_amount": "1000"}),
    ]


def send(client: Any, method: str, url: str, data: dict[str, str]) -> Any:
    return client.get(url) if method == "GET" else client.post(url, data=data)


def test_anonymous_visitors_are_sent_to_sign_in(client, committee):
    call, apps, *_ = committee
    for method, url, data in routes(call, apps[0]):
        response = send(client, method, url, data)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url


@pytest.mark.parametrize("who", ["own_applicant", "other_applicant", "reviewer", "finance"])
def test_other_roles_are_refused(client, login_as, create_user, committee, db, who):
    call, apps, reviewers, _colleague = committee
    user = {
        "own_applicant": lambda: apps[0].created_by,
        "other_applicant": lambda: create_user(Role.APPLICANT),
        "reviewer": lambda: reviewers[0],  # even a reviewer of the call
        "finance": lambda: create_user(Role.FINANCE),
    }[who]()
    login_as(user)
    for method, url, data in routes(call, apps[0]):
        assert send(client, method, url, data).status_code == 403, url
    db.expire_all()
    assert decision_of(db, apps[0]) is None


def test_the_admin_may_look_but_not_decide(client, login_as, create_user, committee, db):
    call, apps, *_ = committee
    login_as(create_user(Role.ADMIN))
    for method, url, data in routes(call, apps[0]):
        response = send(client, method, url, data)
        assert response.status_code == (200 if method == "GET" else 403), url
    html = client.get(f"/committee/calls/{call.id}/ranking").get_data(as_text=True)
    assert "Save the decision" not in html and "Finalise the decisions" not in html
    db.expire_all()
    assert decision_of(db, apps[0]) is None


def test_the_chair_sees_every_page(client, login_as, chair, committee):
    call, apps, *_ = committee
    login_as(chair)
    for method, url, _data in routes(call, apps[0]):
        if method == "GET":
            response = client.get(url)
            assert response.status_code == 200, url
            assert response.headers["Cache-Control"] == "private, no-store" or url.endswith(
                "ranking")
    assert client.get(f"/committee/calls/{call.id}/protocol.pdf").mimetype == "application/pdf"
    xlsx = client.get(f"/committee/calls/{call.id}/summary.xlsx")
    assert xlsx.headers["Content-Disposition"].startswith("attachment;")
    assert f"summary-{call.code}.xlsx" in xlsx.headers["Content-Disposition"]


def test_missing_calls_and_applications_of_another_call_are_404(
    client, login_as, chair, committee, create_application, create_call
):
    call, apps, *_ = committee
    other = create_application(call=create_call(), status=S.REVIEWED)
    login_as(chair)
    assert client.get("/committee/calls/999999/ranking").status_code == 404
    assert client.get("/committee/calls/999999/protocol.pdf").status_code == 404
    response = client.post(f"/committee/calls/{call.id}/applications/{other.id}/decision",
                           data={f"decision{other.id}-outcome": "not_funded",
                                 f"decision{other.id}-reason": "x"})
    assert response.status_code == 404


def test_the_call_page_links_the_committee_documents(client, login_as, chair, committee,
                                                     create_user):
    call, apps, *_ = committee
    login_as(chair)
    html = client.get(f"/calls/{call.id}").get_data(as_text=True)
    for suffix in ("ranking", "protocol.pdf", "summary.pdf", "summary.xlsx"):
        assert f"/committee/calls/{call.id}/{suffix}" in html
    login_as(apps[0].created_by)
    html = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert f"/committee/calls/{call.id}/ranking" not in html


# --- the pages: deciding ------------------------------------------------------------------------


def post_decision(client: Any, call: Call, app: Application, **fields: str) -> Any:
    return client.post(
        f"/committee/calls/{call.id}/applications/{app.id}/decision",
        data={f"decision{app.id}-{name}": value for name, value in fields.items()},
    )


def test_the_chair_records_a_decision_on_the_page(client, login_as, chair, committee, db):
    call, apps, *_ = committee
    login_as(chair)
    html = client.get(f"/committee/calls/{call.id}/ranking").get_data(as_text=True)
    assert f'id="decision-{apps[0].id}"' in html
    assert f'name="decision{apps[0].id}-approved_amount"' in html
    assert 'value="225000.00"' in html  # filled with the proposal
    response = post_decision(client, call, apps[0], outcome="funded",
                             approved_amount="200 000,00", reason="Снижено")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/committee/calls/{call.id}/ranking"
                                                 f"#app-{apps[0].id}")
    db.expire_all()
    decision = decision_of(db, apps[0])
    assert (decision.outcome, decision.approved_amount, decision.reason) == (
        O.FUNDED, D("200000.00"), "Снижено")
    html = client.get(f"/committee/calls/{call.id}/ranking").get_data(as_text=True)
    assert "The decision on" in html and "is recorded" in html
    assert "Снижено" in html


def test_a_decision_over_the_fund_is_refused_on_the_page_with_the_figures(
    client, login_as, chair, committee, db
):
    call, apps, *_ = committee
    login_as(chair)
    for app in apps[:2]:
        assert post_decision(client, call, app, outcome="funded",
                             approved_amount="225000").status_code == 302
    response = post_decision(client, call, apps[2], outcome="funded", approved_amount="225000")
    assert response.status_code == 409
    html = squash(response.get_data(as_text=True))
    assert "does not fit in the fund" in html
    for figure in (D("450000.00"), D("50000.00"), D("500000.00")):
        assert money(figure, "en") in html
    assert f'id="decision-{apps[2].id}"' in html  # the form is shown again, as typed
    db.expire_all()
    assert decision_of(db, apps[2]) is None


def test_a_decision_without_its_reason_is_refused_beside_the_field(
    client, login_as, chair, committee, db
):
    call, apps, *_ = committee
    login_as(chair)
    response = post_decision(client, call, apps[3], outcome="not_funded", reason="")
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'href="#decision{apps[3].id}-reason"' in html  # the error summary links the field
    response = post_decision(client, call, apps[3], outcome="funded", approved_amount="-5")
    assert response.status_code == 422
    assert "cannot be negative" in response.get_data(as_text=True)


def test_finalising_on_the_page(client, login_as, chair, committee, db):
    call, apps, *_ = committee
    login_as(chair)
    response = client.post(f"/committee/calls/{call.id}/finalise")
    assert response.status_code == 409
    assert "No decision recorded yet for" in response.get_data(as_text=True)
    html = client.get(f"/committee/calls/{call.id}/ranking").get_data(as_text=True)
    assert 'id="finalise-problems"' in html
    post_decision(client, call, apps[0], outcome="funded", approved_amount="225000")
    post_decision(client, call, apps[1], outcome="reserve")
    for app in apps[2:]:
        post_decision(client, call, app, outcome="not_funded", reason="Низкий балл")
    assert "Finalise the decisions" in client.get(
        f"/committee/calls/{call.id}/ranking").get_data(as_text=True)
    response = client.post(f"/committee/calls/{call.id}/finalise")
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Call, call.id).decisions_finalised_at is not None
    assert db.get(Application, apps[0].id).status == S.FUNDED

    html = client.get(f"/committee/calls/{call.id}/ranking").get_data(as_text=True)
    assert "The decisions were made final" in html
    assert f'id="decline-{apps[0].id}"' in html
    assert f'id="reserve-{apps[1].id}"' in html
    assert "Save the decision" not in html
    # no more decisions
    response = post_decision(client, call, apps[2], outcome="funded", approved_amount="1000",
                             reason="x")
    assert response.status_code == 409

    response = client.post(
        f"/committee/calls/{call.id}/applications/{apps[0].id}/decline",
        data={f"decline{apps[0].id}-reason": "Библиотека закрыта на ремонт"})
    assert response.status_code == 302
    response = client.post(
        f"/committee/calls/{call.id}/applications/{apps[1].id}/fund-from-reserve",
        data={f"reserve{apps[1].id}-approved_amount": "225000"})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Application, apps[0].id).status == S.DECLINED
    assert db.get(Application, apps[1].id).status == S.FUNDED
    assert decisions.approved_total(db, call.id) == FULL
    response = client.post(
        f"/committee/calls/{call.id}/applications/{apps[2].id}/fund-from-reserve",
        data={f"reserve{apps[2].id}-approved_amount": "1000"})
    assert response.status_code == 409
    assert "not on the reserve list" in response.get_data(as_text=True)


# --- the protocol -------------------------------------------------------------------------------


def pdf_text(content: bytes) -> tuple[PdfReader, list[str]]:
    reader = PdfReader(io.BytesIO(content))
    return reader, [squash(page.extract_text()) for page in reader.pages]


def test_the_protocol_prints_the_ranking_and_the_decisions(
    client, login_as, chair, committee, db, in_request
):
    call, apps, reviewers, _colleague = committee
    in_request(lambda: decide_all(db, apps, chair))
    login_as(chair)
    reader, pages = pdf_text(client.get(f"/committee/calls/{call.id}/protocol.pdf").data)
    text_ = " ".join(pages)
    draft = "DRAFT — decisions not final"
    assert all(draft in page for page in pages)
    assert f"Page 1 of {len(pages)}" in pages[0]

    in_request(lambda: decisions.finalise_decisions(db, call, actor=chair))
    db.expire_all()
    ranking = rank_applications(db, db.get(Call, call.id))
    reader, pages = pdf_text(client.get(f"/committee/calls/{call.id}/protocol.pdf").data)
    text_ = " ".join(pages)
    assert draft not in text_
    assert "Minutes of the meeting of the competition committee" in text_
    assert call.code in text_ and squash(call.title) in text_
    assert f"Fund {money(call.fund_amount, 'en')}" in text_
    for reviewer in reviewers:
        assert reviewer.full_name in text_
    for row in ranking.rows:
        pct = squash(format_percent(row.cofinancing_percent, "en"))
        assert (f"{row.rank} {row.registration_number} {squash(row.library)}" in text_), row
        assert (f"{money(row.requested_amount, 'en')} {pct} {row.reviews_count} "
                f"{format_number(row.score, 'en')} / {format_number(row.maximum, 'en')}"
                in text_), row
    assert "Снижены расходы на оборудование" in text_
    assert "Не хватило средств фонда" in text_
    assert (f"Total approved {money(D('450000.00'), 'en')} "
            f"{money(D('425000.00'), 'en')}") in text_  # requested, approved
    assert f"Approved in all {money(D('425000.00'), 'en')}" in text_
    assert f"Remainder of the fund {money(D('75000.00'), 'en')}" in text_
    assert "Reserve list: 1" in text_ and "Funded: 2" in text_ and "Not funded: 1" in text_
    for label in ("Chair of the committee", "Secretary of the committee",
                  "Members of the committee"):
        assert label in text_
    for page in reader.pages:
        assert sorted((float(page.mediabox.width), float(page.mediabox.height))) == \
            pytest.approx((595.28, 841.89), abs=0.5)


# --- the fund under concurrent decisions, with real commits --------------------------------------
#
# The `db` fixture holds every test inside one rolled-back transaction, where no two requests
# can race. These tests use an application of their own on a database of their own (a SQLite
# file, or a second PostgreSQL database beside the test one) and commit for real.

WORKERS = 8
LIVE_FUND = D("1000000.00")  # four grants of 225 000 fit (900 000), a fifth does not


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    flask_app = make_test_app(live_database_url(tmp_path_factory, "concurrency"),
                              str(tmp_path_factory.mktemp("live-instance")))
    reset_schema(flask_app)
    yield flask_app
    flask_app.extensions["vektor.db"]["engine"].dispose()


_live_counter = iter(range(1, 10**6))


def seed_live_call(live_app: Flask, applications: int = WORKERS) -> tuple[int, list[int], int]:
    """A closed call with a fund of 1 000 000 and `applications` reviewed applications asking
    225 000 each, committed; returns the call's id, the applications' ids and a chair's id."""
    with live_app.test_request_context():
        session = database.sessionmaker()
        n = next(_live_counter)
        org = create_org_service(session, {
            "full_name": f"Живая библиотека {n}", "short_name": f"Живая {n}",
            "inn": demo_inn(f"{700000000 + n:09d}"), "kpp": "500101001",
            "ogrn": demo_ogrn(f"{103500000000 + n:012d}"), "municipality": "Тестов",
            "address": "г. Тестов", "head_name": "Иванов И. И.", "bik": "044525225",
            "settlement_account": demo_account("044525225", f"4070281000{n:09d}"),
            "correspondent_account": "30101810400000000225",
        }, actor=None, approved=True)
        chair = create_user_service(session, email=f"live-chair-{n}@example.org",
                                    full_name="Председатель", password="a long live passphrase",
                                    roles={Role.CHAIR}, actor=None)
        call = create_call_service(session, call_data(fund_amount=LIVE_FUND), actor=None)
        call.status, call.published_at = CallStatus.PUBLISHED, call.opens_at
        now = utcnow()
        call.closes_at = now
        session.flush()
        ids = []
        for number in range(1, applications + 1):
            app = Application(
                call=call, organisation_id=org.id, title=f"Проект {number}",
                status=S.REVIEWED, submitted_at=now, screened_at=now, sequence=number,
                registration_number=f"{call.code}-{number:04d}",
                budget_lines=[BudgetLine(
                    position=1, category=BudgetCategory.EQUIPMENT, item="Оборудование",
                    quantity=D("1"), unit_price=D("300000.00"), requested_amount=FULL,
                    own_amount=D("75000.00"), partner_amount=D("0.00"))],
            )
            session.add(app)
            session.flush()
            ids.append(app.id)
        session.commit()
        result = (call.id, ids, chair.id)
        session.close()
        return result


def committed_total(live_app: Flask, call_id: int) -> tuple[Decimal, int]:
    with live_app.app_context():
        session = database.sessionmaker()
        try:
            total = decisions.approved_total(session, call_id)
            count = session.scalar(select(func.count(Decision.id)).where(
                Decision.call_id == call_id, Decision.outcome == O.FUNDED))
            return total, int(count or 0)
        finally:
            session.close()


@pytest.fixture
def slow_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each decision a moment between summing the approved amounts and writing its own,
    so that without the lock every thread would read the same sum and all would overshoot."""
    original = decisions.approved_total

    def slow(*args: Any, **kwargs: Any) -> Decimal:
        total = original(*args, **kwargs)
        threading.Event().wait(0.05)
        return total

    monkeypatch.setattr(decisions, "approved_total", slow)


def decide_in_own_session(live_app: Flask, app_id: int, chair_id: int) -> str:
    with live_app.test_request_context(method="POST", headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        session = database.sessionmaker()
        try:
            app = session.get(Application, app_id)
            chair = session.get(User, chair_id)
            decisions.decide(session, app, O.FUNDED, approved_amount=FULL, actor=chair)
            session.commit()
            return "funded"
        except ConflictError as exc:
            session.rollback()
            return str(exc.message)
        finally:
            session.close()


def test_concurrent_decisions_never_exceed_the_fund(live_app, slow_sum):
    call_id, app_ids, chair_id = seed_live_call(live_app)
    results = run_together(lambda i: decide_in_own_session(live_app, app_ids[i], chair_id),
                           WORKERS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    funded = [r for r in results if r == "funded"]
    refused = [squash(r) for r in results if r != "funded"]
    total, count = committed_total(live_app, call_id)
    assert total <= LIVE_FUND
    assert (len(funded), count, total) == (4, 4, D("900000.00"))
    assert len(refused) == WORKERS - 4
    for message in refused:
        assert "does not fit in the fund" in message
        # each refused one saw the four committed before it: 900 000 approved, 100 000 free
        for figure in (D("900000.00"), D("100000.00"), LIVE_FUND, D("1125000.00")):
            assert money(figure, "en") in message, message


def test_concurrent_requests_to_the_page_never_exceed_the_fund(live_app, slow_sum):
    call_id, app_ids, chair_id = seed_live_call(live_app)
    with live_app.app_context():
        session = database.sessionmaker()
        user_id = session.get(User, chair_id).get_id()
        session.close()
    clients = []
    for _n in range(WORKERS):
        client = live_app.test_client()
        client.set_cookie(LANGUAGE_COOKIE, "en")
        with client.session_transaction() as sess:
            sess["_user_id"] = user_id
            sess["_fresh"] = True
        clients.append(client)

    def post(index: int) -> tuple[int, str]:
        app_id = app_ids[index]
        response = clients[index].post(
            f"/committee/calls/{call_id}/applications/{app_id}/decision",
            data={f"decision{app_id}-outcome": "funded",
                  f"decision{app_id}-approved_amount": "225000.00"})
        return response.status_code, response.get_data(as_text=True)

    results = run_together(post, WORKERS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    statuses = sorted(status for status, _body in results)
    assert statuses == [302] * 4 + [409] * (WORKERS - 4)
    for status, body in results:
        if status == 409:
            assert "does not fit in the fund" in body
            assert money(D("900000.00"), "en") in squash(body)
    total, count = committed_total(live_app, call_id)
    assert (total, count) == (D("900000.00"), 4)


@pytest.mark.skipif(not (TEST_DATABASE_URL or "").startswith("postgresql"),
                    reason="SQLite serialises writers with BEGIN IMMEDIATE whatever the code "
                           "does; only PostgreSQL can show a race without the row lock")
def test_without_the_row_lock_the_same_race_would_overshoot(live_app, slow_sum, monkeypatch):
    """The control: the same threads with the call read but not locked all read the same sum,
    so the test above would catch a missing lock."""

    def read_without_lock(session: Session, call_id: int) -> Call:
        return session.scalars(select(Call).where(Call.id == call_id)
                               .execution_options(populate_existing=True)).one()

    monkeypatch.setattr(decisions, "lock_call", read_without_lock)
    call_id, app_ids, chair_id = seed_live_call(live_app)
    run_together(lambda i: decide_in_own_session(live_app, app_ids[i], chair_id), WORKERS)
    total, _count = committed_total(live_app, call_id)
    assert total > LIVE_FUND
