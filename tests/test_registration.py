"""A library registers itself and its first user; the admin approves or rejects."""

from sqlalchemy import select

from portal.demo import demo_account
from portal.models import AuditEvent, Organisation, OrganisationStatus, OutboxMessage, Role, User
from portal.models.mail import MailStatus

FORM = {
    "full_name": "Муниципальное бюджетное учреждение культуры «Районная библиотека»",
    "short_name": "Районная библиотека", "inn": "7704097560", "kpp": "770401001",
    "ogrn": "1037739877295", "municipality": "Заречный район", "address": "г. Заречный, 1",
    "head_name": "Анна Ивановна Петрова", "head_position": "Директор",
    "phone": "+7 900 000-00-00", "email": "lib@zarechny.example.org", "bank_name": "Банк",
    "bik": "044525225", "correspondent_account": "30101810400000000225",
    "settlement_account": demo_account("044525225", "4070281030000000999"),
    "contact_name": "Анна Петрова", "contact_email": "anna@zarechny.example.org",
    "password": "reading room by the river", "confirm": "reading room by the river",
}


def test_registration_creates_a_pending_library_and_its_applicant(client, db, create_user):
    admin = create_user(Role.ADMIN)
    response = client.post("/register", data=FORM)
    assert response.status_code == 302
    org = db.scalar(select(Organisation).where(Organisation.inn == "7704097560"))
    assert org.status == OrganisationStatus.PENDING and org.approved_at is None
    user = db.scalar(select(User).where(User.email == "anna@zarechny.example.org"))
    assert user.organisation_id == org.id and user.roles == {Role.APPLICANT}
    actions = db.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "organisation.registered" in actions
    # The admins are told, through the outbox.
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == admin.email)).one()
    assert message.status == MailStatus.KEPT
    assert "Районная библиотека" in message.body or org.full_name in message.body
    # The new user is signed in and sees that the registration waits.
    html = client.get("/").get_data(as_text=True)
    assert "can apply once the registration is approved" in html


def test_registration_with_a_wrong_inn_says_which_field(client, db):
    response = client.post("/register", data={**FORM, "inn": "7704097561"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="inn-error"' in html and "check digit" in html
    assert db.scalar(select(Organisation).where(Organisation.inn == "7704097561")) is None
    # What the person typed stays in the form.
    assert "Районная библиотека" in html


def test_registration_reports_every_wrong_field_at_once(client, db):
    response = client.post("/register", data={**FORM, "inn": "123", "ogrn": "1",
                                               "settlement_account": "4" * 20})
    html = response.get_data(as_text=True)
    for field in ("inn", "ogrn", "settlement_account"):
        assert f'href="#{field}"' in html


def test_registration_refuses_a_taken_email_and_inn_kpp(client, db, create_user,
                                                        create_organisation):
    create_user(Role.REVIEWER, email="anna@zarechny.example.org")
    response = client.post("/register", data=FORM)
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)
    create_organisation(inn="7704097560", kpp="770401001")
    response = client.post("/register", data={**FORM, "contact_email": "new@example.org"})
    assert response.status_code == 422
    assert "already registered" in response.get_data(as_text=True)
    assert db.scalar(select(User).where(User.email == "new@example.org")) is None


def test_approval_notifies_the_library(client, db, create_user, create_organisation, login_as):
    org = create_organisation(status=OrganisationStatus.PENDING)
    member = create_user(Role.APPLICANT, organisation=org)
    login_as(create_user(Role.ADMIN))
    client.post(f"/admin/organisations/{org.id}/approve")
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == member.email)).one()
    assert org.short_name in message.body
