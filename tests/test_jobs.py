"""Every approved budget of a call as one archive, made by a background job: the content key
(an unchanged call reuses the archive, a changed figure makes a new one), the job in both
modes with real commits (the portal's own thread without Redis; RQ on the Redis running on
the machine, with a SimpleWorker in the test and with `flask portal worker` as a process),
its progress, the archive read back (one valid PDF per funded project named by its
registration number with the figures summarise_budget computes, and the summary XLSX, formula
safe), GET that never starts anything, and the permission matrix of the routes."""

from __future__ import annotations

import io
import itertools
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal import pdf
from portal.config import PROJECT_ROOT
from portal.db import db as database
from portal.db import utcnow
from portal.demo import demo_account, demo_inn, demo_ogrn
from portal.errors import DomainError
from portal.i18n import LANGUAGE_COOKIE
from portal.labels import BUDGET_CATEGORY_LABELS
from portal.models import (
    Application,
    ApplicationStatus,
    BudgetCategory,
    BudgetLine,
    Call,
    CallStatus,
    Decision,
    DecisionOutcome,
    DocumentJob,
    JobStatus,
    Role,
    User,
)
from portal.money import format_money, summarise_budget
from portal.services import jobs
from portal.services.accounts import create_user as create_user_service
from portal.services.calls import create_call as create_call_service
from portal.services.organisations import create_organisation as create_org_service
from tests.conftest import (
    call_data,
    live_database_url,
    make_test_app,
    redis_database,
    reset_schema,
)

D = Decimal
TEST_REDIS_URL = os.environ.get("VEKTOR_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
FORMULA = '=HYPERLINK("http://evil.example/","click")'


# --- helpers --------------------------------------------------------------------------------


def squash(value: str) -> str:
    return " ".join(value.split())


def money(amount: Decimal, locale: str) -> str:
    return squash(format_money(amount, locale))


def tr(app: Flask, locale: str, message: str) -> str:
    with app.app_context(), force_locale(locale):
        return squash(gettext(message))


def sign_in(client: FlaskClient, user: User | str) -> FlaskClient:
    with client.session_transaction() as sess:
        sess["_user_id"] = user if isinstance(user, str) else user.get_id()
        sess["_fresh"] = True
    return client


def get_zip(client: FlaskClient, call_id: int) -> Any:
    """GET the stable address; the answer is read and closed (an archive is sent from its
    file, which closing releases)."""
    response = client.get(f"/finance/calls/{call_id}/budgets.zip")
    response.get_data()
    response.close()
    return response


def job_count(session: Session) -> int:
    return int(session.scalar(select(func.count(DocumentJob.id))) or 0)


def check_archive(app: Flask, content: bytes, call_code: str,
                  projects: list[tuple[str, list[BudgetLine], Decimal, str]], locale: str
                  ) -> None:
    """The archive holds one valid PDF per project, named by its registration number, with
    the budget's grand total and amount requested as summarise_budget computes them, and the
    summary spreadsheet with a row per project. `projects`: (registration number, budget
    lines, approved amount, library) in the order of registration."""
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    expected = [f"{number}.pdf" for number, *_rest in projects] + [f"summary-{call_code}.xlsx"]
    assert archive.namelist() == expected

    grand_label = tr(app, locale, "Total for the budget")
    requested_label = tr(app, locale, "Amount requested from the municipality")
    for number, lines, approved, _library in projects:
        data = archive.read(f"{number}.pdf")
        assert data.startswith(b"%PDF-")
        reader = PdfReader(io.BytesIO(data))
        assert len(reader.pages) >= 1
        text_ = squash(" ".join(page.extract_text() for page in reader.pages))
        summary = summarise_budget(lines)
        overall = summary.overall
        grand = " ".join(money(x, locale) for x in (overall.total, overall.requested,
                                                     overall.own, overall.partner))
        assert number in text_
        assert money(approved, locale) in text_
        assert f"{grand_label} {grand}" in text_
        assert f"{requested_label} {money(summary.requested, locale)}" in text_

    book = load_workbook(io.BytesIO(archive.read(f"summary-{call_code}.xlsx")))
    sheet = book.worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=4)]
    assert len(rows) == len(projects) + 1
    total_cost = D("0")
    for row, (number, lines, approved, library) in zip(rows, projects, strict=False):
        summary = summarise_budget(lines)
        assert row[1] == number and row[2] == library
        figures = [D(str(v)) for v in row[4:9]]
        assert figures == [approved, summary.total, summary.requested, summary.overall.own,
                           summary.overall.partner]
        total_cost += summary.total
    assert D(str(rows[-1][5])) == total_cost
    assert D(str(rows[-1][4])) == sum((p[2] for p in projects), D("0"))
    categories = book.worksheets[1]
    detail = [[c.value for c in row] for row in categories.iter_rows(min_row=2)]
    expected_detail = []
    for number, lines, _approved, library in projects:
        for category, sources in summarise_budget(lines).by_category.items():
            with app.app_context(), force_locale(locale):
                label = str(BUDGET_CATEGORY_LABELS[category])
            expected_detail.append([number, library, label, sources.total, sources.requested,
                                    sources.own, sources.partner])
    assert [[*r[:3], *(D(str(v)) for v in r[3:])] for r in detail] == expected_detail


