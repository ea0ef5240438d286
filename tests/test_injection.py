"""What people type comes out as text, never as markup: every free-text field of the demo
data is filled with script and markup, and a crawl of every page each demo account can reach
(plus the public pages, the feed and the open data) finds it escaped everywhere it is shown;
the PDFs print it literally and fetch nothing; e-mails are plain text with no header to
inject."""

from __future__ import annotations

import io
import json
from collections import deque
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urldefrag, urlsplit
from xml.etree import ElementTree

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Session

from portal.demo import DEMO_ACCOUNTS, seed_demo
from portal.models import (
    Activity,
    AdministrationDetails,
    Agreement,
    Application,
    ApplicationStatus,
    Assignment,
    Attachment,
    AuditEvent,
    BudgetLine,
    Call,
    Criterion,
    Decision,
    Indicator,
    Organisation,
    OutboxMessage,
    Partner,
    Payment,
    Report,
    ReportDocument,
    ReportIndicator,
    ReportRound,
    ReportSpending,
    Review,
    ReviewScore,
    User,
)
from portal.services.applications import submit_application

SCRIPT = "<script>alert(1)</script>"
SVG = "<svg onload=alert(1)>"
PAYLOAD = f"x\"'>{SVG}{SCRIPT}&amp;"
RAW = (SCRIPT, SVG, "onload=alert(1)>")
ESCAPED = "&lt;svg onload=alert(1)&gt;"

# Every column people type into, by model. The payload replaces the value (a short column
# takes the SVG alone), so each of them is on the pages that show it.
TYPED_COLUMNS: dict[type, tuple[str, ...]] = {
    AdministrationDetails: ("full_name", "short_name", "address", "head_name",
                            "head_position", "bank_name"),
    Organisation: ("full_name", "short_name", "municipality", "address", "head_name",
                   "head_position", "bank_name"),
    User: ("full_name",),
    Call: ("title", "description"),
    Criterion: ("name", "description"),
    Application: ("title", "summary", "problem", "goals", "tasks", "target_groups",
                  "withdrawal_reason", "eligibility_reason"),
    Activity: ("title", "description"),
    Partner: ("name", "role", "contribution"),
    Indicator: ("name", "unit"),
    BudgetLine: ("item", "justification", "unit"),
    Attachment: ("original_name",),
    Assignment: ("conflict_reason",),
    Review: ("overall_comment", "reopen_reason"),
    ReviewScore: ("comment",),
    Decision: ("reason",),
    Agreement: ("scan_original_name",),
    Payment: ("order_number",),
    Report: ("narrative",),
    ReportSpending: ("justification",),
    ReportIndicator: ("comment",),
    ReportRound: ("comment",),
    ReportDocument: ("original_name",),
    AuditEvent: ("reason",),
}

# Links the crawl does not follow: sign-out and language are forms; these are files whose
# formats are checked below, one of each.
DOCUMENT_SUFFIXES = (".pdf", ".zip", ".xlsx", ".csv", ".json", ".atom")
MAX_PAGES_PER_ACCOUNT = 400


def payload_for(column: Any) -> str:
    length = getattr(column.type, "length", None)
    return PAYLOAD if length is None or length >= len(PAYLOAD) else SVG


def poison(db: Session) -> int:
    """Put the payload in every typed column of every row; returns how many values."""
    count = 0
    for model, names in TYPED_COLUMNS.items():
        columns = model.__table__.columns
        for name in names:
            assert isinstance(columns[name].type, String | Text), (model, name)
        for row in db.scalars(select(model)):
            for name in names:
                setattr(row, name, payload_for(columns[name]))
                count += 1
    db.flush()
    return count


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def internal_links(html: str) -> Iterator[str]:
    parser = Links()
    parser.feed(html)
    for href in parser.hrefs:
        url, _ = urldefrag(href)
        parts = urlsplit(url)
        if parts.scheme or parts.netloc or not parts.path.startswith("/"):
            continue
        if parts.path.startswith("/static/"):
            continue
        yield url


def crawl(client: FlaskClient, start: list[str]) -> tuple[dict[str, str], set[str]]:
    """Every HTML page reachable by links from `start`; returns the pages' text and the
    links to documents found on them."""
    pages: dict[str, str] = {}
    documents: set[str] = set()
    queue = deque(start)
    seen = set(start)
    while queue and len(pages) < MAX_PAGES_PER_ACCOUNT:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code < 500, url
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        html = response.get_data(as_text=True)
        pages[url] = html
        for link in internal_links(html):
            if link in seen:
                continue
            seen.add(link)
            if urlsplit(link).path.endswith(DOCUMENT_SUFFIXES):
                documents.add(link)
            else:
                queue.append(link)
    return pages, documents


