"""The committee's ranking of a call: each review's weighted total and each application's
budget sums, added up by the database; from them each application's score (mean or median),
the disagreement flag, the score normalised per reviewer and the order; the funding line the
portal proposes down the ranking (the simulator is the same function with other figures);
the summary sheet of every score, also as a spreadsheet.

Every figure is computed in integers of the unit the database stores (weights and totals in
hundredths of a point, money in kopecks, shares in hundredths of a percent) so that SQLite and
PostgreSQL give identical results; Decimal appears only for what is shown. The one exception
is the normalised score, a statistic with a square root, which is a float until it is rounded
for display."""

from __future__ import annotations

import io
import math
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    cast,
    func,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from portal.labels import RECOMMENDATION_LABELS
from portal.models import (
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    BudgetLine,
    Call,
    Criterion,
    Decision,
    DecisionOutcome,
    Organisation,
    RankingVersion,
    Recommendation,
    Review,
    ReviewScore,
    ReviewStatus,
    ScoreAggregation,
    TieBreak,
    User,
)
from portal.models.rankings import changed_calls
from portal.money import KOPECK, ZERO
from portal.spreadsheets import put_cell
from portal.workflow import ADMITTED_STATUSES

S = ApplicationStatus

HUNDREDTHS = Decimal("0.01")
# How many applications just below the funding line the portal proposes as the reserve list.
RESERVE_SIZE = 3


# --- integers the database stores ---------------------------------------------------------


def stored_integer(column: Any) -> ColumnElement[int]:
    """A Fixed or Money column as the whole number the database holds (hundredths of a point
    or of a percent, kopecks, thousandths of a unit), so arithmetic on it stays exact."""
    return type_coerce(column, BigInteger())


def _bigint(expression: Any) -> ColumnElement[int]:
    """PostgreSQL sums bigints into numeric, on which `/` would stop being integer
    division; the cast keeps both engines in integers."""
    return cast(expression, BigInteger)


def _hundredths(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(int(value)).scaleb(-2).quantize(HUNDREDTHS)


def _kopecks(value: int | None) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2).quantize(KOPECK)


# --- the rows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankingRow:
    """One admitted application as the committee sees it. Scores are points (two places),
    money is roubles (kopecks), the co-financing share is a percentage (two places). Frozen:
    a kept ranking's rows are shared by every request that shows it."""

    application_id: int
    registration_number: str
    title: str
    library: str
    status: ApplicationStatus
    submitted_at: datetime | None
    requested_amount: Decimal
    own_amount: Decimal
    partner_amount: Decimal
    total_amount: Decimal
    cofinancing_percent: Decimal
    reviews_count: int
    reviews_required: int
    score: Decimal | None
    maximum: Decimal
    highest_total: Decimal | None
    lowest_total: Decimal | None
    normalised_score: Decimal | None
    is_disagreement: bool
    decision: DecisionOutcome | None
    approved_amount: Decimal | None
    decision_reason: str
    reserve_rank: int | None
    rank: int | None = None  # 1, 2, ... for applications with a score
    cumulative_requested: Decimal = ZERO  # requested money of this row and all above it

    @property
    def has_too_few_reviews(self) -> bool:
        return self.reviews_count < self.reviews_required

    @property
    def spread(self) -> Decimal | None:
        """The difference between the highest and the lowest review total."""
        if self.highest_total is None or self.lowest_total is None:
            return None
        return self.highest_total - self.lowest_total

    @property
    def is_declined(self) -> bool:
        return self.status == S.DECLINED or self.decision == DecisionOutcome.DECLINED


@dataclass(frozen=True)
class ReviewerStats:
    """A reviewer's counted reviews in the call: how many, their mean total and the
    population standard deviation the z-scores divide by (0 when it cannot)."""

    reviewer_id: int
    name: str
    reviews: int
    mean_total: Decimal
    deviation: Decimal

    @property
    def is_normalised(self) -> bool:
        return self.deviation > 0


