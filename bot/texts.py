"""Every text the bot sends (HTML parse mode: each value a person typed goes through `esc`)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from vanbill.services.billing import NewLine
from vanbill.services.links import LinkedFamily, Redeemed
from vanbill.services.money import format_money
from vanbill.services.payments import describe_allocation
from vanbill.services.periods import month_key, month_label
from vanbill.services.reminders import ReminderOutlook
from vanbill.services.roles import Family, Sender
from vanbill.services.runs import RunView
from vanbill.services.slips import SLIP_DISMISSED, DismissedSlip, SlipView
from vanbill.services.views import (
    ChildView,
    CustomerBalance,
    CustomerView,
    EnrollmentView,
    FamilyBalance,
    InvoiceDocument,
    InvoiceView,
    OperatorView,
    Page,
    PaymentView,
    ReceiptDocument,
    ServiceView,
    StatementView,
    SummaryReport,
)

# The menus Telegram shows next to the text box (setMyCommands): operators, then parents.
OPERATOR_COMMANDS: list[tuple[str, str]] = [
    ("start", "What this bot does for you"),
    ("business", "Your business details and billing settings"),
    ("invite_operator", "A one-time link for a second operator account"),
    ("newcustomer", "Add a family, its children and their routes"),
    ("customers", "Your families and what each owes"),
    ("customer", "One family's card: /customer name or phone"),
    ("invite", "An invite link for a parent: /invite name"),
    ("statement", "A family's statement PDF: /statement name"),
    ("newservice", "Add a route and its monthly fee"),
    ("newinvoice", "Bill a family: its routes filled in, lines to add"),
    ("paid", "Record a payment from a family"),
    ("invoices", "Invoices: /invoices unpaid, overdue or 2026-01"),
    ("invoice", "One invoice as a PDF: /invoice INV-2026-0001"),
    ("summary", "Chart of invoiced, collected and outstanding"),
    ("remind", "Send today's payment reminders"),
    ("services", "Your routes: fees, switch off or on"),
    ("export", "Your families, invoices and payments as CSV"),
    ("help", "Every command"),
    ("cancel", "Stop what you are doing"),
]
PARENT_COMMANDS: list[tuple[str, str]] = [
    ("start", "Who I am and who you are linked to"),
    ("balance", "What you owe, or your credit"),
    ("invoices", "Your recent invoices, each as a PDF"),
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
NOT_YOUR_BUTTON = "This button is not for you."
EDIT_NOT_READ = (
    "I only read new messages, so that edit changes nothing. "
    "Send it again as a new message if you meant it."
)
SLOW_DOWN = (
    "You are sending me a lot at once, so I am pausing for a minute. "
    "Please wait a little, then send one message at a time."
)
SLOW_DOWN_ALERT = "Too many taps at once. Wait a minute, then try again."


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


RECORDS_UNREACHABLE = "I can't reach the records right now, please try again in a minute."


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
        text += "\n" + _nothing_to_pay(invoice, money)
    return text


def _nothing_to_pay(invoice: InvoiceView, money) -> str:  # type: ignore[no-untyped-def]
    """Say why nothing is left to pay on an invoice: only credit the family held is credit."""
    if invoice.total_sen == 0:
        return "Nothing to pay on this invoice."
    if invoice.credit_applied_sen >= invoice.total_sen:
        return "Nothing to pay: your credit covers it. Thank you!"
    if invoice.credit_applied_sen > 0:
        return (
            f"Paid in full ({money(invoice.credit_applied_sen)} of it from your credit). "
            "Thank you!"
        )
    return "Paid in full. Thank you!"


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
        f"{_day(payment.paid_on)}: receipt {esc(payment.receipt_number)}."
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


# Monthly runs: the approval preview and the report the operator gets (bot/schedule.py).


def _listed(params: Mapping[str, object], key: str) -> list[Any]:
    value = params.get(key)
    return list(value) if isinstance(value, list) else []


def run_preview(params: Mapping[str, object]) -> str:
    """Ask the operator to approve a month before anything is billed (a run_preview notice)."""
    label = month_label(date.fromisoformat(str(params["period"])))
    families = int(str(params["families"]))
    new_families = [str(n) for n in _listed(params, "new_families")]
    skipped = [(str(n), str(r)) for n, r in _listed(params, "skipped")]
    lines = [
        f"📅 <b>{label}</b>: {families} famil{'y' if families == 1 else 'ies'}"
        f", {esc(format_money(int(str(params['total_sen']))))} in all."
    ]
    if new_families:
        lines.append(f"New this month: {esc(', '.join(new_families))}.")
    if skipped:
        lines.append("Not billed: " + esc(", ".join(f"{n} ({r})" for n, r in skipped)) + ".")
    lines.append("Approve to create the invoices and send them to the parents, or hold.")
    return "\n".join(lines)


def run_holiday(period: date) -> str:
    """Tell the operator a holiday month was skipped."""
    return f"📅 {month_label(period)} is marked as a holiday month: nothing was billed."


def run_decided(run: RunView, approved: bool) -> str:
    """Confirm the operator's decision on a run."""
    label = month_label(run.period)
    if not approved:
        return f"⏸ {label} is on hold. Nothing is billed until you approve it."
    return (
        f"✅ {label} approved: {run.created_count} invoice(s) created "
        f"({esc(format_money(run.total_sen))}); they are going out to the parents now."
    )


