"""Every text the bot sends (HTML parse mode: each value a person typed goes through `esc`)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from services.links import LinkedFamily, Redeemed
from services.money import format_money
from services.periods import month_key, month_label
from services.roles import Sender
from services.views import InvoiceDocument, OperatorView, ReceiptDocument

# The menus Telegram shows next to the text box (setMyCommands): operators, then parents.
OPERATOR_COMMANDS: list[tuple[str, str]] = [
    ("start", "What this bot does for you"),
    ("business", "Your business details and billing settings"),
    ("invite_operator", "A one-time link for a second operator account"),
    ("help", "Every command"),
    ("cancel", "Stop what you are doing"),
]
PARENT_COMMANDS: list[tuple[str, str]] = [
    ("start", "Who I am and who you are linked to"),
    ("help", "What I can do for you"),
]
SHARE_PHONE_BUTTON = "📱 Share my phone number"


def esc(value: object) -> str:
    """Escape a value for HTML parse mode (None becomes an empty string)."""
    return html.escape("" if value is None else str(value), quote=False)


def _command_list(commands: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"/{name} — {esc(description)}" for name, description in commands)


STRANGER = (
    "Hello! I send school-van bills, reminders and receipts to parents.\n\n"
    "I don't know you yet. To link your account, either\n"
    "• open the invite link your van operator sent you, or\n"
    f"• tap <b>{SHARE_PHONE_BUTTON}</b> below, if your operator has your number."
)
OPERATORS_ONLY = "That is for van operators. Send /help to see what you can do here."
PARENTS_ONLY = "That is for parents linked to a van service."
NOT_YOUR_CONTACT = (
    "Please share <b>your own</b> phone number with the button below, not someone else's contact."
)
NOTHING_TO_CANCEL = "There is nothing to cancel."
CANCELLED = "Cancelled. Nothing more was changed."
BUTTON_EXPIRED = "That button has expired. Send /help to start again."
TRY_AGAIN = "Send it again, or /cancel to stop."
USE_THE_BUTTONS = "Tap one of the buttons above, or send /cancel to stop."


def operator_welcome(operator: OperatorView) -> str:
    """Greet an operator with what the bot does for them."""
    greeting = (
        f"Welcome back, <b>{esc(operator.business_name)}</b>."
        if operator.business_name
        else "Welcome! Let's set up your van business."
    )
    return (
        f"{greeting}\n\n"
        "I bill your families every month, send each parent their invoice here in Telegram, "
        "remind them until it is paid and send a receipt when it is.\n\n"
        + _command_list(OPERATOR_COMMANDS)
    )


def parent_welcome(sender: Sender) -> str:
    """Greet a linked parent by name, with the van services they are linked to."""
    services = "\n".join(
        f"• {esc(f.business_name or 'Your van service')} — account of {esc(f.name)}"
        for f in sender.families
    )
    return (
        f"Hello, {esc(sender.display_name)}!\n\n"
        f"You are linked to:\n{services}\n\n"
        "Your invoices, reminders and receipts will arrive here."
    )


def help_text(sender: Sender) -> str:
    """Return the help for the sender's role."""
    if sender.is_operator:
        return "What you can do:\n" + _command_list(OPERATOR_COMMANDS)
    if sender.is_parent:
        return "I send you your school-van invoices, reminders and receipts.\n" + _command_list(
            PARENT_COMMANDS
        )
    return STRANGER


def unknown_command(sender: Sender) -> str:
    """Say the command is unknown, then give the help."""
    return "I don't know that command.\n\n" + help_text(sender)


def parent_linked(redeemed: Redeemed) -> str:
    """Confirm a parent invite."""
    business = redeemed.business_name or "your van service"
    return (
        f"Thank you, {esc(redeemed.customer_name)}! You are now linked to "
        f"<b>{esc(business)}</b>.\nYour invoices, reminders and receipts will arrive here."
    )


def operator_linked() -> str:
    """Confirm an operator invite."""
    return (
        "Your operator account is ready. It has its own families, routes and invoices.\n"
        "Start with /business to set your business details."
    )


