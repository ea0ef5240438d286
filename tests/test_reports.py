"""Reports: plan against actual computed by the portal (by line, category and source, with
variance and share used, checked against figures worked out by hand); the call's tolerance
rule; saving with optimistic locking; submission only when complete; the review cycle with
every round kept and its e-mails; acceptance releasing tranches and the final report
completing the project; reminders sent once; the report as PDF read back; and who may do
what on every page."""

from __future__ import annotations

import html
import io
import re
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
import time_machine
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import delete, func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.models import (
    Agreement,
    AgreementStatus,
    ApplicationStatus,
    AuditEvent,
    BudgetCategory,
    OutboxMessage,
    Report,
    ReportDocument,
    ReportKind,
    ReportStatus,
    Role,
    RoundOutcome,
    Tranche,
    TrancheCondition,
)
from portal.money import format_money
from portal.services import reports as service
from portal.services.reports import (
    StaleReportError,
    accept_report,
    exceeds_tolerance,
    return_report,
    save_indicator_results,
    save_narrative,
    save_spending,
    send_report_reminders,
    submit_report,
    summarise_spending,
)
from tests.conftest import recorded_statements

D = Decimal

# Two lines in one category and kopecks: 337 037,01 ₽ in all.
#   1 equipment       2 x 75 000,00  = 150 000,00  (120 000 requested, 30 000 own)
#   2 equipment       3 x 12 345,67  =  37 037,01  (30 000 requested, 7 037,01 own)
#   3 acquisitions  100 x  1 000,00  = 100 000,00  (75 000 requested, 25 000 partners)
#   4 events          1 x 50 000,00  =  50 000,00  (30 000 requested, 20 000 own)
BUDGET = (
    ("equipment", "2", "75000.00", "120000.00", "30000.00", "0.00"),
    ("equipment", "3", "12345.67", "30000.00", "7037.01", "0.00"),
    ("acquisitions", "100", "1000.00", "75000.00", "0.00", "25000.00"),
    ("events", "1", "50000.00", "30000.00", "20000.00", "0.00"),
)
# What was spent, per line: (requested, own, partner).
#   1: 156 000,00 = +6 000,00 (104,00 %)     2: 40 000,00 = +2 962,99 (108,00 %)
#   3:  90 000,00 = -10 000,00 (90,00 %)     4: 55 000,00 = +5 000,00 (110,00 %)
SPENT = (
    ("120000.00", "36000.00", "0.00"),
    ("30000.00", "10000.00", "0.00"),
    ("70000.00", "0.00", "20000.00"),
    ("35000.00", "20000.00", "0.00"),
)
PDF_BYTES = b"%PDF-1.4\n% a supporting document\n%%EOF\n"


# --- fixtures and helpers ------------------------------------------------------------------


@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch):
    directory = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(directory))
    return directory


@pytest.fixture
def en(ctx):
    """Services called directly, with their messages in English."""
    with force_locale("en"):
        yield


class Project:
    """A signed agreement on the budget above, its library's applicant, finance and the
    chair."""

    def __init__(self, db, create_agreement, create_user, budget=BUDGET):
        self.db = db
        self.agreement = create_agreement(signed=True, budget=budget)
        self.app = self.agreement.application
        self.applicant = self.app.created_by
        self.finance = create_user(Role.FINANCE, full_name="Фаина Финансова")
        self.chair = create_user(Role.CHAIR, full_name="Пётр Председателев")
        self.interim, self.final = self.agreement.reports
        self.lines = list(self.app.budget_lines)
        for user in (self.applicant, self.finance, self.chair):
            user.locale = "en"
        forget_mail(db)

    def spending_rows(self, spent=SPENT, justifications=None):
        justifications = justifications or {}
        return [
            {"budget_line_id": line.id, "requested_amount": D(r), "own_amount": D(o),
             "partner_amount": D(p), "justification": justifications.get(n, "")}
            for n, (line, (r, o, p)) in enumerate(zip(self.lines, spent, strict=True), start=1)
        ]

    def fill(self, report, *, spent=SPENT, justifications=None, narrative="Провели 20 встреч."):
        """Everything a complete report needs, saved as the library would."""
        actor = self.applicant
        save_narrative(self.db, report, narrative, expected_version=report.version, actor=actor)
        save_indicator_results(
            self.db, report,
            [{"indicator_id": i.id, "achieved": D("310"), "comment": "Больше, чем ждали"}
             for i in self.app.indicators],
            expected_version=report.version, actor=actor)
        save_spending(self.db, report, self.spending_rows(spent, justifications),
                      expected_version=report.version, actor=actor)
        return report

    def submit(self, report, **fill):
        self.fill(report, **fill)
        submit_report(self.db, report, actor=self.applicant)
        return report


@pytest.fixture
def project(db, create_agreement, create_user):
    return Project(db, create_agreement, create_user)


def outbox(db, recipient=None):
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if recipient is not None:
        query = query.where(OutboxMessage.recipient == recipient)
    return db.scalars(query).all()


def forget_mail(db):
    """Empty the outbox of the fixtures' own e-mails (on submitting applications)."""
    db.execute(delete(OutboxMessage))


def audit(db, action):
    return db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                      .order_by(AuditEvent.id)).all()


