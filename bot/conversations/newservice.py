"""/newservice: a new route or plan, asked step by step (name, monthly fee, description)."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.flows import DEFAULT_TIMEOUT, TYPED, operator_conversation
from vanbill.bot.errors import replies_on_error
from vanbill.bot.guards import for_operator
from vanbill.services import routes
from vanbill.services.errors import Conflict
from vanbill.services.money import parse_amount
from vanbill.services.text import clean_text
from vanbill.services.views import OperatorView

NAME = "newservice"
ASK_NAME, ASK_FEE, ASK_DESCRIPTION, CONFIRM = "ns_name", "ns_fee", "ns_description", "ns_confirm"
DRAFT = "newservice"  # user_data key: the route being described (plain JSON)
SAVE, CANCEL = "save", "cancel"


def _draft(context: VanBillContext) -> dict[str, Any]:
    return context.user_data.setdefault(DRAFT, {})  # type: ignore[no-any-return]


async def _reply(update: Update, text: str, **kwargs: Any) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, **kwargs)


@for_operator
async def start(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Ask for the new route's name."""
    context.user_data[DRAFT] = {}
    await _reply(update, texts.NEW_SERVICE_NAME)
    return ASK_NAME


@replies_on_error(ASK_NAME, hint=texts.TRY_AGAIN)
@for_operator
async def receive_name(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the name (refusing one already used), then ask the fee or, on a retry, confirm."""
    assert update.effective_message is not None
    name = clean_text(update.effective_message.text, "route_name", limit=100)
    existing = await routes.list_services(context.services.db, operator.id, include_inactive=True)
    if any(route.name.casefold() == name.casefold() for route in existing):
        raise Conflict("route.exists", name=name)
    draft = _draft(context)
    draft["name"] = name
    if "fee_sen" in draft:  # back here after a clash at the end: the rest is known
        return await _confirm(update, operator, draft)
    await _reply(update, texts.new_service_fee(name))
    return ASK_FEE


@replies_on_error(ASK_FEE, hint=texts.TRY_AGAIN)
@for_operator
async def receive_fee(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the monthly fee, then ask for a description."""
    assert update.effective_message is not None
    _draft(context)["fee_sen"] = parse_amount(update.effective_message.text or "")
    await _reply(update, texts.NEW_SERVICE_DESCRIPTION)
    return ASK_DESCRIPTION


@replies_on_error(ASK_DESCRIPTION, hint=texts.TRY_AGAIN)
@for_operator
async def receive_description(
    update: Update, context: VanBillContext, operator: OperatorView
) -> str:
    """Take the description ('-' for none), then show everything for confirmation."""
    assert update.effective_message is not None
    text = parsing.setting_text(update.effective_message.text or "")
    draft = _draft(context)
    draft["description"] = clean_text(text, "description", limit=500, required=False)
    return await _confirm(update, operator, draft)


async def _confirm(update: Update, operator: OperatorView, draft: dict[str, Any]) -> str:
    await _reply(
        update,
        texts.new_service_confirm(draft["name"], draft["fee_sen"], draft.get("description", "")),
        reply_markup=keyboards.confirm_new_service(operator.id),
    )
    return CONFIRM


@replies_on_error(ASK_NAME, hint=texts.NEW_SERVICE_OTHER_NAME)
@for_operator
async def decide(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
    """Save the route (a clash with an existing name asks for another name) or drop it."""
    query = update.callback_query
    assert query is not None
    action, _ = parsing.owned_button(
        query.data, parsing.NEW_SERVICE_PREFIX, operator.id, (SAVE, CANCEL)
    )
    await query.answer()
    await keyboards.drop_buttons(query)
    if action == CANCEL:
        context.user_data.pop(DRAFT, None)
        await _reply(update, texts.NOTHING_SAVED)
        return ConversationHandler.END
    draft = _draft(context)
    route = await routes.add_service(
        context.services.db,
        operator.id,
        context.services.clock,
        name=draft["name"],
        monthly_fee_sen=draft["fee_sen"],
        description=draft.get("description", ""),
    )
    context.user_data.pop(DRAFT, None)
    await _reply(update, texts.new_service_saved(route))
    return ConversationHandler.END


@for_operator
async def use_the_buttons(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Point at Save / Cancel when the operator types instead of tapping."""
    await _reply(update, texts.USE_THE_BUTTONS)
    return CONFIRM


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent /newservice conversation."""
    return operator_conversation(
        name=NAME,
        entry_points=[CommandHandler("newservice", start)],
        states={
            ASK_NAME: [MessageHandler(TYPED, receive_name)],
            ASK_FEE: [MessageHandler(TYPED, receive_fee)],
            ASK_DESCRIPTION: [MessageHandler(TYPED, receive_description)],
            CONFIRM: [
                CallbackQueryHandler(decide, pattern=rf"^{parsing.NEW_SERVICE_PREFIX}:"),
                MessageHandler(TYPED, use_the_buttons),
            ],
        },
        draft_key=DRAFT,
        cancelled=texts.NOTHING_SAVED,
        timed_out=functools.partial(texts.conversation_timed_out, "/newservice"),
        timeout=timeout,
    )