# --- rolled-back tests: the service and the pages --------------------------------------------


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[int, int]]]:
    """Record the jobs handed over after a commit instead of running them: these tests share
    one rolled-back connection, which no background thread may use."""
    calls: list[list[tuple[int, int]]] = []
    monkeypatch.setattr(jobs, "start_jobs", lambda app, pending: calls.append(list(pending)))
    return calls


@dataclass
class Funded:
    call: Any
    agreements: list[Any]
    not_funded: Application

    @property
    def id(self) -> int:
        return self.call.id

    @property
    def code(self) -> str:
        return self.call.code


@pytest.fixture
def funded_call(create_call, create_agreement, create_application, close_call) -> Funded:
    """A call with two funded projects (one approved below its request) and one submitted
    application that is not funded."""
    call = create_call()
    first = create_agreement(call=call)
    second = create_agreement(call=call, amount=D("200000.00"))
    other = create_application(call=call, status=ApplicationStatus.SUBMITTED)
    close_call(call)
    return Funded(call, [first, second], other)


def test_request_creates_a_queued_job_handed_over_only_after_commit(
    app, db, ctx, funded_call, create_user, started
):
    finance = create_user(Role.FINANCE)
    job = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    assert (job.status, job.kind, job.locale, job.done_count, job.total_count) == \
        (JobStatus.QUEUED, jobs.BUDGETS_ZIP, "en", 0, 2)
    assert job.requested_by_id == finance.id and len(job.content_key) == 64
    assert started == []  # not before the commit: the worker would not find the row
    db.commit()
    assert started == [[(job.id, 2)]]


def test_a_rolled_back_request_starts_nothing(app, db, ctx, funded_call, create_user, started):
    jobs.request_budgets_zip(db, funded_call.call, actor=create_user(Role.FINANCE), locale="en")
    db.rollback()
    db.commit()
    assert started == []


def test_a_second_request_reuses_the_queued_job_then_the_finished_archive(
    app, db, ctx, funded_call, create_user, started
):
    finance = create_user(Role.FINANCE)
    job = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    db.commit()
    assert jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en") is job
    db.commit()
    assert len(started) == 1 and job_count(db) == 1

    with app.app_context():
        jobs.run_budgets_zip(job.id)
    db.refresh(job)
    assert job.status == JobStatus.DONE and job.done_count == 2
    again = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    db.commit()
    assert again.id == job.id and job_count(db) == 1 and len(started) == 1

    # Another language is another archive.
    russian = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="ru")
    assert russian.id != job.id and russian.content_key != job.content_key


def test_a_changed_figure_makes_a_new_job(app, db, ctx, funded_call, create_user, started):
    finance = create_user(Role.FINANCE)
    first = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    db.commit()
    with app.app_context():
        jobs.run_budgets_zip(first.id)

    decision = db.scalars(select(Decision).where(
        Decision.application_id == funded_call.agreements[1].application_id)).one()
    decision.approved_amount = D("199999.99")
    db.flush()
    second = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    assert second.id != first.id and second.content_key != first.content_key
    db.commit()

    # A budget line's figure, too.
    line = funded_call.agreements[0].application.budget_lines[0]
    line.own_amount, line.requested_amount = line.own_amount + 1, line.requested_amount - 1
    db.flush()
    third = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    assert third.id not in (first.id, second.id)


