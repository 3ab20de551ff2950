"""/business: the operator's profile and billing settings, one setting at a time."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.flows import DEFAULT_TIMEOUT, TYPED, operator_conversation
from vanbill.bot.errors import replies_on_error
from vanbill.bot.guards import actor_of, allow, sender_of
from vanbill.services import latefees, operators
from vanbill.services.periods import parse_month
from vanbill.services.phones import normalise_phone
from vanbill.services.roles import OPERATOR
from vanbill.services.views import OperatorView

NAME = "business"
MENU, ASKING = "menu", "asking"
FIELD = "business_field"  # user_data key: which setting the operator is typing
HOLIDAY = "holiday"


def _text(column: str) -> Callable[[OperatorView], str]:
    return lambda operator: str(getattr(operator, column))


def _phone(text: str) -> str:
    value = parsing.setting_text(text)
    return normalise_phone(value) if value else ""


@dataclass(frozen=True)
class Setting:
    """One line of the /business menu: how to read it, save it and show it."""

    key: str  # in callback data, so short
    label: str
    column: str  # the keyword of operators.update_profile ('' for the holiday toggle)
    parse: Callable[[str], object]
    show: Callable[[OperatorView], str]
    hint: str


CLEAR_HINT = "Send - to clear it."
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "name",
        "Business name",
        "business_name",
        parsing.setting_text,
        _text("business_name"),
        "As it should appear on invoices and receipts.",
    ),
    Setting("addr", "Address", "address", parsing.setting_text, _text("address"), CLEAR_HINT),
    Setting("phone", "Phone", "phone", _phone, _text("phone"), f"E.g. 012-345 6789. {CLEAR_HINT}"),
    Setting("bank", "Bank", "bank_name", parsing.setting_text, _text("bank_name"), CLEAR_HINT),
    Setting(
        "acct",
        "Bank account",
        "bank_account",
        parsing.setting_text,
        _text("bank_account"),
        CLEAR_HINT,
    ),
    Setting(
        "duitnow",
        "DuitNow ID",
        "duitnow_id",
        parsing.setting_text,
        _text("duitnow_id"),
        f"Your DuitNow phone number or ID. {CLEAR_HINT}",
    ),
    Setting(
        "note",
        "Payment note",
        "payment_note",
        parsing.setting_text,
        _text("payment_note"),
        f"A line printed on every invoice, e.g. 'Use your child's name as reference'. "
        f"{CLEAR_HINT}",
    ),
    Setting(
        "due",
        "Due day",
        "due_day",
        lambda text: parsing.whole_number(text, "due day", 7),
        lambda operator: str(operator.due_day),
        "A day from 1 to 28: invoices fall due on that day of the month.",
    ),
    Setting(
        "remdays",
        "Reminder days",
        "reminder_offsets",
        str.strip,
        lambda operator: ", ".join(str(o) for o in operator.reminder_offsets),
        "Days from the due date, e.g. -3,0,3,7,14 (negative means before it).",
    ),
    Setting(
        "remhour",
        "Reminder hour",
        "reminder_hour",
        lambda text: parsing.whole_number(text, "reminder hour", 9),
        lambda operator: f"{operator.reminder_hour:02d}:00",
        "An hour from 8 to 20: reminders go out then.",
    ),
    Setting(
        "sibling",
        "Sibling discount",
        "sibling_discount_bp",
        parsing.percent_as_basis_points,
        lambda operator: texts.percent(operator.sibling_discount_bp),
        "Percent off for each further child of a family, e.g. 10 (0 for none).",
    ),
    Setting(
        "tz",
        "Time zone",
        "timezone",
        str.strip,
        _text("timezone"),
        "A name such as Asia/Kuala_Lumpur or Asia/Singapore.",
    ),
    Setting(
        HOLIDAY,
        "Holiday months",
        "",
        parse_month,
        lambda operator: "",
        "A month as YYYY-MM, e.g. 2026-12. Send a holiday month again to bill it normally.",
    ),
    # Late fees (services/latefees.py): one setting, kind, amount and days typed at once.
    Setting("late", "Late fee", "", parsing.late_fee, texts.late_fee_setting, texts.LATE_FEE_HINT),
)
LATE_FEE = "late"
BY_KEY = {setting.key: setting for setting in SETTINGS}
MENU_BUTTONS: Sequence[tuple[str, str]] = [(s.key, s.label) for s in SETTINGS]


async def _show_menu(update: Update, context: VanBillContext, operator: OperatorView) -> None:
    assert update.effective_chat is not None
    holidays = await operators.list_holidays(context.services.db, operator.id)
    await update.effective_chat.send_message(
        texts.business_menu(operator, holidays),
        reply_markup=keyboards.business_menu(operator.id, MENU_BUTTONS),
    )


async def _operator(update: Update, context: VanBillContext) -> OperatorView:
    sender = await sender_of(update, context)
    assert sender.operator is not None  # the guard let only operators in
    return sender.operator


@allow(OPERATOR)
async def open_menu(update: Update, context: VanBillContext) -> str:
    """Show the settings and what they are now."""
    context.user_data.pop(FIELD, None)
    await _show_menu(update, context, await _operator(update, context))
    return MENU


@allow(OPERATOR)
@replies_on_error(ConversationHandler.END)
async def choose(update: Update, context: VanBillContext) -> str | int:
    """Ask for the setting the pressed button names (checked: it must be this operator's)."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None
    operator = await _operator(update, context)
    key = parsing.business_button(query.data, operator.id, BY_KEY)
    await query.answer()
    if key == parsing.BUSINESS_DONE:
        context.user_data.pop(FIELD, None)
        with contextlib.suppress(BadRequest):  # already without buttons
            await query.edit_message_reply_markup(None)
        await chat.send_message(texts.BUSINESS_DONE)
        return ConversationHandler.END
    setting = BY_KEY[key]
    context.user_data[FIELD] = key
    if key == HOLIDAY:
        current = texts.holiday_list(
            await operators.list_holidays(context.services.db, operator.id)
        )
    else:
        current = setting.show(operator)
    await chat.send_message(texts.business_prompt(setting.label, current, setting.hint))
    return ASKING


@allow(OPERATOR)
@replies_on_error(ASKING, hint=texts.TRY_AGAIN)
async def receive(update: Update, context: VanBillContext) -> str:
    """Save the value typed for the setting asked, then show the menu again."""
    message = update.effective_message
    assert message is not None and message.text is not None
    operator = await _operator(update, context)
    setting = BY_KEY.get(str(context.user_data.get(FIELD)))
    if setting is None:  # e.g. state restored without the field: start from the menu
        await _show_menu(update, context, operator)
        return MENU
    if setting.key == HOLIDAY:
        month = parse_month(message.text)
        made_holiday = await _toggle_holiday(context, operator.id, month)
        await message.reply_text(texts.holiday_saved(month, made_holiday))
    elif setting.key == LATE_FEE:
        operator = await _save_late_fee(update, context, operator, message.text)
        await message.reply_text(texts.business_saved(setting.label, setting.show(operator)))
    else:
        operator = await operators.update_profile(
            context.services.db, operator.id, **{setting.column: setting.parse(message.text)}
        )
        await message.reply_text(texts.business_saved(setting.label, setting.show(operator)))
    context.user_data.pop(FIELD, None)
    await _show_menu(update, context, operator)
    return MENU


async def _save_late_fee(
    update: Update, context: VanBillContext, operator: OperatorView, text: str
) -> OperatorView:
    """Save the late-fee rule typed (with its audit entry); return the operator as it is now."""
    kind, amount_sen, basis_points, days = parsing.late_fee(text)
    services = context.services
    await latefees.set_settings(
        services.db,
        operator.id,
        services.clock,
        await actor_of(update, context),
        kind=kind,
        amount_sen=amount_sen,
        basis_points=basis_points,
        days=days,
    )
    return await operators.get_operator(services.db, operator.id)


async def _toggle_holiday(context: VanBillContext, operator_id: int, month: date) -> bool:
    db = context.services.db
    holiday = month not in await operators.list_holidays(db, operator_id)
    await operators.set_holiday(db, operator_id, month, holiday=holiday)
    return holiday


@allow(OPERATOR)
async def use_the_buttons(update: Update, context: VanBillContext) -> str:
    """Point at the menu when the operator types instead of tapping."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(texts.USE_THE_BUTTONS)
    return MENU


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent /business conversation."""
    pressed = CallbackQueryHandler(choose, pattern=rf"^{parsing.BUSINESS_PREFIX}:")
    return operator_conversation(
        name=NAME,
        entry_points=[CommandHandler("business", open_menu), pressed],
        states={
            MENU: [MessageHandler(TYPED, use_the_buttons)],
            ASKING: [MessageHandler(TYPED, receive)],
        },
        draft_key=FIELD,
        cancelled=texts.CANCELLED,
        timed_out=texts.business_timed_out,
        timeout=timeout,
    )
