"""The demo municipality that `make run` and `flask portal seed-demo` create: three
libraries (one a library system with two branches), an account for every role, and three
calls with applications of the demo libraries, all made through the services:

- last year's round, which went all the way: five applications screened, reviewed by two
  reviewers each, decided within the fund (two funded in full, one with a reduced amount,
  one on the reserve list, one not funded) and final, so its protocol, ranking and the
  applicants' results have real content; then the administration's details filled in, the
  three agreements signed, two advances paid and one not yet, one project's interim report
  accepted (its second tranche paid) and its final report returned for a corrected act,
  another's interim report submitted late and waiting for finance, the third's overdue;
- a special call that closed a few days ago and is in review: five applications screened
  (one not admitted), reviewers assigned automatically, some reviews submitted, one
  application flagged for the reviewers' disagreement, one conflict of interest declared,
  the rest drafts or not started;
- the open call with four applications: two submitted, a draft that breaks one rule of the
  call and a draft half filled in."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal.db import utcnow
from portal.models import (
    AdministrationDetails,
    Agreement,
    Application,
    Assignment,
    AuditEvent,
    BudgetCategory,
    Call,
    CallReviewer,
    DecisionOutcome,
    Organisation,
    OutboxMessage,
    Payment,
    Recommendation,
    Report,
    Role,
    TrancheCondition,
    User,
)
from portal.money import HUNDRED, line_total, summarise_budget, to_kopecks
from portal.services.accounts import create_user
from portal.services.agreements import (
    prepare_agreement,
    set_schedule,
    sign_agreement,
    update_administration_details,
)
from portal.services.applications import (
    save_fields,
    save_rows,
    start_application,
    submit_application,
)
from portal.services.assignments import auto_assign, set_call_reviewers
from portal.services.calls import create_call, publish_call
from portal.services.checks import check_application
from portal.services.decisions import decide, finalise_decisions
from portal.services.organisations import create_organisation
from portal.services.payments import record_payment
from portal.services.reports import (
    accept_report,
    return_report,
    save_indicator_results,
    save_narrative,
    save_spending,
    submit_report,
)
from portal.services.reviews import declare_conflict, save_review, submit_review
from portal.services.screening import screen_application

DEMO_PASSWORD = "vektor-demo-2026"  # noqa: S105 - published demo password, demo data only
DEMO_BANK = {
    "bank_name": "ПАО Сбербанк",
    "bik": "044525225",
    "correspondent_account": "30101810400000000225",
}


@dataclass(frozen=True)
class DemoAccount:
    email: str
    full_name: str
    roles: tuple[Role, ...]
    organisation_key: str | None = None


DEMO_ACCOUNTS = (
    DemoAccount("admin@vektor.demo", "Анна Сергеевна Котова", (Role.ADMIN,)),
    DemoAccount("chair@vektor.demo", "Игорь Петрович Власов", (Role.CHAIR,)),
    DemoAccount("reviewer1@vektor.demo", "Марина Олеговна Лебедева", (Role.REVIEWER,)),
    DemoAccount("reviewer2@vektor.demo", "Олег Николаевич Соколов", (Role.REVIEWER,)),
    DemoAccount("reviewer3@vektor.demo", "Татьяна Ивановна Морозова", (Role.REVIEWER,),
                "gorky"),
    DemoAccount("finance@vektor.demo", "Елена Викторовна Павлова", (Role.FINANCE,)),
    DemoAccount("library1@vektor.demo", "Наталья Андреевна Волкова", (Role.APPLICANT,), "cbs"),
    DemoAccount("library2@vektor.demo", "Сергей Михайлович Новиков", (Role.APPLICANT,),
                "gorky"),
    DemoAccount("library3@vektor.demo", "Ольга Дмитриевна Фёдорова", (Role.APPLICANT,),
                "children"),
)


def _with_check_digit(prefix: str, weights: tuple[int, ...]) -> str:
    total = sum(int(d) * w for d, w in zip(prefix, weights, strict=True))
    return prefix + str(total % 11 % 10)


def demo_inn(nine_digits: str) -> str:
    return _with_check_digit(nine_digits, (2, 4, 10, 3, 5, 9, 4, 6, 8))


def demo_ogrn(twelve_digits: str) -> str:
    return twelve_digits + str(int(twelve_digits) % 11 % 10)


def demo_account(bik: str, nineteen_digits: str) -> str:
    """A settlement account for `bik`: nineteen digits with the check digit put in place
    (the ninth position)."""
    weights = ((7, 1, 3) * 8)[:23]
    for digit in "0123456789":
        account = nineteen_digits[:8] + digit + nineteen_digits[8:]
        digits = bik[6:9] + account
        if sum(int(d) * w % 10 for d, w in zip(digits, weights, strict=True)) % 10 == 0:
            return account
    raise AssertionError("unreachable: one digit always fits")


def _organisation_data() -> dict[str, dict[str, str]]:
    bik = DEMO_BANK["bik"]
    cbs_inn = demo_inn("390601234")
    return {
        "cbs": {
            "full_name": "Муниципальное бюджетное учреждение культуры «Централизованная "
                         "библиотечная система города Светлогорска»",
            "short_name": "МБУК «ЦБС г. Светлогорска»",
            "inn": cbs_inn, "kpp": "390601001", "ogrn": demo_ogrn("102390012345"),
            "municipality": "Светлогорский городской округ",
            "address": "238560, Калининградская обл., г. Светлогорск, ул. Пионерская, д. 12",
            "head_name": "Ирина Викторовна Смирнова", "head_position": "Директор",
            "phone": "+7 401 532-10-10", "email": "cbs@svetlogorsk-lib.example",
            "settlement_account": demo_account(bik, "4070281040000001234"), **DEMO_BANK,
        },
        "cbs_branch1": {
            "full_name": "Филиал № 1 МБУК «ЦБС г. Светлогорска» — библиотека посёлка Приморье",
            "short_name": "Библиотека-филиал № 1 (Приморье)",
            "inn": cbs_inn, "kpp": "390602001", "ogrn": demo_ogrn("102390012345"),
            "municipality": "Светлогорский городской округ",
            "address": "238563, Калининградская обл., пос. Приморье, ул. Янтарная, д. 3",
            "head_name": "Галина Петровна Орлова", "head_position": "Заведующая филиалом",
            "settlement_account": demo_account(bik, "4070281040000001234"), **DEMO_BANK,
        },
        "cbs_branch2": {
            "full_name": "Филиал № 2 МБУК «ЦБС г. Светлогорска» — библиотека посёлка Донское",
            "short_name": "Библиотека-филиал № 2 (Донское)",
            "inn": cbs_inn, "kpp": "390603001", "ogrn": demo_ogrn("102390012345"),
            "municipality": "Светлогорский городской округ",
            "address": "238562, Калининградская обл., пос. Донское, ул. Садовая, д. 7",
            "head_name": "Людмила Сергеевна Киселёва", "head_position": "Заведующая филиалом",
            "settlement_account": demo_account(bik, "4070281040000001234"), **DEMO_BANK,
        },
        "gorky": {
            "full_name": "Муниципальное бюджетное учреждение культуры «Городская библиотека "
                         "имени М. Горького»",
            "short_name": "МБУК «Библиотека им. М. Горького»",
            "inn": demo_inn("390602345"), "kpp": "390601001", "ogrn": demo_ogrn("102390023456"),
            "municipality": "Светлогорский городской округ",
            "address": "238560, Калининградская обл., г. Светлогорск, Калининградский пр-т, д. 70",
            "head_name": "Вера Алексеевна Гусева", "head_position": "Директор",
            "phone": "+7 401 532-20-20", "email": "gorky@svetlogorsk-lib.example",
            "settlement_account": demo_account(bik, "4070281050000002345"), **DEMO_BANK,
        },
        "children": {
            "full_name": "Муниципальное бюджетное учреждение культуры «Детская библиотека "
                         "„Радуга“»",
            "short_name": "МБУК «Детская библиотека „Радуга“»",
            "inn": demo_inn("390603456"), "kpp": "390601001", "ogrn": demo_ogrn("102390034567"),
            "municipality": "Светлогорский городской округ",
            "address": "238560, Калининградская обл., г. Светлогорск, ул. Октябрьская, д. 5",
            "head_name": "Юлия Романовна Белова", "head_position": "Директор",
            "phone": "+7 401 532-30-30", "email": "raduga@svetlogorsk-lib.example",
            "settlement_account": demo_account(bik, "4070281060000003456"), **DEMO_BANK,
        },
    }


# The calls. Their dates follow the moment of seeding: the open call opened some days ago,
# closes in three weeks, and its projects run the next year; the calls of the past (see
# PAST_CALLS) closed a few days and almost a year ago.
DEMO_TIMEZONE = "Europe/Moscow"
DEMO_DIRECTIONS = (
    "Продвижение чтения",
    "Цифровизация и сохранение фондов",
    "Библиотека — информационный центр",
    "Развитие кадров",
)
DEMO_CALL_DESCRIPTION = (
    "Администрация Светлогорского городского округа проводит открытый конкурс на "
    "предоставление муниципальным библиотекам субсидий на софинансирование проектов, "
    "реализуемых в {year} году. Поддерживаются проекты, которые продвигают чтение, сохраняют "
    "библиотечные фонды и открывают их жителям, делают библиотеку местом доступа к "
    "информации и государственным услугам, развивают профессиональные компетенции "
    "сотрудников.\n\n"
)
DEMO_CALL_TERMS = (
    "Общий фонд конкурса — {fund} рублей, размер субсидии — до {max_grant} рублей на "
    "проект. Софинансирование за счёт собственных средств библиотеки и средств партнёров — "
    "не менее {cofinancing} % стоимости проекта. Расходы на гонорары и оплату труда — не "
    "более 30 % запрашиваемой суммы, прочие расходы — не более 10 % стоимости проекта.\n\n"
    "Заявки принимаются только через портал «Вектор». Консультации — отдел культуры, "
    "молодёжной политики и спорта администрации, тел. +7 401 532-00-00."
)
DEMO_CALL_TITLE = ("Библиотека — территория развития: конкурс проектов муниципальных "
                   "библиотек на {year} год")


def _roubles(amount: str) -> str:
    """`15000000` as the description writes it: `15 000 000`."""
    return f"{int(Decimal(amount)):,}".replace(",", " ")


def _call_data(title: str, description: str, directions: tuple[str, ...], year: int,
               opens: datetime, closes: datetime, fund: str, max_grant: str,
               cofinancing: str) -> dict[str, Any]:
    """A call's rules: `title` and `description` are formatted with the implementation
    year, the description followed by the terms of the money."""
    terms = DEMO_CALL_TERMS.format(fund=_roubles(fund), max_grant=_roubles(max_grant),
                                   cofinancing=cofinancing)
    return {
        "title": title.format(year=year),
        "description": description.format(year=year) + terms,
        "directions": list(directions),
        "opens_at": opens,
        "closes_at": closes,
        "timezone": DEMO_TIMEZONE,
        "implementation_start": date(year, 3, 1),
        "implementation_end": date(year, 11, 30),
        "fund_amount": Decimal(fund),
        "max_grant_amount": Decimal(max_grant),
        "min_cofinancing_percent": Decimal(cofinancing),
        "reviewers_per_application": 2,
        "disagreement_threshold_percent": Decimal("30"),
        "review_deadline": closes.date() + timedelta(days=30),
        "reporting_dates": [f"{year}-07-15", f"{year}-12-15"],
    }


def _open_call_data(now: datetime) -> dict[str, Any]:
    zone = ZoneInfo(DEMO_TIMEZONE)
    today = now.astimezone(zone).date()
    return _call_data(
        DEMO_CALL_TITLE, DEMO_CALL_DESCRIPTION, DEMO_DIRECTIONS, today.year + 1,
        opens=datetime.combine(today - timedelta(days=6), time(9), tzinfo=zone),
        closes=datetime.combine(today + timedelta(days=21), time(18), tzinfo=zone),
        fund="15000000.00", max_grant="1500000.00", cofinancing="15",
    )


@dataclass(frozen=True)
class DemoLine:
    """A budget line; `own` and `partner` are the percentages of its total that the library
    and its partners pay, the rest is requested."""

    category: BudgetCategory
    item: str
    justification: str
    unit: str
    quantity: str
    unit_price: str
    own: str = "0"
    partner: str = "0"

    def row(self) -> dict[str, Any]:
        quantity, price = Decimal(self.quantity), Decimal(self.unit_price)
        total = line_total(quantity, price)
        own = to_kopecks(total * Decimal(self.own) / HUNDRED)
        partner = to_kopecks(total * Decimal(self.partner) / HUNDRED)
        requested = total - own - partner
        if requested < 0:
            raise ValueError(f"{self.item}: the shares exceed the line's total")
        return {
            "category": self.category, "item": self.item,
            "justification": self.justification, "unit": self.unit,
            "quantity": quantity.quantize(Decimal("0.001")), "unit_price": price,
            "requested_amount": requested, "own_amount": own, "partner_amount": partner,
        }


Day = tuple[int, int]  # (month, day) in the call's implementation year


@dataclass(frozen=True)
class DemoReview:
    """What one of an application's reviewers does with it: `scores` gives a score per
    default criterion in order ("-" for one not scored yet), each with the standard comment
    for its band (STANDARD_COMMENTS) unless `comments` has one for that criterion's position.
    A review that is not `submit`ted stays a draft; one with a `conflict` reason is handed
    back as a conflict of interest instead."""

    scores: str = ""
    overall: str = ""
    recommendation: Recommendation | None = None
    amount: str | None = None  # with "fund with a reduced amount"
    comments: tuple[tuple[int, str], ...] = ()
    submit: bool = True
    conflict: str = ""


@dataclass(frozen=True)
class DemoDecision:
    """The committee's decision; a funded one without an amount gets what was requested."""

    outcome: DecisionOutcome
    amount: str | None = None
    reason: str = ""


@dataclass(frozen=True)
class DemoApplication:
    author: str
    title: str
    direction: str
    start: Day
    end: Day
    summary: str
    problem: str = ""
    goals: str = ""
    tasks: str = ""
    target_groups: str = ""
    activities: tuple[tuple[str, str, Day, Day], ...] = ()  # title, description, start, end
    partners: tuple[tuple[str, str, str], ...] = ()  # name, role, contribution
    indicators: tuple[tuple[str, str, str | None, str], ...] = ()  # name, unit, from, to
    budget: tuple[DemoLine, ...] = ()
    submit: bool = False
    # What "Check my application" reports for a draft, by the anchor of each problem.
    expected_issues: tuple[str, ...] = ()
    # In a call of the past: the chair's reason not to admit it (empty: admitted), its
    # reviews in the order automatic assignment gave it its reviewers, and the decision.
    not_admitted: str = ""
    reviews: tuple[DemoReview, ...] = ()
    decision: DemoDecision | None = None


BC = BudgetCategory
NEWSPAPER = "Газета «Вестник Светлогорска»"

