"""Families change after the first invoice: details, children joining, leaving and moving,
a month billed now for a family added after its run, adjustments and late fees; every change
one transaction with its audit entry, refused on an archived family or for another operator."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.data.factories import make_business, make_family
from vanbill.services import (
    accounts,
    adjustments,
    audit,
    customers,
    families,
    invoices,
    latefees,
    monthly,
    payments,
    routes,
    runs,
)
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.models import LateFee

AMINAH = audit.Actor.operator(1001)
JAN, FEB = date(2026, 1, 1), date(2026, 2, 1)


async def _history(db: Database, operator_id: int, customer_id: int) -> list[str]:
    return [e.action for e in await audit.family_history(db, operator_id, customer_id)]


async def test_the_parents_details_change_with_an_audit_entry(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti", phone="+60123456789")
    changed = await families.edit_family(
        db, biz.id, family.id, clock, AMINAH, field="phone", value="012-987 6543"
    )
    assert changed.phone == "+60129876543"
    await families.edit_family(db, biz.id, family.id, clock, AMINAH, field="name", value="陈美玲")
    (latest, first) = await audit.family_history(db, biz.id, family.id)
    assert first.changes() == [("phone", "+60123456789", "+60129876543")]
    assert latest.changes() == [("name", "Siti", "陈美玲")] and latest.actor == AMINAH
    with pytest.raises(InvalidInput):
        await families.edit_family(
            db, biz.id, family.id, clock, AMINAH, field="phone", value="abc"
        )
    with pytest.raises(InvalidInput):
        await families.edit_family(db, biz.id, family.id, clock, AMINAH, field="id", value="7")
    assert (await customers.get_customer(db, biz.id, family.id)).name == "陈美玲"


async def test_an_archived_family_is_refused_every_change_but_unarchiving(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    await families.set_archived(db, biz.id, family.id, clock, AMINAH, True)
    with pytest.raises(Conflict, match=r"^family\.archived_"):
        await families.edit_family(db, biz.id, family.id, clock, AMINAH, field="notes", value="x")
    with pytest.raises(Conflict, match=r"^family\.archived_"):
        await families.add_child(db, biz.id, family.id, clock, AMINAH, name="Ali")
    with pytest.raises(Conflict, match=r"^family\.archived_"):
        await families.set_reminders_paused(db, biz.id, family.id, clock, AMINAH, True)
    with pytest.raises(Conflict, match=r"^family\.archived_"):
        await adjustments.add_adjustment(
            db,
            biz.id,
            family.id,
            clock,
            AMINAH,
            kind="charge",
            description="Trip",
            amount_sen=100,
            timing="now",
        )
    back = await families.set_archived(db, biz.id, family.id, clock, AMINAH, False)
    assert not back.archived
    paused = await families.set_reminders_paused(db, biz.id, family.id, clock, AMINAH, True)
    assert paused.reminders_paused
    assert await _history(db, biz.id, family.id) == [
        "family.reminders_paused",
        "family.archived",
        "family.archived",
    ]


async def test_another_operators_family_or_child_is_not_found(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    other = await make_business(db, clock, telegram_user_id=1002)
    family = await make_family(db, clock, biz, "Siti")
    child = family.children[0]
    with pytest.raises(NotFound):
        await families.edit_family(db, other.id, family.id, clock, AMINAH, field="name", value="X")
    with pytest.raises(NotFound):
        await families.edit_child(db, other.id, child.id, clock, AMINAH, field="name", value="X")
    with pytest.raises(NotFound):
        await families.child_leaves(
            db, other.id, child.id, clock, AMINAH, last_day=date(2026, 1, 31)
        )
    with pytest.raises(NotFound):
        await families.add_child(db, other.id, family.id, clock, AMINAH, name="X")
    with pytest.raises(NotFound):
        await adjustments.add_adjustment(
            db,
            other.id,
            family.id,
            clock,
            AMINAH,
            kind="credit",
            description="x",
            amount_sen=100,
            timing="now",
        )
    with pytest.raises(NotFound):
        await families.bill_month_now(db, other.id, family.id, clock, AMINAH, rule="full")
    assert await audit.family_history(db, other.id, family.id) == []


async def test_a_child_changes_and_a_new_child_takes_a_route(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    child = await families.edit_child(
        db, biz.id, family.children[0].id, clock, AMINAH, field="birth_year", value=2018
    )
    assert child.birth_year == 2018
    with pytest.raises(InvalidInput):
        await families.edit_child(
            db, biz.id, child.id, clock, AMINAH, field="category", value="uni"
        )
    added = await families.add_child(
        db,
        biz.id,
        family.id,
        clock,
        AMINAH,
        name="Ali",
        route_ids=[biz.afternoon.id],
        next_month=True,
    )
    assert added.start_month == FEB and added.routes == (biz.afternoon.name,)
    plan = await monthly.preview_month(db, biz.id, FEB)
    assert plan.families[0].bill.subtotal_sen == 15000 + 12000


async def test_a_child_leaving_mid_month_after_the_invoice_gets_a_credit_note(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    await monthly.generate_month(db, biz.id, JAN, clock)
    left = await families.child_leaves(
        db,
        biz.id,
        family.children[0].id,
        clock,
        AMINAH,
        last_day=date(2026, 1, 15),
        rule="days",
    )
    # 15 of 31 days of RM 150.00 = 7,258.06 sen -> 7,258; 7,742 back as a credit note.
    assert left.credit_sen == 15000 - 7258 and left.credit_note == "CN-2026-0001"
    balance = await accounts.family_balance(db, biz.id, family.id, clock)
    assert balance.balance_sen == 7258 and balance.credit_sen == 0
    assert (await monthly.preview_month(db, biz.id, FEB)).families == ()
    taken = await routes.list_enrollments(db, biz.id, family.id)
    assert [(e.start_month, e.end_month) for e in taken] == [(JAN, JAN)]  # history kept
    with pytest.raises(Conflict):
        await families.child_leaves(
            db, biz.id, family.children[0].id, clock, AMINAH, last_day=date(2026, 2, 28)
        )


async def test_a_child_moves_to_another_route_from_next_month(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    (taken,) = await routes.list_enrollments(db, biz.id, family.id)
    moved = await families.move_child(
        db,
        biz.id,
        family.children[0].id,
        clock,
        AMINAH,
        enrollment_id=taken.id,
        route_id=biz.afternoon.id,
        from_month=FEB,
    )
    assert (moved.old_route, moved.new_route) == (biz.morning.name, biz.afternoon.name)
    jan = await monthly.preview_month(db, biz.id, JAN)
    feb = await monthly.preview_month(db, biz.id, FEB)
    assert jan.families[0].bill.total_sen == 15000 and feb.families[0].bill.total_sen == 12000


async def test_a_family_added_after_an_empty_run_is_offered_the_month_and_billed(
    db: Database, clock: FixedClock
) -> None:
    """The first-month defect: the run of an operator with no families was the end of it."""
    clock.set(datetime(2026, 12, 1, 19, 11, tzinfo=UTC))  # 03:11 on 2 Dec in KL
    biz = await make_business(db, clock)
    dec = date(2026, 12, 1)
    started = await runs.start_run(db, biz.id, dec, clock)
    assert started is not None and started.run.status == "done"
    clock.advance(timedelta(days=13))  # 15 Dec, a Tuesday
    family = await make_family(db, clock, biz, "Siti", start=dec)
    offer = await families.unbilled_month(db, biz.id, family.id, clock)
    assert offer is not None and offer.period == dec and not offer.own_invoice
    # 17 of 31 days of RM 150.00: 8,225.8 -> 8,226; 13 of 23 school days: 8,478.3 -> 8,478.
    assert offer.figures == {
        "full": 15000,
        "half": 7500,
        "none": 0,
        "days": 8226,
        "school_days": 8478,
    }
    billed = await families.bill_month_now(db, biz.id, family.id, clock, AMINAH, rule="days")
    assert billed.total_sen == 8226 and billed.invoice_id is not None
    invoice = await invoices.get_invoice(db, biz.id, billed.invoice_id, clock)
    assert invoice.period == dec and invoice.total_sen == 8226
    assert "(from 15 Dec, by days)" in invoice.lines[0].description
    assert await families.unbilled_month(db, biz.id, family.id, clock) is None
    with pytest.raises(Conflict):
        await families.bill_month_now(db, biz.id, family.id, clock, AMINAH, rule="full")
    assert "family.bill_month" in await _history(db, biz.id, family.id)


async def test_from_next_month_leaves_this_month_unbilled_and_bills_the_next_in_full(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    await runs.start_run(db, biz.id, JAN, clock)
    family = await make_family(db, clock, biz, "Siti")
    billed = await families.bill_month_now(db, biz.id, family.id, clock, AMINAH, rule="next")
    assert billed.invoice_id is None
    assert (await monthly.preview_month(db, biz.id, JAN)).families == ()
    assert (await monthly.preview_month(db, biz.id, FEB)).families[0].bill.total_sen == 15000


async def test_a_child_added_to_a_billed_family_gets_an_invoice_of_their_own(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    await runs.start_run(db, biz.id, JAN, clock)
    await families.add_child(
        db, biz.id, family.id, clock, AMINAH, name="Ali", route_ids=[biz.afternoon.id]
    )
    offer = await families.unbilled_month(db, biz.id, family.id, clock)
    assert offer is not None and offer.own_invoice and offer.figures["full"] == 12000
    billed = await families.bill_month_now(db, biz.id, family.id, clock, AMINAH, rule="half")
    assert billed.total_sen == 6000
    balance = await accounts.family_balance(db, biz.id, family.id, clock)
    assert balance.owed_sen == 15000 + 6000


async def test_a_child_added_to_a_billed_family_gets_the_sibling_discount_of_the_run(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock, sibling_discount_bp=1000)
    family = await make_family(db, clock, biz, "Siti")  # Aisyah, morning RM 150.00
    await runs.start_run(db, biz.id, JAN, clock)
    await families.add_child(
        db, biz.id, family.id, clock, AMINAH, name="Ali", route_ids=[biz.afternoon.id]
    )
    offer = await families.unbilled_month(db, biz.id, family.id, clock)
    # Ali's RM 120.00 less the 10% sibling discount the run gives a second child: RM 108.00.
    assert offer is not None and offer.own_invoice
    assert (offer.figures["full"], offer.figures["half"], offer.figures["none"]) == (
        10800,
        5400,
        0,
    )
    billed = await families.bill_month_now(db, biz.id, family.id, clock, AMINAH, rule="full")
    assert billed.total_sen == 10800 and billed.invoice_id is not None
    own = await invoices.get_invoice(db, biz.id, billed.invoice_id, clock)
    assert (own.subtotal_sen, own.discount_sen, own.total_sen) == (12000, 1200, 10800)
    # What one run over both children bills for January: 15000 + 12000 - 1200.
    balance = await accounts.family_balance(db, biz.id, family.id, clock)
    assert balance.owed_sen == 15000 + 10800


async def test_a_dearer_child_added_to_a_billed_family_moves_the_discount_to_the_first(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock, sibling_discount_bp=1000)
    family = await make_family(db, clock, biz, "Siti")  # Aisyah, morning RM 150.00
    await runs.start_run(db, biz.id, JAN, clock)
    await families.add_child(
        db,
        biz.id,
        family.id,
        clock,
        AMINAH,
        name="Ali",
        route_ids=[biz.morning.id, biz.afternoon.id],
    )
    billed = await families.bill_month_now(db, biz.id, family.id, clock, AMINAH, rule="full")
    # Ali (RM 270.00) pays in full; the run would have given Aisyah's RM 150.00 the 10%.
    assert billed.total_sen == 27000 - 1500


async def test_a_child_joining_mid_month_before_the_run_is_billed_as_the_operator_chose(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock, billing_day=20)  # January's run: on the 20th
    family = await make_family(db, clock, biz, "Siti")  # Aisyah, morning RM 150.00
    # 15 January (a Thursday): 17 of 31 days of RM 120.00 = 6,580.6 -> 6,581.
    preview = await families.join_preview(
        db, biz.id, family.id, clock, route_ids=[biz.afternoon.id]
    )
    assert preview is not None and (preview.period, preview.joined_on) == (JAN, date(2026, 1, 15))
    assert preview.figures == {
        "full": 12000,
        "half": 6000,
        "none": 0,
        "days": 6581,
        "school_days": 6545,
    }
    added = await families.add_child(
        db,
        biz.id,
        family.id,
        clock,
        AMINAH,
        name="Ali",
        route_ids=[biz.afternoon.id],
        join_rule="days",
    )
    assert (added.joined_on, added.join_rule, added.join_figure_sen) == (
        date(2026, 1, 15),
        "days",
        6581,
    )
    assert await families.unbilled_month(db, biz.id, family.id, clock) is None  # no run yet
    # The run honours the choice: Aisyah in full, Ali by days.
    plan = await monthly.preview_month(db, biz.id, JAN)
    assert plan.families[0].bill.total_sen == 15000 + 6581
    (made,) = (await monthly.generate_month(db, biz.id, JAN, clock)).invoice_ids
    invoice = await invoices.get_invoice(db, biz.id, made, clock)
    assert invoice.total_sen == 21581
    assert any("(from 15 Jan, by days)" in line.description for line in invoice.lines)
    assert (await monthly.preview_month(db, biz.id, FEB)).families[0].bill.total_sen == 27000
    (joined,) = [
        e for e in await audit.family_history(db, biz.id, family.id) if e.action == "child.add"
    ]
    assert joined.after["billing"] == "days" and joined.after["billed_sen"] == 6581


async def test_no_join_choice_on_the_first_after_the_run_or_for_next_month(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock, billing_day=20)
    family = await make_family(db, clock, biz, "Siti")
    route = [biz.afternoon.id]
    clock.set(datetime(2026, 2, 1, 2, 0, tzinfo=UTC))  # 1 February: a whole month
    assert await families.join_preview(db, biz.id, family.id, clock, route_ids=route) is None
    clock.set(datetime(2026, 2, 10, 2, 0, tzinfo=UTC))
    assert await families.join_preview(db, biz.id, family.id, clock, route_ids=[]) is None
    stranger = await make_business(db, clock, telegram_user_id=2002)
    with pytest.raises(NotFound):  # another operator's route
        await families.join_preview(db, biz.id, family.id, clock, route_ids=[stranger.morning.id])
    next_month = await families.add_child(
        db,
        biz.id,
        family.id,
        clock,
        AMINAH,
        name="Ali",
        route_ids=route,
        next_month=True,
        join_rule="none",
    )
    assert next_month.join_rule is None and next_month.start_month == date(2026, 3, 1)
    await runs.start_run(db, biz.id, FEB, clock)  # February's run made (early, by hand)
    assert await families.join_preview(db, biz.id, family.id, clock, route_ids=route) is None
    after_run = await families.add_child(
        db, biz.id, family.id, clock, AMINAH, name="Alia", route_ids=route, join_rule="none"
    )
    assert after_run.join_rule is None  # not stored: the month is offered instead
    offer = await families.unbilled_month(db, biz.id, family.id, clock)
    assert offer is not None and offer.figures["full"] == 12000
    with pytest.raises(InvalidInput):
        await families.add_child(
            db, biz.id, family.id, clock, AMINAH, name="Amir", route_ids=route, join_rule="most"
        )
    with pytest.raises(NotFound):
        await families.join_preview(db, stranger.id, family.id, clock, route_ids=route)


async def test_a_charge_for_the_next_invoice_is_a_line_on_it(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    trip = await adjustments.add_adjustment(
        db,
        biz.id,
        family.id,
        clock,
        AMINAH,
        kind="charge",
        description="Zoo Negara trip",
        amount_sen=3550,
        timing="next",
    )
    assert trip.pending
    report = await monthly.generate_month(db, biz.id, JAN, clock)
    invoice = await invoices.get_invoice(db, biz.id, report.invoice_ids[0], clock)
    assert invoice.total_sen == 15000 + 3550
    assert [line.description for line in invoice.lines][-1] == "Zoo Negara trip"
    again = await adjustments.get_adjustment(db, biz.id, trip.id)
    assert again.invoice_number == invoice.number and not again.pending
    report = await monthly.generate_month(db, biz.id, FEB, clock)
    feb = await invoices.get_invoice(db, biz.id, report.invoice_ids[0], clock)
    assert feb.total_sen == 15000  # billed once


async def test_a_charge_now_is_its_own_invoice_and_a_credit_now_a_credit_note(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    charge = await adjustments.add_adjustment(
        db,
        biz.id,
        family.id,
        clock,
        AMINAH,
        kind="charge",
        description="New seat belt",
        amount_sen=2000,
        timing="now",
    )
    assert charge.invoice_number == "INV-2026-0001"
    credit = await adjustments.add_adjustment(
        db,
        biz.id,
        family.id,
        clock,
        AMINAH,
        kind="credit",
        description="Van off 3 days",
        amount_sen=2500,
        timing="now",
    )
    assert credit.credit_note == "CN-2026-0001"
    balance = await accounts.family_balance(db, biz.id, family.id, clock)
    # The credit settles the charge; 5.00 stays credit: never a negative balance.
    assert (balance.owed_sen, balance.credit_sen) == (0, 500)
    report = await monthly.generate_month(db, biz.id, JAN, clock)
    jan = await invoices.get_invoice(db, biz.id, report.invoice_ids[0], clock)
    assert jan.credit_applied_sen == 500 and jan.balance_sen == 14500
    assert [e.action for e in await audit.family_history(db, biz.id, family.id)] == [
        "invoice_issued",  # January's, by the monthly run
        "adjustment.credit",
        "adjustment.charge",
    ]


async def test_a_credit_for_the_next_invoice_settles_it_first(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    await adjustments.add_adjustment(
        db,
        biz.id,
        family.id,
        clock,
        AMINAH,
        kind="credit",
        description="Goodwill",
        amount_sen=5000,
        timing="next",
    )
    assert (await accounts.family_balance(db, biz.id, family.id, clock)).credit_sen == 0
    report = await monthly.generate_month(db, biz.id, JAN, clock)
    jan = await invoices.get_invoice(db, biz.id, report.invoice_ids[0], clock)
    assert (jan.total_sen, jan.paid_sen, jan.credit_applied_sen) == (15000, 5000, 0)
    assert (await accounts.family_balance(db, biz.id, family.id, clock)).balance_sen == 10000


async def test_bad_adjustments_are_refused(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Siti")
    for kind, text, amount, timing in (
        ("charge", "", 100, "now"),
        ("charge", "Trip", 0, "now"),
        ("charge", "Trip", -5, "now"),
        ("gift", "Trip", 100, "now"),
        ("credit", "Trip", 100, "later"),
    ):
        with pytest.raises(InvalidInput):
            await adjustments.add_adjustment(
                db,
                biz.id,
                family.id,
                clock,
                AMINAH,
                kind=kind,
                description=text,
                amount_sen=amount,
                timing=timing,
            )
    assert await adjustments.list_adjustments(db, biz.id, family.id) == []


async def test_a_late_fee_is_added_once_after_the_days_and_never_on_a_paid_invoice(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    siti = await make_family(db, clock, biz, "Siti")
    bala = await make_family(db, clock, biz, "Bala")
    await latefees.set_settings(db, biz.id, clock, AMINAH, kind="fixed", amount_sen=1000, days=3)
    await monthly.generate_month(db, biz.id, JAN, clock)  # due 22 Jan (issued after the 7th)
    await payments.record_payment(db, biz.id, bala.id, clock, amount_sen=15000, method="cash")
    assert await latefees.add_late_fees(db, biz.id, clock) == []
    clock.set(datetime(2026, 1, 25, 2, 0, tzinfo=UTC))
    (added,) = await latefees.add_late_fees(db, biz.id, clock)
    assert (added.customer_id, added.amount_sen) == (siti.id, 1000)
    assert await latefees.add_late_fees(db, biz.id, clock) == []
    invoice = await invoices.get_invoice(db, biz.id, added.invoice_id, clock)
    assert invoice.total_sen == 16000 and invoice.late_fee_sen == 1000
    assert invoice.lines[-1].description.startswith("Late fee")
    async with db.sessions.begin() as session:  # the database refuses a second one
        session.add(
            LateFee(
                operator_id=biz.id,
                invoice_id=added.invoice_id,
                amount_sen=1,
                added_on=date(2026, 1, 25),
                created_at=clock.now(),
            )
        )
        with pytest.raises(IntegrityError):
            await session.flush()


async def test_a_waived_late_fee_comes_off_and_is_never_added_again(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    siti = await make_family(db, clock, biz, "Siti")
    await latefees.set_settings(db, biz.id, clock, AMINAH, kind="percent", basis_points=500)
    await monthly.generate_month(db, biz.id, JAN, clock)
    clock.set(datetime(2026, 1, 30, 2, 0, tzinfo=UTC))
    (added,) = await latefees.add_late_fees(db, biz.id, clock)
    assert added.amount_sen == 750  # 5% of RM 150.00
    await payments.record_payment(db, biz.id, siti.id, clock, amount_sen=15750, method="cash")
    waived = await latefees.waive_late_fee(db, biz.id, added.invoice_id, clock, AMINAH)
    assert waived.total_sen == 15000
    balance = await accounts.family_balance(db, biz.id, siti.id, clock)
    assert (balance.owed_sen, balance.credit_sen) == (0, 750)  # what paid the fee is credit
    assert await latefees.add_late_fees(db, biz.id, clock) == []
    with pytest.raises(Conflict):
        await latefees.waive_late_fee(db, biz.id, added.invoice_id, clock, AMINAH)
    other = await make_business(db, clock, telegram_user_id=1002)
    with pytest.raises(NotFound):
        await latefees.waive_late_fee(db, other.id, added.invoice_id, clock, AMINAH)
    async with db.sessions() as session:
        (row,) = (await session.execute(select(LateFee))).scalars()
        assert row.waived_at is not None
    assert "invoice.waive_late_fee" in await _history(db, biz.id, siti.id)


async def test_late_fee_settings_are_checked(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    for kind, amount, bp, days in (
        ("fixed", 0, 0, 7),
        ("percent", 0, 0, 7),
        ("fixed", 100, 0, 0),
        ("weekly", 100, 0, 7),
    ):
        with pytest.raises(InvalidInput):
            await latefees.set_settings(
                db,
                biz.id,
                clock,
                AMINAH,
                kind=kind,
                amount_sen=amount,
                basis_points=bp,
                days=days,
            )
    assert not (await latefees.get_settings(db, biz.id)).enabled
