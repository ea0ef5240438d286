"""The benchmarks of the portal (issue 7): pages under load, their growth with the number of
applications, documents, the bulk archive and the ranking's aggregation. Prints a table and
rewrites the figures of docs/PERFORMANCE.md between its markers (the method text stays).

    python -m bench.run --database-url URL [--only pages] [--runs 3] [--duration 30]
    python -m bench.run --quick --database-url URL          # a smoke run: seconds, not results
    python -m bench.run --only growth --growth URL500 URL5000 URL20000

The database must hold data made by `python -m bench.generate` (the accounts and their
password are the generator's). Pages are measured with wrk against gunicorn started with the
production settings; documents, bulk and aggregation run in this process. Each figure is the
median of --runs runs."""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.generate import BENCH_PASSWORD, DOMAIN
from bench.load import PROJECT_ROOT, BenchError, Browser, LoadResult, Server, run_wrk, wrk_path

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/vektor_bench"
SECTIONS = ("pages", "growth", "documents", "bulk", "aggregation")
REPORT_PATH = PROJECT_ROOT / "docs" / "PERFORMANCE.md"
START_MARKER = "<!-- bench:figures:start -->"
END_MARKER = "<!-- bench:figures:end -->"
BUDGET_LINES = 60  # the application page and the draft document: one with this many lines
RANKED_APPLICATIONS = 1000  # the ranking page: the call closest to this many admitted ones
ZIP_PROJECTS = 200


@dataclass
class Settings:
    database_url: str
    duration: float
    connections: int
    threads: int
    runs: int
    quick: bool
    workers: int | None
    renders: tuple[int, int]  # bulk: RSS reported after this many renders and after that many


@dataclass
class Row:
    """One line of the table: a section, what was measured, its figures and a verdict."""

    section: str
    name: str
    figures: dict[str, str]
    verdict: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, section: str, name: str, verdict: str = "", **figures: str) -> None:
        self.rows.append(Row(section, name, figures, verdict))


def median(values: Iterable[float]) -> float:
    values = list(values)
    return statistics.median(values) if values else float("nan")


# --- the data: which pages, for whom -------------------------------------------------------


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    path: str
    role: str | None  # the account that signs in, None for an anonymous visitor
    goal: float | None = None  # requests per second at least this share of the trivial one
    headers: tuple[tuple[str, str], ...] = ()
    status: int = 200


@dataclass
class Targets:
    pages: list[Page]
    accounts: dict[str, str]  # role -> e-mail
    application_count: int
    final_document: str | None  # a funded application's budget.pdf
    describe: list[str]


@contextmanager
def portal_app(database_url: str) -> Iterator[Any]:
    """The portal in this process on `database_url`, with its files (uploads, archives, the
    document store) in a temporary folder that goes afterwards."""
    from portal import create_app

    with tempfile.TemporaryDirectory(prefix="vektor-bench-") as data_dir:
        folder = Path(data_dir)
        app = create_app({
            "DATABASE_URL": database_url, "MAIL_SERVER": None, "MAIL_BACKEND": None,
            "DATA_DIR": data_dir, "UPLOAD_DIR": str(folder / "uploads"),
            "JOBS_DIR": str(folder / "jobs"), "DOCUMENTS_DIR": str(folder / "documents"),
            # Nothing renders behind the measurement's back on a thread of this process.
            "DOCUMENT_PRERENDER": False,
        })
        try:
            yield app
        finally:
            app.extensions["vektor.db"]["engine"].dispose()


