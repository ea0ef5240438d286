"""The whole life of a competition, as its people live it, through the pages only: the chair
opens a call; a library fills in every section of an application, sees "Check my
application" name its mistake, fixes it, attaches a letter of support and submits; the
deadline passes; the chair admits the application and assigns reviewers; one reviewer
declares a conflict of interest, two others score; the chair decides within the fund and
finalises; the library reads its scores without reviewers' names; finance signs the
agreement, downloads the budget and the call's archive of budgets and pays the advance; the
library submits its interim report and finance accepts it. Every step asserts what that
person sees, every distinct page is checked with axe-core for WCAG 2.1 A and AA, and no page
logs a script or console error. A second test fills in an application with the keyboard
alone.

The journey runs on a live server of its own, so that the other browser tests' demo data
stay as they expect them. Each person works in a browser context of their own; when a test
fails, every person's page is saved to the artefacts."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader
from sqlalchemy import update

from portal.db import utcnow
from portal.demo import DEMO_ACCOUNTS, DEMO_CALL_TITLE, DEMO_DIRECTIONS, DemoAccount
from portal.models import Call, Role
from portal.money import format_money, format_percent
from portal.services.calls import DEFAULT_CRITERIA
from tests.browser.test_sign_in import (
    assert_no_violations,
    collect_errors,
    open_sign_in,
    sign_in,
)
from tests.test_attachments import make_pdf

if TYPE_CHECKING:
    from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

LANG = "en"
ACCOUNT = {a.email.split("@")[0]: a for a in DEMO_ACCOUNTS}
REVIEWERS = [a for a in DEMO_ACCOUNTS if Role.REVIEWER in a.roles]
ZONE = ZoneInfo("Europe/Moscow")
# A library none of whose staff reviews: every reviewer may be given its application.
LIBRARY = "library1"
JOB_TIMEOUT_MS = 60_000

CALL_TITLE = "Reading brings neighbours together"
FUND = Decimal("1000000.00")
MAX_GRANT = Decimal("500000.00")
MIN_COFINANCING = Decimal("25")
CRITERIA_KEPT = 3
FIRST_CRITERION_WEIGHT = Decimal("2")
PROJECT_TITLE = "Evenings of local history"


@dataclass(frozen=True)
class Line:
    """A budget line as the library types it."""

    category: str
    item: str
    quantity: str
    unit_price: str
    requested: str
    own: str


# 300 000 ₽ in all with 30 000 ₽ of the library's own: 10 % co-financing, too little.
FIRST_BUDGET = (
    Line("Material and technical base (equipment)", "Book scanner", "1", "200000",
         "180000", "20000"),
    Line("Events and promotion of reading", "Local history evenings", "4", "25000",
         "90000", "10000"),
)
# The same lines with more of the library's own money: 30 %, 210 000 ₽ requested.
FIXED_BUDGET = (
    Line("Material and technical base (equipment)", "Book scanner", "1", "200000",
         "140000", "60000"),
    Line("Events and promotion of reading", "Local history evenings", "4", "25000",
         "70000", "30000"),
)
REQUESTED = Decimal("210000.00")
# What the two reviewers who score give each criterion (the first weighs 2).
SCORES = {0: (8, 7, 9), 1: (7, 8, 8)}


def weighted_total(scores: tuple[int, ...]) -> int:
    weights = (int(FIRST_CRITERION_WEIGHT),) + (1,) * (len(scores) - 1)
    return sum(score * weight for score, weight in zip(scores, weights, strict=True))


def money(amount: Decimal) -> str:
    return format_money(amount, LANG)


# --- the people and what they see ---------------------------------------------------------


@dataclass
class Person:
    """Someone signed in, in a browser of their own, with the script errors it logs."""

    account: DemoAccount
    page: Page
    errors: list[str]


@dataclass
class Journey:
    """The live server, the people signed in to it, and the pages axe-core has checked
    (by role and address, with the ids taken out, and the state the page was in)."""

    server: LiveServer
    open_page: Callable[[str, str], Page]
    people: dict[str, Person] = field(default_factory=dict)
    checked: set[tuple[str, str, str]] = field(default_factory=set)

    def person(self, key: str) -> Person:
        """The person signed in, in a browser of their own (signing in on first use)."""
        if key not in self.people:
            page = self.open_page(self.server.url, key)
            errors = collect_errors(page)
            if not self.people:
                open_sign_in(page, self.server.url, LANG)
                assert_no_violations(page)
                self.checked.add(("", page_kind(page.url), ""))
            sign_in(page, self.server.url, ACCOUNT[key], LANG)
            self.people[key] = Person(ACCOUNT[key], page, errors)
            self.check(self.people[key])
        return self.people[key]

    def check(self, person: Person, state: str = "") -> None:
        """axe-core on the page the person is looking at, unless someone of the same role
        has had this page, in this `state`, checked already."""
        key = (person.account.roles[0].value, page_kind(person.page.url), state)
        if key not in self.checked:
            assert_no_violations(person.page)
            self.checked.add(key)

    @property
    def distinct_pages(self) -> set[str]:
        return {kind for _role, kind, _state in self.checked}


def page_kind(url: str) -> str:
    """The page's address with its ids taken out: /applications/<id>/edit/general."""
    return re.sub(r"/\d+", "/<id>", urlsplit(url).path)


