"""PDF documents: what they print equals what the portal computes, they are what they say
(A4, page numbers, embedded fonts, DRAFT on every page of a draft), only those who may see
the application get them, the renderer never fetches what applicants type, and a render
that runs too long or too big is stopped."""

from __future__ import annotations

import gc
import hashlib
import io
import multiprocessing
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.request import Request

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from pypdf import PdfReader
from sqlalchemy.orm import Session

import portal.pdf
from portal.labels import BUDGET_CATEGORY_LABELS
from portal.models import ApplicationStatus, Attachment, AttachmentKind, BudgetCategory, Role
from portal.money import format_money, format_number, format_percent, summarise_budget
from portal.pdf import (
    STATIC_ROOT,
    FetchRefused,
    PdfMemoryLimitExceeded,
    PdfRenderError,
    PdfTimeLimitExceeded,
    PortalFetcher,
    html_to_pdf,
    portal_fetcher,
    static_url,
)

# Set to a folder to keep the PDFs the tests produce, to look at them.
SAVE_DIR = os.environ.get("PORTAL_TEST_SAVE_PDF")

A4 = (595.28, 841.89)  # points

# Figures with kopecks, groups of thousands and two lines in one category; the call's rules
# hold (999 999,99 ₽ requested of at most 1 000 000 ₽, 35,63 % co-financing).
BUDGET = (
    ("equipment", "3", "123456.79", "300000.00", "70370.37", "0.00"),
    ("informatisation", "2.5", "80000.10", "150000.25", "0.00", "50000.00"),
    ("acquisitions", "1000", "456.78", "400000.00", "56780.00", "0.00"),
    ("acquisitions", "7", "1999.99", "0.00", "13999.93", "0.00"),
    ("events", "1", "512345.67", "149999.74", "300000.00", "62345.93"),
)

INJECTIONS = (
    '<img src="file:///etc/passwd">',
    '<link rel=stylesheet href="http://127.0.0.1:9/x.css">',
    "<style>@import url(http://169.254.169.254/)</style>",
)


# --- helpers ------------------------------------------------------------------------------


def squash(text: str) -> str:
    """Whitespace of any kind (spaces, no-break spaces, line ends) as single spaces: pypdf
    and the formatter need not agree on which space separates groups of digits."""
    return " ".join(text.split())


def read_pdf(content: bytes, name: str = "") -> PdfReader:
    if SAVE_DIR and name:
        Path(SAVE_DIR, name).write_bytes(content)
    return PdfReader(io.BytesIO(content))


def page_texts(reader: PdfReader) -> list[str]:
    return [squash(page.extract_text()) for page in reader.pages]


def sign_in(client: FlaskClient, user: Any) -> FlaskClient:
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


def get_pdf(client: FlaskClient, app: Any, kind: str, save_as: str = "") -> PdfReader:
    response = client.get(f"/applications/{app.id}/{kind}.pdf")
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    return read_pdf(response.data, save_as)


@pytest.fixture
def tr(app: Flask) -> Callable[..., str]:
    """A message as the portal prints it in `locale` (English, or Russian as far as the
    catalogue translates it)."""

    def translate(locale: str, message: Any, **variables: Any) -> str:
        with app.test_request_context(), force_locale(locale):
            text = gettext(message, **variables) if isinstance(message, str) else str(message)
        return squash(text)

    return translate


def money(amount: Decimal, locale: str) -> str:
    return squash(format_money(amount, locale))


def percent(value: Decimal, locale: str) -> str:
    return squash(format_percent(value, locale))


@pytest.fixture(params=["en", "ru"])
def locale_client(request: pytest.FixtureRequest) -> tuple[str, FlaskClient]:
    """The English client and the Russian one (the default language)."""
    return request.param, request.getfixturevalue("client" if request.param == "en"
                                                   else "ru_client")


