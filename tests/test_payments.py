"""Recording payments: only finance, only on a released tranche of a signed agreement, never
more than what is left of the tranche or of the agreement (refused with the figures), the
first payment starting the reporting period, the audit trail; and no overpayment when many
people record at once, with real commits on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import get_locale
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import db as database
from portal.db import utcnow
from portal.demo import demo_account, demo_inn, demo_ogrn
from portal.errors import ConflictError, DomainError
from portal.i18n import LANGUAGE_COOKIE
from portal.models import (
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    AuditEvent,
    BudgetCategory,
    BudgetLine,
    CallStatus,
    Decision,
    DecisionOutcome,
    Payment,
    Role,
    Tranche,
    TrancheCondition,
    User,
)
from portal.money import format_money
from portal.services import payments
from portal.services.accounts import create_user as create_user_service
from portal.services.calls import create_call as create_call_service
from portal.services.organisations import create_organisation as create_org_service
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
ZERO = D("0.00")
ADVANCE = D("112500.00")  # half of the 225 000 the default budget requests


def money(amount: Decimal) -> str:
    """An amount as the services write it in the current request's language."""
    return " ".join(format_money(amount, str(get_locale() or "ru")).split())


def squash(text_: str) -> str:
    return " ".join(str(text_).split())


def today() -> Any:
    return utcnow().astimezone(ZoneInfo("Europe/Moscow")).date()


@pytest.fixture
def finance(create_user: Callable[..., User]) -> User:
    return create_user(Role.FINANCE)


def pay(db: Session, tranche: Tranche, amount: str | Decimal, actor: User, *,
        order: str = "123", paid_on: Any = None) -> Payment:
    return payments.record_payment(db, tranche, paid_on=paid_on or today(), amount=D(amount),
                                   order_number=order, actor=actor)


def paid_total(db: Session, agreement: Agreement) -> Decimal:
    return payments.paid_on_agreement(db, agreement.id)


# --- the happy path -------------------------------------------------------------------------------


def test_a_payment_is_recorded_audited_and_the_first_one_starts_reporting(
    db, ctx, create_agreement, finance
):
    agreement = create_agreement(signed=True)
    app = agreement.application
    assert app.status == S.UNDER_AGREEMENT
    advance = agreement.tranches[0]
    assert advance.amount == ADVANCE

    payment = pay(db, advance, "100000.00", finance, order="  п/п 17 ")
    db.flush()
    assert (payment.amount, payment.order_number, payment.paid_on) == (
        D("100000.00"), "п/п 17", today())
    assert payment.recorded_by_id == finance.id
    assert app.status == S.REPORTING

    events = db.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    started = [e for e in events if e.action == "application.start_reporting"]
    assert len(started) == 1 and started[0].object_id == str(app.id)
    assert (started[0].from_state, started[0].to_state) == ("under_agreement", "reporting")
    recorded = [e for e in events if e.action == "payment.recorded"]
    assert len(recorded) == 1
    event = recorded[0]
    assert (event.object_type, event.object_id, event.actor_id) == (
        "payment", str(payment.id), finance.id)
    assert event.details["amount"] == "100000.00"
    assert event.details["order_number"] == "п/п 17"
    assert event.details["tranche"] == 1 and event.details["agreement"] == agreement.number

    # The rest of the tranche; the project is already reporting and stays so.
    pay(db, advance, "12500.00", finance, order="18")
    db.flush()
    assert app.status == S.REPORTING
    assert paid_total(db, agreement) == ADVANCE
    assert len(db.scalars(select(AuditEvent).where(
        AuditEvent.action == "application.start_reporting")).all()) == 1


def test_a_completed_project_can_still_receive_its_last_tranche(
    db, ctx, create_agreement, finance
):
    agreement = create_agreement(signed=True)
    pay(db, agreement.tranches[0], ADVANCE, finance)
    final = agreement.tranches[1]
    final.released_at = utcnow()  # the final report was accepted
    agreement.application.status = S.COMPLETED
    db.flush()
    pay(db, final, final.amount, finance)
    assert agreement.application.status == S.COMPLETED
    assert paid_total(db, agreement) == agreement.amount


