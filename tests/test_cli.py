"""The operator's commands."""

from sqlalchemy import func, select

from portal.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from portal.models import AuditEvent, Organisation, Role, User
from portal.passwords import verify_password


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["portal", *args], input=input)


def counts(db):
    return (
        db.scalar(select(func.count()).select_from(User)),
        db.scalar(select(func.count()).select_from(Organisation)),
    )


def test_seed_demo_creates_every_account_and_is_safe_twice(app, db):
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert "Demo data created" in result.output
    for account in DEMO_ACCOUNTS:
        assert account.email in result.output
    assert DEMO_PASSWORD in result.output
    first = counts(db)
    assert first == (9, 5)  # nine accounts; three libraries, one with two branches

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
