"""The admin's pages: every one refuses anonymous users and other roles; users, roles,
organisations and the audit log work and leave audit rows."""

import pytest
from sqlalchemy import select

from portal.models import AuditEvent, Organisation, OrganisationStatus, Role, User
from tests.conftest import PASSWORD

ADMIN_GET_ROUTES = [
    "/admin/users",
    "/admin/users/new",
    "/admin/users/{user_id}",
    "/admin/organisations",
    "/admin/organisations/new",
    "/admin/organisations/{org_id}",
    "/admin/audit",
    "/admin/outbox",
    "/admin/outbox/{message_id}",
]
ADMIN_POST_ROUTES = [
    "/admin/users/new",
    "/admin/users/{user_id}",
    "/admin/users/{user_id}/enabled",
    "/admin/users/{user_id}/send-reset",
    "/admin/organisations/new",
    "/admin/organisations/{org_id}",
    "/admin/organisations/{org_id}/approve",
    "/admin/organisations/{org_id}/reject",
]


def test_the_lists_above_cover_every_admin_route(app):
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/admin")}
    listed = {
        r.replace("{user_id}", "<int:user_id>").replace("{org_id}", "<int:org_id>")
        .replace("{message_id}", "<int:message_id>")
        for r in ADMIN_GET_ROUTES + ADMIN_POST_ROUTES
    }
    assert routes == listed


@pytest.fixture
def targets(db, create_user, create_organisation):
    from portal.models import OutboxMessage

    org = create_organisation(status=OrganisationStatus.PENDING)
    user = create_user(Role.APPLICANT, organisation=org)
    message = OutboxMessage(recipient=user.email, subject="s", body="b")
    db.add(message)
    db.flush()
    return {"user_id": user.id, "org_id": org.id, "message_id": message.id}


ALL_ROUTES = [("GET", r) for r in ADMIN_GET_ROUTES] + [("POST", r) for r in ADMIN_POST_ROUTES]


@pytest.mark.parametrize(("method", "route"), ALL_ROUTES)
def test_anonymous_is_sent_to_sign_in(client, targets, method, route):
    response = client.open(route.format(**targets), method=method)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("role", [r for r in Role if r != Role.ADMIN])
@pytest.mark.parametrize(("method", "route"), ALL_ROUTES)
def test_other_roles_are_forbidden(client, db, create_user, login_as, targets, role, method,
                                   route):
    login_as(create_user(role))
    before = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    response = client.open(
        route.format(**targets), method=method, data={"enabled": "0", "reason": "x"}
    )
    assert response.status_code == 403
    db.expire_all()
    org = db.get(Organisation, targets["org_id"])
    assert org.status == OrganisationStatus.PENDING
    assert db.get(User, targets["user_id"]).is_enabled
    after = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    assert after == before


@pytest.mark.parametrize("route", ADMIN_GET_ROUTES)
def test_admin_opens_every_page(client, create_user, login_as, targets, route):
    login_as(create_user(Role.ADMIN))
    assert client.get(route.format(**targets)).status_code == 200


def test_missing_records_are_404(client, create_user, login_as):
    login_as(create_user(Role.ADMIN))
    for url in ["/admin/users/999999", "/admin/organisations/999999", "/admin/outbox/999999"]:
        assert client.get(url).status_code == 404


def test_admin_creates_a_user_with_roles(client, db, create_user, create_organisation, login_as):
    admin = create_user(Role.ADMIN)
    org = create_organisation()
    login_as(admin)
    response = client.post("/admin/users/new", data={
        "full_name": "Мария Петровна Сидорова", "email": "Maria@Library.example.org",
        "organisation_id": str(org.id), "roles": ["applicant", "reviewer"],
        "password": "a long initial passphrase",
    })
    assert response.status_code == 302
    user = db.scalar(select(User).where(User.email == "maria@library.example.org"))
    assert user.roles == {Role.APPLICANT, Role.REVIEWER}
    assert user.organisation_id == org.id
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "user.created")
                       .order_by(AuditEvent.id.desc())).first()
    assert event.actor_id == admin.id and event.object_id == str(user.id)


def test_duplicate_email_is_refused_beside_the_field(client, create_user, login_as):
    existing = create_user(Role.REVIEWER)
    login_as(create_user(Role.ADMIN))
    response = client.post("/admin/users/new", data={
        "full_name": "X", "email": existing.email, "organisation_id": "0",
        "roles": ["reviewer"], "password": "a long initial passphrase",
    })
    assert response.status_code == 422
    assert "already exists" in response.get_data(as_text=True)


