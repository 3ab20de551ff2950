"""Live conversation state shared between bot instances on one database.

python-telegram-bot reads conversation states once at start and keeps them in memory. With two
instances behind one webhook, a person's next message may reach the other instance: so before
each update this reads the person's conversation states from the database into every persistent
conversation, and after it writes what changed at once (not on the persistence timer).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler, TypeHandler

from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import EVERYONE, allow
from vanbill.bot.persistence import DatabasePersistence

BEFORE = -2
AFTER = 999_999


def _conversations(context: VanBillContext) -> list[ConversationHandler[Any]]:
    return [
        handler
        for handler in context.application.handlers.get(0, [])
        if isinstance(handler, ConversationHandler) and handler.persistent
    ]


@allow(*EVERYONE)
async def read_states(update: Update, context: VanBillContext) -> None:
    """Bring this person's conversation states up to date from the database."""
    persistence = context.application.persistence
    conversations = _conversations(context)
    if not isinstance(persistence, DatabasePersistence) or not conversations:
        return
    # First write what changed here since (a conversation a timeout ended, say), then read.
    await context.application.update_persistence()
    # Every VanBill conversation is keyed by (chat, user): one read covers them all.
    key = conversations[0]._get_key(update)
    stored = await persistence.conversation_states(key)
    for handler in conversations:
        state = stored.get(handler.name or "")
        current = handler._conversations.get(key)
        if state == current:
            continue
        if state is None:
            handler._conversations.data.pop(key, None)  # ended elsewhere
        else:
            handler._conversations.update_no_track({key: state})


@allow(*EVERYONE)
async def write_states(update: Update, context: VanBillContext) -> None:
    """Write what this update changed now, for the other instance's next update."""
    # python-telegram-bot marks an update's data for writing only after its last group.
    context.application._mark_for_persistence_update(update=update)
    await context.application.update_persistence()


def handlers() -> list[tuple[int, BaseHandler[Any, Any, Any]]]:
    """Return (group, handler) pairs: one before every other handler, one after."""
    return [(BEFORE, TypeHandler(Update, read_states)), (AFTER, TypeHandler(Update, write_states))]
