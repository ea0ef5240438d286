"""The operator's commands."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import func, or_, select

from portal.db import utcnow
from portal.demo import DEMO_ACCOUNTS, DEMO_DIRECTIONS, DEMO_PASSWORD
from portal.models import (
    AdministrationDetails,
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    AuditEvent,
    BudgetLine,
    Call,
    CallStatus,
    Decision,
    DecisionOutcome,
    Organisation,
    OutboxMessage,
    Payment,
    Report,
    ReportIndicator,
    ReportKind,
    ReportRound,
    ReportSpending,
    ReportStatus,
    Review,
    ReviewStatus,
    Role,
    RoundOutcome,
    Tranche,
    TrancheCondition,
    User,
)
from portal.money import format_percent, summarise_budget
from portal.passwords import verify_password
from portal.permissions import FUNDED_STATUSES
from portal.services.agreements import administration_complete, administration_details
from portal.services.calls import DEFAULT_CATEGORY_CAPS, DEFAULT_CRITERIA
from portal.services.checks import check_application
from portal.services.payments import call_finances
from portal.services.ranking import rank_applications
from portal.services.reports import report_problems, summarise_spending
from portal.workflow import ADMITTED_STATUSES


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["portal", *args], input=input)


def counts(db, *models):
    return tuple(
        db.scalar(select(func.count()).select_from(model))
        for model in models or (User, Organisation, Call, Application)
    )


def test_seed_demo_creates_every_account_and_is_safe_twice(app, db):
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    assert "Demo data created" in result.output
    for account in DEMO_ACCOUNTS:
        assert account.email in result.output
    assert DEMO_PASSWORD in result.output
    first = counts(db)
    # nine accounts; three libraries, one with two branches; a closed call and a call in
    # review with five applications each, an open call with four
    assert first == (9, 5, 3, 14)

    again = run(app, "seed-demo")
    assert again.exit_code == 0
    assert "already present" in again.output
    assert counts(db) == first

    users = {u.email: u for u in db.scalars(select(User))}
    for account in DEMO_ACCOUNTS:
        user = users[account.email]
        assert user.roles == set(account.roles)
        assert verify_password(user.password_hash, DEMO_PASSWORD)
    branches = db.scalars(select(Organisation).where(Organisation.parent_id.is_not(None))).all()
    assert len(branches) == 2
    assert {b.inn for b in branches} == {branches[0].parent.inn}
    assert all(o.is_approved for o in db.scalars(select(Organisation)))


def test_seed_demo_opens_a_call_with_applications_of_the_demo_libraries(app, db):
    assert run(app, "seed-demo").exit_code == 0
    now = utcnow()
    call = db.scalars(select(Call).where(Call.closes_at > now)).one()
    assert call.status == CallStatus.PUBLISHED and call.published_at is not None
    assert call.opens_at < now - timedelta(days=1)
    assert timedelta(days=20) < call.closes_at - now < timedelta(days=22)
    next_year = now.astimezone(ZoneInfo(call.timezone)).year + 1
    assert call.implementation_start.year == call.implementation_end.year == next_year
    assert (call.fund_amount, call.max_grant_amount, call.min_cofinancing_percent) == (
        Decimal("15000000.00"), Decimal("1500000.00"), Decimal("15.00"))
    assert call.directions == list(DEMO_DIRECTIONS)
    assert {c.category: (c.cap_percent, c.cap_basis) for c in call.categories} == (
        DEFAULT_CATEGORY_CAPS)
    assert [c.name for c in call.criteria] == [name for name, _, _ in DEFAULT_CRITERIA]

    applicants = {u.email: u for u in db.scalars(select(User).where(User.email.like("library%")))}
    apps = db.scalars(select(Application).where(Application.call_id == call.id)
                      .order_by(Application.id)).all()
    assert Counter(a.status for a in apps) == {ApplicationStatus.SUBMITTED: 2,
                                               ApplicationStatus.DRAFT: 2}
    assert [a.created_by.email for a in apps] == [
        "library1@vektor.demo", "library2@vektor.demo", "library3@vektor.demo",
        "library1@vektor.demo"]
    assert all(a.organisation_id == a.created_by.organisation_id for a in apps)
    assert {a.direction for a in apps} == set(DEMO_DIRECTIONS)

    submitted = [a for a in apps if a.status == ApplicationStatus.SUBMITTED]
    assert [a.registration_number for a in submitted] == [f"{call.code}-0001",
                                                          f"{call.code}-0002"]
    for application in submitted:
        summary = summarise_budget(application.budget_lines)
        assert 15 <= len(application.budget_lines) <= 40
        assert Decimal(15) <= summary.cofinancing_percent <= Decimal(40)
        assert 0 < summary.requested <= call.max_grant_amount
        assert application.submitted_at is not None
        assert 3 <= len(application.activities) <= 6
        assert 1 <= len(application.partners) <= 3
        assert 2 <= len(application.indicators) <= 5
        assert check_application(application) == []
    mails = db.scalars(select(OutboxMessage.recipient)
                       .where(OutboxMessage.created_at >= call.created_at)).all()
    assert sorted(mails) == ["library1@vektor.demo", "library2@vektor.demo"]

    broken, partial = (a for a in apps if a.status == ApplicationStatus.DRAFT)
    assert broken.organisation_id == applicants["library3@vektor.demo"].organisation_id
    summary = summarise_budget(broken.budget_lines)
    assert Decimal(14) < summary.cofinancing_percent < call.min_cofinancing_percent
    issues = check_application(broken)
    assert [(i.section, i.anchor) for i in issues] == [("budget", "cofinancing")]
    assert format_percent(summary.cofinancing_percent, "ru") in issues[0].message
    assert {i.anchor for i in check_application(partial)} == {
        "tasks", "target_groups", "indicators"}
    assert partial.title and not partial.partners

    before = counts(db, Call, Application, BudgetLine, AuditEvent, OutboxMessage)
    again = run(app, "seed-demo")
    assert again.exit_code == 0 and "already present" in again.output
    assert counts(db, Call, Application, BudgetLine, AuditEvent, OutboxMessage) == before


def seeded_calls(app, db):
    """Seed the demo; its calls by where they stand: (closed, in review, open)."""
    assert run(app, "seed-demo").exit_code == 0
    calls = db.scalars(select(Call).order_by(Call.closes_at)).all()
    assert len(calls) == 3
    return calls


def applications_of(db, call):
    return db.scalars(select(Application).where(Application.call_id == call.id)
                      .order_by(Application.sequence)).all()


def assignments_of(db, call):
    return db.scalars(select(Assignment).join(Application)
                      .where(Application.call_id == call.id).order_by(Assignment.id)).all()


def test_seed_demo_tells_the_past_calls_in_consistent_moments(app, db):
    closed, in_review, open_call = seeded_calls(app, db)
    now = utcnow()
    assert open_call.opens_at < now < open_call.closes_at
    assert timedelta(days=2) < now - in_review.closes_at < timedelta(days=6)
    assert now - closed.closes_at > timedelta(weeks=8)
    assert closed.decisions_finalised_at is not None and in_review.decisions_finalised_at is None
    for call in (closed, in_review):
        assert call.status == CallStatus.PUBLISHED
        assert call.created_at < call.published_at == call.opens_at < call.closes_at
        assert call.implementation_start.year == call.opens_at.year + 1
        for application in applications_of(db, call):
            assert call.opens_at < application.created_at < application.submitted_at
            assert application.submitted_at < call.closes_at < application.screened_at < now
            assert check_application(application) == []
            summary = summarise_budget(application.budget_lines)
            assert 15 <= len(application.budget_lines) <= 40
            assert Decimal(15) <= summary.cofinancing_percent <= Decimal(40)
            assert summary.cofinancing_percent >= call.min_cofinancing_percent
            assert 0 < summary.requested <= call.max_grant_amount
        for assignment in assignments_of(db, call):
            assert call.closes_at < assignment.created_at < now
            review = assignment.review
            if review is not None:
                assert assignment.created_at < review.updated_at < now
        # Nothing of a past call was stamped by the clock at the seeding.
        ids = [str(a.id) for a in applications_of(db, call)]
        last_event = db.scalar(select(func.max(AuditEvent.occurred_at)).where(
            AuditEvent.object_type == "application", AuditEvent.object_id.in_(ids)))
        assert last_event < now - timedelta(days=1)
    assert closed.closes_at < closed.decisions_finalised_at < now


def test_seed_demo_has_a_call_in_review(app, db):
    _closed, call, _open = seeded_calls(app, db)
    apps = applications_of(db, call)
    assert 4 <= len(apps) <= 6
    assert {a.created_by.email for a in apps} == {
        "library1@vektor.demo", "library2@vektor.demo", "library3@vektor.demo"}
    assert not any(a.status in (ApplicationStatus.DRAFT, ApplicationStatus.SUBMITTED)
                   for a in apps)
    refused = [a for a in apps if a.status == ApplicationStatus.INELIGIBLE]
    assert len(refused) == 1 and refused[0].eligibility_reason
    admitted = [a for a in apps if a.status in ADMITTED_STATUSES]
    assert len(admitted) == len(apps) - 1

    assignments = assignments_of(db, call)
    assert {a.reviewer.email for a in assignments} == {
        "reviewer1@vektor.demo", "reviewer2@vektor.demo", "reviewer3@vektor.demo"}
    assert Counter(a.application_id for a in assignments) == {
        a.id: call.reviewers_per_application for a in admitted}
    declared = [a for a in assignments if a.status == AssignmentStatus.CONFLICT]
    assert len(declared) == 1
    assert declared[0].conflict_reason and declared[0].conflict_declared_at is not None
    assert declared[0].review is None
    states = Counter(a.review.status if a.review else None for a in assignments
                     if a.status == AssignmentStatus.ACTIVE)
    assert states[ReviewStatus.SUBMITTED] >= 3
    assert states[ReviewStatus.DRAFT] >= 1 and states[None] >= 1
    for review in db.scalars(select(Review).where(Review.status == ReviewStatus.SUBMITTED,
                                                  Review.application_id.in_(
                                                      [a.id for a in admitted]))):
        assert review.overall_comment and review.recommendation is not None
        assert len(review.scores) == len(DEFAULT_CRITERIA)
        assert all(s.comment for s in review.scores)

    ranking = rank_applications(db, call)
    assert len(ranking.rows) == len(admitted)
    flagged = [row for row in ranking.rows if row.is_disagreement]
    assert len(flagged) >= 1
    assert all(row.status == ApplicationStatus.REVIEWED for row in flagged)
    assert any(row.reviews_count < row.reviews_required for row in ranking.rows)


def test_seed_demo_never_assigns_a_reviewer_in_a_conflict_of_interest(app, db):
    seeded_calls(app, db)
    assignments = db.scalars(select(Assignment)).all()
    assert assignments
    for assignment in assignments:
        reviewer, applicant = assignment.reviewer, assignment.application.organisation
        assert reviewer.has_role(Role.REVIEWER)
        if reviewer.organisation is not None:
            assert reviewer.organisation_id != applicant.id
            assert reviewer.organisation.inn != applicant.inn
    gorky = db.scalar(select(User).where(User.email == "reviewer3@vektor.demo")).organisation
    assert gorky is not None and not any(
        a.reviewer.email == "reviewer3@vektor.demo" and a.application.organisation_id == gorky.id
        for a in assignments)
    assert any(a.application.organisation_id == gorky.id for a in assignments)


def test_seed_demo_has_a_closed_call_decided_within_the_fund(app, db, client, login_as):
    closed, _in_review, _open = seeded_calls(app, db)
    apps = applications_of(db, closed)
    assert 4 <= len(apps) <= 6
    assert all(a.status in (*FUNDED_STATUSES, ApplicationStatus.NOT_FUNDED) for a in apps)
    for application in apps:
        reviews = db.scalars(select(Review).where(Review.application_id == application.id))
        assert [r.status for r in reviews] == [ReviewStatus.SUBMITTED] * 2

    decisions = {d.application_id: d for d in db.scalars(
        select(Decision).where(Decision.call_id == closed.id))}
    assert set(decisions) == {a.id for a in apps}
    assert Counter(d.outcome for d in decisions.values()) == {
        DecisionOutcome.FUNDED: 3, DecisionOutcome.RESERVE: 1, DecisionOutcome.NOT_FUNDED: 1}
    approved = sum(d.approved_amount for d in decisions.values()
                   if d.outcome == DecisionOutcome.FUNDED)
    assert 0 < approved <= closed.fund_amount
    reduced = []
    for application in apps:
        decision = decisions[application.id]
        requested = summarise_budget(application.budget_lines).requested
        if decision.outcome == DecisionOutcome.FUNDED:
            assert application.status in FUNDED_STATUSES
            assert 0 < decision.approved_amount <= requested
            if decision.approved_amount < requested:
                reduced.append(decision)
        else:
            assert application.status == ApplicationStatus.NOT_FUNDED
            assert decision.approved_amount is None
    assert len(reduced) == 1 and reduced[0].reason
    not_funded = [d for d in decisions.values() if d.outcome == DecisionOutcome.NOT_FUNDED]
    assert not_funded[0].reason
    reserve = [d for d in decisions.values() if d.outcome == DecisionOutcome.RESERVE]
    assert reserve[0].reserve_rank == 1

    ranking = rank_applications(db, closed)
    assert [row.rank for row in ranking.rows] == list(range(1, len(apps) + 1))
    assert ranking.approved_total == approved
    assert not any(row.is_disagreement for row in ranking.rows)
    # The decisions were e-mailed to the applicants, after the applications were submitted.
    told = db.scalars(select(OutboxMessage.recipient).where(
        OutboxMessage.created_at == closed.decisions_finalised_at)).all()
    assert sorted(set(told)) == [
        "library1@vektor.demo", "library2@vektor.demo", "library3@vektor.demo"]
    assert len(told) == len(apps)

    users = {u.email: u for u in db.scalars(select(User))}
    login_as(users["chair@vektor.demo"])
    for path in ("protocol.pdf", "summary.pdf"):
        response = client.get(f"/committee/calls/{closed.id}/{path}")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
    assert client.get(f"/committee/calls/{closed.id}/ranking").status_code == 200
    funded = next(a for a in apps if a.status in FUNDED_STATUSES)
    login_as(users[funded.created_by.email])
    assert client.get(f"/applications/{funded.id}/results").status_code == 200


def closed_call_story(db, closed, now):
    """Check that the closed call went on from its decisions as the demo tells it, each
    step consistent with the call's timeline and before `now`; returns its agreements by
    the author of the application and the call's finance figures."""
    zone = ZoneInfo(closed.timezone)
    today = now.astimezone(zone).date()

    def day(moment):
        return moment.astimezone(zone).date()

    assert administration_complete(administration_details(db))
    details = administration_details(db)
    assert "Светлогорский городской округ" in details.full_name

    interim_due, final_due = (date.fromisoformat(d) for d in closed.reporting_dates)
    assert closed.implementation_start < interim_due < closed.implementation_end < final_due
    assert interim_due < today < final_due

    finance = db.scalar(select(User).where(User.email == "finance@vektor.demo"))
    agreements = db.scalars(select(Agreement).join(Application)
                            .where(Application.call_id == closed.id)).all()
    decisions = {d.application_id: d for d in db.scalars(
        select(Decision).where(Decision.call_id == closed.id))}
    funded = [a for a in applications_of(db, closed) if a.id in decisions
              and decisions[a.id].outcome == DecisionOutcome.FUNDED]
    assert sorted(a.application_id for a in agreements) == sorted(a.id for a in funded)
    for agreement in agreements:
        assert agreement.status == AgreementStatus.SIGNED
        assert agreement.signed_by_id == finance.id
        assert agreement.amount == decisions[agreement.application_id].approved_amount
        assert sum(t.amount for t in agreement.tranches) == agreement.amount
        assert closed.decisions_finalised_at < details.updated_at <= agreement.created_at
        assert agreement.created_at < agreement.signed_at
        assert day(agreement.signed_at) < closed.implementation_start + timedelta(days=14)
        assert [r.kind for r in agreement.reports] == [ReportKind.INTERIM, ReportKind.FINAL]
        assert [r.due_date for r in agreement.reports] == [interim_due, final_due]
        for tranche in agreement.tranches:
            released = tranche.released_at
            assert released is None or agreement.signed_at <= released < now
            for payment in tranche.payments:
                assert released is not None and day(released) <= payment.paid_on <= today
                assert day(agreement.signed_at) <= payment.paid_on
                assert payment.recorded_at < now
        for report in agreement.reports:
            assert agreement.created_at <= report.updated_at < now - timedelta(hours=12)
            for n, round_ in enumerate(report.rounds, start=1):
                assert round_.number == n
                assert agreement.signed_at < round_.submitted_at < now - timedelta(hours=12)
                assert round_.decided_at is None or (
                    round_.submitted_at < round_.decided_at < now - timedelta(hours=12))
            if report.status != ReportStatus.DRAFT:
                assert report_problems(report) == []
    by_library = {a.application.created_by.email: a for a in agreements}
    assert len(by_library) == 3

    advances = [a.tranches[0] for a in agreements]
    assert all(t.condition == TrancheCondition.ON_SIGNING and t.released_at for t in advances)
    paid = [t for t in advances if sum(p.amount for p in t.payments) == t.amount]
    unpaid = [t for t in advances if not t.payments]
    assert len(paid) == 2 and len(unpaid) == 1
    assert unpaid[0].agreement.application.status == ApplicationStatus.UNDER_AGREEMENT
    assert {t.agreement.application.status for t in paid} == {ApplicationStatus.REPORTING}

    reports = [r for a in agreements for r in a.reports]
    states = Counter((r.kind, r.status) for r in reports)
    assert states[ReportKind.INTERIM, ReportStatus.ACCEPTED] == 1
    assert states[ReportKind.FINAL, ReportStatus.RETURNED] == 1
    overdue = [r for r in reports if r.status == ReportStatus.DRAFT and r.due_date < today]
    assert len(overdue) == 1 and overdue[0].kind == ReportKind.INTERIM
    assert overdue[0].agreement.tranches[0] in unpaid and overdue[0].narrative

    # The accepted interim report released the second tranche, which has been paid; the
    # final report of the same project was returned with a comment, its round kept.
    accepted = next(r for r in reports if r.status == ReportStatus.ACCEPTED)
    second = accepted.agreement.tranches[1]
    assert second.condition == TrancheCondition.AFTER_INTERIM_REPORT
    assert second.released_at == accepted.accepted_at
    assert sum(p.amount for p in second.payments) == second.amount
    assert [(r.outcome, bool(r.comment)) for r in accepted.rounds] == [
        (RoundOutcome.ACCEPTED, True)]
    returned = next(r for r in reports if r.status == ReportStatus.RETURNED)
    assert returned.agreement is accepted.agreement
    assert [r.outcome for r in returned.rounds] == [RoundOutcome.RETURNED]
    assert "акт" in returned.rounds[0].comment
    assert accepted.rounds[0].decided_at < returned.rounds[0].submitted_at
    # After the project's last events (all of them by mid-November).
    assert day(returned.rounds[0].submitted_at) >= date(closed.implementation_end.year, 11, 9)
    # Plan against actual: some lines under the plan, one over within the tolerance, one
    # beyond it, justified.
    summary = summarise_spending(returned)
    over = [line for line in summary.lines if line.total.variance > 0]
    under = [line for line in summary.lines if line.total.variance < 0]
    assert len(over) == 1 and not over[0].exceeds_tolerance and len(under) >= 3
    assert [line.justification != "" for line in summary.exceeding] == [True]
    assert summary.overall.requested.actual <= returned.agreement.amount
    for report in (accepted, returned):
        assert all(r.achieved is not None for r in report.results)

    waiting = [r for r in reports if r.status == ReportStatus.SUBMITTED]
    assert len(waiting) == 1 and waiting[0].kind == ReportKind.INTERIM
    assert waiting[0].rounds[-1].submitted_at.astimezone(zone).date() > interim_due

    finances = call_finances(db, closed, now=now)
    assert finances.signed == finances.approved == sum(a.amount for a in agreements)
    assert finances.paid == sum(p.amount for t in [*advances, second] for p in t.payments)
    assert sum(p.reports_overdue for p in finances.projects) == 1
    assert sum(p.reports_accepted for p in finances.projects) == 1
    assert sum(p.overdue_tranches for p in finances.projects) == 1
    return by_library, finances