def find_targets(session: Any) -> Targets:
    """The URLs of the issue, chosen from what the generator made."""
    from sqlalchemy import func, select

    from portal.models import Application, Assignment, BudgetLine, Call, User
    from portal.permissions import FUNDED_STATUSES
    from portal.workflow import ADMITTED_STATUSES

    total = int(session.scalar(select(func.count()).select_from(Application)) or 0)
    if not total:
        raise BenchError("the database holds no applications; fill it with "
                         "`python -m bench.generate --database-url URL` first")
    lines = (select(BudgetLine.application_id, func.count().label("n"))
             .group_by(BudgetLine.application_id).subquery())
    app_id, line_count = session.execute(
        select(lines.c.application_id, lines.c.n)
        .order_by(func.abs(lines.c.n - BUDGET_LINES), lines.c.application_id).limit(1)).one()
    application = session.get(Application, app_id)
    applicant = session.get(User, application.created_by_id) if application.created_by_id \
        else None
    if applicant is None:
        applicant = session.scalars(select(User).where(
            User.organisation_id == application.organisation_id).order_by(User.id)).first()
    reviewer_id, assigned = session.execute(
        select(Assignment.reviewer_id, func.count().label("n")).group_by(Assignment.reviewer_id)
        .order_by(func.count().desc(), Assignment.reviewer_id).limit(1)).one()
    reviewer = session.get(User, reviewer_id)
    in_review = session.scalar(
        select(func.count()).select_from(Assignment).join(Call, Call.id == Assignment.call_id)
        .where(Assignment.reviewer_id == reviewer_id, Call.decisions_finalised_at.is_(None)))
    admitted = (select(Application.call_id, func.count().label("n"))
                .where(Application.status.in_(ADMITTED_STATUSES))
                .group_by(Application.call_id).subquery())
    ranking_call, ranked = session.execute(
        select(admitted.c.call_id, admitted.c.n)
        .order_by(func.abs(admitted.c.n - RANKED_APPLICATIONS), admitted.c.call_id)
        .limit(1)).one()
    funded = (select(Application.call_id, func.count().label("n"), func.min(Application.id)
                     .label("first"))
              .where(Application.status.in_(FUNDED_STATUSES))
              .group_by(Application.call_id).subquery())
    finance_row = session.execute(
        select(funded.c.call_id, funded.c.n, funded.c.first)
        .order_by(funded.c.n.desc()).limit(1)).first()
    accounts = {"applicant": applicant.email, "reviewer": reviewer.email,
                "chair": f"chair@{DOMAIN}", "finance": f"finance@{DOMAIN}"}
    pages = [
        Page("trivial", "/healthz (the ceiling)", "/healthz", None),
        Page("login", "sign-in page", "/login", None),
        Page("dashboard", "applicant dashboard", "/dashboard/applicant", "applicant", 0.5),
        Page("application", f"application ({line_count} budget lines)",
             f"/applications/{app_id}", "applicant", 0.5),
        Page("assignments", f"reviewer's assignments ({in_review} in review of {assigned})",
             "/review/", "reviewer"),
        Page("ranking", f"ranking ({ranked} applications)",
             f"/committee/calls/{ranking_call}/ranking", "chair", 0.3),
    ]
    if finance_row is not None:
        pages.append(Page("finance", f"finance dashboard ({finance_row.n} funded)",
                          f"/finance/calls/{finance_row.call_id}", "finance"))
    describe = [
        f"{total} applications; application {app_id} of {applicant.email} "
        f"({line_count} lines, {application.status.value}); reviewer {reviewer.email} "
        f"({assigned} assignments); ranking of call {ranking_call} ({ranked} admitted)"
        + (f"; finance dashboard of call {finance_row.call_id}" if finance_row else ""),
    ]
    document = (f"/applications/{finance_row.first}/budget.pdf" if finance_row else None)
    return Targets(pages, accounts, total, document, describe)


def load_targets(database_url: str) -> Targets:
    from portal.db import db

    with portal_app(database_url) as app, app.app_context():
        return find_targets(db.get_session())


# --- 1 and 2: pages under load -------------------------------------------------------------


@dataclass
class PageFigures:
    page: Page
    runs: list[LoadResult]

    @property
    def rps(self) -> float:
        return median(r.rps for r in self.runs)

    @property
    def p50(self) -> float:
        return median(r.p50_ms for r in self.runs)

    @property
    def p99(self) -> float:
        return median(r.p99_ms for r in self.runs)

    @property
    def server_p50(self) -> str:
        values = [r.server_p50_ms for r in self.runs if r.server_p50_ms is not None]
        return f"{median(values):.1f}" if values else "-"

    @property
    def errors(self) -> int:
        return sum(r.errors for r in self.runs)


def sign_in_all(server: Server, accounts: dict[str, str]) -> dict[str, str]:
    cookies: dict[str, str] = {}
    for role, email in accounts.items():
        browser = Browser(server.base_url)
        browser.sign_in(email, BENCH_PASSWORD)
        cookies[role] = browser.cookie_header()
    return cookies


