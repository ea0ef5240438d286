"""Agreements: preparing one (number, approved amount, a default schedule that adds up, the
reports), changing the schedule (refused unless the tranches make the approved amount to the
kopeck, and once signed), signing (the transition, the released advance, the audit trail, the
scan stored outside static/ under a server-made name, a scan refused by its content), the
administration's details, the agreement PDF read back, and the permission matrix of every
route."""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

import portal.pdf
from portal.config import PROJECT_ROOT
from portal.db import utcnow
from portal.demo import demo_account, demo_inn, demo_ogrn
from portal.errors import ConflictError, DomainError
from portal.i18n import LANGUAGE_COOKIE
from portal.models import (
    AdministrationDetails,
    Agreement,
    AgreementStatus,
    Application,
    ApplicationStatus,
    AuditEvent,
    Decision,
    DecisionOutcome,
    ReportKind,
    Role,
    Tranche,
    TrancheCondition,
    User,
)
from portal.money import amount_in_words, format_money
from portal.services import agreements as service

D = Decimal
C = TrancheCondition
APPROVED = D("200000.01")  # of the 225 000 ₽ the default budget requests
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + bytes(64)
TODAY = utcnow().date()
# Set to a folder to keep the agreement PDFs the tests produce, to look at them.
SAVE_DIR = os.environ.get("PORTAL_TEST_SAVE_PDF")
EN = {"headers": {"Cookie": f"{LANGUAGE_COOKIE}=en"}}  # a request in English

ADMINISTRATION = {
    "full_name": "Администрация Тестовского муниципального района",
    "short_name": "Администрация района",
    "inn": demo_inn("502400001"),
    "kpp": "502401001",
    "ogrn": demo_ogrn("102502400001"),
    "address": "г. Тестов, пл. Советская, 1",
    "head_name": "Пётр Петрович Петров",
    "head_position": "Глава района",
    "bank_name": "АО «Тестовый банк»",
    "bik": "044525974",
    "settlement_account": demo_account("044525974", "4020481000000000077"),
    "correspondent_account": "30101810145250000974",
}


# --- helpers and fixtures ---------------------------------------------------------------------


def squash(text: str) -> str:
    return " ".join(text.split())


def money(amount: Decimal, locale: str = "en") -> str:
    return squash(format_money(amount, locale))


def page_text(response: Any) -> str:
    return squash(response.get_data(as_text=True))


def events(db: Session, action: str) -> list[AuditEvent]:
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)
                           .order_by(AuditEvent.id)))


def agreement_of(db: Session, app: Application) -> Agreement | None:
    db.expire_all()
    return db.scalar(select(Agreement).where(Agreement.application_id == app.id))


def stored_files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def multipart(data: dict[str, Any]) -> dict[str, Any]:
    """A multipart body made in memory (the test client would spool files to disk)."""
    boundary, body = encode_multipart(data)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture(autouse=True)
def upload_dir(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(directory))
    return directory


@pytest.fixture
def finance(create_user: Callable[..., User]) -> User:
    return create_user(Role.FINANCE, full_name="Бухгалтер Финансового Отдела")


@pytest.fixture
def funded(db: Session, create_call: Callable[..., Any],
           create_application: Callable[..., Any]) -> Callable[..., Application]:
    """A funded application (the committee approved `amount`) without an agreement."""

    def factory(amount: Decimal = APPROVED, **call_fields: Any) -> Application:
        call = create_call(**call_fields)
        app = create_application(call=call, status=ApplicationStatus.FUNDED)
        db.add(Decision(application_id=app.id, call_id=call.id,
                        outcome=DecisionOutcome.FUNDED, approved_amount=amount))
        db.flush()
        return app

    return factory


@pytest.fixture
def administration(db: Session, create_user: Callable[..., User], app: Flask) -> Any:
    with app.test_request_context(**EN):
        details = service.update_administration_details(
            db, ADMINISTRATION, actor=create_user(Role.ADMIN))
    db.flush()
    return details


@pytest.fixture
def prepared(db: Session, funded: Callable[..., Application], finance: User,
             app: Flask) -> Agreement:
    """A prepared, unsigned agreement of 200 000,01 ₽ (interim and final reports)."""
    application = funded(reporting_dates=[(TODAY + timedelta(days=150)).isoformat(),
                                          (TODAY + timedelta(days=380)).isoformat()])
    with app.test_request_context(**EN):
        agreement = service.prepare_agreement(db, application, actor=finance)
    db.flush()
    return agreement


def signed(db: Session, agreement: Agreement, finance: User, app: Flask,
           scan: tuple[bytes, str] | None = None, upload_dir: Path | None = None) -> Agreement:
    with app.test_request_context(**EN):
        service.sign_agreement(
            db, agreement, actor=finance,
            scan=FileStorage(io.BytesIO(scan[0]), filename=scan[1]) if scan else None,
            upload_dir=upload_dir)
        db.commit()
    return agreement