def linked_by_phone(families: Sequence[LinkedFamily]) -> str:
    """Confirm which families a shared phone number linked (or say none was found)."""
    if not families:
        return (
            "Thank you. I could not find a family with that phone number. "
            "Ask your van operator to check your number, or to send you an invite link."
        )
    lines = "\n".join(
        f"• {esc(f.name)} with <b>{esc(f.business_name or 'your van service')}</b>"
        for f in families
    )
    return (
        f"Thank you! You are now linked:\n{lines}\n"
        "Your invoices, reminders and receipts will arrive here."
    )


def operator_invite(link: str) -> str:
    """Give the one-time link for a second operator account."""
    return (
        "Send this link to the person who should get their own operator account. "
        "It works once, within 7 days:\n"
        f"{esc(link)}"
    )


def deep_link(bot_username: str, token: str) -> str:
    """Return the t.me link that opens the bot with /start <token>."""
    return f"https://t.me/{bot_username}?start={token}"


def apology(error_id: str) -> str:
    """Say sorry for an unexpected error, quoting its id."""
    return (
        "Sorry, something went wrong on my side. Please try again in a moment.\n"
        f"If it keeps happening, quote this code: <code>{esc(error_id)}</code>"
    )


def apology_alert(error_id: str) -> str:
    """Say sorry in a button alert (plain text, 200 characters at most)."""
    return f"Sorry, something went wrong on my side (code {error_id})."


def friendly(message: str) -> str:
    """Return a domain error's message ready to send."""
    return esc(message)


# -- /business -----------------------------------------------------------------------------