# --- refusals with the figures --------------------------------------------------------------------


def test_more_than_is_left_of_the_tranche_is_refused_with_the_figures(
    db, ctx, create_agreement, finance
):
    agreement = create_agreement(signed=True)
    advance = agreement.tranches[0]
    with pytest.raises(ConflictError) as caught:
        pay(db, advance, "112500.01", finance)
    message = squash(caught.value.message)
    assert caught.value.field == "amount"
    for figure in (D("112500.01"), ADVANCE, D("0.00")):
        assert money(figure) in message, message
    assert "tranche 1" in message

    pay(db, advance, "100000.00", finance)
    with pytest.raises(ConflictError) as caught:
        pay(db, advance, "12500.01", finance)
    message = squash(caught.value.message)
    # asked, the tranche, paid already, left
    for figure in (D("12500.01"), ADVANCE, D("100000.00"), D("12500.00")):
        assert money(figure) in message, message
    assert db.scalar(select(func.count(Payment.id))) == 1
    assert agreement.application.status == S.REPORTING  # the first payment did go through


def test_more_than_is_left_of_the_approved_amount_is_refused_with_the_figures(
    db, ctx, create_agreement, finance
):
    """The tranches add up to the agreement's amount, so the tranche's limit usually bites
    first; the agreement's own limit holds even when they do not (an amount reduced after
    the schedule was made)."""
    agreement = create_agreement(signed=True)
    first, second = agreement.tranches
    second.released_at = utcnow()
    pay(db, first, ADVANCE, finance)
    agreement.amount = D("150000.00")
    db.flush()
    with pytest.raises(ConflictError) as caught:
        pay(db, second, "40000.00", finance)
    message = squash(caught.value.message)
    assert "approved amount" in message and agreement.number in message
    # asked, the agreement's amount, paid already, left
    for figure in (D("40000.00"), D("150000.00"), ADVANCE, D("37500.00")):
        assert money(figure) in message, message
    pay(db, second, "37500.00", finance)
    assert paid_total(db, agreement) == D("150000.00")


def test_a_tranche_not_yet_released_cannot_be_paid(db, ctx, create_agreement, finance):
    agreement = create_agreement(signed=True)
    after_report = agreement.tranches[1]
    assert after_report.condition == TrancheCondition.AFTER_INTERIM_REPORT
    assert after_report.released_at is None
    with pytest.raises(ConflictError) as caught:
        pay(db, after_report, "1.00", finance)
    assert "not released" in caught.value.message
    assert "Tranche 2" in caught.value.message
    assert agreement.application.status == S.UNDER_AGREEMENT
    assert db.scalar(select(func.count(Payment.id))) == 0


def test_nothing_is_paid_under_an_agreement_not_signed(db, ctx, create_agreement, finance):
    agreement = create_agreement(signed=False)
    agreement.tranches[0].released_at = utcnow()
    db.flush()
    with pytest.raises(ConflictError) as caught:
        pay(db, agreement.tranches[0], "1.00", finance)
    assert "not signed" in caught.value.message


@pytest.mark.parametrize(("amount", "order", "days", "field", "words"), [
    ("0.00", "1", 0, "amount", "more than 0"),
    ("-5.00", "1", 0, "amount", "more than 0"),
    ("10.005", "1", 0, "amount", "fractions of a kopeck"),
    ("10.00", "   ", 0, "order_number", "payment order"),
    ("10.00", "1" * 41, 0, "order_number", "at most 40"),
    ("10.00", "1", 1, "paid_on", "in the future"),
    ("10.00", "1", -1, "paid_on", "before the agreement was signed"),
])
def test_figures_wrong_in_themselves_are_refused(
    db, ctx, create_agreement, finance, amount, order, days, field, words
):
    agreement = create_agreement(signed=True)
    with pytest.raises(DomainError) as caught:
        payments.record_payment(db, agreement.tranches[0], paid_on=today() + timedelta(days),
                                amount=D(amount), order_number=order, actor=finance)
    assert caught.value.field == field
    assert words in caught.value.message
    assert db.scalar(select(func.count(Payment.id))) == 0


