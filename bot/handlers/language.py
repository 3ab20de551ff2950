"""/language: operators and parents choose the language the bot writes to them in."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from vanbill.bot import commands, keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import allow, sender_of
from vanbill.services import i18n, languages
from vanbill.services.roles import OPERATOR, PARENT


@allow(OPERATOR, PARENT)
async def ask(update: Update, context: VanBillContext) -> None:
    """Offer the languages, each button in its own name."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        texts.LANGUAGE_PROMPT, reply_markup=keyboards.languages(i18n.current())
    )


@allow(OPERATOR, PARENT)
async def chosen(update: Update, context: VanBillContext) -> None:
    """Remember the language, answer in it, and give the chat its command menu in it."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    locale = parsing.language_button(query.data)
    sender = await sender_of(update, context)
    await languages.choose(context.services.db, sender.telegram_user_id, locale)
    i18n.set_current(locale)
    await query.answer()
    await query.edit_message_text(texts.language_set(locale))
    if sender.is_operator:
        await commands.show_operator_menu(context.bot, chat.id, locale)
    else:
        await commands.show_parent_menu(context.bot, chat.id, locale)


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers."""
    return [
        CommandHandler("language", ask),
        CallbackQueryHandler(chosen, pattern=parsing.LANGUAGE_PATTERN),
    ]
