"""Errors: an unexpected one is apologised for with an id that is in the log; every handler
checks who is asking."""

from __future__ import annotations

import logging
import re

import pytest
from telegram.ext import BaseHandler, ConversationHandler

from tests.bot.conftest import OPERATOR, BotHarness
from vanbill.bot import parsing, texts


def _explode(*args: object) -> str:
    raise RuntimeError("the printer is on fire")


async def test_an_unexpected_error_gets_an_apology_with_an_id_that_is_logged(
    harness: BotHarness, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(texts, "help_text", _explode)
    with caplog.at_level(logging.ERROR, logger="vanbill.bot.errors"):
        (apology,) = await harness.say(OPERATOR, "/help")
    match = re.search(r"quote this code: ([0-9a-f]{8})", apology.seen)
    assert match is not None, apology.seen
    assert apology.seen.startswith("Sorry, something went wrong")
    assert "printer" not in apology.seen  # internals stay in the log
    (record,) = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert record.exc_info is not None and "printer is on fire" in str(record.exc_info[1])


def _all_handlers(handlers: list[BaseHandler]) -> list[BaseHandler]:  # type: ignore[type-arg]
    found: list[BaseHandler] = []  # type: ignore[type-arg]
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            nested = list(handler.entry_points) + list(handler.fallbacks)
            for state_handlers in handler.states.values():
                nested.extend(state_handlers)
            found.extend(_all_handlers(nested))
        else:
            found.append(handler)
    return found


async def test_every_handler_checks_the_senders_role(harness: BotHarness) -> None:
    assert harness.application is not None
    registered = [
        h
        for group, handlers in harness.application.handlers.items()
        if group >= 0 and group < 1_000_000
        for h in handlers
    ]
    handlers = _all_handlers(registered)
    assert len(handlers) >= 10
    unguarded = [h for h in handlers if not getattr(h.callback, "allowed_roles", None)]
    assert unguarded == []


async def test_an_unexpected_error_on_a_button_is_an_alert_with_an_id(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await harness.say(OPERATOR, "/business")
    monkeypatch.setattr(texts, "business_prompt", _explode)
    menu = harness.tg.last_to(OPERATOR.id)
    answer, apology = await harness.press_button(OPERATOR, menu, "Due day")
    # The button was already answered (spinner stopped), so the apology is written in the chat.
    assert answer.method == "answerCallbackQuery"
    assert re.search(r"quote this code: [0-9a-f]{8}", apology.seen)


async def test_an_unexpected_error_before_a_button_is_answered_is_an_alert(
    harness: BotHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await harness.say(OPERATOR, "/business")
    monkeypatch.setattr(parsing, "business_button", _explode)
    menu = harness.tg.last_to(OPERATOR.id)
    (alert,) = await harness.press_button(OPERATOR, menu, "Due day")
    assert alert.method == "answerCallbackQuery" and alert.params["show_alert"] is True
    assert re.fullmatch(
        r"Sorry, something went wrong on my side \(code [0-9a-f]{8}\)\.", alert.text
    )