def test_the_content_key_names_everything_the_archive_depends_on(
    app, db, ctx, funded_call, monkeypatch
):
    def key(locale: str = "en") -> str:
        db.flush()
        db.expire_all()
        return jobs.budgets_zip_state(db, funded_call.call, locale=locale).key

    # The figures as the fixtures set them (a quantity of 2) and as read back (2.000) give
    # one key: a request and the job that reads the rows again must agree.
    as_set = jobs.budgets_zip_state(db, funded_call.call, locale="en").key
    base = key()
    assert as_set == base and key() == base
    assert key("ru") != base
    app_ = funded_call.agreements[0].application

    # Not funded applications are not in the archive.
    funded_call.not_funded.title = "Другое название"
    assert key() == base

    changes: list[Callable[[], Any]] = [
        lambda: setattr(app_, "registration_number", app_.registration_number + "9"),
        lambda: setattr(app_, "title", app_.title + "!"),
        lambda: setattr(app_.budget_lines[1], "unit_price", app_.budget_lines[1].unit_price),
        lambda: setattr(app_.budget_lines[2], "item", "Другая статья"),
        lambda: setattr(app_.organisation, "full_name", "Новая библиотека"),
        lambda: setattr(funded_call.call, "title", "Новый конкурс"),
    ]
    seen = {base}
    for change in changes:
        change()
        new = key()
        if change is not changes[2]:  # the same value again changes nothing
            assert new not in seen
        seen.add(new)
    monkeypatch.setattr(jobs, "CONTENT_VERSION", "budgets-zip/test")
    assert key() not in seen
    seen.add(key())

    # The templates the budget is made from count (what budget.html extends and includes);
    # the other documents' templates do not.
    loader = app.jinja_env.loader
    original = loader.get_source

    def edited(name: str) -> Callable[..., Any]:
        def get_source(env: Any, template: str) -> Any:
            source, filename, uptodate = original(env, template)
            return (source + "<!-- edited -->" if template == name else source, filename,
                    uptodate)
        return get_source

    # An edited template counts once it is loaded again (a restart, or a reload in debug).
    unchanged = key()
    monkeypatch.setattr(loader, "get_source", edited("pdf/protocol.html"))
    app.jinja_env.cache.clear()
    assert key() == unchanged
    monkeypatch.setattr(loader, "get_source", edited("pdf/_financing.html"))
    app.jinja_env.cache.clear()
    try:
        assert key() not in seen
    finally:
        monkeypatch.undo()
        app.jinja_env.cache.clear()  # the other tests render the templates as they are


def test_a_call_without_funded_projects_is_refused(app, db, ctx, create_call, create_user):
    call = create_call()
    with pytest.raises(DomainError, match="no funded projects"):
        jobs.request_budgets_zip(db, call, actor=create_user(Role.FINANCE), locale="en")


def test_a_job_that_stopped_is_not_reused(app, db, ctx, funded_call, create_user, started):
    finance = create_user(Role.FINANCE)
    job = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    job.created_at = utcnow() - jobs.QUEUED_STALE_AFTER - timedelta(minutes=1)
    db.commit()
    assert jobs.is_stale(job)
    fresh = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    assert fresh.id != job.id
    assert job.status == JobStatus.FAILED and "stopped" in job.error

    # Running past what its PDFs may take counts as stopped too; within it, it does not.
    fresh.status, fresh.started_at = JobStatus.RUNNING, utcnow() - timedelta(minutes=5)
    assert not jobs.is_stale(fresh)
    fresh.started_at = utcnow() - timedelta(seconds=60 * 2) - jobs.RUNNING_MARGIN - \
        timedelta(seconds=1)
    assert jobs.is_stale(fresh)


def test_a_failed_job_is_recorded_and_not_reused(
    app, db, ctx, funded_call, create_user, started, monkeypatch
):
    def broken(html: str, **limits: Any) -> bytes:
        raise pdf.PdfRenderError("the renderer stopped")

    monkeypatch.setattr(pdf, "html_to_pdf", broken)
    finance = create_user(Role.FINANCE)
    job = jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en")
    db.commit()
    with app.app_context():
        jobs.run_budgets_zip(job.id)
    db.refresh(job)
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "PdfRenderError: the renderer stopped" in job.error
    assert job.file_name is None
    assert not list(Path(app.config["JOBS_DIR"]).glob(f".budgets-{job.id}-*"))
    assert jobs.request_budgets_zip(db, funded_call.call, actor=finance, locale="en").id != job.id


def test_a_job_runs_once(app, db, ctx, funded_call, create_user, started, monkeypatch):
    job = jobs.request_budgets_zip(db, funded_call.call, actor=create_user(Role.FINANCE),
                                   locale="en")
    job.status = JobStatus.RUNNING  # another worker has it
    db.commit()
    monkeypatch.setattr(pdf, "render_prepared", lambda *args, **kwargs: pytest.fail("ran twice"))
    with app.app_context():
        jobs.run_budgets_zip(job.id)
    db.refresh(job)
    assert job.status == JobStatus.RUNNING and job.done_count == 0