def text_of(response) -> str:
    """The page's text without markup, every run of whitespace one space."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
    return " ".join(text.replace("\u00a0", " ").split())


def squash(text: str) -> str:
    return " ".join(text.split())


# --- plan against actual ------------------------------------------------------------------------


def test_plan_against_actual_by_line_category_and_source(en, db, project):
    report = project.fill(project.interim)
    summary = summarise_spending(report)

    # Per line: plan, actual, variance, share used (worked out by hand above).
    expected_lines = [
        ("150000.00", "156000.00", "6000.00", "104.00"),
        ("37037.01", "40000.00", "2962.99", "108.00"),
        ("100000.00", "90000.00", "-10000.00", "90.00"),
        ("50000.00", "55000.00", "5000.00", "110.00"),
    ]
    for row, (plan, actual, variance, used) in zip(summary.lines, expected_lines, strict=True):
        assert (row.total.plan, row.total.actual, row.total.variance, row.total.percent_used) == (
            D(plan), D(actual), D(variance), D(used))
    # ...and by source within a line: line 2's own funds 7 037,01 planned, 10 000 spent.
    own = summary.lines[1].own
    assert (own.plan, own.actual, own.variance, own.percent_used) == (
        D("7037.01"), D("10000.00"), D("2962.99"), D("142.11"))
    # A source planned at zero and not spent: no share to give.
    assert summary.lines[0].partner.percent_used is None

    # By category: the two equipment lines together.
    equipment = summary.by_category[BudgetCategory.EQUIPMENT].total
    assert (equipment.plan, equipment.actual, equipment.variance, equipment.percent_used) == (
        D("187037.01"), D("196000.00"), D("8962.99"), D("104.79"))
    assert list(summary.by_category) == [BudgetCategory.EQUIPMENT, BudgetCategory.ACQUISITIONS,
                                         BudgetCategory.EVENTS]
    acquisitions = summary.by_category[BudgetCategory.ACQUISITIONS].partner
    assert (acquisitions.plan, acquisitions.actual, acquisitions.variance) == (
        D("25000.00"), D("20000.00"), D("-5000.00"))

    # By source, over the project.
    overall = summary.overall
    assert (overall.requested.plan, overall.requested.actual, overall.requested.variance,
            overall.requested.percent_used) == (D("255000.00"), D("255000.00"), D("0.00"),
                                                D("100.00"))
    assert (overall.own.plan, overall.own.actual, overall.own.variance,
            overall.own.percent_used) == (D("57037.01"), D("66000.00"), D("8962.99"),
                                          D("115.71"))
    assert (overall.partner.plan, overall.partner.actual, overall.partner.percent_used) == (
        D("25000.00"), D("20000.00"), D("80.00"))
    assert (overall.total.plan, overall.total.actual, overall.total.variance,
            overall.total.percent_used) == (D("337037.01"), D("341000.00"), D("3962.99"),
                                            D("101.18"))
    # Money stays Decimal to the kopeck.
    assert all(isinstance(f.actual, Decimal) for _k, f in overall.by_source())


def test_a_line_not_reported_counts_as_nothing_spent_and_is_not_judged(en, db, project):
    report = project.interim
    rows = project.spending_rows()
    rows[2] = {**rows[2], "requested_amount": None, "own_amount": None, "partner_amount": None}
    save_spending(db, report, rows, expected_version=report.version, actor=project.applicant)
    summary = summarise_spending(report)
    line = summary.lines[2]
    assert not line.is_reported and line.total.actual == 0 and not line.exceeds_tolerance
    assert summary.overall.total.actual == D("251000.00")
    # Zero is an answer: the line is reported, with nothing spent.
    rows[2] = {**rows[2], "requested_amount": D("0")}
    save_spending(db, report, rows, expected_version=report.version, actor=project.applicant)
    assert summarise_spending(report).lines[2].is_reported


def test_the_page_shows_the_computed_tables(client, login_as, db, project):
    with client.application.test_request_context():
        project.fill(project.interim)
    db.commit()
    login_as(project.applicant)
    page = text_of(client.get(f"/reports/{project.interim.id}"))
    assert "Spending: plan against actual" in page
    assert "337,037.01 ₽" in page and "341,000.00 ₽" in page and "3,962.99 ₽" in page
    assert "101.18 %" in page and "104.79 %" in page and "115.71 %" in page
    assert "-10,000.00 ₽" in page


# --- the tolerance rule ---------------------------------------------------------------------


@pytest.mark.parametrize(("plan", "actual", "under_counts", "exceeds"), [
    ("50000.00", "55000.00", True, False),    # exactly 10 % above: fine
    ("50000.00", "55000.01", True, True),     # a kopeck more: needs a justification
    ("50000.00", "45000.00", True, False),    # exactly 10 % below: fine
    ("50000.00", "44999.99", True, True),     # below by more, in a final report
    ("50000.00", "10000.00", False, False),   # an interim report may be far below the plan
    ("50000.00", "55000.01", False, True),    # ...but not above it
    ("0.00", "0.01", True, True),             # anything on a line planned at zero
    ("0.00", "0.00", True, False),
])
def test_exceeds_tolerance(plan, actual, under_counts, exceeds):
    assert exceeds_tolerance(D(plan), D(actual), D("10"),
                             counts_underspending=under_counts) is exceeds


def test_exactly_at_the_tolerance_needs_no_justification(en, db, project):
    # Line 3 is 10 % below its plan and line 4 10 % above: both exactly at the tolerance.
    report = project.fill(project.final)
    summary = summarise_spending(report)
    assert summary.exceeding == []
    assert service.report_problems(report) == []


def test_above_the_tolerance_needs_a_justification_and_the_lines_are_named(
        en, db, project):
    spent = (*SPENT[:3], ("35000.01", "20000.00", "0.00"))  # line 4: 10 % and a kopeck over
    report = project.fill(project.interim, spent=spent)
    summary = summarise_spending(report)
    assert [row.number for row in summary.exceeding] == [4]
    assert [row.number for row in summary.unjustified] == [4]
    with pytest.raises(DomainError) as refused:
        submit_report(db, report, actor=project.applicant)
    message = str(refused.value.message).replace("\u00a0", " ")
    assert "line 4 “Статья 4”" in message and "tolerance of 10 %" in message
    assert report.status == ReportStatus.DRAFT and report.rounds == []

    save_spending(db, report, project.spending_rows(spent, {4: "Подорожала аренда зала"}),
                  expected_version=report.version, actor=project.applicant)
    assert summarise_spending(report).unjustified == []
    submit_report(db, report, actor=project.applicant)
    assert report.status == ReportStatus.SUBMITTED


def test_the_final_report_counts_spending_below_the_plan(en, db, project):
    spent = (*SPENT[:2], ("69999.99", "0.00", "20000.00"), SPENT[3])  # line 3 below by 10.01 %
    assert summarise_spending(project.fill(project.interim, spent=spent)).exceeding == []
    assert [r.number for r in summarise_spending(
        project.fill(project.final, spent=spent)).exceeding] == [3]


def test_the_calls_own_tolerance_applies(en, db, project):
    project.app.call.spending_tolerance_percent = D("5")
    report = project.fill(project.interim)
    assert [r.number for r in summarise_spending(report).exceeding] == [2, 4]


def test_the_report_page_names_the_lines_beyond_the_tolerance(client, login_as, db, project):
    spent = (("120000.00", "60000.00", "0.00"), *SPENT[1:])  # line 1: +20 %
    with client.application.test_request_context():
        project.fill(project.interim, spent=spent)
    db.commit()
    login_as(project.applicant)
    response = client.get(f"/reports/{project.interim.id}")
    page = text_of(response)
    assert "Lines beyond the tolerance:" in page
    assert "Line 1 “Статья 1” : 180,000.00 ₽ spent against 150,000.00 ₽ planned (120 %)" in page
    assert "justification missing" in page
    assert "Line 2 “Статья 2” :" not in page
    assert "exceeds its plan by more than 10 % of the line needs a justification" in page
    # Submitting is refused with the line named.
    refused = client.post(f"/reports/{project.interim.id}/submit", follow_redirects=True)
    assert "line 1 “Статья 1”" in text_of(refused)
    db.expire_all()
    assert project.interim.status == ReportStatus.DRAFT


# --- completeness and editing ---------------------------------------------------------------------


def test_submission_needs_every_part(en, db, project):
    report = project.interim
    with pytest.raises(DomainError) as refused:
        submit_report(db, report, actor=project.applicant)
    message = str(refused.value.message)
    assert "Describe what was done." in message
    assert "Give the value achieved for the indicator “Участники”." in message
    for n in range(1, 5):
        assert f"Give the spending on line {n} “Статья {n}”" in message
    assert len(service.report_problems(report)) == 6


def test_a_report_under_an_unsigned_agreement_is_not_submitted(en, db, create_agreement):
    agreement = create_agreement(signed=False)
    report = agreement.reports[0]
    with pytest.raises(ConflictError, match="not been signed"):
        submit_report(db, report, actor=agreement.application.created_by)


def test_only_the_applications_own_rows_are_saved(en, db, project, create_agreement):
    other = create_agreement(signed=True)
    report = project.interim
    foreign_line = other.application.budget_lines[0].id
    with pytest.raises(ConflictError):
        save_spending(db, report, [{"budget_line_id": foreign_line,
                                    "requested_amount": D("1"), "own_amount": None,
                                    "partner_amount": None, "justification": ""}],
                      expected_version=report.version, actor=project.applicant)
    with pytest.raises(ConflictError):
        save_indicator_results(
            db, report, [{"indicator_id": other.application.indicators[0].id,
                          "achieved": D("1"), "comment": ""}],
            expected_version=report.version, actor=project.applicant)


def test_a_justification_without_amounts_is_refused(en, db, project):
    rows = project.spending_rows()
    rows[0] = {**rows[0], "requested_amount": None, "own_amount": None,
               "partner_amount": None, "justification": "Объясняем"}
    with pytest.raises(DomainError):
        save_spending(db, project.interim, rows, expected_version=project.interim.version,
                      actor=project.applicant)


def test_saving_replaces_values_in_place(en, db, project):
    report = project.fill(project.interim)
    ids = {s.budget_line_id: s.id for s in report.spending}
    project.fill(report, spent=(("1.00", "2.00", "3.00"), *SPENT[1:]))
    db.flush()
    assert {s.budget_line_id: s.id for s in report.spending} == ids
    first = next(s for s in report.spending if s.budget_line_id == project.lines[0].id)
    assert (first.requested_amount, first.own_amount, first.partner_amount) == (
        D("1.00"), D("2.00"), D("3.00"))


# --- optimistic locking ---------------------------------------------------------------------------


def test_a_save_based_on_an_older_version_is_refused(en, db, project):
    report = project.interim
    opened = report.version
    save_narrative(db, report, "Первая правка", expected_version=opened,
                   actor=project.applicant)
    assert report.version == opened + 1
    with pytest.raises(StaleReportError) as stale:
        save_narrative(db, report, "Вторая правка", expected_version=opened,
                       actor=project.applicant)
    assert stale.value.current_version == opened + 1
    assert report.narrative == "Первая правка"
    # Spending and indicators live in rows of their own; saving them raises the version too.
    save_spending(db, report, project.spending_rows(), expected_version=opened + 1,
                  actor=project.applicant)
    assert report.version == opened + 2
    with pytest.raises(StaleReportError):
        save_indicator_results(db, report, [], expected_version=opened + 1,
                               actor=project.applicant)


def test_two_tabs_the_second_save_is_refused_and_keeps_what_was_typed(
        client, login_as, db, project):
    report = project.interim
    opened = report.version
    login_as(project.applicant)
    first = client.post(f"/reports/{report.id}/save/narrative",
                        data={"narrative-version": opened, "narrative-narrative": "Из первой"})
    assert first.status_code == 302
    second = client.post(f"/reports/{report.id}/save/narrative",
                         data={"narrative-version": opened,
                               "narrative-narrative": "Из второй вкладки"})
    assert second.status_code == 409
    page = text_of(second)
    assert "Someone saved this report after you opened this page" in page
    assert "Из второй вкладки" in page  # what was typed is kept in the form
    assert "Saved now: Из первой" in page  # and what is saved is shown beside it
    db.expire_all()
    assert report.narrative == "Из первой"
    # The form now carries the current version: saving again overwrites knowingly.
    assert f'value="{opened + 1}"' in second.get_data(as_text=True)
    third = client.post(f"/reports/{report.id}/save/narrative",
                        data={"narrative-version": opened + 1,
                              "narrative-narrative": "Из второй вкладки"})
    assert third.status_code == 302
    db.expire_all()
    assert report.narrative == "Из второй вкладки"


def test_the_spending_form_saves_typed_amounts(client, login_as, db, project):
    report = project.interim
    login_as(project.applicant)
    data = {"spending-version": report.version}
    for n, (line, (r, o, _p)) in enumerate(zip(project.lines, SPENT, strict=True)):
        data |= {f"spending-rows-{n}-budget_line_id": line.id,
                 f"spending-rows-{n}-requested_amount": r.replace(".", ","),
                 f"spending-rows-{n}-own_amount": o, f"spending-rows-{n}-partner_amount": "",
                 f"spending-rows-{n}-justification": ""}
    data["spending-rows-2-partner_amount"] = "20 000"
    response = client.post(f"/reports/{report.id}/save/spending", data=data)
    assert response.status_code == 302, text_of(response)
    db.expire_all()
    assert summarise_spending(report).overall.total.actual == D("341000.00")
    # A typing error answers 422 and keeps what was typed.
    data["spending-rows-0-own_amount"] = "тысяча"
    bad = client.post(f"/reports/{report.id}/save/spending", data=data)
    assert bad.status_code == 422 and 'value="тысяча"' in bad.get_data(as_text=True)


def test_reminders_do_not_disturb_someone_editing(en, db, project):
    report = project.interim
    version = report.version
    with time_machine.travel(datetime.combine(report.due_date - timedelta(days=3), time(9),
                                              tzinfo=UTC)):
        assert send_report_reminders(db, utcnow()) == 1
    db.flush()
    db.expire_all()
    assert report.reminded_before_at is not None and report.version == version


# --- the review cycle --------------------------------------------------------------------------


def test_review_cycle_through_the_pages(client, login_as, db, project, create_user):
    colleague = create_user(Role.APPLICANT, organisation=project.app.organisation, locale="en")
    report = project.interim
    with client.application.test_request_context():
        project.fill(report)
    db.commit()

    login_as(project.applicant)
    assert client.post(f"/reports/{report.id}/submit").status_code == 302
    db.expire_all()
    assert report.status == ReportStatus.SUBMITTED and report.submitted_at is not None
    (first,) = report.rounds
    assert first.number == 1 and first.outcome is None
    assert [e.to_state for e in audit(db, "report.submitted")] == ["submitted"]
    for checker in (project.finance, project.chair):
        (mail,) = outbox(db, checker.email)
        assert mail.subject == f"A report to check: {project.app.registration_number}"
    assert outbox(db, project.applicant.email) == []
    # Submitted: the library can no longer change it.
    assert client.post(f"/reports/{report.id}/save/narrative",
                       data={"narrative-version": report.version,
                             "narrative-narrative": "x"}).status_code == 409

    login_as(project.finance)
    page = client.get(f"/reports/{report.id}")
    assert "Accept the report" in text_of(page) and "Return for corrections" in text_of(page)
    without = client.post(f"/reports/{report.id}/return", data={"return-comment": " "})
    assert without.status_code == 422 and "This field is required." in text_of(without)
    returned = client.post(f"/reports/{report.id}/return",
                           data={"return-comment": "Приложите акты на оборудование."})
    assert returned.status_code == 302
    db.expire_all()
    assert report.status == ReportStatus.RETURNED
    assert (first.outcome, first.comment, first.decided_by_id) == (
        RoundOutcome.RETURNED, "Приложите акты на оборудование.", project.finance.id)
    assert audit(db, "report.returned")[0].reason == "Приложите акты на оборудование."
    for member in (project.applicant, colleague):
        (mail,) = outbox(db, member.email)
        assert "returned for corrections" in mail.subject
        assert "Приложите акты на оборудование." in mail.body

    login_as(colleague)
    page = text_of(client.get(f"/reports/{report.id}"))
    assert "Returned for corrections Приложите акты на оборудование." in page
    corrected = client.post(f"/reports/{report.id}/save/narrative",
                            data={"narrative-version": report.version,
                                  "narrative-narrative": "Провели 20 встреч, акты приложены."})
    assert corrected.status_code == 302
    boundary, body = encode_multipart({"document-file": FileStorage(
        io.BytesIO(PDF_BYTES), filename="акт.pdf", content_type="application/pdf")})
    uploaded = client.post(f"/reports/{report.id}/documents", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert uploaded.status_code == 302
    assert client.post(f"/reports/{report.id}/submit").status_code == 302
    db.expire_all()
    assert report.status == ReportStatus.SUBMITTED
    assert [r.number for r in report.rounds] == [1, 2]
    assert [d.original_name for d in report.documents] == ["акт.pdf"]

    login_as(project.chair)
    accepted = client.post(f"/reports/{report.id}/accept",
                           data={"accept-comment": "Принято."}, follow_redirects=True)
    assert "Released for payment: tranche 2." in text_of(accepted)
    db.expire_all()
    assert report.status == ReportStatus.ACCEPTED and report.accepted_at is not None
    first, second = report.rounds  # every round is kept, with its outcome and comment
    assert (first.outcome, first.comment) == (RoundOutcome.RETURNED,
                                               "Приложите акты на оборудование.")
    assert (second.outcome, second.comment, second.decided_by_id) == (
        RoundOutcome.ACCEPTED, "Принято.", project.chair.id)
    page = text_of(client.get(f"/reports/{report.id}"))
    assert "Приложите акты на оборудование." in page and "Принято." in page
    mails = outbox(db, project.applicant.email)
    assert "has been accepted" in mails[-1].subject
    assert "Tranche 2 of" in mails[-1].body and "is released for payment" in mails[-1].body
    # Accepted: nobody changes it any more, and it is not decided twice.
    assert client.post(f"/reports/{report.id}/return",
                       data={"return-comment": "ещё"}).status_code == 409


# --- acceptance: tranches and completion ---------------------------------------------------------


def test_an_accepted_interim_report_releases_the_next_tranche(en, db, project):
    tranche = next(t for t in project.agreement.tranches
                   if t.condition == TrancheCondition.AFTER_INTERIM_REPORT)
    assert tranche.released_at is None
    project.submit(project.interim)
    released = accept_report(db, project.interim, actor=project.finance)
    assert released == [tranche] and tranche.released_at is not None
    assert [e.object_id for e in audit(db, "tranche.released")] == [str(tranche.id)]
    assert project.app.status == ApplicationStatus.UNDER_AGREEMENT  # not completed by it


def test_with_two_interim_reports_each_releases_one_tranche(en, db, project):
    agreement = project.agreement
    second = next(t for t in agreement.tranches
                  if t.condition == TrancheCondition.AFTER_INTERIM_REPORT)
    half = (second.amount / 2).quantize(D("0.01"))
    third = Tranche(number=3, due_date=second.due_date + timedelta(days=30),
                    amount=second.amount - half, condition=TrancheCondition.AFTER_INTERIM_REPORT)
    fourth = Tranche(number=4, due_date=second.due_date + timedelta(days=60),
                     amount=D("1.00"), condition=TrancheCondition.AFTER_INTERIM_REPORT)
    second.amount = half - D("1.00")
    agreement.tranches.extend([third, fourth])
    later = Report(kind=ReportKind.INTERIM, due_date=project.interim.due_date + timedelta(days=10))
    agreement.reports.append(later)
    db.flush()
    project.submit(project.interim)
    assert accept_report(db, project.interim, actor=project.finance) == [second]
    assert third.released_at is None and fourth.released_at is None
    project.submit(later)
    # The last interim report releases what is left after interim reports.
    assert accept_report(db, later, actor=project.finance) == [third, fourth]


def test_the_final_report_completes_the_project(en, db, project):
    after_final = Tranche(number=3, due_date=project.final.due_date, amount=D("1000.00"),
                          condition=TrancheCondition.AFTER_FINAL_REPORT)
    project.agreement.tranches.append(after_final)
    project.app.status = ApplicationStatus.REPORTING  # the advance has been paid
    db.flush()
    project.submit(project.final)
    with pytest.raises(ConflictError, match="Accept the interim report due on"):
        accept_report(db, project.final, actor=project.finance)
    project.submit(project.interim)
    accept_report(db, project.interim, actor=project.finance)
    assert project.app.status == ApplicationStatus.REPORTING
    released = accept_report(db, project.final, actor=project.chair, comment="Спасибо")
    assert released == [after_final] and after_final.released_at is not None
    assert project.app.status == ApplicationStatus.COMPLETED
    (completed,) = audit(db, "application.complete")
    assert (completed.from_state, completed.to_state, completed.actor_id) == (
        "reporting", "completed", project.chair.id)
    assert "the project is completed" in outbox(db, project.applicant.email)[-1].body


def test_a_final_report_accepted_before_any_payment_still_completes(en, db, project):
    project.submit(project.interim)
    accept_report(db, project.interim, actor=project.finance)
    project.submit(project.final)
    assert project.app.status == ApplicationStatus.UNDER_AGREEMENT
    accept_report(db, project.final, actor=project.finance)
    assert project.app.status == ApplicationStatus.COMPLETED
    steps = [(e.action, e.from_state, e.to_state) for e in db.scalars(
        select(AuditEvent).where(AuditEvent.action.like("application.%"),
                                 AuditEvent.object_id == str(project.app.id))
        .order_by(AuditEvent.id))]
    assert steps[-2:] == [("application.start_reporting", "under_agreement", "reporting"),
                          ("application.complete", "reporting", "completed")]


def test_the_library_never_decides_on_its_own_report(en, db, project, create_user):
    project.submit(project.interim)
    with pytest.raises(PermissionError):
        accept_report(db, project.interim, actor=project.applicant)
    with pytest.raises(PermissionError):
        return_report(db, project.interim, actor=project.applicant, comment="нет")
    # Not even a member of the library who also holds the finance role.
    insider = create_user(Role.APPLICANT, Role.FINANCE, organisation=project.app.organisation)
    with pytest.raises(PermissionError):
        accept_report(db, project.interim, actor=insider)
    assert project.interim.status == ReportStatus.SUBMITTED


def test_only_a_submitted_report_is_decided(en, db, project):
    with pytest.raises(ConflictError, match="Only a submitted report"):
        accept_report(db, project.interim, actor=project.finance)
    project.submit(project.interim)
    with pytest.raises(DomainError) as refused:
        return_report(db, project.interim, actor=project.finance, comment="  ")
    assert refused.value.field == "comment"


# --- supporting documents ----------------------------------------------------------------------


def test_documents_follow_the_attachment_rules(en, db, project, upload_dir, app, monkeypatch):
    report = project.interim
    pdf_file = FileStorage(io.BytesIO(PDF_BYTES), filename="../../акт.pdf")
    document = service.add_report_document(db, report, pdf_file, actor=project.applicant,
                                           upload_dir=upload_dir)
    assert document.original_name == "акт.pdf"
    assert document.content_type == "application/pdf"
    assert (upload_dir / document.stored_name).read_bytes() == PDF_BYTES
    with pytest.raises(DomainError, match="not a PDF, DOCX, XLSX, JPEG or PNG"):
        service.add_report_document(
            db, report, FileStorage(io.BytesIO(b"MZ\x90\x00" + bytes(50)), filename="a.pdf"),
            actor=project.applicant, upload_dir=upload_dir)
    monkeypatch.setitem(app.config, "ATTACHMENTS_MAX_TOTAL_BYTES", len(PDF_BYTES) + 10)
    with pytest.raises(DomainError, match="documents of a report may take"):
        service.add_report_document(
            db, report, FileStorage(io.BytesIO(PDF_BYTES), filename="b.pdf"),
            actor=project.applicant, upload_dir=upload_dir)
    assert len(list(upload_dir.iterdir())) == 1  # refused files leave nothing behind
    service.remove_report_document(db, document, actor=project.applicant,
                                   upload_dir=upload_dir)
    assert report.documents == []
    assert [e.action for e in audit(db, "report.document_added")] == ["report.document_added"]


def test_documents_are_uploaded_downloaded_and_removed_through_the_page(
        client, login_as, db, project, upload_dir):
    report = project.interim
    login_as(project.applicant)
    boundary, body = encode_multipart({"document-file": FileStorage(
        io.BytesIO(PDF_BYTES), filename="счёт.pdf", content_type="application/pdf")})
    assert client.post(f"/reports/{report.id}/documents", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}"
                       ).status_code == 302
    document = db.scalars(select(ReportDocument)).one()
    got = client.get(f"/reports/{report.id}/documents/{document.id}", buffered=True)
    assert got.status_code == 200 and got.data == PDF_BYTES
    assert "attachment" in got.headers["Content-Disposition"]
    assert client.post(f"/reports/{report.id}/documents/{document.id}/delete").status_code == 302
    assert list(upload_dir.iterdir()) == []  # deleted once the removal was committed
    # A bad file answers 422 beside the field.
    boundary, body = encode_multipart({"document-file": FileStorage(
        io.BytesIO(b"plain text"), filename="x.pdf", content_type="application/pdf")})
    refused = client.post(f"/reports/{report.id}/documents", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert refused.status_code == 422 and "not a PDF" in text_of(refused)


# --- reminders -------------------------------------------------------------------------------


def at(day, hour=9):
    return time_machine.travel(datetime.combine(day, time(hour), tzinfo=UTC), tick=False)


def test_reminders_before_and_after_the_due_date_are_sent_once(en, db, project, create_user):
    colleague = create_user(Role.APPLICANT, organisation=project.app.organisation, locale="en")
    create_user(Role.APPLICANT, organisation=project.app.organisation, is_enabled=False)
    report = project.interim
    due = report.due_date
    library = {project.applicant.email, colleague.email}

    with at(due - timedelta(days=8)):
        assert send_report_reminders(db, utcnow()) == 0
    with at(due - timedelta(days=7)):
        assert send_report_reminders(db, utcnow()) == 2
        assert send_report_reminders(db, utcnow()) == 0  # run twice: nothing twice
    mails = outbox(db)
    assert {m.recipient for m in mails} == library
    assert mails[0].subject == (f"Due on {due:%d.%m.%Y}: the interim report of "
                                f"{project.app.registration_number}")
    assert report.reminded_before_at is not None and report.reminded_after_at is None
    with at(due):
        assert send_report_reminders(db, utcnow()) == 0
    with at(due + timedelta(days=1)):
        assert send_report_reminders(db, utcnow()) == 2
        assert send_report_reminders(db, utcnow()) == 0
    overdue = outbox(db)[2:]
    assert {m.recipient for m in overdue} == library
    assert overdue[0].subject.startswith("Overdue: the interim report")
    assert f"was due on {due:%d.%m.%Y}" in overdue[0].body
    with at(due + timedelta(days=30)):
        send_report_reminders(db, utcnow())
    # Nothing more about the interim report; the final one has reminders of its own.
    assert all("final report" in m.subject for m in outbox(db)[4:])
    assert len(outbox(db)) == len({(m.recipient, m.subject) for m in outbox(db)})


def test_a_report_first_seen_overdue_gets_only_the_overdue_reminder(en, db, project):
    due = project.interim.due_date
    with at(due + timedelta(days=3)):
        assert send_report_reminders(db, utcnow()) == 1
    (mail,) = outbox(db)
    assert mail.subject.startswith("Overdue")
    assert project.interim.reminded_before_at is None
    assert project.interim.reminded_after_at is not None


def test_submitted_reports_and_unsigned_agreements_get_no_reminders(
        en, db, project, create_agreement):
    unsigned = create_agreement(signed=False)
    forget_mail(db)
    project.submit(project.interim)
    for due in (project.interim.due_date, unsigned.reports[0].due_date):
        with at(due + timedelta(days=1)):
            send_report_reminders(db, utcnow())
    assert all(m.recipient != unsigned.application.created_by.email for m in outbox(db))
    assert not any("interim report" in m.subject for m in outbox(db))


def test_the_due_date_is_counted_in_the_calls_time_zone(en, db, project):
    due = project.interim.due_date
    # 22:00 UTC the day before the week starts is already the next day in Moscow (UTC+3).
    with at(due - timedelta(days=8), hour=22):
        assert send_report_reminders(db, utcnow()) == 1


def test_send_reminders_command(app, db, project):
    due = project.interim.due_date
    with at(due - timedelta(days=2)):
        result = app.test_cli_runner().invoke(args=["portal", "send-reminders"])
        assert result.exit_code == 0, result.output
        assert "Sent 1 reminder(s) about reports." in result.output
        again = app.test_cli_runner().invoke(args=["portal", "send-reminders"])
        assert "Sent 0 reminder(s) about reports." in again.output


# --- the report as PDF ------------------------------------------------------------------------


def test_report_pdf_prints_plan_and_actual(client, login_as, db, project):
    with client.application.test_request_context():
        project.submit(project.interim, spent=(("120000.00", "60000.00", "0.00"), *SPENT[1:]),
                       justifications={1: "Закупили второй сканер"})
    db.commit()
    login_as(project.finance)
    response = client.get(f"/reports/{project.interim.id}/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "private, no-store"
    assert (f"report-interim-{project.app.registration_number}-"
            f"{project.interim.due_date.isoformat()}.pdf") in response.headers[
        "Content-Disposition"]
    reader = PdfReader(io.BytesIO(response.data))
    text = squash(" ".join(page.extract_text() for page in reader.pages))
    plan, actual = format_money(D("337037.01"), "en"), format_money(D("365000.00"), "en")
    assert squash(f"Total for the project {plan} {actual} "
                  f"{format_money(D('27962.99'), 'en')}") in text
    assert "Interim report" in text and "NOT ACCEPTED" in text
    assert squash("Requested from the municipality 255,000.00 ₽ 255,000.00 ₽") in text
    assert squash(f"Library's own funds {format_money(D('57037.01'), 'en')} "
                  f"{format_money(D('90000.00'), 'en')}") in text
    assert "Закупили второй сканер" in text and "beyond the tolerance" in text
    assert squash("Участники чел. 0 300 310 103.33 %") in text  # achieved against target
    assert "Equipment" in text or "equipment" in text.lower()


# --- the application page and the dashboard ------------------------------------------------------


def test_the_application_page_lists_its_reports(client, login_as, db, project, create_user):
    login_as(project.applicant)
    page = client.get(f"/applications/{project.app.id}").get_data(as_text=True)
    assert f'href="/reports/{project.interim.id}"' in page
    assert f'href="/reports/{project.final.id}"' in page
    # A reviewer who may see the application is not shown the reports.
    from portal.models import Assignment

    reviewer = create_user(Role.REVIEWER)
    db.add(Assignment(application_id=project.app.id, call_id=project.app.call_id,
                      reviewer_id=reviewer.id))
    db.flush()
    login_as(reviewer)
    page = client.get(f"/applications/{project.app.id}")
    assert page.status_code == 200
    assert "/reports/" not in page.get_data(as_text=True)


def test_the_dashboard_lists_reports_due_in_a_constant_number_of_queries(
        app, client, login_as, db, project, create_agreement, create_application):
    login_as(project.applicant)

    def dashboard_queries():
        with recorded_statements(app.extensions["vektor.db"]["engine"]) as statements:
            response = client.get("/dashboard/applicant")
        assert response.status_code == 200
        return len(statements), response.get_data(as_text=True)

    one, page = dashboard_queries()
    assert f'href="/reports/{project.interim.id}"' in page and "Reports to submit" in page
    for _n in range(3):
        create_agreement(signed=True, application=create_application(
            status=ApplicationStatus.SUBMITTED, author=project.applicant))
    four, page = dashboard_queries()
    assert page.count('href="/reports/') == 8
    assert four == one


def test_the_dashboard_lists_the_earliest_reports_due_and_counts_the_rest(
        client, login_as, db, project, create_agreement, create_application, monkeypatch):
    for _n in range(3):
        create_agreement(signed=True, application=create_application(
            status=ApplicationStatus.SUBMITTED, author=project.applicant))
    due = sorted(db.scalars(select(Report).join(Agreement).where(
        Agreement.status == AgreementStatus.SIGNED,
        Report.status == ReportStatus.DRAFT)), key=lambda r: (r.due_date, r.id))
    assert len(due) == 8
    monkeypatch.setattr(service, "DUE_REPORTS_SHOWN", 3)
    login_as(project.applicant)
    page = client.get("/dashboard/applicant").get_data(as_text=True)
    listed = re.findall(r'href="/reports/(\d+)"', page)
    assert listed == [str(r.id) for r in due[:3]]
    assert "5 more reports are due later; each is on its project’s page." in page


# --- who may do what on every route ---------------------------------------------------------------

ROUTES = {
    "view": ("get", "/reports/{r}"),
    "pdf": ("get", "/reports/{r}/report.pdf"),
    "download": ("get", "/reports/{r}/documents/{d}"),
    "narrative": ("post", "/reports/{r}/save/narrative"),
    "indicators": ("post", "/reports/{r}/save/indicators"),
    "spending": ("post", "/reports/{r}/save/spending"),
    "upload": ("post", "/reports/{r}/documents"),
    "delete": ("post", "/reports/{r}/documents/{d}/delete"),
    "submit": ("post", "/reports/{r}/submit"),
    "accept": ("post", "/reports/{r}/accept"),
    "return": ("post", "/reports/{r}/return"),
}
VIEWS = ("view", "pdf", "download")
EDITS = ("narrative", "indicators", "spending", "upload", "delete", "submit")
DECISIONS = ("accept", "return")
WHO = ("other_library", "reviewer", "library", "finance", "chair", "admin")

# (state, who) -> expected status for views, edits and decisions.
#   a draft: the library edits; the others' edits are hidden (404); nobody decides (409).
#   submitted: nobody edits (409); finance and the chair decide; the library and the admin
#   may not (403).
EXPECTED = {
    ("draft", "library"): (200, 302, 409),
    ("draft", "finance"): (200, 404, 409),
    ("draft", "chair"): (200, 404, 409),
    ("draft", "admin"): (200, 404, 409),
    ("submitted", "library"): (200, 409, 403),
    ("submitted", "finance"): (200, 409, 302),
    ("submitted", "chair"): (200, 409, 302),
    ("submitted", "admin"): (200, 409, 403),
}


@pytest.fixture
def world(client, db, project, create_user, create_agreement, upload_dir, monkeypatch):
    """A complete report (as a draft, or submitted) with one document, and a user of each
    kind. The PDF renderer is replaced: only the answer's status matters here."""
    import portal.pdf

    monkeypatch.setattr(portal.pdf, "report_pdf", lambda report: b"%PDF-1.4 stub")
    with client.application.test_request_context(), force_locale("en"):
        project.fill(project.interim)
        document = service.add_report_document(
            db, project.interim, FileStorage(io.BytesIO(PDF_BYTES), filename="акт.pdf"),
            actor=project.applicant, upload_dir=upload_dir)
    from portal.models import Assignment

    reviewer = create_user(Role.REVIEWER)
    db.add(Assignment(application_id=project.app.id, call_id=project.app.call_id,
                      reviewer_id=reviewer.id))
    users = {
        "other_library": create_agreement(signed=True).application.created_by,
        "reviewer": reviewer,
        "library": project.applicant,
        "finance": project.finance,
        "chair": project.chair,
        "admin": create_user(Role.ADMIN),
    }
    db.commit()
    return project, document, users


