"""/business: the operator's profile and billing settings, one setting at a time, in one
message that each step edits (the menu, a question, the menu again with what was saved)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from vanbill.bot import keyboards, parsing, texts
from vanbill.bot.context import VanBillContext
from vanbill.bot.conversations.flows import DEFAULT_TIMEOUT, TYPED, operator_conversation
from vanbill.bot.errors import replies_on_error
from vanbill.bot.guards import actor_of, allow, for_operator
from vanbill.bot.handlers import files
from vanbill.services import i18n, latefees, operators
from vanbill.services.periods import parse_month
from vanbill.services.phones import national, normalise_phone
from vanbill.services.roles import OPERATOR
from vanbill.services.views import OperatorView

_ = i18n.gettext
N_ = i18n.N_

NAME = "business"
MENU, ASKING = "menu", "asking"
FIELD = "business_field"  # user_data key: which setting the operator is typing
HOLIDAY = "holiday"
MENU_MESSAGE = "business_menu"  # user_data key: the id of the message edited in place
TEXT, TOGGLE, PICTURE = "text", "toggle", "picture"
BACK = "back"


def _text(column: str) -> Callable[[OperatorView], str]:
    return lambda operator: str(getattr(operator, column))


def _phone(text: str) -> str:
    value = parsing.setting_text(text)
    return normalise_phone(value) if value else ""


def _digest_hour(text: str) -> int | None:
    value = parsing.setting_text(text)
    if not value or parsing.means(value, parsing.OFF, parsing.NO):
        return None
    return parsing.whole_number(value, "hour", 18)


def _on_off(column: str) -> Callable[[OperatorView], str]:
    return lambda operator: _("on") if getattr(operator, column) else _("off")


@dataclass(frozen=True)
class Setting:
    """One line of the /business menu: how to read it, save it and show it."""

    key: str  # in callback data, so short
    label: str
    column: str  # the keyword of operators.update_profile ('' for the holiday toggle)
    parse: Callable[[str], object]
    show: Callable[[OperatorView], str]
    hint: str
    kind: str = TEXT  # TEXT typed, TOGGLE flipped by the tap, PICTURE sent as a photo

    def name(self) -> str:
        """Return the label in the reader's language."""
        return _(self.label)

    def help(self) -> str:
        """Return the hint in the reader's language."""
        return _(self.hint) if self.hint else ""


