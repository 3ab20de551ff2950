"""The fake Bot API answers the way python-telegram-bot expects, and records what it was sent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from tests.bot.fake_telegram import FakeTelegram, TgUser

SITI = TgUser(2001, "Siti")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(
        tg.token, base_url=f"{tg.api_url}/bot", base_file_url=f"{tg.api_url}/file/bot"
    ) as client:
        yield client


async def test_get_me_names_the_bot(bot: Bot, tg: FakeTelegram) -> None:
    me = await bot.get_me()
    assert me.username == tg.bot_username and me.is_bot


async def test_a_wrong_token_is_refused(tg: FakeTelegram) -> None:
    wrong = Bot("42:wrong", base_url=f"{tg.api_url}/bot")
    try:
        with pytest.raises(InvalidToken):
            await wrong.initialize()
    finally:
        await wrong.shutdown()


async def test_sent_messages_are_parsed_back_and_recorded_per_chat(
    bot: Bot, tg: FakeTelegram
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Pay", callback_data="pay:1")]])
    sent = await bot.send_message(SITI.id, "40", reply_markup=markup)
    assert sent.text == "40" and sent.reply_markup == markup and sent.chat.id == SITI.id
    call = tg.last_to(SITI.id)
    assert call.text == "40"  # a numeric text stays a string
    assert call.button("Pay")["callback_data"] == "pay:1"
    edited = await bot.edit_message_text("41", chat_id=SITI.id, message_id=sent.message_id)
    assert isinstance(edited, type(sent)) and edited.text == "41"
    assert tg.texts_to(SITI.id) == ["40", "41"]


async def test_an_uploaded_document_can_be_downloaded_again(bot: Bot, tg: FakeTelegram) -> None:
    sent = await bot.send_document(
        SITI.id, InputFile(b"%PDF-1.7 hello", filename="INV-2026-0001.pdf"), caption="Invoice"
    )
    assert sent.document is not None and sent.document.file_name == "INV-2026-0001.pdf"
    stored = tg.last_to(SITI.id).files["document"]
    assert stored.content == b"%PDF-1.7 hello"
    again = await bot.send_document(SITI.id, sent.document.file_id)
    assert again.document is not None and again.document.file_id == sent.document.file_id
    file = await bot.get_file(sent.document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.7 hello"


async def test_injected_updates_are_long_polled_in_order_and_then_forgotten(
    bot: Bot, tg: FakeTelegram
) -> None:
    poll = asyncio.create_task(bot.get_updates(timeout=3))
    await asyncio.sleep(0.05)
    assert not poll.done()  # it waits for something to happen
    tg.send_message(SITI, "/start abc")
    tg.share_contact(SITI, "60123456789")
    updates = list(await asyncio.wait_for(poll, 2))
    updates += await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)
    first, second = updates
    assert first.message.text == "/start abc"
    assert first.message.entities[0].type == "bot_command"
    assert second.message.contact.phone_number == "60123456789"
    assert second.message.contact.user_id == SITI.id
    assert await bot.get_updates(offset=second.update_id + 1) == ()
    assert tg.pending_updates() == 0


async def test_a_button_press_carries_the_message_it_was_pressed_on(
    bot: Bot, tg: FakeTelegram
) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = await bot.send_message(SITI.id, "Sure?", reply_markup=markup)
    tg.press_button(SITI, tg.last_to(SITI.id), "Yes")
    (update,) = await bot.get_updates(timeout=1)
    query = update.callback_query
    assert query.data == "yes" and query.message.message_id == sent.message_id
    assert query.from_user.first_name == "Siti"
    assert await query.answer("Done")
    assert tg.last_to(SITI.id).method == "answerCallbackQuery"


async def test_rate_limits_and_blocked_chats_can_be_simulated(bot: Bot, tg: FakeTelegram) -> None:
    tg.fail("sendMessage", retry_after=7)
    with pytest.raises(RetryAfter) as limited:
        await bot.send_message(SITI.id, "one")
    assert limited.value.retry_after == timedelta(seconds=7)
    assert (await bot.send_message(SITI.id, "two")).text == "two"
    tg.block(SITI.id)
    with pytest.raises(Forbidden):
        await bot.send_message(SITI.id, "three")
    assert [c.status for c in tg.calls_to(SITI.id)] == [429, 200, 403]


async def test_wait_for_gives_up_with_what_was_seen(tg: FakeTelegram) -> None:
    with pytest.raises(TimeoutError, match="last calls"):
        await tg.wait_for(1, timeout=0.05, chat_id=SITI.id)


async def test_unknown_methods_are_answered_and_remembered(bot: Bot, tg: FakeTelegram) -> None:
    assert await bot.set_my_description("School van billing")
    assert tg.unknown_methods == ["setMyDescription"]


async def test_broken_html_is_refused_as_telegram_does_and_good_html_is_rendered(
    bot: Bot, tg: FakeTelegram
) -> None:
    with pytest.raises(BadRequest, match=r"(?i)unsupported start tag"):
        await bot.send_message(SITI.id, "Van <script>", parse_mode="HTML")
    await bot.send_message(SITI.id, "<b>Van</b> &lt;b&gt; 陈美玲", parse_mode="HTML")
    assert tg.last_to(SITI.id).seen == "Van <b> 陈美玲"
