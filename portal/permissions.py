"""Who may do what: `can(user, action, obj)` answers, `require(...)` enforces. Views call
`require`; templates call `can` to show or hide the same buttons, so the two never disagree."""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import AnonymousUserMixin
from sqlalchemy import Select, exists, false, or_, select

from portal.db import session, utcnow
from portal.extensions import login_manager
from portal.models import (
    Agreement,
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    Call,
    CallStatus,
    Report,
    ReportStatus,
    Review,
    ReviewStatus,
    Role,
    User,
)


class Action(enum.StrEnum):
    ADMINISTER = "administer"
    VIEW_DASHBOARD = "view_dashboard"
    CHANGE_OWN_PASSWORD = "change_own_password"  # noqa: S105 - an action name
    MANAGE_CALLS = "manage_calls"
    VIEW_CALL = "view_call"
    CREATE_APPLICATION = "create_application"
    VIEW_APPLICATION = "view_application"
    EDIT_APPLICATION = "edit_application"
    SUBMIT_APPLICATION = "submit_application"
    WITHDRAW_APPLICATION = "withdraw_application"
    SCREEN_APPLICATIONS = "screen_applications"
    MANAGE_ASSIGNMENTS = "manage_assignments"
    VIEW_COMMITTEE = "view_committee"
    DECIDE_FUNDING = "decide_funding"
    REOPEN_REVIEW = "reopen_review"
    VIEW_ASSIGNMENT = "view_assignment"
    SCORE_ASSIGNMENT = "score_assignment"
    DECLARE_CONFLICT = "declare_conflict"
    VIEW_OWN_RESULTS = "view_own_results"
    VIEW_SCORE_SHEET = "view_score_sheet"
    MANAGE_FINANCE = "manage_finance"
    VIEW_FINANCE = "view_finance"
    VIEW_AGREEMENT = "view_agreement"
    VIEW_REPORT = "view_report"
    EDIT_REPORT = "edit_report"
    REVIEW_REPORT = "review_report"
    EDIT_ADMINISTRATION_DETAILS = "edit_administration_details"


# Actions on records the user may not even know exist: refusing them answers 404, not 403.
HIDDEN_WHEN_DENIED = {
    Action.VIEW_APPLICATION,
    Action.VIEW_CALL,
    Action.VIEW_ASSIGNMENT,
    Action.SCORE_ASSIGNMENT,
    Action.DECLARE_CONFLICT,
    Action.VIEW_OWN_RESULTS,
    Action.VIEW_SCORE_SHEET,
    Action.VIEW_AGREEMENT,
    Action.VIEW_REPORT,
    Action.EDIT_REPORT,
}


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


def _manages_calls(user: User, obj: Any) -> bool:
    """Granted if: the user is the committee's chair or secretary, or the admin."""
    return user.has_role(Role.CHAIR, Role.ADMIN)


def _may_view_call(user: User, call: Call) -> bool:
    """Granted if: the call is published, or the user manages calls (drafts too)."""
    return call.status == CallStatus.PUBLISHED or _manages_calls(user, call)


def _is_applicant_of(user: User, app: Application) -> bool:
    return user.has_role(Role.APPLICANT) and user.organisation_id == app.organisation_id


def _may_create_application(user: User, call: Call) -> bool:
    """Granted if: the user is an applicant of an approved library and the call is
    published and taking applications now."""
    org = user.organisation
    return (
        user.has_role(Role.APPLICANT)
        and org is not None
        and org.is_approved
        and call.status == CallStatus.PUBLISHED
        and call.opens_at <= utcnow() < call.closes_at
    )


def _is_assigned(user: User, app: Application) -> bool:
    return user.has_role(Role.REVIEWER) and bool(session.scalar(select(exists().where(
        Assignment.application_id == app.id,
        Assignment.reviewer_id == user.id,
        Assignment.status == AssignmentStatus.ACTIVE,
    ))))