CLEAR_HINT = N_("Send - to clear it.")
SETTINGS: tuple[Setting, ...] = (
    Setting(
        "name",
        N_("Business name"),
        "business_name",
        parsing.setting_text,
        _text("business_name"),
        N_("As it should appear on invoices and receipts."),
    ),
    Setting("addr", N_("Address"), "address", parsing.setting_text, _text("address"), CLEAR_HINT),
    Setting(
        "phone",
        N_("Phone"),
        "phone",
        _phone,
        lambda operator: national(operator.phone),
        N_("E.g. 012-345 6789. Send - to clear it."),
    ),
    Setting("bank", N_("Bank"), "bank_name", parsing.setting_text, _text("bank_name"), CLEAR_HINT),
    Setting(
        "acct",
        N_("Bank account"),
        "bank_account",
        parsing.setting_text,
        _text("bank_account"),
        CLEAR_HINT,
    ),
    Setting(
        "holder",
        N_("Account holder"),
        "account_holder",
        parsing.setting_text,
        _text("account_holder"),
        N_("The name on the bank account, as the bank has it. Send - to clear it."),
    ),
    Setting(
        "ssm",
        N_("SSM no."),
        "ssm_number",
        parsing.setting_text,
        _text("ssm_number"),
        N_("Your SSM registration number, printed on every document. Send - to clear it."),
    ),
    Setting(
        "qr",
        N_("DuitNow QR"),
        "payment_qr_payload",
        parsing.setting_text,
        lambda operator: texts.qr_name(operator.payment_qr_payload),
        N_("Send a photo, screenshot or PDF of your bank's DuitNow QR. Send - to clear it."),
        PICTURE,
    ),
    Setting(
        "logo",
        N_("Logo"),
        "logo",
        parsing.setting_text,
        lambda operator: _("set") if operator.logo else "",
        N_("Send your logo as a photo; I shrink it to print size. Send - to clear it."),
        PICTURE,
    ),
    Setting(
        "duitnow",
        N_("DuitNow ID"),
        "duitnow_id",
        parsing.setting_text,
        _text("duitnow_id"),
        N_("Your DuitNow phone number or ID. Send - to clear it."),
    ),
    Setting(
        "note",
        N_("Payment note"),
        "payment_note",
        parsing.setting_text,
        _text("payment_note"),
        N_(
            "A line printed on every invoice, e.g. 'Use your child's name as reference'. "
            "Send - to clear it."
        ),
    ),
    Setting(
        "due",
        N_("Due day"),
        "due_day",
        lambda text: parsing.whole_number(text, "due_day", 7),
        lambda operator: str(operator.due_day),
        N_("A day from 1 to 28: invoices fall due on that day of the month."),
    ),
    Setting(
        "remdays",
        N_("Reminder days"),
        "reminder_offsets",
        str.strip,
        lambda operator: ", ".join(str(o) for o in operator.reminder_offsets),
        N_("Days from the due date, e.g. -3,0,3,7,14 (negative means before it)."),
    ),
    Setting(
        "remhour",
        N_("Reminder hour"),
        "reminder_hour",
        lambda text: parsing.whole_number(text, "reminder_hour", 9),
        lambda operator: f"{operator.reminder_hour:02d}:00",
        N_("An hour from 8 to 20: reminders go out then."),
    ),
    Setting(
        "remon",
        N_("Reminders"),
        "reminders_enabled",
        str.strip,
        _on_off("reminders_enabled"),
        "",
        TOGGLE,
    ),
    Setting(
        "approve",
        N_("Approve each month"),
        "approval_required",
        str.strip,
        _on_off("approval_required"),
        "",
        TOGGLE,
    ),
    Setting(
        "digest",
        N_("Daily digest"),
        "digest_hour",
        _digest_hour,
        lambda operator: (
            _("off") if operator.digest_hour is None else f"{operator.digest_hour:02d}:00"
        ),
        N_("An hour from 0 to 23 for a short summary of your day each day; off to stop it."),
    ),
    Setting(
        "sibling",
        N_("Sibling discount"),
        "sibling_discount_bp",
        parsing.percent_as_basis_points,
        lambda operator: texts.percent(operator.sibling_discount_bp),
        N_("Percent off for each further child of a family, e.g. 10 (0 for none)."),
    ),
    Setting(
        "tz",
        N_("Time zone"),
        "timezone",
        str.strip,
        _text("timezone"),
        N_("A name such as Asia/Kuala_Lumpur or Asia/Singapore."),
    ),
    Setting(
        HOLIDAY,
        N_("Holiday months"),
        "",
        parse_month,
        lambda operator: "",
        N_("A month as YYYY-MM, e.g. 2026-12. Send a holiday month again to bill it normally."),
    ),
    # Late fees (services/latefees.py): one setting, kind, amount and days typed at once.
    Setting(
        "late", N_("Late fee"), "", parsing.late_fee, texts.late_fee_setting, texts.LATE_FEE_HINT
    ),
)
LATE_FEE = "late"
BY_KEY = {setting.key: setting for setting in SETTINGS}


def _menu_buttons() -> Sequence[tuple[str, str]]:
    """Return the menu's (key, label) buttons in the reader's language."""
    return [(s.key, s.name()) for s in SETTINGS]


async def _show(
    update: Update, context: VanBillContext, operator: OperatorView, header: str = ""
) -> None:
    """Show the menu in the message it already lives in (a new one when that cannot be)."""
    holidays = await operators.list_holidays(context.services.db, operator.id)
    text = texts.business_menu(operator, holidays)
    await _put(
        update,
        context,
        f"{header}\n\n{text}" if header else text,
        keyboards.business_menu(operator.id, _menu_buttons()),
    )