FONTS_CSS = static_url(portal.pdf.FONTS_STYLESHEET)
FONT_URLS = {static_url("fonts/DejaVuSans.ttf"), static_url("fonts/DejaVuSans-Bold.ttf")}
# What a render may fetch: the fonts' stylesheet, and the fonts themselves when this process
# has not loaded them yet (they are loaded once per process, see portal.pdf.shared_fonts).
RENDERER_URLS = {FONTS_CSS} | FONT_URLS


# --- the budget: every figure as the portal computes it -------------------------------------


def test_budget_pdf_prints_the_figures_the_portal_computes(
    locale_client, create_application, tr
):
    locale, client = locale_client
    app = create_application(status=ApplicationStatus.SUBMITTED, budget=BUDGET)
    summary = summarise_budget(app.budget_lines)
    reader = get_pdf(sign_in(client, app.created_by), app, "budget", f"budget-{locale}.pdf")
    pages = page_texts(reader)
    text = " ".join(pages)

    assert app.registration_number and all(app.registration_number in p for p in pages)
    assert squash(app.call.title) in text

    categories = [c for c in BudgetCategory if c in summary.by_category]
    assert len(categories) == 4  # two lines of acquisitions make one subtotal
    for number, category in enumerate(categories, start=1):
        sub = summary.by_category[category]
        assert f"{number}. {tr(locale, BUDGET_CATEGORY_LABELS[category])}" in text
        row = " ".join(money(x, locale) for x in (sub.total, sub.requested, sub.own, sub.partner))
        assert f"{tr(locale, 'Subtotal, section %(number)s', number=number)} {row}" in text

    for line, total in zip(app.budget_lines, summary.line_totals, strict=True):
        assert (f"{squash(format_number(line.quantity, locale))} {money(line.unit_price, locale)} "
                f"{money(total, locale)} {money(line.requested_amount, locale)}") in text

    overall = summary.overall
    grand = " ".join(money(x, locale) for x in (overall.total, overall.requested, overall.own,
                                                overall.partner))
    assert f"{tr(locale, 'Total for the budget')} {grand}" in text
    assert summary.total == Decimal("1553496.22")  # the fixture's own arithmetic, checked
    for label, amount in (("Requested from the municipality", overall.requested),
                          ("Library's own funds", overall.own),
                          ("Partners' funds", overall.partner)):
        share = Decimal(100) * amount / overall.total
        assert (f"{tr(locale, label)} {money(amount, locale)} "
                f"{percent(share.quantize(Decimal('0.01')), locale)}") in text
    assert (f"{tr(locale, 'Total cost of the project')} {money(overall.total, locale)}") in text
    cofinancing = tr(locale, "Co-financing share (own plus partners' funds)")
    assert f"{cofinancing} {percent(summary.cofinancing_percent, locale)}" in text
    assert (f"{tr(locale, 'Amount requested from the municipality')} "
            f"{money(summary.requested, locale)}") in text
    assert money(summary.requested, locale) == money(Decimal("999999.99"), locale)


def test_application_pdf_holds_the_whole_application(
    locale_client, create_application, db: Session, tr
):
    locale, client = locale_client
    app = create_application(
        status=ApplicationStatus.SUBMITTED, budget=BUDGET,
        problem="Подростки мало читают.\nВторой абзац: «ёлки-палки», № 5, 12–17 лет.",
    )
    db.add(Attachment(application=app, kind=AttachmentKind.SUPPORT_LETTER,
                      original_name="Письмо поддержки школы № 1.pdf", stored_name="a" * 32,
                      content_type="application/pdf", size_bytes=1234, sha256="0" * 64))
    db.flush()
    summary = summarise_budget(app.budget_lines)
    reader = get_pdf(sign_in(client, app.created_by), app, "application",
                     f"application-{locale}.pdf")
    text = " ".join(page_texts(reader))

    for expected in (
        app.registration_number, app.title, app.direction, app.summary, app.goals, app.tasks,
        app.target_groups, "Подростки мало читают.", "Второй абзац: «ёлки-палки», № 5, 12–17 лет.",
        app.organisation.full_name, app.organisation.inn,
        f"{app.activities[0].title} {app.activities[0].start_date:%d.%m.%Y} "
        f"{app.activities[0].end_date:%d.%m.%Y}",
        f"{app.partners[0].name} {app.partners[0].role} {app.partners[0].contribution}",
        f"{app.indicators[0].name} {app.indicators[0].unit} 0 300",
        "Письмо поддержки школы № 1.pdf",
        tr(locale, "Application for the call"),
        tr(locale, "Generated on %(moment)s", moment="").rstrip(),
    ):
        assert squash(expected) in text, expected

    for category, sub in summary.by_category.items():
        row = " ".join(money(x, locale) for x in (sub.requested, sub.own, sub.partner, sub.total))
        assert row in text, category
    overall = summary.overall
    assert " ".join(money(x, locale) for x in (overall.requested, overall.own, overall.partner,
                                                overall.total)) in text
    assert percent(summary.cofinancing_percent, locale) in text
    assert tr(locale, "DRAFT — not submitted") not in text