# Funded, and what follows: what finance works with.
FUNDED_STATUSES = (
    ApplicationStatus.FUNDED, ApplicationStatus.UNDER_AGREEMENT, ApplicationStatus.REPORTING,
    ApplicationStatus.COMPLETED,
)


def _may_view_application(user: User, app: Application) -> bool:
    """Granted if: the user is an applicant of the application's library (any state); the
    chair or admin and the application has been submitted (drafts stay private); a
    reviewer holding an active assignment on it; or finance once it is funded."""
    if _is_applicant_of(user, app):
        return True
    if app.status == ApplicationStatus.DRAFT:
        return False
    if user.has_role(Role.FINANCE) and app.status in FUNDED_STATUSES:
        return True
    return user.has_role(Role.CHAIR, Role.ADMIN) or _is_assigned(user, app)


def _is_chair(user: User, obj: Any) -> bool:
    """Granted if: the user is the committee's chair or secretary (screening, assignments,
    decisions, reopening reviews)."""
    return user.has_role(Role.CHAIR)


def _may_view_committee(user: User, obj: Any) -> bool:
    """Granted if: the user is the chair or the admin (rankings, score sheets, protocols)."""
    return user.has_role(Role.CHAIR, Role.ADMIN)


def _owns_assignment(user: User, assignment: Assignment) -> bool:
    """Granted if: the assignment is the user's own and still active (not handed back)."""
    return (
        user.has_role(Role.REVIEWER)
        and assignment.reviewer_id == user.id
        and assignment.status == AssignmentStatus.ACTIVE
    )


def _may_view_score_sheet(user: User, review: Review) -> bool:
    """Granted if: the review is submitted, and the user is the chair or the admin, or the
    reviewer who wrote it."""
    if review.status != ReviewStatus.SUBMITTED:
        return False
    return _may_view_committee(user, review) or (
        user.has_role(Role.REVIEWER) and review.reviewer_id == user.id
    )


def _is_finance(user: User, obj: Any) -> bool:
    """Granted if: the user works in finance (agreements, schedules, payments, exports)."""
    return user.has_role(Role.FINANCE)


def _may_view_finance(user: User, obj: Any) -> bool:
    """Granted if: the user is finance or the committee's chair (the finance pages)."""
    return user.has_role(Role.FINANCE, Role.CHAIR)


def _may_view_agreement(user: User, agreement: Agreement) -> bool:
    """Granted if: the user is an applicant of the funded library, or finance, the chair
    or the admin."""
    return _is_applicant_of(user, agreement.application) or user.has_role(
        Role.FINANCE, Role.CHAIR, Role.ADMIN
    )


def _may_view_report(user: User, report: Report) -> bool:
    """Granted if: the user may see the report's agreement."""
    return _may_view_agreement(user, report.agreement)


def _may_edit_report(user: User, report: Report) -> bool:
    """Granted if: the user is an applicant of the library, and the report is a draft or
    was returned for corrections."""
    return _is_applicant_of(user, report.agreement.application) and report.status in (
        ReportStatus.DRAFT, ReportStatus.RETURNED
    )


def _may_review_report(user: User, report: Report) -> bool:
    """Granted if: the user is finance or the chair, the report has been submitted, and the
    user is not of the report's own library (a library never accepts its own report,
    whatever roles its staff hold)."""
    own_library = (
        user.organisation_id is not None
        and user.organisation_id == report.agreement.application.organisation_id
    )
    return (
        user.has_role(Role.FINANCE, Role.CHAIR)
        and report.status == ReportStatus.SUBMITTED
        and not own_library
    )


def _may_edit_administration_details(user: User, obj: Any) -> bool:
    """Granted if: the user is finance, who prepare the agreements, or the admin, who runs
    the portal (the grantor's details that agreements print)."""
    return user.has_role(Role.FINANCE, Role.ADMIN)


def _may_view_own_results(user: User, app: Application) -> bool:
    """Granted if: the user is an applicant of the application's library and the committee
    has finalised its decisions (scores and comments, without reviewers' names)."""
    return _is_applicant_of(user, app) and app.call.decisions_finalised_at is not None


