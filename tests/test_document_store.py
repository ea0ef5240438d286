"""The store of final documents: a submitted, decided, signed or accepted document is
rendered once and served from the store with its key as the ETag, a conditional request for
the same content answers 304 (only after the permission check), a changed figure makes a new
key and a new PDF, drafts are never stored, the documents are rendered off the request once
what makes them final commits, asked for by the services whoever calls them (and a failure
there breaks nothing), an application's documents are keyed by every row they print, the
templates, the translations, the code and the language without being rendered, the store
is pruned of what is no longer read, and the archive of all approved budgets takes the
stored PDFs instead of rendering them again."""

from __future__ import annotations

import logging
import os
import zipfile
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale
from sqlalchemy import select

import portal.pdf
from portal import pdf
from portal.db import utcnow
from portal.demo import seed_demo
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
from tests.conftest import redis_database
from tests.test_agreements import ADMINISTRATION
from tests.test_decisions import committee, decide_all  # noqa: F401 - a fixture
from tests.test_reports import project  # noqa: F401 - a fixture

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


def test_rendering_in_advance_only_reads(app, db, monkeypatch):
    """On SQLite its transactions begin deferred: the write lock is not held while the PDFs
    render, so the command or the requests that made them final go on writing."""
    import portal.db

    begun: list[str] = []
    monkeypatch.setattr(jobs, "_final_documents", lambda session, kind, object_id: [
        lambda: begun.append(portal.db._sqlite_begin_statement())])
    with app.app_context():
        assert portal.db._sqlite_begin_statement() == "BEGIN IMMEDIATE"
        jobs.prerender_documents([(jobs.APPLICATION_DOCUMENTS, 1)])
        assert portal.db._sqlite_begin_statement() == "BEGIN IMMEDIATE"
    assert begun == ["BEGIN"] * len(app.config["LANGUAGES"])


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
    handed_over.clear()  # the applications' own submissions
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


def test_every_service_that_makes_a_document_final_hands_it_over(
    app, db, ctx, committee, create_user, create_application, create_agreement, renders,  # noqa: F811
    handed_over, project,  # noqa: F811
):
    """The services ask for the rendering, not the pages: the command line, the demo and
    the benchmark's generator have the documents rendered too."""
    from portal.services import agreements, decisions, reports
    from portal.services.applications import submit_application

    draft = create_application()
    db.commit()
    handed_over.clear()
    submit_application(db, draft, actor=draft.created_by)
    db.commit()
    assert handed_over == [[(jobs.APPLICATION_DOCUMENTS, draft.id)]]

    call, apps, *_ = committee
    chair = create_user(Role.CHAIR)
    decide_all(db, apps, chair)
    db.commit()
    handed_over.clear()
    decisions.finalise_decisions(db, call, actor=chair)
    db.commit()
    decisions.decline(db, apps[0], reason="Нет помещения", actor=chair)
    db.commit()
    decisions.fund_from_reserve(db, apps[2], approved_amount=D("225000.00"), actor=chair)
    db.commit()
    assert handed_over == [
        [(jobs.CALL_DOCUMENTS, call.id)],
        [(jobs.CALL_DOCUMENTS, call.id), (jobs.APPLICATION_DOCUMENTS, apps[0].id)],
        [(jobs.CALL_DOCUMENTS, call.id)],
    ]

    agreement = create_agreement()
    agreements.update_administration_details(db, ADMINISTRATION, actor=create_user(Role.ADMIN))
    db.commit()
    handed_over.clear()
    agreements.sign_agreement(db, agreement, actor=project.finance)
    db.commit()
    assert handed_over == [[(jobs.AGREEMENT_DOCUMENT, agreement.id)]]

    report = project.submit(project.interim)
    db.commit()
    handed_over.clear()
    reports.accept_report(db, report, actor=project.finance)
    db.commit()
    assert handed_over == [[(jobs.REPORT_DOCUMENT, report.id)]]
    assert renders.calls == []


def test_the_demo_seeding_hands_its_final_documents_over(app, db, renders, handed_over):
    """The demo is made through the services, and they ask for every kind of document."""
    with app.app_context():
        seed_demo(db)
        db.commit()
    assert {kind for batch in handed_over for kind, _id in batch} == {
        jobs.APPLICATION_DOCUMENTS, jobs.CALL_DOCUMENTS, jobs.AGREEMENT_DOCUMENT,
        jobs.REPORT_DOCUMENT}


def test_the_seed_demo_command_leaves_the_documents_to_their_first_download(
    app, db, renders, handed_over
):
    """`make run` seeds the demo before it starts the portal: rendering in advance there
    would keep the person waiting minutes for documents they may never open."""
    result = app.test_cli_runner().invoke(args=["portal", "seed-demo"])
    assert result.exit_code == 0, result.output
    assert handed_over == [] and renders.calls == []
    assert app.config["DOCUMENT_PRERENDER"] is True  # the portal's own setting is kept


# --- keys made from the rows a document prints ---------------------------------------------------


