"""Typed access to the long-lived services from every handler: `context.services`."""

from __future__ import annotations

import collections
from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from vanbill.bot.schedule import Scheduler
from vanbill.bot.sender import OutboxSender
from vanbill.services.clock import Clock
from vanbill.services.config import Settings
from vanbill.services.db import Database
from vanbill.services.documents import DocumentRenderer
from vanbill.services.roles import Sender


@dataclass(frozen=True)
class Services:
    """The long-lived objects handlers reach: built once in post_init, closed in post_shutdown."""

    db: Database
    clock: Clock
    settings: Settings
    documents: DocumentRenderer
    outbox: OutboxSender | None = None  # None when the app was built with run_sender=False
    scheduler: Scheduler | None = None

    def wake_outbox(self) -> None:
        """Tell the outbox sender something was just queued, so it goes out now."""
        if self.outbox is not None:
            self.outbox.wake()


class BotData:
    """The application-wide data: not persisted (it holds the services, not state)."""

    def __init__(self) -> None:
        self.services: Services | None = None
        # Updates already answered with an error (bot/errors.py): one reply per update, however
        # many of its handlers fail. Oldest first, a few hundred kept.
        self.answered_errors: collections.OrderedDict[int, None] = collections.OrderedDict()


class VanBillContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], BotData]):
    """The context every VanBill handler receives."""

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        # Filled by the role guard (bot/guards.py) the first time a handler asks for it.
        self.sender: Sender | None = None

    @property
    def services(self) -> Services:
        """Return the services built in post_init."""
        services = self.bot_data.services
        if services is None:
            raise RuntimeError(
                "the services are built in post_init; the application has not run it"
            )
        return services


CONTEXT_TYPES = ContextTypes(context=VanBillContext, bot_data=BotData)

VanBillApplication = Application[
    ExtBot[Any], VanBillContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[VanBillContext]
]
