"""E-mail: kept in the outbox without SMTP; delivered off the request when a backend is
configured, so that a slow mail server never holds a request; failures are recorded and
retried by `flask portal send-mail`."""

import threading

import pytest
from flask_mailman.backends.base import BaseEmailBackend
from sqlalchemy import select

from portal.db import db as database
from portal.models import OutboxMessage, Role
from portal.models.mail import MailStatus
from portal.services.accounts import create_user
from tests.conftest import make_test_app, reset_schema

release = threading.Event()
delivered: list = []


class BlockingEmailBackend(BaseEmailBackend):
    """A mail server that answers only when the test says so."""

    def send_messages(self, messages):
        assert release.wait(timeout=30), "the test never released the mail server"
        delivered.extend(messages)
        return len(messages)


class BrokenEmailBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError("mail server down")


def wait_for_delivery(app):
    for future in list(app.extensions["vektor.mail"]["futures"]):
        future.result(timeout=30)


@pytest.fixture
def mail_app(tmp_path, request):
    backend = request.param
    app = make_test_app(f"sqlite:///{tmp_path}/mail.sqlite3", str(tmp_path), MAIL_BACKEND=backend)
    reset_schema(app)
    with app.app_context():
        session = database.sessionmaker()
        create_user(session, email="reader@example.org", full_name="Reader",
                    password="a long test passphrase", roles={Role.REVIEWER}, actor=None)
        session.commit()
        session.close()
    delivered.clear()
    release.clear()
    yield app
    release.set()
    app.extensions["vektor.mail"]["executor"].shutdown(wait=True)


def outbox_rows(app):
    with app.app_context():
        session = database.sessionmaker()
        rows = session.scalars(select(OutboxMessage)).all()
        session.close()
        return rows


def test_without_smtp_mail_is_kept_for_the_admin(client, db, create_user):
    user = create_user(Role.REVIEWER)
    client.post("/password/forgot", data={"email": user.email})
    message = db.scalars(select(OutboxMessage)).one()
    assert message.status == MailStatus.KEPT and message.recipient == user.email


@pytest.mark.parametrize("mail_app", [BlockingEmailBackend], indirect=True)
def test_a_slow_mail_server_does_not_hold_the_request(mail_app):
    client = mail_app.test_client()
    response = client.post("/password/forgot", data={"email": "reader@example.org"})
    # The request has answered while the mail server still holds the message.
    assert response.status_code == 302
    assert delivered == []
    assert [m.status for m in outbox_rows(mail_app)] == [MailStatus.QUEUED]
    release.set()
    wait_for_delivery(mail_app)
    assert [m.to for m in delivered] == [["reader@example.org"]]
    (row,) = outbox_rows(mail_app)
    assert row.status == MailStatus.SENT and row.sent_at is not None and row.attempts == 1


@pytest.mark.parametrize("mail_app", [BrokenEmailBackend], indirect=True)
def test_failures_are_recorded_and_retried(mail_app):
    client = mail_app.test_client()
    client.post("/password/forgot", data={"email": "reader@example.org"})
    wait_for_delivery(mail_app)
    (row,) = outbox_rows(mail_app)
    assert row.status == MailStatus.FAILED and "mail server down" in row.error
    result = mail_app.test_cli_runner().invoke(args=["portal", "send-mail"])
    assert "Tried to deliver 1" in result.output
    (row,) = outbox_rows(mail_app)
    assert row.attempts == 2 and row.status == MailStatus.FAILED


@pytest.mark.parametrize("mail_app", ["locmem"], indirect=True)
def test_a_rolled_back_change_sends_nothing(mail_app):
    from portal.services.accounts import request_password_reset

    with mail_app.test_request_context():
        session = database.sessionmaker()
        request_password_reset(session, "reader@example.org", reset_url_for=lambda t: t)
        session.rollback()
        session.close()
    wait_for_delivery(mail_app)
    assert outbox_rows(mail_app) == []
    assert mail_app.extensions["vektor.mail"]["futures"] == []


def test_mail_is_written_in_the_recipients_language(client, db, create_user):
    english = create_user(Role.REVIEWER, locale="en")
    russian = create_user(Role.REVIEWER)
    client.post("/password/forgot", data={"email": english.email})
    client.post("/password/forgot", data={"email": russian.email})
    by_recipient = {m.recipient: m for m in db.scalars(select(OutboxMessage))}
    assert "Hello" in by_recipient[english.email].body
    assert "Hello" not in by_recipient[russian.email].body
