"""The ranking: the arithmetic of totals, scores (mean and median), disagreement and
normalised scores against hand-computed figures; the tie-break; the budget figures; which
applications and reviews count; a constant number of statements whatever the size; the
funding line and the simulator (nothing saved); the ranking page."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    ApplicationStatus,
    AssignmentStatus,
    AuditEvent,
    Call,
    Criterion,
    Decision,
    DecisionOutcome,
    Role,
    ScoreAggregation,
    TieBreak,
)
from portal.money import summarise_budget
from portal.services.ranking import (
    FundingProposal,
    RankingRow,
    propose_funding,
    rank_applications,
    reduced_amount,
    summary_sheet,
)
from tests.conftest import count_statements

D = Decimal
REVIEWED = ApplicationStatus.REVIEWED


# --- helpers ----------------------------------------------------------------------------------


def set_criteria(db: Session, call: Call, *criteria: tuple[int, str]) -> Call:
    """Replace the call's criteria by (scale_max, weight) pairs, in order."""
    call.criteria = [
        Criterion(position=n, name=f"Критерий {n}", scale_max=scale, weight=D(weight))
        for n, (scale, weight) in enumerate(criteria, start=1)
    ]
    db.flush()
    return call


@pytest.fixture
def weighted_call(db: Session, create_call: Callable[..., Call]) -> Call:
    """Three criteria: 0-10 x 1.5, 0-10 x 2, 0-4 x 0.25; the maximum is 15 + 20 + 1 = 36."""
    return set_criteria(db, create_call(), (10, "1.5"), (10, "2"), (4, "0.25"))


@pytest.fixture
def points_call(db: Session, create_call: Callable[..., Call]) -> Call:
    """One criterion 0-100 x 1, so a review's total is its score."""
    return set_criteria(db, create_call(), (100, "1"))


@pytest.fixture
def reviewers(create_user: Callable[..., Any]) -> list[Any]:
    return [create_user(Role.REVIEWER, full_name=f"Эксперт {n}") for n in range(1, 6)]


def only(ranking: Any, app: Any) -> RankingRow:
    row = ranking.row(app.id)
    assert row is not None
    return row


# --- totals, mean, median, maximum ---------------------------------------------------------------


def test_totals_are_score_times_weight_and_the_score_is_their_mean(
    db, weighted_call, create_application, create_review, reviewers
):
    app = create_application(call=weighted_call, status=REVIEWED)
    create_review(app, [8, 7, 4], reviewer=reviewers[0])  # 12 + 14 + 1    = 27.00
    create_review(app, [6, 9, 2], reviewer=reviewers[1])  # 9 + 18 + 0.5   = 27.50
    create_review(app, [5, 7, 1], reviewer=reviewers[2])  # 7.5 + 14 + 0.25 = 21.75
    ranking = rank_applications(db, weighted_call)
    row = only(ranking, app)
    assert ranking.maximum == D("36.00")
    assert row.maximum == D("36.00")
    assert row.reviews_count == 3
    assert (row.highest_total, row.lowest_total) == (D("27.50"), D("21.75"))
    assert row.score == D("25.42")  # 76.25 / 3 = 25.41666... half up


def test_the_mean_rounds_half_up_to_hundredths(
    db, weighted_call, create_application, create_review, reviewers
):
    app = create_application(call=weighted_call, status=REVIEWED)
    create_review(app, [8, 7, 4], reviewer=reviewers[0])  # 27.00
    create_review(app, [7, 8, 3], reviewer=reviewers[1])  # 10.5 + 16 + 0.75 = 27.25
    # (27.00 + 27.25) / 2 = 27.125 -> 27.13
    assert only(rank_applications(db, weighted_call), app).score == D("27.13")


def test_median_of_an_odd_number_is_the_middle_total(
    db, weighted_call, create_application, create_review, reviewers
):
    weighted_call.score_aggregation = ScoreAggregation.MEDIAN
    app = create_application(call=weighted_call, status=REVIEWED)
    for reviewer, scores in zip(reviewers, ([8, 7, 4], [6, 9, 2], [5, 7, 1]), strict=False):
        create_review(app, scores, reviewer=reviewer)  # 27.00, 27.50, 21.75
    assert only(rank_applications(db, weighted_call), app).score == D("27.00")


