"""What is public, decided in one place: published calls; a call's results once its
decisions are final; each funded project with its money, score and indicators (achieved
values from accepted reports only); the not-funded list when the call says results are
public. Nothing else leaves here: no drafts, reviewers, comments, bank details or people's
names (an organisation's head is a person and stays private).

Every query is constant in number: the ranking's three statements for all the calls at
once, and one each for the projects' extra columns, their indicators and their achieved
values."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from portal.models import (
    Agreement,
    Application,
    ApplicationStatus,
    BudgetCategory,
    BudgetLine,
    Call,
    CallStatus,
    DecisionOutcome,
    Indicator,
    Organisation,
    Report,
    ReportIndicator,
    ReportStatus,
)
from portal.money import ZERO, BudgetSummary, percent_of, summarise_budget
from portal.services.ranking import Ranking, RankingRow, rank_applications, rank_calls

S = ApplicationStatus
# The statuses of a project the committee funded and the library did not decline.
FUNDED_STATUSES = (S.FUNDED, S.UNDER_AGREEMENT, S.REPORTING, S.COMPLETED)


@dataclass(frozen=True)
class PublicIndicator:
    indicator_id: int
    name: str
    unit: str
    target: Decimal
    achieved: Decimal | None  # from the latest accepted report, None until one is accepted

    @property
    def percent(self) -> Decimal | None:
        if self.achieved is None or not self.target:
            return None
        return percent_of(self.achieved, self.target)


@dataclass
class PublicAward:
    """A funded project as anyone may see it."""

    application_id: int
    registration_number: str
    call_id: int
    call_title: str
    year: int
    library_name: str
    library_inn: str
    municipality: str
    title: str
    direction: str
    requested_amount: Decimal
    approved_amount: Decimal
    own_amount: Decimal
    partner_amount: Decimal
    score: Decimal | None
    status: ApplicationStatus
    indicators: list[PublicIndicator] = field(default_factory=list)

    @property
    def cofinancing_amount(self) -> Decimal:
        return self.own_amount + self.partner_amount


@dataclass(frozen=True)
class PublicNotFunded:
    registration_number: str
    library_name: str
    score: Decimal | None


@dataclass
class CallResults:
    call: Call
    awards: list[PublicAward]
    not_funded: list[PublicNotFunded] | None  # None when the call keeps them private
    requested_total: Decimal  # of every admitted application

    @property
    def approved_total(self) -> Decimal:
        return sum((a.approved_amount for a in self.awards), ZERO)

    @property
    def own_total(self) -> Decimal:
        return sum((a.own_amount for a in self.awards), ZERO)

    @property
    def partner_total(self) -> Decimal:
        return sum((a.partner_amount for a in self.awards), ZERO)

    def by_direction(self) -> list[tuple[str, Decimal]]:
        totals: dict[str, Decimal] = {}
        for award in self.awards:
            totals[award.direction] = totals.get(award.direction, ZERO) + award.approved_amount
        return sorted(totals.items(), key=lambda item: (-item[1], item[0]))


def is_results_public(call: Call) -> bool:
    """A call's results are public once it is published and its decisions are final."""
    return call.status == CallStatus.PUBLISHED and call.decisions_finalised_at is not None


def published_calls(session: Session) -> list[Call]:
    return list(session.scalars(
        select(Call).where(Call.status == CallStatus.PUBLISHED)
        .order_by(Call.closes_at.desc(), Call.id.desc())
    ))


def final_calls(session: Session, *, call_id: int | None = None,
                year: int | None = None) -> list[Call]:
    query = select(Call).where(Call.status == CallStatus.PUBLISHED,
                               Call.decisions_finalised_at.is_not(None))
    if call_id is not None:
        query = query.where(Call.id == call_id)
    if year is not None:
        query = query.where(Call.year == year)
    return list(session.scalars(query.order_by(Call.year.desc(), Call.number.desc())))


def _is_award(row: RankingRow) -> bool:
    return row.decision == DecisionOutcome.FUNDED and row.status in FUNDED_STATUSES


def _achieved(session: Session, indicator_ids: Sequence[int]) -> dict[int, Decimal]:
    """Each indicator's value in its latest accepted report that gives one."""
    if not indicator_ids:
        return {}
    rows = session.execute(
        select(ReportIndicator.indicator_id, ReportIndicator.achieved)
        .join(Report, Report.id == ReportIndicator.report_id)
        .where(ReportIndicator.indicator_id.in_(indicator_ids),
               Report.status == ReportStatus.ACCEPTED,
               ReportIndicator.achieved.is_not(None))
        .order_by(Report.accepted_at, Report.id)
    ).all()
    return {r.indicator_id: r.achieved for r in rows}  # the latest wins


def indicators_of(session: Session,
                  application_ids: Sequence[int]) -> dict[int, list[PublicIndicator]]:
    """The indicators of many projects in two statements."""
    if not application_ids:
        return {}
    indicators = session.scalars(
        select(Indicator).where(Indicator.application_id.in_(application_ids))
        .order_by(Indicator.application_id, Indicator.position, Indicator.id)
    ).all()
    achieved = _achieved(session, [i.id for i in indicators])
    result: dict[int, list[PublicIndicator]] = {}
    for i in indicators:
        result.setdefault(i.application_id, []).append(
            PublicIndicator(i.id, i.name, i.unit, i.target, achieved.get(i.id)))
    return result


