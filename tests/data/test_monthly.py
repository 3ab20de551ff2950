"""Monthly generation: one invoice per family and month, holidays, discounts, idempotence."""

from __future__ import annotations

from datetime import date

import pytest

from tests.data.factories import make_business, make_family
from vanbill.services import customers, invoices, monthly, operators
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict


async def test_each_family_gets_one_invoice_with_a_line_per_child_and_route(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock, sibling_discount_bp=1000)
    aminah = await make_family(db, clock, biz, "Aminah", ("Aisyah", "Adam"), both_routes=True)
    await make_family(db, clock, biz, "陈美玲", ("Mei",))
    report = await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)
    assert report.created == 2 and report.existing == 0 and report.skipped == ()
    mine = await invoices.list_invoices(db, biz.id, clock, customer_id=aminah.id)
    (invoice,) = mine
    assert invoice.kind == "monthly" and invoice.period == date(2026, 1, 1)
    assert [(line.child_name, line.amount_sen) for line in invoice.lines] == [
        ("Aisyah", 12000),
        ("Aisyah", 15000),
        ("Adam", 12000),
        ("Adam", 15000),
    ]
    assert invoice.discount_sen == 2700 and invoice.total_sen == 51300
    assert invoice.due_date == date(2026, 1, 22)  # issued on the 15th, past the 7th: a week
    assert report.total_sen == 51300 + 15000


async def test_running_a_month_twice_creates_nothing_the_second_time(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    for name in ("Aminah", "Bala", "Chong"):
        await make_family(db, clock, biz, name)
    first = await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)
    second = await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)
    assert (first.created, first.existing) == (3, 0)
    assert (second.created, second.existing) == (0, 3)
    assert len(await invoices.list_invoices(db, biz.id, clock)) == 3


async def test_a_new_family_is_billed_by_a_second_run_and_only_it(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    await make_family(db, clock, biz, "Aminah")
    await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)
    await make_family(db, clock, biz, "Bala")
    again = await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)
    assert (again.created, again.existing) == (1, 1)


async def test_nothing_is_billed_in_a_holiday_month(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    await make_family(db, clock, biz, "Aminah")
    await operators.set_holiday(db, biz.id, date(2026, 12, 1), note="School holidays")
    report = await monthly.generate_month(db, biz.id, date(2026, 12, 1), clock)
    assert report.holiday and report.created == 0
    assert "holiday" in report.describe()
    assert (await monthly.preview_month(db, biz.id, date(2026, 12, 1))).holiday


async def test_archived_families_and_children_without_routes_are_not_billed(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    gone = await make_family(db, clock, biz, "Aminah")
    await customers.set_archived(db, biz.id, gone.id)
    late = await make_family(db, clock, biz, "Bala", start=date(2026, 3, 1))
    await customers.add_customer(db, biz.id, clock, name="No routes")
    report = await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)
    assert report.created == 0
    assert [(s.name, s.reason) for s in report.skipped] == [("Aminah", "archived")]
    march = await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)
    assert march.created == 1
    assert (await invoices.list_invoices(db, biz.id, clock))[0].customer_id == late.id


async def test_the_preview_says_what_a_run_would_do_and_writes_nothing(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    await make_family(db, clock, biz, "Aminah")
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)
    await make_family(db, clock, biz, "Bala", ("Budi", "Bunga"))
    plan = await monthly.preview_month(db, biz.id, date(2026, 2, 1))
    assert len(plan.families) == 2 and plan.total_sen == 15000 + 30000
    assert plan.new_families == ("Bala",)
    assert len(await invoices.list_invoices(db, biz.id, clock)) == 1


async def test_a_familys_routes_prefill_a_hand_made_invoice(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah", both_routes=True)
    bill = await monthly.family_bill(db, biz.id, family.id, date(2026, 1, 1))
    assert bill is not None and bill.total_sen == 27000
    assert {line.service_id for line in bill.lines} == {biz.morning.id, biz.afternoon.id}


async def test_a_months_routes_billed_by_hand_are_never_billed_again_by_the_run(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    bill = await monthly.family_bill(db, biz.id, family.id, date(2026, 1, 1))
    assert bill is not None
    by_hand = await invoices.create_invoice(
        db, biz.id, family.id, clock, list(bill.lines), period=date(2026, 1, 1)
    )
    assert by_hand.kind == "monthly" and by_hand.period == date(2026, 1, 1)
    report = await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)
    assert (report.created, report.existing) == (0, 1)
    assert await monthly.family_bill(db, biz.id, family.id, date(2026, 1, 1)) is None
    with pytest.raises(
        Conflict, match=r"^invoice.month_billed \(month=datetime.date\(2026, 1, 1\)\)$"
    ):
        await invoices.create_invoice(
            db, biz.id, family.id, clock, list(bill.lines), period=date(2026, 1, 1)
        )
    assert len(await invoices.list_invoices(db, biz.id, clock)) == 1
