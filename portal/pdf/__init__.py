"""Rendering templates to PDF with a locked-down fetcher; one function per document.

WeasyPrint may read the portal's own static files (the fonts) and `data:` URIs, nothing
else, and each render runs in a forked child process with a time and a memory limit (the
fonts are loaded once per process, before the children fork; a batch renders several at
once, render_prepared). A final document is rendered once and kept in the document store
(portal.pdf.store) under a key made from its HTML; drafts are rendered on each request."""

from __future__ import annotations

import gc
import logging
import mimetypes
import multiprocessing
import os
import re
import resource
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any
from urllib import request as urllib_request
from urllib.parse import unquote

from flask import current_app, render_template
from flask_babel import gettext as _
from markupsafe import Markup
from weasyprint import HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse

from portal.config import PROJECT_ROOT
from portal.db import utcnow
from portal.i18n import current_locale
from portal.models import Application, BudgetCategory, BudgetLine, Call, Review
from portal.money import BudgetSummary, Sources, percent_of, summarise_budget
from portal.pdf import store
from portal.services.checks import SECTIONS

STATIC_ROOT = (PROJECT_ROOT / "static").resolve()
STATIC_SCHEME = "vektor-static"
# Not a real place: relative references resolve against nothing the fetcher would serve,
# and templates name static files with `static_url()`, which gives `vektor-static:/<path>`.
BASE_URL = f"{STATIC_SCHEME}:/"

log = logging.getLogger(__name__)

DEFAULT_TIME_LIMIT = 60  # seconds, config PDF_TIME_LIMIT
DEFAULT_MEMORY_LIMIT_MB = 512  # address space the render may add, config PDF_MEMORY_LIMIT_MB


class FetchRefused(ValueError):
    """The renderer asked for something other than a static file of the portal or a
    `data:` URI."""


class PdfRenderError(RuntimeError):
    """The PDF could not be produced; the view answers 503."""


class PdfTimeLimitExceeded(PdfRenderError):
    """The render ran past PDF_TIME_LIMIT and was stopped."""


class PdfMemoryLimitExceeded(PdfRenderError):
    """The render needed more than PDF_MEMORY_LIMIT_MB and was stopped."""


# --- the fetcher -------------------------------------------------------------------------


def static_url(filename: str) -> str:
    """How a PDF template names a file under static/: `vektor-static:/fonts/x.ttf`."""
    return f"{BASE_URL}{filename.lstrip('/')}"


class PortalFetcher(URLFetcher):
    """Serves files under `static_root` (resolved, so neither `..` nor a symlink leads out)
    and `data:` URIs. Everything else (file:, http:, https:, ftp:, any other scheme, a
    relative reference) raises FetchRefused; nothing here opens a connection, so there is
    no redirect to follow either."""

    def __init__(self, static_root: Path = STATIC_ROOT) -> None:
        super().__init__(allowed_protocols={STATIC_SCHEME, "data"}, allow_redirects=False)
        self.static_root = Path(static_root).resolve()

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme, colon, rest = url.partition(":")
        scheme = scheme.lower() if colon else ""
        if scheme == "data":
            return self._data(url)
        if scheme == STATIC_SCHEME:
            return self._static(url, rest)
        raise FetchRefused(f"the PDF renderer may not fetch {url[:200]!r}")

    # OpenerDirector.open is the other way in; send it through the same gate.
    def open(self, url: Any, data: Any = None, timeout: Any = None) -> URLFetcherResponse:
        return self.fetch(url.full_url if isinstance(url, urllib_request.Request) else url)

    def _static(self, url: str, rest: str) -> URLFetcherResponse:
        path = unquote(rest.split("#", 1)[0].split("?", 1)[0])
        if path.startswith("//") or "\\" in path or "\x00" in path:
            raise FetchRefused(f"not a static file of the portal: {url[:200]!r}")
        parts = PurePosixPath(path.lstrip("/")).parts
        if not parts or any(part in ("..", ".") for part in parts):
            raise FetchRefused(f"not a static file of the portal: {url[:200]!r}")
        try:
            target = self.static_root.joinpath(*parts).resolve(strict=True)
        except (OSError, RuntimeError) as exc:
            raise FetchRefused(f"no such static file: {url[:200]!r}") from exc
        if not target.is_relative_to(self.static_root) or not target.is_file():
            raise FetchRefused(f"not a static file of the portal: {url[:200]!r}")
        content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=target.read_bytes(), headers={"Content-Type": content_type}
        )

    @staticmethod
    def _data(url: str) -> URLFetcherResponse:
        # The standard library's decoder of data: URIs; it reads the URI and opens nothing.
        data_request = urllib_request.Request(url)  # noqa: S310 - only data: reaches here
        opened = urllib_request.DataHandler().data_open(data_request)
        with opened:
            body = opened.read()
            content_type = opened.headers.get("Content-Type", "text/plain")
        return URLFetcherResponse(url, body=body, headers={"Content-Type": content_type})


