"""Who may do what: each role reaches only its own commands and buttons; forged button data,
group chats and unknown commands get nothing they should not."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

from tests.bot.conftest import (
    OPERATOR,
    PARENT,
    SECOND_OPERATOR,
    STRANGER,
    BotHarness,
    add_family,
)
from tests.bot.conftest import (
    texts as seen_texts,
)
from tests.bot.fake_telegram import Call, TgUser
from tests.bot.test_parents import bill, business
from tests.bot.test_slips import send_photo
from vanbill.bot import keyboards, parsing, texts
from vanbill.services import payments
from vanbill.services.db import Database
from vanbill.services.models import Base
from vanbill.services.roles import OPERATOR as OPERATOR_ROLE
from vanbill.services.roles import PARENT as PARENT_ROLE

FOR_EVERYONE = {"start", "help", "cancel"}
PARENTS_OWN = sorted({name for name, _ in texts.PARENT_COMMANDS} - FOR_EVERYONE)
OPERATORS_ONLY = [
    name for name, _ in texts.OPERATOR_COMMANDS if name not in FOR_EVERYONE | set(PARENTS_OWN)
]
OPERATOR_INVOICES = "invoices" in dict(texts.OPERATOR_COMMANDS)
STATE_TABLES = {"bot_state"}  # conversation states and user data, not business records
GROUP = {"id": -100_555, "type": "group", "title": "Van parents"}
REFUSALS = {
    "That button is not yours.",
    "That button is not valid any more. Send the command again for fresh buttons.",
    texts.BUTTON_EXPIRED,
}


async def _rows(db: Database) -> dict[str, int]:
    """Count the rows of every business table."""
    counts = {}
    async with db.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if table.name not in STATE_TABLES:
                counts[table.name] = (
                    await session.execute(select(func.count()).select_from(table))
                ).scalar_one()
    return counts


async def _world(harness: BotHarness) -> dict[str, int]:
    """Two businesses, the parent's family and a neighbour at the first: each with an invoice."""
    kak_ros = await business(harness)
    ravi = await business(harness, SECOND_OPERATOR, "Ravi Transport")
    mine = await add_family(harness.db, kak_ros, "Siti", telegram_user_id=PARENT.id)
    theirs = await add_family(harness.db, ravi, "Mei Ling", telegram_user_id=2002)
    my_invoice = await bill(harness, kak_ros, mine, 150_00, date(2026, 1, 1), date(2026, 1, 20))
    their_invoice = await bill(harness, ravi, theirs, 90_00, date(2026, 1, 1), date(2026, 1, 20))
    neighbour = await add_family(harness.db, kak_ros, "Ah Kow", telegram_user_id=2003)
    next_door = await bill(harness, kak_ros, neighbour, 70_00, date(2026, 1, 2), date(2026, 1, 20))
    return {
        "kak_ros": kak_ros,
        "ravi": ravi,
        "mine": mine,
        "theirs": theirs,
        "my_invoice": my_invoice.id,
        "their_invoice": their_invoice.id,
        "neighbour": neighbour,
        "neighbours_invoice": next_door.id,
    }


def test_every_operator_command_is_checked_here() -> None:
    assert {"business", "invite_operator"} <= set(OPERATORS_ONLY)
    assert not {"start", "help", "balance"} & set(OPERATORS_ONLY)


@pytest.mark.parametrize("command", OPERATORS_ONLY)
async def test_a_parent_trying_an_operator_command_is_refused_and_nothing_is_written(
    harness: BotHarness, command: str
) -> None:
    await _world(harness)
    before = await _rows(harness.db)
    for typed in (f"/{command}", f"/{command} Siti 150"):
        replies = await harness.say(PARENT, typed)
        assert [r.seen for r in replies] == [texts.OPERATORS_ONLY], typed
    assert await _rows(harness.db) == before
    after = seen_texts(await harness.say(PARENT, "150"))  # no conversation was left open
    assert after.startswith("I send you your school-van invoices")