def test_median_of_an_even_number_is_the_mean_of_the_middle_two(
    db, weighted_call, create_application, create_review, reviewers
):
    weighted_call.score_aggregation = ScoreAggregation.MEDIAN
    app = create_application(call=weighted_call, status=REVIEWED)
    # 7.00, 27.00, 27.25, 36.00: the middle two give 27.125 -> 27.13
    for reviewer, scores in zip(reviewers, ([2, 2, 0], [8, 7, 4], [7, 8, 3], [10, 10, 4]),
                                strict=False):
        create_review(app, scores, reviewer=reviewer)
    row = only(rank_applications(db, weighted_call), app)
    assert row.score == D("27.13")
    weighted_call.score_aggregation = ScoreAggregation.MEAN
    assert only(rank_applications(db, weighted_call), app).score == D("24.31")  # 97.25 / 4


def test_median_of_two_and_of_one(db, points_call, create_application, create_review,
                                  reviewers):
    points_call.score_aggregation = ScoreAggregation.MEDIAN
    two = create_application(call=points_call, status=REVIEWED)
    create_review(two, [61], reviewer=reviewers[0])
    create_review(two, [70], reviewer=reviewers[1])
    one = create_application(call=points_call, status=REVIEWED)
    create_review(one, [42], reviewer=reviewers[0])
    ranking = rank_applications(db, points_call)
    assert only(ranking, two).score == D("65.50")
    assert only(ranking, one).score == D("42.00")


# --- disagreement ------------------------------------------------------------------------------


def test_disagreement_is_a_spread_above_the_threshold_of_the_maximum(
    db, weighted_call, create_application, create_review, reviewers
):
    weighted_call.disagreement_threshold_percent = D("25")  # 25 % of 36 = 9.00
    at_threshold = create_application(call=weighted_call, status=REVIEWED)
    create_review(at_threshold, [10, 10, 4], reviewer=reviewers[0])  # 36.00
    create_review(at_threshold, [8, 7, 4], reviewer=reviewers[1])  # 27.00: exactly 9.00 apart
    above = create_application(call=weighted_call, status=REVIEWED)
    create_review(above, [10, 10, 4], reviewer=reviewers[0])  # 36.00
    create_review(above, [3, 10, 4], reviewer=reviewers[1])  # 4.5 + 20 + 1 = 25.50: 10.50
    single = create_application(call=weighted_call, status=ApplicationStatus.IN_REVIEW)
    create_review(single, [0, 0, 0], reviewer=reviewers[0])
    ranking = rank_applications(db, weighted_call)
    assert only(ranking, at_threshold).spread == D("9.00")
    assert not only(ranking, at_threshold).is_disagreement
    assert only(ranking, above).is_disagreement
    assert not only(ranking, single).is_disagreement  # one review cannot disagree

    weighted_call.disagreement_threshold_percent = D("30")  # 10.80: neither
    ranking = rank_applications(db, weighted_call)
    assert not only(ranking, above).is_disagreement


def test_disagreement_compares_the_extremes_of_three(
    db, points_call, create_application, create_review, reviewers
):
    app = create_application(call=points_call, status=REVIEWED)  # 30 % of 100 = 30
    for reviewer, score in zip(reviewers, (50, 65, 81), strict=False):
        create_review(app, [score], reviewer=reviewer)
    row = only(rank_applications(db, points_call), app)
    assert row.spread == D("31.00")
    assert row.is_disagreement


# --- normalised scores ---------------------------------------------------------------------------


