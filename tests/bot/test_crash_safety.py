"""Crash safety of the outbox: SIGKILL a sender mid-run, start it again, count what arrived.
And two sender processes on one MariaDB outbox never send the same delivery twice."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.bot.conftest import OPERATOR
from tests.bot.factories import linked_month_queued
from tests.bot.fake_telegram import FakeTelegram
from vanbill.services import delivery, operators
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


# The kill before the first and after the last batch are in the long run (bash .ci/dev test-all).
@pytest.mark.parametrize(
    "kill_after",
    [pytest.param(0, marks=pytest.mark.long), 7, pytest.param(16, marks=pytest.mark.long)],
)
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
    assert await delivery.pending_count(db) == 0
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


async def _bot_process(db: Database, tg: FakeTelegram, log: Path) -> asyncio.subprocess.Process:
    """Start `vanbill run` in its own process group (as systemd does) against the fake Telegram."""
    env = {
        **os.environ,
        "DATABASE_URL": db.url,
        "TELEGRAM_BOT_TOKEN": tg.token,
        "TELEGRAM_API_URL": tg.api_url,
        "VANBILL_ADMIN_IDS": str(OPERATOR.id),
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "vanbill.bot",
        "run",
        env=env,
        stdout=log.open("ab"),
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )


async def _group_gone(pgid: int) -> bool:
    """Wait (up to 5 s) until no process of the group is left (the PDF workers included)."""
    deadline = asyncio.get_running_loop().time() + 5.0
    while asyncio.get_running_loop().time() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        await asyncio.sleep(0.1)
    return False


FAMILIES_AT_STOP = 150


async def _errors(db: Database) -> list[str]:
    async with db.sessions() as session:
        rows = await session.execute(select(Delivery.last_error).where(Delivery.last_error != ""))
        return [r[0] for r in rows]


async def _stuck_in_sending(db: Database) -> int:
    async with db.sessions() as session:
        return int(
            (
                await session.execute(select(func.count()).where(Delivery.status == "sending"))
            ).scalar_one()
        )


@pytest.mark.slow
async def test_sigterm_to_the_bot_process_group_mid_delivery_stops_it_within_10_s_losing_nothing(
    db: Database, tg: FakeTelegram, tmp_path: Path
) -> None:
    clock = FixedClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    chats = await _month_queued(db, clock, FAMILIES_AT_STOP)
    # The bot's own schedule would bill today's month too: hold it for approval instead; and
    # it runs on the real clock, to which March's invoices are overdue: no reminders either.
    operator = await operators.ensure_operator(db, OPERATOR.id, clock)
    await operators.update_profile(
        db, operator.id, approval_required=True, reminders_enabled=False
    )
    log = tmp_path / "bot.log"
    first = await _bot_process(db, tg, log)
    try:
        await tg.wait_for(lambda: sum(_invoices_by_chat(tg, chats)) >= 10, timeout=90)
    finally:
        started = time.monotonic()
        os.killpg(first.pid, signal.SIGTERM)  # what systemd sends: the bot and its PDF workers
        await asyncio.wait_for(first.wait(), timeout=60)
        took = time.monotonic() - started
    assert first.returncode == 0, log.read_text()
    assert took <= 10, f"the bot took {took:.1f} s to stop"
    assert await _group_gone(first.pid), "a PDF worker outlived the bot"
    assert await _stuck_in_sending(db) == 0  # sent, or given back: nothing waits out a lease
    assert await _errors(db) == []  # no PDF worker died under a delivery
    before = _invoices_by_chat(tg, chats)
    assert max(before) == 1 and sum(before) < FAMILIES_AT_STOP, before

    second = await _bot_process(db, tg, log)
    try:
        await tg.wait_for(
            lambda: sum(_invoices_by_chat(tg, chats)) >= FAMILIES_AT_STOP, timeout=120
        )
        await asyncio.sleep(1)  # anything sent twice would arrive now
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        await asyncio.wait_for(second.wait(), timeout=60)
    assert _invoices_by_chat(tg, chats) == [1] * FAMILIES_AT_STOP  # 0 lost, 0 duplicated
    assert "Traceback" not in log.read_text()
    engine = "mysql" if db.is_mysql else "sqlite"
    print(f"\n[{engine}] SIGTERM to the bot's process group: stopped in {took:.2f} s")
