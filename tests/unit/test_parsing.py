"""bot/parsing.py's one reader of ids and numbers, and the button data built on it."""

from __future__ import annotations

import pytest

from vanbill.bot import parsing
from vanbill.services import i18n
from vanbill.services.errors import InvalidInput, PermissionDenied


@pytest.mark.parametrize(
    "typed",
    [
        "²",  # str.isdigit() says yes, int() says no
        "١",  # int() would read 1
        "٣",
        "１",  # fullwidth
        "",
        " 3",
        "+3",
        "-3",
        "3.0",
        "0",
        "12345678901234567890",  # beyond BIGINT
        str(2**53 + 1),
        "9" * 5000,  # beyond int()'s 4300 digits
    ],
)
def test_anything_but_ascii_digits_in_range_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parsing.number(typed)
    assert refused.value.code == parsing.STALE_BUTTON


def test_ascii_digits_from_one_to_two_to_the_53_are_read() -> None:
    assert parsing.number("1") == 1
    assert parsing.number("007") == 7
    assert parsing.number(str(2**53)) == 2**53
    assert parsing.number("0", low=0, high=4) == 0


def test_a_refused_number_says_what_the_caller_asks() -> None:
    with pytest.raises(InvalidInput) as refused:
        parsing.number("٣", high=10, refusal="line.quantity_typed", limit=10)
    assert (refused.value.code, refused.value.params) == ("line.quantity_typed", {"limit": 10})


@pytest.mark.parametrize(
    "data",
    ["fam:1:card:²", "fam:1:card:١", "fam:1:card:", "fam:¹:card:5", "fam::card:5", "fam:1:card"],
)
def test_owned_buttons_with_odd_numbers_are_out_of_date(data: str) -> None:
    with pytest.raises(InvalidInput):
        _, argument = parsing.owned_button(data, "fam", 1, ("card",))
        parsing.button_number(argument)


def test_another_operators_button_is_not_yours_even_with_leading_zeros() -> None:
    with pytest.raises(PermissionDenied):
        parsing.owned_button("fam:0002:card:5", "fam", 1, ("card",))
    assert parsing.owned_button("fam:0001:card:5", "fam", 1, ("card",)) == ("card", "5")


@pytest.mark.parametrize(
    ("read", "data"),
    [
        (lambda d: parsing.run_button(d, 1), "run:1:²:ok"),
        (lambda d: parsing.run_button(d, 1), "run:1::ok"),
        (lambda d: parsing.business_button(d, 1, {"name"}), "biz:١:name"),
        (lambda d: parsing.slip_button(d, 1), "slip:1:12345678901234567890:dis"),
        (lambda d: parsing.slip_button(d, 1), "slip:1:2:rec:"),
        (lambda d: parsing.parent_invoice_button(d, {1}), "pinv:1:²"),
        (lambda d: parsing.slip_for_button(d, {1}), "slipto:1:"),
    ],
)
def test_every_kind_of_button_refuses_odd_numbers(read: object, data: str) -> None:
    with pytest.raises(InvalidInput):
        read(data)  # type: ignore[operator]


def test_typed_small_numbers_take_ascii_digits_only() -> None:
    assert parsing.quantity(" 3 ") == 3
    assert parsing.whole_number("10", "due_day", 7) == 10
    for typed in ("²", "١", "٣"):
        with pytest.raises(InvalidInput, match=r"^line\.quantity_typed "):
            parsing.quantity(typed)
        with pytest.raises(InvalidInput, match=r"^number\.whole \(field='due_day', example=7\)$"):
            parsing.whole_number(typed, "due_day", 7)
    with pytest.raises(InvalidInput):
        parsing.percent_as_basis_points("١٠")
    with pytest.raises(InvalidInput):
        parsing.day("٢٠٢٦-٠١-٠١")


def test_a_page_after_a_command_is_one_to_9999() -> None:
    assert parsing.page_number(None, "/customers") == 1
    assert parsing.page_number(["12"], "/customers") == 12
    for args in (["²"], ["0"], ["10000"], ["12345678901234567890"], ["two"]):
        with pytest.raises(InvalidInput, match=r"^page\.number \(command='/customers'\)$"):
            parsing.page_number(args, "/customers")


@pytest.mark.parametrize(
    ("locale", "typed", "expected"),
    [
        ("en", "RM 10 after 7", ("fixed", 1000, 0, 7)),
        ("en", "5% after 14 days", ("percent", 0, 500, 14)),
        ("en", "none", ("none", 0, 0, 7)),
        ("ms", "RM 10 selepas 7 hari", ("fixed", 1000, 0, 7)),
        ("ms", "tiada", ("none", 0, 0, 7)),
        ("zh_Hans", "5% 之后 14 天", ("percent", 0, 500, 14)),
        ("zh_Hans", "无", ("none", 0, 0, 7)),
    ],
)
def test_a_late_fee_is_read_in_english_and_in_the_readers_language(
    locale: str, typed: str, expected: tuple[str, int, int, int]
) -> None:
    with i18n.use(locale):
        assert parsing.late_fee(typed) == expected


def test_off_and_no_are_understood_in_the_readers_language_too() -> None:
    with i18n.use("ms"):
        assert parsing.means("Tutup", parsing.OFF, parsing.NO)
        assert parsing.means("off", parsing.OFF) and not parsing.means("9", parsing.OFF)
    with i18n.use("zh_Hans"):
        assert parsing.means("关", parsing.OFF) and parsing.means(" 不 ", parsing.NO)