portal_fetcher = PortalFetcher()


# --- rendering, in a child process with limits --------------------------------------------

# The @font-face rules of every PDF template (they link it); its URLs are absolute
# (`vektor-static:/fonts/...`) because a relative one does not resolve in that scheme.
FONTS_STYLESHEET = "css/pdf-fonts.css"
# Laid out once with the fonts before the children fork, so that they inherit the faces
# opened and measured: the letters, figures and signs of the documents, in both weights, at
# the sizes the templates under templates/pdf use (another size costs a child a little).
_SAMPLE_TEXT = ("АБВГДЕЁЖЗИЙКЛМНОПРСТУФХЦЧШЩЪЫЬЭЮЯ абвгдеёжзийклмнопрстуфхцчшщъыьэюя "
                "ABCDEFGHIJKLMNOPQRSTUVWXYZ abcdefghijklmnopqrstuvwxyz 0123456789 "
                ".,:;!?()«»“”—–-№%₽/")
_SAMPLE_SIZES = ("7pt", "7.5pt", "8pt", "8.5pt", "9pt", "9.5pt", "11pt", "14pt")
_FONTS_SAMPLE = (
    f'<link rel="stylesheet" href="{BASE_URL}{FONTS_STYLESHEET}">'
    '<div style="font-family: \'Vektor Sans\'">'
    + "".join(f'<p style="font-size: {size}">{_SAMPLE_TEXT} <b>{_SAMPLE_TEXT}</b></p>'
              for size in _SAMPLE_SIZES)
    + "</div>"
)


class SharedFontConfiguration(FontConfiguration):
    """The portal's fonts, loaded once per process before the render children are forked:
    each child inherits them loaded (written out, given to Fontconfig, opened by Pango)
    instead of loading them again for every PDF. The faces it has loaded are remembered in
    memory rather than by the files in its folder, and a child loads a face it meets first
    into a folder of its own (`for_child`), so neither the parent nor another child ever
    takes a file a child wrote for a face it loaded itself."""

    def __init__(self) -> None:
        super().__init__()
        self.owner_pid = os.getpid()
        self.loaded_faces: set[str] = set()

    def add_font_face(self, rule_descriptors: Any, url_fetcher: Any) -> Any:
        key = str(rule_descriptors)
        if key in self.loaded_faces:
            return None
        self.loaded_faces.add(key)
        return super().add_font_face(rule_descriptors, url_fetcher)

    def is_intact(self) -> bool:
        """Whether the files of the faces it loaded are still there (a clean-up of the
        temporary folder may have removed them from a long-running process)."""
        return self._folder is None or self._folder.is_dir()

    def for_child(self) -> SharedFontConfiguration:
        """This configuration in a freshly forked child: faces new to it go to a folder made
        in the child's temporary directory."""
        self._folder = None
        return self

    def __del__(self) -> None:
        # A forked process that ends normally must not remove the folder its parent reads.
        if os.getpid() == self.owner_pid:
            super().__del__()


_fonts_lock = threading.Lock()
_shared_fonts: list[SharedFontConfiguration] = []


def shared_fonts() -> SharedFontConfiguration | None:
    """This process's SharedFontConfiguration, made on first use; None when the fonts
    cannot be loaded (each render then loads them itself, and says why). Call it before
    forking: a child must not wait for a lock another thread of its parent held."""
    with _fonts_lock:
        if (_shared_fonts and _shared_fonts[0].owner_pid == os.getpid()
                and _shared_fonts[0].is_intact()):
            return _shared_fonts[0]
        try:
            fonts = SharedFontConfiguration()
            HTML(string=_FONTS_SAMPLE, base_url=BASE_URL,
                 url_fetcher=portal_fetcher).render(font_config=fonts)
        except Exception:  # noqa: BLE001 - the renders still work, only slower
            log.exception("the PDF fonts could not be loaded in advance")
            return None
        _shared_fonts[:] = [fonts]
        return fonts