def test_applicant_without_organisation_is_refused(client, create_user, login_as):
    login_as(create_user(Role.ADMIN))
    response = client.post("/admin/users/new", data={
        "full_name": "X", "email": "lonely@example.org", "organisation_id": "0",
        "roles": ["applicant"], "password": "a long initial passphrase",
    })
    assert response.status_code == 422
    assert "must belong to an organisation" in response.get_data(as_text=True)


def test_role_changes_are_audited(client, db, create_user, login_as):
    admin = create_user(Role.ADMIN)
    user = create_user(Role.REVIEWER)
    login_as(admin)
    response = client.post(f"/admin/users/{user.id}", data={
        "full_name": user.full_name, "email": user.email, "organisation_id": "0",
        "roles": ["chair", "finance"],
    })
    assert response.status_code == 302
    db.expire_all()
    assert user.roles == {Role.CHAIR, Role.FINANCE}
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.object_id == str(user.id),
                                 AuditEvent.action.like("user.role_%"))
        .order_by(AuditEvent.id)
    ).all()
    assert sorted((e.action, e.details["role"]) for e in events) == [
        ("user.role_granted", "chair"), ("user.role_granted", "finance"),
        ("user.role_revoked", "reviewer"),
    ]
    assert all(e.actor_id == admin.id and e.ip_address == "127.0.0.1" for e in events)


def test_admin_cannot_remove_own_admin_role_or_disable_self(client, db, create_user, login_as):
    admin = create_user(Role.ADMIN)
    login_as(admin)
    response = client.post(f"/admin/users/{admin.id}", data={
        "full_name": admin.full_name, "email": admin.email, "organisation_id": "0",
        "roles": ["chair"],
    })
    assert response.status_code == 422
    client.post(f"/admin/users/{admin.id}/enabled", data={"enabled": "0"})
    db.expire_all()
    assert admin.roles == {Role.ADMIN} and admin.is_enabled


def test_admin_reenables_an_account(client, db, create_user, login_as):
    user = create_user(Role.REVIEWER, is_enabled=False)
    login_as(create_user(Role.ADMIN))
    client.post(f"/admin/users/{user.id}/enabled", data={"enabled": "1"})
    db.expire_all()
    assert user.is_enabled
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_admin_sends_a_reset_link(client, db, create_user, login_as):
    from portal.models import OutboxMessage

    user = create_user(Role.REVIEWER)
    login_as(create_user(Role.ADMIN))
    client.post(f"/admin/users/{user.id}/send-reset")
    message = db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == user.email)).one()
    assert "/password/reset/" in message.body


def test_user_list_search_and_role_filter(client, create_user, login_as):
    login_as(create_user(Role.ADMIN))
    needle = create_user(Role.FINANCE, email="needle@example.org")
    create_user(Role.REVIEWER, email="hay@example.org")
    html = client.get("/admin/users?q=needle").get_data(as_text=True)
    assert needle.email in html and "hay@example.org" not in html
    html = client.get("/admin/users?role=finance").get_data(as_text=True)
    assert needle.email in html and "hay@example.org" not in html


