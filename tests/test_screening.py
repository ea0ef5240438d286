"""Eligibility screening: nothing before the call closes, the portal's own checks beside each
application, admitting and not admitting with a reason (audited), the admission list as a
page and as a PDF, the committee links on the call's page, and who may open what."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import select

from portal.errors import ConflictError, DomainError
from portal.models import ApplicationStatus, AuditEvent, OrganisationStatus, Role
from portal.services.screening import admission_list, automatic_checks, screen_application

S = ApplicationStatus


@pytest.fixture
def en(ctx):
    """Services called directly, with their messages in English: the factories submit
    inside request contexts of their own that share this one's cached language."""
    with force_locale("en"):
        yield


@pytest.fixture
def call(create_call):
    return create_call()


@pytest.fixture
def submitted(call, create_application):
    """Submit applications to the open `call` (close it afterwards with close_call)."""

    def factory(**kwargs):
        return create_application(call=call, status=S.SUBMITTED, **kwargs)

    return factory


@pytest.fixture
def chair(create_user):
    return create_user(Role.CHAIR)


def squash(text: str) -> str:
    return " ".join(text.split())


# --- the service -------------------------------------------------------------------------------


def test_screening_waits_for_the_call_to_close(en, db, call, submitted, chair, close_call):
    app = submitted()
    with pytest.raises(ConflictError, match="screening starts after it closes"):
        screen_application(db, app, True, actor=chair)
    assert app.status == S.SUBMITTED and app.screened_at is None
    close_call(call)
    screen_application(db, app, True, "Соответствует условиям", actor=chair)
    assert app.status == S.ELIGIBLE and app.screened_at is not None
    assert app.eligibility_reason == "Соответствует условиям"
    with pytest.raises(ConflictError):
        screen_application(db, app, False, "Передумали", actor=chair)


def test_not_admitting_needs_a_reason_that_is_kept_and_audited(en, db, call, submitted, chair,
                                                               close_call):
    app = submitted()
    close_call(call)
    with pytest.raises(DomainError) as refused:
        screen_application(db, app, False, "   ", actor=chair)
    assert (refused.value.message, refused.value.field) == ("Give a reason.", "reason")
    assert app.status == S.SUBMITTED
    screen_application(db, app, False, " Нет письма поддержки ", actor=chair)
    assert app.status == S.INELIGIBLE and app.eligibility_reason == "Нет письма поддержки"
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "application.reject")).one()
    assert (event.from_state, event.to_state, event.reason) == (
        "submitted", "ineligible", "Нет письма поддержки")
    assert event.actor_id == chair.id


def test_only_the_chair_screens(en, db, call, submitted, close_call, create_user):
    app = submitted()
    close_call(call)
    with pytest.raises(PermissionError):
        screen_application(db, app, True, actor=create_user(Role.ADMIN))


def test_automatic_checks(en, db, call, submitted, close_call, create_organisation):
    call.max_applications_per_organisation = 1
    library = create_organisation()
    first = submitted(organisation=library)
    second = submitted(organisation=library)
    fine = submitted()
    unapproved = submitted()
    close_call(call)
    unapproved.organisation.status = OrganisationStatus.PENDING
    # a rule that no longer holds on the data as submitted (co-financing below 20 %)
    line = fine.budget_lines[0]
    line.own_amount, line.requested_amount = Decimal("0.00"), Decimal("150000.00")
    db.flush()
    checks = dict(automatic_checks(db, call))
    assert list(checks) == [first, second, fine, unapproved]
    assert checks[first].passed and checks[first].messages == []
    assert (checks[second].organisation_count, checks[second].organisation_rank) == (2, 2)
    assert not checks[second].within_limit
    assert checks[second].messages == [
        "This is application 2 of 2 from this library; the call accepts at most 1 per library."]
    assert not checks[fine].passed
    assert [m.replace("\u00a0", " ") for m in checks[fine].messages] == [
        "Co-financing is 15 %; this call requires at least 20 %."]
    assert checks[unapproved].messages == ["The library's registration is not approved."]


