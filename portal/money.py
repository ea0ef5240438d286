"""Money: Decimal arithmetic to the kopeck, the budget's totals and shares, parsing what
people type, and the one way amounts are written (`1 234 567,89 ₽`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from typing import Protocol

from babel import Locale
from babel.numbers import (
    NumberPattern,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    parse_pattern,
)

from portal.models.calls import BudgetCategory

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


def to_kopecks(amount: Decimal) -> Decimal:
    """Round half up to whole kopecks, as Russian accounting does."""
    return amount.quantize(KOPECK, rounding=ROUND_HALF_UP)


def line_total(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return to_kopecks(quantity * unit_price)


def percent_of(part: Decimal, whole: Decimal) -> Decimal:
    """`part` as a percentage of `whole`, to two places (0 when the whole is 0)."""
    if not whole:
        return Decimal("0.00")
    return (part * HUNDRED / whole).quantize(KOPECK, rounding=ROUND_HALF_UP)


class LineLike(Protocol):
    category: BudgetCategory
    quantity: Decimal
    unit_price: Decimal
    requested_amount: Decimal
    own_amount: Decimal
    partner_amount: Decimal


@dataclass
class Sources:
    """An amount split by where the money comes from."""

    requested: Decimal = ZERO
    own: Decimal = ZERO
    partner: Decimal = ZERO
    total: Decimal = ZERO

    def add(self, total: Decimal, requested: Decimal, own: Decimal, partner: Decimal) -> None:
        self.total += total
        self.requested += requested
        self.own += own
        self.partner += partner

    @property
    def cofinancing(self) -> Decimal:
        return self.own + self.partner


@dataclass
class BudgetSummary:
    """Everything the portal derives from the budget lines."""

    line_totals: list[Decimal] = field(default_factory=list)
    by_category: dict[BudgetCategory, Sources] = field(default_factory=dict)
    overall: Sources = field(default_factory=Sources)

    @property
    def total(self) -> Decimal:
        return self.overall.total

    @property
    def requested(self) -> Decimal:
        return self.overall.requested

    @property
    def cofinancing_percent(self) -> Decimal:
        """Own plus partner money as a share of the project's total, in percent."""
        return percent_of(self.overall.cofinancing, self.overall.total)

    def meets_cofinancing(self, minimum_percent: Decimal) -> bool:
        """Exact comparison, without the rounding of the displayed share."""
        return self.overall.cofinancing * HUNDRED >= minimum_percent * self.overall.total


def summarise_budget(lines: Iterable[LineLike]) -> BudgetSummary:
    summary = BudgetSummary()
    for category in BudgetCategory:
        summary.by_category[category] = Sources()
    for line in lines:
        total = line_total(line.quantity, line.unit_price)
        summary.line_totals.append(total)
        args = (total, line.requested_amount, line.own_amount, line.partner_amount)
        summary.by_category[line.category].add(*args)
        summary.overall.add(*args)
    summary.by_category = {c: s for c, s in summary.by_category.items() if s.total or s.requested}
    return summary


def sources_add_up(line: LineLike) -> bool:
    return (
        line.requested_amount + line.own_amount + line.partner_amount
        == line_total(line.quantity, line.unit_price)
    )


_SPACES = re.compile(r"[\s\u00a0\u202f']")


