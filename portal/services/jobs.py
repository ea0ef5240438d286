"""Background jobs that assemble a call's documents: every approved budget of a call as one
ZIP archive (a PDF per funded project, named by its registration number, and a summary
spreadsheet). A job is a DocumentJob row that records its progress, so any process can show
it; it runs on an RQ worker when PORTAL_REDIS_URL is set and on a background thread of the
portal otherwise. An archive is named by a hash of everything it is made from, so a second
request for an unchanged call reuses it. The same machinery renders documents that have
become final into the document store (portal.pdf.store) once their transaction commits, so
that no one waits for them."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import secrets
import zipfile
from collections.abc import Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from redis import Redis
from rq import Queue, SimpleWorker, Worker
from sqlalchemy import event, select, update
from sqlalchemy.orm import Session, joinedload, selectinload

from portal import pdf
from portal.db import db, reading_only, utcnow
from portal.errors import DomainError
from portal.labels import BUDGET_CATEGORY_LABELS
from portal.models import (
    Application,
    BudgetCategory,
    Call,
    Decision,
    DecisionOutcome,
    DocumentJob,
    JobStatus,
    User,
)
from portal.money import ZERO, BudgetSummary, Sources, summarise_budget
from portal.pdf import store
from portal.permissions import FUNDED_STATUSES
from portal.services.decisions import lock_call
from portal.spreadsheets import put_cell

log = logging.getLogger(__name__)

BUDGETS_ZIP = "budgets_zip"  # DocumentJob.kind
QUEUE_NAME = "vektor"
# Raise it when what an archive holds changes in a way its inputs do not show (the names
# inside the ZIP, the spreadsheet's columns, the code that lays them out). The PDF templates
# and the translation catalogue are hashed into the key as they are.
CONTENT_VERSION = "budgets-zip/1"
# A job that waited this long without a worker taking it, or that has run longer than its
# PDFs may take (PDF_TIME_LIMIT each) plus this margin, has stopped: the process running it
# was restarted or killed. It no longer counts as under way, and may be asked for again.
QUEUED_STALE_AFTER = timedelta(minutes=30)
RUNNING_MARGIN = timedelta(minutes=10)

BUDGET_TEMPLATE = "pdf/budget.html"  # what portal.pdf.budget_pdf renders
_PENDING_KEY = "vektor.jobs_pending"
_PRERENDER_KEY = "vektor.documents_pending"
# What prerender_after_commit is told about, and what each one renders.
APPLICATION_DOCUMENTS = "application"  # an application id: the application and its budget
CALL_DOCUMENTS = "call"  # a call id: the protocol and the approved budgets, once final
AGREEMENT_DOCUMENT = "agreement"  # an agreement id
REPORT_DOCUMENT = "report"  # a report id
_EXTENSION = "vektor.jobs"
_SAFE_ENTRY = re.compile(r"[0-9A-Za-z][0-9A-Za-z._-]{0,60}")


# --- what an archive is made from -----------------------------------------------------------


@dataclass
class FundedProject:
    application: Application
    decision: Decision
    summary: BudgetSummary


def funded_projects(session: Session, call_id: int) -> list[FundedProject]:
    """The call's funded projects in the order of registration, with everything their PDFs
    and the spreadsheet print already loaded (so that rendering runs no query): the
    applications whose committee decision is "funded", once the decisions are final."""
    rows = session.execute(
        select(Application, Decision)
        .join(Decision, Decision.application_id == Application.id)
        .where(
            Application.call_id == call_id,
            Application.status.in_(FUNDED_STATUSES),
            Decision.outcome == DecisionOutcome.FUNDED,
        )
        .options(
            selectinload(Application.budget_lines),
            joinedload(Application.organisation),
            joinedload(Application.call),
        )
        .order_by(Application.sequence, Application.id)
    ).all()
    return [FundedProject(app, decision, summarise_budget(app.budget_lines))
            for app, decision in rows]


def _text(value: Any) -> str | None:
    """A value as the key holds it, the same whether it was just set or read back: a
    quantity set as 2 reads back as 2.000."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return None if value is None else str(value)


