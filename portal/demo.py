"""The demo municipality that `make run` and `flask portal seed-demo` create: three
libraries (one a library system with two branches) and an account for every role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.models import Organisation, Role, User
from portal.services.accounts import create_user
from portal.services.organisations import create_organisation

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


def seed_demo(session: Session) -> bool:
    """Create the demo organisations and accounts unless they exist; True when created.
    Running it again changes nothing."""
    if session.scalar(select(User.id).where(User.email == DEMO_ACCOUNTS[0].email)):
        return False
    orgs: dict[str, Organisation] = {}
    for key, data in _organisation_data().items():
        parent = orgs["cbs"] if key.startswith("cbs_branch") else None
        orgs[key] = create_organisation(session, data, actor=None, approved=True, parent=parent)
    for account in DEMO_ACCOUNTS:
        create_user(
            session,
            email=account.email,
            full_name=account.full_name,
            password=DEMO_PASSWORD,
            roles=account.roles,
            organisation=orgs.get(account.organisation_key or ""),
            actor=None,
        )
    session.flush()
    return True
