from portal.models import ApplicationStatus, ReviewStatus


def test_review_fixture_scores_every_criterion(db, create_application, create_review):
    app = create_application(status=ApplicationStatus.IN_REVIEW)
    review = create_review(app, [5] * len(app.call.criteria))
    assert review.status == ReviewStatus.SUBMITTED
    assert [s.score for s in review.scores] == [5] * 10
    assert app.screened_at is not None