def test_admission_list_numbers_each_part(en, db, call, submitted, close_call, chair):
    apps = [submitted() for _ in range(4)]
    close_call(call)
    screen_application(db, apps[0], True, actor=chair)
    screen_application(db, apps[1], False, "Нет сметы", actor=chair)
    screen_application(db, apps[3], True, actor=chair)
    listing = admission_list(db, call)
    assert [(r.number, r.application) for r in listing.admitted] == [(1, apps[0]), (2, apps[3])]
    assert [(r.number, r.application, r.reason) for r in listing.not_admitted] == [
        (1, apps[1], "Нет сметы")]
    assert listing.pending == 1


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def chair_client(client, chair, login_as):
    login_as(chair)
    return client


def test_before_closing_the_page_says_so_and_posts_answer_409(chair_client, db, call,
                                                               submitted):
    app = submitted()
    page = chair_client.get(f"/committee/calls/{call.id}/screening")
    assert page.status_code == 200
    assert "screening starts after it closes" in page.get_data(as_text=True)
    assert f"app-{app.id}-reason" not in page.get_data(as_text=True)
    response = chair_client.post(f"/committee/calls/{call.id}/screening/{app.id}",
                                 data={f"app-{app.id}-decision": "admit"})
    assert response.status_code == 409
    assert ("The call is still open for applications; screening starts after it closes."
            in response.get_data(as_text=True))
    db.expire_all()
    assert app.status == S.SUBMITTED


def test_screening_page_shows_checks_and_takes_decisions(chair_client, db, call, submitted,
                                                         close_call):
    call.max_applications_per_organisation = 1
    first = submitted()
    second = submitted(organisation=first.organisation)
    close_call(call)
    page = chair_client.get(f"/committee/calls/{call.id}/screening")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert first.registration_number in html and second.registration_number in html
    assert html.count('data-checks="passed"') == 1 and html.count('data-checks="failed"') == 1
    assert "This is application 2 of 2 from this library" in html
    assert f'for="app-{first.id}-reason"' in html

    url = f"/committee/calls/{call.id}/screening/{{}}"
    admitted = chair_client.post(url.format(first.id), data={f"app-{first.id}-decision": "admit"})
    assert admitted.status_code == 302
    no_reason = chair_client.post(url.format(second.id),
                                  data={f"app-{second.id}-decision": "reject"})
    assert no_reason.status_code == 422
    text = no_reason.get_data(as_text=True)
    assert "Give a reason." in text and f'href="#app-{second.id}-reason"' in text
    refused = chair_client.post(url.format(second.id), data={
        f"app-{second.id}-decision": "reject",
        f"app-{second.id}-reason": "Превышен лимит заявок от одной библиотеки"})
    assert refused.status_code == 302
    db.expire_all()
    assert (first.status, second.status) == (S.ELIGIBLE, S.INELIGIBLE)
    assert second.eligibility_reason == "Превышен лимит заявок от одной библиотеки"
    again = chair_client.post(url.format(first.id), data={f"app-{first.id}-decision": "reject",
                                                          f"app-{first.id}-reason": "x"})
    assert again.status_code == 409
    after = chair_client.get(f"/committee/calls/{call.id}/screening").get_data(as_text=True)
    assert "No application is waiting for screening." in after
    assert "Admitted: 1. Not admitted: 1." in after


def test_a_decision_needs_a_known_choice(chair_client, db, call, submitted, close_call):
    app = submitted()
    close_call(call)
    response = chair_client.post(f"/committee/calls/{call.id}/screening/{app.id}",
                                 data={f"app-{app.id}-decision": "maybe"})
    assert response.status_code == 422
    db.expire_all()
    assert app.status == S.SUBMITTED


def test_an_application_of_another_call_is_not_found(chair_client, call, create_application,
                                                     create_call, close_call):
    other = create_application(call=create_call(), status=S.SUBMITTED)
    close_call(call)
    response = chair_client.post(f"/committee/calls/{call.id}/screening/{other.id}",
                                 data={f"app-{other.id}-decision": "admit"})
    assert response.status_code == 404


def _screened(db, call, submitted, close_call, chair, app_ctx):
    apps = [submitted() for _ in range(3)]
    close_call(call)
    with app_ctx.test_request_context():
        screen_application(db, apps[0], True, actor=chair)
        screen_application(db, apps[1], False, "Проект вне направлений конкурса", actor=chair)
        screen_application(db, apps[2], True, "С замечанием по смете", actor=chair)
    return apps


