"""What people read for each coded value (roles, statuses, categories), in one place for
pages, e-mails, PDFs and messages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from portal.models import (
    AgreementStatus,
    ApplicationStatus,
    AssignmentStatus,
    AttachmentKind,
    BudgetCategory,
    CallStatus,
    CapBasis,
    DecisionOutcome,
    JobStatus,
    OrganisationStatus,
    Recommendation,
    ReportKind,
    ReportStatus,
    ReviewStatus,
    Role,
    RoundOutcome,
    ScoreAggregation,
    TieBreak,
    TrancheCondition,
)
from portal.models.mail import MailStatus

ROLE_LABELS = {
    Role.APPLICANT: _l("Applicant (library staff)"),
    Role.REVIEWER: _l("Reviewer (expert)"),
    Role.CHAIR: _l("Committee chair or secretary"),
    Role.FINANCE: _l("Finance"),
    Role.ADMIN: _l("Administrator"),
}

ORGANISATION_STATUS_LABELS = {
    OrganisationStatus.PENDING: _l("waiting for approval"),
    OrganisationStatus.APPROVED: _l("approved"),
    OrganisationStatus.REJECTED: _l("rejected"),
}

MAIL_STATUS_LABELS = {
    MailStatus.KEPT: _l("kept in the portal (no mail server)"),
    MailStatus.QUEUED: _l("waiting to be sent"),
    MailStatus.SENT: _l("sent"),
    MailStatus.FAILED: _l("failed"),
}

CALL_STATUS_LABELS = {
    CallStatus.DRAFT: _l("draft, not published"),
    CallStatus.PUBLISHED: _l("published"),
}

BUDGET_CATEGORY_LABELS = {
    BudgetCategory.EQUIPMENT: _l("Material and technical base (equipment)"),
    BudgetCategory.INFORMATISATION: _l("Informatisation (computers, software, connectivity)"),
    BudgetCategory.ACQUISITIONS: _l("Acquisitions (books, periodicals, e-resources)"),
    BudgetCategory.DIGITISATION: _l("Digitisation of rare and local-history editions"),
    BudgetCategory.TRAINING: _l("Staff training and qualification"),
    BudgetCategory.FEES: _l("Fees and wages"),
    BudgetCategory.EVENTS: _l("Events and promotion of reading"),
    BudgetCategory.OTHER: _l("Other"),
}

CAP_BASIS_LABELS = {
    CapBasis.TOTAL: _l("of the project's total"),
    CapBasis.REQUESTED: _l("of the amount requested"),
}

APPLICATION_STATUS_LABELS = {
    ApplicationStatus.DRAFT: _l("draft"),
    ApplicationStatus.SUBMITTED: _l("submitted"),
    ApplicationStatus.WITHDRAWN: _l("withdrawn"),
    ApplicationStatus.ELIGIBLE: _l("admitted"),
    ApplicationStatus.INELIGIBLE: _l("not admitted"),
    ApplicationStatus.IN_REVIEW: _l("in review"),
    ApplicationStatus.REVIEWED: _l("reviewed"),
    ApplicationStatus.FUNDED: _l("funded"),
    ApplicationStatus.NOT_FUNDED: _l("not funded"),
    ApplicationStatus.DECLINED: _l("grant declined"),
    ApplicationStatus.UNDER_AGREEMENT: _l("under agreement"),
    ApplicationStatus.REPORTING: _l("reporting"),
    ApplicationStatus.COMPLETED: _l("completed"),
}

ATTACHMENT_KIND_LABELS = {
    AttachmentKind.SUPPORT_LETTER: _l("Letter of support"),
    AttachmentKind.PRICE_QUOTE: _l("Price quote"),
    AttachmentKind.PHOTO: _l("Photo"),
    AttachmentKind.OTHER: _l("Other document"),
}

ASSIGNMENT_STATUS_LABELS = {
    AssignmentStatus.ACTIVE: _l("assigned"),
    AssignmentStatus.CONFLICT: _l("conflict of interest declared"),
}

REVIEW_STATUS_LABELS = {
    ReviewStatus.DRAFT: _l("draft"),
    ReviewStatus.SUBMITTED: _l("submitted"),
}

RECOMMENDATION_LABELS = {
    Recommendation.FUND: _l("fund"),
    Recommendation.FUND_REDUCED: _l("fund with a reduced amount"),
    Recommendation.DO_NOT_FUND: _l("do not fund"),
}

DECISION_OUTCOME_LABELS = {
    DecisionOutcome.FUNDED: _l("funded"),
    DecisionOutcome.NOT_FUNDED: _l("not funded"),
    DecisionOutcome.RESERVE: _l("reserve list"),
    DecisionOutcome.DECLINED: _l("grant declined"),
}

SCORE_AGGREGATION_LABELS = {
    ScoreAggregation.MEAN: _l("mean of the reviews"),
    ScoreAggregation.MEDIAN: _l("median of the reviews"),
}

TIE_BREAK_LABELS = {
    TieBreak.COFINANCING: _l("the larger co-financing share first"),
    TieBreak.SMALLER_REQUEST: _l("the smaller amount requested first"),
    TieBreak.EARLIER_SUBMISSION: _l("the earlier submission first"),
}

AGREEMENT_STATUS_LABELS = {
    AgreementStatus.DRAFT: _l("prepared, not signed"),
    AgreementStatus.SIGNED: _l("signed"),
}

TRANCHE_CONDITION_LABELS = {
    TrancheCondition.ON_SIGNING: _l("advance on signing"),
    TrancheCondition.AFTER_INTERIM_REPORT: _l("after the interim report is accepted"),
    TrancheCondition.AFTER_FINAL_REPORT: _l("after the final report is accepted"),
    TrancheCondition.ON_DATE: _l("on the date"),
}

REPORT_KIND_LABELS = {
    ReportKind.INTERIM: _l("interim report"),
    ReportKind.FINAL: _l("final report"),
}

REPORT_STATUS_LABELS = {
    ReportStatus.DRAFT: _l("being prepared"),
    ReportStatus.SUBMITTED: _l("submitted, being checked"),
    ReportStatus.RETURNED: _l("returned for corrections"),
    ReportStatus.ACCEPTED: _l("accepted"),
}

ROUND_OUTCOME_LABELS = {
    RoundOutcome.ACCEPTED: _l("accepted"),
    RoundOutcome.RETURNED: _l("returned with comments"),
}

JOB_STATUS_LABELS = {
    JobStatus.QUEUED: _l("waiting to start"),
    JobStatus.RUNNING: _l("in progress"),
    JobStatus.DONE: _l("ready"),
    JobStatus.FAILED: _l("could not be prepared"),
}
