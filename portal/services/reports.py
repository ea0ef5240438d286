"""Reports on a funded project: the library fills in what was done, the indicators reached
and the money spent per budget line (saved with optimistic locking), attaches supporting
documents and submits; finance or the chair accepts the report or returns it with comments,
every round kept. Acceptance releases tranches and, for the final report, completes the
project. Plan against actual, the tolerance rule and the reminders live here too."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.i18n import current_locale
from portal.labels import REPORT_KIND_LABELS, REPORT_STATUS_LABELS
from portal.models import (
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    BudgetCategory,
    BudgetLine,
    Call,
    Report,
    ReportDocument,
    ReportIndicator,
    ReportKind,
    ReportRound,
    ReportSpending,
    ReportStatus,
    Role,
    RoundOutcome,
    Tranche,
    TrancheCondition,
    User,
)
from portal.money import (
    HUNDRED,
    ZERO,
    Sources,
    format_percent,
    percent_of,
    summarise_budget,
)
from portal.permissions import Action, can
from portal.services import jobs
from portal.services.attachments import (
    delete_after_commit,
    format_size,
    store_upload,
    stored_path,
)
from portal.services.audit import record_event
from portal.services.mail import queue_mail
from portal.workflow import apply_transition

# A reminder goes this many days (or fewer) before a report's due date, and one more once
# the date has passed without a submission.
REMIND_BEFORE_DAYS = 7


# --- plan against actual -------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One amount planned and spent: the variance is actual minus plan (negative when less
    was spent), the share used is actual as a percentage of the plan (None when nothing was
    planned)."""

    plan: Decimal
    actual: Decimal

    @property
    def variance(self) -> Decimal:
        return self.actual - self.plan

    @property
    def percent_used(self) -> Decimal | None:
        return percent_of(self.actual, self.plan) if self.plan else None


@dataclass
class PlanActual:
    """Plan and actual of a line, a category or the whole project, by source."""

    plan: Sources = field(default_factory=Sources)
    actual: Sources = field(default_factory=Sources)

    def add(self, plan: Sources, actual: Sources) -> None:
        for target, source in ((self.plan, plan), (self.actual, actual)):
            target.add(source.total, source.requested, source.own, source.partner)

    @property
    def requested(self) -> Figure:
        return Figure(self.plan.requested, self.actual.requested)

    @property
    def own(self) -> Figure:
        return Figure(self.plan.own, self.actual.own)

    @property
    def partner(self) -> Figure:
        return Figure(self.plan.partner, self.actual.partner)

    @property
    def total(self) -> Figure:
        return Figure(self.plan.total, self.actual.total)

    def by_source(self) -> list[tuple[str, Figure]]:
        """The three sources and the total, keyed as the templates name them."""
        return [("requested", self.requested), ("own", self.own),
                ("partner", self.partner), ("total", self.total)]


@dataclass
class LineSpending(PlanActual):
    """A budget line with what the report says was spent on it."""

    number: int = 0  # the line's place in the budget, as the application form numbers it
    line: BudgetLine | None = None
    is_reported: bool = False
    justification: str = ""
    exceeds_tolerance: bool = False

    @property
    def needs_justification(self) -> bool:
        return self.exceeds_tolerance and not self.justification.strip()


@dataclass
class SpendingSummary:
    """Plan against actual of a report, by line, by category and overall (by source)."""

    lines: list[LineSpending]
    by_category: dict[BudgetCategory, PlanActual]
    overall: PlanActual
    tolerance_percent: Decimal
    # The interim report counts spending above the plan only; the final one, both ways.
    counts_underspending: bool

    @property
    def exceeding(self) -> list[LineSpending]:
        return [line for line in self.lines if line.exceeds_tolerance]

    @property
    def unjustified(self) -> list[LineSpending]:
        return [line for line in self.lines if line.needs_justification]


