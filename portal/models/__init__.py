"""The models, one module per aggregate; importing this package registers them all."""

from portal.models.applications import (
    Activity,
    Application,
    ApplicationStatus,
    Attachment,
    AttachmentKind,
    BudgetLine,
    Indicator,
    Partner,
)
from portal.models.audit import AuditEvent
from portal.models.calls import BudgetCategory, Call, CallCategory, CallStatus, CapBasis, Criterion
from portal.models.mail import OutboxMessage
from portal.models.users import Organisation, OrganisationStatus, Role, User, UserRole

__all__ = [
    "Activity",
    "Application",
    "ApplicationStatus",
    "Attachment",
    "AttachmentKind",
    "BudgetCategory",
    "BudgetLine",
    "Call",
    "CallCategory",
    "CallStatus",
    "CapBasis",
    "Criterion",
    "Indicator",
    "Partner",
    "AuditEvent",
    "Organisation",
    "OrganisationStatus",
    "OutboxMessage",
    "Role",
    "User",
    "UserRole",
]