def run_report(params: Mapping[str, object]) -> str:
    """Report a finished monthly run to the operator (a run_report notice)."""
    waiting = [str(n) for n in _listed(params, "waiting_for_link")]
    failed = [(str(n), str(w)) for n, w in _listed(params, "failed")]
    lines = [
        f"📬 <b>{month_label(date.fromisoformat(str(params['period'])))}</b> billing done: "
        f"{params['created']} invoice(s), {esc(format_money(int(str(params['total_sen']))))}.",
        f"Delivered in Telegram: {params['delivered']}.",
    ]
    if waiting:
        lines.append(
            f"Waiting for the parent to link ({len(waiting)}): " + esc(", ".join(waiting))
        )
    if failed:
        lines.append("Could not deliver: " + esc("; ".join(f"{n}: {why}" for n, why in failed)))
    return "\n".join(lines)


def operator_notice(meta: Mapping[str, object]) -> str:
    """Word a notice queued for the operator (delivery.notify_operator), by its name."""
    notice = meta.get("notice")
    if notice == "family_blocked":
        return family_blocked(str(meta.get("name", "")))
    if notice == "run_preview":
        return run_preview(meta)
    if notice == "run_holiday":
        return run_holiday(date.fromisoformat(str(meta["period"])))
    if notice == "run_report":
        return run_report(meta)
    raise ValueError(f"no wording for the operator notice {notice!r}")


# -- Parents: /balance, /invoices and transfer slips -----------------------------------------

INVOICE_NOT_YOURS = "That invoice is not yours."
SLIP_OTHER_AMOUNT_BUTTON = "✏️ Record other amount"
SLIP_DISMISS_BUTTON = "🗑 Dismiss"
SLIP_WHICH_BUSINESS = "Thank you! Which van service is this payment for?"
SLIP_PASSED_ALREADY = "I have passed that slip on already."
SLIP_ASK_AMOUNT = (
    "How much does the slip show? Send the amount, e.g. 150 or RM 1,234.50.\n(/cancel to stop)"
)
SLIP_NOTE_LIMIT = 300  # a photo caption holds 1,024 characters in all


def _family_head(operator: OperatorView, family_name: str) -> str:
    return f"🚐 <b>{esc(operator.display_name)}</b> — {esc(family_name)}"


def family_balance(operator: OperatorView, account: FamilyBalance) -> str:
    """Show one family's unpaid invoices and the total to pay, or that all is paid."""
    money = _money(operator)
    lines = [_family_head(operator, account.customer_name)]
    for invoice in account.unpaid:
        late = " ⚠️ <b>overdue</b>" if invoice.overdue else ""
        lines.append(
            f"• {esc(invoice.number)}, due {_day(invoice.due_date)}: "
            f"{money(invoice.balance_sen)} left{late}"
        )
    if account.balance_sen > 0:
        if account.credit_sen > 0:
            lines.append(f"Less your credit: {money(account.credit_sen)}")
        lines.append(f"Total to pay: <b>{money(account.balance_sen)}</b>")
    else:
        lines.append("✅ All paid. Thank you!")
        if account.balance_sen < 0:
            lines.append(f"Your credit for the next invoice: <b>{money(-account.balance_sen)}</b>")
    return "\n".join(lines)


def balances(sections: Sequence[str], *, owing: bool) -> str:
    """Join the families' balances into one message."""
    text = "\n\n".join(sections)
    if owing:
        text += "\n\nPaid already? Send a photo of the transfer slip here."
    return text


def _invoice_state(operator: OperatorView, invoice: InvoiceView) -> str:
    if invoice.status == "void":
        return "void"
    if invoice.status == "paid":
        return "paid ✅"
    left = _money(operator)(invoice.balance_sen)
    if invoice.overdue:
        return f"⚠️ <b>overdue</b>, {left} left"
    return f"{left} left, due {_day(invoice.due_date)}"


def parent_invoices(
    operator: OperatorView, family_name: str, invoices: Sequence[InvoiceView]
) -> str:
    """List a family's recent invoices, newest first, for the parent."""
    head = _family_head(operator, family_name)
    if not invoices:
        return f"{head}\nNo invoices yet."
    money = _money(operator)
    lines = [f"{head}: your recent invoices"]
    for invoice in invoices:
        when = month_label(invoice.period) if invoice.period else _day(invoice.issue_date)
        lines.append(
            f"• <b>{esc(invoice.number)}</b> ({when}): {money(invoice.total_sen)}, "
            + _invoice_state(operator, invoice)
        )
    lines.append("Tap an invoice for its PDF.")
    return "\n".join(lines)


def invoice_pdf_button(number: str) -> str:
    """Label the button that sends an invoice's PDF."""
    return f"📄 {number}"


def family_label(family: Family) -> str:
    """Label a 'this slip is for' button (plain text): business and family."""
    return f"{family.business_name or 'Van service'} — {family.name}"


def slip_thanks(operator: OperatorView) -> str:
    """Thank the parent for a slip and say what happens next."""
    return (
        f"Thank you! I've passed it to <b>{esc(operator.display_name)}</b>; "
        "you'll get a receipt once it's recorded."
    )


def slip_for_operator(operator: OperatorView, family_name: str, slip: SlipView) -> str:
    """Caption the slip the operator receives: who sent it, what they owed, their note."""
    money = _money(operator)
    lines = [f"🧾 Transfer slip from <b>{esc(family_name)}</b>"]
    if slip.balance_sen > 0:
        lines.append(f"Owed when it came: <b>{money(slip.balance_sen)}</b>")
    elif slip.balance_sen < 0:
        lines.append(f"Nothing owed ({in_credit(-slip.balance_sen, operator.currency)}).")
    else:
        lines.append("Nothing owed.")
    if slip.caption:
        note = slip.caption
        if len(note) > SLIP_NOTE_LIMIT:
            note = note[: SLIP_NOTE_LIMIT - 1] + "…"
        lines.append(f"Parent's note: <i>{esc(note)}</i>")
    lines.append("Record the payment it shows?")
    return "\n".join(lines)