YOUTH_READING = DemoApplication(
    author="library1@vektor.demo",
    title="«Страница 39»: молодёжный книжный клуб в центральной библиотеке и филиалах "
          "ЦБС Светлогорска",
    direction="Продвижение чтения",
    start=(3, 1), end=(11, 30),
    summary=(
        "Проект создаёт молодёжный книжный клуб «Страница 39» с тремя площадками — в "
        "центральной библиотеке Светлогорска и в библиотеках-филиалах посёлков Приморье и "
        "Донское. За девять месяцев подростки и молодёжь 14–24 лет прочтут и обсудят 18 книг "
        "современных авторов, встретятся с четырьмя писателями, запишут 12 выпусков подкаста "
        "о прочитанном, снимут буктрейлеры и пройдут литературный квест по городу. Итогом "
        "станет молодёжный фестиваль чтения в ноябре."
    ),
    problem=(
        "За последние три года число читателей 14–24 лет в библиотеках ЦБС сократилось с "
        "1 140 до 760 человек, книговыдача этой группе — на 38 %. Опрос 412 старшеклассников "
        "и студентов колледжа, проведённый библиотекой весной, показал: 63 % читают реже "
        "одной книги в месяц, 71 % не знают, что в библиотеке есть современная подростковая "
        "литература. В посёлках Приморье и Донское для молодёжи нет ни одного регулярного "
        "культурного формата. Фонд художественной литературы для молодёжи устарел: 68 % "
        "изданий выпущены более десяти лет назад.\n\n"
        "Молодые люди готовы приходить в библиотеку, если там есть живое общение со "
        "сверстниками, новые книги и возможность создавать свой контент — этого и не хватает."
    ),
    goals=(
        "Вернуть подростков и молодёжь Светлогорского городского округа в библиотеку, сделав "
        "чтение частью их общения и творчества: к концу проекта увеличить число активных "
        "читателей 14–24 лет на 40 %."
    ),
    tasks=(
        "1. Обновить фонд современной подростковой и молодёжной литературы в центральной "
        "библиотеке и двух филиалах.\n"
        "2. Открыть книжный клуб «Страница 39» с регулярными встречами на трёх площадках.\n"
        "3. Организовать встречи с писателями и мастер-классы по буктрейлерам и подкастам.\n"
        "4. Провести литературный квест и итоговый фестиваль чтения.\n"
        "5. Обучить библиотекарей модерации читательских клубов, чтобы клуб продолжил работу "
        "после окончания проекта."
    ),
    target_groups=(
        "Школьники 14–17 лет (около 900 человек в трёх школах округа), студенты колледжа и "
        "работающая молодёжь 18–24 лет; отдельно — подростки посёлков Приморье и Донское, где "
        "нет других молодёжных культурных площадок. Косвенно — родители и учителя литературы."
    ),
    activities=(
        ("Обновление фонда и подписка на литературные журналы",
         "Закупка 240 книг современных авторов и графических романов, оформление подписки, "
         "выставки новинок в трёх библиотеках.", (3, 1), (4, 15)),
        ("Заседания книжного клуба «Страница 39»",
         "Два раза в месяц на каждой из трёх площадок: обсуждение книги месяца, дебаты, "
         "читательские челленджи.", (4, 1), (11, 20)),
        ("Встречи с писателями",
         "Четыре встречи с писателями, в том числе калининградскими авторами, с выездом в "
         "филиалы.", (4, 15), (10, 31)),
        ("Школа буктрейлера и подкаста",
         "Шесть мастер-классов, запись 12 выпусков подкаста «Страница 39», публикация в "
         "сообществе библиотеки.", (5, 1), (9, 30)),
        ("Литературный квест «Светлогорск литературный»",
         "Летний квест по городу и посёлкам с заданиями по прочитанным книгам.",
         (6, 1), (8, 31)),
        ("Фестиваль чтения «Страница 39»",
         "Презентация буктрейлеров, награждение активных читателей, открытый микрофон.",
         (11, 1), (11, 30)),
    ),
    partners=(
        ("МАОУ «Средняя общеобразовательная школа № 1 г. Светлогорска»",
         "Информирование учеников, участие учителей литературы в заседаниях клуба",
         "Привлечение участников, площадка для выездных заседаний"),
        ("Калининградское региональное отделение Союза писателей России",
         "Подбор авторов для творческих встреч",
         "Оплата 40 % гонораров писателей"),
        (NEWSPAPER, "Информационный партнёр",
         "Четыре публикации о проекте на безвозмездной основе"),
    ),
    indicators=(
        ("Активные читатели 14–24 лет", "чел.", "760", "1064"),
        ("Участники заседаний книжного клуба", "чел.", "0", "180"),
        ("Книговыдача читателям 14–24 лет за период проекта", "экз.", "5200", "7800"),
        ("Выпуски подкаста и буктрейлеры", "шт.", "0", "30"),
        ("Новые книги для молодёжи в фонде", "экз.", "0", "240"),
    ),
    budget=(
        DemoLine(BC.ACQUISITIONS, "Книги современной прозы для подростков и молодёжи",
                 "60 названий по три экземпляра: центральная библиотека и два филиала; цены "
                 "по прайс-листу книжного дистрибьютора", "экз.", "180", "685.50"),
        DemoLine(BC.ACQUISITIONS, "Графические романы и комиксы",
                 "20 названий по три экземпляра для клуба и выставок", "экз.", "60", "918.40"),
        DemoLine(BC.ACQUISITIONS,
                 "Подписка на литературные журналы на второе полугодие («Юность», «Знание — "
                 "сила», «Нева»)", "Обсуждения в клубе на трёх площадках", "компл.", "3",
                 "12642.60", own="100"),
        DemoLine(BC.ACQUISITIONS,
                 "Доступ к электронной библиотеке для молодёжи (читательские лицензии на "
                 "12 месяцев)", "Чтение книг клуба со смартфона; коммерческое предложение "
                 "поставщика", "лиц.", "100", "690.00", own="20"),
        DemoLine(BC.EQUIPMENT, "Мобильные стеллажи для выставок новинок",
                 "По два на площадку; три коммерческих предложения, выбрано наименьшее",
                 "шт.", "6", "24900.00"),
        DemoLine(BC.EQUIPMENT, "Кресла-мешки для зоны клуба", "По четыре на площадку",
                 "шт.", "12", "4350.00"),
        DemoLine(BC.EQUIPMENT, "Проектор с экраном для заседаний и показа буктрейлеров",
                 "Для центральной библиотеки; в филиалах есть телевизоры", "компл.", "1",
                 "68500.00"),
        DemoLine(BC.EQUIPMENT, "Акустическая система с двумя радиомикрофонами",
                 "Встречи с писателями и фестиваль", "компл.", "1", "42300.00", own="30"),
        DemoLine(BC.INFORMATISATION, "Ноутбук для монтажа видео и подкастов",
                 "Не менее 8 ядер и 16 ГБ памяти; студия клуба", "шт.", "2", "74990.00"),
        DemoLine(BC.INFORMATISATION,
                 "Комплект для записи подкаста (два микрофона, аудиоинтерфейс, наушники, "
                 "стойки)", "Запись 12 выпусков подкаста", "компл.", "1", "38760.00"),
        DemoLine(BC.INFORMATISATION, "Лицензия на программу видеомонтажа (12 месяцев)",
                 "Мастер-классы по буктрейлерам", "лиц.", "2", "5990.00"),
        DemoLine(BC.TRAINING,
                 "Курсы повышения квалификации «Модерация читательских клубов для "
                 "подростков» (72 ч)", "Два библиотекаря — ведущие клуба после проекта",
                 "чел.", "2", "14500.00", own="50"),
        DemoLine(BC.FEES, "Гонорары писателям за творческие встречи (договоры ГПХ, с "
                 "налогами)", "Четыре встречи; 40 % оплачивает Союз писателей", "встреча",
                 "4", "25000.00", partner="40"),
        DemoLine(BC.FEES, "Ведущий мастер-классов по буктрейлерам и подкастам (договор ГПХ)",
                 "Шесть занятий по три часа", "занятие", "6", "6500.00"),
        DemoLine(BC.FEES, "Координатор проекта (0,25 ставки, 9 месяцев)",
                 "Из средств библиотеки", "мес.", "9", "11480.00", own="100"),
        DemoLine(BC.EVENTS, "Печать афиш А3 и листовок А5",
                 "Анонсы заседаний и встреч в школах и колледже", "экз.", "1500", "9.80"),
        DemoLine(BC.EVENTS, "Закладки и наклейки с символикой клуба",
                 "Раздаточный материал участникам", "экз.", "2000", "6.45"),
        DemoLine(BC.EVENTS, "Призы участникам квеста и активным читателям (книги, "
                 "сертификаты)", "30 призов по итогам квеста и фестиваля", "компл.", "30",
                 "1200.00"),
        DemoLine(BC.EVENTS, "Аренда автобуса для выездов в филиалы",
                 "Восемь рейсов Светлогорск — Приморье — Донское", "рейс", "8", "7450.00"),
        DemoLine(BC.EVENTS, "Оформление площадки и звук для фестиваля чтения",
                 "Итоговый фестиваль в ноябре", "усл.", "1", "45000.00", own="20"),
        DemoLine(BC.EVENTS, f"Публикации о проекте: {NEWSPAPER.lower()}",
                 "Четыре материала; вклад информационного партнёра", "публ.", "4",
                 "8500.00", partner="100"),
        DemoLine(BC.EVENTS, "Таргетированная реклама в социальных сетях",
                 "Шесть месяцев продвижения сообщества клуба", "мес.", "6", "5000.00"),
        DemoLine(BC.OTHER, "Канцелярские товары и расходные материалы для занятий",
                 "Бумага, маркеры, картриджи для трёх площадок", "компл.", "3", "4870.00",
                 own="100"),
    ),
    submit=True,
)

LOCAL_HISTORY = DemoApplication(
    author="library2@vektor.demo",
    title="«Раушен — Светлогорск»: электронная краеведческая коллекция библиотеки имени "
          "М. Горького",
    direction="Цифровизация и сохранение фондов",
    start=(3, 1), end=(11, 30),
    summary=(
        "Библиотека оцифрует 1 200 краеведческих изданий и документов 1946–1990-х годов — "
        "путеводители, буклеты санаториев, подшивки районной газеты, фотоальбомы, карты и "
        "планы курорта — и откроет их жителям, школьникам и исследователям в электронной "
        "коллекции на сайте библиотеки и в Национальной электронной библиотеке. Для этого "
        "создаётся участок оцифровки с планетарным сканером, ветхие издания проходят "
        "консервацию, два сотрудника обучаются технологиям оцифровки, а оригиналы "
        "переводятся в бескислотные короба и шкафы с контролем влажности."
    ),
    problem=(
        "Краеведческий фонд библиотеки — около 3 400 единиц, из них 1 200 существуют в "
        "одном экземпляре. Бумага изданий 1950–1970-х годов желтеет и крошится, подшивки "
        "газет рассыпаются по сгибам: каждая выдача изнашивает документ. Поэтому ветхие "
        "издания выдаются только в читальном зале и по записи — в год ими пользуются не "
        "более 150 человек, хотя запросов от школьников, экскурсоводов, краеведов и гостей "
        "курорта втрое больше.\n\n"
        "Своего оборудования для оцифровки у библиотеки нет: снимки на телефон не годятся "
        "для распознавания текста и публикации. Без оцифровки часть документов о "
        "послевоенной истории Светлогорска будет утрачена."
    ),
    goals=(
        "Сохранить уникальный краеведческий фонд библиотеки и сделать его доступным каждому: "
        "перевести в электронный вид 1 200 изданий (около 45 000 страниц) и открыть к ним "
        "свободный доступ в интернете."
    ),
    tasks=(
        "1. Оборудовать участок оцифровки: планетарный сканер, рабочая станция, хранилище "
        "данных.\n"
        "2. Провести консервацию 30 ветхих изданий перед сканированием.\n"
        "3. Отсканировать, распознать и описать 1 200 изданий по единым правилам "
        "метаданных.\n"
        "4. Опубликовать коллекцию на сайте библиотеки и передать её в Национальную "
        "электронную библиотеку.\n"
        "5. Разместить оригиналы в бескислотных коробах и шкафах с контролем температуры и "
        "влажности.\n"
        "6. Представить коллекцию жителям: презентация, уроки краеведения, буклет."
    ),
    target_groups=(
        "Школьники и учителя истории и краеведения (шесть школ округа), краеведы и "
        "исследователи, экскурсоводы и сотрудники музеев, гости курорта, интересующиеся "
        "историей Раушена — Светлогорска, жители, в том числе пожилые, ищущие сведения о "
        "своих семьях и домах."
    ),
    activities=(
        ("Закупка и наладка оборудования участка оцифровки",
         "Сканер, рабочая станция, сетевое хранилище, программы распознавания.",
         (3, 1), (4, 30)),
        ("Консервация ветхих изданий",
         "Реставрационная мастерская укрепляет листы и переплёты 30 изданий.",
         (3, 15), (5, 31)),
        ("Сканирование и распознавание текста",
         "Около 7 500 страниц в месяц; контроль качества каждой партии.", (5, 1), (10, 15)),
        ("Описание изданий и публикация коллекции",
         "Метаданные по правилам НЭБ, загрузка в электронную библиотеку на сайте.",
         (5, 15), (11, 10)),
        ("Уроки краеведения по материалам коллекции",
         "14 уроков для школьников 5–11 классов в библиотеке и в школах.", (9, 1), (11, 20)),
        ("Презентация коллекции «Раушен — Светлогорск»",
         "Выставка оригиналов, демонстрация электронной коллекции, выпуск буклета.",
         (11, 20), (11, 30)),
    ),
    partners=(
        ("ГБУК «Калининградская областная научная библиотека»",
         "Методическая помощь, передача коллекции в Национальную электронную библиотеку",
         "Пятидневная стажировка двух сотрудников на участке оцифровки"),
        ("МАУК «Светлогорский историко-краеведческий музей»",
         "Атрибуция фотографий и открыток, экспертиза описаний",
         "Консультации научных сотрудников, предметы для выставки на презентации"),
        (NEWSPAPER, "Информационный партнёр",
         "Рубрика «Страницы старого Раушена»: шесть публикаций"),
    ),
    indicators=(
        ("Оцифровано изданий и документов", "ед.", "0", "1200"),
        ("Отсканировано страниц", "стр.", "0", "45000"),
        ("Просмотры электронной коллекции", "просм.", "0", "12000"),
        ("Издания, прошедшие консервацию", "ед.", "0", "30"),
        ("Школьники — участники уроков краеведения", "чел.", None, "350"),
    ),
    budget=(
        DemoLine(BC.DIGITISATION, "Сканер планетарный книжный формата А2 с V-образной "
                 "колыбелью", "Сканирование книг и подшивок без повреждения корешка; три "
                 "коммерческих предложения, выбрано наименьшее", "шт.", "1", "612400.00",
                 own="25"),
        DemoLine(BC.DIGITISATION, "Оцифровка карт и планов формата А1–А0 сторонней "
                 "организацией", "Листы, не помещающиеся на сканер А2", "лист", "60",
                 "845.00"),
        DemoLine(BC.DIGITISATION, "Консервация и реставрация ветхих изданий перед "
                 "сканированием", "30 изданий с разрывами и утратами; договор с "
                 "реставрационной мастерской", "экз.", "30", "2350.00"),
        DemoLine(BC.DIGITISATION, "Бескислотные короба для хранения оригиналов",
                 "1 200 единиц после оцифровки", "шт.", "150", "412.50"),
        DemoLine(BC.DIGITISATION, "Бескислотная бумага для прокладки листов",
                 "Прокладка фотографий и ветхих листов", "пачка", "20", "1184.00"),
        DemoLine(BC.INFORMATISATION, "Рабочая станция для обработки изображений",
                 "12 ядер, 32 ГБ памяти, SSD 2 ТБ: файлы до 200 МБ", "шт.", "1",
                 "126400.00"),
        DemoLine(BC.INFORMATISATION, "Монитор 27\u2033 с аппаратной калибровкой",
                 "Контроль цветопередачи сканов", "шт.", "1", "54300.00"),
        DemoLine(BC.INFORMATISATION, "Калибратор монитора", "Ежемесячная калибровка",
                 "шт.", "1", "21990.00"),
        DemoLine(BC.INFORMATISATION, "Сетевое хранилище на четыре диска",
                 "Мастер-копии в TIFF и копии для публикации", "шт.", "1", "58650.00"),
        DemoLine(BC.INFORMATISATION, "Жёсткие диски 8 ТБ для сетевого хранилища",
                 "Около 18 ТБ мастер-копий с зеркалированием", "шт.", "4", "18750.00"),
        DemoLine(BC.INFORMATISATION, "Источники бесперебойного питания",
                 "Защита сканера и рабочей станции", "шт.", "2", "16480.00", own="100"),
        DemoLine(BC.INFORMATISATION, "Программа распознавания текста (бессрочная лицензия)",
                 "Русский и немецкий текст", "лиц.", "2", "26990.00"),
        DemoLine(BC.INFORMATISATION, "Модуль электронной библиотеки для АБИС",
                 "Публикация коллекции в электронном каталоге библиотеки", "лиц.", "1",
                 "64000.00", own="25"),
        DemoLine(BC.INFORMATISATION, "Хостинг электронной коллекции",
                 "С апреля по ноябрь", "мес.", "8", "2450.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Металлические шкафы для хранения оригиналов",
                 "Хранилище краеведческого фонда", "шт.", "2", "32450.00"),
        DemoLine(BC.EQUIPMENT, "Осушитель-увлажнитель воздуха для хранилища",
                 "Влажность 45–55 % круглый год", "шт.", "1", "27800.00"),
        DemoLine(BC.EQUIPMENT, "Термогигрометры", "Хранилище, участок оцифровки, читальный "
                 "зал", "шт.", "3", "2190.00"),
        DemoLine(BC.EQUIPMENT, "Рабочий стол и кресло оператора сканирования",
                 "Из средств библиотеки", "компл.", "1", "24760.00", own="100"),
        DemoLine(BC.TRAINING, "Курсы повышения квалификации «Оцифровка библиотечных "
                 "фондов: технологии и стандарты» (72 ч)", "Два сотрудника отдела "
                 "краеведения", "чел.", "2", "18000.00"),
        DemoLine(BC.TRAINING, "Стажировка на участке оцифровки областной научной "
                 "библиотеки", "Пять дней практики; проводит партнёр", "день", "5",
                 "6200.00", partner="100"),
        DemoLine(BC.FEES, "Оператор сканирования (договор ГПХ, с налогами)",
                 "Шесть месяцев, около 7 500 страниц в месяц", "мес.", "6", "32000.00",
                 own="50"),
        DemoLine(BC.FEES, "Научное редактирование описаний краеведом (договор ГПХ)",
                 "Проверка атрибуции и дат 1 200 описаний", "ч", "40", "1500.00"),
        DemoLine(BC.FEES, "Описание изданий и ввод метаданных сотрудниками библиотеки",
                 "Два библиотекаря по 0,25 ставки, восемь месяцев; собственный вклад",
                 "мес.", "8", "22960.00", own="100"),
        DemoLine(BC.EVENTS, "Презентация коллекции: приглашения, оформление выставки "
                 "оригиналов", "Ноябрь", "усл.", "1", "34500.00", own="30"),
        DemoLine(BC.EVENTS, "Буклет о коллекции", "Для школ, музеев и "
                 "туристско-информационного центра", "экз.", "500", "86.40"),
        DemoLine(BC.EVENTS, "Публикации в рубрике «Страницы старого Раушена»",
                 "Шесть материалов; вклад информационного партнёра", "публ.", "6",
                 "7800.00", partner="100"),
        DemoLine(BC.OTHER, "Хлопковые перчатки, щётки и расходные материалы для работы с "
                 "оригиналами", "Из средств библиотеки", "компл.", "1", "7850.00",
                 own="100"),
        DemoLine(BC.OTHER, "Доставка изданий из филиалов и музея",
                 "Транспорт с сопровождающим", "поездка", "10", "1200.00"),
    ),
    submit=True,
)

