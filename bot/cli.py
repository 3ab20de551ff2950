"""The shell verbs that need no Telegram: demo, generate, remind (for people who prefer cron)."""

from __future__ import annotations

import asyncio
import logging
import signal
import unicodedata
from datetime import date, timedelta
from pathlib import Path

from telegram.ext import AIORateLimiter, ExtBot

from vanbill.bot.sender import OutboxSender, warm_up
from vanbill.services import (
    accounts,
    customers,
    delivery,
    invoices,
    monthly,
    operators,
    payments,
    reminders,
)
from vanbill.services.charts import render_summary_chart_async
from vanbill.services.clock import Clock, local_today
from vanbill.services.config import Settings
from vanbill.services.db import Database
from vanbill.services.demo import seed_demo
from vanbill.services.documents import (
    DocumentRenderer,
    format_balance,
    invoice_filename,
    receipt_filename,
    statement_filename,
)
from vanbill.services.periods import month_key
from vanbill.services.reports import summary_report
from vanbill.services.schema import migrate

log = logging.getLogger(__name__)


async def demo(db: Database, clock: Clock, out: Path) -> int:
    """Build (once) the demo business and write its documents and chart into out."""
    report = await migrate(db)
    if report.applied:
        print(report.describe())
    business = await seed_demo(db, clock)
    operator = business.operator
    print(
        ("Created" if business.created else "Found")
        + f" the demo business {operator.business_name!r}: "
        f"{len(business.invoice_ids)} invoices over "
        f"{', '.join(month_key(m) for m in business.months)}."
    )
    files: dict[str, bytes] = {}
    renderer = DocumentRenderer()
    try:
        documents = await invoices.invoice_documents(db, operator.id, business.invoice_ids, clock)
        ordered = [documents[i] for i in business.invoice_ids]
        for document, pdf in zip(ordered, await renderer.render_invoices(ordered), strict=True):
            files[invoice_filename(document.invoice)] = pdf
        for payment_id in business.payment_ids[:2]:
            receipt = await payments.receipt_document(db, operator.id, payment_id, clock)
            files[receipt_filename(receipt.payment)] = await renderer.render_receipt(receipt)
        today = local_today(clock, operator.timezone)
        statement = await accounts.statement_document(
            db, operator.id, business.statement_customer_id, clock, business.months[0], today
        )
        files[statement_filename(statement.statement)] = await renderer.render_statement(statement)
    finally:
        renderer.close()
    summary = await summary_report(db, operator.id, clock)
    files["summary.png"] = await render_summary_chart_async(summary)
    await asyncio.to_thread(_write_all, out, files)
    print(f"Wrote {len(files)} files to {out}/ (invoices, 2 receipts, a statement, the chart).")
    await _print_balances(db, operator.id, operator.currency)
    return 0


def _write_all(out: Path, files: dict[str, bytes]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (out / name).write_bytes(data)


def _width(text: str) -> int:
    """Return how many terminal columns text takes (Chinese characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


async def _print_balances(db: Database, operator_id: int, currency: str) -> None:
    page = await customers.list_customers(db, operator_id, page_size=50)
    width = max(_width(f.name) for f in page.items)
    print(f"\n{_pad('Family', width)}  {'Unpaid':>6}  {'Balance':>20}")
    for family in page.items:
        shown = format_balance(family.balance_sen, currency)  # credit: "RM 50.00 in credit"
        print(f"{_pad(family.name, width)}  {family.unpaid_invoices:>6}  {shown:>20}")


async def generate(db: Database, clock: Clock, period: date, operator_id: int | None) -> int:
    """Generate (and queue for delivery) a month's invoices for one operator or all of them."""
    targets = (
        [await operators.get_operator(db, operator_id)]
        if operator_id is not None
        else await operators.list_operators(db)
    )
    for operator in targets:
        report = await monthly.generate_month(db, operator.id, period, clock, deliver=True)
        print(f"{operator.display_name} (#{operator.id}): {report.describe()}")
        for skipped in report.skipped:
            print(f"  not billed: {skipped.name} ({skipped.reason})")
    print("Invoices go out to linked parents the next time the bot runs (`vanbill run`).")
    return 0


async def remind(db: Database, clock: Clock) -> int:
    """Queue today's reminders for every operator; the running bot sends them."""
    total = 0
    for operator in await operators.list_operators(db):
        queued = await reminders.queue_reminders(db, operator.id, clock)
        total += len(queued)
        if queued:
            print(f"{operator.display_name} (#{operator.id}): {len(queued)} reminder(s) queued")
    print(f"{total} reminder(s) queued; the running bot sends them (never 21:00-08:00).")
    return 0


def default_period(clock: Clock, timezone: str) -> date:
    """Return the current local month."""
    return local_today(clock, timezone).replace(day=1)


async def send(
    settings: Settings,
    db: Database,
    clock: Clock,
    *,
    until_empty: bool,
    lease: float,
    batch: int,
) -> int:
    """Run only the outbox sender (beside a bot, or alone); stop when empty if asked."""
    bot = ExtBot(
        settings.telegram_bot_token,
        base_url=f"{settings.telegram_api_url}/bot",
        base_file_url=f"{settings.telegram_api_url}/file/bot",
        rate_limiter=AIORateLimiter(max_retries=0),
    )
    renderer = DocumentRenderer()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    senders: list[OutboxSender] = []

    def stopping() -> None:
        stop.set()
        for one in senders:
            one.request_stop()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping)
    warming = asyncio.create_task(warm_up(renderer))  # the workers start while we connect
    try:
        async with bot:
            sender = OutboxSender(
                bot,
                db,
                clock,
                renderer,
                lease=timedelta(seconds=lease),
                batch=batch,
            )
            senders.append(sender)
            if not until_empty:
                await sender.run(stop)
            else:
                while not stop.is_set():
                    if await sender.drain() == 0:
                        if await delivery.pending_count(db) == 0:
                            break
                        await asyncio.sleep(0.2)
            print(
                f"sent {sender.stats.sent}, retried {sender.stats.retried}, "
                f"blocked {sender.stats.blocked}, failed {sender.stats.failed}"
            )
    finally:
        warming.cancel()
        renderer.close()
    return 0