def exceeds_tolerance(
    plan: Decimal, actual: Decimal, tolerance_percent: Decimal, *, counts_underspending: bool
) -> bool:
    """The call's tolerance rule for one budget line: True when its actual total moves away
    from its planned total by more than `tolerance_percent` of the plan (exactly at the
    tolerance is fine). Spending above the plan always counts; spending below it only when
    `counts_underspending` (the final report: an interim report is written before the money
    is all spent). Any spending on a line planned at zero exceeds. Exact, without rounding."""
    deviation = actual - plan
    if not counts_underspending:
        deviation = max(deviation, ZERO)
    return abs(deviation) * HUNDRED > tolerance_percent * plan


def summarise_spending(report: Report) -> SpendingSummary:
    """Plan against actual, computed by the portal: per line from the application's budget
    lines (quantity x unit price, split by source) and what the report says was spent on
    each, summed per category and overall, each by source with its variance and share
    used, and the lines that break the call's tolerance rule. A line the report says
    nothing about yet counts as nothing spent and is not judged by the rule."""
    app = report.agreement.application
    tolerance = app.call.spending_tolerance_percent
    counts_underspending = report.kind == ReportKind.FINAL
    budget = summarise_budget(app.budget_lines)
    spent = {s.budget_line_id: s for s in report.spending}
    lines: list[LineSpending] = []
    by_category: dict[BudgetCategory, PlanActual] = {}
    overall = PlanActual()
    for number, (line, line_total) in enumerate(
        zip(app.budget_lines, budget.line_totals, strict=True), start=1
    ):
        plan = Sources(line.requested_amount, line.own_amount, line.partner_amount, line_total)
        spending = spent.get(line.id)
        actual = Sources()
        if spending is not None:
            actual.add(
                spending.requested_amount + spending.own_amount + spending.partner_amount,
                spending.requested_amount, spending.own_amount, spending.partner_amount,
            )
        row = LineSpending(
            plan=plan, actual=actual, number=number, line=line,
            is_reported=spending is not None,
            justification=spending.justification if spending is not None else "",
            exceeds_tolerance=spending is not None and exceeds_tolerance(
                plan.total, actual.total, tolerance, counts_underspending=counts_underspending
            ),
        )
        lines.append(row)
        by_category.setdefault(line.category, PlanActual()).add(plan, actual)
        overall.add(plan, actual)
    ordered = {c: by_category[c] for c in BudgetCategory if c in by_category}
    return SpendingSummary(lines, ordered, overall, tolerance, counts_underspending)


@dataclass(frozen=True)
class IndicatorResult:
    """An indicator of the application with what the report says was achieved."""

    indicator: Any  # portal.models.Indicator
    achieved: Decimal | None
    comment: str

    @property
    def percent_of_target(self) -> Decimal | None:
        if self.achieved is None or not self.indicator.target:
            return None
        return percent_of(self.achieved, self.indicator.target)


def indicator_results(report: Report) -> list[IndicatorResult]:
    """Every indicator of the application, in its order, with the value reported."""
    reported = {r.indicator_id: r for r in report.results}
    return [
        IndicatorResult(i, reported[i.id].achieved if i.id in reported else None,
                        reported[i.id].comment if i.id in reported else "")
        for i in report.agreement.application.indicators
    ]


# --- what stops a submission -----------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    section: str  # narrative, indicators, spending
    anchor: str  # the id of the row on the report's page
    message: str


def line_label(row: LineSpending) -> str:
    assert row.line is not None
    return str(_l("line %(n)d “%(item)s”", n=row.number, item=row.line.item))


def report_problems(report: Report, summary: SpendingSummary | None = None) -> list[Problem]:
    """Everything that stops `report` from being submitted, in the order of the page: the
    narrative, each indicator's achieved value, the spending on every budget line (zero is
    an answer, nothing is not) and a justification on every line beyond the tolerance."""
    summary = summary or summarise_spending(report)
    problems: list[Problem] = []
    if not report.narrative.strip():
        problems.append(Problem("narrative", "narrative", str(_l("Describe what was done."))))
    for result in indicator_results(report):
        if result.achieved is None:
            problems.append(Problem(
                "indicators", f"indicator-{result.indicator.id}",
                str(_l("Give the value achieved for the indicator “%(name)s”.",
                       name=result.indicator.name))))
    for row in summary.lines:
        if not row.is_reported:
            problems.append(Problem(
                "spending", f"spending-line-{row.number}",
                str(_l("Give the spending on %(line)s (0 when nothing was spent on it).",
                       line=line_label(row)))))
    tolerance = format_percent(summary.tolerance_percent, current_locale())
    for row in summary.unjustified:
        problems.append(Problem(
            "spending", f"spending-line-{row.number}",
            str(_l("The spending on %(line)s differs from the plan by more than the call's "
                   "tolerance of %(tolerance)s: give a justification.",
                   line=line_label(row), tolerance=tolerance))))
    return problems