def test_user_list_pages(client, create_user, login_as, app, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_PAGE_SIZE", 2)
    login_as(create_user(Role.ADMIN, email="a0@example.org"))
    for n in range(1, 5):
        create_user(Role.REVIEWER, email=f"a{n}@example.org")
    first = client.get("/admin/users?q=@example.org").get_data(as_text=True)
    assert "a0@example.org" in first and "a2@example.org" not in first
    assert "Page 1 of 3" in first
    third = client.get("/admin/users?q=@example.org&page=3").get_data(as_text=True)
    assert "a4@example.org" in third
    assert client.get("/admin/users?page=abc").status_code == 200
    assert client.get("/admin/users?page=99999").status_code == 200


ORG_FORM = {
    "full_name": "Муниципальное бюджетное учреждение культуры «Сельская библиотека»",
    "short_name": "Сельская библиотека", "inn": "7707083893", "kpp": "773601001",
    "ogrn": "1027700132195", "municipality": "Тестовский район", "address": "с. Тестово",
    "head_name": "Пётр Петров", "bik": "044525225",
    "correspondent_account": "30101810400000000225",
}


def _org_form(**overrides):
    from portal.demo import demo_account

    data = {**ORG_FORM, "settlement_account": demo_account("044525225", "4070281030000000777"),
            "parent_id": "0"}
    data.update(overrides)
    return data


def test_admin_creates_an_approved_organisation(client, db, create_user, login_as):
    login_as(create_user(Role.ADMIN))
    response = client.post("/admin/organisations/new", data=_org_form())
    assert response.status_code == 302
    org = db.scalar(select(Organisation).where(Organisation.inn == "7707083893"))
    assert org.status == OrganisationStatus.APPROVED and org.approved_at is not None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("inn", "7707083894", "INN"), ("ogrn", "1027700132196", "OGRN"),
     ("kpp", "77360100", "KPP"), ("bik", "144525225", "BIK"),
     ("settlement_account", "40702810400000001234", "settlement account"),
     ("correspondent_account", "30101810500000000225", "correspondent account")],
)
def test_organisation_numbers_are_checked_field_by_field(
    client, db, create_user, login_as, field, value, message
):
    login_as(create_user(Role.ADMIN))
    response = client.post("/admin/organisations/new", data=_org_form(**{field: value}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert message in html
    assert f'id="{field}-error"' in html  # the message sits beside the field
    assert f'href="#{field}"' in html  # and the summary links to it
    assert db.scalar(select(Organisation).where(Organisation.inn == value)) is None


def test_approve_and_reject(client, db, create_user, create_organisation, login_as):
    admin = create_user(Role.ADMIN)
    pending = create_organisation(status=OrganisationStatus.PENDING)
    other = create_organisation(status=OrganisationStatus.PENDING)
    login_as(admin)
    client.post(f"/admin/organisations/{pending.id}/approve")
    assert client.post(f"/admin/organisations/{other.id}/reject",
                       data={"reason": ""}).status_code == 302
    db.expire_all()
    assert other.status == OrganisationStatus.PENDING  # a reason is required
    client.post(f"/admin/organisations/{other.id}/reject", data={"reason": "Неверный ИНН"})
    db.expire_all()
    assert pending.status == OrganisationStatus.APPROVED and pending.approved_at
    assert other.status == OrganisationStatus.REJECTED
    rows = db.execute(
        select(AuditEvent.action, AuditEvent.from_state, AuditEvent.to_state, AuditEvent.reason)
        .where(AuditEvent.action.in_(["organisation.approved", "organisation.rejected"]))
        .order_by(AuditEvent.id)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("organisation.approved", "pending", "approved", ""),
        ("organisation.rejected", "pending", "rejected", "Неверный ИНН"),
    ]


def test_audit_log_filters(client, db, create_user, login_as):
    admin = create_user(Role.ADMIN, email="boss@example.org")
    target = create_user(Role.REVIEWER)
    login_as(admin)
    client.post(f"/admin/users/{target.id}/enabled", data={"enabled": "0"})
    html = client.get("/admin/audit?action=user.disabled").get_data(as_text=True)
    assert "user.disabled" in html and "user.created" not in html
    html = client.get(f"/admin/audit?object_type=user&object_id={target.id}").get_data(as_text=True)
    assert "user.disabled" in html and "user.created" in html
    html = client.get("/admin/audit?user=boss@").get_data(as_text=True)
    assert "user.disabled" in html and "user.created" not in html
    html = client.get("/admin/audit?date_from=2000-01-01&date_to=2000-01-02").get_data(as_text=True)
    assert "user.disabled" not in html
    assert client.get("/admin/audit?date_from=garbage").status_code == 200


def test_branch_is_set_and_checked_when_editing(client, db, create_user, create_organisation,
                                                 login_as):
    system = create_organisation()
    branch = create_organisation(inn=system.inn, kpp="500102001")
    stranger = create_organisation()
    login_as(create_user(Role.ADMIN))

    def edit(org, parent_id, **over):
        data = {f: getattr(org, f) for f in (
            "full_name", "short_name", "inn", "kpp", "ogrn", "municipality", "address",
            "head_name", "head_position", "phone", "email", "bank_name", "bik",
            "settlement_account", "correspondent_account")}
        data.update(parent_id=str(parent_id), **over)
        return client.post(f"/admin/organisations/{org.id}", data=data)

    assert edit(branch, system.id).status_code == 302
    db.expire_all()
    assert branch.parent_id == system.id
    response = edit(stranger, system.id)  # another INN cannot be a branch of this system
    assert response.status_code == 422
    assert "same INN" in response.get_data(as_text=True)
    assert edit(system, branch.id).status_code == 422  # a branch is not a system
    assert edit(system, system.id).status_code != 302  # not even offered as a choice
    db.expire_all()
    assert stranger.parent_id is None and system.parent_id is None
