"""The database: engine and per-request session, the declarative `Base` with a constraint
naming convention, the `Money` column type (whole kopecks), and `get_or_404`."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from flask import Flask, abort, current_app, g, has_request_context, request
from sqlalchemy import BigInteger, DateTime, MetaData, Select, create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

KOPECK = Decimal("0.01")


def utcnow() -> datetime:
    """The current time, timezone-aware UTC; use as a callable default, never a value."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always returned timezone-aware, on every engine."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass an aware UTC datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Fixed(TypeDecorator[Decimal]):
    """An exact decimal with a fixed number of places, stored as a whole number of its
    smallest unit, so that SQLite and PostgreSQL compute identical sums. Floats and values
    with more places than the column holds are refused, never rounded silently."""

    impl = BigInteger
    cache_ok = True

    def __init__(self, places: int = 2) -> None:
        super().__init__()
        self.places = places
        self.unit = Decimal(1).scaleb(-places)

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("money is never a float; pass a Decimal")
        amount = Decimal(value)
        if amount != amount.quantize(self.unit):
            raise ValueError(f"{amount} has more than {self.places} decimal places")
        return int(amount.scaleb(self.places))

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        if value is None:
            return None
        return Decimal(value).scaleb(-self.places).quantize(self.unit)


class Money(Fixed):
    """Roubles as `Decimal` in Python, whole kopecks as an integer in the database."""

    cache_ok = True

    def __init__(self) -> None:
        super().__init__(places=2)

    def process_bind_param(self, value: Decimal | int | None, dialect: Any) -> int | None:
        try:
            return super().process_bind_param(value, dialect)
        except ValueError as exc:
            raise ValueError(f"{value} has fractions of a kopeck") from exc


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money()}


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 15000) -> Engine:
    """Create the engine. On SQLite: foreign keys on, WAL, a busy timeout, and every
    transaction that may write opened with BEGIN IMMEDIATE, so a write never fails half-way
    on a lock taken after it started reading. Pages read with GET never write (no state
    change on GET), so their transactions begin deferred: under WAL they read a snapshot
    without holding the write lock, and a long page (a PDF) never blocks anybody."""
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)

    engine = create_engine(url, connect_args={"timeout": sqlite_busy_timeout_ms / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {int(sqlite_busy_timeout_ms)}")
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql(_sqlite_begin_statement())

    return engine


_READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_reading_only: ContextVar[bool] = ContextVar("vektor_reading_only", default=False)


@contextmanager
def reading_only() -> Iterator[None]:
    """Work off the request that never writes (rendering documents in advance): on SQLite
    its transactions begin deferred, as a GET page's do, so however long it takes it holds
    no write lock."""
    token = _reading_only.set(True)
    try:
        yield
    finally:
        _reading_only.reset(token)


def _sqlite_begin_statement() -> str:
    if _reading_only.get() or (has_request_context()
                               and request.method in _READ_ONLY_METHODS):
        return "BEGIN"
    return "BEGIN IMMEDIATE"


class Database:
    """Owns the engine and hands out one session per application context (one per request)."""

    def init_app(self, app: Flask) -> None:
        engine = make_engine(
            app.config["DATABASE_URL"],
            sqlite_busy_timeout_ms=app.config["SQLITE_BUSY_TIMEOUT_MS"],
        )
        app.extensions["vektor.db"] = {
            "engine": engine,
            "sessionmaker": sessionmaker(bind=engine, expire_on_commit=False),
        }
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def _state(app: Flask | None = None) -> dict[str, Any]:
        return (app or current_app).extensions["vektor.db"]

    @property
    def engine(self) -> Engine:
        return self._state()["engine"]

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        return self._state()["sessionmaker"]

    def get_session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self.sessionmaker()
        return g.db_session

    @staticmethod
    def _close_session(exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()


db = Database()
session: Session = LocalProxy(db.get_session)  # type: ignore[assignment]

T = TypeVar("T")


def get_or_404(model: type[T], ident: Any, options: Sequence[Any] = ()) -> T:
    """Load one row by primary key or answer 404; `options` (joinedload, ...) load what the
    page reads of it in the same statements."""
    obj = session.get(model, ident, options=options)
    if obj is None:
        abort(404)
    return obj


class Page:
    """One page of a query's results, with what a pager needs."""

    def __init__(self, items: list[Any], page: int, per_page: int, total: int) -> None:
        self.items = items
        self.page = page
        self.per_page = per_page
        self.total = total
        self.pages = max(1, -(-total // per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate_list(items: Sequence[Any], page: int, per_page: int) -> Page:
    """One page of a list already computed in full (1-based; out-of-range pages are
    clamped, as paginate() does)."""
    pages = max(1, -(-len(items) // per_page))
    page = min(max(1, page), pages)
    return Page(list(items[(page - 1) * per_page: page * per_page]), page, per_page,
                len(items))


def paginate(query: Select[Any], page: int, per_page: int) -> Page:
    """Run `query` for one page (1-based; out-of-range pages are clamped). One statement
    reads the page's rows with the count of all of them beside each (a window); only a page
    past the end, which has no row to carry it, costs a second statement for the count and
    a third for the last page. The items are the query's objects when it selects one entity
    or column, and its rows (named by their columns) when it selects several, so that a list
    can read only the columns it shows."""
    single = len(query.column_descriptions) == 1
    page = max(1, page)

    def rows_of(number: int) -> tuple[list[Any], int | None]:
        result = session.execute(
            query.add_columns(func.count().over().label("page_total"))
            .limit(per_page).offset((number - 1) * per_page)).all()
        if not result:
            return [], None
        # Several columns: the rows as they are (the count is one more named column).
        return [row[0] if single else row for row in result], int(result[0][-1])

    items, total = rows_of(page)
    if total is None:
        total = int(session.scalar(
            select(func.count()).select_from(query.order_by(None).subquery())) or 0)
        last = max(1, -(-total // per_page))
        if total and page > last:
            page = last
            items, _total = rows_of(page)
        else:
            page = min(page, last)
    return Page(items, page, per_page, total)