# --- the library edits ------------------------------------------------------------------------


class StaleReportError(ConflictError):
    """Someone saved the report after this form was opened; the form keeps what its user
    typed and carries the current version, so saving again overwrites knowingly."""

    def __init__(self, report: Report) -> None:
        super().__init__(
            _l("Someone saved this report after you opened this page. What you typed is kept "
               "below; compare it with what is saved now and save again.")
        )
        self.current_version = report.version


def ensure_report_editable(report: Report) -> None:
    """Raise ConflictError, with the reason, unless the report is a draft or was returned."""
    if report.status == ReportStatus.SUBMITTED:
        raise ConflictError(_l("This report has been submitted and is being checked; it can "
                               "be changed again only if it is returned."))
    if report.status == ReportStatus.ACCEPTED:
        raise ConflictError(_l("This report has been accepted and can no longer be changed."))


def _begin_edit(report: Report, actor: User, expected_version: int | None) -> None:
    """The checks of every change by the library: the state (ConflictError), the right
    (PermissionError) and, for the sections, the version the form was opened at."""
    ensure_report_editable(report)
    if not can(actor, Action.EDIT_REPORT, report):
        raise PermissionError("edit report")
    if expected_version is not None and report.version != expected_version:
        raise StaleReportError(report)


def _touch(report: Report) -> None:
    # Updating the report's row raises its version, even when only its rows below changed.
    report.updated_at = utcnow()


def save_narrative(
    session: Session, report: Report, narrative: str, *, expected_version: int, actor: User
) -> None:
    """Save what was done. A draft is saved as it is; a save based on an older version of
    the report is refused (StaleReportError)."""
    _begin_edit(report, actor, expected_version)
    report.narrative = (narrative or "").strip()
    _touch(report)
    session.flush()


def save_indicator_results(
    session: Session,
    report: Report,
    rows: Sequence[dict[str, Any]],
    *,
    expected_version: int,
    actor: User,
) -> None:
    """Save the achieved values: `rows` hold `indicator_id`, `achieved` (None when not known
    yet) and `comment`. Only the application's own indicators are accepted."""
    _begin_edit(report, actor, expected_version)
    known = {i.id for i in report.agreement.application.indicators}
    if any(row["indicator_id"] not in known for row in rows):
        raise ConflictError(_l("The project's indicators are not those of this form. Reload "
                               "the page and enter the values again."))
    existing = {r.indicator_id: r for r in report.results}
    for row in rows:
        comment = (row.get("comment") or "").strip()
        current = existing.get(row["indicator_id"])
        if row.get("achieved") is None and not comment:
            if current is not None:
                report.results.remove(current)
            continue
        if current is None:
            current = ReportIndicator(indicator_id=row["indicator_id"])
            report.results.append(current)
        current.achieved = row.get("achieved")
        current.comment = comment
    _touch(report)
    session.flush()


SOURCE_FIELDS = ("requested_amount", "own_amount", "partner_amount")


def save_spending(
    session: Session,
    report: Report,
    rows: Sequence[dict[str, Any]],
    *,
    expected_version: int,
    actor: User,
) -> None:
    """Save the actual spending: `rows` hold `budget_line_id`, the three sources (None when
    not given) and `justification`. A row with no amount at all says nothing about its line
    yet; a row with any amount is reported, the others counting as zero. Only the
    application's own budget lines are accepted; a justification without amounts is
    refused, so that nothing typed is dropped."""
    _begin_edit(report, actor, expected_version)
    known = {line.id for line in report.agreement.application.budget_lines}
    if any(row["budget_line_id"] not in known for row in rows):
        raise ConflictError(_l("The project's budget lines are not those of this form. Reload "
                               "the page and enter the spending again."))
    existing = {s.budget_line_id: s for s in report.spending}
    for row in rows:
        justification = (row.get("justification") or "").strip()
        current = existing.get(row["budget_line_id"])
        if all(row.get(name) is None for name in SOURCE_FIELDS):
            if justification:
                raise DomainError(_l("Give the amounts spent on a line (0 when nothing was "
                                     "spent) before its justification."))
            if current is not None:
                report.spending.remove(current)
            continue
        if current is None:
            current = ReportSpending(budget_line_id=row["budget_line_id"])
            report.spending.append(current)
        for name in SOURCE_FIELDS:
            setattr(current, name, row.get(name) or ZERO)
        current.justification = justification
    _touch(report)
    session.flush()


