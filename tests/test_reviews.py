"""The reviewer's side: the arithmetic of a review's total, saving and submitting a review
with messages that name what is missing, locking and reopening, the application becoming
reviewed when its reviews are in, conflicts of interest, the blind rule, what the applicant
sees once the decisions are final, who may open which page, and the score sheet PDF."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.models import (
    ApplicationStatus,
    AssignmentStatus,
    AuditEvent,
    Criterion,
    OutboxMessage,
    Recommendation,
    Review,
    ReviewStatus,
    Role,
)
from portal.services import reviews as service

ROOT = Path(__file__).resolve().parent.parent

# Three criteria with unequal scales and weights; every figure below is computed by hand.
CRITERIA = (
    ("Актуальность", "0–3: не обоснована; 8–10: подтверждена данными.", 10, Decimal("1.5")),
    ("Реалистичность бюджета", "0–1: цены завышены; 4–5: всё обосновано.", 5, Decimal("2")),
    ("Информационная открытость", "0–3: не освещается; 8–10: план информирования.", 10,
     Decimal("0.25")),
)
MAXIMUM = Decimal("27.50")  # 10 x 1.5 + 5 x 2 + 10 x 0.25 = 15 + 10 + 2.5


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def review_call(db, create_call):
    """A call with the three criteria above, two reviewers per application."""
    call = create_call(reviewers_per_application=2)
    call.criteria = [
        Criterion(position=n, name=name, description=description, scale_max=scale, weight=w)
        for n, (name, description, scale, w) in enumerate(CRITERIA, start=1)
    ]
    db.flush()
    return call


@pytest.fixture
def in_review(create_application, review_call):
    """An application of the call in review (225 000 ₽ requested)."""

    def factory(**kwargs: Any):
        return create_application(call=review_call, status=ApplicationStatus.IN_REVIEW,
                                  **kwargs)

    return factory


@pytest.fixture
def reviewer(create_user):
    def factory(name: str = "Рецензент", email: str | None = None):
        return create_user(Role.REVIEWER, full_name=name, email=email)

    return factory


def data(scores=(None, None, None), comments=("", "", ""), *, overall="",
         recommendation=None, amount=None, criteria=None, app=None) -> dict[str, Any]:
    criteria = criteria or app.call.criteria
    return {
        "scores": {c.id: (s, m) for c, s, m in zip(criteria, scores, comments, strict=True)},
        "overall_comment": overall,
        "recommendation": recommendation,
        "recommended_amount": amount,
    }


COMPLETE = {"scores": (7, 3, 9), "comments": ("Хорошо", "", "Есть план"),
            "overall": "Проект заслуживает поддержки.",
            "recommendation": Recommendation.FUND}


def complete(app, **overrides: Any) -> dict[str, Any]:
    return data(app=app, **{**COMPLETE, **overrides})


def form_data(app, scores=("", "", ""), comments=("", "", ""), *, overall="",
              recommendation="", amount="", action="save") -> dict[str, str]:
    out = {"overall_comment": overall, "recommendation": recommendation,
           "recommended_amount": amount, "action": action}
    for c, s, m in zip(app.call.criteria, scores, comments, strict=True):
        out[f"score_{c.id}"] = str(s)
        out[f"comment_{c.id}"] = m
    if not recommendation:
        del out["recommendation"]
    return out


COMPLETE_FORM = {"scores": (7, 3, 9), "comments": ("Хорошо", "", "Есть план"),
                 "overall": "Проект заслуживает поддержки.", "recommendation": "fund"}


def scored(db, assignment, app, values=COMPLETE, *, submit=True):
    """Save (and submit) a review through the services, as its reviewer."""
    review = service.save_review(db, assignment, data(app=app, **values),
                                 actor=assignment.reviewer)
    if submit:
        service.submit_review(db, assignment, actor=assignment.reviewer)
    return review


def events(db, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def squash(text: str) -> str:
    return " ".join(text.split())


def pdf_text(content: bytes) -> str:
    assert content.startswith(b"%PDF-")
    return squash(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages))


# --- the arithmetic -------------------------------------------------------------------------


def test_review_total_and_maximum_computed_by_hand(ctx, db, in_review, assign):
    app = in_review()
    assignment = assign(app)
    review = scored(db, assignment, app, submit=False)
    # 7 x 1.5 + 3 x 2 + 9 x 0.25 = 10.5 + 6 + 2.25
    assert service.review_total(review) == Decimal("18.75")
    assert service.call_maximum(app.call) == MAXIMUM
    rows = service.score_rows(review)
    assert [r.weighted for r in rows] == [Decimal("10.50"), Decimal("6.00"), Decimal("2.25")]
    # An unscored criterion adds nothing; the total stays exact.
    service.save_review(db, assignment, data(app=app, scores=(1, None, 3)),
                        actor=assignment.reviewer)
    assert service.review_total(review) == Decimal("2.25")  # 1.5 + 0.75
    assert [r.weighted for r in service.score_rows(review)] == [
        Decimal("1.50"), None, Decimal("0.75")]


def test_mean_and_median_of_totals():
    totals = [Decimal("18.75"), Decimal("10.00"), Decimal("7.50")]
    assert service.mean_total(totals) == Decimal("12.08")  # 36.25 / 3 = 12.0833...
    assert service.median_total(totals) == Decimal("10.00")
    assert service.median_total(totals[:2]) == Decimal("14.38")  # 14.375, half up
    assert service.mean_total([]) is None and service.median_total([]) is None


# --- saving a draft ---------------------------------------------------------------------------


def test_a_draft_may_be_incomplete_and_is_saved_on_one_review(ctx, db, in_review, assign):
    app = in_review()
    assignment = assign(app)
    review = service.save_review(db, assignment, data(app=app, scores=(5, None, None)),
                                 actor=assignment.reviewer)
    assert review.status == ReviewStatus.DRAFT and review.assignment_id == assignment.id
    again = service.save_review(db, assignment, complete(app), actor=assignment.reviewer)
    assert again is review
    assert db.scalars(select(Review).where(Review.assignment_id == assignment.id)).all() == [
        review]
    assert [s.score for s in review.scores] == [7, 3, 9]
    assert review.overall_comment == "Проект заслуживает поддержки."


@pytest.mark.parametrize(("position", "value"), [
    (0, 11), (0, -1), (1, 6),  # outside 0..scale_max of the criterion
    (0, 7.5), (0, Decimal("7.5")), (0, Decimal("7")), (0, "7"), (0, True),  # not whole
])
def test_scores_outside_the_scale_or_not_whole_are_refused(ctx, db, in_review, assign,
                                                           position, value):
    app = in_review()
    assignment = assign(app)
    scores = [None, None, None]
    scores[position] = value
    criterion = app.call.criteria[position]
    with pytest.raises(DomainError) as caught:
        service.save_review(db, assignment, data(app=app, scores=tuple(scores)),
                            actor=assignment.reviewer)
    assert str(caught.value.message) == (
        f"“{criterion.name}”: the score must be a whole number from 0 to "
        f"{criterion.scale_max}.")
    assert caught.value.field == f"score_{criterion.id}"
    assert assignment.review is None


def test_the_ends_of_the_scale_are_allowed(ctx, db, in_review, assign):
    app = in_review()
    assignment = assign(app)
    review = service.save_review(db, assignment, data(app=app, scores=(0, 5, 10)),
                                 actor=assignment.reviewer)
    assert [s.score for s in review.scores] == [0, 5, 10]


def test_a_reduced_amount_is_required_and_no_more_than_requested(ctx, db, in_review, assign):
    app = in_review()  # 225 000 ₽ requested
    assignment = assign(app)
    reduced = Recommendation.FUND_REDUCED
    with pytest.raises(DomainError) as caught:
        service.save_review(db, assignment, complete(app, recommendation=reduced),
                            actor=assignment.reviewer)
    assert caught.value.field == "recommended_amount"
    assert "Give the amount you recommend" in str(caught.value.message)
    for too_much in (Decimal("225000.01"), Decimal("0.00")):
        with pytest.raises(DomainError) as caught:
            service.save_review(db, assignment, {**complete(app, recommendation=reduced),
                                                 "recommended_amount": too_much},
                                actor=assignment.reviewer)
        assert caught.value.field == "recommended_amount"
        assert "no more than the amount requested, 225" in str(caught.value.message)
    review = service.save_review(db, assignment, {**complete(app, recommendation=reduced),
                                                  "recommended_amount": Decimal("225000.00")},
                                 actor=assignment.reviewer)
    assert review.recommended_amount == Decimal("225000.00")
    # Another recommendation carries no amount.
    service.save_review(db, assignment, {**complete(app), "recommended_amount": Decimal("5")},
                        actor=assignment.reviewer)
    assert review.recommendation == Recommendation.FUND and review.recommended_amount is None


def test_only_the_reviewer_of_an_active_assignment_may_save(ctx, db, in_review, assign,
                                                           reviewer, create_user):
    app = in_review()
    assignment = assign(app)
    for someone in (reviewer(), create_user(Role.CHAIR)):
        with pytest.raises(PermissionError):
            service.save_review(db, assignment, complete(app), actor=someone)


# --- submitting -------------------------------------------------------------------------------


def test_submission_lists_exactly_what_each_criterion_lacks(ctx, db, in_review, assign):
    app = in_review()
    a, b, c = app.call.criteria
    assignment = assign(app)
    # A missing score, scores at both ends of the scale without comments, nothing else.
    service.save_review(db, assignment, data(app=app, scores=(None, 5, 0)),
                        actor=assignment.reviewer)
    with pytest.raises(service.IncompleteReviewError) as caught:
        service.submit_review(db, assignment, actor=assignment.reviewer)
    problems = [(field, str(message)) for field, message in caught.value.problems]
    assert problems == [
        (f"score_{a.id}", "“Актуальность”: give a score from 0 to 10."),
        (f"comment_{b.id}", "“Реалистичность бюджета”: a score of 5 is at the end of the "
                            "scale; explain it in a comment."),
        (f"comment_{c.id}", "“Информационная открытость”: a score of 0 is at the end of the "
                            "scale; explain it in a comment."),
        ("overall_comment", "Write an overall comment."),
        ("recommendation", "Choose a recommendation."),
    ]
    assert str(caught.value.message) == ("The review cannot be submitted yet. Things to "
                                         "complete: 5.")
    assert assignment.review.status == ReviewStatus.DRAFT
    assert not events(db, "review.submitted")


def test_submitting_without_a_draft_names_every_criterion(ctx, db, in_review, assign):
    app = in_review()
    assignment = assign(app)
    with pytest.raises(service.IncompleteReviewError) as caught:
        service.submit_review(db, assignment, actor=assignment.reviewer)
    assert len(caught.value.problems) == 5
    assert assignment.review is None


def test_submission_locks_the_review_and_is_audited(ctx, db, in_review, assign):
    app = in_review()
    assignment = assign(app)
    assign(app)  # a second reviewer, not yet done
    review = scored(db, assignment, app)
    assert review.status == ReviewStatus.SUBMITTED and review.submitted_at is not None
    (event,) = events(db, "review.submitted")
    assert event.object_id == str(review.id) and event.to_state == "submitted"
    assert event.actor_id == assignment.reviewer_id
    assert app.status == ApplicationStatus.IN_REVIEW  # one of two reviews is in
    with pytest.raises(ConflictError) as caught:
        service.save_review(db, assignment, complete(app, scores=(1, 1, 1)),
                            actor=assignment.reviewer)
    assert "submitted and is locked" in str(caught.value.message)
    with pytest.raises(ConflictError):
        service.submit_review(db, assignment, actor=assignment.reviewer)
    db.expire_all()
    assert [s.score for s in review.scores] == [7, 3, 9]


def test_application_is_reviewed_when_all_its_reviews_are_in(ctx, db, in_review, assign):
    app = in_review()
    first, second, third = assign(app), assign(app), assign(app)
    scored(db, first, app)
    scored(db, second, app)
    # Two of three: the third reviewer is still scoring.
    assert app.status == ApplicationStatus.IN_REVIEW
    scored(db, third, app)
    assert app.status == ApplicationStatus.REVIEWED
    (event,) = events(db, "application.complete_review")
    assert event.from_state == "in_review" and event.to_state == "reviewed"


def test_fewer_reviews_than_the_call_asks_for_do_not_complete(ctx, db, in_review, assign):
    app = in_review()
    scored(db, assign(app), app)  # the only assignment; the call asks for two
    assert app.status == ApplicationStatus.IN_REVIEW


# --- reopening --------------------------------------------------------------------------------


def test_chair_reopens_a_submitted_review_with_a_reason(ctx, db, in_review, assign,
                                                        create_user):
    app = in_review()
    first, second = assign(app), assign(app)
    review = scored(db, first, app)
    scored(db, second, app)
    assert app.status == ApplicationStatus.REVIEWED
    chair = create_user(Role.CHAIR)

    with pytest.raises(DomainError) as caught:
        service.reopen_review(db, review, actor=chair, reason="  ")
    assert caught.value.field == "reason"
    for not_chair in (first.reviewer, create_user(Role.ADMIN)):
        with pytest.raises(PermissionError):
            service.reopen_review(db, review, actor=not_chair, reason="Причина")

    service.reopen_review(db, review, actor=chair, reason="Оценка бюджета не обоснована")
    assert review.status == ReviewStatus.DRAFT and review.submitted_at is None
    assert review.reopened_at is not None
    assert review.reopen_reason == "Оценка бюджета не обоснована"
    assert app.status == ApplicationStatus.IN_REVIEW
    (event,) = events(db, "review.reopened")
    assert event.actor_id == chair.id and event.reason == "Оценка бюджета не обоснована"
    assert (event.from_state, event.to_state) == ("submitted", "draft")
    assert events(db, "application.resume_review")
    mail = db.scalars(select(OutboxMessage).where(
        OutboxMessage.recipient == first.reviewer.email)).one()
    assert "Оценка бюджета не обоснована" in mail.body and app.registration_number in mail.body

    # A draft cannot be reopened again; the reviewer changes it and submits again.
    with pytest.raises(ConflictError):
        service.reopen_review(db, review, actor=chair, reason="ещё раз")
    scored(db, first, app, {**COMPLETE, "scores": (8, 3, 9)})
    assert review.status == ReviewStatus.SUBMITTED
    assert app.status == ApplicationStatus.REVIEWED


def test_reviews_of_a_decided_application_are_not_reopened(ctx, db, in_review, assign,
                                                           create_user):
    app = in_review()
    review = scored(db, assign(app), app)
    app.status = ApplicationStatus.FUNDED
    db.flush()
    with pytest.raises(ConflictError):
        service.reopen_review(db, review, actor=create_user(Role.CHAIR), reason="Причина")
    assert review.status == ReviewStatus.SUBMITTED


# --- conflicts of interest --------------------------------------------------------------------


def test_declaring_a_conflict_hands_the_assignment_back(ctx, db, in_review, assign,
                                                        create_user):
    chairs = [create_user(Role.CHAIR, email=f"chair{n}@example.org") for n in (1, 2)]
    app = in_review()
    assignment = assign(app)
    review = scored(db, assignment, app, submit=False)
    review_id = review.id

    with pytest.raises(DomainError) as caught:
        service.declare_conflict(db, assignment, actor=assignment.reviewer, reason="")
    assert caught.value.field == "reason"
    with pytest.raises(PermissionError):
        service.declare_conflict(db, assignment, actor=create_user(Role.REVIEWER),
                                 reason="чужое")

    service.declare_conflict(db, assignment, actor=assignment.reviewer,
                             reason="Работала в этой библиотеке до 2025 года")
    assert assignment.status == AssignmentStatus.CONFLICT
    assert assignment.conflict_reason == "Работала в этой библиотеке до 2025 года"
    assert assignment.conflict_declared_at is not None
    assert db.get(Review, review_id) is None  # the draft is gone
    (event,) = events(db, "assignment.conflict_declared")
    assert event.object_id == str(assignment.id) and event.reason.startswith("Работала")
    for chair in chairs:
        mail = db.scalars(select(OutboxMessage).where(
            OutboxMessage.recipient == chair.email)).one()
        assert app.registration_number in mail.body and "Работала" in mail.body
    # Handed back: the reviewer can no longer score or see it.
    with pytest.raises(PermissionError):
        service.save_review(db, assignment, complete(app), actor=assignment.reviewer)


def test_no_conflict_after_the_review_is_submitted(ctx, db, in_review, assign):
    app = in_review()
    assignment = assign(app)
    scored(db, assignment, app)
    with pytest.raises(ConflictError):
        service.declare_conflict(db, assignment, actor=assignment.reviewer, reason="Поздно")
    assert assignment.status == AssignmentStatus.ACTIVE
    assert assignment.review.status == ReviewStatus.SUBMITTED
    assert not events(db, "assignment.conflict_declared")


def test_a_conflict_on_the_last_open_assignment_completes_the_review(ctx, db, in_review,
                                                                     assign):
    app = in_review()
    first, second, third = assign(app), assign(app), assign(app)
    scored(db, first, app)
    scored(db, second, app)
    service.declare_conflict(db, third, actor=third.reviewer, reason="Родственник")
    assert app.status == ApplicationStatus.REVIEWED


# --- the reviewer's pages ---------------------------------------------------------------------


def test_assignment_page_shows_the_application_beside_the_sheet(client, db, in_review,
                                                                assign, login_as):
    app = in_review()
    assignment = assign(app)
    login_as(assignment.reviewer)
    response = client.get(f"/review/assignments/{assignment.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert app.summary in html and app.problem in html  # the application as submitted
    assert f'href="/applications/{app.id}/application.pdf"' in html
    assert f'href="/applications/{app.id}/budget.pdf"' in html
    for (name, description, scale, weight), c in zip(CRITERIA, app.call.criteria,
                                                      strict=True):
        assert name in html and description in html
        assert f"Scale: 0 to {scale} whole points; weight {weight.normalize():f}" in html
        assert f'name="score_{c.id}"' in html and f'data-scale-max="{scale}"' in html
        assert f'data-weight="{int(weight * 100)}"' in html
        assert f'name="comment_{c.id}"' in html
    assert "of a maximum of 27.5" in html
    for label in ("fund", "fund with a reduced amount", "do not fund"):
        assert f">{label}</label>" in html
    assert 'name="action" value="save"' in html and 'name="action" value="submit"' in html
    assert f'href="/review/assignments/{assignment.id}/conflict"' in html


def test_live_total_script_is_a_file_and_referenced(client, db, in_review, assign, login_as):
    script = ROOT / "static" / "js" / "review.js"
    assert script.is_file()
    source = script.read_text(encoding="utf-8")
    assert "review-form" in source and "data-weight" in source and "data-review-total" in source
    app = in_review()
    assignment = assign(app)
    login_as(assignment.reviewer)
    html = client.get(f"/review/assignments/{assignment.id}").get_data(as_text=True)
    assert '<script src="/static/js/review.js"></script>' in html
    assert 'id="review-form"' in html and "data-review-total" in html
    # The CSP allows no inline script: every script element has a source.
    assert html.count("<script") == html.count("<script src=")
    with client.get("/static/js/review.js") as served:
        assert served.status_code == 200


def test_reviewer_saves_a_draft_then_submits(client, db, in_review, assign, login_as):
    app = in_review()
    assignment = assign(app)
    login_as(assignment.reviewer)
    url = f"/review/assignments/{assignment.id}"
    response = client.post(url, data=form_data(app, scores=(7, "", "")))
    assert response.status_code == 302
    db.expire_all()
    review = assignment.review
    assert review.status == ReviewStatus.DRAFT and [s.score for s in review.scores] == [
        7, None, None]

    # Submitting an incomplete review keeps the draft and says what is missing.
    response = client.post(url, data=form_data(app, scores=(7, 5, ""), action="submit"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Your draft is saved, but it cannot be submitted yet." in html
    assert "“Реалистичность бюджета”: a score of 5 is at the end of the scale" in html
    assert "“Информационная открытость”: give a score from 0 to 10." in html
    assert "Write an overall comment." in html and "Choose a recommendation." in html
    db.expire_all()
    assert [s.score for s in assignment.review.scores] == [7, 5, None]
    assert assignment.review.status == ReviewStatus.DRAFT

    response = client.post(url, data=form_data(app, **COMPLETE_FORM, action="submit"))
    assert response.status_code == 302
    db.expire_all()
    assert assignment.review.status == ReviewStatus.SUBMITTED
    html = client.get(url).get_data(as_text=True)
    assert 'id="review-form"' not in html  # read-only now
    assert "It is locked" in html and "18.75" in html and "of a maximum of 27.5" in html
    assert f'href="/review/reviews/{assignment.review.id}/sheet.pdf"' in html


@pytest.mark.parametrize(("value", "message"), [
    ("7.5", "Enter a whole number of points, without fractions."),
    ("7,5", "Enter a whole number of points, without fractions."),
    ("семь", "Enter a whole number of points, without fractions."),
    ("11", "“Актуальность”: the score must be a whole number from 0 to 10."),
    ("-1", "“Актуальность”: the score must be a whole number from 0 to 10."),
])
def test_bad_scores_on_the_form_are_refused_and_nothing_saved(client, db, in_review, assign,
                                                              login_as, value, message):
    app = in_review()
    assignment = assign(app)
    login_as(assignment.reviewer)
    response = client.post(f"/review/assignments/{assignment.id}",
                           data=form_data(app, scores=(value, 3, 4)))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert f'value="{value}"' in html  # what was typed is shown back
    db.expire_all()
    assert assignment.review is None


def test_reduced_amount_on_the_form(client, db, in_review, assign, login_as):
    app = in_review()
    assignment = assign(app)
    login_as(assignment.reviewer)
    url = f"/review/assignments/{assignment.id}"
    values = {**COMPLETE_FORM, "recommendation": "fund_reduced"}
    response = client.post(url, data=form_data(app, **values))
    assert response.status_code == 422
    assert "Give the amount you recommend" in response.get_data(as_text=True)
    response = client.post(url, data=form_data(app, **values, amount="300 000,00"))
    assert response.status_code == 422
    assert "no more than the amount requested" in response.get_data(as_text=True)
    assert client.post(url, data=form_data(app, **values, amount="150 000,00")).status_code == 302
    db.expire_all()
    assert assignment.review.recommended_amount == Decimal("150000.00")


def test_a_post_to_a_submitted_review_changes_nothing(client, db, in_review, assign, login_as):
    app = in_review()
    assignment = assign(app)
    assign(app)
    login_as(assignment.reviewer)
    url = f"/review/assignments/{assignment.id}"
    assert client.post(url, data=form_data(app, **COMPLETE_FORM, action="submit")
                       ).status_code == 302
    db.expire_all()
    submitted_at = assignment.review.submitted_at
    for action in ("save", "submit"):
        response = client.post(url, data=form_data(
            app, scores=(1, 1, 1), comments=("x", "x", "x"), overall="Передумал",
            recommendation="do_not_fund", action=action))
        assert response.status_code == 409
        assert "submitted and is locked" in response.get_data(as_text=True)
    db.expire_all()
    review = assignment.review
    assert [s.score for s in review.scores] == [7, 3, 9]
    assert review.overall_comment == "Проект заслуживает поддержки."
    assert review.recommendation == Recommendation.FUND
    assert review.submitted_at == submitted_at
    assert len(events(db, "review.submitted")) == 1


def test_an_application_out_of_review_is_not_scored(client, db, in_review, assign, login_as):
    app = in_review()
    assignment = assign(app)
    with client.application.test_request_context():
        scored(db, assignment, app, submit=False)
    app.status = ApplicationStatus.NOT_FUNDED
    db.flush()
    login_as(assignment.reviewer)
    url = f"/review/assignments/{assignment.id}"
    html = client.get(url).get_data(as_text=True)
    assert "not in review now, so it cannot be scored" in html
    assert 'id="review-form"' not in html and "18.75" in html
    response = client.post(url, data=form_data(app, **COMPLETE_FORM, action="submit"))
    assert response.status_code == 409
    db.expire_all()
    assert assignment.review.status == ReviewStatus.DRAFT


def test_reviewer_declares_a_conflict_on_the_page(client, db, in_review, assign, login_as,
                                                  create_user):
    chair = create_user(Role.CHAIR)
    app = in_review()
    assignment = assign(app)
    login_as(assignment.reviewer)
    url = f"/review/assignments/{assignment.id}/conflict"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"reason": ""})
    assert response.status_code == 422
    db.expire_all()
    assert assignment.status == AssignmentStatus.ACTIVE
    response = client.post(url, data={"reason": "Мой бывший работодатель"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/review/")
    db.expire_all()
    assert assignment.status == AssignmentStatus.CONFLICT
    assert db.scalars(select(OutboxMessage).where(OutboxMessage.recipient == chair.email)).one()
    # Handed back: the assignment, its application and its PDFs are gone for the reviewer.
    for gone in (f"/review/assignments/{assignment.id}", url, f"/applications/{app.id}",
                 f"/applications/{app.id}/application.pdf"):
        assert client.get(gone).status_code == 404
    listing = client.get("/review/").get_data(as_text=True)
    assert "conflict of interest declared" in listing
    assert f'href="/review/assignments/{assignment.id}"' not in listing


def test_assignment_list_and_dashboard(client, db, in_review, assign, login_as, reviewer):
    me = reviewer()
    waiting = in_review(title="Ждёт оценки")
    drafted = in_review(title="Черновик оценки")
    done = in_review(title="Уже оценено")
    handed_back = in_review(title="Конфликт интересов")
    assign(waiting, me)
    draft = assign(drafted, me)
    finished = assign(done, me)
    conflict = assign(handed_back, me)
    with client.application.test_request_context():
        service.save_review(db, draft, data(app=drafted, scores=(1, None, None)), actor=me)
        scored(db, finished, done)
        service.declare_conflict(db, conflict, actor=me, reason="Родственник")
    login_as(me)
    html = client.get("/review/").get_data(as_text=True)
    rows = {row.split("</td>")[0].split(">")[-1]: squash(row)
            for row in html.split("<tr>")[2:]}  # by registration number
    deadline = waiting.call.review_deadline.strftime("%d.%m.%Y")
    for app, state in ((waiting, "not started"), (drafted, "draft saved"),
                       (done, "submitted"), (handed_back, "conflict of interest declared")):
        row = rows[app.registration_number]
        assert app.title in row and app.call.title in row
        assert f"<td>{deadline}</td> <td>{state}</td>" in row
    dashboard = client.get("/").get_data(as_text=True)
    assert "My reviews" in dashboard and deadline in dashboard
    assert "Ждёт оценки" in dashboard and "Черновик оценки" in dashboard
    assert "Уже оценено" not in dashboard and "Конфликт интересов" not in dashboard
    assert 'href="/review/"' in dashboard


def test_reviewer_dashboard_without_assignments(client, reviewer, login_as):
    login_as(reviewer())
    html = client.get("/").get_data(as_text=True)
    assert "No applications have been assigned to you yet" in html


def listed_numbers(html: str) -> list[str]:
    """The registration numbers of a list's rows, in their order."""
    return [row.split("</td>")[0].split(">")[-1] for row in html.split("<tr>")[2:]]


