"""Fill a database with a competition of realistic size, for the query budgets and the
benchmarks: libraries (some of them library systems with branches), their applicants, a
chair, finance, an administrator and a committee of reviewers; calls of past years taken all
the way (screened, assigned, reviewed, ranked, decided within the fund, agreements signed,
tranches paid, interim and final reports accepted), a call in review and an open one.

Everything that is a use case goes through the portal's services, as a person would cause it
(submission with its registration number, screening, automatic assignment, review
submission, decisions and their finalisation, agreements, payments, reports), so the data
holds the services' rules and their audit rows and e-mails. The bulk rows nobody types one
by one in a use case of their own are inserted in bulk: the applications' sections and
budget lines, and the reviews with their scores (submitted through the service afterwards).

    python -m bench.generate --database-url URL [--applications N | --scale X] [--reset]

The same seed gives the same data on the same day (dates are counted back from today, so
that the open call is open and every payment is in the past). The accounts are
chair@bench.vektor, finance@bench.vektor, admin@bench.vektor, reviewer<N>@bench.vektor and
library<N>@bench.vektor (a second applicant, library<N>-2@, at every fifth library), each
with the password vektor-bench-2026."""

from __future__ import annotations

import argparse
import enum
import math
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import ROUND_DOWN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask
from sqlalchemy import func, insert, inspect, select, text
from sqlalchemy.orm import Session, selectinload

from portal import passwords
from portal.demo import _administration_data, demo_account, demo_inn, demo_ogrn
from portal.models import (
    Activity,
    Agreement,
    Application,
    ApplicationStatus,
    Assignment,
    AssignmentStatus,
    BudgetCategory,
    BudgetLine,
    Call,
    Decision,
    DecisionOutcome,
    Indicator,
    Organisation,
    Partner,
    Payment,
    Recommendation,
    Report,
    Review,
    ReviewScore,
    Role,
    Tranche,
    User,
)
from portal.money import KOPECK, line_total, to_kopecks
from portal.services.accounts import create_user
from portal.services.agreements import (
    administration_details,
    prepare_agreement,
    sign_agreement,
    update_administration_details,
)
from portal.services.applications import submit_application, withdraw_application
from portal.services.assignments import auto_assign, set_call_reviewers
from portal.services.calls import create_call, publish_call
from portal.services.decisions import (
    approved_total,
    decide,
    decline,
    finalise_decisions,
    first_in_reserve,
    fund_from_reserve,
    requested_amount,
)
from portal.services.organisations import create_organisation
from portal.services.payments import record_payment
from portal.services.ranking import propose_funding, rank_applications
from portal.services.reports import (
    accept_report,
    return_report,
    save_indicator_results,
    save_narrative,
    save_spending,
    submit_report,
)
from portal.services.reviews import declare_conflict, submit_review
from portal.services.screening import screen_application

BENCH_PASSWORD = "vektor-bench-2026"  # noqa: S105 - published, generated data only
DOMAIN = "bench.vektor"
ZONE = ZoneInfo("Europe/Moscow")
BANK = {"bank_name": "ПАО Сбербанк", "bik": "044525225",
        "correspondent_account": "30101810400000000225"}
MAX_GRANT = Decimal("1500000.00")
MIN_COFINANCING = Decimal("20")
# The share of a call's requested money its fund covers: about one project in five is funded.
FUNDED_SHARE = Decimal("0.2")
BATCH = 200  # applications (or reviews) loaded and committed at a time


@dataclass(frozen=True)
class Volumes:
    """How much to make. The defaults are the issue's: 60 libraries, 6 calls, 5,000
    applications of 20 to 60 budget lines, 3 reviews each on the call's 10 criteria."""

    libraries: int = 60
    calls: int = 6
    applications: int = 5000
    min_lines: int = 20
    max_lines: int = 60
    reviews_per_application: int = 3
    reviewers: int = 30
    seed: int = 2026

    def scaled(self, factor: float) -> Volumes:
        """Applications (and reviewers, to keep each one's load) times `factor`; the
        libraries and calls stay, as a municipality's do while its competition grows."""
        return replace(
            self, applications=max(self.calls, round(self.applications * factor)),
            reviewers=max(self.reviews_per_application + 2, round(self.reviewers * factor)),
        )

    def check(self) -> None:
        if self.libraries < 1 or self.calls < 1 or self.applications < self.calls:
            raise ValueError("at least one library and one call, and an application per call")
        if not 1 <= self.min_lines <= self.max_lines:
            raise ValueError("budget lines: 1 <= min_lines <= max_lines")
        if self.reviewers < self.reviews_per_application + 1:
            raise ValueError("more reviewers than reviews per application are needed")


class Stage(enum.StrEnum):
    DECIDED = "decided"  # decided, with agreements, payments and reports
    REVIEW = "review"  # closed, screened, assigned, part of the reviews in
    OPEN = "open"  # taking applications


def call_stages(calls: int) -> list[Stage]:
    """Oldest first: the calls of past years decided, then one in review and the open one."""
    if calls == 1:
        return [Stage.DECIDED]
    if calls == 2:
        return [Stage.DECIDED, Stage.OPEN]
    return [Stage.DECIDED] * (calls - 2) + [Stage.REVIEW, Stage.OPEN]


# --- words -----------------------------------------------------------------------------------

FIRST_NAMES = ("Анна", "Мария", "Елена", "Ольга", "Татьяна", "Наталья", "Ирина", "Светлана",
               "Сергей", "Андрей", "Дмитрий", "Алексей", "Игорь", "Павел", "Юлия", "Галина")
PATRONYMICS = ("Сергеевна", "Петровна", "Ивановна", "Андреевна", "Викторовна", "Олегович",
               "Николаевич", "Михайлович")
SURNAMES = ("Иванова", "Смирнова", "Кузнецова", "Попова", "Соколова", "Лебедева", "Козлова",
            "Новикова", "Морозова", "Петрова", "Волкова", "Соловьёва", "Васильева", "Зайцева")
