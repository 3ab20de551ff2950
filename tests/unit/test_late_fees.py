"""Late fees as pure rules, and the late-fee setting as typed in /business."""

from __future__ import annotations

from datetime import date

import pytest

from vanbill.bot import parsing
from vanbill.services.errors import InvalidInput
from vanbill.services.latefees import LateFeeSettings, fee_due, late_fee_for


def test_a_fixed_fee_or_a_percentage_of_what_is_unpaid_rounded_half_up() -> None:
    assert late_fee_for(LateFeeSettings("fixed", 1000, 0, 7), 15000) == 1000
    assert late_fee_for(LateFeeSettings("percent", 0, 250, 7), 12345) == 309  # 308.625
    assert late_fee_for(LateFeeSettings("percent", 0, 500, 7), 0) == 0  # nothing unpaid
    assert late_fee_for(LateFeeSettings("none", 1000, 0, 7), 15000) == 0


def test_the_fee_falls_due_the_chosen_days_after_the_due_date() -> None:
    assert not fee_due(date(2026, 3, 7), date(2026, 3, 13), 7)
    assert fee_due(date(2026, 3, 7), date(2026, 3, 14), 7)


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("RM 10 after 7", ("fixed", 1000, 0, 7)),
        ("rm10.50 after 14 days", ("fixed", 1050, 0, 14)),
        ("5% after 3", ("percent", 0, 500, 3)),
        ("12.5 % 30", ("percent", 0, 1250, 30)),
        ("-", ("none", 0, 0, 7)),
        ("none", ("none", 0, 0, 7)),
    ],
)
def test_the_late_fee_setting_is_read_as_typed(typed: str, read: tuple) -> None:
    assert parsing.late_fee(typed) == read


@pytest.mark.parametrize(
    "typed", ["sometimes", "RM 10", "-5 after 7", "10 after ²", "1e9 after 7"]
)
def test_a_late_fee_setting_that_cannot_be_read_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        parsing.late_fee(typed)