def parse_decimal(text: str, places: int) -> Decimal:
    """Read a number as people type it: `1 234,56`, `1234.56`, `1 234`. Raises ValueError
    for anything else, for more than `places` decimals, and for negative numbers."""
    cleaned = _SPACES.sub("", (text or "").strip())
    # `1,234.56` (English grouping) or `1234,56` (Russian decimal comma).
    cleaned = cleaned.replace(",", "") if "." in cleaned else cleaned.replace(",", ".")
    if cleaned.endswith("₽"):
        cleaned = cleaned[:-1]
    if not re.fullmatch(r"\d{1,15}(\.\d+)?", cleaned):
        raise ValueError(text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only numbers
        raise ValueError(text) from exc
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(text)
    return value.quantize(Decimal(1).scaleb(-places))


@dataclass(frozen=True)
class _Grouped:
    """A pattern of plain groups of three (`#,##0.00`, `#,##0.##`) in one locale, which
    Python's own formatting of a Decimal gives exactly: the fraction's least and most
    digits and the locale's symbols."""

    minimum: int
    maximum: int
    group: str
    decimal: str
    minus: str

    def apply(self, value: Decimal) -> str:
        # Rounded as Babel rounds (half to even), then grouped by Python: no float anywhere.
        rounded = value.quantize(Decimal(1).scaleb(-self.maximum), rounding=ROUND_HALF_EVEN)
        whole, _point, fraction = f"{rounded:,f}".partition(".")
        fraction = fraction.rstrip("0").ljust(self.minimum, "0")
        text = whole.replace(",", self.group)
        if fraction:
            text = f"{text}{self.decimal}{fraction}"
        return text.replace("-", self.minus, 1) if self.minus != "-" else text


@lru_cache(maxsize=32)
def _number_format(pattern: str, locale: str) -> tuple[NumberPattern, Locale, _Grouped | None]:
    """Babel's parsed pattern and locale, kept: parsing them is most of what formatting one
    number costs, and a budget PDF formats hundreds; and, for the patterns of plain groups
    of three that pages use, the same formatting done by Python's `format`, some times
    faster (a ranking page formats hundreds of amounts)."""
    parsed, loaded = parse_pattern(pattern), Locale.parse(locale)
    plain = (parsed.prefix == ("", "-") and parsed.suffix == ("", "")
             and parsed.grouping == (3, 3) and parsed.int_prec[0] == 1
             and parsed.exp_prec is None and not parsed.scale)
    grouped = _Grouped(
        minimum=parsed.frac_prec[0], maximum=parsed.frac_prec[1],
        group=get_group_symbol(loaded), decimal=get_decimal_symbol(loaded),
        minus=get_minus_sign_symbol(loaded),
    ) if plain else None
    return parsed, loaded, grouped


def format_decimal(value: Decimal, *, format: str, locale: str) -> str:  # noqa: A002
    """babel.numbers.format_decimal with the pattern and locale parsed once (and, for plain
    groups of three, the same result computed without Babel's general machinery)."""
    pattern, parsed, grouped = _number_format(format, locale)
    if grouped is not None and isinstance(value, Decimal | int) and not isinstance(value, bool):
        try:
            return grouped.apply(Decimal(value))
        except InvalidOperation:  # beyond the context's 28 digits: Babel copes
            pass
    return pattern.apply(value, parsed)


def format_money(amount: Decimal | None, locale: str = "ru") -> str:
    """`1 234 567,89 ₽` in Russian (narrow spaces between groups), `1,234,567.89 ₽` in
    English. The one formatter for pages, e-mails and PDFs."""
    if amount is None:
        return "—"
    text = format_decimal(amount, format="#,##0.00", locale=locale)
    return f"{text}\u00a0₽"


def format_percent(value: Decimal | None, locale: str = "ru") -> str:
    if value is None:
        return "—"
    text = format_decimal(value, format="#,##0.##", locale=locale)
    return f"{text}\u00a0%"


def format_number(value: Decimal | None, locale: str = "ru") -> str:
    if value is None:
        return "—"
    return format_decimal(value, format="#,##0.###", locale=locale)


# --- the amount in words (сумма прописью), for agreements ---------------------------------

_RU_UNITS = {
    "masculine": ("", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь",
                  "девять"),
    "feminine": ("", "одна", "две", "три", "четыре", "пять", "шесть", "семь", "восемь",
                 "девять"),
}
_RU_TEENS = ("десять", "одиннадцать", "двенадцать", "тринадцать", "четырнадцать",
             "пятнадцать", "шестнадцать", "семнадцать", "восемнадцать", "девятнадцать")
_RU_TENS = ("", "", "двадцать", "тридцать", "сорок", "пятьдесят", "шестьдесят", "семьдесят",
            "восемьдесят", "девяносто")
_RU_HUNDREDS = ("", "сто", "двести", "триста", "четыреста", "пятьсот", "шестьсот", "семьсот",
                "восемьсот", "девятьсот")
# Groups of three digits from the thousands up: the forms for 1, 2-4 and 5+, and the gender.
_RU_SCALES = (
    (("тысяча", "тысячи", "тысяч"), "feminine"),
    (("миллион", "миллиона", "миллионов"), "masculine"),
    (("миллиард", "миллиарда", "миллиардов"), "masculine"),
    (("триллион", "триллиона", "триллионов"), "masculine"),
    (("квадриллион", "квадриллиона", "квадриллионов"), "masculine"),
)
_RU_ROUBLES = ("рубль", "рубля", "рублей")
_RU_KOPECKS = ("копейка", "копейки", "копеек")

_EN_UNITS = ("", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
             "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen",
             "seventeen", "eighteen", "nineteen")
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty",
            "ninety")
