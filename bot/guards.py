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
from vanbill.services import roles
from vanbill.services.roles import OPERATOR, PARENT, STRANGER, Sender

log = logging.getLogger(__name__)

EVERYONE = (OPERATOR, PARENT, STRANGER)
Callback = Callable[[Update, VanBillContext], Awaitable[Any]]


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


async def _not_acted_on(update: Update, context: VanBillContext) -> bool:
    """Say whether this private-chat update is one nothing acts on, and say so once.

    An edited message never runs its command or answer again. A button press whose message is
    in another chat than the presser's (only a forged update can be) sends nothing there: the
    presser alone is told. Every guarded handler of every group asks; the first one answers.
    """
    query, chat, user = update.callback_query, update.effective_chat, update.effective_user
    edited = update.edited_message is not None
    foreign = query is not None and (chat is None or user is None or chat.id != user.id)
    if not (edited or foreign):
        return False
    if not context.refused:
        context.refused = True
        if query is not None:
            await query.answer(texts.NOT_YOUR_BUTTON, show_alert=True)
        elif chat is not None:
            await chat.send_message(texts.EDIT_NOT_READ)
    return True


def allow(*allowed: str) -> Callable[[Callback], Callback]:
    """Let only senders with one of these roles (in a private chat) reach the handler."""
    unknown = set(allowed) - set(EVERYONE)
    if unknown or not allowed:
        raise ValueError(f"unknown roles {sorted(unknown)}; use {EVERYONE}")

    def decorate(callback: Callback) -> Callback:
        @functools.wraps(callback)
        async def guarded(update: Update, context: VanBillContext) -> Any:
            chat = update.effective_chat
            if chat is not None and chat.type != ChatType.PRIVATE:
                # Bills are private: in a group the bot stays silent.
                log.debug("ignoring an update from a %s chat", chat.type)
                return ConversationHandler.END
            if await _not_acted_on(update, context):
                return None  # a conversation stays where it was
            if chat is None:
                return ConversationHandler.END
            sender = await sender_of(update, context)
            if sender.role not in allowed:
                await refuse(update, sender)
                return ConversationHandler.END
            return await callback(update, context)

        guarded.allowed_roles = allowed  # type: ignore[attr-defined]
        return guarded

    return decorate
