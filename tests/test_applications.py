"""The application: sections saved as drafts, the check with every rule and its message,
submission with a registration number, the deadline, immutability, optimistic locking,
withdrawal, and who may do what."""

from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from sqlalchemy import select

from portal.db import utcnow
from portal.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    BudgetCategory,
    CapBasis,
    OrganisationStatus,
    OutboxMessage,
    Role,
)
from portal.services.checks import check_application
from tests.conftest import budget_rows


def messages(app):
    return [issue.message for issue in check_application(app)]


# -- “Check my application”: each rule and its message --------------------------------------

def test_complete_application_has_no_issues(ctx, create_application):
    assert messages(create_application()) == []


def test_cofinancing_below_the_minimum(ctx, create_application, create_call):
    call = create_call(min_cofinancing_percent=Decimal("20"))
    app = create_application(call=call, budget=(
        ("equipment", "1", "100000.00", "87500.00", "12500.00", "0.00"),
    ))
    assert "Co-financing is 12.5 %; this call requires at least 20 %." in [
        m.replace("\u00a0", " ") for m in messages(app)]


def test_requested_above_the_largest_grant(ctx, create_application, create_call):
    call = create_call(max_grant_amount=Decimal("100000.00"))
    app = create_application(call=call, budget=(
        ("equipment", "1", "200000.00", "150000.00", "50000.00", "0.00"),
    ))
    assert ("The amount requested is 150,000.00 ₽; this call gives at most 100,000.00 ₽ per "
            "project.") in [m.replace("\u00a0", " ") for m in messages(app)]


def test_category_not_allowed(ctx, create_application, create_call):
    call = create_call(categories={BudgetCategory.EQUIPMENT: (None, CapBasis.TOTAL)})
    app = create_application(call=call, budget=(
        ("equipment", "1", "100000.00", "70000.00", "30000.00", "0.00"),
        ("fees", "1", "10000.00", "10000.00", "0.00", "0.00"),
    ))
    assert ("Line 2 (Статья 2): this call does not fund the category “Fees and wages”."
            in messages(app))


def test_category_cap_of_total_and_of_requested(ctx, create_application, create_call):
    call = create_call(categories={
        BudgetCategory.EQUIPMENT: (Decimal("50"), CapBasis.TOTAL),
        BudgetCategory.FEES: (Decimal("30"), CapBasis.REQUESTED),
        BudgetCategory.EVENTS: (None, CapBasis.TOTAL),
    })
    app = create_application(call=call, budget=(
        ("equipment", "1", "60000.00", "40000.00", "20000.00", "0.00"),  # 60 % of 100 000
        ("fees", "1", "30000.00", "30000.00", "0.00", "0.00"),  # 30 000 of 75 000 = 40 %
        ("events", "1", "10000.00", "5000.00", "5000.00", "0.00"),
    ))
    found = [m.replace("\u00a0", " ") for m in messages(app)]
    assert ("“Material and technical base (equipment)” is 60 % of the project's total; this "
            "call allows at most 50 %.") in found
    assert ("“Fees and wages” takes 40 % of the amount requested; this call allows at most "
            "30 %.") in found


def test_line_whose_sources_do_not_add_up(ctx, create_application):
    app = create_application(budget=(
        ("equipment", "3", "33.33", "70.00", "29.98", "0.00"),
        ("events", "1", "100000.00", "70000.00", "30000.00", "0.00"),
    ))
    assert ("Line 1 (Статья 1): the sources add up to 99.98 ₽, but the line's total is "
            "99.99 ₽.") in [m.replace("\u00a0", " ") for m in messages(app)]


def test_dates_outside_the_implementation_period(ctx, create_application, create_call):
    call = create_call()
    late = call.implementation_end + timedelta(days=10)
    app = create_application(call=call, end_date=late)
    app.activities[0].end_date = late
    found = messages(app)
    assert any(m.startswith("The project's end (") and "outside the call's implementation "
               "period" in m for m in found)
    assert any(m.startswith("Activity 1 (Встречи с авторами) falls outside") for m in found)


