"""/newservice and /services: an operator adds routes, changes a fee from a month, switches off."""

from __future__ import annotations

from datetime import date

from tests.bot.conftest import OPERATOR, PARENT, SECOND_OPERATOR, BotHarness, add_family, texts
from tests.bot.fake_telegram import Call
from vanbill.services import operators, routes


def _with_buttons(harness: BotHarness, user_id: int = OPERATOR.id) -> Call:
    return [c for c in harness.tg.seen_by(user_id) if c.buttons][-1]


async def _operator_id(harness: BotHarness, telegram_id: int = OPERATOR.id) -> int:
    return (await operators.ensure_operator(harness.db, telegram_id, harness.clock)).id


async def _new_route(harness: BotHarness, name: str, fee: str, description: str = "-") -> str:
    await harness.say(OPERATOR, "/newservice")
    await harness.say(OPERATOR, name)
    await harness.say(OPERATOR, fee)
    await harness.say(OPERATOR, description)
    return texts(await harness.press_button(OPERATOR, _with_buttons(harness), "Save"))


async def test_an_operator_adds_a_route_step_by_step_and_it_is_saved(harness: BotHarness) -> None:
    assert "What is it called" in texts(await harness.say(OPERATOR, "/newservice"))
    assert "monthly fee for Taman Melati" in texts(await harness.say(OPERATOR, "Taman Melati"))
    assert "description" in texts(await harness.say(OPERATOR, "RM 1,234.50"))
    (confirm,) = await harness.say(OPERATOR, "Pick-up 6:45")
    assert "Taman Melati: RM 1,234.50 a month" in confirm.seen and "Pick-up 6:45" in confirm.seen
    saved = texts(await harness.press_button(OPERATOR, confirm, "Save"))
    assert "Saved. Taman Melati: RM 1,234.50 a month." in saved
    (route,) = await routes.list_services(harness.db, await _operator_id(harness))
    assert (route.name, route.monthly_fee_sen, route.description) == (
        "Taman Melati",
        123450,
        "Pick-up 6:45",
    )


async def test_a_fee_of_abc_or_minus_five_is_asked_again_and_nothing_is_saved(
    harness: BotHarness,
) -> None:
    await harness.say(OPERATOR, "/newservice")
    await harness.say(OPERATOR, "Route A")
    (refusal,) = await harness.say(OPERATOR, "abc")
    assert "could not read 'abc' as an amount" in refusal.seen and "/cancel" in refusal.seen
    (refusal,) = await harness.say(OPERATOR, "-5")
    assert "cannot be negative" in refusal.seen
    assert "description" in texts(await harness.say(OPERATOR, "150"))
    assert "Nothing was saved" in texts(await harness.say(OPERATOR, "/cancel"))
    assert await routes.list_services(harness.db, await _operator_id(harness)) == []


async def test_a_duplicate_route_name_is_shown_and_asked_again(harness: BotHarness) -> None:
    await _new_route(harness, "Route A", "150")
    await harness.say(OPERATOR, "/newservice")
    (refusal,) = await harness.say(OPERATOR, "Route A")
    assert "You already have a route called 'Route A'" in refusal.seen
    assert "monthly fee for Route B" in texts(await harness.say(OPERATOR, "Route B"))


async def test_a_name_taken_while_confirming_asks_for_another_and_keeps_the_rest(
    harness: BotHarness,
) -> None:
    op_id = await _operator_id(harness)
    await harness.say(OPERATOR, "/newservice")
    await harness.say(OPERATOR, "Route A")
    await harness.say(OPERATOR, "150")
    await harness.say(OPERATOR, "-")
    # Meanwhile the same name is taken (another device, another operator account...).
    await routes.add_service(harness.db, op_id, harness.clock, name="Route A", monthly_fee_sen=1)
    refusal = texts(await harness.press_button(OPERATOR, _with_buttons(harness), "Save"))
    assert "already have a route called 'Route A'" in refusal and "another name" in refusal
    (confirm,) = await harness.say(OPERATOR, "Route C")
    assert "Route C: RM 150.00 a month" in confirm.seen
    await harness.press_button(OPERATOR, confirm, "Save")
    assert [r.name for r in await routes.list_services(harness.db, op_id)] == [
        "Route A",
        "Route C",
    ]


