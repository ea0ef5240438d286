"""Organisations: registration by a library (waiting for approval), creation and editing
by the admin, approval and rejection. Every change is audited."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.models import Organisation, OrganisationStatus, Role, User
from portal.services.accounts import create_user
from portal.services.audit import record_event
from portal.services.mail import queue_mail
from portal.validators import (
    InvalidNumber,
    check_bik,
    check_correspondent_account,
    check_inn,
    check_kpp,
    check_ogrn,
    check_settlement_account,
)

ORGANISATION_FIELDS = (
    "full_name",
    "short_name",
    "inn",
    "kpp",
    "ogrn",
    "municipality",
    "address",
    "head_name",
    "head_position",
    "phone",
    "email",
    "bank_name",
    "bik",
    "settlement_account",
    "correspondent_account",
)


def clean_organisation_data(data: dict[str, Any]) -> dict[str, Any]:
    """Check the registration and bank numbers together (the accounts depend on the BIK)
    and return the values normalised; raise DomainError naming the first wrong field."""
    cleaned = {key: (data.get(key) or "").strip() for key in ORGANISATION_FIELDS}
    checks = (
        ("inn", check_inn),
        ("kpp", check_kpp),
        ("ogrn", check_ogrn),
        ("bik", check_bik),
    )
    for field, check in checks:
        try:
            cleaned[field] = check(cleaned[field])
        except InvalidNumber as exc:
            raise DomainError(str(exc), field=field) from exc
    for field, check in (
        ("settlement_account", check_settlement_account),
        ("correspondent_account", check_correspondent_account),
    ):
        try:
            cleaned[field] = check(cleaned[field], cleaned["bik"])
        except InvalidNumber as exc:
            raise DomainError(str(exc), field=field) from exc
    return cleaned


def _check_unique(session: Session, inn: str, kpp: str, exclude_id: int | None = None) -> None:
    query = select(Organisation.id).where(Organisation.inn == inn, Organisation.kpp == kpp)
    if exclude_id is not None:
        query = query.where(Organisation.id != exclude_id)
    if session.scalar(query) is not None:
        raise DomainError(
            _l("An organisation with this INN and KPP is already registered."), field="kpp"
        )


def create_organisation(
    session: Session,
    data: dict[str, Any],
    *,
    actor: User | None,
    approved: bool,
    parent: Organisation | None = None,
) -> Organisation:
    """Create an organisation from checked data: approved at once when the admin creates
    it, waiting for approval when a library registers itself."""
    cleaned = clean_organisation_data(data)
    _check_unique(session, cleaned["inn"], cleaned["kpp"])
    _check_parent(cleaned["inn"], parent)
    org = Organisation(**cleaned, parent=parent)
    if approved:
        org.status = OrganisationStatus.APPROVED
        org.approved_at = utcnow()
    session.add(org)
    session.flush()
    record_event(
        session, actor=actor, action="organisation.created", obj=org, to_state=org.status
    )
    return org


def register_organisation(
    session: Session, org_data: dict[str, Any], *, email: str, full_name: str, password: str
) -> tuple[Organisation, User]:
    """A library registers itself and its first user; both wait for the admin's approval
    before the user can apply."""
    org = create_organisation(session, org_data, actor=None, approved=False)
    user = create_user(
        session,
        email=email,
        full_name=full_name,
        password=password,
        roles={Role.APPLICANT},
        organisation=org,
        actor=None,
    )
    record_event(session, actor=user, action="organisation.registered", obj=org)
    admins = session.scalars(
        select(User).where(User.is_enabled.is_(True), User.role_rows.any(role=Role.ADMIN))
    )
    for admin in admins:
        queue_mail(
            session, to=admin, subject=_l("A library has registered and waits for approval"),
            template="organisation_registered", organisation=org, applicant=user,
        )
    return org, user


def _check_parent(org_inn: str, parent: Organisation | None, org_id: int | None = None) -> None:
    if parent is None:
        return
    if parent.id is not None and parent.id == org_id:
        raise DomainError(_l("An organisation cannot be its own branch."), field="parent_id")
    if parent.parent_id is not None:
        raise DomainError(
            _l("Choose the library system itself, not one of its branches."), field="parent_id"
        )
    if parent.inn != org_inn:
        raise DomainError(
            _l("A branch must have the same INN as its library system."), field="inn"
        )


def update_organisation(
    session: Session,
    org: Organisation,
    data: dict[str, Any],
    *,
    actor: User,
    parent: Organisation | None = None,
) -> None:
    """Correct an organisation's details (admin); a branch keeps its system's INN."""
    cleaned = clean_organisation_data(data)
    _check_unique(session, cleaned["inn"], cleaned["kpp"], exclude_id=org.id)
    _check_parent(cleaned["inn"], parent, org.id)
    if parent is not None and org.branches:
        raise DomainError(
            _l("A library system with branches cannot itself become a branch."),
            field="parent_id",
        )
    changed = sorted(k for k, v in cleaned.items() if getattr(org, k) != v)
    if org.parent_id != (parent.id if parent else None):
        changed.append("parent_id")
    org.parent = parent
    for key, value in cleaned.items():
        setattr(org, key, value)
    if changed:
        record_event(
            session, actor=actor, action="organisation.updated", obj=org,
            details={"fields": changed},
        )


def approve_organisation(session: Session, org: Organisation, *, actor: User) -> None:
    """A pending (or earlier rejected) registration becomes approved; its users may apply."""
    if org.status == OrganisationStatus.APPROVED:
        raise ConflictError(_l("This organisation is already approved."))
    previous = org.status
    org.status = OrganisationStatus.APPROVED
    org.approved_at = utcnow()
    record_event(
        session, actor=actor, action="organisation.approved", obj=org,
        from_state=previous, to_state=org.status,
    )
    for member in org.users:
        if member.is_enabled:
            queue_mail(
                session, to=member, subject=_l("Your library's registration is approved"),
                template="organisation_approved", organisation=org,
            )


def reject_organisation(
    session: Session, org: Organisation, *, actor: User, reason: str
) -> None:
    """A pending registration is turned down, with a reason the library is shown."""
    if org.status != OrganisationStatus.PENDING:
        raise ConflictError(_l("Only a registration waiting for approval can be rejected."))
    if not reason.strip():
        raise DomainError(_l("Say why the registration is rejected."), field="reason")
    org.status = OrganisationStatus.REJECTED
    record_event(
        session, actor=actor, action="organisation.rejected", obj=org,
        from_state=OrganisationStatus.PENDING, to_state=org.status, reason=reason.strip(),
    )
    for member in org.users:
        if member.is_enabled:
            queue_mail(
                session, to=member, subject=_l("Your library's registration is rejected"),
                template="organisation_rejected", organisation=org, reason=reason.strip(),
            )
