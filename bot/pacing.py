"""What the bot sends, within Telegram's limits; a 429 in one chat holds up only that chat.

python-telegram-bot's AIORateLimiter halts every request after any 429, so the replies to one
flooding person (Telegram allows about one message a second in a chat) would hold up every other
chat. This limiter keeps the overall pace (30 requests a second to chats) and paces each chat on
its own. A 429 pauses only the chat it came from; the request is tried again after Telegram's
wait, and from then on that chat gets one request every CHAT_INTERVAL until it has been quiet
for CHAT_CALM seconds (a private chat is not paced before: replies of a few messages stay
quick). A group or channel gets 20 a minute, as Telegram allows.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

OVERALL_RATE = 30  # requests a second to any chats, as Telegram allows for messages
CHAT_INTERVAL = 1.1  # seconds between requests to a chat that hit flood control
CHAT_CALM = 30.0  # seconds of quiet after which such a chat is no longer paced
GROUP_BURST, GROUP_INTERVAL = 20, 3.0  # a group or channel: 20 a minute
RETRY_MARGIN = 0.1  # seconds added to Telegram's retry_after
FORGET_AFTER = 4096  # chats remembered before idle ones are forgotten

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass(frozen=True)
class Spacing:
    """How closely requests to one chat may follow each other: burst at once, then interval."""

    burst: int
    interval: float


class ChatPacer(BaseRateLimiter[int]):
    """Pace requests overall and per chat; on a 429, pause the chat it names and try again."""

    def __init__(
        self,
        *,
        overall_rate: float = OVERALL_RATE,
        private: Spacing = Spacing(1, CHAT_INTERVAL),
        group: Spacing = Spacing(GROUP_BURST, GROUP_INTERVAL),
        calm: float = CHAT_CALM,
        max_retries: int = 3,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self._overall = AsyncLimiter(overall_rate, 1) if overall_rate else None
        self._private = private
        self._group = group
        self._calm = calm
        self._max_retries = max_retries
        self._now = now
        # Per paced chat, the "theoretical arrival time" of the generic cell rate algorithm: a
        # request may start at tat - (burst - 1) * interval; each one moves tat on by interval.
        self._tat: dict[int | str, float] = {}

    async def initialize(self) -> None:
        """Do nothing: there is nothing to set up."""

    async def shutdown(self) -> None:
        """Do nothing: there is nothing to close."""

    @staticmethod
    def _private_chat(chat: int | str) -> bool:
        return isinstance(chat, int) and chat > 0

    def _spacing(self, chat: int | str) -> Spacing:
        return self._private if self._private_chat(chat) else self._group

    def reserve(self, chat: int | str) -> float:
        """Take the chat's next turn; return how many seconds from now it starts."""
        now = self._now()
        if len(self._tat) > FORGET_AFTER:
            self._tat = {key: tat for key, tat in self._tat.items() if tat + self._calm > now}
        tat = self._tat.get(chat)
        if self._private_chat(chat) and (tat is None or tat + self._calm < now):
            self._tat.pop(chat, None)
            return 0.0  # a private chat Telegram has not held back lately
        if tat is None:
            tat = now
        spacing = self._spacing(chat)
        tolerance = (spacing.burst - 1) * spacing.interval
        start = max(now, tat - tolerance)
        self._tat[chat] = max(tat, start) + spacing.interval
        return start - now

    def pause(self, chat: int | str, seconds: float) -> None:
        """Let nothing more go to the chat for seconds, then pace it (one every interval)."""
        spacing = self._spacing(chat)
        resume = self._now() + seconds
        tolerance = (spacing.burst - 1) * spacing.interval
        self._tat[chat] = max(self._tat.get(chat, resume), resume + tolerance)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        """Send the request in the chat's turn; after a 429, wait in that chat and try again."""
        retries = self._max_retries if rate_limit_args is None else rate_limit_args
        chat = _chat_of(data)
        for attempt in range(retries + 1):
            if chat is not None:
                delay = self.reserve(chat)
                if delay > 0:
                    await asyncio.sleep(delay)
            try:
                if chat is None or self._overall is None:
                    return await callback(*args, **kwargs)
                async with self._overall:
                    return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                wait = _seconds(exc) + RETRY_MARGIN
                log.info("%s to chat %s: flood control, again in %.1f s", endpoint, chat, wait)
                if chat is None:
                    await asyncio.sleep(wait)
                else:
                    self.pause(chat, wait)
        raise AssertionError("unreachable: the last attempt returns or raises")


def _chat_of(data: dict[str, Any]) -> int | str | None:
    chat = data.get("chat_id")
    if chat is None:
        return None
    try:
        return int(chat)
    except (TypeError, ValueError):
        return str(chat)  # @channelusername


def _seconds(exc: RetryAfter) -> float:
    wait = exc.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