async def test_services_lists_routes_with_their_fees_and_a_parent_is_refused(
    harness: BotHarness,
) -> None:
    assert "no routes yet" in texts(await harness.say(OPERATOR, "/services"))
    await _new_route(harness, "Route <b>A</b>", "150")
    await _new_route(harness, "陈美玲 குமார் route", "RM99.5")
    (listing,) = await harness.say(OPERATOR, "/services")
    assert "Route <b>A</b>: RM 150.00 a month" in listing.seen
    assert "陈美玲 குமார் route: RM 99.50 a month" in listing.seen
    assert listing.button("Fee: Route <b>A</b>") and listing.button("Deactivate 陈美玲")
    op_id = await _operator_id(harness)
    await add_family(harness.db, op_id, "Siti", telegram_user_id=PARENT.id)
    (refusal,) = await harness.say(PARENT, "/services")
    assert "for van operators" in refusal.seen


async def test_a_fee_change_from_a_month_applies_from_that_month_only(harness: BotHarness) -> None:
    await _new_route(harness, "Route A", "150")
    listing = (await harness.say(OPERATOR, "/services"))[0]
    prompt = texts(await harness.press_button(OPERATOR, listing, "Fee: Route A"))
    assert "New monthly fee for Route A" in prompt
    assert "cannot be negative" in texts(await harness.say(OPERATOR, "-5"))
    month_prompt = texts(await harness.say(OPERATOR, "180"))
    assert "From which month is it RM 180.00" in month_prompt and "2026-02" in month_prompt
    assert "YYYY-MM" in texts(await harness.say(OPERATOR, "February"))
    saved = texts(await harness.say(OPERATOR, "2026-02"))
    assert "From February 2026, Route A costs RM 180.00 a month" in saved
    op_id = await _operator_id(harness)
    (route,) = await routes.list_services(harness.db, op_id)
    assert await routes.service_fee_for(harness.db, op_id, route.id, date(2026, 1, 1)) == 15000
    assert await routes.service_fee_for(harness.db, op_id, route.id, date(2026, 2, 1)) == 18000


async def test_a_route_is_deactivated_and_reactivated_from_its_button(
    harness: BotHarness,
) -> None:
    await _new_route(harness, "Route A", "150")
    listing = (await harness.say(OPERATOR, "/services"))[0]
    replies = await harness.press_button(OPERATOR, listing, "Deactivate Route A")
    assert "Route A is inactive" in texts(replies)
    op_id = await _operator_id(harness)
    assert await routes.list_services(harness.db, op_id) == []
    refreshed = _with_buttons(harness)
    assert "inactive" in refreshed.seen
    replies = await harness.press_button(OPERATOR, refreshed, "Reactivate Route A")
    assert "Route A is active again" in texts(replies)
    assert [r.name for r in await routes.list_services(harness.db, op_id)] == ["Route A"]


async def test_a_forged_route_button_of_another_operator_is_refused_and_nothing_changes(
    harness: BotHarness,
) -> None:
    await _new_route(harness, "Route A", "150")
    op_id = await _operator_id(harness)
    (route,) = await routes.list_services(harness.db, op_id)
    await harness.say(SECOND_OPERATOR, "/start")
    (alert,) = await harness.press(SECOND_OPERATOR, f"rt:{op_id}:off:{route.id}", message_id=1)
    assert alert.text == "That button is not yours." and alert.params["show_alert"] is True
    (alert,) = await harness.press(SECOND_OPERATOR, f"rt:{op_id}:fee:{route.id}", message_id=1)
    assert alert.text == "That button is not yours."
    # Their own operator id with someone else's route: the route is simply not found.
    own = await _operator_id(harness, SECOND_OPERATOR.id)
    (alert,) = await harness.press(SECOND_OPERATOR, f"rt:{own}:off:{route.id}", message_id=1)
    assert alert.text == "I could not find that route."
    assert [r.active for r in await routes.list_services(harness.db, op_id)] == [True]
