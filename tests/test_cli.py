"""The operator's commands."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from portal.db import utcnow
from portal.demo import DEMO_ACCOUNTS, DEMO_DIRECTIONS, DEMO_PASSWORD
from portal.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    BudgetLine,
    Call,
    CallStatus,
    Organisation,
    OutboxMessage,
    Role,
    User,
)
from portal.money import format_percent, summarise_budget
from portal.passwords import verify_password
from portal.services.calls import DEFAULT_CATEGORY_CAPS, DEFAULT_CRITERIA
from portal.services.checks import check_application


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["portal", *args], input=input)


def counts(db, *models):
    return tuple(
        db.scalar(select(func.count()).select_from(model))
        for model in models or (User, Organisation, Call, Application)
    )


def test_seed_demo_creates_every_account_and_is_safe_twice(app, db):
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert "Demo data created" in result.output
    for account in DEMO_ACCOUNTS:
        assert account.email in result.output
    assert DEMO_PASSWORD in result.output
    first = counts(db)
    # nine accounts; three libraries, one with two branches; an open call, four applications
    assert first == (9, 5, 1, 4)

    again = run(app, "seed-demo")
    assert again.exit_code == 0
    assert "already present" in again.output
    assert counts(db) == first

    users = {u.email: u for u in db.scalars(select(User))}
    for account in DEMO_ACCOUNTS:
        user = users[account.email]
        assert user.roles == set(account.roles)
        assert verify_password(user.password_hash, DEMO_PASSWORD)
    branches = db.scalars(select(Organisation).where(Organisation.parent_id.is_not(None))).all()
    assert len(branches) == 2
    assert {b.inn for b in branches} == {branches[0].parent.inn}
    assert all(o.is_approved for o in db.scalars(select(Organisation)))


def test_seed_demo_opens_a_call_with_applications_of_the_demo_libraries(app, db):
    assert run(app, "seed-demo").exit_code == 0
    now = utcnow()
    call = db.scalars(select(Call)).one()
    assert call.status == CallStatus.PUBLISHED and call.published_at is not None
    assert call.opens_at < now - timedelta(days=1)
    assert timedelta(days=20) < call.closes_at - now < timedelta(days=22)
    next_year = now.astimezone(ZoneInfo(call.timezone)).year + 1
    assert call.implementation_start.year == call.implementation_end.year == next_year
    assert (call.fund_amount, call.max_grant_amount, call.min_cofinancing_percent) == (
        Decimal("15000000.00"), Decimal("1500000.00"), Decimal("15.00"))
    assert call.directions == list(DEMO_DIRECTIONS)
    assert {c.category: (c.cap_percent, c.cap_basis) for c in call.categories} == (
        DEFAULT_CATEGORY_CAPS)
    assert [c.name for c in call.criteria] == [name for name, _, _ in DEFAULT_CRITERIA]

    applicants = {u.email: u for u in db.scalars(select(User).where(User.email.like("library%")))}
    apps = db.scalars(select(Application).order_by(Application.id)).all()
    assert all(a.call_id == call.id for a in apps)
    assert Counter(a.status for a in apps) == {ApplicationStatus.SUBMITTED: 2,
                                               ApplicationStatus.DRAFT: 2}
    assert [a.created_by.email for a in apps] == [
        "library1@vektor.demo", "library2@vektor.demo", "library3@vektor.demo",
        "library1@vektor.demo"]
    assert all(a.organisation_id == a.created_by.organisation_id for a in apps)
    assert {a.direction for a in apps} == set(DEMO_DIRECTIONS)

    submitted = [a for a in apps if a.status == ApplicationStatus.SUBMITTED]
    assert [a.registration_number for a in submitted] == [f"{call.code}-0001",
                                                          f"{call.code}-0002"]
    for application in submitted:
        summary = summarise_budget(application.budget_lines)
        assert 15 <= len(application.budget_lines) <= 40
        assert Decimal(15) <= summary.cofinancing_percent <= Decimal(40)
        assert 0 < summary.requested <= call.max_grant_amount
        assert application.submitted_at is not None
        assert 3 <= len(application.activities) <= 6
        assert 1 <= len(application.partners) <= 3
        assert 2 <= len(application.indicators) <= 5
        assert check_application(application) == []
    mails = db.scalars(select(OutboxMessage.recipient)).all()
    assert sorted(mails) == ["library1@vektor.demo", "library2@vektor.demo"]

    broken, partial = (a for a in apps if a.status == ApplicationStatus.DRAFT)
    assert broken.organisation_id == applicants["library3@vektor.demo"].organisation_id
    summary = summarise_budget(broken.budget_lines)
    assert Decimal(14) < summary.cofinancing_percent < call.min_cofinancing_percent
    issues = check_application(broken)
    assert [(i.section, i.anchor) for i in issues] == [("budget", "cofinancing")]
    assert format_percent(summary.cofinancing_percent, "ru") in issues[0].message
    assert {i.anchor for i in check_application(partial)} == {
        "tasks", "target_groups", "indicators"}
    assert partial.title and not partial.partners

    before = counts(db, Call, Application, BudgetLine, AuditEvent, OutboxMessage)
    again = run(app, "seed-demo")
    assert again.exit_code == 0 and "already present" in again.output
    assert counts(db, Call, Application, BudgetLine, AuditEvent, OutboxMessage) == before


def test_seed_demo_if_empty_leaves_a_real_database_alone(app, db, create_user):
    create_user(Role.ADMIN)
    db.commit()
    result = run(app, "seed-demo", "--if-empty")
    assert result.exit_code == 0
    assert "no demo data was added" in result.output
    assert db.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0].email)) is None


def test_create_admin(app, db):
    result = run(app, "create-admin", "--email", "Root@City.example.org", "--name", "Root",
                 "--password", "a long admin passphrase")
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "root@city.example.org"))
    assert user.roles == {Role.ADMIN}
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.created",
                                              AuditEvent.object_id == str(user.id)))


def test_create_admin_refuses_a_weak_password(app, db):
    result = run(app, "create-admin", "--email", "root@city.example.org", "--name", "Root",
                 "--password", "1234567890")
    assert result.exit_code != 0
    assert result.output.startswith("Error: ") and len(result.output) > 20
    assert db.scalar(select(User).where(User.email == "root@city.example.org")) is None


def test_grant_and_revoke_role_and_list(app, db, create_user):
    user = create_user(Role.REVIEWER, email="expert@example.org")
    db.commit()
    assert run(app, "grant-role", "expert@example.org", "chair").exit_code == 0
    db.expire_all()
    assert user.roles == {Role.REVIEWER, Role.CHAIR}
    listing = run(app, "users", "--role", "chair").output
    assert "expert@example.org" in listing and "chair,reviewer" in listing
    assert run(app, "revoke-role", "expert@example.org", "reviewer").exit_code == 0
    db.expire_all()
    assert user.roles == {Role.CHAIR}
    granted = db.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == str(user.id), AuditEvent.action.like("user.role_%"))).all()
    assert granted == ["user.role_granted", "user.role_revoked"]


def test_unknown_user_gives_a_clear_error(app, db):
    result = run(app, "grant-role", "ghost@example.org", "chair")
    assert result.exit_code != 0
    assert "No account with the e-mail ghost@example.org" in result.output


def test_set_password(app, db, create_user):
    user = create_user(Role.REVIEWER)
    db.commit()
    result = run(app, "set-password", user.email, "--password", "a new operator phrase")
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert verify_password(user.password_hash, "a new operator phrase")
