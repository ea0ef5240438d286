"""Attachments of an application: the type is recognised by content, the sizes are limited,
files are stored outside static/ under names the server makes, downloads go only to those
who may see the application, and nothing changes once the application is submitted or the
call has closed."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from flask_babel import force_locale
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from portal.config import PROJECT_ROOT, load_config
from portal.db import utcnow
from portal.errors import ConflictError, DomainError
from portal.models import (
    ApplicationStatus,
    Attachment,
    AttachmentKind,
    AuditEvent,
    Role,
)
from portal.services.attachments import (
    DOCX,
    JPEG,
    PDF,
    PNG,
    XLSX,
    add_attachment,
    clean_file_name,
    format_size,
    remove_attachment,
    sniff_file_type,
)

# -- Small real files of each accepted type, made here ----------------------------------------


def make_pdf() -> bytes:
    """A one-page PDF with a correct cross-reference table."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


def make_image(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/{main}" ContentType="{type}"/>
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{main}"/>
</Relationships>"""  # noqa: E501


def make_zip(parts: dict[str, str | bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def make_docx(extra: dict[str, str | bytes] | None = None) -> bytes:
    main = "word/document.xml"
    return make_zip({
        "[Content_Types].xml": CONTENT_TYPES.format(
            main=main,
            type="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
        "_rels/.rels": ROOT_RELS.format(main=main),
        main: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
              "<w:body><w:p><w:r><w:t>Письмо поддержки</w:t></w:r></w:p></w:body></w:document>",
        **(extra or {}),
    })


def make_xlsx() -> bytes:
    main = "xl/workbook.xml"
    return make_zip({
        "[Content_Types].xml": CONTENT_TYPES.format(
            main=main, type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            ".main+xml"),
        "_rels/.rels": ROOT_RELS.format(main=main),
        main: '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
              '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
              'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
              '<sheets><sheet name="Смета" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels":
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="worksheets/sheet1.xml" Type="http://schemas.'
            'openxmlformats.org/officeDocument/2006/relationships/worksheet"/></Relationships>',
        "xl/worksheets/sheet1.xml":
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            "<sheetData/></worksheet>",
    })


PDF_BYTES = make_pdf()
ACCEPTED = [
    pytest.param(PDF_BYTES, "письмо.pdf", PDF, id="pdf"),
    pytest.param(make_image("PNG"), "фото.png", PNG, id="png"),
    pytest.param(make_image("JPEG"), "фото.jpg", JPEG, id="jpeg"),
    pytest.param(make_docx(), "письмо.docx", DOCX, id="docx"),
    pytest.param(make_xlsx(), "смета.xlsx", XLSX, id="xlsx"),
]
REFUSED = [
    pytest.param(b"Just some text, honestly a PDF.\n", "letter.pdf", id="text-as-pdf"),
    pytest.param(b"<!doctype html><html><script>alert(1)</script></html>", "quote.pdf",
                 id="html-as-pdf"),
    pytest.param(b"\x7fELF\x02\x01\x01\x00" + bytes(200), "letter.docx", id="elf-as-docx"),
    pytest.param(b"MZ\x90\x00\x03\x00\x00\x00" + bytes(200), "letter.docx", id="exe-as-docx"),
    pytest.param(make_zip({"readme.txt": "not an office file"}), "letter.docx",
                 id="zip-not-office"),
    pytest.param(make_zip({"[Content_Types].xml": "<Types/>", "word/styles.xml": "<x/>"}),
                 "letter.docx", id="zip-without-main-part"),
    pytest.param(b"PK\x03\x04" + bytes(100), "letter.docx", id="broken-zip"),
    pytest.param(b"GIF89a" + bytes(50), "photo.png", id="gif-as-png"),
    pytest.param(b"%PD", "tiny.pdf", id="truncated-signature"),
]

MB = 1024 * 1024


# -- Fixtures --------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def upload_dir(app, tmp_path, monkeypatch) -> Path:
    """Each test stores its files in a directory of its own."""
    directory = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", str(directory))
    return directory


@pytest.fixture
def limits(app, monkeypatch):
    """Set the size limits (bytes) for one test: per file, per application, per request."""

    def set_limits(*, file: int | None = None, total: int | None = None,
                   request: int | None = None) -> None:
        for key, value in (("ATTACHMENT_MAX_BYTES", file),
                           ("ATTACHMENTS_MAX_TOTAL_BYTES", total),
                           ("MAX_CONTENT_LENGTH", request)):
            if value is not None:
                monkeypatch.setitem(app.config, key, value)

    return set_limits


@pytest.fixture
def draft(create_application):
    return create_application()


def upload(client, app, content: bytes, name: str, kind: str = "support_letter",
           content_type: str = "application/octet-stream"):
    # The body is made in memory: for large files the test client would spool it to a
    # temporary file that nobody closes.
    boundary, body = encode_multipart({
        "kind": kind,
        "file": FileStorage(io.BytesIO(content), filename=name, content_type=content_type),
    })
    return client.post(f"/applications/{app.id}/attachments", data=body,
                       content_type=f"multipart/form-data; boundary={boundary}")


def download(client, app, attachment_id: int):
    # buffered: the response is read and its file closed, as a WSGI server would.
    return client.get(f"/applications/{app.id}/attachments/{attachment_id}", buffered=True)


def attachments_of(db, app) -> list[Attachment]:
    db.expire_all()
    return list(db.scalars(select(Attachment).where(Attachment.application_id == app.id)
                           .order_by(Attachment.id)))


def stored_files(directory: Path) -> list[Path]:
    return sorted(directory.iterdir()) if directory.exists() else []


def page_text(response) -> str:
    return response.get_data(as_text=True).replace("\u00a0", " ")


def file_error(response) -> str:
    """The message shown beside the upload field."""
    match = re.search(r'<div class="invalid-feedback d-block" id="file-error">(.*?)</div>',
                      page_text(response), re.S)
    assert match, "no error beside the file field"
    return match.group(1)


# -- Sniffing and names, without a request -------------------------------------------------

@pytest.mark.parametrize(("content", "name", "expected"), ACCEPTED)
def test_each_accepted_type_is_recognised_by_content(content, name, expected):
    assert sniff_file_type(io.BytesIO(content)) is expected


@pytest.mark.parametrize(("content", "name"), REFUSED)
def test_other_content_is_refused_whatever_its_name(ctx, content, name):
    with pytest.raises(DomainError) as refused:
        sniff_file_type(io.BytesIO(content))
    assert refused.value.field == "file"
    assert "not a PDF, DOCX, XLSX, JPEG or PNG file" in str(refused.value)


def test_office_file_with_macros_is_refused(ctx):
    with pytest.raises(DomainError, match="macros"):
        sniff_file_type(io.BytesIO(make_docx({"word/vbaProject.bin": b"\x00" * 10})))


@pytest.mark.parametrize(("raw", "file_type", "expected"), [
    ("Письмо поддержки.pdf", PDF, "Письмо поддержки.pdf"),
    ("../../etc/passwd.pdf", PDF, "passwd.pdf"),
    ("..\\..\\Windows\\system.ini.pdf", PDF, "system.ini.pdf"),
    ("C:\\Users\\Мария\\Desktop\\смета.xlsx", XLSX, "смета.xlsx"),
    ("../..", PDF, "attachment.pdf"),
    ("", PNG, "attachment.png"),
    (None, PNG, "attachment.png"),
    ("bad\x00na\x1fme\x7f.pdf", PDF, "badname.pdf"),
    ("photo\u202egpj.exe", JPEG, "photogpj.exe.jpg"),  # a right-to-left override trick
    ('a<b>c:"d"|e?f*.pdf', PDF, "a_b_c__d__e_f_.pdf"),
    ("  spaced   out  .pdf  ", PDF, "spaced out.pdf"),
    ("photo.JPG", JPEG, "photo.JPG"),
    ("photo.jpeg", JPEG, "photo.jpeg"),
    ("scan.pdf", PNG, "scan.pdf.png"),  # the extension always matches the content
    ("report", DOCX, "report.docx"),
    (".htaccess", PDF, "htaccess.pdf"),
])
def test_file_names_are_cleaned(ctx, raw, file_type, expected):
    assert clean_file_name(raw, file_type) == expected


def test_long_names_are_shortened_keeping_the_extension(ctx):
    name = clean_file_name("я" * 400 + ".docx", DOCX)
    assert len(name) == 255 and name.endswith("я.docx")
    name = clean_file_name("я" * 400, PDF)
    assert len(name) == 255 and name.endswith(".pdf")


@pytest.mark.parametrize(("size", "expected"), [
    (10 * MB, "10 MB"), (30 * MB, "30 MB"), (int(2.35 * MB), "2.3 MB"), (1536, "1.5 KB"),
    (1023, "1023 bytes"), (1, "1 byte"), (0, "0 bytes"), (1100 * MB, "1,100 MB"),
])
def test_sizes_are_written_for_people(app, size, expected):
    with app.test_request_context(), force_locale("en"):
        assert format_size(size) == expected


def test_upload_dir_defaults_to_the_instance_folder_outside_static(monkeypatch):
    monkeypatch.delenv("PORTAL_UPLOAD_DIR", raising=False)
    assert load_config("/srv/vektor/instance")["UPLOAD_DIR"] == "/srv/vektor/instance/uploads"
    monkeypatch.setenv("PORTAL_UPLOAD_DIR", "/var/lib/vektor/files")
    config = load_config("/srv/vektor/instance")
    assert config["UPLOAD_DIR"] == "/var/lib/vektor/files"
    assert config["ATTACHMENT_MAX_BYTES"] == 10 * MB
    assert config["ATTACHMENTS_MAX_TOTAL_BYTES"] == 30 * MB


# -- Upload ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("content", "name", "expected"), ACCEPTED)
def test_each_accepted_type_is_stored_and_downloadable(client, db, login_as, draft, upload_dir,
                                                       content, name, expected):
    login_as(draft.created_by)
    response = upload(client, draft, content, name, kind="price_quote")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/applications/{draft.id}/attachments")
    (attachment,) = attachments_of(db, draft)
    assert attachment.kind == AttachmentKind.PRICE_QUOTE
    assert attachment.original_name == name
    assert attachment.content_type == expected.content_type
    assert attachment.size_bytes == len(content)
    assert attachment.uploaded_by_id == draft.created_by_id
    assert (upload_dir / attachment.stored_name).read_bytes() == content

    got = download(client, draft, attachment.id)
    assert got.status_code == 200
    assert got.data == content
    assert got.mimetype == expected.content_type


def test_stored_content_type_comes_from_the_content_not_the_browser(client, db, login_as,
                                                                    draft):
    login_as(draft.created_by)
    response = upload(client, draft, make_image("PNG"), "photo.png", content_type="text/html")
    assert response.status_code == 302
    (attachment,) = attachments_of(db, draft)
    assert attachment.content_type == "image/png"


def test_files_are_stored_outside_static_under_random_names(client, db, login_as, draft, app,
                                                            upload_dir):
    login_as(draft.created_by)
    for _ in range(2):
        assert upload(client, draft, PDF_BYTES, "письмо.pdf").status_code == 302
    first, second = attachments_of(db, draft)
    for attachment in (first, second):
        assert re.fullmatch(r"[0-9a-f]{32}", attachment.stored_name)
        path = (upload_dir / attachment.stored_name).resolve()
        assert path.is_file()
        assert not path.is_relative_to((PROJECT_ROOT / "static").resolve())
        assert not path.is_relative_to(Path(app.static_folder).resolve())
    assert first.stored_name != second.stored_name
    assert [p.name for p in stored_files(upload_dir)] == sorted(
        [first.stored_name, second.stored_name])
    assert "письмо" not in "".join(p.name for p in stored_files(upload_dir))


def test_default_upload_dir_is_outside_static(app):
    default = Path(load_config(app.instance_path)["UPLOAD_DIR"]).resolve()
    assert default == (Path(app.instance_path) / "uploads").resolve()
    assert not default.is_relative_to(Path(app.static_folder).resolve())


@pytest.mark.parametrize(("content", "name"), REFUSED)
def test_wrong_content_is_refused_beside_the_field(client, db, login_as, draft, upload_dir,
                                                   content, name):
    login_as(draft.created_by)
    response = upload(client, draft, content, name)
    assert response.status_code == 422
    assert "not a PDF, DOCX, XLSX, JPEG or PNG file" in file_error(response)
    assert 'id="error-summary"' in page_text(response)
    assert attachments_of(db, draft) == []
    assert stored_files(upload_dir) == []


def test_missing_file_is_a_form_error(client, db, login_as, draft):
    login_as(draft.created_by)
    response = client.post(f"/applications/{draft.id}/attachments",
                           data={"kind": "photo"}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "Choose a file to upload." in file_error(response)


def test_unknown_kind_is_a_form_error(client, db, login_as, draft, upload_dir):
    login_as(draft.created_by)
    response = upload(client, draft, PDF_BYTES, "a.pdf", kind="invoice")
    assert response.status_code == 422
    assert 'id="kind-error"' in page_text(response)
    assert attachments_of(db, draft) == [] and stored_files(upload_dir) == []


def test_empty_file_is_refused(client, db, login_as, draft, upload_dir):
    login_as(draft.created_by)
    response = upload(client, draft, b"", "empty.pdf")
    assert response.status_code == 422
    assert "The file is empty." in file_error(response)
    assert stored_files(upload_dir) == []


def test_file_over_ten_megabytes_is_refused_naming_the_limit(client, db, login_as, draft,
                                                             upload_dir):
    login_as(draft.created_by)
    content = PDF_BYTES + b"\0" * (10 * MB + 1 - len(PDF_BYTES))
    response = upload(client, draft, content, "big.pdf")
    assert response.status_code == 422
    assert "larger than 10 MB" in file_error(response)
    assert attachments_of(db, draft) == []
    assert stored_files(upload_dir) == []


def test_file_of_exactly_the_limit_is_accepted(client, db, login_as, draft, limits):
    limits(file=4096)
    login_as(draft.created_by)
    content = PDF_BYTES + b"\0" * (4096 - len(PDF_BYTES))
    assert upload(client, draft, content, "exact.pdf").status_code == 302
    assert attachments_of(db, draft)[0].size_bytes == 4096


def test_request_over_the_request_limit_gets_the_413_page(client, db, login_as, draft, limits,
                                                          upload_dir):
    limits(file=8 * 1024, request=16 * 1024)
    login_as(draft.created_by)
    response = upload(client, draft, PDF_BYTES + b"\0" * 32 * 1024, "huge.pdf")
    assert response.status_code == 413
    assert "The file is too large" in page_text(response)
    assert attachments_of(db, draft) == []
    assert stored_files(upload_dir) == []


def test_total_per_application_is_limited_naming_the_room_left(client, db, login_as, draft,
                                                               limits, upload_dir):
    limits(file=3 * 1024, total=5 * 1024)
    login_as(draft.created_by)
    first = PDF_BYTES + b"\0" * (3 * 1024 - len(PDF_BYTES))
    assert upload(client, draft, first, "first.pdf").status_code == 302
    response = upload(client, draft, first, "second.pdf")
    assert response.status_code == 422
    message = file_error(response)
    assert "5 KB in all" in message and "2 KB is left" in message and "takes 3 KB" in message
    assert [a.original_name for a in attachments_of(db, draft)] == ["first.pdf"]
    assert len(stored_files(upload_dir)) == 1
    # What is left still fits.
    second = PDF_BYTES + b"\0" * (2 * 1024 - len(PDF_BYTES))
    assert upload(client, draft, second, "second.pdf").status_code == 302
    assert len(attachments_of(db, draft)) == 2


def test_totals_are_per_application(client, db, login_as, create_application, limits):
    limits(file=3 * 1024, total=4 * 1024)
    first_app = create_application()
    other_app = create_application(organisation=first_app.organisation)
    content = PDF_BYTES + b"\0" * (3 * 1024 - len(PDF_BYTES))
    login_as(first_app.created_by)
    assert upload(client, first_app, content, "a.pdf").status_code == 302
    assert upload(client, other_app, content, "b.pdf").status_code == 302


def test_a_refused_upload_loses_nothing_already_saved(client, db, login_as, draft, upload_dir):
    login_as(draft.created_by)
    assert upload(client, draft, PDF_BYTES, "kept.pdf").status_code == 302
    (kept,) = attachments_of(db, draft)
    kept_file = upload_dir / kept.stored_name

    response = upload(client, draft, b"<html></html>", "evil.pdf")
    assert response.status_code == 422
    assert "kept.pdf" in page_text(response)  # the list is still shown beside the error
    assert [a.id for a in attachments_of(db, draft)] == [kept.id]
    assert kept_file.read_bytes() == PDF_BYTES
    assert stored_files(upload_dir) == [kept_file]


@pytest.mark.parametrize(("sent", "expected"), [
    ("../../../etc/passwd.pdf", "passwd.pdf"),
    # A quoted header value escapes backslashes: the server reads ..\..\..\boot\evil.pdf.
    ("..\\\\..\\\\..\\\\boot\\\\evil.pdf", "evil.pdf"),
])
def test_path_in_the_name_is_stored_and_offered_back_safely(client, db, login_as, draft,
                                                            upload_dir, sent, expected):
    login_as(draft.created_by)
    assert upload(client, draft, PDF_BYTES, sent).status_code == 302
    (attachment,) = attachments_of(db, draft)
    assert attachment.original_name == expected
    assert stored_files(upload_dir) == [upload_dir / attachment.stored_name]
    got = download(client, draft, attachment.id)
    disposition = got.headers["Content-Disposition"]
    assert disposition == f"attachment; filename={expected}"
    assert ".." not in disposition and "/" not in disposition and "\\" not in disposition


# -- Download --------------------------------------------------------------------------------

@pytest.fixture
def attached(db, attach, draft):
    return draft, attach(draft, PDF_BYTES, "Письмо поддержки.pdf")


@pytest.fixture
def attach(app, db, upload_dir):
    """Attach a file through the service, as the application's author, and commit it into
    the test's transaction."""

    def attach(target, content: bytes, name: str) -> Attachment:
        with app.test_request_context():
            attachment = add_attachment(
                db, target, FileStorage(io.BytesIO(content), filename=name),
                AttachmentKind.SUPPORT_LETTER, actor=target.created_by, upload_dir=upload_dir,
            )
            db.commit()
        return attachment

    return attach


def test_download_headers(client, login_as, attached):
    app, attachment = attached
    login_as(app.created_by)
    response = download(client, app, attachment.id)
    assert response.status_code == 200
    assert response.data == PDF_BYTES
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('Письмо поддержки.pdf')}" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cache = response.headers["Cache-Control"]
    assert "private" in cache and "public" not in cache and "no-cache" in cache


