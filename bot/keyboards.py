"""Every keyboard the bot shows: inline menus and the share-my-phone button."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot import parsing, texts


def share_phone() -> ReplyKeyboardMarkup:
    """Return the one-button keyboard that shares the person's own phone number."""
    return ReplyKeyboardMarkup(
        [[KeyboardButton(texts.SHARE_PHONE_BUTTON, request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def remove() -> ReplyKeyboardRemove:
    """Return the markup that takes a reply keyboard away."""
    return ReplyKeyboardRemove()


def business_menu(operator_id: int, fields: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    """Return the /business menu: one button per (key, label), two a row, then Done."""
    buttons = [
        InlineKeyboardButton(label, callback_data=parsing.business_button_data(operator_id, key))
        for key, label in fields
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    done = parsing.business_button_data(operator_id, parsing.BUSINESS_DONE)
    rows.append([InlineKeyboardButton("✅ Done", callback_data=done)])
    return InlineKeyboardMarkup(rows)
