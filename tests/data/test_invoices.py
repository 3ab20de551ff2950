"""Ad-hoc invoices: numbering, due dates, status, overdue in the operator's zone, voiding."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tests.data.factories import make_business, make_family
from vanbill.services import invoices, payments
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput, NotFound

ZOO = [NewLine("Trip to Zoo Negara", 2500, 2)]


async def test_numbers_run_per_operator_and_year_without_gaps(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    other = await make_business(db, clock, telegram_user_id=2002)
    family = await make_family(db, clock, biz, "Aminah")
    stranger = await make_family(db, clock, other, "Bala")
    numbers = [(await invoices.create_invoice(db, biz.id, family.id, clock, ZOO)).number]
    numbers.append((await invoices.create_invoice(db, biz.id, family.id, clock, ZOO)).number)
    theirs = await invoices.create_invoice(db, other.id, stranger.id, clock, ZOO)
    clock.set(datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # already 1 Jan 2027 in KL
    numbers.append((await invoices.create_invoice(db, biz.id, family.id, clock, ZOO)).number)
    assert numbers == ["INV-2026-0001", "INV-2026-0002", "INV-2027-0001"]
    assert theirs.number == "INV-2026-0001"


async def test_a_refused_invoice_does_not_use_up_a_number(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    with pytest.raises(NotFound):
        await invoices.create_invoice(
            db, biz.id, family.id, clock, [NewLine("Ghost", 100, child_id=999_999)]
        )
    made = await invoices.create_invoice(db, biz.id, family.id, clock, ZOO)
    assert made.number == "INV-2026-0001"


async def test_an_invoice_adds_up_its_lines_and_falls_due_on_the_due_day(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)  # clock: 15 Jan 2026, due day 7
    family = await make_family(db, clock, biz, "Aminah")
    child = family.children[0]
    made = await invoices.create_invoice(
        db,
        biz.id,
        family.id,
        clock,
        [NewLine("Trip", 2500, 2, child_id=child.id), NewLine("Late pick-up", 1000)],
        discount_sen=500,
        description="Extras",
    )
    assert (made.subtotal_sen, made.discount_sen, made.total_sen) == (6000, 500, 5500)
    assert made.issue_date == date(2026, 1, 15) and made.due_date == date(2026, 2, 7)
    assert made.status == "open" and not made.overdue
    assert made.lines[0].child_name == "Aisyah" and made.lines[0].amount_sen == 5000
    assert made.children == ("Aisyah",)


async def test_overdue_is_judged_by_the_operators_local_date(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    made = await invoices.create_invoice(
        db, biz.id, family.id, clock, ZOO, due_date=date(2026, 1, 20)
    )
    clock.set(datetime(2026, 1, 20, 15, 59, tzinfo=UTC))  # 23:59 on the 20th in KL
    assert not (await invoices.get_invoice(db, biz.id, made.id, clock)).overdue
    clock.set(datetime(2026, 1, 20, 16, 0, tzinfo=UTC))  # midnight: the 21st in KL
    seen = await invoices.get_invoice(db, biz.id, made.id, clock)
    assert seen.overdue and seen.display_status == "overdue" and seen.status == "open"
    overdue = await invoices.list_invoices(db, biz.id, clock, which="overdue")
    assert [i.id for i in overdue] == [made.id]


async def test_voiding_keeps_the_invoice_and_turns_what_was_paid_into_credit(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    made = await invoices.create_invoice(db, biz.id, family.id, clock, ZOO)
    await payments.record_payment(db, biz.id, family.id, clock, amount_sen=3000, method="cash")
    voided = await invoices.void_invoice(db, biz.id, made.id, clock, reason="Trip cancelled")
    assert voided.status == "void" and voided.paid_sen == 0 and voided.balance_sen == 0
    assert (await invoices.get_invoice(db, biz.id, made.id, clock)).number == "INV-2026-0001"
    again = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Trip", 2000)])
    assert again.status == "paid" and again.credit_applied_sen == 2000
    with pytest.raises(Conflict, match=r"^void\.already"):
        await invoices.void_invoice(db, biz.id, made.id, clock)


async def test_invoices_are_listed_unpaid_overdue_or_by_month(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    first = await invoices.create_invoice(
        db, biz.id, family.id, clock, ZOO, due_date=date(2026, 1, 16)
    )
    second = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Fee", 100)])
    await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=100, method="cash", invoice_id=second.id
    )
    clock.set(datetime(2026, 2, 1, 2, 0, tzinfo=UTC))
    unpaid = await invoices.list_invoices(db, biz.id, clock, which="unpaid")
    assert [i.id for i in unpaid] == [first.id]
    january = await invoices.list_invoices(db, biz.id, clock, period=date(2026, 1, 1))
    assert {i.id for i in january} == {first.id, second.id}
    assert await invoices.list_invoices(db, biz.id, clock, period=date(2026, 2, 1)) == []
    found = await invoices.find_invoice_by_number(db, biz.id, " inv-2026-0002 ", clock)
    assert found.id == second.id and found.status == "paid"


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"discount_sen": 99_999}, "invoice.discount_too_large"),
        ({"due_date": date(2026, 1, 1)}, "invoice.due_before_date"),
        ({"lines": []}, "invoice.no_lines"),
    ],
)
async def test_an_invoice_that_makes_no_sense_is_refused(
    db: Database, clock: FixedClock, kwargs: dict[str, object], says: str
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    options = dict(kwargs)
    lines = options.pop("lines", ZOO)
    with pytest.raises(InvalidInput) as refused:
        await invoices.create_invoice(db, biz.id, family.id, clock, lines, **options)  # type: ignore[arg-type]
    assert refused.value.code == says
    assert await invoices.list_invoices(db, biz.id, clock) == []


async def test_the_document_shows_the_familys_earlier_unpaid_balance(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await invoices.create_invoice(db, biz.id, family.id, clock, ZOO)
    later = await invoices.create_invoice(db, biz.id, family.id, clock, [NewLine("Fee", 100)])
    document = await invoices.invoice_document(db, biz.id, later.id, clock)
    assert document.previous_unpaid_sen == 5000
    assert document.operator.business_name == "Van Kak Ros"
    assert document.invoice.customer_name == "Aminah"


async def test_a_draft_is_shown_but_never_written(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    draft = await invoices.draft_invoice_document(
        db,
        biz.id,
        family.id,
        clock,
        [NewLine("Morning", 15000, child_id=family.children[0].id, service_id=biz.morning.id)],
    )
    assert draft.invoice.number == "DRAFT" and draft.invoice.total_sen == 15000
    assert draft.invoice.lines[0].child_name == "Aisyah"
    assert await invoices.list_invoices(db, biz.id, clock) == []


async def test_documents_fetched_in_bulk_match_those_fetched_one_by_one(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    aminah = await make_family(db, clock, biz, "Aminah")
    bala = await make_family(db, clock, biz, "Bala")
    ids = []
    for family in (aminah, bala, aminah):
        ids.append((await invoices.create_invoice(db, biz.id, family.id, clock, ZOO)).id)
    bulk = await invoices.invoice_documents(db, biz.id, ids, clock)
    for invoice_id in ids:
        assert bulk[invoice_id] == await invoices.invoice_document(db, biz.id, invoice_id, clock)
    assert bulk[ids[2]].previous_unpaid_sen == 5000
