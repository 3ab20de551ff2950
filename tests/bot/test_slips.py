"""Transfer slips: a parent's photo or PDF reaches the operator, who records it in one tap, and
the parent gets the receipt."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from tests.bot.conftest import (
    OPERATOR,
    PARENT,
    SECOND_OPERATOR,
    STRANGER,
    BotHarness,
    add_family,
    texts,
)
from tests.bot.fake_telegram import Call, TgUser, rendered
from tests.bot.test_parents import bill, business
from vanbill.bot import texts as bot_texts
from vanbill.services import accounts, links, operators, payments
from vanbill.services.models import Delivery

METHODS = ["Bank transfer", "DuitNow", "Cash", "Cheque", "Other"]  # the buttons, in order


async def _family_owing(harness: BotHarness, amount_sen: int = 150_00) -> tuple[int, int]:
    op = await business(harness)
    family = await add_family(harness.db, op, "Siti Nurhaliza", telegram_user_id=PARENT.id)
    if amount_sen:
        await bill(harness, op, family, amount_sen, date(2026, 1, 1), date(2026, 1, 20))
    return op, family


async def send_photo(harness: BotHarness, user: TgUser, caption: str | None = None) -> list[Call]:
    """Send a photo as user; return what they saw in reply."""
    return await harness.deliver(harness.tg.send_photo(user, caption=caption), user.id)


async def send_photo_in_sizes(harness: BotHarness, user: TgUser) -> tuple[list[Call], str]:
    """Send a photo whose sizes are different files, as Telegram does; return the largest's id."""
    tg = harness.tg
    small = tg._store("photo", b"small", None, "image/jpeg")
    large = tg._store("photo", b"large", None, "image/jpeg")
    message: dict[str, Any] = tg._user_message(user, None)
    message["photo"] = [tg._photo_sizes(small)[0], tg._photo_sizes(large)[1]]
    return await harness.deliver(tg._push({"message": message}), user.id), large.file_id


async def _slip_at_operator(
    harness: BotHarness, operator: TgUser = OPERATOR, *, count: int = 1
) -> Call:
    """Wait until the operator has been shown `count` slips (through the outbox); the last."""

    def shown() -> list[Call]:
        return [
            c
            for c in harness.tg.seen_by(operator.id)
            if c.method in ("sendPhoto", "sendDocument") and c.buttons
        ]

    await harness.tg.wait_for(lambda: len(shown()) >= count)
    return shown()[-1]


async def _receipt(harness: BotHarness) -> Call:
    def sent() -> list[Call]:
        return [
            c
            for c in harness.tg.calls_to(PARENT.id, "sendDocument")
            if c.ok and c.files["document"].filename.startswith("RCPT-")
        ]

    await harness.tg.wait_for(lambda: bool(sent()))
    (receipt,) = sent()
    return receipt


async def test_a_parents_photo_reaches_the_operator_with_the_balance_and_the_parent_is_thanked(
    harness: BotHarness,
) -> None:
    await _family_owing(harness)
    replies, largest = await send_photo_in_sizes(harness, PARENT)
    (thanks,) = replies
    assert thanks.seen == (
        "Thank you! I've passed it to Van Kak Ros; you'll get a receipt once it's recorded."
    )
    shown = await _slip_at_operator(harness)
    assert shown.method == "sendPhoto" and shown.params["photo"] == largest
    assert shown.seen.startswith(
        "🧾 Transfer slip from Siti Nurhaliza\nOwed when it came: RM 150.00"
    )
    labels = [b["text"] for b in shown.buttons]
    assert labels == ["✅ Record RM 150.00", "✏️ Record other amount", "🗑 Dismiss"]


async def test_the_parents_caption_reaches_the_operator_escaped(harness: BotHarness) -> None:
    await _family_owing(harness)
    await send_photo(harness, PARENT, caption="<b>paid</b> Jan & Feb")
    shown = await _slip_at_operator(harness)
    assert "Parent's note: <b>paid</b> Jan & Feb" in shown.seen
    await send_photo(harness, PARENT, caption="x" * 1000)
    assert len((await _slip_at_operator(harness, count=2)).text) < 1024  # a photo caption's limit


async def test_a_pdf_slip_reaches_the_operator_as_that_document(harness: BotHarness) -> None:
    await _family_owing(harness)
    update = harness.tg.send_document(PARENT, b"%PDF-1.4 slip", caption="Maybank")
    (thanks,) = await harness.deliver(update, PARENT.id)
    assert thanks.seen.startswith("Thank you!")
    shown = await _slip_at_operator(harness)
    assert shown.method == "sendDocument"
    assert shown.files["document"].content == b"%PDF-1.4 slip"
    assert "Parent's note: Maybank" in shown.seen