E_SERVICES = DemoApplication(
    author="library3@vektor.demo",
    title="«Цифровая гостиная „Радуга“»: центр общественного доступа для семей с детьми",
    direction="Библиотека — информационный центр",
    start=(4, 1), end=(11, 30),
    summary=(
        "В детской библиотеке «Радуга» появится цифровая гостиная — центр общественного "
        "доступа с четырьмя компьютерами, информационным киоском и МФУ, где родители с "
        "помощью консультанта получают государственные услуги онлайн (запись в школу и "
        "детский сад, выплаты на детей, Пушкинская карта), а дети и подростки учатся "
        "безопасному поведению в интернете."
    ),
    problem=(
        "В микрорайоне библиотеки живут около 2 300 семей с детьми; ближайший МФЦ — в 6 км, "
        "приём по записи. По опросу 286 родителей-читателей 44 % сталкивались с трудностями "
        "при подаче заявлений на портале госуслуг, 27 % не имеют дома компьютера и "
        "принтера. Библиотека уже помогает родителям, но у неё один служебный компьютер, "
        "нет сканера и отдельного места для консультаций, где можно сохранить "
        "конфиденциальность. Дети 8–14 лет проводят в интернете в среднем 3,5 часа в день, а "
        "цифровой безопасности в школе учат мало."
    ),
    goals=(
        "Сделать детскую библиотеку местом, где семья с детьми может получить "
        "государственные и муниципальные услуги онлайн и научиться безопасно пользоваться "
        "интернетом: не менее 1 500 обращений за время проекта."
    ),
    tasks=(
        "1. Оборудовать цифровую гостиную: компьютеры, информационный киоск, МФУ, защищённая "
        "точка Wi-Fi, мебель и место для консультаций.\n"
        "2. Обучить двух библиотекарей консультированию по порталу госуслуг и защите "
        "персональных данных.\n"
        "3. Проводить консультации-практикумы для родителей по расписанию и по записи.\n"
        "4. Провести курс «Кибергигиена для школьников» для 12 групп."
    ),
    target_groups=(
        "Родители детей дошкольного и школьного возраста, прежде всего многодетные семьи и "
        "семьи с детьми-инвалидами; школьники 8–14 лет; бабушки и дедушки, воспитывающие "
        "внуков."
    ),
    activities=(
        ("Закупка и установка оборудования", "Компьютеры, киоск, МФУ, сеть, мебель.",
         (4, 1), (5, 31)),
        ("Обучение библиотекарей", "Курс МФЦ по консультированию и защите персональных "
         "данных.", (4, 15), (5, 31)),
        ("День открытых дверей цифровой гостиной", "Экскурсии, первые консультации, запись "
         "на курс.", (6, 1), (6, 5)),
        ("Консультации-практикумы для родителей", "Три дня в неделю по расписанию, "
         "остальные дни — по записи.", (6, 1), (11, 30)),
        ("Курс «Кибергигиена для школьников»", "12 групп по 20 человек, по два занятия.",
         (9, 1), (11, 30)),
    ),
    partners=(
        ("МАУ «Многофункциональный центр предоставления государственных и муниципальных "
         "услуг Светлогорского городского округа»",
         "Методическая помощь, выездные дни специалиста МФЦ",
         "Половина стоимости обучения библиотекарей"),
        ("МАОУ «Гимназия г. Светлогорска»", "Набор групп на курс «Кибергигиена»",
         "Информирование родителей через электронный дневник"),
    ),
    indicators=(
        ("Обращения за консультациями по электронным услугам", "обращ.", "120", "1500"),
        ("Семьи, получившие услуги онлайн с помощью библиотеки", "семей", "40", "600"),
        ("Школьники, прошедшие курс «Кибергигиена»", "чел.", "0", "240"),
        ("Места для посетителей с компьютером", "мест", "1", "5"),
    ),
    budget=(
        DemoLine(BC.INFORMATISATION, "Компьютер в сборе с монитором 24\u2033 для "
                 "посетителей", "Четыре рабочих места; три коммерческих предложения",
                 "шт.", "4", "62480.00"),
        DemoLine(BC.INFORMATISATION, "Информационный киоск с сенсорным экраном 32\u2033",
                 "Доступ к порталу госуслуг и каталогу без помощи сотрудника", "шт.", "1",
                 "186000.00"),
        DemoLine(BC.INFORMATISATION, "МФУ лазерное А4 (печать, копирование, сканирование)",
                 "Сканы документов для заявлений", "шт.", "1", "48900.00"),
        DemoLine(BC.INFORMATISATION, "Точка доступа Wi-Fi и межсетевой экран с фильтрацией "
                 "контента", "Безопасная сеть для детей и посетителей", "компл.", "1",
                 "36750.00"),
        DemoLine(BC.INFORMATISATION, "Лицензии отечественной операционной системы и "
                 "офисного пакета", "Пять рабочих мест", "лиц.", "5", "14200.00"),
        DemoLine(BC.INFORMATISATION, "Программа контентной фильтрации (12 месяцев)",
                 "Пять рабочих мест", "лиц.", "5", "1890.00"),
        DemoLine(BC.INFORMATISATION, "Веб-камера с гарнитурой для видеоконсультаций",
                 "Консультации специалистов МФЦ и социального фонда", "компл.", "2",
                 "6450.00"),
        DemoLine(BC.INFORMATISATION, "Подключение к интернету 100 Мбит/с",
                 "Абонентская плата с июня по ноябрь", "мес.", "6", "3200.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Столы компьютерные", "Пять рабочих мест", "шт.", "5",
                 "9870.00"),
        DemoLine(BC.EQUIPMENT, "Кресла для посетителей", "Пять рабочих мест", "шт.", "5",
                 "7340.00"),
        DemoLine(BC.EQUIPMENT, "Перегородки-ширмы для места консультаций",
                 "Конфиденциальность при вводе персональных данных", "шт.", "2",
                 "14600.00"),
        DemoLine(BC.EQUIPMENT, "Стол с регулируемой высотой", "Для посетителей на "
                 "креслах-колясках", "шт.", "1", "32900.00"),
        DemoLine(BC.TRAINING, "Обучение «Консультирование граждан по порталу госуслуг и "
                 "защите персональных данных» (36 ч)", "Два библиотекаря; половину "
                 "оплачивает МФЦ", "чел.", "2", "9800.00", partner="50"),
        DemoLine(BC.FEES, "Ведущий курса «Кибергигиена для школьников» (договор ГПХ)",
                 "24 занятия по 1,5 часа", "занятие", "24", "3000.00"),
        DemoLine(BC.FEES, "Консультант цифровой гостиной (0,5 ставки, 6 месяцев)",
                 "Из средств библиотеки", "мес.", "6", "17850.00", own="100"),
        DemoLine(BC.EVENTS, "Листовки и буклеты для родителей", "Распространение в школах "
                 "и детских садах", "экз.", "2000", "7.90"),
        DemoLine(BC.EVENTS, "Рабочие тетради для курса «Кибергигиена»",
                 "По одной на участника", "экз.", "240", "164.50"),
        DemoLine(BC.EVENTS, "День открытых дверей: оформление и раздаточные материалы",
                 "Открытие цифровой гостиной", "усл.", "1", "18500.00", own="40"),
        DemoLine(BC.OTHER, "Бумага и картриджи для МФУ", "На шесть месяцев работы",
                 "компл.", "1", "14870.00", own="50"),
    ),
    expected_issues=("cofinancing",),  # a little under the call's 15 %
)

STAFF_TRAINING = DemoApplication(
    author="library1@vektor.demo",
    title="«Библиотекарь новой формации»: программа развития кадров ЦБС г. Светлогорска",
    direction="Развитие кадров",
    start=(3, 15), end=(11, 15),
    summary=(
        "Программа обучения для 18 сотрудников центральной библиотеки и двух филиалов: "
        "курсы повышения квалификации по цифровым сервисам, библиотечной педагогике и "
        "проектному управлению, стажировки в ведущих библиотеках региона, наставничество и "
        "внутренние семинары."
    ),
    problem=(
        "Средний возраст сотрудников ЦБС — 54 года; семь из восемнадцати не проходили "
        "повышение квалификации больше пяти лет. В филиалах работают по одному-два "
        "человека, им не у кого перенять опыт и некогда уехать на очные курсы. Читатели "
        "ждут от библиотеки помощи с электронными сервисами и новых форматов для детей и "
        "молодёжи, а готовить проекты и заявки на гранты умеют лишь двое сотрудников."
    ),
    goals=(
        "Подготовить команду ЦБС, способную вести цифровые сервисы, работать с детьми и "
        "подростками в новых форматах и самостоятельно готовить проекты."
    ),
    activities=(
        ("Дистанционные курсы повышения квалификации", "Три программы для 18 сотрудников.",
         (3, 15), (6, 30)),
        ("Стажировки в областной научной библиотеке", "Шесть сотрудников, по три дня.",
         (5, 1), (9, 30)),
        ("Внутренние семинары с приглашёнными лекторами", "Четыре семинара для всех "
         "сотрудников ЦБС.", (4, 1), (10, 31)),
    ),
    budget=(
        DemoLine(BC.TRAINING, "Курсы «Цифровые сервисы библиотеки: от электронного каталога "
                 "до госуслуг» (72 ч, дистанционно)", "Восемь сотрудников", "чел.", "8",
                 "12500.00"),
        DemoLine(BC.TRAINING, "Курсы «Библиотечная педагогика: работа с детьми и "
                 "подростками» (36 ч)", "Шесть сотрудников", "чел.", "6", "8900.00"),
        DemoLine(BC.TRAINING, "Курсы «Проектное управление и подготовка грантовых заявок» "
                 "(40 ч)", "Из средств библиотеки", "чел.", "4", "15600.00", own="100"),
        DemoLine(BC.TRAINING, "Стажировка в областной научной библиотеке (3 дня)",
                 "Шесть сотрудников", "чел.", "6", "4800.00"),
        DemoLine(BC.TRAINING, "Организационный взнос за участие в профессиональной "
                 "конференции", "Два сотрудника", "чел.", "2", "7500.00"),
        DemoLine(BC.TRAINING, "Проезд к месту стажировок и конференции",
                 "Железнодорожные и автобусные билеты", "поездка", "10", "2350.00"),
        DemoLine(BC.TRAINING, "Проживание участников конференции", "Два человека, три "
                 "ночи", "сутки", "6", "4200.00"),
        DemoLine(BC.FEES, "Гонорары приглашённым лекторам внутренних семинаров (договоры "
                 "ГПХ)", "Четыре семинара", "семинар", "4", "18000.00"),
        DemoLine(BC.FEES, "Доплата наставникам из числа опытных сотрудников",
                 "Из средств библиотеки", "мес.", "6", "5740.00", own="100"),
        DemoLine(BC.ACQUISITIONS, "Профессиональная литература для методического кабинета",
                 "45 изданий по библиотековедению и педагогике", "экз.", "45", "1160.00"),
        DemoLine(BC.ACQUISITIONS, "Подписка на профессиональные журналы на год "
                 "(«Библиотека», «Библиотечное дело», «Современная библиотека»)",
                 "Из средств библиотеки", "компл.", "1", "28460.00", own="100"),
        DemoLine(BC.INFORMATISATION, "Ноутбуки для дистанционного обучения в филиалах",
                 "По одному на филиал", "шт.", "2", "58990.00"),
        DemoLine(BC.INFORMATISATION, "Веб-камеры с гарнитурами для вебинаров",
                 "Центральная библиотека и филиалы", "компл.", "3", "5870.00"),
        DemoLine(BC.EQUIPMENT, "Интерактивная панель 65\u2033 для методического кабинета",
                 "Семинары и вебинары", "шт.", "1", "189000.00"),
        DemoLine(BC.EVENTS, "Итоговый методический семинар для библиотек округа",
                 "Печать раздаточных материалов, оформление", "усл.", "1", "16800.00",
                 own="30"),
        DemoLine(BC.OTHER, "Канцелярские товары для семинаров", "Из средств библиотеки",
                 "компл.", "1", "6240.00", own="100"),
    ),
    expected_issues=("tasks", "target_groups", "indicators"),  # not written yet
)

DEMO_APPLICATIONS = (YOUTH_READING, LOCAL_HISTORY, E_SERVICES, STAFF_TRAINING)


# --- the calls of the past ---------------------------------------------------------------------

FUND, FUND_REDUCED, DO_NOT_FUND = (Recommendation.FUND, Recommendation.FUND_REDUCED,
                                   Recommendation.DO_NOT_FUND)

# A reviewer's comment on each default criterion, by the band of the score: 0–4, 5–7, 8–10.
STANDARD_COMMENTS: tuple[tuple[str, str, str], ...] = (
    ("Проблема описана общими словами, без данных о читателях и нуждах территории.",
     "Проблема понятна, но подтверждена данными лишь частично.",
     "Проблема подтверждена статистикой библиотеки и опросом жителей, проект отвечает "
     "приоритетам конкурса."),
    ("Мероприятия слабо связаны с целью, сроки и результаты не согласованы.",
     "План в целом выполним, но не все мероприятия ведут к заявленным результатам.",
     "Цель, задачи, мероприятия и сроки согласованы, план реалистичен."),
    ("Проект повторяет обычную работу библиотеки.",
     "Отдельные форматы новы для округа, но в целом проект традиционен.",
     "Новый для округа формат, современные технологии и партнёрства."),
    ("Показатели не измеримы или несоразмерны затратам.",
     "Показатели измеримы, но часть целевых значений не обоснована.",
     "Конкретные показатели с базовыми и целевыми значениями, затраты оправданы."),
    ("Расходы не обоснованы, часть цен завышена.",
     "Большинство расходов обосновано, отдельные цены стоит уточнить.",
     "Каждая статья обоснована, цены подтверждены коммерческими предложениями."),
    ("Охват незначителен.",
     "Охват соответствует масштабу библиотеки.",
     "Значительный охват, в том числе жителей посёлков и разных групп читателей."),
    ("Софинансирование на минимуме, продолжение проекта не продумано.",
     "Вклад библиотеки и партнёров заметен, план продолжения описан кратко.",
     "Существенный вклад библиотеки и партнёров, понятно, как проект будет жить дальше."),
    ("Опыт реализации подобных проектов не показан.",
     "У библиотеки есть опыт небольших проектов.",
     "Библиотека успешно реализовала сопоставимые проекты."),
    ("Команда проекта не представлена.",
     "Команда названа, но квалификация исполнителей раскрыта не полностью.",
     "У исполнителей есть опыт и квалификация для всех задач проекта."),
    ("План информирования жителей отсутствует.",
     "Информирование предусмотрено, но без плана публикаций.",
     "Продуманный план информирования, информационные партнёры."),
)


def standard_comment(position: int, score: int) -> str:
    low, middle, high = STANDARD_COMMENTS[position - 1]
    return low if score <= 4 else middle if score <= 7 else high


# The call that went all the way, a year before the open one: reviewed, decided, final.

ROBOTICS_LAB = DemoApplication(
    author="library3@vektor.demo",
    title="«Радуга-Лаб»: мастерская робототехники и цифрового творчества в детской "
          "библиотеке",
    direction="Библиотека — информационный центр",
    start=(3, 1), end=(11, 30),
    summary=(
        "В детской библиотеке «Радуга» открывается мастерская «Радуга-Лаб»: робототехника, "
        "программирование и 3D-моделирование для детей 7–14 лет в связке с чтением "
        "научно-популярной литературы и фантастики. За восемь месяцев 96 детей пройдут три "
        "модуля по 16 занятий, соберут и запрограммируют собственные проекты и представят их "
        "на городском фестивале «Робо-Радуга»."
    ),
    problem=(
        "В Светлогорском городском округе нет ни одного бесплатного кружка робототехники: "
        "ближайшие — платные, в Калининграде. По опросу 318 родителей-читателей 58 % хотели "
        "бы, чтобы ребёнок занимался техническим творчеством рядом с домом, 71 % не могут "
        "оплачивать платные кружки. Выдача научно-популярной литературы детям 10–14 лет за "
        "три года снизилась на 31 %: библиотека теряет школьников, которым интересны техника "
        "и технологии."
    ),
    goals=(
        "Сделать детскую библиотеку центром бесплатного технического творчества и "
        "научно-популярного чтения для детей 7–14 лет: 96 выпускников мастерской и рост "
        "выдачи научно-популярной литературы детям на 25 %."
    ),
    tasks=(
        "1. Оснастить мастерскую наборами по робототехнике, ноутбуками и 3D-принтером.\n"
        "2. Обучить двух библиотекарей основам образовательной робототехники.\n"
        "3. Провести три модуля по 16 занятий для шести групп детей.\n"
        "4. Обновить фонд научно-популярной литературы и проводить «Читательские "
        "лаборатории».\n"
        "5. Провести городской фестиваль «Робо-Радуга»."
    ),
    target_groups=(
        "Дети 7–14 лет из микрорайона и всего округа, в первую очередь из многодетных и "
        "малообеспеченных семей (треть мест в группах); родители на открытых занятиях; "
        "учителя технологии и информатики трёх школ округа."
    ),
    activities=(
        ("Оснащение мастерской", "Наборы, ноутбуки, 3D-принтер и мебель; наладка.",
         (3, 1), (4, 15)),
        ("Обучение библиотекарей", "Курсы по образовательной робототехнике.",
         (3, 15), (4, 30)),
        ("Модули «Первые роботы», «Умный город» и «3D-мастерская»",
         "Шесть групп по 16 детей, два занятия в неделю.", (5, 1), (11, 15)),
        ("«Читательские лаборатории»", "Ежемесячно: книга — опыт — модель.",
         (5, 1), (11, 15)),
        ("Фестиваль «Робо-Радуга»", "Выставка проектов, соревнования, награждение.",
         (11, 20), (11, 30)),
    ),
    partners=(
        ("МАУ ДО «Центр детского творчества» Светлогорского городского округа",
         "Методическое сопровождение, педагог модуля «Умный город»",
         "Четверть оплаты ведущего занятий"),
        ("ООО «Балтийские технологии»", "Инженеры-наставники на фестивале",
         "Призы победителям фестиваля"),
    ),
    indicators=(
        ("Дети, прошедшие модуль мастерской", "чел.", "0", "96"),
        ("Занятия мастерской", "занятий", "0", "96"),
        ("Выдача научно-популярной литературы детям 7–14 лет", "экз.", "2400", "3000"),
        ("Участники фестиваля «Робо-Радуга»", "чел.", "0", "250"),
    ),
    budget=(
        DemoLine(BC.EQUIPMENT, "Образовательные наборы по робототехнике для детей 7–10 лет",
                 "По набору на пару детей в группе из 12", "шт.", "6", "38900.00"),
        DemoLine(BC.EQUIPMENT, "Ресурсные наборы к конструкторам", "Датчики и моторы для "
                 "проектов модуля «Умный город»", "шт.", "6", "9450.00"),
        DemoLine(BC.EQUIPMENT, "Наборы по робототехнике и программированию для 11–14 лет",
                 "Группы старших детей", "шт.", "4", "46800.00"),
        DemoLine(BC.INFORMATISATION, "Ноутбуки для программирования роботов",
                 "Три коммерческих предложения, выбрано наименьшее", "шт.", "6", "52990.00"),
        DemoLine(BC.INFORMATISATION, "Лицензии среды визуального программирования",
                 "Шесть рабочих мест, 12 месяцев", "лиц.", "6", "3200.00"),
        DemoLine(BC.INFORMATISATION, "3D-принтер с закрытой камерой",
                 "Модуль «3D-мастерская»", "шт.", "1", "89500.00"),
        DemoLine(BC.INFORMATISATION, "Пластик PLA для 3D-печати", "30 катушек по 1 кг",
                 "катушка", "30", "1690.00"),
        DemoLine(BC.INFORMATISATION, "Графические планшеты для цифрового рисования",
                 "Модуль «3D-мастерская»", "шт.", "6", "7890.00"),
        DemoLine(BC.EQUIPMENT, "Столы модульные для мастерской", "Из средств библиотеки",
                 "шт.", "6", "12400.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Стулья детские регулируемые", "Из средств библиотеки",
                 "шт.", "12", "4150.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Шкафы для хранения наборов с замком", "Сохранность "
                 "наборов между занятиями", "шт.", "2", "18600.00"),
        DemoLine(BC.ACQUISITIONS, "Научно-популярные книги и фантастика для детей",
                 "120 названий для «Читательских лабораторий»", "экз.", "120", "720.00"),
        DemoLine(BC.TRAINING, "Курсы «Образовательная робототехника в библиотеке» (72 ч)",
                 "Два библиотекаря — ведущие мастерской после проекта", "чел.", "2",
                 "16500.00"),
        DemoLine(BC.FEES, "Педагог дополнительного образования — ведущий занятий (договор "
                 "ГПХ)", "64 занятия; четверть оплачивает Центр детского творчества",
                 "занятие", "64", "2200.00", partner="25"),
        DemoLine(BC.FEES, "Координатор мастерской (0,25 ставки, 8 месяцев)",
                 "Из средств библиотеки", "мес.", "8", "11480.00", own="100"),
        DemoLine(BC.EVENTS, "Фестиваль «Робо-Радуга»: оформление площадки и звук",
                 "Итоговый фестиваль в ноябре", "усл.", "1", "48000.00", own="30"),
        DemoLine(BC.EVENTS, "Призы победителям фестиваля", "Вклад партнёра", "компл.", "6",
                 "5000.00", partner="100"),
        DemoLine(BC.EVENTS, "Сертификаты и памятные подарки выпускникам", "96 выпускников",
                 "компл.", "96", "350.00"),
        DemoLine(BC.EVENTS, "Афиши и буклеты", "Анонсы записи в группы в школах",
                 "экз.", "1000", "12.40"),
        DemoLine(BC.OTHER, "Батарейки, аккумуляторы и расходные материалы",
                 "На восемь месяцев занятий", "компл.", "1", "24600.00", own="50"),
    ),
    reviews=(
        DemoReview("9 9 9 8 8 8 8 8 9 9",
                   "Сильный, хорошо продуманный проект: бесплатного технического творчества "
                   "для детей в округе нет, а библиотека связывает робототехнику с чтением. "
                   "Бюджет обоснован, педагог партнёра снижает риски. Рекомендую поддержать "
                   "в полном объёме.", FUND),
        DemoReview("10 8 9 8 8 8 8 8 8 8",
                   "Проект актуален и реалистичен. Стоит заранее продумать запись в группы, "
                   "чтобы места получили дети, которым платные кружки недоступны.", FUND,
                   comments=((1, "Дефицит бесплатных технических кружков подтверждён "
                                 "опросом 318 родителей; проект точно отвечает запросу "
                                 "семей."),)),
    ),
    decision=DemoDecision(DecisionOutcome.FUNDED),
)