@pytest.mark.parametrize("role", [Role.CHAIR, Role.ADMIN, Role.APPLICANT, Role.REVIEWER])
def test_only_finance_records_payments(db, ctx, create_agreement, create_user, role):
    agreement = create_agreement(signed=True)
    with pytest.raises(PermissionError):
        pay(db, agreement.tranches[0], "1.00", create_user(role))
    assert db.scalar(select(func.count(Payment.id))) == 0


# --- many at once, with real commits --------------------------------------------------------------
#
# The `db` fixture holds every test inside one rolled-back transaction, where nothing races.
# These tests use an application of their own on a database of their own (a SQLite file, or a
# PostgreSQL database beside the test one, named for this module so that other modules' live
# tests do not share it) and commit for real.

WORKERS = 8
SHARE = D("30000.00")  # three fit in what is left of the advance (102 500), a fourth does not


@pytest.fixture(scope="module")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    flask_app = make_test_app(live_database_url(tmp_path_factory, "payments"),
                              str(tmp_path_factory.mktemp("live-instance")))
    reset_schema(flask_app)
    yield flask_app
    flask_app.extensions["vektor.db"]["engine"].dispose()


_live_counter = iter(range(1, 10**6))


def seed_live_agreement(live_app: Flask, *, already_paid: Decimal = ZERO) -> tuple[int, int]:
    """A signed agreement of 225 000 with its advance of 112 500 released, committed, and
    `already_paid` of the advance paid (the project then reporting); returns the advance's
    id and a finance user's id."""
    with live_app.test_request_context(method="POST"):
        session = database.sessionmaker()
        n = next(_live_counter)
        org = create_org_service(session, {
            "full_name": f"Платёжная библиотека {n}", "short_name": f"Платёжная {n}",
            "inn": demo_inn(f"{710000000 + n:09d}"), "kpp": "500101001",
            "ogrn": demo_ogrn(f"{104500000000 + n:012d}"), "municipality": "Тестов",
            "address": "г. Тестов", "head_name": "Иванов И. И.", "bik": "044525225",
            "settlement_account": demo_account("044525225", f"4070281000{n:09d}"),
            "correspondent_account": "30101810400000000225",
        }, actor=None, approved=True)
        finance = create_user_service(session, email=f"live-finance-{n}@example.org",
                                      full_name="Бухгалтер", password="a long live passphrase",
                                      roles={Role.FINANCE}, actor=None)
        call = create_call_service(session, call_data(), actor=None)
        call.status, call.published_at = CallStatus.PUBLISHED, call.opens_at
        now = utcnow()
        call.closes_at = now
        session.flush()
        app = Application(
            call=call, organisation_id=org.id, title="Проект",
            status=S.REPORTING if already_paid else S.UNDER_AGREEMENT,
            submitted_at=now, screened_at=now, sequence=1,
            registration_number=f"{call.code}-0001",
            budget_lines=[BudgetLine(
                position=1, category=BudgetCategory.EQUIPMENT, item="Оборудование",
                quantity=D("1"), unit_price=D("300000.00"), requested_amount=D("225000.00"),
                own_amount=D("75000.00"), partner_amount=D("0.00"))],
        )
        session.add(app)
        session.flush()
        session.add(Decision(application_id=app.id, call_id=call.id,
                             outcome=DecisionOutcome.FUNDED, approved_amount=D("225000.00")))
        agreement = Agreement(application_id=app.id, number=f"Ж-{call.code}-{n}",
                              amount=D("225000.00"), status=AgreementStatus.SIGNED,
                              signed_at=now - timedelta(days=2))
        agreement.tranches = [
            Tranche(number=1, due_date=call.implementation_start, amount=ADVANCE,
                    condition=TrancheCondition.ON_SIGNING, released_at=now),
            Tranche(number=2, due_date=call.implementation_end, amount=ADVANCE,
                    condition=TrancheCondition.AFTER_FINAL_REPORT),
        ]
        session.add(agreement)
        session.flush()
        advance = agreement.tranches[0]
        if already_paid:
            session.add(Payment(tranche_id=advance.id, paid_on=today(), amount=already_paid,
                                order_number="0"))
        session.commit()
        result = (advance.id, finance.id)
        session.close()
        return result


