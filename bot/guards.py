"""The role check every handler goes through: who is the sender, and may they do this?"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ConversationHandler

from vanbill.bot import keyboards, texts
from vanbill.bot.context import VanBillContext
from vanbill.services import audit, i18n, roles
from vanbill.services.roles import OPERATOR, PARENT, STRANGER, Sender
from vanbill.services.views import OperatorView

log = logging.getLogger(__name__)

EVERYONE = (OPERATOR, PARENT, STRANGER)
Callback = Callable[[Update, VanBillContext], Awaitable[Any]]
OperatorCallback = Callable[[Update, VanBillContext, OperatorView], Awaitable[Any]]


async def sender_of(update: Update, context: VanBillContext) -> Sender:
    """Return who sent the update (looked up once per update)."""
    if context.sender is None:
        user = update.effective_user
        if user is None:
            raise RuntimeError("an update without a sender reached a guarded handler")
        services = context.services
        context.sender = await roles.identify(
            services.db,
            user.id,
            services.settings.admin_ids,
            services.clock,
            services.settings.timezone,
        )
        if context.sender.language is not None:
            i18n.set_current(context.sender.language)
    return context.sender


async def refuse(update: Update, sender: Sender) -> None:
    """Tell the sender, politely, that this is not for them."""
    if update.callback_query is not None:
        await update.callback_query.answer(texts.NOT_YOUR_BUTTON, show_alert=True)
        return
    if sender.role == STRANGER:
        text, markup = texts.STRANGER, keyboards.share_phone()
    elif sender.is_operator:
        text, markup = texts.PARENTS_ONLY, None
    else:
        text, markup = texts.OPERATORS_ONLY, None
    if update.effective_chat is not None:
        await update.effective_chat.send_message(text, reply_markup=markup)


def allow(*allowed: str) -> Callable[[Callback], Callback]:
    """Let only senders with one of these roles (in a private chat) reach the handler."""
    unknown = set(allowed) - set(EVERYONE)
    if unknown or not allowed:
        raise ValueError(f"unknown roles {sorted(unknown)}; use {EVERYONE}")

    def decorate(callback: Callback) -> Callback:
        @functools.wraps(callback)
        async def guarded(update: Update, context: VanBillContext) -> Any:
            chat = update.effective_chat
            if chat is None or chat.type != ChatType.PRIVATE:
                # Bills are private: in a group the bot stays silent.
                log.debug("ignoring an update from a %s chat", chat.type if chat else "missing")
                return ConversationHandler.END
            sender = await sender_of(update, context)
            if sender.role not in allowed:
                await refuse(update, sender)
                return ConversationHandler.END
            return await callback(update, context)

        guarded.allowed_roles = allowed  # type: ignore[attr-defined]
        return guarded

    return decorate


def for_operator(callback: OperatorCallback) -> Callback:
    """Let only operators reach the handler, and hand it the operator it acts for."""

    @allow(OPERATOR)
    @functools.wraps(callback)
    async def guarded(update: Update, context: VanBillContext) -> Any:
        sender = await sender_of(update, context)
        assert sender.operator is not None  # allow(OPERATOR) let only operators through
        return await callback(update, context, sender.operator)

    return guarded


async def actor_of(update: Update, context: VanBillContext) -> audit.Actor:
    """Return the person behind the update as the audit log names them."""
    sender = await sender_of(update, context)
    if sender.is_operator:
        return audit.Actor.operator(sender.telegram_user_id)
    return audit.Actor.parent(sender.telegram_user_id)
