"""Grant agreements: preparing one for a funded application (its number, the approved amount,
the default payment schedule and the reports), changing the schedule before signing, signing
(the application moves to "under agreement", the advance is released) with the signed scan,
and the administration's details that agreements print. Every change is audited."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.i18n import current_locale
from portal.models import (
    AdministrationDetails,
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    Call,
    Decision,
    DecisionOutcome,
    Report,
    ReportKind,
    Tranche,
    TrancheCondition,
    User,
)
from portal.money import KOPECK, format_money
from portal.permissions import Action, can
from portal.services import jobs
from portal.services.attachments import (
    JPEG,
    PDF,
    PNG,
    StoredUpload,
    delete_after_commit,
    store_upload,
)
from portal.services.audit import record_event
from portal.services.organisations import clean_organisation_data
from portal.workflow import apply_transition

# The default schedule: this share of the approved amount as an advance on signing (rounded
# down to the kopeck), the rest after the interim report is accepted (after the final report
# when the call has no interim reporting date).
ADVANCE_PERCENT = Decimal(50)
# A tranche that follows a report is planned this many days after the report's date: the
# time to check the report and to pay.
DAYS_TO_PAY_AFTER_REPORT = 30
MAX_TRANCHES = 24

# A scan of a signed paper: a PDF or a picture.
SCAN_TYPES = (PDF, JPEG, PNG)
SCAN_NOT_ACCEPTED = _l(
    "The scan must be a PDF, JPEG or PNG file. Its content is checked, not its name: save the "
    "scan in one of these formats and upload it again."
)

# The administration's details: the same fields, and the same checks, as an organisation's.
ADMINISTRATION_FIELDS = (
    "full_name", "short_name", "inn", "kpp", "ogrn", "address", "head_name", "head_position",
    "bank_name", "bik", "settlement_account", "correspondent_account",
)

ScheduleRow = tuple[date, Decimal, TrancheCondition | str]


def _money(amount: Decimal) -> str:
    return format_money(amount, current_locale())


def _require_finance(actor: User) -> None:
    if not can(actor, Action.MANAGE_FINANCE):
        raise PermissionError("manage_finance")


def _lock(session: Session, agreement: Agreement) -> None:
    """Hold the agreement's row and read it again as committed, so that two people signing
    or changing the schedule at once act one after the other, the second seeing the first's
    change (on SQLite every writing transaction already runs alone: BEGIN IMMEDIATE)."""
    session.execute(
        select(Agreement).where(Agreement.id == agreement.id).with_for_update()
        .execution_options(populate_existing=True)
    )


# --- reading ------------------------------------------------------------------------------


def agreement_of(session: Session, application: Application) -> Agreement | None:
    return session.scalar(select(Agreement).where(Agreement.application_id == application.id))


def funded_decision(session: Session, application: Application) -> Decision | None:
    """The committee's decision to fund the application, if it stands."""
    return session.scalar(select(Decision).where(
        Decision.application_id == application.id, Decision.outcome == DecisionOutcome.FUNDED
    ))


def administration_details(session: Session) -> AdministrationDetails | None:
    """The grantor's details (the one row; the first, should a second ever appear)."""
    return session.scalars(
        select(AdministrationDetails).order_by(AdministrationDetails.id).limit(1)
    ).first()


def administration_complete(details: AdministrationDetails | None) -> bool:
    """Whether the details an agreement needs of the grantor are filled in."""
    return details is not None and bool(details.full_name and details.inn and details.bik
                                        and details.settlement_account)


def scan_path(upload_dir: str | os.PathLike[str], agreement: Agreement) -> Path:
    if not agreement.scan_stored_name:
        raise ValueError("the agreement has no scan")
    return Path(upload_dir) / agreement.scan_stored_name


# --- the defaults ---------------------------------------------------------------------------


def default_reports(call: Call) -> list[tuple[ReportKind, date]]:
    """One report per reporting date of the call, in date order, the last one final; a
    single final report at the end of the implementation period when the call has none."""
    dates = sorted({date.fromisoformat(d) for d in call.reporting_dates or []})
    dates = dates or [call.implementation_end]
    return [
        (ReportKind.FINAL if n == len(dates) - 1 else ReportKind.INTERIM, due)
        for n, due in enumerate(dates)
    ]