def page_headers(page: Page, cookies: dict[str, str]) -> dict[str, str]:
    headers = dict(page.headers)
    if page.role is not None:
        headers["Cookie"] = cookies[page.role]
    return headers


def check_page(server: Server, page: Page, cookies: dict[str, str]) -> None:
    """The page answers as expected for its account (not a redirect to sign in, not 403)."""
    status, _headers, _body = Browser(server.base_url).request(
        page.path, headers=page_headers(page, cookies))
    if status != page.status:
        raise BenchError(f"{page.path} answered {status} instead of {page.status} "
                         f"for {page.role or 'an anonymous visitor'}")


def load_pages(server: Server, pages: Sequence[Page], cookies: dict[str, str],
               settings: Settings) -> dict[str, PageFigures]:
    """Each page for --duration seconds, round after round (so that a slow moment of the
    machine falls on every page alike), after a short warm-up of each."""
    for page in pages:
        check_page(server, page, cookies)
        if not settings.quick:
            run_wrk(server.base_url + page.path, duration=2, connections=settings.connections,
                    threads=settings.threads, headers=page_headers(page, cookies))
            server.wait_until_idle()
    figures = {page.key: PageFigures(page, []) for page in pages}
    for _run in range(settings.runs):
        for page in pages:
            server.wait_until_idle()
            start = server.log_offset()
            result = run_wrk(
                server.base_url + page.path, duration=settings.duration,
                connections=settings.connections, threads=settings.threads,
                headers=page_headers(page, cookies))
            # The requests still queued when wrk stopped are answered (and logged) too:
            # the time at the server counts them, wrk's figures do not.
            server.wait_until_idle()
            at_server = server.server_times(start, server.log_offset(), page.path, page.status)
            result.server_p50_ms = median(at_server) if at_server else None
            figures[page.key].runs.append(result)
    return figures


def incomplete(fig: PageFigures) -> str:
    if all(run.requests for run in fig.runs):
        return ""
    return "a run completed no request: lengthen --duration"


def ratio_text(value: float) -> str:
    return f"{value:.2f}"


def report_pages(report: Report, figures: dict[str, PageFigures]) -> None:
    trivial = figures["trivial"]
    for key, fig in figures.items():
        share = fig.rps / trivial.rps if trivial.rps else float("nan")
        slower = fig.p50 / trivial.p50 if trivial.p50 else float("nan")
        verdict = incomplete(fig)
        if not verdict and fig.page.goal is not None:
            verdict = (f"goal >= {fig.page.goal}: met" if share >= fig.page.goal
                       else f"goal >= {fig.page.goal}: NOT met, {fig.page.goal - share:.2f} short")
        if fig.errors:
            verdict = (verdict + "; " if verdict else "") + f"{fig.errors} errors"
        report.add(
            "1 pages", fig.page.label, verdict,
            **{"req/s": f"{fig.rps:.0f}", "p50 ms": f"{fig.p50:.1f}",
               "p99 ms": f"{fig.p99:.1f}", "server p50 ms": fig.server_p50,
               "req/s vs trivial": "1" if key == "trivial" else ratio_text(share),
               "p50 vs trivial": "1" if key == "trivial" else f"x{slower:.1f}",
               "errors": str(fig.errors)},
        )


def stored_document_page(server: Server, targets: Targets,
                         cookies: dict[str, str]) -> Page | str:
    """3a: the funded application's budget asked for again with the ETag of the first
    answer; a reason when the portal gives no ETag (no document store)."""
    if targets.final_document is None:
        return "no funded application in the database"
    headers = {"Cookie": cookies["finance"]}
    status, answer, _body = Browser(server.base_url).request(targets.final_document,
                                                             headers=headers)
    etag = next((value for name, value in answer.items() if name.lower() == "etag"), None)
    if status != 200:
        return f"{targets.final_document} answered {status}"
    if etag is None:
        return "not available: the portal serves this document without an ETag (no store)"
    return Page("stored", "stored final document (If-None-Match)", targets.final_document,
                "finance", headers=(("If-None-Match", etag),), status=304)


