"""The database goes away under a running bot: one friendly answer, nothing half-written, and
everything carries on by itself when it is back.

The MariaDB test starts a server of its own (tests/private_mariadb.py), kills it for 20 s while
a 300-family month goes out and the operator is half-way through /paid, and starts it again on
the same data directory and port. The SQLite test holds the write lock from a second connection
for longer than the busy timeout while a person acts.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from tests.bot.conftest import ADMIN_IDS, OPERATOR, BotHarness, texts
from tests.bot.factories import business, linked_month_queued, press, siti
from tests.bot.fake_telegram import FakeTelegram
from tests.private_mariadb import INSTALL_DB, SERVER, PrivateMariaDB
from vanbill.bot import texts as words
from vanbill.bot.intake import FloodGate
from vanbill.bot.persistence import DatabasePersistence
from vanbill.services import botstate, delivery, payments
from vanbill.services.clock import FixedClock
from vanbill.services.config import Settings
from vanbill.services.db import Database
from vanbill.services.documents import DocumentRenderer
from vanbill.services.models import Delivery

# Minutes of end-to-end run: outside the default suite (`bash .ci/dev test-all`).
pytestmark = pytest.mark.long

FAMILIES = 300
FIRST_CHAT = 90_000
OUTAGE = 20.0  # seconds the server is away
UNREACHABLE = "can't reach the records"


@pytest.fixture
def private_mariadb() -> Iterator[PrivateMariaDB]:
    """A MariaDB server of this test's own, holding the schema; removed afterwards."""
    if INSTALL_DB is None or SERVER is None:
        pytest.skip("mariadb-install-db and mariadbd are needed")
    server = PrivateMariaDB()
    try:
        server.start()
        server.load_schema()
        yield server
    finally:
        server.remove()


def _settings(tg: FakeTelegram, url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=url,
        telegram_bot_token=tg.token,
        telegram_api_url=tg.api_url,
        admin_ids=ADMIN_IDS,
        timezone="Asia/Kuala_Lumpur",
    )


