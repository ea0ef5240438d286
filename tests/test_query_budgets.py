"""Query budgets. Every page a signed-in user reaches from their dashboard (a crawl of the
links from `/`, two clicks deep, as each role) and every PDF costs the same number of SQL
statements with a small competition and with one fifty times larger, and a page at most
MAX_STATEMENTS (ABOVE_BUDGET names the pages allowed more, and why). The competition is made
by the bench generator through the services, then copied in bulk: libraries and people,
applications with everything below them (budget lines, reviews and scores, decisions,
agreements, tranches, payments, reports), the audit log and the outbox, and the rows of each
original application (its sections, budget lines, indicators, their report rows, its
payments) themselves.

And the guard of tests/conftest.py: a request that lazy-loads one relationship row by row
fails the test that made it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from bench.generate import Generator, Volumes
from portal.db import Base
from portal.forms.applications import ActivitiesForm, BudgetForm, IndicatorsForm, PartnersForm
from portal.models import (
    Agreement,
    Application,
    Assignment,
    BudgetLine,
    Call,
    Report,
    ReportSpending,
    Review,
    ReviewStatus,
    User,
)
from portal.services import ranking as ranking_service
from tests.conftest import MAX_LAZY_LOADS, recorded_statements
from tests.test_injection import DOCUMENT_SUFFIXES, internal_links

MAX_STATEMENTS = 12
GROWTH = 50
DEPTH = 2  # clicks from the dashboard
PUBLIC = ("/public/", "/api/")  # the same pages whoever is signed in

# The pages allowed more than MAX_STATEMENTS (endpoint -> why). Their counts must still not
# grow with the data.
ABOVE_BUDGET: dict[str, str] = {}

SMALL = Volumes(libraries=2, calls=6, applications=12, min_lines=3, max_lines=3,
                reviews_per_application=2, reviewers=4, seed=7)


# --- the competition, small and fifty times larger --------------------------------------------


@dataclass(frozen=True)
class Cast:
    """Who looks at the competition, and what the PDFs are made of."""

    applicant: int
    reviewer: int
    chair: int
    finance: int
    admin: int
    funded: int  # an application with a signed agreement and a submitted report
    report: int
    decided_call: int
    review: int  # a submitted review of `reviewer`


def make_small(app: Flask, db: Session) -> Cast:
    """The small competition, and who looks at it: an applicant whose library has a signed
    agreement with a submitted report, the reviewer with the most assignments, the staff."""
    with app.test_request_context():
        generator = Generator(db, SMALL, log=lambda _line: None)
        generator.run()
    people = generator.cast
    report = db.scalars(select(Report).where(Report.submitted_at.is_not(None))
                        .order_by(Report.id)).first()
    assert report is not None, "the small competition has no report: choose another seed"
    funded = report.agreement.application
    reviewer = db.scalar(
        select(Assignment.reviewer_id).group_by(Assignment.reviewer_id)
        .order_by(func.count().desc(), Assignment.reviewer_id).limit(1))
    review = db.scalar(select(Review.id).where(Review.status == ReviewStatus.SUBMITTED,
                                               Review.reviewer_id == reviewer)
                       .order_by(Review.id).limit(1))
    assert reviewer is not None and review is not None
    return Cast(applicant=people.applicants[funded.organisation_id][0], reviewer=reviewer,
                chair=people.chair, finance=people.finance, admin=people.admin,
                funded=funded.id, report=report.id, decided_call=funded.call_id,
                review=review)


# The libraries and people, fifty times over, so that a list that loads them one per row
# cannot hide behind the few of the small competition; calls stay as they are.
PEOPLE = ("organisations", "users", "user_roles")
# The rows fifty times over: what hangs under applications, and the logs. Half the copies
# belong to the same libraries and people (so that their own lists grow too), the other half
# to the copies of them (so that a call's lists span fifty times the libraries and people).
COPIED = ("applications", "application_activities", "application_partners",
          "application_indicators", "budget_lines", "application_attachments", "assignments",
          "reviews", "review_scores", "decisions", "agreements", "tranches", "payments",
          "reports", "report_spending", "report_indicators", "report_rounds",
          "report_documents", "audit_events", "outbox_messages")
# The rows of each original application (and of its reports and tranches) that its own
# pages list, copied under the same parent: as many times over as the data, or as the
# application's form takes rows.
WIDENED = ("application_activities", "application_partners", "application_indicators",
           "budget_lines", "report_spending", "report_indicators", "payments", "report_rounds")
FORM_ROWS = {"application_activities": ActivitiesForm, "application_partners": PartnersForm,
             "application_indicators": IndicatorsForm, "budget_lines": BudgetForm}
REPORT_ROWS = {"report_spending": "budget_lines", "report_indicators": "application_indicators"}


def copy_rows(db: Session, table: Table, rows: list[dict[str, Any]], copies: int,
              moved: dict[str, dict[int, list[int]]], adjust: Any) -> dict[int, list[int]]:
    """Insert `copies` copies of `rows` (new ids); a reference to a table in `moved` points
    to the copy of the same number, `adjust(row, n)` keeps unique values unique. Returns
    each old id with the ids of its copies."""
    references = {column.name: next(iter(column.foreign_keys)).column.table.name
                  for column in table.columns if column.foreign_keys}
    new_rows = []
    for n in range(copies):
        for row in rows:
            copy = {key: value for key, value in row.items() if key != "id"}
            for column, target in references.items():
                if target in moved and copy[column] in moved[target]:
                    copy[column] = moved[target][copy[column]][n]
            adjust(copy, n + 1)
            new_rows.append(copy)
    if not new_rows:
        return {}
    if "id" not in table.c:  # user_roles: nothing refers to its rows
        db.execute(insert(table), new_rows)
        return {}
    ids = list(db.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True),
                          new_rows))
    copied: dict[int, list[int]] = {row["id"]: [] for row in rows}
    for index, new_id in enumerate(ids):
        copied[rows[index % len(rows)]["id"]].append(new_id)
    return copied


class Unique:
    """What keeps a copy's unique columns unique."""

    def __init__(self, db: Session) -> None:
        self.sequences = dict(db.execute(select(Call.id, Call.last_sequence)).all())
        self.codes = {call.id: call.code for call in db.scalars(select(Call))}

    def __call__(self, table: str, row: dict[str, Any], n: int) -> None:
        if table == "organisations":
            row["kpp"] = f"{n:04d}{row['kpp'][4:]}"
        if table == "users":
            row["email"] = f"{n}.{row['email']}"
        if table == "applications" and row["sequence"] is not None:
            self.sequences[row["call_id"]] += 1
            row["sequence"] = self.sequences[row["call_id"]]
            row["registration_number"] = f"{self.codes[row['call_id']]}-{row['sequence']:04d}"
        for column in ("number", "stored_name", "scan_stored_name"):
            if table in ("agreements", "application_attachments", "report_documents") \
                    and row.get(column):
                row[column] = f"{n}-{row[column]}"