# --- preparing ------------------------------------------------------------------------------


def test_prepare_gives_the_number_amount_default_schedule_and_reports(
    db, ctx, funded, finance
):
    interim, final = TODAY + timedelta(days=150), TODAY + timedelta(days=380)
    app = funded(reporting_dates=[final.isoformat(), interim.isoformat()])
    agreement = service.prepare_agreement(db, app, actor=finance)

    assert agreement.number == f"С-{app.registration_number}"
    assert agreement.amount == APPROVED
    assert agreement.status == AgreementStatus.DRAFT
    # Half rounded down to the kopeck on signing, the rest after the interim report.
    assert [(t.number, t.due_date, t.amount, t.condition) for t in agreement.tranches] == [
        (1, app.call.implementation_start, D("100000.00"), C.ON_SIGNING),
        (2, interim + timedelta(days=service.DAYS_TO_PAY_AFTER_REPORT), D("100000.01"),
         C.AFTER_INTERIM_REPORT),
    ]
    assert sum(t.amount for t in agreement.tranches) == agreement.amount
    assert [(r.kind, r.due_date) for r in agreement.reports] == [
        (ReportKind.INTERIM, interim), (ReportKind.FINAL, final)]
    (event,) = events(db, "agreement.prepared")
    assert (event.actor_id, event.object_id, event.to_state) == (
        finance.id, str(agreement.id), "draft")
    assert event.details["amount"] == "200000.01"
    assert len(event.details["tranches"]) == 2 and len(event.details["reports"]) == 2


def test_with_one_reporting_date_the_rest_follows_the_final_report(db, ctx, funded, finance):
    app = funded()  # the call has one reporting date, 200 days from today
    (only,) = app.call.reporting_dates
    agreement = service.prepare_agreement(db, app, actor=finance)
    assert [(r.kind, r.due_date) for r in agreement.reports] == [
        (ReportKind.FINAL, date.fromisoformat(only))]
    assert [t.condition for t in agreement.tranches] == [C.ON_SIGNING, C.AFTER_FINAL_REPORT]
    assert sum(t.amount for t in agreement.tranches) == APPROVED


def test_without_reporting_dates_a_final_report_closes_the_period(db, ctx, funded, finance):
    app = funded(reporting_dates=[])
    agreement = service.prepare_agreement(db, app, actor=finance)
    assert [(r.kind, r.due_date) for r in agreement.reports] == [
        (ReportKind.FINAL, app.call.implementation_end)]
    assert agreement.tranches[1].due_date == app.call.implementation_end + timedelta(
        days=service.DAYS_TO_PAY_AFTER_REPORT)


@pytest.mark.parametrize(("amount", "expected"), [
    (D("0.01"), [D("0.01")]),  # an advance of 0 is left out
    (D("0.03"), [D("0.01"), D("0.02")]),
    (D("999999.99"), [D("499999.99"), D("500000.00")]),
])
def test_default_schedule_always_adds_up(db, ctx, funded, finance, amount, expected):
    agreement = service.prepare_agreement(db, funded(amount=amount), actor=finance)
    assert [t.amount for t in agreement.tranches] == expected
    assert sum(expected) == amount


def test_an_advance_is_never_due_in_the_past(db, ctx, funded, finance):
    app = funded()
    app.call.implementation_start = TODAY - timedelta(days=10)
    agreement = service.prepare_agreement(db, app, actor=finance)
    assert agreement.tranches[0].due_date == TODAY


def test_prepare_is_refused_unless_funded_once_and_by_finance(
    db, ctx, funded, finance, create_application, create_user
):
    with pytest.raises(ConflictError, match="funded application only"):
        service.prepare_agreement(
            db, create_application(status=ApplicationStatus.REVIEWED), actor=finance)
    app = funded()
    for role in (Role.CHAIR, Role.ADMIN, Role.APPLICANT):
        with pytest.raises(PermissionError):
            service.prepare_agreement(db, app, actor=create_user(role))
    service.prepare_agreement(db, app, actor=finance)
    with pytest.raises(ConflictError, match="already been prepared"):
        service.prepare_agreement(db, app, actor=finance)


# --- the schedule -----------------------------------------------------------------------------