_EN_SCALES = ("thousand", "million", "billion", "trillion", "quadrillion")

# Roubles below a thousand quadrillions (10^18) have words; nothing the portal holds comes near.
_WORDS_LIMIT = Decimal(10) ** 18


def russian_plural(number: int, forms: tuple[str, str, str]) -> str:
    """The form of a Russian noun after `number`: `forms` are those for 1 (рубль), for
    2-4 (рубля) and for 5 and more (рублей); 11-14 take the last, 21 the first."""
    if 11 <= number % 100 <= 14:
        return forms[2]
    if number % 10 == 1:
        return forms[0]
    if 2 <= number % 10 <= 4:
        return forms[1]
    return forms[2]


def _groups(number: int) -> list[int]:
    """`number` in groups of three digits, the lowest first: 1 234 567 -> [567, 234, 1]."""
    groups = []
    while number:
        number, group = divmod(number, 1000)
        groups.append(group)
    return groups


def _ru_group(group: int, gender: str) -> list[str]:
    hundreds, rest = divmod(group, 100)
    words = [_RU_HUNDREDS[hundreds]]
    if 10 <= rest <= 19:
        words.append(_RU_TEENS[rest - 10])
    else:
        tens, units = divmod(rest, 10)
        words += [_RU_TENS[tens], _RU_UNITS[gender][units]]
    return [w for w in words if w]


def _ru_number(number: int, gender: str) -> str:
    if number == 0:
        return "ноль"
    words: list[str] = []
    for scale, group in reversed(list(enumerate(_groups(number)))):
        if not group:
            continue
        if scale == 0:
            words += _ru_group(group, gender)
        else:
            forms, scale_gender = _RU_SCALES[scale - 1]
            words += [*_ru_group(group, scale_gender), russian_plural(group, forms)]
    return " ".join(words)


def _en_group(group: int) -> list[str]:
    hundreds, rest = divmod(group, 100)
    words = [f"{_EN_UNITS[hundreds]} hundred"] if hundreds else []
    if rest >= 20:
        tens, units = divmod(rest, 10)
        words.append(_EN_TENS[tens] + (f"-{_EN_UNITS[units]}" if units else ""))
    elif rest:
        words.append(_EN_UNITS[rest])
    return words


def _en_number(number: int) -> str:
    if number == 0:
        return "zero"
    words: list[str] = []
    for scale, group in reversed(list(enumerate(_groups(number)))):
        if group:
            words += _en_group(group) + ([_EN_SCALES[scale - 1]] if scale else [])
    return " ".join(words)


def amount_in_words(amount: Decimal, locale: str = "ru") -> str:
    """The amount in words as agreements write it (сумма прописью): roubles in words,
    kopecks as two digits, each noun in the form its number takes.

    Russian: `один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89
    копеек` (одна/две тысячи, один/два рубля, 1 копейка / 2 копейки / 5 копеек). English,
    for `en` locales: `one million two hundred thirty-four thousand five hundred sixty-seven
    roubles 89 kopecks` (one rouble, 01 kopeck). Any other locale gets Russian, the portal's
    default language. Raises ValueError for a negative amount, fractions of a kopeck, or
    10^18 roubles and more."""
    if not isinstance(amount, Decimal):
        raise TypeError("money is a Decimal")
    if amount < 0 or amount != amount.quantize(KOPECK) or amount >= _WORDS_LIMIT:
        raise ValueError(f"{amount} cannot be written in words")
    roubles, kopecks = divmod(int(amount.quantize(KOPECK).scaleb(2)), 100)
    if str(locale).lower().replace("-", "_").split("_")[0] == "en":
        rouble_word = "rouble" if roubles == 1 else "roubles"
        kopeck_word = "kopeck" if kopecks == 1 else "kopecks"
        return f"{_en_number(roubles)} {rouble_word} {kopecks:02d} {kopeck_word}"
    return (f"{_ru_number(roubles, 'masculine')} {russian_plural(roubles, _RU_ROUBLES)} "
            f"{kopecks:02d} {russian_plural(kopecks, _RU_KOPECKS)}")