def test_download_asks_anonymous_visitors_to_sign_in(client, attached):
    app, attachment = attached
    response = download(client, app, attachment.id)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_download_is_hidden_from_another_library(client, login_as, create_user, attached):
    app, attachment = attached
    login_as(create_user(Role.APPLICANT))
    assert download(client, app, attachment.id).status_code == 404
    assert client.get(f"/applications/{app.id}/attachments").status_code == 404


def test_colleague_of_the_same_library_may_download(client, login_as, create_user, attached):
    app, attachment = attached
    login_as(create_user(Role.APPLICANT, organisation=app.organisation))
    assert download(client, app, attachment.id).status_code == 200


def test_chair_sees_a_draft_s_files_only_after_submission(client, db, login_as, create_user,
                                                         attached):
    app, attachment = attached
    login_as(create_user(Role.CHAIR))
    assert download(client, app, attachment.id).status_code == 404
    from portal.services.applications import submit_application

    with client.application.test_request_context():
        submit_application(db, app, actor=app.created_by)
        db.commit()
    response = download(client, app, attachment.id)
    assert response.status_code == 200 and response.data == PDF_BYTES
    page = client.get(f"/applications/{app.id}/attachments")
    assert page.status_code == 200
    assert "Письмо поддержки.pdf" in page_text(page)
    assert 'enctype="multipart/form-data"' not in page_text(page)
    assert "/delete" not in page_text(page)