def test_normalised_scores_are_per_reviewer_z_scores_averaged(
    db, points_call, create_application, create_review, reviewers
):
    a, b, c, d = reviewers[:4]
    x, y, z, w = (create_application(call=points_call, status=REVIEWED) for _n in range(4))
    # Reviewer A: 10, 20, 30 -> mean 20, population sd sqrt(200/3) = 8.16497 -> -1.22474, 0,
    # +1.22474. B: 50, 60 -> mean 55, sd 5 -> -1, +1. C has one review and D gave equal
    # totals: nothing to normalise by, so 0.
    for app, score in ((x, 10), (y, 20), (z, 30)):
        create_review(app, [score], reviewer=a)
    create_review(x, [50], reviewer=b)
    create_review(y, [60], reviewer=b)
    create_review(z, [40], reviewer=c)
    create_review(z, [70], reviewer=d)
    create_review(w, [70], reviewer=d)
    ranking = rank_applications(db, points_call)
    assert only(ranking, x).normalised_score == D("-1.11")  # (-1.22474 - 1) / 2
    assert only(ranking, y).normalised_score == D("0.50")  # (0 + 1) / 2
    assert only(ranking, z).normalised_score == D("0.41")  # (1.22474 + 0 + 0) / 3
    assert only(ranking, w).normalised_score == D("0.00")  # D's zero spread
    stats = {s.name: s for s in ranking.reviewers}
    assert (stats["Эксперт 1"].mean_total, stats["Эксперт 1"].deviation) == (D("20.00"),
                                                                           D("8.16"))
    assert (stats["Эксперт 2"].mean_total, stats["Эксперт 2"].deviation) == (D("55.00"),
                                                                           D("5.00"))
    assert stats["Эксперт 3"].reviews == 1 and not stats["Эксперт 3"].is_normalised
    assert stats["Эксперт 4"].deviation == D("0.00") and not stats["Эксперт 4"].is_normalised
    # The raw scores are untouched: (10 + 50) / 2, (20 + 60) / 2, (30 + 40 + 70) / 3.
    assert [only(ranking, app).score for app in (x, y, z, w)] == [
        D("30.00"), D("40.00"), D("46.67"), D("70.00")]


def test_normalisation_cancels_a_reviewers_strictness(
    db, points_call, create_application, create_review, reviewers
):
    """A strict and a lenient reviewer who order the applications alike give the same z."""
    strict, lenient = reviewers[:2]
    apps = [create_application(call=points_call, status=REVIEWED) for _n in range(3)]
    for app, (low, high) in zip(apps, ((20, 60), (30, 70), (40, 80)), strict=True):
        create_review(app, [low], reviewer=strict)
        create_review(app, [high], reviewer=lenient)
    rows = [only(rank_applications(db, points_call), app) for app in apps]
    assert [r.normalised_score for r in rows] == [D("-1.22"), D("0.00"), D("1.22")]


# --- order ----------------------------------------------------------------------------------------


COFINANCED_40 = (("equipment", "1", "100000.00", "60000.00", "40000.00", "0.00"),)


def test_ties_go_to_the_larger_cofinancing_share_by_default(
    db, points_call, create_application, create_review, reviewers
):
    assert points_call.tie_break == TieBreak.COFINANCING
    first = create_application(call=points_call, status=REVIEWED)  # 25 % co-financing
    second = create_application(call=points_call, status=REVIEWED, budget=COFINANCED_40)
    best = create_application(call=points_call, status=REVIEWED)
    for app, score in ((first, 50), (second, 50), (best, 51)):
        create_review(app, [score], reviewer=reviewers[0])
    rows = rank_applications(db, points_call).rows
    assert [r.application_id for r in rows] == [best.id, second.id, first.id]
    assert [r.rank for r in rows] == [1, 2, 3]
    assert [r.cofinancing_percent for r in rows] == [D("25.00"), D("40.00"), D("25.00")]


def test_ties_by_the_smaller_request_or_the_earlier_submission(
    db, points_call, create_application, create_review, reviewers
):
    big = create_application(call=points_call, status=REVIEWED)  # 225 000 requested
    small = create_application(call=points_call, status=REVIEWED, budget=COFINANCED_40)
    for app in (big, small):
        create_review(app, [50], reviewer=reviewers[0])
    points_call.tie_break = TieBreak.SMALLER_REQUEST
    assert [r.application_id for r in rank_applications(db, points_call).rows] == [
        small.id, big.id]
    points_call.tie_break = TieBreak.EARLIER_SUBMISSION
    small.submitted_at = big.submitted_at - timedelta(hours=1)
    db.flush()
    assert [r.application_id for r in rank_applications(db, points_call).rows] == [
        small.id, big.id]
    small.submitted_at = big.submitted_at + timedelta(hours=1)
    db.flush()
    assert [r.application_id for r in rank_applications(db, points_call).rows] == [
        big.id, small.id]