def flash(page: Page) -> Locator:
    """The messages the portal shows after an action."""
    return page.locator("main > [aria-live] > .alert")


def expect_flash(page: Page, text: str | re.Pattern[str]) -> None:
    expect(flash(page).filter(has_text=text)).to_be_visible()


def go_home(person: Person) -> Page:
    person.page.get_by_role("link", name="Vektor", exact=True).click()
    expect(person.page.locator("main h1[data-dashboard]")).to_be_visible()
    return person.page


def group(page: Page, name: str) -> Locator:
    """A fieldset by its legend."""
    return page.get_by_role("group", name=name, exact=True)


def save(page: Page, name: str = "Save") -> None:
    page.get_by_role("button", name=name, exact=True).click()


def the_deadline_passes(server: LiveServer, call_id: int) -> None:
    """Time passes: the call's closing time is now. The one step that is not a person's
    action, so it goes to the live server's database directly."""
    engine = server.app.extensions["vektor.db"]["engine"]
    with engine.begin() as conn:
        conn.execute(update(Call).where(Call.id == call_id).values(closes_at=utcnow()))


def read_download(page: Page, link: Locator) -> tuple[str, bytes]:
    """Follow a link that the browser downloads; the file's suggested name and content."""
    with page.expect_download() as info:
        link.click()
    download = info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def open_document(page: Page, link: Locator) -> tuple[str, bytes]:
    """What a link to a document shown in the browser (a PDF) gives, fetched with the
    person's own session, as "Save link as" would: its content type and content."""
    expect(link).to_be_visible()
    response = page.context.request.get(link.get_attribute("href") or "")
    assert response.ok, response.status
    return response.headers["content-type"], response.body()


def pdf_text(content: bytes) -> str:
    return "\n".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(content)).pages)


@dataclass
class Case:
    """What the journey learns along the way and needs later."""

    call_id: int = 0
    app_id: int = 0
    number: str = ""
    conflicted: DemoAccount | None = None
    scoring: list[DemoAccount] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


# --- the steps ------------------------------------------------------------------------------