def _write_pdf(html: str, fonts: SharedFontConfiguration | None) -> bytes:
    """HTML to PDF, in the child. The fonts come through the fetcher from static/fonts,
    loaded already when `fonts` is given."""
    font_config = fonts.for_child() if fonts is not None else FontConfiguration()
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=portal_fetcher)
    return document.write_pdf(font_config=font_config)


def _current_address_space() -> int:
    """Bytes of address space this process has mapped now (Linux), 0 when unknown."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:  # pragma: no cover - not Linux
        pass
    return 0


def _limit_memory(memory_limit_mb: int | None) -> None:
    """Cap the child's address space at what it has (inherited from the parent by the
    fork) plus `memory_limit_mb`; an allocation past it fails with MemoryError."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_limit_mb:
        limit = _current_address_space() + memory_limit_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _render_in_child(sender: Any, html: str, workdir: str, memory_limit_mb: int | None,
                     fonts: SharedFontConfiguration | None = None) -> None:
    try:
        # No cyclic garbage collection in the child: a render frees nearly all it makes by
        # reference counting (its peak memory is the same without the collector), which
        # would otherwise run hundreds of times per PDF and scan the objects the fork
        # inherited too, copying the parent's memory as it goes; frozen, those stay out of
        # even an explicit collection's sight. The memory limit still stops a render that
        # grows too big.
        gc.disable()
        gc.freeze()
        # WeasyPrint keeps the fonts it loads in a temporary folder; the parent removes
        # this one even when the child is killed.
        tempfile.tempdir = workdir
        _limit_memory(memory_limit_mb)
        pdf = _write_pdf(html, fonts)
        sender.send(("ok", pdf))
    except MemoryError:
        sender.send(("memory", ""))
    except BaseException as exc:  # everything is reported to the parent
        sender.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        sender.close()


def html_to_pdf(
    html: str, *, time_limit: float = DEFAULT_TIME_LIMIT,
    memory_limit_mb: int | None = DEFAULT_MEMORY_LIMIT_MB,
) -> bytes:
    """Render `html` in a forked child that gets only this string (and the fonts loaded
    already, see shared_fonts), and stop it after `time_limit` seconds. Raises
    PdfTimeLimitExceeded, PdfMemoryLimitExceeded, or PdfRenderError for any other failure
    of the child. Threads may call it at once: each render has a child of its own."""
    fonts = shared_fonts()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    with tempfile.TemporaryDirectory(prefix="vektor-pdf-") as workdir:
        child = context.Process(
            target=_render_in_child, args=(sender, html, workdir, memory_limit_mb, fonts),
            name="vektor-pdf", daemon=True,
        )
        child.start()
        sender.close()
        try:
            if not receiver.poll(time_limit):
                raise PdfTimeLimitExceeded(
                    f"the PDF took longer than {time_limit} s to render and was stopped"
                )
            try:
                status, payload = receiver.recv()
            except EOFError as exc:
                raise PdfRenderError("the PDF renderer stopped without an answer") from exc
        finally:
            receiver.close()
            if child.is_alive():
                child.kill()
            child.join()
    if status == "ok":
        return payload
    if status == "memory":
        raise PdfMemoryLimitExceeded(
            f"the PDF needed more than {memory_limit_mb} MB to render and was stopped"
        )
    raise PdfRenderError(f"the PDF could not be rendered: {payload}")


_COUNTER_PLACEHOLDER = re.compile(r"%\((n|m)\)d")


def css_string(text: str) -> str:
    """`text` as a CSS string literal that is also safe inside an HTML <style> element."""
    escaped = "".join(
        f"\\{ord(char):x} " if char in '\\"<>&\n\r\f' else char for char in str(text)
    )
    return f'"{escaped}"'


def page_numbers_css() -> Markup:
    """The CSS `content` of the page number box: `"Page " counter(page) " of "
    counter(pages)`, from the same translated message the portal's pagers use."""
    template = _("Page %(n)d of %(m)d")  # without arguments: the message with its placeholders
    pieces: list[str] = []
    position = 0
    for match in _COUNTER_PLACEHOLDER.finditer(template):
        if match.start() > position:
            pieces.append(css_string(template[position:match.start()]))
        pieces.append("counter(page)" if match.group(1) == "n" else "counter(pages)")
        position = match.end()
    if position < len(template):
        pieces.append(css_string(template[position:]))
    return Markup(" ".join(pieces))  # noqa: S704 - the literals are escaped by css_string


