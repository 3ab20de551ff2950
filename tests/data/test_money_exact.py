"""Money stays exact in SQL aggregates on both databases."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, insert, select

from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.models import Customer, Invoice, InvoiceItem, Operator


async def test_ten_sen_plus_twenty_sen_a_thousand_times_sums_to_exactly_rm_300(
    db: Database, clock: FixedClock
) -> None:
    now = clock.now()
    async with db.sessions.begin() as session:
        operator_id = (
            await session.execute(
                insert(Operator).values(telegram_user_id=1, created_at=now).returning(Operator.id)
            )
        ).scalar_one()
        customer_id = (
            await session.execute(
                insert(Customer)
                .values(operator_id=operator_id, name="Aminah", created_at=now)
                .returning(Customer.id)
            )
        ).scalar_one()
        invoice_id = (
            await session.execute(
                insert(Invoice)
                .values(
                    operator_id=operator_id,
                    customer_id=customer_id,
                    number="INV-2026-0001",
                    issue_date=date(2026, 1, 1),
                    due_date=date(2026, 1, 7),
                    subtotal_sen=30000,
                    total_sen=30000,
                    created_at=now,
                )
                .returning(Invoice.id)
            )
        ).scalar_one()
        rows = []
        for i in range(1000):
            for sen in (10, 20):
                rows.append(
                    {
                        "operator_id": operator_id,
                        "invoice_id": invoice_id,
                        "position": 0,
                        "description": f"line {i}",
                        "unit_price_sen": sen,
                        "quantity": 1,
                        "amount_sen": sen,
                    }
                )
        await session.execute(insert(InvoiceItem), rows)

    async with db.sessions() as session:
        total = (await session.execute(select(func.sum(InvoiceItem.amount_sen)))).scalar_one()
        average = (
            await session.execute(select(func.sum(InvoiceItem.amount_sen) / 2000))
        ).scalar_one()
    assert int(total) == 30000 and total == 30000  # RM 300.00 exactly, not 299.99999...
    assert f"{int(total) // 100}.{int(total) % 100:02d}" == "300.00"
    assert average == 15


async def test_an_aware_timestamp_comes_back_as_the_same_utc_instant(
    db: Database, clock: FixedClock
) -> None:
    async with db.sessions.begin() as session:
        session.add(Operator(telegram_user_id=77, created_at=clock.now()))
    async with db.sessions() as session:
        stored = (await session.execute(select(Operator.created_at))).scalar_one()
    assert stored == clock.now()
    assert stored.utcoffset() is not None and stored.utcoffset().total_seconds() == 0
