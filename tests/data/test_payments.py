"""Payments: oldest invoices first, partial payments, credit carried forward, voiding."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from tests.data.factories import Business, Family, make_business, make_family
from vanbill.services import accounts, exports, invoices, monthly, payments
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.views import PaymentView


async def _three_months(db: Database, clock: FixedClock):  # type: ignore[no-untyped-def]
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    ids = []
    for month in (1, 2, 3):
        report = await monthly.generate_month(db, biz.id, date(2026, month, 1), clock)
        ids.extend(report.invoice_ids)
    return biz, family, ids


async def test_a_payment_settles_the_oldest_invoices_first(
    db: Database, clock: FixedClock
) -> None:
    biz, family, (jan, feb, mar) = await _three_months(db, clock)
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=20000, method="bank_transfer", reference="M2U"
    )
    assert [(a.invoice_id, a.amount_sen) for a in paid.allocations] == [(jan, 15000), (feb, 5000)]
    assert paid.unallocated_sen == 0
    statuses = [(await invoices.get_invoice(db, biz.id, i, clock)).status for i in (jan, feb, mar)]
    assert statuses == ["paid", "partial", "open"]
    balance = await accounts.family_balance(db, biz.id, family.id, clock)
    assert balance.owed_sen == 25000 and balance.credit_sen == 0
    assert [i.id for i in balance.unpaid] == [feb, mar]


async def test_a_payment_for_a_chosen_invoice_settles_that_one_first(
    db: Database, clock: FixedClock
) -> None:
    biz, family, (jan, _feb, mar) = await _three_months(db, clock)
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=16000, method="duitnow", invoice_id=mar
    )
    assert [(a.invoice_id, a.amount_sen) for a in paid.allocations] == [(jan, 1000), (mar, 15000)]


async def test_an_over_payment_becomes_credit_that_pays_the_next_invoice(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    (jan,) = (await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)).invoice_ids
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=20000, method="cash"
    )
    assert paid.unallocated_sen == 5000
    assert (await accounts.family_balance(db, biz.id, family.id, clock)).balance_sen == -5000
    (feb,) = (await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)).invoice_ids
    february = await invoices.get_invoice(db, biz.id, feb, clock)
    assert february.status == "partial" and february.credit_applied_sen == 5000
    assert february.balance_sen == 10000
    assert (await invoices.get_invoice(db, biz.id, jan, clock)).credit_applied_sen == 0


async def test_voiding_a_payment_reopens_what_it_paid(db: Database, clock: FixedClock) -> None:
    biz, family, (jan, feb, _mar) = await _three_months(db, clock)
    first = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=15000, method="cash"
    )
    await payments.record_payment(db, biz.id, family.id, clock, amount_sen=15000, method="cash")
    voided = await payments.void_payment(db, biz.id, first.id, clock)
    assert voided.voided and voided.allocations == ()
    # The second payment stays where it went (February); January is open again.
    assert (await invoices.get_invoice(db, biz.id, jan, clock)).status == "open"
    assert (await invoices.get_invoice(db, biz.id, feb, clock)).status == "paid"
    with pytest.raises(Conflict):
        await payments.void_payment(db, biz.id, first.id, clock)
    with pytest.raises(Conflict, match=r"^payment\.voided_no_receipt$"):
        await payments.receipt_document(db, biz.id, first.id, clock)


@pytest.mark.parametrize(
    ("amount", "says"),
    [
        (0, "amount.field_zero"),
        (-500, "amount.field_negative"),
        (10**11, "amount.field_too_large"),
        (True, "amount.not_sen"),
    ],
)
async def test_zero_negative_and_absurd_payments_are_refused(
    db: Database, clock: FixedClock, amount: int, says: str
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    with pytest.raises(InvalidInput, match=f"^{says}( |$)"):
        await payments.record_payment(
            db, biz.id, family.id, clock, amount_sen=amount, method="cash"
        )
    assert await payments.list_payments(db, biz.id) == []


async def test_a_payment_dated_tomorrow_or_by_an_unknown_method_is_refused(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    with pytest.raises(InvalidInput, match=r"^payment\.future$"):
        await payments.record_payment(
            db, biz.id, family.id, clock, amount_sen=100, method="cash", paid_on=date(2026, 1, 16)
        )
    with pytest.raises(InvalidInput, match=r"^payment\.method "):
        await payments.record_payment(db, biz.id, family.id, clock, amount_sen=100, method="gold")


async def test_paying_an_invoice_that_is_paid_or_someone_elses_is_refused(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    other = await make_family(db, clock, biz, "Bala")
    made = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Fee", 100)])
    await payments.record_payment(db, biz.id, family.id, clock, amount_sen=100, method="cash")
    with pytest.raises(Conflict, match=r"^payment\.invoice_paid$"):
        await payments.record_payment(
            db, biz.id, family.id, clock, amount_sen=100, method="cash", invoice_id=made.id
        )
    with pytest.raises(NotFound):
        await payments.record_payment(
            db, biz.id, other.id, clock, amount_sen=100, method="cash", invoice_id=made.id
        )


async def test_a_receipt_shows_the_balance_left_after_the_payment(
    db: Database, clock: FixedClock
) -> None:
    biz, family, _ = await _three_months(db, clock)
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=20000, method="cash"
    )
    receipt = await payments.receipt_document(db, biz.id, paid.id, clock)
    assert receipt.balance_after_sen == 25000
    assert receipt.customer.name == "Aminah" and receipt.payment.method_label == "Cash"
    assert [(a.invoice_number, a.amount_sen) for a in paid.allocations] == [
        ("INV-2026-0001", 15000),
        ("INV-2026-0002", 5000),
    ]


async def test_a_statement_runs_from_an_opening_to_a_closing_balance(
    db: Database, clock: FixedClock
) -> None:
    biz, family, _ = await _three_months(db, clock)  # all issued on 15 Jan 2026
    await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=20000, method="cash", paid_on=date(2026, 1, 10)
    )
    before = await accounts.statement(db, biz.id, family.id, date(2026, 1, 1), date(2026, 1, 14))
    assert before.opening_balance_sen == 0 and before.closing_balance_sen == -20000
    whole = await accounts.statement(db, biz.id, family.id, date(2026, 1, 11), date(2026, 1, 31))
    assert whole.opening_balance_sen == -20000
    assert [e.balance_sen for e in whole.entries] == [-5000, 10000, 25000]
    assert whole.closing_balance_sen == 25000
    assert (
        whole.closing_balance_sen
        == (await accounts.family_balance(db, biz.id, family.id, clock)).balance_sen
    )
    with pytest.raises(InvalidInput):
        await accounts.statement(db, biz.id, family.id, date(2026, 2, 1), date(2026, 1, 1))


async def test_receipts_are_numbered_per_operator_and_year_paid_without_gaps(
    db: Database, clock: FixedClock
) -> None:
    biz, family, _ = await _three_months(db, clock)
    other = await make_business(db, clock, 2002)
    stranger = await make_family(db, clock, other, "Tan")

    def pay(
        amount_sen: int, paid_on: date | None = None, *, on: Business = biz, who: Family = family
    ) -> Awaitable[PaymentView]:
        return payments.record_payment(
            db, on.id, who.id, clock, amount_sen=amount_sen, method="cash", paid_on=paid_on
        )

    first = await pay(10000)
    with pytest.raises(InvalidInput):
        await pay(0)  # refused: takes no number
    with pytest.raises(InvalidInput):
        await pay(5000, date(2026, 1, 16))  # tomorrow: refused, takes no number
    december = await pay(5000, date(2025, 12, 30))
    elsewhere = await pay(5000, on=other, who=stranger)
    second = await pay(2000)
    voided = await payments.void_payment(db, biz.id, second.id, clock)
    third = await pay(3000)
    assert [first.receipt_number, second.receipt_number, third.receipt_number] == [
        "RCPT-2026-0001",
        "RCPT-2026-0002",
        "RCPT-2026-0003",
    ]
    assert voided.voided and voided.receipt_number == "RCPT-2026-0002"  # a void keeps its number
    assert december.receipt_number == "RCPT-2025-0001"
    assert elsewhere.receipt_number == "RCPT-2026-0001"  # another operator counts for itself
    again = await payments.get_payment(db, biz.id, third.id)
    assert again.receipt_number == "RCPT-2026-0003"


async def test_the_statement_and_the_export_name_a_payment_by_its_receipt_number(
    db: Database, clock: FixedClock
) -> None:
    biz, family, _ = await _three_months(db, clock)
    await payments.record_payment(db, biz.id, family.id, clock, amount_sen=1000, method="cash")
    paid = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=20000, method="duitnow", reference="DN-77"
    )
    assert paid.receipt_number == "RCPT-2026-0002"
    statement = await accounts.statement(
        db, biz.id, family.id, date(2026, 1, 1), date(2026, 1, 31)
    )
    entry = statement.entries[-1]
    assert (entry.kind, entry.reference) == ("payment", "RCPT-2026-0002")
    assert entry.description == "Payment — DuitNow (DN-77)"
    exported = (await exports.export_payments(db, biz.id)).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [(r["receipt"], r["reference"]) for r in rows] == [
        ("RCPT-2026-0001", ""),
        ("RCPT-2026-0002", "DN-77"),
    ]


async def test_a_receipt_keeps_the_standing_right_after_its_payment_and_its_invoices_months(
    db: Database, clock: FixedClock
) -> None:
    """A receipt printed later still says what was owed right after that payment, on the day
    paid, and for each invoice it went to the month, the total, the amount and what remained."""
    kl = ZoneInfo("Asia/Kuala_Lumpur")
    clock.set(datetime(2026, 1, 2, 10, tzinfo=kl))
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)
    clock.set(datetime(2026, 1, 5, 10, tzinfo=kl))
    first = await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=10_000, method="cash"
    )
    clock.set(datetime(2026, 2, 1, 10, tzinfo=kl))
    await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)
    clock.set(datetime(2026, 2, 3, 10, tzinfo=kl))
    await payments.record_payment(db, biz.id, family.id, clock, amount_sen=2_000, method="cash")

    receipt = await payments.receipt_document(db, biz.id, first.id, clock)
    assert receipt.balance_after_sen == 15_000 + 15_000 - 12_000  # today: both months
    assert receipt.balance_then_sen == 5_000  # right after it: January's rest only
    (january,) = receipt.invoices
    assert (january.period, january.total_sen, january.applied_sen, january.remaining_sen) == (
        date(2026, 1, 1),
        15_000,
        10_000,
        5_000,
    )
    assert receipt.locale == "en"