def test_russian_pdf_writes_amounts_the_russian_way(ru_client, create_application):
    app = create_application(status=ApplicationStatus.SUBMITTED, budget=BUDGET)
    text = " ".join(page_texts(get_pdf(sign_in(ru_client, app.created_by), app, "budget")))
    assert "1 553 496,22 ₽" in text  # the grand total, as format_money writes it in Russian
    assert "999 999,99 ₽" in text
    assert "35,63 %" in text
    assert "1,553,496.22" not in text


# --- the document's form -------------------------------------------------------------------


def long_draft(create_application: Callable[..., Any]) -> Any:
    lines = tuple(
        (list(BudgetCategory)[n % 5].value, "2", f"{1000 + n}.50", f"{1000 + n}.00",
         f"{1000 + n}.00", "1.00")
        for n in range(40)
    )
    return create_application(
        budget=lines, problem="\n".join(f"Абзац {n}: подростки мало читают." for n in range(60)),
    )


@pytest.mark.parametrize("kind", ["application", "budget"])
def test_a_draft_is_marked_on_every_page(locale_client, create_application, tr, kind):
    locale, client = locale_client
    app = long_draft(create_application)
    response = sign_in(client, app.created_by).get(f"/applications/{app.id}/{kind}.pdf")
    assert response.status_code == 200
    assert f'filename={kind}-draft-{app.id}.pdf' in response.headers["Content-Disposition"]
    pages = page_texts(read_pdf(response.data, f"{kind}-draft-{locale}.pdf"))
    assert len(pages) >= 2
    mark = tr(locale, "DRAFT — not submitted")
    for number, page in enumerate(pages, start=1):
        assert mark in page, f"no DRAFT mark on page {number}"
        assert tr(locale, "no registration number yet") in page


@pytest.mark.parametrize("kind", ["application", "budget"])
def test_pages_are_a4_numbered_and_carry_the_header_and_footer(
    locale_client, create_application, tr, kind
):
    locale, client = locale_client
    app = long_draft(create_application)
    reader = get_pdf(sign_in(client, app.created_by), app, kind)
    pages = page_texts(reader)
    assert len(pages) >= 2
    for number, (page, text) in enumerate(zip(reader.pages, pages, strict=True), start=1):
        size = sorted((float(page.mediabox.width), float(page.mediabox.height)))
        assert size == pytest.approx(A4, abs=0.5)
        landscape = page.mediabox.width > page.mediabox.height
        assert landscape == (kind == "budget")
        assert tr(locale, "Page %(n)d of %(m)d", n=number, m=len(pages)) in text
        assert tr(locale, "Generated on %(moment)s", moment="").rstrip() in text
        assert " MSK" in text
        assert app.call.code in text


def test_fonts_are_the_portals_own_and_embedded(client, create_application, spy):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    reader = get_pdf(sign_in(client, app.created_by), app, "application")
    names = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert font["/Subtype"] == "/Type0"
            descendant = font["/DescendantFonts"][0].get_object()
            descriptor = descendant["/FontDescriptor"].get_object()
            assert "/FontFile2" in descriptor, f"{font['/BaseFont']} is not embedded"
            names.add(str(font["/BaseFont"]).split("+", 1)[1])
    # The @font-face fonts from static/fonts, not whatever the machine has installed.
    assert names == {"Vektor-Sans", "Vektor-Sans-Bold"}
    assert FONTS_CSS in spy.requested() and set(spy.requested()) <= RENDERER_URLS