def test_a_schedule_that_adds_up_to_the_kopeck_is_saved(db, ctx, prepared, finance):
    start = prepared.application.call.implementation_start
    rows = [
        (start + timedelta(days=90), D("50000.00"), C.ON_DATE),
        (start, D("100000.00"), C.ON_SIGNING),
        (start + timedelta(days=200), D("50000.01"), "after_interim_report"),
    ]
    before = [(t.amount, t.condition) for t in prepared.tranches]
    service.set_schedule(db, prepared, rows, actor=finance)
    db.expire_all()
    tranches = db.scalars(select(Tranche).where(Tranche.agreement_id == prepared.id)
                          .order_by(Tranche.number)).all()
    # Numbered in date order.
    assert [(t.number, t.due_date, t.amount, t.condition) for t in tranches] == [
        (1, start, D("100000.00"), C.ON_SIGNING),
        (2, start + timedelta(days=90), D("50000.00"), C.ON_DATE),
        (3, start + timedelta(days=200), D("50000.01"), C.AFTER_INTERIM_REPORT),
    ]
    (event,) = events(db, "agreement.schedule_changed")
    assert [(D(t["amount"]), C(t["condition"])) for t in event.details["before"]] == before
    assert [t["amount"] for t in event.details["after"]] == ["100000.00", "50000.00",
                                                             "50000.01"]


@pytest.mark.parametrize(("amounts", "total"), [
    ((D("100000.00"), D("100000.00")), D("200000.00")),  # a kopeck short
    ((D("100000.00"), D("100000.02")), D("200000.02")),  # a kopeck over
    ((D("250000.00"),), D("250000.00")),
])
def test_a_schedule_that_does_not_add_up_is_refused_with_both_figures(
    db, ctx, prepared, finance, amounts, total
):
    before = [(t.due_date, t.amount, t.condition) for t in prepared.tranches]
    rows = [(TODAY + timedelta(days=n), amount, C.ON_DATE) for n, amount in enumerate(amounts)]
    with pytest.raises(DomainError) as refused:
        service.set_schedule(db, prepared, rows, actor=finance)
    message = squash(str(refused.value))
    assert f"add up to {money(total)}" in message
    assert f"the approved amount is {money(APPROVED)}" in message
    assert f"a difference of {money(abs(total - APPROVED))}" in message
    assert [(t.due_date, t.amount, t.condition) for t in prepared.tranches] == before
    assert events(db, "agreement.schedule_changed") == []


@pytest.mark.parametrize(("rows", "message"), [
    ([], "at least one tranche"),
    ([(TODAY, D("0.00"), C.ON_DATE), (TODAY, APPROVED, C.ON_DATE)], "more than 0"),
    ([(TODAY, D("0.001") + APPROVED, C.ON_DATE)], "whole kopecks"),
    ([(None, APPROVED, C.ON_DATE)], "has no date"),
    ([(TODAY, APPROVED, "whenever")], "no valid condition"),
])
def test_incomplete_tranches_are_refused(db, ctx, prepared, finance, rows, message):
    with pytest.raises(DomainError, match=message):
        service.set_schedule(db, prepared, rows, actor=finance)


def test_a_tranche_after_an_interim_report_needs_one(db, ctx, funded, finance):
    agreement = service.prepare_agreement(db, funded(), actor=finance)  # a final report only
    with pytest.raises(DomainError, match="this agreement has none"):
        service.set_schedule(db, agreement, [(TODAY, APPROVED, C.AFTER_INTERIM_REPORT)],
                             actor=finance)
    service.set_schedule(db, agreement, [(TODAY, APPROVED, C.AFTER_FINAL_REPORT)],
                         actor=finance)
    assert [t.amount for t in agreement.tranches] == [APPROVED]


def test_only_finance_changes_the_schedule_and_only_before_signing(
    db, app, prepared, finance, create_user, administration
):
    rows = [(TODAY, APPROVED, C.ON_SIGNING)]
    with app.test_request_context(**EN):
        with pytest.raises(PermissionError):
            service.set_schedule(db, prepared, rows, actor=create_user(Role.CHAIR))
    signed(db, prepared, finance, app)
    with app.test_request_context(**EN), pytest.raises(ConflictError, match="signed"):
        service.set_schedule(db, prepared, rows, actor=finance)


# --- signing ----------------------------------------------------------------------------------


def test_signing_moves_the_application_releases_the_advance_and_is_audited(
    db, app, prepared, finance, administration
):
    application = prepared.application
    signed(db, prepared, finance, app)
    db.expire_all()
    assert prepared.status == AgreementStatus.SIGNED
    assert prepared.signed_at is not None and prepared.signed_by_id == finance.id
    assert application.status == ApplicationStatus.UNDER_AGREEMENT
    advance, rest = prepared.tranches
    assert advance.released_at == prepared.signed_at
    assert rest.released_at is None
    (move,) = events(db, "application.sign_agreement")
    assert (move.from_state, move.to_state, move.actor_id) == (
        "funded", "under_agreement", finance.id)
    (event,) = events(db, "agreement.signed")
    assert (event.from_state, event.to_state) == ("draft", "signed")
    assert event.details["released_tranches"] == [1]