def slip_record_button(amount_sen: int, currency: str) -> str:
    """Label the one-tap button recording what the family owed."""
    return f"✅ Record {format_money(amount_sen, currency)}"


def slip_recorded(operator: OperatorView, payment: PaymentView) -> str:
    """Confirm a payment recorded from a slip, with where it went."""
    money = _money(operator)
    return (
        f"✅ Recorded <b>{money(payment.amount_sen)}</b> from <b>{esc(payment.customer_name)}</b> "
        f"({esc(payment.method_label)}).\n"
        f"It went to: {esc(describe_allocation(payment, operator.currency))}.\n"
        f"Receipt {esc(payment.receipt_number)} is on its way to the parent."
    )


def slip_ask_method(amount_sen: int, currency: str) -> str:
    """Ask how the money a slip shows was paid (plain text: it is also a button's toast)."""
    return f"How did they pay {format_money(amount_sen, currency)}? Tap one."


SLIP_ASK_REASON = (
    "Dismiss this slip? The parent is told in one line. Send the reason in a few words "
    "(e.g. <i>the amount does not match</i>), or tap the button for none.\n"
    "(/cancel keeps the slip.)"
)
SLIP_NO_REASON_BUTTON = "🗑 Dismiss without a reason"


def slip_dismissed(caption_html: str, dismissed: DismissedSlip) -> str:
    """Mark the operator's slip message as dismissed (keeping what it said), and say what the
    parent is told."""
    done = "🗑 Dismissed: nothing was recorded."
    name = esc(dismissed.customer_name)
    if not dismissed.parent_linked:
        done += f" {name} is told when they link their Telegram."
    elif dismissed.reason:
        done += f" {name} is told, with your reason: <i>{esc(dismissed.reason)}</i>."
    else:
        done += f" {name} is told."
    return f"{caption_html}\n\n{done}" if caption_html else done


def slip_timed_out(after: timedelta) -> str:
    """Say the bot stopped waiting for an answer about a slip (its amount or reason)."""
    return (
        f"I stopped waiting for your answer about the slip after {duration(after)}; nothing "
        "was recorded or dismissed. Tap the slip's button again when you are ready."
    )


def parent_notice(operator: OperatorView, meta: Mapping[str, object]) -> str:
    """Word a notice queued for a parent (delivery kind 'notice', meta as the service put it)."""
    if meta.get("notice") == SLIP_DISMISSED:
        sent_on = meta.get("sent_on")
        when = f" you sent on {_day(date.fromisoformat(str(sent_on)))}" if sent_on else ""
        reason = str(meta.get("reason") or "")
        why = f": {esc(reason)}" if reason else ""
        return (
            f"🧾 <b>{esc(operator.display_name)}</b> could not record the transfer slip{when}"
            f"{why}. Please get in touch with them if anything is unclear."
        )
    raise ValueError(f"unknown notice {meta.get('notice')!r}")


# -- Families and routes: /newservice, /services, /newcustomer, /customers, /customer, ---------
# -- /invite, /statement, /export (bot/conversations/newservice.py, newcustomer.py, ----------
# -- bot/handlers/services.py, customers.py) -------------------------------------------------

NOTHING_SAVED = "Cancelled. Nothing was saved."
SKIP_HINT = "Send - to skip."


def conversation_timed_out(what: str, after: timedelta) -> str:
    """Say a quiet conversation was closed and nothing was saved."""
    return (
        f"I closed your {esc(what)} after {duration(after)} without an answer; "
        "nothing was saved. Start it again whenever you like."
    )


def _sen(sen: int, currency: str = "MYR") -> str:
    return esc(format_money(sen, currency))


NEW_SERVICE_NAME = (
    "New route. What is it called? For example <i>Taman Melati → SK Setapak (morning)</i>.\n"
    "(/cancel to stop)"
)
NEW_SERVICE_DESCRIPTION = f"A short description for you (pick-up times, stops…)? {SKIP_HINT}"
NEW_SERVICE_OTHER_NAME = "Send another name for the route, or /cancel to stop."


def new_service_fee(name: str) -> str:
    """Ask for a new route's monthly fee."""
    return f"What is the monthly fee for <b>{esc(name)}</b>? For example 150 or RM 1,234.50."


def new_service_confirm(name: str, fee_sen: int, description: str) -> str:
    """Show the new route for confirmation."""
    lines = [f"<b>{esc(name)}</b>: {_sen(fee_sen)} a month"]
    if description:
        lines.append(esc(description))
    return "\n".join(["Save this route?", *lines])


def new_service_saved(route: ServiceView) -> str:
    """Confirm a new route."""
    return (
        f"Saved. <b>{esc(route.name)}</b>: {_sen(route.monthly_fee_sen)} a month.\n"
        "Put children on it with /newcustomer; see every route with /services."
    )


