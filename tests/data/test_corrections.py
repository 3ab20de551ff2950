"""Corrections: voiding invoices and payments, the one live monthly invoice, Undo, the history."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, IntegrityError

from tests.data.factories import Business, make_business, make_family
from vanbill.services import (
    accounts,
    audit,
    corrections,
    delivery,
    exports,
    invoices,
    monthly,
    payments,
    slips,
)
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput, NotFound, TooLate
from vanbill.services.models import Delivery, Invoice, PaymentAllocation

JANUARY = date(2026, 1, 1)
OPERATOR_ACTOR = audit.Actor.operator(1001)


async def _balance(db: Database, biz: Business, customer_id: int, clock: FixedClock) -> tuple:
    found = await accounts.family_balance(db, biz.id, customer_id, clock)
    return found.owed_sen, found.credit_sen


async def _allocations(db: Database, payment_id: int) -> list[tuple[int, int]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(PaymentAllocation.invoice_id, PaymentAllocation.amount_sen)
            .where(PaymentAllocation.payment_id == payment_id)
            .order_by(PaymentAllocation.invoice_id)
        )
        return [(r[0], r[1]) for r in rows]


async def _mark_sent(db: Database, **which: int) -> None:
    async with db.sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(*(getattr(Delivery, k) == v for k, v in which.items()))
            .values(status="sent")
        )


async def _deliveries(db: Database, kind: str) -> list[Delivery]:
    async with db.sessions() as session:
        return list(
            (await session.execute(select(Delivery).where(Delivery.kind == kind))).scalars()
        )


async def test_a_voided_monthly_invoice_frees_its_month_and_what_was_paid_becomes_credit(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    report = await monthly.generate_month(db, biz.id, JANUARY, clock)
    (january,) = report.invoice_ids
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=10000, method="cash", recorded_by=1001
    )
    voided = await invoices.void_invoice(
        db, biz.id, january, clock, reason="Billed the wrong route", actor=OPERATOR_ACTOR
    )
    assert (voided.status, voided.paid_sen, voided.balance_sen) == ("void", 0, 0)
    assert voided.void_reason == "Billed the wrong route"
    assert await _allocations(db, paid.id) == []
    assert await _balance(db, biz, family.id, clock) == (0, 10000)
    # The monthly run now bills January again (the void one does not count) and the credit
    # settles RM 100 of the replacement.
    again = await monthly.generate_month(db, biz.id, JANUARY, clock)
    assert again.created == 1
    (replacement,) = again.invoice_ids
    fresh = await invoices.get_invoice(db, biz.id, replacement, clock)
    assert (fresh.number, fresh.total_sen, fresh.paid_sen, fresh.status) == (
        "INV-2026-0002",
        15000,
        10000,
        "partial",
    )
    assert await _balance(db, biz, family.id, clock) == (5000, 0)
    # A third run, or a hand-made invoice for January, finds the month billed.
    assert (await monthly.generate_month(db, biz.id, JANUARY, clock)).created == 0
    with pytest.raises(
        Conflict, match=r"^invoice.month_billed \(month=datetime.date\(2026, 1, 1\)\)$"
    ):
        await invoices.create_invoice(
            db, biz.id, family.id, clock, [NewLine("Routes", 15000)], period=JANUARY
        )


async def test_the_database_keeps_one_live_invoice_per_family_and_month(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    (january,) = (await monthly.generate_month(db, biz.id, JANUARY, clock)).invoice_ids
    row = {
        "operator_id": biz.id,
        "customer_id": family.id,
        "kind": "monthly",
        "period": JANUARY,
        "issue_date": JANUARY,
        "due_date": JANUARY,
        "subtotal_sen": 100,
        "total_sen": 100,
        "status": "open",
        "created_at": clock.now(),
    }
    with pytest.raises(IntegrityError):  # a second live January
        async with db.sessions.begin() as session:
            await session.execute(
                Invoice.__table__.insert(), [{**row, "number": "X-1", "live_period": JANUARY}]
            )
    # A CHECK refused is an IntegrityError on SQLite, an OperationalError (4025) on MariaDB.
    with pytest.raises(DBAPIError):  # a live invoice that does not hold its month's key
        async with db.sessions.begin() as session:
            await session.execute(
                Invoice.__table__.insert(), [{**row, "number": "X-2", "live_period": None}]
            )
    with pytest.raises(DBAPIError):  # a void invoice still holding the key
        async with db.sessions.begin() as session:
            await session.execute(
                update(Invoice).where(Invoice.id == january).values(status="void")
            )
    await invoices.void_invoice(db, biz.id, january, clock, reason="Mistake")
    async with db.sessions.begin() as session:  # two void Januaries and a live one are fine
        await session.execute(
            Invoice.__table__.insert(),
            [
                {**row, "number": "X-3", "status": "void", "live_period": None},
                {**row, "number": "X-4", "live_period": JANUARY},
            ],
        )


async def test_voiding_a_partly_paid_invoice_moves_its_money_to_the_next_one_owed(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    first = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Trip", 4000)])
    second = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Fee", 6000)])
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=5000, method="cash"
    )
    assert await _allocations(db, paid.id) == [(first.id, 4000), (second.id, 1000)]
    await invoices.void_invoice(db, biz.id, first.id, clock, reason="Trip cancelled")
    assert await _allocations(db, paid.id) == [(second.id, 5000)]
    after = await invoices.get_invoice(db, biz.id, second.id, clock)
    assert (after.paid_sen, after.status) == (5000, "partial")
    assert await _balance(db, biz, family.id, clock) == (1000, 0)


async def test_a_void_invoice_or_payment_is_refused_again_with_its_reason(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    made = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Trip", 4000)])
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=500, method="cash"
    )
    await invoices.void_invoice(db, biz.id, made.id, clock, reason="Sent twice")
    await payments.void_payment(db, biz.id, paid.id, clock, reason="Typed wrong")
    with pytest.raises(
        Conflict, match=r"^void.already_because \(number='INV-2026-0001', reason='Sent twice'\)$"
    ):
        await invoices.void_invoice(db, biz.id, made.id, clock, reason="Again")
    with pytest.raises(
        Conflict, match=r"^void.already_because \(number='RCPT-2026-0001', reason='Typed wrong'\)$"
    ):
        await payments.void_payment(db, biz.id, paid.id, clock, reason="Again")
    with pytest.raises(Conflict, match=r"^void\.already"):
        await corrections.invoice_to_void(db, biz.id, made.id, clock)
    with pytest.raises(Conflict, match=r"^void\.already"):
        await corrections.payment_to_void(db, biz.id, paid.id)
    assert len(await audit.family_history(db, biz.id, family.id)) == 4  # 2 made, 2 voided


async def test_voiding_a_payment_undoes_its_allocations_and_recomputes_statuses_and_credit(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    made = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Trip", 4000)])
    right = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=1500, method="cash"
    )
    wrong = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=9000, method="cash"
    )
    assert (await invoices.get_invoice(db, biz.id, made.id, clock)).status == "paid"
    assert await _balance(db, biz, family.id, clock) == (0, 6500)
    voided = await payments.void_payment(
        db, biz.id, wrong.id, clock, reason="Typed 90 for 9", actor=OPERATOR_ACTOR
    )
    assert voided.voided and voided.void_reason == "Typed 90 for 9" and voided.allocations == ()
    after = await invoices.get_invoice(db, biz.id, made.id, clock)
    assert (after.paid_sen, after.status) == (1500, "partial")
    assert await _balance(db, biz, family.id, clock) == (2500, 0)
    assert await _allocations(db, right.id) == [(made.id, 1500)]
    (entry, *_) = await audit.family_history(db, biz.id, family.id)
    assert (entry.action, entry.reason, entry.actor) == (
        payments.PAYMENT_VOIDED,
        "Typed 90 for 9",
        OPERATOR_ACTOR,
    )
    assert ("status", "recorded", "void") in entry.changes()
    assert ("settled", "INV-2026-0001", "") in entry.changes()


async def test_undo_works_for_ten_minutes_by_the_service_clock_and_then_refuses(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Trip", 4000)])
    first = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=4000, method="cash"
    )
    second = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=100, method="cash"
    )
    clock.set(clock.now() + timedelta(minutes=10))
    undone = await payments.void_payment(
        db, biz.id, first.id, clock, reason="Undone", within=payments.UNDO_WINDOW
    )
    assert undone.voided
    clock.set(clock.now() + timedelta(seconds=1))
    with pytest.raises(
        TooLate, match=r"^payment.undo_too_late \(minutes=10, number='RCPT-2026-0002'\)$"
    ):
        await payments.void_payment(
            db, biz.id, second.id, clock, reason="Undone", within=payments.UNDO_WINDOW
        )
    assert not (await payments.get_payment(db, biz.id, second.id)).voided
    (entry, *_) = await audit.family_history(db, biz.id, family.id)
    assert entry.action == payments.PAYMENT_UNDONE and entry.entity_id == first.id


async def test_the_parent_gets_a_void_document_only_for_what_reached_them(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    sent_one = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("A", 4000)])
    never_sent = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("B", 100)])
    await delivery.send_invoice(db, biz.id, sent_one.id, clock)
    await delivery.send_invoice(db, biz.id, never_sent.id, clock)
    await _mark_sent(db, invoice_id=sent_one.id)
    receipted = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=500, method="cash", notify_parent=True
    )
    quiet = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=700, method="cash", notify_parent=True
    )
    await _mark_sent(db, payment_id=receipted.id)
    for invoice_id in (sent_one.id, never_sent.id):
        await invoices.void_invoice(db, biz.id, invoice_id, clock, reason="Mistake")
    for payment_id in (receipted.id, quiet.id):
        await payments.void_payment(db, biz.id, payment_id, clock, reason="Mistake")
    assert [d.invoice_id for d in await _deliveries(db, "void_invoice")] == [sent_one.id]
    assert [d.payment_id for d in await _deliveries(db, "void_receipt")] == [receipted.id]
    # The receipt still waiting is not sent: the sender skips a void payment's receipt.
    document = await payments.receipt_document(db, biz.id, receipted.id, clock, voided=True)
    assert document.payment.voided and document.payment.void_reason == "Mistake"
    with pytest.raises(Conflict):
        await payments.receipt_document(db, biz.id, quiet.id, clock)


async def test_every_invoice_payment_and_slip_writes_a_history_entry(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await monthly.generate_month(db, biz.id, JANUARY, clock)
    await invoices.create_invoice(
        db, biz.id, family.id, clock, [NewLine("Trip", 2500)], actor=OPERATOR_ACTOR
    )
    await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=1000, method="duitnow", recorded_by=1001
    )
    recorded = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="f1", file_kind="photo"
    )
    dismissed = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="f2", file_kind="photo"
    )
    await slips.record_from_slip(
        db, biz.id, recorded.id, clock, amount_sen=2000, method="bank_transfer", recorded_by=1001
    )
    await slips.dismiss_slip(
        db, biz.id, dismissed.id, clock, reason="Blurry", actor=OPERATOR_ACTOR
    )
    events = await audit.family_history(db, biz.id, family.id)
    assert [e.action for e in reversed(events)] == [
        invoices.INVOICE_ISSUED,
        invoices.INVOICE_ISSUED,
        payments.PAYMENT_RECORDED,
        payments.SLIP_RECORDED,
        slips.SLIP_DISMISSED,
    ]
    monthly_entry, by_hand = events[-1], events[-2]
    assert monthly_entry.actor == audit.BOT
    assert monthly_entry.after == {
        "number": "INV-2026-0001",
        "period": "2026-01-01",
        "total_sen": 15000,
        "status": "open",
    }
    assert by_hand.actor == OPERATOR_ACTOR and by_hand.after["total_sen"] == 2500
    assert events[0].reason == "Blurry"
    assert events[1].after["slip"] == recorded.id and events[1].after["amount_sen"] == 2000
    exported = (await exports.export_history(db, biz.id)).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["action"] for r in rows] == [e.action for e in reversed(events)]
    assert rows[0]["parent"] == "Aminah" and rows[0]["at_local"] == "2026-01-15 10:00"
    assert rows[-1]["reason"] == "Blurry" and rows[-1]["actor"] == "operator"


async def test_another_operators_invoices_and_payments_cannot_be_voided_or_listed(
    db: Database, clock: FixedClock
) -> None:
    mine = await make_business(db, clock)
    theirs = await make_business(db, clock, telegram_user_id=2002)
    family = await make_family(db, clock, theirs, "Bala")
    made = await invoices.create_invoice(db, theirs.id, family.id, clock, [NewLine("Trip", 4000)])
    paid = await payments.record_payment(
        db, theirs.id, family.id, clock, amount_sen=100, method="cash"
    )
    with pytest.raises(NotFound):
        await invoices.void_invoice(db, mine.id, made.id, clock, reason="Mine?")
    with pytest.raises(NotFound):
        await payments.void_payment(db, mine.id, paid.id, clock, reason="Mine?")
    with pytest.raises(NotFound):
        await corrections.invoice_to_void(db, mine.id, made.id, clock)
    with pytest.raises(NotFound):
        await corrections.payment_to_void(db, mine.id, paid.id)
    with pytest.raises(NotFound):
        await corrections.correctable(db, mine.id, family.id, clock)
    assert await audit.family_history(db, mine.id, family.id) == []
    assert (await invoices.get_invoice(db, theirs.id, made.id, clock)).status == "partial"
    assert not (await payments.get_payment(db, theirs.id, paid.id)).voided


@pytest.mark.parametrize("typed", ["", "   ", "x" * 201])
def test_a_void_reason_must_say_something_short(typed: str) -> None:
    with pytest.raises(InvalidInput):
        corrections.check_reason(typed)


def test_a_void_reason_is_cleaned() -> None:
    assert (
        corrections.check_reason("  billed   twice <b>陈美玲</b> ") == "billed twice <b>陈美玲</b>"
    )


async def test_undoing_a_slips_payment_puts_the_slip_back_to_waiting_in_the_same_go(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Routes", 15000)])
    slip = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="file-1", file_kind="photo", caption=""
    )
    recorded = await slips.record_from_slip(
        db, biz.id, slip.id, clock, amount_sen=15000, method="duitnow"
    )
    with pytest.raises(Conflict):  # recorded: it is no longer waiting
        await slips.get_pending_slip(db, biz.id, slip.id)
    undone = await payments.undo_payment(db, biz.id, recorded.id, clock, reason="Undone")
    assert undone.payment.voided and undone.slip_id == slip.id
    waiting = await slips.get_pending_slip(db, biz.id, slip.id)
    assert (waiting.status, waiting.balance_sen) == ("pending", 15000)
    again = await slips.record_from_slip(
        db, biz.id, slip.id, clock, amount_sen=15000, method="bank_transfer"
    )
    assert again.receipt_number == "RCPT-2026-0002" and not again.voided
    # A payment typed in /paid has no slip; another operator's undo finds nothing.
    typed = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=100, method="cash"
    )
    assert (await payments.undo_payment(db, biz.id, typed.id, clock)).slip_id is None
    with pytest.raises(NotFound):
        await payments.undo_payment(db, biz.id + 1000, again.id, clock)
    assert not (await payments.get_payment(db, biz.id, again.id)).voided


async def test_a_slip_stays_recorded_when_the_undo_is_too_late(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    slip = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="file-1", file_kind="photo", caption=""
    )
    recorded = await slips.record_from_slip(
        db, biz.id, slip.id, clock, amount_sen=5000, method="duitnow"
    )
    clock.set(clock.now() + payments.UNDO_WINDOW + timedelta(seconds=1))
    with pytest.raises(TooLate):
        await payments.undo_payment(db, biz.id, recorded.id, clock)
    with pytest.raises(Conflict):  # nothing changed: the slip is still recorded
        await slips.get_pending_slip(db, biz.id, slip.id)
    assert not (await payments.get_payment(db, biz.id, recorded.id)).voided
