"""Accounts: creating users, signing in and out, passwords and their reset, roles, and
enabling or disabling an account. Every change is audited."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.errors import DomainError
from portal.models import Organisation, Role, User, UserRole
from portal.models.users import new_session_token
from portal.passwords import (
    PasswordPolicyError,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from portal.services.audit import record_event
from portal.services.mail import queue_mail


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user_by_email(session: Session, email: str) -> User | None:
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def _apply_password(user: User, password: str) -> None:
    try:
        check_password_policy(password, email=user.email)
    except PasswordPolicyError as exc:
        raise DomainError(str(exc), field="password") from exc
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()


def create_user(
    session: Session,
    *,
    email: str,
    full_name: str,
    password: str,
    roles: Iterable[Role] = (),
    organisation: Organisation | None = None,
    actor: User | None,
) -> User:
    """Create an account. The e-mail must be unused, the password must meet the policy, and
    the applicant role needs an organisation."""
    email = normalise_email(email)
    if find_user_by_email(session, email) is not None:
        raise DomainError(_l("An account with this e-mail address already exists."), field="email")
    roles = set(roles)
    if Role.APPLICANT in roles and organisation is None:
        raise DomainError(
            _l("An applicant must belong to an organisation."), field="organisation_id"
        )
    user = User(email=email, full_name=full_name.strip(), organisation=organisation)
    _apply_password(user, password)
    user.role_rows = [UserRole(role=role) for role in sorted(roles)]
    session.add(user)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="user.created",
        obj=user,
        details={"email": email, "roles": sorted(r.value for r in roles)},
    )
    return user


def authenticate(session: Session, email: str, password: str) -> User | None:
    """Return the user whose e-mail and password match and whose account is enabled, or
    None. Both outcomes are audited; an unknown e-mail costs as much time as a known one."""
    user = find_user_by_email(session, email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.is_enabled:
        reason = "unknown account" if user is None else (
            "wrong password" if not ok else "account disabled"
        )
        record_event(
            session,
            actor=user,
            action="auth.login_failed",
            obj=user,
            reason=reason,
            actor_label=normalise_email(email)[:254],
        )
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    record_event(session, actor=user, action="auth.login", obj=user)
    return user


def sign_out(session: Session, user: User) -> None:
    """End every session of the user, on every device."""
    user.session_token = new_session_token()
    record_event(session, actor=user, action="auth.logout", obj=user)


def change_password(session: Session, user: User, *, current: str, new: str) -> None:
    """Change the user's own password after checking the current one; every other session
    of the user ends (the caller signs the current one in again)."""
    if not verify_password(user.password_hash, current):
        raise DomainError(_l("The current password is not correct."), field="current_password")
    if verify_password(user.password_hash, new):
        raise DomainError(
            _l("The new password must differ from the current one."), field="password"
        )
    _apply_password(user, new)
    user.session_token = new_session_token()
    record_event(session, actor=user, action="auth.password_changed", obj=user)


def _password_fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def make_reset_token(user: User) -> str:
    """A signed token naming the user and a fingerprint of the current password hash: it
    expires, and it stops working as soon as the password changes (single use)."""
    return _reset_serializer().dumps({"uid": user.id, "fp": _password_fingerprint(user)})


def user_for_reset_token(session: Session, token: str) -> User | None:
    try:
        data = _reset_serializer().loads(
            token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"]
        )
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = session.get(User, data.get("uid"))
    if user is None or not user.is_enabled or data.get("fp") != _password_fingerprint(user):
        return None
    return user


def request_password_reset(
    session: Session, email: str, *, reset_url_for: Callable[[str], str]
) -> None:
    """E-mail a reset link when the address belongs to an enabled account. The answer to the
    person asking is the same either way, so the form reveals no accounts."""
    user = find_user_by_email(session, email)
    if user is None or not user.is_enabled:
        return
    token = make_reset_token(user)
    queue_mail(
        session,
        to=user,
        subject=_l("Resetting your Vektor password"),
        template="password_reset",
        reset_url=reset_url_for(token),
        valid_minutes=current_app.config["PASSWORD_RESET_MAX_AGE"] // 60,
    )
    record_event(session, actor=user, action="auth.password_reset_requested", obj=user)


def reset_password(session: Session, token: str, new: str) -> User:
    """Set a new password through a reset token; the token is spent and every session of
    the user ends."""
    user = user_for_reset_token(session, token)
    if user is None:
        raise DomainError(
            _l("This link has expired or has already been used. Ask for a new one.")
        )
    _apply_password(user, new)
    user.session_token = new_session_token()
    record_event(session, actor=user, action="auth.password_reset", obj=user)
    return user


def set_roles(
    session: Session, user: User, roles: Iterable[Role], *, actor: User | None
) -> None:
    """Give the user exactly these roles. An applicant needs an organisation, and an admin
    cannot take the admin role from themselves (so the portal always keeps one)."""
    new = set(roles)
    old = user.roles
    if Role.APPLICANT in new and user.organisation_id is None:
        raise DomainError(
            _l("An applicant must belong to an organisation."), field="organisation_id"
        )
    if actor is not None and user.id == actor.id and Role.ADMIN in old and Role.ADMIN not in new:
        raise DomainError(_l("You cannot remove your own admin role."), field="roles")
    for role in sorted(old - new):
        user.role_rows = [row for row in user.role_rows if row.role != role]
        record_event(session, actor=actor, action="user.role_revoked", obj=user,
                     details={"role": role.value})
    for role in sorted(new - old):
        user.role_rows.append(UserRole(role=role))
        record_event(session, actor=actor, action="user.role_granted", obj=user,
                     details={"role": role.value})


def update_user(
    session: Session,
    user: User,
    *,
    full_name: str,
    email: str,
    organisation: Organisation | None,
    actor: User,
) -> None:
    """Change a user's name, e-mail or organisation (admin)."""
    email = normalise_email(email)
    if email != user.email:
        other = find_user_by_email(session, email)
        if other is not None:
            raise DomainError(
                _l("An account with this e-mail address already exists."), field="email"
            )
    if organisation is None and Role.APPLICANT in user.roles:
        raise DomainError(
            _l("An applicant must belong to an organisation."), field="organisation_id"
        )
    changes = {}
    if user.full_name != full_name.strip():
        changes["full_name"] = full_name.strip()
    if user.email != email:
        changes["email"] = email
    new_org_id = organisation.id if organisation else None
    if user.organisation_id != new_org_id:
        changes["organisation_id"] = new_org_id
    user.full_name = full_name.strip()
    user.email = email
    user.organisation = organisation
    if changes:
        record_event(session, actor=actor, action="user.updated", obj=user, details=changes)


def set_enabled(session: Session, user: User, enabled: bool, *, actor: User) -> None:
    """Enable or disable an account. Disabling ends every session of the user at once; an
    admin cannot disable themselves."""
    if user.is_enabled == enabled:
        return
    if not enabled and user.id == actor.id:
        raise DomainError(_l("You cannot disable your own account."))
    user.is_enabled = enabled
    if not enabled:
        user.session_token = new_session_token()
    record_event(
        session,
        actor=actor,
        action="user.enabled" if enabled else "user.disabled",
        obj=user,
        from_state="disabled" if enabled else "enabled",
        to_state="enabled" if enabled else "disabled",
    )


def admin_set_password(
    session: Session, user: User, password: str, *, actor: User | None
) -> None:
    """Set a user's password (admin, or the command line); the user's sessions end."""
    _apply_password(user, password)
    user.session_token = new_session_token()
    record_event(session, actor=actor, action="user.password_set", obj=user)


def count_users(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User)) or 0