def documents_size(session: Session, report: Report) -> int:
    """What the report's supporting documents take up together."""
    total = session.scalar(
        select(func.coalesce(func.sum(ReportDocument.size_bytes), 0)).where(
            ReportDocument.report_id == report.id
        )
    )
    return int(total or 0)


def add_report_document(
    session: Session,
    report: Report,
    file_storage: FileStorage,
    *,
    actor: User,
    upload_dir: str | os.PathLike[str],
) -> ReportDocument:
    """Attach a supporting document (acts, invoices, photos) to a report the library may
    change, with the rules of application attachments: PDF, DOCX, XLSX, JPEG or PNG by
    content, at most ATTACHMENT_MAX_BYTES each and ATTACHMENTS_MAX_TOTAL_BYTES for the
    report's documents together. Raises ConflictError when the report can no longer change,
    PermissionError when the actor may not edit it, DomainError (on `file`) when the file is
    refused; a refused file leaves nothing behind."""
    _begin_edit(report, actor, None)
    config = current_app.config
    max_total = config["ATTACHMENTS_MAX_TOTAL_BYTES"]
    # Two uploads at once must not both fit into the same room: hold the report's row.
    session.execute(select(Report.id).where(Report.id == report.id).with_for_update())
    used = documents_size(session, report)

    def check_room(size: int) -> None:
        if used + size > max_total:
            raise DomainError(
                _l("The documents of a report may take %(limit)s in all; %(left)s is left and "
                   "this file takes %(size)s. Remove a file or upload a smaller one.",
                   limit=format_size(max_total), left=format_size(max(0, max_total - used)),
                   size=format_size(size)),
                field="file",
            )

    stored = store_upload(session, file_storage, upload_dir=upload_dir,
                          max_bytes=config["ATTACHMENT_MAX_BYTES"], check_size=check_room)
    document = ReportDocument(
        original_name=stored.original_name,
        stored_name=stored.stored_name,
        content_type=stored.file_type.content_type,
        size_bytes=stored.size_bytes,
        sha256=stored.sha256,
        uploaded_by_id=actor.id,
    )
    report.documents.append(document)
    session.flush()
    record_event(session, actor=actor, action="report.document_added", obj=report,
                 details=_document_details(document))
    return document


def remove_report_document(
    session: Session,
    document: ReportDocument,
    *,
    actor: User,
    upload_dir: str | os.PathLike[str],
) -> None:
    """Remove a supporting document from a report the library may change; its file is
    deleted once the removal is committed. Raises as add_report_document does."""
    report = document.report
    _begin_edit(report, actor, None)
    details = _document_details(document)
    report.documents.remove(document)
    session.flush()
    record_event(session, actor=actor, action="report.document_removed", obj=report,
                 details=details)
    delete_after_commit(session, stored_path(upload_dir, document))  # type: ignore[arg-type]


def _document_details(document: ReportDocument) -> dict[str, Any]:
    return {
        "document_id": document.id,
        "name": document.original_name,
        "content_type": document.content_type,
        "size_bytes": document.size_bytes,
        "sha256": document.sha256,
    }


# --- submission and review ----------------------------------------------------------------------


def _library_applicants(session: Session, report: Report) -> list[User]:
    return list(session.scalars(
        select(User).where(
            User.organisation_id == report.agreement.application.organisation_id,
            User.is_enabled.is_(True),
            User.role_rows.any(role=Role.APPLICANT),
        ).order_by(User.id)
    ))


