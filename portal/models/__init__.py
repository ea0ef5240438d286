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
from portal.models.calls import (
    BudgetCategory,
    Call,
    CallCategory,
    CallStatus,
    CapBasis,
    Criterion,
    ScoreAggregation,
    TieBreak,
)
from portal.models.mail import OutboxMessage
from portal.models.reviews import (
    Assignment,
    AssignmentStatus,
    CallReviewer,
    Decision,
    DecisionOutcome,
    Recommendation,
    Review,
    ReviewScore,
    ReviewStatus,
)
from portal.models.users import Organisation, OrganisationStatus, Role, User, UserRole

__all__ = [
    "Assignment",
    "AssignmentStatus",
    "CallReviewer",
    "Decision",
    "DecisionOutcome",
    "Recommendation",
    "Review",
    "ScoreAggregation",
    "TieBreak",
    "ReviewScore",
    "ReviewStatus",
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
