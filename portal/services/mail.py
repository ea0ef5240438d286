"""E-mail: every message is written to the outbox in the same transaction as the change
that caused it. When an SMTP server (or another mail backend) is configured, messages are
delivered after the commit on a background thread, so a slow server never holds a request."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from flask import Flask, current_app, render_template
from flask_babel import LazyString, force_locale
from flask_mailman import EmailMessage
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from portal.db import db, utcnow
from portal.models import OutboxMessage, User
from portal.models.mail import MailStatus

_PENDING_KEY = "vektor.outbox_pending"


def delivery_configured(app: Flask) -> bool:
    return bool(app.config.get("MAIL_SERVER") or app.config.get("MAIL_BACKEND"))


def queue_mail(
    session: Session, *, to: User, subject: LazyString, template: str, **context: Any
) -> OutboxMessage:
    """Write an e-mail to `to` in their language from `templates/email/<template>.txt`;
    `subject` is a lazy_gettext string, translated here into the recipient's language."""
    with force_locale(to.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(f"email/{template}.txt", user=to, **context)
        translated_subject = str(subject)
    configured = delivery_configured(current_app)
    message = OutboxMessage(
        recipient=to.email,
        subject=translated_subject,
        body=body,
        status=MailStatus.QUEUED if configured else MailStatus.KEPT,
    )
    session.add(message)
    if configured:
        session.info.setdefault(_PENDING_KEY, []).append(message)
    return message


def deliver(app: Flask, message_ids: list[int]) -> None:
    """Send queued messages and record the outcome on each row (run off the request). No
    transaction stays open while a mail server is being talked to: on SQLite that would
    hold the write lock for as long as the server takes."""
    with app.app_context():
        session = db.sessionmaker()
        try:
            pending = [
                (m.id, m.subject, m.body, m.recipient)
                for m in session.scalars(
                    select(OutboxMessage).where(
                        OutboxMessage.id.in_(message_ids),
                        OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.FAILED]),
                    )
                )
            ]
            session.commit()
            for message_id, subject, body, recipient in pending:
                error = ""
                try:
                    EmailMessage(
                        subject=subject, body=body,
                        from_email=app.config["MAIL_DEFAULT_SENDER"], to=[recipient],
                    ).send()
                except Exception as exc:  # noqa: BLE001 - any transport error is recorded
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                message = session.get(OutboxMessage, message_id)
                message.attempts += 1
                message.status = MailStatus.FAILED if error else MailStatus.SENT
                message.error = error
                if not error:
                    message.sent_at = utcnow()
                session.commit()
        finally:
            session.close()


def retry_unsent(app: Flask) -> int:
    """Deliver every queued or failed message now; returns how many were tried."""
    with app.app_context():
        session = db.sessionmaker()
        ids = list(
            session.scalars(
                select(OutboxMessage.id).where(
                    OutboxMessage.status.in_([MailStatus.QUEUED, MailStatus.FAILED])
                )
            )
        )
        session.close()
    deliver(app, ids)
    return len(ids)


def init_mail_delivery(app: Flask) -> None:
    """Hand messages queued in a transaction to the delivery thread once it commits."""
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vektor-mail")
    futures: list[Future[None]] = []
    app.extensions["vektor.mail"] = {"executor": executor, "futures": futures}

    factory = app.extensions["vektor.db"]["sessionmaker"]

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        pending = session.info.pop(_PENDING_KEY, None)
        if not pending:
            return
        ids = [m.id for m in pending if m.id is not None]
        futures.append(executor.submit(deliver, app, ids))
        del futures[:-50]

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(_PENDING_KEY, None)
