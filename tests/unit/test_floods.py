"""The flood rule (bot/intake.py) and the per-chat pace of what the bot sends (bot/pacing.py),
on a clock the tests move by hand."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from vanbill.bot.intake import FLOOD_LIMIT, FLOOD_PAUSE, FLOOD_WINDOW, FloodGate, Verdict
from vanbill.bot.pacing import CHAT_CALM, CHAT_INTERVAL, ChatPacer

PERSON, OTHER = 3001, 1001


class Ticks:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _burst(gate: FloodGate, person: int, count: int) -> list[Verdict]:
    return [gate.admit(person) for _ in range(count)]


def test_more_than_the_limit_within_the_window_is_asked_once_to_slow_down_then_dropped() -> None:
    ticks = Ticks()
    gate = FloodGate(now=ticks)
    verdicts = _burst(gate, PERSON, 200)
    assert verdicts[:FLOOD_LIMIT] == [Verdict.ADMIT] * FLOOD_LIMIT
    assert verdicts[FLOOD_LIMIT] is Verdict.WARN
    assert set(verdicts[FLOOD_LIMIT + 1 :]) == {Verdict.DROP}


def test_the_limit_counts_a_sliding_window_not_a_total() -> None:
    ticks = Ticks()
    gate = FloodGate(now=ticks)
    step = FLOOD_WINDOW / FLOOD_LIMIT  # exactly the limit in any window
    for _ in range(5 * FLOOD_LIMIT):
        assert gate.admit(PERSON) is Verdict.ADMIT
        ticks.now += step


def test_a_flooder_is_let_in_again_after_the_pause_once_calm_and_warned_again_next_time() -> None:
    ticks = Ticks()
    gate = FloodGate(now=ticks)
    _burst(gate, PERSON, FLOOD_LIMIT + 5)
    ticks.now += FLOOD_PAUSE - 1
    assert gate.admit(PERSON) is Verdict.DROP
    ticks.now += 1
    assert gate.admit(PERSON) is Verdict.ADMIT
    ticks.now += FLOOD_WINDOW
    assert _burst(gate, PERSON, FLOOD_LIMIT + 1)[-1] is Verdict.WARN


def test_a_flood_that_goes_on_past_the_pause_is_dropped_without_a_second_warning() -> None:
    ticks = Ticks()
    gate = FloodGate(now=ticks)
    verdicts = []
    for _ in range(int(3 * FLOOD_PAUSE)):  # ten a second for three pauses
        verdicts.extend(_burst(gate, PERSON, 10))
        ticks.now += 1
    assert verdicts.count(Verdict.WARN) == 1
    assert verdicts.count(Verdict.ADMIT) == FLOOD_LIMIT


def test_someone_else_is_let_in_while_one_person_floods() -> None:
    gate = FloodGate(now=Ticks())
    _burst(gate, PERSON, 500)
    assert _burst(gate, OTHER, FLOOD_LIMIT) == [Verdict.ADMIT] * FLOOD_LIMIT


def test_a_private_chat_is_paced_only_after_flood_control_and_only_until_it_is_quiet() -> None:
    ticks = Ticks()
    pacer = ChatPacer(now=ticks)
    assert [pacer.reserve(PERSON) for _ in range(5)] == [0.0] * 5
    pacer.pause(PERSON, 2.0)
    waits = [pacer.reserve(PERSON) for _ in range(3)]
    assert waits == pytest.approx([2.0, 2.0 + CHAT_INTERVAL, 2.0 + 2 * CHAT_INTERVAL])
    assert pacer.reserve(OTHER) == 0.0  # another chat is not held back
    ticks.now += 2.0 + 3 * CHAT_INTERVAL + CHAT_CALM + 1
    assert [pacer.reserve(PERSON) for _ in range(3)] == [0.0] * 3


def test_a_group_gets_twenty_messages_a_minute() -> None:
    ticks = Ticks()
    pacer = ChatPacer(now=ticks)
    waits = [pacer.reserve(-100_555) for _ in range(22)]
    assert waits[:20] == [0.0] * 20
    assert waits[20] > 0 and waits[21] > waits[20]


async def test_flood_control_in_one_chat_holds_up_neither_another_chat_nor_the_bot() -> None:
    pacer = ChatPacer()
    calls: list[int] = []
    refused = asyncio.Event()

    async def send(chat: int) -> dict[str, Any]:
        calls.append(chat)
        if chat == PERSON and calls.count(PERSON) == 1:
            refused.set()
            raise RetryAfter(timedelta(seconds=30))
        return {"ok": True, "chat": chat}

    def request(chat: int) -> Any:
        return pacer.process_request(send, (chat,), {}, "sendMessage", {"chat_id": chat}, None)

    flooded = asyncio.create_task(request(PERSON))
    await refused.wait()
    # The flooded chat waits its 30 s; the other chat's message goes meanwhile.
    assert await asyncio.wait_for(request(OTHER), timeout=10) == {"ok": True, "chat": OTHER}
    assert not flooded.done() and calls == [PERSON, OTHER]
    flooded.cancel()
