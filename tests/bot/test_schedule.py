"""Scheduled billing end to end: the month's run at the local hour, catch-up, approval, the
outbox delivering to the fake Telegram within its limits, reminders over simulated days."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update

from tests.bot.conftest import OPERATOR, BotHarness
from tests.bot.factories import pdf_text
from tests.bot.fake_telegram import Call, FakeTelegram
from vanbill.bot import texts
from vanbill.bot.schedule import Scheduler
from vanbill.services import (
    customers,
    delivery,
    i18n,
    invoices,
    languages,
    operators,
    payments,
    routes,
)
from vanbill.services.db import Database
from vanbill.services.models import Customer

FIRST_CHAT = 50_000


def _kl(day: date, hour: int) -> datetime:
    """Return hour o'clock in Kuala Lumpur on day, as UTC."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - timedelta(hours=8)


async def _families(harness: BotHarness, count: int, *, start: date) -> tuple[int, list[int]]:
    """Create the operator, a route and `count` linked families; return (operator id, chats)."""
    db, clock = harness.db, harness.clock
    operator = await operators.ensure_operator(db, OPERATOR.id, clock)
    await operators.update_profile(
        db, operator.id, business_name="Van Kak Ros", bank_name="Maybank", bank_account="5140 1"
    )
    route = await routes.add_service(db, operator.id, clock, name="Morning", monthly_fee_sen=15000)
    chats = []
    for n in range(count):
        family = await customers.add_customer(db, operator.id, clock, name=f"Parent {n:02d}")
        child = await customers.add_child(db, operator.id, family.id, clock, name=f"Kid {n:02d}")
        await routes.enroll(
            db, operator.id, clock, child_id=child.id, service_id=route.id, start_month=start
        )
        await _link(db, family.id, FIRST_CHAT + n)
        chats.append(FIRST_CHAT + n)
    return operator.id, chats


async def _link(db: Database, customer_id: int, chat_id: int) -> None:
    async with db.sessions.begin() as session:
        await session.execute(
            update(Customer)
            .where(Customer.id == customer_id)
            .values(telegram_user_id=chat_id, telegram_chat_id=chat_id)
        )


def _scheduler(harness: BotHarness) -> Scheduler:
    assert harness.application is not None
    services = harness.application.bot_data.services
    assert services is not None and services.scheduler is not None
    return services.scheduler


async def _outbox_empty(db: Database, timeout: float = 20.0) -> None:  # noqa: ASYNC109
    """Wait until the sender has recorded everything it sent."""
    deadline = asyncio.get_running_loop().time() + timeout
    while await delivery.pending_count(db) > 0:
        assert asyncio.get_running_loop().time() < deadline, "the outbox did not empty"
        await asyncio.sleep(0.05)


async def _told(tg: FakeTelegram, words: str, timeout: float = 20.0) -> Call:  # noqa: ASYNC109
    """Wait until the operator was sent a message holding words (through the outbox)."""
    await tg.wait_for(
        lambda: any(words in c.text for c in tg.calls_to(OPERATOR.id, "sendMessage") if c.ok),
        timeout=timeout,
    )
    return next(c for c in tg.calls_to(OPERATOR.id, "sendMessage") if c.ok and words in c.text)


def _documents(tg: FakeTelegram, chat_id: int) -> list[str]:
    return [c.text for c in tg.calls_to(chat_id, "sendDocument") if c.ok]


async def test_the_month_goes_out_at_eight_in_the_morning_local_time(harness: BotHarness) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    _, chats = await _families(harness, 3, start=date(2026, 3, 1))
    harness.clock.set(_kl(date(2026, 3, 1), 7) + timedelta(minutes=59))
    early = await _scheduler(harness).tick()
    assert early.started == []
    harness.clock.set(_kl(date(2026, 3, 1), 8))
    tick = await _scheduler(harness).tick()
    assert [s.run.created_count for s in tick.started] == [3]
    await harness.tg.wait_for(lambda: all(_documents(harness.tg, c) for c in chats), timeout=20)
    for chat in chats:
        (caption,) = _documents(harness.tg, chat)
        assert "INV-2026-" in caption and "RM 150.00" in caption and "March 2026" in caption
    # The report follows the last invoice at once (the sender, as its outbox empties), not at
    # the next tick a minute later; the tick finds nothing left to report.
    report = (await _told(harness.tg, "billing done")).seen
    assert "March 2026 billing done: 3 invoices" in report and "Delivered in Telegram: 3" in report
    await _outbox_empty(harness.db)
    again = await _scheduler(harness).tick()
    assert again.started == [] and again.reported == []
    assert [c.seen for c in harness.tg.calls_to(OPERATOR.id, "sendMessage")].count(report) == 1


