"""Which updates reach the handlers, and in what order.

Updates of different people are handled at the same time, and one person's strictly in the order
they came (python-telegram-bot's concurrent updates with a lane per person): one person's slow
replies never hold up anyone else, and a person's conversation sees their messages in order,
as ConversationHandler needs. Someone who sends more than FLOOD_LIMIT updates within FLOOD_WINDOW
seconds is asked once to slow down, and what they send is dropped for FLOOD_PAUSE seconds (again
while the flood goes on); a button they press meanwhile still gets an answer.

Two kinds of update never reach a handler, so no command, answer or conversation sees them: an
edited message (it would run its command again; the person is told edits are not read), and a
button press whose message lies in another private chat than the presser's (only a forged
update can do that; the presser alone is answered, nothing goes to that chat).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import BaseUpdateProcessor

from vanbill.bot import texts
from vanbill.services import i18n

log = logging.getLogger(__name__)

FLOOD_LIMIT = 20  # updates a person may send within FLOOD_WINDOW seconds
FLOOD_WINDOW = 10.0
FLOOD_PAUSE = 60.0  # seconds a flooding person's updates are dropped
# Updates handled (or waiting in their lane) at once. A flooder holds at most FLOOD_LIMIT + 1.
MAX_CONCURRENT_UPDATES = 1024
SWEEP_EVERY = 1000  # admissions between forgetting people who went quiet


class Verdict(enum.Enum):
    """What becomes of one update."""

    ADMIT = "admit"
    WARN = "warn"  # the first update over the limit: dropped, with a request to slow down
    DROP = "drop"
    EDITED = "edited"  # an edited message: dropped, the person told edits are not read
    FOREIGN = "foreign"  # a press under another chat's message: dropped, the presser answered


@dataclass
class _Person:
    seen: collections.deque[float]
    muted_until: float = 0.0
    warned: bool = False


class FloodGate:
    """Count each person's updates and say which are let in (a pure rule on a clock)."""

    def __init__(
        self,
        *,
        limit: int = FLOOD_LIMIT,
        window: float = FLOOD_WINDOW,
        pause: float = FLOOD_PAUSE,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit, self.window, self.pause = limit, window, pause
        self._now = now
        self._people: dict[int, _Person] = {}
        self._admissions = 0

    def admit(self, person: int) -> Verdict:
        """Count one update of the person; return whether it goes in."""
        now = self._now()
        self._sweep(now)
        state = self._people.get(person)
        if state is None:
            # The limit + 1 latest are enough to tell whether more than limit fell in a window.
            state = self._people[person] = _Person(collections.deque(maxlen=self.limit + 1))
        while state.seen and now - state.seen[0] >= self.window:
            state.seen.popleft()
        state.seen.append(now)
        if now < state.muted_until:
            return Verdict.DROP
        if len(state.seen) > self.limit:
            state.muted_until = now + self.pause
            if state.warned:
                return Verdict.DROP  # still flooding after the pause: no second request
            state.warned = True
            return Verdict.WARN
        state.warned = False
        return Verdict.ADMIT

    def _sweep(self, now: float) -> None:
        self._admissions += 1
        if self._admissions % SWEEP_EVERY:
            return
        self._people = {
            person: state
            for person, state in self._people.items()
            if now < state.muted_until or (state.seen and now - state.seen[-1] < self.window)
        }


@dataclass
class _Lane:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    users: int = 0


class PersonByPerson(BaseUpdateProcessor):
    """Handle different people's updates concurrently, each person's in order; stop floods."""

    def __init__(
        self,
        max_concurrent_updates: int = MAX_CONCURRENT_UPDATES,
        gate: FloodGate | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self.gate = gate if gate is not None else FloodGate()
        self._lanes: dict[tuple[str, int], _Lane] = {}

    async def initialize(self) -> None:
        """Do nothing: lanes are made as people write."""

    async def shutdown(self) -> None:
        """Do nothing: every lane ends with its last update."""

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle the update in its person's lane, unless it is a flood's or an odd one."""
        person = _person(update)
        if isinstance(update, Update) and update.effective_user is not None:
            # Until the guard knows the sender's chosen language: the one Telegram reports.
            i18n.set_current(i18n.from_telegram(update.effective_user.language_code))
        verdict = self.gate.admit(person) if person is not None else Verdict.ADMIT
        if verdict is Verdict.ADMIT and isinstance(update, Update):
            verdict = _oddity(update) or Verdict.ADMIT
        if verdict is Verdict.ADMIT:
            async with self._lane(_lane_key(update)):
                await coroutine
            return
        if isinstance(coroutine, Coroutine):
            coroutine.close()  # never started: the update is dropped
        assert isinstance(update, Update)
        log.info("dropping update %s of user %s: %s", update.update_id, person, verdict.value)
        if verdict is Verdict.FOREIGN:
            await _answer_press(update, texts.NOT_YOUR_BUTTON)
        elif verdict is Verdict.EDITED:
            await self._tell_in_turn(update, texts.EDIT_NOT_READ)
        else:
            await _answer_press(update, texts.SLOW_DOWN_ALERT)
            if verdict is Verdict.WARN:
                await self._tell_in_turn(update, texts.SLOW_DOWN)

    async def _tell_in_turn(self, update: Update, text: str) -> None:
        """Say text in the person's lane: after the replies to what they sent before."""
        async with self._lane(_lane_key(update)):
            await _tell(update, text)

    @contextlib.asynccontextmanager
    async def _lane(self, key: tuple[str, int]) -> AsyncIterator[None]:
        lane = self._lanes.setdefault(key, _Lane())
        lane.users += 1
        try:
            async with lane.lock:  # asyncio.Lock wakes its waiters first come, first served
                yield
        finally:
            lane.users -= 1
            if lane.users == 0:
                del self._lanes[key]


def _person(update: object) -> int | None:
    if isinstance(update, Update) and update.effective_user is not None:
        return update.effective_user.id
    return None


def _lane_key(update: object) -> tuple[str, int]:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return ("other", 0)


def _oddity(update: Update) -> Verdict | None:
    """Return EDITED or FOREIGN for an update no handler may see, else None."""
    if update.edited_message or update.edited_channel_post or update.edited_business_message:
        return Verdict.EDITED
    query = update.callback_query
    if query is None:
        return None
    message = query.message
    if message is None:
        return Verdict.FOREIGN  # an inline message: the bot never sends one
    if message.chat.type == ChatType.PRIVATE and message.chat.id != query.from_user.id:
        return Verdict.FOREIGN
    return None  # in the presser's own chat, or a group (where the guard stays silent)


async def _answer_press(update: Update, alert: str) -> None:
    """Answer a dropped button press, so the button does not spin."""
    if update.callback_query is None:
        return
    try:
        await update.callback_query.answer(alert, show_alert=True)
    except TelegramError:
        log.info("could not answer the dropped button press %s", update.callback_query.id)


async def _tell(update: Update, text: str) -> None:
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return  # the bot says nothing in groups
    try:
        await chat.send_message(text)
    except TelegramError:
        log.info("could not tell user %s: %s", chat.id, text)
