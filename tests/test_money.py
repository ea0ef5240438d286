"""Budget arithmetic with hand-computed examples, kopeck rounding included."""

from dataclasses import dataclass
from decimal import Decimal as D

import pytest
from babel import Locale
from babel.numbers import NumberPattern, parse_pattern
from hypothesis import given
from hypothesis import strategies as st

from portal.models import BudgetCategory as C
from portal.money import (
    format_decimal,
    format_money,
    format_percent,
    line_total,
    parse_decimal,
    percent_of,
    sources_add_up,
    summarise_budget,
    to_kopecks,
)


@dataclass
class Line:
    category: C
    quantity: D
    unit_price: D
    requested_amount: D
    own_amount: D
    partner_amount: D


def test_line_total_rounds_half_up_to_the_kopeck():
    assert line_total(D("3"), D("33.33")) == D("99.99")
    assert line_total(D("0.5"), D("0.01")) == D("0.01")  # 0.005 -> 0.01
    assert line_total(D("0.333"), D("10.00")) == D("3.33")  # 3.33
    assert line_total(D("1.005"), D("100.00")) == D("100.50")
    assert line_total(D("2.5"), D("0.03")) == D("0.08")  # 0.075 -> 0.08
    assert to_kopecks(D("0.004999")) == D("0.00")


def test_summary_by_category_and_source():
    lines = [
        Line(C.EQUIPMENT, D("2"), D("75000.00"), D("120000.00"), D("30000.00"), D("0")),
        Line(C.ACQUISITIONS, D("100"), D("1000.00"), D("75000.00"), D("0"), D("25000.00")),
        Line(C.EQUIPMENT, D("3"), D("33.33"), D("99.99"), D("0"), D("0")),
    ]
    summary = summarise_budget(lines)
    assert summary.line_totals == [D("150000.00"), D("100000.00"), D("99.99")]
    equipment = summary.by_category[C.EQUIPMENT]
    assert (equipment.total, equipment.requested, equipment.own, equipment.partner) == (
        D("150099.99"), D("120099.99"), D("30000.00"), D("0"))
    assert summary.total == D("250099.99")
    assert summary.requested == D("195099.99")
    assert summary.overall.cofinancing == D("55000.00")
    # 55 000 / 250 099.99 = 21.9912...% -> 21.99
    assert summary.cofinancing_percent == D("21.99")
    assert list(summary.by_category) == [C.EQUIPMENT, C.ACQUISITIONS]  # empty ones left out


def test_cofinancing_rule_is_compared_exactly_not_after_rounding():
    # 19.999 % shows as 20.00 % but does not meet a 20 % minimum.
    lines = [Line(C.OTHER, D("1"), D("100000.00"), D("80001.00"), D("19999.00"), D("0"))]
    summary = summarise_budget(lines)
    assert summary.cofinancing_percent == D("20.00")
    assert not summary.meets_cofinancing(D("20"))
    assert summary.meets_cofinancing(D("19.99"))


def test_empty_budget():
    summary = summarise_budget([])
    assert summary.total == D("0") and summary.cofinancing_percent == D("0")


def test_sources_must_add_up_to_the_kopeck():
    line = Line(C.OTHER, D("3"), D("33.33"), D("99.98"), D("0"), D("0"))
    assert not sources_add_up(line)
    line.own_amount = D("0.01")
    assert sources_add_up(line)


def test_percent_of():
    assert percent_of(D("1"), D("3")) == D("33.33")
    assert percent_of(D("2"), D("3")) == D("66.67")
    assert percent_of(D("5"), D("0")) == D("0.00")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1 234,56", D("1234.56")), ("1234.5", D("1234.50")), ("1,234.56", D("1234.56")),
     ("1\u00a0000\u00a0000", D("1000000.00")), ("0", D("0.00")), ("12,5 ₽", D("12.50"))],
)
def test_parse_money(text, value):
    assert parse_decimal(text, 2) == value


@pytest.mark.parametrize("text", ["-1", "1.005", "abc", "1e5", "", "1,2,3", "NaN", "∞"])
def test_parse_money_refuses(text):
    with pytest.raises(ValueError):
        parse_decimal(text, 2)


def test_format_money_and_percent():
    assert format_money(D("1234567.89")) == "1\u00a0234\u00a0567,89\u00a0₽"
    assert format_money(D("1234567.89"), "en") == "1,234,567.89\u00a0₽"
    assert format_money(D("0.5")) == "0,50\u00a0₽"
    assert format_percent(D("12.50")) == "12,5\u00a0%"
    assert format_percent(D("20"), "en") == "20\u00a0%"


@given(value=st.one_of(
    st.decimals(min_value=-10**15, max_value=10**15, places=4, allow_nan=False),
    st.decimals(min_value=-10**15, max_value=10**15, places=2, allow_nan=False),
    st.integers(min_value=-10**15, max_value=10**15),
))
@pytest.mark.parametrize("pattern", ["#,##0.00", "#,##0.##", "#,##0.###"])
@pytest.mark.parametrize("locale", ["ru", "en"])
def test_numbers_are_formatted_exactly_as_babel_formats_them(value, pattern, locale):
    """The formatter pages use for plain groups of three gives Babel's text to the
    character, its rounding (half to even) and its negative zero included."""
    expected = NumberPattern.apply(parse_pattern(pattern), value, Locale.parse(locale))
    assert format_decimal(value, format=pattern, locale=locale) == expected


@pytest.mark.parametrize("value", [D("2.345"), D("2.355"), D("-0.001"), D("0.005"), 7])
def test_the_rounding_is_babels_on_the_edges(value):
    for pattern in ("#,##0.00", "#,##0.##"):
        expected = parse_pattern(pattern).apply(value, Locale.parse("ru"))
        assert format_decimal(value, format=pattern, locale="ru") == expected
