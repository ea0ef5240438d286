"""Shared fixtures: the application on a fresh schema (SQLite by default, PostgreSQL when
PORTAL_TEST_DATABASE_URL is set), a transaction per test that is rolled back, a client,
`login_as`, and factories that flush and return."""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask, has_request_context
from flask.testing import FlaskClient
from hypothesis import settings
from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import event, text
from sqlalchemy.orm import Session

import portal.passwords
import tests.assurance as assurance_figures
from portal import create_app
from portal.db import Base
from portal.demo import demo_account, demo_inn, demo_ogrn
from portal.extensions import limiter
from portal.i18n import LANGUAGE_COOKIE
from portal.models import Organisation, OrganisationStatus, Role, User
from portal.models.rankings import renew_tokens
from portal.services.accounts import create_user as create_user_service
from portal.services.organisations import create_organisation as create_org_service

TEST_DATABASE_URL = os.environ.get("PORTAL_TEST_DATABASE_URL")
PASSWORD = "a long test passphrase"

# Property-based tests take their size from a profile: "full" (the default, and what CI
# runs) or "quick" for local work (`make test PYTEST_ARGS=--quick`). A test that needs a
# different size scales `settings.default.max_examples` rather than fixing a number.
settings.register_profile("full", max_examples=100, deadline=None, print_blob=True)
settings.register_profile("quick", max_examples=10, deadline=None, print_blob=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--quick", action="store_true",
        help="fewer generated examples in the property-based and fuzz tests",
    )


def pytest_configure(config: pytest.Config) -> None:
    settings.load_profile("quick" if config.getoption("--quick") else "full")


# --- the assurance figures (tests/assurance.py) ---------------------------------------------


@pytest.fixture(scope="session")
def assurance() -> Callable[[str, int], None]:
    """`assurance(figure, count)` adds to a figure of the assurance report."""
    return assurance_figures.record


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    figures = assurance_figures.FIGURES
    if not figures:
        return
    engine = "postgresql" if TEST_DATABASE_URL else "sqlite"
    terminalreporter.section(f"assurance figures ({engine})")
    for figure, count in sorted(figures.items()):
        terminalreporter.write_line(f"{count:>8}  {figure}")
    directory = config.rootpath / "test-artifacts"
    directory.mkdir(exist_ok=True)
    (directory / f"assurance-{engine}.json").write_text(
        json.dumps(dict(sorted(figures.items())), indent=2) + "\n", encoding="utf-8"
    )


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """argon2id with the lightest parameters: the tests check behaviour, not hash cost."""
    original = portal.passwords._hasher
    portal.passwords._hasher = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    yield
    portal.passwords._hasher = original


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if TEST_DATABASE_URL:
        return TEST_DATABASE_URL
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


def reset_schema(app: Flask) -> None:
    """Drop everything and build the schema with the migrations, as production does."""
    from alembic import command

    from portal.cli import alembic_config

    engine = app.extensions["vektor.db"]["engine"]
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    config = alembic_config()
    config.attributes["configure_logger"] = False
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def make_test_app(database_url: str, instance_path: str, **overrides: Any) -> Flask:
    os.environ["PORTAL_INSTANCE_PATH"] = instance_path
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": database_url,
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        "MAIL_SERVER": None,
        "MAIL_BACKEND": None,
        # Rendering documents in advance runs on a background thread, which must not use the
        # rolled-back connection the tests share; tests/test_document_store.py turns it on.
        "DOCUMENT_PRERENDER": False,
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    app = make_test_app(database_url, str(tmp_path_factory.mktemp("instance")))
    reset_schema(app)
    return app


@pytest.fixture
def db(app: Flask) -> Iterator[Session]:
    """The test's own session, inside a transaction rolled back afterwards. Requests made by
    the client get their own sessions (one per request, as in production) on the same
    connection, joining the transaction through savepoints; after a request, expire the
    test's objects to see what it changed. No application context is held open, so each
    request starts with fresh `g` (and a fresh signed-in user)."""
    state = app.extensions["vektor.db"]
    connection = state["engine"].connect()
    outer = connection.begin()
    state["sessionmaker"].configure(bind=connection, join_transaction_mode="create_savepoint")
    limiter.reset()
    test_session = state["sessionmaker"]()
    # The test's session never commits, yet requests see what it flushes (they share its
    # connection): so what a commit does for kept rankings, each of its flushes does.
    event.listen(test_session, "after_flush_postexec",
                 lambda session, _context: renew_tokens(session))
    try:
        yield test_session
    finally:
        test_session.close()
        state["sessionmaker"].configure(
            bind=state["engine"], join_transaction_mode="conservative_savepoint"
        )
        outer.rollback()
        connection.close()


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    """A client that has chosen English, so that tests read the messages as written in the
    code; `ru_client` is one with the default language."""
    client = app.test_client()
    client.set_cookie(LANGUAGE_COOKIE, "en")
    return client


