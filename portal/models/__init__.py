"""The models, one module per aggregate; importing this package registers them all."""

from portal.models.audit import AuditEvent
from portal.models.mail import OutboxMessage
from portal.models.users import Organisation, OrganisationStatus, Role, User, UserRole

__all__ = [
    "AuditEvent",
    "Organisation",
    "OrganisationStatus",
    "OutboxMessage",
    "Role",
    "User",
    "UserRole",
]
