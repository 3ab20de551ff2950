"""Fixtures for driving the real Application through the fake Bot API, as people would.

    async def test_something(harness: BotHarness) -> None:
        replies = await harness.say(OPERATOR, "/start")      # waits until the bot is done
        assert "Welcome" in replies[-1].text

`harness.say/press/press_button/share_contact` inject one update and wait until the Application
has finished with it (handled, or turned away by bot/intake.py), then return what the person saw
in their chat meanwhile. `harness.restart()` stops the Application and
builds a new one on the same database, as a deployment would.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from telegram import Update

from tests.bot.fake_telegram import VISIBLE_METHODS, Call, FakeTelegram, TgUser
from vanbill.bot.app import CONVERSATION_TIMEOUT, build_application
from vanbill.bot.context import VanBillApplication
from vanbill.bot.intake import FloodGate, PersonByPerson
from vanbill.services.clock import FixedClock
from vanbill.services.config import Settings
from vanbill.services.db import Database
from vanbill.services.documents import DocumentRenderer
from vanbill.services.models import Customer

OPERATOR = TgUser(1001, "Aminah", username="kakros_van")
SECOND_OPERATOR = TgUser(1002, "Ravi")
PARENT = TgUser(2001, "Siti", "Nurhaliza")
STRANGER = TgUser(3001, "Tan")
ADMIN_IDS = frozenset({OPERATOR.id, SECOND_OPERATOR.id})
REPLY_TIMEOUT = 20.0  # generous: a loaded machine renders slowly; only a failure waits it out


class MarkingIntake(PersonByPerson):
    """The bot's own intake, telling the harness when it is done with each update."""

    def __init__(self, done: Callable[[object], None], gate: FloodGate | None) -> None:
        super().__init__(gate=gate)
        self._done = done

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Handle or turn away the update as the bot does, then say it is done."""
        try:
            await super().do_process_update(update, coroutine)
        finally:
            self._done(update)


@dataclass
class BotHarness:
    """The running Application, the fake Telegram it talks to, and ways to talk to it."""

    tg: FakeTelegram
    db: Database
    clock: FixedClock
    settings: Settings
    application: VanBillApplication | None = None
    options: dict[str, Any] = field(default_factory=dict)
    _processed: dict[int, asyncio.Event] = field(default_factory=dict)

    async def start(self, **options: Any) -> VanBillApplication:
        """Build and start the Application (polling), as `vanbill run` does."""
        self.options = {
            "conversation_timeout": CONVERSATION_TIMEOUT,
            "persistence_interval": 0.05,
            # The pinned clock would make every month due at once: tests tick by hand
            # (application.bot_data.services.scheduler.tick()).
            "run_schedules": False,
            **self.options,
            **options,
        }
        built = {key: value for key, value in self.options.items() if key != "flood_gate"}
        intake = MarkingIntake(self._mark_done, self.options.get("flood_gate"))
        app = build_application(self.settings, self.db, self.clock, intake=intake, **built)
        await app.initialize()
        assert app.post_init is not None and app.updater is not None
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=1)
        self.application = app
        return app

    async def stop(self) -> None:
        """Stop the Application the way run_polling does on SIGTERM."""
        app, self.application = self.application, None
        if app is None:
            return
        assert app.updater is not None and app.post_shutdown is not None
        if app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        await app.post_shutdown(app)

    async def restart(self, **options: Any) -> VanBillApplication:
        """Stop the Application and build a new one on the same database and fake Telegram."""
        await self.stop()
        return await self.start(**{**self.options, **options})

    def _mark_done(self, update: object) -> None:
        if isinstance(update, Update):
            self._processed.setdefault(update.update_id, asyncio.Event()).set()

    async def deliver(self, update: dict[str, Any], chat_id: int) -> list[Call]:
        """Wait until the Application is done with an injected update; return what chat_id saw."""
        before = len(self.tg.calls)
        done = self._processed.setdefault(update["update_id"], asyncio.Event())
        try:
            await asyncio.wait_for(done.wait(), REPLY_TIMEOUT)
        except TimeoutError:
            raise AssertionError(
                f"update {update['update_id']} was not handled within {REPLY_TIMEOUT}s"
            ) from None
        return [
            c
            for c in self.tg.calls[before:]
            if c.chat_id == chat_id and c.method in VISIBLE_METHODS and c.ok
        ]

    async def say(self, user: TgUser, text: str) -> list[Call]:
        """Send text (or a /command) as user; return what they saw in reply."""
        return await self.deliver(self.tg.send_message(user, text), user.id)

    async def press(self, user: TgUser, data: str, *, message_id: int | None = None) -> list[Call]:
        """Press a button with this callback data (forgeable) as user; return what they saw."""
        return await self.deliver(self.tg.press(user, data, message_id=message_id), user.id)

    async def press_button(self, user: TgUser, call: Call, label: str) -> list[Call]:
        """Press the button labelled label on the message call sent; return what they saw."""
        return await self.deliver(self.tg.press_button(user, call, label), user.id)

    async def share_contact(
        self, user: TgUser, phone: str, *, contact_user_id: int | None = None
    ) -> list[Call]:
        """Share a contact as user (their own by default); return what they saw."""
        update = self.tg.share_contact(user, phone, contact_user_id=contact_user_id)
        return await self.deliver(update, user.id)


def texts(calls: list[Call]) -> str:
    """Join what the person read (HTML rendered) into one string, for `in` assertions."""
    return "\n".join(c.seen for c in calls)


async def add_family(
    db: Database,
    operator_id: int,
    name: str,
    *,
    phone: str | None = None,
    telegram_user_id: int | None = None,
    archived: bool = False,
    clock: FixedClock | None = None,
) -> int:
    """Insert a customer row directly (until services/customers.py is there); return its id."""
    now = (clock or FixedClock()).now()
    async with db.sessions.begin() as session:
        row = Customer(
            operator_id=operator_id,
            name=name,
            phone=phone,
            telegram_user_id=telegram_user_id,
            telegram_chat_id=telegram_user_id,
            archived=archived,
            created_at=now,
        )
        session.add(row)
        await session.flush()
        return row.id


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Bot API server on 127.0.0.1."""
    async with FakeTelegram() as fake:
        yield fake
    _report_leftover_tasks()


