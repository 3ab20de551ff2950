"""/paid: record money a family paid: which family, how much, how, when; then confirm.

Replying /paid to a message of the bot that names one invoice (INV-2026-0001) picks that
invoice's family and settles that invoice first. In python-telegram-bot's example shape: one
handler per button (each with its pattern) or typed answer, returning the next state (None
stays); the answers so far are a small dataclass kept in user_data as plain JSON.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import asdict, dataclass, fields, replace
from datetime import date, timedelta
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.flows import (
    DEFAULT_TIMEOUT,
    TYPED,
    operator_conversation,
    operator_today,
)
from vanbill.bot.errors import replies_on_error
from vanbill.bot.guards import for_operator
from vanbill.services import accounts, customers, invoices, payments
from vanbill.services.errors import InvalidInput
from vanbill.services.money import parse_amount
from vanbill.services.views import PAYMENT_METHODS, InvoiceView, OperatorView, method_label

NAME = "paid"
FAMILY, AMOUNT, METHOD, DAY, CONFIRM = "family", "amount", "method", "day", "confirm"
DRAFT = "paid"  # user_data key of the answers so far
PREFIX = parsing.PAID_PREFIX
PICK, CHOOSE_METHOD, TODAY, RECORD, CANCEL = "fam", "method", "today", "ok", "cancel"
SEARCH_LIMIT = 8
EARLIER_STEP = "paid.earlier_step"  # an error code: bot/error_texts.py words it


@dataclass(frozen=True)
class PaidDraft:
    """The answers so far: the family (and the invoice to settle first), amount, method, day."""

    customer_id: int
    name: str
    invoice_id: int | None = None
    invoice_number: str = ""
    amount: int | None = None
    method: str | None = None
    paid_on: str | None = None  # ISO date: user_data is stored as JSON

    def save(self, context: VanBillContext) -> None:
        """Keep the draft in user_data (persisted with the conversation)."""
        context.user_data[DRAFT] = asdict(self)

    @classmethod
    def load(cls, context: VanBillContext) -> PaidDraft | None:
        """Return the draft kept in user_data (keys of older versions ignored), or None."""
        kept = context.user_data.get(DRAFT)
        if not isinstance(kept, dict) or "customer_id" not in kept:
            return None
        known = {f.name for f in fields(cls)}
        try:
            return cls(**{k: v for k, v in kept.items() if k in known})
        except TypeError:
            return None


def _button(action: str) -> str:
    """Return the pattern of one action's buttons (the handler checks the rest strictly)."""
    return rf"^{PREFIX}:[^:]*:{action}(:|$)"


async def _draft_for(
    update: Update, context: VanBillContext, operator: OperatorView, action: str, *needed: str
) -> tuple[PaidDraft | None, str]:
    """Check the button is this operator's; return the draft (None: expired) and the argument.

    A draft that lacks an answer this button needs means it belongs to an earlier step.
    """
    query = update.callback_query
    assert query is not None
    _, argument = parsing.owned_button(query.data, PREFIX, operator.id, (action,))
    draft = PaidDraft.load(context)
    if draft is None:
        await query.answer(texts.PAID_EXPIRED, show_alert=True)
        return None, argument
    if any(getattr(draft, name) is None for name in needed):
        raise InvalidInput(texts.EARLIER_STEP_OR_CANCEL)
    return draft, argument


def _replied_invoice(message: Message, bot_id: int) -> str | None:
    """Return the one invoice number a replied-to message of the bot names, if it names one."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
        return None
    numbers = parsing.invoice_numbers_in(replied.text or replied.caption)
    return numbers[0] if len(numbers) == 1 else None


async def _search(
    update: Update, context: VanBillContext, operator: OperatorView, wanted: str
) -> str:
    chat = update.effective_chat
    assert chat is not None
    found = await customers.find_customers(
        context.services.db, operator.id, wanted, limit=SEARCH_LIMIT, include_archived=True
    )
    if not found:
        await chat.send_message(texts.no_family_matches(wanted))
    else:
        await chat.send_message(
            texts.pick_family(len(found), SEARCH_LIMIT),
            reply_markup=keyboards.family_matches(PREFIX, operator.id, found),
        )
    return FAMILY


async def _pick(
    update: Update,
    context: VanBillContext,
    operator: OperatorView,
    customer_id: int,
    invoice: InvoiceView | None = None,
) -> str:
    """Show the family's account and ask how much they paid."""
    services, chat = context.services, update.effective_chat
    assert chat is not None
    balance = await accounts.family_balance(services.db, operator.id, customer_id, services.clock)
    if update.callback_query is not None:
        await update.callback_query.answer()
    target = invoice if invoice is not None and invoice.balance_sen > 0 else None
    settled = invoice if invoice is not None and target is None else None
    PaidDraft(
        customer_id=customer_id,
        name=balance.customer_name,
        invoice_id=target.id if target else None,
        invoice_number=target.number if target else "",
    ).save(context)
    await chat.send_message(texts.family_account(balance, target, settled, operator.currency))
    return AMOUNT


