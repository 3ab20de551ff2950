"""Odd updates a hostile stranger (or a slip of the thumb) sends: numbers in Unicode digits or
twenty digits long, empty parts, edited commands, a button under another chat's message, names
made of invisible characters. Each gets a friendly answer, never a traceback."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from tests.bot.conftest import OPERATOR, PARENT, STRANGER, BotHarness, texts
from tests.bot.factories import business, documents_to, invoice, press, siti
from tests.bot.fake_telegram import Call, TgUser
from tests.data.factories import Business, Family
from vanbill.bot import texts as words
from vanbill.services import accounts, customers, operators, routes

BIG = "12345678901234567890"  # 20 digits: more than a BIGINT holds
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
OUT_OF_DATE = {
    "That button is not valid any more. Send the command again for fresh buttons.",
    "That button is not valid.",
    "That button is not valid. Send /business for a fresh menu.",
    "That button is not valid. Send /invoices for a fresh list.",
    "That button is not valid. Send the slip again.",
    words.BUTTON_EXPIRED,
    words.PAID_EXPIRED,
    words.NEWINVOICE_EXPIRED,
}


@pytest.fixture(autouse=True)
def _errors_are_failures(caplog: pytest.LogCaptureFixture) -> None:
    """Nothing here may end in the error handler's logged traceback."""
    caplog.set_level(logging.ERROR, logger="vanbill")


def _no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert logged == []


async def _alert(harness: BotHarness, user: TgUser, data: str) -> str:
    (alert,) = await harness.press(user, data, message_id=1)
    assert alert.method == "answerCallbackQuery" and alert.params["show_alert"], data
    return alert.text


