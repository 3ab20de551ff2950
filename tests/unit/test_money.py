"""Parsing and formatting money as people type and read it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vanbill.bot import error_texts
from vanbill.services.errors import InvalidInput
from vanbill.services.money import MAX_AMOUNT_SEN, format_money, parse_amount, percent_of


@pytest.mark.parametrize(
    ("typed", "sen"),
    [
        ("150", 15000),
        ("RM150", 15000),
        ("rm 1,234.50", 123450),
        ("RM 1,234.5", 123450),
        ("  12.05 ", 1205),
        ("0.10", 10),
        ("MYR 80", 8000),
        ("123456", 12345600),
    ],
)
def test_amounts_people_type_are_read_exactly(typed: str, sen: int) -> None:
    assert parse_amount(typed) == sen


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("abc", "amount.unreadable"),
        ("-5", "amount.negative"),
        ("RM -5", "amount.negative"),
        ("1.005", "amount.unreadable"),
        ("1e9", "amount.unreadable"),
        ("", "amount.unreadable"),
        ("0", "amount.zero"),
        ("1,23", "amount.unreadable"),
        ("12,3456", "amount.unreadable"),
        ("10000000", "amount.too_large"),
        ("<b>5</b>", "amount.unreadable"),
        ("١٢٣", "amount.unreadable"),
    ],
)
def test_bad_amounts_are_refused_with_a_reason(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_amount(typed)
    assert caught.value.code == code
    said = error_texts.message(caught.value)
    assert "150" in said or "RM" in said


def test_zero_is_accepted_only_when_asked() -> None:
    assert parse_amount("0", allow_zero=True) == 0


@pytest.mark.parametrize(
    ("sen", "text"),
    [(0, "RM 0.00"), (5, "RM 0.05"), (123450, "RM 1,234.50"), (-2500, "-RM 25.00")],
)
def test_money_is_printed_one_way(sen: int, text: str) -> None:
    assert format_money(sen) == text


def test_other_currencies_use_their_symbol() -> None:
    assert format_money(100, "SGD") == "S$ 1.00"
    assert format_money(100, "XYZ") == "XYZ 1.00"


@given(st.integers(min_value=1, max_value=MAX_AMOUNT_SEN))
def test_formatting_then_parsing_gives_back_the_same_sen(sen: int) -> None:
    assert parse_amount(format_money(sen)) == sen


def test_percentages_round_half_up_to_the_sen() -> None:
    assert percent_of(15000, 1000) == 1500
    assert percent_of(12345, 1000) == 1235  # 1234.5 rounds up
    assert percent_of(12344, 1000) == 1234