@replies_on_error(FAMILY, hint=texts.TRY_AGAIN)
@for_operator
async def start(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Ask which family paid (/paid Siti searches; a reply to an invoice message picks it)."""
    message, services = update.effective_message, context.services
    assert message is not None
    context.user_data.pop(DRAFT, None)
    number = _replied_invoice(message, context.bot.id)
    if number is not None:
        invoice = await invoices.find_invoice_by_number(
            services.db, operator.id, number, services.clock
        )
        return await _pick(update, context, operator, invoice.customer_id, invoice)
    wanted = parsing.search_text(context.args)
    if not wanted:
        await message.reply_text(texts.PAID_ASK_FAMILY)
        return FAMILY
    return await _search(update, context, operator, wanted)


@replies_on_error(FAMILY, hint=texts.TRY_AGAIN)
@for_operator
async def search(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Show the families matching what the operator typed."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return await _search(update, context, operator, message.text)


@replies_on_error(None)
@for_operator
async def pick_family(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the family tapped (another operator's is not found); ask how much they paid."""
    query = update.callback_query
    assert query is not None
    _, argument = parsing.owned_button(query.data, PREFIX, operator.id, (PICK,))
    return await _pick(update, context, operator, parsing.button_number(argument))


@replies_on_error(AMOUNT, hint=texts.TRY_AGAIN)
@for_operator
async def amount(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
    """Take the amount; ask the method."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = PaidDraft.load(context)
    if draft is None:
        raise InvalidInput(texts.EARLIER_STEP_OR_CANCEL)
    replace(draft, amount=parse_amount(message.text)).save(context)
    await message.reply_text(
        texts.ASK_PAYMENT_METHOD, reply_markup=keyboards.payment_methods(operator.id)
    )
    return METHOD


@replies_on_error(None)
@for_operator
async def method_chosen(
    update: Update, context: VanBillContext, operator: OperatorView
) -> str | int:
    """Take the method tapped; ask the day it was paid."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    draft, argument = await _draft_for(update, context, operator, CHOOSE_METHOD, "amount")
    if draft is None:
        return ConversationHandler.END
    index = parsing.number(argument, low=0, high=len(PAYMENT_METHODS) - 1)
    replace(draft, method=PAYMENT_METHODS[index]).save(context)
    await query.answer()
    await chat.send_message(
        texts.ASK_PAYMENT_DATE, reply_markup=keyboards.payment_today(operator.id)
    )
    return DAY


async def _ask_confirmation(
    update: Update, context: VanBillContext, operator: OperatorView, draft: PaidDraft, day: date
) -> str:
    assert update.effective_chat is not None and draft.amount is not None
    assert draft.method is not None
    replace(draft, paid_on=day.isoformat()).save(context)
    if update.callback_query is not None:
        await update.callback_query.answer()
    await update.effective_chat.send_message(
        texts.payment_summary(
            draft.name,
            draft.amount,
            method_label(draft.method),
            day,
            draft.invoice_number,
            operator.currency,
        ),
        reply_markup=keyboards.payment_confirm(operator.id),
    )
    return CONFIRM


@replies_on_error(None)
@for_operator
async def today(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
    """Take today (in the operator's zone) as the day it was paid; ask to confirm."""
    draft, _ = await _draft_for(update, context, operator, TODAY, "amount", "method")
    if draft is None:
        return ConversationHandler.END
    return await _ask_confirmation(
        update, context, operator, draft, operator_today(context, operator)
    )


@replies_on_error(DAY, hint=texts.TRY_AGAIN)
@for_operator
async def typed_day(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the day it was paid (today or earlier); ask to confirm."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = PaidDraft.load(context)
    if draft is None or draft.amount is None or draft.method is None:
        raise InvalidInput(texts.EARLIER_STEP_OR_CANCEL)
    paid_on = parsing.payment_day(message.text, operator_today(context, operator))
    return await _ask_confirmation(update, context, operator, draft, paid_on)


@replies_on_error(None)
@for_operator
async def record(update: Update, context: VanBillContext, operator: OperatorView) -> int | None:
    """Record the payment (the receipt is queued with it); confirm it, with an Undo button."""
    query, chat, services = update.callback_query, update.effective_chat, context.services
    assert query is not None and chat is not None and update.effective_user is not None
    draft, _ = await _draft_for(update, context, operator, RECORD, "amount", "method", "paid_on")
    if draft is None:
        return ConversationHandler.END
    assert draft.amount is not None and draft.method is not None and draft.paid_on is not None
    await query.answer()
    payment = await payments.record_payment(
        services.db,
        operator.id,
        draft.customer_id,
        services.clock,
        amount_sen=draft.amount,
        method=draft.method,
        paid_on=date.fromisoformat(draft.paid_on),
        invoice_id=draft.invoice_id,
        recorded_by=update.effective_user.id,
        notify_parent=True,
    )
    services.wake_outbox()
    context.user_data.pop(DRAFT, None)
    with contextlib.suppress(BadRequest):  # already without buttons
        await query.edit_message_reply_markup(None)
    balance = await accounts.family_balance(
        services.db, operator.id, payment.customer_id, services.clock
    )
    family = await customers.get_customer(services.db, operator.id, payment.customer_id)
    await chat.send_message(
        texts.payment_recorded(payment, balance, family.linked, operator.currency),
        reply_markup=keyboards.undo_payment(operator.id, payment.id),
    )
    return ConversationHandler.END


@replies_on_error(None)
@for_operator
async def cancel_pressed(
    update: Update, context: VanBillContext, operator: OperatorView
) -> int | None:
    """Forget the answers; nothing is recorded."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    draft, _ = await _draft_for(update, context, operator, CANCEL)
    if draft is None:
        return ConversationHandler.END
    await query.answer()
    context.user_data.pop(DRAFT, None)
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    await chat.send_message(texts.PAID_CANCELLED)
    return ConversationHandler.END


@replies_on_error(None)
@for_operator
async def malformed(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Refuse a /paid button no action knows (forged or from an older version)."""
    assert update.callback_query is not None
    parsing.owned_button(update.callback_query.data, PREFIX, operator.id, ())


@for_operator
async def use_the_buttons(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Point at the buttons when the operator types instead of tapping."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.USE_THE_BUTTONS)


def _buttons() -> list[CallbackQueryHandler[Any, Any]]:
    """Return one handler per /paid button; each works from any step that has its answers."""
    return [
        CallbackQueryHandler(pick_family, pattern=_button(PICK)),
        CallbackQueryHandler(method_chosen, pattern=_button(CHOOSE_METHOD)),
        CallbackQueryHandler(today, pattern=_button(TODAY)),
        CallbackQueryHandler(record, pattern=_button(RECORD)),
        CallbackQueryHandler(cancel_pressed, pattern=_button(CANCEL)),
        CallbackQueryHandler(malformed, pattern=rf"^{PREFIX}:"),
    ]


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent /paid conversation."""
    buttons = _buttons()
    return operator_conversation(
        name=NAME,
        entry_points=[CommandHandler("paid", start), *buttons],
        states={
            FAMILY: [MessageHandler(TYPED, search), *buttons],
            AMOUNT: [MessageHandler(TYPED, amount), *buttons],
            METHOD: [MessageHandler(TYPED, use_the_buttons), *buttons],
            DAY: [MessageHandler(TYPED, typed_day), *buttons],
            CONFIRM: [MessageHandler(TYPED, use_the_buttons), *buttons],
        },
        draft_key=DRAFT,
        cancelled=texts.PAID_CANCELLED,
        timed_out=functools.partial(texts.conversation_timed_out, "/paid"),
        timeout=timeout,
    )