TOWNS = ("Светлогорск", "Зеленоградск", "Пионерский", "Янтарный", "Балтийск", "Гурьевск",
         "Полесск", "Правдинск", "Озёрск", "Неман", "Краснознаменск", "Мамоново")
LIBRARY_KINDS = ("Центральная городская библиотека", "Детская библиотека",
                 "Библиотека семейного чтения", "Сельская библиотека",
                 "Централизованная библиотечная система", "Юношеская библиотека")
DIRECTIONS = ("Продвижение чтения", "Цифровизация библиотечных услуг",
              "Краеведение и сохранение наследия", "Доступная среда",
              "Библиотека как общественное пространство", "Просвещение и образование")
TOPICS = ("Читающий двор", "Цифровая читальня", "Краеведческий архив онлайн",
          "Библиотека без барьеров", "Семейное чтение", "Книжный марафон",
          "Медиатека для подростков", "Открытая лаборатория", "Школа цифровой грамотности",
          "Литературные маршруты", "Говорящая книга", "Летний читальный зал",
          "Точка доступа к электронным услугам", "Клуб любителей истории края")
AUDIENCES = ("для подростков", "для сельских читателей", "для старшего поколения",
             "для семей с детьми", "для людей с нарушениями зрения", "для всего округа")
SENTENCES = (
    "Библиотека остаётся единственным бесплатным общественным пространством посёлка.",
    "По опросу читателей, половина подростков бывает в библиотеке реже раза в месяц.",
    "Фонд краеведческих изданий ветшает, а доступ к нему возможен только в читальном зале.",
    "Проект объединяет школу, музей и библиотеку вокруг общей программы чтения.",
    "Новое оборудование позволит проводить занятия для групп до двадцати человек.",
    "Результаты будут измеряться числом участников, выдач и оцифрованных страниц.",
    "После окончания финансирования программа продолжится за счёт бюджета учреждения.",
    "Волонтёры из числа старшеклассников помогут вести занятия и мастер-классы.",
    "Все материалы проекта будут опубликованы на сайте библиотеки в открытом доступе.",
    "Жители отдалённых посёлков получат доступ к электронным ресурсам библиотеки.",
    "Сотрудники пройдут обучение работе с новым оборудованием и программами.",
    "Партнёры предоставят помещения, транспорт и экспертов для встреч с читателями.",
)
ITEMS: dict[BudgetCategory, tuple[tuple[str, str], ...]] = {
    BudgetCategory.EQUIPMENT: (("Стеллаж библиотечный", "шт."), ("Проектор", "шт."),
                               ("Мобильный выставочный стенд", "шт."),
                               ("Мебель для читального зала", "комплект")),
    BudgetCategory.INFORMATISATION: (("Ноутбук", "шт."), ("Лицензия на программу", "шт."),
                                     ("Подключение к интернету", "мес."),
                                     ("Многофункциональное устройство", "шт.")),
    BudgetCategory.ACQUISITIONS: (("Книги для подростков", "экз."),
                                  ("Подписка на периодику", "комплект"),
                                  ("Доступ к электронной библиотеке", "год"),
                                  ("Аудиокниги", "экз.")),
    BudgetCategory.DIGITISATION: (("Сканирование краеведческих изданий", "стр."),
                                  ("Реставрация изданий", "экз."),
                                  ("Описание оцифрованных документов", "запись")),
    BudgetCategory.TRAINING: (("Курсы повышения квалификации", "чел."),
                              ("Семинар для сотрудников", "занятие")),
    BudgetCategory.FEES: (("Вознаграждение ведущему занятий", "занятие"),
                          ("Гонорар приглашённому автору", "встреча")),
    BudgetCategory.EVENTS: (("Печать афиш и программ", "шт."),
                            ("Организация фестиваля чтения", "мероприятие"),
                            ("Призы участникам конкурса", "шт.")),
    BudgetCategory.OTHER: (("Транспортные расходы", "поездка"),
                           ("Канцелярские товары", "комплект")),
}
# How often each category appears among a budget's lines.
CATEGORY_WEIGHTS = {BudgetCategory.EQUIPMENT: 4, BudgetCategory.INFORMATISATION: 4,
                    BudgetCategory.ACQUISITIONS: 5, BudgetCategory.DIGITISATION: 2,
                    BudgetCategory.TRAINING: 2, BudgetCategory.FEES: 2,
                    BudgetCategory.EVENTS: 3, BudgetCategory.OTHER: 1}
# The call's capped categories get small lines, so a budget stays within the caps.
SMALL_CATEGORIES = (BudgetCategory.FEES, BudgetCategory.OTHER)
JUSTIFICATIONS = ("Коммерческое предложение поставщика", "Средняя цена трёх предложений",
                  "Прайс-лист издательства", "Расчёт по расходам прошлого года")


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(rng.choice(SENTENCES) for _ in range(sentences))


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(PATRONYMICS)} {rng.choice(SURNAMES)}"


# --- the calendar ----------------------------------------------------------------------------


def _moment(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, clock(hour, minute), tzinfo=ZONE)


@dataclass(frozen=True)
class Calendar:
    """A call's dates, counted back from today so that everything decided lies in the past:
    the newest decided call's projects are half-way (interim reports in, final reports not
    due), the older ones are finished."""

    opens: datetime
    closes: datetime
    implementation_start: date
    implementation_end: date
    reporting: tuple[date, ...]
    review_deadline: date

    @classmethod
    def of(cls, stage: Stage, age: int, today: date) -> Calendar:
        """`age`: how many decided calls are newer than this one (0 for the newest)."""
        if stage == Stage.OPEN:
            opens = today - timedelta(days=12)
            closes = today + timedelta(days=30)
        elif stage == Stage.REVIEW:
            opens = today - timedelta(days=70)
            closes = today - timedelta(days=12)
        else:
            opens = today - timedelta(days=300 + 365 * age)
            closes = opens + timedelta(days=45)
        start = closes + timedelta(days=60)
        end = start + timedelta(days=270)
        return cls(_moment(opens, 9), _moment(closes, 18), start, end,
                   (start + timedelta(days=120), end + timedelta(days=15)),
                   closes + timedelta(days=30) if stage != Stage.REVIEW
                   else today + timedelta(days=14))


