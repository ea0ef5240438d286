"""Rankings kept between requests: a call's ranking is computed once under the call's token
and then costs one statement; every change of a figure it is computed from, committed by
any session, gives the call a new token, so a kept ranking is never shown after its figures
changed; a draft being typed does not; a transaction that changed the figures sees them
itself and keeps nothing, so a rollback leaves nothing behind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.db import utcnow
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
    Review,
    ReviewScore,
    ReviewStatus,
    Role,
    TieBreak,
    User,
)
from portal.services.ranking import Ranking, rank_applications, rank_calls
from tests.conftest import count_statements
from tests.test_ranking import set_criteria

REVIEWED = ApplicationStatus.REVIEWED


@pytest.fixture
def new_session(app: Flask, db: Session) -> Iterator[Callable[[], Session]]:
    """Sessions of their own, as requests have (they join the test's transaction, and their
    commits go through the same events as in production)."""
    opened: list[Session] = []

    def factory() -> Session:
        session = app.extensions["vektor.db"]["sessionmaker"]()
        opened.append(session)
        return session

    yield factory
    for session in reversed(opened):  # each one's savepoint is inside the one before
        session.close()


@pytest.fixture
def competition(db: Session, create_call: Callable[..., Call], create_application: Any,
                create_review: Any, create_user: Any) -> dict[str, Any]:
    """A call of four reviewed applications, two submitted reviews each (by two of three
    reviewers) and one reviewer's draft; the ids of what the changes below touch."""
    call = set_criteria(db, create_call(), (10, "1"), (10, "2"))
    reviewers = [create_user(Role.REVIEWER, full_name=f"Эксперт {n}") for n in range(3)]
    apps = [create_application(call=call, status=REVIEWED) for _n in range(4)]
    reviews = []
    for n, app in enumerate(apps):
        reviews.append(create_review(app, [n + 2, 9 - n], reviewer=reviewers[0]))
        reviews.append(create_review(app, [5, n + 4], reviewer=reviewers[1]))
    draft = create_review(apps[0], [1, 1], reviewer=reviewers[2], submitted=False)
    draft_app = create_application(call=call)
    return {"call": call.id, "apps": [a.id for a in apps], "reviews": [r.id for r in reviews],
            "draft": draft.id, "draft_app": draft_app.id, "reviewers": [r.id for r in reviewers],
            "library": apps[0].organisation_id}


def ranked(session: Session, call_id: int) -> tuple[Ranking, int]:
    """The call's ranking as pages get it, and the statements it took."""
    call = session.get(Call, call_id)
    result: list[Ranking] = []
    count = count_statements(session, lambda: result.append(rank_applications(session, call)))
    return result[0], count


def computed(session: Session, call_id: int) -> Ranking:
    return rank_calls(session, [session.get(Call, call_id)])[call_id]


def token(session: Session, call_id: int) -> str:
    return session.scalar(select(RankingVersion.token).where(RankingVersion.call_id == call_id))


def test_a_ranking_is_computed_once_then_costs_one_statement(competition, new_session):
    first, cold = ranked(new_session(), competition["call"])
    again, warm = ranked(new_session(), competition["call"])
    assert (cold, warm) == (4, 1)
    assert again.rows == first.rows and again.reviewers == first.reviewers
    assert again.maximum == first.maximum == Decimal("30.00")
    assert [r.application_id for r in again.rows] == [r.application_id for r in first.rows]


def test_every_call_gets_a_token_when_it_is_created(db, create_call):
    calls = [create_call(), create_call()]
    assert all(len(token(db, call.id) or "") == 32 for call in calls)


# Each changes, in a session of its own that commits, one figure the ranking is computed
# from; the ranking shown afterwards must be the one computed from scratch, and differ.
def submit_draft(s: Session, ids: dict[str, Any]) -> None:
    review = s.get(Review, ids["draft"])
    review.status, review.submitted_at = ReviewStatus.SUBMITTED, utcnow()


def reopen(s: Session, ids: dict[str, Any]) -> None:
    s.get(Review, ids["reviews"][0]).status = ReviewStatus.DRAFT


def rescore(s: Session, ids: dict[str, Any]) -> None:
    score = s.scalars(select(ReviewScore).where(ReviewScore.review_id == ids["reviews"][2])
                      .order_by(ReviewScore.id)).first()
    score.score = 10


def hand_back(s: Session, ids: dict[str, Any]) -> None:
    review = s.get(Review, ids["reviews"][4])
    assignment = s.get(Assignment, review.assignment_id)
    assignment.status, assignment.conflict_declared_at = AssignmentStatus.CONFLICT, utcnow()
    assignment.conflict_reason = "Работал в этой библиотеке"