@pytest.fixture
def past_application(db, create_call, create_application):
    """An application of a call of an earlier year whose decisions are final: its review
    deadline is long gone, so that an order by deadline alone would list it first."""
    from datetime import timedelta

    def factory(days_ago: int = 300, **fields: Any):
        call = create_call(title=f"Прошлый конкурс {days_ago}")
        app = create_application(call=call, status=ApplicationStatus.NOT_FUNDED, **fields)
        now = utcnow()  # submitted while the call was open; then a year goes by
        call.opens_at = now - timedelta(days=days_ago + 60)
        call.closes_at = now - timedelta(days=days_ago + 30)
        call.review_deadline = (now - timedelta(days=days_ago)).date()
        call.decisions_finalised_at = now - timedelta(days=days_ago - 10)
        db.flush()
        return app

    return factory


def test_assignment_list_shows_the_calls_in_review_and_each_past_call_on_its_own(
    client, monkeypatch, in_review, past_application, assign, login_as, reviewer
):
    import portal.views.review

    me = reviewer()
    past = [past_application(700, title="Позапрошлый год"),
            past_application(300, title="Прошлый год")]
    current = [in_review(title=f"Сейчас {n}") for n in range(3)]
    for app in (*past, *current):
        assign(app, me)
    login_as(me)
    monkeypatch.setattr(portal.views.review, "ASSIGNMENTS_PER_PAGE", 2)

    # The calls in review now, a page at a time; each assignment on exactly one page.
    pages = [client.get(f"/review/?page={n}").get_data(as_text=True) for n in (1, 2)]
    assert [listed_numbers(html) for html in pages] == [
        [current[0].registration_number, current[1].registration_number],
        [current[2].registration_number],
    ]
    assert "Page 1 of 2" in pages[0] and 'href="/review/?page=2"' in pages[0]
    assert "Прошлый год" not in pages[0]
    # Every call of the reviewer is a link: the one in review, then the past, latest first.
    links = re.findall(r'href="/review/\?call=(\d+)"', pages[0])
    assert links == [str(current[0].call_id), str(past[1].call_id), str(past[0].call_id)]
    assert 'aria-current="page" href="/review/">' in squash(pages[0])

    # A past call on its own, its pages keeping the call.
    for app in past:
        html = client.get(f"/review/?call={app.call_id}").get_data(as_text=True)
        assert listed_numbers(html) == [app.registration_number]
        assert f'aria-current="page" href="/review/?call={app.call_id}"' in squash(html)
    monkeypatch.setattr(portal.views.review, "ASSIGNMENTS_PER_PAGE", 1)
    html = client.get(f"/review/?call={current[0].call_id}&page=2").get_data(as_text=True)
    assert listed_numbers(html) == [current[1].registration_number]
    assert f'href="/review/?page=3&amp;call={current[0].call_id}"' in html
    # Beyond the last page, or not a page number: the last page, and the first.
    beyond = client.get("/review/?page=40")
    assert beyond.status_code == 200
    assert listed_numbers(beyond.get_data(as_text=True)) == [current[2].registration_number]
    assert listed_numbers(client.get("/review/?page=x").get_data(as_text=True)) == \
        [current[0].registration_number]