def test_seed_demo_takes_the_closed_call_through_agreements_payments_and_reports(
    app, db, client, login_as
):
    closed, _in_review, _open = seeded_calls(app, db)
    agreements, _finances = closed_call_story(db, closed, utcnow())
    # Nothing of the story was stamped by the clock at the seeding.
    actions = ("agreement.%", "payment.%", "report.%", "tranche.%", "administration.%")
    stamps = db.scalars(select(AuditEvent.occurred_at).where(
        or_(*(AuditEvent.action.like(action) for action in actions)))).all()
    assert len(stamps) > 10 and max(stamps) < utcnow() - timedelta(hours=12)

    users = {u.email: u for u in db.scalars(select(User))}
    login_as(users["finance@vektor.demo"])
    page = client.get(f"/finance/calls/{closed.id}")
    assert page.status_code == 200
    for agreement in agreements.values():
        assert agreement.number in page.get_data(as_text=True)
        response = client.get(f"/applications/{agreement.application_id}/agreement.pdf")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")

    routes = agreements["library2@vektor.demo"]
    final = routes.reports[1]
    login_as(users["library2@vektor.demo"])
    for path in (f"/reports/{final.id}", f"/reports/{routes.reports[0].id}/report.pdf",
                 f"/reports/{final.id}/report.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    login_as(users["library1@vektor.demo"])
    assert client.get(f"/reports/{final.id}/report.pdf").status_code in (403, 404)


@pytest.mark.parametrize("moment", [
    "2027-03-10T09:00", "2027-11-10T21:30", "2027-11-18T06:00", "2027-12-20T12:00",
    "2029-02-07T10:00",  # the previous round would have closed on 29 February
])
def test_seed_demo_tells_the_closed_calls_story_whenever_it_is_seeded(app, db, moment):
    with time_machine.travel(datetime.fromisoformat(moment).replace(tzinfo=UTC)):
        closed, _in_review, open_call = seeded_calls(app, db)
        now = utcnow()
        assert closed.closes_at < now - timedelta(weeks=8)
        assert closed.implementation_start.year == closed.opens_at.year + 1
        assert open_call.opens_at < now < open_call.closes_at
        closed_call_story(db, closed, now)


def test_seed_demo_a_second_time_adds_nothing(app, db):
    models = (User, Organisation, Call, Application, BudgetLine, Assignment, Review, Decision,
              AuditEvent, OutboxMessage, AdministrationDetails, Agreement, Tranche, Payment,
              Report, ReportRound, ReportSpending, ReportIndicator)
    assert run(app, "seed-demo").exit_code == 0
    before = counts(db, *models)
    again = run(app, "seed-demo")
    assert again.exit_code == 0 and "already present" in again.output
    assert counts(db, *models) == before


def test_seed_demo_if_empty_leaves_a_real_database_alone(app, db, create_user):
    create_user(Role.ADMIN)
    db.commit()
    result = run(app, "seed-demo", "--if-empty")
    assert result.exit_code == 0
    assert "no demo data was added" in result.output
    assert db.scalar(select(User).where(User.email == DEMO_ACCOUNTS[0].email)) is None


def test_create_admin(app, db):
    result = run(app, "create-admin", "--email", "Root@City.example.org", "--name", "Root",
                 "--password", "a long admin passphrase")
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.email == "root@city.example.org"))
    assert user.roles == {Role.ADMIN}
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "user.created",
                                              AuditEvent.object_id == str(user.id)))


