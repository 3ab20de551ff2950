"""Phone numbers: the forms parents type are one number."""

from __future__ import annotations

import pytest

from services.errors import InvalidInput
from services.phones import normalise_phone


@pytest.mark.parametrize(
    "typed", ["012-345 6789", "+60123456789", "60123456789", "0123456789", "+60 12-345 6789"]
)
def test_every_way_of_writing_a_malaysian_mobile_is_one_number(typed: str) -> None:
    assert normalise_phone(typed) == "+60123456789"


def test_a_foreign_number_keeps_its_country_code() -> None:
    assert normalise_phone("+65 9123 4567") == "+6591234567"


@pytest.mark.parametrize("typed", ["abc", "", "12", "+60 12 345 6789 0000 1111", "<b>1</b>"])
def test_garbage_is_refused_with_an_example(typed: str) -> None:
    with pytest.raises(InvalidInput, match="012-345 6789"):
        normalise_phone(typed)