LITERARY_ROUTES = DemoApplication(
    author="library2@vektor.demo",
    title="«Литературный Светлогорск»: аудиогид и пешеходные маршруты по местам писателей "
          "и поэтов курорта",
    direction="Продвижение чтения",
    start=(3, 1), end=(11, 30),
    summary=(
        "Библиотека имени М. Горького создаст три пешеходных литературных маршрута по "
        "Светлогорску — «Старый Раушен в литературе», «Писатели на отдыхе: советский курорт» "
        "и «Светлогорск в современной прозе и поэзии» — с аудиогидом из 36 треков, знаками с "
        "QR-кодами на 24 точках и тремя «книжными остановками» — полками буккроссинга. "
        "Аудиогид озвучат актёры областного драматического театра."
    ),
    problem=(
        "Светлогорск ежегодно принимает более 800 тысяч отдыхающих, но литературная история "
        "курорта им почти неизвестна: в туристско-информационном центре нет ни одного "
        "маршрута, связанного с книгами и писателями. Библиотека за десять лет собрала "
        "материалы о 40 писателях и поэтах, живших и отдыхавших в Раушене — Светлогорске, "
        "но ими пользуются только краеведы. По опросу 540 жителей и гостей города 67 % "
        "хотели бы пройти литературную экскурсию, 48 % — самостоятельно, со смартфоном."
    ),
    goals=(
        "Открыть литературную историю Светлогорска жителям и гостям курорта и привести их к "
        "книгам: три маршрута, аудиогид и 12 000 прослушиваний за первый сезон."
    ),
    tasks=(
        "1. Подготовить тексты трёх маршрутов и 36 треков аудиогида по материалам "
        "краеведческого фонда.\n"
        "2. Записать аудиогид с актёрами и разместить его на сайте библиотеки и на картах.\n"
        "3. Установить 24 знака с QR-кодами и три полки буккроссинга.\n"
        "4. Провести 30 экскурсий с библиотекарями и волонтёрами.\n"
        "5. Выпустить карту-путеводитель и выставку «Писатели на отдыхе»."
    ),
    target_groups=(
        "Гости курорта, в том числе семьи с детьми и отдыхающие санаториев; жители "
        "Светлогорска; школьники 5–11 классов на уроках литературы и краеведения; "
        "экскурсоводы туристско-информационного центра."
    ),
    activities=(
        ("Тексты маршрутов и сценарии аудиогида", "Отбор материалов краеведческого фонда, "
         "36 сценариев, научное редактирование.", (3, 1), (4, 30)),
        ("Запись аудиогида", "Студийная запись с тремя актёрами, монтаж, публикация.",
         (5, 1), (5, 31)),
        ("Знаки и «книжные остановки»", "24 знака с QR-кодами и три полки по согласованию "
         "с администрацией.", (5, 15), (6, 15)),
        ("Экскурсии по маршрутам", "30 экскурсий с библиотекарями и волонтёрами.",
         (6, 15), (9, 30)),
        ("Выставка «Писатели на отдыхе» и конференция краеведов", "Итоги сезона.",
         (10, 1), (11, 30)),
    ),
    partners=(
        ("ГАУК «Калининградский областной драматический театр»", "Озвучивание аудиогида",
         "Пятая часть оплаты озвучивания: репетиции без оплаты"),
        ("МАУ «Туристско-информационный центр Светлогорского городского округа»",
         "Продвижение маршрутов среди гостей курорта", "Карта маршрутов в центре и на его "
         "сайте"),
        (NEWSPAPER, "Информационный партнёр", "Шесть публикаций о маршрутах"),
    ),
    indicators=(
        ("Прослушивания треков аудиогида", "просл.", "0", "12000"),
        ("Участники экскурсий по маршрутам", "чел.", "0", "600"),
        ("Книги, взятые с «книжных остановок»", "экз.", "0", "1500"),
        ("Выдача краеведческой литературы", "экз.", "900", "1400"),
    ),
    budget=(
        DemoLine(BC.FEES, "Автор-составитель текстов маршрутов (договор ГПХ)",
                 "36 треков по 4–6 минут", "трек", "36", "2500.00"),
        DemoLine(BC.FEES, "Озвучивание треков актёрами (договоры ГПХ)", "Пятую часть "
                 "вносит театр", "трек", "36", "1800.00", partner="20"),
        DemoLine(BC.FEES, "Научное редактирование текстов краеведом",
                 "Проверка фактов и дат", "ч", "30", "1500.00"),
        DemoLine(BC.FEES, "Координатор проекта (0,25 ставки, 9 месяцев)",
                 "Из средств библиотеки", "мес.", "9", "11480.00", own="100"),
        DemoLine(BC.EVENTS, "Аренда студии звукозаписи", "Запись 36 треков", "ч", "24",
                 "3600.00"),
        DemoLine(BC.EVENTS, "Монтаж и сведение аудиотреков", "36 треков", "трек", "36",
                 "1200.00"),
        DemoLine(BC.INFORMATISATION, "Модуль аудиогида для сайта библиотеки и размещение "
                 "на картах", "Бессрочная лицензия", "лиц.", "1", "78000.00"),
        DemoLine(BC.INFORMATISATION, "Хостинг аудиофайлов", "12 месяцев",
                 "мес.", "12", "1450.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Информационные знаки с QR-кодом, антивандальные, с "
                 "установкой", "24 точки трёх маршрутов", "шт.", "24", "14800.00", own="15"),
        DemoLine(BC.EQUIPMENT, "Уличные полки буккроссинга с навесом",
                 "Три «книжные остановки»", "шт.", "3", "46500.00"),
        DemoLine(BC.EQUIPMENT, "Радиогиды для групповых экскурсий", "Комплект на 25 "
                 "человек", "компл.", "1", "118000.00"),
        DemoLine(BC.ACQUISITIONS, "Книги писателей — героев маршрутов",
                 "Выставка и «книжные остановки»", "экз.", "150", "640.00"),
        DemoLine(BC.EVENTS, "Карта-путеводитель по литературным маршрутам",
                 "Для санаториев, гостиниц и туристско-информационного центра", "экз.",
                 "5000", "18.60"),
        DemoLine(BC.EVENTS, "Выставка «Писатели на отдыхе»: планшеты и витрина",
                 "Октябрь — ноябрь", "усл.", "1", "64000.00", own="40"),
        DemoLine(BC.EVENTS, "Конференция краеведов: раздаточные материалы",
                 "Из средств библиотеки", "усл.", "1", "22000.00", own="100"),
        DemoLine(BC.EVENTS, "Публикации о маршрутах", "Вклад информационного партнёра",
                 "публ.", "6", "7800.00", partner="100"),
        DemoLine(BC.TRAINING, "Семинар для волонтёров-экскурсоводов (16 ч)",
                 "Из средств библиотеки", "чел.", "12", "1900.00", own="100"),
        DemoLine(BC.OTHER, "Согласование мест и доставка знаков", "Транспорт и "
                 "разрешения", "усл.", "1", "18500.00"),
    ),
    reviews=(
        DemoReview("8 8 9 8 7 9 7 8 8 9",
                   "Интересный проект на стыке библиотеки и туризма с широким охватом гостей "
                   "курорта. Цены на знаки стоит перепроверить, в остальном бюджет "
                   "обоснован.", FUND),
        DemoReview("8 7 8 7 7 8 7 8 7 8",
                   "Проект хорошо использует краеведческий фонд. Главный риск — согласование "
                   "мест для знаков с администрацией; его стоит заложить в график.", FUND),
    ),
    decision=DemoDecision(DecisionOutcome.FUNDED),
)

UNIFIED_CATALOGUE = DemoApplication(
    author="library1@vektor.demo",
    title="«Один билет — три библиотеки»: единая электронная система ЦБС, RFID и "
          "самообслуживание",
    direction="Цифровизация и сохранение фондов",
    start=(3, 1), end=(11, 30),
    summary=(
        "ЦБС Светлогорска переводит центральную библиотеку и два филиала на единую облачную "
        "автоматизированную библиотечную систему, выдаёт читателям единый электронный билет, "
        "маркирует 42 000 изданий RFID-метками и ставит станцию самообслуживания. Читатель "
        "любого посёлка увидит весь фонд системы в электронном каталоге, закажет книгу из "
        "другой библиотеки и получит её в своём филиале."
    ),
    problem=(
        "Центральная библиотека ведёт каталог в устаревшей локальной программе, филиалы в "
        "Приморье и Донском — в карточных каталогах и тетрадях выдачи. Читатель филиала не "
        "знает, что есть в фонде ЦБС (около 96 000 изданий), а перевозка книг между "
        "библиотеками учитывается вручную. На выдачу и возврат уходит до 40 % рабочего "
        "времени библиотекаря, очередь в часы пик — 15–20 минут. Поставщик старой программы "
        "прекратил её поддержку."
    ),
    goals=(
        "Объединить фонды трёх библиотек ЦБС в одной электронной системе и сократить время "
        "обслуживания: электронный каталог всего фонда, единый билет, доставка книг между "
        "библиотеками за три дня."
    ),
    tasks=(
        "1. Подключить ЦБС к облачной АБИС и перенести в неё 28 000 записей каталога.\n"
        "2. Ввести в каталог фонды филиалов — 14 000 изданий.\n"
        "3. Маркировать фонд RFID-метками и поставить станцию самообслуживания.\n"
        "4. Выдать читателям единые электронные билеты.\n"
        "5. Наладить доставку книг по заказам между библиотеками."
    ),
    target_groups=(
        "Все читатели ЦБС — около 9 800 человек, прежде всего жители посёлков Приморье и "
        "Донское; пожилые читатели, которым важно получать книги рядом с домом; школьники, "
        "ищущие литературу по программе."
    ),
    activities=(
        ("Подключение к облачной АБИС и перенос каталога",
         "Договор, настройка, конвертация 28 000 записей.", (3, 1), (4, 30)),
        ("Ретроконверсия фондов филиалов", "Ввод 14 000 изданий в электронный каталог.",
         (4, 1), (8, 31)),
        ("RFID-маркировка фонда", "Наклейка и программирование 42 000 меток.",
         (5, 1), (9, 30)),
        ("Единый билет и станция самообслуживания", "Перерегистрация читателей, "
         "обучение пользованию станцией.", (9, 1), (10, 31)),
        ("Доставка книг между библиотеками", "Еженедельные рейсы по заказам читателей.",
         (9, 1), (11, 30)),
    ),
    partners=(
        ("ГБУК «Калининградская областная научная библиотека»",
         "Методическая помощь, доступ к сводному каталогу области",
         "Бесплатная выгрузка 12 000 готовых записей из сводного каталога"),
    ),
    indicators=(
        ("Записи в электронном каталоге ЦБС", "записей", "28000", "42000"),
        ("Читатели с единым электронным билетом", "чел.", "0", "6000"),
        ("Заказы книг из другой библиотеки ЦБС", "заказов", "0", "1800"),
        ("Среднее время обслуживания читателя", "мин", "9", "3"),
    ),
    budget=(
        DemoLine(BC.INFORMATISATION, "Облачная АБИС: лицензия на три библиотеки, 12 месяцев",
                 "Коммерческое предложение поставщика; четверть оплачивает библиотека", "лиц.", "1",
                 "186000.00", own="25"),
        DemoLine(BC.INFORMATISATION, "Конвертация и перенос записей каталога",
                 "28 000 записей из старой программы", "запись", "28000", "4.20"),
        DemoLine(BC.INFORMATISATION, "Ретроконверсия фондов филиалов сторонней "
                 "организацией", "8 000 изданий; ещё 6 000 вводят сотрудники", "запись",
                 "8000", "14.50", own="50"),
        DemoLine(BC.FEES, "Ввод записей сотрудниками филиалов (доплата, 6 месяцев)",
                 "Из средств библиотеки", "мес.", "6", "14350.00", own="100"),
        DemoLine(BC.INFORMATISATION, "RFID-метки для книг", "42 000 изданий; половину "
                 "оплачивает библиотека", "шт.", "42000", "9.80", own="50"),
        DemoLine(BC.INFORMATISATION, "Станция самообслуживания с RFID-считывателем",
                 "Центральная библиотека", "шт.", "1", "298000.00", own="20"),
        DemoLine(BC.INFORMATISATION, "RFID-считыватели для рабочих мест библиотекарей",
                 "Центральная библиотека и филиалы", "шт.", "3", "32400.00"),
        DemoLine(BC.INFORMATISATION, "Антикражные RFID-ворота", "Вход центральной "
                 "библиотеки", "компл.", "1", "214000.00"),
        DemoLine(BC.INFORMATISATION, "Принтер пластиковых карт", "Печать единых билетов",
                 "шт.", "1", "96500.00", own="30"),
        DemoLine(BC.INFORMATISATION, "Пластиковые карты читателей с RFID-чипом",
                 "6 000 единых билетов", "шт.", "6000", "21.40", own="30"),
        DemoLine(BC.INFORMATISATION, "Сканеры штрихкодов", "Выдача по старым "
                 "штрихкодам в переходный период", "шт.", "3", "6900.00", own="100"),
        DemoLine(BC.TRAINING, "Обучение работе в АБИС (вебинары поставщика, 24 ч)",
                 "Все сотрудники ЦБС", "чел.", "9", "3200.00"),
        DemoLine(BC.FEES, "Программирование RFID-меток (договоры ГПХ)",
                 "Временные сотрудники, 300 часов", "ч", "300", "310.00"),
        DemoLine(BC.EQUIPMENT, "Транспортные контейнеры для перевозки книг",
                 "Доставка между библиотеками", "шт.", "10", "2350.00"),
        DemoLine(BC.EQUIPMENT, "Стойка и мебель зоны самообслуживания",
                 "Из средств библиотеки", "компл.", "1", "42000.00", own="100"),
        DemoLine(BC.EVENTS, "Информирование читателей: листовки и стенды",
                 "Переход на единый билет", "усл.", "1", "24000.00"),
        DemoLine(BC.OTHER, "Доставка книг между библиотеками", "36 рейсов; половину "
                 "оплачивает библиотека", "рейс", "36", "1100.00", own="50"),
    ),
    reviews=(
        DemoReview("8 7 6 8 6 7 7 7 7 6",
                   "Проект необходим: без единой системы филиалы отрезаны от фонда ЦБС. "
                   "Однако антикражные ворота не связаны с целями проекта; рекомендую "
                   "поддержать за вычетом этих расходов.", FUND_REDUCED, amount="1203030.00",
                   comments=((5, "Антикражные ворота (214 000 ₽) не нужны для единого "
                                 "каталога и самообслуживания; остальные цены "
                                 "подтверждены."),)),
        DemoReview("9 8 6 8 7 8 7 7 8 6",
                   "Обоснованный проект модернизации: единый каталог и доставка книг в "
                   "посёлки. Поддержать.", FUND),
    ),
    decision=DemoDecision(
        DecisionOutcome.FUNDED, amount="1203030.00",
        reason="Исключены антикражные RFID-ворота (214 000 ₽): по заключению эксперта они не "
               "связаны с целями проекта, а в полной сумме проект не помещается в фонд."),
)