def report_stored(report: Report, fig: PageFigures) -> None:
    """3a's goal is the time at the server: the portal's own request log, not wrk's
    latency, which adds the wait for a free gunicorn worker."""
    if fig.server_p50 == "-":
        verdict = "no server times in the request log"
    else:
        at_server = float(fig.server_p50)
        verdict = "goal server p50 < 20 ms: " + (
            "met" if at_server < 20 else f"NOT met, +{at_server - 20:.1f} ms")
    if fig.errors:
        verdict += f"; {fig.errors} errors"
    report.add("3a documents", fig.page.label, verdict,
               **{"req/s": f"{fig.rps:.0f}", "p50 ms": f"{fig.p50:.1f}",
                  "p99 ms": f"{fig.p99:.1f}", "server p50 ms": fig.server_p50,
                  "errors": str(fig.errors)})


def measure_pages(report: Report, settings: Settings, *, documents: bool) -> Targets:
    targets = load_targets(settings.database_url)
    report.notes.extend(targets.describe)
    with Server(settings.database_url, workers=settings.workers) as server:
        cookies = sign_in_all(server, targets.accounts)
        report.notes.append(f"gunicorn: {server.worker_count()} sync workers "
                            "(portal/gunicorn_conf.py)")
        pages = list(targets.pages)
        stored: Page | str | None = None
        if documents:
            stored = stored_document_page(server, targets, cookies)
            if isinstance(stored, Page):
                pages.append(stored)
        figures = load_pages(server, pages, cookies, settings)
    stored_figures = figures.pop("stored", None)
    report_pages(report, figures)
    if stored_figures is not None:
        report_stored(report, stored_figures)
    elif isinstance(stored, str):
        report.add("3a documents", "stored final document (If-None-Match)", stored)
    return targets


def measure_growth(report: Report, settings: Settings, urls: Sequence[str]) -> None:
    """2: the same pages on databases of different sizes, one gunicorn each, in order of
    size; each page's p50 as a ratio to its p50 on the smallest database."""
    sized = sorted((load_targets(url).application_count, url) for url in urls)
    results: list[tuple[int, dict[str, PageFigures]]] = []
    for count, url in sized:
        targets = load_targets(url)
        with Server(url, workers=settings.workers) as server:
            cookies = sign_in_all(server, targets.accounts)
            results.append((count, load_pages(server, targets.pages, cookies, settings)))
    base_count, base = results[0]
    for key, first in base.items():
        for count, figures in results:
            fig = figures[key]
            growth = fig.p50 / first.p50 if first.p50 else float("nan")
            verdict = incomplete(fig) or (f"{fig.errors} errors" if fig.errors else "")
            report.add("2 growth", f"{fig.page.label.split(' (')[0]} @ {count} applications",
                       verdict,
                       **{"req/s": f"{fig.rps:.0f}", "p50 ms": f"{fig.p50:.1f}",
                          "p99 ms": f"{fig.p99:.1f}", "server p50 ms": fig.server_p50,
                          f"p50 vs {base_count}": ratio_text(growth)})


# --- 3b: documents rendered on demand ------------------------------------------------------


def _draft_application(session: Any) -> Any:
    """The application with the number of budget lines closest to BUDGET_LINES, a draft
    when there is one."""
    from sqlalchemy import case, func, select

    from portal.models import Application, ApplicationStatus, BudgetLine

    lines = (select(BudgetLine.application_id, func.count().label("n"))
             .group_by(BudgetLine.application_id).subquery())
    app_id = session.scalar(
        select(lines.c.application_id)
        .join(Application, Application.id == lines.c.application_id)
        .order_by(case((Application.status == ApplicationStatus.DRAFT, 0), else_=1),
                  func.abs(lines.c.n - BUDGET_LINES), Application.id).limit(1))
    return session.get(Application, app_id)


