"""Money paid under grant agreements: recording a payment against a tranche; a call's figures
for the finance dashboard (the fund, approved, signed, paid, what remains, and per project its
tranches and reports), computed by the database in a fixed number of statements; and the
tables exported for the accounting system (approved budgets, payments, report spending).

No agreement is ever paid more than its amount, nor a tranche more than its own: a payment
is recorded under the agreement row's lock, and the sums already paid are read again under
it. On PostgreSQL that is SELECT ... FOR UPDATE, so a second payment waits until the first
commits and then sees it; SQLite has no row locks, but the portal opens every SQLite
transaction with BEGIN IMMEDIATE, so writers already run one at a time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from portal.db import KOPECK, utcnow
from portal.errors import ConflictError, DomainError
from portal.i18n import current_locale
from portal.labels import BUDGET_CATEGORY_LABELS, REPORT_KIND_LABELS, TRANCHE_CONDITION_LABELS
from portal.models import (
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    BudgetLine,
    Call,
    Decision,
    DecisionOutcome,
    Organisation,
    Payment,
    Report,
    ReportSpending,
    ReportStatus,
    Tranche,
    User,
)
from portal.money import ZERO, format_money, line_total
from portal.permissions import FUNDED_STATUSES, Action, can
from portal.services.audit import record_event
from portal.services.ranking import stored_integer
from portal.spreadsheets import Table
from portal.workflow import apply_transition

ORDER_NUMBER_MAX = 40  # Payment.order_number


def _money(amount: Decimal) -> str:
    return format_money(amount, current_locale())


def _today(call: Call, now: datetime | None = None) -> date:
    """Today where the call is run (Moscow by default): what "overdue" and "in the future"
    are measured against."""
    return (now or utcnow()).astimezone(ZoneInfo(call.timezone or "Europe/Moscow")).date()


# --- recording a payment ----------------------------------------------------------------------


def lock_agreement(session: Session, agreement_id: int) -> Agreement:
    """Take the agreement row's lock (see the module's note) and re-read it as committed."""
    return session.scalars(
        select(Agreement).where(Agreement.id == agreement_id).with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def paid_on_tranche(session: Session, tranche_id: int) -> Decimal:
    """What has been paid on the tranche, as committed."""
    return session.scalar(
        select(func.coalesce(func.sum(Payment.amount), ZERO))
        .where(Payment.tranche_id == tranche_id)
    ) or ZERO


def paid_on_agreement(session: Session, agreement_id: int) -> Decimal:
    """What has been paid on all the agreement's tranches, as committed."""
    return session.scalar(
        select(func.coalesce(func.sum(Payment.amount), ZERO))
        .join(Tranche, Tranche.id == Payment.tranche_id)
        .where(Tranche.agreement_id == agreement_id)
    ) or ZERO


def _check_input(call: Call, agreement: Agreement, paid_on: date | None,
                 amount: Decimal | None, order_number: str, now: datetime | None) -> None:
    """The figures themselves: an amount above 0 in whole kopecks, a date neither before the
    agreement was signed nor in the future, and a payment order number."""
    if amount is None or amount <= 0:
        raise DomainError(_l("Give the amount paid, more than 0."), field="amount")
    if amount != amount.quantize(KOPECK):
        raise DomainError(_l("The amount has fractions of a kopeck."), field="amount")
    if paid_on is None:
        raise DomainError(_l("Give the date of the payment."), field="paid_on")
    today = _today(call, now)
    if paid_on > today:
        raise DomainError(_l("The payment date %(date)s is in the future.",
                             date=paid_on.strftime("%d.%m.%Y")), field="paid_on")
    if agreement.signed_at is not None and paid_on < _today(call, agreement.signed_at):
        raise DomainError(
            _l("The payment date %(date)s is before the agreement was signed (%(signed)s).",
               date=paid_on.strftime("%d.%m.%Y"),
               signed=_today(call, agreement.signed_at).strftime("%d.%m.%Y")),
            field="paid_on",
        )
    if not order_number:
        raise DomainError(_l("Give the number of the payment order."), field="order_number")
    if len(order_number) > ORDER_NUMBER_MAX:
        raise DomainError(_l("A payment order number has at most %(n)d characters.",
                             n=ORDER_NUMBER_MAX), field="order_number")