VOLUNTEERS = DemoApplication(
    author="library2@vektor.demo",
    title="«Книжный десант»: школа библиотечных волонтёров и чтение для тех, кто не может "
          "прийти в библиотеку",
    direction="Продвижение чтения",
    start=(3, 1), end=(11, 30),
    summary=(
        "Библиотека имени М. Горького открывает школу волонтёров для старшеклассников и "
        "активных пенсионеров: 40 волонтёров пройдут обучение, будут доставлять книги "
        "маломобильным читателям на дом и читать вслух в пансионате для пожилых, санаториях "
        "и детском отделении больницы."
    ),
    problem=(
        "В библиотеке 214 читателей старше 75 лет и с инвалидностью, которые не могут прийти "
        "сами; книги им доставляют два сотрудника раз в месяц, очередь на доставку — 60 "
        "человек. Пансионат для пожилых и детское отделение районной больницы просят "
        "проводить чтения, но у библиотеки нет на это людей. При этом 120 старшеклассников "
        "ежегодно ищут волонтёрскую практику, а совет ветеранов готов направить 30 активных "
        "пенсионеров."
    ),
    goals=(
        "Создать в библиотеке постоянную команду из 40 волонтёров и вдвое расширить "
        "обслуживание читателей, которые не могут прийти в библиотеку."
    ),
    tasks=(
        "1. Набрать и обучить 40 волонтёров: школа из шести занятий.\n"
        "2. Организовать доставку книг на дом маломобильным читателям.\n"
        "3. Проводить громкие чтения в пансионате, санаториях и детском отделении больницы.\n"
        "4. Привлечь волонтёров к городским праздникам и Библионочи."
    ),
    target_groups=(
        "Маломобильные читатели старше 75 лет и люди с инвалидностью; жители пансионата для "
        "пожилых; дети в больнице; сами волонтёры — старшеклассники и пенсионеры."
    ),
    activities=(
        ("Набор и школа волонтёров", "Шесть занятий: общение, громкое чтение, работа с "
         "фондом.", (3, 1), (4, 30)),
        ("Доставка книг на дом", "Еженедельно по заявкам читателей.", (5, 1), (11, 30)),
        ("Громкие чтения вне библиотеки", "Четыре чтения в месяц.", (5, 1), (11, 30)),
        ("Слёт волонтёров", "Итоги года и награждение.", (11, 20), (11, 30)),
    ),
    partners=(
        ("Совет ветеранов Светлогорского городского округа", "Набор волонтёров-пенсионеров",
         "Чай и угощение на чтениях в пансионате"),
        ("ГБУСО «Пансионат для пожилых „Янтарный берег“»", "Площадка для чтений",
         "Помещение и сопровождение волонтёров"),
    ),
    indicators=(
        ("Обученные волонтёры", "чел.", "0", "40"),
        ("Доставки книг на дом", "доставок", "24", "480"),
        ("Громкие чтения вне библиотеки", "чтений", "0", "36"),
        ("Читатели, обслуживаемые на дому", "чел.", "60", "150"),
    ),
    budget=(
        DemoLine(BC.EQUIPMENT, "Сумки-тележки для доставки книг", "По одной на пару "
                 "волонтёров", "шт.", "10", "3400.00"),
        DemoLine(BC.EQUIPMENT, "Портативные акустические системы для чтений",
                 "Чтения в пансионате и санаториях", "шт.", "2", "24800.00"),
        DemoLine(BC.EQUIPMENT, "Передвижные стеллажи для пансионата", "Половину оплачивает "
                 "библиотека", "шт.", "2", "18900.00", own="50"),
        DemoLine(BC.ACQUISITIONS, "Книги с крупным шрифтом", "Для читателей на дому",
                 "экз.", "200", "780.00"),
        DemoLine(BC.ACQUISITIONS, "Аудиокниги на флеш-носителях", "Для слабовидящих "
                 "читателей", "экз.", "80", "450.00"),
        DemoLine(BC.INFORMATISATION, "Тифлофлешплееры для выдачи на дом",
                 "Слабовидящие читатели", "шт.", "6", "14900.00"),
        DemoLine(BC.TRAINING, "Школа волонтёров: психолог и ведущие занятий",
                 "Шесть занятий", "занятие", "6", "6000.00"),
        DemoLine(BC.FEES, "Координатор волонтёров (0,25 ставки, 9 месяцев)",
                 "Из средств библиотеки", "мес.", "9", "11480.00", own="100"),
        DemoLine(BC.FEES, "Актёр — ведущий чтений в детском отделении (договор ГПХ)",
                 "12 чтений", "чтение", "12", "3500.00"),
        DemoLine(BC.EVENTS, "Жилеты и бейджи волонтёров", "40 комплектов", "компл.", "40",
                 "1250.00"),
        DemoLine(BC.EVENTS, "Слёт волонтёров: награждение и подарки", "Ноябрь", "усл.", "1",
                 "38000.00", own="30"),
        DemoLine(BC.EVENTS, "Листовки для читателей и волонтёров", "Набор волонтёров и "
                 "запись на доставку", "экз.", "1500", "8.90"),
        DemoLine(BC.EVENTS, "Чай и угощение на чтениях в пансионате", "Вклад совета "
                 "ветеранов", "встреча", "12", "1500.00", partner="100"),
        DemoLine(BC.OTHER, "Проездные билеты волонтёров", "Поездки к читателям",
                 "билет", "40", "600.00"),
        DemoLine(BC.OTHER, "Страхование волонтёров от несчастных случаев", "40 человек",
                 "чел.", "40", "450.00"),
    ),
    reviews=(
        DemoReview("7 7 5 6 6 5 7 6 6 6",
                   "Социально значимый проект с небольшим бюджетом. Охват скромный, а "
                   "показатель доставок книг завышен для 40 волонтёров в первый год.", FUND),
        DemoReview("8 7 5 7 7 6 7 6 7 7",
                   "Хорошая идея, опирающаяся на партнёров. Не хватает плана удержания "
                   "волонтёров после окончания проекта.", FUND),
    ),
    decision=DemoDecision(
        DecisionOutcome.RESERVE,
        reason="Первый в резервном списке: после решений по проектам выше в рейтинге в фонде "
               "не осталось средств на полную сумму."),
)

SUMMER_READING_ROOM = DemoApplication(
    author="library1@vektor.demo",
    title="«Читающий берег»: летний читальный зал на набережной Светлогорска",
    direction="Продвижение чтения",
    start=(5, 1), end=(9, 15),
    summary=(
        "С июня по август ЦБС откроет на променаде летний читальный зал: павильон с книгами, "
        "журналами и шезлонгами, чтения для детей по будням и встречи с авторами по "
        "выходным."
    ),
    problem=(
        "Летом посещаемость центральной библиотеки падает на 40 %: жители и гости проводят "
        "время у моря. Читальных зон на набережной нет."
    ),
    goals="Привлечь к чтению отдыхающих и жителей в летний сезон.",
    tasks=(
        "1. Арендовать и оборудовать павильон.\n"
        "2. Организовать работу зала с июня по август.\n"
        "3. Провести 12 встреч с авторами."
    ),
    target_groups="Жители и гости курорта, семьи с детьми.",
    activities=(
        ("Аренда и оборудование павильона", "Монтаж, мебель, фонд.", (5, 1), (5, 31)),
        ("Работа летнего читального зала", "Ежедневно с 11 до 19 часов.", (6, 1), (8, 31)),
        ("Встречи с авторами", "12 встреч по выходным.", (6, 6), (8, 29)),
    ),
    partners=(
        ("МБУ «Благоустройство» Светлогорского городского округа",
         "Место на променаде, подключение электричества", "Электроснабжение павильона"),
    ),
    indicators=(
        ("Посетители летнего читального зала", "чел.", "0", "6000"),
        ("Встречи с авторами", "встреч", "0", "12"),
    ),
    budget=(
        DemoLine(BC.EVENTS, "Аренда павильона 6×4 м с монтажом", "Три месяца; десятую часть "
                 "оплачивает библиотека", "мес.", "3", "98000.00", own="10"),
        DemoLine(BC.EVENTS, "Электроснабжение павильона", "Вклад партнёра", "мес.", "3",
                 "6500.00", partner="100"),
        DemoLine(BC.EQUIPMENT, "Шезлонги и пляжные кресла", "20 мест", "шт.", "20",
                 "6800.00", own="20"),
        DemoLine(BC.EQUIPMENT, "Уличные стеллажи для книг и журналов", "Павильон", "шт.",
                 "4", "21500.00"),
        DemoLine(BC.EQUIPMENT, "Зонты от солнца с утяжелителями", "Зона чтения", "шт.", "6",
                 "9900.00"),
        DemoLine(BC.EQUIPMENT, "Столы складные", "Из средств библиотеки", "шт.", "4",
                 "7600.00", own="100"),
        DemoLine(BC.ACQUISITIONS, "Книги и журналы для летнего зала", "Новинки сезона",
                 "экз.", "300", "520.00"),
        DemoLine(BC.INFORMATISATION, "Планшет для записи читателей и доступа к каталогу",
                 "Работа вне здания библиотеки", "шт.", "1", "32000.00"),
        DemoLine(BC.FEES, "Гонорары авторам за встречи (договоры ГПХ)", "12 встреч",
                 "встреча", "12", "8000.00"),
        DemoLine(BC.FEES, "Доплата библиотекарям за работу на площадке", "Из средств "
                 "библиотеки", "мес.", "3", "22960.00", own="100"),
        DemoLine(BC.EVENTS, "Баннеры и навигация на набережной", "Вход и указатели",
                 "усл.", "1", "36000.00"),
        DemoLine(BC.EVENTS, "Афиши и листовки", "Гостиницы и санатории", "экз.", "2000",
                 "9.50"),
        DemoLine(BC.EVENTS, "Материалы для детских чтений и мастер-классов",
                 "Половину оплачивает библиотека", "компл.", "12", "2400.00", own="50"),
        DemoLine(BC.OTHER, "Охрана павильона в ночное время", "Три месяца", "мес.", "3",
                 "16000.00"),
        DemoLine(BC.OTHER, "Уборка площадки", "Три месяца", "мес.", "3", "8000.00",
                 own="50"),
    ),
    reviews=(
        DemoReview("5 4 5 3 2 4 4 6 5 6",
                   "Проект сезонный: павильон арендуется, и после окончания финансирования "
                   "от проекта ничего не останется. Показатель 6 000 посетителей не "
                   "обоснован. Не рекомендую поддерживать.", DO_NOT_FUND,
                   comments=((5, "Аренда павильона на три месяца — почти треть бюджета, "
                                 "сравнения цен нет; охрана и уборка площадки завышены."),)),
        DemoReview("6 5 5 4 4 5 4 6 6 7",
                   "Идея привлекательная для курорта, но расходы на аренду павильона нужно "
                   "сократить; поддержка возможна в уменьшенном объёме.", FUND_REDUCED,
                   amount="400000.00"),
    ),
    decision=DemoDecision(
        DecisionOutcome.NOT_FUNDED,
        reason="Наименьший балл в рейтинге; эксперты отметили необоснованные расходы на "
               "аренду павильона и отсутствие результата после окончания финансирования. "
               "Средств фонда не осталось."),
)


# The call in review: closed a few days ago, screened, assigned, some reviews in.

FAMILY_DIRECTIONS = (
    "Семейное и детское чтение",
    "Доступная среда",
    "Связь поколений",
)
FAMILY_CALL_TITLE = ("Читающая семья: конкурс проектов муниципальных библиотек по поддержке "
                     "семейного чтения и доступной среды на {year} год")
FAMILY_CALL_DESCRIPTION = (
    "Администрация Светлогорского городского округа проводит специальный конкурс проектов "
    "муниципальных библиотек, реализуемых в {year} году: проектов, которые помогают семьям "
    "читать вместе, делают библиотеку доступной для людей с инвалидностью и соединяют "
    "поколения.\n\n"
)

FAMILY_SATURDAYS = DemoApplication(
    author="library1@vektor.demo",
    title="«Папа, мама, я — читающая семья»: семейные субботы в библиотеках-филиалах "
          "Приморья и Донского",
    direction="Семейное и детское чтение",
    start=(3, 1), end=(11, 30),
    summary=(
        "Каждую субботу с апреля по ноябрь библиотеки-филиалы в посёлках Приморье и Донское "
        "открыты для семей: громкие чтения, квесты по книгам, театр теней и мастерские. "
        "Семьи ведут «Семейный читательский дневник», за прочитанные вместе книги получают "
        "жетоны, а в конце сезона — подарки для домашней библиотеки."
    ),
    problem=(
        "В посёлках Приморье и Донское живут около 600 семей с детьми до 12 лет; ближайший "
        "детский досуговый центр — в Светлогорске, автобус ходит четыре раза в день. Филиалы "
        "открыты только по будням до 18 часов, когда родители на работе: в прошлом году в них "
        "записались лишь 94 ребёнка. По анкетам 163 родителей 72 % читают детям реже раза в "
        "неделю, 58 % готовы приходить в библиотеку по выходным всей семьёй."
    ),
    goals=(
        "Сделать филиалы ЦБС в Приморье и Донском местом семейного чтения по выходным: 180 "
        "семей — постоянных участников и вдвое больше детей-читателей в посёлках."
    ),
    tasks=(
        "1. Открыть филиалы по субботам и подготовить программу 34 семейных суббот.\n"
        "2. Оборудовать в каждом филиале семейную зону с книгами для совместного чтения.\n"
        "3. Проводить семейные квесты, спектакли театра теней и мастерские.\n"
        "4. Запустить «Семейный читательский дневник» и провести праздник семейного чтения."
    ),
    target_groups=(
        "Семьи с детьми от 3 до 12 лет в посёлках Приморье и Донское и на соседних хуторах; "
        "бабушки и дедушки, воспитывающие внуков; многодетные семьи (первоочередная запись)."
    ),
    activities=(
        ("Семейные зоны в филиалах", "Мебель, стеллажи, театр теней, книги.",
         (3, 1), (3, 31)),
        ("Семейные субботы", "34 субботы в двух филиалах: чтения, квесты, мастерские.",
         (4, 4), (11, 21)),
        ("«Семейный читательский дневник»", "Жетоны за прочитанные вместе книги.",
         (4, 4), (11, 21)),
        ("Праздник семейного чтения", "Итоги сезона, награждение самых читающих семей.",
         (11, 28), (11, 28)),
    ),
    partners=(
        ("МАОУ «СОШ пос. Приморье»", "Информирование родителей, зал для спектаклей",
         "Актовый зал для четырёх спектаклей"),
        ("Книжный магазин «Читай-Светлогорск» (ИП Т. А. Ковалёва)", "Призы семьям",
         "Подарочные сертификаты для 30 семей"),
    ),
    indicators=(
        ("Семьи — постоянные участники семейных суббот", "семей", "0", "180"),
        ("Дети-читатели филиалов в Приморье и Донском", "чел.", "94", "190"),
        ("Семейные субботы", "встреч", "0", "68"),
        ("Выдача детской литературы в филиалах", "экз.", "1850", "3500"),
    ),
    budget=(
        DemoLine(BC.EQUIPMENT, "Детские стеллажи-домики", "По два на филиал", "шт.", "4",
                 "28400.00"),
        DemoLine(BC.EQUIPMENT, "Мягкие модули и ковры для чтения", "По комплекту на филиал",
                 "компл.", "2", "36500.00"),
        DemoLine(BC.EQUIPMENT, "Столы и стулья для мастерских", "Половину оплачивает "
                 "библиотека", "компл.", "2", "42800.00", own="50"),
        DemoLine(BC.EQUIPMENT, "Театр теней: ширма, фонарь, фигуры", "По комплекту на "
                 "филиал", "компл.", "2", "18900.00"),
        DemoLine(BC.INFORMATISATION, "Проектор с экраном", "Филиал в Донском; в Приморье "
                 "проектор есть", "компл.", "1", "54900.00"),
        DemoLine(BC.ACQUISITIONS, "Книги для совместного чтения детей и родителей",
                 "160 названий в двух экземплярах", "экз.", "320", "690.00", own="20"),
        DemoLine(BC.ACQUISITIONS, "Настольные игры по мотивам книг", "По 10 на филиал",
                 "шт.", "20", "2450.00"),
        DemoLine(BC.FEES, "Ведущие семейных суббот (договоры ГПХ)", "68 встреч",
                 "встреча", "68", "2000.00"),
        DemoLine(BC.FEES, "Актёр театра теней (договор ГПХ)", "Восемь спектаклей",
                 "спектакль", "8", "6500.00"),
        DemoLine(BC.FEES, "Доплата библиотекарям за работу в выходные", "Из средств "
                 "библиотеки", "мес.", "8", "15600.00", own="100"),
        DemoLine(BC.EVENTS, "Материалы для мастерских", "68 встреч", "компл.", "68",
                 "950.00"),
        DemoLine(BC.EVENTS, "«Семейный читательский дневник»: печать", "400 экземпляров",
                 "экз.", "400", "85.00"),
        DemoLine(BC.EVENTS, "Подарки самым читающим семьям", "Сертификаты книжного "
                 "магазина", "компл.", "30", "1000.00", partner="100"),
        DemoLine(BC.EVENTS, "Праздник семейного чтения: оформление и звук", "Ноябрь",
                 "усл.", "1", "45000.00", own="30"),
        DemoLine(BC.EVENTS, "Афиши и приглашения", "Школы, детские сады, магазины "
                 "посёлков", "экз.", "1200", "11.20"),
        DemoLine(BC.OTHER, "Автобус для семей с хуторов на праздник", "Четыре рейса",
                 "рейс", "4", "6800.00"),
    ),
    reviews=(
        DemoReview("9 9 8 9 8 8 9 8 9 8",
                   "Продуманный проект для посёлков, где у семей нет других мест для "
                   "совместного досуга. Работа филиалов по субботам решает главную "
                   "проблему — время работы. Поддержать.", FUND),
        DemoReview("5 4 4 5 3 5 4 6 5 4",
                   "Идея хорошая, но проект дорог для двух небольших филиалов: 68 суббот с "
                   "платными ведущими при 94 детях-читателях. Показатель 180 семей не "
                   "обоснован. Предлагаю поддержать в уменьшенном объёме — на один филиал.",
                   FUND_REDUCED, amount="450000.00",
                   comments=((5, "Ведущие суббот оплачиваются отдельно, хотя работу по "
                                 "субботам уже оплачивает библиотека; цены на мебель не "
                                 "подтверждены."),)),
    ),
)

