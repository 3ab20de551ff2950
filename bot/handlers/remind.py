"""/remind: how many payment reminders are due today, and a button to send them now."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import for_operator
from vanbill.services import delivery, reminders
from vanbill.services.clock import zone
from vanbill.services.views import OperatorView

SEND, CANCEL = "send", "cancel"


@for_operator
async def ask(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Say how many reminders are due today and ask whether to send them (or why none are)."""
    chat, services = update.effective_chat, context.services
    assert chat is not None
    outlook = await reminders.reminder_outlook(services.db, operator.id, services.clock)
    due = outlook.due
    if not due:
        await chat.send_message(texts.no_reminders_due(outlook))
        return
    families = {r.customer_id for r in due}
    unlinked = {r.customer_id for r in due if r.chat_id is None}
    await chat.send_message(
        texts.reminders_to_send(len(due), len(families), len(unlinked)),
        reply_markup=keyboards.remind_confirm(operator.id),
    )


@for_operator
async def pressed(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Queue today's reminders (or not); the button must be this operator's."""
    query, chat, services = update.callback_query, update.effective_chat, context.services
    assert query is not None and chat is not None
    action, _ = parsing.owned_button(
        query.data, parsing.REMIND_PREFIX, operator.id, (SEND, CANCEL)
    )
    await query.answer()
    with contextlib.suppress(BadRequest):  # already without buttons
        await query.edit_message_reply_markup(None)
    if action == CANCEL:
        await chat.send_message(texts.REMIND_CANCELLED)
        return
    queued = await reminders.queue_reminders(services.db, operator.id, services.clock)
    services.wake_outbox()
    quiet = delivery.quiet_until(services.clock.now(), operator.timezone)
    resumes = None if quiet is None else quiet.astimezone(zone(operator.timezone)).date()
    await chat.send_message(
        texts.reminders_queued(len(queued), len({r.customer_id for r in queued}), resumes)
    )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers."""
    return [
        CommandHandler("remind", ask),
        CallbackQueryHandler(pressed, pattern=rf"^{parsing.REMIND_PREFIX}:"),
    ]