def test_attachment_of_another_application_is_not_found_under_this_one(
        client, login_as, create_application, attach, attached):
    app, attachment = attached
    other = create_application(organisation=app.organisation)
    foreign = attach(other, PDF_BYTES, "other.pdf")
    login_as(app.created_by)
    assert download(client, app, foreign.id).status_code == 404
    assert download(client, other, attachment.id).status_code == 404
    assert download(client, app, 999999).status_code == 404
    assert client.post(
        f"/applications/{app.id}/attachments/{foreign.id}/delete").status_code == 404


def test_missing_application_is_not_found(client, login_as, create_user):
    login_as(create_user(Role.APPLICANT))
    assert client.get("/applications/999999/attachments").status_code == 404
    assert client.get("/applications/999999/attachments/1").status_code == 404


# -- The page --------------------------------------------------------------------------------

def test_page_lists_the_files_and_offers_the_form(client, login_as, attached):
    app, attachment = attached
    login_as(app.created_by)
    response = client.get(f"/applications/{app.id}/attachments")
    assert response.status_code == 200
    html = page_text(response)
    assert "Letter of support" in html and "Письмо поддержки.pdf" in html
    assert f'href="/applications/{app.id}/attachments/{attachment.id}"' in html
    assert f'action="/applications/{app.id}/attachments/{attachment.id}/delete"' in html
    assert f'href="/applications/{app.id}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert '<label class="form-label" for="file">' in html
    assert '<label class="form-label" for="kind">' in html
    assert "up to 10 MB each" in html
    assert 'accept=".pdf,.docx,.xlsx,.jpg,.jpeg,.png"' in html
    assert "30 MB" in html