BARRIER_FREE = DemoApplication(
    author="library2@vektor.demo",
    title="«Библиотека без барьеров»: доступная среда и тифлоцентр в библиотеке имени "
          "М. Горького",
    direction="Доступная среда",
    start=(3, 1), end=(11, 30),
    summary=(
        "Библиотека имени М. Горького станет доступной для читателей с нарушениями зрения, "
        "слуха и опорно-двигательного аппарата: подъёмник у входа, тактильная навигация, "
        "индукционные петли, тифлоцентр с читающей машиной и видеоувеличителями, книги "
        "крупным шрифтом и шрифтом Брайля, а также клуб «Мир на ощупь» для незрячих "
        "читателей и их семей."
    ),
    problem=(
        "В округе живут 1 140 человек с инвалидностью, из них 86 — с нарушениями зрения. "
        "Здание библиотеки построено в 1968 году: вход с шестью ступенями, узкие проходы, ни "
        "одной таблички шрифтом Брайля. В прошлом году библиотеку посетили лишь 19 читателей с "
        "инвалидностью; ближайшая специальная библиотека для слепых — в Калининграде. Паспорт "
        "доступности относит здание к категории «доступно условно»."
    ),
    goals=(
        "Сделать библиотеку доступной для читателей с инвалидностью и открыть в ней "
        "тифлоцентр: 120 читателей с инвалидностью и категория «доступно полностью» в "
        "паспорте доступности."
    ),
    tasks=(
        "1. Установить подъёмник, тактильную навигацию и индукционные петли.\n"
        "2. Оборудовать тифлоцентр.\n"
        "3. Пополнить фонд книгами крупным шрифтом, шрифтом Брайля и «говорящими» книгами.\n"
        "4. Обучить сотрудников ситуационной помощи и тифлокомментированию.\n"
        "5. Открыть клуб «Мир на ощупь»."
    ),
    target_groups=(
        "Читатели с нарушениями зрения, слуха и опорно-двигательного аппарата и их семьи; "
        "пожилые читатели с возрастными нарушениями зрения; родители с колясками."
    ),
    activities=(
        ("Оборудование доступной среды", "Подъёмник, навигация, индукционные петли; "
         "проверка общественной организацией инвалидов.", (3, 1), (5, 31)),
        ("Тифлоцентр", "Закупка и наладка оборудования, программ и фонда.",
         (4, 1), (5, 31)),
        ("Обучение сотрудников", "Ситуационная помощь и тифлокомментирование.",
         (4, 1), (6, 30)),
        ("Клуб «Мир на ощупь»", "Два заседания в месяц: громкие чтения, тактильные выставки, "
         "встречи.", (6, 1), (11, 30)),
    ),
    partners=(
        ("Светлогорская местная организация Всероссийского общества слепых",
         "Экспертиза доступности, набор участников клуба",
         "Тифлопедагог ведёт четыре заседания клуба без оплаты"),
        ("ГБУК «Калининградская областная специальная библиотека для слепых»",
         "Методическая помощь, книги по межбиблиотечному абонементу",
         "Половина стоимости курсов тифлокомментирования"),
    ),
    indicators=(
        ("Читатели с инвалидностью", "чел.", "19", "120"),
        ("Издания крупным шрифтом, шрифтом Брайля и «говорящие» книги", "экз.", "35", "400"),
        ("Заседания клуба «Мир на ощупь»", "заседаний", "0", "12"),
        ("Сотрудники, обученные ситуационной помощи", "чел.", "0", "14"),
    ),
    budget=(
        DemoLine(BC.EQUIPMENT, "Подъёмник вертикальный для инвалидов с установкой",
                 "Вход в библиотеку; треть оплачивает библиотека", "шт.", "1",
                 "438000.00", own="35"),
        DemoLine(BC.EQUIPMENT, "Тактильная плитка и направляющие полосы с монтажом",
                 "Вход, абонемент, читальный зал", "м", "46", "2150.00"),
        DemoLine(BC.EQUIPMENT, "Тактильные таблички шрифтом Брайля", "Все помещения для "
                 "читателей", "шт.", "24", "1480.00"),
        DemoLine(BC.EQUIPMENT, "Тактильная мнемосхема здания", "У входа", "шт.", "1",
                 "32600.00"),
        DemoLine(BC.EQUIPMENT, "Индукционные петли (стационарная и переносные)",
                 "Абонемент и залы мероприятий", "компл.", "3", "19800.00"),
        DemoLine(BC.INFORMATISATION, "Читающая машина для незрячих", "Тифлоцентр", "шт.",
                 "1", "189000.00", own="20"),
        DemoLine(BC.INFORMATISATION, "Тифлофлешплееры для выдачи на дом", "Восемь "
                 "читателей одновременно", "шт.", "8", "14900.00"),
        DemoLine(BC.INFORMATISATION, "Электронные ручные видеоувеличители",
                 "Слабовидящие читатели", "шт.", "2", "38500.00"),
        DemoLine(BC.INFORMATISATION, "Программа экранного доступа", "Два рабочих места",
                 "лиц.", "2", "17900.00", own="100"),
        DemoLine(BC.ACQUISITIONS, "Книги крупным шрифтом", "Художественная и "
                 "краеведческая литература", "экз.", "160", "780.00"),
        DemoLine(BC.ACQUISITIONS, "Книги шрифтом Брайля и тактильные книги для детей",
                 "Тифлоцентр", "экз.", "40", "2300.00"),
        DemoLine(BC.TRAINING, "Обучение «Ситуационная помощь инвалидам» (16 ч)",
                 "Все сотрудники", "чел.", "14", "2600.00"),
        DemoLine(BC.TRAINING, "Курсы тифлокомментирования (36 ч)", "Половину оплачивает "
                 "партнёр", "чел.", "2", "12400.00", partner="50"),
        DemoLine(BC.FEES, "Ведущий клуба «Мир на ощупь» (договор ГПХ)", "12 заседаний",
                 "заседание", "12", "3000.00"),
        DemoLine(BC.FEES, "Сотрудник тифлоцентра (0,25 ставки, 7 месяцев)",
                 "Из средств библиотеки", "мес.", "7", "11480.00", own="100"),
        DemoLine(BC.EVENTS, "Тактильная выставка: изготовление моделей",
                 "Половину оплачивает библиотека", "усл.", "1", "28000.00", own="50"),
        DemoLine(BC.OTHER, "Обновление паспорта доступности", "Из средств библиотеки",
                 "усл.", "1", "15000.00", own="100"),
    ),
    reviews=(
        DemoReview("8 8 7 - - - - - - -",
                   "Черновик: сверить цену подъёмника с коммерческими предложениями.",
                   submit=False),
        DemoReview("8 7 6 7 6 6 7 8 7 6",
                   "Проект необходим: здание недоступно для читателей с инвалидностью, "
                   "тифлоцентр в округе появится впервые. Подъёмник — расход капитального "
                   "характера; нужно согласование с учредителем.", FUND),
    ),
)

EARLY_READING = DemoApplication(
    author="library3@vektor.demo",
    title="«Читаем с пелёнок»: программа раннего чтения для семей с малышами до трёх лет",
    direction="Семейное и детское чтение",
    start=(3, 1), end=(11, 30),
    summary=(
        "Детская библиотека «Радуга» запускает программу раннего чтения: каждая семья "
        "новорождённого получает в роддоме и детской поликлинике «Книжный старт» — две "
        "книжки-картонки, памятку для родителей и приглашение в библиотеку, а малыши до трёх "
        "лет с родителями два раза в неделю приходят на «Книжные ясельки» — потешки, "
        "пальчиковые игры, книжки-игрушки."
    ),
    problem=(
        "В округе ежегодно рождается около 370 детей, но среди читателей «Радуги» детей до "
        "трёх лет всего 38. Словарный запас ребёнка, которому читают с первого года жизни, к "
        "трём годам заметно больше. По опросу 140 молодых мам 64 % не знают, какие книги "
        "подходят малышам, 39 % считают, что читать нужно начинать после трёх лет. В городе "
        "нет бесплатных развивающих занятий для семей с детьми до трёх лет."
    ),
    goals=(
        "Приобщить к чтению семьи с детьми до трёх лет: «Книжный старт» для 370 семей "
        "новорождённых и 150 малышей — постоянных участников «Книжных ясельков»."
    ),
    tasks=(
        "1. Подготовить и издать набор «Книжный старт».\n"
        "2. Вручать наборы в роддоме и детской поликлинике.\n"
        "3. Оборудовать «Книжные ясельки» — зону для малышей и родителей.\n"
        "4. Проводить занятия два раза в неделю и консультации для родителей."
    ),
    target_groups=(
        "Семьи с детьми от рождения до трёх лет и будущие родители, прежде всего молодые и "
        "многодетные семьи."
    ),
    activities=(
        ("Набор «Книжный старт»", "Отбор книг, дизайн, печать памятки.", (3, 1), (4, 30)),
        ("«Книжные ясельки»: оборудование", "Покрытие, модули, стеллажи.", (3, 15),
         (4, 30)),
        ("Вручение наборов", "Еженедельно в роддоме и поликлинике.", (5, 1), (11, 30)),
        ("Занятия «Книжные ясельки»", "Два раза в неделю, группы до 10 малышей с "
         "родителями.", (5, 1), (11, 30)),
        ("Консультации «Какую книгу выбрать малышу»", "Ежемесячно, с логопедом.",
         (5, 1), (11, 30)),
    ),
    partners=(
        ("ГБУЗ «Светлогорская центральная районная больница»", "Вручение наборов в роддоме "
         "и поликлинике", "Медсёстры вручают наборы; полка в поликлинике"),
        ("АНО «Центр поддержки семьи „Вместе“»", "Логопед для консультаций",
         "Половина оплаты логопеда"),
    ),
    indicators=(
        ("Семьи, получившие набор «Книжный старт»", "семей", "0", "370"),
        ("Читатели библиотеки до трёх лет", "чел.", "38", "150"),
        ("Занятия «Книжные ясельки»", "занятий", "0", "60"),
    ),
    budget=(
        DemoLine(BC.ACQUISITIONS, "Книжки-картонки для наборов «Книжный старт»",
                 "По две в наборе", "экз.", "740", "245.00"),
        DemoLine(BC.ACQUISITIONS, "Книжки-игрушки, тактильные и музыкальные книги",
                 "Для занятий", "экз.", "120", "860.00"),
        DemoLine(BC.EVENTS, "Сумки с символикой программы", "370 наборов", "шт.", "370",
                 "118.00"),
        DemoLine(BC.EVENTS, "Памятка для родителей «Читаем с пелёнок»", "Наборы и "
                 "консультации", "экз.", "1000", "24.50"),
        DemoLine(BC.EVENTS, "Дизайн набора и памятки", "Из средств библиотеки", "усл.",
                 "1", "35000.00", own="100"),
        DemoLine(BC.EVENTS, "Полка «Книжный старт» в детской поликлинике", "Зона "
                 "ожидания приёма", "шт.", "1", "18600.00"),
        DemoLine(BC.EQUIPMENT, "Мягкое напольное покрытие и модули", "Зона занятий",
                 "компл.", "1", "64000.00"),
        DemoLine(BC.EQUIPMENT, "Стеллажи-боксы для книг малышей", "Открытый доступ",
                 "шт.", "4", "9800.00"),
        DemoLine(BC.EQUIPMENT, "Пеленальный столик и кресло для кормления",
                 "Из средств библиотеки", "компл.", "1", "27400.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Детские столики и стульчики", "Две группы", "компл.", "2",
                 "14600.00"),
        DemoLine(BC.EQUIPMENT, "Музыкальные инструменты для пальчиковых игр", "Занятия",
                 "компл.", "1", "12900.00"),
        DemoLine(BC.TRAINING, "Курсы «Раннее чтение: занятия с детьми до трёх лет» (36 ч)",
                 "Два библиотекаря", "чел.", "2", "11800.00"),
        DemoLine(BC.FEES, "Логопед на консультациях (договор ГПХ)", "Половину оплачивает "
                 "партнёр", "консультация", "7", "5000.00", partner="50"),
        DemoLine(BC.FEES, "Ведущая «Книжных ясельков» (доплата, 7 месяцев)",
                 "Из средств библиотеки", "мес.", "7", "12400.00", own="100"),
        DemoLine(BC.OTHER, "Средства для обработки игрушек и книг", "Половину оплачивает "
                 "библиотека", "компл.", "7", "1200.00", own="50"),
    ),
    reviews=(
        DemoReview(conflict="Мой близкий родственник работает в детской библиотеке «Радуга» "
                            "и назван в заявке исполнителем проекта."),
        DemoReview("9 8 9 8 8 7 8 9 8 8",
                   "Первый в округе проект раннего чтения, с проверенной методикой и "
                   "партнёрством с больницей. Бюджет скромный и обоснованный. Поддержать.",
                   FUND),
    ),
)

GENERATIONS = DemoApplication(
    author="library1@vektor.demo",
    title="«Связь поколений»: клуб цифровых и литературных встреч бабушек, дедушек и внуков",
    direction="Связь поколений",
    start=(3, 1), end=(11, 30),
    summary=(
        "В центральной библиотеке ЦБС открывается клуб, где внуки учат бабушек и дедушек "
        "пользоваться смартфоном и порталом госуслуг, а старшее поколение рассказывает внукам "
        "о книгах своего детства и истории посёлков. Итог — 20 семейных видеоинтервью «Книга "
        "моего детства» и семейная викторина."
    ),
    problem=(
        "В округе 7 300 пенсионеров, 41 % из них не пользуется интернетом. Курсы "
        "компьютерной грамотности в библиотеке в прошлом году закончили лишь 46 человек: "
        "пожилые стесняются ошибаться при чужих. Подросткам, наоборот, не хватает общения со "
        "старшими: по опросу гимназии 55 % учеников 7–9 классов не знают, какие книги читали "
        "в детстве их бабушки и дедушки."
    ),
    goals=(
        "Соединить поколения через чтение и цифровые навыки: 60 пар «внук — бабушка "
        "(дедушка)» пройдут курс клуба и снимут 20 видеоинтервью."
    ),
    tasks=(
        "1. Подготовить программу клуба из 12 встреч.\n"
        "2. Оснастить класс планшетами.\n"
        "3. Провести три потока по 20 пар.\n"
        "4. Снять видеоинтервью «Книга моего детства» и провести семейную викторину."
    ),
    target_groups=(
        "Пенсионеры 60 лет и старше и их внуки 10–16 лет; одинокие пожилые люди, которым "
        "пару подберут из школьников-волонтёров."
    ),
    activities=(
        ("Программа клуба и набор пар", "Анкеты, расписание потоков.", (3, 1), (3, 31)),
        ("Три потока клуба", "По 12 встреч, два раза в неделю.", (4, 1), (10, 31)),
        ("Видеоинтервью «Книга моего детства»", "Съёмка и монтаж 20 интервью.",
         (6, 1), (10, 31)),
        ("Семейная викторина и показ фильмов", "Итог года.", (11, 14), (11, 14)),
    ),
    partners=(
        ("МАОУ «Гимназия г. Светлогорска»", "Набор школьников-волонтёров",
         "Зачёт волонтёрских часов, зал для викторины"),
        ("ГБУ СО «Комплексный центр социального обслуживания населения»",
         "Набор участников-пенсионеров", "Транспорт для маломобильных участников"),
    ),
    indicators=(
        ("Пары «внук — бабушка (дедушка)», прошедшие курс", "пар", "0", "60"),
        ("Пенсионеры, получившие госуслуги онлайн самостоятельно", "чел.", "0", "50"),
        ("Видеоинтервью «Книга моего детства»", "шт.", "0", "20"),
    ),
    budget=(
        DemoLine(BC.INFORMATISATION, "Планшеты 10\u2033 для занятий", "Десять пар на "
                 "встрече", "шт.", "10", "21900.00", own="20"),
        DemoLine(BC.INFORMATISATION, "Чехлы-подставки и стилусы", "К планшетам", "компл.",
                 "10", "1650.00"),
        DemoLine(BC.INFORMATISATION, "Зарядная тележка для планшетов", "Хранение и "
                 "зарядка", "шт.", "1", "48500.00"),
        DemoLine(BC.INFORMATISATION, "Точка доступа Wi-Fi для класса", "Из средств "
                 "библиотеки", "шт.", "1", "12800.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Видеокамера и петличные микрофоны", "Видеоинтервью",
                 "компл.", "1", "86400.00"),
        DemoLine(BC.EQUIPMENT, "Световой комплект для съёмки", "Видеоинтервью", "компл.",
                 "1", "24600.00"),
        DemoLine(BC.FEES, "Ведущий клуба (договор ГПХ)", "36 встреч", "встреча", "36",
                 "2400.00"),
        DemoLine(BC.FEES, "Монтаж видеоинтервью (договор ГПХ)", "20 интервью", "шт.", "20",
                 "3500.00"),
        DemoLine(BC.FEES, "Координатор клуба (0,25 ставки, 8 месяцев)", "Из средств "
                 "библиотеки", "мес.", "8", "11480.00", own="100"),
        DemoLine(BC.ACQUISITIONS, "Переиздания детской классики 1950–1980-х годов",
                 "Книги для встреч «Книга моего детства»", "экз.", "90", "560.00"),
        DemoLine(BC.EVENTS, "Рабочие тетради «Смартфон без страха»", "По одной на пару",
                 "экз.", "120", "180.00"),
        DemoLine(BC.EVENTS, "Семейная викторина: призы и оформление", "Ноябрь", "усл.",
                 "1", "32000.00", own="40"),
        DemoLine(BC.EVENTS, "Чаепития на встречах клуба", "Из средств библиотеки",
                 "встреча", "36", "800.00", own="100"),
        DemoLine(BC.EVENTS, "Показ фильмов: аренда экрана и звука", "Итоговая встреча",
                 "усл.", "1", "18000.00"),
        DemoLine(BC.OTHER, "Памятки и расходные материалы", "Три потока", "компл.", "3",
                 "3200.00"),
    ),
    reviews=(
        DemoReview("7 6 8 - 6 - - - - -",
                   "Черновик: интересный межпоколенческий формат; проверить цены планшетов "
                   "и зарядной тележки.", submit=False),
    ),
)