def route_list(fees: Sequence[tuple[ServiceView, int]]) -> str:
    """List the routes with the fee in force this month (inactive ones marked)."""
    if not fees:
        return "You have no routes yet. Add one with /newservice."
    lines = ["<b>Your routes</b> (fees this month)"]
    for route, fee_sen in fees:
        off = "" if route.active else " — <i>inactive</i>"
        lines.append(f"• <b>{esc(route.name)}</b>: {_sen(fee_sen)} a month{off}")
        if route.description:
            lines.append(f"  {esc(route.description)}")
    lines.append("\nTap a button to change a route's fee from a month, or to switch it off or on.")
    return "\n".join(lines)


def route_switched(route: ServiceView) -> str:
    """Confirm a route switched off or on."""
    if route.active:
        return f"▶️ <b>{esc(route.name)}</b> is active again: its children are billed for it."
    return (
        f"⏸ <b>{esc(route.name)}</b> is inactive: nobody is billed for it and no child can "
        "join it until you reactivate it."
    )


def route_fee_prompt(route: ServiceView) -> str:
    """Ask for a route's new monthly fee."""
    return (
        f"New monthly fee for <b>{esc(route.name)}</b>? For example 150 or RM 1,234.50.\n"
        "(/cancel to stop)"
    )


def route_fee_month_prompt(fee_sen: int, next_month: date) -> str:
    """Ask from which month a new fee applies."""
    return (
        f"From which month is it {_sen(fee_sen)}? Send it as YYYY-MM, e.g. "
        f"{month_key(next_month)} for {month_label(next_month)}. Earlier months keep their fee."
    )


def route_fee_saved(name: str, fee_sen: int, month: date) -> str:
    """Confirm a fee change."""
    return (
        f"Saved. From {month_label(month)}, <b>{esc(name)}</b> costs {_sen(fee_sen)} a month. "
        "Invoices already made keep their amounts."
    )


NEW_CUSTOMER_PARENT = (
    "New family. What is the name of the parent who pays? (/cancel to stop at any step; "
    "nothing is saved until the end.)"
)
NEW_CUSTOMER_CHILD = "The first child's name?"
NEW_CUSTOMER_NEXT_CHILD = "The next child's name?"
NO_ROUTES_FOR_CHILD = (
    "You have no active routes yet, so this child gets none for now. Add routes with /newservice."
)
CATEGORY_LABELS = {
    "kindergarten": "Kindergarten",
    "primary": "Primary school",
    "secondary": "Secondary school",
    "other": "Other",
}


def new_customer_phone(name: str) -> str:
    """Ask for the parent's phone."""
    return (
        f"{esc(name)}'s phone number? For example 012-345 6789. With it, the parent can link "
        f"their Telegram by sharing their number. {SKIP_HINT}"
    )


def new_customer_category(child: str) -> str:
    """Ask for a child's category."""
    return f"Is <b>{esc(child)}</b> in kindergarten, primary or secondary school?"


def new_customer_birth(child: str, category: str) -> str:
    """Ask for a child's birth year or age."""
    return (
        f"{esc(child)}: {esc(CATEGORY_LABELS.get(category, category))}. Birth year (e.g. 2017) "
        f"or age (e.g. 8)? {SKIP_HINT}"
    )


def new_customer_school(child: str) -> str:
    """Ask for a child's school."""
    return f"Which school does {esc(child)} go to? {SKIP_HINT}"


def new_customer_routes(child: str) -> str:
    """Ask which routes a child takes."""
    return (
        f"Which routes does <b>{esc(child)}</b> take? Tap each one, then <b>Done</b>. "
        "They are billed from this month."
    )


def another_child(child: str, routes: int) -> str:
    """Sum up a child's routes and ask whether there is another child."""
    taken = f"{routes} route{'s' if routes != 1 else ''}" if routes else "no route for now"
    return f"{esc(child)}: {taken}.\nAdd another child to this family?"


def _child_line(child: ChildView, routes: Sequence[str]) -> str:
    details = [CATEGORY_LABELS.get(child.category, child.category)]
    if child.birth_year:
        details.append(f"born {child.birth_year}")
    if child.school:
        details.append(child.school)
    taken = ", ".join(routes) if routes else "no route"
    return f"• <b>{esc(child.name)}</b> ({esc(', '.join(details))}) — {esc(taken)}"


def family_saved(family: CustomerView, routes: Sequence[Sequence[str]], start: date) -> str:
    """Sum up the family /newcustomer saved: each child with their routes (in that order)."""
    phone = f" ({esc(family.phone)})" if family.phone else ""
    lines = [f"✅ Saved the family of <b>{esc(family.name)}</b>{phone}."]
    children = list(zip(family.children, routes, strict=True))
    lines += [_child_line(child, taken) for child, taken in children] or ["No children."]
    if any(routes):
        lines.append(f"Routes are billed from {month_label(start)}.")
    lines.append("\nNext: send the parent their invite link, so their bills reach them here.")
    return "\n".join(lines)


def family_not_saved(problem: str) -> str:
    """Say /newcustomer saved nothing at all, and why."""
    return f"⚠️ Nothing was saved: {esc(problem)}\nSend /newcustomer to try again."


def use_newinvoice(name: str) -> str:
    """Point to /newinvoice for billing one family something extra."""
    return f"Send /newinvoice and pick <b>{esc(name)}</b>."


def use_paid(name: str) -> str:
    """Point to /paid for recording a payment."""
    return f"Send /paid and pick <b>{esc(name)}</b>."


def in_credit(credit_sen: int, currency: str = "MYR") -> str:
    """Say a family's credit the one way every list, card and statement says it."""
    return f"{_sen(credit_sen, currency)} in credit"


