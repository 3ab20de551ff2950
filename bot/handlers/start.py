"""/start: who the bot is for each role, and redeeming invite deep links."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from vanbill.bot import commands, keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import EVERYONE, allow, sender_of
from vanbill.services import i18n, links


@allow(*EVERYONE)
async def start(update: Update, context: VanBillContext) -> None:
    """Greet the sender for their role, or redeem the invite in /start <token>."""
    token = parsing.start_token(context.args)
    if token is not None:
        await _redeem(update, context, token)
        return
    sender = await sender_of(update, context)
    chat = update.effective_chat
    assert chat is not None  # the guard lets only private chats through
    if sender.is_operator and sender.operator is not None:
        # At start-up Telegram refuses a chat menu for an admin who never opened the bot.
        await commands.show_operator_menu(context.bot, chat.id, sender.operator.language)
        await chat.send_message(texts.operator_welcome(sender.operator))
    elif sender.is_parent:
        await chat.send_message(texts.parent_welcome(sender), reply_markup=keyboards.remove())
        if await links.welcome_back(
            context.services.db, sender.telegram_user_id, context.services.clock
        ):
            context.services.wake_outbox()
    else:
        await chat.send_message(texts.STRANGER, reply_markup=keyboards.share_phone())


async def _redeem(update: Update, context: VanBillContext, token: str) -> None:
    user, chat, services = update.effective_user, update.effective_chat, context.services
    assert user is not None and chat is not None
    language = i18n.from_telegram(user.language_code) if user.language_code else None
    redeemed = await links.redeem(
        services.db, token, user.id, chat.id, services.clock, language=language
    )
    services.wake_outbox()
    if redeemed.purpose == links.OPERATOR:
        await commands.show_operator_menu(context.bot, chat.id)
        await chat.send_message(texts.operator_linked(), reply_markup=keyboards.remove())
    else:
        await chat.send_message(texts.parent_linked(redeemed), reply_markup=keyboards.remove())


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers."""
    return [CommandHandler("start", start)]
