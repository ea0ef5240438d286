"""Applications (заявки) and what they hold: activities, partners, result indicators, budget
lines and attachments. Totals and shares are derived (portal.money), never stored."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, Fixed, utcnow
from portal.models.calls import BudgetCategory, Call
from portal.models.users import Organisation, User, enum_column


class ApplicationStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    IN_REVIEW = "in_review"
    REVIEWED = "reviewed"
    FUNDED = "funded"
    NOT_FUNDED = "not_funded"
    DECLINED = "declined"
    UNDER_AGREEMENT = "under_agreement"
    REPORTING = "reporting"
    COMPLETED = "completed"


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("call_id", "sequence"),
        # Everything past the draft was submitted, with its number and time.
        CheckConstraint(
            "status = 'draft' OR (submitted_at IS NOT NULL AND registration_number IS NOT NULL"
            " AND sequence IS NOT NULL)",
            name="submitted_has_number",
        ),
        CheckConstraint(
            "status != 'withdrawn' OR withdrawn_at IS NOT NULL", name="withdrawn_has_time"
        ),
        # Everything after screening was screened, at a recorded time.
        CheckConstraint(
            "status IN ('draft', 'submitted', 'withdrawn') OR screened_at IS NOT NULL",
            name="screened_has_time",
        ),
        CheckConstraint(
            "end_date IS NULL OR start_date IS NULL OR end_date >= start_date",
            name="dates_order",
        ),
        Index("ix_applications_organisation_status", "organisation_id", "status"),
        # A library's applications, the newest first (its dashboard), without reading the
        # other libraries'.
        Index("ix_applications_organisation_id", "organisation_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="RESTRICT"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT")
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    status: Mapped[ApplicationStatus] = mapped_column(
        enum_column(ApplicationStatus, "application_status"), default=ApplicationStatus.DRAFT
    )
    # Optimistic locking: every save raises it, and a save based on an older one is refused.
    version: Mapped[int] = mapped_column(default=1)

    title: Mapped[str] = mapped_column(String(300), default="")
    direction: Mapped[str] = mapped_column(String(300), default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    summary: Mapped[str] = mapped_column(Text, default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    goals: Mapped[str] = mapped_column(Text, default="")
    tasks: Mapped[str] = mapped_column(Text, default="")
    target_groups: Mapped[str] = mapped_column(Text, default="")

    registration_number: Mapped[str | None] = mapped_column(String(20), unique=True)
    sequence: Mapped[int | None]
    submitted_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str] = mapped_column(Text, default="")
    screened_at: Mapped[datetime | None]
    eligibility_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    call: Mapped[Call] = relationship(back_populates="applications")
    organisation: Mapped[Organisation] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    activities: Mapped[list[Activity]] = relationship(
        back_populates="application", cascade="all, delete-orphan",
        order_by="Activity.position",
    )
    partners: Mapped[list[Partner]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="Partner.position"
    )
    indicators: Mapped[list[Indicator]] = relationship(
        back_populates="application", cascade="all, delete-orphan",
        order_by="Indicator.position",
    )
    budget_lines: Mapped[list[BudgetLine]] = relationship(
        back_populates="application", cascade="all, delete-orphan",
        order_by="BudgetLine.position",
    )
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="application", cascade="all, delete-orphan",
        order_by="Attachment.id",
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_draft(self) -> bool:
        return self.status == ApplicationStatus.DRAFT

    def __repr__(self) -> str:
        return f"<Application {self.id} {self.registration_number or 'draft'}>"


class _Child:
    """Columns every part of an application has: its owner and its place in the list."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0)


class Activity(_Child, Base):
    __tablename__ = "application_activities"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]

    application: Mapped[Application] = relationship(back_populates="activities")


class Partner(_Child, Base):
    __tablename__ = "application_partners"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(Text, default="")
    contribution: Mapped[str] = mapped_column(Text, default="")

    application: Mapped[Application] = relationship(back_populates="partners")


class Indicator(_Child, Base):
    """An expected result, measurable: from the baseline to the target, in a unit."""

    __tablename__ = "application_indicators"

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    unit: Mapped[str] = mapped_column(String(50))
    baseline: Mapped[Decimal | None] = mapped_column(Fixed(2))
    target: Mapped[Decimal] = mapped_column(Fixed(2))

    application: Mapped[Application] = relationship(back_populates="indicators")


class BudgetLine(_Child, Base):
    """One line of the budget (смета). Its total is quantity x unit price, to the kopeck;
    the three sources must add up to it."""

    __tablename__ = "budget_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="price_not_negative"),
        CheckConstraint(
            "requested_amount >= 0 AND own_amount >= 0 AND partner_amount >= 0",
            name="sources_not_negative",
        ),
    )

    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    category: Mapped[BudgetCategory] = mapped_column(
        enum_column(BudgetCategory, "budget_category")
    )
    item: Mapped[str] = mapped_column(String(300))
    justification: Mapped[str] = mapped_column(Text, default="")
    unit: Mapped[str] = mapped_column(String(50), default="")
    quantity: Mapped[Decimal] = mapped_column(Fixed(3))
    unit_price: Mapped[Decimal]
    requested_amount: Mapped[Decimal]
    own_amount: Mapped[Decimal]
    partner_amount: Mapped[Decimal]

    application: Mapped[Application] = relationship(back_populates="budget_lines")


class AttachmentKind(enum.StrEnum):
    SUPPORT_LETTER = "support_letter"
    PRICE_QUOTE = "price_quote"
    PHOTO = "photo"
    OTHER = "other"


class Attachment(Base):
    """A file of an application, kept under a name the server made, outside static/."""

    __tablename__ = "application_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[AttachmentKind] = mapped_column(
        enum_column(AttachmentKind, "attachment_kind"), default=AttachmentKind.OTHER
    )
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="attachments")