def test_cyrillic_text_comes_back_intact(client, create_application):
    app = create_application(status=ApplicationStatus.SUBMITTED,
                             title="Съешь же ещё этих мягких французских булок")
    text = " ".join(page_texts(get_pdf(sign_in(client, app.created_by), app, "application")))
    assert "Съешь же ещё этих мягких французских булок" in text
    assert "Муниципальная библиотека №" in text
    assert "г. Тестов, ул. Книжная, 1" in text


# --- who may download ----------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["application", "budget"])
def test_anonymous_visitors_are_sent_to_sign_in(client, create_application, kind):
    app = create_application(status=ApplicationStatus.SUBMITTED)
    response = client.get(f"/applications/{app.id}/{kind}.pdf")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("kind", ["application", "budget"])
@pytest.mark.parametrize(
    ("who", "status", "expected"),
    [
        ("other_applicant", ApplicationStatus.SUBMITTED, 404),
        ("other_applicant", ApplicationStatus.DRAFT, 404),
        ("chair", ApplicationStatus.DRAFT, 404),
        ("reviewer", ApplicationStatus.SUBMITTED, 404),  # not assigned to it
        ("chair", ApplicationStatus.SUBMITTED, 200),
        ("owner", ApplicationStatus.DRAFT, 200),
        ("owner", ApplicationStatus.SUBMITTED, 200),
        ("colleague", ApplicationStatus.SUBMITTED, 200),
    ],
)
def test_permission_matrix(
    client, create_application, create_user, kind, who, status, expected
):
    app = create_application(status=status)
    user = {
        "owner": lambda: app.created_by,
        "colleague": lambda: create_user(Role.APPLICANT, organisation=app.organisation),
        "other_applicant": lambda: create_user(Role.APPLICANT),
        "chair": lambda: create_user(Role.CHAIR),
        "reviewer": lambda: create_user(Role.REVIEWER),
    }[who]()
    response = sign_in(client, user).get(f"/applications/{app.id}/{kind}.pdf")
    assert response.status_code == expected
    if expected == 200:
        assert response.mimetype == "application/pdf"
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("inline;")
        name = app.registration_number or f"draft-{app.id}"
        assert f"filename={kind}-{name}.pdf" in disposition
        # A draft is kept by no cache; a submitted document is kept by the browser only,
        # which asks again each time it is used (tests/test_document_store.py).
        assert response.headers["Cache-Control"] == (
            "private, no-store" if status == ApplicationStatus.DRAFT else "private, no-cache")
    else:
        assert response.mimetype == "text/html"


def test_a_missing_application_is_404(client, create_user):
    sign_in(client, create_user(Role.CHAIR))
    assert client.get("/applications/999999/application.pdf").status_code == 404
    assert client.get("/applications/999999/budget.pdf").status_code == 404


# --- what applicants type never reaches the network or the disk -----------------------------


@pytest.mark.parametrize("kind", ["application", "budget"])
def test_markup_typed_by_an_applicant_is_printed_not_fetched(
    client, create_application, db: Session, spy, kind
):
    payload = " ".join(INJECTIONS)
    app = create_application(
        status=ApplicationStatus.SUBMITTED,
        title=INJECTIONS[0], summary=payload, problem=payload, goals=payload,
        tasks=INJECTIONS[1], target_groups=INJECTIONS[2],
        budget=[{
            "category": BudgetCategory.EQUIPMENT, "item": INJECTIONS[0][:300],
            "justification": payload, "unit": "<b>шт.</b>", "quantity": Decimal("1"),
            "unit_price": Decimal("100000.00"), "requested_amount": Decimal("80000.00"),
            "own_amount": Decimal("20000.00"), "partner_amount": Decimal("0.00"),
        }],
    )
    app.activities[0].description = payload
    app.partners[0].name = INJECTIONS[1]
    app.partners[0].contribution = payload
    db.add(Attachment(application=app, original_name=INJECTIONS[2][:255],
                      stored_name="b" * 32, content_type="text/plain", size_bytes=1,
                      sha256="1" * 64))
    db.flush()

    reader = get_pdf(sign_in(client, app.created_by), app, kind, f"{kind}-injection.pdf")
    compact = "".join(" ".join(page_texts(reader)).split())
    for injection in INJECTIONS:
        assert "".join(injection.split()) in compact, injection
    assert "<b>шт.</b>" in compact or kind == "application"

    requested = spy.requested()
    assert FONTS_CSS in requested and set(requested) <= RENDERER_URLS, requested
    for url in requested:
        assert "passwd" not in url and "127.0.0.1" not in url and "169.254" not in url