def test_create_admin_refuses_a_weak_password(app, db):
    result = run(app, "create-admin", "--email", "root@city.example.org", "--name", "Root",
                 "--password", "1234567890")
    assert result.exit_code != 0
    assert result.output.startswith("Error: ") and len(result.output) > 20
    assert db.scalar(select(User).where(User.email == "root@city.example.org")) is None


def test_grant_and_revoke_role_and_list(app, db, create_user):
    user = create_user(Role.REVIEWER, email="expert@example.org")
    db.commit()
    assert run(app, "grant-role", "expert@example.org", "chair").exit_code == 0
    db.expire_all()
    assert user.roles == {Role.REVIEWER, Role.CHAIR}
    listing = run(app, "users", "--role", "chair").output
    assert "expert@example.org" in listing and "chair,reviewer" in listing
    assert run(app, "revoke-role", "expert@example.org", "reviewer").exit_code == 0
    db.expire_all()
    assert user.roles == {Role.CHAIR}
    granted = db.scalars(select(AuditEvent.action).where(
        AuditEvent.object_id == str(user.id), AuditEvent.action.like("user.role_%"))).all()
    assert granted == ["user.role_granted", "user.role_revoked"]


def test_unknown_user_gives_a_clear_error(app, db):
    result = run(app, "grant-role", "ghost@example.org", "chair")
    assert result.exit_code != 0
    assert "No account with the e-mail ghost@example.org" in result.output


def test_set_password(app, db, create_user):
    user = create_user(Role.REVIEWER)
    db.commit()
    result = run(app, "set-password", user.email, "--password", "a new operator phrase")
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert verify_password(user.password_hash, "a new operator phrase")