def test_page_asks_anonymous_visitors_to_sign_in(client, draft):
    response = client.get(f"/applications/{draft.id}/attachments")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_upload_and_delete_ask_anonymous_visitors_to_sign_in(client, db, attached):
    app, attachment = attached
    assert upload(client, app, PDF_BYTES, "a.pdf").status_code == 302
    assert client.post(
        f"/applications/{app.id}/attachments/{attachment.id}/delete").status_code == 302
    assert len(attachments_of(db, app)) == 1


# -- Refused changes -------------------------------------------------------------------------

def test_another_library_can_neither_upload_nor_delete(client, db, login_as, create_user,
                                                       attached):
    app, attachment = attached
    login_as(create_user(Role.APPLICANT))
    assert upload(client, app, PDF_BYTES, "a.pdf").status_code == 404
    assert client.post(
        f"/applications/{app.id}/attachments/{attachment.id}/delete").status_code == 404
    assert [a.id for a in attachments_of(db, app)] == [attachment.id]


def test_nothing_changes_after_submission(client, db, login_as, create_application, upload_dir,
                                          attach):
    app = create_application()
    attachment = attach(app, PDF_BYTES, "before.pdf")
    from portal.services.applications import submit_application

    with client.application.test_request_context():
        submit_application(db, app, actor=app.created_by)
        db.commit()
    login_as(app.created_by)
    response = upload(client, app, PDF_BYTES, "after.pdf")
    assert response.status_code == 409
    assert "has been submitted and can no longer be changed" in page_text(response)
    response = client.post(f"/applications/{app.id}/attachments/{attachment.id}/delete")
    assert response.status_code == 409
    assert [a.id for a in attachments_of(db, app)] == [attachment.id]
    assert stored_files(upload_dir) == [upload_dir / attachment.stored_name]
    page = page_text(client.get(f"/applications/{app.id}/attachments"))
    assert 'enctype="multipart/form-data"' not in page and "before.pdf" in page


