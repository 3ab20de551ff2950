"""Kill a private MariaDB for a while under the running bot mid-month, N times; count the damage.

Each run: a fresh private server (tests/private_mariadb.py, its own data directory and port),
N linked families with the month queued, the real Application against the loopback fake Bot
API with the operator half-way through /paid, the server killed (SIGKILL) after the first
invoices and started again `--down` seconds later. Prints per run: invoices lost, duplicated,
left `sending`, the operator's "can't reach the records" answers (1 expected), whether /paid
carried on, and how long the month took.

    .venv/bin/python -m bench.outage --runs 3 --families 300
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from tests.bot.conftest import ADMIN_IDS, OPERATOR, BotHarness, texts
from tests.bot.factories import linked_month_queued, press
from tests.bot.fake_telegram import FakeTelegram
from tests.private_mariadb import PrivateMariaDB
from vanbill.bot.intake import FloodGate
from vanbill.services import delivery
from vanbill.services.clock import FixedClock
from vanbill.services.config import Settings
from vanbill.services.db import Database
from vanbill.services.documents import DocumentRenderer
from vanbill.services.models import Delivery

FIRST_CHAT = 90_000
UNREACHABLE = "can't reach the records"


async def one_run(families: int, down: float, renderer: DocumentRenderer) -> dict[str, object]:
    """Do one outage run; return its figures."""
    server = PrivateMariaDB()
    server.start()
    server.load_schema()
    db = Database(server.url)
    try:
        async with FakeTelegram() as tg:
            harness = BotHarness(
                tg=tg,
                db=db,
                clock=FixedClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC)),
                settings=Settings(
                    _env_file=None,  # type: ignore[call-arg]
                    database_url=server.url,
                    telegram_bot_token=tg.token,
                    telegram_api_url=tg.api_url,
                    admin_ids=ADMIN_IDS,
                    timezone="Asia/Kuala_Lumpur",
                ),
                options={"renderer": renderer, "flood_gate": FloodGate(limit=1_000_000)},
            )
            chats = await linked_month_queued(
                db, harness.clock, families, period=date(2026, 3, 1), first_chat=FIRST_CHAT
            )
            started = time.monotonic()
            await harness.start()
            try:
                last = f"Parent {families - 1:02d}"
                await harness.say(OPERATOR, f"/paid {last}")
                await press(harness, last)

                def sent() -> list[int]:
                    return [
                        len(
                            [
                                c
                                for c in tg.calls_to(chat, "sendDocument")
                                if c.ok and "Invoice" in c.text
                            ]
                        )
                        for chat in chats
                    ]

                await tg.wait_for(lambda: sum(sent()) >= min(40, families // 4), timeout=120)
                server.stop()
                down_at = time.monotonic()
                during = await harness.say(OPERATOR, "RM 100")
                await asyncio.sleep(max(0.0, down - (time.monotonic() - down_at)))
                server.start()
                after = await harness.say(OPERATOR, "RM 100")
                carried_on = any(b.get("text") == "Cash" for c in after for b in c.buttons)
                deadline = time.monotonic() + 600
                while time.monotonic() < deadline:
                    if all(sent()) and await delivery.pending_count(db) == 0:
                        break
                    await asyncio.sleep(0.2)
                elapsed = time.monotonic() - started
                async with db.sessions() as session:
                    sending = (
                        await session.execute(
                            select(func.count()).where(Delivery.status == "sending")
                        )
                    ).scalar_one()
                counts = sent()
                return {
                    "lost": counts.count(0),
                    "duplicated": sum(n - 1 for n in counts if n > 1),
                    "sending": sending,
                    "told_unreachable": sum(
                        1
                        for c in tg.calls
                        if c.chat_id == OPERATOR.id and c.ok and UNREACHABLE in c.text
                    ),
                    "answer_in_outage": texts(during)[:60],
                    "paid_carried_on": carried_on,
                    "seconds": round(elapsed, 1),
                }
            finally:
                await harness.stop()
    finally:
        await db.dispose()
        server.remove()


async def main_async(runs: int, families: int, down: float, processes: int) -> None:
    """Repeat the outage run and print each run's figures and the totals."""
    logging.basicConfig(level=logging.ERROR)
    renderer = DocumentRenderer(processes=processes)
    totals = {"lost": 0, "duplicated": 0, "sending": 0}
    try:
        for n in range(1, runs + 1):
            figures = await one_run(families, down, renderer)
            for key in totals:
                totals[key] += int(str(figures[key]))
            print(f"run {n}: " + ", ".join(f"{k} {v}" for k, v in figures.items()), flush=True)
    finally:
        renderer.close()
    print(
        f"{runs} runs of {families} families, {down:g} s down: "
        + ", ".join(f"{k} {v}" for k, v in totals.items())
    )


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--families", type=int, default=300)
    parser.add_argument("--down", type=float, default=20.0, help="seconds the server is away")
    parser.add_argument("--processes", type=int, default=2, help="PDF worker processes")
    args = parser.parse_args()
    asyncio.run(main_async(args.runs, args.families, args.down, args.processes))


if __name__ == "__main__":
    main()