def test_dated_tranches_can_be_paid_once_signed(db, app, prepared, finance, administration):
    half = (APPROVED / 2).quantize(D("0.01"))
    with app.test_request_context(**EN):
        service.set_schedule(db, prepared, [(TODAY, half, C.ON_DATE),
                                            (TODAY, APPROVED - half, C.AFTER_FINAL_REPORT)],
                             actor=finance)
    signed(db, prepared, finance, app)
    db.expire_all()
    dated, after_report = prepared.tranches
    assert dated.released_at == prepared.signed_at
    assert after_report.released_at is None


def test_signing_twice_is_refused(db, app, prepared, finance, administration):
    signed(db, prepared, finance, app)
    with app.test_request_context(**EN), pytest.raises(ConflictError, match="already signed"):
        service.sign_agreement(db, prepared, actor=finance)


def test_signing_needs_the_administrations_details(db, ctx, prepared, finance):
    with pytest.raises(DomainError, match="administration's details"):
        service.sign_agreement(db, prepared, actor=finance)
    assert prepared.status == AgreementStatus.DRAFT
    assert prepared.application.status == ApplicationStatus.FUNDED


def test_only_finance_signs(db, ctx, prepared, create_user, administration):
    for role in (Role.CHAIR, Role.ADMIN):
        with pytest.raises(PermissionError):
            service.sign_agreement(db, prepared, actor=create_user(role))
    assert prepared.status == AgreementStatus.DRAFT


def test_a_declined_grant_is_not_signed(db, ctx, prepared, finance, administration):
    prepared.application.status = ApplicationStatus.DECLINED
    with pytest.raises(ConflictError, match="funded application"):
        service.sign_agreement(db, prepared, actor=finance)


def test_the_scan_is_stored_outside_static_under_a_server_made_name(
    db, app, prepared, finance, administration, upload_dir
):
    signed(db, prepared, finance, app, scan=(PDF_BYTES, "../../Соглашение подписано.pdf"),
           upload_dir=upload_dir)
    db.expire_all()
    assert re.fullmatch(r"[0-9a-f]{32}", prepared.scan_stored_name)
    (path,) = stored_files(upload_dir)
    assert path.name == prepared.scan_stored_name
    assert path.read_bytes() == PDF_BYTES
    static = (PROJECT_ROOT / "static").resolve()
    assert not path.resolve().is_relative_to(static)
    assert prepared.scan_original_name == "Соглашение подписано.pdf"
    assert (prepared.scan_content_type, prepared.scan_size_bytes) == (
        "application/pdf", len(PDF_BYTES))
    (event,) = events(db, "agreement.scan_uploaded")
    assert event.details["name"] == "Соглашение подписано.pdf"
    assert event.details["sha256"] and event.details["replaced"] is None


@pytest.mark.parametrize(("content", "name"), [
    (b"MZ\x90\x00" + bytes(60), "scan.pdf"),  # a program named as a PDF
    (b"PK\x03\x04" + bytes(60), "scan.pdf"),
    (b"GIF89a" + bytes(60), "scan.png"),
])
def test_a_scan_that_is_not_a_pdf_or_picture_is_refused_and_nothing_changes(
    db, app, prepared, finance, administration, upload_dir, content, name
):
    with app.test_request_context(**EN):
        with pytest.raises(DomainError) as refused:
            service.sign_agreement(db, prepared, actor=finance, upload_dir=upload_dir,
                                   scan=FileStorage(io.BytesIO(content), filename=name))
        db.rollback()
    assert refused.value.field == "file"
    assert "must be a PDF, JPEG or PNG file" in str(refused.value)
    assert stored_files(upload_dir) == []
    db.expire_all()
    assert prepared.status == AgreementStatus.DRAFT
    assert prepared.application.status == ApplicationStatus.FUNDED


def test_an_office_document_is_not_a_scan(db, app, prepared, finance, administration,
                                          upload_dir):
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<document/>")
    with app.test_request_context(**EN), pytest.raises(DomainError, match="PDF, JPEG or PNG"):
        service.sign_agreement(db, prepared, actor=finance, upload_dir=upload_dir,
                               scan=FileStorage(io.BytesIO(buffer.getvalue()), filename="a.docx"))


def test_a_scan_over_the_attachment_limit_is_refused(
    db, app, prepared, finance, administration, upload_dir, monkeypatch
):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 32)
    with app.test_request_context(**EN), pytest.raises(DomainError, match="larger than"):
        service.sign_agreement(db, prepared, actor=finance, upload_dir=upload_dir,
                               scan=FileStorage(io.BytesIO(PNG_BYTES), filename="a.png"))
    assert stored_files(upload_dir) == []