def _awards_of(session: Session, rankings: Iterable[Ranking]) -> list[PublicAward]:
    pairs = [(ranking.call, row) for ranking in rankings for row in ranking.rows
             if _is_award(row)]
    ids = [row.application_id for _, row in pairs]
    if not ids:
        return []
    extra = {r.id: r for r in session.execute(
        select(Application.id, Application.direction, Organisation.inn,
               Organisation.municipality)
        .join(Organisation, Organisation.id == Application.organisation_id)
        .where(Application.id.in_(ids))
    )}
    indicators = indicators_of(session, ids)
    return [
        PublicAward(
            application_id=row.application_id, registration_number=row.registration_number,
            call_id=call.id, call_title=call.title, year=call.year, library_name=row.library,
            library_inn=extra[row.application_id].inn,
            municipality=extra[row.application_id].municipality, title=row.title,
            direction=extra[row.application_id].direction,
            requested_amount=row.requested_amount, approved_amount=row.approved_amount or ZERO,
            own_amount=row.own_amount, partner_amount=row.partner_amount, score=row.score,
            status=row.status, indicators=indicators.get(row.application_id, []),
        )
        for call, row in pairs
    ]


def awards(session: Session, *, call_id: int | None = None,
           year: int | None = None) -> list[PublicAward]:
    """Every funded project of the final calls (optionally one call or one year), call by
    call, in ranking order: all the calls ranked together, in a constant number of
    statements."""
    calls = final_calls(session, call_id=call_id, year=year)
    return _awards_of(session, rank_calls(session, calls).values())


def call_results(session: Session, call: Call) -> CallResults | None:
    """A call's public results, None while they are not final."""
    if not is_results_public(call):
        return None
    ranking = rank_applications(session, call)
    not_funded = None
    if call.results_public:
        not_funded = [PublicNotFunded(r.registration_number, r.library, r.score)
                      for r in ranking.rows if not _is_award(r)]
    return CallResults(call=call, awards=_awards_of(session, [ranking]),
                       not_funded=not_funded, requested_total=ranking.requested_total)


def funding_by_category(session: Session,
                        application_ids: Sequence[int]) -> list[tuple[BudgetCategory, Decimal]]:
    """The total cost of the given projects per budget category, in the budget's order."""
    if not application_ids:
        return []
    lines = session.scalars(
        select(BudgetLine).where(BudgetLine.application_id.in_(application_ids))
    ).all()
    summary = summarise_budget(lines)
    return [(c, summary.by_category[c].total) for c in BudgetCategory
            if c in summary.by_category]


@dataclass
class AcceptedReport:
    kind: str
    accepted_at: datetime | None


@dataclass
class PublicProject:
    award: PublicAward
    call: Call
    summary: str
    goals: str
    tasks: str
    target_groups: str
    partners: list[tuple[str, str, str]]  # name, role, contribution
    budget: BudgetSummary
    reports: list[AcceptedReport]


def public_project(session: Session, application_id: int) -> PublicProject | None:
    """A funded project of a final call, None for anything else."""
    app = session.get(Application, application_id,
                      options=[joinedload(Application.call), joinedload(Application.partners)])
    if app is None or app.status not in FUNDED_STATUSES or not is_results_public(app.call):
        return None
    ranking = rank_applications(session, app.call)
    row = ranking.row(app.id)
    if row is None or not _is_award(row):
        return None
    award = _awards_of(session, [Ranking(ranking.call, ranking.maximum, [row], [])])[0]
    reports = session.execute(
        select(Report.kind, Report.accepted_at)
        .join(Agreement, Agreement.id == Report.agreement_id)
        .where(Agreement.application_id == app.id, Report.status == ReportStatus.ACCEPTED)
        .order_by(Report.accepted_at)
    ).all()
    return PublicProject(
        award=award, call=app.call, summary=app.summary, goals=app.goals, tasks=app.tasks,
        target_groups=app.target_groups,
        partners=[(p.name, p.role, p.contribution) for p in app.partners],
        budget=summarise_budget(app.budget_lines),
        reports=[AcceptedReport(str(r.kind), r.accepted_at) for r in reports],
    )


def last_modified(session: Session) -> datetime | None:
    """The latest moment public figures changed: a call's decisions made final, or a report
    accepted."""
    finalised = session.scalar(select(func.max(Call.decisions_finalised_at))
                               .where(Call.status == CallStatus.PUBLISHED))
    accepted = session.scalar(select(func.max(Report.accepted_at))
                              .where(Report.status == ReportStatus.ACCEPTED))
    moments = [m for m in (finalised, accepted) if m is not None]
    return max(moments) if moments else None


def search_awards(items: Iterable[PublicAward], *, municipality: str = "",
                  direction: str = "", text: str = "") -> list[PublicAward]:
    """Filter projects by municipality, direction and a text in the title or library."""
    needle = text.strip().casefold()
    return [
        a for a in items
        if (not municipality or a.municipality == municipality)
        and (not direction or a.direction == direction)
        and (not needle or needle in a.title.casefold() or needle in a.library_name.casefold())
    ]