class StoredPdf(bytes):
    """A final document's PDF, with the key it is stored under (the view's ETag)."""

    key: str

    def __new__(cls, content: bytes, key: str) -> StoredPdf:
        stored = super().__new__(cls, content)
        stored.key = key
        return stored


# What a stored document's HTML holds in place of the moment it is rendered, so that its key
# depends on its content only; the PDF states the moment of its first render.
_KEYED_MOMENT = datetime(2000, 1, 1, tzinfo=UTC)


def _document_html(template_name: str, generated_at: datetime, context: dict[str, Any]) -> str:
    return render_template(
        f"pdf/{template_name}", static_url=static_url, page_numbers_css=page_numbers_css(),
        generated_at=generated_at, **context,
    )


def _html_to_pdf_within_limits(html: str) -> bytes:
    config = current_app.config
    return html_to_pdf(
        html,
        time_limit=config.get("PDF_TIME_LIMIT", DEFAULT_TIME_LIMIT),
        memory_limit_mb=config.get("PDF_MEMORY_LIMIT_MB", DEFAULT_MEMORY_LIMIT_MB),
    )


def render_pdf(
    template_name: str, *, final: bool | Sequence[Any] = False, **context: Any
) -> bytes:
    """Render templates/pdf/<template_name> in the current request's language and turn it
    into a PDF within the configured limits. A `final` document (its content can no longer
    change) is taken from the document store when it was rendered before, and stored
    otherwise; it comes back as a StoredPdf with its key. `final=True` keys it by its HTML
    (rendered to know the key); a sequence of the rows it prints (mapped objects, lists of
    them, None) keys it by those rows (portal.pdf.store.rows_key) without rendering it, for
    the documents downloaded most: the rows must be every one the template reaches. Drafts
    (`final=False`) are rendered every time."""
    if final is False:
        return _html_to_pdf_within_limits(_document_html(template_name, utcnow(), context))
    document = prepare_pdf(template_name, final=final, **context)
    content = store.load(document.key)
    if content is None:
        content = _html_to_pdf_within_limits(document.html())
        store.save(document.key, content)
    return StoredPdf(content, document.key)


@dataclass(frozen=True)
class PreparedPdf:
    """A final document before it is rendered: the key render_pdf stores it under, and a
    function that makes the HTML to render (called only when the store lacks the PDF)."""

    key: str
    html: Callable[[], str]


def prepare_pdf(template_name: str, *, final: bool | Sequence[Any], **context: Any
                ) -> PreparedPdf:
    """A final document of render_pdf (the same `final` and context) as a PreparedPdf, for
    render_prepared; its key is render_pdf's."""
    if final is False:
        raise ValueError("a draft has no key: it is rendered each time")
    if final is True:
        key = store.document_key(_document_html(template_name, _KEYED_MOMENT, context))
    else:
        key = store.rows_key(template_name, final)
    return PreparedPdf(key, lambda: _document_html(template_name, utcnow(), context))


def render_workers() -> int:
    """How many PDFs render_prepared renders at once: the cores this process may use."""
    return len(os.sched_getaffinity(0))


def render_prepared(documents: Iterable[PreparedPdf]) -> Iterator[bytes]:
    """The PDFs of `documents`, in their order: each one from the document store when it
    holds it, the others rendered render_workers() at a time, each in a child of its own
    within the configured limits, and stored. Runs in the caller's thread with its
    application context and language: the store is read and written and the HTML made
    there; the threads of the pool only wait for their children, given strings. At most
    twice as many documents as workers are under way, so memory stays flat however many
    there are. A failed render raises (PdfRenderError) where its document comes."""
    config = current_app.config
    limits = {"time_limit": config.get("PDF_TIME_LIMIT", DEFAULT_TIME_LIMIT),
              "memory_limit_mb": config.get("PDF_MEMORY_LIMIT_MB", DEFAULT_MEMORY_LIMIT_MB)}
    workers = render_workers()
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vektor-pdf")
    # (key, PDF) of a stored document, (key, its render under way) of another.
    under_way: deque[tuple[str, bytes | Future[bytes]]] = deque()

    def finished() -> bytes:
        key, content = under_way.popleft()
        if isinstance(content, Future):
            content = content.result()
            store.save(key, content)
        return content

    try:
        for document in documents:
            stored = store.load(document.key)
            under_way.append((document.key, stored if stored is not None else
                              pool.submit(html_to_pdf, document.html(), **limits)))
            while under_way and (len(under_way) > 2 * workers
                                 or not isinstance(under_way[0][1], Future)
                                 or under_way[0][1].done()):
                yield finished()
        while under_way:
            yield finished()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# --- the documents ------------------------------------------------------------------------


