"""/services: the routes and their fees; change a fee from a month, switch a route off or on."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
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
from vanbill.services.clock import local_today
from vanbill.services.money import parse_amount
from vanbill.services.periods import add_months, month_start, parse_month
from vanbill.services.views import OperatorView, ServiceView

NAME = "routefee"
ASK_FEE, ASK_MONTH = "fee_amount", "fee_month"
DRAFT = "routefee"  # user_data key: {"route": id, "name": str, "fee_sen": int}
FEE, OFF, ON = "fee", "off", "on"


async def _reply(update: Update, text: str, **kwargs: Any) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, **kwargs)


async def _fees_now(
    context: VanBillContext, operator: OperatorView
) -> list[tuple[ServiceView, int]]:
    """Return every route (inactive ones too) with the fee in force this month."""
    db = context.services.db
    month = month_start(local_today(context.services.clock, operator.timezone))
    return [
        (route, await routes.service_fee_for(db, operator.id, route.id, month))
        for route in await routes.list_services(db, operator.id, include_inactive=True)
    ]


async def _show_routes(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    fees = await _fees_now(context, operator)
    markup = keyboards.route_list(operator.id, [route for route, _ in fees]) if fees else None
    await _reply(update, texts.route_list(fees), reply_markup=markup)


@for_operator
async def list_routes(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """List the routes with this month's fees, each with its buttons."""
    await _show_routes(update, context, operator)


@for_operator
async def switch(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    """Deactivate or reactivate the route a button names, then refresh the list."""
    query = update.callback_query
    assert query is not None
    action, argument = parsing.owned_button(
        query.data, parsing.ROUTE_PREFIX, operator.id, (OFF, ON)
    )
    route = await routes.update_service(
        context.services.db, operator.id, parsing.button_number(argument), active=action == ON
    )
    await query.answer()
    await _reply(update, texts.route_switched(route))
    await _show_routes(update, context, operator)


@for_operator
async def ask_fee(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Start a fee change: ask for the new monthly fee of the route the button names."""
    query = update.callback_query
    assert query is not None
    _, argument = parsing.owned_button(query.data, parsing.ROUTE_PREFIX, operator.id, (FEE,))
    route = await routes.get_service(
        context.services.db, operator.id, parsing.button_number(argument)
    )
    await query.answer()
    context.user_data[DRAFT] = {"route": route.id, "name": route.name}
    await _reply(update, texts.route_fee_prompt(route))
    return ASK_FEE


@replies_on_error(ASK_FEE, hint=texts.TRY_AGAIN)
@for_operator
async def receive_fee(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Take the new fee, then ask from which month it applies."""
    assert update.effective_message is not None
    fee = parse_amount(update.effective_message.text or "")
    context.user_data.setdefault(DRAFT, {})["fee_sen"] = fee
    next_month = add_months(month_start(local_today(context.services.clock, operator.timezone)), 1)
    await _reply(update, texts.route_fee_month_prompt(fee, next_month))
    return ASK_MONTH


@replies_on_error(ASK_MONTH, hint=texts.TRY_AGAIN)
@for_operator
async def receive_month(update: Update, context: VanBillContext, operator: OperatorView) -> int:
    """Save the new fee from that month on."""
    assert update.effective_message is not None
    services = context.services
    month = parse_month(update.effective_message.text or "")
    draft = context.user_data.get(DRAFT) or {}
    await routes.change_fee(
        services.db,
        operator.id,
        int(draft["route"]),
        services.clock,
        from_month=month,
        fee_sen=int(draft["fee_sen"]),
    )
    context.user_data.pop(DRAFT, None)
    await _reply(update, texts.route_fee_saved(str(draft["name"]), int(draft["fee_sen"]), month))
    return ConversationHandler.END


def fee_conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent conversation behind a route's 'change fee' button."""
    return operator_conversation(
        name=NAME,
        entry_points=[
            CallbackQueryHandler(ask_fee, pattern=rf"^{parsing.ROUTE_PREFIX}:[0-9]+:{FEE}:")
        ],
        states={
            ASK_FEE: [MessageHandler(TYPED, receive_fee)],
            ASK_MONTH: [MessageHandler(TYPED, receive_month)],
        },
        draft_key=DRAFT,
        cancelled=texts.NOTHING_SAVED,
        timed_out=functools.partial(texts.conversation_timed_out, "fee change"),
        timeout=timeout,
    )


def handlers(timeout: timedelta | None = DEFAULT_TIMEOUT) -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers: /services, its on/off buttons and the fee change."""
    return [
        CommandHandler("services", list_routes),
        CallbackQueryHandler(switch, pattern=rf"^{parsing.ROUTE_PREFIX}:[0-9]+:({OFF}|{ON}):"),
        fee_conversation(timeout),
    ]
