"""The outbox sender's pace against Telegram's count: never more messages in a second than the
limit, as Telegram counts them (on arrival), however unevenly the requests travel; and each
message goes out as soon as its own PDF is ready."""

from __future__ import annotations

import asyncio
import bisect
from collections.abc import Sequence
from datetime import date

import pytest
from sqlalchemy import select
from telegram import Bot

from tests.bot.factories import linked_month_queued
from tests.bot.fake_telegram import FakeTelegram
from vanbill.bot.sender import OutboxSender
from vanbill.services import delivery
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.documents import DocumentRenderer
from vanbill.services.models import Delivery
from vanbill.services.views import InvoiceDocument

FIRST_CHAT = 70_000
FAMILIES = 24
# A scaled-down Telegram: at most LIMIT messages in any WINDOW seconds (Telegram: 30 in 1 s).
LIMIT = 5
WINDOW = 0.25
RATE = 19.5  # launches per second, just under LIMIT / WINDOW = 20, as the real sender runs


class PreRendered:
    """The renderer's bulk interface over one real invoice PDF: the pace is under test here.

    The PDFs whose numbers (in the order asked for) are in `held` are ready only once `gate`
    is set; all others at once.
    """

    def __init__(self, pdf: bytes, held: Sequence[int] = ()) -> None:
        self.pdf = pdf
        self.held = set(held)
        self.gate = asyncio.Event()
        self.started = 0

    def start_invoices(self, docs: Sequence[InvoiceDocument]) -> list[asyncio.Future[bytes]]:
        futures = []
        for _ in docs:
            futures.append(asyncio.ensure_future(self._ready(self.started in self.held)))
            self.started += 1
        return futures

    async def _ready(self, held: bool) -> bytes:
        if held:
            await self.gate.wait()
        return self.pdf


def held_up_every_fourth() -> object:
    """Hold every fourth send 150 ms on the way: it arrives together with the next ones."""
    count = 0

    def delay(method: str) -> float:
        nonlocal count
        if not method.startswith("send"):
            return 0.0
        count += 1
        return 0.15 if count % 4 == 1 else 0.0

    return delay


def most_in_any_window(arrivals: list[float], window: float) -> int:
    """Return the largest number of arrivals within any span of `window` seconds."""
    times = sorted(arrivals)
    return max(
        (bisect.bisect_left(times, start + window) - i for i, start in enumerate(times)),
        default=0,
    )


async def a_month_queued(db: Database, clock: FixedClock, families: int) -> list[int]:
    """Create `families` linked families and bill January with every invoice queued."""
    return await linked_month_queued(
        db, clock, families, period=date(2026, 1, 1), first_chat=FIRST_CHAT
    )


@pytest.fixture(scope="module")
def invoice_pdf(renderer: DocumentRenderer) -> bytes:
    """One real invoice PDF, for every message of these tests."""
    from tests.unit.test_documents import make_invoice_document

    return renderer.invoice_pdf(make_invoice_document())


async def send_all(
    db: Database, clock: FixedClock, tg: FakeTelegram, renderer: object, **options: object
) -> OutboxSender:
    """Drain the outbox through a sender with the scaled-down limits."""
    async with Bot(tg.token, base_url=f"{tg.api_url}/bot") as bot:
        sender = OutboxSender(
            bot, db, clock, renderer, rate=RATE, window=WINDOW, batch=8, **options
        )  # type: ignore[arg-type]
        while await delivery.pending_count(db) > 0:
            if await sender.drain() == 0:
                await asyncio.sleep(0.05)
        return sender


async def test_requests_held_up_on_the_way_never_make_telegram_count_more_than_its_limit(
    db: Database, clock: FixedClock, invoice_pdf: bytes
) -> None:
    chats = await a_month_queued(db, clock, FAMILIES)
    async with FakeTelegram(
        max_per_second=LIMIT, rate_window=WINDOW, arrival_delay=held_up_every_fourth()
    ) as tg:
        sender = await send_all(db, clock, tg, PreRendered(invoice_pdf), window_limit=LIMIT)
        assert tg.too_many_requests == 0
        assert most_in_any_window(tg.send_arrivals, WINDOW) <= LIMIT
        for chat in chats:
            assert [c.ok for c in tg.calls_to(chat, "sendDocument")] == [True]
        assert sender.stats.sent == FAMILIES and sender.stats.flood_waits == 0


async def test_without_the_window_rule_the_same_journey_would_break_the_limit(
    db: Database, clock: FixedClock, invoice_pdf: bytes
) -> None:
    # The control for the test above: the pace alone lets the held-up messages bunch.
    await a_month_queued(db, clock, FAMILIES)
    async with FakeTelegram(rate_window=WINDOW, arrival_delay=held_up_every_fourth()) as tg:
        await send_all(
            db, clock, tg, PreRendered(invoice_pdf), window_limit=10_000, shared_budget=False
        )
        assert most_in_any_window(tg.send_arrivals, WINDOW) > LIMIT


