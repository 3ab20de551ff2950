"""/remind: today's due reminders are counted, confirmed, queued, and reach the parents."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from tests.bot.conftest import OPERATOR, PARENT, SECOND_OPERATOR, BotHarness, texts
from tests.bot.factories import (
    business,
    documents_to,
    invoice,
    press,
    second_business,
    sent,
    siti,
    wait_for_document,
)
from vanbill.services import customers, delivery


async def _overdue(harness: BotHarness, *, linked: bool = True) -> int:
    """Make Siti's invoice due 8 Jan (7 days late on the 15th: stage 7), and Tan's unlinked one."""
    biz = await business(harness)
    family = await siti(harness, biz, linked=linked)
    await invoice(
        harness, biz.id, family.id, 15000, issue_date=date(2026, 1, 1), due_date=date(2026, 1, 8)
    )
    tan = await customers.add_customer(harness.db, biz.id, harness.clock, name="Tan Mei Ling")
    await invoice(
        harness, biz.id, tan.id, 12000, issue_date=date(2026, 1, 1), due_date=date(2026, 1, 8)
    )
    return biz.id


async def test_remind_queues_the_due_reminders_and_the_parent_receives_one(
    harness: BotHarness,
) -> None:
    await _overdue(harness)
    (ask,) = await harness.say(OPERATOR, "/remind")
    assert ask.seen.startswith("🔔 2 reminders due today, for 2 families.")
    assert "1 family not linked yet: theirs wait until they link." in ask.seen
    assert ask.seen.endswith("Send them now?")
    (done,) = sent(await press(harness, "Send"))
    assert done.seen == "🔔 Queued 2 reminders for 2 families. They are going out now."
    reminder = await wait_for_document(harness, PARENT.id)
    assert "Reminder" in reminder.seen and "7 days overdue" in reminder.seen
    assert reminder.files["document"].filename == "INV-2026-0001.pdf"
    (again,) = await harness.say(OPERATOR, "/remind")
    assert again.seen.startswith("No reminders are due today")


async def test_at_night_the_reminders_wait_until_eight_and_it_says_so(
    harness: BotHarness,
) -> None:
    await _overdue(harness)
    harness.clock.set(datetime(2026, 1, 15, 14, 30, tzinfo=UTC))  # 22:30 in Kuala Lumpur
    await harness.say(OPERATOR, "/remind")
    (done,) = sent(await press(harness, "Send"))
    assert "Queued 2 reminders for 2 families." in done.seen
    assert "quiet time (21:00 to 08:00), so they wait and go out at 08:00 on 16 Jan 2026" in (
        done.seen
    )
    await asyncio.sleep(0.3)
    assert documents_to(harness, PARENT.id) == []
    assert await delivery.pending_count(harness.db) == 1  # Siti's; Tan's waits for a link
    (again,) = await harness.say(OPERATOR, "/remind")  # asked again, the same night
    assert again.seen == (
        "No reminders are due today, but 2 families owe money.\n"
        "🌙 1 reminder queued already waits for quiet time (21:00 to 08:00) to end: it goes "
        "out at 08:00 on 16 Jan 2026.\n"
        "The next reminder goes out on 22 Jan 2026 at 09:00."  # 14 days late
    )


async def test_cancel_sends_nothing_and_nothing_due_is_said_so(harness: BotHarness) -> None:
    biz_id = await _overdue(harness)
    await harness.say(OPERATOR, "/remind")
    (cancelled,) = sent(await press(harness, "Cancel"))
    assert cancelled.seen == "Cancelled. No reminders were sent."
    assert await delivery.pending_count(harness.db, biz_id) == 0
    (ask,) = await harness.say(OPERATOR, "/remind")
    assert ask.button("Send")  # still due: cancelling queued nothing
    await harness.say(SECOND_OPERATOR, "/start")
    (none,) = await harness.say(SECOND_OPERATOR, "/remind")
    assert none.seen.startswith("No reminders are due today") and not none.buttons


async def test_pressing_send_twice_queues_once(harness: BotHarness) -> None:
    await _overdue(harness)
    (ask,) = await harness.say(OPERATOR, "/remind")
    await harness.press_button(OPERATOR, ask, "Send")
    (again,) = sent(await harness.press_button(OPERATOR, ask, "Send"))
    assert again.seen == "Nothing new to send: today's reminders were queued already."
    await wait_for_document(harness, PARENT.id)
    await asyncio.sleep(0.2)
    assert len(documents_to(harness, PARENT.id)) == 1


async def test_a_forged_remind_button_is_refused_and_queues_nothing(harness: BotHarness) -> None:
    victim = await _overdue(harness)
    mine = await second_business(harness, SECOND_OPERATOR.id)
    (alert,) = await harness.press(SECOND_OPERATOR, f"rm:{victim}:send", message_id=1)
    assert alert.params.get("show_alert") and alert.text == "That button is not yours."
    (alert,) = await harness.press(SECOND_OPERATOR, f"rm:{mine}:blast", message_id=1)
    assert alert.text.startswith("That button is not valid")
    (alert,) = await harness.press(PARENT, f"rm:{victim}:send", message_id=1)
    assert alert.text == "This button is not for you."
    assert await delivery.pending_count(harness.db) == 0
    assert "2 reminders due today" in texts(await harness.say(OPERATOR, "/remind"))


async def test_remind_with_money_owed_but_not_yet_due_says_who_owes_and_when_the_next_goes(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)  # issued 15 Jan, due 7 Feb
    (answer,) = await harness.say(OPERATOR, "/remind")
    assert answer.seen == (
        "No reminders are due today, but 1 family owes money.\n"
        "The next reminder goes out on 4 Feb 2026 at 09:00."  # 3 days before it is due
    )
    assert not answer.buttons
    await customers.set_reminders_paused(harness.db, biz.id, family.id)
    (paused,) = await harness.say(OPERATOR, "/remind")
    assert paused.seen == (
        "No reminders are due today, but 1 family owes money.\nReminders are paused for 1 family."
    )
