"""Signing in and out, sessions that end, `next`, the rate limit, CSRF, password change and
reset, and the audit rows they leave."""

from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from portal.db import utcnow
from portal.models import AuditEvent, OutboxMessage, Role
from tests.conftest import PASSWORD


def audit_actions(db, **filters):
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    for key, value in filters.items():
        query = query.where(getattr(AuditEvent, key) == value)
    return list(db.scalars(query))


def sign_in(client, email, password=PASSWORD, next_url=None, **extra):
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"email": email, "password": password, **extra})


def test_login_page_has_labelled_fields(client, db):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert 'for="email"' in html and 'for="password"' in html


def test_login_success_lands_on_dashboard_and_is_audited(client, db, create_user):
    user = create_user(Role.REVIEWER)
    response = sign_in(client, user.email.upper())  # e-mail is case-insensitive
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    db.expire_all()
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login")).all()
    assert [(e.actor_id, e.ip_address) for e in events] == [(user.id, "127.0.0.1")]
    assert user.last_login_at is not None


def test_wrong_password_is_refused_and_audited(client, db, create_user):
    user = create_user(Role.REVIEWER)
    response = sign_in(client, user.email, "not the password at all")
    assert response.status_code == 200
    assert "not correct" in response.get_data(as_text=True)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).one()
    assert event.actor_id == user.id
    assert event.reason == "wrong password"
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_unknown_account_is_refused_with_the_same_message_and_audited(client, db):
    response = sign_in(client, "nobody@example.org", "whatever whatever")
    assert "not correct" in response.get_data(as_text=True)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "auth.login_failed")).one()
    assert event.actor_id is None
    assert event.actor_label == "nobody@example.org"
    assert event.reason == "unknown account"


def test_disabled_account_cannot_sign_in(client, db, create_user):
    user = create_user(Role.REVIEWER, is_enabled=False)
    response = sign_in(client, user.email)
    assert "not correct" in response.get_data(as_text=True)
    assert audit_actions(db, object_type="user", object_id=str(user.id)) == [
        "user.created", "auth.login_failed"
    ]


@pytest.mark.parametrize(
    "target",
    ["/admin/users", "/dashboard/reviewer", "/account/password?x=1"],
)
def test_next_inside_the_portal_is_followed(client, db, create_user, target):
    user = create_user(Role.ADMIN, Role.REVIEWER)
    response = sign_in(client, user.email, next_url=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/", "/\\evil.example", "\\\\evil.example",
     "http:/evil.example", "javascript:alert(1)", "evil.example", "/\t/evil.example"],
)
def test_next_outside_the_portal_is_refused(client, db, create_user, target):
    user = create_user(Role.REVIEWER)
    from urllib.parse import quote

    response = client.post(
        "/login?next=" + quote(target, safe=""), data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/"


def test_anonymous_is_sent_to_login_with_next(client, db):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_is_post_only(client, db, create_user, login_as):
    login_as(create_user(Role.REVIEWER))
    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200  # still signed in


def test_logout_ends_every_session_of_the_user(app, client, db, create_user, login_as):
    user = create_user(Role.REVIEWER)
    other_device = app.test_client()
    with other_device.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    login_as(user)
    assert other_device.get("/dashboard/reviewer").status_code == 200

    response = client.post("/logout")
    assert response.headers["Location"] == "/login"
    assert client.get("/dashboard/reviewer").status_code == 302
    assert other_device.get("/dashboard/reviewer").status_code == 302
    assert "auth.logout" in audit_actions(db, actor_id=user.id)


def test_password_change_keeps_this_session_and_ends_the_others(
    app, client, db, create_user, login_as
):
    user = create_user(Role.REVIEWER)
    other_device = app.test_client()
    with other_device.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    login_as(user)
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "a brand new passphrase",
              "confirm": "a brand new passphrase"},
    )
    assert response.status_code == 302
    assert client.get("/dashboard/reviewer").status_code == 200
    assert other_device.get("/dashboard/reviewer").status_code == 302
    db.expire_all()
    from portal.passwords import verify_password

    assert verify_password(user.password_hash, "a brand new passphrase")
    assert "auth.password_changed" in audit_actions(db, actor_id=user.id)


def test_password_change_needs_the_current_password(client, db, create_user, login_as):
    user = create_user(Role.REVIEWER)
    login_as(user)
    response = client.post(
        "/account/password",
        data={"current_password": "wrong wrong wrong", "password": "a brand new passphrase",
              "confirm": "a brand new passphrase"},
    )
    assert response.status_code == 422
    assert "current password is not correct" in response.get_data(as_text=True)