async def _put(
    update: Update, context: VanBillContext, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the /business message to text and markup, or send it anew."""
    chat = update.effective_chat
    assert chat is not None
    message_id = context.user_data.get(MENU_MESSAGE)
    if isinstance(message_id, int):
        try:
            await context.bot.edit_message_text(
                text, chat_id=chat.id, message_id=message_id, reply_markup=markup
            )
            return
        except BadRequest as error:
            if "not modified" in str(error).lower():
                return
            # Deleted, or too old to edit: send it again below.
    sent = await chat.send_message(text, reply_markup=markup)
    context.user_data[MENU_MESSAGE] = sent.message_id


@for_operator
async def open_menu(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Show the settings and what they are now, in a new message that edits stay in."""
    context.user_data.pop(FIELD, None)
    context.user_data.pop(MENU_MESSAGE, None)
    await _show(update, context, operator)
    return MENU


@replies_on_error(ConversationHandler.END)
@for_operator
async def choose(update: Update, context: VanBillContext, operator: OperatorView) -> str | int:
    """Ask for the setting the pressed button names (checked: it must be this operator's);
    a switch is flipped at once. The question takes the menu's place in the same message."""
    query = update.callback_query
    assert query is not None
    key = parsing.business_button(query.data, operator.id, (*BY_KEY, BACK))
    await query.answer()
    if isinstance(query.message, Message):
        context.user_data[MENU_MESSAGE] = query.message.message_id
    if key == parsing.BUSINESS_DONE:
        context.user_data.pop(FIELD, None)
        holidays = await operators.list_holidays(context.services.db, operator.id)
        await _put(
            update,
            context,
            f"{texts.BUSINESS_DONE}\n\n{texts.business_menu(operator, holidays)}",
            None,
        )
        context.user_data.pop(MENU_MESSAGE, None)
        return ConversationHandler.END
    if key == BACK:
        context.user_data.pop(FIELD, None)
        await _show(update, context, operator)
        return MENU
    setting = BY_KEY[key]
    if setting.kind == TOGGLE:
        value = not getattr(operator, setting.column)
        operator = await operators.update_profile(
            context.services.db, operator.id, **{setting.column: value}
        )
        await _show(
            update, context, operator, texts.business_saved(setting.name(), setting.show(operator))
        )
        return MENU
    context.user_data[FIELD] = key
    if key == HOLIDAY:
        current = texts.holiday_list(
            await operators.list_holidays(context.services.db, operator.id)
        )
    else:
        current = setting.show(operator)
    await _put(
        update,
        context,
        texts.business_prompt(setting.name(), current, setting.help()),
        keyboards.business_back(operator.id),
    )
    return ASKING


@replies_on_error(ASKING, hint=texts.TRY_AGAIN)
@for_operator
async def receive(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Save the value typed for the setting asked, then show the menu again in its message."""
    message = update.effective_message
    assert message is not None and message.text is not None
    setting = BY_KEY.get(str(context.user_data.get(FIELD)))
    if setting is None:  # e.g. state restored without the field: start from the menu
        await _show(update, context, operator)
        return MENU
    if setting.key == HOLIDAY:
        month = parse_month(message.text)
        made_holiday = await _toggle_holiday(context, operator.id, month)
        header = texts.holiday_saved(month, made_holiday)
    elif setting.kind == PICTURE and parsing.setting_text(message.text):
        await message.reply_text(texts.send_a_picture(setting.name()))
        return ASKING
    elif setting.key == LATE_FEE:
        operator = await _save_late_fee(update, context, operator, message.text)
        header = texts.business_saved(setting.name(), setting.show(operator))
    else:
        value = setting.parse(message.text)
        if setting.key == "logo":
            operator = await operators.set_logo(context.services.db, operator.id, None)
        elif setting.key == "qr":
            await operators.set_payment_qr(context.services.db, operator.id, "")
            operator = await operators.get_operator(context.services.db, operator.id)
        else:
            operator = await operators.update_profile(
                context.services.db, operator.id, **{setting.column: value}
            )
        header = texts.business_saved(setting.name(), setting.show(operator))
    context.user_data.pop(FIELD, None)
    await _show(update, context, operator, header)
    return MENU


@replies_on_error(ASKING, hint=texts.TRY_AGAIN)
@for_operator
async def receive_picture(update: Update, context: VanBillContext, operator: OperatorView) -> str:
    """Keep the logo sent, or read the DuitNow QR in it (its Use / No buttons follow)."""
    message = update.effective_message
    assert message is not None
    setting = BY_KEY.get(str(context.user_data.get(FIELD)))
    if setting is None or setting.kind != PICTURE:
        await message.reply_text(texts.USE_THE_BUTTONS)
        return ASKING if setting is not None else MENU
    if setting.key == "qr":
        await files.qr_received(update, context, operator)
        context.user_data.pop(FIELD, None)
        await _show(update, context, operator, texts.CHECK_THE_QR)
        return MENU
    if message.photo:
        file_id = message.photo[-1].file_id
    else:
        assert message.document is not None
        file_id = message.document.file_id
    telegram_file = await context.bot.get_file(file_id)
    content = bytes(await telegram_file.download_as_bytearray())
    operator = await operators.set_logo(context.services.db, operator.id, content)
    context.user_data.pop(FIELD, None)
    await _show(update, context, operator, texts.business_saved(setting.name(), _("set")))
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


PICTURES = filters.PHOTO | filters.Document.IMAGE | filters.Document.PDF


def conversation(timeout: timedelta | None = DEFAULT_TIMEOUT) -> ConversationHandler:  # type: ignore[type-arg]
    """Build the persistent /business conversation."""
    pressed = CallbackQueryHandler(choose, pattern=rf"^{parsing.BUSINESS_PREFIX}:")
    return operator_conversation(
        name=NAME,
        entry_points=[CommandHandler("business", open_menu), pressed],
        states={
            MENU: [MessageHandler(TYPED, use_the_buttons)],
            ASKING: [MessageHandler(TYPED, receive), MessageHandler(PICTURES, receive_picture)],
        },
        draft_key=FIELD,  # the message edited in place is kept: /business sends a new one
        cancelled=texts.CANCELLED,
        timed_out=texts.business_timed_out,
        timeout=timeout,
    )
