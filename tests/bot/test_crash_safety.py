"""Crash safety of the outbox: SIGKILL a sender mid-run, start it again, count what arrived.
And two sender processes on one MariaDB outbox never send the same delivery twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.bot.factories import linked_month_queued
from tests.bot.fake_telegram import FakeTelegram
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.models import Delivery

FAMILIES = 24
FIRST_CHAT = 70_000


async def _month_queued(db: Database, clock: FixedClock, families: int) -> list[int]:
    """Create `families` linked families and generate March with every invoice queued."""
    return await linked_month_queued(
        db, clock, families, period=date(2026, 3, 1), first_chat=FIRST_CHAT
    )


async def _sender_process(db: Database, tg: FakeTelegram, log: Path) -> asyncio.subprocess.Process:
    """Start `vanbill send --until-empty` in its own process group against the fake Telegram.

    Its output goes to a file: the PDF worker processes it starts inherit the descriptors, and
    a pipe would stay open after the group is killed.
    """
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.api_url,
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vanbill.bot",
        "send",
        "--until-empty",
        "--lease",
        "4",
        "--batch",
        "4",
        env=env,
        stdout=log.open("ab"),
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )


def _invoices_by_chat(tg: FakeTelegram, chats: list[int]) -> list[int]:
    return [len([c for c in tg.calls_to(chat, "sendDocument") if c.ok]) for chat in chats]


async def _unsent(db: Database) -> int:
    async with db.sessions() as session:
        return int(
            (
                await session.execute(
                    select(func.count()).where(Delivery.status.in_(("pending", "sending")))
                )
            ).scalar_one()
        )


@pytest.mark.parametrize("kill_after", [0, 7, 16])
async def test_a_sender_killed_mid_run_and_restarted_delivers_each_invoice_once(
    db: Database, tg: FakeTelegram, kill_after: int, tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    chats = await _month_queued(db, clock, FAMILIES)
    log = tmp_path / "sender.log"
    first = await _sender_process(db, tg, log)
    try:
        await tg.wait_for(lambda: sum(_invoices_by_chat(tg, chats)) >= kill_after, timeout=60)
    finally:
        os.killpg(first.pid, signal.SIGKILL)  # the sender and its PDF workers, mid-send
        await asyncio.wait_for(first.wait(), timeout=30)
    assert first.returncode == -signal.SIGKILL
    before = _invoices_by_chat(tg, chats)
    recorded = await _recorded_as_sent(db)
    second = await _sender_process(db, tg, log)
    await asyncio.wait_for(second.wait(), timeout=120)
    assert second.returncode == 0, log.read_text()
    after = _invoices_by_chat(tg, chats)
    assert all(n >= 1 for n in after), after  # nothing lost
    for chat, (was, now) in enumerate(zip(before, after, strict=True), start=FIRST_CHAT):
        if chat in recorded:
            assert now == was == 1  # recorded as sent before the kill: never sent again
        else:
            # Not recorded: either it had not gone out (one copy now), or it was in flight at
            # the instant of the kill, when Telegram had it but the outbox did not (two copies).
            assert now == 1 or (now == 2 and was == 1), (chat, was, now)
    in_flight = sum(n - 1 for n in after)
    assert in_flight <= 16  # the sender's bound on sends in flight at once
    assert await _unsent(db) == 0
    assert sum(before) >= kill_after


async def _recorded_as_sent(db: Database) -> set[int]:
    """Return the chats whose invoice the outbox has recorded as sent."""
    async with db.sessions() as session:
        rows = await session.execute(select(Delivery.chat_id).where(Delivery.status == "sent"))
        return {r[0] for r in rows}


async def test_two_sender_processes_on_one_outbox_never_send_a_delivery_twice(
    db: Database, tg: FakeTelegram, tmp_path: Path
) -> None:
    if not db.is_mysql:
        pytest.skip("SQLite runs one sender; SKIP LOCKED claiming is MySQL's")
    clock = FixedClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    chats = await _month_queued(db, clock, 40)
    logs = [tmp_path / "one.log", tmp_path / "two.log"]
    senders = [await _sender_process(db, tg, log) for log in logs]
    await asyncio.wait_for(asyncio.gather(*(s.wait() for s in senders)), timeout=180)
    for sender, log in zip(senders, logs, strict=True):
        assert sender.returncode == 0, log.read_text()
    assert _invoices_by_chat(tg, chats) == [1] * 40
    sent_by = [int(log.read_text().split("sent ")[1].split(",")[0]) for log in logs]
    assert sum(sent_by) == 40