def default_schedule(
    amount: Decimal, call: Call, reports: Sequence[tuple[ReportKind, date]], today: date
) -> list[tuple[date, Decimal, TrancheCondition]]:
    """ADVANCE_PERCENT of `amount` on signing, due when implementation starts (or today, if
    it has started); the rest after the first interim report is accepted, or after the final
    report without one, due DAYS_TO_PAY_AFTER_REPORT days after that report's date. A tranche
    that would be 0 (an amount of one kopeck) is left out."""
    advance = (amount * ADVANCE_PERCENT / 100).quantize(KOPECK, rounding=ROUND_DOWN)
    interim = [due for kind, due in reports if kind == ReportKind.INTERIM]
    if interim:
        condition, report_date = TrancheCondition.AFTER_INTERIM_REPORT, interim[0]
    else:
        condition = TrancheCondition.AFTER_FINAL_REPORT
        report_date = next(due for kind, due in reports if kind == ReportKind.FINAL)
    rows = [
        (max(today, call.implementation_start), advance, TrancheCondition.ON_SIGNING),
        (report_date + timedelta(days=DAYS_TO_PAY_AFTER_REPORT), amount - advance, condition),
    ]
    return [row for row in rows if row[1] > 0]


# --- checks ---------------------------------------------------------------------------------


def _check_schedule(
    agreement: Agreement, rows: Sequence[ScheduleRow]
) -> list[tuple[date, Decimal, TrancheCondition]]:
    """Each tranche has a date, a condition and an amount of more than 0 in whole kopecks;
    a tranche after an interim report needs an interim report; together they make the
    approved amount to the kopeck. Returns the rows normalised; raises DomainError."""
    if not rows:
        raise DomainError(_l("Give at least one tranche."))
    if len(rows) > MAX_TRANCHES:
        raise DomainError(_l("A schedule has at most %(n)d tranches.", n=MAX_TRANCHES))
    has_interim = any(r.kind == ReportKind.INTERIM for r in agreement.reports)
    cleaned = []
    for number, (due_date, amount, condition) in enumerate(rows, start=1):
        if not isinstance(due_date, date):
            raise DomainError(_l("Tranche %(n)d has no date.", n=number))
        if not isinstance(amount, Decimal) or amount <= 0 or amount != amount.quantize(KOPECK):
            raise DomainError(
                _l("Tranche %(n)d needs an amount of more than 0, in whole kopecks.", n=number)
            )
        try:
            condition = TrancheCondition(condition)
        except ValueError:
            raise DomainError(_l("Tranche %(n)d has no valid condition.", n=number)) from None
        if condition == TrancheCondition.AFTER_INTERIM_REPORT and not has_interim:
            raise DomainError(
                _l("Tranche %(n)d follows an interim report, but this agreement has none: "
                   "choose the final report or a date.", n=number)
            )
        cleaned.append((due_date, amount, condition))
    _check_adds_up(agreement, (amount for _due, amount, _c in cleaned))
    return cleaned


def _check_adds_up(agreement: Agreement, amounts: Iterable[Decimal]) -> None:
    total = sum(amounts, Decimal("0.00"))
    if total != agreement.amount:
        raise DomainError(
            _l("The tranches add up to %(total)s, but the approved amount is %(amount)s (a "
               "difference of %(difference)s). Change the tranches so that they add up to the "
               "approved amount to the kopeck.",
               total=_money(total), amount=_money(agreement.amount),
               difference=_money(abs(total - agreement.amount)))
        )


def _tranche_details(tranches: Iterable[Tranche]) -> list[dict[str, Any]]:
    return [
        {"number": t.number, "due_date": t.due_date.isoformat(), "amount": str(t.amount),
         "condition": TrancheCondition(t.condition).value}
        for t in tranches
    ]


def _tranches(rows: Sequence[tuple[date, Decimal, TrancheCondition]]) -> list[Tranche]:
    """Numbered in date order (rows with one date keep the order they were given in)."""
    ordered = sorted(rows, key=lambda row: row[0])
    return [
        Tranche(number=n, due_date=due, amount=amount, condition=condition)
        for n, (due, amount, condition) in enumerate(ordered, start=1)
    ]


# --- the use cases --------------------------------------------------------------------------


