"""/help, /cancel outside a conversation, and the catch-alls (registered last)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from vanbill.bot import texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import EVERYONE, allow, sender_of


@allow(*EVERYONE)
async def show_help(update: Update, context: VanBillContext) -> None:
    """Show the commands the sender can use."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.help_text(await sender_of(update, context)))


@allow(*EVERYONE)
async def cancel(update: Update, context: VanBillContext) -> None:
    """Say there is nothing to cancel (conversations handle /cancel themselves)."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.NOTHING_TO_CANCEL)


@allow(*EVERYONE)
async def unknown_command(update: Update, context: VanBillContext) -> None:
    """Answer a command nobody handles with the help."""
    assert update.effective_chat is not None
    sender = await sender_of(update, context)
    await update.effective_chat.send_message(texts.unknown_command(sender))


@allow(*EVERYONE)
async def anything_else(update: Update, context: VanBillContext) -> None:
    """Answer a message nobody handles with the help."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.help_text(await sender_of(update, context)))


@allow(*EVERYONE)
async def stale_button(update: Update, context: VanBillContext) -> None:
    """Answer a press on a button nobody handles any more."""
    assert update.callback_query is not None
    await update.callback_query.answer(texts.BUTTON_EXPIRED, show_alert=True)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers; the catch-alls must stay the last ones of group 0."""
    return [
        CommandHandler("help", show_help),
        CommandHandler("cancel", cancel),
        MessageHandler(filters.COMMAND, unknown_command),
        CallbackQueryHandler(stale_button),
        MessageHandler(filters.ALL & ~filters.StatusUpdate.ALL, anything_else),
    ]