def _balance_words(balance_sen: int, currency: str) -> str:
    if balance_sen > 0:
        return f"owes {_sen(balance_sen, currency)}"
    if balance_sen < 0:
        return in_credit(-balance_sen, currency)
    return "paid up"


def family_page(page: Page[CustomerBalance], currency: str) -> str:
    """List one page of families with their balances."""
    if not page.total:
        return "You have no families yet. Add one with /newcustomer."
    lines = [f"<b>Your families</b> (page {page.page} of {page.pages}, {page.total} in all)"]
    first = (page.page - 1) * page.page_size + 1
    for number, family in enumerate(page.items, start=first):
        unpaid = f", {family.unpaid_invoices} unpaid" if family.unpaid_invoices else ""
        link = "" if family.linked else " · not linked"
        lines.append(
            f"{number}. {esc(family.name)} — {_balance_words(family.balance_sen, currency)}"
            f"{unpaid}{link}"
        )
    lines.append("\nTap a family to open its card.")
    return "\n".join(lines)


def family_card(
    family: CustomerView,
    taken: Sequence[EnrollmentView],
    balance: FamilyBalance,
    currency: str,
) -> str:
    """Show one family: parent, phone, link, children with routes, balance."""
    lines = [f"👪 <b>{esc(family.name)}</b>"]
    if family.archived:
        lines.append("🗄 <i>Archived: not billed any more.</i>")
    lines.append(f"📱 {esc(family.phone) if family.phone else '<i>no phone</i>'}")
    linked = "linked ✅" if family.linked else "not linked yet (send an invite link)"
    lines.append(f"Telegram: {linked}")
    lines.append("<b>Children</b>" if family.children else "<i>No children yet.</i>")
    for child in family.children:
        names = [e.service_name for e in taken if e.child_id == child.id]
        lines.append(_child_line(child, names))
    money = [f"<b>Balance:</b> {_balance_words(balance.balance_sen, currency)}"]
    if balance.unpaid:
        count = len(balance.unpaid)
        money.append(f"({count} unpaid invoice{'s' if count != 1 else ''})")
    if balance.owed_sen and balance.credit_sen:
        owed, credit = _sen(balance.owed_sen, currency), in_credit(balance.credit_sen, currency)
        money.append(f"— owed {owed}, {credit}")
    lines.append(" ".join(money))
    return "\n".join(lines)


def unpaid_invoices(balance: FamilyBalance, currency: str) -> str:
    """List a family's unpaid invoices, oldest first."""
    if not balance.unpaid:
        return f"<b>{esc(balance.customer_name)}</b> has no unpaid invoices."
    lines = [f"Unpaid invoices of <b>{esc(balance.customer_name)}</b>:"]
    for invoice in balance.unpaid:
        late = " — <b>overdue</b>" if invoice.overdue else ""
        lines.append(
            f"• {esc(invoice.number)}: {_sen(invoice.balance_sen, currency)} left of "
            f"{_sen(invoice.total_sen, currency)}, due {_day(invoice.due_date)}{late}"
        )
    lines.append(f"In all: {_sen(balance.owed_sen, currency)}.")
    return "\n".join(lines)


def statement_caption(statement: StatementView) -> str:
    """Caption a statement PDF sent to the operator."""
    return (
        f"Statement of <b>{esc(statement.customer.name)}</b>, {_day(statement.start)} to "
        f"{_day(statement.end)}. Balance: {_balance_words(statement.closing_balance_sen, 'MYR')}."
    )


def parent_invite(family: CustomerView, link: str) -> str:
    """Give the invite link for one family."""
    already = (
        " (it is linked already: whoever opens this link becomes its Telegram account instead)"
        if family.linked
        else ""
    )
    return (
        f"Send this link to <b>{esc(family.name)}</b>{already}. It works once, within 7 days, "
        f"and links their Telegram to this family:\n{esc(link)}"
    )


def family_archived(family: CustomerView) -> str:
    """Confirm a family archived or brought back."""
    if family.archived:
        return f"🗄 <b>{esc(family.name)}</b> is archived: no more monthly invoices."
    return f"✅ <b>{esc(family.name)}</b> is back: billed every month again."


FAMILY_COMMAND_USES = {
    "card": "/customer Siti (or a phone number, or a child's name)",
    "inv": "/invite Siti",
    "stmt": "/statement Siti",
}


def name_a_family(action: str) -> str:
    """Say a command needs a family's name or phone after it."""
    example = FAMILY_COMMAND_USES.get(action, "/customer Siti")
    return f"Which family? Send for example {esc(example)}."


def families_found(wanted: str, count: int) -> str:
    """Say how many families match (none, or several to pick from)."""
    if count == 0:
        return (
            f"I found no family matching <b>{esc(wanted)}</b>. Try part of the parent's or a "
            "child's name, or the phone number; /customers lists them all."
        )
    return f"{count} families match <b>{esc(wanted)}</b>. Which one?"


EXPORT_CAPTIONS = {
    "customers.csv": "Your families and their children.",
    "invoices.csv": "Every invoice, with what is paid and what is left.",
    "payments.csv": "Every payment received.",
}


def export_caption(filename: str) -> str:
    """Caption one CSV file of /export."""
    return esc(EXPORT_CAPTIONS.get(filename, filename))


# -- Billing: /newinvoice, /paid, /invoices, /invoice, /summary, /remind --------------------

