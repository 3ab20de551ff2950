"""The command menus Telegram shows: parents' by default, operators' in each operator's chat."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from telegram import Bot, BotCommand, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError

from vanbill.bot import texts

log = logging.getLogger(__name__)


def _commands(pairs: Iterable[tuple[str, str]]) -> list[BotCommand]:
    return [BotCommand(name, description) for name, description in pairs]


async def show_operator_menu(bot: Bot, chat_id: int) -> bool:
    """Give one operator's private chat the operator menu; say whether Telegram took it."""
    try:
        return await bot.set_my_commands(
            _commands(texts.OPERATOR_COMMANDS), scope=BotCommandScopeChat(chat_id)
        )
    except TelegramError:
        # Typically "chat not found": an admin who has never opened the bot yet.
        log.warning("could not set the operator menu for chat %s", chat_id, exc_info=True)
        return False


async def publish(bot: Bot, operator_chat_ids: Iterable[int]) -> None:
    """Register the parent menu as the default and the operator menu for each operator chat."""
    try:
        await bot.set_my_commands(_commands(texts.PARENT_COMMANDS), scope=BotCommandScopeDefault())
    except TelegramError:
        log.warning("could not set the default command menu", exc_info=True)
    for chat_id in sorted(set(operator_chat_ids)):
        await show_operator_menu(bot, chat_id)
