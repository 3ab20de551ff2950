"""Phone numbers become E.164, Malaysian by default; anything else is refused."""

from __future__ import annotations

import pytest

from vanbill.services.errors import InvalidInput
from vanbill.services.phones import normalise_phone, phone_variants


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("012-345 6789", "+60123456789"),
        ("+60123456789", "+60123456789"),
        ("60123456789", "+60123456789"),
        ("0060 12 345 6789", "+60123456789"),
        ("011-2345 6789", "+601123456789"),
        ("(03) 7956 1234", "+60379561234"),
        ("123456789", "+60123456789"),
        ("+65 9123 4567", "+6591234567"),
        ("6591234567", "+6591234567"),
    ],
)
def test_phone_numbers_are_written_the_one_e164_way(typed: str, e164: str) -> None:
    assert normalise_phone(typed) == e164


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "abc",
        "012-ABC-6789",
        "+",
        "0123",
        "+60 0123456789",
        "6012",
        "١٢٣٤٥٦٧٨٩٠",
        "+1" + "2" * 20,
    ],
)
def test_garbage_is_refused_with_an_example(garbage: str) -> None:
    with pytest.raises(InvalidInput, match=r"phone\.(unreadable|not_malaysian)"):
        normalise_phone(garbage)


def test_a_malaysian_number_has_three_stored_spellings() -> None:
    assert phone_variants("+60123456789") == ("+60123456789", "60123456789", "0123456789")