def chair_opens_a_call(journey: Journey, case: Case) -> None:
    chair = journey.person("chair")
    page = chair.page
    page.get_by_role("link", name="New call", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New call")
    journey.check(chair)

    now = datetime.now(ZONE)
    today = now.date()
    start, end = today + timedelta(days=30), today + timedelta(days=400)
    page.get_by_label("Title", exact=True).fill(CALL_TITLE)
    page.get_by_label("Description", exact=True).fill(
        "Projects that bring residents to the library through local history.")
    page.get_by_label("Priority directions").fill("Local history\nReading promotion")
    page.get_by_label("Opens at").fill((now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Closes at").fill((now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Projects start no earlier than").fill(start.isoformat())
    page.get_by_label("Projects end no later than").fill(end.isoformat())
    page.get_by_label("Fund, ₽").fill(str(FUND))
    page.get_by_label("Largest grant per project, ₽").fill(str(MAX_GRANT))
    page.get_by_label("Minimum co-financing, %").fill(str(MIN_COFINANCING))
    expect(page.get_by_label("Reviewers per application")).to_have_value("2")
    page.get_by_label("Review deadline").fill((today + timedelta(days=45)).isoformat())
    page.get_by_label("Reporting dates").fill(
        f"{start + timedelta(days=120)}\n{end}")
    save(page)
    expect_flash(page, "The call is saved as a draft with the default criteria.")
    case.call_id = int(re.search(r"/calls/(\d+)$", page.url).group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text(CALL_TITLE)
    expect(page.get_by_text("This call is a draft; libraries do not see it yet.")).to_be_visible()
    journey.check(chair, "draft")

    # The criteria: the first three of the defaults, the first counting twice.
    page.get_by_role("link", name="Criteria", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Scoring criteria")
    journey.check(chair)
    total = page.locator("main form fieldset").count()
    expect(group(page, "Criterion 1").get_by_label("Criterion", exact=True)).to_have_value(
        DEFAULT_CRITERIA[0][0])
    expect(group(page, f"Criterion {total}").get_by_label("Criterion", exact=True)).to_have_value(
        "")
    group(page, "Criterion 1").get_by_label("Weight").fill(str(FIRST_CRITERION_WEIGHT))
    for n in range(CRITERIA_KEPT + 1, total + 1):
        group(page, f"Criterion {n}").get_by_label("Criterion", exact=True).fill("")
    save(page, "Save the criteria")
    expect_flash(page, "The criteria have been saved.")
    criteria = page.locator("h2:text-is('Scoring criteria') + ol > li")
    expect(criteria).to_have_count(CRITERIA_KEPT)
    expect(criteria.first).to_contain_text("weight 2")

    save(page, "Publish")
    expect_flash(page, "The call is published; libraries can see it.")
    expect(page.get_by_text("Open for applications until")).to_be_visible()
    expect(page.get_by_role("button", name="Publish")).to_have_count(0)
    journey.check(chair, "published")


def fill_budget(page: Page, lines: tuple[Line, ...]) -> None:
    for n, line in enumerate(lines, start=1):
        row = group(page, f"Line {n}")
        row.get_by_label("Category").select_option(label=line.category)
        row.get_by_label("Item").fill(line.item)
        row.get_by_label("Justification").fill("Commercial offer attached.")
        row.get_by_label("Unit", exact=True).fill("pcs")
        row.get_by_label("Quantity").fill(line.quantity)
        row.get_by_label("Unit price, ₽").fill(line.unit_price)
        row.get_by_label("Requested, ₽").fill(line.requested)
        row.get_by_label("Own funds, ₽").fill(line.own)
        row.get_by_label("Partners' funds, ₽").fill("0")


def open_section(journey: Journey, person: Person, name: str) -> Page:
    page = person.page
    page.get_by_role("region", name="Sections of the application").get_by_role(
        "link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    journey.check(person)
    return page


def library_applies(journey: Journey, case: Case) -> None:
    library = journey.person(LIBRARY)
    page = library.page
    call_card = page.locator(".card").filter(
        has=page.get_by_role("heading", name=CALL_TITLE))
    call_card.get_by_role("button", name="Start an application").click()
    expect_flash(page, "Your application is started.")
    case.app_id = int(re.search(r"/applications/(\d+)$", page.url).group(1))
    tasks = page.get_by_role("region", name="Sections of the application")
    expect(tasks.get_by_role("listitem").filter(has_text="General information")).to_contain_text(
        "to do")
    journey.check(library, "draft")

    page = open_section(journey, library, "General information")
    call_start = datetime.now(ZONE).date() + timedelta(days=30)
    page.get_by_label("Project title").fill(PROJECT_TITLE)
    page.get_by_label("Direction").select_option(label="Local history")
    page.get_by_label("Start date").fill((call_start + timedelta(days=10)).isoformat())
    page.get_by_label("End date").fill((call_start + timedelta(days=300)).isoformat())
    page.get_by_label("Summary").fill("Twelve evenings of local history for teenagers.")
    save(page)
    expect_flash(page, "Saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(PROJECT_TITLE)

    page = open_section(journey, library, "Problem and relevance")
    page.get_by_label("Problem and relevance").fill("Teenagers know little of their town.")
    save(page)
    expect_flash(page, "Saved.")

    page = open_section(journey, library, "Goals and tasks")
    page.get_by_label("Goals", exact=True).fill("Bring teenagers to the library.")
    page.get_by_label("Tasks", exact=True).fill("Hold twelve evenings with local historians.")
    save(page)
    expect_flash(page, "Saved.")

    page = open_section(journey, library, "Target groups")
    page.get_by_label("Target groups").fill("Teenagers of 12 to 17, about 300 people.")
    save(page)
    expect_flash(page, "Saved.")

    page = open_section(journey, library, "Activities and timeline")
    row = group(page, "Row 1")
    row.get_by_label("Activity").fill("Local history evenings")
    row.get_by_label("Description").fill("One evening a month with a local historian.")
    row.get_by_label("From").fill((call_start + timedelta(days=20)).isoformat())
    row.get_by_label("To").fill((call_start + timedelta(days=290)).isoformat())
    save(page)
    expect_flash(page, "Saved.")

    page = open_section(journey, library, "Partners")
    row = group(page, "Row 1")
    row.get_by_label("Partner").fill("Town museum")
    row.get_by_label("Role in the project").fill("Lends exhibits for the evenings.")
    row.get_by_label("Contribution").fill("Exhibits and a curator's time.")
    save(page)
    expect_flash(page, "Saved.")

    page = open_section(journey, library, "Expected results")
    row = group(page, "Row 1")
    row.get_by_label("Indicator").fill("Participants")
    row.get_by_label("Unit").fill("people")
    row.get_by_label("Baseline").fill("0")
    row.get_by_label("Target").fill("300")
    save(page)
    expect_flash(page, "Saved.")

    page = open_section(journey, library, "Budget")
    fill_budget(page, FIRST_BUDGET)
    expect(page.locator("[data-cofinancing]")).to_have_text(format_percent(Decimal("10"), LANG))
    save(page)
    expect_flash(page, "Saved.")

    # "Check my application" names the mistake, with the figure and the rule.
    page.get_by_role("link", name=re.compile(r"^Check my application \(1 to fix\)")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check my application")
    issues = page.locator("#issues > li")
    expect(issues).to_have_count(1)
    expect(issues.first).to_have_text(
        "Budget: Co-financing is {share}; this call requires at least {minimum}.".format(
            share=format_percent(Decimal("10"), LANG),
            minimum=format_percent(MIN_COFINANCING, LANG)))
    expect(page.get_by_role("button", name="Submit the application")).to_have_count(0)
    journey.check(library, "mistakes")

    # The library follows the message to the budget and fixes it.
    issues.first.get_by_role("link", name="Budget").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Budget")
    expect(page.locator("#section-issues")).to_contain_text("Co-financing is")
    journey.check(library, "mistakes")
    fill_budget(page, FIXED_BUDGET)
    expect(page.locator("[data-requested]")).to_have_text(money(REQUESTED))
    save(page)
    expect_flash(page, "Saved.")
    page.get_by_role("link", name="Check my application", exact=True).click()
    expect(page.get_by_role("status").filter(
        has_text="Everything is filled in and every rule of the call is met.")).to_be_visible()
    journey.check(library, "clean")

    # The letter of support.
    page.get_by_role("link", name="Back to the application").click()
    page = open_section(journey, library, "Attachments")
    page.get_by_label("What it is").select_option(label="Letter of support")
    page.get_by_label("File").set_input_files(
        {"name": "letter-of-support.pdf", "mimeType": "application/pdf", "buffer": make_pdf()})
    save(page, "Upload")
    expect_flash(page, "The file letter-of-support.pdf has been attached.")
    attached = page.get_by_role("table", name="Files attached to the application")
    expect(attached.get_by_role("row").filter(has_text="letter-of-support.pdf")).to_contain_text(
        "Letter of support")
    journey.check(library, "attached")

    # Every section complete: the library submits.
    page.get_by_role("link", name="Back to the application").click()
    expect(tasks.locator(".badge").filter(has_text="to do")).to_have_count(0)
    save(page, "Submit the application")
    expect_flash(page, re.compile(r"Your application is submitted with the number \d{4}-\d{2}-"
                                  r"\d{4}\. A confirmation has been sent by e-mail\."))
    case.number = re.search(r"\d{4}-\d{2}-\d{4}", flash(page).first.inner_text()).group(0)
    status = page.locator("main p").filter(has_text="Status:")
    expect(status).to_contain_text("submitted")
    expect(status).to_contain_text(f"Registration number: {case.number}")
    expect(page.get_by_role("region", name="Sections of the application")).to_have_count(0)
    journey.check(library, "submitted")


def chair_screens_and_assigns(journey: Journey, case: Case) -> None:
    chair = journey.person("chair")
    page = chair.page
    page.goto(f"/calls/{case.call_id}")
    expect(page.get_by_text(re.compile("Applications closed on"))).to_be_visible()
    journey.check(chair, "closed")
    page.get_by_role("link", name="Screening", exact=True).click()
    card = page.get_by_role("article", name=re.compile(re.escape(case.number)))
    expect(card.locator("[data-checks]")).to_have_attribute("data-checks", "passed")
    expect(card.locator(".badge")).to_have_text(["met", "met"])
    journey.check(chair)
    card.get_by_role("button", name="Admit", exact=True).click()
    expect_flash(page, f"Application {case.number} is admitted.")
    expect(page.get_by_text("Admitted: 1. Not admitted: 0.")).to_be_visible()
    journey.check(chair, "screened")

    page.get_by_role("navigation", name="Committee pages of this call").get_by_role(
        "link", name="Admission list").click()
    expect(page.get_by_role("main")).to_contain_text(case.number)
    journey.check(chair)

    page.get_by_role("link", name="Reviewers", exact=True).click()
    journey.check(chair)
    for reviewer in REVIEWERS:
        page.get_by_label(re.compile(re.escape(reviewer.full_name))).check()
    save(page)
    expect_flash(page, "The call's reviewers have been saved.")

    page.get_by_role("link", name="To the assignments").click()
    journey.check(chair, "empty")
    save(page, "Assign automatically")
    expect_flash(page, "Automatic assignment made 2 new assignments.")
    row = page.locator(f"#app-{case.app_id}")
    names = row.locator("li[data-assignment]")
    expect(names).to_have_count(2)
    shown = [text.split(" — ", 1)[0].strip() for text in names.all_inner_texts()]
    assigned = [r for r in REVIEWERS if r.full_name in shown]
    assert len(assigned) == 2, shown
    journey.check(chair)
    case.conflicted = assigned[0]
    case.scoring = [assigned[1], next(r for r in REVIEWERS if r not in assigned)]


def reviewer_key(account: DemoAccount) -> str:
    return account.email.split("@")[0]


def open_assignment(journey: Journey, person: Person, case: Case) -> Page:
    page = go_home(person)
    waiting = page.get_by_role("table").get_by_role("row").filter(has_text=case.number)
    expect(waiting).to_contain_text("not started")
    page.get_by_role("link", name=PROJECT_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Review of {case.number}: {PROJECT_TITLE}")
    journey.check(person)
    return page


def reviewer_declares_a_conflict(journey: Journey, case: Case) -> None:
    assert case.conflicted is not None
    reviewer = journey.person(reviewer_key(case.conflicted))
    page = open_assignment(journey, reviewer, case)
    page.get_by_role("link", name="Declare a conflict of interest").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Declare a conflict of interest")
    journey.check(reviewer)
    page.get_by_label("Reason").fill("My sister works at this library.")
    save(page, "Declare the conflict and hand back")
    expect_flash(page, "The conflict of interest is declared and the application handed back.")
    expect(page.get_by_role("row").filter(has_text=case.number)).to_contain_text(
        "conflict of interest declared")
    journey.check(reviewer)


def assignment_of(row: Locator, reviewer: DemoAccount) -> Locator:
    """The reviewer's assignment in an application's row of the assignments page (their
    name also appears in the other assignments' swap lists)."""
    return row.locator("li[data-assignment]").filter(
        has_text=re.compile(rf"^\s*{re.escape(reviewer.full_name)} —"))


def chair_reassigns(journey: Journey, case: Case) -> None:
    chair = journey.person("chair")
    page = chair.page
    page.reload()
    row = page.locator(f"#app-{case.app_id}")
    assert case.conflicted is not None
    expect(assignment_of(row, case.conflicted)).to_contain_text("conflict of interest declared")
    expect(row.locator("[data-flag=needs-reviewer]")).to_have_text("needs a reviewer: 1 more")
    journey.check(chair, "conflict")
    save(page, "Assign automatically")
    expect_flash(page, "Automatic assignment made 1 new assignments.")
    for reviewer in case.scoring:
        expect(assignment_of(row, reviewer)).to_contain_text("not started")
    expect(row.locator("[data-flag=needs-reviewer]")).to_have_count(0)


def reviewers_score(journey: Journey, case: Case) -> None:
    for n, account in enumerate(case.scoring):
        reviewer = journey.person(reviewer_key(account))
        page = open_assignment(journey, reviewer, case)
        sheet = page.locator("#review-form")
        criteria = sheet.locator("fieldset[id^=criterion-]")
        expect(criteria).to_have_count(CRITERIA_KEPT)
        for criterion, score in zip(criteria.all(), SCORES[n], strict=True):
            criterion.get_by_label("Score").fill(str(score))
            criterion.get_by_label("Comment").fill(f"Reviewer's note {n + 1}: scored {score}.")
        total = weighted_total(SCORES[n])
        expect(sheet.locator("[data-review-total]")).to_have_text(str(total))
        comment = f"A well-prepared local history project ({n + 1})."
        case.comments.append(comment)
        sheet.get_by_label("Overall comment").fill(comment)
        sheet.get_by_label("fund", exact=True).check()
        save(page, "Submit the review")
        expect_flash(page, "Your review is submitted and locked. Thank you.")
        expect(page.get_by_text("You submitted this review on")).to_be_visible()
        expect(page.locator("#review-scores [data-total]")).to_have_text(str(total))
        journey.check(reviewer, "submitted")


def chair_decides_and_finalises(journey: Journey, case: Case) -> None:
    chair = journey.person("chair")
    page = chair.page
    page.goto(f"/calls/{case.call_id}")
    page.get_by_role("link", name="Ranking and funding line").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ranking and funding decisions")
    ranked = page.locator(f"#ranking-table tr#app-{case.app_id}")
    expect(ranked).to_contain_text(case.number)
    expect(ranked).to_contain_text("2 of 2")
    expect(ranked).to_contain_text("31 / 40")
    expect(ranked).to_contain_text(f"fund: {money(REQUESTED)}")
    expect(page.locator("#fund")).to_have_text(money(FUND))
    expect(page.locator("#free")).to_have_text(money(FUND))
    journey.check(chair)

    decision = page.get_by_role("form", name=re.compile(f"Decision on {case.number}"))
    expect(decision.get_by_label("Decision")).to_have_value("funded")
    expect(decision.get_by_label("Approved amount, ₽")).to_have_value(f"{REQUESTED}")
    save(page, "Save the decision")
    expect_flash(page, f"The decision on {case.number} is recorded.")
    expect(page.locator("#fund")).to_have_text(money(FUND))
    expect(page.locator("#approved-total")).to_have_text(money(REQUESTED))
    expect(page.locator("#free")).to_have_text(money(FUND - REQUESTED))
    expect(ranked).to_contain_text("funded")
    journey.check(chair, "decided")

    save(page, "Finalise the decisions and tell the applicants")
    expect_flash(page, "The decisions are final: 1 applications decided, their applicants told.")
    expect(page.get_by_text("The decisions were made final on")).to_be_visible()
    expect(page.locator("#free")).to_have_text(money(FUND - REQUESTED))
    journey.check(chair, "final")


def library_reads_its_scores(journey: Journey, case: Case) -> None:
    library = journey.person(LIBRARY)
    page = library.page
    page.goto(f"/applications/{case.app_id}")
    expect(page.locator("main p").filter(has_text="Status:")).to_contain_text("funded")
    journey.check(library, "funded")
    page.get_by_role("link", name="Scores and reviewers' comments").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Results of the review")
    decision = page.get_by_role("region", name="The committee's decision")
    expect(decision).to_contain_text(f"funded: {money(REQUESTED)}")
    expect(page.get_by_role("heading", name=re.compile(r"^Reviewer \d$"))).to_have_count(2)
    expect(page.locator("[data-mean]")).to_have_text("31")
    for n, scores in SCORES.items():
        sheet = page.locator(f"#reviewer-{n + 1}-scores")
        expect(sheet.locator("[data-total]")).to_have_text(str(weighted_total(scores)))
        expect(sheet.locator("tbody tr").first).to_contain_text(f"{scores[0]} of 10")
    for comment in case.comments:
        expect(page.get_by_text(comment)).to_be_visible()
    expect(page.get_by_text("Reviewer's note 1: scored 8.")).to_be_visible()
    text = page.locator("body").inner_text()
    html = page.content()
    for reviewer in REVIEWERS:
        for secret in (reviewer.full_name, reviewer.email):
            assert secret not in text and secret not in html, f"{secret} is shown"
    journey.check(library)


def finance_signs_pays_and_downloads(journey: Journey, case: Case) -> None:
    finance = journey.person("finance")
    page = finance.page
    page.get_by_role("table").get_by_role("link", name=CALL_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Finances of the call “{CALL_TITLE}”")
    project = page.locator(f"#project-{case.app_id}")
    expect(project).to_contain_text(case.number)
    expect(project).to_contain_text(money(REQUESTED))
    expect(page.locator("#approved")).to_have_text(money(REQUESTED))
    journey.check(finance)

    # The agreement: prepared, then signed with its scan.
    project.get_by_role("link", name="not prepared yet").click()
    expect(page.locator("#agreement-status")).to_have_text("not prepared yet")
    journey.check(finance, "new")
    save(page, "Prepare the agreement")
    expect_flash(page, "The agreement is prepared with the default payment schedule.")
    expect(page.locator("#agreement-status")).to_have_text("prepared, not signed")
    expect(page.locator("#agreement-amount")).to_contain_text(money(REQUESTED))
    journey.check(finance, "prepared")
    page.get_by_label("Scan of the signed agreement (optional)").set_input_files(
        {"name": "signed-agreement.pdf", "mimeType": "application/pdf", "buffer": make_pdf()})
    save(page, "The agreement is signed")
    expect_flash(page, "The agreement is recorded as signed; the advance can be paid.")
    expect(page.locator("#agreement-status")).to_have_text("signed")
    expect(page.locator("#agreement-scan")).to_contain_text("signed-agreement.pdf")
    journey.check(finance, "signed")

    # The approved budget as a PDF, from the application's page.
    page.get_by_role("link", name="The application", exact=True).click()
    journey.check(finance)
    kind, content = open_document(page, page.get_by_role("link", name="Budget (PDF)"))
    assert kind == "application/pdf" and content.startswith(b"%PDF-")
    assert case.number in pdf_text(content)

    # Every approved budget of the call as one archive, made in the background.
    page.get_by_role("link", name="Finance", exact=True).first.click()
    page.get_by_role("table").get_by_role("link", name=CALL_TITLE).click()
    page.get_by_role("link", name=re.compile(r"^All approved budgets")).click()
    expect(page.get_by_text("The call has 1 funded project.")).to_be_visible()
    journey.check(finance, "no archive")
    save(page, "Prepare the archive")
    # The page follows the job by itself (and reloads when it is done), so it is checked
    # once the archive is ready.
    expect(page.get_by_role("region", name=re.compile("^Archive of "))).to_be_visible()
    download = page.get_by_role("link", name="Download the archive (ZIP)")
    expect(download).to_be_visible(timeout=JOB_TIMEOUT_MS)
    expect(page.locator("#job-state")).to_have_text("ready")
    expect(page.locator("#job-count")).to_have_text("1 of 1 budgets")
    journey.check(finance, "ready")
    name, content = read_download(page, download)
    assert name.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        names = archive.namelist()
        assert f"{case.number}.pdf" in names, names
        budget = archive.read(f"{case.number}.pdf")
    assert budget.startswith(b"%PDF-") and case.number in pdf_text(budget)

    # The advance is paid.
    page.goto(f"/finance/calls/{case.call_id}")
    payment = page.get_by_role("form", name=re.compile(f"{case.number}, tranche 1"))
    advance = payment.get_by_label("Amount paid, ₽").input_value()
    expect(payment.get_by_label("Payment date")).not_to_have_value("")
    journey.check(finance, "payable")
    payment.get_by_label("Payment order number").fill("PO-417")
    payment.get_by_role("button", name="Record the payment").click()
    paid = money(Decimal(advance))
    expect_flash(page, f"The payment of {paid} (payment order PO-417) on tranche 1 of "
                       f"agreement No. С-{case.number} is recorded.")
    tranche = page.locator(f"#project-{case.app_id} li[id^=tranche-]").first
    expect(tranche.locator(".badge")).to_have_text("paid")
    expect(tranche).to_contain_text("payment order PO-417")
    expect(page.locator("#paid")).to_have_text(paid)
    journey.check(finance, "paid")


def library_submits_its_interim_report(journey: Journey, case: Case) -> None:
    library = journey.person(LIBRARY)
    page = go_home(library)
    due = page.get_by_role("region", name="Reports to submit")
    due.get_by_role("listitem").filter(has_text=case.number).get_by_role(
        "link", name="Interim report").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Interim report")
    expect(page.locator("[data-report-status]")).to_have_text("being prepared")
    journey.check(library, "draft")

    narrative = page.locator("#narrative-section")
    narrative.get_by_label("What was done").fill(
        "Five evenings held; the scanner is bought and digitises the town's newspapers.")
    narrative.get_by_role("button", name="Save").click()
    expect_flash(page, "Saved.")

    indicators = page.locator("section#indicators")
    indicators.get_by_label("Achieved: Participants").fill("120")
    indicators.get_by_role("button", name="Save").click()
    expect_flash(page, "Saved.")

    spending = page.locator("#spending-form")
    for n, (requested, own) in enumerate((("140000", "60000"), ("20000", "8000")), start=1):
        line = spending.locator(f"#spending-line-{n}")
        line.get_by_label("Municipal grant spent, ₽").fill(requested)
        line.get_by_label("Own funds spent, ₽").fill(own)
        line.get_by_label("Partners' funds spent, ₽").fill("0")
    spending.get_by_role("button", name="Save").click()
    expect_flash(page, "Saved.")
    check = page.get_by_role("region", name="Before you submit")
    expect(check).to_contain_text("The report is complete.")
    journey.check(library, "complete")
    check.get_by_role("button", name="Submit the report").click()
    expect_flash(page, "The report has been submitted. Finance will check it;")
    expect(page.locator("[data-report-status]")).to_have_text("submitted, being checked")
    journey.check(library, "submitted")


def finance_accepts_the_report(journey: Journey, case: Case) -> None:
    finance = journey.person("finance")
    page = finance.page
    project = page.locator(f"#project-{case.app_id}")
    project.get_by_role("link", name=case.number, exact=True).click()
    reports = page.get_by_role("region", name="Reports")
    expect(reports).to_contain_text("submitted, being checked")
    reports.get_by_role("link", name="Interim report").click()
    expect(page.locator("[data-report-status]")).to_have_text("submitted, being checked")
    journey.check(finance)
    decision = page.get_by_role("region", name="Your decision")
    decision.get_by_label("Comment for the library (optional)").fill("Thank you, all in order.")
    decision.get_by_role("button", name="Accept the report").click()
    expect_flash(page, "The report has been accepted and the library told. Released for "
                       "payment: tranche 2.")
    expect(page.locator("[data-report-status]")).to_have_text("accepted")
    expect(page.locator("#rounds")).to_contain_text("Thank you, all in order.")
    journey.check(finance, "accepted")


# --- the keyboard alone ---------------------------------------------------------------------


def date_typing_order(page: Page) -> str:
    """The order in which this browser's date fields take the month, the day and the year
    when typed ("mdy" or "dmy"): it follows the browser's own locale, not the page's, so
    it is asked of the browser, on a scratch page of the same context."""
    probe = page.context.new_page()
    try:
        probe.set_content('<input type="date" id="probe">')
        probe.keyboard.press("Tab")
        probe.keyboard.type("01022003")
        typed = probe.eval_on_selector("#probe", "field => field.value")
    finally:
        probe.close()
    orders = {"2003-01-02": "mdy", "2003-02-01": "dmy"}
    assert typed in orders, f"this browser's date fields take {typed!r} for 01022003"
    return orders[typed]


def type_date(page: Page, value: date, order: str) -> None:
    parts = {"m": f"{value.month:02d}", "d": f"{value.day:02d}", "y": f"{value.year:04d}"}
    page.keyboard.type("".join(parts[part] for part in order))


def tab_to(page: Page, target: Locator, limit: int = 80) -> None:
    """Press Tab until `target` has the focus; fail when it cannot be reached."""
    handle = target.element_handle()
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("el => document.activeElement === el", handle):
            return
    raise AssertionError(f"{target} cannot be reached with the Tab key")


def press_and_wait(page: Page, key: str) -> None:
    """Press `key` on the focused control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press(key)


def tab_and_type(page: Page, field: Locator, text: str) -> None:
    """The next field in the Tab order is `field`: type `text` into it."""
    page.keyboard.press("Tab")
    expect(field).to_be_focused()
    page.keyboard.type(text)


def choose_with_arrows(page: Page, select: Locator, label: str) -> None:
    """Choose an option of the focused select with the arrow keys."""
    expect(select).to_be_focused()
    options = select.locator("option").all_inner_texts()
    current = select.evaluate("s => s.selectedIndex")
    steps = options.index(label) - current
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowDown" if steps > 0 else "ArrowUp")
    expect(select.locator("option:checked")).to_have_text(label)


# --- the tests ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def journey_server(
    start_live_server: Callable[[str], AbstractContextManager[LiveServer]],
) -> Iterator[LiveServer]:
    """A live server for this module alone: the journey changes what others look at."""
    with start_live_server("journey") as server:
        yield server


def test_the_life_of_a_competition(
    journey_server: LiveServer, new_page: Callable[[str, str], Page]
):
    journey = Journey(journey_server, new_page)
    case = Case()

    chair_opens_a_call(journey, case)
    library_applies(journey, case)
    the_deadline_passes(journey_server, case.call_id)
    chair_screens_and_assigns(journey, case)
    reviewer_declares_a_conflict(journey, case)
    chair_reassigns(journey, case)
    reviewers_score(journey, case)
    chair_decides_and_finalises(journey, case)
    library_reads_its_scores(journey, case)
    finance_signs_pays_and_downloads(journey, case)
    library_submits_its_interim_report(journey, case)
    finance_accepts_the_report(journey, case)

    print(f"axe-core checked {len(journey.checked)} page states on "
          f"{len(journey.distinct_pages)} distinct pages")
    for key, person in journey.people.items():
        assert person.errors == [], f"{key}: {person.errors}"


def test_an_application_completed_with_the_keyboard_alone(
    journey_server: LiveServer, new_page: Callable[[str, str], Page]
):
    """A library starts an application and fills in its general section and a budget line
    with the keyboard alone (Tab, typing, arrow keys, Enter): every control is reached in
    the order it is read, and what was typed is saved."""
    page = new_page(journey_server.url, "keyboard")
    errors = collect_errors(page)
    order = date_typing_order(page)
    sign_in(page, journey_server.url, ACCOUNT["library2"], LANG)

    title = re.compile(re.escape(DEMO_CALL_TITLE).replace(re.escape("{year}"), r"(\d{4})"))
    card = page.locator(".card").filter(has=page.get_by_role("heading", name=title))
    year = int(title.search(card.get_by_role("heading").inner_text()).group(1))
    start, end = date(year, 4, 1), date(year, 10, 31)

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    tab_to(page, card.get_by_role("button", name="Start an application"))
    press_and_wait(page, "Enter")
    expect_flash(page, "Your application is started.")
    application = page.url

    tab_to(page, page.get_by_role("link", name="General information", exact=True))
    press_and_wait(page, "Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("General information")
    tab_to(page, page.get_by_label("Project title"))
    page.keyboard.type("Reading aloud in the courtyards")
    page.keyboard.press("Tab")
    choose_with_arrows(page, page.get_by_label("Direction"), DEMO_DIRECTIONS[0])
    page.keyboard.press("Tab")
    expect(page.get_by_label("Start date")).to_be_focused()
    type_date(page, start, order)
    tab_to(page, page.get_by_label("End date"), limit=5)
    type_date(page, end, order)
    tab_to(page, page.get_by_label("Summary"), limit=5)
    page.keyboard.type("Summer readings for children in the courtyards of the town.")
    tab_to(page, page.get_by_role("button", name="Save", exact=True), limit=5)
    press_and_wait(page, "Enter")
    expect_flash(page, "Saved.")

    tab_to(page, page.get_by_role("link", name="Budget", exact=True))
    press_and_wait(page, "Enter")
    line = group(page, "Line 1")
    tab_to(page, line.get_by_label("Category"))
    choose_with_arrows(page, line.get_by_label("Category"),
                       "Acquisitions (books, periodicals, e-resources)")
    for label, text in (("Item", "Picture books"), ("Justification", "Publisher's price list"),
                        ("Unit", "pcs"), ("Quantity", "100"), ("Unit price, ₽", "1000"),
                        ("Requested, ₽", "80000"), ("Own funds, ₽", "20000"),
                        ("Partners' funds, ₽", "0")):
        tab_and_type(page, line.get_by_label(label, exact=True), text)
    expect(line.locator("[data-line-total]")).to_have_text(money(Decimal("100000")))
    expect(page.locator("[data-cofinancing]")).to_have_text(format_percent(Decimal("20"), LANG))
    tab_to(page, page.get_by_role("button", name="Save", exact=True))
    press_and_wait(page, "Enter")
    expect_flash(page, "Saved.")

    # What was typed is saved, and the two sections are complete.
    tasks = page.get_by_role("region", name="Sections of the application")
    for section in ("General information", "Budget"):
        expect(tasks.get_by_role("listitem").filter(has_text=section)).to_contain_text(
            "complete")
    page.goto(f"{application}/edit/general")
    expect(page.get_by_label("Project title")).to_have_value("Reading aloud in the courtyards")
    expect(page.get_by_label("Direction")).to_have_value(DEMO_DIRECTIONS[0])
    expect(page.get_by_label("Start date")).to_have_value(start.isoformat())
    expect(page.get_by_label("End date")).to_have_value(end.isoformat())
    expect(page.get_by_label("Summary")).to_have_value(
        "Summer readings for children in the courtyards of the town.")
    page.goto(f"{application}/edit/budget")
    line = group(page, "Line 1")
    expect(line.get_by_label("Category")).to_have_value("acquisitions")
    expect(line.get_by_label("Item")).to_have_value("Picture books")
    expect(line.get_by_label("Quantity")).to_have_value("100")
    expect(line.get_by_label("Own funds, ₽")).to_have_value("20000.00")
    expect(page.locator("#budget-summary tfoot")).to_contain_text(money(Decimal("80000")))
    assert errors == []