def test_even_markup_that_reached_the_renderer_would_fetch_nothing(spy, no_leftovers):
    """Defence in depth: were text ever inserted unescaped, the fetcher still refuses."""
    html = (
        "<html><head>" + INJECTIONS[1] + INJECTIONS[2] + "</head><body>"
        + INJECTIONS[0] + '<img src="vektor-static:/../../../../etc/passwd">'
        + '<p style="background: url(https://example.org/x.png)">Текст</p></body></html>'
    )
    content = html_to_pdf(html, time_limit=60, memory_limit_mb=None)
    assert content.startswith(b"%PDF-")
    requested = set(spy.requested())
    assert "file:///etc/passwd" in requested  # asked, and refused (see the fetcher's tests)
    for url in requested:
        with pytest.raises(FetchRefused):
            portal_fetcher(url)


SVG_ATTACKS = {
    # an inline SVG whose image lives on the loopback interface
    "http://127.0.0.1:9/inline.png": (
        '<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20">'
        '<image href="http://127.0.0.1:9/inline.png" width="20" height="20"/></svg>'
    ),
    # an SVG image (itself a data: URI the fetcher may serve) that points at a local file
    "file:///etc/hostname": (
        '<img src="data:image/svg+xml;utf8,'
        "<svg xmlns='http://www.w3.org/2000/svg' xmlns:xlink='http://www.w3.org/1999/xlink' "
        "width='20' height='20'><image xlink:href='file:///etc/hostname' width='20' "
        "height='20'/></svg>\">"
    ),
    # a web font from the cloud metadata address, and a background from an outside host
    "http://169.254.169.254/font.ttf": (
        "<style>@font-face { font-family: x; src: url(http://169.254.169.254/font.ttf) }"
        " p { font-family: x }</style><p>x</p>"
    ),
    "https://example.org/background.png": (
        "<div style=\"background: url('https://example.org/background.png'); height: 1cm\">"
        "</div>"
    ),
}


def test_svg_and_css_references_fetch_nothing(spy, no_leftovers):
    """Images inside SVG (inline or as a data: image), web fonts and CSS backgrounds all come
    through the fetcher, which refuses them: the document is still made, without them."""
    html = "<html><body>" + "".join(SVG_ATTACKS.values()) + "<p>Текст</p></body></html>"
    content = html_to_pdf(html, time_limit=60, memory_limit_mb=None)
    assert content.startswith(b"%PDF-")
    requested = set(spy.requested())
    for url in SVG_ATTACKS:
        assert url in requested, (url, requested)
    for url in requested - RENDERER_URLS:
        if not url.startswith("data:"):
            with pytest.raises(FetchRefused):
                portal_fetcher(url)


