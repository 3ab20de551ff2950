"""Concurrency on MariaDB: numbering, monthly runs and payments that race each other.

These run on MariaDB only ([mysql]): embedded SQLite takes one writer at a time (BEGIN
IMMEDIATE), so there is nothing to race there. Each service call below gets its own pooled
connection, so the transactions really overlap; a deadlock (MySQL error 1213) or a lock wait
timeout would surface as an OperationalError and fail the test.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import AsyncIterator, Awaitable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
from sqlalchemy import event, func, select

from tests.conftest import ScratchMySQL
from tests.data.factories import Business, Family, make_business, make_family
from tests.data.test_billing_properties import Books, check_books, read_state
from vanbill.services import accounts, invoices, monthly, payments
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict
from vanbill.services.models import Invoice, InvoiceItem
from vanbill.services.views import InvoiceView, PaymentView

T = TypeVar("T")
REPO = Path(__file__).resolve().parents[2]
JANUARY = date(2026, 1, 1)
FEBRUARY = date(2026, 2, 1)


class Overlap:
    """Count the connections checked out at once, to show that racing calls really overlapped."""

    def __init__(self, db: Database) -> None:
        self.current = 0
        self.peak = 0
        event.listen(db.engine.sync_engine, "checkout", self._checkout)
        event.listen(db.engine.sync_engine, "checkin", self._checkin)

    def _checkout(self, *_args: object) -> None:
        self.current += 1
        self.peak = max(self.peak, self.current)

    def _checkin(self, *_args: object) -> None:
        self.current -= 1


async def warm_up(db: Database, count: int) -> None:
    """Open count pooled connections at once, so racers need not wait for new connections."""
    connected = 0
    all_open = asyncio.Event()
    release = asyncio.Event()

    async def hold() -> None:
        nonlocal connected
        async with db.engine.connect() as conn:
            await conn.exec_driver_sql("SELECT 1")
            connected += 1
            if connected == count:
                all_open.set()
            await release.wait()

    holders = [asyncio.create_task(hold()) for _ in range(count)]
    await asyncio.wait_for(all_open.wait(), timeout=30)
    release.set()
    await asyncio.gather(*holders)


@pytest.fixture(params=["mysql"])
async def mysql_db(
    request: pytest.FixtureRequest, mysql_scratch: ScratchMySQL
) -> AsyncIterator[Database]:
    """An empty scratch MariaDB database with a pool big enough for every racer at once."""
    mysql_scratch.empty()
    database = Database(mysql_scratch.url, pool_size=25)
    try:
        await warm_up(database, 25)
        yield database
    finally:
        await database.dispose()


async def together(*calls: Awaitable[T]) -> list[T]:
    """Run calls at once; wait for all of them to finish, then raise the first failure if any.

    Unlike a bare gather, no call is left running (holding locks) after one has failed.
    """
    results = await asyncio.gather(*calls, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return cast(list[T], results)


async def books_of(db: Database, operator_id: int) -> Books:
    """Read the operator's rows and check the invariants every state must keep."""
    return check_books(await read_state(db, operator_id))