READING_ROOM = DemoApplication(
    author="library2@vektor.demo",
    title="«Уютная библиотека»: новая мебель и освещение читального зала",
    direction="Доступная среда",
    start=(3, 1), end=(6, 30),
    summary=(
        "Замена мебели и светильников в читальном зале библиотеки имени М. Горького площадью "
        "120 м²: новые столы, стулья и стеллажи, светодиодное освещение, шторы, ковровое "
        "покрытие и откидной пандус у входа в зал."
    ),
    problem=(
        "Мебель читального зала закуплена в 1987 году, многие стулья сломаны, освещённость "
        "рабочих мест — 180 люкс при норме 300. Читатели жалуются на неудобство."
    ),
    goals="Создать комфортные условия для посетителей читального зала.",
    tasks=(
        "1. Закупить и установить мебель.\n"
        "2. Заменить светильники.\n"
        "3. Обновить шторы и покрытие пола."
    ),
    target_groups="Посетители читального зала — около 40 человек в день.",
    activities=(
        ("Закупка и установка мебели", "Три коммерческих предложения.", (3, 1), (5, 31)),
        ("Замена освещения", "Светодиодные светильники.", (4, 1), (5, 31)),
        ("Открытие обновлённого зала", "Экскурсия для читателей.", (6, 1), (6, 1)),
    ),
    indicators=(
        ("Посетители читального зала в день", "чел.", "40", "55"),
        ("Освещённость рабочих мест", "лк", "180", "300"),
    ),
    budget=(
        DemoLine(BC.EQUIPMENT, "Столы читательские двухместные", "Читальный зал", "шт.",
                 "12", "18700.00"),
        DemoLine(BC.EQUIPMENT, "Стулья читательские", "Читальный зал", "шт.", "24",
                 "6900.00"),
        DemoLine(BC.EQUIPMENT, "Стеллажи библиотечные односторонние", "Вдоль стен; половину "
                 "оплачивает библиотека", "шт.", "8", "16400.00", own="50"),
        DemoLine(BC.EQUIPMENT, "Стеллажи библиотечные двусторонние", "Центр зала", "шт.",
                 "4", "24800.00"),
        DemoLine(BC.EQUIPMENT, "Светильники светодиодные потолочные с монтажом",
                 "300 люкс на рабочих местах", "шт.", "28", "4850.00"),
        DemoLine(BC.EQUIPMENT, "Настольные лампы", "Из средств библиотеки", "шт.", "12",
                 "3200.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Диван и кресла для зоны отдыха", "Из средств библиотеки",
                 "компл.", "1", "86000.00", own="100"),
        DemoLine(BC.EQUIPMENT, "Журнальные столики", "Зона отдыха", "шт.", "3",
                 "7400.00"),
        DemoLine(BC.EQUIPMENT, "Шторы и карнизы", "Шесть окон", "компл.", "6", "9800.00"),
        DemoLine(BC.EQUIPMENT, "Ковровое покрытие с укладкой", "120 м²; половину "
                 "оплачивает библиотека", "м²", "120", "1350.00", own="50"),
        DemoLine(BC.EQUIPMENT, "Кафедра выдачи", "Читальный зал", "шт.", "1", "64000.00"),
        DemoLine(BC.EQUIPMENT, "Выставочные витрины", "Новые поступления", "шт.", "2",
                 "28900.00"),
        DemoLine(BC.EQUIPMENT, "Откидной пандус у входа в зал", "Порог 12 см", "шт.", "1",
                 "14500.00"),
        DemoLine(BC.EVENTS, "Открытие обновлённого зала", "Из средств библиотеки", "усл.",
                 "1", "12000.00", own="100"),
        DemoLine(BC.OTHER, "Вывоз и утилизация старой мебели", "Из средств библиотеки",
                 "усл.", "1", "18000.00", own="100"),
    ),
    not_admitted=(
        "Заявка не соответствует предмету конкурса (п. 1.3 положения): проект состоит из "
        "закупки мебели и светильников для читального зала, мероприятий для семей, людей с "
        "инвалидностью или разных поколений в нём нет. Такие расходы — содержание "
        "учреждения, их финансирует учредитель."
    ),
)


@dataclass(frozen=True)
class DemoCall:
    """A call of the past and how far it got. Its dates follow the moment of seeding: it
    closed `closed_days_ago` days before, at 18:00, after taking applications for
    `open_days` days, and its projects run the year after it opened. All its applications
    were submitted and screened; the reviews came in over `review_days` days after the
    assignment; the committee decided `decided_after_days` days after the closing (None:
    not yet). With `finance`, its funded projects go on to agreements, payments and reports
    (see _seed_finance), and its dates are those of the latest round whose projects have
    held their last events by the seeding (see _finance_closing)."""

    title: str
    description: str
    directions: tuple[str, ...]
    closed_days_ago: int
    open_days: int
    fund: str
    max_grant: str
    cofinancing: str
    review_days: int
    decided_after_days: int | None
    applications: tuple[DemoApplication, ...]
    finance: bool = False


PAST_CALLS = (
    # Last year's round of the open call, closed a year before it will (or the round before,
    # when this year's projects are still running): decided, final, agreements signed, money
    # paid, reports in.
    DemoCall(DEMO_CALL_TITLE, DEMO_CALL_DESCRIPTION, DEMO_DIRECTIONS, closed_days_ago=344,
             open_days=27, fund="3800000.00", max_grant="1500000.00", cofinancing="15",
             review_days=18, decided_after_days=30,
             applications=(ROBOTICS_LAB, LITERARY_ROUTES, UNIFIED_CATALOGUE, VOLUNTEERS,
                           SUMMER_READING_ROOM), finance=True),
    # A special call that closed a few days ago: screened, assigned, some reviews in.
    DemoCall(FAMILY_CALL_TITLE, FAMILY_CALL_DESCRIPTION, FAMILY_DIRECTIONS, closed_days_ago=4,
             open_days=42, fund="4000000.00", max_grant="1200000.00", cofinancing="20",
             review_days=1, decided_after_days=None,
             applications=(FAMILY_SATURDAYS, BARRIER_FREE, EARLY_READING, GENERATIONS,
                           READING_ROOM)),
)


# --- after the decisions: the administration, agreements, payments and reports ---------------

FINANCE = "finance@vektor.demo"

# The closed call's projects hold their last events by mid-November: the demo's final report
# (submitted five days before the seeding) needs that, so a call seeded earlier in the year is
# the round before (see _finance_closing).
FINAL_EVENTS_HELD = (11, 16)


def _administration_data() -> dict[str, str]:
    """The grantor's details that agreements print: a treasury account, as a municipality
    has, its check digits put in place by the demo helpers."""
    bik = "012748051"
    return {
        "full_name": "Администрация муниципального образования «Светлогорский городской "
                     "округ»",
        "short_name": "Администрация Светлогорского городского округа",
        "inn": demo_inn("391200456"), "kpp": "391201001", "ogrn": demo_ogrn("102391000456"),
        "address": "238560, Калининградская обл., г. Светлогорск, Калининградский пр-т, д. 72",
        "head_name": "Дмитрий Олегович Зайцев", "head_position": "Глава администрации",
        "bank_name": "Отделение Калининград Банка России // УФК по Калининградской области "
                     "г. Калининград",
        "bik": bik, "correspondent_account": "40102810545370000028",
        "settlement_account": demo_account(bik, "0323164327723000350"),
    }


@dataclass(frozen=True)
class DemoReport:
    """What a library writes in a report. `results` give each indicator of the application,
    in its order, the value achieved and a comment (none at all: not filled in yet);
    `spending` gives each budget line, in its order, what was spent: "=" as planned, "-"
    nothing said yet, an amount split between the sources as the plan splits the line, or
    "requested/own/partner"; `justifications` explain, by line number, the lines that move
    beyond the call's tolerance."""

    narrative: str
    results: tuple[tuple[str, str], ...] = ()
    spending: tuple[str, ...] = ()
    justifications: tuple[tuple[int, str], ...] = ()


# «Литературный Светлогорск» (library2): on time, accepted; its final report returned.
ROUTES_INTERIM = DemoReport(
    narrative=(
        "Все 36 треков аудиогида по трём маршрутам готовы и опубликованы. Автор-составитель "
        "и краевед отобрали материалы о 40 писателях и поэтах из краеведческого фонда "
        "библиотеки, научное редактирование закончено в апреле. В мае актёры областного "
        "драматического театра записали треки в студии: запись заняла 21 час вместо 24 "
        "запланированных. Аудиогид размещён на сайте библиотеки и на онлайн-картах.\n\n"
        "В июне установлены 22 знака с QR-кодами; последние два, на набережной, ставятся "
        "после согласования мест с администрацией, их оплата — во втором периоде. Поставщик "
        "поднял цену знака с 14 800 до 15 250 ₽, разницу покроет экономия на аренде студии. "
        "Место для «книжных остановок» на променаде согласовано только в июле, поэтому полки "
        "и книги для них закупаются во втором периоде.\n\n"
        "С 15 июня библиотекари и волонтёры, обученные на июньском семинаре, провели девять "
        "экскурсий с радиогидами для 164 человек. Первый тираж карты-путеводителя, 2 500 "
        "экземпляров, передан в санатории, гостиницы и туристско-информационный центр; "
        "«Вестник Светлогорска» опубликовал три материала о маршрутах."
    ),
    results=(
        ("4860", "Статистика сайта и онлайн-карт на 12 июля"),
        ("164", "Девять экскурсий с 15 июня"),
        ("0", "Полки появятся в июле, после согласования места на променаде"),
        ("640", "С начала года; за те же месяцы прошлого года — 410"),
    ),
    spending=("=", "=", "=", "45920", "75600", "=", "=", "7250", "282220/53280/0", "0",
              "114900", "0", "46500", "0", "0", "23400", "=", "12400"),
)
ROUTES_INTERIM_ACCEPTED = (
    "Отчёт принят: расходы подтверждены документами, показатели соответствуют плану первого "
    "периода. Второй транш будет перечислен в течение десяти рабочих дней."
)
ROUTES_FINAL = DemoReport(
    narrative=(
        "Проект выполнен. Три литературных маршрута — «Старый Раушен в литературе», "
        "«Писатели на отдыхе: советский курорт» и «Светлогорск в современной прозе и "
        "поэзии» — работают с июня: 24 знака с QR-кодами ведут к 36 трекам аудиогида, "
        "которые за сезон прослушали 13 420 раз. С 15 июня по 30 сентября библиотекари и 12 "
        "волонтёров-экскурсоводов провели 32 экскурсии для 642 человек, в том числе для "
        "отдыхающих трёх санаториев.\n\n"
        "Три «книжные остановки» открылись в июле, когда согласовали места на променаде; за "
        "сезон с них взяли 1 380 книг — меньше цели, потому что полки проработали на месяц "
        "меньше задуманного. 148 книг писателей — героев маршрутов пополнили полки и "
        "выставку, второй тираж карты-путеводителя напечатан в августе. Выставку «Писатели на "
        "отдыхе», открытую с октября, посетили 1 120 человек; конференция краеведов прошла в "
        "конце октября. Выдача краеведческой литературы за год — 1 465 экземпляров против 900 "
        "в прошлом году.\n\n"
        "Экономия на аренде студии, 10 800 ₽, покрыла подорожание знаков. Неизрасходованный "
        "остаток субсидии, 9 180 ₽, библиотека вернёт в бюджет округа. Маршруты и аудиогид "
        "остаются в работе: в следующем сезоне экскурсии поведут волонтёры."
    ),
    results=(
        ("13420", "Статистика сайта и онлайн-карт за сезон"),
        ("642", "32 экскурсии с июня по сентябрь"),
        ("1380", "Ниже цели: «книжные остановки» открылись в июле, а не в июне"),
        ("1465", "За год; в прошлом году — 900"),
    ),
    spending=("=", "=", "=", "=", "75600", "=", "=", "=", "312720/53280/0", "136800",
              "114900", "94720", "=", "61500", "20350", "=", "=", "17900"),
    justifications=((5, "Запись заняла 21 час вместо 24: актёры театра отрепетировали тексты "
                        "заранее, повторные дубли почти не понадобились. Сэкономленные "
                        "10 800 ₽ направлены на информационные знаки (строка 9), которые "
                        "подорожали у поставщика с 14 800 до 15 250 ₽ за знак."),),
)
ROUTES_FINAL_RETURNED = (
    "Исправьте, пожалуйста, акт сдачи-приёмки работ по выставке «Писатели на отдыхе» "
    "(строка 14): в акте указано 63 500 ₽, а в отчёте и в платёжном поручении — 61 500 ₽. "
    "Приложите к отчёту исправленный акт, подписанный подрядчиком, и отправьте отчёт "
    "повторно. По остальным разделам замечаний нет."
)

# «Радуга-Лаб» (library3): its interim report came in late and waits for finance.
ROBOTICS_INTERIM = DemoReport(
    narrative=(
        "Мастерская «Радуга-Лаб» открылась 5 мая. В марте и апреле закуплены наборы по "
        "робототехнике для младших и старших групп, лицензии среды программирования и шкафы "
        "для хранения наборов; столы и стулья библиотека купила за свой счёт. Два "
        "библиотекаря прошли курсы «Образовательная робототехника в библиотеке» и ведут "
        "занятия вместе с педагогом Центра детского творчества.\n\n"
        "С мая по июль три группы по 16 детей прошли модуль «Первые роботы» — 48 занятий; "
        "треть мест отдана детям из многодетных и малообеспеченных семей. На «Читательских "
        "лабораториях» дети читают научно-популярные книги из фонда библиотеки и собирают "
        "модели по их сюжетам: выдача научно-популярной литературы детям выросла на треть.\n\n"
        "Наборы для младших групп подорожали (39 800 ₽ вместо 38 900 ₽), перерасход в "
        "пределах допустимого отклонения. Из шести ноутбуков пока куплены два; остальные, "
        "3D-принтер, пластик, графические планшеты и новые книги закупаются после второго "
        "транша, до тех пор занятия идут на компьютерах читального зала.\n\n"
        "Отчёт представлен позже срока: главный бухгалтер библиотеки летом долго болела, и "
        "документы о расходах удалось собрать только сейчас. Приносим извинения."
    ),
    results=(
        ("48", "Три группы закончили модуль «Первые роботы»"),
        ("48", "По 16 занятий в трёх группах; 20 из них вёл педагог Центра детского "
               "творчества"),
        ("1520", "С начала года; за те же месяцы прошлого года — 1 130"),
        ("0", "Фестиваль «Робо-Радуга» пройдёт в конце ноября"),
    ),
    spending=("238800", "0", "=", "105980", "=", "0", "0", "0", "=", "=", "36400", "0", "=",
              "44000", "34440", "0", "0", "0", "=", "12300"),
)

# «Один билет — три библиотеки» (library1): the advance is not paid; the interim report is
# overdue, a draft begun.
CATALOGUE_INTERIM_DRAFT = DemoReport(
    narrative=(
        "Черновик, дополняется.\n\n"
        "Аванс по соглашению пока не поступил, поэтому работы первого периода ЦБС ведёт за "
        "счёт собственных средств: оплачена доля библиотеки в годовой лицензии облачной АБИС, "
        "сотрудники филиалов с апреля вводят в каталог фонды Приморья и Донского (около 5 200 "
        "записей), первый этап ретроконверсии сторонней организацией оплачен из средств "
        "библиотеки. Перенос 28 000 записей из старой программы и закупка RFID-меток, станции "
        "самообслуживания и принтера карт начнутся, когда поступит аванс."
    ),
    spending=("0/46500/0", "-", "0/29000/0", "57400", "-", "-", "-", "-", "-", "-", "-", "-",
              "-", "-", "-", "-", "-"),
)


CHAIR = "chair@vektor.demo"
REVIEWERS = ("reviewer1@vektor.demo", "reviewer2@vektor.demo", "reviewer3@vektor.demo")
REVIEWER_LIMIT = 4  # assignments per reviewer in a call of the past


