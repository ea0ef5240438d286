from portal.models import AgreementStatus, ApplicationStatus


def test_agreement_fixture(db, create_agreement):
    agreement = create_agreement(signed=True)
    assert agreement.status == AgreementStatus.SIGNED
    assert sum(t.amount for t in agreement.tranches) == agreement.amount
    assert [r.kind.value for r in agreement.reports] == ["interim", "final"]
    assert agreement.application.status == ApplicationStatus.UNDER_AGREEMENT