def test_a_conditional_request_for_an_application_document_renders_nothing(
    client, create_application, renders, monkeypatch
):
    """The key of a stored application or budget comes from its rows: answering 304 needs
    no HTML."""
    application = create_application(status=ApplicationStatus.SUBMITTED)
    sign_in(client, application.created_by)
    etags = {kind: client.get(f"/applications/{application.id}/{kind}.pdf").headers["ETag"]
             for kind in ("application", "budget")}
    rendered: list[str] = []
    html = portal.pdf._document_html
    monkeypatch.setattr(portal.pdf, "_document_html",
                        lambda name, *args: rendered.append(name) or html(name, *args))
    for kind, etag in etags.items():
        again = client.get(f"/applications/{application.id}/{kind}.pdf",
                           headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.headers["ETag"] == etag
    assert rendered == [] and len(renders.calls) == 2


def _change_line(app: Any) -> str:
    line = app.budget_lines[0]
    line.unit_price, line.requested_amount = D("76543.21"), D("123086.42")
    return "153,086.42"  # its total, and its category's


def _change_organisation_name(app: Any) -> str:
    app.organisation.full_name = "Библиотека имени Новой Вывески"
    return "Библиотека имени Новой Вывески"


def _change_bank_details(app: Any) -> None:
    app.organisation.settlement_account = "40702810900000000001"


def _change_call_title(app: Any) -> str:
    app.call.title = "Конкурс с другим названием"
    return "Конкурс с другим названием"


def _change_activity(app: Any) -> str:
    app.activities[0].title = "Встречи с поэтами"
    return "Встречи с поэтами"


def _change_indicator(app: Any) -> str:
    app.indicators[0].target = D("450")
    return "450"


def _change_status(app: Any) -> None:
    app.status, app.screened_at = ApplicationStatus.ELIGIBLE, app.submitted_at


@pytest.mark.parametrize(("kind", "change"), [
    ("budget", _change_line), ("application", _change_line),
    ("budget", _change_organisation_name), ("application", _change_organisation_name),
    ("budget", _change_bank_details), ("budget", _change_call_title),
    ("application", _change_activity), ("application", _change_indicator),
    ("budget", _change_status),
])
def test_a_change_to_any_row_a_document_prints_changes_its_key(
    app, db, client, create_application, renders, kind, change
):
    application = create_application(status=ApplicationStatus.SUBMITTED)
    sign_in(client, application.created_by)
    url = f"/applications/{application.id}/{kind}.pdf"
    before = client.get(url)
    printed = change(application)
    db.commit()
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != before.headers["ETag"]
    assert len(renders.calls) == 2
    if printed:
        assert printed in after.get_data(as_text=True)
        assert printed not in before.get_data(as_text=True)


def test_another_submission_to_the_call_keeps_the_key(
    app, db, ctx, create_application, renders
):
    """The call's counter of registration numbers is not printed: the stored documents of
    an open call's applications stay valid while others are submitted."""
    first = create_application(status=ApplicationStatus.SUBMITTED)
    before = pdf.budget_pdf(first), pdf.application_pdf(first)
    create_application(call=first.call, status=ApplicationStatus.SUBMITTED)
    after = pdf.budget_pdf(first), pdf.application_pdf(first)
    assert [d.key for d in after] == [d.key for d in before]
    assert len(renders.calls) == 2


def test_the_approved_budget_key_follows_the_decision_and_its_date(
    app, db, ctx, create_agreement, renders
):
    agreement = create_agreement(amount=D("200000.00"))
    decision = db.scalars(select(Decision).where(
        Decision.application_id == agreement.application_id)).one()
    first = pdf.budget_pdf(agreement.application)
    decision.decided_at = utcnow()
    db.flush()
    dated = pdf.budget_pdf(agreement.application)
    assert dated.key != first.key
    assert pdf.budget_pdf(agreement.application, decision=decision).key == dated.key


def test_the_language_and_the_loaded_translations_are_in_the_key(
    app, db, create_application, renders, monkeypatch
):
    import flask_babel

    application = create_application(status=ApplicationStatus.SUBMITTED)
    with app.test_request_context(), force_locale("ru"):
        russian = pdf.budget_pdf(application)
        with force_locale("en"):
            english = pdf.budget_pdf(application)
        assert len({russian.key, english.key}) == 2

        domain = flask_babel.get_domain()
        loaded = flask_babel.get_translations()
        changed = type(loaded)()
        changed.merge(loaded)
        changed._catalog = {**loaded._catalog, "Budget lines": "Расходы проекта по строкам"}
        monkeypatch.setitem(domain.cache, ("ru", domain.domain[0]), changed)
        retranslated = pdf.budget_pdf(application)
    assert retranslated.key not in (russian.key, english.key)
    assert "Расходы проекта по строкам" in renders.calls[-1]


def test_a_changed_template_changes_the_key(app, db, create_application, renders,
                                            monkeypatch):
    import jinja2

    application = create_application(status=ApplicationStatus.SUBMITTED)
    env = app.jinja_env
    with app.test_request_context(), force_locale("en"):
        before = pdf.budget_pdf(application)
        included = "pdf/_financing.html"  # included by budget.html, not rendered on its own
        source = env.loader.get_source(env, included)[0]
        monkeypatch.setattr(env, "loader", jinja2.ChoiceLoader([
            jinja2.DictLoader({included: source + "<p>Financing reviewed.</p>"}), env.loader]))
        after = pdf.budget_pdf(application)
    assert after.key != before.key
    assert "Financing reviewed." in renders.calls[-1]


def test_a_release_that_prints_differently_changes_the_key(
    app, db, ctx, create_application, renders, monkeypatch
):
    application = create_application(status=ApplicationStatus.SUBMITTED)
    before = pdf.budget_pdf(application)
    monkeypatch.setattr(store, "_code_digest", ["another release"])
    assert pdf.budget_pdf(application).key != before.key


def test_bank_details_change_the_signed_agreement(
    app, db, ctx, create_agreement, renders
):
    agreement = create_agreement(signed=True)
    before = pdf.agreement_pdf(agreement)
    agreement.application.organisation.settlement_account = "40702810900000000001"
    db.flush()
    after = pdf.agreement_pdf(agreement)
    assert after.key != before.key
    assert "40702810900000000001" in renders.calls[-1]


# --- pruning ------------------------------------------------------------------------------------


def _aged(path: Path, days: float) -> None:
    moment = path.stat().st_mtime - days * 24 * 3600
    os.utime(path, (moment, moment))


def test_pruning_removes_what_was_not_read_and_keeps_what_was(app, ctx):
    read, unread, fresh = (store.document_key(f"<p>{n}</p>") for n in range(3))
    for key in (read, unread, fresh):
        store.save(key, b"%PDF-1.7 " + key.encode())
    folder = Path(app.config["DOCUMENTS_DIR"])
    for key in (read, unread):
        _aged(folder / f"{key}.pdf", 40)
    assert store.load(read) is not None  # a download marks it read
    stale_part, live_part = folder / f".{read}.abc.part", folder / f".{fresh}.def.part"
    stale_part.write_bytes(b"half")
    live_part.write_bytes(b"half")
    _aged(stale_part, 2)
    other = folder / "notes.txt"
    other.write_text("not the store's")
    _aged(other, 400)

    assert store.prune(timedelta(days=30)) == 1
    assert {f.name for f in folder.iterdir()} == {
        f"{read}.pdf", f"{fresh}.pdf", live_part.name, other.name}
    assert store.load(unread) is None
    assert store.prune(timedelta(days=30)) == 0


def test_a_document_read_recently_is_not_marked_again(app, ctx, monkeypatch):
    key = store.document_key("<p>x</p>")
    store.save(key, b"%PDF-1.7 x")
    path = Path(app.config["DOCUMENTS_DIR"]) / f"{key}.pdf"
    _aged(path, 0.01)  # 15 minutes ago: within READ_MARK_INTERVAL
    marked = path.stat().st_mtime
    assert store.load(key) == b"%PDF-1.7 x"
    assert path.stat().st_mtime == marked


def test_a_pruned_document_is_rendered_again_on_its_next_download(
    app, client, create_application, renders
):
    application = create_application(status=ApplicationStatus.SUBMITTED)
    sign_in(client, application.created_by)
    url = f"/applications/{application.id}/budget.pdf"
    first = client.get(url)
    for stored in stored_files(app):
        _aged(stored, 31)
    with app.app_context():
        assert store.prune(timedelta(days=30)) == 1
    again = client.get(url)
    assert again.status_code == 200 and again.headers["ETag"] == first.headers["ETag"]
    assert len(renders.calls) == 2 and len(stored_files(app)) == 1


def test_the_prune_command(app, ctx):
    key = store.document_key("<p>old</p>")
    store.save(key, b"%PDF-1.7 old")
    _aged(Path(app.config["DOCUMENTS_DIR"]) / f"{key}.pdf", 8)
    runner = app.test_cli_runner()
    kept = runner.invoke(args=["portal", "prune-documents"])
    assert kept.exit_code == 0, kept.output
    assert "Removed 0 stored document(s) not read for 30 days." in kept.output
    pruned = runner.invoke(args=["portal", "prune-documents", "--unread-days", "7"])
    assert pruned.exit_code == 0, pruned.output
    assert "Removed 1 stored document(s)" in pruned.output
    assert store.load(key) is None


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
    monkeypatch.setitem(app.config, "DOCUMENT_PRERENDER", True)
    with redis_database(app, PRERENDER_REDIS_URL, monkeypatch):
        application = create_application()
        sign_in(client, application.created_by)
        assert client.post(f"/applications/{application.id}/submit").status_code == 302
        assert jobs.job_queue(app).count == 1 and renders.calls == []
        assert jobs.make_worker(app, simple=True).work(burst=True) is True
        assert len(renders.calls) == 4 and len(stored_files(app)) == 4
        served = client.get(f"/applications/{application.id}/application.pdf")
        assert served.status_code == 200 and len(renders.calls) == 4