def test_a_job_that_cannot_be_queued_says_so(
    app, db, ctx, funded_call, create_user, monkeypatch
):
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/0")
    job = jobs.request_budgets_zip(db, funded_call.call, actor=create_user(Role.FINANCE),
                                   locale="en")
    db.commit()
    db.refresh(job)
    assert job.status == JobStatus.FAILED and job.error.startswith("not queued: ")


def test_the_summary_spreadsheet_keeps_formula_like_text_as_text(
    app, db, ctx, create_call, create_agreement, create_organisation, close_call
):
    call = create_call()
    library = create_organisation(full_name="@SUM(1+1) библиотека")
    agreement = create_agreement(call=call, organisation=library, title=FORMULA)
    close_call(call)
    with force_locale("en"):
        projects = jobs.funded_projects(db, call.id)
        content = jobs.budgets_xlsx(call, projects)
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Projects", "By category", "Call by category"]
    sheet = book["Projects"]
    header = [c.value for c in sheet[3]]
    assert header[:5] == ["No.", "Registration number", "Library", "Project", "Approved amount"]
    row = sheet[4]
    number = agreement.application.registration_number
    assert [c.value for c in row[:4]] == [1, number, "@SUM(1+1) библиотека", FORMULA]
    for cell in row[2:4]:
        assert cell.data_type == "s" and cell.quotePrefix
    for sheet in book.worksheets:
        for line in sheet.iter_rows():
            for cell in line:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    summary = summarise_budget(agreement.application.budget_lines)
    totals = book["Call by category"]
    last = [c.value for c in list(totals.iter_rows())[-1]]
    assert last[0] == "Total" and [D(str(v)) for v in last[1:]] == [
        summary.total, summary.requested, summary.overall.own, summary.overall.partner]
    assert sheet is not None and row[4].number_format == "#,##0.00"


# --- the pages, rolled back -----------------------------------------------------------------


ROUTES = ("zip", "start", "job", "json")


def _request(client: FlaskClient, route: str, call_id: int, job_id: int) -> Any:
    if route == "zip":
        return client.get(f"/finance/calls/{call_id}/budgets.zip")
    if route == "start":
        return client.post(f"/finance/calls/{call_id}/budgets.zip")
    if route == "job":
        return client.get(f"/finance/jobs/{job_id}")
    return client.get(f"/finance/jobs/{job_id}.json")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who, expected", [
    ("anonymous", 302), ("applicant", 403), ("reviewer", 403), ("admin", 403),
    ("finance", 200), ("chair", 200),
])
def test_permission_matrix(client, db, funded_call, create_user, started, route, who,
                           expected):
    job = DocumentJob(call_id=funded_call.id, kind=jobs.BUDGETS_ZIP, content_key="0" * 64,
                      total_count=2)
    db.add(job)
    db.flush()
    if who != "anonymous":
        role = {"applicant": Role.APPLICANT, "reviewer": Role.REVIEWER, "admin": Role.ADMIN,
                "finance": Role.FINANCE, "chair": Role.CHAIR}[who]
        sign_in(client, create_user(role))
    before = job_count(db)
    response = _request(client, route, funded_call.id, job.id)
    if who == "anonymous":
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    elif expected == 403:
        assert response.status_code == 403
    elif route == "start":
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/finance/jobs/")
    else:
        assert response.status_code == 200
    if not (route == "start" and expected == 200):
        assert job_count(db) == before and started == []


@pytest.mark.parametrize("route", ROUTES)
def test_missing_calls_and_jobs_are_404(client, db, create_user, started, route):
    sign_in(client, create_user(Role.FINANCE))
    assert _request(client, route, 999999, 999999).status_code == 404


def test_get_shows_the_page_and_never_starts_a_job(client, db, funded_call, create_user,
                                                     started):
    sign_in(client, create_user(Role.FINANCE))
    for _attempt in range(2):
        response = get_zip(client, funded_call.id)
        assert response.status_code == 200 and response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert f"Approved budgets of call {funded_call.code}" in page
    assert "The call has 2 funded projects." in page
    assert f'action="/finance/calls/{funded_call.id}/budgets.zip"' in page
    assert 'id="job-start"' in page and "<progress" not in page
    assert job_count(db) == 0 and started == []