def test_submitted_application_from_the_factory_refuses_uploads(client, login_as,
                                                                create_application):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    login_as(app.created_by)
    assert upload(client, app, PDF_BYTES, "late.pdf").status_code == 409


def test_nothing_changes_after_the_call_closes(client, db, login_as, create_call,
                                               create_application, attach, upload_dir):
    call = create_call(closes_at=utcnow() + timedelta(hours=1))
    app = create_application(call=call)
    attachment = attach(app, PDF_BYTES, "in time.pdf")
    login_as(app.created_by)
    with time_machine.travel(call.closes_at + timedelta(seconds=1), tick=False):
        response = upload(client, app, PDF_BYTES, "late.pdf")
        assert response.status_code == 409
        assert "The call closed for applications" in page_text(response)
        response = client.post(f"/applications/{app.id}/attachments/{attachment.id}/delete")
        assert response.status_code == 409
        # Still downloadable, without the form.
        assert download(client, app, attachment.id).status_code == 200
        page = page_text(client.get(f"/applications/{app.id}/attachments"))
        assert 'enctype="multipart/form-data"' not in page
    assert [a.id for a in attachments_of(db, app)] == [attachment.id]
    assert stored_files(upload_dir) == [upload_dir / attachment.stored_name]


def test_upload_in_the_last_second_is_accepted(client, db, login_as, create_call,
                                               create_application):
    call = create_call(closes_at=utcnow() + timedelta(hours=1))
    app = create_application(call=call)
    login_as(app.created_by)
    with time_machine.travel(call.closes_at - timedelta(seconds=1), tick=False):
        assert upload(client, app, PDF_BYTES, "just in time.pdf").status_code == 302
    assert len(attachments_of(db, app)) == 1


