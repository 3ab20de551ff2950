"""The shape shared by the button-driven operator flows (/newinvoice, /paid).

Each is a persistent ConversationHandler: a command and the flow's buttons enter it, every state
takes typed text or the flow's buttons, /cancel leaves it, and a quiet flow times out with a note.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from datetime import timedelta
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
