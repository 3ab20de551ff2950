"""The pure billing rules: status, due dates, sibling discount, allocation, reminder stages."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vanbill.services.billing import (
    ChildFee,
    NewLine,
    added_sibling_discount,
    allocate,
    check_lines,
    due_date_for,
    invoice_status,
    is_overdue,
    monthly_bill,
    next_reminder_day,
    reminder_stage,
)
from vanbill.services.errors import InvalidInput

OFFSETS = (-3, 0, 3, 7, 14)


@pytest.mark.parametrize(
    ("total", "paid", "status"),
    [(15000, 0, "open"), (15000, 1, "partial"), (15000, 14999, "partial"), (15000, 15000, "paid")],
)
def test_status_follows_what_was_paid(total: int, paid: int, status: str) -> None:
    assert invoice_status(total, paid) == status


def test_a_void_invoice_stays_void_whatever_was_paid() -> None:
    assert invoice_status(15000, 15000, void=True) == "void"


def test_overdue_starts_the_day_after_the_due_date_and_only_while_unpaid() -> None:
    due = date(2026, 3, 7)
    assert not is_overdue("open", due, date(2026, 3, 7))
    assert is_overdue("open", due, date(2026, 3, 8))
    assert is_overdue("partial", due, date(2026, 3, 8))
    assert not is_overdue("paid", due, date(2026, 4, 8))
    assert not is_overdue("void", due, date(2026, 4, 8))


def test_monthly_invoices_fall_due_on_the_operators_due_day_of_the_month() -> None:
    assert due_date_for(date(2026, 3, 1), 7, date(2026, 3, 1)) == date(2026, 3, 7)


def test_a_late_monthly_run_gives_families_a_week() -> None:
    assert due_date_for(date(2026, 3, 20), 7, date(2026, 3, 1)) == date(2026, 3, 27)


def test_ad_hoc_invoices_fall_due_on_the_next_due_day() -> None:
    assert due_date_for(date(2026, 3, 2), 7) == date(2026, 3, 7)
    assert due_date_for(date(2026, 3, 9), 7) == date(2026, 4, 7)
    assert due_date_for(date(2026, 12, 20), 7) == date(2027, 1, 7)


def test_the_second_child_gets_the_sibling_discount_and_the_dearest_pays_in_full() -> None:
    bill = monthly_bill(
        [
            ChildFee(2, "Adam", 11, "Afternoon", 12000),
            ChildFee(1, "Aisyah", 10, "Morning", 15000),
            ChildFee(3, "Alia", 10, "Morning", 15000),
        ],
        1000,
        "March 2026",
    )
    assert bill.subtotal_sen == 42000
    # Aisyah (15000, lower id) pays in full; Alia 10% of 15000, Adam 10% of 12000.
    assert bill.discount_sen == 1500 + 1200
    assert bill.total_sen == 39300
    assert [line.child_id for line in bill.lines] == [1, 3, 2]
    assert bill.lines[0].description == "Morning — March 2026"


def test_one_child_gets_no_sibling_discount() -> None:
    bill = monthly_bill([ChildFee(1, "Aisyah", 10, "Morning", 15000)], 1000, "March 2026")
    assert bill.discount_sen == 0 and bill.total_sen == 15000


def test_the_discount_rounds_half_up_to_the_sen() -> None:
    bill = monthly_bill(
        [ChildFee(1, "A", 10, "R", 10000), ChildFee(2, "B", 10, "R", 12345)], 1000, "M"
    )
    assert bill.discount_sen == 1000  # the dearer child (12345) pays in full; 10% of 10000


def test_a_child_added_to_a_billed_month_gets_the_sibling_discount_of_the_monthly_run() -> None:
    aisyah = ChildFee(1, "Aisyah", 10, "Morning", 15000)
    # Ali (12000) is not the dearest: 10% off his routes, as the run would have given.
    assert (
        added_sibling_discount([aisyah], [ChildFee(2, "Ali", 11, "Afternoon", 12000)], 1000)
        == 1200
    )
    # Ali rides both routes (27000): he pays in full and Aisyah's 15000 gets the 10% instead.
    both = [ChildFee(2, "Ali", 10, "Morning", 15000), ChildFee(2, "Ali", 11, "Afternoon", 12000)]
    assert added_sibling_discount([aisyah], both, 1000) == 1500
    # No discount set, nobody billed before, nothing added: no discount.
    assert added_sibling_discount([aisyah], both, 0) == 0
    assert added_sibling_discount([], [ChildFee(2, "Ali", 11, "Afternoon", 12000)], 1000) == 0
    assert added_sibling_discount([aisyah], [], 1000) == 0


@given(
    st.lists(st.integers(0, 100_000), min_size=0, max_size=4),
    st.lists(st.integers(0, 100_000), min_size=1, max_size=3),
    st.integers(0, 10_000),
)
def test_billing_a_child_later_bills_what_one_run_over_all_the_children_would(
    before: list[int], later: list[int], basis_points: int
) -> None:
    billed = [ChildFee(i + 1, "", 10, "R", fee) for i, fee in enumerate(before)]
    added = [ChildFee(100 + i, "", 10, "R", fee) for i, fee in enumerate(later)]
    discount = added_sibling_discount(billed, added, basis_points)
    assert 0 <= discount <= sum(later)
    whole = monthly_bill(billed + added, basis_points, "M")
    first = monthly_bill(billed, basis_points, "M") if billed else None
    already = first.total_sen if first else 0
    assert already + sum(later) - discount == whole.total_sen


def test_money_settles_the_oldest_debt_first_and_the_rest_is_left() -> None:
    triples = allocate([(1, 20000), (2, 5000)], [(10, 15000), (11, 8000), (12, 9000)])
    assert triples == [(1, 10, 15000), (1, 11, 5000), (2, 11, 3000), (2, 12, 2000)]


def test_nothing_is_allocated_when_nothing_is_owed() -> None:
    assert allocate([(1, 5000)], []) == []
    assert allocate([], [(10, 5000)]) == []


@given(
    st.lists(st.integers(min_value=0, max_value=10**7), max_size=6),
    st.lists(st.integers(min_value=0, max_value=10**7), max_size=6),
)
def test_allocation_never_gives_more_than_there_is_or_than_is_owed(
    money: list[int], debts: list[int]
) -> None:
    triples = allocate(list(enumerate(money)), list(enumerate(debts, start=100)))
    for pid, left in enumerate(money):
        assert sum(a for p, _, a in triples if p == pid) <= left
    for iid, owed in enumerate(debts, start=100):
        assert sum(a for _, i, a in triples if i == iid) <= owed
    assert sum(a for *_, a in triples) == min(sum(money), sum(debts))
    assert all(a > 0 for *_, a in triples)


def test_reminders_follow_the_schedule_day_by_day() -> None:
    due = date(2026, 3, 7)
    sent: list[int] = []
    chosen = {}
    for day in range(1, 32):
        today = date(2026, 3, day)
        stage = reminder_stage(OFFSETS, due, today, sent)
        if stage is not None:
            sent.append(stage)
            chosen[today] = stage
    assert chosen == {
        date(2026, 3, 4): -3,
        date(2026, 3, 7): 0,
        date(2026, 3, 10): 3,
        date(2026, 3, 14): 7,
        date(2026, 3, 21): 14,
    }


def test_stages_missed_while_the_bot_was_down_are_not_sent_in_a_burst() -> None:
    due = date(2026, 3, 7)
    assert reminder_stage(OFFSETS, due, date(2026, 3, 15), []) == 7
    assert reminder_stage(OFFSETS, due, date(2026, 3, 16), [7]) is None
    assert reminder_stage(OFFSETS, due, date(2026, 3, 15), [14]) is None


@given(
    offsets=st.lists(st.integers(-30, 60), min_size=1, max_size=6, unique=True),
    today_from_due=st.integers(-40, 70),
    sent=st.lists(st.integers(-30, 60), max_size=3),
)
def test_the_next_reminder_day_is_the_first_day_a_stage_is_chosen(
    offsets: list[int], today_from_due: int, sent: list[int]
) -> None:
    due = date(2026, 3, 7)
    today = due + timedelta(days=today_from_due)
    sent = [s for s in sent if s <= today_from_due]  # only stages whose day has come were sent
    found = next_reminder_day(offsets, due, today, sent)
    days = [today + timedelta(days=n) for n in range(1, 120)]
    chosen = [d for d in days if reminder_stage(offsets, due, d, sent) is not None]
    assert found == (chosen[0] if chosen else None)


def test_the_next_reminder_comes_after_the_last_stage_sent() -> None:
    due = date(2026, 3, 7)
    assert next_reminder_day(OFFSETS, due, date(2026, 2, 1), []) == date(2026, 3, 4)
    assert next_reminder_day(OFFSETS, due, date(2026, 3, 15), [7]) == date(2026, 3, 21)
    assert next_reminder_day(OFFSETS, due, date(2026, 3, 21), [14]) is None


def test_no_reminder_before_the_first_stage() -> None:
    assert reminder_stage(OFFSETS, date(2026, 3, 7), date(2026, 3, 3), []) is None


@pytest.mark.parametrize(
    ("lines", "says"),
    [
        ([], "invoice.no_lines"),
        ([NewLine("  ", 100)], "line.no_description"),
        ([NewLine("Trip", -100)], "amount.field_negative"),
        ([NewLine("Trip", 100, 0)], "line.quantity"),
        ([NewLine("Trip", 100, 5000)], "line.quantity"),
        ([NewLine("Trip", 10**10)], "amount.field_too_large"),
    ],
)
def test_lines_that_cannot_be_billed_are_refused(lines: list[NewLine], says: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_lines(lines)
    assert refused.value.code == says


def test_no_reminder_falls_on_the_day_the_invoice_was_issued() -> None:
    due = date(2026, 3, 7)
    offsets = (-3, 0, 3, 7, 14)
    # Billed late, on the 4th (the day of the -3 stage): the invoice itself is the news that day.
    assert reminder_stage(offsets, due, date(2026, 3, 4), [], issued_on=date(2026, 3, 4)) is None
    assert reminder_stage(offsets, due, date(2026, 3, 7), [], issued_on=date(2026, 3, 4)) == 0
    # Billed after the due date: the stage of that day is skipped, the next one is not.
    assert reminder_stage(offsets, due, date(2026, 3, 10), [], issued_on=date(2026, 3, 10)) is None
    assert reminder_stage(offsets, due, date(2026, 3, 14), [], issued_on=date(2026, 3, 10)) == 7
    # Issued earlier: nothing changes.
    assert reminder_stage(offsets, due, date(2026, 3, 4), [], issued_on=date(2026, 3, 1)) == -3