def record_payment(
    session: Session,
    tranche: Tranche,
    *,
    paid_on: date | None,
    amount: Decimal | None,
    order_number: str,
    actor: User,
    now: datetime | None = None,
) -> Payment:
    """Record that `amount` was paid on `tranche` on `paid_on` by payment order
    `order_number`. Only finance may; only on a released tranche of a signed agreement; never
    more than what is left of the tranche nor of the agreement's amount (refused with the
    figures), checked under the agreement row's lock. The agreement's first payment moves
    the application from "under agreement" to "reporting". Audited as `payment.recorded`.
    Raises PermissionError for anyone but finance, DomainError for a figure that is wrong in
    itself, ConflictError for one the tranche or the agreement cannot take."""
    if not can(actor, Action.MANAGE_FINANCE, tranche):
        raise PermissionError("record_payment")
    order_number = (order_number or "").strip()
    agreement = lock_agreement(session, tranche.agreement_id)
    tranche = session.scalars(
        select(Tranche).where(Tranche.id == tranche.id)
        .execution_options(populate_existing=True)
    ).one()
    app = agreement.application
    _check_input(app.call, agreement, paid_on, amount, order_number, now)

    if agreement.status != AgreementStatus.SIGNED:
        raise ConflictError(
            _l("Agreement No. %(number)s is not signed yet; nothing can be paid under it.",
               number=agreement.number)
        )
    if tranche.released_at is None:
        raise ConflictError(
            _l("Tranche %(n)d of agreement No. %(number)s is not released yet (it is paid "
               "%(condition)s); it cannot be paid before.",
               n=tranche.number, number=agreement.number,
               condition=TRANCHE_CONDITION_LABELS[tranche.condition]),
        )
    tranche_paid = paid_on_tranche(session, tranche.id)
    tranche_left = tranche.amount - tranche_paid
    if amount > tranche_left:
        raise ConflictError(
            _l("%(amount)s is more than is left of tranche %(n)d: of its %(tranche)s, "
               "%(paid)s is paid already and %(left)s is left.",
               amount=_money(amount), n=tranche.number, tranche=_money(tranche.amount),
               paid=_money(tranche_paid), left=_money(max(tranche_left, ZERO))),
            field="amount",
        )
    agreement_paid = paid_on_agreement(session, agreement.id)
    agreement_left = agreement.amount - agreement_paid
    if amount > agreement_left:
        raise ConflictError(
            _l("%(amount)s is more than is left of the approved amount: of the %(approved)s "
               "of agreement No. %(number)s, %(paid)s is paid already and %(left)s is left.",
               amount=_money(amount), approved=_money(agreement.amount),
               number=agreement.number, paid=_money(agreement_paid),
               left=_money(max(agreement_left, ZERO))),
            field="amount",
        )

    payment = Payment(tranche_id=tranche.id, paid_on=paid_on, amount=amount,
                      order_number=order_number, recorded_at=now or utcnow(),
                      recorded_by_id=actor.id)
    session.add(payment)
    session.flush()
    if app.status == ApplicationStatus.UNDER_AGREEMENT:
        # The first payment starts the project's reporting period.
        apply_transition(session, app, "start_reporting", actor=actor, now=now)
    record_event(
        session, actor=actor, action="payment.recorded", obj=payment,
        details={"amount": str(amount), "order_number": order_number,
                 "paid_on": paid_on.isoformat(), "tranche": tranche.number,
                 "tranche_id": tranche.id, "agreement": agreement.number,
                 "application_id": app.id,
                 "paid_on_agreement": str(agreement_paid + amount)},
    )
    return payment


# --- a call's figures (the finance dashboard) -------------------------------------------------


def _funded(call_id: int) -> Any:
    """The conditions of a funded project of the call: its application is funded or past
    that, and the committee's decision on it says funded. (A decision is filed under its
    application's call; naming the call on both lets the database start from either.)"""
    return and_(
        Application.call_id == call_id,
        Application.status.in_(FUNDED_STATUSES),
        Decision.application_id == Application.id,
        Decision.call_id == call_id,
        Decision.outcome == DecisionOutcome.FUNDED,
    )