async def test_a_missed_billing_day_is_caught_up_once(harness: BotHarness) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    _, chats = await _families(harness, 2, start=date(2026, 3, 1))
    harness.clock.set(_kl(date(2026, 3, 4), 15))  # the bot was down until the 4th
    assert len((await _scheduler(harness).tick()).started) == 1
    assert (await _scheduler(harness).tick()).started == []
    await harness.tg.wait_for(lambda: all(_documents(harness.tg, c) for c in chats), timeout=20)
    await harness.restart()
    assert (await _scheduler(harness).tick()).started == []
    assert [len(_documents(harness.tg, c)) for c in chats] == [1, 1]


async def test_with_approval_the_operator_sees_a_preview_and_nothing_goes_out_before_approve(
    harness: BotHarness,
) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    operator_id, chats = await _families(harness, 2, start=date(2026, 3, 1))
    await operators.update_profile(harness.db, operator_id, approval_required=True)
    harness.clock.set(_kl(date(2026, 3, 1), 9))
    await _scheduler(harness).tick()
    preview = await _told(harness.tg, "in all")
    assert "March 2026</b>: 2 families, RM 300.00 in all" in preview.text
    assert "New this month: Parent 00, Parent 01" in preview.seen
    assert not any(_documents(harness.tg, c) for c in chats)
    seen = await harness.press_button(OPERATOR, preview, "Approve")
    assert "March 2026 approved: 2 invoices created" in seen[-1].seen
    await harness.tg.wait_for(lambda: all(_documents(harness.tg, c) for c in chats), timeout=20)


async def test_another_operators_approve_button_is_refused(harness: BotHarness) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    operator_id, chats = await _families(harness, 1, start=date(2026, 3, 1))
    await operators.update_profile(harness.db, operator_id, approval_required=True)
    harness.clock.set(_kl(date(2026, 3, 1), 9))
    await _scheduler(harness).tick()
    await _told(harness.tg, "in all")
    forged = f"run:{operator_id + 1}:1:ok"
    seen = await harness.press(OPERATOR, forged)
    assert any("not yours" in c.seen or "not valid" in c.seen for c in seen)
    assert not _documents(harness.tg, chats[0])


async def test_fifty_linked_families_receive_fifty_invoice_documents(harness: BotHarness) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    _, chats = await _families(harness, 50, start=date(2026, 3, 1))
    harness.clock.set(_kl(date(2026, 3, 1), 8))
    await _scheduler(harness).tick()
    await harness.tg.wait_for(lambda: all(_documents(harness.tg, c) for c in chats), timeout=60)
    assert [len(_documents(harness.tg, c)) for c in chats] == [1] * 50
    uploads = [c.files["document"] for c in harness.tg.calls if c.method == "sendDocument"]
    assert all(f.content.startswith(b"%PDF") for f in uploads)
    assert harness.tg.too_many_requests == 0


async def test_a_flood_wait_is_waited_out_and_the_invoice_arrives_once(
    harness: BotHarness,
) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    _, chats = await _families(harness, 2, start=date(2026, 3, 1))
    harness.tg.fail("sendDocument", chat_id=chats[0], status=429, retry_after=1, times=1)
    harness.clock.set(_kl(date(2026, 3, 1), 8))
    await _scheduler(harness).tick()
    await harness.tg.wait_for(lambda: bool(_documents(harness.tg, chats[1])), timeout=20)
    # The 429'd delivery waits retry_after (on the pinned clock): let that time pass.
    harness.clock.advance(timedelta(seconds=2))
    _scheduler(harness)._wake()
    await harness.tg.wait_for(lambda: bool(_documents(harness.tg, chats[0])), timeout=20)
    assert [len(_documents(harness.tg, c)) for c in chats] == [1, 1]
    refused = [c for c in harness.tg.calls_to(chats[0], "sendDocument") if c.status == 429]
    assert len(refused) == 1


async def test_a_parent_who_blocked_the_bot_is_reported_to_the_operator_once(
    harness: BotHarness,
) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    operator_id, chats = await _families(harness, 2, start=date(2026, 3, 1))
    harness.tg.block(chats[0])
    harness.clock.set(_kl(date(2026, 3, 1), 8))
    await _scheduler(harness).tick()
    await harness.tg.wait_for(lambda: bool(_documents(harness.tg, chats[1])), timeout=20)
    await harness.tg.wait_for(
        lambda: any(
            "has blocked this bot" in c.text
            for c in harness.tg.calls_to(OPERATOR.id, "sendMessage")
        ),
        timeout=10,
    )
    family = (await customers.list_customers(harness.db, operator_id)).items[0]
    await payments.record_payment(
        harness.db,
        operator_id,
        family.id,
        harness.clock,
        amount_sen=15000,
        method="cash",
        notify_parent=True,
    )
    _scheduler(harness)._wake()
    await _scheduler(harness).tick()
    warnings = [
        c
        for c in harness.tg.calls_to(OPERATOR.id, "sendMessage")
        if "has blocked this bot" in c.text
    ]
    assert len(warnings) == 1 and "Parent 00" in warnings[0].seen