def test_password_change_applies_the_policy(client, db, create_user, login_as):
    login_as(create_user(Role.REVIEWER))
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": "qwertyuiop", "confirm": "qwertyuiop"},
    )
    assert response.status_code == 200
    assert "commonly used" in response.get_data(as_text=True)


def test_disabling_an_account_ends_its_sessions(app, client, db, create_user, login_as):
    admin = create_user(Role.ADMIN)
    user = create_user(Role.REVIEWER)
    victim = app.test_client()
    with victim.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    assert victim.get("/dashboard/reviewer").status_code == 200
    login_as(admin)
    response = client.post(f"/admin/users/{user.id}/enabled", data={"enabled": "0"})
    assert response.status_code == 302
    assert victim.get("/dashboard/reviewer").status_code == 302
    db.expire_all()
    assert not user.is_enabled
    assert audit_actions(db, action="user.disabled") == ["user.disabled"]


def test_sign_in_is_rate_limited_per_account_and_address(client, db, create_user):
    user = create_user(Role.REVIEWER)
    for _ in range(5):
        assert sign_in(client, user.email, "wrong wrong wrong").status_code == 200
    response = sign_in(client, user.email)  # even the right password now waits
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    assert "Too many attempts" in html and "Traceback" not in html
    # Another account from the same address is counted separately.
    other = create_user(Role.REVIEWER)
    assert sign_in(client, other.email).status_code == 302


def test_sign_in_limit_counts_per_address(app, db, create_user):
    user = create_user(Role.REVIEWER)
    first = app.test_client()
    for _ in range(5):
        sign_in(first, user.email, "wrong wrong wrong")
    elsewhere = app.test_client()
    response = elsewhere.post(
        "/login", data={"email": user.email, "password": PASSWORD},
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert response.status_code == 302


def test_posts_without_a_csrf_token_are_refused(client, db, create_user, monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    user = create_user(Role.REVIEWER)
    response = sign_in(client, user.email)
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess


def test_logout_without_csrf_token_does_not_sign_out(client, db, create_user, login_as,
                                                      monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    login_as(create_user(Role.REVIEWER))
    assert client.post("/logout").status_code == 400
    assert client.get("/dashboard/reviewer").status_code == 200


def test_csrf_token_from_the_page_is_accepted(client, db, create_user, monkeypatch, app):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    user = create_user(Role.REVIEWER)
    html = client.get("/login").get_data(as_text=True)
    token = html.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    response = sign_in(client, user.email, csrf_token=token)
    assert response.status_code == 302


def _reset_link(db, email):
    message = db.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None, "no reset e-mail in the outbox"
    line = next(line for line in message.body.splitlines() if "/password/reset/" in line)
    return line.strip().split("localhost", 1)[1]


def test_password_reset_by_email_link_single_use(app, client, db, create_user):
    user = create_user(Role.REVIEWER)
    other_device = app.test_client()
    with other_device.session_transaction() as sess:
        sess["_user_id"] = user.get_id()

    response = client.post("/password/forgot", data={"email": user.email})
    assert response.status_code == 302
    link = _reset_link(db, user.email)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": "a fresh reset phrase",
                                       "confirm": "a fresh reset phrase"})
    assert response.headers["Location"] == "/login"
    assert sign_in(client, user.email, "a fresh reset phrase").status_code == 302
    assert other_device.get("/dashboard/reviewer").status_code == 302  # sessions ended
    # The link works once.
    again = client.post(link, data={"password": "another fresh phrase",
                                    "confirm": "another fresh phrase"})
    assert again.status_code == 404
    assert "expired or has already been used" in again.get_data(as_text=True)
    assert "auth.password_reset" in audit_actions(db, actor_id=user.id)


def test_password_reset_link_expires(client, db, create_user, app):
    user = create_user(Role.REVIEWER)
    client.post("/password/forgot", data={"email": user.email})
    link = _reset_link(db, user.email)
    later = utcnow() + timedelta(seconds=app.config["PASSWORD_RESET_MAX_AGE"] + 60)
    with time_machine.travel(later):
        assert client.get(link).status_code == 404


def test_password_reset_reveals_no_accounts(client, db):
    response = client.post("/password/forgot", data={"email": "nobody@example.org"},
                           follow_redirects=True)
    assert "If an account with this address exists" in response.get_data(as_text=True)
    assert db.scalars(select(OutboxMessage)).all() == []


def test_tampered_reset_token_is_refused(client, db):
    assert client.get("/password/reset/not-a-real-token").status_code == 404