@dataclass
class PaymentLine:
    tranche_id: int
    paid_on: date
    amount: Decimal
    order_number: str


@dataclass
class TrancheLine:
    id: int
    agreement_id: int
    number: int
    due_date: date
    amount: Decimal
    condition: Any
    released_at: datetime | None
    paid: Decimal
    is_overdue: bool
    payments: list[PaymentLine] = field(default_factory=list)

    @property
    def left(self) -> Decimal:
        return self.amount - self.paid

    @property
    def is_paid(self) -> bool:
        return self.paid >= self.amount

    @property
    def is_released(self) -> bool:
        return self.released_at is not None


@dataclass
class ProjectLine:
    application_id: int
    registration_number: str
    title: str
    status: ApplicationStatus
    library: str
    approved_amount: Decimal
    decided_at: datetime
    agreement_id: int | None
    agreement_number: str | None
    agreement_status: AgreementStatus | None
    paid: Decimal
    reports_total: int
    reports_due: int
    reports_overdue: int
    reports_accepted: int
    next_report_due: date | None
    tranches: list[TrancheLine] = field(default_factory=list)

    @property
    def left_to_pay(self) -> Decimal:
        return self.approved_amount - self.paid

    @property
    def is_signed(self) -> bool:
        return self.agreement_status == AgreementStatus.SIGNED

    @property
    def overdue_tranches(self) -> int:
        return sum(1 for t in self.tranches if t.is_overdue)


@dataclass
class CallFinances:
    """The money of one call as finance follows it."""

    call: Call
    today: date
    approved: Decimal
    signed: Decimal
    paid: Decimal
    projects: list[ProjectLine]

    @property
    def fund(self) -> Decimal:
        return self.call.fund_amount

    @property
    def remaining(self) -> Decimal:
        """Approved and not yet paid."""
        return self.approved - self.paid

    @property
    def unallocated(self) -> Decimal:
        """The part of the fund no decision has taken."""
        return self.fund - self.approved

    def tranche(self, tranche_id: int) -> TrancheLine | None:
        return next((t for p in self.projects for t in p.tranches if t.id == tranche_id), None)


def _money_sum(column: Any) -> Any:
    """SUM of a Money column, 0 when there are no rows; read back as Decimal roubles (the
    database adds whole kopecks)."""
    return func.coalesce(func.sum(column), ZERO)


def funded_projects_query(call: Call, q: str = "") -> Select[Any]:
    """The ids of the call's funded projects in the order of registration, the dashboard's
    order; with `q`, only those whose library's name or registration number contains it.
    Paginated by the view (portal.db.paginate), then read whole by call_finances()."""
    query = (select(Application.id)
             .join(Decision, Decision.application_id == Application.id)
             .where(_funded(call.id))
             .order_by(Application.sequence, Application.id))
    if q:
        query = query.join(Organisation, Organisation.id == Application.organisation_id).where(
            or_(Organisation.short_name.ilike(f"%{q}%"), Organisation.full_name.ilike(f"%{q}%"),
                Application.registration_number.ilike(f"%{q}%")))
    return query


def project_position(session: Session, call: Call, application_id: int) -> int:
    """How many of the call's funded projects come before the application in the
    dashboard's order: which page holds it."""
    target = (select(Application.sequence).where(Application.id == application_id)
              .scalar_subquery())
    ahead = funded_projects_query(call).order_by(None).where(
        or_(Application.sequence < target,
            and_(Application.sequence == target, Application.id < application_id)))
    return int(session.scalar(select(func.count()).select_from(ahead.subquery())) or 0)