@pytest.fixture
def ru_client(app: Flask, db: Session) -> FlaskClient:
    return app.test_client()


# --- counting SQL statements, and the guard against a query per row --------------------------

# The tests' savepoints and the transactions around them are not what a page asks of the
# database.
TRANSACTION_CONTROL = ("SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "COMMIT")


@contextmanager
def recorded_statements(engine: Any) -> Iterator[list[str]]:
    """The SQL statements `engine` runs inside the block, transaction control left out."""
    from sqlalchemy import event

    statements: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def count_statements(db: Session, work: Callable[[], Any]) -> int:
    """How many SQL statements `work()` runs on the test database."""
    with recorded_statements(db.get_bind().engine) as statements:
        work()
    return len(statements)


# A relationship lazy-loaded for more rows than this in one request is loaded once per row.
MAX_LAZY_LOADS = 3
_LAZY_LOADS = "_test_lazy_loads"


class PerRowLazyLoad(AssertionError):
    """A page lazy-loads the same relationship for row after row (N+1): load it with the
    rows instead (selectinload, joinedload, or one query for them all)."""


def _start_counting_lazy_loads(sender: Any, **extra: Any) -> None:
    from flask import g

    setattr(g, _LAZY_LOADS, {})


def _stop_counting_lazy_loads(sender: Any, **extra: Any) -> None:
    from flask import g

    g.pop(_LAZY_LOADS, None)


def _count_lazy_load(state: Any) -> None:
    """do_orm_execute: note each lazy load that reaches the database during a request, per
    relationship and the row it is loaded for, and raise PerRowLazyLoad once one
    relationship has been loaded for more than MAX_LAZY_LOADS rows. Eager loads (selectin,
    joined) run once per query and are not counted; work outside requests (services called
    by tests, the CLI, background jobs) is not either."""
    from flask import g, has_app_context, request

    if not state.is_select or state.lazy_loaded_from is None or not has_app_context():
        return
    loaded = g.get(_LAZY_LOADS)
    if loaded is None:
        return
    relationship = str(state.loader_strategy_path[-1])
    rows = loaded.setdefault(relationship, set())
    rows.add(state.lazy_loaded_from.key or id(state.lazy_loaded_from))
    if len(rows) > MAX_LAZY_LOADS:
        raise PerRowLazyLoad(
            f"{relationship} was lazy-loaded for {len(rows)} rows while answering "
            f"{request.method} {request.path}: a query per row. Load it with the rows."
        )


@pytest.fixture(scope="session", autouse=True)
def _guard_against_per_row_lazy_loads() -> Iterator[None]:
    """Every request any test makes fails when it lazy-loads one relationship row by row."""
    from flask import request_started, request_tearing_down
    from sqlalchemy import event

    request_started.connect(_start_counting_lazy_loads)
    request_tearing_down.connect(_stop_counting_lazy_loads)
    event.listen(Session, "do_orm_execute", _count_lazy_load)
    yield
    event.remove(Session, "do_orm_execute", _count_lazy_load)
    request_tearing_down.disconnect(_stop_counting_lazy_loads)
    request_started.disconnect(_start_counting_lazy_loads)


@pytest.fixture(autouse=True)
def _documents_of_its_own(request: pytest.FixtureRequest, tmp_path_factory: Any) -> None:
    """Each test that uses the application has a document store of its own, so no stored PDF
    of one test answers in another."""
    if "app" in request.fixturenames:
        flask_app = request.getfixturevalue("app")
        request.getfixturevalue("monkeypatch").setitem(
            flask_app.config, "DOCUMENTS_DIR", str(tmp_path_factory.mktemp("documents")))


_counter = itertools.count(1)


@pytest.fixture
def create_organisation(db: Session) -> Callable[..., Organisation]:
    def factory(
        status: OrganisationStatus = OrganisationStatus.APPROVED, **data: Any
    ) -> Organisation:
        n = next(_counter)
        bik = "044525225"
        values = {
            "full_name": f"Муниципальная библиотека № {n}",
            "short_name": f"Библиотека № {n}",
            "inn": demo_inn(f"{500000000 + n:09d}"),
            "kpp": "500101001",
            "ogrn": demo_ogrn(f"{102500000000 + n:012d}"),
            "municipality": "Тестовский район",
            "address": "г. Тестов, ул. Книжная, 1",
            "head_name": "Иван Иванович Иванов",
            "bik": bik,
            "settlement_account": demo_account(bik, f"4070281000{n:09d}"),
            "correspondent_account": "30101810400000000225",
            **data,
        }
        org = create_org_service(
            db, values, actor=None, approved=status == OrganisationStatus.APPROVED
        )
        if status == OrganisationStatus.REJECTED:
            org.status = OrganisationStatus.REJECTED
        db.flush()
        return org

    return factory


@pytest.fixture
def create_user(
    db: Session, create_organisation: Callable[..., Organisation]
) -> Callable[..., User]:
    def factory(
        *roles: Role,
        role: Role | None = None,
        organisation: Organisation | None = None,
        email: str | None = None,
        password: str = PASSWORD,
        **extra: Any,
    ) -> User:
        wanted = set(roles) | ({role} if role else set())
        if Role.APPLICANT in wanted and organisation is None:
            organisation = create_organisation()
        user = create_user_service(
            db,
            email=email or f"user{next(_counter)}@example.org",
            full_name=extra.pop("full_name", "Тест Тестович"),
            password=password,
            roles=wanted,
            organisation=organisation,
            actor=None,
        )
        for key, value in extra.items():
            setattr(user, key, value)
        db.flush()
        return user

    return factory


@pytest.fixture
def login_as(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign the client in as `user` without going through the form."""

    def do_login(user: User) -> FlaskClient:
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return client

    return do_login


def call_data(**overrides: Any) -> dict[str, Any]:
    """Rules of a call that is open now: 20 % co-financing, 1 000 000 ₽ per project."""
    from datetime import timedelta
    from decimal import Decimal

    from portal.db import utcnow

    now = utcnow()
    today = now.date()
    data = {
        "title": "Библиотека — центр местного сообщества",
        "description": "Конкурс проектов муниципальных библиотек.",
        "directions": ["Продвижение чтения", "Цифровизация", "Краеведение"],
        "opens_at": now - timedelta(days=1),
        "closes_at": now + timedelta(days=30),
        "timezone": "Europe/Moscow",
        "implementation_start": today + timedelta(days=60),
        "implementation_end": today + timedelta(days=400),
        "fund_amount": Decimal("10000000.00"),
        "max_grant_amount": Decimal("1000000.00"),
        "min_cofinancing_percent": Decimal("20"),
        "reviewers_per_application": 2,
        "disagreement_threshold_percent": Decimal("30"),
        "review_deadline": today + timedelta(days=45),
        "reporting_dates": [(today + timedelta(days=200)).isoformat()],
    }
    data.update(overrides)
    return data


@pytest.fixture
def create_call(db: Session) -> Callable[..., Any]:
    from portal.models import CallStatus
    from portal.services.calls import create_call as create_call_service

    def factory(*, published: bool = True, categories: Any = None, **overrides: Any) -> Any:
        call = create_call_service(db, call_data(**overrides), actor=None, categories=categories)
        if published:
            call.status = CallStatus.PUBLISHED
            call.published_at = call.opens_at
        db.flush()
        return call

    return factory


def budget_rows(*lines: tuple[str, str, str, str, str, str]) -> list[dict[str, Any]]:
    """Budget lines from (category, quantity, unit price, requested, own, partner)."""
    from decimal import Decimal

    from portal.models import BudgetCategory

    return [
        {
            "category": BudgetCategory(category), "item": f"Статья {n}",
            "justification": "Коммерческое предложение", "unit": "шт.",
            "quantity": Decimal(quantity), "unit_price": Decimal(price),
            "requested_amount": Decimal(requested), "own_amount": Decimal(own),
            "partner_amount": Decimal(partner),
        }
        for n, (category, quantity, price, requested, own, partner) in enumerate(lines, start=1)
    ]


# 300 000 ₽ in all, 225 000 requested, 25 % co-financing.
DEFAULT_BUDGET = (
    ("equipment", "2", "75000.00", "120000.00", "30000.00", "0.00"),
    ("acquisitions", "100", "1000.00", "75000.00", "0.00", "25000.00"),
    ("events", "1", "50000.00", "30000.00", "20000.00", "0.00"),
)


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    """A request context for tests that call services directly (messages, e-mails). Do not
    combine it with the client: requests would share its `g`."""
    with app.test_request_context(headers={"Cookie": f"{LANGUAGE_COOKIE}=en"}):
        yield


@pytest.fixture
def create_application(
    app: Flask, db: Session, create_call: Callable[..., Any], create_user: Callable[..., User],
    create_organisation: Callable[..., Organisation],
) -> Callable[..., Any]:
    """A complete application (every section filled, the budget meeting the call's rules),
    as a draft or submitted; pass `budget=` rows to change the budget."""
    flask_app = app
    from datetime import timedelta
    from decimal import Decimal

    from portal.models import (
        Activity,
        Application,
        ApplicationStatus,
        BudgetLine,
        Indicator,
        Partner,
    )
    from portal.services.applications import submit_application

    def factory(
        *, call: Any = None, organisation: Organisation | None = None,
        status: ApplicationStatus = ApplicationStatus.DRAFT, budget: Any = DEFAULT_BUDGET,
        author: User | None = None, **fields: Any,
    ) -> Application:
        call = call or create_call()
        organisation = organisation or (author.organisation if author else create_organisation())
        author = author or create_user(Role.APPLICANT, organisation=organisation)
        start = call.implementation_start
        app = Application(
            call=call, organisation_id=organisation.id, created_by_id=author.id,
            title="Читающий двор", direction=call.directions[0],
            start_date=start, end_date=start + timedelta(days=180),
            summary="Летняя программа чтения для подростков.",
            problem="Подростки мало читают.", goals="Вернуть подростков в библиотеку.",
            tasks="Провести 20 встреч.", target_groups="Подростки 12–17 лет.",
        )
        for key, value in fields.items():
            setattr(app, key, value)
        app.activities = [Activity(position=1, title="Встречи с авторами",
                                   start_date=start, end_date=start + timedelta(days=90))]
        app.partners = [Partner(position=1, name="Школа № 1", role="Площадка",
                                contribution="Помещение")]
        app.indicators = [Indicator(position=1, name="Участники", unit="чел.",
                                    baseline=Decimal("0"), target=Decimal("300"))]
        rows = budget_rows(*budget) if budget and isinstance(budget[0], tuple) else budget
        app.budget_lines = [BudgetLine(position=n, **row) for n, row in enumerate(rows, 1)]
        db.add(app)
        db.flush()
        if status != ApplicationStatus.DRAFT:
            # Inside a test's own request context (`ctx`) reuse it: a second one would share
            # its `g` and leave the language it picked behind.
            with nullcontext() if has_request_context() else flask_app.test_request_context():
                submit_application(db, app, actor=author)
            if status not in (ApplicationStatus.SUBMITTED, ApplicationStatus.WITHDRAWN):
                app.screened_at = app.submitted_at
            if status != ApplicationStatus.SUBMITTED:
                app.status = status  # a later stage, for tests of the pages that show it
            db.flush()
        return app

    return factory


@pytest.fixture
def close_call(db: Session) -> Callable[[Any], Any]:
    """Move a call's closing time into the past (after its applications were submitted)."""
    from datetime import timedelta

    from portal.db import utcnow

    def close(call: Any) -> Any:
        call.closes_at = utcnow() - timedelta(seconds=1)
        db.flush()
        return call

    return close


@pytest.fixture
def assign(db: Session, create_user: Callable[..., User]) -> Callable[..., Any]:
    """Give `application` to `reviewer` (a new reviewer when none is given)."""
    from portal.models import Assignment, CallReviewer

    def factory(application: Any, reviewer: User | None = None) -> Any:
        from sqlalchemy import select

        reviewer = reviewer or create_user(Role.REVIEWER)
        chosen = db.scalar(select(CallReviewer).where(
            CallReviewer.call_id == application.call_id, CallReviewer.user_id == reviewer.id))
        if chosen is None:
            db.add(CallReviewer(call_id=application.call_id, user_id=reviewer.id))
        assignment = Assignment(application_id=application.id, call_id=application.call_id,
                                reviewer_id=reviewer.id)
        db.add(assignment)
        db.flush()
        return assignment

    return factory


@pytest.fixture
def create_review(db: Session, assign: Callable[..., Any]) -> Callable[..., Any]:
    """A review of `application` with `scores` (one per criterion, in order), submitted
    unless `submitted=False`."""
    from portal.db import utcnow
    from portal.models import Recommendation, Review, ReviewScore, ReviewStatus

    def factory(application: Any, scores: list[int] | None = None, *,
                reviewer: User | None = None, submitted: bool = True,
                recommendation: Any = None, comment: str = "Обоснованный проект") -> Any:
        assignment = assign(application, reviewer)
        criteria = application.call.criteria
        scores = scores if scores is not None else [7] * len(criteria)
        review = Review(
            assignment_id=assignment.id, application_id=application.id,
            reviewer_id=assignment.reviewer_id, overall_comment=comment,
            recommendation=recommendation or Recommendation.FUND,
        )
        review.scores = [
            ReviewScore(criterion_id=c.id, score=s, comment=f"Комментарий {n}")
            for n, (c, s) in enumerate(zip(criteria, scores, strict=True), start=1)
        ]
        if submitted:
            review.status = ReviewStatus.SUBMITTED
            review.submitted_at = utcnow()
        db.add(review)
        db.flush()
        return review

    return factory


@pytest.fixture
def create_agreement(db: Session, create_application: Callable[..., Any]) -> Callable[..., Any]:
    """A funded application with its agreement (built directly, as a later stage for the
    finance tests): an advance of `advance_percent` on signing, the rest after the interim
    report, and one report per reporting date of the call (the last one final)."""
    from datetime import date, timedelta
    from decimal import ROUND_DOWN, Decimal

    from portal.db import utcnow
    from portal.models import (
        Agreement,
        AgreementStatus,
        ApplicationStatus,
        Decision,
        DecisionOutcome,
        Report,
        ReportKind,
        Tranche,
        TrancheCondition,
    )
    from portal.money import summarise_budget

    def factory(*, application: Any = None, amount: Decimal | None = None, signed: bool = False,
                advance_percent: int = 50, **app_fields: Any) -> Any:
        app = application or create_application(status=ApplicationStatus.SUBMITTED,
                                                 **app_fields)
        app.screened_at = app.screened_at or app.submitted_at
        amount = amount or summarise_budget(app.budget_lines).requested
        db.add(Decision(application_id=app.id, call_id=app.call_id,
                        outcome=DecisionOutcome.FUNDED, approved_amount=amount))
        app.status = (ApplicationStatus.UNDER_AGREEMENT if signed
                      else ApplicationStatus.FUNDED)
        agreement = Agreement(application_id=app.id, number=f"С-{app.registration_number}",
                              amount=amount)
        advance = (amount * advance_percent / 100).quantize(Decimal("0.01"), ROUND_DOWN)
        start = app.call.implementation_start
        agreement.tranches = [
            Tranche(number=1, due_date=start, amount=advance,
                    condition=TrancheCondition.ON_SIGNING),
            Tranche(number=2, due_date=start + timedelta(days=200), amount=amount - advance,
                    condition=TrancheCondition.AFTER_INTERIM_REPORT),
        ]
        dates = [date.fromisoformat(d) for d in app.call.reporting_dates] or [
            app.call.implementation_end]
        if len(dates) == 1:
            dates = [start + timedelta(days=120), dates[0]]
        agreement.reports = [
            Report(kind=ReportKind.FINAL if n == len(dates) - 1 else ReportKind.INTERIM,
                   due_date=d)
            for n, d in enumerate(sorted(dates))
        ]
        if signed:
            agreement.status = AgreementStatus.SIGNED
            agreement.signed_at = utcnow()
            agreement.tranches[0].released_at = utcnow()
        db.add(agreement)
        db.flush()
        return agreement

    return factory


@contextmanager
def scratch_database(database_url: str, folder: Any, name: str) -> Iterator[str]:
    """An empty database of its own, for a test that needs one beside the test database: on
    PostgreSQL `<that database>_<name>`, created afresh and dropped afterwards whatever
    happens; otherwise a new SQLite file in `folder`."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        yield "sqlite:///" + str(folder / f"{name}.sqlite3")
        return
    database = f"{url.database}_{name}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    quoted = server.dialect.identifier_preparer.quote(database)

    def drop() -> None:
        with server.connect() as conn:
            force = " WITH (FORCE)" if conn.dialect.server_version_info >= (13,) else ""
            conn.execute(text(f"DROP DATABASE IF EXISTS {quoted}{force}"))

    try:
        drop()
        with server.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {quoted}"))
        try:
            yield url.set(database=database).render_as_string(hide_password=False)
        finally:
            drop()
    finally:
        server.dispose()


def live_database_url(tmp_path_factory: pytest.TempPathFactory, name: str) -> str:
    """A database of its own for tests that commit for real (threads, other processes): a
    SQLite file, or a second PostgreSQL database `<test database>_<name>` beside the test one."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    if not TEST_DATABASE_URL:
        return "sqlite:///" + str(tmp_path_factory.mktemp(f"live-{name}") / "live.sqlite3")
    url = make_url(TEST_DATABASE_URL)
    database = f"{url.database}_{name}"
    server = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                               {"name": database}):
                conn.execute(text(f'CREATE DATABASE "{database}"'))
    finally:
        server.dispose()
    return url.set(database=database).render_as_string(hide_password=False)


def run_together(work: Callable[[int], Any], count: int) -> list[Any]:
    """Run work(0) ... work(count - 1) on threads released at the same moment; each result
    is the value returned or the exception raised."""
    import threading

    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def worker(index: int) -> None:
        barrier.wait()
        try:
            results[index] = work(index)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results



@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> Any:
    """Every URL the PDF renderer asks for in this test, through the portal's own fetcher
    (written to a file: the render runs in a child process)."""
    import portal.pdf

    class SpyFetcher(portal.pdf.PortalFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            with log.open("a", encoding="utf-8") as out:
                out.write(url + "\n")
            return super().fetch(url, headers)

        def requested(self) -> list[str]:
            return log.read_text(encoding="utf-8").split() if log.exists() else []

    log = tmp_path / "fetched.txt"
    fetcher = SpyFetcher()
    monkeypatch.setattr(portal.pdf, "portal_fetcher", fetcher)
    return fetcher


def service_unavailable(reason: str) -> None:
    """A test that needs a service of the machine (Redis, PostgreSQL's client tools) skips
    without it, except under CI, where the service is part of the set-up and its absence
    fails the run."""
    if os.environ.get("CI", "").strip().lower() in {"1", "true", "yes", "on"}:
        pytest.fail(f"{reason}; CI must provide it", pytrace=False)
    pytest.skip(reason)


@contextmanager
def redis_database(app: Flask, url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A Redis database of a test's own (`url`), emptied before and after, that `app` is
    configured to use; no Redis on the machine is service_unavailable."""
    client = Redis.from_url(url)
    try:
        client.ping()
    except RedisError as exc:
        service_unavailable(f"no Redis at {url}: {exc}")
    client.flushdb()
    monkeypatch.setitem(app.config, "REDIS_URL", url)
    try:
        yield url
    finally:
        client.flushdb()
        client.close()


def portal_env(**settings: str) -> dict[str, str]:
    """The environment for a portal process: this one's, without its PORTAL_* settings,
    plus `settings` as PORTAL_<name>."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update({f"PORTAL_{name}": value for name, value in settings.items()})
    return env


@contextmanager
def running_portals(*servers: tuple[dict[str, str], Any], startup: float = 90
                    ) -> Iterator[list[str]]:
    """The portal served by gunicorn with its production settings (portal.gunicorn_conf),
    once per (environment, log file) given, each on a loopback port of its own that the
    system picks, started together; yields their addresses once each answers /healthz, and
    stops them all afterwards whatever happens."""
    import re
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    from portal.config import PROJECT_ROOT

    listening = re.compile(r"Listening at: (http://127\.0\.0\.1:\d+)")

    def output(log_path: Any) -> str:
        return Path(log_path).read_text(encoding="utf-8", errors="replace")

    def address_of(log_path: Any) -> str | None:
        found = listening.search(output(log_path))
        return found.group(1) if found else None

    def healthy(address: str) -> bool:
        try:
            with urllib.request.urlopen(  # noqa: S310 - a loopback address
                f"{address}/healthz", timeout=5
            ) as answer:
                return answer.status == 200
        except OSError:
            return False

    processes: list[subprocess.Popen[bytes]] = []
    try:
        for env, log_path in servers:
            with open(log_path, "wb") as log:
                processes.append(subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "--config",
                     "python:portal.gunicorn_conf", "wsgi:app"],
                    cwd=PROJECT_ROOT, env={**env, "PORTAL_BIND": "127.0.0.1:0"},
                    stdout=log, stderr=subprocess.STDOUT,
                ))
        deadline = time.monotonic() + startup
        addresses = []
        for process, (_env, log_path) in zip(processes, servers, strict=True):
            while True:
                if process.poll() is not None:
                    pytest.fail(f"gunicorn stopped ({process.returncode}):\n{output(log_path)}")
                address = address_of(log_path)
                if address and healthy(address):
                    addresses.append(address)
                    break
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not answer:\n{output(log_path)}")
                time.sleep(0.2)
        yield addresses
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
