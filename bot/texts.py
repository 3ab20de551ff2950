"""Every text the bot sends (HTML parse mode: each value a person typed goes through `esc`)."""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from services.delivery import RunDeliveries
from services.links import LinkedFamily, Redeemed
from services.money import format_money
from services.monthly import MonthPlan
from services.payments import describe_allocation
from services.periods import month_key, month_label
from services.roles import Family, Sender
from services.runs import RunView
from services.slips import SlipView
from services.views import (
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


# Monthly runs: the approval preview and the report the operator gets (bot/schedule.py).


def run_preview(plan: MonthPlan) -> str:
    """Ask the operator to approve a month before anything is billed."""
    label = month_label(plan.period)
    lines = [
        f"📅 <b>{label}</b>: {len(plan.families)} famil{'y' if len(plan.families) == 1 else 'ies'}"
        f", {esc(format_money(plan.total_sen))} in all."
    ]
    if plan.new_families:
        lines.append(f"New this month: {esc(', '.join(plan.new_families))}.")
    if plan.skipped:
        lines.append(
            "Not billed: " + esc(", ".join(f"{s.name} ({s.reason})" for s in plan.skipped)) + "."
        )
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


def run_report(run: RunView, figures: RunDeliveries) -> str:
    """Report a finished monthly run to the operator."""
    lines = [
        f"📬 <b>{month_label(run.period)}</b> billing done: {run.created_count} invoice(s), "
        f"{esc(format_money(run.total_sen))}.",
        f"Delivered in Telegram: {figures.delivered}.",
    ]
    if figures.waiting_for_link:
        lines.append(
            f"Waiting for the parent to link ({len(figures.waiting_for_link)}): "
            + esc(", ".join(figures.waiting_for_link))
        )
    if figures.failed:
        lines.append(
            "Could not deliver: " + esc("; ".join(f"{n}: {why}" for n, why in figures.failed))
        )
    return "\n".join(lines)


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
        lines.append(f"Nothing owed (credit {money(-slip.balance_sen)}).")
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
        "The receipt is on its way to the parent."
    )


def slip_dismissed(caption_html: str) -> str:
    """Mark the operator's slip message as dismissed (keeping what it said)."""
    done = "🗑 Dismissed: nothing was recorded."
    return f"{caption_html}\n\n{done}" if caption_html else done


def slip_amount_timed_out(after: timedelta) -> str:
    """Say the bot stopped waiting for a slip's amount."""
    return (
        f"I stopped waiting for the slip's amount after {duration(after)}; nothing was recorded. "
        "Tap the slip's button again when you are ready."
    )


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


def family_saved(
    family: CustomerView | None,
    children: Sequence[tuple[ChildView, Sequence[str]]],
    start: date,
    problem: str = "",
) -> str:
    """Sum up the family /newcustomer saved (and what it could not save)."""
    if family is None:
        return f"⚠️ Nothing was saved: {esc(problem)}\nSend /newcustomer to try again."
    phone = f" ({esc(family.phone)})" if family.phone else ""
    lines = [f"✅ Saved the family of <b>{esc(family.name)}</b>{phone}."]
    lines += [_child_line(child, routes) for child, routes in children] or ["No children."]
    if any(routes for _, routes in children):
        lines.append(f"Routes are billed from {month_label(start)}.")
    if problem:
        lines.append(f"\n⚠️ I stopped there, so the rest was not saved: {esc(problem)}")
    lines.append("\nNext: send the parent their invite link, so their bills reach them here.")
    return "\n".join(lines)


def use_newinvoice(name: str) -> str:
    """Point to /newinvoice for billing one family something extra."""
    return f"Send /newinvoice and pick <b>{esc(name)}</b>."


def use_paid(name: str) -> str:
    """Point to /paid for recording a payment."""
    return f"Send /paid and pick <b>{esc(name)}</b>."


def _balance_words(balance_sen: int, currency: str) -> str:
    if balance_sen > 0:
        return f"owes {_sen(balance_sen, currency)}"
    if balance_sen < 0:
        return f"credit {_sen(-balance_sen, currency)}"
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
        owed, credit = _sen(balance.owed_sen, currency), _sen(balance.credit_sen, currency)
        money.append(f"— owed {owed}, credit {credit}")
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
        f"{_day(statement.end)}. Balance: {_sen(statement.closing_balance_sen)}."
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