def test_admission_list_page(chair_client, db, app, call, submitted, close_call, chair):
    apps = _screened(db, call, submitted, close_call, chair, app)
    page = chair_client.get(f"/committee/calls/{call.id}/admission")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    admitted, refused = html.split('id="admitted"')[1].split('id="not-admitted"')
    assert apps[0].registration_number in admitted and apps[2].registration_number in admitted
    assert "С замечанием по смете" in admitted
    assert apps[1].registration_number in refused
    assert "Проект вне направлений конкурса" in refused
    assert "Admitted to the competition: 2" in html and "Not admitted: 1" in html


def test_admission_list_pdf(chair_client, db, app, call, submitted, close_call, chair):
    apps = _screened(db, call, submitted, close_call, chair, app)
    response = chair_client.get(f"/committee/calls/{call.id}/admission.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert f"admission-{call.code}.pdf" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "private, no-store"
    reader = PdfReader(io.BytesIO(response.data))
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    assert "Admission list" in text
    assert "Admitted to the competition: 2" in text and "Not admitted: 1" in text
    admitted, refused = text.split("Admitted to the competition: 2")[1].split("Not admitted: 1")
    assert apps[0].registration_number in admitted and apps[2].registration_number in admitted
    assert apps[1].registration_number in refused
    assert "Проект вне направлений конкурса" in refused
    assert "Page 1 of" in text
    assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descendant = font.get_object()["/DescendantFonts"][0].get_object()
            assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
            assert str(font.get_object()["/BaseFont"]).split("+", 1)[1] in {
                "Vektor-Sans", "Vektor-Sans-Bold"}


def test_call_page_links_the_committee_pages_for_the_chair(client, db, call, create_user,
                                                           login_as):
    login_as(create_user(Role.CHAIR))
    html = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert f"/committee/calls/{call.id}/screening" in html
    assert f"/committee/calls/{call.id}/assignments" in html
    login_as(create_user(Role.APPLICANT))
    assert "/committee/calls/" not in client.get(f"/calls/{call.id}").get_data(as_text=True)


# --- who may open what -------------------------------------------------------------------------

CHAIR_ROUTES = [
    ("GET", "/committee/calls/{id}/screening"),
    ("POST", "/committee/calls/{id}/screening/{app}"),
]
# Committee documents: the admin may read them as well.
DOCUMENT_ROUTES = [
    ("GET", "/committee/calls/{id}/admission"),
    ("GET", "/committee/calls/{id}/admission.pdf"),
]


@pytest.fixture
def targets(call, submitted, close_call):
    app = submitted()
    close_call(call)
    return {"id": call.id, "app": app.id}


@pytest.mark.parametrize(("method", "route"), CHAIR_ROUTES + DOCUMENT_ROUTES)
def test_anonymous_is_sent_to_sign_in(client, targets, method, route):
    response = client.open(route.format(**targets), method=method)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.FINANCE])
@pytest.mark.parametrize(("method", "route"), CHAIR_ROUTES + DOCUMENT_ROUTES)
def test_other_roles_are_refused(client, db, create_user, login_as, targets, role, method,
                                 route):
    login_as(create_user(role))
    response = client.open(route.format(**targets), method=method,
                           data={f"app-{targets['app']}-decision": "admit"})
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "route"), CHAIR_ROUTES)
def test_admin_does_not_screen(client, db, create_user, login_as, targets, method, route):
    login_as(create_user(Role.ADMIN))
    response = client.open(route.format(**targets), method=method,
                           data={f"app-{targets['app']}-decision": "admit"})
    assert response.status_code == 403


@pytest.mark.parametrize(("method", "route"), DOCUMENT_ROUTES)
def test_admin_and_chair_read_the_admission_list(client, db, create_user, login_as, targets,
                                                 method, route):
    for role in (Role.ADMIN, Role.CHAIR):
        login_as(create_user(role))
        assert client.open(route.format(**targets), method=method).status_code == 200


@pytest.mark.parametrize(("method", "route"), CHAIR_ROUTES + DOCUMENT_ROUTES)
def test_unknown_call_is_not_found(chair_client, targets, method, route):
    missing = {**targets, "id": 999999}
    assert chair_client.open(route.format(**missing), method=method).status_code == 404