def test_a_scan_is_uploaded_after_signing_not_before(db, app, prepared, finance,
                                                     administration, upload_dir):
    scan = FileStorage(io.BytesIO(PNG_BYTES), filename="scan.png")
    with app.test_request_context(**EN), pytest.raises(ConflictError, match="sign the agreement"):
        service.upload_scan(db, prepared, scan, actor=finance, upload_dir=upload_dir)
    signed(db, prepared, finance, app)
    with app.test_request_context(**EN):
        service.upload_scan(db, prepared, FileStorage(io.BytesIO(PNG_BYTES), filename="scan"),
                            actor=finance, upload_dir=upload_dir)
    assert prepared.scan_original_name == "scan.png"  # the extension follows the content
    assert prepared.scan_content_type == "image/png"


# --- the administration's details ---------------------------------------------------------


def test_administration_details_are_checked_like_an_organisations(db, ctx, finance):
    for field, value, message in (
        ("inn", "1234567890", "check digit"),
        ("kpp", "12", "9 characters"),
        ("ogrn", "1234", "13 digits"),
        ("bik", "144525974", "starts with 0"),
        ("settlement_account", "40204810100000000078", "does not match the BIK"),
        ("correspondent_account", "30101810145250000975", "does not match the BIK"),
    ):
        with pytest.raises(DomainError, match=message) as refused:
            service.update_administration_details(
                db, {**ADMINISTRATION, field: value}, actor=finance)
        assert refused.value.field == field
    assert service.administration_details(db) is None


def test_administration_details_are_one_row_kept_by_finance_or_the_admin(
    db, ctx, finance, create_user
):
    first = service.update_administration_details(db, ADMINISTRATION, actor=finance)
    second = service.update_administration_details(
        db, {**ADMINISTRATION, "head_name": "Сидор Сидорович Сидоров"},
        actor=create_user(Role.ADMIN))
    assert first is second
    assert db.scalars(select(AdministrationDetails)).all() == [first]
    assert first.head_name == "Сидор Сидорович Сидоров"
    changed = [e.details["changed"] for e in events(db, "administration.details_updated")]
    assert changed[1] == ["head_name"]
    for role in (Role.CHAIR, Role.APPLICANT, Role.REVIEWER):
        with pytest.raises(PermissionError):
            service.update_administration_details(db, ADMINISTRATION,
                                                  actor=create_user(role))


# --- the agreement page -----------------------------------------------------------------------


def agreement_url(app: Application) -> str:
    return f"/finance/applications/{app.id}/agreement"


def schedule_form(rows: list[tuple[str, str, str]]) -> dict[str, str]:
    data = {"action": "schedule"}
    for n, (due, amount, condition) in enumerate(rows):
        data |= {f"rows-{n}-due_date": due, f"rows-{n}-amount": amount,
                 f"rows-{n}-condition": condition}
    return data


def test_finance_prepares_the_agreement_from_the_page(client, db, login_as, funded, finance):
    app = funded()
    login_as(finance)
    page = client.get(agreement_url(app))
    assert page.status_code == 200
    assert 'value="prepare"' in page.get_data(as_text=True)
    response = client.post(agreement_url(app), data={"action": "prepare"})
    assert response.status_code == 302
    agreement = agreement_of(db, app)
    assert agreement is not None and agreement.amount == APPROVED
    page = page_text(client.get(agreement_url(app)))
    assert money(APPROVED) in page
    assert amount_in_words(APPROVED, "en") in page
    assert 'value="schedule"' in page and 'value="sign"' in page
    # Preparing again changes nothing.
    assert client.post(agreement_url(app), data={"action": "prepare"}).status_code == 302
    assert len(events(db, "agreement.prepared")) == 1


def test_the_schedule_form_refuses_tranches_that_do_not_add_up(
    client, db, login_as, prepared, finance
):
    app = prepared.application
    login_as(finance)
    response = client.post(agreement_url(app), data=schedule_form([
        ("2030-01-15", "100 000,00", "on_signing"), ("2030-06-01", "100 000,00", "on_date"),
        ("", "", "on_date"),
    ]))
    assert response.status_code == 422
    text = page_text(response)
    assert f"The tranches add up to {money(D('200000.00'))}" in text
    assert f"the approved amount is {money(APPROVED)}" in text
    assert 'value="100 000,00"' in response.get_data(as_text=True)  # what was typed is kept
    assert [t.amount for t in agreement_of(db, app).tranches] == [D("100000.00"),
                                                                  D("100000.01")]


