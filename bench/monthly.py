"""Generate a month for N families (two children each) on MariaDB; print invoices per second.

    python -m bench.monthly [--families 10000] [--url mysql+aiomysql://root@127.0.0.1:3306/]

It makes its own scratch database (dropped afterwards), loads the families with bulk inserts,
then times services.monthly.generate_month twice for the same period: the first run creates every
invoice, the second must create nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, insert, select

from tests.mysql import ScratchMySQL
from vanbill.services import operators, routes
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.models import Child, Customer, Enrollment, Invoice, InvoiceItem
from vanbill.services.money import format_money
from vanbill.services.monthly import generate_month


async def load_families(db: Database, operator_id: int, services: list[int], count: int) -> None:
    """Insert count families with two children, each child on one route, in bulk."""
    now = datetime.now(UTC)
    async with db.sessions.begin() as session:
        await session.execute(
            insert(Customer),
            [
                {
                    "operator_id": operator_id,
                    "name": f"Parent {i:05d}",
                    "phone": f"+6012{i:07d}",
                    "created_at": now,
                }
                for i in range(count)
            ],
        )
        customer_ids = (
            await session.execute(select(Customer.id).where(Customer.operator_id == operator_id))
        ).scalars()
        await session.execute(
            insert(Child),
            [
                {
                    "operator_id": operator_id,
                    "customer_id": cid,
                    "name": f"Child {cid}-{n}",
                    "created_at": now,
                }
                for cid in customer_ids
                for n in (1, 2)
            ],
        )
        child_ids = (
            await session.execute(select(Child.id).where(Child.operator_id == operator_id))
        ).scalars()
        await session.execute(
            insert(Enrollment),
            [
                {
                    "operator_id": operator_id,
                    "child_id": child_id,
                    "service_id": services[child_id % 2],
                    "start_month": date(2026, 1, 1),
                    "created_at": now,
                }
                for child_id in child_ids
            ],
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=10_000)
    parser.add_argument(
        "--url", default=os.environ.get("TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/")
    )
    args = parser.parse_args()
    scratch = ScratchMySQL(args.url, prefix="vanbill_bench")
    db = Database(scratch.url)
    try:
        clock = FixedClock(datetime(2026, 3, 1, 0, 30, tzinfo=UTC))
        op = await operators.ensure_operator(db, 1, clock)
        await operators.update_profile(
            db, op.id, business_name="Bench Vans", sibling_discount_bp=1000
        )
        morning = await routes.add_service(db, op.id, clock, name="Morning", monthly_fee_sen=15000)
        evening = await routes.add_service(db, op.id, clock, name="Evening", monthly_fee_sen=12000)
        started = time.perf_counter()
        await load_families(db, op.id, [morning.id, evening.id], args.families)
        loaded = time.perf_counter() - started
        print(f"loaded {args.families} families (2 children each) in {loaded:.2f} s")

        started = time.perf_counter()
        first = await generate_month(db, op.id, date(2026, 3, 1), clock)
        elapsed = time.perf_counter() - started
        print(
            f"first run:  {first.created} invoices in {elapsed:.2f} s "
            f"= {first.created / elapsed:,.0f} invoices/s (target >= 5,000)"
        )
        started = time.perf_counter()
        second = await generate_month(db, op.id, date(2026, 3, 1), clock)
        elapsed2 = time.perf_counter() - started
        print(
            f"second run: {second.created} created, {second.existing} already existed, "
            f"in {elapsed2:.3f} s (target < 1 s)"
        )
        async with db.sessions() as session:
            invoices = (
                await session.execute(select(func.count()).select_from(Invoice))
            ).scalar_one()
            items = (
                await session.execute(select(func.count()).select_from(InvoiceItem))
            ).scalar_one()
            total = (await session.execute(select(func.sum(Invoice.total_sen)))).scalar_one()
        print(
            f"database holds {invoices} invoices, {items} lines, total {format_money(int(total))}"
        )
    finally:
        await db.dispose()
        scratch.drop()


if __name__ == "__main__":
    asyncio.run(main())
