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
from vanbill.bot.conversations.flows import (
    DEFAULT_TIMEOUT,
    TYPED,
    operator_conversation,
)
from vanbill.bot.errors import replies_on_error, show_error
from vanbill.bot.guards import actor_of, allow, for_operator, sender_of
from vanbill.services import operators, slips
from vanbill.services.errors import InvalidInput
from vanbill.services.money import parse_amount
from vanbill.services.roles import PARENT, Family
from vanbill.services.slips import SlipView
from vanbill.services.views import OperatorView

log = logging.getLogger(__name__)

NAME = "slip_amount"  # the conversation's name in bot_state (kept from when it only asked this)
AMOUNT, REASON = "amount", "reason"
# user_data: {"slip": id, "message": the slip's message at the operator}, and when dismissing,
# "caption": that message's caption (HTML), "question": the message asking the reason.
ASKED = "slip_amount"
PENDING = "pending_slips"  # user_data: slips waiting for the parent to pick the business
MAX_PENDING = 5
SLIP_FILES = filters.PHOTO | filters.Document.PDF | filters.Document.IMAGE


def _file_of(message: Message) -> tuple[str, str]:
    """Return (file id, kind) of the slip in a message: the largest photo size, or the file."""
    if message.photo:
        return message.photo[-1].file_id, "photo"
    assert message.document is not None  # SLIP_FILES lets only photos and documents through
    return message.document.file_id, "document"


async def show_slip(bot: Bot, operator: OperatorView, family_name: str, slip: SlipView) -> None:
    """Send the slip itself to the operator, with what the family owed and the buttons."""
    caption = texts.slip_for_operator(operator, family_name, slip)
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
    """Keep the slip for the family (the outbox shows it to the operator); thank the parent."""
    services, chat = context.services, update.effective_chat
    assert chat is not None
    await slips.receive_slip(
        services.db,
        family.operator_id,
        family.customer_id,
        services.clock,
        telegram_file_id=slip["file"],
        file_kind=slip["kind"],
        caption=slip["caption"],
    )
    operator = await operators.get_operator(services.db, family.operator_id)
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


def _by(update: Update) -> int | None:
    return update.effective_user.id if update.effective_user else None