@dataclass
class BudgetGroup:
    """The lines of one category, in the budget's order, with their subtotal."""

    number: int
    category: BudgetCategory
    lines: list[tuple[BudgetLine, Decimal]]
    subtotal: Sources


@dataclass
class SourceShare:
    label: str
    amount: Decimal
    percent: Decimal


def budget_groups(lines: list[BudgetLine], summary: BudgetSummary) -> list[BudgetGroup]:
    """The lines grouped by category in the order categories are listed, each with the
    total summarise_budget computed for it."""
    by_category: dict[BudgetCategory, list[tuple[BudgetLine, Decimal]]] = {}
    for line, total in zip(lines, summary.line_totals, strict=True):
        by_category.setdefault(line.category, []).append((line, total))
    groups: Iterator[BudgetCategory] = (c for c in BudgetCategory if c in by_category)
    return [
        BudgetGroup(n, category, by_category[category],
                    summary.by_category.get(category, Sources()))
        for n, category in enumerate(groups, start=1)
    ]


def source_shares(summary: BudgetSummary) -> list[SourceShare]:
    overall = summary.overall
    return [
        SourceShare(label, amount, percent_of(amount, overall.total))
        for label, amount in (
            (_("Requested from the municipality"), overall.requested),
            (_("Library's own funds"), overall.own),
            (_("Partners' funds"), overall.partner),
        )
    ]


def _is_final(app: Application) -> bool:
    """Whether what an application's documents print can no longer be edited: it has been
    submitted (a later decision changes the budget's content, and so its key)."""
    from portal.models import ApplicationStatus

    return app.status != ApplicationStatus.DRAFT


def application_pdf(app: Application) -> bytes:
    """The application as submitted (or as the draft stands, marked so on every page)."""
    summary = summarise_budget(app.budget_lines)
    return render_pdf(
        "application.html",
        final=_is_final(app) and [app, app.organisation, app.call, app.budget_lines,
                                  app.activities, app.partners, app.indicators,
                                  app.attachments],
        app=app, summary=summary,
        sources=source_shares(summary),
        sections=SECTIONS, document_title=_("Application for the call"),
    )


def budget_pdf(app: Application, *, decision: Any = None) -> bytes:
    """The budget (смета): lines by category with subtotals, totals by source, the
    co-financing share and the amount requested. Once the application is funded it is the
    approved budget: titled so on every page, with the approved amount beside the amount
    requested and the date of the committee's decision. Pass the funded `decision` when it
    is at hand (a batch of PDFs); otherwise it is looked up."""
    template_name, context = budget_document(app, decision=decision)
    return render_pdf(template_name, **context)