def test_the_schedule_form_saves_tranches_that_add_up(client, db, login_as, prepared, finance):
    app = prepared.application
    login_as(finance)
    response = client.post(agreement_url(app), data=schedule_form([
        ("2030-01-15", "60000", "on_signing"), ("2030-03-01", "40 000,01", "on_date"),
        ("2030-09-01", "100000.00", "after_final_report"), ("", "", "on_signing"),
    ]))
    assert response.status_code == 302
    tranches = agreement_of(db, app).tranches
    assert [(t.due_date, t.amount, t.condition) for t in tranches] == [
        (date(2030, 1, 15), D("60000.00"), C.ON_SIGNING),
        (date(2030, 3, 1), D("40000.01"), C.ON_DATE),
        (date(2030, 9, 1), D("100000.00"), C.AFTER_FINAL_REPORT),
    ]


def test_a_mistyped_row_is_shown_not_dropped(client, db, login_as, prepared, finance):
    login_as(finance)
    response = client.post(agreement_url(prepared.application), data=schedule_form([
        ("15.01.2030x", "200000.01", "on_signing"),
    ]))
    assert response.status_code == 422
    assert "Not a valid date value" in page_text(response)


def test_finance_signs_with_a_scan_from_the_page(
    client, db, login_as, prepared, finance, administration, upload_dir
):
    app = prepared.application
    login_as(finance)
    response = client.post(agreement_url(app), **multipart({
        "action": "sign", "file": FileStorage(io.BytesIO(PDF_BYTES), filename="signed.pdf"),
    }))
    assert response.status_code == 302
    agreement = agreement_of(db, app)
    assert agreement.status == AgreementStatus.SIGNED
    assert agreement.application.status == ApplicationStatus.UNDER_AGREEMENT
    assert agreement.tranches[0].released_at is not None
    assert stored_files(upload_dir) == [upload_dir / agreement.scan_stored_name]
    page = client.get(agreement_url(app)).get_data(as_text=True)
    assert 'value="schedule"' not in page and 'value="sign"' not in page
    assert 'value="scan"' in page and "signed.pdf" in page


def test_signing_from_the_page_without_a_scan(client, db, login_as, prepared, finance,
                                              administration, upload_dir):
    login_as(finance)
    response = client.post(agreement_url(prepared.application), **multipart({"action": "sign"}))
    assert response.status_code == 302
    agreement = agreement_of(db, prepared.application)
    assert agreement.status == AgreementStatus.SIGNED and agreement.scan_stored_name is None
    assert stored_files(upload_dir) == []


def test_a_bad_scan_is_refused_beside_the_field_and_nothing_is_signed(
    client, db, login_as, prepared, finance, administration, upload_dir
):
    login_as(finance)
    response = client.post(agreement_url(prepared.application), **multipart({
        "action": "sign", "file": FileStorage(io.BytesIO(b"just text"), filename="scan.pdf"),
    }))
    assert response.status_code == 422
    assert re.search(r'id="file-error">[^<]*must be a PDF, JPEG or PNG file', page_text(response))
    agreement = agreement_of(db, prepared.application)
    assert agreement.status == AgreementStatus.DRAFT
    assert agreement.application.status == ApplicationStatus.FUNDED
    assert stored_files(upload_dir) == []


def test_signing_without_the_administrations_details_is_explained(
    client, db, login_as, prepared, finance
):
    login_as(finance)
    response = client.post(agreement_url(prepared.application), **multipart({"action": "sign"}))
    assert response.status_code == 422
    assert "Fill in the administration's details" in page_text(response)
    assert agreement_of(db, prepared.application).status == AgreementStatus.DRAFT


def test_a_new_scan_replaces_the_old_one_whose_file_goes(
    client, db, login_as, prepared, finance, administration, upload_dir, app
):
    signed(db, prepared, finance, app, scan=(PDF_BYTES, "first.pdf"), upload_dir=upload_dir)
    (old,) = stored_files(upload_dir)
    login_as(finance)
    response = client.post(agreement_url(prepared.application), **multipart({
        "action": "scan", "file": FileStorage(io.BytesIO(PNG_BYTES), filename="second.png"),
    }))
    assert response.status_code == 302
    agreement = agreement_of(db, prepared.application)
    assert agreement.scan_original_name == "second.png"
    assert stored_files(upload_dir) == [upload_dir / agreement.scan_stored_name]
    assert not old.exists()
    assert events(db, "agreement.scan_uploaded")[-1].details["replaced"] == "first.pdf"


def test_the_chair_reads_the_agreement_and_changes_nothing(
    client, db, login_as, prepared, create_user
):
    app = prepared.application
    login_as(create_user(Role.CHAIR))
    page = client.get(agreement_url(app))
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="action"' not in html and "<form method=\"post\" novalidate" not in html
    assert money(D("100000.00")) in page_text(page)
    for action in ("prepare", "schedule", "sign", "scan"):
        assert client.post(agreement_url(app), data={"action": action}).status_code == 403
    assert agreement_of(db, app).status == AgreementStatus.DRAFT


