"""/start and /help: each kind of person sees what the bot is to them, and nothing more."""

from __future__ import annotations

from tests.bot.conftest import (
    OPERATOR,
    PARENT,
    SECOND_OPERATOR,
    STRANGER,
    BotHarness,
    add_family,
    texts,
)
from vanbill.services import operators


async def test_a_new_operator_is_led_into_the_set_up_and_gets_the_menu(
    harness: BotHarness,
) -> None:
    harness.tg.commands.clear()  # as if Telegram had refused the menu at start-up
    replies = await harness.say(OPERATOR, "/start")
    assert len(replies) == 1
    assert "Let's set up your van business" in replies[0].seen and "1/9" in replies[0].seen
    assert "business" in [c["command"] for c in harness.tg.commands[f"chat:{OPERATOR.id}"]]


async def test_an_operator_with_a_business_name_is_welcomed_back_by_it(
    harness: BotHarness,
) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await operators.update_profile(harness.db, op.id, business_name="Van <Kak> Ros & Co")
    (reply,) = await harness.say(OPERATOR, "/start")
    assert reply.seen.startswith("Welcome back, Van <Kak> Ros & Co.")


async def test_a_parent_is_greeted_by_name_with_their_van_service(harness: BotHarness) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await operators.update_profile(harness.db, op.id, business_name="Van Kak Ros")
    await add_family(harness.db, op.id, "Siti Nurhaliza", telegram_user_id=PARENT.id)
    replies = await harness.say(PARENT, "/start")
    assert "Hello, Siti Nurhaliza!" in replies[0].text
    assert "Van Kak Ros" in replies[0].text
    assert "/business" not in texts(replies)


async def test_a_stranger_is_told_how_to_get_linked_and_offered_the_phone_button(
    harness: BotHarness,
) -> None:
    replies = await harness.say(STRANGER, "/start")
    (reply,) = replies
    assert "invite link" in reply.text
    button = reply.button("Share my phone number")
    assert button["request_contact"] is True


async def test_help_and_unknown_commands_show_each_role_its_own_commands(
    harness: BotHarness,
) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await add_family(harness.db, op.id, "Siti", telegram_user_id=PARENT.id)
    assert "/invite_operator" in texts(await harness.say(OPERATOR, "/help"))
    parent_help = texts(await harness.say(PARENT, "/help"))
    assert "/help" in parent_help and "/business" not in parent_help
    unknown = texts(await harness.say(PARENT, "/frobnicate"))
    assert unknown.startswith("I don't know that command.") and "/business" not in unknown
    assert "invite link" in texts(await harness.say(STRANGER, "/help"))
    assert "What you can do" in texts(await harness.say(OPERATOR, "hello"))
    assert texts(await harness.say(OPERATOR, "/cancel")) == "There is nothing to cancel."


async def test_the_command_menus_are_registered_for_parents_and_each_operator(
    harness: BotHarness,
) -> None:
    invited = await operators.ensure_operator(harness.db, 1009, harness.clock)
    await harness.restart()
    default = [c["command"] for c in harness.tg.commands["default"]]
    assert default == ["start", "balance", "invoices", "language", "help"]
    for chat_id in (OPERATOR.id, SECOND_OPERATOR.id, invited.telegram_user_id):
        commands = [c["command"] for c in harness.tg.commands[f"chat:{chat_id}"]]
        assert "business" in commands and "invite_operator" in commands


async def test_in_a_group_chat_the_bot_stays_silent(harness: BotHarness) -> None:
    group = {"id": -100123, "type": "supergroup", "title": "Parents of Taman Melati"}
    update = harness.tg.send_message(OPERATOR, "/start", chat=group)
    assert await harness.deliver(update, group["id"]) == []
    assert harness.tg.calls_to(group["id"]) == []


async def test_the_bot_starts_even_when_telegram_refuses_the_command_menus(
    harness: BotHarness,
) -> None:
    harness.tg.fail("setMyCommands", status=400, times=None)
    await harness.restart()
    assert "Welcome" in texts(await harness.say(OPERATOR, "/start"))
    assert len(harness.tg.calls_to(method="setMyCommands")) >= 3