def test_assignment_list_refuses_a_call_that_is_not_the_reviewers(
    client, in_review, past_application, assign, login_as, reviewer
):
    me, other = reviewer(), reviewer("Другой", "other.reviewer@example.org")
    mine, theirs = in_review(), past_application(300)
    assign(mine, me)
    assign(theirs, other)
    login_as(me)
    assert client.get(f"/review/?call={theirs.call_id}").status_code == 404
    assert client.get("/review/?call=999999").status_code == 404
    assert client.get(f"/review/?call={mine.call_id}").status_code == 200


def test_a_reviewer_without_calls_in_review_sees_the_latest_past_one(
    client, past_application, assign, login_as, reviewer
):
    me = reviewer()
    older, latest = past_application(700), past_application(300)
    for app in (older, latest):
        assign(app, me)
    login_as(me)
    html = client.get("/review/").get_data(as_text=True)
    assert listed_numbers(html) == [latest.registration_number]
    assert 'href="/review/">' not in html  # no "in review now" to choose


def test_assignment_list_counts_what_waits(client, db, in_review, assign, login_as, reviewer):
    me = reviewer()
    apps = [in_review() for _ in range(5)]
    waiting, drafted, done, handed_back, second_draft = (assign(app, me) for app in apps)
    with client.application.test_request_context():
        for draft in (drafted, second_draft):
            service.save_review(db, draft, data(app=draft.application,
                                                scores=(1, None, None)), actor=me)
        scored(db, done, done.application)
        service.declare_conflict(db, handed_back, actor=me, reason="Родственник")
    assert service.assignment_counts(db, me, [apps[0].call_id]).by_state == {
        "not_started": 1, "draft": 2, "submitted": 1, "conflict": 1}
    login_as(me)
    html = squash(client.get("/review/").get_data(as_text=True))
    assert "Waiting for your review: 3 (with a draft saved: 2). Submitted: 1." in html
    assert len(listed_numbers(html)) == 5