@for_operator
async def decide(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Ask how the money the slip shows was paid: the method buttons take the slip's place."""
    query = update.callback_query
    assert query is not None
    slip_id, _, amount_sen = parsing.slip_button(query.data, operator.id, (parsing.SLIP_RECORD,))
    await slips.get_pending_slip(context.services.db, operator.id, slip_id)
    await query.answer(texts.slip_ask_method(amount_sen, operator.currency))
    with contextlib.suppress(BadRequest):  # too old to edit: the buttons below still work
        await query.edit_message_reply_markup(
            keyboards.slip_methods(operator.id, slip_id, amount_sen)
        )


@for_operator
async def method_chosen(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Record the slip's payment by the method tapped; show where it went."""
    query, services = update.callback_query, context.services
    assert query is not None and isinstance(query.message, Message)
    action, argument = parsing.owned_button(
        query.data, keyboards.SLIP_METHOD_PREFIX, operator.id, tuple(keyboards.SLIP_METHODS)
    )
    slip_id, amount_sen, slip_message = parsing.slip_and_amount(argument)
    payment = await slips.record_from_slip(
        services.db,
        operator.id,
        slip_id,
        services.clock,
        amount_sen=amount_sen,
        method=keyboards.SLIP_METHODS[action],
        recorded_by=_by(update),
    )
    services.wake_outbox()
    text = texts.slip_recorded(operator, payment)
    await query.answer()
    undo = keyboards.undo_payment(operator.id, payment.id)
    if slip_message is None:  # pressed on the slip itself
        with contextlib.suppress(BadRequest):  # too old to edit: it is recorded anyway
            await query.edit_message_caption(text, reply_markup=undo)
        return
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(text, reply_markup=undo)
    await _close_slip_message(context, query.message.chat_id, slip_message, text)


async def _close_slip_message(
    context: VanBillContext, chat_id: int, message_id: int, caption: str
) -> None:
    """Show the decision on the slip's own message, and take its buttons away."""
    with contextlib.suppress(BadRequest):  # gone or too old: the decision stands anyway
        await context.bot.edit_message_caption(
            chat_id, message_id, caption=caption, reply_markup=None
        )


@replies_on_error(ConversationHandler.END)
@for_operator
async def ask_amount(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Ask the operator how much the slip shows."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    slip_id, _, _ = parsing.slip_button(query.data, operator.id, (parsing.SLIP_OTHER_AMOUNT,))
    message_id = query.message.message_id if query.message is not None else 0
    context.user_data[ASKED] = {"slip": slip_id, "message": message_id}
    await query.answer()
    await chat.send_message(texts.SLIP_ASK_AMOUNT)
    return AMOUNT


@replies_on_error(ConversationHandler.END)
@for_operator
async def amount_typed(
    update: Update, context: VanBillContext, operator: OperatorView
) -> str | int:
    """Take the amount typed for the slip asked about and ask the method; a bad one is asked
    again."""
    message = update.effective_message
    assert message is not None and message.text is not None
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
    await message.reply_text(
        texts.slip_ask_method(amount_sen, operator.currency),
        reply_markup=keyboards.slip_methods(
            operator.id, int(asked["slip"]), amount_sen, int(asked["message"])
        ),
    )
    return ConversationHandler.END


@replies_on_error(ConversationHandler.END)
@for_operator
async def ask_reason(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Ask why the slip is dismissed (the parent is told), or offer to give no reason."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    slip_id, _, _ = parsing.slip_button(query.data, operator.id, (parsing.SLIP_DISMISS,))
    await slips.get_pending_slip(context.services.db, operator.id, slip_id)
    shown = query.message if isinstance(query.message, Message) else None
    await query.answer()
    question = await chat.send_message(
        texts.SLIP_ASK_REASON, reply_markup=keyboards.slip_no_reason(operator.id, slip_id)
    )
    context.user_data[ASKED] = {
        "slip": slip_id,
        "message": shown.message_id if shown else 0,
        "caption": (shown.caption_html if shown else "") or "",
        "question": question.message_id,
    }
    return REASON


@replies_on_error(REASON, hint=texts.TRY_AGAIN)
@for_operator
async def reason_typed(update: Update, context: VanBillContext, operator: OperatorView) -> int:
    """Dismiss the slip asked about with the reason typed; the parent is told it."""
    message = update.effective_message
    assert message is not None and message.text is not None
    asked = context.user_data.get(ASKED)
    if not isinstance(asked, dict):
        await message.reply_text(texts.BUTTON_EXPIRED)
        return ConversationHandler.END
    text = await _dismiss(update, context, operator, asked, message.text)
    await message.reply_text(text)
    with contextlib.suppress(BadRequest):  # the question's button goes
        await context.bot.edit_message_reply_markup(message.chat_id, int(asked["question"]))
    return ConversationHandler.END


@replies_on_error(ConversationHandler.END)
@for_operator
async def no_reason(update: Update, context: VanBillContext, operator: OperatorView) -> int:
    """Dismiss the slip asked about without a reason; the parent is told it was not recorded."""
    query = update.callback_query
    assert query is not None
    _, argument = parsing.owned_button(
        query.data, keyboards.SLIP_NO_REASON_PREFIX, operator.id, ("none",)
    )
    asked = context.user_data.get(ASKED)
    if not isinstance(asked, dict) or asked.get("slip") != parsing.button_number(argument):
        raise InvalidInput(parsing.STALE_BUTTON)
    text = await _dismiss(update, context, operator, asked, "")
    await query.answer()
    with contextlib.suppress(BadRequest):
        await query.edit_message_text(text, reply_markup=None)
    return ConversationHandler.END


async def _dismiss(
    update: Update,
    context: VanBillContext,
    operator: OperatorView,
    asked: dict[str, Any],
    reason: str,
) -> str:
    """Dismiss the slip (queueing the parent's line), mark its message; return the reply."""
    services = context.services
    dismissed = await slips.dismiss_slip(
        services.db,
        operator.id,
        int(asked["slip"]),
        services.clock,
        reason=reason,
        actor=await actor_of(update, context),
    )
    context.user_data.pop(ASKED, None)
    services.wake_outbox()
    assert update.effective_chat is not None
    caption = texts.slip_dismissed(str(asked.get("caption", "")), dismissed)
    await _close_slip_message(context, update.effective_chat.id, int(asked["message"]), caption)
    return texts.slip_dismissed("", dismissed)


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent conversation of a slip's typed answers: the other amount it shows,
    or why it is dismissed (any slip's button enters it)."""
    slip = rf"^{parsing.SLIP_PREFIX}:[0-9]+:[0-9]+:"
    return operator_conversation(
        name=NAME,
        entry_points=[
            CallbackQueryHandler(ask_amount, pattern=slip + rf"{parsing.SLIP_OTHER_AMOUNT}$"),
            CallbackQueryHandler(ask_reason, pattern=slip + rf"{parsing.SLIP_DISMISS}$"),
        ],
        states={
            AMOUNT: [MessageHandler(TYPED, amount_typed)],
            REASON: [
                MessageHandler(TYPED, reason_typed),
                CallbackQueryHandler(no_reason, pattern=rf"^{keyboards.SLIP_NO_REASON_PREFIX}:"),
            ],
        },
        draft_key=ASKED,
        cancelled=texts.CANCELLED,
        timed_out=texts.slip_timed_out,
        timeout=timeout,
    )


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return the slip handlers (the conversation comes first, from conversation())."""
    return [
        CallbackQueryHandler(decide, pattern=rf"^{parsing.SLIP_PREFIX}:"),
        CallbackQueryHandler(method_chosen, pattern=rf"^{keyboards.SLIP_METHOD_PREFIX}:"),
        CallbackQueryHandler(slip_for, pattern=rf"^{parsing.SLIP_FOR_PREFIX}:"),
        MessageHandler(SLIP_FILES, slip_sent),
    ]