def test_incomplete_sections_are_each_listed(ctx, create_application):
    app = create_application(title="", problem="  ", tasks="")
    app.indicators = []
    app.activities = []
    found = messages(app)
    for expected in ("Project title is not filled in.", "Problem and relevance is not filled in.",
                     "Tasks is not filled in.", "Add at least one activity with its dates.",
                     "Add at least one expected result with its unit and target value."):
        assert expected in found
    sections = {issue.section for issue in check_application(app)}
    assert sections == {"general", "problem", "goals", "activities", "results"}


def test_partner_money_needs_a_partner(ctx, create_application):
    app = create_application()
    app.partners = []
    assert "The budget counts on partners' money, but no partner is listed." in messages(app)


def test_check_page_lists_every_problem_with_links(client, db, create_application, login_as):
    app = create_application(title="", budget=(
        ("equipment", "1", "100000.00", "90000.00", "10000.00", "0.00"),
    ))
    login_as(app.created_by)
    html = client.get(f"/applications/{app.id}/check").get_data(as_text=True)
    assert f'href="/applications/{app.id}/edit/general#title"' in html
    assert f'href="/applications/{app.id}/edit/budget#cofinancing"' in html
    assert "Co-financing is 10" in html


# -- Saving sections ------------------------------------------------------------------------

def test_applicant_starts_and_fills_an_application(client, db, create_call, create_user,
                                                    login_as):
    call = create_call()
    user = create_user(Role.APPLICANT)
    login_as(user)
    response = client.post(f"/calls/{call.id}/apply")
    assert response.status_code == 302
    app = db.scalars(select(Application).where(Application.call_id == call.id)).one()
    assert app.status == ApplicationStatus.DRAFT and app.organisation_id == user.organisation_id
    assert db.scalar(select(AuditEvent.action).where(
        AuditEvent.object_type == "application", AuditEvent.object_id == str(app.id)
    )) == "application.created"

    # A section can be saved incomplete.
    response = client.post(f"/applications/{app.id}/edit/general", data={
        "version": app.version, "title": "Читающий двор", "direction": "", "summary": ""})
    assert response.status_code == 302
    db.expire_all()
    assert app.title == "Читающий двор" and app.version == 2

    response = client.post(f"/applications/{app.id}/edit/budget", data={
        "version": app.version,
        "rows-0-category": "equipment", "rows-0-item": "Ноутбук", "rows-0-unit": "шт.",
        "rows-0-quantity": "2", "rows-0-unit_price": "75 000,00",
        "rows-0-requested_amount": "120 000", "rows-0-own_amount": "30000",
        "rows-0-partner_amount": "",
        "rows-1-category": "other", "rows-1-item": "", "rows-1-quantity": "",
    })
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    (line,) = app.budget_lines
    assert (line.quantity, line.unit_price, line.requested_amount, line.partner_amount) == (
        Decimal("2.000"), Decimal("75000.00"), Decimal("120000.00"), Decimal("0.00"))
    html = client.get(f"/applications/{app.id}").get_data(as_text=True)
    assert "150,000.00\u00a0₽" in html  # the total the portal computed


def test_bad_numbers_are_refused_beside_the_field_and_nothing_is_lost(
        client, db, create_application, login_as):
    app = create_application()
    login_as(app.created_by)
    before = [(b.item, b.quantity) for b in app.budget_lines]
    response = client.post(f"/applications/{app.id}/edit/budget", data={
        "version": app.version, "rows-0-category": "equipment", "rows-0-item": "Ноутбук",
        "rows-0-quantity": "-2", "rows-0-unit_price": "1.005",
    })
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "cannot be negative" in html and "at most 2 decimal places" in html
    assert 'value="-2"' in html and 'value="1.005"' in html  # what was typed stays
    db.expire_all()
    assert [(b.item, b.quantity) for b in app.budget_lines] == before


