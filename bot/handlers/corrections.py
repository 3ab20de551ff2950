"""Undo on a payment's confirmation (ten minutes, by the service clock), and stale Void buttons."""

from __future__ import annotations

import contextlib

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from vanbill.bot import error_texts, keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import actor_of, for_operator
from vanbill.bot.handlers.slips import show_slip
from vanbill.services import accounts, corrections, payments, slips
from vanbill.services.errors import TooLate
from vanbill.services.views import OperatorView

P = parsing.FIX_PREFIX


@for_operator
async def undo(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Void the payment just recorded; after ten minutes, offer the Void button instead."""
    query, services = update.callback_query, context.services
    assert query is not None and update.effective_chat is not None
    _, argument = parsing.owned_button(query.data, P, operator.id, (parsing.UNDO_PAYMENT,))
    payment_id = parsing.button_number(argument)
    try:
        undone = await payments.undo_payment(
            services.db,
            operator.id,
            payment_id,
            services.clock,
            reason=texts.UNDONE_REASON,
            actor=await actor_of(update, context),
        )
    except TooLate as late:
        await query.answer(error_texts.message(late)[:200], show_alert=True)
        found = await corrections.payment_to_void(services.db, operator.id, payment_id)
        await update.effective_chat.send_message(
            texts.undo_too_late(error_texts.message(late)),
            reply_markup=keyboards.void_payment(operator.id, found, operator.currency),
        )
        return
    services.wake_outbox()
    await query.answer()
    with contextlib.suppress(BadRequest):  # already without buttons
        await query.edit_message_reply_markup(None)
    payment = undone.payment
    balance = await accounts.family_balance(
        services.db, operator.id, payment.customer_id, services.clock
    )
    await update.effective_chat.send_message(
        texts.payment_voided(payment, balance, operator.currency)
    )
    if undone.slip_id is not None:  # the slip it was recorded from waits again: show it
        slip = await slips.get_pending_slip(services.db, operator.id, undone.slip_id)
        await update.effective_chat.send_message(texts.slip_waiting_again(payment.customer_name))
        await show_slip(context.bot, operator, payment.customer_name, slip)


@for_operator
async def expired(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Answer a Void it / Keep it button of a void that is no longer being prepared."""
    assert update.callback_query is not None
    await update.callback_query.answer(texts.VOID_EXPIRED, show_alert=True)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return Undo and the catch-all of this area's buttons (after the void conversation)."""
    return [
        CallbackQueryHandler(undo, pattern=rf"^{P}:\d+:{parsing.UNDO_PAYMENT}:\d+$"),
        CallbackQueryHandler(expired, pattern=rf"^{P}:"),
    ]
