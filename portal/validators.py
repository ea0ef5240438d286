"""Russian registration and bank numbers: INN, KPP, OGRN, BIK, settlement and
correspondent accounts, with their check digits. Each check raises InvalidNumber with a
message that says what is wrong."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l


class InvalidNumber(ValueError):
    """The number is malformed or its check digit is wrong; str() says which."""


_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_ACCOUNT_WEIGHTS = ((7, 1, 3) * 8)[:23]  # 23 digits: three from the BIK, twenty of the account
_KPP_RE = re.compile(r"^\d{4}[\dA-Z]{2}\d{3}$")


def _digits(value: str, length: int, what: str) -> str:
    value = (value or "").strip()
    if not value.isdigit() or not value.isascii():
        raise InvalidNumber(_l("%(what)s must consist of digits only.", what=what))
    if len(value) != length:
        raise InvalidNumber(
            _l(
                "%(what)s must have %(n)d digits; this one has %(m)d.",
                what=what,
                n=length,
                m=len(value),
            )
        )
    return value


def check_inn(value: str) -> str:
    """An organisation's INN: ten digits, the last a check digit."""
    inn = _digits(value, 10, _l("The INN"))
    control = sum(int(d) * w for d, w in zip(inn, _INN10_WEIGHTS, strict=False)) % 11 % 10
    if control != int(inn[9]):
        raise InvalidNumber(
            _l("The INN's check digit does not match: check it for a typing error.")
        )
    return inn


def check_kpp(value: str) -> str:
    """KPP: nine characters, the fifth and sixth may be capital Latin letters."""
    kpp = (value or "").strip().upper()
    if not _KPP_RE.match(kpp):
        raise InvalidNumber(
            _l("The KPP must have 9 characters: four digits, two digits or letters, three digits.")
        )
    return kpp


def check_ogrn(value: str) -> str:
    """OGRN of a legal entity: thirteen digits, the last the remainder of the first twelve
    divided by 11 (its last digit)."""
    ogrn = _digits(value, 13, _l("The OGRN"))
    if ogrn[0] not in "15":
        raise InvalidNumber(_l("An organisation's OGRN starts with 1 or 5."))
    if int(ogrn[:12]) % 11 % 10 != int(ogrn[12]):
        raise InvalidNumber(
            _l("The OGRN's check digit does not match: check it for a typing error.")
        )
    return ogrn


def check_bik(value: str) -> str:
    """BIK: nine digits, starting with 0 (Russian banks and treasury offices)."""
    bik = _digits(value, 9, _l("The BIK"))
    if bik[0] != "0":
        raise InvalidNumber(_l("A Russian BIK starts with 0."))
    return bik


def _account_checksum_ok(key: str, account: str) -> bool:
    digits = key + account
    return sum(int(d) * w % 10 for d, w in zip(digits, _ACCOUNT_WEIGHTS, strict=True)) % 10 == 0


def _is_central_bank_office(bik: str) -> bool:
    return bik[6:9] in ("000", "001", "002")


def check_settlement_account(value: str, bik: str) -> str:
    """Settlement (or treasury) account: twenty digits whose check digit is computed
    together with the BIK."""
    account = _digits(value, 20, _l("The settlement account"))
    if _is_central_bank_office(bik):
        key = "0" + bik[4:6]
    else:
        key = bik[6:9]
    if not _account_checksum_ok(key, account):
        raise InvalidNumber(
            _l(
                "The settlement account does not match the BIK %(bik)s: check both for a "
                "typing error.",
                bik=bik,
            )
        )
    return account


def check_correspondent_account(value: str, bik: str) -> str:
    """Correspondent account: twenty digits, checked together with digits 5-6 of the BIK."""
    account = _digits(value, 20, _l("The correspondent account"))
    if not (account.startswith("301") or account.startswith("40102")):
        raise InvalidNumber(
            _l("A correspondent account starts with 301 (or 40102 for a treasury account).")
        )
    if not _account_checksum_ok("0" + bik[4:6], account):
        raise InvalidNumber(
            _l(
                "The correspondent account does not match the BIK %(bik)s: check both for a "
                "typing error.",
                bik=bik,
            )
        )
    return account