def _report_checkers(session: Session) -> list[User]:
    """Finance and the chair: who accepts or returns reports."""
    return list(session.scalars(
        select(User).where(
            User.is_enabled.is_(True),
            or_(User.role_rows.any(role=Role.FINANCE), User.role_rows.any(role=Role.CHAIR)),
        ).order_by(User.id)
    ))


def kind_label(report: Report) -> Any:
    return REPORT_KIND_LABELS[report.kind]


def submit_report(
    session: Session, report: Report, *, actor: User, now: datetime | None = None
) -> ReportRound:
    """The library submits a complete report (a draft, or a returned one after corrections)
    under a signed agreement: a new round is opened, the report becomes unchangeable until
    it is returned, the submission is audited and finance and the chair are e-mailed.
    Raises ConflictError for a report in another state or an unsigned agreement,
    PermissionError for anyone but the library's applicants, and DomainError naming
    everything that is missing (the lines without spending or without a justification
    they need)."""
    now = now or utcnow()
    _begin_edit(report, actor, None)
    if report.agreement.status != AgreementStatus.SIGNED:
        raise ConflictError(_l("The agreement has not been signed yet; reports are submitted "
                               "under a signed agreement."))
    problems = report_problems(report)
    if problems:
        raise DomainError(
            _l("The report cannot be submitted yet. %(problems)s",
               problems=" ".join(p.message for p in problems))
        )
    previous = report.status
    report.status = ReportStatus.SUBMITTED
    report.submitted_at = now
    report.updated_at = now
    # The report's row first: of two submissions at once, the second finds a newer version.
    session.flush()
    submission = ReportRound(number=len(report.rounds) + 1, submitted_at=now,
                             submitted_by_id=actor.id)
    report.rounds.append(submission)
    session.flush()
    record_event(session, actor=actor, action="report.submitted", obj=report,
                 from_state=previous, to_state=report.status,
                 details={"round": submission.number})
    app = report.agreement.application
    for user in _report_checkers(session):
        queue_mail(
            session, to=user,
            subject=_l("A report to check: %(number)s", number=app.registration_number),
            template="report_submitted", report=report, application=app, round=submission,
        )
    return submission


def ensure_reviewable(report: Report) -> None:
    """Raise ConflictError unless the report is submitted and waits for a decision."""
    if report.status != ReportStatus.SUBMITTED:
        raise ConflictError(
            _l("Only a submitted report can be accepted or returned; this one is %(status)s.",
               status=REPORT_STATUS_LABELS[report.status])
        )


def _begin_review(report: Report, actor: User) -> ReportRound:
    ensure_reviewable(report)
    if not can(actor, Action.REVIEW_REPORT, report):
        raise PermissionError("review report")
    open_rounds = [r for r in report.rounds if r.outcome is None]
    if not open_rounds:  # pragma: no cover - submission always opens one
        raise ConflictError(_l("This report has no submission waiting for a decision."))
    return open_rounds[-1]


def _decide(report_round: ReportRound, outcome: RoundOutcome, comment: str, actor: User,
            now: datetime) -> None:
    report_round.outcome = outcome
    report_round.comment = comment
    report_round.decided_at = now
    report_round.decided_by_id = actor.id