@pytest.mark.parametrize("command", [*OPERATORS_ONLY, *PARENTS_OWN])
async def test_a_stranger_trying_a_command_is_told_how_to_link_and_nothing_is_written(
    harness: BotHarness, command: str
) -> None:
    await _world(harness)
    before = await _rows(harness.db)
    (reply,) = await harness.say(STRANGER, f"/{command}")
    assert reply.seen.startswith("Hello! I send school-van bills") and "invite link" in reply.seen
    assert reply.button("Share my phone number")
    assert await _rows(harness.db) == before


async def test_a_parents_invoices_lists_their_own_and_an_operators_never_does(
    harness: BotHarness,
) -> None:
    await _world(harness)
    (parent_sees,) = await harness.say(PARENT, "/invoices")
    assert parent_sees.seen.startswith("🚐 Van Kak Ros — Siti: your recent invoices")
    assert [b["text"] for b in parent_sees.buttons] == ["📄 INV-2026-0001"]
    assert "Ah Kow" not in parent_sees.seen
    operator_sees = seen_texts(await harness.say(OPERATOR, "/invoices"))
    assert "your recent invoices" not in operator_sees and "📄" not in operator_sees


@pytest.mark.skipif(not OPERATOR_INVOICES, reason="no operators' /invoices yet")
async def test_an_operators_invoices_reaches_the_operators_own_list(harness: BotHarness) -> None:
    await _world(harness)
    operator_sees = seen_texts(await harness.say(OPERATOR, "/invoices"))
    assert "INV-2026-0001" in operator_sees and "Ah Kow" in operator_sees
    assert texts.PARENTS_ONLY not in operator_sees and "I don't know" not in operator_sees
    (other,) = await harness.say(SECOND_OPERATOR, "/invoices")
    assert "INV-2026-0001" in other.seen and "Siti" not in other.seen  # Ravi's own numbering


async def _slip_shown_to(harness: BotHarness, operator: TgUser) -> Call:
    def shown() -> list[Call]:
        return [c for c in harness.tg.seen_by(operator.id) if c.method == "sendPhoto"]

    await harness.tg.wait_for(lambda: bool(shown()))  # through the outbox
    return shown()[-1]


async def test_forged_slip_buttons_of_another_operator_are_refused_and_record_nothing(
    harness: BotHarness,
) -> None:
    world = await _world(harness)
    await send_photo(harness, PARENT)
    slip = await _slip_shown_to(harness, OPERATOR)
    record = slip.button("Record RM")["callback_data"]
    _, owner, slip_id, _, amount = record.split(":")
    before = await _rows(harness.db)
    for data in (
        record,  # the real button, pressed by someone else
        slip.button("Dismiss")["callback_data"],
        slip.button("other amount")["callback_data"],
    ):
        (alert,) = await harness.press(SECOND_OPERATOR, data, message_id=1)
        assert alert.method == "answerCallbackQuery" and alert.params["show_alert"], data
        assert alert.text == "That button is not yours.", data
    # Their own operator id in the data: the slip is not theirs to find.
    for action in (f"rec:{amount}", "dis"):
        data = f"slip:{world['ravi']}:{slip_id}:{action}"
        (alert,) = await harness.press(SECOND_OPERATOR, data, message_id=1)
        assert alert.text == "I could not find that slip.", data
    (alert,) = await harness.press(PARENT, record, message_id=1)
    assert alert.text == "This button is not for you."
    # The method buttons Record RM brings, forged or pressed by someone else.
    _, methods = await harness.press_button(OPERATOR, slip, "Record RM")
    cash = methods.button("Cash")["callback_data"]
    (alert,) = await harness.press(SECOND_OPERATOR, cash, message_id=1)
    assert alert.text == "That button is not yours."
    _, _, _, argument = cash.split(":")
    forged = f"slpm:{world['ravi']}:cash:{argument}"  # their own operator id
    (alert,) = await harness.press(SECOND_OPERATOR, forged, message_id=1)
    assert alert.text == "I could not find that slip."
    for data in (f"slpm:{owner}:gold:{argument}", f"slpm:{owner}:cash:{slip_id}-x"):
        (alert,) = await harness.press(OPERATOR, data, message_id=1)
        assert alert.text.startswith("That button is not valid"), data
    forged = f"slpd:{world['ravi']}:none:{slip_id}"
    (alert,) = await harness.press(SECOND_OPERATOR, forged, message_id=1)
    assert alert.params["show_alert"]  # no dismissal asked for: a stale button
    assert await _rows(harness.db) == before
    # The slip is untouched: its operator can still record it.
    await harness.press_button(OPERATOR, methods, "Cash")
    assert len(await payments.list_payments(harness.db, int(owner))) == 1