def measure_rendering(report: Report, settings: Settings) -> None:
    """3b: the portal's budget PDF of a draft (portal.pdf.budget_pdf, as the page renders it
    on demand, template included) against WeasyPrint the plain way on the same HTML, with a
    fresh font configuration each time, one after the other in each run."""
    from weasyprint import HTML
    from weasyprint.text.fonts import FontConfiguration

    from portal import pdf
    from portal.db import db

    # Renders on a shared virtual machine vary by a third from one to the next: more of them
    # than of anything else, so that the median is the document's and not the moment's.
    runs = max(settings.runs, 3 if settings.quick else 15)
    portal_times: list[float] = []
    plain_times: list[float] = []
    with portal_app(settings.database_url) as app, app.test_request_context():
        application = _draft_application(db.get_session())
        captured: list[str] = []
        original = pdf.html_to_pdf

        def capture(html: str, **kwargs: Any) -> bytes:
            captured.append(html)
            return original(html, **kwargs)

        # The HTML the portal renders, taken on its way to the renderer (and a warm-up).
        pdf.html_to_pdf = capture
        try:
            pdf.budget_pdf(application)
        finally:
            pdf.html_to_pdf = original

        def plain() -> bytes:
            return HTML(string=captured[0], base_url=pdf.BASE_URL,
                        url_fetcher=pdf.portal_fetcher).write_pdf(
                            font_config=FontConfiguration())

        for _run in range(runs):
            portal_times.append(_timed(lambda: pdf.budget_pdf(application)))
            if captured:
                plain_times.append(_timed(plain))
        lines = len(application.budget_lines)
        name = f"budget PDF on demand ({lines} lines, {application.status.value})"
    figures = {"portal ms": f"{median(portal_times) * 1000:.0f}"}
    if not plain_times:
        report.add("3b documents", name, "plain way not available: the HTML was not captured",
                   **figures)
        return
    ratio = median(portal_times) / median(plain_times)
    verdict = "goal < 0.8: " + ("met" if ratio < 0.8 else f"NOT met, {ratio - 0.8:.2f} over")
    report.add("3b documents", name, verdict,
               **figures, **{"plain ms": f"{median(plain_times) * 1000:.0f}",
                             "ratio": ratio_text(ratio), "runs": str(runs)})


def _timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# --- 4: bulk -------------------------------------------------------------------------------


