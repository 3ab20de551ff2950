"""Reminder selection over simulated days: each stage once, never after payment or when paused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.data.factories import make_business, make_family
from vanbill.services import customers, invoices, monthly, operators, payments, reminders
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database


def _at_ten_in_kl(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)


async def _walk(db: Database, clock: FixedClock, operator_id: int, days: int):  # type: ignore[no-untyped-def]
    """Claim reminders once a day for `days` days from 1 March; return {date: [(num, stage)]}."""
    sent: dict[date, list[tuple[str, int]]] = {}
    for offset in range(days):
        day = date(2026, 3, 1) + timedelta(days=offset)
        clock.set(_at_ten_in_kl(day))
        claimed = await reminders.claim_reminders(db, operator_id, clock)
        again = await reminders.claim_reminders(db, operator_id, clock)
        assert again == []
        if claimed:
            sent[day] = sorted((r.invoice.number, r.stage) for r in claimed)
    return sent


async def test_an_unpaid_invoice_gets_each_stage_once_on_its_day(
    db: Database, clock: FixedClock
) -> None:
    clock.set(_at_ten_in_kl(date(2026, 3, 1)))
    biz = await make_business(db, clock)
    await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)  # due 7 March
    sent = await _walk(db, clock, biz.id, 31)
    assert sent == {
        date(2026, 3, 4): [("INV-2026-0001", -3)],
        date(2026, 3, 7): [("INV-2026-0001", 0)],
        date(2026, 3, 10): [("INV-2026-0001", 3)],
        date(2026, 3, 14): [("INV-2026-0001", 7)],
        date(2026, 3, 21): [("INV-2026-0001", 14)],
    }


async def test_reminders_stop_once_the_invoice_is_paid(db: Database, clock: FixedClock) -> None:
    clock.set(_at_ten_in_kl(date(2026, 3, 1)))
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)
    clock.set(_at_ten_in_kl(date(2026, 3, 4)))
    assert len(await reminders.claim_reminders(db, biz.id, clock)) == 1
    await payments.record_payment(db, biz.id, family.id, clock, amount_sen=15000, method="cash")
    clock.set(_at_ten_in_kl(date(2026, 3, 7)))
    assert await reminders.reminders_due(db, biz.id, clock) == []


async def test_a_partly_paid_invoice_is_still_reminded_with_what_is_left(
    db: Database, clock: FixedClock
) -> None:
    clock.set(_at_ten_in_kl(date(2026, 3, 1)))
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)
    await payments.record_payment(db, biz.id, family.id, clock, amount_sen=5000, method="cash")
    clock.set(_at_ten_in_kl(date(2026, 3, 10)))
    (due,) = await reminders.claim_reminders(db, biz.id, clock)
    assert due.stage == 3 and due.days_late == 3 and due.invoice.balance_sen == 10000


async def test_paused_families_void_invoices_and_disabled_operators_get_none(
    db: Database, clock: FixedClock
) -> None:
    clock.set(_at_ten_in_kl(date(2026, 3, 1)))
    biz = await make_business(db, clock)
    paused = await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    voided = await make_family(db, clock, biz, "Bala", start=date(2026, 3, 1))
    await make_family(db, clock, biz, "Chong", start=date(2026, 3, 1))
    report = await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)
    await customers.set_reminders_paused(db, biz.id, paused.id)
    for invoice_id in report.invoice_ids:
        seen = await invoices.get_invoice(db, biz.id, invoice_id, clock)
        if seen.customer_id == voided.id:
            await invoices.void_invoice(db, biz.id, invoice_id, clock)
    clock.set(_at_ten_in_kl(date(2026, 3, 7)))
    due = await reminders.reminders_due(db, biz.id, clock)
    assert [r.invoice.customer_name for r in due] == ["Chong"]
    await operators.update_profile(db, biz.id, reminders_enabled=False)
    assert await reminders.reminders_due(db, biz.id, clock) == []


async def test_the_operators_own_schedule_is_followed(db: Database, clock: FixedClock) -> None:
    clock.set(_at_ten_in_kl(date(2026, 3, 1)))
    biz = await make_business(db, clock, reminder_offsets="0,10")
    await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)
    sent = await _walk(db, clock, biz.id, 31)
    assert list(sent) == [date(2026, 3, 7), date(2026, 3, 17)]


async def test_the_outlook_counts_who_owes_and_finds_the_next_reminder_day(
    db: Database, clock: FixedClock
) -> None:
    clock.set(_at_ten_in_kl(date(2026, 3, 1)))
    biz = await make_business(db, clock)
    made = {
        name: await make_family(db, clock, biz, name, start=date(2026, 3, 1))
        for name in ("Aminah", "Bala", "Chong", "Devi")
    }
    await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)  # all due 7 March
    await payments.record_payment(  # Bala is paid up
        db, biz.id, made["Bala"].id, clock, amount_sen=15000, method="cash"
    )
    await customers.set_archived(db, biz.id, made["Chong"].id)  # archived: not counted
    await customers.set_reminders_paused(db, biz.id, made["Devi"].id)  # owes, paused

    outlook = await reminders.reminder_outlook(db, biz.id, clock)
    assert outlook.due == ()
    assert (outlook.owing_families, outlook.paused_families) == (2, 1)
    assert outlook.next_on == date(2026, 3, 4) and outlook.held == 0

    clock.set(_at_ten_in_kl(date(2026, 3, 4)))
    (claimed,) = await reminders.claim_reminders(db, biz.id, clock)
    assert claimed.invoice.customer_name == "Aminah"
    outlook = await reminders.reminder_outlook(db, biz.id, clock)
    assert outlook.due == () and outlook.next_on == date(2026, 3, 7)

    clock.set(_at_ten_in_kl(date(2026, 3, 21)))
    await reminders.claim_reminders(db, biz.id, clock)  # the last stage, 14 days late
    outlook = await reminders.reminder_outlook(db, biz.id, clock)
    assert (outlook.owing_families, outlook.next_on) == (2, None)
