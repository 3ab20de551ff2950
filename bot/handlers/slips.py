"""Transfer slips: a parent's photo or PDF goes to the operator, who records it in one tap."""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import Any

from telegram import Bot, Message, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.flows import DEFAULT_TIMEOUT, TYPED, operator_conversation
from vanbill.bot.errors import replies_on_error, show_error
from vanbill.bot.guards import allow, sender_of
from vanbill.services import operators, slips
from vanbill.services.errors import InvalidInput
from vanbill.services.money import parse_amount
from vanbill.services.roles import OPERATOR, PARENT, Family
from vanbill.services.slips import SlipView
from vanbill.services.views import OperatorView

log = logging.getLogger(__name__)

NAME = "slip_amount"
AMOUNT = "amount"
ASKED = "slip_amount"  # user_data: {"slip": id, "message": the slip's message at the operator}
PENDING = "pending_slips"  # user_data: slips waiting for the parent to pick the business
MAX_PENDING = 5
SLIP_FILES = filters.PHOTO | filters.Document.PDF | filters.Document.IMAGE


def _file_of(message: Message) -> tuple[str, str]:
    """Return (file id, kind) of the slip in a message: the largest photo size, or the file."""
    if message.photo:
        return message.photo[-1].file_id, "photo"
    assert message.document is not None  # SLIP_FILES lets only photos and documents through
    return message.document.file_id, "document"


async def _show_operator(bot: Bot, operator: OperatorView, family: Family, slip: SlipView) -> None:
    """Send the slip itself to the operator, with what the family owed and the buttons."""
    caption = texts.slip_for_operator(operator, family.name, slip)
    markup = keyboards.slip_decision(operator.id, slip.id, slip.balance_sen, operator.currency)
    try:
        if slip.file_kind == "photo":
            await bot.send_photo(
                operator.telegram_user_id,
                slip.telegram_file_id,
                caption=caption,
                reply_markup=markup,
            )
        else:
            await bot.send_document(
                operator.telegram_user_id,
                slip.telegram_file_id,
                caption=caption,
                reply_markup=markup,
            )
    except TelegramError:
        # The slip is kept (pending) either way; the parent is not the one to fix this.
        log.warning("could not show slip %s to operator %s", slip.id, operator.id, exc_info=True)


async def _pass_on(
    update: Update, context: VanBillContext, family: Family, slip: dict[str, str]
) -> None:
    """Keep the slip for the family, show it to the operator and thank the parent."""
    services, chat = context.services, update.effective_chat
    assert chat is not None
    kept = await slips.receive_slip(
        services.db,
        family.operator_id,
        family.customer_id,
        services.clock,
        telegram_file_id=slip["file"],
        file_kind=slip["kind"],
        caption=slip["caption"],
    )
    operator = await operators.get_operator(services.db, family.operator_id)
    await _show_operator(context.bot, operator, family, kept)
    await chat.send_message(texts.slip_thanks(operator))


@allow(PARENT)
async def slip_sent(update: Update, context: VanBillContext) -> None:
    """Take a parent's slip; ask which business it is for when they have more than one."""
    message, sender = update.effective_message, await sender_of(update, context)
    assert message is not None
    file_id, kind = _file_of(message)
    slip = {"file": file_id, "kind": kind, "caption": message.caption or ""}
    if len(sender.families) == 1:
        await _pass_on(update, context, sender.families[0], slip)
        return
    pending: dict[str, Any] = context.user_data.setdefault(PENDING, {})
    pending[str(message.message_id)] = slip
    for stale in list(pending)[:-MAX_PENDING]:
        del pending[stale]
    choices = [(f.customer_id, texts.family_label(f)) for f in sender.families]
    await message.reply_text(
        texts.SLIP_WHICH_BUSINESS, reply_markup=keyboards.slip_for(message.message_id, choices)
    )


@allow(PARENT)
async def slip_for(update: Update, context: VanBillContext) -> None:
    """Pass the slip on to the business the parent picked (one of their own)."""
    query, sender = update.callback_query, await sender_of(update, context)
    assert query is not None
    families = {f.customer_id: f for f in sender.families}
    customer_id, message_id = parsing.slip_for_button(query.data, families)
    slip = context.user_data.get(PENDING, {}).pop(str(message_id), None)
    if slip is None:
        await query.answer(texts.SLIP_PASSED_ALREADY, show_alert=True)
        return
    await query.answer()
    with contextlib.suppress(BadRequest):  # too old to edit: the choice stands anyway
        await query.edit_message_reply_markup(None)
    await _pass_on(update, context, families[customer_id], slip)