def _memory_kb(field_name: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def _has_document_store() -> bool:
    return importlib.util.find_spec("portal.pdf.store") is not None


def measure_bulk(report: Report, settings: Settings) -> None:
    """4: the archive of a call's approved budgets, made by the job's own function in this
    process: from a cold store (emptied before each run) with this process and the render
    children it forks on one core and then on all, and from the warm store the cold runs
    left; then the process's peak RSS across many renders, each a real render (the store is
    emptied before it)."""
    from sqlalchemy import func, select

    from portal import pdf
    from portal.db import db
    from portal.models import Application, Call, User
    from portal.permissions import FUNDED_STATUSES

    cores = sorted(os.sched_getaffinity(0))
    runs = 1 if settings.quick else settings.runs
    with portal_app(settings.database_url) as app, app.test_request_context():
        session = db.get_session()
        documents = Path(app.config["DOCUMENTS_DIR"])
        call_id, funded = session.execute(
            select(Application.call_id, func.count().label("n"))
            .where(Application.status.in_(FUNDED_STATUSES))
            .group_by(Application.call_id)
            .order_by(func.abs(func.count() - ZIP_PROJECTS)).limit(1)).one()
        call = session.get(Call, call_id)
        finance = session.scalars(select(User).where(User.email == f"finance@{DOMAIN}")).one()
        timings: dict[str, list[float]] = {"one": [], "all": [], "warm": []}
        for _run in range(runs):
            for label, allowed in (("one", cores[:1]), ("all", cores)):
                shutil.rmtree(documents, ignore_errors=True)
                os.sched_setaffinity(0, allowed)
                try:
                    timings[label].append(_zip_once(session, call, finance))
                finally:
                    os.sched_setaffinity(0, cores)
            if _has_document_store():
                timings["warm"].append(_zip_once(session, call, finance))
        one, every = median(timings["one"]), median(timings["all"])
        speedup = one / every if every else float("nan")
        report.add(
            "4 bulk", f"ZIP of {funded} approved budgets, cold store: 1 core vs {len(cores)}",
            "goal >= 1.8x: " + ("met" if speedup >= 1.8
                                else f"NOT met, {1.8 - speedup:.2f} short"),
            **{"1 core s": f"{one:.1f}", "all cores s": f"{every:.1f}",
               "speedup": f"x{speedup:.2f}", "runs": str(runs)})
        if timings["warm"]:
            warm = median(timings["warm"])
            report.add("4 bulk", f"ZIP of {funded} approved budgets, warm store",
                       "goal < 2 s: " + ("met" if warm < 2 else f"NOT met, +{warm - 2:.1f} s"),
                       **{"all cores s": f"{warm:.1f}", "runs": str(len(timings["warm"]))})
        else:
            report.add("4 bulk", "ZIP from a warm store",
                       "not available: this checkout has no document store (portal.pdf.store)")

        applications = session.scalars(
            select(Application).where(Application.status.in_(FUNDED_STATUSES))
            .order_by(Application.id).limit(50)).all()
        first, last = settings.renders
        peaks: dict[int, int] = {}
        for number in range(1, last + 1):
            shutil.rmtree(documents, ignore_errors=True)
            pdf.budget_pdf(applications[number % len(applications)])
            if number in (first, last):
                peaks[number] = _memory_kb("VmHWM")
    grew = peaks[last] - peaks[first]
    report.add("4 bulk", f"peak RSS of the rendering process after {first} and {last} renders",
               "flat" if grew <= peaks[first] * 0.05 else f"grew by {grew / 1024:.0f} MB",
               **{f"after {first} MB": f"{peaks[first] / 1024:.0f}",
                  f"after {last} MB": f"{peaks[last] / 1024:.0f}"})


def _zip_once(session: Any, call: Any, actor: Any) -> float:
    """Seconds to make the archive of `call` as the background job does: a new job, run
    here (not on the portal's thread), removed afterwards with its file, so the next run
    makes the archive again."""
    from portal.models import DocumentJob, JobStatus
    from portal.services import jobs

    for old in session.scalars(select_jobs(call.id)).all():
        session.delete(old)  # an archive of the same figures would be reused
    session.flush()
    job = jobs.request_budgets_zip(session, call, actor=actor, locale="ru")
    job_id = job.id
    session.info.pop(jobs._PENDING_KEY, None)
    session.commit()
    seconds = _timed(lambda: jobs.run_budgets_zip(job_id))
    session.expire_all()
    job = session.get(DocumentJob, job_id)
    if job.status != JobStatus.DONE:
        raise BenchError(f"the archive job ended {job.status.value}: {job.error}")
    path = jobs.archive_path(job)
    if path is not None:
        path.unlink(missing_ok=True)
    session.delete(job)
    session.commit()
    return seconds


def select_jobs(call_id: int) -> Any:
    """The budget archives of a call made by the runner's account (finance's), to remove."""
    from sqlalchemy import select

    from portal.models import DocumentJob, User

    finance = select(User.id).where(User.email == f"finance@{DOMAIN}").scalar_subquery()
    return select(DocumentJob).where(DocumentJob.call_id == call_id,
                                     DocumentJob.requested_by_id == finance)


# --- 5: aggregation ------------------------------------------------------------------------


def measure_aggregation(report: Report, settings: Settings) -> None:
    """5: the ranking computed (means or medians, the disagreement flags and the scores
    normalised per reviewer) for the call with the most reviews, with every statement sent
    to the database counted: rank_calls, which is what the pages' rank_applications does
    when the call's figures changed since it was last computed (it keeps the result)."""
    from sqlalchemy import event, func, select

    from portal.db import db
    from portal.models import Application, Call, Review
    from portal.services.ranking import rank_calls

    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    with portal_app(settings.database_url) as app:
        engine = app.extensions["vektor.db"]["engine"]
        with app.app_context():
            session = db.get_session()
            call_id, reviews = session.execute(
                select(Application.call_id, func.count(Review.id).label("n"))
                .join(Review, Review.application_id == Application.id)
                .group_by(Application.call_id).order_by(func.count(Review.id).desc())
                .limit(1)).one()
            applications = session.scalar(select(func.count()).select_from(Application)
                                          .where(Application.call_id == call_id))
            call = session.get(Call, call_id)
            rank_calls(session, [call])  # warm-up: plans and caches
            event.listen(engine, "before_cursor_execute", count)
            times: list[float] = []
            counts: list[int] = []
            try:
                for _run in range(max(settings.runs, 5)):
                    statements.clear()
                    times.append(_timed(lambda: rank_calls(session, [call])))
                    counts.append(len(statements))
            finally:
                event.remove(engine, "before_cursor_execute", count)
    report.add("5 aggregation",
               f"ranking + normalised scores: {applications} applications, {reviews} reviews",
               "", **{"ms": f"{median(times) * 1000:.0f}", "statements": str(max(counts)),
                      "runs": str(len(times))})


# --- the machine and the output ------------------------------------------------------------


def machine(database_url: str) -> list[str]:
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo
                          if line.startswith("model name")), model)
    except OSError:
        pass
    postgres = "unknown"
    try:
        from sqlalchemy import create_engine, text

        engine = create_engine(database_url)
        with engine.connect() as conn:
            postgres = str(conn.execute(text("SELECT version()")).scalar()).split(" on ")[0]
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - the machine line says what it could not read
        postgres = f"unknown ({type(exc).__name__})"
    wrk = "not installed"
    try:
        version = subprocess.run([wrk_path(), "--version"], capture_output=True, text=True,  # noqa: S603
                                 check=False)
        wrk = (version.stdout or version.stderr).split("[")[0].strip() or wrk
    except BenchError:
        pass
    return [
        f"date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"machine: {len(os.sched_getaffinity(0))} cores, {model}, "
        f"{platform.system()} {platform.release()}",
        f"database: {postgres}",
        f"Python {platform.python_version()}, {wrk}",
    ]