def grow(db: Session, factor: int = GROWTH) -> None:
    """Make the competition `factor` times larger: `factor` - 1 copies of the PEOPLE and
    of the COPIED rows, and of each original application's (reports', tranches') WIDENED
    rows under the same parent."""
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    originals = {name: [dict(r._mapping) for r in db.execute(select(tables[name]))]
                 for name in (*PEOPLE, *COPIED)}
    unique = Unique(db)
    moved: dict[str, dict[int, list[int]]] = {}
    for name in PEOPLE:
        moved[name] = copy_rows(db, tables[name], originals[name], factor - 1, moved,
                                lambda row, n, name=name: unique(name, row, n))
    half = (factor - 1) // 2
    for name in ("organisations", "users"):  # the first half of the copies: the same ones
        moved[name] = {old: [old] * half + new[half:] for old, new in moved[name].items()}
    for name in (t.name for t in Base.metadata.sorted_tables if t.name in COPIED):
        moved[name] = copy_rows(db, tables[name], originals[name], factor - 1, moved,
                                lambda row, n, name=name: unique(name, row, n))
    for call_id, sequence in unique.sequences.items():
        db.execute(update(Call).where(Call.id == call_id).values(last_sequence=sequence))

    widened: dict[str, dict[int, list[int]]] = {}
    copies: dict[str, int] = {}
    for name in WIDENED:
        rows = originals[name]
        source = REPORT_ROWS.get(name)
        if source is not None:  # a report row for each copy of its line, in the same report
            copies[name] = copies[source]
            widened[name] = copy_rows(db, tables[name], rows, copies[name], widened,
                                      lambda row, n: None)
            continue
        copies[name] = factor - 1
        if name in FORM_ROWS:  # no more rows than the form takes
            most = max(Counter(row["application_id"] for row in rows).values(), default=1)
            copies[name] = min(factor, FORM_ROWS[name].rows.kwargs["max_entries"] // most) - 1
        numbered = "number" if name == "report_rounds" else "position"
        step = max((row.get(numbered) or 0 for row in rows), default=0)

        def spread(row: dict[str, Any], n: int, numbered: str = numbered,
                   step: int = step) -> None:
            if numbered in row:
                row[numbered] += n * step

        widened[name] = copy_rows(db, tables[name], rows, copies[name], {}, spread)
    db.flush()
    db.expire_all()


def assert_still_a_competition(db: Session) -> None:
    """The copies keep the rules the pages rely on: GROWTH times the applications, their
    numbers unique and gapless in each call, each report row on a line of its own project."""
    assert db.scalar(select(func.count()).select_from(Application)) == \
        SMALL.applications * GROWTH
    for call in db.scalars(select(Call)):
        sequences = sorted(db.scalars(select(Application.sequence).where(
            Application.call_id == call.id, Application.sequence.is_not(None))))
        assert sequences == list(range(1, call.last_sequence + 1))
    assert not db.scalar(
        select(func.count()).select_from(ReportSpending)
        .join(BudgetLine, BudgetLine.id == ReportSpending.budget_line_id)
        .join(Report, Report.id == ReportSpending.report_id)
        .join(Agreement, Agreement.id == Report.agreement_id)
        .where(BudgetLine.application_id != Agreement.application_id))


# --- the crawl --------------------------------------------------------------------------------


def sign_in(client: FlaskClient, user: User) -> None:
    with client.session_transaction() as sess:
        sess.clear()
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True


def statements_of(client: FlaskClient, db: Session, url: str) -> tuple[int, Any]:
    with recorded_statements(db.get_bind().engine) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(statements), response


def crawl(client: FlaskClient, db: Session, known: set[str]
          ) -> tuple[dict[str, int], set[str]]:
    """The pages DEPTH clicks from `/` with their statement counts, and the documents
    linked from them; the public pages in `known` (measured as another role) are left out:
    they are the same for everyone."""
    pages: dict[str, int] = {}
    documents: set[str] = set()
    seen = {"/", *(url for url in known if url.startswith(PUBLIC))}
    level = ["/"]
    for depth in range(DEPTH + 1):
        following = []
        for url in level:
            count, response = statements_of(client, db, url)
            if response.mimetype != "text/html":
                continue
            pages[url] = count
            for link in internal_links(response.get_data(as_text=True)):
                if link in seen:
                    continue
                seen.add(link)
                if urlsplit(link).path.endswith(DOCUMENT_SUFFIXES):
                    documents.add(link)
                elif depth < DEPTH:
                    following.append(link)
        level = following
    return pages, documents


def listed_pdfs(cast: Cast) -> dict[str, list[str]]:
    """Every kind of PDF, for the roles that read it, whether or not the crawl reached it."""
    app = f"/applications/{cast.funded}"
    committee = f"/committee/calls/{cast.decided_call}"
    sheet = f"/review/reviews/{cast.review}/sheet.pdf"
    report = f"/reports/{cast.report}/report.pdf"
    return {
        "applicant": [f"{app}/application.pdf", f"{app}/budget.pdf", f"{app}/agreement.pdf",
                      report],
        "finance": [f"{app}/agreement.pdf", f"{app}/budget.pdf", report],
        "chair": [f"{committee}/protocol.pdf", f"{committee}/admission.pdf",
                  f"{committee}/summary.pdf", sheet, f"{app}/application.pdf"],
        "reviewer": [sheet],
    }


@pytest.fixture
def no_pdf_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements are all run before WeasyPrint gets the HTML: skip the rendering."""
    import portal.pdf

    monkeypatch.setattr(portal.pdf, "html_to_pdf", lambda html, **_: b"%PDF-1.7 not rendered")


def endpoint(app: Flask, url: str) -> str:
    return app.url_map.bind("localhost").match(urlsplit(url).path)[0]


def test_no_page_costs_more_statements_with_fifty_times_the_data(
    app: Flask, db: Session, client: FlaskClient, no_pdf_rendering: None, assurance: Any,
    monkeypatch: pytest.MonkeyPatch,
):
    # Every page as on its first view: a ranking kept from an earlier view would hide what
    # computing it costs (tests/test_ranking.py counts the kept one).
    monkeypatch.setattr(ranking_service, "KEPT_RANKINGS", 0)
    cast = make_small(app, db)
    roles = {"applicant": cast.applicant, "reviewer": cast.reviewer, "chair": cast.chair,
             "finance": cast.finance, "admin": cast.admin}
    small: dict[tuple[str, str], int] = {}
    pdfs = listed_pdfs(cast)
    for role, user_id in roles.items():
        sign_in(client, db.get(User, user_id))
        pages, documents = crawl(client, db, {url for _role, url in small})
        assert len(pages) > 3, role
        small.update({(role, url): count for url, count in pages.items()})
        for url in sorted(documents | set(pdfs.get(role, []))):
            small[(role, url)] = statements_of(client, db, url)[0]

    grow(db)
    assert_still_a_competition(db)
    large: dict[tuple[str, str], int] = {}
    for role, user_id in roles.items():
        sign_in(client, db.get(User, user_id))
        for (page_role, url) in small:
            if page_role == role:
                large[(role, url)] = statements_of(client, db, url)[0]

    table = "\n".join(f"{role:<10} {small[(role, url)]:>4} {large[(role, url)]:>4}  {url}"
                      for role, url in sorted(small))
    print(f"\nrole       small x{GROWTH}  page\n{table}")
    grown = {key: (small[key], large[key]) for key in small if large[key] != small[key]}
    assert not grown, f"statements that change with the data (small, large): {grown}"
    over = {key: small[key] for key in small
            if not urlsplit(key[1]).path.endswith(DOCUMENT_SUFFIXES)
            and small[key] > MAX_STATEMENTS and endpoint(app, key[1]) not in ABOVE_BUDGET}
    assert not over, f"pages above {MAX_STATEMENTS} statements: {over}"
    covered = {endpoint(app, url) for _role, url in small}
    for document in ("documents.application_pdf", "documents.budget_pdf",
                     "documents.agreement_pdf", "committee.protocol_pdf",
                     "screening.admission_pdf", "committee.summary_pdf", "reports.report_pdf",
                     "review.score_sheet"):
        assert document in covered, document
    assurance("pages and documents with a query budget (role x address)", len(small))


# --- the guard against lazy loading row by row ------------------------------------------------


@pytest.fixture
def view(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Callable[[Any], None]:
    """Replace the call list's view by `set_view(function)` for one test."""

    def set_view(function: Any) -> None:
        monkeypatch.setitem(app.view_functions, "calls.call_list", function)

    return set_view


def organisations_of(limit: int) -> str:
    from portal.db import session

    applications = session.scalars(select(Application).order_by(Application.id)
                                   .limit(limit)).all()
    return ", ".join(app.organisation.short_name for app in applications)


def test_the_guard_fails_a_request_that_lazy_loads_a_relationship_row_by_row(
    client: FlaskClient, create_application: Any, view: Any
):
    for _ in range(MAX_LAZY_LOADS + 1):
        create_application()  # each of its own library
    view(lambda: organisations_of(MAX_LAZY_LOADS + 1))
    # PerRowLazyLoad, an AssertionError (pytest imports conftest as a module of its own)
    with pytest.raises(AssertionError, match=r"Application\.organisation was lazy-loaded "
                                             rf"for {MAX_LAZY_LOADS + 1} rows .* GET /calls/"):
        client.get("/calls/")


def test_the_guard_lets_a_request_lazy_load_a_few_objects(
    client: FlaskClient, create_application: Any, view: Any
):
    for _ in range(MAX_LAZY_LOADS + 1):
        create_application()
    view(lambda: organisations_of(MAX_LAZY_LOADS))
    response = client.get("/calls/")
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("Библиотека №") == MAX_LAZY_LOADS


def lines_reloaded(times: int) -> str:
    from portal.db import session

    app = session.scalars(select(Application).order_by(Application.id)).first()
    counts = []
    for _ in range(times):
        session.expire(app, ["budget_lines"])
        counts.append(len(app.budget_lines))
    return str(counts)


def test_the_guard_counts_rows_not_reloads_of_one_row(
    client: FlaskClient, create_application: Any, view: Any
):
    create_application()
    view(lambda: lines_reloaded(MAX_LAZY_LOADS + 2))
    response = client.get("/calls/")
    assert response.status_code == 200
    assert response.get_data(as_text=True) == str([3] * (MAX_LAZY_LOADS + 2))


def test_the_guard_counts_each_request_on_its_own(
    client: FlaskClient, create_application: Any, view: Any
):
    for _ in range(MAX_LAZY_LOADS):
        create_application()
    view(lambda: organisations_of(MAX_LAZY_LOADS))
    for _ in range(2):
        assert client.get("/calls/").status_code == 200


def test_the_guard_leaves_work_outside_requests_alone(
    app: Flask, db: Session, create_application: Any
):
    created = [create_application().id for _ in range(MAX_LAZY_LOADS + 1)]
    with app.test_request_context():  # as services called by tests and jobs run
        db.expunge_all()
        applications = db.scalars(select(Application).where(Application.id.in_(created))).all()
        assert len({a.organisation.short_name for a in applications}) == MAX_LAZY_LOADS + 1