async def test_another_operators_real_buttons_are_refused_and_write_nothing(
    harness: BotHarness,
) -> None:
    await _world(harness)
    for command in ("/business", "/customers", "/invoices", "/invoice INV-2026-0001", "/services"):
        await harness.say(SECOND_OPERATOR, command)
    buttons = [
        b["callback_data"]
        for c in harness.tg.seen_by(SECOND_OPERATOR.id)
        for b in c.buttons
        if "callback_data" in b
    ]
    assert any(data.startswith(f"{parsing.BUSINESS_PREFIX}:") for data in buttons)
    before, seen = await _rows(harness.db), len(harness.tg.seen_by(OPERATOR.id))
    for data in buttons:
        (alert,) = await harness.press(OPERATOR, data, message_id=1)
        assert alert.method == "answerCallbackQuery" and alert.params["show_alert"], data
        assert alert.text in REFUSALS, (data, alert.text)
    assert await _rows(harness.db) == before
    assert len(harness.tg.seen_by(OPERATOR.id)) == seen + len(buttons)  # alerts only


async def test_a_parents_invoice_button_for_another_family_is_refused(
    harness: BotHarness,
) -> None:
    world = await _world(harness)
    for data in (
        f"pinv:{world['mine']}:{world['neighbours_invoice']}",  # same business, not mine
        f"pinv:{world['neighbour']}:{world['neighbours_invoice']}",
        f"pinv:{world['mine']}:{world['their_invoice']}",  # another business
        f"pinv:{world['theirs']}:{world['their_invoice']}",
    ):
        (alert,) = await harness.press(PARENT, data, message_id=1)
        assert alert.text == "That invoice is not yours.", data
    pdf = parsing.parent_invoice_button_data(world["mine"], world["my_invoice"])
    (alert,) = await harness.press(OPERATOR, pdf, message_id=1)
    assert alert.text == "This button is not for you."
    assert harness.tg.calls_to(PARENT.id, "sendDocument") == []
    assert harness.tg.calls_to(OPERATOR.id, "sendDocument") == []


async def test_unknown_commands_get_each_role_its_help(harness: BotHarness) -> None:
    await _world(harness)
    operator = seen_texts(await harness.say(OPERATOR, "/frobnicate"))
    assert operator.startswith("I don't know that command.") and "/business" in operator
    parent = seen_texts(await harness.say(PARENT, "/frobnicate"))
    assert parent.startswith("I don't know that command.") and "/balance" in parent
    assert "/business" not in parent
    stranger = seen_texts(await harness.say(STRANGER, "/frobnicate"))
    assert "invite link" in stranger and "/balance" not in stranger