# --- the fetcher ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "FILE:///etc/passwd",
        "file://localhost/etc/passwd",
        "http://127.0.0.1:9/x.css",
        "http://169.254.169.254/latest/meta-data/",
        "https://example.org/font.ttf",
        "ftp://example.org/x",
        "gopher://127.0.0.1:6379/_INFO",
        "jar:file:///etc/passwd!/",
        "vektor-static:/../../etc/passwd",
        "vektor-static:../../etc/passwd",
        "vektor-static:/fonts/../../pyproject.toml",
        "vektor-static:/fonts/%2e%2e/%2e%2e/pyproject.toml",
        "vektor-static:/%2e%2e%2fportal/config.py",
        "vektor-static:/fonts/..%5c..%5cpyproject.toml",
        "vektor-static://127.0.0.1/fonts/DejaVuSans.ttf",
        "vektor-static:/fonts/",
        "vektor-static:/fonts/missing.ttf",
        "vektor-static:/",
        "vektor-static:/fonts/DejaVuSans.ttf%00.css",
        "fonts/DejaVuSans.ttf",
        "/etc/passwd",
        "",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files_and_data(url):
    with pytest.raises(FetchRefused):
        portal_fetcher(url)


def test_the_fetcher_refuses_requests_made_through_the_opener():
    with pytest.raises(FetchRefused):
        portal_fetcher.open(Request("http://127.0.0.1:9/x.css"))
    with pytest.raises(FetchRefused):
        portal_fetcher.open("file:///etc/passwd")


def test_the_fetcher_serves_a_static_file():
    response = portal_fetcher(static_url("fonts/DejaVuSans.ttf"))
    assert response.read() == (STATIC_ROOT / "fonts" / "DejaVuSans.ttf").read_bytes()
    css = portal_fetcher(static_url("css/portal.css"))
    assert css.content_type == "text/css"
    assert css.read() == (STATIC_ROOT / "css" / "portal.css").read_bytes()


def test_the_fetcher_serves_data_uris():
    response = portal_fetcher("data:text/plain;base64,0J/RgNC40LLQtdGC")
    assert response.read().decode() == "Привет"
    assert response.content_type == "text/plain"
    assert portal_fetcher("data:,hello%20world").read() == b"hello world"


def test_the_fetcher_does_not_follow_a_symlink_out_of_static(tmp_path: Path):
    root = tmp_path / "static"
    (root / "fonts").mkdir(parents=True)
    (root / "fonts" / "ok.ttf").write_bytes(b"font")
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    (root / "fonts" / "leak.ttf").symlink_to(secret)
    (root / "outside").symlink_to(tmp_path, target_is_directory=True)
    fetcher = PortalFetcher(static_root=root)

    assert fetcher(static_url("fonts/ok.ttf")).read() == b"font"
    for path in ("fonts/leak.ttf", "outside/secret.txt"):
        with pytest.raises(FetchRefused):
            fetcher(static_url(path))


# --- rendering: the fonts loaded once, the child's collector, several documents at once --------


def embedded_fonts(content: bytes) -> set[str]:
    """The names of the fonts a PDF embeds, without their subset prefix."""
    names = set()
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]).split("+", 1)[1])
    return names


def test_the_fonts_are_loaded_once_per_process_and_not_by_each_render(spy, no_leftovers):
    assert portal.pdf.shared_fonts() is portal.pdf.shared_fonts()
    fetched_before = len(spy.requested())
    html = (f'<link rel="stylesheet" href="{FONTS_CSS}"><p style="font-family: \'Vektor Sans\'">'
            "Смета: 1 234,56 ₽ <b>Итого 7 ₽</b></p>")
    for _ in range(2):
        content = html_to_pdf(html, time_limit=60)
        assert embedded_fonts(content) == {"Vektor-Sans", "Vektor-Sans-Bold"}
        assert "Смета: 1 234,56 ₽ Итого 7 ₽" in squash(PdfReader(io.BytesIO(content))
                                                    .pages[0].extract_text())
    # The renders read the stylesheet; the fonts it names were loaded before they forked.
    assert spy.requested()[fetched_before:] == [FONTS_CSS, FONTS_CSS]