def test_two_people_saving_the_same_draft(app, db, create_application, create_user):
    application = create_application()
    first = application.created_by
    second = create_user(Role.APPLICANT, organisation=application.organisation,
                         full_name="Вторая Сотрудница")
    version = application.version
    a, b = app.test_client(), app.test_client()
    for client, user in ((a, first), (b, second)):
        client.set_cookie("vektor_lang", "en")
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
    ok = b.post(f"/applications/{application.id}/edit/problem",
                data={"version": version, "problem": "Версия второй сотрудницы"})
    assert ok.status_code == 302
    stale = a.post(f"/applications/{application.id}/edit/problem",
                   data={"version": version, "problem": "Версия первой сотрудницы"})
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Вторая Сотрудница saved this application after you opened this page" in html
    assert "Версия первой сотрудницы" in html  # the stale text is kept in the form
    assert "Версия второй сотрудницы" in html  # and what is saved is shown beside it
    db.expire_all()
    assert application.problem == "Версия второй сотрудницы"
    # Saving again from the conflict page is a knowing overwrite.
    new_version = int(html.split('name="version" type="hidden" value="')[1].split('"')[0])
    again = a.post(f"/applications/{application.id}/edit/problem",
                   data={"version": new_version, "problem": "Версия первой сотрудницы"})
    assert again.status_code == 302
    db.expire_all()
    assert application.problem == "Версия первой сотрудницы"


# -- Submission, deadline, immutability -------------------------------------------------------

def test_submission_gives_a_number_and_sends_a_confirmation(client, db, create_application,
                                                            login_as):
    app = create_application()
    login_as(app.created_by)
    response = client.post(f"/applications/{app.id}/submit")
    assert response.status_code == 302
    db.expire_all()
    assert app.status == ApplicationStatus.SUBMITTED
    assert app.registration_number == f"{app.call.year}-{app.call.number:02d}-0001"
    assert app.submitted_at is not None
    mail = db.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == app.created_by.email)).one()
    assert app.registration_number in mail.body
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "application.submit")).one()
    assert (event.from_state, event.to_state) == ("draft", "submitted")


def test_registration_numbers_are_sequential_per_call(ctx, db, create_application, create_call):
    call = create_call()
    numbers = [create_application(call=call, status=ApplicationStatus.SUBMITTED)
               .registration_number for _ in range(3)]
    assert [n[-4:] for n in numbers] == ["0001", "0002", "0003"]
    other = create_application(status=ApplicationStatus.SUBMITTED)
    assert other.registration_number.endswith("-0001")


def test_incomplete_application_cannot_be_submitted(client, db, create_application, login_as):
    app = create_application(title="")
    login_as(app.created_by)
    response = client.post(f"/applications/{app.id}/submit")
    assert response.status_code == 303
    db.expire_all()
    assert app.status == ApplicationStatus.DRAFT and app.registration_number is None


def test_unapproved_library_cannot_submit(client, db, create_application, create_organisation,
                                          login_as):
    org = create_organisation(status=OrganisationStatus.PENDING)
    app = create_application(organisation=org)
    login_as(app.created_by)
    client.post(f"/applications/{app.id}/submit")
    db.expire_all()
    assert app.status == ApplicationStatus.DRAFT


def test_nothing_is_submitted_or_edited_after_the_closing_time(client, db, create_application,
                                                               login_as):
    app = create_application()
    login_as(app.created_by)
    version = app.version
    with time_machine.travel(app.call.closes_at + timedelta(seconds=1), tick=False):
        submit = client.post(f"/applications/{app.id}/submit")
        edit = client.post(f"/applications/{app.id}/edit/problem",
                           data={"version": version, "problem": "после срока"})
        page = client.get(f"/applications/{app.id}/edit/problem")
    assert submit.status_code == 409 and edit.status_code == 409 and page.status_code == 409
    assert "The call closed for applications" in submit.get_data(as_text=True)
    db.expire_all()
    assert app.status == ApplicationStatus.DRAFT and app.problem != "после срока"


def test_submission_in_the_last_second_is_accepted(client, db, create_application, login_as):
    app = create_application()
    login_as(app.created_by)
    with time_machine.travel(app.call.closes_at - timedelta(seconds=1), tick=False):
        assert client.post(f"/applications/{app.id}/submit").status_code == 302
    db.expire_all()
    assert app.status == ApplicationStatus.SUBMITTED