def request_route(client, project, document, route):
    method, path = ROUTES[route]
    report = project.interim
    url = path.format(r=report.id, d=document.id)
    if method == "get":
        return client.get(url, buffered=True)
    data: dict = {}
    if route == "narrative":
        data = {"narrative-version": report.version, "narrative-narrative": "Новый текст"}
    elif route == "indicators":
        data = {"indicators-version": report.version}
    elif route == "spending":
        data = {"spending-version": report.version}
    elif route == "upload":
        boundary, body = encode_multipart({"document-file": FileStorage(
            io.BytesIO(PDF_BYTES), filename="ещё.pdf", content_type="application/pdf")})
        return client.post(url, data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    elif route == "accept":
        data = {"accept-comment": ""}
    elif route == "return":
        data = {"return-comment": "Исправьте"}
    return client.post(url, data=data)


@pytest.mark.parametrize("state", ["draft", "submitted"])
@pytest.mark.parametrize("route", list(ROUTES))
def test_anonymous_is_sent_to_sign_in(client, world, state, route):
    project, document, _users = world
    if state == "submitted":
        with client.application.test_request_context():
            submit_report(project.db, project.interim, actor=project.applicant)
        project.db.commit()
    response = request_route(client, project, document, route)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


@pytest.mark.parametrize("state", ["draft", "submitted"])
@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("route", list(ROUTES))
def test_permission_matrix(client, login_as, world, state, who, route):
    project, document, users = world
    if state == "submitted":
        with client.application.test_request_context():
            submit_report(project.db, project.interim, actor=project.applicant)
        project.db.commit()
    login_as(users[who])
    response = request_route(client, project, document, route)
    if who in ("other_library", "reviewer"):
        expected = 404  # another library's report, or a reviewer: it does not exist for them
    else:
        views, edits, decisions = EXPECTED[(state, who)]
        expected = views if route in VIEWS else edits if route in EDITS else decisions
    assert response.status_code == expected, text_of(response)[:400]


def test_a_report_id_that_does_not_exist_is_404(client, login_as, project):
    login_as(project.finance)
    assert client.get("/reports/999999").status_code == 404
    assert client.get("/reports/999999/report.pdf").status_code == 404


def test_a_document_of_another_report_is_404(client, login_as, world):
    project, document, _users = world
    login_as(project.applicant)
    url = f"/reports/{project.final.id}/documents/{document.id}"
    assert client.get(url).status_code == 404
    assert client.post(url + "/delete").status_code == 404


def test_audit_of_a_submission_names_the_library_member(en, db, project):
    project.submit(project.interim)
    (event_row,) = audit(db, "report.submitted")
    assert (event_row.actor_id, event_row.object_type, event_row.object_id) == (
        project.applicant.id, "report", str(project.interim.id))
    assert db.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "report.accepted")) == 0