def test_a_font_face_first_met_in_a_render_is_loaded_by_every_render(no_leftovers):
    """A face that the shared fonts lack is loaded in the render's own child, every time:
    the file one child writes for it is not taken for loaded by the next."""
    face = (f'<style>@font-face {{ font-family: "Other Sans"; '
            f'src: url("{static_url("fonts/DejaVuSans-Bold.ttf")}") }}</style>')
    html = f"{face}<p style=\"font-family: 'Other Sans'\">Текст</p>"
    for _ in range(2):
        assert embedded_fonts(html_to_pdf(html, time_limit=60)) == {"Other-Sans-Bold"}
    fonts = portal.pdf.shared_fonts()
    assert fonts is not None and not any("Other Sans" in face for face in fonts.loaded_faces)


def _collector_state(html: str, fonts: Any) -> bytes:
    return f"{gc.isenabled()} {gc.get_freeze_count()}".encode()


def test_the_render_runs_without_the_cyclic_collector(monkeypatch, no_leftovers):
    """In the child the collector is off, and what the fork inherited is frozen out of its
    sight; the parent's collector is left as it was."""
    monkeypatch.setattr(portal.pdf, "_write_pdf", _collector_state)
    enabled, frozen = html_to_pdf("<p>x</p>", time_limit=60).split()
    assert enabled == b"False"
    assert int(frozen) > 10_000  # the portal's own objects, inherited
    assert gc.isenabled()


def test_a_render_without_the_collector_stays_within_the_memory_limit(no_leftovers):
    """A long document (3,000 table rows, about 90 pages) renders within the default
    limit with the collector off."""
    rows = "".join(f"<tr><td>Строка {n}</td><td>{n} ₽</td><td>текст текст</td></tr>"
                   for n in range(3000))
    content = html_to_pdf(f"<table>{rows}</table>", time_limit=600)
    assert len(PdfReader(io.BytesIO(content)).pages) > 30


def prepared(name: str, made: list[str]) -> portal.pdf.PreparedPdf:
    """A document whose HTML is `name`, noting in `made` when its HTML is made."""

    def html() -> str:
        made.append(name)
        return name

    return portal.pdf.PreparedPdf(hashlib.sha256(name.encode()).hexdigest(), html)


@pytest.fixture
def document_store(app: Flask, ctx: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
                   ) -> Path:
    folder = tmp_path / "documents"
    monkeypatch.setitem(app.config, "DOCUMENTS_DIR", str(folder))
    return folder


def test_prepared_documents_render_at_once_and_come_back_in_their_order(
    document_store, monkeypatch
):
    """The renders run render_workers() at a time (here the second finishes before the
    first has: each waits for the other's start), the PDFs come back in the documents'
    order, a stored one is taken from the store without its HTML being made, the rendered
    ones are stored, and no more than twice the workers are under way."""
    workers = 2
    monkeypatch.setattr(portal.pdf, "render_workers", lambda: workers)
    both_started = threading.Barrier(2, timeout=60)
    second_done = threading.Event()

    def renderer(html: str, **limits: Any) -> bytes:
        assert limits == {"time_limit": portal.pdf.DEFAULT_TIME_LIMIT,
                          "memory_limit_mb": portal.pdf.DEFAULT_MEMORY_LIMIT_MB}
        if html in ("doc-0", "doc-1"):
            both_started.wait()
        if html == "doc-0":
            assert second_done.wait(60)
        content = f"%PDF {html}".encode()
        if html == "doc-1":
            second_done.set()
        return content

    monkeypatch.setattr(portal.pdf, "html_to_pdf", renderer)
    made: list[str] = []
    documents = [prepared(f"doc-{n}", made) for n in range(12)]
    portal.pdf.store.save(documents[5].key, b"%PDF stored")

    received = []
    for content in portal.pdf.render_prepared(iter(documents)):
        assert len(made) - len(received) <= 2 * workers + 1
        received.append(content)
    assert received == [b"%PDF stored" if n == 5 else f"%PDF doc-{n}".encode()
                        for n in range(12)]
    assert "doc-5" not in made and len(made) == 11
    for n in range(12):
        assert portal.pdf.store.load(documents[n].key) == received[n]


