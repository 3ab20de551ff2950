"""Galera's certification conflicts, provoked on purpose, are retried whole (services/db.py).

Row locks are local to a node: two nodes can both hold the same row, and the conflict shows at
commit, where one transaction fails with error 1213. Each test writes the same row through two
nodes while the first transaction is still open.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import date

import pytest
from sqlalchemy import event, func, select, update

from tests.cluster.conftest import causal, galera_nodes, node_url
from tests.data.factories import make_business, make_family
from tests.data.test_billing_properties import check_books, read_state
from vanbill.services import monthly, payments
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database, retried
from vanbill.services.models import Customer, Invoice, Payment

pytestmark = pytest.mark.galera
JANUARY = date(2026, 1, 1)


async def test_the_same_row_written_through_two_nodes_is_retried_on_the_loser(
    nodes: list[Database], clock: FixedClock
) -> None:
    first, second = nodes[0], nodes[1]
    business = await make_business(first, clock)
    family = await make_family(first, clock, business, "Keluarga Lim")
    second_wrote, first_committed = asyncio.Event(), asyncio.Event()
    attempts = {"first": 0, "second": 0}

    @retried
    async def tag(db: Database, who: str, *, hold: bool) -> None:
        attempts[who] += 1
        async with db.sessions.begin() as session:
            await session.execute(
                update(Customer)
                .where(Customer.operator_id == business.id, Customer.id == family.id)
                .values(notes=func.concat(Customer.notes, f"[{who}]"))
            )
            if hold and attempts[who] == 1:
                second_wrote.set()
                await asyncio.wait_for(first_committed.wait(), timeout=30)

    async def first_writer() -> None:
        await second_wrote.wait()
        await tag(first, "first", hold=False)  # node 1 knows nothing of node 2's row lock
        first_committed.set()

    await asyncio.gather(tag(second, "second", hold=True), first_writer())

    assert attempts == {"first": 1, "second": 2}
    assert (first.retries_taken, second.retries_taken) == (0, 1)
    async with first.sessions() as session:
        notes = (
            await session.execute(select(Customer.notes).where(Customer.id == family.id))
        ).scalar_one()
    assert sorted([notes.count("[first]"), notes.count("[second]")]) == [1, 1], notes


async def test_two_payments_for_one_family_through_two_nodes_are_each_recorded_once(
    nodes: list[Database], clock: FixedClock
) -> None:
    first, second = nodes[0], nodes[1]
    business = await make_business(first, clock)
    family = await make_family(first, clock, business, "Keluarga Tan")
    await monthly.generate_month(first, business.id, JANUARY, clock)  # RM 150.00 owed
    database = first.url.rsplit("/", 1)[1].split("?")[0]

    async def pay_through_first_node() -> None:
        other = causal(Database(node_url(galera_nodes()[0], database), pool_size=1))
        try:
            await payments.record_payment(
                other, business.id, family.id, clock, amount_sen=10000, method="cash"
            )
        finally:
            await other.dispose()

    interleaved: list[int] = []

    @event.listens_for(second.engine.sync_engine, "after_cursor_execute")
    def _meanwhile(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        # Node 2's payment has allocated against the invoice it read unpaid and updates it:
        # node 1 now records and commits its own payment for the same invoice.
        if not interleaved and statement.lstrip().upper().startswith("UPDATE INVOICES"):
            interleaved.append(1)
            with ThreadPoolExecutor(1) as pool:
                pool.submit(asyncio.run, pay_through_first_node()).result(timeout=60)

    view = await payments.record_payment(
        second, business.id, family.id, clock, amount_sen=8000, method="bank_transfer"
    )

    assert interleaved == [1]
    assert second.retries_taken == 1  # node 2's first attempt lost the certification
    assert view.amount_sen == 8000
    async with first.sessions() as session:
        amounts = sorted(
            (
                await session.execute(
                    select(Payment.amount_sen).where(Payment.operator_id == business.id)
                )
            ).scalars()
        )
        paid = (
            await session.execute(select(Invoice.paid_sen).where(Invoice.customer_id == family.id))
        ).scalar_one()
    assert amounts == [8000, 10000]
    assert paid == 15000
    for db in nodes:  # every node holds the same books
        books = check_books(await read_state(db, business.id))
        assert books.credit_sen[family.id] == 3000