def table(rows: Sequence[Row]) -> list[str]:
    """A Markdown table per section, with the figures that section's rows have as columns."""
    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    lines: list[str] = []
    for section in dict.fromkeys(row.section for row in rows):
        group = [row for row in rows if row.section == section]
        names = list(dict.fromkeys(name for row in group for name in row.figures))
        lines += [f"| {section} | {' | '.join(names)} | verdict |",
                  "|---|" + "---:|" * len(names) + "---|"]
        lines += [f"| {cell(row.name)} | " + " | ".join(row.figures.get(name, "")
                                                         for name in names)
                  + f" | {cell(row.verdict)} |" for row in group]
        lines.append("")
    return lines


def render_block(report: Report, settings: Settings, sections: Sequence[str],
                 database_url: str) -> str:
    kind = ("Smoke run (--quick): a check that the runner works, not results"
            if settings.quick else "Figures")
    head = [
        f"### {kind}", "",
        *[f"- {line}" for line in machine(database_url)],
        f"- sections: {', '.join(sections)}; wrk: {settings.connections} connections, "
        f"{settings.duration:g} s per URL per run, {settings.runs} run(s), median shown",
        *[f"- {note}" for note in report.notes], "",
    ]
    return "\n".join(head + table(report.rows))


def write_report(block: str, path: Path = REPORT_PATH) -> None:
    text = path.read_text(encoding="utf-8")
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise BenchError(f"{path.name} lacks the markers {START_MARKER} and {END_MARKER}")
    path.write_text(text[:start + len(START_MARKER)] + "\n" + block + text[end:],
                    encoding="utf-8")


def prepare(database_url: str) -> None:
    """What `make bench` needs before measuring: on PostgreSQL the database is created when
    the server lacks it, and a database without applications is filled by the generator at
    its default size. A database that holds data is used as it is, migrated to the newest
    schema, compacted and with PostgreSQL's statistics refreshed (generate.analyse)."""
    from sqlalchemy import create_engine, inspect, text
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() == "postgresql" and url.database:
        if not re.fullmatch(r"[A-Za-z0-9_]+", url.database):
            raise BenchError(f"create the database {url.database!r} first")
        server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        try:
            with server.connect() as conn:
                if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                   {"name": url.database}):
                    print(f"[bench] creating the database {url.database}", file=sys.stderr)
                    conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        finally:
            server.dispose()
    from bench import generate

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            filled = inspect(conn).has_table("applications") and conn.scalar(
                text("SELECT count(*) FROM applications"))
        if filled:  # data made by an earlier generator, perhaps of an earlier version
            generate.migrate(engine)
            generate.analyse(engine)
    finally:
        engine.dispose()
    if not filled:
        print("[bench] the database is empty: generating the data (several minutes)",
              file=sys.stderr)
        if generate.main(["--database-url", database_url]) != 0:
            raise BenchError("the generator failed")