@dataclass
class Ranking:
    call: Call
    maximum: Decimal
    rows: list[RankingRow]
    reviewers: list[ReviewerStats]

    @property
    def approved_total(self) -> Decimal:
        """The money the recorded decisions approve (funded ones only)."""
        return sum((r.approved_amount or ZERO for r in self.rows
                    if r.decision == DecisionOutcome.FUNDED), ZERO)

    @property
    def requested_total(self) -> Decimal:
        return sum((r.requested_amount for r in self.rows), ZERO)

    def row(self, application_id: int) -> RankingRow | None:
        return next((r for r in self.rows if r.application_id == application_id), None)


# --- the SQL ----------------------------------------------------------------------------


def _review_totals(call_ids: Sequence[int]) -> Select[Any]:
    """One row per counted review of the calls: submitted, on an assignment still active (a
    handed-back one does not count), of an admitted application; its total is
    sum(score x weight) in hundredths of a point."""
    return (
        select(
            Review.id.label("review_id"),
            Application.call_id.label("call_id"),
            Review.application_id.label("application_id"),
            Review.reviewer_id.label("reviewer_id"),
            _bigint(func.coalesce(
                func.sum(ReviewScore.score * stored_integer(Criterion.weight)), 0
            )).label("total"),
        )
        .join(Application, Application.id == Review.application_id)
        .join(Assignment, Assignment.id == Review.assignment_id)
        .join(ReviewScore, ReviewScore.review_id == Review.id)
        .join(Criterion, Criterion.id == ReviewScore.criterion_id)
        .where(
            Application.call_id.in_(call_ids),
            Application.status.in_(ADMITTED_STATUSES),
            Review.status == ReviewStatus.SUBMITTED,
            Assignment.status == AssignmentStatus.ACTIVE,
        )
        .group_by(Review.id, Application.call_id, Review.application_id, Review.reviewer_id)
    )


def _counted_reviews(session: Session, call_ids: Sequence[int]) -> list[Any]:
    """Statement 1: every counted review of the calls with its total and its reviewer's
    name, by call and reviewer (by name, as the method table lists them)."""
    totals = _review_totals(call_ids).subquery("review_totals")
    return list(session.execute(
        select(totals.c.call_id, totals.c.application_id, totals.c.review_id,
               totals.c.reviewer_id, totals.c.total, User.full_name)
        .join(User, User.id == totals.c.reviewer_id)
        .order_by(totals.c.call_id, User.full_name, totals.c.reviewer_id, totals.c.review_id)
    ))


def _admitted_statement(call_ids: Sequence[int]) -> Select[Any]:
    """Statement 2: one row per admitted application of the calls with its library, its
    budget sums in kopecks and its decision."""
    budget = (
        select(
            BudgetLine.application_id,
            _bigint(func.sum(stored_integer(BudgetLine.requested_amount))).label("requested"),
            _bigint(func.sum(stored_integer(BudgetLine.own_amount))).label("own"),
            _bigint(func.sum(stored_integer(BudgetLine.partner_amount))).label("partner"),
            # quantity (thousandths) x unit price (kopecks), to whole kopecks half up per
            # line, as portal.money.line_total does.
            _bigint(func.sum(
                (stored_integer(BudgetLine.quantity) * stored_integer(BudgetLine.unit_price)
                 + 500) // 1000
            )).label("total"),
        )
        .join(Application, Application.id == BudgetLine.application_id)
        .where(Application.call_id.in_(call_ids),
               Application.status.in_(ADMITTED_STATUSES))
        .group_by(BudgetLine.application_id)
        .subquery("budget")
    )
    return (
        select(
            Application.id, Application.call_id, Application.registration_number,
            Application.title, Application.status, Application.submitted_at,
            Application.sequence, Organisation.short_name,
            func.coalesce(budget.c.requested, 0).label("requested"),
            func.coalesce(budget.c.own, 0).label("own"),
            func.coalesce(budget.c.partner, 0).label("partner"),
            func.coalesce(budget.c.total, 0).label("project_total"),
            Decision.outcome, Decision.approved_amount, Decision.reason, Decision.reserve_rank,
        )
        .join(Organisation, Organisation.id == Application.organisation_id)
        .outerjoin(budget, budget.c.application_id == Application.id)
        .outerjoin(Decision, Decision.application_id == Application.id)
        .where(Application.call_id.in_(call_ids), Application.status.in_(ADMITTED_STATUSES))
    )


