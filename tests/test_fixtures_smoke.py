from portal.models import ApplicationStatus
from portal.services.checks import check_application


def test_default_application_is_complete_and_submittable(db, create_application, ctx):
    app = create_application()
    assert check_application(app) == []
    submitted = create_application(status=ApplicationStatus.SUBMITTED)
    assert submitted.registration_number.endswith("-0001")