ADD_LINE_BUTTON = "➕ Add a line"
REMOVE_LINE_BUTTON = "↩️ Remove last line"
DUE_DATE_BUTTON = "📅 Due date"
PREVIEW_BUTTON = "👀 Preview"
CONFIRM_BUTTON = "✅ Confirm"
CANCEL_BUTTON = "✖️ Cancel"
QUANTITY_ONE_BUTTON = "1"
SEND_TO_PARENT_BUTTON = "📤 Send to parent"
TODAY_BUTTON = "📅 Today"
RECORD_PAYMENT_BUTTON = "✅ Record payment"
SEND_REMINDERS_BUTTON = "🔔 Send"
INVOICE_LIST_LIMIT = 30
FAMILY_NAME_IN_LIST = 40

NEWINVOICE_ASK_FAMILY = (
    "🧾 <b>New invoice.</b> Which family is it for?\n"
    "Send part of the parent's or a child's name, or a phone number. (/cancel to stop)"
)
PAID_ASK_FAMILY = (
    "💰 <b>Record a payment.</b> Which family paid?\n"
    "Send part of the parent's or a child's name, or a phone number. (/cancel to stop)"
)
ASK_LINE_DESCRIPTION = (
    "What is the new line for? Send its description, e.g. <i>Extra trip to the zoo</i>.\n"
    "(/cancel to stop)"
)
ASK_DUE_DATE = (
    "Send the due date as YYYY-MM-DD, e.g. 2026-02-07, or <b>default</b> for your usual due "
    "day. (/cancel to stop)"
)
NO_LINE_TO_REMOVE = "There are no lines to remove."
NEWINVOICE_EXPIRED = "That button has expired. Send /newinvoice to start again."
PAID_EXPIRED = "That button has expired. Send /paid to start again."
NEWINVOICE_CANCELLED = "Cancelled. No invoice was made."
PAID_CANCELLED = "Cancelled. No payment was recorded."
ASK_PAYMENT_METHOD = "How did they pay? Tap one:"
ASK_PAYMENT_DATE = "When was it paid? Tap <b>Today</b>, or send the date as YYYY-MM-DD."
REMIND_CANCELLED = "Cancelled. No reminders were sent."
INVOICES_USAGE = (
    "Send /invoices for the latest invoices, /invoices unpaid, /invoices overdue, or a month "
    "such as /invoices 2026-01."
)


def _currency(currency: str):  # type: ignore[no-untyped-def]
    return lambda sen: esc(format_money(sen, currency))


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def family_button(family: CustomerView) -> str:
    """Label a family's button: the parent's name, then the children (plain text, short)."""
    label = family.name
    children = ", ".join(c.name for c in family.children)
    if children:
        label += f" ({children})"
    elif family.phone:
        label += f" (…{family.phone[-4:]})"
    return label if len(label) <= 60 else label[:59] + "…"


def no_family_matches(query: str) -> str:
    """Say no family matches what was typed."""
    return (
        f"No family matches <b>{esc(query)}</b>. Try another part of a name, or the phone "
        "number. (/cancel to stop)"
    )


def pick_family(count: int, limit: int) -> str:
    """Ask the operator to tap one of the matching families."""
    if count == 1:
        return "Tap the family:"
    text = f"{count} families match; tap one:"
    if count >= limit:
        text += "\n(Only the first few are shown: send more of the name to narrow it down.)"
    return text


def draft_intro(name: str, month: date, prefilled: bool) -> str:
    """Say whether the family's routes were filled in for the month."""
    if prefilled:
        return f"I filled in {esc(name)}'s routes for {month_label(month)}."
    return (
        f"{esc(name)} has no routes to bill for {month_label(month)} (or that month's invoice "
        "exists already): add the lines yourself."
    )


def invoice_draft(
    name: str,
    lines: Sequence[NewLine],
    child_names: Mapping[int, str],
    discount_sen: int,
    due: date,
    due_is_default: bool,
    currency: str,
    intro: str = "",
) -> str:
    """Show the invoice being made: its lines, discount, total and due date."""
    money = _currency(currency)
    rows = [intro, ""] if intro else []
    rows.append(f"🧾 <b>New invoice for {esc(name)}</b>")
    for number, line in enumerate(lines, 1):
        child = child_names.get(line.child_id) if line.child_id is not None else None
        what = esc(line.description) + (f" ({esc(child)})" if child else "")
        if line.quantity == 1:
            rows.append(f"{number}. {what}: {money(line.amount_sen)}")
        else:
            rows.append(
                f"{number}. {what}: {line.quantity} × {money(line.unit_price_sen)} = "
                f"{money(line.amount_sen)}"
            )
    if not lines:
        rows.append(f"<i>No lines yet.</i> Tap <b>{ADD_LINE_BUTTON}</b>.")
    subtotal = sum(line.amount_sen for line in lines)
    if discount_sen:
        rows.append(f"Sibling discount: −{money(discount_sen)}")
    rows.append(f"<b>Total: {money(subtotal - discount_sen)}</b>")
    rows.append(f"Due: {_day(due)}" + (" (your usual due day)" if due_is_default else ""))
    return "\n".join(rows)


def discount_dropped(discount_sen: int, currency: str) -> str:
    """Say the sibling discount went with the route line removed."""
    return (
        f"The sibling discount of {_currency(currency)(discount_sen)} was dropped, since the "
        "route lines changed."
    )


def ask_line_amount(description: str) -> str:
    """Ask the price of the line being added."""
    return (
        f"How much is <b>{esc(description)}</b>, each? Send an amount like 150, RM150 or "
        "RM 1,234.50."
    )