def test_submitted_application_is_never_changed(client, db, create_application, login_as):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    login_as(app.created_by)
    for section, data in (("general", {"title": "Другое"}), ("problem", {"problem": "x"}),
                          ("budget", {"rows-0-item": "x"})):
        response = client.post(f"/applications/{app.id}/edit/{section}",
                               data={"version": app.version, **data})
        assert response.status_code == 409
        assert "has been submitted and can no longer be changed" in response.get_data(
            as_text=True)
    assert client.post(f"/applications/{app.id}/submit").status_code == 409
    db.expire_all()
    assert app.title == "Читающий двор" and len(app.budget_lines) == 3


def test_withdraw_needs_a_reason_and_is_audited(client, db, create_application, login_as):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    login_as(app.created_by)
    assert client.post(f"/applications/{app.id}/withdraw", data={"reason": ""}).status_code == 200
    db.expire_all()
    assert app.status == ApplicationStatus.SUBMITTED
    client.post(f"/applications/{app.id}/withdraw", data={"reason": "Нет помещения"})
    db.expire_all()
    assert app.status == ApplicationStatus.WITHDRAWN and app.withdrawal_reason == "Нет помещения"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "application.withdraw")).one()
    assert event.reason == "Нет помещения"
    # A draft cannot be withdrawn, nor an application twice.
    assert client.post(f"/applications/{app.id}/withdraw",
                       data={"reason": "ещё раз"}).status_code == 403


# -- Who may do what -------------------------------------------------------------------------

APP_ROUTES = [
    ("GET", "/applications/{id}"),
    ("GET", "/applications/{id}/check"),
    ("GET", "/applications/{id}/edit/general"),
    ("POST", "/applications/{id}/edit/general"),
    ("GET", "/applications/{id}/edit/budget"),
    ("POST", "/applications/{id}/submit"),
    ("GET", "/applications/{id}/withdraw"),
]


@pytest.mark.parametrize(("method", "route"), APP_ROUTES)
def test_anonymous_is_sent_to_sign_in(client, db, create_application, method, route):
    app = create_application()
    response = client.open(route.format(id=app.id), method=method)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize(("method", "route"), APP_ROUTES)
def test_another_librarys_draft_is_404_for_everyone(client, db, create_application, create_user,
                                                    login_as, role, method, route):
    app = create_application()
    login_as(create_user(role))  # an applicant of another library, or any other role
    before = app.version
    response = client.open(route.format(id=app.id), method=method,
                           data={"version": app.version, "title": "чужое"})
    assert response.status_code == 404
    assert "Читающий двор" not in response.get_data(as_text=True)
    db.expire_all()
    assert app.version == before and app.status == ApplicationStatus.DRAFT


@pytest.mark.parametrize("role", [Role.CHAIR, Role.ADMIN])
def test_committee_reads_a_submitted_application_but_cannot_change_it(
        client, db, create_application, create_user, login_as, role):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    login_as(create_user(role))
    assert client.get(f"/applications/{app.id}").status_code == 200
    assert client.post(f"/applications/{app.id}/withdraw",
                       data={"reason": "x"}).status_code == 403


def test_another_librarys_submitted_application_is_404(client, db, create_application,
                                                       create_user, login_as):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    for role in (Role.APPLICANT, Role.REVIEWER, Role.FINANCE):
        login_as(create_user(role))
        assert client.get(f"/applications/{app.id}").status_code == 404


def test_colleague_from_the_same_library_may_edit(client, db, create_application, create_user,
                                                  login_as):
    app = create_application()
    login_as(create_user(Role.APPLICANT, organisation=app.organisation))
    response = client.post(f"/applications/{app.id}/edit/problem",
                           data={"version": app.version, "problem": "Дополнено коллегой"})
    assert response.status_code == 302


def test_posted_fields_outside_the_section_are_ignored(client, db, create_application,
                                                       login_as):
    app = create_application()
    login_as(app.created_by)
    client.post(f"/applications/{app.id}/edit/problem", data={
        "version": app.version, "problem": "ok", "status": "funded",
        "organisation_id": "1", "registration_number": "2026-99-9999"})
    db.expire_all()
    assert app.status == ApplicationStatus.DRAFT and app.registration_number is None