def call_finances(session: Session, call: Call, *, application_ids: Sequence[int] | None = None,
                  now: datetime | None = None) -> CallFinances:
    """The finance dashboard of `call`, in four statements whatever the number of projects:
    the totals, always over all its funded projects; one row per funded project (only those
    of `application_ids`, one page of them, when given) with its decision, agreement and
    reports counted; their tranches with what is paid on each (a project's paid is their
    sum); the payments."""
    today = _today(call, now)
    funded_ids = funded_projects_query(call).order_by(None)

    approved = (select(_money_sum(Decision.approved_amount))
                .where(Decision.application_id.in_(funded_ids)).scalar_subquery())
    signed = (select(_money_sum(Agreement.amount))
              .where(Agreement.application_id.in_(funded_ids),
                     Agreement.status == AgreementStatus.SIGNED).scalar_subquery())
    paid = (select(_money_sum(Payment.amount))
            .join(Tranche, Tranche.id == Payment.tranche_id)
            .join(Agreement, Agreement.id == Tranche.agreement_id)
            .where(Agreement.application_id.in_(funded_ids)).scalar_subquery())
    totals = session.execute(select(approved.label("approved"), signed.label("signed"),
                                    paid.label("paid"))).one()
    # The projects listed: all, or the page's (read from funded_projects_query, so funded).
    shown_ids: Any = funded_ids if application_ids is None else list(application_ids)

    # The reports are counted in the projects' own statement, grouped by project: joined
    # through their index, whatever the planner guesses about derived tables. What is paid
    # per project is the sum of its tranches' (read below).
    not_accepted = Report.status != ReportStatus.ACCEPTED
    late = and_(Report.status.in_((ReportStatus.DRAFT, ReportStatus.RETURNED)),
                Report.due_date < today)
    project_columns = (
        Application.id, Application.sequence, Application.registration_number,
        Application.title, Application.status, Organisation.short_name,
        Decision.approved_amount, Decision.decided_at, Agreement.id.label("agreement_id"),
        Agreement.number, Agreement.status.label("agreement_status"),
    )
    project_rows = (
        select(*project_columns,
               func.count(Report.id).label("reports_total"),
               func.coalesce(func.sum(case((not_accepted, 1), else_=0)), 0).label("reports_due"),
               func.coalesce(func.sum(case((late, 1), else_=0)), 0).label("reports_overdue"),
               func.coalesce(func.sum(case((Report.status == ReportStatus.ACCEPTED, 1),
                                           else_=0)), 0).label("reports_accepted"),
               func.min(case((not_accepted, Report.due_date))).label("next_due"))
        .join(Decision, Decision.application_id == Application.id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(Agreement, Agreement.application_id == Application.id)
        .outerjoin(Report, Report.agreement_id == Agreement.id)
        .where(_funded(call.id))
        .group_by(*project_columns)
        .order_by(Application.sequence, Application.id)
    )
    if application_ids is not None:
        project_rows = project_rows.where(Application.id.in_(shown_ids))
    rows = session.execute(project_rows).all()
    projects = [
        ProjectLine(
            application_id=r.id, registration_number=r.registration_number or "",
            title=r.title, status=r.status, library=r.short_name,
            approved_amount=r.approved_amount, decided_at=r.decided_at,
            agreement_id=r.agreement_id, agreement_number=r.number,
            agreement_status=r.agreement_status, paid=ZERO,
            reports_total=int(r.reports_total), reports_due=int(r.reports_due),
            reports_overdue=int(r.reports_overdue), reports_accepted=int(r.reports_accepted),
            next_report_due=r.next_due,
        )
        for r in rows
    ]

    tranche_paid = func.coalesce(func.sum(stored_integer(Payment.amount)), 0)
    overdue = and_(Tranche.released_at.is_not(None), Tranche.due_date < today,
                   tranche_paid < stored_integer(Tranche.amount))
    tranche_rows = session.execute(
        select(Tranche.id, Tranche.agreement_id, Tranche.number, Tranche.due_date,
               Tranche.amount, Tranche.condition, Tranche.released_at,
               _money_sum(Payment.amount).label("paid"),
               case((overdue, 1), else_=0).label("is_overdue"))
        .join(Agreement, Agreement.id == Tranche.agreement_id)
        .outerjoin(Payment, Payment.tranche_id == Tranche.id)
        .where(Agreement.application_id.in_(shown_ids))
        .group_by(Tranche.id, Tranche.agreement_id, Tranche.number, Tranche.due_date,
                  Tranche.amount, Tranche.condition, Tranche.released_at)
        .order_by(Tranche.agreement_id, Tranche.number)
    ).all()
    tranches = {
        r.id: TrancheLine(id=r.id, agreement_id=r.agreement_id, number=r.number,
                          due_date=r.due_date, amount=r.amount, condition=r.condition,
                          released_at=r.released_at, paid=r.paid, is_overdue=bool(r.is_overdue))
        for r in tranche_rows
    }
    for p in session.execute(
        select(Payment.tranche_id, Payment.paid_on, Payment.amount, Payment.order_number)
        .join(Tranche, Tranche.id == Payment.tranche_id)
        .join(Agreement, Agreement.id == Tranche.agreement_id)
        .where(Agreement.application_id.in_(shown_ids))
        .order_by(Payment.paid_on, Payment.id)
    ):
        tranches[p.tranche_id].payments.append(
            PaymentLine(p.tranche_id, p.paid_on, p.amount, p.order_number))
    by_agreement: dict[int, list[TrancheLine]] = {}
    for tranche in tranches.values():
        by_agreement.setdefault(tranche.agreement_id, []).append(tranche)
    for project in projects:
        if project.agreement_id is not None:
            project.tranches = by_agreement.get(project.agreement_id, [])
            project.paid = sum((t.paid for t in project.tranches), ZERO)
    return CallFinances(call=call, today=today, approved=totals.approved,
                        signed=totals.signed, paid=totals.paid, projects=projects)


@dataclass
class CallLine:
    call: Call
    projects: int
    approved: Decimal


def calls_with_funded_projects(session: Session) -> list[CallLine]:
    """The calls that have funded projects, the latest first, each with how many and the
    amount approved for them."""
    rows = session.execute(
        select(Call, func.count(Application.id), _money_sum(Decision.approved_amount))
        .join(Application, Application.call_id == Call.id)
        .join(Decision, Decision.application_id == Application.id)
        .where(Application.status.in_(FUNDED_STATUSES),
               Decision.outcome == DecisionOutcome.FUNDED)
        .group_by(Call.id)
        .order_by(Call.year.desc(), Call.number.desc())
    ).all()
    return [CallLine(call, int(count), approved) for call, count, approved in rows]


# --- exports for the accounting system --------------------------------------------------------
#
# The column headings are in Russian whatever the user's language: they are the file's
# layout, which the accounting system's import is set up against once, so they never change
# with the language or the catalogue. Values that are labels (categories, report kinds) are
# the portal's Russian labels.

EXPORTS = ("budgets", "payments", "spending")

BUDGET_HEADINGS = (
    "Рег. номер заявки", "Библиотека", "ИНН", "Категория расходов", "Статья расходов",
    "Единица измерения", "Количество", "Цена за единицу, ₽", "Сумма, ₽",
    "Запрашиваемые средства, ₽", "Собственные средства, ₽", "Средства партнёров, ₽",
    "Утверждённая сумма гранта, ₽",
)
PAYMENT_HEADINGS = (
    "Дата платежа", "Номер платёжного поручения", "Сумма, ₽", "Рег. номер заявки",
    "Библиотека", "ИНН", "Номер соглашения", "Транш",
)
SPENDING_HEADINGS = (
    "Рег. номер заявки", "Библиотека", "ИНН", "Номер соглашения", "Отчёт", "Срок отчёта",
    "Категория расходов", "Статья расходов",
    "План: запрашиваемые средства, ₽", "Факт: запрашиваемые средства, ₽",
    "План: собственные средства, ₽", "Факт: собственные средства, ₽",
    "План: средства партнёров, ₽", "Факт: средства партнёров, ₽",
    "План: всего, ₽", "Факт: всего, ₽",
)
SHEET_TITLES = {"budgets": "Утверждённые сметы", "payments": "Платежи",
                "spending": "Расходы по отчётам"}
QUANTITY_FORMAT = "#,##0.###"


def _label(labels: dict[Any, Any], value: Any) -> str:
    with force_locale("ru"):
        return str(labels[value])


def budgets_table(session: Session, call: Call) -> Table:
    """One row per budget line of each funded project, in the order of registration: the
    line as approved with its split by source, and the project's approved amount."""
    rows = session.execute(
        select(Application.registration_number, Organisation.full_name, Organisation.inn,
               BudgetLine.category, BudgetLine.item, BudgetLine.unit, BudgetLine.quantity,
               BudgetLine.unit_price, BudgetLine.requested_amount, BudgetLine.own_amount,
               BudgetLine.partner_amount, Decision.approved_amount)
        .join(Decision, Decision.application_id == Application.id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(BudgetLine, BudgetLine.application_id == Application.id)
        .where(_funded(call.id))
        .order_by(Application.sequence, Application.id, BudgetLine.position, BudgetLine.id)
    ).all()
    return Table(
        title=SHEET_TITLES["budgets"], headings=BUDGET_HEADINGS, formats={6: QUANTITY_FORMAT},
        rows=[(r.registration_number, r.full_name, r.inn,
               _label(BUDGET_CATEGORY_LABELS, r.category), r.item, r.unit, r.quantity,
               r.unit_price, line_total(r.quantity, r.unit_price), r.requested_amount,
               r.own_amount, r.partner_amount, r.approved_amount) for r in rows],
    )


def payments_table(session: Session, call: Call) -> Table:
    """One row per payment on the call's funded projects, by date."""
    rows = session.execute(
        select(Payment.paid_on, Payment.order_number, Payment.amount,
               Application.registration_number, Organisation.full_name, Organisation.inn,
               Agreement.number, Tranche.number.label("tranche"))
        .join(Tranche, Tranche.id == Payment.tranche_id)
        .join(Agreement, Agreement.id == Tranche.agreement_id)
        .join(Application, Application.id == Agreement.application_id)
        .join(Decision, Decision.application_id == Application.id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(_funded(call.id))
        .order_by(Payment.paid_on, Payment.id)
    ).all()
    return Table(
        title=SHEET_TITLES["payments"], headings=PAYMENT_HEADINGS,
        rows=[(r.paid_on, r.order_number, r.amount, r.registration_number, r.full_name, r.inn,
               r.number, r.tranche) for r in rows],
    )


def _actual_total(*amounts: Decimal | None) -> Decimal | None:
    return None if all(a is None for a in amounts) else sum((a or ZERO for a in amounts), ZERO)


def spending_table(session: Session, call: Call) -> Table:
    """For each accepted report of the call's funded projects, one row per budget line of
    the project: the plan by source beside what the report says was spent (empty where the
    report has no figure for the line)."""
    rows = session.execute(
        select(Application.registration_number, Organisation.full_name, Organisation.inn,
               Agreement.number, Report.kind, Report.due_date, BudgetLine.category,
               BudgetLine.item, BudgetLine.requested_amount, BudgetLine.own_amount,
               BudgetLine.partner_amount,
               ReportSpending.requested_amount.label("actual_requested"),
               ReportSpending.own_amount.label("actual_own"),
               ReportSpending.partner_amount.label("actual_partner"))
        .join(Agreement, Agreement.id == Report.agreement_id)
        .join(Application, Application.id == Agreement.application_id)
        .join(Decision, Decision.application_id == Application.id)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .join(BudgetLine, BudgetLine.application_id == Application.id)
        .outerjoin(ReportSpending, and_(ReportSpending.report_id == Report.id,
                                        ReportSpending.budget_line_id == BudgetLine.id))
        .where(_funded(call.id), Report.status == ReportStatus.ACCEPTED)
        .order_by(Application.sequence, Application.id, Report.due_date, Report.id,
                  BudgetLine.position, BudgetLine.id)
    ).all()
    return Table(
        title=SHEET_TITLES["spending"], headings=SPENDING_HEADINGS,
        rows=[(r.registration_number, r.full_name, r.inn, r.number,
               _label(REPORT_KIND_LABELS, r.kind), r.due_date,
               _label(BUDGET_CATEGORY_LABELS, r.category), r.item,
               r.requested_amount, r.actual_requested, r.own_amount, r.actual_own,
               r.partner_amount, r.actual_partner,
               r.requested_amount + r.own_amount + r.partner_amount,
               _actual_total(r.actual_requested, r.actual_own, r.actual_partner))
              for r in rows],
    )


def export_table(session: Session, call: Call, what: str) -> Table:
    """The export `what` (one of EXPORTS) of the call."""
    builders = {"budgets": budgets_table, "payments": payments_table,
                "spending": spending_table}
    return builders[what](session, call)