def test_post_starts_once_and_the_pages_show_the_progress(
    client, db, funded_call, create_user, started
):
    finance = create_user(Role.FINANCE)
    sign_in(client, finance)
    response = client.post(f"/finance/calls/{funded_call.id}/budgets.zip")
    assert response.status_code == 302
    job = db.scalars(select(DocumentJob)).one()
    assert response.headers["Location"] == f"/finance/jobs/{job.id}"
    assert started == [[(job.id, 2)]] and job.requested_by_id == finance.id

    again = client.post(f"/finance/calls/{funded_call.id}/budgets.zip")
    assert again.headers["Location"] == f"/finance/jobs/{job.id}"
    assert job_count(db) == 1 and len(started) == 1

    job.status, job.done_count = JobStatus.RUNNING, 1
    db.flush()
    for url in (f"/finance/jobs/{job.id}", f"/finance/calls/{funded_call.id}/budgets.zip"):
        page = client.get(url).get_data(as_text=True)
        assert '<progress id="job-progress" class="w-100" max="2" value="1">' in page
        assert "1 of 2 budgets" in page and "in progress" in page
        assert f'data-job-status-url="/finance/jobs/{job.id}.json"' in page
        assert '<script src="/static/js/job-progress.js" defer></script>' in page
        assert 'id="job-refresh"' in page and 'id="job-start"' not in page
        assert 'id="job-download"' not in page
        assert " style=" not in page and " onclick=" not in page
    status = client.get(f"/finance/jobs/{job.id}.json")
    assert status.headers["Cache-Control"] == "private, no-store"
    assert status.get_json() == {
        "status": "running", "status_text": "in progress", "done": 1, "total": 2,
        "count_text": "1 of 2 budgets", "finished": False,
        "page_url": f"/finance/jobs/{job.id}",
    }
    assert job_count(db) == 1 and len(started) == 1


def test_post_for_a_call_without_funded_projects_says_why(client, db, create_call,
                                                          create_user, started):
    call = create_call()
    sign_in(client, create_user(Role.CHAIR))
    response = client.post(f"/finance/calls/{call.id}/budgets.zip")
    assert response.status_code == 422
    assert "no funded projects" in response.get_data(as_text=True)
    assert job_count(db) == 0 and started == []


def test_the_stable_address_sends_the_finished_archive(
    app, client, db, funded_call, create_user, started
):
    sign_in(client, create_user(Role.FINANCE))
    client.post(f"/finance/calls/{funded_call.id}/budgets.zip")
    job = db.scalars(select(DocumentJob)).one()
    with app.app_context(), force_locale("en"):
        jobs.run_budgets_zip(job.id)
    db.refresh(job)
    assert job.status == JobStatus.DONE

    page = client.get(f"/finance/jobs/{job.id}").get_data(as_text=True)
    assert f'href="/finance/calls/{funded_call.id}/budgets.zip"' in page
    assert 'id="job-download"' in page and "data-job-status-url" not in page
    assert client.get(f"/finance/jobs/{job.id}.json").get_json()["finished"] is True

    response = get_zip(client, funded_call.id)
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert response.headers["Content-Disposition"] == \
        f"attachment; filename=budgets-{funded_call.code}.zip"
    assert response.headers["Cache-Control"] == "private, no-store"
    projects = [(a.application.registration_number, a.application.budget_lines, a.amount,
                 a.application.organisation.full_name) for a in funded_call.agreements]
    check_archive(app, response.data, funded_call.code, projects, "en")
    assert job_count(db) == 1 and len(started) == 1

    # A Russian visitor asks for a Russian archive: none yet, so the page, and no job.
    ru = app.test_client()
    sign_in(ru, create_user(Role.CHAIR))
    page = get_zip(ru, funded_call.id)
    assert page.mimetype == "text/html" and job_count(db) == 1


# --- with real commits: the thread, RQ and the worker command ---------------------------------
#
# The tests above share one rolled-back connection. Here the job runs where it runs in
# production, in another thread or process that must see what the request committed, so the
# application has a database of its own (a SQLite file, or a second PostgreSQL database).


@pytest.fixture(scope="module")
def live_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return live_database_url(tmp_path_factory, "jobs")