def test_cannot_start_an_application_in_a_closed_call(client, db, create_call, create_user,
                                                      login_as):
    call = create_call(opens_at=utcnow() - timedelta(days=10),
                       closes_at=utcnow() - timedelta(days=1))
    login_as(create_user(Role.APPLICANT))
    assert client.post(f"/calls/{call.id}/apply").status_code == 403
    assert db.scalars(select(Application).where(Application.call_id == call.id)).all() == []


def test_applicant_dashboard_lists_the_librarys_applications(client, db, create_application,
                                                             login_as):
    draft = create_application()
    submitted = create_application(author=draft.created_by, call=draft.call,
                                   status=ApplicationStatus.SUBMITTED)
    other = create_application()
    login_as(draft.created_by)
    html = client.get("/").get_data(as_text=True)
    assert f"/applications/{draft.id}" in html and f"/applications/{submitted.id}" in html
    assert f"/applications/{other.id}" not in html
    assert submitted.registration_number in html
    assert "Complete the sections and submit" in html


def test_budget_rows_helper_matches_the_default(ctx, create_application):
    rows = budget_rows(("other", "1", "10.00", "10.00", "0.00", "0.00"))
    assert rows[0]["category"] == BudgetCategory.OTHER


def test_section_page_shows_its_own_problems(client, db, create_application, login_as):
    app = create_application(budget=(
        ("equipment", "1", "100000.00", "90000.00", "10000.00", "0.00"),
    ))
    login_as(app.created_by)
    html = client.get(f"/applications/{app.id}/edit/budget").get_data(as_text=True)
    assert 'href="#cofinancing"' in html and "Co-financing is 10" in html
    assert 'id="cofinancing"' in html  # the link has somewhere to go
    assert "Co-financing is" not in client.get(
        f"/applications/{app.id}/edit/problem").get_data(as_text=True)


# -- the application's page: what it reads ----------------------------------------------------

def page_statements(client, db, url):
    from tests.conftest import recorded_statements

    with recorded_statements(db.get_bind().engine) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return [" ".join(s.split()) for s in statements]


@pytest.mark.parametrize("lines", [3, 30])
def test_the_application_page_reads_each_thing_once_whatever_the_budget(
        client, db, create_application, create_user, login_as, lines):
    """The signed-in user, then the application with its call, library and agreement in one
    statement, then one statement per section with rows (budget lines, activities, partners,
    indicators, attachments); without an agreement there are no reports to look up."""
    row = ("equipment", "1", "1000.00", "750.00", "250.00", "0.00")
    app = create_application(status=ApplicationStatus.SUBMITTED, budget=[row] * lines)
    login_as(create_user(Role.CHAIR))
    statements = page_statements(client, db, f"/applications/{app.id}")
    tables = {s.split(" FROM ", 1)[1].split()[0]: s for s in statements}
    assert sorted(tables) == sorted([
        "users", "applications", "budget_lines", "application_activities",
        "application_partners", "application_indicators", "application_attachments",
    ]) and len(statements) == len(tables), statements
    for joined in ("calls", "organisations", "agreements"):
        assert f"JOIN {joined}" in tables["applications"]


def test_the_application_page_of_a_funded_project_lists_its_reports(
        client, db, create_agreement, login_as):
    agreement = create_agreement(signed=True)
    login_as(agreement.application.created_by)
    html = client.get(f"/applications/{agreement.application_id}").get_data(as_text=True)
    assert 'id="reports"' in html
    assert html.count('href="/reports/') == len(agreement.reports)
    assert "Agreement (PDF)" in html


def test_the_check_takes_the_budget_summary_the_page_computed(ctx, create_application):
    from portal.money import summarise_budget

    app = create_application(budget=[("equipment", "1", "1000.00", "900.00", "0.00", "0.00")])
    summary = summarise_budget(app.budget_lines)
    assert check_application(app, summary) == check_application(app)
    assert any("add up to" in issue.message for issue in check_application(app, summary))