def pay_in_own_session(live_app: Flask, tranche_id: int, finance_id: int, index: int) -> str:
    with live_app.test_request_context(method="POST", headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        session = database.sessionmaker()
        try:
            tranche = session.get(Tranche, tranche_id)
            actor = session.get(User, finance_id)
            payments.record_payment(session, tranche, paid_on=today(), amount=SHARE,
                                    order_number=f"{index + 1}", actor=actor)
            session.commit()
            return "paid"
        except ConflictError as exc:
            session.rollback()
            return squash(exc.message)
        finally:
            session.close()


def committed(live_app: Flask, tranche_id: int) -> tuple[Decimal, int, str, int]:
    """What is paid on the tranche, in how many payments, the project's status and how many
    times it started reporting."""
    with live_app.app_context():
        session = database.sessionmaker()
        try:
            tranche = session.get(Tranche, tranche_id)
            app = tranche.agreement.application
            started = session.scalar(select(func.count(AuditEvent.id)).where(
                AuditEvent.action == "application.start_reporting",
                AuditEvent.object_id == str(app.id)))
            count = session.scalar(select(func.count(Payment.id)).where(
                Payment.tranche_id == tranche_id))
            return (payments.paid_on_tranche(session, tranche_id), int(count or 0),
                    str(app.status), int(started or 0))
        finally:
            session.close()


@pytest.fixture
def slow_sum(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each payment a moment between summing what is paid and writing its own, so that
    without the lock every thread would read the same sum and all would overpay."""
    original = payments.paid_on_tranche

    def slow(*args: Any, **kwargs: Any) -> Decimal:
        total = original(*args, **kwargs)
        threading.Event().wait(0.05)
        return total

    monkeypatch.setattr(payments, "paid_on_tranche", slow)


def test_concurrent_payments_never_overpay_a_tranche(live_app, slow_sum):
    tranche_id, finance_id = seed_live_agreement(live_app, already_paid=D("10000.00"))
    results = run_together(
        lambda i: pay_in_own_session(live_app, tranche_id, finance_id, i), WORKERS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    refused = [r for r in results if r != "paid"]
    assert len(refused) == WORKERS - 3, results
    paid, count, status, _started = committed(live_app, tranche_id)
    assert (paid, count, status) == (D("100000.00"), 4, "reporting")
    for message in refused:
        # each refused one saw the three committed before it: 100 000 paid, 12 500 left
        for figure in (SHARE, ADVANCE, D("100000.00"), D("12500.00")):
            assert " ".join(format_money(figure, "en").split()) in message, message


def test_concurrent_first_payments_start_reporting_once(live_app, slow_sum):
    tranche_id, finance_id = seed_live_agreement(live_app)
    results = run_together(
        lambda i: pay_in_own_session(live_app, tranche_id, finance_id, i), WORKERS)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert results.count("paid") == 3, results  # 90 000 of 112 500; a fourth does not fit
    paid, count, status, started = committed(live_app, tranche_id)
    assert (paid, count, status, started) == (D("90000.00"), 3, "reporting", 1)


@pytest.mark.skipif(not (TEST_DATABASE_URL or "").startswith("postgresql"),
                    reason="SQLite serialises writers with BEGIN IMMEDIATE whatever the code "
                           "does; only PostgreSQL can show a race without the row lock")
def test_without_the_row_lock_the_same_race_would_overpay(live_app, slow_sum, monkeypatch):
    """The control: the same threads with the agreement read but not locked all read the
    same sum, so the tests above would catch a missing lock."""

    def read_without_lock(session: Session, agreement_id: int) -> Agreement:
        return session.scalars(select(Agreement).where(Agreement.id == agreement_id)
                               .execution_options(populate_existing=True)).one()

    monkeypatch.setattr(payments, "lock_agreement", read_without_lock)
    tranche_id, finance_id = seed_live_agreement(live_app, already_paid=D("10000.00"))
    run_together(lambda i: pay_in_own_session(live_app, tranche_id, finance_id, i), WORKERS)
    paid, _count, _status, _started = committed(live_app, tranche_id)
    assert paid > ADVANCE