def _fill_application(session: Session, call: Call, author: User,
                      demo: DemoApplication) -> Application:
    """Fill in an application as its author would, section by section, through the same
    services as the form, and check that it reports the problems `demo` expects."""
    year = call.implementation_start.year

    def day(value: Day) -> date:
        return date(year, *value)

    app = start_application(session, call, actor=author)
    sections: dict[str, dict[str, Any]] = {
        "general": {"title": demo.title, "direction": demo.direction,
                    "start_date": day(demo.start), "end_date": day(demo.end),
                    "summary": demo.summary},
        "problem": {"problem": demo.problem},
        "goals": {"goals": demo.goals, "tasks": demo.tasks},
        "target_groups": {"target_groups": demo.target_groups},
    }
    for section, data in sections.items():
        if any(data.values()):
            save_fields(session, app, section, data, expected_version=app.version,
                        actor=author)
    lists: dict[str, list[dict[str, Any]]] = {
        "activities": [
            {"title": title, "description": description, "start_date": day(start),
             "end_date": day(end)}
            for title, description, start, end in demo.activities
        ],
        "partners": [
            {"name": name, "role": role, "contribution": contribution}
            for name, role, contribution in demo.partners
        ],
        "results": [
            {"name": name, "unit": unit,
             "baseline": Decimal(baseline) if baseline is not None else None,
             "target": Decimal(target)}
            for name, unit, baseline, target in demo.indicators
        ],
        "budget": [line.row() for line in demo.budget],
    }
    for section, rows in lists.items():
        if rows:
            save_rows(session, app, section, rows, expected_version=app.version, actor=author)

    issues = [issue.anchor for issue in check_application(app)]
    if issues != list(demo.expected_issues):
        raise RuntimeError(f"Demo application {demo.title!r}: the check reports {issues}, "
                           f"expected {list(demo.expected_issues)}")
    return app


def _seed_open_call(session: Session, users: dict[str, User], now: datetime) -> Call:
    chair = users[CHAIR]
    call = create_call(session, _open_call_data(now), actor=chair)
    publish_call(session, call, actor=chair, now=call.opens_at)
    for demo in DEMO_APPLICATIONS:
        author = users[demo.author]
        app = _fill_application(session, call, author, demo)
        if demo.submit:
            submit_application(session, app, actor=author)
    return call


# What the services stamp from the real clock rather than from the `now` they are given
# (or may, when not given one: payments).
CLOCK_STAMPS: tuple[tuple[type[Any], str], ...] = (
    (Call, "created_at"), (Application, "created_at"), (Application, "updated_at"),
    (CallReviewer, "added_at"), (Assignment, "created_at"), (AuditEvent, "occurred_at"),
    (OutboxMessage, "created_at"), (AdministrationDetails, "updated_at"),
    (Agreement, "created_at"), (Payment, "recorded_at"), (Report, "updated_at"),
)


@contextmanager
def _at(session: Session, moment: datetime) -> Iterator[None]:
    """One step of a past call's story, which happened at `moment`: the step passes it to
    the services as `now` where they take one, and what they stamp from the real clock
    during the step (creation times, audit rows, e-mails) is set to it afterwards."""
    started = utcnow()
    yield
    session.flush()
    for model, name in CLOCK_STAMPS:
        session.execute(
            update(model).where(getattr(model, name) >= started).values({name: moment}),
            execution_options={"synchronize_session": "fetch"},
        )


def _review(session: Session, app: Application, position: int, demo: DemoReview,
            now: datetime) -> None:
    """The application's `position`-th reviewer scores it (or hands it back) as `demo`
    says."""
    assignment = session.scalars(
        select(Assignment).where(Assignment.application_id == app.id).order_by(Assignment.id)
    ).all()[position]
    reviewer = assignment.reviewer
    if demo.conflict:
        declare_conflict(session, assignment, actor=reviewer, reason=demo.conflict, now=now)
        return
    comments = dict(demo.comments)
    scores = {
        criterion.id: (int(mark), comments.get(criterion.position)
                       or standard_comment(criterion.position, int(mark)))
        for criterion, mark in zip(app.call.criteria, demo.scores.split(), strict=True)
        if mark != "-"
    }
    save_review(session, assignment, {
        "scores": scores, "overall_comment": demo.overall,
        "recommendation": demo.recommendation,
        "recommended_amount": Decimal(demo.amount) if demo.amount else None,
    }, actor=reviewer, now=now)
    if demo.submit:
        submit_review(session, assignment, actor=reviewer, now=now)


def _seed_past_call(session: Session, users: dict[str, User], demo: DemoCall,
                    now: datetime) -> Call:
    """Take a call of the past through its story with the services, each step at its own
    moment (see _at), those moments consistent with one another and all before `now`:

    1. the call is created three days before its opening and published at it; each
       application is started and filled in early, and submitted in the last days before
       the closing, at moments `submit_application` is given;
    2. the one data fix-up: the services let an applicant start and edit an application
       only while the call is open by the real clock, so the call is created with its real
       opening but a closing an hour after `now`, and once its applications are submitted
       its closing is put back to the story's. Apart from the clock's stamps (see _at),
       nothing else the services wrote is changed;
    3. the chair screens the applications the morning after the closing, then chooses the
       reviewers and runs the automatic assignment; the reviewers score over the next days;
    4. when the committee has decided: the decisions, and their finalisation a day later."""
    zone = ZoneInfo(DEMO_TIMEZONE)
    today = now.astimezone(zone).date()
    closing_day = today - timedelta(days=demo.closed_days_ago)
    if demo.finance:
        closing_day = _finance_closing(closing_day, demo.open_days, today)
    closes = datetime.combine(closing_day, time(18), tzinfo=zone)
    opens = datetime.combine(closes.date() - timedelta(days=demo.open_days), time(9),
                             tzinfo=zone)
    data = _call_data(demo.title, demo.description, demo.directions, opens.year + 1,
                      opens=opens, closes=closes, fund=demo.fund, max_grant=demo.max_grant,
                      cofinancing=demo.cofinancing)
    if demo.finance:
        data["reporting_dates"] = _finance_reporting_dates(opens.year + 1, today)
    chair = users[CHAIR]
    with _at(session, opens - timedelta(days=3)):
        call = create_call(session, {**data, "closes_at": now + timedelta(hours=1)},
                           actor=chair)
    with _at(session, opens):
        publish_call(session, call, actor=chair, now=opens)
    apps = []
    for n, spec in enumerate(demo.applications):
        author = users[spec.author]
        with _at(session, opens + timedelta(days=2 + 3 * n, hours=2)):
            app = _fill_application(session, call, author, spec)
        submitted = closes - timedelta(days=len(demo.applications) - n, hours=5)
        with _at(session, submitted):
            submit_application(session, app, actor=author, now=submitted)
        apps.append(app)
    call.closes_at = closes  # the data fix-up (2. above)
    session.flush()

    stories = list(zip(apps, demo.applications, strict=True))
    screened = closes + timedelta(hours=17)
    with _at(session, screened):
        for app, spec in stories:
            screen_application(session, app, not spec.not_admitted, spec.not_admitted,
                               actor=chair, now=screened)
    assigned = screened + timedelta(hours=23)
    with _at(session, assigned):
        set_call_reviewers(session, call, [users[email].id for email in REVIEWERS],
                           REVIEWER_LIMIT, actor=chair)
        if auto_assign(session, call, actor=chair).shortfalls:
            raise RuntimeError(f"Demo call {call.title!r}: an application lacks reviewers")
    reviews = [(app, n, review) for app, spec in stories
               for n, review in enumerate(spec.reviews)]
    for k, (app, n, review) in enumerate(reviews):  # spread evenly, to the minute
        moment = assigned + timedelta(hours=4, minutes=demo.review_days * 24 * 60 * k
                                      // len(reviews))
        with _at(session, moment):
            _review(session, app, n, review, moment)

    if demo.decided_after_days is None:
        return call
    decided = closes + timedelta(days=demo.decided_after_days, hours=-3)
    with _at(session, decided):
        for app, spec in stories:
            if spec.decision is None:
                continue
            amount = spec.decision.amount
            if amount is None and spec.decision.outcome == DecisionOutcome.FUNDED:
                amount = str(summarise_budget(app.budget_lines).requested)
            decide(session, app, spec.decision.outcome,
                   approved_amount=Decimal(amount) if amount else None,
                   reason=spec.decision.reason, actor=chair, now=decided)
    finalised = decided + timedelta(days=1)
    with _at(session, finalised):
        finalise_decisions(session, call, actor=chair, now=finalised)
    return call


def _year_before(day: date) -> date:
    return day.replace(year=day.year - 1, day=min(day.day, 28) if day.month == 2 else day.day)


def _finance_closing(closing_day: date, open_days: int, today: date) -> date:
    """The closing day of the call whose projects the demo takes through agreements,
    payments and reports: `closing_day`, or a year earlier when its projects (which run the
    year after it opened) would not have held their last events by `today`
    (FINAL_EVENTS_HELD): seeded before mid-November, the round that went all the way is
    the one before."""
    year = (closing_day - timedelta(days=open_days)).year + 1
    if today < date(year, *FINAL_EVENTS_HELD):
        closing_day = _year_before(closing_day)
    return closing_day


def _finance_reporting_dates(year: int, today: date) -> list[str]:
    """The reporting dates of that call: the interim report on 15 July of the implementation
    year and the final one on 15 December or, when the seeding is on or after that day, on
    the 15th of the next month, so that the final reports not yet written are not
    overdue."""
    final = date(year, 12, 15)
    if final <= today:
        final = (today.replace(day=1) + timedelta(days=32)).replace(day=15)
    return [date(year, 7, 15).isoformat(), final.isoformat()]


def _weekday(day: date, *, back: bool = False) -> date:
    """`day`, or the nearest working day after it (before it, `back`)."""
    step = timedelta(days=-1 if back else 1)
    while day.weekday() >= 5:
        day += step
    return day


def _spending_rows(app: Application, demo: DemoReport) -> list[dict[str, Any]]:
    """`demo.spending` as the rows save_spending takes (see DemoReport)."""
    justifications = dict(demo.justifications)
    rows = []
    for number, (line, spent) in enumerate(
        zip(app.budget_lines, demo.spending, strict=True), start=1
    ):
        if spent == "-":
            continue
        plan = (line.requested_amount, line.own_amount, line.partner_amount)
        if spent == "=":
            amounts = plan
        elif "/" in spent:
            requested, own, partner = (Decimal(part) for part in spent.split("/"))
            amounts = (requested, own, partner)
        else:
            total, planned = Decimal(spent), sum(plan)
            own, partner = (to_kopecks(total * part / planned) for part in plan[1:])
            amounts = (total - own - partner, own, partner)
        rows.append({"budget_line_id": line.id, "requested_amount": amounts[0],
                     "own_amount": amounts[1], "partner_amount": amounts[2],
                     "justification": justifications.get(number, "")})
    return rows


def _write_report(session: Session, report: Report, author: User, demo: DemoReport) -> None:
    """The library fills in `report` as `demo` says, section by section, as the report's
    page saves it."""
    app = report.agreement.application
    save_narrative(session, report, demo.narrative, expected_version=report.version,
                   actor=author)
    if demo.results:
        results = [
            {"indicator_id": indicator.id, "achieved": Decimal(achieved), "comment": comment}
            for indicator, (achieved, comment) in zip(app.indicators, demo.results, strict=True)
        ]
        save_indicator_results(session, report, results, expected_version=report.version,
                               actor=author)
    if demo.spending:
        save_spending(session, report, _spending_rows(app, demo),
                      expected_version=report.version, actor=author)


def _seed_finance(session: Session, users: dict[str, User], call: Call, now: datetime) -> None:
    """Take the funded projects of `call` on from the committee's decisions with the
    services, each step at its own moment (see _at), by the call's calendar and all before
    `now` (the call's dates see to it: _finance_closing, _finance_reporting_dates):

    1. a week after the decisions were final (not before 19 January of the implementation
       year) finance fills in the administration's details and prepares the three
       agreements with the default schedule and a report per reporting date, giving
       «Литературный Светлогорск» a 70 % advance (its purchases come before the summer
       season); the libraries sign over the next week, and finance marks each signed;
    2. the advances of «Радуга-Лаб» and «Литературный Светлогорск» are paid in the first
       days of March; that of «Один билет — три библиотеки» is not paid yet (overdue);
    3. «Литературный Светлогорск» submits its interim report two days before it is due;
       finance accepts it a week later, which releases the second tranche, paid a week
       after that. Its final report goes in five days before the seeding (2 December at
       the latest), and finance returns it two days later for a corrected act;
    4. «Радуга-Лаб» submits its interim report late, eight days before the seeding: it
       waits for finance;
    5. the ЦБС began its interim report twelve days before the seeding: a draft, overdue.

    The final reports of the other two are drafts not due yet. The services are given each
    step's moment where they take one (`now`; `today` when preparing an agreement, the
    payment date); what they stamp from the clock (the details' and agreements' creation,
    the reports' last change, audit rows, e-mails) is set to it by _at (CLOCK_STAMPS).
    Nothing else they wrote is changed."""
    zone = ZoneInfo(call.timezone)
    today = now.astimezone(zone).date()
    year = call.implementation_start.year
    finance = users[FINANCE]

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, time(hour, minute), tzinfo=zone)

    apps = {app.title: app for app in session.scalars(
        select(Application).where(Application.call_id == call.id))}
    robotics, routes, catalogue = (apps[spec.title] for spec in (ROBOTICS_LAB, LITERARY_ROUTES,
                                                                 UNIFIED_CATALOGUE))
    assert call.decisions_finalised_at is not None
    finalised = call.decisions_finalised_at.astimezone(zone).date()
    prepared = _weekday(max(finalised + timedelta(days=7), date(year, 1, 19)))
    with _at(session, at(prepared, 9, 30)):
        update_administration_details(session, _administration_data(), actor=finance)
    agreements: dict[int, Agreement] = {}
    for n, app in enumerate((robotics, routes, catalogue)):
        with _at(session, at(prepared, 10, 15 * n)):
            agreements[app.id] = prepare_agreement(session, app, actor=finance, today=prepared)
    with _at(session, at(prepared, 11)):
        agreement = agreements[routes.id]
        advance, rest = agreement.tranches
        first = (agreement.amount * Decimal("0.7")).quantize(Decimal("0.01"))
        set_schedule(session, agreement, [
            (advance.due_date, first, TrancheCondition.ON_SIGNING),
            (rest.due_date, agreement.amount - first, TrancheCondition.AFTER_INTERIM_REPORT),
        ], actor=finance)
    signed = {}
    for n, app in enumerate((robotics, routes, catalogue)):
        signed[app.id] = _weekday(prepared + timedelta(days=7 + n))
        moment = at(signed[app.id], 15)
        with _at(session, moment):
            sign_agreement(session, agreements[app.id], actor=finance, now=moment)

    def pay(app: Application, number: int, day: date, order: str) -> None:
        tranche = agreements[app.id].tranches[number - 1]
        moment = at(day, 16)
        with _at(session, moment):
            record_payment(session, tranche, paid_on=day, amount=tranche.amount,
                           order_number=order, actor=finance, now=moment)

    for app, order in ((robotics, "214"), (routes, "215")):
        pay(app, 1, _weekday(max(signed[app.id] + timedelta(days=6), date(year, 3, 2))), order)

    interim, final = agreements[routes.id].reports
    library2 = users[LITERARY_ROUTES.author]
    submitted = _weekday(interim.due_date - timedelta(days=2), back=True)
    with _at(session, at(submitted - timedelta(days=3), 11)):
        _write_report(session, interim, library2, ROUTES_INTERIM)
    with _at(session, at(submitted, 16)):
        submit_report(session, interim, actor=library2, now=at(submitted, 16))
    accepted = _weekday(submitted + timedelta(days=8))
    with _at(session, at(accepted, 11)):
        accept_report(session, interim, actor=finance, comment=ROUTES_INTERIM_ACCEPTED,
                      now=at(accepted, 11))
    pay(routes, 2, _weekday(accepted + timedelta(days=7)), "1187")
    submitted = _weekday(min(date(year, 12, 2), today - timedelta(days=5)), back=True)
    with _at(session, at(submitted - timedelta(days=1), 17)):
        _write_report(session, final, library2, ROUTES_FINAL)
    with _at(session, at(submitted, 12)):
        submit_report(session, final, actor=library2, now=at(submitted, 12))
    returned = _weekday(submitted + timedelta(days=2))
    with _at(session, at(returned, 11, 30)):
        return_report(session, final, actor=finance, comment=ROUTES_FINAL_RETURNED,
                      now=at(returned, 11, 30))

    interim = agreements[robotics.id].reports[0]
    library3 = users[ROBOTICS_LAB.author]
    submitted = _weekday(today - timedelta(days=8), back=True)
    with _at(session, at(submitted - timedelta(days=2), 15)):
        _write_report(session, interim, library3, ROBOTICS_INTERIM)
    with _at(session, at(submitted, 10)):
        submit_report(session, interim, actor=library3, now=at(submitted, 10))

    interim = agreements[catalogue.id].reports[0]
    with _at(session, at(_weekday(today - timedelta(days=12), back=True), 14)):
        _write_report(session, interim, users[UNIFIED_CATALOGUE.author],
                      CATALOGUE_INTERIM_DRAFT)


def seed_demo(session: Session) -> bool:
    """Create the demo organisations, accounts and calls (of the past, then the open one)
    with their applications, and the agreements, payments and reports of the closed call,
    unless they exist; True when created. Running it again changes nothing."""
    if session.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[0].email)):
        return False
    orgs: dict[str, Organisation] = {}
    for key, data in _organisation_data().items():
        parent = orgs["cbs"] if key.startswith("cbs_branch") else None
        orgs[key] = create_organisation(session, data, actor=None, approved=True, parent=parent)
    users: dict[str, User] = {}
    for account in DEMO_ACCOUNTS:
        users[account.email] = create_user(
            session,
            email=account.email,
            full_name=account.full_name,
            password=DEMO_PASSWORD,
            roles=account.roles,
            organisation=orgs.get(account.organisation_key or ""),
            actor=None,
        )
    session.flush()
    now = utcnow()
    # The open call last, so that its applications come first on the applicants' pages.
    for demo in PAST_CALLS:
        call = _seed_past_call(session, users, demo, now)
        if demo.finance:
            _seed_finance(session, users, call, now)
    _seed_open_call(session, users, now)
    session.flush()
    return True
