"""Start-up on the Telegram side: logging that never shows a secret, and waiting for Telegram.

Telegram unreachable at start is a network problem that passes (a router rebooting, a DNS
hiccup), so `vanbill run` waits it out with backoff and a log line per attempt. A token that
Telegram refuses never gets better by waiting: that is a one-line error and exit status 2.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from telegram import Bot, User
from telegram.error import InvalidToken, NetworkError, TimedOut
from telegram.request import HTTPXRequest

from vanbill.services.config import Settings
from vanbill.services.db import url_password
from vanbill.services.health import StartupError

log = logging.getLogger("vanbill")

FIRST_DELAY = 1.0
MAX_DELAY = 60.0


def secrets_of(settings: Settings) -> list[str]:
    """Return the strings that must never appear in a message or a log line."""
    found = []
    token = settings.telegram_bot_token
    if token:
        found.append(token)
        _, _, key = token.partition(":")
        if len(key) >= 8:
            found.append(key)
    password = url_password(settings.database_url)
    if password and len(password) >= 3:
        found.append(str(password))
    return sorted(found, key=len, reverse=True)


class RedactSecrets(logging.Filter):
    """Replace every secret in a record's text (the message and any traceback) by ***."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        words = [re.escape(s) for s in secrets if s]
        self._pattern = re.compile("|".join(words)) if words else None

    def redact(self, text: str) -> str:
        """Return text with the secrets replaced."""
        return self._pattern.sub("***", text) if self._pattern else text

    def filter(self, record: logging.LogRecord) -> bool:
        if self._pattern is None:
            return True
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        return True


def configure_logging(settings: Settings, *, verbose: bool = False) -> None:
    """Log to stderr at LOG_LEVEL (DEBUG with --verbose), secrets redacted everywhere."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets_of(settings)))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else settings.log_level)
    # One line per long poll otherwise; and httpx logs every URL, token included.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


def make_bot(settings: Settings, **options: object) -> Bot:
    """Return a plain Bot for settings (for checks before the Application is built)."""
    return Bot(
        settings.telegram_bot_token,
        base_url=f"{settings.telegram_api_url}/bot",
        base_file_url=f"{settings.telegram_api_url}/file/bot",
        request=HTTPXRequest(connect_timeout=10.0, read_timeout=10.0),
        **options,  # type: ignore[arg-type]
    )


def refused_token(settings: Settings) -> StartupError:
    """Return the one-line error for a token Telegram refuses."""
    return StartupError(
        f"Telegram at {settings.telegram_api_url} refused the bot token (Unauthorized): check "
        "TELEGRAM_BOT_TOKEN against the token @BotFather gave you"
    )


async def wait_for_telegram(
    settings: Settings,
    *,
    first_delay: float = FIRST_DELAY,
    max_delay: float = MAX_DELAY,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> User:
    """Return the bot's own user once Telegram answers; raise StartupError if it refuses."""
    delay = first_delay
    attempt = 1
    while True:
        try:
            async with make_bot(settings) as bot:
                return bot.bot
        except InvalidToken as exc:
            raise refused_token(settings) from exc
        except (NetworkError, TimedOut) as exc:
            log.warning(
                "cannot reach Telegram at %s (attempt %d: %s); trying again in %.0f s",
                settings.telegram_api_url,
                attempt,
                str(exc) or exc.__class__.__name__,
                delay,
            )
        await sleep(delay)
        delay = min(max_delay, delay * 2)
        attempt += 1


@dataclass(frozen=True)
class TelegramHealth:
    """What Telegram said of the bot: who it is and whether a webhook is set."""

    username: str
    webhook_url: str
    pending_updates: int
    last_error: str


async def telegram_health(settings: Settings) -> TelegramHealth:
    """Ask Telegram once who the bot is and where its updates go; StartupError if it cannot."""
    try:
        async with make_bot(settings) as bot:
            info = await bot.get_webhook_info()
            return TelegramHealth(
                username=bot.bot.username or str(bot.bot.id),
                webhook_url=info.url or "",
                pending_updates=info.pending_update_count,
                last_error=info.last_error_message or "",
            )
    except InvalidToken as exc:
        raise refused_token(settings) from exc
    except (NetworkError, TimedOut) as exc:
        raise StartupError(
            f"cannot reach Telegram at {settings.telegram_api_url} "
            f"({str(exc) or exc.__class__.__name__})"
        ) from exc
