"""The store of final documents: a submitted, decided, signed or accepted document is
rendered once and served from the store with its key as the ETag, a conditional request for
the same content answers 304 (only after the permission check), a changed figure makes a new
key and a new PDF, drafts are never stored, the documents are rendered off the request once
what makes them final commits (and a failure there breaks nothing), and the archive of all
approved budgets takes the stored PDFs instead of rendering them again."""

from __future__ import annotations

import logging
import os
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

import portal.pdf
from portal import pdf
from portal.db import utcnow
from portal.models import (
    AgreementStatus,
    ApplicationStatus,
    Decision,
    JobStatus,
    ReportStatus,
    Role,
)
from portal.money import format_money
from portal.pdf import store
from portal.services import jobs
from tests.conftest import service_unavailable
from tests.test_decisions import committee, decide_all  # noqa: F401 - a fixture

D = Decimal
# A Redis database of these tests' own (the RQ tests use 15, the scale-out tests 14).
PRERENDER_REDIS_URL = os.environ.get("VEKTOR_TEST_PRERENDER_REDIS_URL",
                                     "redis://127.0.0.1:6379/12")


def sign_in(client: FlaskClient, user: Any) -> FlaskClient:
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


class Renderer:
    """Stands in for WeasyPrint: counts the renders and answers with the HTML it was given,
    so a test reads which content a served PDF was made from."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.failing = False

    def __call__(self, html: str, **limits: Any) -> bytes:
        if self.failing:
            raise pdf.PdfRenderError("the renderer stopped")
        self.calls.append(html)
        return b"%PDF-1.7 test\n" + html.encode("utf-8")


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> Renderer:
    renderer = Renderer()
    monkeypatch.setattr(portal.pdf, "html_to_pdf", renderer)
    return renderer


def stored_files(app: Flask) -> list[Path]:
    folder = Path(app.config["DOCUMENTS_DIR"])
    return sorted(folder.glob("*.pdf")) if folder.is_dir() else []


# --- serving from the store ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["application", "budget"])
def test_a_submitted_document_is_rendered_once_and_served_from_the_store(
    app, client, create_application, renders, kind
):
    application = create_application(status=ApplicationStatus.SUBMITTED)
    sign_in(client, application.created_by)
    first = client.get(f"/applications/{application.id}/{kind}.pdf")
    second = client.get(f"/applications/{application.id}/{kind}.pdf")
    assert first.status_code == second.status_code == 200
    assert len(renders.calls) == 1
    assert first.data == second.data and first.mimetype == "application/pdf"
    etag = first.headers["ETag"].strip('"')
    assert second.headers["ETag"] == first.headers["ETag"]
    assert [f.name for f in stored_files(app)] == [f"{etag}.pdf"]
    assert (Path(app.config["DOCUMENTS_DIR"]) / f"{etag}.pdf").read_bytes() == first.data
    assert first.headers["Cache-Control"] == "private, no-cache"


def test_a_conditional_request_for_the_same_content_answers_304(
    client, create_application, renders
):
    application = create_application(status=ApplicationStatus.SUBMITTED)
    sign_in(client, application.created_by)
    url = f"/applications/{application.id}/budget.pdf"
    etag = client.get(url).headers["ETag"]
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, no-cache"
    other = client.get(url, headers={"If-None-Match": '"' + "0" * 64 + '"'})
    assert other.status_code == 200 and other.headers["ETag"] == etag
    assert len(renders.calls) == 1


def test_a_changed_budget_line_changes_the_key_and_the_pdf(
    app, db, client, create_application, renders
):
    application = create_application(status=ApplicationStatus.SUBMITTED)
    sign_in(client, application.created_by)
    url = f"/applications/{application.id}/budget.pdf"
    before = client.get(url)
    line = application.budget_lines[0]
    line.unit_price, line.requested_amount = D("76543.21"), D("123086.42")  # 2 x 76 543,21
    db.commit()
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    with app.app_context(), force_locale("en"):
        old_total, new_total = format_money(D("150000.00"), "en"), format_money(
            D("153086.42"), "en")
    assert new_total in after.get_data(as_text=True)
    assert old_total in before.get_data(as_text=True)
    assert old_total not in after.get_data(as_text=True)
    assert len(renders.calls) == 2 and len(stored_files(app)) == 2


def test_a_changed_approved_amount_changes_the_key_of_the_approved_budget(
    app, db, client, create_agreement, create_user, renders
):
    agreement = create_agreement(amount=D("200000.00"))
    sign_in(client, create_user(Role.FINANCE))
    url = f"/applications/{agreement.application_id}/budget.pdf"
    before = client.get(url)
    assert before.status_code == 200
    decision = db.scalars(select(Decision).where(
        Decision.application_id == agreement.application_id)).one()
    decision.approved_amount = D("190000.00")
    db.commit()
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert format_money(D("190000.00"), "en") in after.get_data(as_text=True)
    assert format_money(D("200000.00"), "en") not in after.get_data(as_text=True)


def test_drafts_are_rendered_each_time_and_never_stored(
    app, client, create_application, renders
):
    application = create_application()
    sign_in(client, application.created_by)
    url = f"/applications/{application.id}/budget.pdf"
    first = client.get(url)
    second = client.get(url, headers={"If-None-Match": "*"})
    assert first.status_code == second.status_code == 200
    assert "ETag" not in first.headers
    assert first.headers["Cache-Control"] == "private, no-store"
    assert len(renders.calls) == 2 and stored_files(app) == []


@pytest.mark.parametrize("who", ["anonymous", "other_applicant", "unassigned_reviewer"])
def test_the_etag_opens_nothing_to_someone_who_may_not_see_the_document(
    app, client, create_application, create_user, renders, who
):
    application = create_application(status=ApplicationStatus.SUBMITTED)
    url = f"/applications/{application.id}/budget.pdf"
    etag = sign_in(app.test_client(), application.created_by).get(url).headers["ETag"]
    if who != "anonymous":
        role = Role.APPLICANT if who == "other_applicant" else Role.REVIEWER
        sign_in(client, create_user(role))
    response = client.get(url, headers={"If-None-Match": etag})
    assert response.status_code == (302 if who == "anonymous" else 404)
    assert "ETag" not in response.headers


def test_signed_agreements_and_accepted_reports_are_stored_drafts_are_not(
    app, db, ctx, create_agreement, renders
):
    agreement = create_agreement()
    report = agreement.reports[0]
    assert not isinstance(pdf.agreement_pdf(agreement), pdf.StoredPdf)
    assert not isinstance(pdf.report_pdf(report), pdf.StoredPdf)
    assert stored_files(app) == []
    agreement.status, agreement.signed_at = AgreementStatus.SIGNED, utcnow()
    report.status, report.accepted_at = ReportStatus.ACCEPTED, utcnow()
    signed, accepted = pdf.agreement_pdf(agreement), pdf.report_pdf(report)
    assert isinstance(signed, pdf.StoredPdf) and isinstance(accepted, pdf.StoredPdf)
    assert {f.name for f in stored_files(app)} == {f"{signed.key}.pdf", f"{accepted.key}.pdf"}
    rendered = len(renders.calls)
    assert pdf.agreement_pdf(agreement) == signed and pdf.report_pdf(report) == accepted
    assert len(renders.calls) == rendered  # the second time, from the store


def test_a_document_is_stored_whole_under_its_key(app, ctx, tmp_path):
    key = store.document_key("<p>x</p>")
    assert key != store.document_key("<p>y</p>")
    store.save(key, b"%PDF-1.7 whole")
    assert store.load(key) == b"%PDF-1.7 whole"
    assert [f.name for f in stored_files(app)] == [f"{key}.pdf"]  # no partial file left
    assert store.load("a" * 64) is None
    with pytest.raises(ValueError, match="not a document key"):
        store.stored_path("../escape")


# --- rendered in advance, once it is final ------------------------------------------------------


@pytest.fixture
def handed_over(app: Flask, monkeypatch: pytest.MonkeyPatch) -> list[list[tuple[str, int]]]:
    """Turn rendering in advance on and record what is handed over after a commit instead of
    running it: these tests share one rolled-back connection, which no background thread
    may use; the test runs prerender_documents itself."""
    calls: list[list[tuple[str, int]]] = []
    monkeypatch.setitem(app.config, "DOCUMENT_PRERENDER", True)
    monkeypatch.setattr(jobs, "start_prerender",
                        lambda flask_app, documents: calls.append(list(documents)))
    return calls


def test_submission_renders_the_documents_after_commit_off_the_request(
    app, client, create_application, renders, handed_over
):
    application = create_application()
    sign_in(client, application.created_by)
    response = client.post(f"/applications/{application.id}/submit")
    assert response.status_code == 302
    assert handed_over == [[(jobs.APPLICATION_DOCUMENTS, application.id)]]
    assert renders.calls == []  # nothing rendered while the applicant waited

    with app.app_context():
        jobs.prerender_documents(handed_over[0])
    # The application and its budget, in each language of the portal.
    assert len(renders.calls) == 2 * len(app.config["LANGUAGES"])
    assert len(stored_files(app)) == 4
    for kind in ("application", "budget"):
        served = client.get(f"/applications/{application.id}/{kind}.pdf")
        assert served.status_code == 200 and served.headers["ETag"]
    assert len(renders.calls) == 4  # both downloads came from the store


def test_a_refused_submission_hands_nothing_over(
    client, create_application, renders, handed_over
):
    application = create_application(budget=(
        ("equipment", "1", "1000000.00", "1000000.00", "0.00", "0.00"),))
    sign_in(client, application.created_by)
    response = client.post(f"/applications/{application.id}/submit")
    assert response.status_code == 303
    assert handed_over == []


def test_a_failure_to_render_in_advance_breaks_nothing(
    app, db, client, create_application, renders, handed_over, caplog
):
    application = create_application()
    renders.failing = True
    sign_in(client, application.created_by)
    assert client.post(f"/applications/{application.id}/submit").status_code == 302
    db.refresh(application)
    assert application.status == ApplicationStatus.SUBMITTED
    with app.app_context(), caplog.at_level(logging.ERROR, logger="portal.services.jobs"):
        jobs.prerender_documents(handed_over[0])  # logs, raises nothing
    assert "could not be rendered in advance" in caplog.text
    assert stored_files(app) == []
    renders.failing = False
    assert client.get(f"/applications/{application.id}/budget.pdf").status_code == 200


def test_a_queue_that_cannot_be_reached_breaks_no_submission(
    app, db, client, create_application, renders, monkeypatch, caplog
):
    monkeypatch.setitem(app.config, "DOCUMENT_PRERENDER", True)
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:1/12")
    application = create_application()
    sign_in(client, application.created_by)
    with caplog.at_level(logging.ERROR, logger="portal.services.jobs"):
        assert client.post(f"/applications/{application.id}/submit").status_code == 302
    db.refresh(application)
    assert application.status == ApplicationStatus.SUBMITTED
    assert "could not be queued for rendering" in caplog.text


def test_finalising_renders_the_protocol_and_the_approved_budgets(
    app, db, client, committee, create_user, renders, handed_over  # noqa: F811
):
    call, apps, *_ = committee
    chair = create_user(Role.CHAIR)
    with app.test_request_context():
        decide_all(db, apps, chair)
    db.commit()
    sign_in(client, chair)
    response = client.post(f"/committee/calls/{call.id}/finalise")
    assert response.status_code == 302
    assert handed_over == [[(jobs.CALL_DOCUMENTS, call.id)]]
    assert renders.calls == []

    with app.app_context():
        jobs.prerender_documents(handed_over[0])
    # The protocol and the two approved budgets, in each language.
    assert len(renders.calls) == 3 * len(app.config["LANGUAGES"])
    assert client.get(f"/committee/calls/{call.id}/protocol.pdf").headers["ETag"]
    for funded in apps[:2]:
        assert client.get(f"/applications/{funded.id}/budget.pdf").status_code == 200
    assert len(renders.calls) == 6  # every download came from the store


# --- the archive of all approved budgets ---------------------------------------------------------


def test_the_archive_takes_stored_budgets_and_renders_only_the_missing(
    app, db, ctx, client, create_call, create_agreement, create_user, close_call, renders,
    monkeypatch
):
    monkeypatch.setattr(jobs, "start_jobs", lambda flask_app, pending: None)
    call = create_call()
    first = create_agreement(call=call)
    second = create_agreement(call=call, amount=D("200000.00"))
    close_call(call)
    db.commit()
    finance = create_user(Role.FINANCE)
    with app.test_request_context(), force_locale("en"):
        stored = pdf.budget_pdf(first.application)  # rendered before, as a download would
    assert len(renders.calls) == 1

    job = jobs.request_budgets_zip(db, call, actor=finance, locale="en")
    db.commit()
    jobs.run_budgets_zip(job.id)
    db.refresh(job)
    assert job.status == JobStatus.DONE
    assert len(renders.calls) == 2  # only the second project's budget was rendered
    assert renders.calls[1] != renders.calls[0]
    archive = Path(app.config["JOBS_DIR"]) / job.file_name
    with zipfile.ZipFile(archive) as opened:
        assert opened.read(jobs.entry_name(first.application)) == stored
        assert opened.read(jobs.entry_name(second.application)).startswith(b"%PDF")


def test_on_rq_the_worker_renders_what_the_submission_made_final(
    app, db, client, create_application, renders, monkeypatch
):
    redis = Redis.from_url(PRERENDER_REDIS_URL)
    try:
        redis.ping()
    except RedisError as exc:
        service_unavailable(f"no Redis at {PRERENDER_REDIS_URL}: {exc}")
    redis.flushdb()
    monkeypatch.setitem(app.config, "DOCUMENT_PRERENDER", True)
    monkeypatch.setitem(app.config, "REDIS_URL", PRERENDER_REDIS_URL)
    try:
        application = create_application()
        sign_in(client, application.created_by)
        assert client.post(f"/applications/{application.id}/submit").status_code == 302
        assert jobs.job_queue(app).count == 1 and renders.calls == []
        assert jobs.make_worker(app, simple=True).work(burst=True) is True
        assert len(renders.calls) == 4 and len(stored_files(app)) == 4
        served = client.get(f"/applications/{application.id}/application.pdf")
        assert served.status_code == 200 and len(renders.calls) == 4
    finally:
        redis.flushdb()
        redis.close()
