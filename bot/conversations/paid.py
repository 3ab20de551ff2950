"""/paid: record money a family paid: which family, how much, how, when; then confirm.

Replying /paid to a message of the bot that names one invoice (INV-2026-0001) picks that
invoice's family and settles that invoice first. The answers live in user_data as plain JSON.
"""

from __future__ import annotations

import contextlib
import functools
from datetime import date, timedelta
from typing import Any

from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    ConversationHandler,
)

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations import flows
from vanbill.bot.conversations.flows import DEFAULT_TIMEOUT, button_flow
from vanbill.bot.errors import replies_on_error, show_error
from vanbill.bot.guards import allow
from vanbill.services import accounts, customers, invoices, payments
from vanbill.services.errors import InvalidInput, VanBillError
from vanbill.services.money import parse_amount
from vanbill.services.roles import OPERATOR
from vanbill.services.views import METHOD_LABELS, PAYMENT_METHODS, InvoiceView, OperatorView

NAME = "paid"
FAMILY, AMOUNT, METHOD, DAY, CONFIRM = "family", "amount", "method", "day", "confirm"
DRAFT = "paid"  # user_data key of the answers so far
PREFIX = parsing.PAID_PREFIX
PICK, CHOOSE_METHOD, TODAY, RECORD, CANCEL = "fam", "method", "today", "ok", "cancel"
ACTIONS = (PICK, CHOOSE_METHOD, TODAY, RECORD, CANCEL)
SEARCH_LIMIT = 8
EARLIER_STEP = "That button belongs to an earlier step. Answer the last question, or /cancel."

Draft = dict[str, Any]


_operator = flows.operator_of
_today = flows.operator_today


def _to(context: VanBillContext, state: str) -> str:
    return flows.go_to(context, DRAFT, state)


def _draft(context: VanBillContext, *needed: str) -> Draft:
    draft = context.user_data.get(DRAFT)
    if not isinstance(draft, dict) or any(key not in draft for key in needed):
        raise InvalidInput(EARLIER_STEP)
    return draft