def _call_maximums(session: Session, call_ids: Sequence[int]) -> dict[int, Decimal]:
    """Statement 3: the largest total one review can give in each call, sum(scale_max x
    weight) over its criteria (0 for a call without any)."""
    rows = session.execute(
        select(Criterion.call_id, _bigint(func.coalesce(
            func.sum(Criterion.scale_max * stored_integer(Criterion.weight)), 0
        )))
        .where(Criterion.call_id.in_(call_ids))
        .group_by(Criterion.call_id)
    ).all()
    found = {int(call_id): _hundredths(raw) or ZERO for call_id, raw in rows}
    return {call_id: found.get(call_id, ZERO) for call_id in call_ids}


# --- the arithmetic ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Moments:
    """A reviewer's count, sum and sum of squares of totals (hundredths of a point) in one
    call."""

    reviewer_id: int
    name: str
    count: int
    total: int
    squares: int

    @property
    def variance_numerator(self) -> int:
        """n * sum(t^2) - (sum t)^2, which is n^2 times the population variance: exact."""
        return self.count * self.squares - self.total * self.total

    @cached_property
    def _inverse_deviation(self) -> float:
        """1 / sqrt(n * sum(t^2) - (sum t)^2); 0 for a reviewer with one review, or whose
        totals are all equal: they have nothing to normalise by, so every z-score of theirs
        is 0 and they neither raise nor lower anyone."""
        numerator = self.variance_numerator
        return 1 / math.sqrt(numerator) if numerator > 0 else 0.0

    def z_score(self, total: int) -> float:
        """(n * t - sum t) / sqrt(n * sum(t^2) - (sum t)^2), the z-score of a total."""
        return (self.count * total - self.total) * self._inverse_deviation

    def stats(self) -> ReviewerStats:
        deviation = Decimal(self.variance_numerator).sqrt() / self.count
        return ReviewerStats(
            reviewer_id=self.reviewer_id, name=self.name, reviews=self.count,
            mean_total=(Decimal(self.total) / self.count / 100).quantize(
                HUNDREDTHS, rounding=ROUND_HALF_UP),
            deviation=(deviation / 100).quantize(HUNDREDTHS, rounding=ROUND_HALF_UP),
        )