def percent(basis_points: int) -> str:
    """Return 1250 basis points as '12.5%'."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def holiday_list(holidays: Sequence[date]) -> str:
    """Return the holiday months as 2026-06, 2026-12 (or 'none')."""
    return ", ".join(month_key(m) for m in holidays) or "none"


def business_menu(operator: OperatorView, holidays: Sequence[date]) -> str:
    """Show the business profile and settings, with a request to pick one."""
    offsets = ", ".join(str(o) for o in operator.reminder_offsets) or "none"

    def row(label: str, value: object) -> str:
        shown = esc(value) if value not in ("", None) else "<i>not set</i>"
        return f"<b>{label}:</b> {shown}"

    return "\n".join(
        [
            "<b>Your business</b>",
            row("Business name", operator.business_name),
            row("Address", operator.address),
            row("Phone", operator.phone),
            row("Bank", operator.bank_name),
            row("Bank account", operator.bank_account),
            row("DuitNow ID", operator.duitnow_id),
            row("Payment note", operator.payment_note),
            row("Due day", f"day {operator.due_day} of each month"),
            row("Reminder days", f"{offsets} (days from the due date)"),
            row("Reminder hour", f"{operator.reminder_hour:02d}:00"),
            row("Sibling discount", percent(operator.sibling_discount_bp)),
            row("Time zone", operator.timezone),
            row("Holiday months", holiday_list(holidays)),
            "",
            "Tap what you want to change.",
        ]
    )


def business_prompt(label: str, current: str, hint: str) -> str:
    """Ask for a new value of one setting."""
    now = esc(current) if current else "<i>not set</i>"
    return f"Send the new <b>{esc(label)}</b>.\nNow: {now}\n{esc(hint)}\n(/cancel to stop)"


def business_saved(label: str, shown: str) -> str:
    """Confirm a changed setting."""
    value = esc(shown) if shown else "<i>cleared</i>"
    return f"Saved. <b>{esc(label)}</b>: {value}"


def holiday_saved(month: date, holiday: bool) -> str:
    """Confirm a holiday month switched on or off."""
    if holiday:
        return f"Saved. {month_key(month)} is a holiday month: nobody is billed for it."
    return f"Saved. {month_key(month)} is a normal month again."


BUSINESS_DONE = "Done. Send /business whenever you want to change something."


def duration(span: timedelta) -> str:
    """Return a span as people say it: '15 minutes', '1 minute', '30 seconds'."""
    seconds = round(span.total_seconds())
    amount, unit = (seconds // 60, "minute") if seconds >= 60 else (seconds, "second")
    return f"{amount} {unit}{'' if amount == 1 else 's'}"


def business_timed_out(after: timedelta) -> str:
    """Say the /business session closed after a quiet spell."""
    return (
        f"I closed your /business session after {duration(after)} without an answer; "
        "nothing more was changed. Send /business to carry on."
    )


# Messages to parents from the outbox (captions of the PDFs they receive).


def _day(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def how_to_pay(operator: OperatorView, reference: str) -> str:
    """Say how to pay this operator, quoting the reference to use."""
    lines = []
    if operator.bank_account:
        bank = f"{esc(operator.bank_name)} " if operator.bank_name else ""
        lines.append(f"🏦 {bank}<code>{esc(operator.bank_account)}</code>")
    if operator.duitnow_id:
        lines.append(f"📱 DuitNow <code>{esc(operator.duitnow_id)}</code>")
    if operator.payment_note:
        lines.append(esc(operator.payment_note))
    lines.append(f"Reference: <code>{esc(reference)}</code>")
    return "\n".join(lines)


def invoice_caption(document: InvoiceDocument) -> str:
    """Caption the invoice PDF a parent receives."""
    invoice, operator = document.invoice, document.operator
    money = _money(operator)
    period = f" for {month_label(invoice.period)}" if invoice.period else ""
    text = (
        f"🧾 <b>{esc(operator.display_name)}</b>\n"
        f"Invoice <b>{esc(invoice.number)}</b>{period} for {esc(invoice.customer_name)}.\n"
        f"Amount due: <b>{money(invoice.balance_sen)}</b> by {_day(invoice.due_date)}."
    )
    if document.previous_unpaid_sen > 0:
        text += f"\nStill unpaid from before: {money(document.previous_unpaid_sen)}."
    if invoice.balance_sen > 0:
        text += "\n\n" + how_to_pay(operator, invoice.number)
        text += "\n\nPaid already? Send a photo of the transfer slip here."
    else:
        text += "\nNothing to pay: your credit covers it. Thank you!"
    return text


def reminder_caption(document: InvoiceDocument, stage: int) -> str:
    """Caption a payment reminder: which invoice, how much, how late, how to pay."""
    invoice, operator = document.invoice, document.operator
    money = _money(operator)
    if stage < 0:
        when = f"is due in {-stage} day{'s' if stage != -1 else ''}, on {_day(invoice.due_date)}"
    elif stage == 0:
        when = "is due <b>today</b>"
    else:
        when = f"is <b>{stage} day{'s' if stage != 1 else ''} overdue</b>"
    return (
        f"🔔 Reminder from <b>{esc(operator.display_name)}</b>\n"
        f"Invoice <b>{esc(invoice.number)}</b> for {esc(invoice.customer_name)} {when}.\n"
        f"Left to pay: <b>{money(invoice.balance_sen)}</b>.\n\n"
        + how_to_pay(operator, invoice.number)
        + "\n\nPaid already? Send a photo of the transfer slip here and ignore this message."
    )


def receipt_caption(document: ReceiptDocument) -> str:
    """Caption the receipt PDF a parent receives after paying."""
    payment, operator = document.payment, document.operator
    money = _money(operator)
    text = (
        f"✅ <b>{esc(operator.display_name)}</b>: thank you!\n"
        f"We received <b>{money(payment.amount_sen)}</b> ({esc(payment.method_label)}) on "
        f"{_day(payment.paid_on)}."
    )
    if payment.allocations:
        settled = ", ".join(esc(a.invoice_number) for a in payment.allocations)
        text += f"\nIt went to: {settled}."
    if document.balance_after_sen > 0:
        text += f"\nStill to pay: <b>{money(document.balance_after_sen)}</b>."
    elif document.balance_after_sen < 0:
        text += f"\nYour credit for next month: <b>{money(-document.balance_after_sen)}</b>."
    else:
        text += "\nYou are all paid up."
    return text


def family_blocked(name: str) -> str:
    """Tell the operator a family blocked the bot."""
    return (
        f"⚠️ <b>{esc(name)}</b> has blocked this bot, so their invoices and receipts are on hold. "
        "They will go out by themselves when the parent opens the bot again and sends /start."
    )


def _money(operator: OperatorView):  # type: ignore[no-untyped-def]
    return lambda sen: esc(format_money(sen, operator.currency))