@pytest.fixture
async def outage_harness(
    tg: FakeTelegram, private_mariadb: PrivateMariaDB, renderer: DocumentRenderer
) -> AsyncIterator[BotHarness]:
    """The running Application on the private server's database."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    db = Database(private_mariadb.url, pool_size=10)
    harness = BotHarness(
        tg=tg,
        db=db,
        clock=FixedClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC)),
        settings=_settings(tg, private_mariadb.url),
        options={"renderer": renderer, "flood_gate": FloodGate(limit=1_000_000)},
    )
    try:
        yield harness
    finally:
        await harness.stop()
        await db.dispose()


def _documents(tg: FakeTelegram, chats: list[int]) -> list[int]:
    """Count the invoice documents each chat got (not the receipt /paid sends)."""
    return [
        len([c for c in tg.calls_to(chat, "sendDocument") if c.ok and "Invoice" in c.text])
        for chat in chats
    ]


async def _statuses(db: Database) -> dict[str, int]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(Delivery.status, func.count()).group_by(Delivery.status)
        )
        return {status: count for status, count in rows.all()}


def _told_unreachable(tg: FakeTelegram, chat_id: int) -> int:
    """Count the messages and alerts chat_id got saying the records are unreachable."""
    return len([c for c in tg.calls if c.chat_id == chat_id and c.ok and UNREACHABLE in c.text])


async def test_mariadb_killed_for_twenty_seconds_mid_month_loses_and_repeats_nothing(
    outage_harness: BotHarness, private_mariadb: PrivateMariaDB
) -> None:
    harness, tg = outage_harness, outage_harness.tg
    chats = await linked_month_queued(
        harness.db, harness.clock, FAMILIES, period=date(2026, 3, 1), first_chat=FIRST_CHAT
    )
    await harness.start()
    # The operator is half-way through /paid: the family is picked, the amount is asked.
    await harness.say(OPERATOR, "/paid Parent 299")
    assert "How much did they pay?" in texts(await press(harness, "Parent 299"))
    await tg.wait_for(lambda: sum(_documents(tg, chats)) >= 40, timeout=60)

    private_mariadb.stop()
    down_at = time.monotonic()
    sent_when_killed = sum(_documents(tg, chats))
    assert sent_when_killed < FAMILIES, "the month went out before the outage began"
    # During the outage: the operator's amount gets one friendly answer, nothing else.
    during = await harness.say(OPERATOR, "RM 100")
    assert len(during) == 1 and UNREACHABLE in during[0].text
    scheduler = harness.application.bot_data.services.scheduler  # type: ignore[union-attr]
    assert scheduler is not None
    await scheduler.job(None)  # a tick in the outage logs a line and misses nothing
    await asyncio.sleep(max(0.0, OUTAGE - (time.monotonic() - down_at)))
    private_mariadb.start()

    # The conversation goes on where it was: the same amount, sent again, is taken.
    (methods,) = await harness.say(OPERATOR, "RM 100")
    assert "Cash" in [b["text"] for b in methods.buttons]
    await press(harness, "Cash")
    await press(harness, "Today")
    done = texts(await press(harness, "Record payment"))
    assert "Recorded RM 100.00 (Cash) from Parent 299" in done

    try:
        await tg.wait_for(lambda: all(n >= 1 for n in _documents(tg, chats)), timeout=300)
    except TimeoutError:
        missing = [c for c, n in zip(chats, _documents(tg, chats), strict=True) if n == 0]
        raise AssertionError(f"never sent to {missing}: {await _statuses(harness.db)}") from None
    deadline = time.monotonic() + 30
    while await delivery.pending_count(harness.db) > 0:
        assert time.monotonic() < deadline, await _statuses(harness.db)
        await asyncio.sleep(0.2)
    # The month's run was due at the tick in the outage: the next tick records it, once, and
    # bills nothing twice (its invoices went out already).
    caught_up = await scheduler.tick()
    assert [(s.run.period, s.run.created_count) for s in caught_up.started] == [
        (date(2026, 3, 1), 0)
    ]
    assert (await scheduler.tick()).started == []
    per_family = _documents(tg, chats)
    assert per_family.count(1) == FAMILIES, {
        "lost": per_family.count(0),
        "duplicated": sum(n - 1 for n in per_family if n > 1),
    }
    statuses = await _statuses(harness.db)
    assert statuses.get("sending", 0) == 0 and statuses.get("pending", 0) == 0, statuses
    assert _told_unreachable(tg, OPERATOR.id) == 1
    assert len(await payments.list_payments(harness.db, 1)) == 1


# -- SQLite: a write lock held longer than the busy timeout ----------------------------------

BUSY_TIMEOUT = 1.0


@pytest.fixture
async def locked_harness(
    tg: FakeTelegram, tmp_path: Path, sqlite_template: Path, renderer: DocumentRenderer
) -> AsyncIterator[BotHarness]:
    """The running Application on an SQLite file whose busy timeout is one second."""
    target = tmp_path / "vanbill-locked.db"
    shutil.copyfile(sqlite_template, target)
    url = f"sqlite+aiosqlite:///{target}"
    db = Database(url, busy_timeout=BUSY_TIMEOUT)
    harness = BotHarness(
        tg=tg,
        db=db,
        clock=FixedClock(datetime(2026, 1, 15, 2, 0, tzinfo=UTC)),
        settings=_settings(tg, url),
        options={"renderer": renderer, "flood_gate": FloodGate(limit=1_000_000)},
    )
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()
        await db.dispose()


async def test_a_sqlite_lock_longer_than_the_busy_timeout_gets_one_answer_then_it_works(
    locked_harness: BotHarness,
) -> None:
    harness = locked_harness
    biz = await business(harness)
    await siti(harness, biz)
    (pick,) = await harness.say(OPERATOR, "/paid Siti")
    path = harness.db.engine.url.database
    assert path is not None
    blocker = sqlite3.connect(path, isolation_level=None, timeout=0)
    blocker.execute("BEGIN IMMEDIATE")  # another process writing, for longer than the timeout
    try:
        seen = await harness.press_button(OPERATOR, pick, "Siti Nurhaliza")
        # A button press: one alert saying so, no apology, no second message.
        assert [c.text for c in seen] == [words.RECORDS_UNREACHABLE], [c.text for c in seen]
        again = await harness.say(OPERATOR, "/paid Siti")
        assert len(again) == 1 and UNREACHABLE in again[0].text
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    account = texts(await harness.press_button(OPERATOR, pick, "Siti Nurhaliza"))
    assert "How much did they pay?" in account
    assert _told_unreachable(harness.tg, OPERATOR.id) == 2


async def test_conversation_data_written_in_an_outage_is_kept_and_written_when_it_is_back(
    db: Database, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    persistence = DatabasePersistence(db, clock)
    await persistence.update_conversation("paid", (1001, 1001), 1)
    real_save = botstate.save

    async def away(*args: object, **kwargs: object) -> None:
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr(botstate, "save", away)
    await persistence.update_conversation("paid", (1001, 1001), 2)  # kept, not raised
    await persistence.update_user_data(1001, {"draft": {"amount_sen": 10000}})
    assert not await persistence.write_held_back()
    # Read back meanwhile: the newer state held here, not the database's older one.
    assert (await persistence.conversation_states((1001, 1001)))["paid"] == 2
    monkeypatch.setattr(botstate, "save", real_save)
    assert await persistence.write_held_back()
    fresh = DatabasePersistence(db, clock)  # another instance reads what was written
    assert (await fresh.conversation_states((1001, 1001)))["paid"] == 2
    assert (await fresh.get_user_data())[1001] == {"draft": {"amount_sen": 10000}}
