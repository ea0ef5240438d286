"""Organisations (libraries and their branches), users, and the roles users hold."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, utcnow


def enum_column(enum_cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: a VARCHAR with a CHECK constraint, storing the values."""
    return Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


class Role(enum.StrEnum):
    APPLICANT = "applicant"
    REVIEWER = "reviewer"
    CHAIR = "chair"
    FINANCE = "finance"
    ADMIN = "admin"


class OrganisationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Organisation(Base):
    """A library. Branches of a library system share the parent's INN and differ by KPP."""

    __tablename__ = "organisations"
    __table_args__ = (
        UniqueConstraint("inn", "kpp"),
        CheckConstraint(
            "status != 'approved' OR approved_at IS NOT NULL", name="approved_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    full_name: Mapped[str] = mapped_column(String(500))
    short_name: Mapped[str] = mapped_column(String(200))
    inn: Mapped[str] = mapped_column(String(10), index=True)
    kpp: Mapped[str] = mapped_column(String(9))
    ogrn: Mapped[str] = mapped_column(String(13))
    municipality: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    head_name: Mapped[str] = mapped_column(String(200))
    head_position: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    bank_name: Mapped[str] = mapped_column(String(300), default="")
    bik: Mapped[str] = mapped_column(String(9))
    settlement_account: Mapped[str] = mapped_column(String(20))
    correspondent_account: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[OrganisationStatus] = mapped_column(
        enum_column(OrganisationStatus, "organisation_status"),
        default=OrganisationStatus.PENDING,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    approved_at: Mapped[datetime | None]

    parent: Mapped[Organisation | None] = relationship(
        remote_side=[id], back_populates="branches"
    )
    branches: Mapped[list[Organisation]] = relationship(back_populates="parent")
    users: Mapped[list[User]] = relationship(back_populates="organisation")

    @property
    def is_approved(self) -> bool:
        return self.status == OrganisationStatus.APPROVED

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.short_name!r}>"


class User(Base):
    """A person who signs in. `session_token` is the alternative id kept in the session
    cookie: replacing it ends every session of the user at once."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    is_enabled: Mapped[bool] = mapped_column(default=True)
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    password_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    @property
    def roles(self) -> set[Role]:
        return {row.role for row in self.role_rows}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email!r}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (Index("ix_user_roles_role", "role"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")
