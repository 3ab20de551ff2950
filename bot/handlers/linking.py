"""Linking accounts: a parent sharing their phone number, an operator inviting another."""

from __future__ import annotations

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from vanbill.bot import keyboards, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.guards import EVERYONE, allow, sender_of
from vanbill.services import i18n, links
from vanbill.services.roles import OPERATOR


@allow(*EVERYONE)
async def contact_shared(update: Update, context: VanBillContext) -> None:
    """Link every family whose phone is the sender's own shared number."""
    message, user, services = update.effective_message, update.effective_user, context.services
    assert message is not None and message.contact is not None and user is not None
    if message.contact.user_id != user.id:
        # Anyone can forward someone else's contact card; only one's own number proves anything.
        await message.reply_text(texts.NOT_YOUR_CONTACT, reply_markup=keyboards.share_phone())
        return
    families = await links.link_by_phone(
        services.db,
        user.id,
        message.chat_id,
        message.contact.phone_number,
        services.clock,
        language=i18n.from_telegram(user.language_code) if user.language_code else None,
    )
    services.wake_outbox()
    await message.reply_text(texts.linked_by_phone(families), reply_markup=keyboards.remove())


@allow(OPERATOR)
async def invite_operator(update: Update, context: VanBillContext) -> None:
    """Give the operator a one-time deep link that creates a second operator account."""
    sender, services = await sender_of(update, context), context.services
    assert sender.operator is not None and update.effective_chat is not None
    token = await links.create_operator_invite(services.db, sender.operator.id, services.clock)
    link = texts.deep_link(context.bot.username, token)
    await update.effective_chat.send_message(texts.operator_invite(link))


def handlers() -> list[BaseHandler]:  # type: ignore[type-arg]
    """Return this area's handlers."""
    return [
        MessageHandler(filters.CONTACT, contact_shared),
        CommandHandler("invite_operator", invite_operator),
    ]