def test_reviewer_dashboard_lists_the_nearest_waiting_first(
    client, monkeypatch, in_review, past_application, assign, login_as, reviewer
):
    import portal.views.main

    me = reviewer()
    old = past_application(title="Давний проект")
    assign(old, me)  # never scored: waiting, but behind the call in review now
    current = [in_review(title=f"Сейчас {n}") for n in range(2)]
    for app in current:
        assign(app, me)
    login_as(me)
    monkeypatch.setattr(portal.views.main, "WAITING_ASSIGNMENTS", 1)
    html = squash(client.get("/dashboard/reviewer").get_data(as_text=True))
    assert listed_numbers(html) == [current[0].registration_number]
    assert "Waiting for your review: 2; the first 1 are shown, the nearest review deadline " \
        "first." in html
    assert 'href="/review/">All my assignments</a> — in the calls in review now: 2' in html
    # The past call's decisions are final: its unscored assignment waits for nobody.
    monkeypatch.setattr(portal.views.main, "WAITING_ASSIGNMENTS", 3)
    html = squash(client.get("/dashboard/reviewer").get_data(as_text=True))
    assert listed_numbers(html) == [app.registration_number for app in current]
    assert "Давний проект" not in html and "are shown" not in html


# --- the chair --------------------------------------------------------------------------------


