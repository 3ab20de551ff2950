"""The one place errors become what people read: domain errors as they are, an unreachable
database as "try again in a minute", anything else as an apology with an id.

A person gets one answer per update, however many of its handlers fail (each handler group
that fails calls the error handler again); after an unreachable database or an unexpected error
no further handler runs for that update, so nothing is half-done and nothing else is said.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from telegram import Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import ApplicationHandlerStop

from vanbill.bot import error_texts, texts
from vanbill.bot.context import VanBillContext
from vanbill.services import i18n
from vanbill.services.db import unreachable
from vanbill.services.errors import VanBillError

log = logging.getLogger(__name__)

ANSWERED_KEPT = 512  # updates remembered as answered

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
    # A hint given when a conversation was built (`hint=texts.TRY_AGAIN` is read at import,
    # in English) is a catalog message: it is put in the reader's language here.
    text = texts.friendly(error) + (f"\n{i18n.gettext(hint)}" if hint else "")
    await tell(update, text, alert=error_texts.message(error))


def first_answer(update: object, context: VanBillContext) -> bool:
    """Say whether this is the first error answer for this update (and remember it)."""
    if not isinstance(update, Update):
        return True
    answered = context.bot_data.answered_errors
    if update.update_id in answered:
        return False
    answered[update.update_id] = None
    while len(answered) > ANSWERED_KEPT:
        answered.popitem(last=False)
    return True


async def tell_unreachable(update: object, context: VanBillContext) -> None:
    """Tell the person, once for this update, that the records cannot be reached just now."""
    if first_answer(update, context):
        await tell(update, texts.RECORDS_UNREACHABLE, alert=texts.RECORDS_UNREACHABLE)


async def handle_error(update: object, context: VanBillContext) -> None:
    """Answer a domain error with its message, an outage with "try again", else an error id."""
    error = context.error
    if isinstance(error, VanBillError):
        log.info("refused: %s", error)
        if first_answer(update, context):
            await show_error(update, error)
        return
    if unreachable(error):
        # Expected while the database is down or locked: one line, no traceback.
        log.warning("the database is unreachable: %s", _one_line(error))
        if isinstance(update, Update):
            await tell_unreachable(update, context)
            raise ApplicationHandlerStop
        return
    error_id = secrets.token_hex(4)
    log.error("error %s while handling %r", error_id, update, exc_info=error)
    if not isinstance(update, Update):
        return
    if not isinstance(error, Forbidden) and first_answer(update, context):
        # Forbidden: the person blocked the bot, there is no one to apologise to.
        await tell(update, texts.apology(error_id), alert=texts.apology_alert(error_id))
    raise ApplicationHandlerStop


def _one_line(error: BaseException | None) -> str:
    return " ".join(str(error).split())[:300]


def replies_on_error(state: object, *, hint: str = "") -> Callable[[Callback[Any]], Callback[Any]]:
    """Show a domain error raised by a conversation step, and stay in (or go to) state; an
    unreachable database gets the "try again in a minute" answer and stays in state too.

    Letting the error reach the error handler would also work, but python-telegram-bot then
    drops the conversation's timeout, so a conversation that hit an error would never time out.
    """

    def decorate(callback: Callback[Any]) -> Callback[Any]:
        @functools.wraps(callback)
        async def wrapper(update: Update, context: VanBillContext) -> Any:
            try:
                return await callback(update, context)
            except VanBillError as error:
                log.info("refused: %s", error)
                if first_answer(update, context):
                    await show_error(update, error, hint=hint)
                return state
            except Exception as error:
                if not unreachable(error):
                    raise
                # Nothing was written (the step's one transaction failed): the step stays,
                # and the person may simply send it again in a minute.
                log.warning("the database is unreachable: %s", _one_line(error))
                await tell_unreachable(update, context)
                return state

        return wrapper

    return decorate