def test_a_full_tie_goes_by_registration_number(
    db, points_call, create_application, create_review, reviewers
):
    apps = [create_application(call=points_call, status=REVIEWED) for _n in range(3)]
    for app in reversed(apps):
        create_review(app, [50], reviewer=reviewers[0])
    rows = rank_applications(db, points_call).rows
    assert [r.registration_number for r in rows] == sorted(a.registration_number for a in apps)


# --- the budget and what counts ------------------------------------------------------------------


FRACTIONAL_BUDGET = (
    ("equipment", "3", "123456.79", "300000.00", "70370.37", "0.00"),
    ("informatisation", "2.5", "80000.10", "150000.25", "0.00", "50000.00"),
    ("acquisitions", "1000", "456.78", "400000.00", "56780.00", "0.00"),
    ("acquisitions", "7", "1999.99", "0.00", "13999.93", "0.00"),
    ("events", "1", "512345.67", "149999.74", "300000.00", "62345.93"),
)


def test_budget_figures_equal_what_summarise_budget_computes(
    db, points_call, create_application
):
    app = create_application(call=points_call, status=ApplicationStatus.IN_REVIEW,
                             budget=FRACTIONAL_BUDGET)
    summary = summarise_budget(app.budget_lines)
    row = only(rank_applications(db, points_call), app)
    assert row.requested_amount == summary.requested == D("999999.99")
    assert row.own_amount == summary.overall.own
    assert row.partner_amount == summary.overall.partner
    assert row.total_amount == summary.total == D("1553496.22")
    assert row.cofinancing_percent == summary.cofinancing_percent == D("35.63")


def test_only_admitted_applications_and_counted_reviews_take_part(
    db, points_call, create_application, create_review, reviewers, assign
):
    kept = {status: create_application(call=points_call, status=status) for status in (
        ApplicationStatus.ELIGIBLE, ApplicationStatus.IN_REVIEW, REVIEWED,
        ApplicationStatus.FUNDED, ApplicationStatus.NOT_FUNDED, ApplicationStatus.DECLINED)}
    left_out = [create_application(call=points_call, status=status) for status in (
        ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED, ApplicationStatus.INELIGIBLE)]
    left_out.append(create_application(call=points_call, status=ApplicationStatus.WITHDRAWN,
                                       withdrawn_at=utcnow()))
    in_review = kept[ApplicationStatus.IN_REVIEW]
    create_review(in_review, [80], reviewer=reviewers[0])
    create_review(in_review, [10], reviewer=reviewers[1], submitted=False)  # a draft
    handed_back = create_review(in_review, [0], reviewer=reviewers[2])
    handed_back.assignment.status = AssignmentStatus.CONFLICT
    handed_back.assignment.conflict_declared_at = utcnow()
    db.flush()

    ranking = rank_applications(db, points_call)
    ids = {r.application_id for r in ranking.rows}
    assert ids == {a.id for a in kept.values()}
    assert not ids & {a.id for a in left_out}
    row = only(ranking, in_review)
    assert (row.reviews_count, row.score) == (1, D("80.00"))
    assert row.has_too_few_reviews
    eligible = only(ranking, kept[ApplicationStatus.ELIGIBLE])
    assert (eligible.score, eligible.rank, eligible.reviews_count) == (None, None, 0)
    assert eligible.normalised_score is None
    assert ranking.rows[0].application_id == in_review.id  # the unscored ones go last