def accept_report(
    session: Session,
    report: Report,
    *,
    actor: User,
    comment: str = "",
    now: datetime | None = None,
) -> list[Tranche]:
    """Finance or the chair accepts a submitted report, with an optional comment. The round
    records the outcome; an accepted interim report releases the next tranche due after an
    interim report (all that remain, when no other interim report is left to accept); an
    accepted final report releases the tranches due after it and completes the project.
    The final report is accepted only after every other report of the agreement.

    Completion: the application is completed from `reporting`. When no payment has been
    recorded yet (the application is still `under_agreement`, as with a schedule that pays
    nothing before the final report), it passes through `reporting` first, both steps
    audited, so that an accepted final report always completes its project.

    Raises ConflictError (the state), PermissionError (not finance or the chair; never the
    library itself). Returns the tranches released. The library is e-mailed, and the
    accepted report is rendered into the document store once the transaction commits."""
    now = now or utcnow()
    open_round = _begin_review(report, actor)
    agreement = report.agreement
    if report.kind == ReportKind.FINAL:
        pending = [r for r in agreement.reports
                   if r.id != report.id and r.status != ReportStatus.ACCEPTED]
        if pending:
            raise ConflictError(
                _l("Accept the %(kind)s due on %(date)s first: the final report completes "
                   "the project.", kind=kind_label(pending[0]),
                   date=pending[0].due_date.strftime("%d.%m.%Y"))
            )
    comment = (comment or "").strip()
    _decide(open_round, RoundOutcome.ACCEPTED, comment, actor, now)
    previous = report.status
    report.status = ReportStatus.ACCEPTED
    report.accepted_at = now
    report.updated_at = now
    session.flush()
    record_event(session, actor=actor, action="report.accepted", obj=report,
                 from_state=previous, to_state=report.status, reason=comment,
                 details={"round": open_round.number})
    released = _release_tranches(session, report, actor, now)
    if report.kind == ReportKind.FINAL:
        _complete_project(session, agreement.application, actor, now)
    _tell_library(session, report, "report_accepted",
                  _l("Your report has been accepted: %(number)s",
                     number=agreement.application.registration_number),
                  comment=comment, released=released)
    jobs.prerender_after_commit(session, jobs.REPORT_DOCUMENT, report.id)
    return released


def _release_tranches(session: Session, report: Report, actor: User,
                      now: datetime) -> list[Tranche]:
    """The tranches whose condition this accepted report meets, released now."""
    agreement = report.agreement
    if report.kind == ReportKind.FINAL:
        condition = TrancheCondition.AFTER_FINAL_REPORT
    else:
        condition = TrancheCondition.AFTER_INTERIM_REPORT
    waiting = [t for t in agreement.tranches
               if t.condition == condition and t.released_at is None]
    interim_left = [r for r in agreement.reports
                    if r.kind == ReportKind.INTERIM and r.status != ReportStatus.ACCEPTED]
    if report.kind == ReportKind.INTERIM and interim_left:
        waiting = waiting[:1]  # one interim report, one tranche; the last interim, the rest
    for tranche in waiting:
        tranche.released_at = now
        record_event(session, actor=actor, action="tranche.released", obj=tranche,
                     details={"agreement": agreement.number, "number": tranche.number,
                              "report_id": report.id})
    session.flush()
    return waiting


def _complete_project(session: Session, app: Application, actor: User, now: datetime) -> None:
    if app.status == ApplicationStatus.UNDER_AGREEMENT:
        apply_transition(session, app, "start_reporting", actor=actor, now=now,
                         reason=str(_l("The final report was accepted before any payment "
                                       "was recorded.")))
    if app.status == ApplicationStatus.REPORTING:
        apply_transition(session, app, "complete", actor=actor, now=now)


def return_report(
    session: Session,
    report: Report,
    *,
    actor: User,
    comment: str,
    now: datetime | None = None,
) -> None:
    """Finance or the chair returns a submitted report to the library with comments on
    what to correct (required); the library corrects it and submits it again. Raises as
    accept_report does, and DomainError (on `comment`) without a comment."""
    now = now or utcnow()
    open_round = _begin_review(report, actor)
    comment = (comment or "").strip()
    if not comment:
        raise DomainError(_l("Say what the library should correct."), field="comment")
    _decide(open_round, RoundOutcome.RETURNED, comment, actor, now)
    previous = report.status
    report.status = ReportStatus.RETURNED
    report.updated_at = now
    session.flush()
    record_event(session, actor=actor, action="report.returned", obj=report,
                 from_state=previous, to_state=report.status, reason=comment,
                 details={"round": open_round.number})
    _tell_library(session, report, "report_returned",
                  _l("Your report has been returned for corrections: %(number)s",
                     number=report.agreement.application.registration_number),
                  comment=comment)


def _tell_library(session: Session, report: Report, template: str, subject: Any,
                  **context: Any) -> None:
    app = report.agreement.application
    for user in _library_applicants(session, report):
        queue_mail(session, to=user, subject=subject, template=template, report=report,
                   application=app, **context)


