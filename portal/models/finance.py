"""Money after the decision: the administration's details, grant agreements with their
payment schedule, payments, reports on what was done and spent, and the background jobs that
assemble a call's documents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, Fixed, utcnow
from portal.models.applications import Application, BudgetLine, Indicator
from portal.models.calls import Call
from portal.models.users import User, enum_column


class AdministrationDetails(Base):
    """The grantor's details for agreements: one row, edited on the settings page."""

    __tablename__ = "administration_details"

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(500), default="")
    short_name: Mapped[str] = mapped_column(String(200), default="")
    inn: Mapped[str] = mapped_column(String(10), default="")
    kpp: Mapped[str] = mapped_column(String(9), default="")
    ogrn: Mapped[str] = mapped_column(String(13), default="")
    address: Mapped[str] = mapped_column(String(500), default="")
    head_name: Mapped[str] = mapped_column(String(200), default="")
    head_position: Mapped[str] = mapped_column(String(200), default="")
    bank_name: Mapped[str] = mapped_column(String(300), default="")
    bik: Mapped[str] = mapped_column(String(9), default="")
    settlement_account: Mapped[str] = mapped_column(String(20), default="")
    correspondent_account: Mapped[str] = mapped_column(String(20), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class AgreementStatus(enum.StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class Agreement(Base):
    """The grant agreement of a funded application."""

    __tablename__ = "agreements"
    __table_args__ = (
        CheckConstraint("status != 'signed' OR signed_at IS NOT NULL", name="signed_has_time"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="RESTRICT"), unique=True
    )
    number: Mapped[str] = mapped_column(String(40), unique=True)
    amount: Mapped[Decimal]
    status: Mapped[AgreementStatus] = mapped_column(
        enum_column(AgreementStatus, "agreement_status"), default=AgreementStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    signed_at: Mapped[datetime | None]
    signed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The signed scan, stored like attachments (a server-made name outside static/).
    scan_stored_name: Mapped[str | None] = mapped_column(String(80), unique=True)
    scan_original_name: Mapped[str | None] = mapped_column(String(255))
    scan_content_type: Mapped[str | None] = mapped_column(String(100))
    scan_size_bytes: Mapped[int | None]

    application: Mapped[Application] = relationship()
    tranches: Mapped[list[Tranche]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="Tranche.number",
        lazy="selectin",
    )
    reports: Mapped[list[Report]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="Report.due_date",
    )


class TrancheCondition(enum.StrEnum):
    ON_SIGNING = "on_signing"  # an advance when the agreement is signed
    AFTER_INTERIM_REPORT = "after_interim_report"
    AFTER_FINAL_REPORT = "after_final_report"
    ON_DATE = "on_date"


class Tranche(Base):
    """One payment of the schedule. The tranches of an agreement always add up to its
    amount, to the kopeck."""

    __tablename__ = "tranches"
    __table_args__ = (
        UniqueConstraint("agreement_id", "number"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int]
    due_date: Mapped[date]
    amount: Mapped[Decimal]
    condition: Mapped[TrancheCondition] = mapped_column(
        enum_column(TrancheCondition, "tranche_condition"), default=TrancheCondition.ON_DATE
    )
    released_at: Mapped[datetime | None]  # the condition is met: finance may pay it

    agreement: Mapped[Agreement] = relationship(back_populates="tranches")
    payments: Mapped[list[Payment]] = relationship(
        back_populates="tranche", cascade="all, delete-orphan", order_by="Payment.paid_on",
        lazy="selectin",
    )


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tranche_id: Mapped[int] = mapped_column(ForeignKey("tranches.id", ondelete="RESTRICT"),
                                            index=True)
    paid_on: Mapped[date]
    amount: Mapped[Decimal]
    order_number: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    tranche: Mapped[Tranche] = relationship(back_populates="payments")
    recorded_by: Mapped[User | None] = relationship()


class ReportKind(enum.StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class ReportStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    ACCEPTED = "accepted"


class Report(Base):
    """An interim or final report: what was done, indicators reached, money spent per
    budget line against the plan. Finance or the chair accepts it or returns it; every
    round is kept."""

    __tablename__ = "reports"
    __table_args__ = (
        CheckConstraint(
            "status != 'accepted' OR accepted_at IS NOT NULL", name="accepted_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(
        ForeignKey("agreements.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind, "report_kind"))
    due_date: Mapped[date]
    status: Mapped[ReportStatus] = mapped_column(
        enum_column(ReportStatus, "report_status"), default=ReportStatus.DRAFT
    )
    narrative: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    reminded_before_at: Mapped[datetime | None]
    reminded_after_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    agreement: Mapped[Agreement] = relationship(back_populates="reports")
    # Loaded when used: the pages that list reports need neither; a report's own page
    # reads both, once.
    spending: Mapped[list[ReportSpending]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    results: Mapped[list[ReportIndicator]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )
    rounds: Mapped[list[ReportRound]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportRound.number"
    )
    documents: Mapped[list[ReportDocument]] = relationship(
        back_populates="report", cascade="all, delete-orphan", order_by="ReportDocument.id"
    )

    __mapper_args__ = {"version_id_col": version}


class ReportSpending(Base):
    """Actual spending on one budget line, by source, with a justification when it moves
    beyond the call's tolerance."""

    __tablename__ = "report_spending"
    __table_args__ = (
        UniqueConstraint("report_id", "budget_line_id"),
        CheckConstraint(
            "requested_amount >= 0 AND own_amount >= 0 AND partner_amount >= 0",
            name="not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                           index=True)
    budget_line_id: Mapped[int] = mapped_column(ForeignKey("budget_lines.id",
                                                           ondelete="RESTRICT"))
    requested_amount: Mapped[Decimal]
    own_amount: Mapped[Decimal]
    partner_amount: Mapped[Decimal]
    justification: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[Report] = relationship(back_populates="spending")
    budget_line: Mapped[BudgetLine] = relationship()


class ReportIndicator(Base):
    __tablename__ = "report_indicators"
    __table_args__ = (UniqueConstraint("report_id", "indicator_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                           index=True)
    indicator_id: Mapped[int] = mapped_column(ForeignKey("application_indicators.id",
                                                         ondelete="RESTRICT"))
    achieved: Mapped[Decimal | None] = mapped_column(Fixed(2))
    comment: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[Report] = relationship(back_populates="results")
    indicator: Mapped[Indicator] = relationship()


class RoundOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    RETURNED = "returned"


class ReportRound(Base):
    """One submission of a report and what finance or the chair said of it."""

    __tablename__ = "report_rounds"
    __table_args__ = (UniqueConstraint("report_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                           index=True)
    number: Mapped[int]
    submitted_at: Mapped[datetime]
    submitted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    outcome: Mapped[RoundOutcome | None] = mapped_column(
        enum_column(RoundOutcome, "round_outcome")
    )
    comment: Mapped[str] = mapped_column(Text, default="")
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    report: Mapped[Report] = relationship(back_populates="rounds")
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ReportDocument(Base):
    """A supporting document of a report (acts, invoices, photos), stored like attachments."""

    __tablename__ = "report_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"),
                                           index=True)
    original_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    report: Mapped[Report] = relationship(back_populates="documents")


class JobStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class DocumentJob(Base):
    """A background job that assembles documents (all approved budgets of a call as a ZIP).
    `content_key` names the data it was made from: an unchanged call reuses the archive."""

    __tablename__ = "document_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    content_key: Mapped[str] = mapped_column(String(64), index=True)
    status: Mapped[JobStatus] = mapped_column(
        enum_column(JobStatus, "job_status"), default=JobStatus.QUEUED
    )
    done_count: Mapped[int] = mapped_column(default=0)
    total_count: Mapped[int] = mapped_column(default=0)
    file_name: Mapped[str | None] = mapped_column(String(120))
    error: Mapped[str] = mapped_column(Text, default="")
    locale: Mapped[str] = mapped_column(String(5), default="ru")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    call: Mapped[Call] = relationship()
