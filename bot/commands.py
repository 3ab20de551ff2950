"""The command menus Telegram shows: parents' by default, operators' in each operator's chat,
each in its reader's language (Telegram picks a list by the user's `language_code`; a person
who chose a language with /language gets their chat's own list in it)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from vanbill.bot import texts
from vanbill.services import i18n

log = logging.getLogger(__name__)

# The language codes Telegram reports that we write in other than English (`id`: Indonesian
# readers get Malay); a list without a code is the English fallback for every other language.
TELEGRAM_CODES = ("ms", "id", "zh")
Menu = Callable[[], list[tuple[str, str]]]


def _commands(menu: Menu, locale: str) -> list[BotCommand]:
    with i18n.use(locale):
        return [BotCommand(name, description) for name, description in menu()]


async def _set_menus(bot: Bot, menu: Menu, scope: object, language: str | None) -> bool:
    """Give a scope its menu: in the chosen language only, or one per language Telegram reports."""
    if language is not None:
        done = await bot.set_my_commands(_commands(menu, language), scope=scope)
        for code in TELEGRAM_CODES:  # a chosen language overrides what Telegram reports
            await bot.delete_my_commands(scope=scope, language_code=code)
        return done
    done = await bot.set_my_commands(_commands(menu, i18n.DEFAULT), scope=scope)
    for code in TELEGRAM_CODES:
        locale = i18n.from_telegram(code)
        await bot.set_my_commands(_commands(menu, locale), scope=scope, language_code=code)
    return done


async def show_operator_menu(bot: Bot, chat_id: int, language: str | None = None) -> bool:
    """Give one operator's private chat the operator menu; say whether Telegram took it."""
    try:
        return await _set_menus(
            bot, texts.operator_commands, BotCommandScopeChat(chat_id), language
        )
    except TelegramError:
        # Typically "chat not found": an admin who has never opened the bot yet.
        log.warning("could not set the operator menu for chat %s", chat_id, exc_info=True)
        return False


async def show_parent_menu(bot: Bot, chat_id: int, language: str) -> bool:
    """Give a parent who chose a language the parent menu in it, in their own chat."""
    try:
        return await _set_menus(bot, texts.parent_commands, BotCommandScopeChat(chat_id), language)
    except TelegramError:
        log.warning("could not set the parent menu for chat %s", chat_id, exc_info=True)
        return False


async def publish(bot: Bot, operator_chats: Mapping[int, str | None] | Iterable[int]) -> None:
    """Register the parent menu as the default (per language) and the operator menu for each
    operator chat (in her language, if she chose one)."""
    try:
        await _set_menus(bot, texts.parent_commands, BotCommandScopeDefault(), None)
    except TelegramError:
        log.warning("could not set the default command menu", exc_info=True)
    chats = (
        dict(operator_chats)
        if isinstance(operator_chats, Mapping)
        else dict.fromkeys(operator_chats)
    )
    for chat_id in sorted(chats):
        await show_operator_menu(bot, chat_id, chats[chat_id])