def _may_edit_application(user: User, app: Application) -> bool:
    """Granted if: the user is an applicant of the application's library, the application
    is a draft, and the call's closing time has not passed."""
    return (
        _is_applicant_of(user, app)
        and app.status == ApplicationStatus.DRAFT
        and utcnow() < app.call.closes_at
    )


def _may_withdraw_application(user: User, app: Application) -> bool:
    """Granted if: the user is an applicant of the application's library and review has not
    started (the application is submitted and not yet screened)."""
    return _is_applicant_of(user, app) and app.status == ApplicationStatus.SUBMITTED


_PREDICATES: dict[Action, Callable[[User, Any], bool]] = {
    Action.ADMINISTER: _is_admin,
    Action.VIEW_DASHBOARD: _may_view_dashboard,
    Action.CHANGE_OWN_PASSWORD: _signed_in,
    Action.MANAGE_CALLS: _manages_calls,
    Action.VIEW_CALL: _may_view_call,
    Action.CREATE_APPLICATION: _may_create_application,
    Action.VIEW_APPLICATION: _may_view_application,
    Action.EDIT_APPLICATION: _may_edit_application,
    Action.SUBMIT_APPLICATION: _may_edit_application,
    Action.WITHDRAW_APPLICATION: _may_withdraw_application,
    Action.SCREEN_APPLICATIONS: _is_chair,
    Action.MANAGE_ASSIGNMENTS: _is_chair,
    Action.DECIDE_FUNDING: _is_chair,
    Action.REOPEN_REVIEW: _is_chair,
    Action.VIEW_COMMITTEE: _may_view_committee,
    Action.VIEW_ASSIGNMENT: _owns_assignment,
    Action.SCORE_ASSIGNMENT: _owns_assignment,
    Action.DECLARE_CONFLICT: _owns_assignment,
    Action.VIEW_OWN_RESULTS: _may_view_own_results,
    Action.VIEW_SCORE_SHEET: _may_view_score_sheet,
    Action.MANAGE_FINANCE: _is_finance,
    Action.VIEW_FINANCE: _may_view_finance,
    Action.VIEW_AGREEMENT: _may_view_agreement,
    Action.VIEW_REPORT: _may_view_report,
    Action.EDIT_REPORT: _may_edit_report,
    Action.REVIEW_REPORT: _may_review_report,
    Action.EDIT_ADMINISTRATION_DETAILS: _may_edit_administration_details,
}


def visible_applications(user: User) -> Select[tuple[Application]]:
    """The applications `user` may see, as a query: the same rule as VIEW_APPLICATION, so a
    list never shows what the detail page would refuse."""
    query = select(Application)
    conditions = []
    if user.has_role(Role.APPLICANT) and user.organisation_id is not None:
        conditions.append(Application.organisation_id == user.organisation_id)
    if user.has_role(Role.CHAIR, Role.ADMIN):
        conditions.append(Application.status != ApplicationStatus.DRAFT)
    if user.has_role(Role.FINANCE):
        conditions.append(Application.status.in_(FUNDED_STATUSES))
    if user.has_role(Role.REVIEWER):
        conditions.append(
            Application.id.in_(
                select(Assignment.application_id).where(
                    Assignment.reviewer_id == user.id,
                    Assignment.status == AssignmentStatus.ACTIVE,
                )
            )
        )
    if not conditions:
        return query.where(false())
    return query.where(or_(*conditions))


def can(user: User | AnonymousUserMixin | None, action: Action, obj: Any = None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return _PREDICATES[action](user, obj)  # type: ignore[arg-type]


def require(user: User | AnonymousUserMixin | None, action: Action, obj: Any = None) -> None:
    """Stop the request unless `can` allows it: anonymous users are sent to sign in; a record
    the user may not see answers 404; any other refusal 403."""
    if user is None or not getattr(user, "is_authenticated", False):
        abort(login_manager.unauthorized())
    if not can(user, action, obj):
        abort(404 if action in HIDDEN_WHEN_DENIED else 403)