def test_an_application_that_was_not_funded_has_no_agreement_page(
    client, login_as, create_application, finance, create_user
):
    app = create_application(status=ApplicationStatus.REVIEWED)
    login_as(finance)
    assert client.get(agreement_url(app)).status_code == 404
    assert client.get("/finance/applications/999999/agreement").status_code == 404


def test_an_unknown_action_is_a_bad_request(client, login_as, funded, finance):
    app = funded()
    login_as(finance)
    assert client.post(agreement_url(app), data={"action": "sign"}).status_code == 400
    assert client.post(agreement_url(app), data={"action": "nonsense"}).status_code == 400


# --- the administration's details page ------------------------------------------------------


def test_finance_saves_the_administrations_details(client, db, login_as, finance):
    login_as(finance)
    assert client.get("/finance/settings").status_code == 200
    response = client.post("/finance/settings", data={**ADMINISTRATION, "inn": "1234567890"})
    assert response.status_code == 422
    assert "check digit" in page_text(response)
    assert service.administration_details(db) is None
    response = client.post("/finance/settings", data=ADMINISTRATION)
    assert response.status_code == 302
    db.expire_all()
    details = service.administration_details(db)
    assert (details.inn, details.settlement_account) == (
        ADMINISTRATION["inn"], ADMINISTRATION["settlement_account"])
    page = client.get("/finance/settings").get_data(as_text=True)
    assert f'value="{ADMINISTRATION["bik"]}"' in page


def test_the_chair_reads_the_administrations_details(client, login_as, create_user,
                                                     administration):
    login_as(create_user(Role.CHAIR))
    page = client.get("/finance/settings")
    assert page.status_code == 200
    assert ADMINISTRATION["settlement_account"] in page.get_data(as_text=True)
    assert "<input" not in page.get_data(as_text=True).split("<main", 1)[1]
    assert client.post("/finance/settings", data=ADMINISTRATION).status_code == 403


# --- the agreement PDF, read back -----------------------------------------------------------


def read_pdf(content: bytes, name: str = "") -> str:
    if SAVE_DIR and name:
        Path(SAVE_DIR, name).write_bytes(content)
    reader = PdfReader(io.BytesIO(content))
    return squash(" ".join(page.extract_text() for page in reader.pages))


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_the_agreement_pdf_prints_amount_words_schedule_and_bank_details(
    request, login_as, prepared, finance, administration, locale
):
    client: FlaskClient = request.getfixturevalue("client" if locale == "en" else "ru_client")
    app = prepared.application
    with client.session_transaction() as sess:
        sess["_user_id"] = finance.get_id()
        sess["_fresh"] = True
    response = client.get(f"/applications/{app.id}/agreement.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/pdf"
    assert f"filename=agreement-{app.registration_number}.pdf" in (
        response.headers["Content-Disposition"])
    text = read_pdf(response.data, f"agreement-{locale}.pdf")

    assert prepared.number in text
    assert f"{money(APPROVED, locale)} ({amount_in_words(APPROVED, locale)})" in text
    for tranche in prepared.tranches:
        assert f"{tranche.due_date:%d.%m.%Y} {money(tranche.amount, locale)}" in text
    for report in prepared.reports:
        assert f"{report.due_date:%d.%m.%Y}" in text
    org = app.organisation
    for value in (org.full_name, org.inn, org.bik, org.settlement_account,
                  org.correspondent_account, ADMINISTRATION["full_name"],
                  ADMINISTRATION["inn"], ADMINISTRATION["bik"],
                  ADMINISTRATION["settlement_account"],
                  ADMINISTRATION["correspondent_account"], ADMINISTRATION["head_name"]):
        assert squash(value) in text, value
    assert app.title in text
    if locale == "en":
        assert "DRAFT — not signed" in text
        assert "The committee approved" in text
    else:
        assert "двести тысяч рублей 01 копейка" in text


def test_a_signed_agreement_pdf_is_not_marked_as_a_draft(
    client, db, app, login_as, prepared, finance, administration
):
    signed(db, prepared, finance, app)
    login_as(finance)
    response = client.get(f"/applications/{prepared.application_id}/agreement.pdf")
    assert response.status_code == 200
    text = read_pdf(response.data)
    assert "DRAFT" not in text and "not signed yet" not in text


# --- who may do what --------------------------------------------------------------------------


@pytest.fixture
def stub_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """The matrix is about who gets the document, not how it is drawn."""
    monkeypatch.setattr(portal.pdf, "agreement_pdf", lambda agreement: PDF_BYTES)


@pytest.fixture
def with_scan(db, app, prepared, finance, administration, upload_dir) -> Agreement:
    return signed(db, prepared, finance, app, scan=(PDF_BYTES, "signed.pdf"),
                  upload_dir=upload_dir)


def person(who: str, app: Application, create_user: Callable[..., User]) -> User | None:
    """The one asking: signed out, the application's author or a colleague of the same
    library, another library's applicant, or someone in another role."""
    org = app.organisation
    return {
        "anonymous": lambda: None,
        "owner": lambda: app.created_by,
        "colleague": lambda: create_user(Role.APPLICANT, organisation=org),
        "other_applicant": lambda: create_user(Role.APPLICANT),
        "reviewer": lambda: create_user(Role.REVIEWER),
        "chair": lambda: create_user(Role.CHAIR),
        "finance": lambda: create_user(Role.FINANCE),
        "admin": lambda: create_user(Role.ADMIN),
    }[who]()


def expect(response: Any, status: int) -> None:
    if status == 302:
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]
    else:
        assert response.status_code == status, response.get_data(as_text=True)[:300]


