"""Approve or hold a monthly run (the buttons under the preview the schedule sends)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from vanbill.bot import parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import allow, sender_of
from vanbill.services import runs
from vanbill.services.roles import OPERATOR


@allow(OPERATOR)
async def decide(update: Update, context: VanBillContext) -> None:
    """Approve (generate and send) or hold the month the button names."""
    query, sender, services = (
        update.callback_query,
        await sender_of(update, context),
        context.services,
    )
    assert query is not None and sender.operator is not None
    run_id, action = parsing.run_button(query.data, sender.operator.id)
    if action == "ok":
        started = await runs.approve_run(services.db, sender.operator.id, run_id, services.clock)
        services.wake_outbox()
        text = texts.run_decided(started.run, approved=True)
    else:
        held = await runs.hold_run(services.db, sender.operator.id, run_id, services.clock)
        text = texts.run_decided(held, approved=False)
    await query.answer()
    await query.edit_message_text(text)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return the run buttons' handler."""
    return [CallbackQueryHandler(decide, pattern=f"^{parsing.RUN_PREFIX}:")]