async def numbers_of(db: Database, operator_id: int) -> list[str]:
    """Return the operator's invoice numbers in order."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(Invoice.number)
            .where(Invoice.operator_id == operator_id)
            .order_by(Invoice.number)
        )
        return [r[0] for r in rows]


async def families(
    db: Database, clock: FixedClock, business: Business, count: int
) -> list[Family]:
    """Create count families, one child each on the morning route (RM 150 a month)."""
    return [await make_family(db, clock, business, f"Family {n:02d}") for n in range(count)]


async def test_twenty_invoices_created_at_once_get_twenty_consecutive_numbers(
    mysql_db: Database, clock: FixedClock
) -> None:
    business = await make_business(mysql_db, clock)
    made = await families(mysql_db, clock, business, 4)
    overlap = Overlap(mysql_db)
    views = await together(
        *(
            invoices.create_invoice(
                mysql_db,
                business.id,
                made[n % 4].id,
                clock,
                [NewLine(description=f"Trip {n}", unit_price_sen=1000 + n)],
            )
            for n in range(20)
        )
    )

    assert overlap.peak >= 10, "the creations did not overlap"
    expected = [f"INV-2026-{n:04d}" for n in range(1, 21)]
    assert sorted(v.number for v in views) == expected
    assert await numbers_of(mysql_db, business.id) == expected
    assert sorted(v.total_sen for v in views) == [1000 + n for n in range(20)]
    async with mysql_db.sessions() as session:
        items = (
            await session.execute(
                select(func.count()).where(InvoiceItem.operator_id == business.id)
            )
        ).scalar_one()
    assert items == 20
    books = await books_of(mysql_db, business.id)
    assert sum(books.invoiced_sen.values()) == sum(1000 + n for n in range(20))


async def test_two_monthly_runs_started_together_create_each_invoice_once(
    mysql_db: Database, clock: FixedClock
) -> None:
    business = await make_business(mysql_db, clock)
    made = await families(mysql_db, clock, business, 12)
    # Two families paid ahead, so the runs also apply credit while they race.
    for family in made[:2]:
        await payments.record_payment(
            mysql_db, business.id, family.id, clock, amount_sen=20000, method="cash"
        )

    overlap = Overlap(mysql_db)
    first, second = await together(
        monthly.generate_month(mysql_db, business.id, JANUARY, clock),
        monthly.generate_month(mysql_db, business.id, JANUARY, clock),
    )
    assert overlap.peak == 2, "the runs did not overlap"

    reports = sorted([first, second], key=lambda r: r.created)
    assert [r.created for r in reports] == [0, 12]
    assert [r.existing for r in reports] == [12, 0]
    assert reports[1].total_sen == 12 * 15000 and reports[0].total_sen == 0
    assert len(reports[1].invoice_ids) == 12 and reports[0].invoice_ids == ()
    assert await numbers_of(mysql_db, business.id) == [f"INV-2026-{n:04d}" for n in range(1, 13)]
    books = await books_of(mysql_db, business.id)
    assert sum(books.invoiced_sen.values()) == 12 * 15000
    for family in made[:2]:
        balance = await accounts.family_balance(mysql_db, business.id, family.id, clock)
        assert (balance.owed_sen, balance.credit_sen) == (0, 5000)


RUN_SCRIPT = """
import asyncio, json, sys
from datetime import UTC, date, datetime

from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.monthly import generate_month