def test_chair_reads_a_review_and_reopens_it_on_the_page(client, db, in_review, assign,
                                                         login_as, create_user, reviewer):
    app = in_review()
    first = assign(app, reviewer("Анна Экспертова"))
    second = assign(app)
    with client.application.test_request_context():
        review = scored(db, first, app)
        scored(db, second, app)
    assert app.status == ApplicationStatus.REVIEWED
    login_as(create_user(Role.CHAIR))
    page = client.get(f"/review/reviews/{review.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Анна Экспертова" in html and "18.75" in html and "Хорошо" in html
    assert f'action="/review/reviews/{review.id}/reopen"' in html

    response = client.post(f"/review/reviews/{review.id}/reopen", data={"reason": ""})
    assert response.status_code == 422
    db.expire_all()
    assert review.status == ReviewStatus.SUBMITTED
    response = client.post(f"/review/reviews/{review.id}/reopen",
                           data={"reason": "Нет комментария к бюджету"})
    assert response.status_code == 302
    db.expire_all()
    assert review.status == ReviewStatus.DRAFT and app.status == ApplicationStatus.IN_REVIEW
    assert events(db, "review.reopened")[0].reason == "Нет комментария к бюджету"
    # Reopening a draft is refused.
    assert client.post(f"/review/reviews/{review.id}/reopen",
                       data={"reason": "ещё раз"}).status_code == 409
    # The reviewer sees the reason and can change the review again.
    login_as(first.reviewer)
    html = client.get(f"/review/assignments/{first.id}").get_data(as_text=True)
    assert "Нет комментария к бюджету" in html
    assert 'id="review-form"' in html


# --- the blind rule ---------------------------------------------------------------------------

B_NAME = "Борис Невидимов"
B_EMAIL = "boris.invisible@example.org"
B_WORDS = ("СЕКРЕТНЫЙ-КОММЕНТАРИЙ-Б", "ОБЩИЙ-ОТЗЫВ-Б")
B_VALUES = {"scores": (9, 4, 1), "comments": (B_WORDS[0], "", B_WORDS[0]),
            "overall": B_WORDS[1], "recommendation": Recommendation.DO_NOT_FUND}
B_TOTAL = ("21.75", "21,75")  # 13.5 + 8 + 0.25


def assert_blind(text: str) -> None:
    for secret in (B_NAME, B_EMAIL, *B_WORDS, *B_TOTAL):
        assert secret not in text, secret


def test_a_reviewer_never_sees_another_reviewers_scores(client, db, in_review, assign,
                                                       login_as, reviewer):
    app = in_review()
    mine = assign(app, reviewer("Алла Первая"))
    theirs = assign(app, reviewer(B_NAME, B_EMAIL))
    with client.application.test_request_context():
        their_review = scored(db, theirs, app, B_VALUES)
    login_as(mine.reviewer)

    def everything_a_sees() -> list[str]:
        pages = ["/", "/dashboard/reviewer", "/review/", f"/review/assignments/{mine.id}",
                 f"/applications/{app.id}"]
        texts = [client.get(p).get_data(as_text=True) for p in pages]
        for kind in ("application", "budget"):
            texts.append(pdf_text(client.get(f"/applications/{app.id}/{kind}.pdf").data))
        if mine.review is not None and mine.review.status == ReviewStatus.SUBMITTED:
            texts.append(pdf_text(client.get(f"/review/reviews/{mine.review.id}/sheet.pdf")
                                  .data))
        return texts

    # Before A submits: A's pages show nothing of B's review; B's own pages are closed.
    for text in everything_a_sees():
        assert_blind(text)
    assert client.get(f"/review/assignments/{theirs.id}").status_code == 404
    assert client.get(f"/review/reviews/{their_review.id}/sheet.pdf").status_code == 404
    assert client.get(f"/review/reviews/{their_review.id}").status_code == 403
    assert client.get(f"/applications/{app.id}/results").status_code == 404

    # After A submits (the application is now reviewed), still nothing.
    response = client.post(f"/review/assignments/{mine.id}",
                           data=form_data(app, **COMPLETE_FORM, action="submit"))
    assert response.status_code == 302
    db.expire_all()
    assert app.status == ApplicationStatus.REVIEWED
    texts = everything_a_sees()
    assert len(texts) == 8
    for text in texts:
        assert_blind(text)
    assert "18.75" in texts[-1]  # A's own sheet has A's own total
    assert client.get(f"/review/assignments/{theirs.id}").status_code == 404
    assert client.get(f"/review/reviews/{their_review.id}/sheet.pdf").status_code == 404


# --- what the applicant sees ------------------------------------------------------------------


def test_applicant_sees_scores_and_comments_without_names(client, db, in_review, assign,
                                                          login_as, reviewer, create_user):
    app = in_review()
    first = assign(app, reviewer("Алла Первая", "alla.first@example.org"))
    second = assign(app, reviewer(B_NAME, B_EMAIL))
    with client.application.test_request_context():
        scored(db, first, app)
        scored(db, second, app, B_VALUES)
    login_as(app.created_by)
    url = f"/applications/{app.id}/results"
    assert client.get(url).status_code == 404  # not before the decisions are final
    assert url not in client.get(f"/applications/{app.id}").get_data(as_text=True)

    app.call.decisions_finalised_at = utcnow()
    db.flush()
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Reviewer 1" in html and "Reviewer 2" in html and "Reviewer 3" not in html
    for words in ("Хорошо", "Есть план", "Проект заслуживает поддержки.", *B_WORDS):
        assert words in html
    assert "18.75" in html and "21.75" in html
    assert "20.25" in html  # the mean of 18.75 and 21.75
    assert "of a maximum of 27.5" in html
    assert '<dd class="col-sm-9">fund</dd>' in html
    assert '<dd class="col-sm-9">do not fund</dd>' in html
    for hidden in ("Алла Первая", "alla.first@example.org", B_NAME, B_EMAIL,
                   first.reviewer.full_name, second.reviewer.email):
        assert hidden not in html
    # Reviewer 1 is the first review (by id): its comments come first.
    assert html.index("Reviewer 1") < html.index("Хорошо") < html.index(B_WORDS[0])
    assert f'href="{url}"' in client.get(f"/applications/{app.id}").get_data(as_text=True)

    # A colleague of the same library sees them; another library does not.
    login_as(create_user(Role.APPLICANT, organisation=app.organisation))
    assert client.get(url).status_code == 200
    login_as(create_user(Role.APPLICANT))
    assert client.get(url).status_code == 404


# --- who may open what ------------------------------------------------------------------------


@pytest.fixture
def world(app, db, in_review, assign, reviewer, create_user):
    """Reviewer A holds an open assignment (draft) on one application and a submitted
    review on another; B also reviews the first; the second's library, another library, the
    chair, the admin and finance look on. The decisions are final."""
    a, b = reviewer("Рецензент А"), reviewer("Рецензент Б")
    first, second = in_review(), in_review()
    open_assignment = assign(first, a)
    assign(first, b)
    done = assign(second, a)
    with app.test_request_context():
        service.save_review(db, open_assignment, data(app=first, scores=(1, None, None)),
                            actor=a)
        review = scored(db, done, second)
    second.call.decisions_finalised_at = utcnow()
    db.flush()
    return {
        "assignment": open_assignment.id, "review": review.id, "app": second.id,
        "users": {
            "owner": a, "other_reviewer": b, "applicant": second.created_by,
            "other_applicant": first.created_by, "finance": create_user(Role.FINANCE),
            "chair": create_user(Role.CHAIR), "admin": create_user(Role.ADMIN),
        },
    }


WHO = ("owner", "other_reviewer", "applicant", "other_applicant", "finance", "chair", "admin")
# route, method, form, and the answer for each of WHO
MATRIX = [
    ("/review/", "GET", None, (200, 200, 403, 403, 403, 403, 403)),
    ("/review/assignments/{assignment}", "GET", None, (200, 404, 404, 404, 404, 404, 404)),
    ("/review/assignments/{assignment}", "POST", {"action": "save"},
     (302, 404, 404, 404, 404, 404, 404)),
    ("/review/assignments/{assignment}/conflict", "GET", None,
     (200, 404, 404, 404, 404, 404, 404)),
    ("/review/assignments/{assignment}/conflict", "POST", {"reason": "Связан с библиотекой"},
     (302, 404, 404, 404, 404, 404, 404)),
    ("/review/reviews/{review}", "GET", None, (403, 403, 403, 403, 403, 200, 200)),
    ("/review/reviews/{review}/reopen", "POST", {"reason": "Пересмотреть"},
     (403, 403, 403, 403, 403, 302, 403)),
    ("/review/reviews/{review}/sheet.pdf", "GET", None, (200, 404, 404, 404, 404, 200, 200)),
    ("/applications/{app}/results", "GET", None, (404, 404, 200, 404, 404, 404, 404)),
]


@pytest.mark.parametrize(("route", "method", "form", "answers"), MATRIX,
                         ids=[f"{m} {r}" for r, m, _f, _a in MATRIX])
def test_permission_matrix(app, db, world, route, method, form, answers):
    url = route.format(**world)
    anonymous = app.test_client()
    response = anonymous.open(url, method=method, data=form)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    for who, expected in zip(WHO, answers, strict=True):
        client = app.test_client()
        client.set_cookie("vektor_lang", "en")
        with client.session_transaction() as sess:
            sess["_user_id"] = world["users"][who].get_id()
            sess["_fresh"] = True
        response = client.open(url, method=method, data=form)
        assert response.status_code == expected, (who, response.status_code)


def test_permission_matrix_covers_every_route(app):
    routes = {(rule.rule, method) for rule in app.url_map.iter_rules()
              if rule.endpoint.startswith("review.")
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(r.replace("{assignment}", "<int:assignment_id>")
                 .replace("{review}", "<int:review_id>").replace("{app}", "<int:app_id>"), m)
               for r, m, _f, _a in MATRIX}
    assert routes == covered


# --- the score sheet PDF ----------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_score_sheet_pdf_prints_the_computed_figures(client, ru_client, db, in_review, assign,
                                                     reviewer, create_user, locale):
    http = client if locale == "en" else ru_client
    app = in_review()
    assignment = assign(app, reviewer("Анна Экспертова"))
    with http.application.test_request_context():
        review = scored(db, assignment, app, {**COMPLETE, "amount": Decimal("150000.00"),
                                              "recommendation": Recommendation.FUND_REDUCED})
    chair = create_user(Role.CHAIR)
    with http.session_transaction() as sess:
        sess["_user_id"] = chair.get_id()
        sess["_fresh"] = True
    response = http.get(f"/review/reviews/{review.id}/sheet.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    text = pdf_text(response.data)
    comma = "," if locale == "ru" else "."
    assert app.registration_number in text and app.title in text
    assert squash(app.call.title) in text or app.call.code in text
    assert "Анна Экспертова" in text
    for name, _d, _s, _w in CRITERIA:
        assert name in text
    if locale == "en":
        assert "Score sheet" in text
        assert "7 of 10 1.5 10.5 Хорошо" in text
        assert "3 of 5 2 6 —" in text
        assert "9 of 10 0.25 2.25 Есть план" in text
        assert "Total (sum of score × weight) 18.75 of a maximum of 27.5" in text
        assert "fund with a reduced amount: 150,000.00 ₽" in text
        assert "Проект заслуживает поддержки." in text
    else:
        assert f"18{comma}75" in text and f"27{comma}5" in text
        assert f"10{comma}5" in text and f"2{comma}25" in text
    assert "Page 1 of" in text or "Страница 1 из" in text