@pytest.fixture(scope="module")
def live_app(live_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    instance = tmp_path_factory.mktemp("jobs-instance")
    flask_app = make_test_app(live_url, str(instance), PDF_TIME_LIMIT=120)
    reset_schema(flask_app)
    yield flask_app
    flask_app.extensions[jobs._EXTENSION]["executor"].shutdown(wait=True)
    flask_app.extensions["vektor.db"]["engine"].dispose()


@pytest.fixture
def redis_url(live_app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The Redis on the machine, in a database number of the tests' own, emptied before and
    after; the live application sends its jobs there."""
    with redis_database(live_app, TEST_REDIS_URL, monkeypatch) as url:
        yield url


_live_counter = itertools.count(1)


def seed_funded_call(live_app: Flask, count: int = 3) -> dict[str, Any]:
    """A call whose decisions are final with `count` funded projects (different budgets,
    one approved below its request), and a finance user and a chair, all committed."""
    with live_app.app_context():
        session = database.sessionmaker()
        n = next(_live_counter)
        org = create_org_service(session, {
            "full_name": f"Центральная библиотека № {n}", "short_name": f"ЦБ {n}",
            "inn": demo_inn(f"{800000000 + n:09d}"), "kpp": "500101001",
            "ogrn": demo_ogrn(f"{104500000000 + n:012d}"), "municipality": "Тестов",
            "address": "г. Тестов", "head_name": "Петрова А. А.", "bik": "044525225",
            "settlement_account": demo_account("044525225", f"4070281000{n + 500:09d}"),
            "correspondent_account": "30101810400000000225",
        }, actor=None, approved=True)
        users = {
            role: create_user_service(session, email=f"live-{role.value}-{n}@example.org",
                                      full_name="Сотрудник", password="a long live passphrase",
                                      roles={role}, actor=None)
            for role in (Role.FINANCE, Role.CHAIR)
        }
        call = create_call_service(session, call_data(), actor=None)
        call.status, call.published_at = CallStatus.PUBLISHED, call.opens_at
        now = utcnow()
        call.closes_at = now
        call.decisions_finalised_at = now
        session.flush()
        projects = []
        for number in range(1, count + 1):
            price = D("100000.00") + D(number * 1111) + D("0.45")
            own = D("30000.00")
            lines = [
                BudgetLine(position=1, category=BudgetCategory.EQUIPMENT, item="Оборудование",
                           quantity=D("2"), unit_price=price, requested_amount=price * 2 - own,
                           own_amount=own, partner_amount=D("0.00")),
                BudgetLine(position=2, category=BudgetCategory.EVENTS, item="Встречи",
                           quantity=D("3"), unit_price=D("10000.00"),
                           requested_amount=D("20000.00"), own_amount=D("0.00"),
                           partner_amount=D("10000.00")),
            ]
            app = Application(
                call=call, organisation_id=org.id, title=f"Проект {number}",
                status=ApplicationStatus.FUNDED, submitted_at=now, screened_at=now,
                sequence=number, registration_number=f"{call.code}-{number:04d}",
                budget_lines=lines,
            )
            session.add(app)
            session.flush()
            requested = summarise_budget(lines).requested
            approved = requested - (D("1000.00") if number == 2 else 0)
            session.add(Decision(application_id=app.id, call_id=call.id,
                                 outcome=DecisionOutcome.FUNDED, approved_amount=approved,
                                 decided_at=now))
            projects.append({"id": app.id, "number": app.registration_number,
                             "approved": approved})
        session.commit()
        seeded = {"call_id": call.id, "code": call.code, "projects": projects,
                  "finance": users[Role.FINANCE].get_id(), "chair": users[Role.CHAIR].get_id(),
                  "finance_id": users[Role.FINANCE].id,
                  "library": org.full_name}
        session.close()
        return seeded


def archive_projects(live_app: Flask, seeded: dict[str, Any]) -> list[tuple[Any, ...]]:
    """What check_archive expects, read back from the live database."""
    with live_app.app_context():
        session = database.sessionmaker()
        try:
            result = []
            for project in seeded["projects"]:
                app = session.get(Application, project["id"])
                decision = session.scalars(select(Decision).where(
                    Decision.application_id == app.id)).one()
                result.append((app.registration_number, list(app.budget_lines),
                               decision.approved_amount, seeded["library"]))
            return result
        finally:
            session.close()


def live_client(live_app: Flask, user_id: str, locale: str | None = "en") -> FlaskClient:
    client = live_app.test_client()
    if locale:
        client.set_cookie(LANGUAGE_COOKIE, locale)
    return sign_in(client, user_id)


def live_job(live_app: Flask, job_id: int) -> DocumentJob:
    with live_app.app_context():
        session = database.sessionmaker()
        try:
            return session.get(DocumentJob, job_id)
        finally:
            session.close()


def live_job_count(live_app: Flask, call_id: int) -> int:
    with live_app.app_context():
        session = database.sessionmaker()
        try:
            return int(session.scalar(select(func.count(DocumentJob.id))
                                      .where(DocumentJob.call_id == call_id)) or 0)
        finally:
            session.close()


def wait_until_finished(client: FlaskClient, job_id: int, timeout: float = 180
                        ) -> list[dict[str, Any]]:
    """Poll the JSON endpoint as the page's script does; return every answer."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        data = client.get(f"/finance/jobs/{job_id}.json").get_json()
        seen.append(data)
        if data["finished"]:
            return seen
        time.sleep(0.1)
    pytest.fail(f"job {job_id} did not finish: {seen[-1]}")


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Hold the render of the second project's budget (its HTML names "Проект 2", see
    seed_funded_call) until the test opens the gate, so the test sees a job under way with
    the first PDF counted: the PDFs render several at once, but are counted in order."""
    opened = threading.Event()
    original = pdf.html_to_pdf

    def gated(html: str, **limits: Any) -> bytes:
        if "Проект 2</td>" in html:
            assert opened.wait(120), "the test never opened the gate"
        return original(html, **limits)

    monkeypatch.setattr(pdf, "html_to_pdf", gated)
    return opened


def test_in_a_thread_without_redis(live_app, gate):
    assert not live_app.config.get("REDIS_URL")
    seeded = seed_funded_call(live_app)
    call_id = seeded["call_id"]
    client = live_client(live_app, seeded["finance"])

    page = get_zip(client, call_id)
    assert page.mimetype == "text/html" and live_job_count(live_app, call_id) == 0

    response = client.post(f"/finance/calls/{call_id}/budgets.zip")
    assert response.status_code == 302
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])

    # The first PDF is made and counted, committed where another request sees it.
    deadline = time.monotonic() + 120
    while True:
        status = client.get(f"/finance/jobs/{job_id}.json").get_json()
        if status["done"] == 1:
            break
        assert time.monotonic() < deadline, status
        time.sleep(0.05)
    assert status["status"] == "running" and status["total"] == 3
    page = client.get(f"/finance/jobs/{job_id}").get_data(as_text=True)
    assert 'max="3" value="1"' in page and "1 of 3 budgets" in page
    # Asking again while it runs starts nothing.
    again = client.post(f"/finance/calls/{call_id}/budgets.zip")
    assert again.headers["Location"] == f"/finance/jobs/{job_id}"
    assert live_job_count(live_app, call_id) == 1
    gate.set()

    seen = wait_until_finished(client, job_id)
    done_counts = [s["done"] for s in seen]
    assert done_counts == sorted(done_counts) and done_counts[-1] == 3
    assert seen[-1]["status"] == "done"
    job = live_job(live_app, job_id)
    assert job.file_name and job.file_name.startswith(f"budgets-{job_id}-")
    assert (Path(live_app.config["JOBS_DIR"]) / job.file_name).is_file()

    archive = get_zip(client, call_id)
    assert archive.mimetype == "application/zip"
    check_archive(live_app, archive.data, seeded["code"], archive_projects(live_app, seeded),
                  "en")

    # Unchanged: the chair's request reuses the archive.
    chair = live_client(live_app, seeded["chair"])
    reused = chair.post(f"/finance/calls/{call_id}/budgets.zip")
    assert reused.headers["Location"] == f"/finance/jobs/{job_id}"
    assert live_job_count(live_app, call_id) == 1

    # A changed approved amount: the stable address no longer sends the old archive, and a
    # new job makes a new one that replaces it.
    with live_app.app_context():
        session = database.sessionmaker()
        decision = session.scalars(select(Decision).where(
            Decision.application_id == seeded["projects"][0]["id"])).one()
        decision.approved_amount -= D("0.01")
        session.commit()
        session.close()
    page = get_zip(client, call_id)
    assert page.mimetype == "text/html" and 'id="job-start"' in page.get_data(as_text=True)
    old_page = client.get(f"/finance/jobs/{job_id}").get_data(as_text=True)
    assert "have changed since this archive was made" in old_page
    assert 'id="job-download"' not in old_page

    renewed = client.post(f"/finance/calls/{call_id}/budgets.zip")
    new_id = int(renewed.headers["Location"].rsplit("/", 1)[1])
    assert new_id != job_id and live_job_count(live_app, call_id) == 2
    assert wait_until_finished(client, new_id)[-1]["status"] == "done"
    archive = get_zip(client, call_id)
    projects = archive_projects(live_app, seeded)
    assert projects[0][2] == seeded["projects"][0]["approved"] - D("0.01")
    check_archive(live_app, archive.data, seeded["code"], projects, "en")
    assert not (Path(live_app.config["JOBS_DIR"]) / job.file_name).exists()
    assert live_job(live_app, job_id).file_name is None


def test_on_rq_with_a_simple_worker(live_app, redis_url, monkeypatch):
    seeded = seed_funded_call(live_app)
    call_id = seeded["call_id"]
    client = live_client(live_app, seeded["finance"], locale=None)  # Russian, the default

    response = client.post(f"/finance/calls/{call_id}/budgets.zip")
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    queue = jobs.job_queue(live_app)
    assert queue.name == "vektor" and queue.count == 1
    assert client.get(f"/finance/jobs/{job_id}.json").get_json()["status"] == "queued"
    assert client.post(f"/finance/calls/{call_id}/budgets.zip").headers["Location"] == \
        f"/finance/jobs/{job_id}"
    assert queue.count == 1 and live_job_count(live_app, call_id) == 1

    # Progress as another connection sees it, just before each PDF is stored (and then
    # added to the archive, in the order of the projects).
    seen: list[tuple[str, int]] = []
    original = pdf.store.save

    def watched(key: str, content: bytes) -> None:
        job = live_job(live_app, job_id)
        seen.append((job.status.value, job.done_count))
        original(key, content)

    monkeypatch.setattr(pdf.store, "save", watched)
    worker = jobs.make_worker(live_app, simple=True)
    assert worker.work(burst=True) is True
    assert seen == [("running", 0), ("running", 1), ("running", 2)]
    assert queue.count == 0

    job = live_job(live_app, job_id)
    assert (job.status, job.done_count, job.total_count, job.locale) == \
        (JobStatus.DONE, 3, 3, "ru")
    status = client.get(f"/finance/jobs/{job_id}.json").get_json()
    assert status["finished"] and status["done"] == 3
    archive = get_zip(client, call_id)
    assert archive.mimetype == "application/zip"
    check_archive(live_app, archive.data, seeded["code"], archive_projects(live_app, seeded),
                  "ru")


def test_people_asking_at_once_start_one_job(live_app, monkeypatch):
    """Each request reads the call's state and adds a job under the call row's lock (on
    SQLite every writer runs alone anyway); here each one also waits a moment after reading,
    so without the lock every one of them would add its own job."""
    seeded = seed_funded_call(live_app, count=1)
    handed_over: list[list[tuple[int, int]]] = []
    monkeypatch.setattr(jobs, "start_jobs", lambda app, pending: handed_over.append(pending))
    original = jobs.budgets_zip_state

    def slow_state(*args: Any, **kwargs: Any) -> jobs.ArchiveState:
        state = original(*args, **kwargs)
        threading.Event().wait(0.1)
        return state

    monkeypatch.setattr(jobs, "budgets_zip_state", slow_state)

    def ask(index: int) -> int:
        with live_app.test_request_context(method="POST"):
            session = database.sessionmaker()
            try:
                call = session.get(Call, seeded["call_id"])
                user = session.get(User, seeded["finance_id"])
                job = jobs.request_budgets_zip(session, call, actor=user, locale="en")
                session.commit()
                return job.id
            finally:
                session.close()

    barrier = threading.Barrier(4)
    results: list[Any] = [None] * 4

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = ask(index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert len(set(results)) == 1
    assert live_job_count(live_app, seeded["call_id"]) == 1
    assert handed_over == [[(results[0], 1)]]


def test_the_worker_command_runs_the_queue(live_app, live_url, redis_url):
    seeded = seed_funded_call(live_app, count=1)
    call_id = seeded["call_id"]
    client = live_client(live_app, seeded["chair"])
    response = client.post(f"/finance/calls/{call_id}/budgets.zip")
    job_id = int(response.headers["Location"].rsplit("/", 1)[1])
    assert live_job(live_app, job_id).status == JobStatus.QUEUED

    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update({
        "PORTAL_DATABASE_URL": live_url, "PORTAL_REDIS_URL": redis_url,
        "PORTAL_JOBS_DIR": live_app.config["JOBS_DIR"],
        "PORTAL_INSTANCE_PATH": live_app.instance_path, "PORTAL_SECRET_KEY": "test-secret",
    })
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "portal", "worker", "--burst"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Working on the queue 'vektor'" in result.stdout
    assert live_job(live_app, job_id).status == JobStatus.DONE
    archive = get_zip(client, call_id)
    assert archive.mimetype == "application/zip"
    check_archive(live_app, archive.data, seeded["code"], archive_projects(live_app, seeded),
                  "en")


def test_the_worker_command_needs_redis(app, db):
    result = app.test_cli_runner().invoke(args=["portal", "worker", "--burst"])
    assert result.exit_code != 0 and "PORTAL_REDIS_URL is not set" in result.output