# --- the plan of one application, before the database ------------------------------------------


@dataclass
class Plan:
    """An application as its library will have written it."""

    library: int
    row: dict[str, Any]
    activities: list[dict[str, Any]]
    partners: list[dict[str, Any]]
    indicators: list[dict[str, Any]]
    lines: list[dict[str, Any]]

    @property
    def requested(self) -> Decimal:
        return sum((line["requested_amount"] for line in self.lines), Decimal("0.00"))


def budget_lines(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """`count` budget lines that meet the default rules of a call: co-financing above 20 %
    on every line, the requested amount under 1.5 million, fees within 30 % of the requested
    amount and other costs within 10 % of the total (the capped categories take small
    lines, and a line that would still break a cap is filed under another category)."""
    target = Decimal(rng.randrange(250_000, 1_800_000))
    cofinancing = rng.uniform(0.21, 0.45)
    partner_part = rng.choice((0.0, 0.0, 0.3, 0.5))
    categories = rng.choices(list(CATEGORY_WEIGHTS), weights=list(CATEGORY_WEIGHTS.values()),
                             k=count)
    weights = [rng.uniform(0.5, 3.0) * (0.3 if c in SMALL_CATEGORIES else 1.0)
               for c in categories]
    lines = []
    for category, weight in zip(categories, weights, strict=True):
        item, unit = rng.choice(ITEMS[category])
        quantity = Decimal(rng.choice((1, 1, 2, 3, 5, 10, 20, 50, 100)))
        price = max(Decimal("1.00"),
                    (target * Decimal(weight / sum(weights)) / quantity).quantize(KOPECK))
        total = line_total(quantity, price)
        share = Decimal(str(round(min(0.9, max(0.205, cofinancing + rng.uniform(-0.05, 0.05))),
                                  3)))
        cofunded = to_kopecks(total * share)
        partner = to_kopecks(cofunded * Decimal(str(partner_part)))
        lines.append({
            "category": category, "item": item, "justification": rng.choice(JUSTIFICATIONS),
            "unit": unit, "quantity": quantity.quantize(Decimal("0.001")), "unit_price": price,
            "requested_amount": total - cofunded, "own_amount": cofunded - partner,
            "partner_amount": partner,
        })
    _keep_within_caps(lines)
    for position, line in enumerate(lines, start=1):
        line["position"] = position
    return lines


def _keep_within_caps(lines: list[dict[str, Any]]) -> None:
    def total(line: dict[str, Any]) -> Decimal:
        return line["requested_amount"] + line["own_amount"] + line["partner_amount"]

    caps = ((BudgetCategory.FEES, "requested", Decimal("0.25"), BudgetCategory.EVENTS),
            (BudgetCategory.OTHER, "total", Decimal("0.08"), BudgetCategory.EQUIPMENT))
    for category, basis, cap, instead in caps:
        def amount(line: dict[str, Any], basis: str = basis) -> Decimal:
            return line["requested_amount"] if basis == "requested" else total(line)

        whole = sum((amount(line) for line in lines), Decimal(0))
        for line in sorted((x for x in lines if x["category"] == category), key=amount,
                           reverse=True):
            capped = sum((amount(x) for x in lines if x["category"] == category), Decimal(0))
            if capped <= cap * whole:
                break
            line["category"] = instead


def plan_application(rng: random.Random, volumes: Volumes, calendar: Calendar,
                     library: int) -> Plan:
    start = calendar.implementation_start + timedelta(days=rng.randrange(0, 30))
    end = calendar.implementation_end - timedelta(days=rng.randrange(0, 30))
    span = (end - start).days
    activities = []
    for position in range(1, rng.randint(2, 4) + 1):
        first = start + timedelta(days=rng.randrange(0, span // 2))
        activities.append({"position": position, "title": rng.choice(SENTENCES)[:120],
                           "description": _paragraph(rng, 2), "start_date": first,
                           "end_date": min(end, first + timedelta(days=rng.randrange(7, 120)))})
    partners = [{"position": n, "name": f"{rng.choice(('Школа', 'Музей', 'Дом культуры'))} "
                 f"№ {rng.randint(1, 30)}", "role": "Площадка и участники",
                 "contribution": "Помещение и транспорт"} for n in range(1, rng.randint(1, 2) + 1)]
    indicators = [{"position": n, "name": name, "unit": unit, "baseline": Decimal("0"),
                   "target": Decimal(rng.randrange(50, 2000))}
                  for n, (name, unit) in enumerate(rng.sample(
                      [("Участники мероприятий", "чел."), ("Выдачи изданий", "экз."),
                       ("Оцифрованные страницы", "стр."), ("Мероприятия", "ед."),
                       ("Посещения сайта", "тыс.")], k=rng.randint(2, 4)), start=1)]
    row = {
        "title": f"{rng.choice(TOPICS)} {rng.choice(AUDIENCES)}",
        "direction": rng.choice(DIRECTIONS), "start_date": start, "end_date": end,
        "summary": _paragraph(rng, 3), "problem": _paragraph(rng, 6),
        "goals": _paragraph(rng, 3), "tasks": _paragraph(rng, 4),
        "target_groups": _paragraph(rng, 2),
    }
    lines = budget_lines(rng, rng.randint(volumes.min_lines, volumes.max_lines))
    return Plan(library, row, activities, partners, indicators, lines)


# --- the people ------------------------------------------------------------------------------


@dataclass
class Cast:
    """The ids of everyone who acts: staff, reviewers, each library's applicants."""

    chair: int = 0
    finance: int = 0
    admin: int = 0
    reviewers: list[int] = field(default_factory=list)
    libraries: list[int] = field(default_factory=list)  # organisation ids, by number
    applicants: dict[int, list[int]] = field(default_factory=dict)  # organisation id -> users


def _organisation_data(rng: random.Random, number: int, inn: str, kpp: str) -> dict[str, str]:
    town = TOWNS[number % len(TOWNS)]
    kind = LIBRARY_KINDS[number % len(LIBRARY_KINDS)]
    return {
        "full_name": f"Муниципальное бюджетное учреждение культуры «{kind} № {number} "
                     f"г. {town}»",
        "short_name": f"{kind} № {number} ({town})", "inn": inn, "kpp": kpp,
        "ogrn": demo_ogrn(f"{103390000000 + number:012d}"),
        "municipality": f"Городской округ «{town}»",
        "address": f"г. {town}, ул. Библиотечная, д. {number}",
        "head_name": _person(rng), "head_position": "Директор",
        "phone": f"+7 401 {500 + number:03d}-00-00", "email": f"library{number}@{DOMAIN}",
        "settlement_account": demo_account(BANK["bik"], f"4070281040{number:09d}"), **BANK,
    }


class _HashOnce:
    """Every account has the same password: hash it once instead of once per account, with
    the hasher's own parameters (production's, so signing in costs what it does there)."""

    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher
        self.hashes: dict[str, str] = {}

    def hash(self, password: str) -> str:
        if password not in self.hashes:
            self.hashes[password] = self.hasher.hash(password)
        return self.hashes[password]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hasher, name)


@contextmanager
def _hashing_once() -> Iterator[None]:
    original = passwords._hasher
    passwords._hasher = _HashOnce(original)
    try:
        yield
    finally:
        passwords._hasher = original


def make_people(session: Session, rng: random.Random, volumes: Volumes) -> Cast:
    """The libraries (every tenth a library system with two branches sharing its INN), an
    applicant for each and a second one at every fifth, the staff and the reviewers (every
    sixth of them working at a library, so conflicts of interest come up)."""
    cast = Cast()
    system: Organisation | None = None
    for number in range(1, volumes.libraries + 1):
        place = (number - 1) % 10
        parent = system if place in (8, 9) and system is not None else None
        inn = parent.inn if parent else demo_inn(f"{390700000 + number:09d}")
        kpp = f"3907{place + 1:02d}001" if parent else "390701001"
        org = create_organisation(session, _organisation_data(rng, number, inn, kpp),
                                  actor=None, approved=True, parent=parent)
        if place == 7:
            system = org
        cast.libraries.append(org.id)
        users = [_account(session, f"library{number}@{DOMAIN}", _person(rng),
                          Role.APPLICANT, org)]
        if number % 5 == 0:
            users.append(_account(session, f"library{number}-2@{DOMAIN}", _person(rng),
                                  Role.APPLICANT, org))
        cast.applicants[org.id] = [u.id for u in users]
    cast.chair = _account(session, f"chair@{DOMAIN}", _person(rng), Role.CHAIR).id
    cast.finance = _account(session, f"finance@{DOMAIN}", _person(rng), Role.FINANCE).id
    cast.admin = _account(session, f"admin@{DOMAIN}", _person(rng), Role.ADMIN).id
    for number in range(1, volumes.reviewers + 1):
        org = None
        if number % 6 == 0:
            org = session.get(Organisation, cast.libraries[(number // 6 - 1)
                                                          % len(cast.libraries)])
        cast.reviewers.append(_account(session, f"reviewer{number}@{DOMAIN}", _person(rng),
                                       Role.REVIEWER, org).id)
    session.commit()
    return cast


def _account(session: Session, email: str, name: str, role: Role,
             organisation: Organisation | None = None) -> User:
    return create_user(session, email=email, full_name=name, password=BENCH_PASSWORD,
                       roles={role}, organisation=organisation, actor=None)


# --- the generator ---------------------------------------------------------------------------


@dataclass
class Made:
    """What was made and how long each step took, for the summary."""

    seconds: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


class Generator:
    """Makes the whole competition in `session`, committing as it goes (in a test, the
    session's commits release savepoints of the test's own transaction)."""

    def __init__(self, session: Session, volumes: Volumes, *, today: date | None = None,
                 log: Callable[[str], None] = print) -> None:
        volumes.check()
        self.session = session
        self.volumes = volumes
        self.rng = random.Random(volumes.seed)
        self.today = today or datetime.now(ZONE).date()
        self.log = log
        self.made = Made()
        self.cast = Cast()
        self.order_number = 0

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        yield
        self.session.commit()
        spent = time.perf_counter() - started
        self.made.seconds[name] = self.made.seconds.get(name, 0.0) + spent
        self.log(f"  {name}: {spent:.1f} s")

    def user(self, user_id: int) -> User:
        user = self.session.get(User, user_id)
        assert user is not None
        return user

    def run(self) -> Made:
        started = time.perf_counter()
        with self.step("libraries and people"), _hashing_once():
            self.cast = make_people(self.session, self.rng, self.volumes)
        stages = call_stages(self.volumes.calls)
        decided = stages.count(Stage.DECIDED)
        shares = _split(self.volumes.applications, len(stages))
        for number, (stage, count) in enumerate(zip(stages, shares, strict=True)):
            age = decided - 1 - number if stage == Stage.DECIDED else 0
            self.log(f"call {number + 1} of {len(stages)} ({stage.value}, {count} applications)")
            self.make_call(stage, Calendar.of(stage, age, self.today), count, finished=age > 0)
        self.made.seconds["total"] = time.perf_counter() - started
        self.made.counts = table_counts(self.session)
        return self.made

    # --- one call ---------------------------------------------------------------------------

    def make_call(self, stage: Stage, calendar: Calendar, count: int, *, finished: bool) -> None:
        plans = [plan_application(self.rng, self.volumes, calendar, self._library())
                 for _ in range(count)]
        with self.step("calls"):
            call_id = self.open_call(stage, calendar, plans)
        with self.step("applications (bulk)"):
            ids = self.insert_applications(call_id, plans)
        drafts = set(self.rng.sample(ids, k=int(len(ids) * 0.4))) if stage == Stage.OPEN else set()
        with self.step("submission"):
            self.submit(call_id, calendar, [i for i in ids if i not in drafts])
        if stage == Stage.OPEN:
            return
        with self.step("screening and assignment"):
            self.screen_and_assign(call_id, calendar)
        with self.step("reviews"):
            self.review(call_id, calendar, everything=stage == Stage.DECIDED)
        if stage == Stage.REVIEW:
            return
        with self.step("decisions"):
            self.decide(call_id, calendar)
        with self.step("agreements and payments"):
            agreements = self.agreements(call_id, calendar)
        with self.step("reports"):
            self.reports(agreements, calendar, finished=finished)

    def _library(self) -> int:
        """A library, the bigger (lower-numbered in each ten) applying more often."""
        weights = [3 if n % 10 < 3 else 1 for n in range(len(self.cast.libraries))]
        return self.rng.choices(self.cast.libraries, weights=weights)[0]

    def open_call(self, stage: Stage, calendar: Calendar, plans: Sequence[Plan]) -> int:
        """Create and publish the call. Its fund covers about FUNDED_SHARE of what its
        applications request. The services let an applicant submit only while the call is
        open by the real clock, so a call of the past is created closing tomorrow and its
        real closing is put back once its applications are in (as the demo does)."""
        requested = sum((p.requested for p in plans), Decimal(0))
        fund = max(MAX_GRANT, (requested * FUNDED_SHARE).quantize(Decimal(1000), ROUND_DOWN))
        year = calendar.implementation_start.year
        closes = (calendar.closes if stage == Stage.OPEN
                  else datetime.now(ZONE) + timedelta(days=1))
        chair = self.user(self.cast.chair)
        call = create_call(self.session, {
            "title": f"Библиотека — центр местного сообщества: проекты {year} года",
            "description": _paragraph(self.rng, 5), "directions": list(DIRECTIONS),
            "opens_at": calendar.opens, "closes_at": closes, "timezone": str(ZONE),
            "implementation_start": calendar.implementation_start,
            "implementation_end": calendar.implementation_end, "fund_amount": fund,
            "max_grant_amount": MAX_GRANT, "min_cofinancing_percent": MIN_COFINANCING,
            "reviewers_per_application": self.volumes.reviews_per_application,
            "disagreement_threshold_percent": Decimal("30"),
            "review_deadline": calendar.review_deadline,
            "reporting_dates": [d.isoformat() for d in calendar.reporting],
        }, actor=chair)
        publish_call(self.session, call, actor=chair, now=calendar.opens)
        self.session.flush()
        return call.id

    def insert_applications(self, call_id: int, plans: Sequence[Plan]) -> list[int]:
        """The drafts as their libraries wrote them, section rows and budget lines
        included, in bulk (in a random order of libraries, the order they will come in)."""
        rows = []
        for plan in plans:
            author = self.rng.choice(self.cast.applicants[plan.library])
            rows.append({**plan.row, "call_id": call_id, "organisation_id": plan.library,
                         "created_by_id": author, "updated_by_id": author,
                         "status": ApplicationStatus.DRAFT})
        ids = list(self.session.scalars(
            insert(Application).returning(Application.id, sort_by_parameter_order=True), rows))
        for model, attribute in ((Activity, "activities"), (Partner, "partners"),
                                 (Indicator, "indicators"), (BudgetLine, "lines")):
            children = [{**child, "application_id": app_id}
                        for app_id, plan in zip(ids, plans, strict=True)
                        for child in getattr(plan, attribute)]
            for chunk in _chunks(children, 5000):
                self.session.execute(insert(model), chunk)
        return ids

    def _applications(self, ids: Sequence[int]) -> Iterator[Application]:
        """The applications of `ids` in that order, a batch at a time with everything the
        services read of them, committing after each batch."""
        for chunk in _chunks(list(ids), BATCH):
            loaded = {a.id: a for a in self.session.scalars(
                select(Application).where(Application.id.in_(chunk)).options(
                    selectinload(Application.activities), selectinload(Application.partners),
                    selectinload(Application.indicators),
                    selectinload(Application.budget_lines),
                    selectinload(Application.organisation)))}
            for app_id in chunk:
                yield loaded[app_id]
            self.session.commit()

    def submit(self, call_id: int, calendar: Calendar, ids: Sequence[int]) -> None:
        """Each application submitted by its author through the service (its number taken
        under the call's lock), spread over the call's open days, many in the last ones; a
        few of the open call's withdrawn again."""
        call = self.session.get(Call, call_id)
        assert call is not None
        last = min(calendar.closes, datetime.now(ZONE)) - timedelta(minutes=5)
        span = (last - calendar.opens).total_seconds()
        moments = sorted(calendar.opens + timedelta(seconds=span * self.rng.random() ** 0.4)
                         for _ in ids)
        authors = {}
        for app, moment in zip(self._applications(ids), moments, strict=True):
            author = authors.get(app.created_by_id) or self.user(app.created_by_id)
            authors[author.id] = author
            submit_application(self.session, app, actor=author, now=moment)
            if calendar.closes > datetime.now(ZONE) and self.rng.random() < 0.02:
                withdraw_application(self.session, app, actor=author,
                                     reason="Библиотека перенесла проект на следующий год.")
        call = self.session.get(Call, call_id)
        assert call is not None
        call.closes_at = calendar.closes

    def screen_and_assign(self, call_id: int, calendar: Calendar) -> None:
        """The chair admits the applications the morning after the closing (about one in
        twenty not, with a reason), chooses every reviewer for the call with a limit, and
        runs the automatic assignment."""
        chair = self.user(self.cast.chair)
        ids = list(self.session.scalars(
            select(Application.id).where(Application.call_id == call_id,
                                         Application.status == ApplicationStatus.SUBMITTED)
            .order_by(Application.sequence)))
        moment = calendar.closes + timedelta(hours=15)
        for app in self._applications(ids):
            admit = self.rng.random() >= 0.05
            screen_application(self.session, app, admit,
                               "" if admit else "Проект не соответствует направлениям конкурса.",
                               actor=chair, now=moment)
        call = self.session.get(Call, call_id)
        assert call is not None
        reviewers = len(self.cast.reviewers)
        limit = math.ceil(len(ids) * self.volumes.reviews_per_application / reviewers * 1.3) + 1
        set_call_reviewers(self.session, call, self.cast.reviewers, limit, actor=chair)
        summary = auto_assign(self.session, call, actor=chair)
        if summary.shortfalls:
            raise RuntimeError(f"call {call.code}: {summary.shortfalls[0].reason}")

    def review(self, call_id: int, calendar: Calendar, *, everything: bool) -> None:
        """The reviews of the call's active assignments with a score on every criterion and
        comments, inserted in bulk as drafts and submitted through the service. A decided
        call has them all; the call in review about two in three submitted, one in six a
        draft, the rest not started, and two assignments handed back with a conflict of
        interest."""
        call = self.session.get(Call, call_id)
        assert call is not None
        criteria = [(c.id, c.scale_max, c.weight) for c in call.criteria]
        maximum = sum((Decimal(c.scale_max) * c.weight for c in call.criteria), Decimal(0))
        assignments = self.session.execute(
            select(Assignment.id, Assignment.application_id, Assignment.reviewer_id)
            .join(Application, Application.id == Assignment.application_id)
            .where(Application.call_id == call_id,
                   Assignment.status == AssignmentStatus.ACTIVE)
            .order_by(Application.sequence, Assignment.id)).all()
        requested = dict(self.session.execute(
            select(BudgetLine.application_id, func.sum(BudgetLine.requested_amount))
            .join(Application, Application.id == BudgetLine.application_id)
            .where(Application.call_id == call_id).group_by(BudgetLine.application_id)).all())
        quality = {a: min(9.5, max(2.0, self.rng.gauss(6.5, 1.5)))
                   for a in sorted({row.application_id for row in assignments})}
        strictness = {r: self.rng.uniform(-1.0, 1.0) for r in self.cast.reviewers}
        states = ["submitted" if everything else self._review_state() for _ in assignments]
        written = [(row, state) for row, state in zip(assignments, states, strict=True)
                   if state != "none"]
        reviews = []
        scores: list[list[tuple[int, int, str]]] = []
        for row, _state in written:
            marks = []
            for criterion, _scale, _weight in criteria:
                mark = min(10, max(0, round(quality[row.application_id]
                                            + strictness[row.reviewer_id]
                                            + self.rng.gauss(0, 1.2))))
                marks.append((criterion, mark,
                              f"{self.rng.choice(SENTENCES)} Оценка {mark} из 10."))
            scores.append(marks)
            weights = {c: w for c, _s, w in criteria}
            total = sum(mark * weights[c] for c, mark, _comment in marks)
            high = total >= Decimal("0.6") * maximum
            reduced = high and self.rng.random() < 0.1
            recommendation = (Recommendation.FUND_REDUCED if reduced
                              else Recommendation.FUND if high
                              else Recommendation.DO_NOT_FUND)
            reviews.append({
                "assignment_id": row.id, "application_id": row.application_id,
                "reviewer_id": row.reviewer_id, "overall_comment": _paragraph(self.rng, 2),
                "recommendation": recommendation,
                "recommended_amount": ((requested[row.application_id] * Decimal("0.8"))
                                       .quantize(KOPECK) if reduced else None),
            })
        review_ids = list(self.session.scalars(
            insert(Review).returning(Review.id, sort_by_parameter_order=True), reviews)
        ) if reviews else []
        score_rows = [{"review_id": review_id, "criterion_id": criterion, "score": mark,
                       "comment": comment}
                      for review_id, marks in zip(review_ids, scores, strict=True)
                      for criterion, mark, comment in marks]
        for chunk in _chunks(score_rows, 5000):
            self.session.execute(insert(ReviewScore), chunk)
        self.session.commit()
        to_submit = [row.id for row, state in written if state == "submitted"]
        start = calendar.closes + timedelta(days=3)
        # over twenty days, or up to now for the call still in review
        minutes = int(min(timedelta(days=20), datetime.now(ZONE) - start).total_seconds() // 60)
        for n, assignment in enumerate(self._assignments(to_submit)):
            moment = start + timedelta(minutes=n * 7 % max(1, minutes))
            submit_review(self.session, assignment, actor=assignment.reviewer, now=moment)
        if not everything:
            untouched = [row.id for row, state in zip(assignments, states, strict=True)
                         if state == "none"][:2]
            for assignment in self._assignments(untouched):
                declare_conflict(self.session, assignment, actor=assignment.reviewer,
                                 reason="Я консультировал библиотеку при подготовке проекта.",
                                 now=start)

    def _review_state(self) -> str:
        """Of the call in review: two in three submitted, one in six a draft, the rest not
        started."""
        chance = self.rng.random()
        return "submitted" if chance < 0.65 else "draft" if chance < 0.82 else "none"

    def _assignments(self, ids: Sequence[int]) -> Iterator[Assignment]:
        for chunk in _chunks(list(ids), BATCH):
            loaded = {a.id: a for a in self.session.scalars(
                select(Assignment).where(Assignment.id.in_(chunk)).options(
                    selectinload(Assignment.review), selectinload(Assignment.reviewer),
                    selectinload(Assignment.application)))}
            for assignment_id in chunk:
                yield loaded[assignment_id]
            self.session.commit()

    def decide(self, call_id: int, calendar: Calendar) -> None:
        """The chair decides down the ranking as the portal proposes (funded until the fund
        is spent, the next ones on the reserve list, the rest not funded with the reason)
        and finalises; then the last funded library declines and the first of the reserve
        list is funded with what is free."""
        call = self.session.get(Call, call_id)
        assert call is not None
        chair = self.user(self.cast.chair)
        ranking = rank_applications(self.session, call)
        proposal = propose_funding(ranking.rows, call.fund_amount)
        funded = {g.row.application_id: g.amount for g in proposal.funded}
        reserve = {row.application_id: n for n, row in enumerate(proposal.reserve, start=1)}
        moment = calendar.closes + timedelta(days=30)
        reviewed = [row.application_id for row in ranking.rows
                    if row.status == ApplicationStatus.REVIEWED]
        for app in self._applications(reviewed):
            if app.id in funded:
                decide(self.session, app, DecisionOutcome.FUNDED, approved_amount=funded[app.id],
                       actor=chair, now=moment)
            elif app.id in reserve:
                decide(self.session, app, DecisionOutcome.RESERVE, reserve_rank=reserve[app.id],
                       actor=chair, now=moment)
            else:
                decide(self.session, app, DecisionOutcome.NOT_FUNDED, actor=chair, now=moment,
                       reason="Проект набрал меньше баллов, чем проекты в пределах фонда.")
        call = self.session.get(Call, call_id)
        assert call is not None
        finalise_decisions(self.session, call, actor=chair, now=moment + timedelta(days=1))
        if not (proposal.funded and proposal.reserve):
            return
        later = moment + timedelta(days=4)
        declining = self.session.get(Application, proposal.funded[-1].row.application_id)
        assert declining is not None
        decline(self.session, declining, actor=chair, now=later,
                reason="Библиотека не может обеспечить софинансирование в этом году.")
        first = first_in_reserve(self.session, call_id)
        if first is None:
            return
        free = call.fund_amount - approved_total(self.session, call_id)
        asked = requested_amount(self.session, first)
        amount = min(asked, free)
        if amount > 0:
            app = self.session.get(Application, first)
            assert app is not None
            fund_from_reserve(self.session, app, approved_amount=amount, actor=chair, now=later,
                              reason="" if amount == asked else "Средства, оставшиеся в фонде.")

    def agreements(self, call_id: int, calendar: Calendar) -> list[int]:
        """Finance prepares each funded project's agreement with the default schedule, signs
        nineteen in twenty and pays the advance of nine in ten signed ones. Returns the ids
        of the agreements whose advance was paid."""
        finance = self.user(self.cast.finance)
        if administration_details(self.session) is None:
            update_administration_details(self.session, _administration_data(), actor=finance)
        ids = list(self.session.scalars(
            select(Application.id).where(Application.call_id == call_id,
                                         Application.status == ApplicationStatus.FUNDED)
            .order_by(Application.sequence)))
        prepared = (calendar.closes + timedelta(days=38)).date()
        paid = []
        for app in self._applications(ids):
            agreement = prepare_agreement(self.session, app, actor=finance, today=prepared)
            if self.rng.random() < 0.05:
                continue
            signed = prepared + timedelta(days=self.rng.randrange(3, 10))
            sign_agreement(self.session, agreement, actor=finance, now=_moment(signed, 15))
            if self.rng.random() < 0.1:
                continue
            self.pay(agreement.tranches[0], signed + timedelta(days=7))
            paid.append(agreement.id)
        return paid

    def pay(self, tranche: Tranche, day: date) -> None:
        self.order_number += 1
        record_payment(self.session, tranche, paid_on=day, amount=tranche.amount,
                       order_number=str(self.order_number), actor=self.user(self.cast.finance),
                       now=_moment(day, 16))

    def reports(self, agreement_ids: Sequence[int], calendar: Calendar, *,
                finished: bool) -> None:
        """The libraries write and submit their interim reports; finance accepts most (the
        second tranche is then paid), returns a few and has the rest still to check. In a
        finished call the final reports follow and are accepted, completing the projects;
        in the newest the final reports are not due yet, some begun."""
        finance = self.user(self.cast.finance)
        interim_due, final_due = calendar.reporting
        for chunk in _chunks(list(agreement_ids), BATCH):
            agreements = self.session.scalars(
                select(Agreement).where(Agreement.id.in_(chunk)).options(
                    selectinload(Agreement.reports), selectinload(Agreement.application)
                    .selectinload(Application.budget_lines),
                    selectinload(Agreement.application).selectinload(Application.indicators),
                )).all()
            for agreement in agreements:
                interim, final = agreement.reports
                author = self.user(self.cast.applicants[agreement.application.organisation_id][0])
                self.write(interim, author, final=False)
                submit_report(self.session, interim, actor=author,
                              now=_moment(interim_due - timedelta(days=3), 12))
                outcome = self.rng.random()
                checked = _moment(interim_due + timedelta(days=5), 11)
                if outcome < 0.05 and not finished:
                    return_report(self.session, interim, actor=finance, now=checked,
                                  comment="Приложите акты выполненных работ по строкам 2 и 5.")
                    continue
                if outcome < 0.15 and not finished:
                    continue
                accept_report(self.session, interim, actor=finance, now=checked)
                second = agreement.tranches[1] if len(agreement.tranches) > 1 else None
                if second is not None and second.released_at is not None:
                    self.pay(second, interim_due + timedelta(days=12))
                if not finished:
                    if self.rng.random() < 0.3:
                        save_narrative(self.session, final, _paragraph(self.rng, 3),
                                       expected_version=final.version, actor=author)
                    continue
                self.write(final, author, final=True)
                submit_report(self.session, final, actor=author,
                              now=_moment(final_due - timedelta(days=3), 12))
                if self.rng.random() < 0.9:
                    accept_report(self.session, final, actor=finance,
                                  now=_moment(final_due + timedelta(days=5), 11))
            self.session.commit()

    def write(self, report: Report, author: User, *, final: bool) -> None:
        """What was done, the indicators reached and the money spent on every line: an
        interim report on part of the money, a final one within the call's tolerance."""
        app = report.agreement.application
        save_narrative(self.session, report, _paragraph(self.rng, 6),
                       expected_version=report.version, actor=author)
        save_indicator_results(self.session, report, [
            {"indicator_id": i.id, "comment": "",
             "achieved": (i.target * Decimal(str(round(self.rng.uniform(0.5, 1.2), 2))))
             .quantize(KOPECK)} for i in app.indicators],
            expected_version=report.version, actor=author)
        rows = []
        for line in app.budget_lines:
            part = Decimal(str(round(self.rng.uniform(0.97, 1.03) if final
                                     else self.rng.uniform(0.3, 1.0), 3)))
            rows.append({"budget_line_id": line.id, "justification": "",
                         "requested_amount": (line.requested_amount * part).quantize(KOPECK),
                         "own_amount": (line.own_amount * part).quantize(KOPECK),
                         "partner_amount": (line.partner_amount * part).quantize(KOPECK)})
        save_spending(self.session, report, rows, expected_version=report.version,
                      actor=author)


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


COUNTED: tuple[tuple[str, type], ...] = (
    ("organisations", Organisation), ("users", User), ("calls", Call),
    ("applications", Application), ("budget lines", BudgetLine), ("reviews", Review),
    ("review scores", ReviewScore), ("decisions", Decision), ("agreements", Agreement),
    ("payments", Payment), ("reports", Report),
)


def table_counts(session: Session) -> dict[str, int]:
    return {name: int(session.scalar(select(func.count()).select_from(model)) or 0)
            for name, model in COUNTED}


# --- the command -----------------------------------------------------------------------------


def migrate(engine: Any) -> None:
    """Bring the schema to the newest migration, as `portal migrate` does (a database an
    earlier version generated included)."""
    from alembic import command

    from portal.cli import alembic_config

    config = alembic_config()
    config.attributes["configure_logger"] = False
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")


def prepare_schema(app: Flask, *, reset: bool) -> None:
    """Build the schema with the migrations, as `portal migrate` does; with `reset`, drop
    everything first. Refuses to add to a database that already has accounts."""
    from portal.db import Base

    engine = app.extensions["vektor.db"]["engine"]
    if reset:
        with engine.connect() as conn:
            # SQLite checks references while dropping a table that has rows; the pragma
            # works only outside a transaction.
            sqlite = conn.dialect.name == "sqlite"
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys = OFF")
            with conn.begin():
                Base.metadata.drop_all(conn)
                conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA foreign_keys = ON")
    migrate(engine)
    with engine.connect() as conn:
        if inspect(conn).has_table("users") and conn.scalar(select(func.count()).select_from(
                User.__table__)):
            raise SystemExit("The database already has accounts; pass --reset to replace "
                             "everything in it.")


def analyse(engine: Any) -> None:
    """Leave PostgreSQL's tables as autovacuum keeps them in production, compact and with
    fresh statistics: VACUUM (FULL, ANALYZE), seconds at these sizes. Years of a
    competition arrive here within minutes through the services, every row updated as
    its application moves on (and the call's row at every submission, for the
    registration number); on a server with autovacuum off (or not yet woken) every dead
    version would stay in the tables, which a plain VACUUM frees but does not give back
    (the six calls kept a thousand pages), and the planner would work from empty tables'
    statistics: measured figures would then be the bloat's and the planner's."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM (FULL, ANALYZE)"))


def make_app(database_url: str) -> Flask:
    from portal import create_app

    # The services ask for the final documents to be rendered into the store: thousands of
    # PDFs the runner does not read (it serves from a store of its own).
    return create_app({"DATABASE_URL": database_url, "MAIL_SERVER": None,
                       "MAIL_BACKEND": None, "DOCUMENT_PRERENDER": False})


def parse_args(argv: Iterable[str] | None) -> tuple[argparse.Namespace, Volumes]:
    defaults = Volumes()
    parser = argparse.ArgumentParser(prog="python -m bench.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True,
                        help="SQLAlchemy URL of the database to fill (SQLite or PostgreSQL)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--applications", type=int,
                      help=f"applications in all (default {defaults.applications})")
    size.add_argument("--scale", type=float,
                      help="the default applications and reviewers times this factor")
    parser.add_argument("--libraries", type=int, default=defaults.libraries)
    parser.add_argument("--calls", type=int, default=defaults.calls)
    parser.add_argument("--min-lines", type=int, default=defaults.min_lines)
    parser.add_argument("--max-lines", type=int, default=defaults.max_lines)
    parser.add_argument("--reviews", type=int, default=defaults.reviews_per_application,
                        help="reviews per application")
    parser.add_argument("--reviewers", type=int, default=defaults.reviewers)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--reset", action="store_true",
                        help="drop everything in the database first")
    args = parser.parse_args(list(argv) if argv is not None else None)
    volumes = Volumes(libraries=args.libraries, calls=args.calls, min_lines=args.min_lines,
                      max_lines=args.max_lines, reviews_per_application=args.reviews,
                      reviewers=args.reviewers, seed=args.seed)
    if args.scale is not None:
        volumes = volumes.scaled(args.scale)
    elif args.applications is not None:
        volumes = replace(volumes, applications=args.applications)
    return args, volumes


def main(argv: Iterable[str] | None = None) -> int:
    args, volumes = parse_args(argv)
    app = make_app(args.database_url)
    prepare_schema(app, reset=args.reset)
    print(f"Generating {volumes} ...")
    from portal.db import db

    with app.app_context():
        made = Generator(db.get_session(), volumes).run()
    engine = app.extensions["vektor.db"]["engine"]
    analyse(engine)
    engine.dispose()
    print("Made: " + ", ".join(f"{name} {count}" for name, count in made.counts.items()))
    print(f"In {made.seconds['total']:.1f} s. Every account's password: {BENCH_PASSWORD}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