def ask_line_quantity(description: str, unit_sen: int, currency: str) -> str:
    """Ask how many of the line being added."""
    return (
        f"How many of <b>{esc(description)}</b> at {_currency(currency)(unit_sen)}? "
        f"Send a number, or tap <b>{QUANTITY_ONE_BUTTON}</b>."
    )


def preview_caption(name: str, total_sen: int, currency: str) -> str:
    """Caption the draft PDF: a preview, nothing saved."""
    return (
        f"👀 Preview of the invoice for {esc(name)}, total {_currency(currency)(total_sen)}. "
        f"Nothing is saved until you tap <b>{CONFIRM_BUTTON}</b>."
    )


def invoice_created(invoice: InvoiceView, currency: str) -> str:
    """Confirm a new invoice: number, total and due date."""
    money = _currency(currency)
    text = (
        f"✅ Invoice <b>{esc(invoice.number)}</b> created for {esc(invoice.customer_name)}.\n"
        f"Total: <b>{money(invoice.total_sen)}</b>, due {_day(invoice.due_date)}."
    )
    if invoice.paid_sen:
        text += (
            f"\nTheir credit paid {money(invoice.paid_sen)} of it: "
            f"{money(invoice.balance_sen)} left to pay."
        )
    return text


def invoice_ready_to_send(name: str) -> str:
    """Offer to send the new invoice to a linked parent."""
    return f"{esc(name)} is linked: tap <b>{SEND_TO_PARENT_BUTTON}</b> to send it to them now."


def invoice_waits_for_link(name: str) -> str:
    """Say the invoice goes out when an unlinked parent links."""
    return (
        f"{esc(name)} has not linked their Telegram yet, so I queued the invoice: it goes to them "
        "as soon as they do."
    )


def invoice_sent(invoice: InvoiceView, linked: bool, queued: bool) -> str:
    """Say what became of a Send to parent."""
    number, name = esc(invoice.number), esc(invoice.customer_name)
    if not queued:
        return f"{number} was queued for {name} before; I won't send it twice."
    if linked:
        return f"📤 {number} is on its way to {name}."
    return f"{number} is queued: it goes to {name} as soon as they link their Telegram."


def invoice_caption_for_operator(invoice: InvoiceView, currency: str) -> str:
    """Caption an invoice PDF shown to the operator."""
    money = _currency(currency)
    return (
        f"🧾 <b>{esc(invoice.number)}</b> · {esc(invoice.customer_name)}\n"
        f"Total {money(invoice.total_sen)} · left to pay {money(invoice.balance_sen)} · "
        f"{invoice_status_label(invoice)} · due {_day(invoice.due_date)}"
    )


def invoice_status_label(invoice: InvoiceView) -> str:
    """Return the status as the operator reads it (overdue is derived)."""
    if invoice.overdue:
        return "⚠️ overdue"
    return {"open": "unpaid", "partial": "part paid"}.get(invoice.status, invoice.status)


def invoice_list(
    invoices: Sequence[InvoiceView], which: str, period: date | None, currency: str
) -> str:
    """List invoices, one a line, at most INVOICE_LIST_LIMIT, with a count of the rest."""
    money = _currency(currency)
    title = {"unpaid": "Unpaid invoices", "overdue": "Overdue invoices"}.get(which, "Invoices")
    if period is not None:
        title += f" of {month_label(period)}"
    if not invoices:
        return f"<b>{title}</b>: none."
    latest_only = which == "all" and period is None
    shown = invoices[-INVOICE_LIST_LIMIT:] if latest_only else invoices[:INVOICE_LIST_LIMIT]
    rows = [f"<b>{title}</b> ({len(invoices)}):"]
    for invoice in shown:
        name = invoice.customer_name
        if len(name) > FAMILY_NAME_IN_LIST:
            name = name[: FAMILY_NAME_IN_LIST - 1] + "…"
        rows.append(
            f"<code>{esc(invoice.number)}</code> {esc(name)} · {money(invoice.total_sen)} · "
            f"left {money(invoice.balance_sen)} · {invoice_status_label(invoice)}"
        )
    rest = len(invoices) - len(shown)
    if rest:
        which_ones = "older" if latest_only else "more"
        rows.append(f"… and {rest} {which_ones} not shown. Narrow it down: /invoices 2026-01.")
    rows.append("Send /invoice followed by a number for its PDF.")
    return "\n".join(rows)


def family_account(
    balance: FamilyBalance, target: InvoiceView | None, settled: InvoiceView | None, currency: str
) -> str:
    """Show what a family owes, its open invoices, and ask how much they paid."""
    money = _currency(currency)
    name = esc(balance.customer_name)
    if balance.balance_sen > 0:
        rows = [f"💰 <b>{name}</b> owes <b>{money(balance.balance_sen)}</b>."]
    elif balance.balance_sen < 0:
        rows = [f"💰 <b>{name}</b> owes nothing: {in_credit(-balance.balance_sen, currency)}."]
    else:
        rows = [f"💰 <b>{name}</b> owes nothing."]
    if balance.unpaid:
        rows.append("Unpaid:")
        for invoice in balance.unpaid[:10]:
            late = " ⚠️ overdue" if invoice.overdue else ""
            rows.append(
                f"• <code>{esc(invoice.number)}</code> {money(invoice.balance_sen)} left, due "
                f"{_day(invoice.due_date)}{late}"
            )
    if settled is not None:
        rows.append(
            f"{esc(settled.number)} is {esc(settled.status)} already, so this payment goes to "
            "the oldest unpaid invoices; anything left is credit."
        )
    elif target is not None:
        rows.append(f"This payment goes to <b>{esc(target.number)}</b> first.")
    rows.append("\nHow much did they pay? Send an amount like 150, RM150 or RM 1,234.50.")
    return "\n".join(rows)


