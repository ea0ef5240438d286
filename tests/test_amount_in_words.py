"""The amount in words that agreements print (сумма прописью): roubles in words with the
right form for 1, 2-4, 5+ and 11-14, тысяча feminine and рубль masculine, kopecks as two
digits with the right form, up to and beyond a billion, in Russian and in English."""

from __future__ import annotations

from decimal import Decimal

import pytest

from portal.money import amount_in_words, russian_plural

CASES = [
    ("0.01", "ноль рублей 01 копейка", "zero roubles 01 kopeck"),
    ("1", "один рубль 00 копеек", "one rouble 00 kopecks"),
    ("2", "два рубля 00 копеек", "two roubles 00 kopecks"),
    ("5", "пять рублей 00 копеек", "five roubles 00 kopecks"),
    ("11", "одиннадцать рублей 00 копеек", "eleven roubles 00 kopecks"),
    ("21", "двадцать один рубль 00 копеек", "twenty-one roubles 00 kopecks"),
    ("101", "сто один рубль 00 копеек", "one hundred one roubles 00 kopecks"),
    ("1000", "одна тысяча рублей 00 копеек", "one thousand roubles 00 kopecks"),
    ("1001000", "один миллион одна тысяча рублей 00 копеек",
     "one million one thousand roubles 00 kopecks"),
    ("2000000.02", "два миллиона рублей 02 копейки", "two million roubles 02 kopecks"),
    ("1234567.89",
     "один миллион двести тридцать четыре тысячи пятьсот шестьдесят семь рублей 89 копеек",
     "one million two hundred thirty-four thousand five hundred sixty-seven roubles 89 kopecks"),
    ("3004005006.05",
     "три миллиарда четыре миллиона пять тысяч шесть рублей 05 копеек",
     "three billion four million five thousand six roubles 05 kopecks"),
    ("1234567890123.45",
     "один триллион двести тридцать четыре миллиарда пятьсот шестьдесят семь миллионов "
     "восемьсот девяносто тысяч сто двадцать три рубля 45 копеек",
     "one trillion two hundred thirty-four billion five hundred sixty-seven million eight "
     "hundred ninety thousand one hundred twenty-three roubles 45 kopecks"),
]


@pytest.mark.parametrize(("amount", "russian", "english"), CASES)
def test_amount_in_words(amount: str, russian: str, english: str) -> None:
    assert amount_in_words(Decimal(amount), "ru") == russian
    assert amount_in_words(Decimal(amount), "en") == english


@pytest.mark.parametrize(("amount", "russian"), [
    ("2000", "две тысячи рублей 00 копеек"),
    ("22000", "двадцать две тысячи рублей 00 копеек"),
    ("5000", "пять тысяч рублей 00 копеек"),
    ("11000", "одиннадцать тысяч рублей 00 копеек"),
    ("12000", "двенадцать тысяч рублей 00 копеек"),
    ("14000", "четырнадцать тысяч рублей 00 копеек"),
    ("21000", "двадцать одна тысяча рублей 00 копеек"),
    ("111", "сто одиннадцать рублей 00 копеек"),
    ("112", "сто двенадцать рублей 00 копеек"),
    ("114", "сто четырнадцать рублей 00 копеек"),
    ("122", "сто двадцать два рубля 00 копеек"),
    ("1000000", "один миллион рублей 00 копеек"),
    ("5000000", "пять миллионов рублей 00 копеек"),
    ("1000000000", "один миллиард рублей 00 копеек"),
    ("2000000000", "два миллиарда рублей 00 копеек"),
    ("11000000000", "одиннадцать миллиардов рублей 00 копеек"),
    ("990", "девятьсот девяносто рублей 00 копеек"),
    ("0", "ноль рублей 00 копеек"),
])
def test_russian_forms_of_thousands_millions_billions(amount: str, russian: str) -> None:
    assert amount_in_words(Decimal(amount), "ru") == russian


@pytest.mark.parametrize(("kopecks", "form"), [
    (1, "01 копейка"), (2, "02 копейки"), (4, "04 копейки"), (5, "05 копеек"),
    (10, "10 копеек"), (11, "11 копеек"), (12, "12 копеек"), (14, "14 копеек"),
    (21, "21 копейка"), (22, "22 копейки"), (25, "25 копеек"), (91, "91 копейка"),
    (99, "99 копеек"),
])
def test_kopecks_are_digits_in_the_right_form(kopecks: int, form: str) -> None:
    amount = Decimal(7) + Decimal(kopecks) / 100
    assert amount_in_words(amount, "ru") == f"семь рублей {form}"


@pytest.mark.parametrize(("kopecks", "form"), [(1, "01 kopeck"), (2, "02 kopecks"),
                                                (11, "11 kopecks"), (21, "21 kopecks")])
def test_english_kopecks(kopecks: int, form: str) -> None:
    amount = Decimal(1) + Decimal(kopecks) / 100
    assert amount_in_words(amount, "en") == f"one rouble {form}"


def test_plural_rule() -> None:
    forms = ("рубль", "рубля", "рублей")
    assert [russian_plural(n, forms) for n in (0, 1, 2, 3, 4, 5, 11, 12, 14, 15, 21, 22, 25,
                                               101, 111, 1001)] == [
        "рублей", "рубль", "рубля", "рубля", "рубля", "рублей", "рублей", "рублей", "рублей",
        "рублей", "рубль", "рубля", "рублей", "рубль", "рублей", "рубль"]


def test_locale_variants_and_the_default() -> None:
    amount = Decimal("21.01")
    assert amount_in_words(amount, "en_GB") == amount_in_words(amount, "en")
    assert amount_in_words(amount, "ru_RU") == amount_in_words(amount, "ru")
    assert amount_in_words(amount) == "двадцать один рубль 01 копейка"


@pytest.mark.parametrize("amount", ["-1", "0.001", "1000000000000000000"])
def test_what_cannot_be_written_is_refused(amount: str) -> None:
    with pytest.raises(ValueError, match="cannot be written in words"):
        amount_in_words(Decimal(amount), "ru")


def test_money_is_never_a_float() -> None:
    with pytest.raises(TypeError):
        amount_in_words(1.5, "ru")  # type: ignore[arg-type]


def test_the_largest_amount_has_words() -> None:
    words = amount_in_words(Decimal("999999999999999999.99"), "ru")
    assert words.startswith("девятьсот девяносто девять квадриллионов")
    assert words.endswith("девятьсот девяносто девять рублей 99 копеек")
