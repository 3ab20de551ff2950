"""The shape shared by the button-driven operator flows (/newinvoice, /paid).

Each is a persistent ConversationHandler: a command and the flow's buttons enter it, every state
takes typed text or the flow's buttons, /cancel leaves it, and a quiet flow times out with a note.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import VanBillContext
from bot.guards import sender_of
from services.clock import local_today
from services.views import OperatorView


async def operator_of(update: Update, context: VanBillContext) -> OperatorView:
    """Return the operator a flow acts for (its guard lets only operators in)."""
    sender = await sender_of(update, context)
    assert sender.operator is not None
    return sender.operator


def operator_today(context: VanBillContext, operator: OperatorView) -> date:
    """Return today in the operator's time zone."""
    return local_today(context.services.clock, operator.timezone)


def go_to(context: VanBillContext, draft_key: str, state: str) -> str:
    """Remember the step in the flow's draft (a refused button press returns to it); go there."""
    draft = context.user_data.get(draft_key)
    if isinstance(draft, dict):
        draft["step"] = state
    return state


def button_flow(
    *,
    name: str,
    command: str,
    start: Callable[..., Any],
    pressed: Callable[..., Any],
    prefix: str,
    typed: Mapping[str, Callable[..., Any]],
    cancel: Callable[..., Any],
    timed_out: Callable[..., Any],
    timeout: timedelta | None,
) -> ConversationHandler[Any]:
    """Build a persistent flow: `typed` maps each state to the callback for text typed in it."""
    text = filters.TEXT & ~filters.COMMAND
    buttons = CallbackQueryHandler(pressed, pattern=rf"^{prefix}:")
    states: dict[object, list[BaseHandler[Any, Any, Any]]] = {
        state: [MessageHandler(text, callback), buttons] for state, callback in typed.items()
    }
    states[ConversationHandler.TIMEOUT] = [TypeHandler(Update, timed_out)]
    with warnings.catch_warnings():
        # Buttons are tracked per user and chat, not per message, on purpose: any menu works.
        warnings.filterwarnings("ignore", message="If 'per_message=False'")
        return ConversationHandler(
            entry_points=[CommandHandler(command, start), buttons],
            states=states,
            # Another command ends this conversation first (bot/handlers/switching.py).
            fallbacks=[CommandHandler("cancel", cancel)],
            name=name,
            persistent=True,
            allow_reentry=True,
            conversation_timeout=timeout,
        )
