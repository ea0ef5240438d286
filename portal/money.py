"""Money: Decimal arithmetic to the kopeck, the budget's totals and shares, parsing what
people type, and the one way amounts are written (`1 234 567,89 ₽`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Protocol

from babel.numbers import format_decimal

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
