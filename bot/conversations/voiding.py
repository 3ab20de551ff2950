"""Void an invoice or a payment: a Void button, the reason typed, Void it / Keep it.

The Void buttons sit on /invoice's message, on the family card's "Fix a mistake" list and on
a too-late Undo. Voiding is one service call (bot never decides what a void does): the
invoice's month is free for a replacement, money paid on it is credit, a payment's invoices
are owed again, the parent who received the document gets it again stamped VOID.
"""

from __future__ import annotations

import contextlib
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ConversationHandler, MessageHandler

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.flows import DEFAULT_TIMEOUT, TYPED, operator_conversation
from vanbill.bot.errors import replies_on_error
from vanbill.bot.guards import actor_of, for_operator
from vanbill.services import accounts, corrections, i18n, invoices, payments
from vanbill.services.views import OperatorView

NAME = "void"
REASON, CONFIRM = "void_reason", "void_confirm"
DRAFT = "void"  # user_data key of the void being prepared
INVOICE, PAYMENT = "invoice", "payment"
P = parsing.FIX_PREFIX
START_PATTERN = rf"^{P}:\d+:({parsing.VOID_INVOICE}|{parsing.VOID_PAYMENT}):\d+$"


@dataclass(frozen=True)
class VoidDraft:
    """What is about to be voided, and why (kept as JSON in user_data)."""

    kind: str
    target_id: int
    label: str
    reason: str = ""

    def save(self, context: VanBillContext) -> None:
        """Keep the draft in the person's user_data (persisted with the conversation)."""
        context.user_data[DRAFT] = asdict(self)

    @classmethod
    def load(cls, context: VanBillContext) -> VoidDraft | None:
        """Return the draft kept in user_data, or None when there is none (or it is damaged)."""
        kept = context.user_data.get(DRAFT)
        if not isinstance(kept, dict):
            return None
        try:
            return cls(**kept)
        except TypeError:
            return None


async def _send(update: Update, text: str, **kwargs: Any) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, **kwargs)


@replies_on_error(None)
@for_operator
async def start(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Check the invoice or payment can be voided (and is this operator's); ask the reason."""
    query, services = update.callback_query, context.services
    assert query is not None
    action, argument = parsing.owned_button(
        query.data, P, operator.id, (parsing.VOID_INVOICE, parsing.VOID_PAYMENT)
    )
    target_id = parsing.button_number(argument)
    if action == parsing.VOID_INVOICE:
        invoice = await corrections.invoice_to_void(
            services.db, operator.id, target_id, services.clock
        )
        draft = VoidDraft(INVOICE, invoice.id, invoice.number)
        question = texts.ask_void_invoice_reason(invoice, operator.currency)
    else:
        payment = await corrections.payment_to_void(services.db, operator.id, target_id)
        draft = VoidDraft(PAYMENT, payment.id, payment.receipt_number)
        question = texts.ask_void_payment_reason(payment, operator.currency)
    draft.save(context)
    await query.answer()
    await _send(update, question)
    return REASON


@replies_on_error(REASON, hint=texts.TRY_AGAIN)
@for_operator
async def reason_typed(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the reason; ask to confirm."""
    message = update.effective_message
    assert message is not None
    draft = VoidDraft.load(context)
    if draft is None:
        await _send(update, texts.VOID_EXPIRED)
        return ConversationHandler.END  # type: ignore[return-value]
    reason = corrections.check_reason(message.text)
    VoidDraft(draft.kind, draft.target_id, draft.label, reason).save(context)
    await message.reply_text(
        texts.confirm_void(draft.label, reason), reply_markup=keyboards.void_confirm(operator.id)
    )
    return CONFIRM


async def _close(update: Update) -> None:
    query = update.callback_query
    assert query is not None
    await query.answer()
    with contextlib.suppress(BadRequest):  # already without buttons
        await query.edit_message_reply_markup(None)


@replies_on_error(ConversationHandler.END)
@for_operator
async def void_it(update: Update, context: VanBillContext, operator: OperatorView) -> int:
    """Void it, with the reason given; say what the family owes or holds now."""
    query, services = update.callback_query, context.services
    assert query is not None
    parsing.owned_button(query.data, P, operator.id, (parsing.VOID_YES,))
    draft = VoidDraft.load(context)
    context.user_data.pop(DRAFT, None)
    if draft is None or not draft.reason:
        await query.answer(texts.VOID_EXPIRED, show_alert=True)
        return ConversationHandler.END
    actor = await actor_of(update, context)
    if draft.kind == INVOICE:
        invoice = await invoices.void_invoice(
            services.db,
            operator.id,
            draft.target_id,
            services.clock,
            reason=draft.reason,
            actor=actor,
        )
        customer_id = invoice.customer_id
    else:
        payment = await payments.void_payment(
            services.db,
            operator.id,
            draft.target_id,
            services.clock,
            reason=draft.reason,
            actor=actor,
        )
        customer_id = payment.customer_id
    services.wake_outbox()
    await _close(update)
    balance = await accounts.family_balance(services.db, operator.id, customer_id, services.clock)
    if draft.kind == INVOICE:
        await _send(update, texts.invoice_voided(invoice, balance, operator.currency))
    else:
        await _send(update, texts.payment_voided(payment, balance, operator.currency))
    return ConversationHandler.END


@replies_on_error(ConversationHandler.END)
@for_operator
async def keep_it(update: Update, context: VanBillContext, operator: OperatorView) -> int:
    """Keep it: nothing is voided."""
    query = update.callback_query
    assert query is not None
    parsing.owned_button(query.data, P, operator.id, (parsing.VOID_NO,))
    context.user_data.pop(DRAFT, None)
    await _close(update)
    await _send(update, texts.VOID_KEPT)
    return ConversationHandler.END


@for_operator
async def use_the_buttons(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Point at Void it / Keep it when the operator types instead of tapping."""
    await _send(update, texts.VOID_USE_BUTTONS)


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent void conversation."""
    return operator_conversation(
        name=NAME,
        entry_points=[CallbackQueryHandler(start, pattern=START_PATTERN)],
        states={
            REASON: [MessageHandler(TYPED, reason_typed)],
            CONFIRM: [
                CallbackQueryHandler(void_it, pattern=rf"^{P}:\d+:{parsing.VOID_YES}$"),
                CallbackQueryHandler(keep_it, pattern=rf"^{P}:\d+:{parsing.VOID_NO}$"),
                MessageHandler(TYPED, use_the_buttons),
            ],
        },
        draft_key=DRAFT,
        cancelled=texts.VOID_KEPT,
        timed_out=lambda after: texts.conversation_timed_out(i18n.gettext("void"), after),
        timeout=timeout,
    )
