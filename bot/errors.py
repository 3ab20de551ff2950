"""The one place errors become what people read: domain errors as they are, others as an id."""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError

from vanbill.bot import texts
from vanbill.bot.context import VanBillContext
from vanbill.services.errors import VanBillError

log = logging.getLogger(__name__)

T = TypeVar("T")
Callback = Callable[[Update, VanBillContext], Awaitable[T]]


async def tell(update: object, text: str, *, alert: str | None = None) -> None:
    """Show text (HTML) to whoever sent the update; a button press gets the plain alert instead."""
    if not isinstance(update, Update):
        return
    chat, user = update.effective_chat, update.effective_user
    try:
        if update.callback_query is not None and alert is not None:
            try:
                await update.callback_query.answer(alert[:200], show_alert=True)
                return
            except BadRequest:
                pass  # already answered (a callback query takes one answer): write instead
        if update.callback_query is not None and (
            user is None or chat is None or chat.id != user.id
        ):
            return  # a button under another chat's message: write nothing there
        if chat is not None:
            await chat.send_message(text)
    except TelegramError:
        log.warning("could not tell %s about an error", update.effective_user, exc_info=True)


async def show_error(update: object, error: VanBillError, *, hint: str = "") -> None:
    """Show a domain error's friendly message (and an HTML hint) to the person who caused it."""
    text = texts.friendly(error.message) + (f"\n{hint}" if hint else "")
    await tell(update, text, alert=error.message)


async def handle_error(update: object, context: VanBillContext) -> None:
    """Answer a domain error with its message; log anything else under an id the person sees."""
    error = context.error
    if isinstance(error, VanBillError):
        log.info("refused: %s", error.message)
        await show_error(update, error)
        return
    error_id = secrets.token_hex(4)
    log.error("error %s while handling %r", error_id, update, exc_info=error)
    if isinstance(error, Forbidden):
        return  # the person blocked the bot: there is no one to apologise to
    await tell(update, texts.apology(error_id), alert=texts.apology_alert(error_id))


def replies_on_error(state: object, *, hint: str = "") -> Callable[[Callback[Any]], Callback[Any]]:
    """Show a domain error raised by a conversation step, and stay in (or go to) state.

    Letting the error reach the error handler would also work, but python-telegram-bot then
    drops the conversation's timeout, so a conversation that hit an error would never time out.
    """

    def decorate(callback: Callback[Any]) -> Callback[Any]:
        @functools.wraps(callback)
        async def wrapper(update: Update, context: VanBillContext) -> Any:
            try:
                return await callback(update, context)
            except VanBillError as error:
                log.info("refused: %s", error.message)
                await show_error(update, error, hint=hint)
                return state

        return wrapper

    return decorate