# --- reminders -------------------------------------------------------------------------------


def send_report_reminders(session: Session, now: datetime | None = None) -> int:
    """E-mail the library's applicants about each report not yet submitted under a signed
    agreement: once when its due date is REMIND_BEFORE_DAYS days away or nearer, and once
    when the date has passed (overdue), counted in the call's time zone. Each reminder is
    stamped on the report (reminded_before_at, reminded_after_at) and never sent again, so
    running this twice sends nothing twice; a report first seen overdue gets the overdue
    message only. The stamps do not raise the report's version: a library member editing
    the report meanwhile keeps their form. Returns how many e-mails were written."""
    now = now or utcnow()
    # A rough window in SQL (time zones are at most a day apart); the exact day below.
    soon = now.date() + timedelta(days=REMIND_BEFORE_DAYS + 1)
    rows = session.execute(
        select(Report, Call)
        .join(Agreement, Report.agreement_id == Agreement.id)
        .join(Application, Agreement.application_id == Application.id)
        .join(Call, Application.call_id == Call.id)
        .where(
            Report.status == ReportStatus.DRAFT,
            Agreement.status == AgreementStatus.SIGNED,
            or_(
                Report.reminded_after_at.is_(None) & (Report.due_date <= now.date()),
                Report.reminded_before_at.is_(None) & (Report.due_date <= soon),
            ),
        )
        .order_by(Report.due_date, Report.id)
        .with_for_update(of=Report)
    ).all()
    before: list[Report] = []
    after: list[Report] = []
    for report, call in rows:
        today = now.astimezone(ZoneInfo(call.timezone)).date()
        days = (report.due_date - today).days
        if days < 0 and report.reminded_after_at is None:
            after.append(report)
        elif 0 <= days <= REMIND_BEFORE_DAYS and report.reminded_before_at is None:
            before.append(report)
    sent = 0
    for reports, template, column in (
        (before, "report_due_soon", "reminded_before_at"),
        (after, "report_overdue", "reminded_after_at"),
    ):
        for report in reports:
            sent += _remind(session, report, template)
        if reports:
            session.execute(
                update(Report).where(Report.id.in_([r.id for r in reports]))
                .values({column: now})
            )
    session.flush()
    return sent


def _remind(session: Session, report: Report, template: str) -> int:
    app = report.agreement.application
    due = report.due_date.strftime("%d.%m.%Y")
    if template == "report_overdue":
        subject = _l("Overdue: the %(kind)s of %(number)s was due on %(date)s",
                     kind=kind_label(report), number=app.registration_number, date=due)
    else:
        subject = _l("Due on %(date)s: the %(kind)s of %(number)s",
                     kind=kind_label(report), number=app.registration_number, date=due)
    recipients = _library_applicants(session, report)
    for user in recipients:
        queue_mail(session, to=user, subject=subject, template=template, report=report,
                   application=app, due_date=report.due_date)
    return len(recipients)


# How many of a library's reports due its dashboard lists, the earliest first; the rest are
# on their projects' pages.
DUE_REPORTS_SHOWN = 10


@dataclass(frozen=True)
class DueReports:
    rows: list[Any]  # id, kind, status, due_date, registration_number, title
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.rows)


def due_reports_of(session: Session, organisation_id: int) -> DueReports:
    """The reports a library still has to submit or correct under its signed agreements,
    the earliest due first: the first DUE_REPORTS_SHOWN with what the dashboard shows of
    each and of its project, and how many there are in all (one statement)."""
    rows = session.execute(
        select(Report.id, Report.kind, Report.status, Report.due_date,
               Application.registration_number, Application.title,
               func.count().over().label("total"))
        .join(Agreement, Agreement.id == Report.agreement_id)
        .join(Application, Application.id == Agreement.application_id)
        .where(
            Application.organisation_id == organisation_id,
            Agreement.status == AgreementStatus.SIGNED,
            Report.status.in_([ReportStatus.DRAFT, ReportStatus.RETURNED]),
        )
        .order_by(Report.due_date, Report.id)
        .limit(DUE_REPORTS_SHOWN)
    ).all()
    return DueReports(list(rows), int(rows[0].total) if rows else 0)