async def _record(harness: BotHarness, method: str, slip: Call | None = None) -> list[Call]:
    """Tap the slip's Record RM button, then the method; return what the second tap showed."""
    _, methods = await harness.press_button(
        OPERATOR, slip or await _slip_at_operator(harness), "Record RM"
    )
    return await harness.press_button(OPERATOR, methods, method)


async def test_recording_a_slip_asks_the_method_then_settles_the_invoice_and_sends_the_receipt(
    harness: BotHarness,
) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    answer, methods = await harness.press_button(
        OPERATOR, await _slip_at_operator(harness), "Record RM"
    )
    assert answer.method == "answerCallbackQuery" and not answer.params.get("show_alert")
    assert answer.text == "How did they pay RM 150.00? Tap one."
    assert methods.method == "editMessageReplyMarkup"
    assert [b["text"] for b in methods.buttons] == [
        *METHODS,
        "✏️ Record other amount",
        "🗑 Dismiss",
    ]
    assert await payments.list_payments(harness.db, op, customer_id=family) == []  # not yet
    answer, edited = await harness.press_button(OPERATOR, methods, "DuitNow")
    assert edited.method == "editMessageCaption"
    assert [b["text"] for b in edited.buttons] == ["↩️ Undo"]
    assert edited.seen == (
        "✅ Recorded RM 150.00 from Siti Nurhaliza (DuitNow).\n"
        "It went to: INV-2026-0001 RM 150.00.\n"
        "Receipt RCPT-2026-0001 is on its way to the parent."
    )
    receipt = await _receipt(harness)
    assert "We received RM 150.00 (DuitNow)" in receipt.seen
    assert "You are all paid up." in receipt.seen
    (payment,) = await payments.list_payments(harness.db, op, customer_id=family)
    assert payment.amount_sen == 150_00 and payment.reference.startswith("Slip #")
    assert payment.method == "duitnow"
    assert "All paid" in texts(await harness.say(PARENT, "/balance"))


async def test_a_second_tap_says_it_was_recorded_already_and_records_nothing(
    harness: BotHarness,
) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    slip = await _slip_at_operator(harness)
    await _record(harness, "Cash", slip)
    (alert,) = await harness.press_button(OPERATOR, slip, "Record RM")
    assert alert.text == "That slip was recorded already."
    (alert,) = await harness.press_button(OPERATOR, slip, "Dismiss")
    assert alert.text == "That slip was recorded already."
    assert len(await payments.list_payments(harness.db, op, customer_id=family)) == 1


async def test_record_other_amount_asks_rereads_a_bad_amount_and_records_the_right_one(
    harness: BotHarness,
) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    slip = await _slip_at_operator(harness)
    _, question = await harness.press_button(OPERATOR, slip, "Record other amount")
    assert question.seen.startswith("How much does the slip show?")
    (refusal,) = await harness.say(OPERATOR, "RM 1.005")
    assert "could not read" in refusal.seen and "Send it again" in refusal.seen
    (methods,) = await harness.say(OPERATOR, "rm 100")
    assert methods.seen == "How did they pay RM 100.00? Tap one."
    assert [b["text"] for b in methods.buttons] == METHODS
    replies = await harness.press_button(OPERATOR, methods, "Cash")
    (done,) = [c for c in replies if c.method == "editMessageText"]
    assert done.seen.startswith("✅ Recorded RM 100.00 from Siti Nurhaliza (Cash)")
    edit = [c for c in replies if c.method == "editMessageCaption"]
    assert edit and edit[0].message_id == slip.message_id and edit[0].buttons == []
    receipt = await _receipt(harness)
    assert "Still to pay: RM 50.00" in receipt.seen
    balance = await accounts.family_balance(harness.db, op, family, harness.clock)
    assert balance.balance_sen == 50_00
    assert "What you can do" in texts(await harness.say(OPERATOR, "100"))  # no longer asked


async def test_the_amount_question_survives_a_restart(harness: BotHarness) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    await harness.press_button(OPERATOR, await _slip_at_operator(harness), "Record other amount")
    await harness.restart()
    (methods,) = await harness.say(OPERATOR, "150")
    replies = await harness.press_button(OPERATOR, methods, "Bank transfer")
    assert replies[-1].seen.startswith("✅ Recorded RM 150.00")
    assert len(await payments.list_payments(harness.db, op, customer_id=family)) == 1


