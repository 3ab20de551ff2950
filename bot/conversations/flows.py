"""The shape shared by the operator's conversations (/business, /newservice, /newcustomer,
/newinvoice, /paid, a route's fee change, a slip's other amount).

Each is a persistent ConversationHandler: /cancel leaves it and a quiet one times out with a
note, both forgetting its draft. The button-driven flows (/newinvoice, /paid, a void) list one
CallbackQueryHandler per button, each with its pattern, and every handler returns the next state.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Mapping
from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
    filters,
)

from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import allow
from vanbill.services.clock import local_today
from vanbill.services.roles import OPERATOR
from vanbill.services.views import OperatorView

# How long a conversation may sit quiet before it is closed with a note.
DEFAULT_TIMEOUT = timedelta(minutes=15)
# Text typed in a conversation (commands are not: they switch, bot/handlers/switching.py).
TYPED = filters.TEXT & ~filters.COMMAND


def operator_today(context: VanBillContext, operator: OperatorView) -> date:
    """Return today in the operator's time zone."""
    return local_today(context.services.clock, operator.timezone)


def cancel_command(draft_key: str, message: str) -> Callable[..., Awaitable[int]]:
    """Return a flow's /cancel: forget its draft, say `message`, end the conversation."""

    @allow(OPERATOR)
    async def cancel(update: Update, context: VanBillContext) -> int:
        assert update.effective_chat is not None
        context.user_data.pop(draft_key, None)
        await update.effective_chat.send_message(message)
        return ConversationHandler.END

    return cancel


def timeout_note(
    draft_key: str, message: Callable[[timedelta], str], after: timedelta
) -> Callable[..., Awaitable[None]]:
    """Return what a quiet flow does when it is closed: forget its draft and say so."""

    @allow(OPERATOR)
    async def note(update: Update, context: VanBillContext) -> None:
        assert update.effective_chat is not None
        context.user_data.pop(draft_key, None)
        await update.effective_chat.send_message(message(after))

    return note


def operator_conversation(
    *,
    name: str,
    entry_points: list[BaseHandler[Any, Any, Any]],
    states: Mapping[object, list[BaseHandler[Any, Any, Any]]],
    draft_key: str,
    cancelled: str,
    timed_out: Callable[[timedelta], str],
    timeout: timedelta | None,
) -> ConversationHandler[Any]:
    """Build a persistent operator conversation.

    /cancel leaves it with `cancelled`; after `timeout` of quiet it is closed with the text
    `timed_out(timeout)`; either way the draft kept under `draft_key` is forgotten.
    """
    with_timeout: dict[object, list[BaseHandler[Any, Any, Any]]] = dict(states)
    with_timeout[ConversationHandler.TIMEOUT] = [
        TypeHandler(Update, timeout_note(draft_key, timed_out, timeout or DEFAULT_TIMEOUT))
    ]
    with warnings.catch_warnings():
        # Buttons are tracked per user and chat, not per message, on purpose: any menu works.
        warnings.filterwarnings("ignore", message="If 'per_message=False'")
        return ConversationHandler(
            entry_points=entry_points,
            states=with_timeout,
            # Another command ends this conversation first (bot/handlers/switching.py).
            fallbacks=[CommandHandler("cancel", cancel_command(draft_key, cancelled))],
            name=name,
            persistent=True,
            allow_reentry=True,
            conversation_timeout=timeout,
        )
