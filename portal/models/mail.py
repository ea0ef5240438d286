"""The outbox: every e-mail the portal writes is kept here; SMTP delivery, when configured,
happens off the request and records its outcome on the row."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow
from portal.models.users import enum_column


class MailStatus(enum.StrEnum):
    KEPT = "kept"  # no SMTP server configured: readable in the portal only
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


class OutboxMessage(Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint("status != 'sent' OR sent_at IS NOT NULL", name="sent_has_time"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    recipient: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[MailStatus] = mapped_column(
        enum_column(MailStatus, "mail_status"), default=MailStatus.KEPT
    )
    attempts: Mapped[int] = mapped_column(default=0)
    sent_at: Mapped[datetime | None]
    error: Mapped[str] = mapped_column(Text, default="")