async def _operator(update: Update, context: VanBillContext) -> OperatorView:
    sender = await sender_of(update, context)
    assert sender.operator is not None  # the guard let only operators in
    return sender.operator


@allow(OPERATOR)
async def decide(update: Update, context: VanBillContext) -> None:
    """Record what the family owed when the slip came, or dismiss the slip."""
    query, services = update.callback_query, context.services
    assert query is not None
    operator = await _operator(update, context)
    slip_id, action, amount_sen = parsing.slip_button(
        query.data, operator.id, (parsing.SLIP_RECORD, parsing.SLIP_DISMISS)
    )
    if action == parsing.SLIP_RECORD:
        payment = await slips.record_from_slip(
            services.db,
            operator.id,
            slip_id,
            services.clock,
            amount_sen=amount_sen,
            recorded_by=update.effective_user.id if update.effective_user else None,
        )
        services.wake_outbox()
        text = texts.slip_recorded(operator, payment)
    else:
        await slips.dismiss_slip(services.db, operator.id, slip_id, services.clock)
        shown = query.message.caption_html if isinstance(query.message, Message) else ""
        text = texts.slip_dismissed(shown or "")
    await query.answer()
    with contextlib.suppress(BadRequest):  # too old to edit: the decision stands anyway
        await query.edit_message_caption(text, reply_markup=None)


@allow(OPERATOR)
@replies_on_error(ConversationHandler.END)
async def ask_amount(update: Update, context: VanBillContext) -> str:
    """Ask the operator how much the slip shows."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    operator = await _operator(update, context)
    slip_id, _, _ = parsing.slip_button(query.data, operator.id, (parsing.SLIP_OTHER_AMOUNT,))
    message_id = query.message.message_id if query.message is not None else 0
    context.user_data[ASKED] = {"slip": slip_id, "message": message_id}
    await query.answer()
    await chat.send_message(texts.SLIP_ASK_AMOUNT)
    return AMOUNT


@allow(OPERATOR)
@replies_on_error(ConversationHandler.END)
async def amount_typed(update: Update, context: VanBillContext) -> str | int:
    """Record the amount typed for the slip asked about; a bad amount is asked again."""
    message, services = update.effective_message, context.services
    assert message is not None and message.text is not None
    operator = await _operator(update, context)
    asked = context.user_data.get(ASKED)
    if not isinstance(asked, dict):
        await message.reply_text(texts.BUTTON_EXPIRED)
        return ConversationHandler.END
    try:
        amount_sen = parse_amount(message.text)
    except InvalidInput as error:
        await show_error(update, error, hint=texts.TRY_AGAIN)
        return AMOUNT
    context.user_data.pop(ASKED, None)
    payment = await slips.record_from_slip(
        services.db,
        operator.id,
        int(asked["slip"]),
        services.clock,
        amount_sen=amount_sen,
        recorded_by=message.from_user.id if message.from_user else None,
    )
    services.wake_outbox()
    text = texts.slip_recorded(operator, payment)
    await message.reply_text(text)
    with contextlib.suppress(BadRequest):  # the slip's own message: take its buttons away
        await context.bot.edit_message_caption(
            message.chat_id, int(asked["message"]), caption=text, reply_markup=None
        )
    return ConversationHandler.END


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent 'Record other amount' conversation (any slip's button enters it)."""
    other = CallbackQueryHandler(
        ask_amount, pattern=rf"^{parsing.SLIP_PREFIX}:[0-9]+:[0-9]+:{parsing.SLIP_OTHER_AMOUNT}$"
    )
    return operator_conversation(
        name=NAME,
        entry_points=[other],
        states={AMOUNT: [MessageHandler(TYPED, amount_typed)]},
        draft_key=ASKED,
        cancelled=texts.CANCELLED,
        timed_out=texts.slip_amount_timed_out,
        timeout=timeout,
    )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return the slip handlers (the conversation comes first, from conversation())."""
    return [
        CallbackQueryHandler(decide, pattern=rf"^{parsing.SLIP_PREFIX}:"),
        CallbackQueryHandler(slip_for, pattern=rf"^{parsing.SLIP_FOR_PREFIX}:"),
        MessageHandler(SLIP_FILES, slip_sent),
    ]
