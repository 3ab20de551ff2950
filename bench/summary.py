"""The summary report's p50/p95 at 10,000, 100,000 and 1,000,000 invoices, on MariaDB and SQLite.

    python -m bench.summary                       # every size, both databases
    python -m bench.summary --sizes 10000 --databases mysql --calls 50

Each size is one operator with 1,000 families billed RM 150-170 a month for sizes/1,000 months
(so history grows, the families do not), plus "100x10000": 100 operators of 100 families x 100
months in one database, the report asked of a random one. Rows go in with multi-row INSERTs, as
the services would have left them: 97% of invoices paid in full within 20 days of issue, 2% part
paid, the rest open (the last month's 40% still open), a few families holding credit.
With --check (default up to 100,000) every report is compared with a recomputation from the raw
rows in Python (tests/data/test_billing_properties.py's summary_from_rows).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from tests.data.test_billing_properties import read_state, summary_from_rows
from tests.mysql import ScratchMySQL, mysql_admin_connection
from vanbill.services import reports
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.periods import add_months
from vanbill.services.schema import migrate

NOW = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)
THIS_MONTH = date(2026, 1, 1)
CREATED = "2026-01-01 00:00:00"
BATCH = 5000


class Rows:
    """The rows of one or more operators, ids given here, ready for executemany."""

    def __init__(self) -> None:
        self.operators: list[tuple[object, ...]] = []
        self.customers: list[tuple[object, ...]] = []
        self.invoices: list[tuple[object, ...]] = []
        self.payments: list[tuple[object, ...]] = []
        self.allocations: list[tuple[object, ...]] = []
        self.next = {"customer": 1, "invoice": 1, "payment": 1, "allocation": 1}
        self.sequences: dict[tuple[str, int, int], int] = {}

    def number(self, prefix: str, operator_id: int, year: int) -> str:
        """Return the next gap-free number of the operator's year (INV-2026-0001)."""
        key = (prefix, operator_id, year)
        self.sequences[key] = seq = self.sequences.get(key, 0) + 1
        return f"{prefix}-{year}-{seq:04d}"

    def counters(self, prefix: str) -> list[tuple[object, ...]]:
        """Return the counter rows (operator, year, last number) of a prefix."""
        return [(o, y, seq) for (p, o, y), seq in sorted(self.sequences.items()) if p == prefix]

    def take(self, kind: str) -> int:
        """Return the next id of a kind."""
        value = self.next[kind]
        self.next[kind] = value + 1
        return value


def build(rows: Rows, operator_id: int, families: int, months: int, rng: random.Random) -> None:
    """Add one operator's families, invoices, payments and allocations to rows."""
    rows.operators.append((operator_id, 900_000 + operator_id, f"Van {operator_id}", CREATED))
    first = add_months(THIS_MONTH, -(months - 1))
    today = NOW.date()
    for f in range(families):
        customer_id = rows.take("customer")
        credit = 3000 if f % 97 == 0 else 0  # these families always pay in full, and over
        fee = 15000 + 1000 * (f % 3)
        for m in range(months):
            period = add_months(first, m)
            invoice_id = rows.take("invoice")
            last = m == months - 1
            roll = rng.random()
            if credit or roll < (0.60 if last else 0.97):
                paid = fee
            elif roll < (0.70 if last else 0.99):
                paid = 5000
            else:
                paid = 0
            paid_on = min(period + timedelta(days=rng.randint(0, 20)), today)
            status = "paid" if paid == fee else "partial" if paid else "open"
            closed = max(period, paid_on).isoformat() if status == "paid" else None
            rows.invoices.append(
                (
                    invoice_id,
                    operator_id,
                    customer_id,
                    rows.number("INV", operator_id, period.year),
                    "monthly",
                    period.isoformat(),
                    period.isoformat(),
                    period.replace(day=7).isoformat(),
                    fee,
                    fee,
                    paid,
                    status,
                    CREATED,
                    closed,
                    period.isoformat(),
                )
            )
            if paid:
                payment_id = rows.take("payment")
                extra = credit if last else 0
                rows.payments.append(
                    (
                        payment_id,
                        operator_id,
                        customer_id,
                        paid + extra,
                        "bank_transfer",
                        paid_on.isoformat(),
                        CREATED,
                        rows.number("RCPT", operator_id, paid_on.year),
                    )
                )
                rows.allocations.append(
                    (rows.take("allocation"), operator_id, payment_id, invoice_id, paid, CREATED)
                )
        rows.customers.append((customer_id, operator_id, f"Family {f:05d}", CREATED, credit))


INSERTS = {
    "operators": "INSERT INTO operators (id, telegram_user_id, business_name, created_at)"
    " VALUES (%s, %s, %s, %s)",
    "customers": "INSERT INTO customers (id, operator_id, name, created_at, credit_sen)"
    " VALUES (%s, %s, %s, %s, %s)",
    # live_period = period: every invoice here is live (none void).
    "invoices": "INSERT INTO invoices (id, operator_id, customer_id, number, kind, period,"
    " issue_date, due_date, subtotal_sen, total_sen, paid_sen, status, created_at, closed_on,"
    " live_period) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
    "payments": "INSERT INTO payments (id, operator_id, customer_id, amount_sen, method,"
    " paid_on, created_at, receipt_number) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
    "payment_allocations": "INSERT INTO payment_allocations (id, operator_id, payment_id,"
    " invoice_id, amount_sen, created_at) VALUES (%s, %s, %s, %s, %s, %s)",
    "invoice_counters": "INSERT INTO invoice_counters (operator_id, year, last_seq)"
    " VALUES (%s, %s, %s)",
    "receipt_counters": "INSERT INTO receipt_counters (operator_id, year, last_seq)"
    " VALUES (%s, %s, %s)",
}


