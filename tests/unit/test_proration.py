"""A month ridden in part: full, half, none, by calendar days or school days, half up."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vanbill.services.errors import InvalidInput
from vanbill.services.proration import (
    DAYS,
    FULL,
    HALF,
    NONE,
    RULES,
    SCHOOL_DAYS,
    PartMonth,
    count_days,
    joining,
    joining_figures,
    leaving,
    month_end,
    options,
    part_of_fee,
)

MARCH = date(2026, 3, 1)  # 31 days, 22 school days (Mon 2 to Tue 31)


def test_school_days_count_only_monday_to_friday() -> None:
    assert count_days(date(2026, 3, 1), date(2026, 3, 31), school_days=True) == 22
    assert count_days(date(2026, 3, 1), date(2026, 3, 31), school_days=False) == 31
    assert count_days(date(2026, 3, 7), date(2026, 3, 8), school_days=True) == 0  # a weekend
    assert count_days(date(2026, 3, 9), date(2026, 3, 8), school_days=False) == 0


def test_a_child_joining_on_16_march_is_billed_by_days_rounded_half_up() -> None:
    part = joining(MARCH, date(2026, 3, 16), DAYS)
    # 16 of 31 days of RM 150.00: 7,741.935... sen -> 7,742.
    assert part_of_fee(15000, part) == 7742
    # 12 of 22 school days (16-31 March): 8,181.81... -> 8,182.
    assert part_of_fee(15000, joining(MARCH, date(2026, 3, 16), SCHOOL_DAYS)) == 8182


def test_full_half_and_none() -> None:
    part = joining(MARCH, date(2026, 3, 16), FULL)
    assert part_of_fee(15000, part) == 15000
    assert part_of_fee(15001, PartMonth(MARCH, date(2026, 3, 16), month_end(MARCH), HALF)) == 7501
    assert part_of_fee(15000, PartMonth(MARCH, date(2026, 3, 16), month_end(MARCH), NONE)) == 0


def test_a_half_sen_rounds_up() -> None:
    # 1 of 2 days... February 2026 has 28 days: 1 sen for 14 days is 0.5 sen -> 1.
    assert part_of_fee(1, leaving(date(2026, 2, 1), date(2026, 2, 14), DAYS)) == 1


def test_an_unknown_rule_is_refused() -> None:
    with pytest.raises(InvalidInput):
        part_of_fee(100, PartMonth(MARCH, MARCH, month_end(MARCH), "weekly"))


def test_the_preview_offers_every_rule() -> None:
    figures = options(15000, date(2026, 3, 16), month_end(MARCH), MARCH)
    assert set(figures) == set(RULES)
    assert figures == {FULL: 15000, HALF: 7500, NONE: 0, DAYS: 7742, SCHOOL_DAYS: 8182}


months = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 1)).map(
    lambda d: d.replace(day=1)
)
fees = st.integers(min_value=0, max_value=10**11)


@given(
    fee=fees, month=months, a=st.integers(0, 30), b=st.integers(0, 30), rule=st.sampled_from(RULES)
)
def test_a_part_of_a_month_never_costs_more_than_the_full_fee(
    fee: int, month: date, a: int, b: int, rule: str
) -> None:
    last_day = month_end(month).day
    first, last = sorted((min(a, last_day - 1), min(b, last_day - 1)))
    part = PartMonth(month, month + timedelta(days=first), month + timedelta(days=last), rule)
    assert 0 <= part_of_fee(fee, part) <= fee


@given(fee=fees, month=months, rule=st.sampled_from((DAYS, SCHOOL_DAYS, FULL)))
def test_by_days_over_the_whole_month_is_the_full_fee(fee: int, month: date, rule: str) -> None:
    assert part_of_fee(fee, PartMonth(month, month, month_end(month), rule)) == fee


@given(fee=fees, month=months, cut=st.integers(1, 27), rule=st.sampled_from((DAYS, SCHOOL_DAYS)))
def test_leaving_and_joining_on_the_same_day_split_the_fee_within_a_sen(
    fee: int, month: date, cut: int, rule: str
) -> None:
    day = month + timedelta(days=cut)
    left = part_of_fee(fee, leaving(month, day - timedelta(days=1), rule))
    joined = part_of_fee(fee, joining(month, day, rule))
    assert abs(left + joined - fee) <= 1


def test_a_child_joining_on_16_march_sees_every_rule_for_all_their_routes() -> None:
    # Morning RM 150.00 and afternoon RM 120.00: 16 of 31 days = 7,741.9 + 6,193.5 sen.
    assert joining_figures([15000, 12000], MARCH, date(2026, 3, 16)) == {
        FULL: 27000,
        HALF: 7500 + 6000,
        NONE: 0,
        DAYS: 7742 + 6194,
        SCHOOL_DAYS: part_of_fee(15000, joining(MARCH, date(2026, 3, 16), SCHOOL_DAYS))
        + part_of_fee(12000, joining(MARCH, date(2026, 3, 16), SCHOOL_DAYS)),
    }


@given(
    route_fees=st.lists(fees, min_size=0, max_size=3),
    month=months,
    day=st.integers(0, 27),
    later=st.integers(0, 27),
)
def test_joining_figures_never_exceed_the_full_fees_and_joining_later_never_costs_more(
    route_fees: list[int], month: date, day: int, later: int
) -> None:
    first, second = sorted((day, later))
    early = joining_figures(route_fees, month, month + timedelta(days=first))
    late = joining_figures(route_fees, month, month + timedelta(days=second))
    assert early[FULL] == late[FULL] == sum(route_fees) and early[NONE] == 0
    for rule in RULES:
        assert 0 <= late[rule] <= early[rule] <= sum(route_fees)
    on_the_first = joining_figures(route_fees, month, month)
    assert on_the_first[DAYS] == on_the_first[SCHOOL_DAYS] == sum(route_fees)