async def test_unicode_digits_twenty_digit_ids_and_empty_parts_in_buttons_are_out_of_date(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    op = biz.id
    for data in (
        f"fam:{op}:card:²",
        f"fam:{op}:card:١",
        f"fam:{op}:card:{BIG}",
        f"fam:{op}:page:{BIG}",  # an OFFSET beyond BIGINT was SQL error 1064 on MariaDB
        f"fam:{op}:page:0",
        f"fam:{op}:card:",
        f"fam:²:card:{family.id}",
        f"fam::card:{family.id}",
        f"pd:{op}:fam:١",
        f"pd:{op}:fam:{BIG}",
        f"ni:{op}:fam:{BIG}",
        f"ni:{op}:fam:²",
        f"rt:{op}:off:١",
        f"rt:{op}:off:{BIG}",
        f"rt:{op}:fee:{BIG}",
        f"iv:{op}:send:{BIG}",
        f"run:{op}:{BIG}:ok",
        f"run:{op}::hold",
        f"run:{op}:²:ok",
        f"slip:{op}:²:dis",
        f"slip:{op}:1:rec:{BIG}",
        f"slip:{op}::dis",
        "biz:١:name",
        f"biz:{BIG}:name",
    ):
        assert await _alert(harness, OPERATOR, data) in OUT_OF_DATE, data
    for data in (f"pinv:{family.id}:²", f"pinv:{family.id}:{BIG}", "pinv::1", f"slipto:{BIG}:1"):
        assert await _alert(harness, PARENT, data) in OUT_OF_DATE, data
    _no_traceback(caplog)
    # Every one was refused: the family's card still opens with the real button.
    card = await harness.press(OPERATOR, f"fam:{op}:card:{family.id}", message_id=1)
    assert "Siti Nurhaliza" in texts(card)


async def test_a_page_in_unicode_digits_or_too_long_after_customers_asks_for_a_number(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    for typed in (
        "/customers ²",
        "/customers ١",
        f"/customers {BIG}",
        "/customers 0",
        "/customers x",
    ):
        (reply,) = await harness.say(OPERATOR, typed)
        assert "a page number like /customers 3" in reply.seen, typed
    assert "Siti Nurhaliza" in texts(await harness.say(OPERATOR, "/customers 1"))
    (reply,) = await harness.say(OPERATOR, "/invoices ٢٠٢٦-٠١")
    assert "a month such as /invoices 2026-01" in reply.seen
    _no_traceback(caplog)


async def test_unicode_digits_at_the_quantity_step_are_asked_again_as_a_number(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    await harness.say(OPERATOR, "/newinvoice Siti")
    await press(harness, "Siti Nurhaliza")
    await press(harness, "Add a line")
    await harness.say(OPERATOR, "Zoo trip")
    await harness.say(OPERATOR, "30")
    for typed in ("²", "١", "٣", BIG, ""):
        (reply,) = await harness.say(OPERATOR, typed or " ")
        assert "whole number from 1 to 1000, like 3" in reply.seen, typed
    assert "2. Zoo trip: 3 × RM 30.00 = RM 90.00" in texts(await harness.say(OPERATOR, "3"))
    _no_traceback(caplog)


async def _siti_billed(harness: BotHarness) -> tuple[Business, Family]:
    """Van Kak Ros, and Siti's family linked to PARENT with invoice INV-2026-0001 (RM 150)."""
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id)
    return biz, family


async def test_an_edited_command_does_not_run_again(harness: BotHarness) -> None:
    await _siti_billed(harness)
    typed = harness.tg.send_message(OPERATOR, "/invoice INV-2026-0001")
    await harness.deliver(typed, OPERATOR.id)
    assert len(documents_to(harness, OPERATOR.id)) == 1
    message_id = typed["message"]["message_id"]
    for edited in ("/invoice INV-2026-0001", "/statement Siti", "/summary", "/customers"):
        update = harness.tg.edit_message(OPERATOR, message_id, edited)
        replies = await harness.deliver(update, OPERATOR.id)
        assert [r.seen for r in replies] == [words.EDIT_NOT_READ], edited
    assert len(documents_to(harness, OPERATOR.id)) == 1
    assert harness.tg.calls_to(OPERATOR.id, "sendPhoto") == []


async def test_an_edited_answer_changes_nothing_and_the_conversation_goes_on(
    harness: BotHarness,
) -> None:
    biz, family = await _siti_billed(harness)
    await harness.say(OPERATOR, "/paid Siti")
    await press(harness, "Siti Nurhaliza")
    typed = harness.tg.send_message(OPERATOR, "100")
    (methods,) = await harness.deliver(typed, OPERATOR.id)
    assert methods.button("Cash")
    edit = harness.tg.edit_message(OPERATOR, typed["message"]["message_id"], "1000")
    assert [r.seen for r in await harness.deliver(edit, OPERATOR.id)] == [words.EDIT_NOT_READ]
    await press(harness, "Cash")
    assert "Amount: RM 100.00" in texts(await press(harness, "Today"))
    assert "Recorded RM 100.00 (Cash)" in texts(await press(harness, "Record payment"))
    account = await accounts.family_balance(harness.db, biz.id, family.id, harness.clock)
    assert account.balance_sen == 5000


async def test_a_session_whose_last_message_was_edited_still_times_out_with_its_note(
    harness: BotHarness,
) -> None:
    await harness.restart(conversation_timeout=timedelta(seconds=1.5))
    await business(harness)
    await harness.say(OPERATOR, "/business")
    await press(harness, "Due day")
    typed = harness.tg.send_message(OPERATOR, "40")
    await harness.deliver(typed, OPERATOR.id)
    edit = harness.tg.edit_message(OPERATOR, typed["message"]["message_id"], "12")
    assert [r.seen for r in await harness.deliver(edit, OPERATOR.id)] == [words.EDIT_NOT_READ]
    seen = len(harness.tg.seen_by(OPERATOR.id))
    await harness.tg.wait_for(seen + 1, chat_id=OPERATOR.id, timeout=6)
    assert "closed your /business session" in harness.tg.last_to(OPERATOR.id).seen
    found = await operators.find_operator(harness.db, OPERATOR.id)
    assert found is not None and found.due_day == 7


async def _press_under(
    harness: BotHarness, user: TgUser, data: str, chat: TgUser, message: Call
) -> list[Call]:
    """Press a button as user, in an update that puts it under a message in chat's chat."""
    assert message.message_id is not None
    update = harness.tg.press(user, data, chat_id=chat.id, message_id=message.message_id)
    return await harness.deliver(update, user.id)


async def test_a_button_under_another_chats_message_sends_nothing_to_that_chat(
    harness: BotHarness,
) -> None:
    biz, family = await _siti_billed(harness)
    (parents_list,) = await harness.say(PARENT, "/invoices")
    (operators_card,) = await harness.say(OPERATOR, "/customer Siti")
    tg = harness.tg
    for presser, data, chat, message in (
        # The operator's own, real buttons, put under the parent's message...
        (OPERATOR, f"fam:{biz.id}:card:{family.id}", PARENT, parents_list),
        (OPERATOR, f"fam:{biz.id}:stmt:{family.id}", PARENT, parents_list),
        (OPERATOR, f"rt:{biz.id}:off:{biz.morning.id}", PARENT, parents_list),
        # ...the parent's under the operator's, and a stranger pressing the parent's.
        (PARENT, parents_list.buttons[0]["callback_data"], OPERATOR, operators_card),
        (STRANGER, parents_list.buttons[0]["callback_data"], PARENT, parents_list),
    ):
        before = len(tg.calls)
        seen = await _press_under(harness, presser, data, chat, message)
        assert [(c.method, c.text) for c in seen] == [
            ("answerCallbackQuery", words.NOT_YOUR_BUTTON)
        ], data
        assert [c for c in tg.calls[before:] if c.chat_id == chat.id] == [], data
    assert [r.active for r in await routes.list_services(harness.db, biz.id)] == [True, True]
    # Under their own message the same buttons work.
    pdf = await harness.press_button(PARENT, parents_list, "INV-2026-0001")
    assert [c.method for c in pdf] == ["answerCallbackQuery", "sendDocument"]


async def test_names_of_only_invisible_characters_are_refused_and_such_characters_removed(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    refusal = "only invisible characters; type it in letters"
    await harness.say(OPERATOR, "/newcustomer")
    (reply,) = await harness.say(OPERATOR, INVISIBLE)
    assert f"The parent's name has {refusal}" in reply.seen
    (reply,) = await harness.say(OPERATOR, f"\u202eSiti\u200b Nurhaliza{INVISIBLE}")
    assert reply.seen.startswith("Siti Nurhaliza's phone number?")
    await harness.say(OPERATOR, "-")
    (reply,) = await harness.say(OPERATOR, "\u2066\u2069")
    assert f"The child's name has {refusal}" in reply.seen
    await harness.say(OPERATOR, "Ais\u200dyah\u2060")
    await press(harness, "Primary school")
    await harness.say(OPERATOR, "-")
    (reply,) = await harness.say(OPERATOR, "\ufeff")
    assert f"The school has {refusal}" in reply.seen
    await harness.say(OPERATOR, "-")
    await press(harness, "No route")
    assert "Saved the family of Siti Nurhaliza" in texts(await press(harness, "No, save"))
    (saved,) = (await customers.list_customers(harness.db, biz.id)).items
    family = await customers.get_customer(harness.db, biz.id, saved.id)
    assert (family.name, [c.name for c in family.children]) == ("Siti Nurhaliza", ["Aisyah"])

    await harness.say(OPERATOR, "/newservice")
    (reply,) = await harness.say(OPERATOR, "\u200b\u200b")
    assert f"The route name has {refusal}" in reply.seen
    await harness.say(OPERATOR, "/business")
    await press(harness, "Business name")
    (reply,) = await harness.say(OPERATOR, "\u202e\u202c")
    assert f"The business name has {refusal}" in reply.seen
    assert "Saved. Business name: Van Kak Ros" in texts(
        await harness.say(OPERATOR, "Van\u200b Kak Ros")
    )
    found = await operators.find_operator(harness.db, OPERATOR.id)
    assert found is not None and found.business_name == "Van Kak Ros"