async def test_cancel_and_a_quiet_spell_leave_the_slip_unrecorded(harness: BotHarness) -> None:
    op, family = await _family_owing(harness)
    # Long enough that /cancel comes first even on a busy machine (tests run in parallel).
    await harness.restart(conversation_timeout=timedelta(seconds=1.5))
    await send_photo(harness, PARENT)
    slip = await _slip_at_operator(harness)
    await harness.press_button(OPERATOR, slip, "Record other amount")
    assert texts(await harness.say(OPERATOR, "/cancel")) == "Cancelled. Nothing more was changed."
    await harness.press_button(OPERATOR, slip, "Record other amount")
    seen = len(harness.tg.seen_by(OPERATOR.id))
    await harness.tg.wait_for(seen + 1, chat_id=OPERATOR.id, timeout=6)
    assert "stopped waiting for your answer about the slip" in harness.tg.last_to(OPERATOR.id).seen
    assert "What you can do" in texts(await harness.say(OPERATOR, "150"))
    assert await payments.list_payments(harness.db, op, customer_id=family) == []


async def _notices_to(harness: BotHarness, customer_id: int) -> list[dict[str, Any]]:
    """Return what the outbox holds for the family's parent besides documents (the notices)."""
    async with harness.db.sessions() as session:
        rows = await session.execute(
            select(Delivery.kind, Delivery.body, Delivery.status).where(
                Delivery.customer_id == customer_id, Delivery.kind == "notice"
            )
        )
        return [{"kind": k, "meta": json.loads(b), "status": st} for k, b, st in rows]


async def _notice_text(harness: BotHarness, operator_id: int, meta: dict[str, Any]) -> str:
    """Word a queued notice as the parent will read it."""
    operator = await operators.get_operator(harness.db, operator_id)
    return rendered(bot_texts.parent_notice(operator, meta), "HTML")


async def test_dismissing_a_slip_without_a_reason_closes_it_and_queues_a_polite_line(
    harness: BotHarness,
) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    slip = await _slip_at_operator(harness)
    _, question = await harness.press_button(OPERATOR, slip, "Dismiss")
    assert question.seen.startswith("Dismiss this slip? The parent is told in one line.")
    assert [b["text"] for b in question.buttons] == ["🗑 Dismiss without a reason"]
    replies = await harness.press_button(OPERATOR, question, "without a reason")
    (edited,) = [c for c in replies if c.method == "editMessageCaption"]
    assert edited.message_id == slip.message_id and edited.buttons == []
    assert "Transfer slip from" in edited.seen  # what it said stays
    assert edited.seen.endswith("🗑 Dismissed: nothing was recorded. Siti Nurhaliza is told.")
    (answered,) = [c for c in replies if c.method == "editMessageText"]
    assert answered.buttons == []
    (alert,) = await harness.press_button(OPERATOR, slip, "Record RM")
    assert alert.text == "That slip was dismissed already."
    assert await payments.list_payments(harness.db, op, customer_id=family) == []
    assert harness.tg.calls_to(PARENT.id, "sendDocument") == []
    (notice,) = await _notices_to(harness, family)  # through the outbox, like every message
    assert await _notice_text(harness, op, notice["meta"]) == (
        "🧾 Van Kak Ros could not record the transfer slip you sent on 15 Jan 2026. "
        "Please get in touch with them if anything is unclear."
    )


async def test_a_reason_typed_for_dismissing_reaches_the_parents_line(
    harness: BotHarness,
) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    slip = await _slip_at_operator(harness)
    await harness.press_button(OPERATOR, slip, "Dismiss")
    (refusal,) = await harness.say(OPERATOR, "x" * 201)
    assert "too long" in refusal.seen and "Send it again" in refusal.seen
    replies = await harness.say(OPERATOR, "The amount <RM 90> does not match")
    (reply,) = [c for c in replies if c.method == "sendMessage"]
    assert reply.seen == (
        "🗑 Dismissed: nothing was recorded. Siti Nurhaliza is told, with your reason: "
        "The amount <RM 90> does not match."
    )
    edits = [c for c in replies if c.method == "editMessageCaption"]
    assert edits and edits[0].message_id == slip.message_id and edits[0].buttons == []
    (notice,) = await _notices_to(harness, family)
    assert await _notice_text(harness, op, notice["meta"]) == (
        "🧾 Van Kak Ros could not record the transfer slip you sent on 15 Jan 2026: "
        "The amount <RM 90> does not match. Please get in touch with them if anything is "
        "unclear."
    )
    assert "What you can do" in texts(await harness.say(OPERATOR, "another"))  # not asked now
    assert len(await _notices_to(harness, family)) == 1


async def test_cancel_while_asked_for_a_reason_keeps_the_slip(harness: BotHarness) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    slip = await _slip_at_operator(harness)
    _, question = await harness.press_button(OPERATOR, slip, "Dismiss")
    assert texts(await harness.say(OPERATOR, "/cancel")) == "Cancelled. Nothing more was changed."
    (alert,) = await harness.press_button(OPERATOR, question, "without a reason")
    assert alert.params.get("show_alert")  # the question is stale now
    assert await _notices_to(harness, family) == []
    await _record(harness, "Cash", slip)  # still pending: it can be recorded
    assert len(await payments.list_payments(harness.db, op, customer_id=family)) == 1