def _replied_invoice(message: Message, bot_id: int) -> str | None:
    """Return the one invoice number a replied-to message of the bot names, if it names one."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot_id:
        return None
    numbers = parsing.invoice_numbers_in(replied.text or replied.caption)
    return numbers[0] if len(numbers) == 1 else None


async def _search(update: Update, context: VanBillContext, wanted: str) -> str:
    chat = update.effective_chat
    assert chat is not None
    operator = await _operator(update, context)
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
    return _to(context, FAMILY)


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
    context.user_data[DRAFT] = {
        "customer_id": customer_id,
        "name": balance.customer_name,
        "invoice_id": target.id if target else None,
        "invoice_number": target.number if target else "",
    }
    await chat.send_message(texts.family_account(balance, target, settled, operator.currency))
    return _to(context, AMOUNT)


@allow(OPERATOR)
@replies_on_error(FAMILY, hint=texts.TRY_AGAIN)
async def start(update: Update, context: VanBillContext) -> str:
    """Ask which family paid (/paid Siti searches; a reply to an invoice message picks it)."""
    message, services = update.effective_message, context.services
    assert message is not None
    context.user_data[DRAFT] = {"step": FAMILY}
    operator = await _operator(update, context)
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
    return await _search(update, context, wanted)


@allow(OPERATOR)
@replies_on_error(FAMILY, hint=texts.TRY_AGAIN)
async def search(update: Update, context: VanBillContext) -> str:
    """Show the families matching what the operator typed."""
    message = update.effective_message
    assert message is not None and message.text is not None
    return await _search(update, context, message.text)


@allow(OPERATOR)
@replies_on_error(AMOUNT, hint=texts.TRY_AGAIN)
async def amount(update: Update, context: VanBillContext) -> str:
    """Take the amount; ask the method."""
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = _draft(context, "customer_id")
    operator = await _operator(update, context)
    draft["amount"] = parse_amount(message.text)
    await message.reply_text(
        texts.ASK_PAYMENT_METHOD, reply_markup=keyboards.payment_methods(operator.id)
    )
    return _to(context, METHOD)


@allow(OPERATOR)
@replies_on_error(DAY, hint=texts.TRY_AGAIN)
async def typed_day(update: Update, context: VanBillContext) -> str:
    """Take the day it was paid (today or earlier); ask to confirm."""
    message = update.effective_message
    assert message is not None and message.text is not None
    operator = await _operator(update, context)
    paid_on = parsing.payment_day(message.text, _today(context, operator))
    return await _ask_confirmation(update, context, operator, paid_on)


async def _ask_confirmation(
    update: Update, context: VanBillContext, operator: OperatorView, paid_on: date
) -> str:
    assert update.effective_chat is not None
    draft = _draft(context, "customer_id", "amount", "method")
    draft["paid_on"] = paid_on.isoformat()
    if update.callback_query is not None:
        await update.callback_query.answer()
    await update.effective_chat.send_message(
        texts.payment_summary(
            draft["name"],
            draft["amount"],
            METHOD_LABELS[draft["method"]],
            paid_on,
            draft.get("invoice_number", ""),
            operator.currency,
        ),
        reply_markup=keyboards.payment_confirm(operator.id),
    )
    return _to(context, CONFIRM)


async def _choose_method(
    update: Update, context: VanBillContext, operator: OperatorView, argument: str
) -> str:
    assert update.callback_query is not None and update.effective_chat is not None
    index = parsing.number(argument, low=0, high=len(PAYMENT_METHODS) - 1)
    draft = _draft(context, "customer_id", "amount")
    draft["method"] = PAYMENT_METHODS[index]
    await update.callback_query.answer()
    await update.effective_chat.send_message(
        texts.ASK_PAYMENT_DATE, reply_markup=keyboards.payment_today(operator.id)
    )
    return _to(context, DAY)


async def _record(update: Update, context: VanBillContext, operator: OperatorView) -> int:
    query, chat, services = update.callback_query, update.effective_chat, context.services
    assert query is not None and chat is not None and update.effective_user is not None
    draft = _draft(context, "customer_id", "amount", "method", "paid_on")
    await query.answer()
    payment = await payments.record_payment(
        services.db,
        operator.id,
        draft["customer_id"],
        services.clock,
        amount_sen=draft["amount"],
        method=draft["method"],
        paid_on=date.fromisoformat(draft["paid_on"]),
        invoice_id=draft.get("invoice_id"),
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


async def _cancel_draft(update: Update, context: VanBillContext) -> int:
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    await query.answer()
    context.user_data.pop(DRAFT, None)
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(None)
    await chat.send_message(texts.PAID_CANCELLED)
    return ConversationHandler.END


@allow(OPERATOR)
async def pressed(update: Update, context: VanBillContext) -> str | int:
    """Do what a /paid button says (after checking it is this operator's)."""
    query = update.callback_query
    assert query is not None
    draft = context.user_data.get(DRAFT)
    here = draft.get("step", FAMILY) if isinstance(draft, dict) else ConversationHandler.END
    try:
        operator = await _operator(update, context)
        action, argument = parsing.owned_button(query.data, PREFIX, operator.id, ACTIONS)
        if action == PICK:
            return await _pick(update, context, operator, parsing.button_number(argument))
        if not isinstance(draft, dict) or "customer_id" not in draft:
            await query.answer(texts.PAID_EXPIRED, show_alert=True)
            return here
        if action == CHOOSE_METHOD:
            return await _choose_method(update, context, operator, argument)
        if action == TODAY:
            return await _ask_confirmation(update, context, operator, _today(context, operator))
        if action == RECORD:
            return await _record(update, context, operator)
        return await _cancel_draft(update, context)
    except VanBillError as error:
        await show_error(update, error)
        return here


@allow(OPERATOR)
async def use_the_buttons(update: Update, context: VanBillContext) -> str:
    """Point at the buttons when the operator types instead of tapping."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.USE_THE_BUTTONS)
    draft = context.user_data.get(DRAFT)
    return str(draft.get("step", METHOD)) if isinstance(draft, dict) else METHOD


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent /paid conversation."""
    return button_flow(
        name=NAME,
        command="paid",
        start=start,
        pressed=pressed,
        prefix=PREFIX,
        typed={
            FAMILY: search,
            AMOUNT: amount,
            METHOD: use_the_buttons,
            DAY: typed_day,
            CONFIRM: use_the_buttons,
        },
        draft_key=DRAFT,
        cancelled=texts.PAID_CANCELLED,
        timed_out=functools.partial(texts.conversation_timed_out, "/paid"),
        timeout=timeout,
    )
