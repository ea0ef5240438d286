"""Calls (конкурсы) with their rules: the budget categories allowed and their caps, and the
scoring criteria."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, Fixed, utcnow
from portal.models.users import enum_column

if TYPE_CHECKING:
    from portal.models.applications import Application


class CallStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class BudgetCategory(enum.StrEnum):
    """The categories municipalities fund, in the order a budget lists them."""

    EQUIPMENT = "equipment"
    INFORMATISATION = "informatisation"
    ACQUISITIONS = "acquisitions"
    DIGITISATION = "digitisation"
    TRAINING = "training"
    FEES = "fees"
    EVENTS = "events"
    OTHER = "other"


class CapBasis(enum.StrEnum):
    TOTAL = "total"  # share of the project's total cost
    REQUESTED = "requested"  # share of the amount requested from the municipality


class ScoreAggregation(enum.StrEnum):
    MEAN = "mean"
    MEDIAN = "median"


class TieBreak(enum.StrEnum):
    COFINANCING = "cofinancing"  # the larger co-financing share first
    SMALLER_REQUEST = "smaller_request"  # the smaller amount requested first
    EARLIER_SUBMISSION = "earlier_submission"


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("year", "number"),
        CheckConstraint("closes_at > opens_at", name="closes_after_opening"),
        CheckConstraint("implementation_end >= implementation_start", name="period_order"),
        CheckConstraint("fund_amount > 0", name="fund_positive"),
        CheckConstraint("max_grant_amount > 0", name="max_grant_positive"),
        # Percentages are stored in hundredths of a percent (see Fixed): 10000 is 100 %.
        CheckConstraint(
            "min_cofinancing_percent >= 0 AND min_cofinancing_percent < 10000",
            name="cofinancing_range",
        ),
        CheckConstraint(
            "status != 'published' OR published_at IS NOT NULL", name="published_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    directions: Mapped[list[str]] = mapped_column(JSON, default=list)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    timezone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    implementation_start: Mapped[date]
    implementation_end: Mapped[date]
    fund_amount: Mapped[Decimal]
    max_grant_amount: Mapped[Decimal]
    min_cofinancing_percent: Mapped[Decimal] = mapped_column(Fixed(2))
    reviewers_per_application: Mapped[int] = mapped_column(default=2)
    disagreement_threshold_percent: Mapped[Decimal] = mapped_column(
        Fixed(2), default=Decimal("30")
    )
    review_deadline: Mapped[date | None]
    score_aggregation: Mapped[ScoreAggregation] = mapped_column(
        enum_column(ScoreAggregation, "score_aggregation"), default=ScoreAggregation.MEAN
    )
    tie_break: Mapped[TieBreak] = mapped_column(
        enum_column(TieBreak, "tie_break"), default=TieBreak.COFINANCING
    )
    max_applications_per_organisation: Mapped[int | None]
    max_assignments_per_reviewer: Mapped[int | None]
    passing_score: Mapped[Decimal | None] = mapped_column(Fixed(2))
    results_public: Mapped[bool] = mapped_column(default=True)
    # Moving money between budget lines beyond this share of a line needs a justification.
    spending_tolerance_percent: Mapped[Decimal] = mapped_column(Fixed(2), default=Decimal("10"))
    decisions_finalised_at: Mapped[datetime | None]
    reporting_dates: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[CallStatus] = mapped_column(
        enum_column(CallStatus, "call_status"), default=CallStatus.DRAFT
    )
    published_at: Mapped[datetime | None]
    # The last registration sequence given out; raised under the row's lock at submission
    # so that numbers are unique and without gaps.
    last_sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    # Loaded when used: most pages that show a call need neither (each would cost a query
    # per page that loads calls); those that do use them for one call at a time.
    categories: Mapped[list[CallCategory]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallCategory.id",
    )
    criteria: Mapped[list[Criterion]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="Criterion.position",
    )
    applications: Mapped[list[Application]] = relationship(back_populates="call")

    @property
    def code(self) -> str:
        """The call's part of registration numbers: `2026-03`."""
        return f"{self.year}-{self.number:02d}"

    def category_rule(self, category: BudgetCategory) -> CallCategory | None:
        return next((c for c in self.categories if c.category == category), None)

    def __repr__(self) -> str:
        return f"<Call {self.code} {self.title!r}>"


class CallCategory(Base):
    """A budget category the call allows, with an optional cap."""

    __tablename__ = "call_categories"
    __table_args__ = (
        UniqueConstraint("call_id", "category"),
        CheckConstraint(
            "cap_percent IS NULL OR (cap_percent > 0 AND cap_percent <= 10000)",
            name="cap_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    category: Mapped[BudgetCategory] = mapped_column(
        enum_column(BudgetCategory, "budget_category")
    )
    cap_percent: Mapped[Decimal | None] = mapped_column(Fixed(2))
    cap_basis: Mapped[CapBasis] = mapped_column(
        enum_column(CapBasis, "cap_basis"), default=CapBasis.TOTAL
    )

    call: Mapped[Call] = relationship(back_populates="categories")


class Criterion(Base):
    """A scoring criterion: what is judged, what low and high marks mean, the scale (0 to
    `scale_max` whole points) and the weight."""

    __tablename__ = "criteria"
    __table_args__ = (
        CheckConstraint("scale_max BETWEEN 1 AND 100", name="scale_range"),
        CheckConstraint("weight > 0", name="weight_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    scale_max: Mapped[int] = mapped_column(default=10)
    weight: Mapped[Decimal] = mapped_column(Fixed(2), default=Decimal("1"))

    call: Mapped[Call] = relationship(back_populates="criteria")