def test_of_two_decisions_at_once_the_second_fails_on_the_version(en, db, project):
    """A decision made meanwhile by someone else (here: written straight to the database)
    raises the report's version; the second decision's write finds it and fails, so a report
    is never decided twice (the view answers with the outcome)."""
    from sqlalchemy import update
    from sqlalchemy.orm.exc import StaleDataError

    project.submit(project.interim)
    db.flush()
    db.execute(update(Report).where(Report.id == project.interim.id)
               .values(version=Report.version + 1)
               .execution_options(synchronize_session=False))
    with pytest.raises(StaleDataError):
        accept_report(db, project.interim, actor=project.finance)


@pytest.mark.parametrize("who", ["library", "finance"])
def test_the_russian_page_and_pdf_are_produced(ru_client, db, project, who):
    with ru_client.application.test_request_context():
        project.submit(project.interim) if who == "finance" else project.fill(project.interim)
    user = project.applicant if who == "library" else project.finance
    user.locale = None  # the portal's default language, Russian
    db.commit()
    with ru_client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    page = ru_client.get(f"/reports/{project.interim.id}")
    assert page.status_code == 200
    assert "337 037,01" in page.get_data(as_text=True).replace("\u202f", " ").replace(
        "\u00a0", " ")
    response = ru_client.get(f"/reports/{project.interim.id}/report.pdf")
    assert response.status_code == 200
    text = squash(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages))
    assert "337 037,01" in text
