"""The bench generator (bench/generate.py), run as its command at a tiny scale on a database of
its own, makes data that holds the portal's rules: what it says it made, registration numbers
without gaps, every review on every criterion, budgets within their call's rules, decided
calls funded within the fund with their agreements, tranches and payments adding up. And it
refuses to add to a database that already has accounts."""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bench.generate import (
    Calendar,
    Stage,
    Volumes,
    budget_lines,
    main,
    make_app,
    plan_application,
)
from portal.db import db as portal_db
from portal.models import (
    Activity,
    Agreement,
    Application,
    ApplicationStatus,
    BudgetLine,
    Call,
    CallCategory,
    Decision,
    DecisionOutcome,
    Indicator,
    Organisation,
    Partner,
    Payment,
    Review,
    ReviewStatus,
    Tranche,
)
from portal.services.calls import DEFAULT_CATEGORY_CAPS
from portal.services.checks import check_application
from portal.workflow import ADMITTED_STATUSES
from tests.conftest import live_database_url

TINY = Volumes(libraries=3, calls=3, applications=15, min_lines=3, max_lines=6,
               reviews_per_application=2, reviewers=4, seed=11)
ARGUMENTS = ["--libraries", "3", "--calls", "3", "--applications", "15", "--min-lines", "3",
             "--max-lines", "6", "--reviews", "2", "--reviewers", "4", "--seed", "11"]
FUNDED_ONWARDS = (ApplicationStatus.FUNDED, ApplicationStatus.UNDER_AGREEMENT,
                  ApplicationStatus.REPORTING, ApplicationStatus.COMPLETED)


@dataclass
class Generated:
    url: str
    output: str
    app: Flask


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    url = live_database_url(tmp_path_factory, "bench")
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        assert main(["--database-url", url, "--reset", *ARGUMENTS]) == 0
    app = make_app(url)
    yield Generated(url, output.getvalue(), app)
    app.extensions["vektor.db"]["engine"].dispose()


@pytest.fixture
def session(generated: Generated) -> Iterator[Session]:
    """A session on the generated database, in a request context (messages, locale)."""
    with generated.app.test_request_context():
        yield portal_db.get_session()


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_command_makes_what_it_was_asked_and_says_so(generated: Generated,
                                                          session: Session):
    assert count(session, Organisation) == TINY.libraries
    assert count(session, Call) == TINY.calls
    assert count(session, Application) == TINY.applications
    made = generated.output.split("Made: ")[1].splitlines()[0]
    assert f"applications {TINY.applications}" in made
    assert f"budget lines {count(session, BudgetLine)}" in made
    assert f"reviews {count(session, Review)}" in made
    assert "password: vektor-bench-2026" in generated.output


def test_every_submitted_application_has_its_number_and_no_number_is_missing(
    session: Session
):
    for call in session.scalars(select(Call)):
        numbered = session.execute(
            select(Application.sequence, Application.registration_number)
            .where(Application.call_id == call.id,
                   Application.status != ApplicationStatus.DRAFT)
            .order_by(Application.sequence)).all()
        assert numbered, call.code
        assert [n for n, _r in numbered] == list(range(1, len(numbered) + 1))
        assert [r for _n, r in numbered] == [f"{call.code}-{n:04d}" for n, _r in numbered]
        assert call.last_sequence == len(numbered)


def test_decided_applications_have_all_their_reviews_on_every_criterion(session: Session):
    decided = session.scalars(select(Application).where(
        Application.status.in_([*FUNDED_ONWARDS, ApplicationStatus.NOT_FUNDED,
                                ApplicationStatus.DECLINED]))).all()
    assert decided
    for app in decided:
        reviews = session.scalars(select(Review).where(
            Review.application_id == app.id, Review.status == ReviewStatus.SUBMITTED)).all()
        assert len(reviews) == TINY.reviews_per_application, app.registration_number
        criteria = {c.id for c in app.call.criteria}
        assert len(criteria) == 10
        for review in reviews:
            assert {s.criterion_id for s in review.scores} == criteria
            assert all(s.score is not None and s.comment for s in review.scores)