def prepare_agreement(
    session: Session, application: Application, *, actor: User, today: date | None = None
) -> Agreement:
    """Prepare the agreement of a funded application, by finance: number `С-<registration
    number>`, the approved amount, the default schedule (default_schedule) and a report per
    reporting date (default_reports). Raises PermissionError for anyone but finance and
    ConflictError when the application is not funded or already has its agreement."""
    _require_finance(actor)
    # Two people preparing at once: the second waits here and then finds the first's.
    session.execute(
        select(Application.id).where(Application.id == application.id).with_for_update()
    )
    if agreement_of(session, application) is not None:
        raise ConflictError(_l("The agreement of this application has already been prepared."))
    decision = funded_decision(session, application)
    if (application.status != ApplicationStatus.FUNDED or decision is None
            or decision.approved_amount is None):
        raise ConflictError(_l("An agreement is prepared for a funded application only."))
    call = application.call
    reports = default_reports(call)
    agreement = Agreement(
        application=application, number=f"С-{application.registration_number}",
        amount=decision.approved_amount,
    )
    agreement.reports = [Report(kind=kind, due_date=due) for kind, due in reports]
    agreement.tranches = _tranches(default_schedule(
        decision.approved_amount, call, reports, today or utcnow().date()
    ))
    session.add(agreement)
    session.flush()
    record_event(
        session, actor=actor, action="agreement.prepared", obj=agreement,
        to_state=AgreementStatus.DRAFT,
        details={"application_id": application.id, "number": agreement.number,
                 "amount": str(agreement.amount),
                 "tranches": _tranche_details(agreement.tranches),
                 "reports": [{"kind": k.value, "due_date": d.isoformat()} for k, d in reports]},
    )
    return agreement


def set_schedule(
    session: Session, agreement: Agreement, tranches: Sequence[ScheduleRow], *, actor: User
) -> Agreement:
    """Replace the payment schedule of an agreement that is not signed yet, by finance:
    `tranches` are (due date, amount, condition). Once signed, the schedule is part of the
    signed paper and stays as it is (a change would be a supplementary agreement, which the
    portal does not do). Raises PermissionError for anyone but finance, ConflictError once
    signed, and DomainError when the tranches do not add up to the approved amount to the
    kopeck (giving both figures) or a tranche is incomplete."""
    _require_finance(actor)
    _lock(session, agreement)
    if agreement.status != AgreementStatus.DRAFT:
        raise ConflictError(
            _l("The agreement is signed: its payment schedule can no longer change.")
        )
    rows = _check_schedule(agreement, tranches)
    before = _tranche_details(agreement.tranches)
    # The old rows go first: the new ones take the same numbers.
    agreement.tranches.clear()
    session.flush()
    agreement.tranches.extend(_tranches(rows))
    session.flush()
    record_event(
        session, actor=actor, action="agreement.schedule_changed", obj=agreement,
        details={"before": before, "after": _tranche_details(agreement.tranches)},
    )
    return agreement


def _store_scan(
    session: Session, scan: FileStorage, upload_dir: str | os.PathLike[str]
) -> StoredUpload:
    """Write the scan with the upload rules of attachments, narrowed to SCAN_TYPES."""
    return store_upload(
        session, scan, upload_dir=upload_dir,
        max_bytes=current_app.config["ATTACHMENT_MAX_BYTES"], accepted=SCAN_TYPES,
        not_accepted=str(SCAN_NOT_ACCEPTED),
    )


def _attach_scan(session: Session, agreement: Agreement, stored: StoredUpload, *, actor: User,
                 upload_dir: str | os.PathLike[str]) -> None:
    replaced = agreement.scan_original_name
    if agreement.scan_stored_name:
        delete_after_commit(session, scan_path(upload_dir, agreement))
    agreement.scan_stored_name = stored.stored_name
    agreement.scan_original_name = stored.original_name
    agreement.scan_content_type = stored.file_type.content_type
    agreement.scan_size_bytes = stored.size_bytes
    session.flush()
    record_event(
        session, actor=actor, action="agreement.scan_uploaded", obj=agreement,
        details={"name": stored.original_name, "content_type": stored.file_type.content_type,
                 "size_bytes": stored.size_bytes, "sha256": stored.sha256,
                 "replaced": replaced},
    )


