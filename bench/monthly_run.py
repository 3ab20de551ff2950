"""A whole monthly run on MariaDB: generation, rendering and delivery to a loopback fake Bot API
that allows 30 messages a second and answers 429 beyond that.

    python -m bench.monthly_run [--families 1000] [--url mysql+aiomysql://root@127.0.0.1:3306/]

Prints each phase's time, Telegram's floor (N/30 s), the rendering rate, the ratios against the
targets, the 429s received and peak memory.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import multiprocessing
import os
import resource
import time
from datetime import UTC, date, datetime
from pathlib import Path

from telegram.ext import AIORateLimiter, ExtBot

from tests.bot.fake_telegram import FakeTelegram
from tests.cluster.fleet import bulk_families
from tests.mysql import ScratchMySQL
from vanbill.bot.sender import OutboxSender
from vanbill.services import delivery, invoices, operators, routes
from vanbill.services.clock import FixedClock, SystemClock
from vanbill.services.db import Database
from vanbill.services.documents import DocumentRenderer
from vanbill.services.monthly import generate_month

TELEGRAM_RATE = 30


async def load_linked_families(db: Database, operator_id: int, route_id: int, count: int) -> None:
    """Insert count linked families with one child on the route, in bulk."""
    await bulk_families(
        db, operator_id, 10_000_000, count, route_id, date(2026, 1, 1), datetime.now(UTC)
    )


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time a live process has used so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def mariadb_pid() -> int | None:
    """Return the MariaDB server's pid when it runs on this machine, else None."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() in ("mariadbd", "mysqld"):
                    return int(entry.name)
            except OSError:
                continue
    return None


def cpu_snapshot() -> dict[str, float]:
    """Return CPU seconds used so far by this process, the PDF workers and MariaDB."""
    snapshot = {"bench": time.process_time()}
    snapshot["PDF workers"] = sum(cpu_seconds(p.pid) for p in multiprocessing.active_children())
    server = mariadb_pid()
    if server is not None:
        snapshot["MariaDB"] = cpu_seconds(server)
    return snapshot


def most_in_any_second(arrivals: list[float]) -> int:
    """Return the most sends that arrived at the fake Bot API within any one second."""
    times = sorted(arrivals)
    return max(
        (bisect.bisect_left(times, start + 1.0) - i for i, start in enumerate(times)), default=0
    )


def peak_mb() -> tuple[float, float]:
    """Return peak resident memory of this process and of its largest finished child, MiB."""
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return me, children


async def run(families: int, url: str) -> None:
    """Set up, then time generation, rendering and delivery."""
    scratch = ScratchMySQL(url, prefix="vanbill_bench")
    db = Database(scratch.url)
    try:
        clock = FixedClock(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
        op = await operators.ensure_operator(db, 1, clock)
        await operators.update_profile(
            db,
            op.id,
            business_name="Bench Vans",
            bank_name="Maybank",
            bank_account="5140 1",
            payment_qr_payload="00020101021126580014A0000006150001",
        )
        route = await routes.add_service(db, op.id, clock, name="Morning", monthly_fee_sen=15000)
        await load_linked_families(db, op.id, route.id, families)

        renderer = DocumentRenderer()
        started = time.perf_counter()
        await asyncio.to_thread(renderer.start_pool)
        pool_start = time.perf_counter() - started

        async with FakeTelegram(max_per_second=TELEGRAM_RATE) as tg:
            bot = ExtBot(
                tg.token,
                base_url=f"{tg.api_url}/bot",
                base_file_url=f"{tg.api_url}/file/bot",
                rate_limiter=AIORateLimiter(max_retries=0),
            )
            async with bot:
                cpu_before = cpu_snapshot()
                run_started = time.perf_counter()
                report = await generate_month(db, op.id, date(2026, 3, 1), clock, deliver=True)
                generation = time.perf_counter() - run_started
                sender = OutboxSender(bot, db, SystemClock(), renderer, batch=24)
                delivery_started = time.perf_counter()
                while await delivery.pending_count(db) > 0:
                    if await sender.drain() == 0:
                        await asyncio.sleep(0.05)
                finished = time.perf_counter()
                cpu_after = cpu_snapshot()
            documents = [c for c in tg.calls if c.method == "sendDocument" and c.ok]
            sends = sorted(c.at for c in documents)
            too_many = tg.too_many_requests
            busiest = most_in_any_second(tg.send_arrivals)

        # The rendering rate on its own, warm pool, on a sample of this run's invoices.
        sample_ids = list(report.invoice_ids[: min(200, families)])
        docs = await invoices.invoice_documents(db, op.id, sample_ids, clock)
        started = time.perf_counter()
        await renderer.render_invoices([docs[i] for i in sample_ids])
        render_rate = len(sample_ids) / (time.perf_counter() - started)
        renderer.close()

        whole = finished - run_started
        deliver = finished - delivery_started
        send_span = sends[-1] - sends[0] if len(sends) > 1 else 0.0
        floor = families / TELEGRAM_RATE
        bound = max(floor, families / render_rate)
        me, child = peak_mb()
        print(f"families                 {families}")
        print(f"invoices created         {report.created}; documents delivered {len(documents)}")
        print(f"PDF pool start           {pool_start:.2f} s (before the run)")
        print(f"generation               {generation:.2f} s")
        print(f"delivery (render+send)   {deliver:.2f} s; first to last send {send_span:.2f} s")
        print(f"whole run                {whole:.2f} s")
        print(f"Telegram floor N/30      {floor:.2f} s")
        render_floor = families / render_rate
        print(f"rendering rate           {render_rate:.1f} PDFs/s (N/rate = {render_floor:.2f} s)")
        print(f"whole / max(floor, N/rate)   {whole / bound:.3f}  (target <= 1.10)")
        print(
            f"whole / (floor + N/rate)     {whole / (floor + render_floor):.3f}  (pipelined < 1)"
        )
        print(f"delivery / floor             {deliver / floor:.3f}  (target <= 1.15)")
        print(f"429s received            {too_many}  (target 0)")
        print(f"most sends in any second {busiest}  (Telegram's limit {TELEGRAM_RATE})")
        print(
            f"peak memory              {me:.0f} MiB this process, {child:.0f} MiB largest worker"
        )
        for who, seconds in cpu_after.items():
            used = seconds - cpu_before.get(who, 0.0)
            print(f"CPU during the run       {who}: {used:.1f} s ({used / whole:.2f} cores)")
        print(f"load average             {os.getloadavg()[0]:.2f}")
    finally:
        await db.dispose()
        scratch.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=1000)
    parser.add_argument(
        "--url", default=os.environ.get("TEST_MYSQL_URL", "mysql+aiomysql://root@127.0.0.1:3306/")
    )
    args = parser.parse_args()
    asyncio.run(run(args.families, args.url))


if __name__ == "__main__":
    main()