async def test_a_group_chat_gets_silence(harness: BotHarness) -> None:
    world = await _world(harness)
    before = await _rows(harness.db)
    tg = harness.tg
    for user, text in (
        (PARENT, "/balance"),
        (PARENT, "/invoices"),
        (PARENT, "/start"),
        (OPERATOR, "/business"),
        (OPERATOR, "/invoices"),
        (STRANGER, "/help"),
        (STRANGER, "hello"),
    ):
        assert await harness.deliver(tg.send_message(user, text, chat=GROUP), GROUP["id"]) == []
    photo: dict[str, Any] = tg._user_message(PARENT, GROUP)
    photo["photo"] = tg._photo_sizes(tg._store("photo", b"slip", None, "image/jpeg"))
    assert await harness.deliver(tg._push({"message": photo}), GROUP["id"]) == []
    pdf = f"pinv:{world['mine']}:{world['my_invoice']}"
    pressed = tg.press(PARENT, pdf, chat_id=GROUP["id"], message_id=1)
    assert await harness.deliver(pressed, GROUP["id"]) == []
    assert tg.calls_to(GROUP["id"]) == []
    for person in (PARENT, OPERATOR, STRANGER, SECOND_OPERATOR):
        assert tg.seen_by(person.id) == []
    assert await _rows(harness.db) == before


def _flatten(handlers: list[BaseHandler]) -> list[BaseHandler]:  # type: ignore[type-arg]
    found: list[BaseHandler] = []  # type: ignore[type-arg]
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            nested = [*handler.entry_points, *handler.fallbacks]
            for state in handler.states.values():
                nested.extend(state)
            found.extend(_flatten(nested))
        else:
            found.append(handler)
    return found


def _registered(harness: BotHarness) -> list[BaseHandler]:  # type: ignore[type-arg]
    assert harness.application is not None
    return _flatten(
        [handler for handlers in harness.application.handlers.values() for handler in handlers]
    )


async def test_every_handler_in_every_group_checks_the_senders_role(
    harness: BotHarness,
) -> None:
    handlers = _registered(harness)
    unguarded = [h for h in handlers if not getattr(h.callback, "allowed_roles", None)]
    assert unguarded == []


async def test_every_menu_command_has_a_handler_for_exactly_its_roles(
    harness: BotHarness,
) -> None:
    roles: dict[str, set[str]] = {}
    for handler in _registered(harness):
        if isinstance(handler, CommandHandler):
            for command in handler.commands:
                roles.setdefault(command, set()).update(handler.callback.allowed_roles)
    for command in OPERATORS_ONLY:
        assert roles.get(command) == {OPERATOR_ROLE}, command
    for command in PARENTS_OWN:
        assert PARENT_ROLE in roles.get(command, set()), command
    assert roles["balance"] == {PARENT_ROLE}
    # One /invoices for both roles, routed by role (see bot/handlers/parents.py).
    assert roles["invoices"] == {PARENT_ROLE} | ({OPERATOR_ROLE} if OPERATOR_INVOICES else set())


async def test_slip_and_parent_invoice_buttons_are_guarded_for_their_role(
    harness: BotHarness,
) -> None:
    owners = {
        parsing.slip_button_data(1, 2, parsing.SLIP_RECORD, 100): {OPERATOR_ROLE},
        parsing.slip_button_data(1, 2, parsing.SLIP_OTHER_AMOUNT): {OPERATOR_ROLE},
        parsing.slip_button_data(1, 2, parsing.SLIP_DISMISS): {OPERATOR_ROLE},
        keyboards.slip_methods(1, 2, 100).inline_keyboard[0][0].callback_data: {OPERATOR_ROLE},
        keyboards.slip_no_reason(1, 2).inline_keyboard[0][0].callback_data: {OPERATOR_ROLE},
        parsing.parent_invoice_button_data(1, 2): {PARENT_ROLE},
        parsing.slip_for_button_data(1, 2): {PARENT_ROLE},
    }
    buttons = [h for h in _registered(harness) if isinstance(h, CallbackQueryHandler)]
    for data, allowed in owners.items():
        first = next(
            h for h in buttons if isinstance(h.pattern, re.Pattern) and h.pattern.match(data)
        )
        assert set(first.callback.allowed_roles) == allowed, data
