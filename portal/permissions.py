"""Who may do what: `can(user, action, obj)` answers, `require(...)` enforces. Views call
`require`; templates call `can` to show or hide the same buttons, so the two never disagree."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import AnonymousUserMixin

from portal.extensions import login_manager
from portal.models import Role, User


class Action(enum.StrEnum):
    ADMINISTER = "administer"
    VIEW_DASHBOARD = "view_dashboard"
    CHANGE_OWN_PASSWORD = "change_own_password"  # noqa: S105 - an action name


def _is_admin(user: User, obj: Any) -> bool:
    """Granted if: the user holds the admin role (users, roles, organisations, the audit log
    and the outbox)."""
    return user.has_role(Role.ADMIN)


def _may_view_dashboard(user: User, role: Any) -> bool:
    """Granted if: the user holds the role whose dashboard is asked for."""
    return isinstance(role, Role) and role in user.roles


def _signed_in(user: User, obj: Any) -> bool:
    """Granted if: the user is signed in."""
    return True


_PREDICATES: dict[Action, Callable[[User, Any], bool]] = {
    Action.ADMINISTER: _is_admin,
    Action.VIEW_DASHBOARD: _may_view_dashboard,
    Action.CHANGE_OWN_PASSWORD: _signed_in,
}


def can(user: User | AnonymousUserMixin | None, action: Action, obj: Any = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return _PREDICATES[action](user, obj)  # type: ignore[arg-type]


def require(user: User | AnonymousUserMixin | None, action: Action, obj: Any = None) -> None:
    """Stop the request unless `can` allows it: anonymous users are sent to sign in, signed-in
    users without the right get 403."""
    if user is None or not getattr(user, "is_authenticated", False):
        abort(login_manager.unauthorized())
    if not can(user, action, obj):
        abort(403)