# -- Delete and the audit log ----------------------------------------------------------------

def test_upload_and_delete_are_audited_and_delete_removes_the_file(client, db, login_as, draft,
                                                                   upload_dir):
    login_as(draft.created_by)
    assert upload(client, draft, PDF_BYTES, "письмо.pdf").status_code == 302
    (attachment,) = attachments_of(db, draft)
    attachment_id, path = attachment.id, upload_dir / attachment.stored_name
    added = db.scalars(select(AuditEvent).where(
        AuditEvent.action == "application.attachment_added")).one()
    assert (added.actor_id, added.object_type, added.object_id) == (
        draft.created_by_id, "application", str(draft.id))
    assert added.details["attachment_id"] == attachment_id
    assert added.details["name"] == "письмо.pdf"
    assert added.details["size_bytes"] == len(PDF_BYTES)
    assert added.details["sha256"] == attachment.sha256

    response = client.post(f"/applications/{draft.id}/attachments/{attachment_id}/delete")
    assert response.status_code == 302
    assert attachments_of(db, draft) == []
    assert not path.exists()
    removed = db.scalars(select(AuditEvent).where(
        AuditEvent.action == "application.attachment_removed")).one()
    assert (removed.actor_id, removed.object_id) == (draft.created_by_id, str(draft.id))
    assert removed.details["attachment_id"] == attachment_id
    assert removed.details["name"] == "письмо.pdf"


