"""A new command ends the conversation the operator was in: typed text goes to the new one."""

from __future__ import annotations

from tests.bot.conftest import OPERATOR, BotHarness, texts
from vanbill.services import operators, routes


async def test_starting_a_new_command_mid_conversation_hands_the_text_to_the_new_one(
    harness: BotHarness,
) -> None:
    await harness.say(OPERATOR, "/business")
    menu = [c for c in harness.tg.seen_by(OPERATOR.id) if c.buttons][-1]
    assert "Send the new Business name" in texts(
        await harness.press_button(OPERATOR, menu, "Business name")
    )
    # Instead of answering, the operator starts adding a route.
    assert "What is it called" in texts(await harness.say(OPERATOR, "/newservice"))
    assert "monthly fee for Night Route" in texts(await harness.say(OPERATOR, "Night Route"))
    operator = await operators.find_operator(harness.db, OPERATOR.id)
    assert operator is not None and operator.business_name == ""  # /business did not take it
    assert "description" in texts(await harness.say(OPERATOR, "90"))
    await harness.say(OPERATOR, "-")
    assert await routes.list_services(harness.db, operator.id) == []  # not confirmed yet


async def test_cancel_still_reaches_the_conversation_it_belongs_to(harness: BotHarness) -> None:
    await harness.say(OPERATOR, "/newservice")
    await harness.say(OPERATOR, "Night Route")
    assert "Nothing was saved" in texts(await harness.say(OPERATOR, "/cancel"))