def parse_args(argv: Iterable[str] | None) -> tuple[argparse.Namespace, Settings, list[str]]:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url",
                        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
                        help="the generated database (default: $BENCH_DATABASE_URL or "
                             f"{DEFAULT_DATABASE_URL})")
    parser.add_argument("--duration", type=float, help="seconds of load per URL per run (30)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)),
                        help="wrk threads (default: the cores)")
    parser.add_argument("--runs", type=int, help="runs of each measurement; the median is "
                        "reported (3)")
    parser.add_argument("--workers", type=int,
                        help="gunicorn workers (default: the production rule)")
    parser.add_argument("--only", action="append", choices=SECTIONS,
                        help="run only this section (repeatable); default: all but growth, "
                             "and growth too when --growth is given")
    parser.add_argument("--growth", nargs="+", metavar="URL",
                        help="databases of different sizes for section 2")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 5 s per URL, one run, few renders; "
                             "docs/PERFORMANCE.md is left alone unless --write")
    parser.add_argument("--prepare", action="store_true",
                        help="first create the PostgreSQL database if it is missing and "
                             "fill it with bench.generate if it holds no application")
    parser.add_argument("--write", action=argparse.BooleanOptionalAction, default=None,
                        help="rewrite the figures in docs/PERFORMANCE.md (default: unless --quick)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    settings = Settings(
        database_url=args.database_url,
        duration=args.duration or (5 if args.quick else 30),
        connections=args.connections, threads=args.threads,
        runs=args.runs or (1 if args.quick else 3), quick=args.quick, workers=args.workers,
        renders=(10, 50) if args.quick else (100, 500),
    )
    sections = args.only or [s for s in SECTIONS if s != "growth" or args.growth]
    if "growth" in sections and not args.growth:
        parser.error("--only growth needs --growth URL [URL ...]")
    return args, settings, list(dict.fromkeys(sections))


def main(argv: Iterable[str] | None = None) -> int:
    args, settings, sections = parse_args(argv)
    try:
        wrk_path()
        if args.prepare:
            prepare(settings.database_url)
    except BenchError as exc:
        print(f"[bench] {exc}", file=sys.stderr)
        return 2
    report = Report()
    measurements: list[tuple[str, Callable[[], Any]]] = []
    if "pages" in sections:
        measurements.append(("pages", lambda: measure_pages(
            report, settings, documents="documents" in sections)))
    elif "documents" in sections:
        measurements.append(("stored documents", lambda: _stored_only(report, settings)))
    if "documents" in sections:
        measurements.append(("documents", lambda: measure_rendering(report, settings)))
    if "growth" in sections:
        measurements.append(("growth", lambda: measure_growth(report, settings, args.growth)))
    if "bulk" in sections:
        measurements.append(("bulk", lambda: measure_bulk(report, settings)))
    if "aggregation" in sections:
        measurements.append(("aggregation", lambda: measure_aggregation(report, settings)))
    failed = False
    for name, measure in measurements:
        print(f"[bench] {name} ...", file=sys.stderr, flush=True)
        try:
            measure()
        except Exception as exc:  # noqa: BLE001 - one section's failure ends only that one
            failed = True
            message = str(exc).splitlines()[0] if str(exc) else ""
            report.add(name, "(failed)", f"{type(exc).__name__}: {message}")
            print(f"[bench] {name} failed: {type(exc).__name__}: {exc}", file=sys.stderr)
    measured = args.growth[0] if sections == ["growth"] else settings.database_url
    block = render_block(report, settings, sections, measured)
    print(block)
    if args.write if args.write is not None else not settings.quick:
        write_report(block)
        print(f"[bench] figures written to {REPORT_PATH.relative_to(PROJECT_ROOT)}",
              file=sys.stderr)
    return 1 if failed else 0


def _stored_only(report: Report, settings: Settings) -> None:
    """3a without the pages of section 1: the stored document alone, under the same load."""
    targets = load_targets(settings.database_url)
    with Server(settings.database_url, workers=settings.workers) as server:
        cookies = sign_in_all(server, targets.accounts)
        stored = stored_document_page(server, targets, cookies)
        if not isinstance(stored, Page):
            report.add("3a documents", "stored final document (If-None-Match)", stored)
            return
        report_stored(report, load_pages(server, [stored], cookies, settings)["stored"])


if __name__ == "__main__":
    sys.exit(main())