def budget_document(app: Application, *, decision: Any = None) -> tuple[str, dict[str, Any]]:
    """The template budget_pdf renders and what render_pdf is given with it (`final`
    among it): a batch of budgets passes them to prepare_pdf instead."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from portal.models import Decision, DecisionOutcome
    from portal.permissions import FUNDED_STATUSES

    summary = summarise_budget(app.budget_lines)
    if app.status not in FUNDED_STATUSES:
        decision = None
    elif decision is None and (session := object_session(app)) is not None:
        decision = session.scalar(select(Decision).where(
            Decision.application_id == app.id, Decision.outcome == DecisionOutcome.FUNDED))
    if decision is not None and decision.outcome != DecisionOutcome.FUNDED:
        decision = None
    return "budget.html", {
        "final": _is_final(app) and [app, app.organisation, app.call, app.budget_lines,
                                     decision],
        "app": app, "summary": summary,
        "sources": source_shares(summary),
        "groups": budget_groups(app.budget_lines, summary), "approval": decision,
        "document_title": _("Approved budget") if decision else _("Project budget"),
    }


def document_filename(kind: str, app: Application) -> str:
    """`budget-2026-03-0042.pdf`, or `budget-draft-17.pdf` before a number is given."""
    return f"{kind}-{app.registration_number or f'draft-{app.id}'}.pdf"


def score_sheet_pdf(review: Review) -> bytes:
    """The score sheet (оценочный лист) of a submitted review: every criterion's score,
    weight, weighted score and comment, the total against the call's maximum, the
    recommendation, the reviewer and the date."""
    from portal.services.reviews import call_maximum, review_total, score_rows

    app = review.application
    return render_pdf(
        "score_sheet.html", app=app, review=review, rows=score_rows(review),
        total=review_total(review), maximum=call_maximum(app.call),
        document_title=_("Score sheet"),
    )


def admission_pdf(call: Call, rows: Sequence[Any], pending: int = 0) -> bytes:
    """The admission list (допущенные / не допущенные) of a call: `rows` are the screened
    applications (portal.services.screening.AdmissionRow), admitted ones and not admitted
    ones each numbered in the order of registration; `pending` says how many still wait."""
    return render_pdf(
        "admission.html", call=call, admitted=[r for r in rows if r.admitted],
        not_admitted=[r for r in rows if not r.admitted], pending=pending,
        document_title=_("Admission list"),
    )


def protocol_chart(ranking: Any) -> Any:
    """The fund against what was asked and what was granted: the protocol's totals, drawn
    beside the table that gives them."""
    from portal.charts import bar_chart

    return bar_chart([
        (_("Fund"), ranking.call.fund_amount),
        (_("Requested"), ranking.requested_total),
        (_("Approved"), ranking.approved_total),
    ])


def protocol_pdf(ranking: Any) -> bytes:
    """The committee protocol (протокол заседания) of a call, from its
    portal.services.ranking.Ranking: the call and its fund, the reviewers, the ranking with
    scores, the decisions with amounts and reasons, the totals, and space for signatures.
    Marked as a draft on every page until the decisions are final."""
    call = ranking.call
    return render_pdf(
        "protocol.html", final=call.decisions_finalised_at is not None, call=call,
        ranking=ranking, chart=protocol_chart(ranking),
        is_final=call.decisions_finalised_at is not None,
        document_title=_("Minutes of the meeting of the competition committee"),
    )


def summary_pdf(sheet: Any) -> bytes:
    """The summary sheet (сводная ведомость) of a call, from its
    portal.services.ranking.SummarySheet: every reviewer's score on every criterion, the
    review totals and each application's score, in ranking order."""
    call = sheet.ranking.call
    return render_pdf(
        "summary.html", call=call, ranking=sheet.ranking, sheet=sheet,
        is_final=call.decisions_finalised_at is not None,
        document_title=_("Summary sheet of scores"),
    )


def agreement_pdf(agreement: Any) -> bytes:
    """The grant agreement (соглашение о предоставлении субсидии): the parties with their
    bank details, the subject, the approved amount in figures and in words, the approved
    budget by category and source, the payment schedule, the reporting dates and the
    signatures. Marked as a draft on every page until it is signed."""
    from sqlalchemy.orm import object_session

    from portal.models import AgreementStatus
    from portal.money import amount_in_words
    from portal.services.agreements import administration_details

    app = agreement.application
    summary = summarise_budget(app.budget_lines)
    session = object_session(agreement)
    return render_pdf(
        "agreement.html", final=agreement.status == AgreementStatus.SIGNED, app=app,
        agreement=agreement, summary=summary,
        sources=source_shares(summary),
        administration=administration_details(session) if session is not None else None,
        amount_words=amount_in_words(agreement.amount, current_locale()),
        is_signed=agreement.status == AgreementStatus.SIGNED,
        document_title=_("Grant agreement No. %(number)s", number=agreement.number),
    )


def report_pdf(report: Any) -> bytes:
    """A report (отчёт) on a funded project: what was done, the indicators achieved against
    their targets, the spending against the plan by budget line, category and source with
    the variance and the share used (computed by portal.services.reports), the lines beyond
    the call's tolerance with their justifications, and the rounds of review. Marked on
    every page until it is accepted."""
    from portal.models import ReportKind, ReportStatus
    from portal.services.reports import indicator_results, summarise_spending

    return render_pdf(
        "report.html", final=report.status == ReportStatus.ACCEPTED,
        app=report.agreement.application, report=report,
        agreement=report.agreement, summary=summarise_spending(report),
        results=indicator_results(report),
        document_title=_("Final report") if report.kind == ReportKind.FINAL
        else _("Interim report"),
    )