@pytest.fixture
def poisoned(app: Flask, db: Session) -> int:
    with app.test_request_context():
        assert seed_demo(db)
    db.flush()
    return poison(db)


def sign_in(client: FlaskClient, db: Session, email: str) -> FlaskClient:
    user = db.scalars(select(User).where(User.email == email)).one()
    with client.session_transaction() as sess:
        sess.clear()
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client


def assert_escaped(url: str, body: str) -> None:
    for raw in RAW:
        assert raw not in body, f"{raw!r} unescaped in {url}"


def test_typed_text_is_escaped_on_every_page_of_every_account(
    app: Flask, db: Session, client: FlaskClient, poisoned: int, assurance: Any
):
    shown: dict[str, set[str]] = {}
    all_documents: set[str] = set()
    accounts = [None, *DEMO_ACCOUNTS]
    for account in accounts:
        if account is None:
            client.get("/")  # anonymous: the public pages
            start = ["/public/", "/public/open-data", "/calls/", "/login", "/register"]
        else:
            sign_in(client, db, account.email)
            start = ["/"]
        pages, documents = crawl(client, start)
        all_documents |= documents
        label = account.email if account else "anonymous"
        assert len(pages) > 3, label
        assurance("pages checked for unescaped typed text (account x page)", len(pages))
        for url, html in pages.items():
            assert_escaped(f"{url} as {label}", html)
            if ESCAPED in html:
                shown.setdefault(label, set()).add(url)
        db.expire_all()

    assurance("typed values filled with script and markup", poisoned)
    # The crawl saw the payload where people see typed text: the test checks something.
    assert poisoned > 200
    for account in DEMO_ACCOUNTS:
        assert shown.get(account.email), f"no typed text seen by {account.email}"
    assert shown.get("anonymous"), "no typed text on the public pages"
    pages_with_text = {url for urls in shown.values() for url in urls}
    for prefix in ("/applications/", "/committee/calls/", "/finance/", "/review/",
                   "/reports/", "/admin/", "/public/projects/"):
        assert any(url.startswith(prefix) for url in pages_with_text), prefix
    assert any(d.endswith(".pdf") for d in all_documents)


def test_feed_and_open_data_carry_typed_text_as_data(
    db: Session, client: FlaskClient, poisoned: int
):
    feed = client.get("/public/feed.atom")
    assert feed.status_code == 200
    # well-formed: the payload did not break it (the portal's own output, not untrusted)
    root = ElementTree.fromstring(feed.data)  # noqa: S314
    titles = [e.text or "" for e in root.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(SVG in title for title in titles)  # a text node, not markup
    assert SVG.encode() not in feed.data

    awards = client.get("/api/v1/awards.json")
    assert awards.mimetype == "application/json"
    assert awards.headers["X-Content-Type-Options"] == "nosniff"
    assert SVG in json.dumps(awards.get_json(), ensure_ascii=False)


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(page.extract_text() or "" for page in reader.pages).split())


@pytest.mark.parametrize("who, path", [
    ("library1@vektor.demo", "application.pdf"),
    ("library1@vektor.demo", "budget.pdf"),
    ("finance@vektor.demo", "agreement.pdf"),
])
def test_pdfs_print_typed_text_and_fetch_nothing(
    db: Session, client: FlaskClient, poisoned: int, spy: Any, who: str, path: str
):
    user = db.scalars(select(User).where(User.email == who)).one()
    application = db.scalars(
        select(Application).join(Agreement).where(
            Application.organisation_id.in_(
                select(User.organisation_id).where(User.email == "library1@vektor.demo")))
        .order_by(Application.id)
    ).first()
    assert application is not None
    response = sign_in(client, db, user.email).get(f"/applications/{application.id}/{path}")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert "".join(SVG.split()) in pdf_text(response.data)
    fetched = spy.requested()
    # Only the fonts' stylesheet, and the fonts themselves where this process has not
    # loaded them yet (portal.pdf.shared_fonts).
    assert fetched and all(url.startswith(("vektor-static:/fonts/",
                                           "vektor-static:/css/pdf-fonts.css"))
                           for url in fetched), fetched


def test_e_mails_are_plain_text_and_typed_text_cannot_add_a_header(
    app: Flask, db: Session, create_application: Any
):
    application = create_application(title=f"{SCRIPT}\r\nBcc: someone@example.org")
    with app.test_request_context():
        submit_application(db, application, actor=application.created_by)
    db.flush()
    message = db.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == application.created_by.email)
        .order_by(OutboxMessage.id.desc())
    ).first()
    assert message is not None
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "Bcc:" not in message.subject
    # The body is sent as text/plain: the title is there as the applicant typed it.
    assert SCRIPT in message.body
    assert application.status == ApplicationStatus.SUBMITTED