def test_the_decision_and_the_running_total_are_on_the_row(
    db, points_call, create_application, create_review, reviewers
):
    first = create_application(call=points_call, status=REVIEWED)
    second = create_application(call=points_call, status=REVIEWED, budget=COFINANCED_40)
    create_review(first, [90], reviewer=reviewers[0])
    create_review(second, [80], reviewer=reviewers[0])
    db.add(Decision(application_id=first.id, call_id=points_call.id,
                    outcome=DecisionOutcome.FUNDED, approved_amount=D("200000.00"),
                    reason="Снижено: завышена стоимость оборудования"))
    db.flush()
    ranking = rank_applications(db, points_call)
    row = only(ranking, first)
    assert (row.decision, row.approved_amount) == (DecisionOutcome.FUNDED, D("200000.00"))
    assert row.decision_reason.startswith("Снижено")
    assert [r.cumulative_requested for r in ranking.rows] == [D("225000.00"), D("285000.00")]
    assert ranking.approved_total == D("200000.00")
    assert only(ranking, second).decision is None


# --- a constant number of statements -----------------------------------------------------------


def populated_call(db, create_call, create_application, create_review, reviewers, size: int):
    call = set_criteria(db, create_call(), (10, "1.5"), (10, "2"))
    for n in range(size):
        app = create_application(call=call, status=REVIEWED)
        create_review(app, [n % 11, (3 * n) % 11], reviewer=reviewers[n % 3])
        create_review(app, [(n + 4) % 11, 7], reviewer=reviewers[3 + n % 2])
    db.flush()
    db.expire_all()
    return db.get(Call, call.id)


def test_the_ranking_takes_the_same_number_of_statements_at_5_and_at_40(
    db, create_call, create_application, create_review, reviewers
):
    counts = {}
    for size in (5, 40):
        call = populated_call(db, create_call, create_application, create_review, reviewers,
                              size)
        ranking = None

        def work(call: Call = call) -> None:
            nonlocal ranking
            ranking = rank_applications(db, call)

        counts[size] = count_statements(db, work)
        assert ranking is not None and len(ranking.rows) == size
        assert all(r.reviews_count == 2 for r in ranking.rows)
        sheet_counts = count_statements(db, lambda call=call: summary_sheet(db, call))
        counts[f"sheet{size}"] = sheet_counts
    # The call's ranking token, then the three statements (this transaction changed the
    # figures, so nothing kept is used).
    assert counts[5] == counts[40] == 4
    assert counts["sheet5"] == counts["sheet40"]


def test_the_sql_agrees_with_a_reference_computed_in_python(
    db, create_call, create_application, create_review, reviewers
):
    """40 applications with varied scores: the database's scores equal Decimal arithmetic on
    the same reviews, for the mean and for the median."""
    call = populated_call(db, create_call, create_application, create_review, reviewers, 40)
    from portal.models import Review, ReviewStatus

    weights = {c.id: c.weight for c in call.criteria}
    totals: dict[int, list[Decimal]] = {}
    for review in db.scalars(select(Review).where(Review.status == ReviewStatus.SUBMITTED)):
        if review.application.call_id == call.id:
            totals.setdefault(review.application_id, []).append(
                sum((s.score * weights[s.criterion_id] for s in review.scores), D(0)))
    for aggregation in ScoreAggregation:
        call.score_aggregation = aggregation
        for row in rank_applications(db, call).rows:
            values = sorted(totals[row.application_id])
            if aggregation == ScoreAggregation.MEAN:
                expected = sum(values, D(0)) / len(values)
            else:
                expected = (values[0] + values[1]) / 2
            assert row.score == expected.quantize(D("0.01"), rounding="ROUND_HALF_UP")


# --- the funding line ---------------------------------------------------------------------------


def make_row(number: int, score: str | None, requested: str, **extra: Any) -> RankingRow:
    values: dict[str, Any] = {
        "application_id": number, "registration_number": f"2026-01-{number:04d}",
        "title": f"Проект {number}", "library": "Библиотека",
        "status": ApplicationStatus.REVIEWED, "submitted_at": None,
        "requested_amount": D(requested), "own_amount": D("0"), "partner_amount": D("0"),
        "total_amount": D(requested), "cofinancing_percent": D("0"), "reviews_count": 2,
        "reviews_required": 2, "score": D(score) if score is not None else None,
        "maximum": D("100"), "highest_total": None, "lowest_total": None,
        "normalised_score": None, "is_disagreement": False, "decision": None,
        "approved_amount": None, "decision_reason": "", "reserve_rank": None,
    }
    values.update(extra)
    return RankingRow(**values)


