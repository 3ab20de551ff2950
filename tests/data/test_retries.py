"""Transactions the database aborts are run again whole (services/db.py), and stay idempotent.

A real deadlock (MySQL error 1213) between two connections on MariaDB, and an abort injected
after a use case has written half its rows: the retry sees none of the first attempt's writes.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date

import pymysql
import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.exc import OperationalError

from tests.conftest import ScratchMySQL
from tests.data.factories import make_business, make_family
from tests.data.test_billing_properties import check_books, read_state
from vanbill.services import monthly, payments
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database, RetryPolicy, retried
from vanbill.services.models import Customer, Invoice, Payment

JANUARY = date(2026, 1, 1)


def scratch_database(scratch: ScratchMySQL, attempts: int) -> Database:
    """Return a Database on the emptied scratch database with the given number of attempts."""
    scratch.empty()
    return Database(scratch.url, pool_size=4, retry=RetryPolicy(attempts=attempts))


@pytest.fixture
async def mysql_db(mysql_scratch: ScratchMySQL) -> AsyncIterator[Database]:
    """An empty scratch MariaDB database that retries up to five times."""
    database = scratch_database(mysql_scratch, attempts=5)
    try:
        yield database
    finally:
        await database.dispose()


async def two_rows(db: Database, clock: FixedClock) -> tuple[int, int, int]:
    """Create an operator with two families; return the operator and the families' ids."""
    business = await make_business(db, clock)
    first = await make_family(db, clock, business, "Family A")
    second = await make_family(db, clock, business, "Family B")
    return business.id, first.id, second.id


async def crossing_writers(db: Database, operator_id: int, a: int, b: int) -> list[int]:
    """Run two use cases that write rows a and b in opposite orders, meeting in the middle.

    On their first attempt each waits, holding its first row, until the other holds its own:
    InnoDB then finds the deadlock and aborts one of them. Return each use case's attempts.
    """
    both_hold = asyncio.Barrier(2)
    attempts = [0, 0]

    @retried
    async def tag(db: Database, who: int, order: tuple[int, int]) -> None:
        attempts[who] += 1
        async with db.sessions.begin() as session:
            for step, customer_id in enumerate(order):
                await session.execute(
                    update(Customer)
                    .where(Customer.operator_id == operator_id, Customer.id == customer_id)
                    .values(notes=func.concat(Customer.notes, f"[{who}]"))
                )
                if step == 0 and attempts[who] == 1:
                    await asyncio.wait_for(both_hold.wait(), timeout=30)

    await asyncio.gather(tag(db, 0, (a, b)), tag(db, 1, (b, a)))
    return attempts


async def notes_of(db: Database, *customer_ids: int) -> list[str]:
    """Return the notes of the customers, in the order given."""
    async with db.sessions() as session:
        rows = dict((await session.execute(select(Customer.id, Customer.notes))).tuples().all())
    return [rows[c] for c in customer_ids]


async def test_a_real_deadlock_is_retried_and_each_write_lands_once(
    mysql_db: Database, clock: FixedClock
) -> None:
    operator_id, a, b = await two_rows(mysql_db, clock)

    attempts = await crossing_writers(mysql_db, operator_id, a, b)

    assert sorted(attempts) == [1, 2]  # the deadlock's victim ran twice, the other once
    assert mysql_db.retries_taken == 1
    for notes in await notes_of(mysql_db, a, b):
        assert sorted([notes.count("[0]"), notes.count("[1]")]) == [1, 1], notes


async def test_without_retries_the_same_deadlock_fails_one_use_case(
    mysql_scratch: ScratchMySQL, clock: FixedClock
) -> None:
    db = scratch_database(mysql_scratch, attempts=1)
    try:
        operator_id, a, b = await two_rows(db, clock)
        with pytest.raises(OperationalError) as raised:
            await crossing_writers(db, operator_id, a, b)
        assert raised.value.orig.args[0] == 1213
        assert db.retries_taken == 0
    finally:
        await db.dispose()


def abort_once_after(db: Database, statement_start: str) -> list[int]:
    """Make the first statement starting with statement_start fail with a deadlock, once.

    The transaction has written by then; the error is raised as MariaDB would raise it, so the
    session rolls it back and the use case runs again. Return a list counting the aborts.
    """
    aborted: list[int] = []

    @event.listens_for(db.engine.sync_engine, "after_cursor_execute")
    def _abort(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not aborted and statement.lstrip().upper().startswith(statement_start):
            aborted.append(1)
            raise OperationalError(
                statement, parameters, pymysql.err.OperationalError(1213, "Deadlock found")
            )

    return aborted


@pytest.mark.parametrize("db", ["sqlite", "mysql"], indirect=True)
async def test_a_payment_aborted_after_its_allocations_is_recorded_once(
    db: Database, clock: FixedClock
) -> None:
    business = await make_business(db, clock)
    family = await make_family(db, clock, business, "Keluarga Tan")
    await monthly.generate_month(db, business.id, JANUARY, clock)
    aborted = abort_once_after(db, "INSERT INTO PAYMENT_ALLOCATIONS")

    view = await payments.record_payment(
        db, business.id, family.id, clock, amount_sen=20000, method="cash"
    )

    assert aborted == [1] and db.retries_taken == 1
    async with db.sessions() as session:
        count, total = (
            await session.execute(
                select(func.count(), func.sum(Payment.amount_sen)).where(
                    Payment.operator_id == business.id
                )
            )
        ).one()
        paid = (
            await session.execute(select(Invoice.paid_sen).where(Invoice.customer_id == family.id))
        ).scalar_one()
    assert (count, total, paid) == (1, 20000, 15000)
    assert view.amount_sen == 20000
    books = check_books(await read_state(db, business.id))
    assert books.credit_sen[family.id] == 5000


@pytest.mark.parametrize("db", ["sqlite", "mysql"], indirect=True)
async def test_a_monthly_run_aborted_half_way_creates_each_invoice_once(
    db: Database, clock: FixedClock
) -> None:
    business = await make_business(db, clock)
    for n in range(3):
        await make_family(db, clock, business, f"Family {n}")
    aborted = abort_once_after(db, "INSERT INTO INVOICE_ITEMS")

    report = await monthly.generate_month(db, business.id, JANUARY, clock)

    assert aborted == [1] and db.retries_taken == 1
    assert report.created == 3
    state = await read_state(db, business.id)
    check_books(state)  # numbers 0001-0003, consecutive, the counter at 3
    async with db.sessions() as session:
        per_family = (
            await session.execute(
                select(Invoice.customer_id, func.count())
                .where(Invoice.operator_id == business.id)
                .group_by(Invoice.customer_id)
            )
        ).all()
    assert sorted(n for _, n in per_family) == [1, 1, 1]