def sign_agreement(
    session: Session,
    agreement: Agreement,
    *,
    actor: User,
    scan: FileStorage | None = None,
    upload_dir: str | os.PathLike[str] | None = None,
    now: datetime | None = None,
) -> Agreement:
    """Record that the agreement was signed, by finance: it becomes signed (signed_at, by
    whom), its on-signing tranches are released for payment, and the application moves from
    funded to under agreement. The signed scan, when given, is stored with the rules of
    attachments (PDF, JPEG or PNG by content). Raises PermissionError for anyone but
    finance; ConflictError when it is signed already or the application is no longer
    funded; DomainError when the administration's details are missing, the schedule does not
    add up, or the scan is refused (nothing is changed then). The signed agreement is
    rendered into the document store once the transaction commits."""
    _require_finance(actor)
    _lock(session, agreement)
    if agreement.status != AgreementStatus.DRAFT:
        raise ConflictError(_l("The agreement is already signed."))
    if not administration_complete(administration_details(session)):
        raise DomainError(
            _l("Fill in the administration's details on the settings page first: the "
               "agreement names both parties and their bank details.")
        )
    if agreement.application.status != ApplicationStatus.FUNDED:
        raise ConflictError(_l("Only the agreement of a funded application can be signed."))
    _check_adds_up(agreement, (t.amount for t in agreement.tranches))
    stored = None
    if scan is not None:
        if upload_dir is None:
            raise ValueError("upload_dir is needed to store a scan")
        stored = _store_scan(session, scan, upload_dir)
    now = now or utcnow()
    apply_transition(session, agreement.application, "sign_agreement", actor=actor, now=now)
    agreement.status = AgreementStatus.SIGNED
    agreement.signed_at = now
    agreement.signed_by_id = actor.id
    released = []
    # Tranches that wait for nothing but signing or their date may be paid from now on
    # (finance pays a dated one on its date; the dashboard marks it overdue after).
    unconditional = (TrancheCondition.ON_SIGNING, TrancheCondition.ON_DATE)
    for tranche in agreement.tranches:
        if tranche.condition in unconditional and tranche.released_at is None:
            tranche.released_at = now
            released.append(tranche.number)
    session.flush()
    record_event(
        session, actor=actor, action="agreement.signed", obj=agreement,
        from_state=AgreementStatus.DRAFT, to_state=AgreementStatus.SIGNED,
        details={"application_id": agreement.application_id,
                 "released_tranches": released},
    )
    if stored is not None and upload_dir is not None:
        _attach_scan(session, agreement, stored, actor=actor, upload_dir=upload_dir)
    jobs.prerender_after_commit(session, jobs.AGREEMENT_DOCUMENT, agreement.id)
    return agreement


def upload_scan(
    session: Session, agreement: Agreement, scan: FileStorage, *, actor: User,
    upload_dir: str | os.PathLike[str],
) -> Agreement:
    """Store the scan of a signed agreement, by finance, replacing an earlier one (whose file
    is deleted when this is committed). Same rules as sign_agreement's scan. Raises
    PermissionError for anyone but finance, ConflictError before signing, DomainError when
    the file is refused."""
    _require_finance(actor)
    _lock(session, agreement)
    if agreement.status != AgreementStatus.SIGNED:
        raise ConflictError(
            _l("The scan is of the signed paper: sign the agreement first (you may attach the "
               "scan when signing).")
        )
    stored = _store_scan(session, scan, upload_dir)
    _attach_scan(session, agreement, stored, actor=actor, upload_dir=upload_dir)
    return agreement


def update_administration_details(
    session: Session, data: dict[str, Any], *, actor: User
) -> AdministrationDetails:
    """Save the grantor's details that agreements print, by finance or the admin, with the
    checks of an organisation's (INN, KPP, OGRN, BIK and the accounts against the BIK).
    Creates the one row the first time. Raises PermissionError for anyone else and
    DomainError naming the first wrong field."""
    if not can(actor, Action.EDIT_ADMINISTRATION_DETAILS):
        raise PermissionError("administration_details")
    checked = clean_organisation_data({key: data.get(key, "") for key in ADMINISTRATION_FIELDS})
    values = {key: checked[key] for key in ADMINISTRATION_FIELDS}
    if not values["full_name"]:
        raise DomainError(_l("Give the administration's full name."), field="full_name")
    details = administration_details(session)
    if details is None:
        details = AdministrationDetails()
        session.add(details)
    changed = sorted(k for k, v in values.items() if getattr(details, k, None) != v)
    for key, value in values.items():
        setattr(details, key, value)
    details.updated_at = utcnow()
    session.flush()
    record_event(
        session, actor=actor, action="administration.details_updated", obj=details,
        details={"changed": changed},
    )
    return details