@pytest.fixture
def bot_settings(tg: FakeTelegram, db: Database) -> Settings:
    """Settings pointing at the fake Telegram, with OPERATOR and SECOND_OPERATOR as admins."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=db.url,
        telegram_bot_token=tg.token,
        telegram_api_url=tg.api_url,
        admin_ids=ADMIN_IDS,
        timezone="Asia/Kuala_Lumpur",
    )


@pytest.fixture(scope="session")
def renderer() -> Iterator[DocumentRenderer]:
    """One PDF renderer for the whole run (built once, as the bot builds one per process).

    Its worker processes are started here, as `vanbill run` warms them at start-up: else the
    first test to render two PDFs at once waited for them to start, which on a loaded machine
    took longer than its wait for a document (seen: 10 s with the cores busy).
    """
    documents = DocumentRenderer(processes=2)
    documents.start_pool()
    yield documents
    documents.close()


@pytest.fixture
def flood_gate() -> FloodGate | None:
    """Let every update in: tests type far faster than people (None: the bot's own rule)."""
    return FloodGate(limit=1_000_000)


@pytest.fixture
async def harness(
    tg: FakeTelegram,
    db: Database,
    clock: FixedClock,
    bot_settings: Settings,
    renderer: DocumentRenderer,
    flood_gate: FloodGate | None,
) -> AsyncIterator[BotHarness]:
    """The running Application on the test database (both [sqlite] and [mysql])."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    bot = BotHarness(
        tg=tg,
        db=db,
        clock=clock,
        settings=bot_settings,
        options={"renderer": renderer, "flood_gate": flood_gate},
    )
    await bot.start()
    try:
        yield bot
    finally:
        await bot.stop()


def _report_leftover_tasks() -> None:
    """Log the stack of every task still running once the bot and the fake Telegram stopped
    (a test's event loop once hung at its end waiting for one: the log says which, next time)."""
    current = asyncio.current_task()
    for task in asyncio.all_tasks():
        if task is not current and not task.done():
            stack = io.StringIO()
            task.print_stack(limit=8, file=stack)
            logging.getLogger(__name__).warning("task left running: %s", stack.getvalue())