WHO = ["anonymous", "owner", "colleague", "other_applicant", "reviewer", "chair", "finance",
       "admin"]


@pytest.mark.parametrize(("who", "status"),
                         list(zip(WHO, [302, 404, 404, 404, 404, 404, 404, 404], strict=True)))
def test_who_gets_a_missing_agreements_pdf(client, login_as, funded, create_user, who,
                                           status):
    app = funded()
    user = person(who, app, create_user)
    if user is not None:
        login_as(user)
    # No agreement yet: nobody gets a PDF, and only the signed-out are asked to sign in.
    expect(client.get(f"/applications/{app.id}/agreement.pdf"), status)


@pytest.mark.parametrize(("who", "status"),
                         list(zip(WHO, [302, 200, 200, 404, 404, 200, 200, 200], strict=True)))
def test_who_gets_the_agreement_pdf(client, login_as, prepared, create_user, stub_pdf,
                                    who, status):
    user = person(who, prepared.application, create_user)
    if user is not None:
        login_as(user)
    response = client.get(f"/applications/{prepared.application_id}/agreement.pdf")
    expect(response, status)
    if status == 200:
        assert response.data == PDF_BYTES
        assert response.headers["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(("who", "status"),
                         list(zip(WHO, [302, 200, 200, 404, 404, 200, 200, 200], strict=True)))
def test_who_downloads_the_scan(client, login_as, with_scan, create_user, who, status):
    user = person(who, with_scan.application, create_user)
    if user is not None:
        login_as(user)
    response = client.get(f"/finance/agreements/{with_scan.id}/scan", buffered=True)
    expect(response, status)
    if status == 200:
        assert response.data == PDF_BYTES
        assert response.mimetype == "application/pdf"
        assert "signed.pdf" in response.headers["Content-Disposition"]
        assert "private" in response.headers["Cache-Control"]


def test_no_scan_no_download(client, login_as, prepared, finance):
    login_as(finance)
    assert client.get(f"/finance/agreements/{prepared.id}/scan").status_code == 404
    assert client.get("/finance/agreements/999999/scan").status_code == 404


@pytest.mark.parametrize(("who", "status"),
                         list(zip(WHO, [302, 403, 403, 403, 403, 200, 200, 403], strict=True)))
def test_who_opens_the_agreement_page(client, login_as, prepared, create_user, who, status):
    user = person(who, prepared.application, create_user)
    if user is not None:
        login_as(user)
    expect(client.get(agreement_url(prepared.application)), status)


@pytest.mark.parametrize(("who", "status"),
                         list(zip(WHO, [302, 403, 403, 403, 403, 403, 302, 403], strict=True)))
def test_who_prepares_an_agreement(client, db, login_as, funded, create_user, who, status):
    app = funded()
    user = person(who, app, create_user)
    if user is not None:
        login_as(user)
    response = client.post(agreement_url(app), data={"action": "prepare"})
    if who == "finance":
        assert response.status_code == 302 and "/login" not in response.headers["Location"]
        assert agreement_of(db, app) is not None
    else:
        expect(response, status)
        assert agreement_of(db, app) is None


@pytest.mark.parametrize(("who", "get_status", "post_status"), [
    ("anonymous", 302, 302), ("owner", 403, 403), ("reviewer", 403, 403),
    ("chair", 200, 403), ("finance", 200, None), ("admin", 200, None),
])
def test_who_opens_and_saves_the_settings(client, db, login_as, prepared, create_user, who,
                                          get_status, post_status):
    user = person(who, prepared.application, create_user)
    if user is not None:
        login_as(user)
    expect(client.get("/finance/settings"), get_status)
    response = client.post("/finance/settings", data=ADMINISTRATION)
    if post_status is None:  # allowed: saved, back to the page
        assert response.status_code == 302
        assert response.headers["Location"].endswith("/finance/settings")
        db.expire_all()
        assert service.administration_details(db).inn == ADMINISTRATION["inn"]
    else:
        expect(response, post_status)
        assert service.administration_details(db) is None