def _moment(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def _sources_digest(app: Flask, locale: str) -> str:
    """A hash of the templates a budget PDF is made from (pdf/budget.html and what it extends
    and includes) and of the language's compiled catalogue: editing any of them changes
    what the archive would hold."""
    digest = hashlib.sha256(store.templates_digest(BUDGET_TEMPLATE).encode())
    catalogues = str(app.config.get("BABEL_TRANSLATION_DIRECTORIES", "")).split(";")[0]
    compiled = Path(catalogues, locale, "LC_MESSAGES", "messages.mo")
    if catalogues and compiled.is_file():
        digest.update(compiled.read_bytes())
    return digest.hexdigest()


def content_key(call: Call, projects: Sequence[FundedProject], locale: str) -> str:
    """The SHA-256 of everything the archive's content depends on: the call as its documents
    print it, each funded application (id, registration number, status, title, library),
    every figure of its budget lines, its decision's approved amount and date, the language,
    CONTENT_VERSION and the templates. Equal keys mean equal archives, apart from the time
    each states it was made."""
    content = {
        "version": CONTENT_VERSION,
        "sources": _sources_digest(current_app, locale),
        "kind": BUDGETS_ZIP,
        "locale": locale,
        "call": [call.id, call.code, call.title, _text(call.min_cofinancing_percent),
                 _text(call.max_grant_amount)],
        "projects": [
            {
                "id": p.application.id,
                "number": p.application.registration_number,
                "status": str(p.application.status),
                "title": p.application.title,
                "submitted_at": _moment(p.application.submitted_at),
                "organisation": [p.application.organisation.full_name,
                                 p.application.organisation.inn,
                                 p.application.organisation.kpp,
                                 p.application.organisation.ogrn,
                                 p.application.organisation.address],
                "approved_amount": _text(p.decision.approved_amount),
                "decided_at": _moment(p.decision.decided_at),
                "lines": [
                    [line.id, line.position, str(line.category), line.item, line.justification,
                     line.unit, _text(line.quantity), _text(line.unit_price),
                     _text(line.requested_amount), _text(line.own_amount),
                     _text(line.partner_amount)]
                    for line in p.application.budget_lines
                ],
            }
            for p in projects
        ],
    }
    encoded = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


# --- the state of a call's archive ----------------------------------------------------------


def is_stale(job: DocumentJob, now: datetime | None = None) -> bool:
    """Whether a queued or running job has stopped without saying so (see QUEUED_STALE_AFTER);
    a finished job never is."""
    now = now or utcnow()
    if job.status == JobStatus.QUEUED:
        return now - job.created_at > QUEUED_STALE_AFTER
    if job.status == JobStatus.RUNNING:
        started = job.started_at or job.created_at
        per_pdf = timedelta(seconds=current_app.config.get("PDF_TIME_LIMIT", 60))
        return now - started > per_pdf * max(job.total_count, 1) + RUNNING_MARGIN
    return False


def archive_path(job: DocumentJob) -> Path | None:
    """Where a finished job's archive is kept, when it is still there."""
    if job.status != JobStatus.DONE or not job.file_name:
        return None
    path = Path(current_app.config["JOBS_DIR"]) / job.file_name
    return path if path.is_file() else None


def is_reusable(job: DocumentJob) -> bool:
    """A job that serves a request: finished with its archive in place, or under way."""
    if job.status == JobStatus.DONE:
        return archive_path(job) is not None
    return job.status in (JobStatus.QUEUED, JobStatus.RUNNING) and not is_stale(job)


@dataclass
class ArchiveState:
    """What the call's figures are now, and the newest job made from exactly them."""

    key: str
    project_count: int
    job: DocumentJob | None


def budgets_zip_state(session: Session, call: Call, *, locale: str) -> ArchiveState:
    """The current content key of the call's archive in `locale` and the newest job made
    for it (in any state), without changing anything."""
    projects = funded_projects(session, call.id)
    key = content_key(call, projects, locale)
    job = session.scalars(
        select(DocumentJob)
        .where(DocumentJob.call_id == call.id, DocumentJob.kind == BUDGETS_ZIP,
               DocumentJob.content_key == key)
        .order_by(DocumentJob.id.desc()).limit(1)
    ).first()
    return ArchiveState(key, len(projects), job)


def request_budgets_zip(
    session: Session, call: Call, *, actor: User, locale: str
) -> DocumentJob:
    """Ask for every approved budget of `call` as one archive in `locale`. When the call's
    figures have not changed since an archive was made (or since one was started), that job
    is returned and nothing new starts; otherwise a queued job is added, and it is handed to
    the worker (or the background thread) once the transaction commits. Under the call row's
    lock, so two people asking at once start one job. Raises DomainError when the call has no
    funded project."""
    if locale not in current_app.config["LANGUAGES"]:
        locale = current_app.config["BABEL_DEFAULT_LOCALE"]
    session.flush()
    call = lock_call(session, call.id)
    state = budgets_zip_state(session, call, locale=locale)
    if state.project_count == 0:
        raise DomainError(_l("The call has no funded projects yet, so there are no approved "
                             "budgets to put in an archive."))
    if state.job is not None and is_reusable(state.job):
        return state.job
    now = utcnow()
    for stopped in session.scalars(
        select(DocumentJob).where(
            DocumentJob.call_id == call.id, DocumentJob.kind == BUDGETS_ZIP,
            DocumentJob.status.in_([JobStatus.QUEUED, JobStatus.RUNNING]),
        )
    ).all():
        if is_stale(stopped, now):
            stopped.status = JobStatus.FAILED
            stopped.finished_at = now
            stopped.error = "stopped: no progress within the time it may take"
    job = DocumentJob(
        call_id=call.id, kind=BUDGETS_ZIP, content_key=state.key, status=JobStatus.QUEUED,
        done_count=0, total_count=state.project_count, locale=locale,
        requested_by_id=actor.id, created_at=now,
    )
    session.add(job)
    session.flush()
    session.info.setdefault(_PENDING_KEY, []).append(job)
    return job


# --- making the archive ---------------------------------------------------------------------


def entry_name(app: Application) -> str:
    """The PDF's name inside the archive: the registration number (`2026-03-0042.pdf`)."""
    number = app.registration_number or ""
    return f"{number}.pdf" if _SAFE_ENTRY.fullmatch(number) else f"application-{app.id}.pdf"


def _prepared_budget(project: FundedProject) -> pdf.PreparedPdf:
    """The approved budget of a project as portal.pdf.budget_pdf would render and store it."""
    template_name, context = pdf.budget_document(project.application,
                                                 decision=project.decision)
    return pdf.prepare_pdf(template_name, **context)


def _claim(session: Session, job_id: int) -> bool:
    """Move the job from queued to running, unless another worker already has."""
    claimed = session.execute(
        update(DocumentJob)
        .where(DocumentJob.id == job_id, DocumentJob.status == JobStatus.QUEUED)
        .values(status=JobStatus.RUNNING, started_at=utcnow())
    ).rowcount
    session.commit()
    return claimed == 1


def run_budgets_zip(job_id: int) -> None:
    """Make the archive of a queued job: the job's call's funded projects as they are now,
    one budget PDF each in the job's language (from the document store, or rendered on as
    many cores as the process may use), then the summary spreadsheet, written to JOBS_DIR
    under a name the portal makes. `done_count` is committed after each PDF, in the order
    of the projects, so other processes see the progress; the job ends done, or failed with
    the error. Runs in an application context: the worker's (`flask --app wsgi portal
    worker`) or the background thread's. This is the function RQ calls with the job's id."""
    app = current_app._get_current_object()
    session = db.get_session()
    if not _claim(session, job_id):
        return
    try:
        _make_archive(app, session, job_id)
    except Exception as exc:  # noqa: BLE001 - any failure is recorded on the job
        log.exception("document job %s failed", job_id)
        session.rollback()
        job = session.get(DocumentJob, job_id)
        job.status = JobStatus.FAILED
        job.error = f"{type(exc).__name__}: {exc}"[:2000]
        job.finished_at = utcnow()
        session.commit()


def _make_archive(app: Flask, session: Session, job_id: int) -> None:
    job = session.get(DocumentJob, job_id)
    call = job.call
    with force_locale(job.locale):
        projects = funded_projects(session, call.id)
        # What the archive is really made from: the figures may have changed since it was
        # asked for, and the key must name what it holds.
        job.content_key = content_key(call, projects, job.locale)
        job.total_count = len(projects)
        job.done_count = 0
        session.commit()  # no transaction stays open while the PDFs render

        folder = Path(app.config["JOBS_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        file_name = f"budgets-{job.id}-{secrets.token_hex(8)}.zip"
        partial = folder / f".{file_name}.part"
        try:
            # From the document store when it holds a budget already; the others are
            # rendered several at once, and come back in the order of the projects.
            documents = (_prepared_budget(project) for project in projects)
            with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for done, (project, content) in enumerate(
                        zip(projects, pdf.render_prepared(documents), strict=True), start=1):
                    archive.writestr(entry_name(project.application), content)
                    job.done_count = done
                    session.commit()
                archive.writestr(f"summary-{call.code}.xlsx", budgets_xlsx(call, projects))
            os.replace(partial, folder / file_name)
        finally:
            partial.unlink(missing_ok=True)

    job.file_name = file_name
    job.status = JobStatus.DONE
    job.error = ""
    job.finished_at = utcnow()
    _retire_older_archives(session, job, folder)
    session.commit()


def _retire_older_archives(session: Session, job: DocumentJob, folder: Path) -> None:
    """Remove the archives this one replaces: older finished ones of the same call in the
    same language (made from older figures, or the same ones twice)."""
    older = session.scalars(
        select(DocumentJob).where(
            DocumentJob.call_id == job.call_id, DocumentJob.kind == job.kind,
            DocumentJob.locale == job.locale, DocumentJob.status == JobStatus.DONE,
            DocumentJob.id != job.id, DocumentJob.file_name.is_not(None),
        )
    )
    for old in older:
        (folder / old.file_name).unlink(missing_ok=True)
        old.file_name = None


# --- the summary spreadsheet ----------------------------------------------------------------

def _write_rows(sheet: Any, first_row: int, rows: Iterable[Sequence[Any]]) -> int:
    line = first_row
    for values in rows:
        for column, value in enumerate(values, start=1):
            put_cell(sheet, line, column, value)
        line += 1
    return line


def _sources(sources: Sources) -> list[Decimal]:
    return [sources.total, sources.requested, sources.own, sources.partner]


def budgets_xlsx(call: Call, projects: Sequence[FundedProject]) -> bytes:
    """The summary of all approved budgets of the call, in the current language: “Projects”
    has one row per funded project (the approved amount and the budget by source) and the
    totals; “By category” one row per project and category, by source; “Call by category”
    the call's totals per category, by source."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    book = Workbook()
    by_source = [_("Total cost"), _("Requested from the municipality"),
                 _("Library's own funds"), _("Partners' funds")]

    sheet = book.active
    sheet.title = _("Projects")[:31]
    put_cell(sheet, 1, 1, _("Approved budgets: call %(code)s “%(title)s”",
                        code=call.code, title=call.title)).font = bold
    header = [_("No."), _("Registration number"), _("Library"), _("Project"),
              _("Approved amount"), *by_source, _("Co-financing share, %")]
    for column, title in enumerate(header, start=1):
        put_cell(sheet, 3, column, title).font = bold
    total = Sources()
    approved_total = ZERO
    rows = []
    for number, p in enumerate(projects, start=1):
        app, overall = p.application, p.summary.overall
        total.add(overall.total, overall.requested, overall.own, overall.partner)
        approved_total += p.decision.approved_amount or ZERO
        rows.append([number, app.registration_number, app.organisation.full_name, app.title,
                     p.decision.approved_amount, *_sources(overall),
                     p.summary.cofinancing_percent])
    line = _write_rows(sheet, 4, rows)
    for column, value in enumerate([_("Total"), None, None, None, approved_total,
                                    *_sources(total)], start=1):
        put_cell(sheet, line, column, value).font = bold
    sheet.freeze_panes = "A4"
    for letter, width in zip("ABCDEFGHIJ", (6, 16, 40, 40, 18, 18, 18, 18, 18, 14),
                             strict=True):
        sheet.column_dimensions[letter].width = width

    detail = book.create_sheet(_("By category")[:31])
    for column, title in enumerate([_("Registration number"), _("Library"), _("Category"),
                                    *by_source], start=1):
        put_cell(detail, 1, column, title).font = bold
    call_totals: dict[BudgetCategory, Sources] = {}
    rows = []
    for p in projects:
        for category, sources in p.summary.by_category.items():
            call_totals.setdefault(category, Sources()).add(*_sources(sources))
            rows.append([p.application.registration_number, p.application.organisation.full_name,
                         str(BUDGET_CATEGORY_LABELS[category]), *_sources(sources)])
    _write_rows(detail, 2, rows)
    detail.freeze_panes = "A2"
    for letter, width in zip("ABCDEFG", (16, 40, 44, 18, 18, 18, 18), strict=True):
        detail.column_dimensions[letter].width = width

    summary = book.create_sheet(_("Call by category")[:31])
    for column, title in enumerate([_("Category"), *by_source], start=1):
        put_cell(summary, 1, column, title).font = bold
    line = _write_rows(summary, 2, (
        [str(BUDGET_CATEGORY_LABELS[category]), *_sources(call_totals[category])]
        for category in BudgetCategory if category in call_totals
    ))
    for column, value in enumerate([_("Total"), *_sources(total)], start=1):
        put_cell(summary, line, column, value).font = bold
    for letter, width in zip("ABCDE", (44, 18, 18, 18, 18), strict=True):
        summary.column_dimensions[letter].width = width

    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- running jobs: RQ when Redis is configured, a background thread otherwise -------------------


def init_jobs(app: Flask) -> None:
    """Hand the jobs a transaction added to the worker once it commits (never before: the
    worker must find the row), and keep the thread that runs them when there is no Redis."""
    if _EXTENSION in app.extensions:
        return
    executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vektor-jobs")
    futures: list[Future[None]] = []
    app.extensions[_EXTENSION] = {"executor": executor, "futures": futures}
    factory = app.extensions["vektor.db"]["sessionmaker"]

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        pending = session.info.pop(_PENDING_KEY, None)
        if pending:
            start_jobs(app, [(job.id, job.total_count) for job in pending])
        documents = session.info.pop(_PRERENDER_KEY, None)
        if documents and app.config.get("DOCUMENT_PRERENDER", True):
            start_prerender(app, list(dict.fromkeys(documents)))

    @event.listens_for(factory, "after_rollback")
    def _after_rollback(session: Session) -> None:
        session.info.pop(_PENDING_KEY, None)
        session.info.pop(_PRERENDER_KEY, None)


def start_jobs(app: Flask, jobs: list[tuple[int, int]]) -> None:
    """Start committed jobs, given as (id, number of PDFs): on the RQ queue when REDIS_URL
    is set (a job that cannot be queued is marked failed), else on the portal's own
    background thread."""
    if not app.config.get("REDIS_URL"):
        state = app.extensions[_EXTENSION]
        for job_id, _total in jobs:
            state["futures"].append(state["executor"].submit(_run_in_thread, app, job_id))
        del state["futures"][:-50]
        return
    per_pdf = app.config.get("PDF_TIME_LIMIT", 60)
    for job_id, total in jobs:
        try:
            job_queue(app).enqueue_call(
                run_budgets_zip, args=(job_id,),
                # RQ stops it past the time its PDFs may take, and a margin for the rest.
                timeout=int(per_pdf * max(total, 1) + RUNNING_MARGIN.total_seconds()),
                result_ttl=0, failure_ttl=7 * 24 * 3600,
                description=f"vektor document job {job_id}",
            )
        except Exception as exc:  # noqa: BLE001 - Redis is down: the job says so
            log.exception("document job %s could not be queued", job_id)
            _mark_failed(app, job_id, f"not queued: {type(exc).__name__}: {exc}")


def _run_in_thread(app: Flask, job_id: int) -> None:
    with app.app_context():
        run_budgets_zip(job_id)


def _mark_failed(app: Flask, job_id: int, error: str) -> None:
    with app.app_context():
        session = db.sessionmaker()
        try:
            session.execute(
                update(DocumentJob)
                .where(DocumentJob.id == job_id, DocumentJob.status == JobStatus.QUEUED)
                .values(status=JobStatus.FAILED, error=error[:2000], finished_at=utcnow())
            )
            session.commit()
        finally:
            session.close()


# --- rendering final documents into the store ---------------------------------------------


def prerender_after_commit(session: Session, kind: str, object_id: int) -> None:
    """Render the documents of `kind` (APPLICATION_DOCUMENTS, CALL_DOCUMENTS,
    AGREEMENT_DOCUMENT, REPORT_DOCUMENT) of the object `object_id` into the document store in
    every language, off the request, once the transaction commits; nothing when it rolls
    back. Only final documents are stored (portal.pdf.render_pdf decides). The services that
    make documents final call it (submission, finalising the decisions, a decline or a
    funding from the reserve list after them, signing an agreement, accepting a report), so
    every way of doing those (a page, the command line, the demo) has them rendered."""
    session.info.setdefault(_PRERENDER_KEY, []).append((kind, object_id))


def start_prerender(app: Flask, documents: list[tuple[str, int]]) -> None:
    """Hand committed documents to the RQ queue, or to the portal's background thread. A
    failure is logged and nothing more: the download then renders the document itself."""
    if not app.config.get("REDIS_URL"):
        state = app.extensions[_EXTENSION]
        state["futures"].append(state["executor"].submit(_prerender_in_thread, app, documents))
        del state["futures"][:-50]
        return
    try:
        job_queue(app).enqueue_call(
            # No limit for the whole: how many PDFs a call has is not known here, and each
            # one is stopped past PDF_TIME_LIMIT on its own.
            prerender_documents, args=(documents,), timeout=-1,
            result_ttl=0, failure_ttl=24 * 3600,
            description="vektor documents",
        )
    except Exception:  # noqa: BLE001 - Redis is down: the downloads render on demand
        log.exception("documents %s could not be queued for rendering", documents)


def _prerender_in_thread(app: Flask, documents: list[tuple[str, int]]) -> None:
    with app.app_context():
        prerender_documents(documents)


def _final_documents(session: Session, kind: str, object_id: int) -> list[Any]:
    """The renders of one prerender_after_commit entry, as functions of no argument."""
    from portal.models import Agreement, Report
    from portal.services import ranking

    if kind == APPLICATION_DOCUMENTS:
        app = session.get(Application, object_id)
        return [] if app is None else [lambda: pdf.application_pdf(app),
                                       lambda: pdf.budget_pdf(app)]
    if kind == CALL_DOCUMENTS:
        call = session.get(Call, object_id)
        if call is None:
            return []
        renders = [lambda: pdf.protocol_pdf(ranking.rank_applications(session, call))]
        for project in funded_projects(session, call.id):
            renders.append(lambda p=project: pdf.budget_pdf(p.application, decision=p.decision))
        return renders
    if kind == AGREEMENT_DOCUMENT:
        agreement = session.get(Agreement, object_id)
        return [] if agreement is None else [lambda: pdf.agreement_pdf(agreement)]
    if kind == REPORT_DOCUMENT:
        report = session.get(Report, object_id)
        return [] if report is None else [lambda: pdf.report_pdf(report)]
    raise ValueError(f"no documents of kind {kind!r}")


def prerender_documents(documents: Sequence[tuple[str, int]]) -> None:
    """Render the final documents named by `documents` ((kind, id) pairs, see
    prerender_after_commit) into the document store in every language of the portal, as
    they are now. A document that fails is logged and skipped. Runs in an application
    context: the worker's or the background thread's; this is the function RQ calls. It only
    reads, and says so: on SQLite it must not hold the write lock while the PDFs render (the
    command that made them final, the portal's next requests, are writing meanwhile)."""
    session = db.get_session()
    try:
        with reading_only():
            for locale in current_app.config["LANGUAGES"]:
                with force_locale(locale):
                    for kind, object_id in documents:
                        try:
                            for render in _final_documents(session, kind, object_id):
                                render()
                        except Exception:  # noqa: BLE001 - the download renders it instead
                            log.exception("document %s %s could not be rendered in advance",
                                          kind, object_id)
                            session.rollback()
    finally:
        session.rollback()


def redis_connection(app: Flask) -> Redis:
    """One Redis client (with its connection pool) per application and address."""
    url = app.config["REDIS_URL"]
    clients = app.extensions[_EXTENSION].setdefault("redis", {})
    if url not in clients:
        # A Redis that cannot be reached fails fast (the health check, a page queuing a
        # job) instead of holding the request; reads keep no timeout, as a worker waits.
        clients[url] = Redis.from_url(url, socket_connect_timeout=5)
    return clients[url]


def job_queue(app: Flask) -> Queue:
    return Queue(QUEUE_NAME, connection=redis_connection(app))


class _AppContextMixin:
    """Each job runs in a fresh application context of the portal, as a request does; a
    forked work horse drops the database connections it inherited instead of sharing them
    with its parent."""

    def __init__(self, *args: Any, app: Flask, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = app
        self.parent_pid = os.getpid()

    def perform_job(self, *args: Any, **kwargs: Any) -> Any:
        if os.getpid() != self.parent_pid:
            self.app.extensions["vektor.db"]["engine"].dispose(close=False)
        with self.app.app_context():
            return super().perform_job(*args, **kwargs)  # type: ignore[misc]


class PortalWorker(_AppContextMixin, Worker):
    """RQ's worker for the "vektor" queue: each job in a forked child, in the portal's
    context. `flask --app wsgi portal worker` runs one."""


class PortalSimpleWorker(_AppContextMixin, SimpleWorker):
    """The same, running each job in the worker's own process (tests, debugging)."""


def make_worker(app: Flask, *, simple: bool = False) -> Worker:
    """An RQ worker for the "vektor" queue on `app`'s Redis whose jobs run in `app`."""
    worker_class = PortalSimpleWorker if simple else PortalWorker
    return worker_class([job_queue(app)], connection=redis_connection(app), app=app)