def funded_ids(proposal: FundingProposal) -> list[int]:
    return [g.row.application_id for g in proposal.funded]


def test_the_line_is_drawn_where_the_fund_is_spent():
    rows = [make_row(n, str(100 - n), "100000.00") for n in range(1, 6)]
    proposal = propose_funding(rows, D("300000.00"))
    assert funded_ids(proposal) == [1, 2, 3]
    assert (proposal.count, proposal.total, proposal.remainder) == (3, D("300000.00"), D("0"))
    assert proposal.last_funded_id == 3
    assert [r.application_id for r in proposal.reserve] == [4, 5]


def test_the_line_stops_at_the_first_application_that_does_not_fit():
    """A smaller project further down is not funded ahead of a better one that did not fit;
    the remainder is shown for the chair to give by hand."""
    rows = [make_row(1, "90", "100000.00"), make_row(2, "80", "200000.00"),
            make_row(3, "70", "50000.00"), make_row(4, "60", "10000.00"),
            make_row(5, "50", "10000.00")]
    proposal = propose_funding(rows, D("250000.00"))
    assert funded_ids(proposal) == [1]
    assert proposal.remainder == D("150000.00")
    assert [r.application_id for r in proposal.reserve] == [2, 3, 4]  # RESERVE_SIZE = 3
    assert proposal.first_below_id == 2
    assert propose_funding(rows, D("250000.00"), reserve_size=1).reserve == [rows[1]]


def test_the_passing_score_keeps_lower_scores_out():
    rows = [make_row(1, "30.00", "100.00"), make_row(2, "25.00", "100.00"),
            make_row(3, "24.99", "100.00")]
    proposal = propose_funding(rows, D("1000.00"), passing_score=D("25"))
    assert funded_ids(proposal) == [1, 2]
    assert proposal.below_passing == 1
    assert proposal.reserve == []  # below the passing score is not a reserve either


def test_a_uniform_reduction_rounds_down_to_the_kopeck_and_funds_more():
    assert reduced_amount(D("100000.01"), D("10")) == D("90000.00")  # 90 000.009
    assert reduced_amount(D("99999.99"), D("12.5")) == D("87499.99")  # 87 499.99125
    assert reduced_amount(D("100.00"), D("0")) == D("100.00")
    rows = [make_row(n, str(90 - n), "100000.00") for n in range(1, 5)]
    assert propose_funding(rows, D("270000.00")).count == 2
    reduced = propose_funding(rows, D("270000.00"), reduction_percent=D("10"))
    assert funded_ids(reduced) == [1, 2, 3]
    assert [g.amount for g in reduced.funded] == [D("90000.00")] * 3
    assert reduced.remainder == D("0.00")
    with pytest.raises(ValueError):
        propose_funding(rows, D("1"), reduction_percent=D("100"))


def test_unscored_and_declined_applications_are_not_proposed():
    rows = [make_row(1, "90", "100.00", status=ApplicationStatus.DECLINED),
            make_row(2, "80", "100.00", decision=DecisionOutcome.DECLINED),
            make_row(3, "70", "100.00"), make_row(4, None, "100.00")]
    proposal = propose_funding(rows, D("1000.00"))
    assert funded_ids(proposal) == [3]
    assert proposal.reserve == []


# --- the page and the simulator -----------------------------------------------------------------


@pytest.fixture
def ranked_call(db, points_call, create_application, create_review, reviewers, close_call):
    """Four reviewed applications asking 225 000 each, scored 90, 80, 70 and a disagreeing
    one (100 and 20 -> 60); the fund is 500 000, so the proposal funds two."""
    points_call.fund_amount = D("500000.00")
    apps = [create_application(call=points_call, status=REVIEWED) for _n in range(4)]
    for app, scores in zip(apps, ((90, 90), (80, 80), (70, 70), (100, 20)), strict=True):
        create_review(app, [scores[0]], reviewer=reviewers[0])
        create_review(app, [scores[1]], reviewer=reviewers[1])
    close_call(points_call)
    return points_call, apps