def test_delete_by_get_is_not_allowed(client, login_as, attached):
    app, attachment = attached
    login_as(app.created_by)
    response = client.get(f"/applications/{app.id}/attachments/{attachment.id}/delete")
    assert response.status_code == 405


# -- Files follow the transaction ------------------------------------------------------------

def test_a_rolled_back_upload_leaves_no_file(app, db, draft, upload_dir):
    with app.test_request_context():
        add_attachment(db, draft, FileStorage(io.BytesIO(PDF_BYTES), filename="x.pdf"),
                       "photo", actor=draft.created_by, upload_dir=upload_dir)
        assert len(stored_files(upload_dir)) == 1
        db.rollback()
    assert stored_files(upload_dir) == []


def test_a_rolled_back_removal_keeps_the_file(app, db, draft, upload_dir, attach):
    attachment = attach(draft, PDF_BYTES, "x.pdf")
    path = upload_dir / attachment.stored_name
    with app.test_request_context():
        remove_attachment(db, attachment, actor=draft.created_by, upload_dir=upload_dir)
        db.rollback()
    assert path.is_file()
    with app.test_request_context():
        remove_attachment(db, db.get(Attachment, attachment.id), actor=draft.created_by,
                          upload_dir=upload_dir)
        assert path.is_file()  # until the commit
        db.commit()
    assert not path.exists()


def test_service_refuses_someone_who_may_not_edit(app, db, draft, create_user, upload_dir):
    outsider = create_user(Role.APPLICANT)
    with app.test_request_context(), pytest.raises(PermissionError):
        add_attachment(db, draft, FileStorage(io.BytesIO(PDF_BYTES), filename="x.pdf"),
                       "photo", actor=outsider, upload_dir=upload_dir)
    assert stored_files(upload_dir) == []


def test_service_refuses_a_submitted_application(app, db, create_application, upload_dir):
    submitted = create_application(status=ApplicationStatus.SUBMITTED)
    with app.test_request_context(), pytest.raises(ConflictError):
        add_attachment(db, submitted, FileStorage(io.BytesIO(PDF_BYTES), filename="x.pdf"),
                       "photo", actor=submitted.created_by, upload_dir=upload_dir)
    assert stored_files(upload_dir) == []