@dataclass
class _Scores:
    """An application's counted reviews: (total, review id) pairs and their z-scores."""

    totals: list[tuple[int, int]] = field(default_factory=list)
    z_scores: list[float] = field(default_factory=list)

    def score(self, aggregation: ScoreAggregation) -> int | None:
        """The mean, or the median (of an even number, the mean of the middle two), in
        hundredths of a point rounded half up: integers, so nothing is lost."""
        n = len(self.totals)
        if not n:
            return None
        if aggregation == ScoreAggregation.MEDIAN:
            ordered = sorted(self.totals)
            if n % 2:
                return ordered[n // 2][0]
            return (ordered[n // 2 - 1][0] + ordered[n // 2][0] + 1) // 2
        return (2 * sum(t for t, _id in self.totals) + n) // (2 * n)


def _normalised(value: float | None) -> Decimal | None:
    if value is None:
        return None
    rounded = Decimal(repr(float(value))).quantize(HUNDREDTHS, rounding=ROUND_HALF_UP)
    return rounded if rounded else Decimal("0.00")  # never "-0.00"


def _share(cofinancing: int, total: int) -> int:
    """percent_of(): the co-financing share in hundredths of a percent, half up."""
    return (2 * cofinancing * 10000 + total) // (2 * total) if total > 0 else 0


def _order(call: Call, score: int | None, r: Any) -> tuple[Any, ...]:
    """The ranking order: the score, higher first, those without one last; ties by the
    call's rule; then by registration number (the sequence)."""
    if call.tie_break == TieBreak.SMALLER_REQUEST:
        tie: Any = int(r.requested)
    elif call.tie_break == TieBreak.EARLIER_SUBMISSION:
        tie = r.submitted_at  # never NULL once submitted (a CHECK of the table)
    else:
        tie = -_share(int(r.own) + int(r.partner), int(r.project_total))
    return (-score if score is not None else 1, tie, r.sequence or 0)


def rank_calls(session: Session, calls: Sequence[Call]) -> dict[int, Ranking]:
    """Each call's admitted applications in ranking order (see rank_applications), by call
    id. Three statements whatever the number of calls and of applications, each read once:
    the counted reviews with their totals, the admitted applications with their budget sums
    and decisions, and the calls' maxima; none for no call."""
    calls = list({call.id: call for call in calls}.values())
    if not calls:
        return {}
    call_ids = [call.id for call in calls]
    reviews = _counted_reviews(session, call_ids)
    admitted = session.execute(_admitted_statement(call_ids)).all()
    maxima = _call_maximums(session, call_ids)

    sums: dict[tuple[int, int], list[Any]] = {}  # (call, reviewer) -> [name, n, sum, squares]
    for review in reviews:
        entry = sums.setdefault((review.call_id, review.reviewer_id),
                                [review.full_name, 0, 0, 0])
        total = int(review.total)
        entry[1] += 1
        entry[2] += total
        entry[3] += total * total
    moments = {key: _Moments(key[1], name, n, total, squares)
               for key, (name, n, total, squares) in sums.items()}
    scores: dict[int, _Scores] = {}
    for review in reviews:
        entry = scores.setdefault(review.application_id, _Scores())
        total = int(review.total)
        entry.totals.append((total, review.review_id))
        entry.z_scores.append(
            moments[review.call_id, review.reviewer_id].z_score(total))

    by_call: dict[int, list[tuple[tuple[Any, ...], Any, int | None]]] = {
        call_id: [] for call_id in call_ids}
    by_id = {call.id: call for call in calls}
    for r in admitted:
        call = by_id[r.call_id]
        entry = scores.get(r.id, _Scores())
        score = entry.score(call.score_aggregation)
        by_call[r.call_id].append((_order(call, score, r), r, score))

    rankings: dict[int, Ranking] = {}
    for call in calls:
        maximum = maxima[call.id]
        maximum_raw = int(maximum * 100)
        threshold_raw = int(call.disagreement_threshold_percent * 100)  # hundredths of a %
        ranking = rankings[call.id] = Ranking(
            call=call, maximum=maximum, rows=[],
            reviewers=[m.stats() for (call_id, _id), m in moments.items()
                       if call_id == call.id])
        cumulative, rank = ZERO, 0
        for _key, r, score in sorted(by_call[call.id], key=lambda item: item[0]):
            entry = scores.get(r.id, _Scores())
            reviews_count = len(entry.totals)
            highest = max(t for t, _id in entry.totals) if entry.totals else None
            lowest = min(t for t, _id in entry.totals) if entry.totals else None
            # max - min > threshold % of the maximum, in integers: both sides in hundredths.
            disagreement = (
                reviews_count >= 2 and highest is not None and lowest is not None
                and (highest - lowest) * 10000 > threshold_raw * maximum_raw
            )
            requested = _kopecks(r.requested)
            cumulative += requested
            if score is not None:
                rank += 1
            ranking.rows.append(RankingRow(
                application_id=r.id, registration_number=r.registration_number or "",
                title=r.title, library=r.short_name, status=r.status,
                submitted_at=r.submitted_at, requested_amount=requested,
                own_amount=_kopecks(r.own), partner_amount=_kopecks(r.partner),
                total_amount=_kopecks(r.project_total),
                cofinancing_percent=_hundredths(_share(int(r.own) + int(r.partner),
                                                       int(r.project_total))) or ZERO,
                reviews_count=reviews_count, reviews_required=call.reviewers_per_application,
                score=_hundredths(score), maximum=maximum,
                highest_total=_hundredths(highest), lowest_total=_hundredths(lowest),
                normalised_score=(_normalised(sum(entry.z_scores) / reviews_count)
                                  if reviews_count else None),
                is_disagreement=disagreement,
                decision=r.outcome, approved_amount=r.approved_amount,
                decision_reason=r.reason or "", reserve_rank=r.reserve_rank,
                rank=rank if score is not None else None, cumulative_requested=cumulative,
            ))
    return rankings


# --- rankings kept between requests -----------------------------------------------------------


@dataclass(frozen=True)
class _Kept:
    maximum: Decimal
    rows: tuple[RankingRow, ...]
    reviewers: tuple[ReviewerStats, ...]


# The rankings computed lately in this process, by the call's ranking token and the call's
# settings the computation reads: the chair reloads the same ranking all through committee
# day, and it only changes when one of its figures does, which gives the call a new token
# (portal.models.rankings). A few calls' worth: what matters is the calls in review.
KEPT_RANKINGS = 16
_kept: OrderedDict[tuple[Any, ...], _Kept] = OrderedDict()
_kept_lock = threading.Lock()


def _kept_key(call: Call, token: str) -> tuple[Any, ...]:
    return (call.id, token, call.score_aggregation, call.tie_break,
            call.disagreement_threshold_percent, call.reviewers_per_application)


def rank_applications(session: Session, call: Call) -> Ranking:
    """The call's admitted applications in ranking order: by score (higher first; those
    without a submitted review last), ties by the call's rule (by default the larger
    co-financing share), then by registration number. Scores and shares are compared as
    printed, to two places, so the order can be checked against the protocol.

    One statement when the ranking was computed before under the call's current token;
    otherwise three whatever the number of applications (the counted reviews, the admitted
    applications and the call's maximum), and the result is kept. A transaction that has
    changed the call's figures itself gets them computed, and keeps nothing: it may still be
    rolled back."""
    token = session.scalar(  # flushes first, so this transaction's changes are noted
        select(RankingVersion.token).where(RankingVersion.call_id == call.id))
    if token is None or call.id in changed_calls(session):
        return rank_calls(session, [call])[call.id]
    key = _kept_key(call, token)
    with _kept_lock:
        kept = _kept.get(key)
        if kept is not None:
            _kept.move_to_end(key)
    if kept is None:
        ranking = rank_calls(session, [call])[call.id]
        kept = _Kept(ranking.maximum, tuple(ranking.rows), tuple(ranking.reviewers))
        with _kept_lock:
            _kept[key] = kept
            while len(_kept) > KEPT_RANKINGS:
                _kept.popitem(last=False)
        return ranking
    return Ranking(call=call, maximum=kept.maximum, rows=list(kept.rows),
                   reviewers=list(kept.reviewers))


# --- the funding line and the simulator -------------------------------------------------------


@dataclass(frozen=True)
class ProposedGrant:
    row: RankingRow
    amount: Decimal


@dataclass
class FundingProposal:
    """What the portal proposes: the applications above the line with their amounts, the
    money left, and the reserve list just below the line."""

    fund: Decimal
    passing_score: Decimal | None
    reduction_percent: Decimal
    funded: list[ProposedGrant] = field(default_factory=list)
    reserve: list[RankingRow] = field(default_factory=list)
    below_passing: int = 0  # scored applications under the passing score

    @property
    def count(self) -> int:
        return len(self.funded)

    @property
    def total(self) -> Decimal:
        return sum((g.amount for g in self.funded), ZERO)

    @property
    def remainder(self) -> Decimal:
        return self.fund - self.total

    @property
    def last_funded_id(self) -> int | None:
        """The application the funding line is drawn under."""
        return self.funded[-1].row.application_id if self.funded else None

    @property
    def first_below_id(self) -> int | None:
        return self.reserve[0].application_id if self.reserve else None

    def amount_for(self, application_id: int) -> Decimal | None:
        return self._amounts.get(application_id)

    def reserve_position(self, application_id: int) -> int | None:
        return self._reserve_positions.get(application_id)

    # Looked up for every row of the ranking table: by id, once the line is drawn.
    @cached_property
    def _amounts(self) -> dict[int, Decimal]:
        return {g.row.application_id: g.amount for g in self.funded}

    @cached_property
    def _reserve_positions(self) -> dict[int, int]:
        return {row.application_id: position
                for position, row in enumerate(self.reserve, start=1)}


def reduced_amount(requested: Decimal, reduction_percent: Decimal) -> Decimal:
    """requested x (1 - reduction), rounded down to the kopeck: a reduction never gives
    a kopeck more than the percentage says."""
    return (requested * (100 - reduction_percent) / 100).quantize(KOPECK, rounding=ROUND_DOWN)


def propose_funding(
    rows: Iterable[RankingRow],
    fund: Decimal,
    passing_score: Decimal | None = None,
    reduction_percent: Decimal = Decimal(0),
    *,
    reserve_size: int = RESERVE_SIZE,
) -> FundingProposal:
    """Draw the funding line down the ranking. Pure: nothing is read or saved.

    The rule, as municipal commissions apply it: go down the ranking in order, funding each
    application with its requested amount (less the uniform reduction, if any) while it fits
    in what is left of the fund; at the first one that does not fit in full, stop. No one
    below it is funded ahead of it, even if a smaller project would fit: that would let the
    size of a request overrule the score. The money left is shown; the chair may give it to
    the first application below the line as a partial grant by hand, with a reason.

    Only applications with a score take part, not one that was declined, and with a passing
    score only those scoring at least that much. The next `reserve_size` of them below the
    line are the reserve list, in ranking order."""
    reduction = Decimal(reduction_percent or 0)
    if not Decimal(0) <= reduction < 100:
        raise ValueError("the reduction is a percentage from 0 up to, not including, 100")
    proposal = FundingProposal(fund=fund, passing_score=passing_score,
                               reduction_percent=reduction)
    spent = ZERO
    line_drawn = False
    for row in rows:
        if row.score is None or row.is_declined:
            continue
        if passing_score is not None and row.score < passing_score:
            proposal.below_passing += 1
            continue
        if line_drawn:
            if len(proposal.reserve) < reserve_size:
                proposal.reserve.append(row)
            continue
        amount = reduced_amount(row.requested_amount, reduction)
        if amount > 0 and spent + amount <= fund:
            proposal.funded.append(ProposedGrant(row, amount))
            spent += amount
        else:
            line_drawn = True
            if reserve_size > 0:
                proposal.reserve.append(row)
    return proposal


# --- the summary sheet (сводная ведомость) ---------------------------------------------------


@dataclass
class SheetReview:
    """One reviewer's review of one application: a score per criterion, in the call's order."""

    reviewer: str
    scores: list[int | None]
    comments: list[str]
    total: Decimal
    recommendation: Recommendation | None
    recommended_amount: Decimal | None
    overall_comment: str


@dataclass
class SheetApplication:
    row: RankingRow
    reviews: list[SheetReview]


@dataclass
class SummarySheet:
    ranking: Ranking
    criteria: list[Criterion]
    applications: list[SheetApplication]


def summary_sheet(session: Session, call: Call) -> SummarySheet:
    """Every counted review's score on every criterion, per application in ranking order and
    per reviewer: the ranking, the criteria and one statement for the scores (each review's
    total summed by the database beside its scores)."""
    ranking = rank_applications(session, call)
    criteria = list(session.scalars(
        select(Criterion).where(Criterion.call_id == call.id).order_by(Criterion.position)
    ))
    counted = _review_totals([call.id]).cte("counted")
    result = session.execute(
        select(
            Review.application_id, Review.id, User.full_name, Review.recommendation,
            Review.recommended_amount, Review.overall_comment, counted.c.total,
            ReviewScore.criterion_id, ReviewScore.score, ReviewScore.comment,
        )
        .join(counted, counted.c.review_id == Review.id)
        .join(User, User.id == Review.reviewer_id)
        .join(ReviewScore, ReviewScore.review_id == Review.id)
        .order_by(Review.application_id, User.full_name, Review.id)
    ).all()
    position = {c.id: n for n, c in enumerate(criteria)}
    reviews: dict[int, SheetReview] = {}
    by_application: dict[int, list[SheetReview]] = {}
    for r in result:
        review = reviews.get(r.id)
        if review is None:
            review = reviews[r.id] = SheetReview(
                reviewer=r.full_name, scores=[None] * len(criteria), comments=[""] * len(criteria),
                total=_hundredths(r.total) or ZERO, recommendation=r.recommendation,
                recommended_amount=r.recommended_amount, overall_comment=r.overall_comment,
            )
            by_application.setdefault(r.application_id, []).append(review)
        if r.criterion_id in position:
            review.scores[position[r.criterion_id]] = r.score
            review.comments[position[r.criterion_id]] = r.comment
    return SummarySheet(
        ranking=ranking, criteria=criteria,
        applications=[SheetApplication(row, by_application.get(row.application_id, []))
                      for row in ranking.rows],
    )


def summary_xlsx(sheet: SummarySheet) -> bytes:
    """The summary sheet as a workbook: “Scores” has one line per review with a column per
    criterion, the total and the application's score; “Comments” has every comment, one per
    line."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    call = sheet.ranking.call
    book = Workbook()
    scores = book.active
    scores.title = _("Scores")[:31]
    bold = Font(bold=True)
    put_cell(scores, 1, 1, _("Summary sheet of scores: call %(code)s “%(title)s”",
                             code=call.code, title=call.title)).font = bold
    put_cell(scores, 2, 1, _("Maximum total of a review: %(maximum)s",
                             maximum=sheet.ranking.maximum))
    criteria_names = [f"{c.position}. {c.name}" for c in sheet.criteria]
    header = [_("Rank"), _("Registration number"), _("Project"), _("Library"), _("Reviewer"),
              *criteria_names, _("Review total"), _("Recommendation"),
              _("Recommended amount"), _("Score of the application"), _("Maximum")]
    for column, title in enumerate(header, start=1):
        put_cell(scores, 4, column, title).font = bold
    line = 5
    for entry in sheet.applications:
        row = entry.row
        for review in entry.reviews or [None]:
            values: list[Any] = [row.rank, row.registration_number, row.title, row.library]
            if review is None:
                values += [_("no counted review"), *([None] * len(sheet.criteria)), None, None,
                           None]
            else:
                values += [
                    review.reviewer, *review.scores, review.total,
                    str(RECOMMENDATION_LABELS.get(review.recommendation, "")),
                    review.recommended_amount,
                ]
            values += [row.score, row.maximum]
            for column, value in enumerate(values, start=1):
                put_cell(scores, line, column, value)
            line += 1
    scores.freeze_panes = "A5"

    comments = book.create_sheet(_("Comments")[:31])
    for column, title in enumerate((_("Registration number"), _("Reviewer"), _("Criterion"),
                                    _("Score"), _("Comment")), start=1):
        put_cell(comments, 1, column, title).font = bold
    line = 2
    for entry in sheet.applications:
        for review in entry.reviews:
            items = [(name, score, comment) for name, score, comment
                     in zip(criteria_names, review.scores, review.comments, strict=True)]
            items.append((_("Overall comment"), None, review.overall_comment))
            for name, score, comment in items:
                for column, value in enumerate((entry.row.registration_number,
                                                review.reviewer, name, score, comment),
                                               start=1):
                    put_cell(comments, line, column, value)
                line += 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