def test_a_failed_render_ends_the_documents_where_it_comes(document_store, monkeypatch):
    def renderer(html: str, **limits: Any) -> bytes:
        if html == "doc-2":
            raise PdfRenderError("the renderer stopped on doc-2")
        return f"%PDF {html}".encode()

    monkeypatch.setattr(portal.pdf, "html_to_pdf", renderer)
    made: list[str] = []
    received = []
    with pytest.raises(PdfRenderError, match="doc-2"):
        for content in portal.pdf.render_prepared(prepared(f"doc-{n}", made)
                                                  for n in range(6)):
            received.append(content)
    assert received == [b"%PDF doc-0", b"%PDF doc-1"]
    assert not [t for t in threading.enumerate() if t.name.startswith("vektor-pdf")]


def test_real_renders_at_once_each_in_its_own_child(document_store, no_leftovers):
    """Real renders from the pool's threads: the PDFs are whole and in order."""
    made: list[str] = []
    documents = []
    for n in range(4):
        html = (f'<link rel="stylesheet" href="{FONTS_CSS}">'
                f"<p style=\"font-family: 'Vektor Sans'\">Документ № {n}</p>")
        documents.append(portal.pdf.PreparedPdf(hashlib.sha256(html.encode()).hexdigest(),
                                                lambda html=html: made.append(html) or html))
    contents = list(portal.pdf.render_prepared(documents))
    texts = [squash(PdfReader(io.BytesIO(c)).pages[0].extract_text()) for c in contents]
    assert texts == [f"Документ № {n}" for n in range(4)]
    assert len(made) == 4


# --- limits ----------------------------------------------------------------------------------


def _sleep_forever(html: str, fonts: Any) -> bytes:
    time.sleep(600)
    return b""


def _eat_memory(html: str, fonts: Any) -> bytes:
    hog = bytearray(2 * 1024**3)  # 2 GiB, far past the limit
    return bytes(hog[:1])


def _die(html: str, fonts: Any) -> bytes:
    os._exit(3)


@pytest.fixture
def no_leftovers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """After the test, no render is still running and no temporary folder is left (in a
    temporary folder of the test's own: other test runs may be rendering at the same time)."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    yield
    assert not [p for p in multiprocessing.active_children() if p.name == "vektor-pdf"]
    assert not list(tmp_path.glob("vektor-pdf-*"))


def test_a_render_past_the_time_limit_is_stopped(monkeypatch, no_leftovers):
    monkeypatch.setattr(portal.pdf, "_write_pdf", _sleep_forever)
    started = time.monotonic()
    with pytest.raises(PdfTimeLimitExceeded):
        html_to_pdf("<p>x</p>", time_limit=0.5)
    assert time.monotonic() - started < 10


def test_a_real_render_is_stopped_by_a_tiny_time_limit(no_leftovers):
    rows = "".join(f"<tr><td>Строка {n}</td><td>{n}</td></tr>" for n in range(3000))
    with pytest.raises(PdfTimeLimitExceeded):
        html_to_pdf(f"<table>{rows}</table>", time_limit=0.05)


def test_a_render_past_the_memory_limit_is_stopped(monkeypatch, no_leftovers):
    monkeypatch.setattr(portal.pdf, "_write_pdf", _eat_memory)
    with pytest.raises(PdfMemoryLimitExceeded):
        html_to_pdf("<p>x</p>", time_limit=60, memory_limit_mb=64)


def test_a_renderer_that_dies_is_reported(monkeypatch, no_leftovers):
    monkeypatch.setattr(portal.pdf, "_write_pdf", _die)
    with pytest.raises(PdfRenderError):
        html_to_pdf("<p>x</p>", time_limit=60)


def test_the_view_answers_503_when_the_render_is_stopped(
    app: Flask, client, create_application, monkeypatch, no_leftovers
):
    monkeypatch.setattr(portal.pdf, "_write_pdf", _sleep_forever)
    monkeypatch.setitem(app.config, "PDF_TIME_LIMIT", 0.5)
    application = create_application(status=ApplicationStatus.SUBMITTED)
    response = sign_in(client, application.created_by).get(
        f"/applications/{application.id}/budget.pdf"
    )
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "60"
    assert "The document could not be produced" in response.get_data(as_text=True)