def tables_of(rows: Rows) -> list[tuple[str, list[tuple[object, ...]]]]:
    """Return (table, rows) in the order foreign keys need."""
    return [
        ("operators", rows.operators),
        ("customers", rows.customers),
        ("invoices", rows.invoices),
        ("payments", rows.payments),
        ("payment_allocations", rows.allocations),
        ("invoice_counters", rows.counters("INV")),
        ("receipt_counters", rows.counters("RCPT")),
    ]


def load_mysql(name: str, rows: Rows) -> None:
    """Insert the rows into MariaDB database `name` (pymysql folds executemany into multi-row)."""
    with mysql_admin_connection(name) as conn, conn.cursor() as cur:
        cur.execute("SET unique_checks=0, foreign_key_checks=0")
        for table, data in tables_of(rows):
            for i in range(0, len(data), BATCH):
                cur.execute("START TRANSACTION")
                cur.executemany(INSERTS[table], data[i : i + BATCH])
                cur.execute("COMMIT")
        for table, _ in tables_of(rows):
            cur.execute(f"ANALYZE TABLE {table}")


def load_sqlite(path: Path, rows: Rows) -> None:
    """Insert the rows into the SQLite file."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        for table, data in tables_of(rows):
            conn.executemany(INSERTS[table].replace("%s", "?"), data)
        conn.commit()
        conn.execute("ANALYZE")


def percentile(values: list[float], share: float) -> float:
    """Return the share-th percentile (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def measure(
    db: Database, operator_ids: list[int], calls: int, check: bool, rng: random.Random
) -> tuple[float, float, str]:
    """Time summary_report; return p50 and p95 in ms and what the check found."""
    clock = FixedClock(NOW)
    for operator_id in operator_ids[:3]:
        await reports.summary_report(db, operator_id, clock)  # warm the caches
    timings = []
    for _ in range(calls):
        operator_id = rng.choice(operator_ids)
        started = time.perf_counter()
        await reports.summary_report(db, operator_id, clock)
        timings.append((time.perf_counter() - started) * 1000)
    verdict = "not checked"
    if check:
        for operator_id in operator_ids[:2]:
            report = await reports.summary_report(db, operator_id, clock, top=50)
            state = await read_state(db, operator_id)
            expected = summary_from_rows(state, report, NOW.date(), 12)
            if report != expected:
                return statistics.median(timings), percentile(timings, 0.95), "MISMATCH"
        verdict = "exact (= recomputation from rows)"
    return statistics.median(timings), percentile(timings, 0.95), verdict


async def run_one(
    label: str, dialect: str, shape: list[tuple[int, int]], args: argparse.Namespace, workdir: Path
) -> None:
    """Build one database of the given shape [(families, months) per operator] and measure."""
    rng = random.Random(15)
    rows = Rows()
    for n, (families, months) in enumerate(shape, start=1):
        build(rows, n, families, months, rng)
    started = time.perf_counter()
    scratch: ScratchMySQL | None = None
    if dialect == "mysql":
        scratch = ScratchMySQL(prefix="vanbill_bench_summary")
        load_mysql(scratch.name, rows)
        db = Database(scratch.url)
    else:
        path = workdir / f"summary-{label}.db"
        db = Database(f"sqlite+aiosqlite:///{path}")
        await migrate(db)
        await db.dispose()
        load_sqlite(path, rows)
        db = Database(f"sqlite+aiosqlite:///{path}")
    built = time.perf_counter() - started
    try:
        check = args.check if args.check is not None else len(rows.invoices) <= 100_000
        p50, p95, verdict = await measure(
            db, list(range(1, len(shape) + 1)), args.calls, check, rng
        )
    finally:
        await db.dispose()
        if scratch is not None:
            scratch.drop()
    print(
        f"{dialect:6} {label:>10}: {len(rows.invoices):>9,} invoices, {len(rows.payments):>9,}"
        f" payments  built in {built:6.1f} s  summary p50 {p50:7.1f} ms  p95 {p95:7.1f} ms"
        f"  {verdict}",
        flush=True,
    )


def main() -> None:
    """Parse the command line and run every size on every database asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000,100x10000")
    parser.add_argument("--databases", default="mysql,sqlite")
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--check", action=argparse.BooleanOptionalAction, default=None)
    args = parser.parse_args()
    shapes: dict[str, list[tuple[int, int]]] = {}
    for size in args.sizes.split(","):
        if size == "100x10000":
            shapes[size] = [(100, 100)] * 100
        else:
            shapes[size] = [(1000, int(size) // 1000)]
    with tempfile.TemporaryDirectory(prefix="vanbill-summary-") as tmp:
        for dialect in args.databases.split(","):
            for label, shape in shapes.items():
                asyncio.run(run_one(label, dialect, shape, args, Path(tmp)))


if __name__ == "__main__":
    main()