async def test_each_message_goes_as_soon_as_its_own_pdf_is_ready(
    db: Database, clock: FixedClock, invoice_pdf: bytes
) -> None:
    # The batch's last PDF is not ready until the others have gone out: they must not wait.
    chats = await a_month_queued(db, clock, 8)
    renderer = PreRendered(invoice_pdf, held=[7])
    async with FakeTelegram() as tg, Bot(tg.token, base_url=f"{tg.api_url}/bot") as bot:
        sender = OutboxSender(bot, db, clock, renderer, batch=8, first_batch=8)  # type: ignore[arg-type]
        draining = asyncio.create_task(sender.drain())
        async with asyncio.timeout(30):  # a guard against a hang, not a measure of speed
            while len([c for c in tg.calls if c.method == "sendDocument"]) < 7:
                assert not draining.done()
                await asyncio.sleep(0.01)
        assert not draining.done()
        renderer.gate.set()
        assert await draining == 8
        sent = {chat: len(tg.calls_to(chat, "sendDocument")) for chat in chats}
        assert sent == dict.fromkeys(chats, 1)


async def three_senders(
    db: Database, clock: FixedClock, tg: FakeTelegram, renderer: object, shared: bool
) -> list[OutboxSender]:
    """Drain the outbox through three senders of one bot at once, each at the full pace."""
    async with Bot(tg.token, base_url=f"{tg.api_url}/bot") as bot:
        senders = [
            OutboxSender(
                bot,  # type: ignore[arg-type]
                db,
                clock,
                renderer,  # type: ignore[arg-type]
                worker=f"sender-{n}",
                rate=RATE,
                window=WINDOW,
                window_limit=LIMIT,
                batch=4,
                first_batch=4,
                shared_budget=shared,
            )
            for n in range(3)
        ]

        async def drain(sender: OutboxSender) -> None:
            while await delivery.pending_count(db) > 0:
                if await sender.drain() == 0:
                    await asyncio.sleep(0.05)

        await asyncio.gather(*(drain(s) for s in senders))
        return senders


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
async def test_three_senders_of_one_bot_share_one_budget_and_never_pass_the_limit(
    db: Database, clock: FixedClock, invoice_pdf: bytes
) -> None:
    chats = await a_month_queued(db, clock, 36)
    async with FakeTelegram(max_per_second=LIMIT, rate_window=WINDOW) as tg:
        senders = await three_senders(db, clock, tg, PreRendered(invoice_pdf), shared=True)
        assert tg.too_many_requests == 0
        assert most_in_any_window(tg.send_arrivals, WINDOW) <= LIMIT
        for chat in chats:
            assert [c.ok for c in tg.calls_to(chat, "sendDocument")] == [True]
        assert sum(s.stats.sent for s in senders) == 36
        # At least two really shared the month (a sender that starts late on a loaded machine
        # can find the others have taken every claim; the limit above is what is promised).
        assert sum(1 for s in senders if s.stats.sent > 0) >= 2


@pytest.mark.parametrize("db", ["mysql"], indirect=True)
async def test_three_senders_each_pacing_only_itself_pass_the_limit_together(
    db: Database, clock: FixedClock, invoice_pdf: bytes
) -> None:
    # The control for the test above: each sender alone keeps the limit, the three do not.
    await a_month_queued(db, clock, 36)
    async with FakeTelegram(rate_window=WINDOW) as tg:
        await three_senders(db, clock, tg, PreRendered(invoice_pdf), shared=False)
        assert most_in_any_window(tg.send_arrivals, WINDOW) > LIMIT


async def test_a_drain_stopped_while_pdfs_are_drawn_cancels_the_pdfs_and_leaves_no_task(
    db: Database, clock: FixedClock, invoice_pdf: bytes
) -> None:
    # The stop's own clean-up: a content task was once cancelled in the middle of its database
    # read; its SQLite connection then never answered and the test's loop never closed. Now
    # the PDFs are cancelled, the reads end on their own, and every claim goes back.
    await a_month_queued(db, clock, 12)
    renderer = PreRendered(invoice_pdf, held=range(12))  # no PDF is ever ready
    drawn: list[asyncio.Future[bytes]] = []
    all_drawn = asyncio.Event()
    start = renderer.start_invoices

    def recording(docs: Sequence[InvoiceDocument]) -> list[asyncio.Future[bytes]]:
        futures = start(docs)
        drawn.extend(futures)
        if len(drawn) == 12:
            all_drawn.set()
        return futures

    renderer.start_invoices = recording  # type: ignore[method-assign]
    before = asyncio.all_tasks()
    async with FakeTelegram() as tg, Bot(tg.token, base_url=f"{tg.api_url}/bot") as bot:
        sender = OutboxSender(bot, db, clock, renderer, batch=4, first_batch=4, depth=3)  # type: ignore[arg-type]
        draining = asyncio.create_task(sender.drain())
        async with asyncio.timeout(30):  # a guard against a hang, not a measure of speed
            await all_drawn.wait()
            sender.request_stop()
            assert await draining == 4  # the batch under way, not sent: given back
        assert [c for c in tg.calls if c.method == "sendDocument"] == []
    assert drawn and all(f.cancelled() for f in drawn)
    assert await delivery.pending_count(db) == 12
    async with db.sessions() as session:
        rows = (await session.execute(select(Delivery.status, Delivery.attempts))).all()
    assert sorted(rows) == [("pending", 0)] * 12
    await asyncio.sleep(0)
    left = [t for t in asyncio.all_tasks() - before if not t.done()]
    assert left == [asyncio.current_task()] or left == []