def decide(s: Session, ids: dict[str, Any]) -> None:
    s.add(Decision(application_id=ids["apps"][1], call_id=ids["call"],
                   outcome=DecisionOutcome.NOT_FUNDED, reason="Решение комиссии"))


def screen_out(s: Session, ids: dict[str, Any]) -> None:
    s.get(Application, ids["apps"][3]).status = ApplicationStatus.INELIGIBLE


def reweigh(s: Session, ids: dict[str, Any]) -> None:
    criterion = s.scalars(select(Criterion).where(Criterion.call_id == ids["call"])
                          .order_by(Criterion.position)).first()
    criterion.weight = Decimal("3")


def rename_library(s: Session, ids: dict[str, Any]) -> None:
    s.get(Organisation, ids["library"]).short_name = "Переименованная библиотека"


def rename_reviewer(s: Session, ids: dict[str, Any]) -> None:
    s.get(User, ids["reviewers"][0]).full_name = "Эксперт переименованный"


def change_a_line(s: Session, ids: dict[str, Any]) -> None:
    line = s.scalars(select(BudgetLine).where(BudgetLine.application_id == ids["apps"][2])
                     .order_by(BudgetLine.id)).first()
    line.requested_amount += Decimal("1000.00")


def change_the_tie_break(s: Session, ids: dict[str, Any]) -> None:
    """Not a new token: the call's settings are part of the key the ranking is kept by."""
    call = s.get(Call, ids["call"])
    call.tie_break = (TieBreak.SMALLER_REQUEST if call.tie_break != TieBreak.SMALLER_REQUEST
                      else TieBreak.EARLIER_SUBMISSION)


CHANGES = [submit_draft, reopen, rescore, hand_back, decide, screen_out, reweigh,
           rename_library, rename_reviewer, change_a_line]


@pytest.mark.parametrize("change", CHANGES, ids=lambda f: f.__name__)
def test_a_committed_change_of_a_figure_is_shown_at_once(competition, new_session, change):
    before, _count = ranked(new_session(), competition["call"])
    old_token = token(new_session(), competition["call"])
    writer = new_session()
    change(writer, competition)
    writer.commit()

    reader = new_session()
    after, count = ranked(reader, competition["call"])
    assert count == 4, "computed again, not the kept one"
    assert token(reader, competition["call"]) != old_token
    assert after.rows == computed(new_session(), competition["call"]).rows
    assert (after.rows, after.reviewers, after.maximum) != (
        before.rows, before.reviewers, before.maximum)


def test_a_changed_setting_of_the_call_is_shown_at_once(competition, new_session):
    before, _count = ranked(new_session(), competition["call"])
    writer = new_session()
    change_the_tie_break(writer, competition)
    change = writer.get(Call, competition["call"])
    for app_id in competition["apps"][:2]:  # two equal scores, for the tie-break to decide
        for review in writer.scalars(select(Review).where(Review.application_id == app_id)):
            for score in review.scores:
                score.score = 5
    writer.commit()
    after, _count = ranked(new_session(), competition["call"])
    assert after.rows == computed(new_session(), change.id).rows


@pytest.mark.parametrize("draft_work", ["draft review scores", "draft budget"])
def test_a_draft_being_typed_keeps_the_ranking(competition, new_session, draft_work):
    ranked(new_session(), competition["call"])
    old_token = token(new_session(), competition["call"])
    writer = new_session()
    if draft_work == "draft review scores":
        for score in writer.get(Review, competition["draft"]).scores:
            score.score = 9
    else:
        line = writer.scalars(select(BudgetLine).where(
            BudgetLine.application_id == competition["draft_app"])).first()
        line.quantity += 1
    writer.commit()
    reader = new_session()
    _ranking, count = ranked(reader, competition["call"])
    assert count == 1
    assert token(reader, competition["call"]) == old_token


def test_a_transaction_sees_its_own_changes_and_a_rollback_leaves_nothing(
    competition, new_session
):
    before, _count = ranked(new_session(), competition["call"])
    writer = new_session()
    screen_out(writer, competition)
    mine, count = ranked(writer, competition["call"])
    assert count == 4
    assert competition["apps"][3] not in [r.application_id for r in mine.rows]
    writer.rollback()

    after, count = ranked(new_session(), competition["call"])
    assert count == 1
    assert after.rows == before.rows
    assert competition["apps"][3] in [r.application_id for r in after.rows]
