"""A new command ends whatever conversation the person was in, so the two never mix.

Every conversation sits in handler group 0, where the first one still waiting for an answer
would take the next text typed, even after the person moved on to another command. This runs
first (group -1): a command other than /cancel ends the person's other conversations.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, ConversationHandler, MessageHandler, filters

from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import EVERYONE, allow

GROUP = -1
KEEPS_THE_CONVERSATION = {"cancel"}


@allow(*EVERYONE)
async def end_other_conversations(update: Update, context: VanBillContext) -> None:
    """End the sender's open conversations when they send a new command."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text[1:].split(maxsplit=1)[0].split("@")[0].lower()
    if command in KEEPS_THE_CONVERSATION:
        return
    for handler in context.application.handlers.get(0, []):
        if not isinstance(handler, ConversationHandler):
            continue
        # python-telegram-bot has no public way to end a conversation from outside it.
        key = handler._get_key(update)
        if key in handler._conversations:
            handler._update_state(ConversationHandler.END, key)
            job = handler.timeout_jobs.pop(key, None)
            if job is not None:
                job.schedule_removal()


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return the handler that runs before every other on a command."""
    return [MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, end_other_conversations)]