async def main() -> None:
    url, operator_id, period = sys.argv[1], int(sys.argv[2]), date.fromisoformat(sys.argv[3])
    db = Database(url)
    async with db.engine.connect() as conn:  # connected before the start signal
        await conn.exec_driver_sql("SELECT 1")
    print("ready", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    clock = FixedClock(datetime(2026, 2, 1, 1, 0, tzinfo=UTC))
    try:
        report = await generate_month(db, operator_id, period, clock)
    finally:
        await db.dispose()
    print(json.dumps({"created": report.created, "existing": report.existing,
                      "total_sen": report.total_sen}), flush=True)


asyncio.run(main())
"""


async def test_two_processes_running_the_same_month_create_each_invoice_once(
    mysql_db: Database, mysql_scratch: ScratchMySQL, clock: FixedClock, tmp_path: Path
) -> None:
    business = await make_business(mysql_db, clock)
    await families(mysql_db, clock, business, 10)
    script = tmp_path / "run_month.py"
    script.write_text(RUN_SCRIPT, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            str(script),
            mysql_scratch.url,
            str(business.id),
            FEBRUARY.isoformat(),
            cwd=REPO,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(2)
    ]
    try:
        for proc in procs:  # both are connected and waiting: start them together
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), timeout=30)
            if line.strip() != b"ready":
                _, err = await proc.communicate()
                pytest.fail(f"the run did not start: {line!r} {err.decode()[-2000:]}")
        outputs = await asyncio.wait_for(
            asyncio.gather(*(proc.communicate(b"go\n") for proc in procs)), timeout=60
        )
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()

    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
    results = sorted((json.loads(out) for out, _ in outputs), key=lambda r: r["created"])
    assert results == [
        {"created": 0, "existing": 10, "total_sen": 0},
        {"created": 10, "existing": 0, "total_sen": 10 * 15000},
    ]
    assert await numbers_of(mysql_db, business.id) == [f"INV-2026-{n:04d}" for n in range(1, 11)]
    async with mysql_db.sessions() as session:
        per_family = (
            await session.execute(
                select(Invoice.customer_id, func.count())
                .where(Invoice.operator_id == business.id, Invoice.period == FEBRUARY)
                .group_by(Invoice.customer_id)
            )
        ).all()
    assert len(per_family) == 10 and {n for _, n in per_family} == {1}
    await books_of(mysql_db, business.id)


async def test_two_payments_at_once_settle_the_oldest_invoice_then_the_next_then_credit(
    mysql_db: Database, clock: FixedClock
) -> None:
    business = await make_business(mysql_db, clock)
    (family,) = await families(mysql_db, clock, business, 1)
    january = await monthly.generate_month(mysql_db, business.id, JANUARY, clock)
    (monthly_id,) = january.invoice_ids
    extra = await invoices.create_invoice(
        mysql_db,
        business.id,
        family.id,
        clock,
        [NewLine(description="School trip", unit_price_sen=5000)],
        due_date=date(2026, 1, 31),
    )

    overlap = Overlap(mysql_db)
    paid = await together(
        *(
            payments.record_payment(
                mysql_db, business.id, family.id, clock, amount_sen=15000, method="duitnow"
            )
            for _ in range(2)
        )
    )

    assert overlap.peak == 2, "the payments did not overlap"
    # Whichever came first settled the January invoice (due first); the other settled the trip
    # and left the rest as credit.
    first, second = sorted(paid, key=lambda p: p.id)
    assert [(a.invoice_id, a.amount_sen) for a in first.allocations] == [(monthly_id, 15000)]
    assert [(a.invoice_id, a.amount_sen) for a in second.allocations] == [(extra.id, 5000)]
    assert second.unallocated_sen == 10000
    balance = await accounts.family_balance(mysql_db, business.id, family.id, clock)
    assert (balance.owed_sen, balance.credit_sen, balance.unpaid) == (0, 10000, ())
    books = await books_of(mysql_db, business.id)
    assert books.balance_sen(family.id) == 15000 + 5000 - 30000


async def test_many_small_payments_at_once_never_over_allocate(
    mysql_db: Database, clock: FixedClock
) -> None:
    business = await make_business(mysql_db, clock)
    made = await families(mysql_db, clock, business, 2)
    await monthly.generate_month(mysql_db, business.id, JANUARY, clock)

    # 2 families x 8 payments of RM 25: RM 200 each against RM 150 owed each.
    paid = await together(
        *(
            payments.record_payment(
                mysql_db, business.id, family.id, clock, amount_sen=2500, method="cash"
            )
            for family in made
            for _ in range(8)
        )
    )

    # The two families' payments share one receipt counter: 16 numbers, none twice, no gap.
    assert sorted(p.receipt_number for p in paid) == [f"RCPT-2026-{n:04d}" for n in range(1, 17)]

    books = await books_of(mysql_db, business.id)
    for family in made:
        assert books.credit_sen[family.id] == 5000
        assert books.unpaid_count[family.id] == 0
        balance = await accounts.family_balance(mysql_db, business.id, family.id, clock)
        assert (balance.owed_sen, balance.credit_sen) == (0, 5000)


async def test_a_monthly_run_racing_payments_and_new_invoices_keeps_the_books(
    mysql_db: Database, clock: FixedClock
) -> None:
    business = await make_business(mysql_db, clock)
    made = await families(mysql_db, clock, business, 6)
    for family in made[:3]:  # half the families paid ahead, so the run applies their credit
        await payments.record_payment(
            mysql_db, business.id, family.id, clock, amount_sen=10000, method="cash"
        )

    results = await together(
        monthly.generate_month(mysql_db, business.id, JANUARY, clock),
        *(
            payments.record_payment(
                mysql_db, business.id, family.id, clock, amount_sen=7000, method="cash"
            )
            for family in made
        ),
        *(
            invoices.create_invoice(
                mysql_db,
                business.id,
                family.id,
                clock,
                [NewLine(description="Trip", unit_price_sen=3000)],
            )
            for family in made
        ),
        monthly.generate_month(mysql_db, business.id, JANUARY, clock),
    )

    run_reports = [r for r in (results[0], results[-1]) if isinstance(r, monthly.MonthlyReport)]
    assert sorted(r.created for r in run_reports) == [0, 6]
    assert await numbers_of(mysql_db, business.id) == [f"INV-2026-{n:04d}" for n in range(1, 13)]
    books = await books_of(mysql_db, business.id)
    for n, family in enumerate(made):
        paid_ahead = 10000 if n < 3 else 0
        expected = 15000 + 3000 - 7000 - paid_ahead
        assert books.balance_sen(family.id) == expected
        balance = await accounts.family_balance(mysql_db, business.id, family.id, clock)
        assert balance.balance_sen == expected


async def test_bursts_of_mixed_operations_on_the_same_families_keep_the_books(
    mysql_db: Database, clock: FixedClock
) -> None:
    business = await make_business(mysql_db, clock)
    made = await families(mysql_db, clock, business, 3)
    ids = [f.id for f in made]
    january = await monthly.generate_month(mysql_db, business.id, JANUARY, clock)
    expected = dict.fromkeys(ids, 15000)
    paid_ids: list[int] = []

    for round_no in range(3):
        state = await read_state(mysql_db, business.id)
        live = [i for i in state.invoices if i.status != "void"]
        open_ = [i for i in live if i.status in ("open", "partial")]
        victim = live[round_no % len(live)]  # voided twice at once: exactly one may win
        period = date(2026, 2 + round_no, 1)
        calls: list[Awaitable[Any]] = [
            monthly.generate_month(mysql_db, business.id, period, clock),
            monthly.generate_month(mysql_db, business.id, period, clock),
            invoices.void_invoice(mysql_db, business.id, victim.id, clock),
            invoices.void_invoice(mysql_db, business.id, victim.id, clock),
        ]
        for customer_id in ids:
            calls.append(
                invoices.create_invoice(
                    mysql_db,
                    business.id,
                    customer_id,
                    clock,
                    [NewLine(description="Trip", unit_price_sen=1000 * (round_no + 1))],
                )
            )
            calls.append(
                payments.record_payment(
                    mysql_db, business.id, customer_id, clock, amount_sen=7000, method="cash"
                )
            )
        for invoice in open_[:2]:  # may be settled by a racing payment first: then refused
            calls.append(
                payments.record_payment(
                    mysql_db,
                    business.id,
                    invoice.customer_id,
                    clock,
                    amount_sen=2000,
                    method="duitnow",
                    invoice_id=invoice.id,
                )
            )
        if paid_ids:
            calls.append(payments.void_payment(mysql_db, business.id, paid_ids.pop(0), clock))

        results = await asyncio.gather(*calls, return_exceptions=True)

        unexpected = [
            r for r in results if isinstance(r, BaseException) and not isinstance(r, Conflict)
        ]
        assert unexpected == [], f"round {round_no}: {unexpected!r}"
        voids = [r for r in results[2:4] if isinstance(r, InvoiceView)]
        assert len(voids) == 1, f"round {round_no}: {results[2:4]!r}"
        expected[victim.customer_id] -= victim.total_sen
        runs = [r for r in results[:2] if isinstance(r, monthly.MonthlyReport)]
        assert sorted(r.created for r in runs) == [0, 3]
        for customer_id in ids:
            expected[customer_id] += 15000 + 1000 * (round_no + 1)
        for result in results[4:]:
            if isinstance(result, PaymentView) and result.voided:
                expected[result.customer_id] += result.amount_sen
            elif isinstance(result, PaymentView):
                expected[result.customer_id] -= result.amount_sen
                paid_ids.append(result.id)

        books = await books_of(mysql_db, business.id)
        for customer_id in ids:
            assert books.balance_sen(customer_id) == expected[customer_id], f"round {round_no}"
            balance = await accounts.family_balance(mysql_db, business.id, customer_id, clock)
            assert balance.balance_sen == expected[customer_id]
    assert len(january.invoice_ids) == 3
