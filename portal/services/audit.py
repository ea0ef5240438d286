"""The one helper that writes the audit log. The web layer sets the client address for the
duration of a request; the command line and background jobs leave it empty."""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any

from sqlalchemy.orm import Session

from portal.models import AuditEvent, User

current_address: ContextVar[str | None] = ContextVar("current_address", default=None)


def record_event(
    session: Session,
    *,
    actor: User | None,
    action: str,
    obj: Any = None,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Add one audit row: who (`actor`, or `actor_label` when there is no user, as for a
    failed sign-in), did `action` to `obj`, moving it from one state to another, and why."""
    if obj is not None and getattr(obj, "id", None) is None:
        session.flush()
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label if actor_label is not None else (actor.email if actor else ""),
        action=action,
        object_type=type(obj).__name__.lower() if obj is not None else "",
        object_id=str(obj.id) if obj is not None else "",
        from_state=str(from_state) if from_state is not None else None,
        to_state=str(to_state) if to_state is not None else None,
        reason=reason or "",
        details=details,
        ip_address=current_address.get(),
    )
    session.add(event)
    return event