def payment_summary(
    name: str, amount_sen: int, method_label: str, paid_on: date, invoice: str, currency: str
) -> str:
    """Ask the operator to confirm the payment before it is recorded."""
    rows = [
        "Please check:",
        f"Family: <b>{esc(name)}</b>",
        f"Amount: <b>{_currency(currency)(amount_sen)}</b>",
        f"Method: {esc(method_label)}",
        f"Paid on: {_day(paid_on)}",
    ]
    if invoice:
        rows.append(f"For: {esc(invoice)} first")
    return "\n".join(rows)


def payment_recorded(
    payment: PaymentView, balance: FamilyBalance, linked: bool, currency: str
) -> str:
    """Confirm a payment: where it went, the family's balance now, and the receipt."""
    money = _currency(currency)
    name = esc(payment.customer_name)
    rows = [
        f"✅ Recorded {money(payment.amount_sen)} ({esc(payment.method_label)}) from {name} "
        f"on {_day(payment.paid_on)}.",
        f"It went to: {esc(describe_allocation(payment, currency))}.",
    ]
    if balance.balance_sen > 0:
        rows.append(f"{name} still owes <b>{money(balance.balance_sen)}</b>.")
    elif balance.balance_sen < 0:
        rows.append(f"{name} is paid up, with <b>{in_credit(-balance.balance_sen, currency)}</b>.")
    else:
        rows.append(f"{name} is all paid up.")
    receipt = esc(payment.receipt_number)
    if linked:
        rows.append(f"🧾 Receipt {receipt} is on its way to the parent.")
    else:
        rows.append(
            f"🧾 The parent has not linked their Telegram yet: receipt {receipt} goes to them "
            "when they do."
        )
    return "\n".join(rows)


def _rate(basis_points: int | None) -> str:
    if basis_points is None:
        return "—"
    tenths = (basis_points + 5) // 10
    whole, tenth = divmod(tenths, 10)
    return f"{whole}%" if tenth == 0 else f"{whole}.{tenth}%"


def summary_caption(report: SummaryReport) -> str:
    """Caption the summary chart with this month's figures."""
    money = _currency(report.currency)
    if not report.months:
        return f"📊 <b>{esc(report.business_name)}</b>: nothing invoiced yet."
    month = report.months[-1]
    lines = [
        f"📊 <b>{esc(report.business_name)}</b> · {month_label(month.month)}",
        f"Invoiced: {money(month.invoiced_sen)}",
        f"Collected: {money(month.collected_sen)}",
        f"Outstanding: {money(month.outstanding_sen)}",
        f"Overdue families: {report.overdue_families}",
        f"Collection rate: {_rate(month.collection_rate_bp)}",
    ]
    if report.credit_sen:  # paid over: not collection until it pays an invoice
        families = _plural(report.families_in_credit, "family", "families")
        lines.append(f"Held for {families}: {in_credit(report.credit_sen, report.currency)}")
    return "\n".join(lines)


def no_reminders_due(outlook: ReminderOutlook) -> str:
    """Say no reminder is due today, and why: who owes, and when the next one goes out."""
    if outlook.owing_families == 0:
        return "No reminders are due today: every family is paid up."
    owe = _plural(outlook.owing_families, "family owes", "families owe")
    lines = [f"No reminders are due today, but {owe} money."]
    if outlook.held:
        wait = "waits" if outlook.held == 1 else "wait"
        until = f"08:00 on {_day(outlook.held_until)}" if outlook.held_until else "08:00"
        lines.append(
            f"🌙 {_plural(outlook.held, 'reminder')} queued already {wait} for quiet time "
            f"(21:00 to 08:00) to end: {'it goes' if outlook.held == 1 else 'they go'} out at "
            f"{until}."
        )
    if not outlook.reminders_enabled:
        lines.append("Reminders are switched off: switch them on in /business.")
    elif outlook.next_on is not None:
        lines.append(
            f"The next reminder goes out on {_day(outlook.next_on)} at "
            f"{outlook.reminder_hour:02d}:00."
        )
    elif not outlook.held and outlook.paused_families < outlook.owing_families:
        lines.append("Every reminder has gone out for what they owe already.")
    if outlook.paused_families:
        paused = _plural(outlook.paused_families, "family", "families")
        lines.append(f"Reminders are paused for {paused}.")
    return "\n".join(lines)


def reminders_to_send(invoices: int, families: int, unlinked: int) -> str:
    """Say how many reminders are due today and ask to send them."""
    text = (
        f"🔔 {_plural(invoices, 'reminder')} due today, for "
        f"{_plural(families, 'family', 'families')}."
    )
    if unlinked:
        text += (
            f"\n{_plural(unlinked, 'family', 'families')} not linked yet: theirs wait until "
            "they link."
        )
    return text + "\nSend them now?"


def reminders_queued(queued: int, families: int, quiet_until: date | None) -> str:
    """Say how many reminders were queued, and when they go out."""
    if queued == 0:
        return "Nothing new to send: today's reminders were queued already."
    families_text = _plural(families, "family", "families")
    text = f"🔔 Queued {_plural(queued, 'reminder')} for {families_text}."
    if quiet_until is not None:
        return text + (
            "\nIt is quiet time (21:00 to 08:00), so they wait and go out at 08:00 on "
            f"{_day(quiet_until)}."
        )
    return text + " They are going out now."
