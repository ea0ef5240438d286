"""Finance's pages: the permission matrix of every route; a call's dashboard with its figures
(fund, approved, signed, paid, remaining; per project tranches, payments and reports, overdue
marked) in a constant number of statements; recording a payment through the page; the
approved budget as PDF; and the exports for the accounting system read back with csv and
openpyxl (Russian headings, rows, the byte-order mark, formula safety, amounts)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.labels import BUDGET_CATEGORY_LABELS
from portal.models import (
    Agreement,
    ApplicationStatus,
    AuditEvent,
    BudgetCategory,
    Call,
    Decision,
    DecisionOutcome,
    Organisation,
    Payment,
    ReportSpending,
    ReportStatus,
    Role,
    User,
)
from portal.money import format_money
from portal.services.payments import (
    BUDGET_HEADINGS,
    PAYMENT_HEADINGS,
    SPENDING_HEADINGS,
    call_finances,
)
from portal.views import finance as finance_views
from tests.conftest import count_statements

D = Decimal
S = ApplicationStatus
ADVANCE = D("112500.00")  # half of the 225 000 the default budget requests
EVIL = ('=HYPERLINK("http://evil.example","x")', "+7 999 123-45-67", "-2+3", "@SUM(A1:A9)",
        "\tTAB", "\rCR")


def squash(text: str) -> str:
    return " ".join(text.split())


def money(amount: Decimal, locale: str = "en") -> str:
    return squash(format_money(amount, locale))


def today() -> Any:
    return utcnow().astimezone(ZoneInfo("Europe/Moscow")).date()


def element(html: str, element_id: str) -> str:
    """The text of the element with `element_id` up to the end of its table row, list item,
    definition or form (enough for these pages), tags dropped and spaces squashed."""
    start = html.index(f'id="{element_id}"')
    tag = html.rfind("<", 0, start)
    name = re.match(r"<(\w+)", html[tag:]).group(1)
    end = html.index(f"</{name}>", start)
    return squash(re.sub(r"<[^>]+>", " ", html[start:end].split(">", 1)[1]))


def page(client: Any, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


# --- a call with money in every state -------------------------------------------------------------


class Scene:
    """A call with a fund of 10 000 000 and three funded projects: `signed` (agreement signed,
    100 000 of its released advance paid, the advance overdue, the interim report overdue),
    `unsigned` (agreement prepared for 200 000, not signed, one report accepted), `bare`
    (150 000 approved, no agreement yet); and beside them a not funded and a declined
    application that the finance pages leave out."""

    call: Call
    signed: Agreement
    unsigned: Agreement
    bare: Any
    others: list[Any]
    payment: Payment


@pytest.fixture
def scene(db: Session, create_call, create_application, create_agreement,
          create_organisation) -> Scene:
    s = Scene()
    s.call = create_call()
    s.signed = create_agreement(signed=True, call=s.call)
    advance = s.signed.tranches[0]
    advance.due_date = today() - timedelta(days=5)
    s.payment = Payment(tranche_id=advance.id, paid_on=today(), amount=D("100000.00"),
                        order_number="п/п 101")
    db.add(s.payment)
    s.signed.application.status = S.REPORTING
    interim, final = s.signed.reports
    interim.due_date = today() - timedelta(days=3)

    s.unsigned = create_agreement(signed=False, call=s.call, amount=D("200000.00"))
    accepted = s.unsigned.reports[0]
    accepted.status, accepted.accepted_at = ReportStatus.ACCEPTED, utcnow()

    s.bare = create_application(call=s.call, status=S.FUNDED)
    db.add(Decision(application_id=s.bare.id, call_id=s.call.id,
                    outcome=DecisionOutcome.FUNDED, approved_amount=D("150000.00")))
    not_funded = create_application(call=s.call, status=S.NOT_FUNDED)
    db.add(Decision(application_id=not_funded.id, call_id=s.call.id,
                    outcome=DecisionOutcome.NOT_FUNDED, reason="Мало баллов"))
    declined = create_application(call=s.call, status=S.DECLINED)
    db.add(Decision(application_id=declined.id, call_id=s.call.id,
                    outcome=DecisionOutcome.DECLINED, approved_amount=D("100000.00")))
    s.others = [not_funded, declined]
    db.flush()
    return s


@pytest.fixture
def finance(create_user: Callable[..., User]) -> User:
    return create_user(Role.FINANCE)


# --- who may do what ------------------------------------------------------------------------------


def routes(s: Scene) -> list[tuple[str, str, dict[str, str]]]:
    advance = s.signed.tranches[0]
    base = f"/finance/calls/{s.call.id}"
    return [
        ("GET", "/finance/", {}),
        ("GET", base, {}),
        *[("GET", f"{base}/exports/{what}.{fmt}", {})
          for what in ("budgets", "payments", "spending") for fmt in ("xlsx", "csv")],
        ("POST", f"/finance/tranches/{advance.id}/payments",
         {f"pay{advance.id}-paid_on": today().isoformat(),
          f"pay{advance.id}-amount": "1000,00", f"pay{advance.id}-order_number": "7"}),
    ]


def send(client: Any, method: str, url: str, data: dict[str, str]) -> Any:
    return client.get(url) if method == "GET" else client.post(url, data=data)


def payment_count(db: Session) -> int:
    db.expire_all()
    return int(db.scalar(select(func.count(Payment.id))) or 0)


def test_anonymous_visitors_are_sent_to_sign_in(client, db, scene):
    for method, url, data in routes(scene):
        response = send(client, method, url, data)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"], url
    assert payment_count(db) == 1


@pytest.mark.parametrize("who", ["own_applicant", "other_applicant", "reviewer", "admin"])
def test_other_roles_are_refused(client, db, login_as, create_user, scene, who):
    user = {
        "own_applicant": lambda: scene.signed.application.created_by,
        "other_applicant": lambda: create_user(Role.APPLICANT),
        "reviewer": lambda: create_user(Role.REVIEWER),
        "admin": lambda: create_user(Role.ADMIN),
    }[who]()
    login_as(user)
    for method, url, data in routes(scene):
        assert send(client, method, url, data).status_code == 403, (who, url)
    assert payment_count(db) == 1


def test_the_chair_sees_the_pages_but_records_no_payment(client, db, login_as, create_user,
                                                         scene):
    login_as(create_user(Role.CHAIR))
    for method, url, data in routes(scene):
        assert send(client, method, url, data).status_code == (200 if method == "GET" else 403), url
    html = page(client, f"/finance/calls/{scene.call.id}")
    assert "/finance/tranches/" not in html and "Record the payment" not in html
    assert payment_count(db) == 1


def test_finance_sees_the_pages_and_records_payments(client, db, login_as, finance, scene):
    login_as(finance)
    for method, url, data in routes(scene):
        response = send(client, method, url, data)
        if method == "GET":
            assert response.status_code == 200, url
        else:
            assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    assert payment_count(db) == 2


def test_what_does_not_exist_is_404(client, login_as, finance, scene, create_call):
    login_as(finance)
    assert client.get("/finance/calls/999999").status_code == 404
    assert client.get(f"/finance/calls/{scene.call.id}/exports/users.csv").status_code == 404
    assert client.get(f"/finance/calls/{scene.call.id}/exports/budgets.pdf").status_code == 404
    assert client.post("/finance/tranches/999999/payments").status_code == 404
    draft = create_call(published=False)  # finance does not learn of the chair's drafts
    assert client.get(f"/finance/calls/{draft.id}").status_code == 404


# --- the dashboard --------------------------------------------------------------------------------


def test_the_dashboard_shows_the_calls_figures(client, login_as, finance, scene):
    login_as(finance)
    html = page(client, f"/finance/calls/{scene.call.id}")
    figures = {name: element(html, name) for name in
               ("fund", "approved", "signed", "paid", "remaining", "unallocated")}
    assert figures == {
        "fund": money(D("10000000.00")),
        "approved": money(D("575000.00")),  # 225 000 + 200 000 + 150 000
        "signed": money(D("225000.00")),
        "paid": money(D("100000.00")),
        "remaining": money(D("475000.00")),
        "unallocated": money(D("9425000.00")),
    }
    for other in scene.others:
        assert other.registration_number not in html


def test_the_dashboard_shows_each_projects_tranches_payments_and_reports(
    client, login_as, finance, scene
):
    login_as(finance)
    html = page(client, f"/finance/calls/{scene.call.id}")
    signed_app = scene.signed.application
    row = element(html, f"project-{signed_app.id}")
    advance, second = scene.signed.tranches
    assert signed_app.registration_number in row
    assert money(D("225000.00")) in row and scene.signed.number in row
    assert "signed" in row
    tranche = element(html, f"tranche-{advance.id}")
    assert money(ADVANCE) in tranche
    assert advance.due_date.strftime("%d.%m.%Y") in tranche
    assert "overdue" in tranche  # released, due five days ago, not fully paid
    assert f"{today().strftime('%d.%m.%Y')}: {money(D('100000.00'))}, payment order п/п 101" \
        in tranche
    assert "not released yet" in element(html, f"tranche-{second.id}")
    assert f"{money(D('100000.00'))} left {money(D('125000.00'))}" in row
    assert "due: 2" in row and "overdue: 1" in row and "accepted: 0" in row

    unsigned_row = element(html, f"project-{scene.unsigned.application.id}")
    assert money(D("200000.00")) in unsigned_row
    assert "prepared, not signed" in unsigned_row
    assert "due: 1" in unsigned_row and "accepted: 1" in unsigned_row
    assert "overdue" not in unsigned_row

    bare_row = element(html, f"project-{scene.bare.id}")
    assert money(D("150000.00")) in bare_row and "not prepared yet" in bare_row

    # a payment form for the released advance of the signed agreement only
    assert re.findall(r'action="/finance/tranches/(\d+)/payments"', html) == [str(advance.id)]
    form = element(html, f"pay-{advance.id}")
    assert f"left {money(D('12500.00'))}" in form
    assert 'value="12500.00"' in html and f'value="{today().isoformat()}"' in html


def test_the_finance_role_dashboard_lists_the_calls_with_funded_projects(
    client, login_as, finance, scene, create_call
):
    create_call()  # nothing funded: not listed
    login_as(finance)
    for url in ("/", "/finance/"):
        html = page(client, url)
        assert f'href="/finance/calls/{scene.call.id}"' in html
        assert html.count('href="/finance/calls/') == 1
        row = element(html, "finance-calls")
        assert scene.call.title in row and money(D("575000.00")) in row


def test_with_nothing_funded_the_finance_dashboard_says_so(client, login_as, finance):
    login_as(finance)
    assert "There are no funded projects yet." in page(client, "/")


def test_the_dashboard_takes_the_same_number_of_statements_at_3_and_at_20_projects(
    client, db, login_as, finance, create_call, create_agreement, monkeypatch
):
    monkeypatch.setattr(finance_views, "PROJECTS_PER_PAGE", 5)
    login_as(finance)
    counts = {}
    for size in (3, 20):
        call = create_call()
        for n in range(size):
            agreement = create_agreement(signed=n % 3 != 2, call=call)
            if agreement.tranches[0].released_at:
                db.add(Payment(tranche_id=agreement.tranches[0].id, paid_on=today(),
                               amount=D("1000.00"), order_number=str(n)))
        db.flush()
        shown: list[str] = []

        def visit(call: Call = call, shown: list[str] = shown) -> None:
            shown.append(page(client, f"/finance/calls/{call.id}"))

        counts[size] = count_statements(db, visit)
        assert shown[0].count('id="project-') == min(size, 5)
        assert element(shown[0], "paid") == money(D("1000.00") * len([
            n for n in range(size) if n % 3 != 2]))
        db.expire_all()
        loaded = db.get(Call, call.id)
        counts[f"service{size}"] = count_statements(db, lambda c=loaded: call_finances(db, c))
    # the service: the totals, the projects, the tranches, the payments
    assert counts["service3"] == counts["service20"] == 4, counts
    # the page: that, the page's count and ids, the call, the signed-in user, and the
    # savepoint around the request
    assert counts[3] == counts[20] <= 11, counts


# --- one page of projects at a time ---------------------------------------------------------------


def project_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'id="project-(\d+)"', html)]


def test_the_projects_come_a_page_at_a_time_under_the_figures_of_the_whole_call(
    client, login_as, finance, scene, monkeypatch
):
    monkeypatch.setattr(finance_views, "PROJECTS_PER_PAGE", 2)
    login_as(finance)
    base = f"/finance/calls/{scene.call.id}"
    first, second = page(client, base), page(client, f"{base}?page=2")
    assert project_ids(first) == [scene.signed.application_id, scene.unsigned.application_id]
    assert project_ids(second) == [scene.bare.id]
    assert f'href="{base}?page=2"' in first and f'href="{base}?page=1"' in second
    assert project_ids(page(client, f"{base}?page=9")) == [scene.bare.id]  # the last page
    for html in (first, second):
        # the call's figures and the table's total are over all its funded projects
        assert element(html, "approved") == money(D("575000.00"))
        assert element(html, "paid") == money(D("100000.00"))
        assert element(html, "remaining") == money(D("475000.00"))
        total = squash(re.sub(r"<[^>]+>", " ", html.split("<tfoot>")[1].split("</tfoot>")[0]))
        assert total == (f"Total of the call {money(D('575000.00'))} {money(D('100000.00'))} "
                         f"left {money(D('475000.00'))}")


def test_finance_finds_a_project_by_registration_number_or_library(
    client, db, login_as, finance, scene
):
    login_as(finance)
    base = f"/finance/calls/{scene.call.id}"
    number = scene.unsigned.application.registration_number
    html = page(client, f"{base}?q={number}")
    assert project_ids(html) == [scene.unsigned.application_id]
    assert f'value="{number}"' in html
    assert element(html, "approved") == money(D("575000.00"))  # still the whole call's
    library = db.get(Organisation, scene.bare.organisation_id).short_name
    assert project_ids(page(client, f"{base}?q={library}")) == [scene.bare.id]
    nothing = page(client, f"{base}?q=Z-404")
    assert project_ids(nothing) == [] and "No funded project matches." in nothing
    # a project of the call that was not funded is not found either
    assert project_ids(page(client, f"{base}?q={scene.others[0].registration_number}")) == []


def test_after_a_payment_finance_lands_on_the_page_that_holds_the_tranche(
    client, db, login_as, finance, create_call, create_agreement, monkeypatch
):
    monkeypatch.setattr(finance_views, "PROJECTS_PER_PAGE", 1)
    call = create_call()
    agreements = [create_agreement(signed=True, call=call) for _n in range(3)]
    login_as(finance)
    base = f"/finance/calls/{call.id}"
    for n, agreement in enumerate(agreements, start=1):
        advance = agreement.tranches[0]
        response = client.post(f"/finance/tranches/{advance.id}/payments",
                               data=payment_data(advance.id, "1 000,00", order=f"п/п {n}"))
        assert response.status_code == 302
        url = f"{base}?page={n}" if n > 1 else base
        assert response.headers["Location"].endswith(f"{url}#tranche-{advance.id}")
        html = page(client, url)
        assert project_ids(html) == [agreement.application_id]
        assert f"payment order п/п {n}" in element(html, f"tranche-{advance.id}")
        assert f"(payment order п/п {n})" in squash(html)  # the message that it is recorded


def test_a_refused_payment_is_shown_on_the_page_that_holds_its_tranche(
    client, db, login_as, finance, create_call, create_agreement, monkeypatch
):
    monkeypatch.setattr(finance_views, "PROJECTS_PER_PAGE", 1)
    call = create_call()
    first, second = (create_agreement(signed=True, call=call) for _n in range(2))
    advance = second.tranches[0]
    login_as(finance)
    response = client.post(f"/finance/tranches/{advance.id}/payments",
                           data=payment_data(advance.id, "112500,01"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert project_ids(html) == [second.application_id]
    assert money(D("112500.01")) in element(html, f"pay-{advance.id}")
    assert f'href="/finance/calls/{call.id}?page=1"' in html  # the pager of that page
    assert payment_count(db) == 0


# --- recording a payment through the page ---------------------------------------------------------


def payment_data(tranche_id: int, amount: str, order: str = "п/п 202",
                 paid_on: str | None = None) -> dict[str, str]:
    return {f"pay{tranche_id}-paid_on": paid_on or today().isoformat(),
            f"pay{tranche_id}-amount": amount, f"pay{tranche_id}-order_number": order}


def test_a_payment_recorded_on_the_page_is_saved_and_audited(
    client, db, login_as, finance, create_call, create_agreement
):
    agreement = create_agreement(signed=True)
    advance = agreement.tranches[0]
    call_id = agreement.application.call_id
    login_as(finance)
    response = client.post(f"/finance/tranches/{advance.id}/payments",
                           data=payment_data(advance.id, "112 500,00"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/finance/calls/{call_id}#tranche-{advance.id}")
    html = page(client, f"/finance/calls/{call_id}")
    assert (f"The payment of {money(ADVANCE)} (payment order п/п 202) on tranche 1 of "
            f"agreement No. {agreement.number} is recorded.") in squash(html)
    assert "paid" in element(html, f"tranche-{advance.id}")
    db.expire_all()
    payment = db.scalars(select(Payment)).one()
    assert (payment.amount, payment.order_number, payment.recorded_by_id) == (
        ADVANCE, "п/п 202", finance.id)
    assert db.get(type(agreement.application), agreement.application.id).status == S.REPORTING
    assert db.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.action == "payment.recorded")) == 1


def test_a_payment_over_the_limit_is_refused_on_the_page_with_the_figures(
    client, db, login_as, finance, create_agreement
):
    agreement = create_agreement(signed=True)
    advance = agreement.tranches[0]
    login_as(finance)
    response = client.post(f"/finance/tranches/{advance.id}/payments",
                           data=payment_data(advance.id, "112500,01"))
    assert response.status_code == 409
    form = element(response.get_data(as_text=True), f"pay-{advance.id}")
    for figure in (D("112500.01"), ADVANCE, D("0.00")):
        assert money(figure) in form
    assert 'value="112500,01"' in response.get_data(as_text=True)  # what was typed stays
    assert payment_count(db) == 0


def test_a_payment_on_a_tranche_not_released_is_refused_on_the_page(
    client, db, login_as, finance, create_agreement
):
    agreement = create_agreement(signed=True)
    second = agreement.tranches[1]
    login_as(finance)
    response = client.post(f"/finance/tranches/{second.id}/payments",
                           data=payment_data(second.id, "1000,00"))
    assert response.status_code == 409
    assert "is not released yet" in squash(response.get_data(as_text=True))
    assert payment_count(db) == 0


def test_an_incomplete_payment_form_is_shown_again(client, db, login_as, finance,
                                                  create_agreement):
    agreement = create_agreement(signed=True)
    advance = agreement.tranches[0]
    login_as(finance)
    response = client.post(f"/finance/tranches/{advance.id}/payments",
                           data=payment_data(advance.id, "abc", order=""))
    assert response.status_code == 422
    form = element(response.get_data(as_text=True), f"pay-{advance.id}")
    assert "Enter a number like 1 234,56" in form and "This field is required." in form
    assert payment_count(db) == 0


# --- the approved budget as PDF -------------------------------------------------------------------


def pdf_pages(client: Any, app_id: int) -> list[str]:
    response = client.get(f"/applications/{app_id}/budget.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    reader = PdfReader(io.BytesIO(response.data))
    return [squash(p.extract_text()) for p in reader.pages]


def tr(app: Flask, locale: str, message: str) -> str:
    with app.test_request_context(), force_locale(locale):
        return squash(gettext(message))


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_budget_of_a_funded_project_is_the_approved_budget(
    app, request, login_as, finance, create_agreement, locale
):
    client = request.getfixturevalue("client" if locale == "en" else "ru_client")
    agreement = create_agreement(signed=True, amount=D("200000.00"))
    application = agreement.application
    decision = request.getfixturevalue("db").scalars(
        select(Decision).where(Decision.application_id == application.id)).one()
    with client.session_transaction() as sess:
        sess["_user_id"] = finance.get_id()
        sess["_fresh"] = True
    pages = pdf_pages(client, application.id)
    text = " ".join(pages)
    title = tr(app, locale, "Approved budget")
    assert all(title in p for p in pages)  # the header of every page
    assert tr(app, locale, "Project budget") not in text
    decided = decision.decided_at.astimezone(ZoneInfo("Europe/Moscow")).strftime("%d.%m.%Y")
    assert (f"{money(D('225000.00'), locale)} {money(D('200000.00'), locale)} {decided}"
            in text), text
    for label in ("Approved amount", "Date of the decision",
                  "Amount requested from the municipality"):
        assert tr(app, locale, label) in text


@pytest.mark.parametrize("status", [S.SUBMITTED, S.REVIEWED])
def test_the_budget_before_funding_is_not_marked_approved(
    client, db, login_as, create_user, create_application, status
):
    application = create_application(status=status)
    # a decision recorded but not yet final leaves the budget as it was
    db.add(Decision(application_id=application.id, call_id=application.call_id,
                    outcome=DecisionOutcome.FUNDED, approved_amount=D("200000.00")))
    db.flush()
    login_as(create_user(Role.CHAIR))
    text = " ".join(pdf_pages(client, application.id))
    assert "Project budget" in text
    assert "Approved budget" not in text and "Approved amount" not in text


# --- the exports for the accounting system --------------------------------------------------------


def download(client: Any, call: Call, what: str, fmt: str) -> Any:
    response = client.get(f"/finance/calls/{call.id}/exports/{what}.{fmt}")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={what}-{call.code}.{fmt}")
    assert response.headers["Cache-Control"] == "private, no-store"
    return response


def read_csv(response: Any) -> list[list[str]]:
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.data.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel needs
    text = response.data.decode("utf-8")[1:]
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def read_xlsx(response: Any) -> Any:
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return load_workbook(io.BytesIO(response.data)).active


@pytest.fixture
def exported(db, scene, create_organisation):
    """The scene, with formula-like text in what applicants typed and a second payment."""
    signed_app = scene.signed.application
    signed_app.organisation.full_name = EVIL[3]
    for line, evil in zip(signed_app.budget_lines, EVIL, strict=False):
        line.item = evil
    signed_app.budget_lines[0].unit = EVIL[4]
    db.add(Payment(tranche_id=scene.signed.tranches[0].id, paid_on=today(),
                   amount=D("1234.56"), order_number="=1+1"))
    db.flush()
    return scene


def test_the_budgets_export_as_csv(app, client, login_as, finance, exported):
    login_as(finance)
    rows = read_csv(download(client, exported.call, "budgets", "csv"))
    assert tuple(rows[0]) == BUDGET_HEADINGS
    assert rows[0][0] == "Рег. номер заявки"
    body = rows[1:]
    assert len(body) == 9  # three funded projects of three lines each
    numbers = [a.registration_number for a in (exported.signed.application,
                                                exported.unsigned.application, exported.bare)]
    assert [r[0] for r in body] == [n for n in numbers for _line in range(3)]
    first = body[0]
    assert first[1] == "'" + EVIL[3] and first[2] == exported.signed.application.organisation.inn
    with app.test_request_context(), force_locale("ru"):
        equipment = str(BUDGET_CATEGORY_LABELS[BudgetCategory.EQUIPMENT])
    assert first[3] == equipment and re.search("[а-я]", equipment)  # the Russian label
    assert first[4] == "'" + EVIL[0] and first[5] == "'" + EVIL[4]
    # 2 x 75 000,00 = 150 000,00: 120 000 requested, 30 000 own, nothing from partners
    assert first[6:13] == ["2,000", "75000,00", "150000,00", "120000,00", "30000,00", "0,00",
                           "225000,00"]
    assert [r[4] for r in body[1:3]] == ["'" + EVIL[1], "'" + EVIL[2]]
    assert body[3][12] == "200000,00" and body[6][12] == "150000,00"


def test_the_budgets_export_as_xlsx(client, login_as, finance, exported):
    login_as(finance)
    sheet = read_xlsx(download(client, exported.call, "budgets", "xlsx"))
    rows = list(sheet.iter_rows())
    assert tuple(c.value for c in rows[0]) == BUDGET_HEADINGS
    assert len(rows) == 10
    first = rows[1]
    # text stays text, as typed: never a formula, and quote-prefixed when it looks like one
    for cell, expected in ((first[1], EVIL[3]), (first[4], EVIL[0]), (first[5], EVIL[4])):
        assert cell.value == expected and cell.data_type == "s" and cell.quotePrefix
    assert first[2].data_type == "s"  # the INN keeps its digits as text
    assert rows[2][4].value == EVIL[1] and rows[3][4].value == EVIL[2]
    figures = [D(str(c.value)) for c in first[7:13]]
    assert figures == [D("75000"), D("150000"), D("120000"), D("30000"), D("0"), D("225000")]
    assert all(c.data_type == "n" and c.number_format == "#,##0.00" for c in first[7:13])
    assert D(str(first[6].value)) == 2 and first[6].number_format == "#,##0.###"
    assert D(str(rows[4][12].value)) == D("200000")


def test_the_payments_export(client, login_as, finance, exported):
    login_as(finance)
    agreement = exported.signed
    application = agreement.application
    rows = read_csv(download(client, exported.call, "payments", "csv"))
    assert tuple(rows[0]) == PAYMENT_HEADINGS
    date = today().strftime("%d.%m.%Y")
    assert rows[1:] == [
        [date, "п/п 101", "100000,00", application.registration_number, "'" + EVIL[3],
         application.organisation.inn, agreement.number, "1"],
        [date, "'=1+1", "1234,56", application.registration_number, "'" + EVIL[3],
         application.organisation.inn, agreement.number, "1"],
    ]
    sheet = read_xlsx(download(client, exported.call, "payments", "xlsx"))
    rows_x = list(sheet.iter_rows(values_only=False))
    assert tuple(c.value for c in rows_x[0]) == PAYMENT_HEADINGS
    second = rows_x[2]
    assert second[0].value.date() == today() and second[0].number_format == "DD.MM.YYYY"
    assert second[1].value == "=1+1" and second[1].data_type == "s" and second[1].quotePrefix
    assert D(str(second[2].value)) == D("1234.56") and second[2].number_format == "#,##0.00"
    assert second[7].value == 1


def test_the_spending_export(client, db, login_as, finance, exported):
    agreement = exported.signed
    interim = agreement.reports[0]
    interim.status, interim.accepted_at = ReportStatus.ACCEPTED, utcnow()
    lines = agreement.application.budget_lines
    db.add_all([
        ReportSpending(report_id=interim.id, budget_line_id=lines[0].id,
                       requested_amount=D("100000.00"), own_amount=D("30000.00"),
                       partner_amount=D("0.00")),
        ReportSpending(report_id=interim.id, budget_line_id=lines[1].id,
                       requested_amount=D("70000.50"), own_amount=D("0.00"),
                       partner_amount=D("25000.00")),
    ])
    db.flush()
    login_as(finance)
    # the unsigned project's accepted report has no spending: its lines come with empty facts
    rows = read_csv(download(client, exported.call, "spending", "csv"))
    assert tuple(rows[0]) == SPENDING_HEADINGS
    assert len(rows) == 1 + 3 + 3
    number = agreement.application.registration_number
    first, second, third = rows[1:4]
    assert first[:4] == [number, "'" + EVIL[3], agreement.application.organisation.inn,
                         agreement.number]
    assert first[5] == interim.due_date.strftime("%d.%m.%Y")
    assert first[8:] == ["120000,00", "100000,00", "30000,00", "30000,00", "0,00", "0,00",
                         "150000,00", "130000,00"]
    assert second[8:] == ["75000,00", "70000,50", "0,00", "0,00", "25000,00", "25000,00",
                          "100000,00", "95000,50"]
    assert third[8:] == ["30000,00", "", "20000,00", "", "0,00", "", "50000,00", ""]
    other = rows[4]
    assert other[0] == exported.unsigned.application.registration_number
    assert other[9] == "" and other[15] == ""

    sheet = read_xlsx(download(client, exported.call, "spending", "xlsx"))
    values = [[c.value for c in r] for r in sheet.iter_rows()]
    assert tuple(values[0]) == SPENDING_HEADINGS and len(values) == 7
    assert D(str(values[2][9])) == D("70000.5") and values[3][9] is None


def test_export_headings_are_russian_whatever_the_language(client, ru_client, login_as,
                                                           finance, exported):
    login_as(finance)  # the English client
    english = read_csv(download(client, exported.call, "payments", "csv"))[0]
    assert english[0] == "Дата платежа" and tuple(english) == PAYMENT_HEADINGS
    budgets = read_csv(download(client, exported.call, "budgets", "csv"))
    categories = {r[3] for r in budgets[1:]}
    assert all(re.search("[а-яА-Я]", c) for c in categories), categories


def test_an_export_of_a_call_without_payments_has_its_headings(client, login_as, finance,
                                                               create_call):
    call = create_call()
    login_as(finance)
    for what, headings in (("budgets", BUDGET_HEADINGS), ("payments", PAYMENT_HEADINGS),
                           ("spending", SPENDING_HEADINGS)):
        assert read_csv(download(client, call, what, "csv")) == [list(headings)]
        sheet = read_xlsx(download(client, call, what, "xlsx"))
        assert [[c.value for c in r] for r in sheet.iter_rows()] == [list(headings)]


def test_the_dashboard_in_russian(ru_client, scene, finance):
    with ru_client.session_transaction() as sess:
        sess["_user_id"] = finance.get_id()
        sess["_fresh"] = True
    html = page(ru_client, f"/finance/calls/{scene.call.id}")
    assert element(html, "approved") == money(D("575000.00"), "ru")
    assert 'value="12500,00"' in html  # the amount to pay, typed the Russian way