async def test_the_parent_of_a_dismissed_slip_reads_the_line_in_their_chat(
    harness: BotHarness,
) -> None:
    await _family_owing(harness)
    await send_photo(harness, PARENT)
    await harness.press_button(OPERATOR, await _slip_at_operator(harness), "Dismiss")
    await harness.say(OPERATOR, "the amount does not match")
    await harness.tg.wait_for(
        lambda: any(
            "could not record the transfer slip" in c.seen
            for c in harness.tg.calls_to(PARENT.id, "sendMessage")
        ),
        timeout=5,
    )
    told = [
        c.seen
        for c in harness.tg.calls_to(PARENT.id, "sendMessage")
        if "could not record the transfer slip" in c.seen
    ]
    assert len(told) == 1 and "the amount does not match" in told[0]


async def test_with_nothing_owed_there_is_no_one_tap_record_button(harness: BotHarness) -> None:
    await _family_owing(harness, amount_sen=0)
    await send_photo(harness, PARENT)
    shown = await _slip_at_operator(harness)
    assert "Nothing owed." in shown.seen
    assert [b["text"] for b in shown.buttons] == ["✏️ Record other amount", "🗑 Dismiss"]


async def test_a_parent_of_two_businesses_picks_which_one_the_slip_is_for(
    harness: BotHarness,
) -> None:
    kak_ros = await business(harness)
    ravi = await business(harness, SECOND_OPERATOR, "Ravi Transport")
    await add_family(harness.db, kak_ros, "Siti", telegram_user_id=PARENT.id)
    await add_family(harness.db, ravi, "Siti N.", telegram_user_id=PARENT.id)
    (question,) = await send_photo(harness, PARENT, caption="for Ravi")
    assert question.seen == "Thank you! Which van service is this payment for?"
    assert [b["text"] for b in question.buttons] == [
        "Van Kak Ros — Siti",
        "Ravi Transport — Siti N.",
    ]
    assert harness.tg.seen_by(SECOND_OPERATOR.id) == []  # nothing goes out before the choice
    replies = await harness.press_button(PARENT, question, "Ravi Transport")
    assert "I've passed it to Ravi Transport" in texts(replies)
    assert "Transfer slip from Siti N." in (await _slip_at_operator(harness, SECOND_OPERATOR)).seen
    assert harness.tg.calls_to(OPERATOR.id, "sendPhoto") == []
    (again,) = await harness.press_button(PARENT, question, "Van Kak Ros")
    assert again.text == "I have passed that slip on already."
    assert harness.tg.calls_to(OPERATOR.id, "sendPhoto") == []


async def test_a_stranger_sending_a_photo_is_told_how_to_link(harness: BotHarness) -> None:
    await _family_owing(harness)
    (reply,) = await send_photo(harness, STRANGER, caption="paid")
    assert "I don't know you yet" in reply.seen and reply.button("Share my phone number")
    (reply,) = await harness.deliver(harness.tg.send_document(STRANGER, b"%PDF"), STRANGER.id)
    assert "I don't know you yet" in reply.seen
    assert harness.tg.seen_by(OPERATOR.id) == []


async def test_a_parent_whose_operator_cannot_be_reached_is_still_thanked(
    harness: BotHarness,
) -> None:
    await _family_owing(harness)
    harness.tg.block(OPERATOR.id)
    (thanks,) = await send_photo(harness, PARENT)
    assert thanks.seen.startswith("Thank you! I've passed it to Van Kak Ros")


async def test_a_whole_parent_session_from_invite_link_to_receipt(harness: BotHarness) -> None:
    op = await business(harness)
    family = await add_family(harness.db, op, "Siti Nurhaliza")
    invoice = await bill(harness, op, family, 150_00, date(2026, 1, 1), date(2026, 1, 20))
    token = await links.create_parent_invite(harness.db, op, family, harness.clock)
    linked = texts(await harness.say(PARENT, f"/start {token}"))
    assert "You are now linked to Van Kak Ros" in linked
    assert "Total to pay: RM 150.00" in texts(await harness.say(PARENT, "/balance"))
    (listing,) = await harness.say(PARENT, "/invoices")
    _, pdf = await harness.press_button(PARENT, listing, invoice.number)
    assert pdf.files["document"].filename == f"{invoice.number}.pdf"
    assert "passed it to Van Kak Ros" in texts(await send_photo(harness, PARENT, "Jan fee"))
    await _record(harness, "Bank transfer")
    assert "You are all paid up." in (await _receipt(harness)).seen
    assert "All paid" in texts(await harness.say(PARENT, "/balance"))