def test_the_call_in_review_is_part_way(session: Session):
    in_review = session.scalars(select(Call).order_by(Call.opens_at)).all()[-2]
    statuses = set(session.scalars(select(Application.status).where(
        Application.call_id == in_review.id)))
    assert statuses & {ApplicationStatus.IN_REVIEW, ApplicationStatus.REVIEWED}
    assert not statuses & set(FUNDED_ONWARDS)


def test_every_budget_meets_its_calls_rules(session: Session):
    submitted = session.scalars(
        select(Application).where(Application.status != ApplicationStatus.DRAFT)
        .options(selectinload(Application.budget_lines))).all()
    for app in submitted:
        assert check_application(app) == [], app.registration_number
        assert TINY.min_lines <= len(app.budget_lines) <= TINY.max_lines


def test_decided_calls_fund_within_the_fund_and_their_money_adds_up(session: Session):
    for call in session.scalars(select(Call).where(Call.decisions_finalised_at.is_not(None))):
        approved = session.scalars(select(Decision.approved_amount).where(
            Decision.call_id == call.id, Decision.outcome == DecisionOutcome.FUNDED)).all()
        assert approved and sum(approved) <= call.fund_amount
        funded = session.scalars(select(Application).where(
            Application.call_id == call.id, Application.status.in_(FUNDED_ONWARDS))).all()
        assert len(funded) == len(approved)
        for app in funded:
            agreement = session.scalar(select(Agreement).where(
                Agreement.application_id == app.id))
            decision = session.scalar(select(Decision).where(
                Decision.application_id == app.id))
            assert agreement is not None and decision is not None
            assert agreement.amount == decision.approved_amount
            assert sum(t.amount for t in agreement.tranches) == agreement.amount
    assert count(session, Payment)
    for tranche in session.scalars(select(Tranche)):
        assert sum((p.amount for p in tranche.payments), Decimal(0)) <= tranche.amount


def test_only_admitted_applications_were_reviewed(session: Session):
    reviewed = session.scalars(select(Application.status).join(
        Review, Review.application_id == Application.id)).all()
    assert reviewed and set(reviewed) <= set(ADMITTED_STATUSES)


def test_it_will_not_add_to_a_database_that_has_accounts(generated: Generated):
    with (pytest.raises(SystemExit, match="already has accounts"),
          contextlib.redirect_stdout(io.StringIO())):
        main(["--database-url", generated.url, *ARGUMENTS])


# --- the plans, before the database ----------------------------------------------------------


def transient_call() -> Call:
    call = Call(implementation_start=date(2030, 3, 1), implementation_end=date(2030, 11, 26),
                max_grant_amount=Decimal("1500000.00"), min_cofinancing_percent=Decimal("20"),
                directions=[])
    call.categories = [CallCategory(category=c, cap_percent=cap, cap_basis=basis)
                       for c, (cap, basis) in DEFAULT_CATEGORY_CAPS.items()]
    return call


def as_application(call: Call, plan: Any) -> Application:
    app = Application(call=call, **plan.row)
    call.directions = [plan.row["direction"]]
    app.activities = [Activity(**row) for row in plan.activities]
    app.partners = [Partner(**row) for row in plan.partners]
    app.indicators = [Indicator(**row) for row in plan.indicators]
    app.budget_lines = [BudgetLine(**row) for row in plan.lines]
    return app


def test_every_planned_application_passes_the_calls_checks(ctx: None):
    """Over many seeds and budget sizes, including one-line budgets, where the capped
    categories are hardest to keep within their caps."""
    call = transient_call()
    calendar = Calendar.of(Stage.DECIDED, 1, date(2031, 6, 1))
    call.implementation_start = calendar.implementation_start
    call.implementation_end = calendar.implementation_end
    for seed in range(300):
        rng = random.Random(seed)
        volumes = Volumes(min_lines=1 + seed % 5, max_lines=1 + seed % 5 + seed % 60)
        app = as_application(call, plan_application(rng, volumes, calendar, library=1))
        assert check_application(app) == [], seed


def test_the_same_seed_plans_the_same_budget():
    assert budget_lines(random.Random(5), 40) == budget_lines(random.Random(5), 40)
    assert budget_lines(random.Random(5), 40) != budget_lines(random.Random(6), 40)
