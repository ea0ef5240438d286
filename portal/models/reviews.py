"""The committee's work on a call: its reviewers, who is assigned which application, the
reviews with a score per criterion, and the funding decisions."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow
from portal.models.applications import Application
from portal.models.calls import Call, Criterion
from portal.models.users import User, enum_column


class CallReviewer(Base):
    """A reviewer the chair has chosen for a call."""

    __tablename__ = "call_reviewers"
    __table_args__ = (UniqueConstraint("call_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    call: Mapped[Call] = relationship()
    user: Mapped[User] = relationship()


class AssignmentStatus(enum.StrEnum):
    ACTIVE = "active"
    CONFLICT = "conflict"  # the reviewer declared a conflict of interest and handed it back


class Assignment(Base):
    """An application given to a reviewer to score."""

    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id"),
        CheckConstraint(
            "status != 'conflict' OR conflict_declared_at IS NOT NULL",
            name="conflict_has_time",
        ),
        Index("ix_assignments_reviewer_status", "reviewer_id", "status"),
        Index("ix_assignments_reviewer_call", "reviewer_id", "call_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    # The application's call, kept here too: a reviewer's list and counts read the
    # assignments of the calls they show by index, however many years of reviews the
    # reviewer has behind them.
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[AssignmentStatus] = mapped_column(
        enum_column(AssignmentStatus, "assignment_status"), default=AssignmentStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    conflict_reason: Mapped[str] = mapped_column(Text, default="")
    conflict_declared_at: Mapped[datetime | None]
    deadline_reminded_at: Mapped[datetime | None]

    application: Mapped[Application] = relationship()
    reviewer: Mapped[User] = relationship(foreign_keys=[reviewer_id])
    review: Mapped[Review | None] = relationship(back_populates="assignment", uselist=False)


class ReviewStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


class Recommendation(enum.StrEnum):
    FUND = "fund"
    FUND_REDUCED = "fund_reduced"
    DO_NOT_FUND = "do_not_fund"


class Review(Base):
    """A reviewer's scoring of one application. Submitted reviews are locked; the chair can
    reopen one with a reason."""

    __tablename__ = "reviews"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id"),
        CheckConstraint(
            "status != 'submitted' OR (submitted_at IS NOT NULL AND recommendation IS NOT NULL)",
            name="submitted_is_complete",
        ),
        CheckConstraint(
            "recommendation != 'fund_reduced' OR recommended_amount IS NOT NULL",
            name="reduced_has_amount",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("assignments.id", ondelete="CASCADE"), unique=True
    )
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), index=True
    )
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"),
                                             index=True)
    status: Mapped[ReviewStatus] = mapped_column(
        enum_column(ReviewStatus, "review_status"), default=ReviewStatus.DRAFT
    )
    overall_comment: Mapped[str] = mapped_column(Text, default="")
    recommendation: Mapped[Recommendation | None] = mapped_column(
        enum_column(Recommendation, "recommendation")
    )
    recommended_amount: Mapped[Decimal | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    reopen_reason: Mapped[str] = mapped_column(Text, default="")

    assignment: Mapped[Assignment] = relationship(back_populates="review")
    application: Mapped[Application] = relationship()
    reviewer: Mapped[User] = relationship()
    scores: Mapped[list[ReviewScore]] = relationship(
        back_populates="review", cascade="all, delete-orphan", lazy="selectin"
    )


class ReviewScore(Base):
    """A whole-number score on one criterion, with a comment (required at either end of the
    scale)."""

    __tablename__ = "review_scores"
    __table_args__ = (
        UniqueConstraint("review_id", "criterion_id"),
        CheckConstraint("score IS NULL OR score >= 0", name="score_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"),
                                           index=True)
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criteria.id", ondelete="RESTRICT"))
    score: Mapped[int | None]
    comment: Mapped[str] = mapped_column(Text, default="")

    review: Mapped[Review] = relationship(back_populates="scores")
    criterion: Mapped[Criterion] = relationship()


class DecisionOutcome(enum.StrEnum):
    FUNDED = "funded"
    NOT_FUNDED = "not_funded"
    RESERVE = "reserve"
    DECLINED = "declined"  # was funded; the applicant declined the grant


class Decision(Base):
    """The committee's decision on an application. The approved amounts of a call never add
    up to more than its fund: decisions are made under the call row's lock."""

    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint(
            "outcome != 'funded' OR (approved_amount IS NOT NULL AND approved_amount > 0)",
            name="funded_has_amount",
        ),
        CheckConstraint(
            "outcome = 'funded' OR outcome = 'declined' OR approved_amount IS NULL",
            name="amount_only_when_funded",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(
        ForeignKey("applications.id", ondelete="CASCADE"), unique=True
    )
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    outcome: Mapped[DecisionOutcome] = mapped_column(
        enum_column(DecisionOutcome, "decision_outcome")
    )
    approved_amount: Mapped[Decimal | None]
    reason: Mapped[str] = mapped_column(Text, default="")
    reserve_rank: Mapped[int | None]
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    application: Mapped[Application] = relationship()
    decided_by: Mapped[User | None] = relationship()


__all__ = [
    "Assignment",
    "AssignmentStatus",
    "CallReviewer",
    "Decision",
    "DecisionOutcome",
    "Recommendation",
    "Review",
    "ReviewScore",
    "ReviewStatus",
]