def test_the_ranking_page_shows_the_table_the_line_and_the_method(
    client, login_as, create_user, ranked_call
):
    call, apps = ranked_call
    login_as(create_user(Role.CHAIR))
    response = client.get(f"/committee/calls/{call.id}/ranking")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    for app in apps:
        assert f'id="app-{app.id}"' in html
    assert "90 / 100" in html and "60 / 100" in html
    assert "reviewers disagree" in html
    assert f'/committee/calls/{call.id}/assignments#app-{apps[3].id}' in html
    assert "Add a reviewer" in html
    # the line under the second, and the running total passing the fund at the third
    line = html.index('id="funding-line"')
    assert html.index(f'id="app-{apps[1].id}"') < line < html.index(f'id="app-{apps[2].id}"')
    assert "above it 2 projects for 450,000.00" in html
    assert "675,000.00" in html and "over the fund" in html
    assert "z-score" in html and "standard deviation" in html
    assert "<caption" in html and 'scope="col"' in html


def test_the_simulator_shows_the_outcome_and_saves_nothing(
    client, login_as, create_user, ranked_call, db
):
    call, _apps = ranked_call
    login_as(create_user(Role.CHAIR))
    before = (db.scalar(select(func.count(Decision.id))),
              db.scalar(select(func.count(AuditEvent.id))))
    response = client.get(f"/committee/calls/{call.id}/ranking",
                          query_string={"passing_score": "75", "reduction_percent": "10"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # 90 and 80 pass; 202 500 each = 405 000; 95 000 left
    assert 'id="simulation-result"' in html
    assert "Projects funded: 2, for 405,000.00" in html
    assert "95,000.00" in html and "left" in html
    assert "Under the passing score: 2." in html
    # no passing score and 30 % off: 157 500 each, three fit (472 500), the fourth does not
    response = client.get(f"/committee/calls/{call.id}/ranking",
                          query_string={"passing_score": "", "reduction_percent": "30"})
    assert "Projects funded: 3, for 472,500.00" in response.get_data(as_text=True)
    after = (db.scalar(select(func.count(Decision.id))),
             db.scalar(select(func.count(AuditEvent.id))))
    assert before == after


def test_the_simulator_refuses_impossible_figures(client, login_as, create_user, ranked_call):
    call, _apps = ranked_call
    login_as(create_user(Role.CHAIR))
    response = client.get(f"/committee/calls/{call.id}/ranking",
                          query_string={"reduction_percent": "100"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="simulation-result"' not in html
    assert "The value must be at most" in html
    response = client.get(f"/committee/calls/{call.id}/ranking",
                          query_string={"passing_score": "abc"})
    assert "Enter a number like" in response.get_data(as_text=True)


def test_the_page_works_for_a_call_without_applications(client, login_as, create_user,
                                                        create_call):
    call = create_call()
    login_as(create_user(Role.ADMIN))
    response = client.get(f"/committee/calls/{call.id}/ranking")
    assert response.status_code == 200
    assert "No application has been admitted" in response.get_data(as_text=True)


def test_the_page_in_russian(ru_client, create_user, ranked_call):
    call, _apps = ranked_call
    with ru_client.session_transaction() as sess:
        sess["_user_id"] = create_user(Role.CHAIR).get_id()
    response = ru_client.get(f"/committee/calls/{call.id}/ranking")
    assert response.status_code == 200
    assert "450\u00a0000,00\u00a0₽" in response.get_data(as_text=True).replace("\u202f", "\u00a0")


# --- the summary sheet (сводная ведомость) ----------------------------------------------------


def test_the_summary_sheet_holds_every_score_per_criterion_per_reviewer(
    db, weighted_call, create_application, create_review, reviewers
):
    first = create_application(call=weighted_call, status=REVIEWED)
    second = create_application(call=weighted_call, status=REVIEWED)
    create_review(first, [8, 7, 4], reviewer=reviewers[1])  # 27.00
    create_review(first, [6, 9, 2], reviewer=reviewers[0])  # 27.50
    create_review(second, [2, 2, 0], reviewer=reviewers[0])  # 7.00
    sheet = summary_sheet(db, weighted_call)
    assert [c.position for c in sheet.criteria] == [1, 2, 3]
    assert [e.row.application_id for e in sheet.applications] == [first.id, second.id]
    top = sheet.applications[0]
    assert [(r.reviewer, r.scores, r.total) for r in top.reviews] == [
        ("Эксперт 1", [6, 9, 2], D("27.50")), ("Эксперт 2", [8, 7, 4], D("27.00"))]
    assert top.reviews[0].comments == ["Комментарий 1", "Комментарий 2", "Комментарий 3"]
    assert sheet.applications[1].reviews[0].total == D("7.00")


FORMULAS = ("=HYPERLINK(\"http://evil.example\",\"x\")", "+7 999 123-45-67", "-2+3",
            "@SUM(A1:A2)", "=1+1")


def test_the_spreadsheet_writes_formula_like_text_as_text(
    client, login_as, create_user, db, points_call, create_application, create_review,
    reviewers
):
    from openpyxl import load_workbook

    app = create_application(call=points_call, status=REVIEWED, title="=cmd|' /C calc'!A0")
    reviews = []
    for reviewer, formula in zip(reviewers, FORMULAS, strict=False):
        review = create_review(app, [70], reviewer=reviewer, comment=formula)
        review.scores[0].comment = formula
        reviews.append(review)
    db.flush()
    login_as(create_user(Role.CHAIR))
    response = client.get(f"/committee/calls/{points_call.id}/summary.xlsx")
    assert response.status_code == 200
    assert response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    book = load_workbook(io.BytesIO(response.data))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row
             if isinstance(cell.value, str)]
    typed = [app.title, *FORMULAS]
    found = {value: [c for c in cells if c.value == value] for value in typed}
    for value, matches in found.items():
        assert matches, f"{value!r} is missing"
        for cell in matches:
            assert cell.data_type == "s", (value, cell.coordinate)
            assert cell.quotePrefix, (value, cell.coordinate)
    assert not [c for c in cells if c.data_type == "f"]

    scores = book.worksheets[0]
    header = [c.value for c in scores[4]]
    assert header[:5] == ["Rank", "Registration number", "Project", "Library", "Reviewer"]
    lines = [[c.value for c in row] for row in scores.iter_rows(min_row=5)]
    assert len(lines) == len(FORMULAS)
    assert {line[5] for line in lines} == {70}  # the criterion's score, a number
    assert all(line[1] == app.registration_number for line in lines)
    assert all(line[-2] == 70 for line in lines)  # the application's score


def test_the_summary_pdf_prints_every_score(
    client, login_as, create_user, db, weighted_call, create_application, create_review,
    reviewers
):
    from pypdf import PdfReader

    first = create_application(call=weighted_call, status=REVIEWED)
    create_review(first, [8, 7, 4], reviewer=reviewers[0])  # 27.00
    create_review(first, [6, 9, 2], reviewer=reviewers[1])  # 27.50
    login_as(create_user(Role.ADMIN))
    response = client.get(f"/committee/calls/{weighted_call.id}/summary.pdf")
    assert response.status_code == 200
    reader = PdfReader(io.BytesIO(response.data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert "Summary sheet of scores" in text
    assert "Эксперт 1 8 7 4 27 " in text
    assert "Эксперт 2 6 9 2 27.5 " in text
    assert "Score of the application (mean of the reviews) 27.25 / 36" in text
    for criterion in weighted_call.criteria:
        assert criterion.name in text
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height  # landscape


def test_protocol_chart_draws_the_totals_table(ctx, db, create_application, create_review,
                                               close_call):
    from portal import pdf
    from portal.services.ranking import rank_applications

    app = create_application(status=ApplicationStatus.REVIEWED)
    create_review(app, [5] * len(app.call.criteria))
    ranking = rank_applications(db, app.call)
    chart = pdf.protocol_chart(ranking)
    assert [bar.value for bar in chart.bars] == [
        app.call.fund_amount, ranking.requested_total, ranking.approved_total]
    assert chart.bars[0].width >= chart.bars[1].width  # the fund is the largest here
