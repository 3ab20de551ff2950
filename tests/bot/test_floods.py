"""Floods: one person's burst never keeps anyone else waiting, and is turned away politely.

The fake Bot API here holds the bot to Telegram's one message a second in each chat (a 429
beyond), as Telegram does, so every reply to the flooder beyond the first is held back.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import pytest

from tests.bot.conftest import OPERATOR, SECOND_OPERATOR, STRANGER, BotHarness, texts
from tests.bot.fake_telegram import FakeTelegram, TgUser
from vanbill.bot import texts as words
from vanbill.bot.intake import FLOOD_LIMIT, FloodGate, PersonByPerson
from vanbill.services import operators, routes

BURST = 200


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """The fake Bot API, refusing a second message in a chat within a second."""
    async with FakeTelegram(per_chat_interval=1.0) as fake:
        yield fake


@pytest.fixture
def flood_gate() -> None:
    """The bot's own flood rule (the other bot tests let every update in)."""
    return None


def _slow_downs(tg: FakeTelegram) -> list[str]:
    return [text for text in tg.texts_to(STRANGER.id) if text == words.SLOW_DOWN]


async def test_a_burst_of_200_messages_from_one_person_never_keeps_another_persons_command_waiting(
    harness: BotHarness,
) -> None:
    tg = harness.tg
    for n in range(BURST):
        tg.send_message(STRANGER, f"hello {n}")
    await tg.wait_for(lambda: bool(tg.texts_to(STRANGER.id)), timeout=10)
    # harness.say fails unless the command is handled within 5 s (conftest.REPLY_TIMEOUT).
    (help_text,) = await harness.say(OPERATOR, "/help")
    assert help_text.seen.startswith("What you can do:") and "/business" in help_text.seen
    assert not _slow_downs(tg)  # the flooder's replies were still going out meanwhile
    # The request to slow down comes last, after the replies to what was let in.
    await tg.wait_for(lambda: bool(_slow_downs(tg)), timeout=60)
    replies = tg.texts_to(STRANGER.id)
    assert replies[-1] == words.SLOW_DOWN and len(replies) == FLOOD_LIMIT + 1
    assert all("invite link" in reply for reply in replies[:-1])
    # Flood control held back the flooder's chat once; from then on it was paced, alone.
    refused = [c for c in tg.calls if c.status == 429]
    assert [c.chat_id for c in refused] == [STRANGER.id]
    assert [c.ok for c in tg.calls_to(OPERATOR.id, "sendMessage")] == [True]


async def test_a_flooders_further_messages_are_dropped_and_a_button_press_still_gets_an_answer(
    harness: BotHarness,
) -> None:
    assert harness.application is not None
    intake = harness.application.update_processor
    assert isinstance(intake, PersonByPerson)
    intake.gate = FloodGate(limit=3)  # the rule of bot/intake.py, with a smaller limit
    tg = harness.tg
    for n in range(4):
        tg.send_message(STRANGER, f"hello {n}")
    await tg.wait_for(lambda: bool(_slow_downs(tg)), timeout=30)
    seen = len(tg.seen_by(STRANGER.id))
    tg.send_message(STRANGER, "/start")
    tg.press(STRANGER, "fam:1:card:1")
    await tg.wait_for(lambda: bool(tg.calls_to(STRANGER.id, "answerCallbackQuery")), timeout=10)
    (answer,) = tg.seen_by(STRANGER.id)[seen:]
    assert answer.text == words.SLOW_DOWN_ALERT and answer.params["show_alert"]
    assert len(_slow_downs(tg)) == 1
    (help_text,) = await harness.say(OPERATOR, "/help")  # everyone else is let in
    assert help_text.seen.startswith("What you can do:")


async def _add_route_without_waiting(harness: BotHarness, user: object, name: str) -> None:
    for typed in ("/newservice", name, "RM 150", f"{name} pick-up"):
        harness.tg.send_message(user, typed)  # type: ignore[arg-type]


async def test_each_persons_messages_sent_all_at_once_are_answered_in_order(
    harness: BotHarness,
) -> None:
    # Two operators type a whole /newservice at once, without waiting for the replies: their
    # updates are handled side by side, each one's strictly in order.
    await _add_route_without_waiting(harness, OPERATOR, "Taman Melati")
    await _add_route_without_waiting(harness, SECOND_OPERATOR, "Bukit Jalil")
    tg = harness.tg
    for user in (OPERATOR, SECOND_OPERATOR):
        await tg.wait_for(lambda u=user: any(c.buttons for c in tg.seen_by(u.id)), timeout=20)  # type: ignore[misc]
    for user, name in ((OPERATOR, "Taman Melati"), (SECOND_OPERATOR, "Bukit Jalil")):
        seen = [c.seen for c in tg.seen_by(user.id)]
        assert "What is it called" in seen[0] and f"monthly fee for {name}" in seen[1], seen
        assert "description" in seen[2] and f"{name}: RM 150.00 a month" in seen[3], seen
        confirm = [c for c in tg.seen_by(user.id) if c.buttons][-1]
        saved = texts(await harness.press_button(user, confirm, "Save"))
        assert f"Saved. {name}: RM 150.00 a month." in saved
        operator = await operators.ensure_operator(harness.db, user.id, harness.clock)
        (route,) = await routes.list_services(harness.db, operator.id)
        assert (route.name, route.description) == (name, f"{name} pick-up")


async def test_thirty_people_writing_at_once_each_get_their_own_answers_in_order(
    harness: BotHarness, caplog: pytest.LogCaptureFixture
) -> None:
    # Thirty lanes at once on one database: no write waits out another (on SQLite each needs
    # the one write lock), nothing is lost, nobody gets an apology.
    caplog.set_level(logging.ERROR, logger="vanbill")
    people = [TgUser(5000 + n, f"Parent {n}") for n in range(30)]
    for person in people:
        for typed in ("/start", "/help", "/balance"):
            harness.tg.send_message(person, typed)
    tg = harness.tg
    await tg.wait_for(lambda: all(len(tg.texts_to(p.id)) == 3 for p in people), timeout=30)
    for person in people:
        welcome, help_text, balance = [c.seen for c in tg.seen_by(person.id)]
        assert welcome.startswith("Hello! I send school-van bills") and "invite link" in help_text
        assert "invite link" in balance
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