async def test_the_blocked_notice_survives_telegram_refusing_the_operator_many_times(
    harness: BotHarness,
) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    _, chats = await _families(harness, 2, start=date(2026, 3, 1))
    harness.tg.block(chats[0])
    # Four 429s outlast the bot's own retries (three); the notice goes back to the outbox.
    harness.tg.fail("sendMessage", chat_id=OPERATOR.id, status=429, retry_after=1, times=5)
    harness.clock.set(_kl(date(2026, 3, 1), 8))
    await _scheduler(harness).tick()
    await harness.tg.wait_for(lambda: bool(_documents(harness.tg, chats[1])), timeout=20)

    def refused() -> int:
        return len([c for c in harness.tg.calls_to(OPERATOR.id, "sendMessage") if c.status == 429])

    await harness.tg.wait_for(lambda: refused() >= 4, timeout=30)
    await asyncio.sleep(0.5)  # the sender records the retry
    harness.clock.advance(timedelta(seconds=2))  # the flood wait passes on the pinned clock
    _scheduler(harness)._wake()
    warning = await _told(harness.tg, "has blocked this bot", timeout=30)
    assert "Parent 00" in warning.seen and refused() == 5
    await asyncio.sleep(0.5)
    sent = [c for c in harness.tg.calls_to(OPERATOR.id, "sendMessage") if c.ok]
    assert len([c for c in sent if "has blocked this bot" in c.text]) == 1


async def test_reminders_follow_the_schedule_over_simulated_days_and_reuse_the_pdf(
    harness: BotHarness,
) -> None:
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    operator_id, (chat,) = await _families(harness, 1, start=date(2026, 3, 1))
    harness.clock.set(_kl(date(2026, 3, 1), 8))
    await _scheduler(harness).tick()
    await harness.tg.wait_for(lambda: len(_documents(harness.tg, chat)) == 1, timeout=20)
    first_upload = harness.tg.calls_to(chat, "sendDocument")[0].result["document"]["file_id"]
    for day in range(2, 23):
        for hour in (7, 10, 22):  # before the reminder hour, at it, and in quiet hours
            harness.clock.set(_kl(date(2026, 3, day), hour))
            await _scheduler(harness).tick()
    await harness.tg.wait_for(lambda: len(_documents(harness.tg, chat)) == 6, timeout=20)
    reminders = harness.tg.calls_to(chat, "sendDocument")[1:]
    assert ["due in 3 days" in reminders[0].text, "due <b>today</b>" in reminders[1].text] == [
        True,
        True,
    ]
    assert "3 days overdue" in reminders[2].text and "14 days overdue" in reminders[4].text
    assert all(r.params.get("document") == first_upload for r in reminders)
    family = (await customers.list_customers(harness.db, operator_id)).items[0]
    await payments.record_payment(
        harness.db, operator_id, family.id, harness.clock, amount_sen=15000, method="cash"
    )
    harness.clock.set(_kl(date(2026, 4, 30), 10))
    await _scheduler(harness).tick()
    assert len([d for d in _documents(harness.tg, chat) if "Reminder" in d]) == 5


async def test_each_family_gets_its_invoice_in_its_own_language(harness: BotHarness) -> None:
    """A family whose language is Malay (or Chinese) gets the caption and the PDF in it; the
    PDFs are drawn in the worker processes, each given its family's language."""
    harness.clock.set(_kl(date(2026, 2, 20), 10))
    operator_id, chats = await _families(harness, 3, start=date(2026, 3, 1))
    families = await customers.list_customers(harness.db, operator_id, page_size=50)
    by_name = {f.name: f.id for f in families.items}
    await languages.set_family_language(harness.db, operator_id, by_name["Parent 00"], "ms")
    await languages.set_family_language(harness.db, operator_id, by_name["Parent 01"], "zh_Hans")
    harness.clock.set(_kl(date(2026, 3, 1), 8))
    tick = await _scheduler(harness).tick()
    assert [s.run.created_count for s in tick.started] == [3]
    await harness.tg.wait_for(lambda: all(_documents(harness.tg, c) for c in chats), timeout=60)
    for chat, name, locale, words in (
        (chats[0], "Parent 00", "ms", ("INVOIS", "Jumlah perlu dibayar", "Mac 2026")),
        (chats[1], "Parent 01", "zh_Hans", ("发票", "应付总额", "2026年3月")),
        (chats[2], "Parent 02", "en", ("INVOICE", "Balance due", "March 2026")),
    ):
        (call,) = [c for c in harness.tg.calls_to(chat, "sendDocument") if c.ok]
        text = pdf_text(call)
        for word in words:
            assert word in text, (locale, word)
        found = await invoices.find_invoice_by_number(
            harness.db,
            operator_id,
            call.files["document"].filename.removesuffix(".pdf"),
            harness.clock,
        )
        document = await invoices.invoice_document(
            harness.db, operator_id, found.id, harness.clock
        )
        assert document.locale == locale and found.customer_name == name
        with i18n.use(locale):
            assert call.text == texts.invoice_caption(document)
