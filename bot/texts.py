"""Every text the bot sends (HTML parse mode: each value a person typed goes through `esc`)."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from babel.dates import format_skeleton

from vanbill.bot import error_texts
from vanbill.services import i18n
from vanbill.services.audit import AuditEvent
from vanbill.services.billing import NewLine
from vanbill.services.clock import zone
from vanbill.services.duitnow import DuitNowCode, parse_payload
from vanbill.services.errors import InvalidInput, VanBillError
from vanbill.services.imports import ImportDone, ImportPlan
from vanbill.services.links import LinkedFamily, Redeemed
from vanbill.services.money import format_money
from vanbill.services.operators import Readiness
from vanbill.services.periods import month_key
from vanbill.services.phones import national
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

# Words are written in the reader's language (services/i18n.py: the language of the update or
# delivery being handled). A constant below is looked up when read, `texts.STRANGER`, through
# the module's __getattr__, so it is in the language of the moment; a function translates its
# words when called. Placeholders are named, `{name}`, so a translation may move them.
_ = i18n.gettext


def operator_commands() -> list[tuple[str, str]]:
    """Return the menu Telegram shows operators next to the text box (setMyCommands)."""
    return [
        ("start", _("What this bot does for you (the set-up, the first time)")),
        ("setup", _("The guided set-up again")),
        ("business", _("Your business details and billing settings")),
        ("invite_operator", _("A one-time link for a second operator account")),
        ("newcustomer", _("Add a family, its children and their routes")),
        ("customers", _("Your families and what each owes")),
        ("customer", _("One family's card: /customer name or phone")),
        ("invite", _("An invite link for a parent: /invite name")),
        ("statement", _("A family's statement PDF: /statement name")),
        ("newservice", _("Add a route and its monthly fee")),
        ("newinvoice", _("Bill a family: its routes filled in, lines to add")),
        ("paid", _("Record a payment from a family")),
        ("invoices", _("Invoices: /invoices unpaid, overdue or 2026-01")),
        ("invoice", _("One invoice as a PDF: /invoice INV-2026-0001")),
        ("summary", _("Chart of invoiced, collected and outstanding")),
        ("remind", _("Send today's payment reminders")),
        ("services", _("Your routes: fees, switch off or on")),
        ("import", _("Add many families from a CSV or Excel file")),
        ("export", _("Your families, invoices and payments as CSV")),
        ("language", _("The language I write to you in")),
        ("help", _("Every command")),
        ("cancel", _("Stop what you are doing")),
    ]


def parent_commands() -> list[tuple[str, str]]:
    """Return the menu Telegram shows parents (the default menu)."""
    return [
        ("start", _("Who I am and who you are linked to")),
        ("balance", _("What you owe, or your credit")),
        ("invoices", _("Your recent invoices, each as a PDF")),
        ("language", _("The language I write to you in")),
        ("help", _("What I can do for you")),
    ]


def esc(value: object) -> str:
    """Escape a value for HTML parse mode (None becomes an empty string)."""
    return html.escape("" if value is None else str(value), quote=False)


def _command_list(commands: Iterable[tuple[str, str]]) -> str:
    return "\n".join(f"/{name} — {esc(description)}" for name, description in commands)


def _stranger() -> str:
    return _(
        "Hello! I send school-van bills, reminders and receipts to parents.\n\n"
        "I don't know you yet. To link your account, either\n"
        "• open the invite link your van operator sent you, or\n"
        "• tap <b>{button}</b> below, if your operator has your number."
    ).format(button=_(SHARE_PHONE))


SHARE_PHONE = i18n.N_("📱 Share my phone number")
# Constants in the reader's language, built when read (see __getattr__ at the end).
_CONSTANTS: dict[str, Callable[[], Any]] = {
    "OPERATOR_COMMANDS": operator_commands,
    "PARENT_COMMANDS": parent_commands,
    "SHARE_PHONE_BUTTON": lambda: _(SHARE_PHONE),
    "STRANGER": _stranger,
    "OPERATORS_ONLY": lambda: _(
        "That is for van operators. Send /help to see what you can do here."
    ),
    "PARENTS_ONLY": lambda: _("That is for parents linked to a van service."),
    "NOT_YOUR_CONTACT": lambda: _(
        "Please share <b>your own</b> phone number with the button below, "
        "not someone else's contact."
    ),
    "NOTHING_TO_CANCEL": lambda: _("There is nothing to cancel."),
    "CANCELLED": lambda: _("Cancelled. Nothing more was changed."),
    "BUTTON_EXPIRED": lambda: _("That button has expired. Send /help to start again."),
    "TRY_AGAIN": lambda: _("Send it again, or /cancel to stop."),
    "USE_THE_BUTTONS": lambda: _("Tap one of the buttons above, or send /cancel to stop."),
    "NOT_YOUR_BUTTON": lambda: _("This button is not for you."),
    "EDIT_NOT_READ": lambda: _(
        "I only read new messages, so that edit changes nothing. "
        "Send it again as a new message if you meant it."
    ),
    "SLOW_DOWN": lambda: _(
        "You are sending me a lot at once, so I am pausing for a minute. "
        "Please wait a little, then send one message at a time."
    ),
    "SLOW_DOWN_ALERT": lambda: _("Too many taps at once. Wait a minute, then try again."),
    "LANGUAGE_PROMPT": lambda: _("Which language shall I write to you in?"),
}


def __getattr__(name: str) -> Any:
    """Return a constant text in the reader's language (PEP 562: read as `texts.NAME`)."""
    try:
        build = _CONSTANTS[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    return build()


def language_set(locale: str) -> str:
    """Confirm the language chosen (written in it)."""
    with i18n.use(locale):
        return _("Done: I will write to you in English from now on.")


def operator_welcome(operator: OperatorView) -> str:
    """Greet an operator with what the bot does for them."""
    greeting = (
        _("Welcome back, <b>{business}</b>.").format(business=esc(operator.business_name))
        if operator.business_name
        else _("Welcome! Let's set up your van business.")
    )
    return (
        f"{greeting}\n\n"
        + _(
            "I bill your families every month, send each parent their invoice here in Telegram, "
            "remind them until it is paid and send a receipt when it is."
        )
        + "\n\n"
        + _command_list(operator_commands())
    )


def _your_van_service() -> str:
    return _("your van service")


def parent_welcome(sender: Sender) -> str:
    """Greet a linked parent by name, with the van services they are linked to."""
    services = "\n".join(
        "• "
        + _("{business} — account of {family}").format(
            business=esc(f.business_name or _("Your van service")), family=esc(f.name)
        )
        for f in sender.families
    )
    return _(
        "Hello, {name}!\n\nYou are linked to:\n{services}\n\n"
        "Your invoices, reminders and receipts will arrive here."
    ).format(name=esc(sender.display_name), services=services)


def help_text(sender: Sender) -> str:
    """Return the help for the sender's role."""
    if sender.is_operator:
        return _("What you can do:") + "\n" + _command_list(operator_commands())
    if sender.is_parent:
        return (
            _("I send you your school-van invoices, reminders and receipts.")
            + "\n"
            + _command_list(parent_commands())
        )
    return _stranger()


def unknown_command(sender: Sender) -> str:
    """Say the command is unknown, then give the help."""
    return _("I don't know that command.") + "\n\n" + help_text(sender)


def parent_linked(redeemed: Redeemed) -> str:
    """Welcome a parent just linked by an invite: who the business is, what comes, how to pay."""
    return _welcome(redeemed.customer_name or "", redeemed.business_name, redeemed.operator)


def _welcome(family: str, business_name: str | None, operator: OperatorView | None) -> str:
    """Welcome a parent to one business: who it is, what comes here, how to pay."""
    business = business_name or _your_van_service()
    name, shown = esc(family), esc(business)
    arrive = _("Your invoices, reminders and receipts will arrive here.")
    if operator is None or not operator.phone:
        head = _("Thank you, {name}! You are now linked to <b>{business}</b>.").format(
            name=name, business=shown
        )
    else:
        head = _("Thank you, {name}! You are now linked to <b>{business}</b> ({phone}).").format(
            name=name, business=shown, phone=esc(national(operator.phone))
        )
    if operator is None:
        return f"{head}\n{arrive}"
    lines = [
        head,
        "",
        _("<b>What you will get here</b>"),
        _(
            "• Your invoice each month, around day {billing_day}, as a PDF, due on day {due_day}."
        ).format(billing_day=operator.billing_day, due_day=operator.due_day),
    ]
    if operator.reminders_enabled:
        lines.append(_("• A reminder before it falls due, and after if it is still unpaid."))
    lines += [_("• A receipt for every payment."), "", _("<b>How to pay</b>")]
    ways = []
    if operator.bank_account:
        bank = f"{esc(operator.bank_name)} " if operator.bank_name else ""
        holder = operator.account_holder or operator.business_name
        ways.append(
            f"🏦 {bank}<code>{esc(operator.bank_account)}</code>"
            + (f" ({esc(holder)})" if holder else "")
        )
    if operator.duitnow_id:
        ways.append(f"📱 DuitNow <code>{esc(operator.duitnow_id)}</code>")
    if operator.payment_qr_payload:
        ways.append(_("🔳 Each invoice carries a DuitNow QR: scan it with your banking app."))
    if not ways:
        ways.append(_("As {business} tells you; the invoice says how.").format(business=shown))
    lines += ways
    lines.append(
        _(
            "Paid? Send a photo of the transfer slip here and you get the receipt once it is "
            "recorded. /balance shows what you owe at any time."
        )
    )
    return "\n".join(lines)


_CONSTANTS["INVITE_QR_NOTE"] = lambda: _(
    "📷 The QR code holds the same link, for parents who find links awkward: they scan it with "
    "their phone's camera. Print it or forward the picture."
)


def operator_linked() -> str:
    """Confirm an operator invite."""
    return _(
        "Your operator account is ready. It has its own families, routes and invoices.\n"
        "Start with /business to set your business details."
    )


def linked_by_phone(families: Sequence[LinkedFamily]) -> str:
    """Confirm which families a shared phone number linked (or say none was found)."""
    if not families:
        return _(
            "Thank you. I could not find a family with that phone number. "
            "Ask your van operator to check your number, or to send you an invite link."
        )
    if len(families) == 1:  # the welcome an invite gives: what comes here and how to pay
        (family,) = families
        return _welcome(family.name, family.business_name, family.operator)
    lines = "\n".join(
        "• "
        + _("{family} with <b>{business}</b>").format(
            family=esc(f.name), business=esc(f.business_name or _your_van_service())
        )
        for f in families
    )
    return _(
        "Thank you! You are now linked:\n{families}\n"
        "Your invoices, reminders and receipts will arrive here."
    ).format(families=lines)


def operator_invite(link: str) -> str:
    """Give the one-time link for a second operator account."""
    return _(
        "Send this link to the person who should get their own operator account. "
        "It works once, within 7 days:\n{link}"
    ).format(link=esc(link))


def deep_link(bot_username: str, token: str) -> str:
    """Return the t.me link that opens the bot with /start <token>."""
    return f"https://t.me/{bot_username}?start={token}"


_CONSTANTS["RECORDS_UNREACHABLE"] = lambda: _(
    "I can't reach the records right now, please try again in a minute."
)


def apology(error_id: str) -> str:
    """Say sorry for an unexpected error, quoting its id."""
    return _(
        "Sorry, something went wrong on my side. Please try again in a moment.\n"
        "If it keeps happening, quote this code: <code>{code}</code>"
    ).format(code=esc(error_id))


def apology_alert(error_id: str) -> str:
    """Say sorry in a button alert (plain text, 200 characters at most)."""
    return _("Sorry, something went wrong on my side (code {code}).").format(code=error_id)


def friendly(error: VanBillError) -> str:
    """Return a domain error's message in the reader's language, ready to send (HTML)."""
    return esc(error_texts.message(error))


def describe_allocation(payment: PaymentView, currency: str = "MYR") -> str:
    """Say in a line where a payment went: INV-2026-0001 RM 150.00, credit RM 20.00 (plain)."""
    parts = [
        f"{a.invoice_number} {format_money(a.amount_sen, currency)}" for a in payment.allocations
    ]
    if payment.unallocated_sen:
        credit = format_money(payment.unallocated_sen, currency)
        parts.append(_("credit {amount}").format(amount=credit))
    return ", ".join(parts) or _("nothing allocated")


# -- /business -----------------------------------------------------------------------------


def percent(basis_points: int) -> str:
    """Return 1250 basis points as '12.5%'."""
    whole, rest = divmod(basis_points, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def holiday_list(holidays: Sequence[date]) -> str:
    """Return the holiday months as 2026-06, 2026-12 (or 'none')."""
    return ", ".join(month_key(m) for m in holidays) or _("none")


def _not_set() -> str:
    return _("<i>not set</i>")


def business_menu(operator: OperatorView, holidays: Sequence[date]) -> str:
    """Show the business profile and settings, with a request to pick one."""
    offsets = ", ".join(str(o) for o in operator.reminder_offsets) or _("none")

    def row(label: str, value: object) -> str:
        shown = esc(value) if value not in ("", None) else _not_set()
        return _("<b>{label}:</b> {value}").format(label=label, value=shown)

    on, off = _("on"), _("off")
    return "\n".join(
        [
            _("<b>Your business</b>"),
            row(_("Business name"), operator.business_name),
            row(_("Address"), operator.address),
            row(_("Phone"), national(operator.phone)),
            row(_("Bank"), operator.bank_name),
            row(_("Bank account"), operator.bank_account),
            row(_("Account holder"), operator.account_holder),
            row(_("SSM no."), operator.ssm_number),
            row(_("DuitNow QR"), qr_name(operator.payment_qr_payload)),
            row(_("Logo"), _("set") if operator.logo else ""),
            row(_("DuitNow ID"), operator.duitnow_id),
            row(_("Payment note"), operator.payment_note),
            row(_("Due day"), _("day {day} of each month").format(day=operator.due_day)),
            row(
                _("Reminder days"),
                _("{offsets} (days from the due date)").format(offsets=offsets),
            ),
            row(_("Reminder hour"), f"{operator.reminder_hour:02d}:00"),
            row(_("Reminders"), on if operator.reminders_enabled else off),
            row(
                _("Approve each month"),
                _("on: you see each month's invoices before they go out")
                if operator.approval_required
                else _("off: invoices go out by themselves"),
            ),
            row(
                _("Daily digest"),
                off
                if operator.digest_hour is None
                else _("at {hour}").format(hour=f"{operator.digest_hour:02d}:00"),
            ),
            row(_("Sibling discount"), percent(operator.sibling_discount_bp)),
            row(_("Time zone"), operator.timezone),
            row(_("Holiday months"), holiday_list(holidays)),
            row(_("Late fee"), late_fee_setting(operator)),
            "",
            _("Tap what you want to change."),
        ]
    )


def qr_name(payload: str) -> str:
    """Name the account a kept DuitNow payload pays ('' when none is kept)."""
    if not payload:
        return ""
    try:
        code = parse_payload(payload)
    except InvalidInput:
        return _("set")
    return ", ".join(x for x in (code.merchant_name, code.merchant_city) if x) or _("set")


_CONSTANTS["CHECK_THE_QR"] = lambda: _(
    "🔎 Check the QR code I found (below) and tap Use to keep it."
)


def setting_label(label: str) -> str:
    """Return a /business setting's label (its English name, a catalog message) translated."""
    return _(label)


def send_a_picture(label: str) -> str:
    """Ask for a picture where text came (a lone - clears the setting)."""
    return _("Send the {label} as a photo (or - to clear it).").format(
        label=esc(setting_label(label))
    )


def business_prompt(label: str, current: str, hint: str) -> str:
    """Ask for a new value of one setting."""
    now = esc(current) if current else _not_set()
    return _("Send the new <b>{label}</b>.\nNow: {now}\n{hint}\n(/cancel to stop)").format(
        label=esc(setting_label(label)), now=now, hint=esc(_(hint) if hint else "")
    )


def business_saved(label: str, shown: str) -> str:
    """Confirm a changed setting."""
    value = esc(shown) if shown else _("<i>cleared</i>")
    return _("Saved. <b>{label}</b>: {value}").format(label=esc(setting_label(label)), value=value)


def holiday_saved(month: date, holiday: bool) -> str:
    """Confirm a holiday month switched on or off."""
    if holiday:
        return _("Saved. {month} is a holiday month: nobody is billed for it.").format(
            month=month_key(month)
        )
    return _("Saved. {month} is a normal month again.").format(month=month_key(month))


_CONSTANTS["BUSINESS_DONE"] = lambda: _(
    "Done. Send /business whenever you want to change something."
)


def duration(span: timedelta) -> str:
    """Return a span as people say it: '15 minutes', '1 minute', '30 seconds'."""
    seconds = round(span.total_seconds())
    if seconds >= 60:
        minutes = seconds // 60
        return i18n.ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    return i18n.ngettext("{n} second", "{n} seconds", seconds).format(n=seconds)


def business_timed_out(after: timedelta) -> str:
    """Say the /business session closed after a quiet spell."""
    return _(
        "I closed your /business session after {duration} without an answer; "
        "nothing more was changed. Send /business to carry on."
    ).format(duration=duration(after))


# Messages to parents from the outbox (captions of the PDFs they receive).


def _day(day: date) -> str:
    """Return '5 Mar 2026' in the reader's language ('5 Mac 2026', '2026年3月5日')."""
    if i18n.current() == i18n.ENGLISH:
        return f"{day.day} {day:%b %Y}"
    return format_skeleton("yMMMd", day, locale=i18n.cldr())


def _month(month: date) -> str:
    """Return 'March 2026' in the reader's language ('Mac 2026', '2026年3月')."""
    return i18n.month_name(month)


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
    lines.append(_("Reference: <code>{reference}</code>").format(reference=esc(reference)))
    return "\n".join(lines)


def _paid_already() -> str:
    return _("Paid already? Send a photo of the transfer slip here.")


def invoice_caption(document: InvoiceDocument) -> str:
    """Caption the invoice PDF a parent receives."""
    invoice, operator = document.invoice, document.operator
    money = _money(operator)
    number, family = esc(invoice.number), esc(invoice.customer_name)
    if invoice.period:
        what = _("Invoice <b>{number}</b> for {month} for {family}.").format(
            number=number, month=_month(invoice.period), family=family
        )
    else:
        what = _("Invoice <b>{number}</b> for {family}.").format(number=number, family=family)
    due = _("Amount due: <b>{amount}</b> by {due}.").format(
        amount=money(invoice.balance_sen), due=_day(invoice.due_date)
    )
    text = f"🧾 <b>{esc(operator.display_name)}</b>\n{what}\n{due}"
    if document.previous_unpaid_sen > 0:
        text += "\n" + _("Still unpaid from before: {amount}.").format(
            amount=money(document.previous_unpaid_sen)
        )
    if invoice.balance_sen > 0:
        text += "\n\n" + how_to_pay(operator, invoice.number)
        text += "\n\n" + _paid_already()
    else:
        text += "\n" + _nothing_to_pay(invoice, money)
    return text


def _nothing_to_pay(invoice: InvoiceView, money) -> str:  # type: ignore[no-untyped-def]
    """Say why nothing is left to pay on an invoice: only credit the family held is credit."""
    if invoice.total_sen == 0:
        return _("Nothing to pay on this invoice.")
    if invoice.credit_applied_sen >= invoice.total_sen:
        return _("Nothing to pay: your credit covers it. Thank you!")
    if invoice.credit_applied_sen > 0:
        return _("Paid in full ({amount} of it from your credit). Thank you!").format(
            amount=money(invoice.credit_applied_sen)
        )
    return _("Paid in full. Thank you!")


def reminder_caption(document: InvoiceDocument, stage: int) -> str:
    """Caption a payment reminder: which invoice, how much, how late, how to pay."""
    invoice, operator = document.invoice, document.operator
    money = _money(operator)
    number, family = esc(invoice.number), esc(invoice.customer_name)
    if stage < 0:
        when = i18n.ngettext(
            "Invoice <b>{number}</b> for {family} is due in {n} day, on {due}.",
            "Invoice <b>{number}</b> for {family} is due in {n} days, on {due}.",
            -stage,
        ).format(number=number, family=family, n=-stage, due=_day(invoice.due_date))
    elif stage == 0:
        when = _("Invoice <b>{number}</b> for {family} is due <b>today</b>.").format(
            number=number, family=family
        )
    else:
        when = i18n.ngettext(
            "Invoice <b>{number}</b> for {family} is <b>{n} day overdue</b>.",
            "Invoice <b>{number}</b> for {family} is <b>{n} days overdue</b>.",
            stage,
        ).format(number=number, family=family, n=stage)
    if invoice.late_fee_sen:
        left = _("Left to pay: <b>{amount}</b>, including a late fee of {fee}.").format(
            amount=money(invoice.balance_sen), fee=money(invoice.late_fee_sen)
        )
    else:
        left = _("Left to pay: <b>{amount}</b>.").format(amount=money(invoice.balance_sen))
    head = _("🔔 Reminder from <b>{business}</b>").format(business=esc(operator.display_name))
    return (
        f"{head}\n{when}\n{left}\n\n"
        + how_to_pay(operator, invoice.number)
        + "\n\n"
        + _("Paid already? Send a photo of the transfer slip here and ignore this message.")
    )


def receipt_caption(document: ReceiptDocument) -> str:
    """Caption the receipt PDF a parent receives after paying."""
    payment, operator = document.payment, document.operator
    money = _money(operator)
    lines = [
        _("✅ <b>{business}</b>: thank you!").format(business=esc(operator.display_name)),
        _("We received <b>{amount}</b> ({method}) on {day}: receipt {number}.").format(
            amount=money(payment.amount_sen),
            method=esc(_(payment.method_label)),
            day=_day(payment.paid_on),
            number=esc(payment.receipt_number),
        ),
    ]
    if payment.allocations:
        settled = ", ".join(esc(a.invoice_number) for a in payment.allocations)
        lines.append(_("It went to: {invoices}.").format(invoices=settled))
    if document.balance_after_sen > 0:
        lines.append(
            _("Still to pay: <b>{amount}</b>.").format(amount=money(document.balance_after_sen))
        )
    elif document.balance_after_sen < 0:
        lines.append(
            _("Your credit for next month: <b>{amount}</b>.").format(
                amount=money(-document.balance_after_sen)
            )
        )
    else:
        lines.append(_("You are all paid up."))
    return "\n".join(lines)


def family_blocked(name: str) -> str:
    """Tell the operator a family blocked the bot."""
    return _(
        "⚠️ <b>{name}</b> has blocked this bot, so their invoices and receipts are on hold. "
        "They will go out by themselves when the parent opens the bot again and sends /start."
    ).format(name=esc(name))


def _money(operator: OperatorView):  # type: ignore[no-untyped-def]
    return lambda sen: esc(format_money(sen, operator.currency))


# Monthly runs: the approval preview and the report the operator gets (bot/schedule.py).


def _listed(params: Mapping[str, object], key: str) -> list[Any]:
    value = params.get(key)
    return list(value) if isinstance(value, list) else []


def run_preview(params: Mapping[str, object]) -> str:
    """Ask the operator to approve a month before anything is billed (a run_preview notice)."""
    label = _month(date.fromisoformat(str(params["period"])))
    families = int(str(params["families"]))
    new_families = [str(n) for n in _listed(params, "new_families")]
    skipped = [(str(n), error_texts.skipped(str(r))) for n, r in _listed(params, "skipped")]
    lines = [
        i18n.ngettext(
            "📅 <b>{month}</b>: {n} family, {amount} in all.",
            "📅 <b>{month}</b>: {n} families, {amount} in all.",
            families,
        ).format(
            month=label,
            n=families,
            amount=esc(format_money(int(str(params["total_sen"])))),
        )
    ]
    if new_families:
        lines.append(
            _("New this month: {families}.").format(families=esc(", ".join(new_families)))
        )
    if skipped:
        lines.append(
            _("Not billed: {families}.").format(
                families=esc(", ".join(f"{n} ({r})" for n, r in skipped))
            )
        )
    lines.append(_("Approve to create the invoices and send them to the parents, or hold."))
    return "\n".join(lines)


def run_holiday(period: date) -> str:
    """Tell the operator a holiday month was skipped."""
    return _("📅 {month} is marked as a holiday month: nothing was billed.").format(
        month=_month(period)
    )


def run_decided(run: RunView, approved: bool) -> str:
    """Confirm the operator's decision on a run."""
    label = _month(run.period)
    if not approved:
        return _("⏸ {month} is on hold. Nothing is billed until you approve it.").format(
            month=label
        )
    return i18n.ngettext(
        "✅ {month} approved: {n} invoice created ({amount}); it is going out to the parent now.",
        "✅ {month} approved: {n} invoices created ({amount}); "
        "they are going out to the parents now.",
        run.created_count,
    ).format(month=label, n=run.created_count, amount=esc(format_money(run.total_sen)))


def run_report(params: Mapping[str, object]) -> str:
    """Report a finished monthly run to the operator (a run_report notice)."""
    waiting = [str(n) for n in _listed(params, "waiting_for_link")]
    failed = [(str(n), str(w)) for n, w in _listed(params, "failed")]
    created = int(str(params["created"]))
    lines = [
        i18n.ngettext(
            "📬 <b>{month}</b> billing done: {n} invoice, {amount}.",
            "📬 <b>{month}</b> billing done: {n} invoices, {amount}.",
            created,
        ).format(
            month=_month(date.fromisoformat(str(params["period"]))),
            n=created,
            amount=esc(format_money(int(str(params["total_sen"])))),
        ),
        _("Delivered in Telegram: {n}.").format(n=params["delivered"]),
    ]
    if waiting:
        lines.append(
            _("Waiting for the parent to link ({n}): {families}").format(
                n=len(waiting), families=esc(", ".join(waiting))
            )
        )
    if failed:
        lines.append(
            _("Could not deliver: {families}").format(
                families=esc("; ".join(f"{n}: {why}" for n, why in failed))
            )
        )
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
    if notice == "parent_linked":
        return parent_now_linked(str(meta.get("name", "")))
    if notice == "digest":
        return daily_digest(meta)
    if notice == "late_fee":
        return late_fee_added(
            str(meta.get("name", "")),
            str(meta.get("number", "")),
            int(str(meta.get("amount_sen", 0))),
            str(meta.get("currency", "MYR")),
        )
    raise ValueError(f"no wording for the operator notice {notice!r}")


# -- Parents: /balance, /invoices and transfer slips -----------------------------------------

_CONSTANTS.update(
    {
        "INVOICE_NOT_YOURS": lambda: _("That invoice is not yours."),
        "SLIP_OTHER_AMOUNT_BUTTON": lambda: _("✏️ Record other amount"),
        "SLIP_DISMISS_BUTTON": lambda: _("🗑 Dismiss"),
        "SLIP_WHICH_BUSINESS": lambda: _("Thank you! Which van service is this payment for?"),
        "SLIP_PASSED_ALREADY": lambda: _("I have passed that slip on already."),
        "SLIP_ASK_AMOUNT": lambda: _(
            "How much does the slip show? Send the amount, e.g. 150 or RM 1,234.50.\n"
            "(/cancel to stop)"
        ),
        "SLIP_ASK_REASON": lambda: _(
            "Dismiss this slip? The parent is told in one line. Send the reason in a few words "
            "(e.g. <i>the amount does not match</i>), or tap the button for none.\n"
            "(/cancel keeps the slip.)"
        ),
        "SLIP_NO_REASON_BUTTON": lambda: _("🗑 Dismiss without a reason"),
    }
)
SLIP_NOTE_LIMIT = 300  # a photo caption holds 1,024 characters in all


def _family_head(operator: OperatorView, family_name: str) -> str:
    return f"🚐 <b>{esc(operator.display_name)}</b> — {esc(family_name)}"


def family_balance(operator: OperatorView, account: FamilyBalance) -> str:
    """Show one family's unpaid invoices and the total to pay, or that all is paid."""
    money = _money(operator)
    lines = [_family_head(operator, account.customer_name)]
    for invoice in account.unpaid:
        words = (
            _("• {number}, due {due}: {amount} left ⚠️ <b>overdue</b>")
            if invoice.overdue
            else _("• {number}, due {due}: {amount} left")
        )
        lines.append(
            words.format(
                number=esc(invoice.number),
                due=_day(invoice.due_date),
                amount=money(invoice.balance_sen),
            )
        )
    if account.balance_sen > 0:
        if account.credit_sen > 0:
            lines.append(_("Less your credit: {amount}").format(amount=money(account.credit_sen)))
        lines.append(_("Total to pay: <b>{amount}</b>").format(amount=money(account.balance_sen)))
    else:
        lines.append(_("✅ All paid. Thank you!"))
        if account.balance_sen < 0:
            lines.append(
                _("Your credit for the next invoice: <b>{amount}</b>").format(
                    amount=money(-account.balance_sen)
                )
            )
    return "\n".join(lines)


def balances(sections: Sequence[str], *, owing: bool) -> str:
    """Join the families' balances into one message."""
    text = "\n\n".join(sections)
    if owing:
        text += "\n\n" + _paid_already()
    return text


def _invoice_state(operator: OperatorView, invoice: InvoiceView) -> str:
    if invoice.status == "void":
        return _("void")
    if invoice.status == "paid":
        return _("paid ✅")
    left = _money(operator)(invoice.balance_sen)
    if invoice.overdue:
        return _("⚠️ <b>overdue</b>, {amount} left").format(amount=left)
    return _("{amount} left, due {due}").format(amount=left, due=_day(invoice.due_date))


def parent_invoices(
    operator: OperatorView, family_name: str, invoices: Sequence[InvoiceView]
) -> str:
    """List a family's recent invoices, newest first, for the parent."""
    head = _family_head(operator, family_name)
    if not invoices:
        return f"{head}\n" + _("No invoices yet.")
    money = _money(operator)
    lines = [_("{head}: your recent invoices").format(head=head)]
    for invoice in invoices:
        when = _month(invoice.period) if invoice.period else _day(invoice.issue_date)
        lines.append(
            f"• <b>{esc(invoice.number)}</b> ({when}): {money(invoice.total_sen)}, "
            + _invoice_state(operator, invoice)
        )
    lines.append(_("Tap an invoice for its PDF."))
    return "\n".join(lines)


def invoice_pdf_button(number: str) -> str:
    """Label the button that sends an invoice's PDF."""
    return f"📄 {number}"


def family_label(family: Family) -> str:
    """Label a 'this slip is for' button (plain text): business and family."""
    return f"{family.business_name or _('Van service')} — {family.name}"


def slip_thanks(operator: OperatorView) -> str:
    """Thank the parent for a slip and say what happens next."""
    return _(
        "Thank you! I've passed it to <b>{business}</b>; you'll get a receipt once it's recorded."
    ).format(business=esc(operator.display_name))


def slip_for_operator(operator: OperatorView, family_name: str, slip: SlipView) -> str:
    """Caption the slip the operator receives: who sent it, what they owed, their note."""
    money = _money(operator)
    lines = [_("🧾 Transfer slip from <b>{family}</b>").format(family=esc(family_name))]
    if slip.balance_sen > 0:
        lines.append(
            _("Owed when it came: <b>{amount}</b>").format(amount=money(slip.balance_sen))
        )
    elif slip.balance_sen < 0:
        lines.append(
            _("Nothing owed ({credit}).").format(
                credit=in_credit(-slip.balance_sen, operator.currency)
            )
        )
    else:
        lines.append(_("Nothing owed."))
    if slip.caption:
        note = slip.caption
        if len(note) > SLIP_NOTE_LIMIT:
            note = note[: SLIP_NOTE_LIMIT - 1] + "…"
        lines.append(_("Parent's note: <i>{note}</i>").format(note=esc(note)))
    lines.append(_("Record the payment it shows?"))
    return "\n".join(lines)


def slip_record_button(amount_sen: int, currency: str) -> str:
    """Label the one-tap button recording what the family owed."""
    return _("✅ Record {amount}").format(amount=format_money(amount_sen, currency))


def slip_recorded(operator: OperatorView, payment: PaymentView) -> str:
    """Confirm a payment recorded from a slip, with where it went."""
    money = _money(operator)
    return _(
        "✅ Recorded <b>{amount}</b> from <b>{family}</b> ({method}).\n"
        "It went to: {allocation}.\n"
        "Receipt {number} is on its way to the parent."
    ).format(
        amount=money(payment.amount_sen),
        family=esc(payment.customer_name),
        method=esc(_(payment.method_label)),
        allocation=esc(describe_allocation(payment, operator.currency)),
        number=esc(payment.receipt_number),
    )


def slip_ask_method(amount_sen: int, currency: str) -> str:
    """Ask how the money a slip shows was paid (plain text: it is also a button's toast)."""
    return _("How did they pay {amount}? Tap one.").format(
        amount=format_money(amount_sen, currency)
    )


def slip_dismissed(caption_html: str, dismissed: DismissedSlip) -> str:
    """Mark the operator's slip message as dismissed (keeping what it said), and say what the
    parent is told."""
    name = esc(dismissed.customer_name)
    if not dismissed.parent_linked:
        done = _(
            "🗑 Dismissed: nothing was recorded. {name} is told when they link their Telegram."
        ).format(name=name)
    elif dismissed.reason:
        done = _(
            "🗑 Dismissed: nothing was recorded. {name} is told, with your reason: <i>{reason}</i>."
        ).format(name=name, reason=esc(dismissed.reason))
    else:
        done = _("🗑 Dismissed: nothing was recorded. {name} is told.").format(name=name)
    return f"{caption_html}\n\n{done}" if caption_html else done


def slip_timed_out(after: timedelta) -> str:
    """Say the bot stopped waiting for an answer about a slip (its amount or reason)."""
    return _(
        "I stopped waiting for your answer about the slip after {duration}; nothing "
        "was recorded or dismissed. Tap the slip's button again when you are ready."
    ).format(duration=duration(after))


def parent_notice(operator: OperatorView, meta: Mapping[str, object]) -> str:
    """Word a notice queued for a parent (delivery kind 'notice', meta as the service put it)."""
    if meta.get("notice") == SLIP_DISMISSED:
        sent_on = meta.get("sent_on")
        reason = str(meta.get("reason") or "")
        values = {
            "business": esc(operator.display_name),
            "day": _day(date.fromisoformat(str(sent_on))) if sent_on else "",
            "reason": esc(reason),
        }
        if sent_on and reason:
            words = _(
                "🧾 <b>{business}</b> could not record the transfer slip you sent on {day}: "
                "{reason}. Please get in touch with them if anything is unclear."
            )
        elif sent_on:
            words = _(
                "🧾 <b>{business}</b> could not record the transfer slip you sent on {day}. "
                "Please get in touch with them if anything is unclear."
            )
        elif reason:
            words = _(
                "🧾 <b>{business}</b> could not record the transfer slip: {reason}. "
                "Please get in touch with them if anything is unclear."
            )
        else:
            words = _(
                "🧾 <b>{business}</b> could not record the transfer slip. "
                "Please get in touch with them if anything is unclear."
            )
        return words.format(**values)
    if meta.get("notice") == "credit_note":
        return credit_note_notice(operator, meta)
    raise ValueError(f"unknown notice {meta.get('notice')!r}")


# -- Families and routes: /newservice, /services, /newcustomer, /customers, /customer, ---------
# -- /invite, /statement, /export (bot/conversations/newservice.py, newcustomer.py, ----------
# -- bot/handlers/services.py, customers.py) -------------------------------------------------

_CATEGORY_LABELS = {
    "kindergarten": i18n.N_("Kindergarten"),
    "primary": i18n.N_("Primary school"),
    "secondary": i18n.N_("Secondary school"),
    "other": i18n.N_("Other"),
}
_CONSTANTS.update(
    {
        "NOTHING_SAVED": lambda: _("Cancelled. Nothing was saved."),
        "SKIP_HINT": lambda: _("Send - to skip."),
        "NEW_SERVICE_NAME": lambda: _(
            "New route. What is it called? For example "
            "<i>Taman Melati → SK Setapak (morning)</i>.\n(/cancel to stop)"
        ),
        "NEW_SERVICE_DESCRIPTION": lambda: _(
            "A short description for you (pick-up times, stops…)? Send - to skip."
        ),
        "NEW_SERVICE_OTHER_NAME": lambda: _(
            "Send another name for the route, or /cancel to stop."
        ),
        "NEW_CUSTOMER_PARENT": lambda: _(
            "New family. What is the name of the parent who pays? (/cancel to stop at any step; "
            "nothing is saved until the end.)"
        ),
        "NEW_CUSTOMER_CHILD": lambda: _("The first child's name?"),
        "NEW_CUSTOMER_NEXT_CHILD": lambda: _("The next child's name?"),
        "NO_ROUTES_FOR_CHILD": lambda: _(
            "You have no active routes yet, so this child gets none for now. "
            "Add routes with /newservice."
        ),
        # {category key: label} in the reader's language, in the order the buttons show them
        "CATEGORY_LABELS": lambda: {key: _(label) for key, label in _CATEGORY_LABELS.items()},
    }
)


def category_label(category: str) -> str:
    """Return a child category's name in the reader's language (an unknown key as it is)."""
    label = _CATEGORY_LABELS.get(category)
    return _(label) if label else category


def conversation_timed_out(what: str, after: timedelta) -> str:
    """Say a quiet conversation was closed and nothing was saved."""
    return _(
        "I closed your {what} after {duration} without an answer; "
        "nothing was saved. Start it again whenever you like."
    ).format(what=esc(_(what) if what else what), duration=duration(after))


def _sen(sen: int, currency: str = "MYR") -> str:
    return esc(format_money(sen, currency))


def new_service_fee(name: str) -> str:
    """Ask for a new route's monthly fee."""
    return _("What is the monthly fee for <b>{route}</b>? For example 150 or RM 1,234.50.").format(
        route=esc(name)
    )


def _a_month(name: str, fee_sen: int, currency: str = "MYR") -> str:
    return _("<b>{route}</b>: {fee} a month").format(route=esc(name), fee=_sen(fee_sen, currency))


def new_service_confirm(name: str, fee_sen: int, description: str) -> str:
    """Show the new route for confirmation."""
    lines = [_("Save this route?"), _a_month(name, fee_sen)]
    if description:
        lines.append(esc(description))
    return "\n".join(lines)


def new_service_saved(route: ServiceView) -> str:
    """Confirm a new route."""
    return _(
        "Saved. <b>{route}</b>: {fee} a month.\n"
        "Put children on it with /newcustomer; see every route with /services."
    ).format(route=esc(route.name), fee=_sen(route.monthly_fee_sen))


def route_list(fees: Sequence[tuple[ServiceView, int]]) -> str:
    """List the routes with the fee in force this month (inactive ones marked)."""
    if not fees:
        return _("You have no routes yet. Add one with /newservice.")
    lines = [_("<b>Your routes</b> (fees this month)")]
    for route, fee_sen in fees:
        words = (
            _("• <b>{route}</b>: {fee} a month")
            if route.active
            else _("• <b>{route}</b>: {fee} a month — <i>inactive</i>")
        )
        lines.append(words.format(route=esc(route.name), fee=_sen(fee_sen)))
        if route.description:
            lines.append(f"  {esc(route.description)}")
    lines.append(
        "\n" + _("Tap a button to change a route's fee from a month, or to switch it off or on.")
    )
    return "\n".join(lines)


def route_switched(route: ServiceView) -> str:
    """Confirm a route switched off or on."""
    if route.active:
        return _("▶️ <b>{route}</b> is active again: its children are billed for it.").format(
            route=esc(route.name)
        )
    return _(
        "⏸ <b>{route}</b> is inactive: nobody is billed for it and no child can "
        "join it until you reactivate it."
    ).format(route=esc(route.name))


def route_fee_prompt(route: ServiceView) -> str:
    """Ask for a route's new monthly fee."""
    return _(
        "New monthly fee for <b>{route}</b>? For example 150 or RM 1,234.50.\n(/cancel to stop)"
    ).format(route=esc(route.name))


def route_fee_month_prompt(fee_sen: int, next_month: date) -> str:
    """Ask from which month a new fee applies."""
    return _(
        "From which month is it {fee}? Send it as YYYY-MM, e.g. "
        "{key} for {month}. Earlier months keep their fee."
    ).format(fee=_sen(fee_sen), key=month_key(next_month), month=_month(next_month))


def route_fee_saved(name: str, fee_sen: int, month: date) -> str:
    """Confirm a fee change."""
    return _(
        "Saved. From {month}, <b>{route}</b> costs {fee} a month. "
        "Invoices already made keep their amounts."
    ).format(month=_month(month), route=esc(name), fee=_sen(fee_sen))


def new_customer_phone(name: str) -> str:
    """Ask for the parent's phone."""
    return _(
        "{name}'s phone number? For example 012-345 6789. With it, the parent can link "
        "their Telegram by sharing their number. Send - to skip."
    ).format(name=esc(name))


def new_customer_category(child: str) -> str:
    """Ask for a child's category."""
    return _("Is <b>{child}</b> in kindergarten, primary or secondary school?").format(
        child=esc(child)
    )


def new_customer_birth(child: str, category: str) -> str:
    """Ask for a child's birth year or age."""
    return _(
        "{child}: {category}. Birth year (e.g. 2017) or age (e.g. 8)? Send - to skip."
    ).format(child=esc(child), category=esc(category_label(category)))


def new_customer_school(child: str) -> str:
    """Ask for a child's school."""
    return _("Which school does {child} go to? Send - to skip.").format(child=esc(child))


def new_customer_routes(child: str) -> str:
    """Ask which routes a child takes."""
    return _(
        "Which routes does <b>{child}</b> take? Tap each one, then <b>Done</b>. "
        "They are billed from this month."
    ).format(child=esc(child))


def another_child(child: str, routes: int) -> str:
    """Sum up a child's routes and ask whether there is another child."""
    if not routes:
        return _("{child}: no route for now.\nAdd another child to this family?").format(
            child=esc(child)
        )
    return i18n.ngettext(
        "{child}: {n} route.\nAdd another child to this family?",
        "{child}: {n} routes.\nAdd another child to this family?",
        routes,
    ).format(child=esc(child), n=routes)


def _child_line(child: ChildView, routes: Sequence[str]) -> str:
    details = [category_label(child.category)]
    if child.birth_year:
        details.append(_("born {year}").format(year=child.birth_year))
    if child.school:
        details.append(child.school)
    taken = ", ".join(routes) if routes else _("no route")
    return f"• <b>{esc(child.name)}</b> ({esc(', '.join(details))}) — {esc(taken)}"


def family_saved(family: CustomerView, routes: Sequence[Sequence[str]], start: date) -> str:
    """Sum up the family /newcustomer saved: each child with their routes (in that order)."""
    if family.phone:
        head = _("✅ Saved the family of <b>{name}</b> ({phone}).").format(
            name=esc(family.name), phone=esc(national(family.phone))
        )
    else:
        head = _("✅ Saved the family of <b>{name}</b>.").format(name=esc(family.name))
    lines = [head]
    children = list(zip(family.children, routes, strict=True))
    lines += [_child_line(child, taken) for child, taken in children] or [_("No children.")]
    if any(routes):
        lines.append(_("Routes are billed from {month}.").format(month=_month(start)))
    lines.append(
        "\n" + _("Next: send the parent their invite link, so their bills reach them here.")
    )
    return "\n".join(lines)


def family_not_saved(problem: str) -> str:
    """Say /newcustomer saved nothing at all, and why."""
    return _("⚠️ Nothing was saved: {problem}\nSend /newcustomer to try again.").format(
        problem=esc(problem)
    )


def use_newinvoice(name: str) -> str:
    """Point to /newinvoice for billing one family something extra."""
    return _("Send /newinvoice and pick <b>{name}</b>.").format(name=esc(name))


def use_paid(name: str) -> str:
    """Point to /paid for recording a payment."""
    return _("Send /paid and pick <b>{name}</b>.").format(name=esc(name))


def in_credit(credit_sen: int, currency: str = "MYR") -> str:
    """Say a family's credit the one way every list, card and statement says it."""
    return _("{amount} in credit").format(amount=_sen(credit_sen, currency))


def _balance_words(balance_sen: int, currency: str) -> str:
    if balance_sen > 0:
        return _("owes {amount}").format(amount=_sen(balance_sen, currency))
    if balance_sen < 0:
        return in_credit(-balance_sen, currency)
    return _("paid up")


def family_page(page: Page[CustomerBalance], currency: str) -> str:
    """List one page of families with their balances."""
    if not page.total:
        return _("You have no families yet. Add one with /newcustomer.")
    lines = [
        _("<b>Your families</b> (page {page} of {pages}, {total} in all)").format(
            page=page.page, pages=page.pages, total=page.total
        )
    ]
    first = (page.page - 1) * page.page_size + 1
    for number, family in enumerate(page.items, start=first):
        unpaid = (
            ", " + _("{n} unpaid").format(n=family.unpaid_invoices)
            if family.unpaid_invoices
            else ""
        )
        link = "" if family.linked else " · " + _("not linked")
        lines.append(
            f"{number}. {esc(family.name)} — {_balance_words(family.balance_sen, currency)}"
            f"{unpaid}{link}"
        )
    lines.append("\n" + _("Tap a family to open its card."))
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
        lines.append(_("🗄 <i>Archived: not billed any more.</i>"))
    elif family.reminders_paused:
        lines.append(_("🔕 <i>Reminders paused.</i>"))
    lines.append(f"📱 {esc(national(family.phone)) if family.phone else _('<i>no phone</i>')}")
    linked = _("linked ✅") if family.linked else _("not linked yet (send an invite link)")
    lines.append(_("Telegram: {linked}").format(linked=linked))
    lines.append(_("<b>Children</b>") if family.children else _("<i>No children yet.</i>"))
    for child in family.children:
        names = [e.service_name for e in taken if e.child_id == child.id]
        lines.append(_child_line(child, names))
    money = [
        _("<b>Balance:</b> {balance}").format(
            balance=_balance_words(balance.balance_sen, currency)
        )
    ]
    if balance.unpaid:
        count = len(balance.unpaid)
        money.append(
            i18n.ngettext("({n} unpaid invoice)", "({n} unpaid invoices)", count).format(n=count)
        )
    if balance.owed_sen and balance.credit_sen:
        owed, credit = _sen(balance.owed_sen, currency), in_credit(balance.credit_sen, currency)
        money.append(_("— owed {owed}, {credit}").format(owed=owed, credit=credit))
    lines.append(" ".join(money))
    return "\n".join(lines)


def unpaid_invoices(balance: FamilyBalance, currency: str) -> str:
    """List a family's unpaid invoices, oldest first."""
    name = esc(balance.customer_name)
    if not balance.unpaid:
        return _("<b>{name}</b> has no unpaid invoices.").format(name=name)
    lines = [_("Unpaid invoices of <b>{name}</b>:").format(name=name)]
    for invoice in balance.unpaid:
        words = (
            _("• {number}: {left} left of {total}, due {due} — <b>overdue</b>")
            if invoice.overdue
            else _("• {number}: {left} left of {total}, due {due}")
        )
        lines.append(
            words.format(
                number=esc(invoice.number),
                left=_sen(invoice.balance_sen, currency),
                total=_sen(invoice.total_sen, currency),
                due=_day(invoice.due_date),
            )
        )
    lines.append(_("In all: {amount}.").format(amount=_sen(balance.owed_sen, currency)))
    return "\n".join(lines)


def statement_caption(statement: StatementView) -> str:
    """Caption a statement PDF sent to the operator."""
    return _("Statement of <b>{name}</b>, {start} to {end}. Balance: {balance}.").format(
        name=esc(statement.customer.name),
        start=_day(statement.start),
        end=_day(statement.end),
        balance=_balance_words(statement.closing_balance_sen, "MYR"),
    )


def parent_invite(family: CustomerView, link: str) -> str:
    """Give the invite link for one family."""
    if family.linked:
        words = _(
            "Send this link to <b>{name}</b> (it is linked already: whoever opens this link "
            "becomes its Telegram account instead). It works once, within 7 days, "
            "and links their Telegram to this family:\n{link}"
        )
    else:
        words = _(
            "Send this link to <b>{name}</b>. It works once, within 7 days, "
            "and links their Telegram to this family:\n{link}"
        )
    return words.format(name=esc(family.name), link=esc(link))


def family_archived(family: CustomerView) -> str:
    """Confirm a family archived or brought back."""
    if family.archived:
        return _("🗄 <b>{name}</b> is archived: no more monthly invoices.").format(
            name=esc(family.name)
        )
    return _("✅ <b>{name}</b> is back: billed every month again.").format(name=esc(family.name))


_FAMILY_COMMAND_USES = {
    "card": i18n.N_("/customer Siti (or a phone number, or a child's name)"),
    "inv": "/invite Siti",
    "stmt": "/statement Siti",
}


def name_a_family(action: str) -> str:
    """Say a command needs a family's name or phone after it."""
    example = _FAMILY_COMMAND_USES.get(action)
    shown = _(example) if action == "card" and example else example or "/customer Siti"
    return _("Which family? Send for example {example}.").format(example=esc(shown))


def families_found(wanted: str, count: int) -> str:
    """Say how many families match (none, or several to pick from)."""
    if count == 0:
        return _(
            "I found no family matching <b>{wanted}</b>. Try part of the parent's or a "
            "child's name, or the phone number; /customers lists them all."
        ).format(wanted=esc(wanted))
    return i18n.ngettext(
        "{n} family matches <b>{wanted}</b>. Which one?",
        "{n} families match <b>{wanted}</b>. Which one?",
        count,
    ).format(n=count, wanted=esc(wanted))


_EXPORT_CAPTIONS = {
    "customers.csv": i18n.N_("Your families and their children."),
    "invoices.csv": i18n.N_("Every invoice, with what is paid and what is left."),
    "payments.csv": i18n.N_("Every payment received."),
    "history.csv": i18n.N_("The history: every invoice, payment and correction, who and when."),
}


def export_caption(filename: str) -> str:
    """Caption one CSV file of /export."""
    caption = _EXPORT_CAPTIONS.get(filename)
    return esc(_(caption) if caption else filename)


# -- Billing: /newinvoice, /paid, /invoices, /invoice, /summary, /remind --------------------

# Buttons and other constants of this part, in the reader's language when read (see
# _CONSTANTS at the top); inside this module they are read with _(MESSAGE).
_ADD_LINE = i18n.N_("➕ Add a line")
_QUANTITY_ONE = "1"
_SEND_TO_PARENT = i18n.N_("📤 Send to parent")
_CONFIRM = i18n.N_("✅ Confirm")
_BILLING_WORDS: dict[str, str] = {
    "ADD_LINE_BUTTON": _ADD_LINE,
    "REMOVE_LINE_BUTTON": i18n.N_("↩️ Remove last line"),
    "DUE_DATE_BUTTON": i18n.N_("📅 Due date"),
    "PREVIEW_BUTTON": i18n.N_("👀 Preview"),
    "CONFIRM_BUTTON": _CONFIRM,
    "CANCEL_BUTTON": i18n.N_("✖️ Cancel"),
    "SEND_TO_PARENT_BUTTON": _SEND_TO_PARENT,
    "TODAY_BUTTON": i18n.N_("📅 Today"),
    "RECORD_PAYMENT_BUTTON": i18n.N_("✅ Record payment"),
    "SEND_REMINDERS_BUTTON": i18n.N_("🔔 Send"),
    "NEWINVOICE_ASK_FAMILY": i18n.N_(
        "🧾 <b>New invoice.</b> Which family is it for?\n"
        "Send part of the parent's or a child's name, or a phone number. (/cancel to stop)"
    ),
    "PAID_ASK_FAMILY": i18n.N_(
        "💰 <b>Record a payment.</b> Which family paid?\n"
        "Send part of the parent's or a child's name, or a phone number. (/cancel to stop)"
    ),
    "ASK_LINE_DESCRIPTION": i18n.N_(
        "What is the new line for? Send its description, e.g. <i>Extra trip to the zoo</i>.\n"
        "(/cancel to stop)"
    ),
    "ASK_DUE_DATE": i18n.N_(
        "Send the due date as YYYY-MM-DD, e.g. 2026-02-07, or <b>default</b> for your usual "
        "due day. (/cancel to stop)"
    ),
    "NO_LINE_TO_REMOVE": i18n.N_("There are no lines to remove."),
    "NEWINVOICE_EXPIRED": i18n.N_("That button has expired. Send /newinvoice to start again."),
    "PAID_EXPIRED": i18n.N_("That button has expired. Send /paid to start again."),
    "NEWINVOICE_CANCELLED": i18n.N_("Cancelled. No invoice was made."),
    "PAID_CANCELLED": i18n.N_("Cancelled. No payment was recorded."),
    "ASK_PAYMENT_METHOD": i18n.N_("How did they pay? Tap one:"),
    "ASK_PAYMENT_DATE": i18n.N_(
        "When was it paid? Tap <b>Today</b>, or send the date as YYYY-MM-DD."
    ),
    "REMIND_CANCELLED": i18n.N_("Cancelled. No reminders were sent."),
    "INVOICES_USAGE": i18n.N_(
        "Send /invoices for the latest invoices, /invoices unpaid, /invoices overdue, or a "
        "month such as /invoices 2026-01."
    ),
}
_CONSTANTS.update({name: (lambda m=message: _(m)) for name, message in _BILLING_WORDS.items()})
_CONSTANTS["QUANTITY_ONE_BUTTON"] = lambda: _QUANTITY_ONE
INVOICE_LIST_LIMIT = 30
FAMILY_NAME_IN_LIST = 40


def _currency(currency: str):  # type: ignore[no-untyped-def]
    return lambda sen: esc(format_money(sen, currency))


def _month(month: date) -> str:
    """Return 'March 2026' in the reader's language (Babel)."""
    return i18n.month_name(month)


def _month_only(month: date) -> str:
    """Return 'March' (no year) in the reader's language (Babel's stand-alone month)."""
    from babel.dates import format_date

    return format_date(month, "LLLL", locale=i18n.cldr())


def _families(count: int) -> str:
    return i18n.ngettext("{n} family", "{n} families", count).format(n=count)


def _children(count: int) -> str:
    return i18n.ngettext("{n} child", "{n} children", count).format(n=count)


def _reminders(count: int) -> str:
    return i18n.ngettext("{n} reminder", "{n} reminders", count).format(n=count)


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
    return _(
        "No family matches <b>{query}</b>. Try another part of a name, or the phone number. "
        "(/cancel to stop)"
    ).format(query=esc(query))


def pick_family(count: int, limit: int) -> str:
    """Ask the operator to tap one of the matching families."""
    if count == 1:
        return _("Tap the family:")
    text = i18n.ngettext(
        "{n} family matches; tap one:", "{n} families match; tap one:", count
    ).format(n=count)
    if count >= limit:
        text += "\n" + _(
            "(Only the first few are shown: send more of the name to narrow it down.)"
        )
    return text


def draft_intro(name: str, month: date, prefilled: bool) -> str:
    """Say whether the family's routes were filled in for the month."""
    if prefilled:
        return _("I filled in {name}'s routes for {month}.").format(
            name=esc(name), month=_month(month)
        )
    return _(
        "{name} has no routes to bill for {month} (or that month's invoice exists already): "
        "add the lines yourself."
    ).format(name=esc(name), month=_month(month))


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
    rows.append(_("🧾 <b>New invoice for {name}</b>").format(name=esc(name)))
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
        rows.append(_("<i>No lines yet.</i> Tap <b>{button}</b>.").format(button=_(_ADD_LINE)))
    subtotal = sum(line.amount_sen for line in lines)
    if discount_sen:
        rows.append(_("Sibling discount: −{amount}").format(amount=money(discount_sen)))
    rows.append(_("<b>Total: {amount}</b>").format(amount=money(subtotal - discount_sen)))
    if due_is_default:
        rows.append(_("Due: {day} (your usual due day)").format(day=_day(due)))
    else:
        rows.append(_("Due: {day}").format(day=_day(due)))
    return "\n".join(rows)


def discount_dropped(discount_sen: int, currency: str) -> str:
    """Say the sibling discount went with the route line removed."""
    return _(
        "The sibling discount of {amount} was dropped, since the route lines changed."
    ).format(amount=_currency(currency)(discount_sen))


def ask_line_amount(description: str) -> str:
    """Ask the price of the line being added."""
    return _(
        "How much is <b>{line}</b>, each? Send an amount like 150, RM150 or RM 1,234.50."
    ).format(line=esc(description))


def ask_line_quantity(description: str, unit_sen: int, currency: str) -> str:
    """Ask how many of the line being added."""
    return _(
        "How many of <b>{line}</b> at {price}? Send a number, or tap <b>{button}</b>."
    ).format(line=esc(description), price=_currency(currency)(unit_sen), button=_QUANTITY_ONE)


def preview_caption(name: str, total_sen: int, currency: str) -> str:
    """Caption the draft PDF: a preview, nothing saved."""
    return _(
        "👀 Preview of the invoice for {name}, total {total}. "
        "Nothing is saved until you tap <b>{button}</b>."
    ).format(name=esc(name), total=_currency(currency)(total_sen), button=_(_CONFIRM))


def invoice_created(invoice: InvoiceView, currency: str) -> str:
    """Confirm a new invoice: number, total and due date."""
    money = _currency(currency)
    text = _(
        "✅ Invoice <b>{number}</b> created for {name}.\nTotal: <b>{total}</b>, due {day}."
    ).format(
        number=esc(invoice.number),
        name=esc(invoice.customer_name),
        total=money(invoice.total_sen),
        day=_day(invoice.due_date),
    )
    if invoice.paid_sen:
        text += "\n" + _("Their credit paid {paid} of it: {left} left to pay.").format(
            paid=money(invoice.paid_sen), left=money(invoice.balance_sen)
        )
    return text


def invoice_ready_to_send(name: str) -> str:
    """Offer to send the new invoice to a linked parent."""
    return _("{name} is linked: tap <b>{button}</b> to send it to them now.").format(
        name=esc(name), button=_(_SEND_TO_PARENT)
    )


def invoice_waits_for_link(name: str) -> str:
    """Say the invoice goes out when an unlinked parent links."""
    return _(
        "{name} has not linked their Telegram yet, so I queued the invoice: it goes to them as "
        "soon as they do."
    ).format(name=esc(name))


def invoice_sent(invoice: InvoiceView, linked: bool, queued: bool) -> str:
    """Say what became of a Send to parent."""
    number, name = esc(invoice.number), esc(invoice.customer_name)
    if not queued:
        text = _("{number} was queued for {name} before; I won't send it twice.")
    elif linked:
        text = _("📤 {number} is on its way to {name}.")
    else:
        text = _("{number} is queued: it goes to {name} as soon as they link their Telegram.")
    return text.format(number=number, name=name)


def invoice_caption_for_operator(invoice: InvoiceView, currency: str) -> str:
    """Caption an invoice PDF shown to the operator."""
    money = _currency(currency)
    return _(
        "🧾 <b>{number}</b> · {name}\nTotal {total} · left to pay {left} · {status} · due {day}"
    ).format(
        number=esc(invoice.number),
        name=esc(invoice.customer_name),
        total=money(invoice.total_sen),
        left=money(invoice.balance_sen),
        status=invoice_status_label(invoice),
        day=_day(invoice.due_date),
    )


_STATUS_WORDS = {
    "open": i18n.N_("unpaid"),
    "partial": i18n.N_("part paid"),
    "paid": i18n.N_("paid"),
    "void": i18n.N_("void"),
}


def invoice_status_label(invoice: InvoiceView) -> str:
    """Return the status as the operator reads it (overdue is derived)."""
    if invoice.overdue:
        return _("⚠️ overdue")
    word = _STATUS_WORDS.get(invoice.status)
    return _(word) if word else invoice.status


# The title of an invoice list: (without a month, with one).
_LIST_TITLES = {
    "unpaid": (i18n.N_("Unpaid invoices"), i18n.N_("Unpaid invoices of {month}")),
    "overdue": (i18n.N_("Overdue invoices"), i18n.N_("Overdue invoices of {month}")),
    "all": (i18n.N_("Invoices"), i18n.N_("Invoices of {month}")),
}


def invoice_list(
    invoices: Sequence[InvoiceView], which: str, period: date | None, currency: str
) -> str:
    """List invoices, one a line, at most INVOICE_LIST_LIMIT, with a count of the rest."""
    money = _currency(currency)
    plain, of_month = _LIST_TITLES.get(which, _LIST_TITLES["all"])
    title = _(plain) if period is None else _(of_month).format(month=_month(period))
    if not invoices:
        return _("<b>{title}</b>: none.").format(title=title)
    latest_only = which == "all" and period is None
    shown = invoices[-INVOICE_LIST_LIMIT:] if latest_only else invoices[:INVOICE_LIST_LIMIT]
    rows = [f"<b>{title}</b> ({len(invoices)}):"]
    for invoice in shown:
        name = invoice.customer_name
        if len(name) > FAMILY_NAME_IN_LIST:
            name = name[: FAMILY_NAME_IN_LIST - 1] + "…"
        rows.append(
            _("<code>{number}</code> {name} · {total} · left {left} · {status}").format(
                number=esc(invoice.number),
                name=esc(name),
                total=money(invoice.total_sen),
                left=money(invoice.balance_sen),
                status=invoice_status_label(invoice),
            )
        )
    rest = len(invoices) - len(shown)
    if rest:
        if latest_only:
            more = _("… and {n} older not shown. Narrow it down: /invoices 2026-01.")
        else:
            more = _("… and {n} more not shown. Narrow it down: /invoices 2026-01.")
        rows.append(more.format(n=rest))
    rows.append(_("Send /invoice followed by a number for its PDF."))
    return "\n".join(rows)


def family_account(
    balance: FamilyBalance, target: InvoiceView | None, settled: InvoiceView | None, currency: str
) -> str:
    """Show what a family owes, its open invoices, and ask how much they paid."""
    money = _currency(currency)
    name = esc(balance.customer_name)
    if balance.balance_sen > 0:
        rows = [
            _("💰 <b>{name}</b> owes <b>{amount}</b>.").format(
                name=name, amount=money(balance.balance_sen)
            )
        ]
    elif balance.balance_sen < 0:
        rows = [
            _("💰 <b>{name}</b> owes nothing: {credit}.").format(
                name=name, credit=in_credit(-balance.balance_sen, currency)
            )
        ]
    else:
        rows = [_("💰 <b>{name}</b> owes nothing.").format(name=name)]
    if balance.unpaid:
        rows.append(_("Unpaid:"))
        for invoice in balance.unpaid[:10]:
            if invoice.overdue:
                row = _("• <code>{number}</code> {left} left, due {day} ⚠️ overdue")
            else:
                row = _("• <code>{number}</code> {left} left, due {day}")
            rows.append(
                row.format(
                    number=esc(invoice.number),
                    left=money(invoice.balance_sen),
                    day=_day(invoice.due_date),
                )
            )
    if settled is not None:
        status = _STATUS_WORDS.get(settled.status)
        rows.append(
            _(
                "{number} is {status} already, so this payment goes to the oldest unpaid "
                "invoices; anything left is credit."
            ).format(
                number=esc(settled.number), status=esc(_(status) if status else settled.status)
            )
        )
    elif target is not None:
        rows.append(
            _("This payment goes to <b>{number}</b> first.").format(number=esc(target.number))
        )
    rows.append("\n" + _("How much did they pay? Send an amount like 150, RM150 or RM 1,234.50."))
    return "\n".join(rows)


def payment_summary(
    name: str, amount_sen: int, method_label: str, paid_on: date, invoice: str, currency: str
) -> str:
    """Ask the operator to confirm the payment before it is recorded."""
    rows = [
        _("Please check:"),
        _("Family: <b>{name}</b>").format(name=esc(name)),
        _("Amount: <b>{amount}</b>").format(amount=_currency(currency)(amount_sen)),
        _("Method: {method}").format(method=esc(method_label)),
        _("Paid on: {day}").format(day=_day(paid_on)),
    ]
    if invoice:
        rows.append(_("For: {number} first").format(number=esc(invoice)))
    return "\n".join(rows)


def payment_recorded(
    payment: PaymentView, balance: FamilyBalance, linked: bool, currency: str
) -> str:
    """Confirm a payment: where it went, the family's balance now, and the receipt."""
    money = _currency(currency)
    name = esc(payment.customer_name)
    rows = [
        _("✅ Recorded {amount} ({method}) from {name} on {day}.").format(
            amount=money(payment.amount_sen),
            method=esc(payment.method_label),
            name=name,
            day=_day(payment.paid_on),
        ),
        _("It went to: {where}.").format(where=esc(describe_allocation(payment, currency))),
    ]
    if balance.balance_sen > 0:
        rows.append(
            _("{name} still owes <b>{amount}</b>.").format(
                name=name, amount=money(balance.balance_sen)
            )
        )
    elif balance.balance_sen < 0:
        rows.append(
            _("{name} is paid up, with <b>{credit}</b>.").format(
                name=name, credit=in_credit(-balance.balance_sen, currency)
            )
        )
    else:
        rows.append(_("{name} is all paid up.").format(name=name))
    receipt = esc(payment.receipt_number)
    if linked:
        rows.append(_("🧾 Receipt {receipt} is on its way to the parent.").format(receipt=receipt))
    else:
        rows.append(
            _(
                "🧾 The parent has not linked their Telegram yet: receipt {receipt} goes to them "
                "when they do."
            ).format(receipt=receipt)
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
    business = esc(report.business_name)
    if not report.months:
        return _("📊 <b>{business}</b>: nothing invoiced yet.").format(business=business)
    month = report.months[-1]
    lines = [
        f"📊 <b>{business}</b> · {_month(month.month)}",
        _("Invoiced: {amount}").format(amount=money(month.invoiced_sen)),
        _("Collected: {amount}").format(amount=money(month.collected_sen)),
        _("Outstanding: {amount}").format(amount=money(month.outstanding_sen)),
        _("Overdue families: {n}").format(n=report.overdue_families),
        _("Collection rate: {rate}").format(rate=_rate(month.collection_rate_bp)),
    ]
    if report.credit_sen:  # paid over: not collection until it pays an invoice
        lines.append(
            i18n.ngettext(
                "Held for {n} family: {credit}",
                "Held for {n} families: {credit}",
                report.families_in_credit,
            ).format(
                n=report.families_in_credit, credit=in_credit(report.credit_sen, report.currency)
            )
        )
    return "\n".join(lines)


def no_reminders_due(outlook: ReminderOutlook) -> str:
    """Say no reminder is due today, and why: who owes, and when the next one goes out."""
    if outlook.owing_families == 0:
        return _("No reminders are due today: every family is paid up.")
    owing = outlook.owing_families
    lines = [
        i18n.ngettext(
            "No reminders are due today, but {n} family owes money.",
            "No reminders are due today, but {n} families owe money.",
            owing,
        ).format(n=owing)
    ]
    if outlook.held:
        if outlook.held_until:
            until = _("08:00 on {day}").format(day=_day(outlook.held_until))
        else:
            until = "08:00"
        lines.append(
            i18n.ngettext(
                "🌙 {n} reminder queued already waits for quiet time (21:00 to 08:00) to end: "
                "it goes out at {until}.",
                "🌙 {n} reminders queued already wait for quiet time (21:00 to 08:00) to end: "
                "they go out at {until}.",
                outlook.held,
            ).format(n=outlook.held, until=until)
        )
    if not outlook.reminders_enabled:
        lines.append(_("Reminders are switched off: switch them on in /business."))
    elif outlook.next_on is not None:
        lines.append(
            _("The next reminder goes out on {day} at {time}.").format(
                day=_day(outlook.next_on), time=f"{outlook.reminder_hour:02d}:00"
            )
        )
    elif not outlook.held and outlook.paused_families < outlook.owing_families:
        lines.append(_("Every reminder has gone out for what they owe already."))
    if outlook.paused_families:
        lines.append(
            i18n.ngettext(
                "Reminders are paused for {n} family.",
                "Reminders are paused for {n} families.",
                outlook.paused_families,
            ).format(n=outlook.paused_families)
        )
    return "\n".join(lines)


def reminders_to_send(invoices: int, families: int, unlinked: int) -> str:
    """Say how many reminders are due today and ask to send them."""
    text = i18n.ngettext(
        "🔔 {n} reminder due today, for {families}.",
        "🔔 {n} reminders due today, for {families}.",
        invoices,
    ).format(n=invoices, families=_families(families))
    if unlinked:
        text += "\n" + i18n.ngettext(
            "{n} family not linked yet: theirs wait until they link.",
            "{n} families not linked yet: theirs wait until they link.",
            unlinked,
        ).format(n=unlinked)
    return text + "\n" + _("Send them now?")


def reminders_queued(queued: int, families: int, quiet_until: date | None) -> str:
    """Say how many reminders were queued, and when they go out."""
    if queued == 0:
        return _("Nothing new to send: today's reminders were queued already.")
    text = i18n.ngettext(
        "🔔 Queued {n} reminder for {families}.",
        "🔔 Queued {n} reminders for {families}.",
        queued,
    ).format(n=queued, families=_families(families))
    if quiet_until is not None:
        return (
            text
            + "\n"
            + _(
                "It is quiet time (21:00 to 08:00), so they wait and go out at 08:00 on {day}."
            ).format(day=_day(quiet_until))
        )
    return text + " " + _("They are going out now.")


# Importing families from a file.

_IMPORT_WORDS: dict[str, str] = {
    "IMPORT_HOW": i18n.N_(
        "📥 <b>Add your families from a file</b>\n"
        "Fill in this template in Excel or Google Sheets — one row per child, a family's "
        "children on rows with the same phone number — and send it back to me as .xlsx or "
        "CSV.\n\n"
        "<b>parent</b> and <b>child</b>: names. <b>phone</b>: e.g. 012-345 6789. "
        "<b>category</b>: kindergarten, primary, secondary or other. <b>birth_year</b>: e.g. "
        "2017. <b>routes</b>: your route names, separated by ; . <b>fee</b>: leave it empty for "
        "the route's fee, or a special monthly fee for that child (for a route you have not "
        "added yet, its fee).\n\nI show you what I found before anything is saved."
    ),
    "IMPORT_CANCELLED": i18n.N_("Import cancelled. Nothing was saved."),
    "IMPORT_GONE": i18n.N_("That import is no longer waiting. Send the file again."),
    "IMPORT_CONFIRM_BUTTON": i18n.N_("✅ Import"),
    "IMPORT_CANCEL_BUTTON": i18n.N_("✖ Cancel"),
    "DUITNOW_USE_BUTTON": i18n.N_("✅ Use it on my invoices"),
    "DUITNOW_NO_BUTTON": i18n.N_("✖ No"),
    "DUITNOW_NOT_SAVED": i18n.N_("All right, I did not save that QR code."),
    "DUITNOW_GONE": i18n.N_("That QR code is no longer waiting. Send the picture again."),
    "FILE_NOT_UNDERSTOOD": i18n.N_(
        "I can take: a CSV or Excel .xlsx file of families (send /import for the template), or "
        "a photo, screenshot or PDF of your bank's DuitNow QR. For a logo, use /business → "
        "Logo."
    ),
}
_CONSTANTS.update({name: (lambda m=message: _(m)) for name, message in _IMPORT_WORDS.items()})
MAX_REFUSALS_SHOWN = 15


def import_preview(plan: ImportPlan, currency: str) -> str:
    """Show what a file would import, and each row refused with its number and reason."""
    money = _currency(currency)
    lines = [
        i18n.ngettext(
            "📄 <b>{file}</b>: {n} row.", "📄 <b>{file}</b>: {n} rows.", plan.rows
        ).format(file=esc(plan.filename or _("Your file")), n=plan.rows)
    ]
    if plan.families:
        lines.append(
            _(
                "Ready to import <b>{families}</b> with <b>{children}</b>; monthly total "
                "<b>{total}</b> (before sibling discounts)."
            ).format(
                families=_families(len(plan.families)),
                children=_children(plan.children),
                total=money(plan.monthly_total_sen),
            )
        )
        archived = sum(1 for f in plan.families if f.archived)
        if archived:
            lines.append(
                i18n.ngettext(
                    "{n} family of them archived.", "{n} families of them archived.", archived
                ).format(n=archived)
            )
        for family in plan.families[:5]:
            kids = ", ".join(esc(c.name) for c in family.children) or _("no children")
            lines.append(f"• {esc(family.parent)}: {kids}")
        if len(plan.families) > 5:
            lines.append(_("• … and {n} more").format(n=len(plan.families) - 5))
    else:
        lines.append(_("<b>No family in it can be imported.</b>"))
    if plan.new_routes:
        new = ", ".join(f"{esc(name)} ({money(fee)})" for name, fee in plan.new_routes)
        lines.append(_("New routes to create: {routes}.").format(routes=new))
    if plan.refused:
        refused = len(plan.refused)
        if plan.families:
            left_out = i18n.ngettext(
                "⚠️ {n} row left out (fix them and send the file again, or import the rest):",
                "⚠️ {n} rows left out (fix them and send the file again, or import the rest):",
                refused,
            )
        else:
            left_out = i18n.ngettext("⚠️ {n} row left out:", "⚠️ {n} rows left out:", refused)
        lines.append("\n" + left_out.format(n=refused))
        for refusal in plan.refused[:MAX_REFUSALS_SHOWN]:
            lines.append(
                _("Row {row}: {reason}.").format(
                    row=refusal.row, reason=esc(error_texts.short(refusal.reason))
                )
            )
        if refused > MAX_REFUSALS_SHOWN:
            lines.append(_("… and {n} more.").format(n=refused - MAX_REFUSALS_SHOWN))
    if plan.families:
        lines.append("\n" + _("Import them? All of them are saved together, or none."))
    return "\n".join(lines)


def import_done(done: ImportDone) -> str:
    """Confirm what an import wrote."""
    text = _("✅ Imported {families} and {children}, on their routes from {month}.").format(
        families=_families(done.families),
        children=_children(done.children),
        month=_month(done.start_month),
    )
    if done.new_routes:
        text += " " + _("New routes: {routes}.").format(routes=esc(", ".join(done.new_routes)))
    return (
        text
        + "\n"
        + _("See them with /customers; send each parent their invite link from a family's card.")
    )


def import_button(families: int) -> str:
    """Label the button that imports a previewed file."""
    return i18n.ngettext("✅ Import {n} family", "✅ Import {n} families", families).format(
        n=families
    )


# The bank's DuitNow QR.


def duitnow_found(code: DuitNowCode) -> str:
    """Show what the QR says, and ask to use it."""
    where = ", ".join(esc(x) for x in (code.merchant_name, code.merchant_city) if x)
    if code.is_duitnow:
        text = _(
            "🔎 DuitNow QR for <b>{account}</b>. Use it on your invoices?\n"
            "Each invoice with money to pay will carry it, with the amount to enter."
        )
    else:
        text = _(
            "🔎 Payment QR for <b>{account}</b>. Use it on your invoices?\n"
            "Each invoice with money to pay will carry it, with the amount to enter."
        )
    return text.format(account=where or _("an unnamed account"))


def duitnow_saved(code_name: str) -> str:
    """Confirm the QR is kept."""
    return _(
        "✅ Saved. Every invoice with money to pay now carries the DuitNow QR for "
        "<b>{account}</b>."
    ).format(account=esc(code_name) if code_name else _("your account"))


# The guided first set-up (bot/conversations/setup.py).

SETUP_STEPS = ("name", "phone", "bank", "account", "holder", "qr", "due", "routes", "families")
_SETUP_WORDS: dict[str, str] = {
    "SETUP_SKIP_BUTTON": i18n.N_("Skip ⏭"),
    "SETUP_ROUTES_DONE_BUTTON": i18n.N_("✅ That's all my routes"),
    "SETUP_TEMPLATE_BUTTON": i18n.N_("📄 Template to fill in"),
    "SETUP_FINISH_BUTTON": i18n.N_("Finish set-up"),
    "SETUP_WANTS_PICTURE": i18n.N_(
        "Send a photo, screenshot or PDF of your DuitNow QR here, or tap Skip."
    ),
    "SETUP_WANTS_FILE": i18n.N_(
        "Send your families as a CSV or Excel file here, tap Template for one to fill in, or "
        "tap Finish set-up."
    ),
    "SETUP_CANCELLED": i18n.N_(
        "Set-up paused. Everything you answered is saved; /start goes on from here."
    ),
}
_CONSTANTS.update({name: (lambda m=message: _(m)) for name, message in _SETUP_WORDS.items()})
_SETUP_INTRO = i18n.N_(
    "Welcome! Let's set up your van business: {count} short steps. Tap Skip for any of them; "
    "stop whenever you like — /start brings you back to where you were."
)
_CONSTANTS["SETUP_INTRO"] = lambda: _(_SETUP_INTRO)
_SETUP_QUESTIONS = {
    "name": i18n.N_("Your business name, as parents should see it on invoices and receipts?"),
    "phone": i18n.N_("Your phone number for parents, e.g. 012-345 6789?"),
    "bank": i18n.N_("Your bank, e.g. Maybank?"),
    "account": i18n.N_("Your bank account number?"),
    "holder": i18n.N_(
        "The account holder's name, exactly as your bank has it (parents see it before they pay)?"
    ),
    "qr": i18n.N_(
        "Your DuitNow QR: send a photo or screenshot of the QR your bank gave you, or the PDF. "
        "I print it on every invoice with the amount to enter."
    ),
    "due": i18n.N_("Which day of the month are invoices due? A day from 1 to 28, e.g. 7."),
    "routes": i18n.N_(
        "Your routes and their monthly fees, one per line, e.g.\n<code>Morning 150</code>\n"
        "<code>Afternoon 120</code>"
    ),
    "families": i18n.N_(
        "Now your families: send a CSV or Excel file with them all (tap Template for one to "
        "fill in), or add them one by one afterwards with /newcustomer."
    ),
}


def setup_question(step: str, *, intro: bool = False, done: str = "") -> str:
    """Ask a set-up step's question, numbered, after what was just saved (and the welcome)."""
    number = SETUP_STEPS.index(step) + 1
    parts = []
    if intro:
        parts.append(_(_SETUP_INTRO).format(count=len(SETUP_STEPS)))
    if done:
        parts.append(done)
    parts.append(f"<b>{number}/{len(SETUP_STEPS)}</b> {_(_SETUP_QUESTIONS[step])}")
    return "\n\n".join(parts)


def setup_saved(label: str, value: str) -> str:
    """Say what a step saved."""
    return f"✅ {esc(label)}: <b>{esc(value)}</b>"


def routes_added(added: Sequence[ServiceView], currency: str) -> str:
    """Confirm the routes typed in the set-up, and ask for more."""
    money = _currency(currency)
    lines = "\n".join(
        _("✅ {route}: {fee} a month").format(route=esc(r.name), fee=money(r.monthly_fee_sen))
        for r in added
    )
    return f"{lines}\n" + _("Send more, or tap the button when they are all there.")


def setup_finished(ready: Readiness) -> str:
    """Say what is ready after the set-up and the next thing to do."""
    operator = ready.operator
    have, missing = [], []
    checks = (
        (i18n.N_("business name"), bool(operator.business_name)),
        (i18n.N_("phone"), bool(operator.phone)),
        (i18n.N_("bank account"), bool(operator.bank_account)),
        (i18n.N_("account holder"), bool(operator.account_holder)),
        (i18n.N_("DuitNow QR on invoices"), bool(operator.payment_qr_payload)),
    )
    for label, ok in checks:
        (have if ok else missing).append(_(label))
    have.append(_("invoices due on day {day}").format(day=operator.due_day))
    if ready.routes:
        have.append(i18n.ngettext("{n} route", "{n} routes", ready.routes).format(n=ready.routes))
    else:
        missing.append(_("routes"))
    if ready.families:
        have.append(_families(ready.families))
    else:
        missing.append(_("families"))
    text = _("🎉 <b>Set-up done.</b>\nReady: {ready}.").format(ready=", ".join(have))
    if missing:
        text += "\n" + _("Still to add: {missing} (any time in /business).").format(
            missing=", ".join(missing)
        )
    if not ready.routes:
        step = _("add a route with /newservice")
    elif not ready.families:
        step = _("add your families: send a file (/import for the template) or use /newcustomer")
    else:
        step = _(
            "invite each parent from their card in /customers (a link or a QR code to print); "
            "invoices go out on day {day} of each month, or bill now with /newinvoice"
        ).format(day=operator.billing_day)
    return text + "\n\n" + _("Next: {step}.").format(step=step)


def setup_timed_out(after: timedelta) -> str:
    """Say a quiet set-up was paused, and how to go on."""
    return _(
        "I paused the set-up after {duration} without an answer. What you answered is saved; "
        "send /start to go on where you were."
    ).format(duration=duration(after))


# Operator notices of the onboarding (services/links.py, services/digests.py).


def parent_now_linked(name: str) -> str:
    """Tell the operator a parent linked their Telegram."""
    return _(
        "🔗 <b>{name}</b> is now linked — their invoices, reminders and receipts will go to them "
        "here in Telegram."
    ).format(name=esc(name))


def daily_digest(meta: Mapping[str, Any]) -> str:
    """Word the operator's daily digest."""
    money = _currency("MYR")

    def count(key: str) -> int:
        value = meta.get(key, 0)
        return value if isinstance(value, int) else 0

    day = date.fromisoformat(str(meta["day"]))
    lines = [_("🗓 <b>Your day, {day}</b>").format(day=_day(day))]
    if count("payments"):
        payments = _("• Payments recorded: {n} ({amount})").format(
            n=count("payments"), amount=money(count("collected_sen"))
        )
    else:
        payments = _("• Payments recorded: {n}").format(n=0)
    lines.append(payments)
    lines.append(_("• Slips waiting for you: {n}").format(n=count("slips_waiting")))
    if count("falling_due"):
        due = _("• Invoices falling due in the next 3 days: {n} ({amount} to collect)").format(
            n=count("falling_due"), amount=money(count("falling_due_sen"))
        )
    else:
        due = _("• Invoices falling due in the next 3 days: {n}").format(n=0)
    lines.append(due)
    lines.append(_("• Families overdue: {n}").format(n=count("families_overdue")))
    if count("deliveries_failed"):
        lines.append(
            _("• ⚠️ Messages that could not be delivered: {n}").format(n=count("deliveries_failed"))
        )
    lines.append("\n" + _("/invoices overdue lists who owes; switch this off in /business."))
    return "\n".join(lines)


# -- School year (issue 12): a slip back after Undo, a month's part for a child joining ------
# -- mid-month before the run (bot/handlers/corrections.py, bot/conversations/family.py) ------


def slip_waiting_again(family_name: str) -> str:
    """Say the slip an undone payment was recorded from waits again (it is shown below)."""
    return _(
        "🧾 The transfer slip from <b>{name}</b> is waiting again: record it below with the "
        "right amount or method, or dismiss it."
    ).format(name=esc(family_name))


def ask_join_billing(child: str, joined_on: date, period: date) -> str:
    """Ask how the month a child joins in its middle is billed by its run (still to come)."""
    return _(
        "{child} joins today, {day}, in the middle of {month}; {month}'s invoices are still to "
        "go out. How should {child}'s routes be billed for {month}? Each button shows the figure."
    ).format(child=esc(child), day=i18n.day(joined_on), month=i18n.month_name(period))


def join_billing_saved(child: str, period: date, amount_sen: int, currency: str) -> str:
    """Say what the month's run will bill for a child who joined in its middle."""
    return _("{month}'s run will bill {amount} for {child}'s routes, as you chose.").format(
        month=i18n.month_name(period),
        child=esc(child),
        amount=format_money(amount_sen, currency),
    )


# -- A family's language, on its card (bot/handlers/customers.py) ----------------------------

_CONSTANTS.update(
    {
        "FAMILY_LANGUAGE_BUTTON": lambda: _("🌐 Language"),
        "FAMILY_LANGUAGE_AUTO": lambda: _("The parent's own (from Telegram)"),
    }
)


def family_language_prompt(family: CustomerView) -> str:
    """Ask which language a family's invoices, reminders and receipts are in."""
    current = i18n.NATIVE_NAMES.get(family.language or "", "")
    if current:
        return _(
            "Which language are <b>{family}</b>'s invoices, reminders and receipts in? "
            "Now: {language}."
        ).format(family=esc(family.name), language=current)
    return _(
        "Which language are <b>{family}</b>'s invoices, reminders and receipts in? "
        "Now: the parent's own, as their Telegram reports it."
    ).format(family=esc(family.name))


def family_language_set(family_name: str, locale: str | None) -> str:
    """Confirm a family's language."""
    if locale is None:
        return _(
            "Done: <b>{family}</b> gets their documents in the language their Telegram reports."
        ).format(family=esc(family_name))
    return _("Done: <b>{family}</b> gets their documents in {language} from now on.").format(
        family=esc(family_name), language=i18n.NATIVE_NAMES[locale]
    )


# -- Families change: the family card's edit buttons, children joining, leaving and moving, ----
# -- a month billed now, charges and credits, late fees (bot/conversations/family.py) ---------

_FAMILY_WORDS: dict[str, str] = {
    "EDIT_DETAILS_BUTTON": i18n.N_("✏️ Edit details"),
    "CHILDREN_BUTTON": i18n.N_("👧 Children"),
    "ADJUST_BUTTON": i18n.N_("➕ Charge or credit"),
    "PAUSE_BUTTON": i18n.N_("🔕 Pause reminders"),
    "RESUME_BUTTON": i18n.N_("🔔 Resume reminders"),
    "ADD_CHILD_BUTTON": i18n.N_("➕ Add a child"),
    "LEAVES_BUTTON": i18n.N_("👋 Leaves"),
    "MOVE_BUTTON": i18n.N_("🔀 Change route"),
    "CHARGE_BUTTON": i18n.N_("➕ Charge (trip, replacement…)"),
    "CREDIT_BUTTON": i18n.N_("➖ Credit (goodwill, van off…)"),
    "NEXT_INVOICE_BUTTON": i18n.N_("On the next invoice"),
    "OWN_INVOICE_BUTTON": i18n.N_("An invoice of its own now"),
    "CREDIT_NOW_BUTTON": i18n.N_("A credit note now"),
    "WAIVE_BUTTON": i18n.N_("🙅 Waive late fee"),
    "FAMILY_EXPIRED": i18n.N_(
        "That button has expired. Send /customer and the family's name again."
    ),
    "ASK_NEW_CHILD": i18n.N_("The new child's name? (/cancel to stop)"),
    "LATE_FEE_HINT": i18n.N_(
        "A fixed amount or a percentage of what is unpaid, and the days after the due date, "
        "e.g. RM 10 after 7, or 5% after 14. Send - for no late fee."
    ),
}
_CONSTANTS.update({name: (lambda m=message: _(m)) for name, message in _FAMILY_WORDS.items()})
_PARENT_FIELD_LABELS = {
    "name": i18n.N_("parent's name"),
    "phone": i18n.N_("phone number"),
    "notes": i18n.N_("notes"),
}
_CHILD_FIELD_LABELS = {
    "name": i18n.N_("name"),
    "school": i18n.N_("school"),
    "category": i18n.N_("category"),
    "birth_year": i18n.N_("birth year"),
}
_CONSTANTS["PARENT_FIELD_LABELS"] = lambda: {k: _(v) for k, v in _PARENT_FIELD_LABELS.items()}
_CONSTANTS["CHILD_FIELD_LABELS"] = lambda: {k: _(v) for k, v in _CHILD_FIELD_LABELS.items()}
_RULE_WORDS = {
    "full": i18n.N_("full"),
    "half": i18n.N_("half"),
    "none": i18n.N_("nothing"),
    "days": i18n.N_("by days"),
    "school_days": i18n.N_("by school days"),
}
_CONSTANTS["RULE_WORDS"] = lambda: {k: _(v) for k, v in _RULE_WORDS.items()}


def _rule(rule: str) -> str:
    word = _RULE_WORDS.get(rule)
    return _(word) if word else rule


def _none() -> str:
    return _("<i>none</i>")


def family_edit_menu(family: CustomerView) -> str:
    """Ask which of the parent's details to change."""
    return _(
        "✏️ <b>{name}</b>\nPhone: {phone}\nNotes: {notes}\n\nWhat do you want to change?"
    ).format(
        name=esc(family.name),
        phone=esc(family.phone) if family.phone else _none(),
        notes=esc(family.notes) if family.notes else _none(),
    )


_ASK_PARENT_FIELD = {
    "name": i18n.N_(
        "The new parent's name of <b>{family}</b>? "
        "Send the parent's name as it should appear on invoices."
    ),
    "phone": i18n.N_(
        "The new phone number of <b>{family}</b>? "
        "Send the phone number, e.g. 012-345 6789, or - to remove it."
    ),
    "notes": i18n.N_(
        "The new notes of <b>{family}</b>? Send the notes (only you see them), or - to clear them."
    ),
}
_PARENT_FIELD_SAVED = {
    "name": i18n.N_("✅ Saved. The parent's name is now {value}."),
    "phone": i18n.N_("✅ Saved. The phone number is now {value}."),
    "notes": i18n.N_("✅ Saved. The notes is now {value}."),
}


def ask_parent_field(field: str, family_name: str) -> str:
    """Ask for a new value of one of the parent's details."""
    return _(_ASK_PARENT_FIELD[field]).format(family=esc(family_name))


def parent_field_saved(field: str, family: CustomerView) -> str:
    """Confirm a changed detail of the parent."""
    value = getattr(family, field)
    return _(_PARENT_FIELD_SAVED[field]).format(value=esc(value) if value else _none())


def children_menu(family: CustomerView, taken: Sequence[EnrollmentView]) -> str:
    """List a family's children and their routes, and ask which to change."""
    if not family.children:
        return _("<b>{name}</b> has no children yet.").format(name=esc(family.name))
    lines = [_("Children of <b>{name}</b>:").format(name=esc(family.name))]
    for child in family.children:
        names = [e.service_name for e in taken if e.child_id == child.id]
        lines.append(_child_line(child, names))
    return "\n".join([*lines, "", _("Tap a child to change them, or add one.")])


def child_menu(child: ChildView, taken: Sequence[EnrollmentView]) -> str:
    """Show one child and what can change."""
    names = [e.service_name for e in taken if e.child_id == child.id]
    return _child_line(child, names) + "\n\n" + _("What do you want to change?")


_ASK_CHILD_FIELD = {
    "name": i18n.N_("The new name of {child}? Send the child's name."),
    "school": i18n.N_("The new school of {child}? Send the school, or - to clear it."),
    "birth_year": i18n.N_(
        "The new birth year of {child}? "
        "Send the birth year (e.g. 2017) or the age (e.g. 8), or - to clear it."
    ),
    "category": i18n.N_("The new category of {child}? Tap one:"),
}


def ask_child_field(field: str, child_name: str) -> str:
    """Ask for a new value of one of a child's details."""
    return _(_ASK_CHILD_FIELD[field]).format(child=esc(child_name))


def child_saved(child: ChildView) -> str:
    """Confirm a changed child."""
    line = _child_line(child, [])
    for no_route in {" — no route", " — " + esc(_("no route"))}:
        line = line.replace(no_route, "")
    return _("✅ Saved: {child}").format(child=line)


def ask_new_child_start(child: str, routes: int, this_month: date) -> str:
    """Ask from which month the new child's routes run."""
    if not routes:
        return _("{child} takes no route for now. Save them?").format(child=esc(child))
    return _("From which month does {child} ride? {month} is this month.").format(
        child=esc(child), month=_month(this_month)
    )


def child_added(added: object, family_name: str) -> str:
    """Confirm a child added to a family."""
    child = added.child  # type: ignore[attr-defined]
    routes = added.routes  # type: ignore[attr-defined]
    start = added.start_month  # type: ignore[attr-defined]
    if not routes:
        return _("✅ Added {child} to <b>{family}</b> (no route).").format(
            child=esc(child.name), family=esc(family_name)
        )
    return _("✅ Added {child} to <b>{family}</b>: {routes} from {month}.").format(
        child=esc(child.name),
        family=esc(family_name),
        routes=", ".join(esc(r) for r in routes),
        month=_month(start),
    )


def bill_month_offer(family_name: str, period: date, own_invoice: bool) -> str:
    """Offer to bill a month whose run was made before these routes were added."""
    if own_invoice:
        text = _(
            "{month}'s invoices went out before these new routes were added. "
            "Bill {month_only} now? Each button shows what it bills."
        )
    else:
        text = _(
            "{month}'s invoices went out before <b>{family}</b> were added. "
            "Bill {month_only} now? Each button shows what it bills."
        )
    return text.format(
        month=_month(period), month_only=_month_only(period), family=esc(family_name)
    )


def bill_now_button(period: date) -> str:
    """Label the card's button of a month not billed yet for routes added after its run."""
    return _("🧾 Bill {month} now…").format(month=_month_only(period))


def bill_button(rule: str, amount_sen: int, currency: str) -> str:
    """Label a 'bill this month now' choice with its figure."""
    return f"{format_money(amount_sen, currency)} ({_rule(rule)})"


def from_next_month_button(month: date) -> str:
    """Label the choice of not billing this month."""
    return _("From {month}").format(month=_month_only(month))


def month_billed(billed: object, currency: str) -> str:
    """Say what billing a month now did."""
    period, rule = billed.period, billed.rule  # type: ignore[attr-defined]
    total, invoice_id = billed.total_sen, billed.invoice_id  # type: ignore[attr-defined]
    if rule == "next":
        return _("✅ {month} is not billed; the routes start next month.").format(
            month=_month(period)
        )
    if invoice_id is None:
        return _("✅ Nothing billed for {month} ({rule}).").format(
            month=_month(period), rule=_rule(rule)
        )
    return _("✅ Billed {month}: {total} ({rule}). The invoice goes to the parent.").format(
        month=_month(period), total=format_money(total, currency), rule=_rule(rule)
    )


def ask_leave_when(child: str, today: date, this_month: date, next_month: date) -> str:
    """Ask when a child stops riding."""
    return _(
        "When does {child} stop riding? Their routes end then; their history stays.\n"
        "Today is {day}."
    ).format(child=esc(child), day=_day(today))


def leave_today_button(today: date) -> str:
    """Label 'leaves today'."""
    return _("Today, {day}").format(day=_day(today))


def leave_end_button(month: date) -> str:
    """Label 'after a month'."""
    return _("After {month}").format(month=_month(month))


def ask_leave_billing(child: str, today: date) -> str:
    """Ask how the month a child leaves in is billed (each button has its figure)."""
    return _(
        "{child} rides until {day}. How is {month} billed for them? "
        "A month invoiced already gives the family a credit note for the difference."
    ).format(child=esc(child), day=_day(today), month=_month(today))


def child_left(left: object, currency: str) -> str:
    """Confirm a child's routes ended."""
    name, last = left.child_name, left.last_day  # type: ignore[attr-defined]
    credit, note = left.credit_sen, left.credit_note  # type: ignore[attr-defined]
    text = _("✅ {child} rides until {day}; their routes end then.").format(
        child=esc(name), day=_day(last)
    )
    if credit:
        text += " " + _("Credit note {note}: {amount} for the family.").format(
            note=esc(note), amount=format_money(credit, currency)
        )
    return text


def ask_move_from(child: str) -> str:
    """Ask which of a child's routes changes."""
    return _("Which of {child}'s routes changes?").format(child=esc(child))


def ask_move_to(child: str, old_route: str) -> str:
    """Ask for the new route."""
    return _("{child} leaves {route} for which route?").format(
        child=esc(child), route=esc(old_route)
    )


def ask_move_month(child: str, new_route: str) -> str:
    """Ask from which month the new route runs."""
    return _("From which month does {child} take {route}?").format(
        child=esc(child), route=esc(new_route)
    )


def month_button(month: date) -> str:
    """Label a month."""
    return _("From {month}").format(month=_month(month))


def child_moved(moved: object) -> str:
    """Confirm a change of route."""
    name, old, new = moved.child_name, moved.old_route, moved.new_route  # type: ignore[attr-defined]
    start = moved.from_month  # type: ignore[attr-defined]
    return _(
        "✅ {child} takes {new} from {month} instead of {old}. "
        "Months billed already stay as they were."
    ).format(child=esc(name), new=esc(new), month=_month(start), old=esc(old))


def no_route_to_change(child: str) -> str:
    """Say a child has no route to change or end."""
    return _("{child} takes no route now.").format(child=esc(child))


def reminders_paused(family: CustomerView) -> str:
    """Confirm reminders paused or resumed."""
    if family.reminders_paused:
        text = _("🔕 Reminders paused for <b>{name}</b>. Invoices still go out.")
    else:
        text = _("🔔 Reminders resumed for <b>{name}</b>.")
    return text.format(name=esc(family.name))


def ask_adjustment_kind(family_name: str) -> str:
    """Ask whether it is a charge or a credit."""
    return _("A one-off charge or a credit for <b>{name}</b>?").format(name=esc(family_name))


def ask_adjustment_text(kind: str) -> str:
    """Ask for the description."""
    if kind == "charge":
        return _(
            "What is it for? It is printed on the invoice, e.g. <i>School trip to Zoo Negara</i>."
        )
    return _("What is it for? It is printed on the invoice, e.g. <i>Van off 3 days in March</i>.")


def ask_adjustment_amount(description: str) -> str:
    """Ask for the amount."""
    return _("How much for {line}? E.g. 35 or RM 35.50.").format(line=esc(description))


def ask_adjustment_timing(kind: str, description: str, amount_sen: int, currency: str) -> str:
    """Ask when it takes effect."""
    if kind == "charge":
        text = _("Charge: {line}, <b>{amount}</b>.\nOn the family's next monthly invoice, or now?")
    else:
        text = _("Credit: {line}, <b>{amount}</b>.\nOn the family's next monthly invoice, or now?")
    return text.format(line=esc(description), amount=format_money(amount_sen, currency))


# (charge, credit) for each place an adjustment lands.
_ADJUSTMENT_SAVED = {
    "invoice": (
        i18n.N_("✅ Charge recorded: {line}, {amount}, on invoice {number}, sent to the parent."),
        i18n.N_("✅ Credit recorded: {line}, {amount}, on invoice {number}, sent to the parent."),
    ),
    "note": (
        i18n.N_(
            "✅ Charge recorded: {line}, {amount}, as credit note {number}: it settles what is "
            "owed first."
        ),
        i18n.N_(
            "✅ Credit recorded: {line}, {amount}, as credit note {number}: it settles what is "
            "owed first."
        ),
    ),
    "next": (
        i18n.N_("✅ Charge recorded: {line}, {amount}, on the family's next monthly invoice."),
        i18n.N_("✅ Credit recorded: {line}, {amount}, on the family's next monthly invoice."),
    ),
}


def adjustment_saved(adjustment: object, currency: str) -> str:
    """Confirm an adjustment recorded."""
    kind, text = adjustment.kind, adjustment.description  # type: ignore[attr-defined]
    amount = format_money(adjustment.amount_sen, currency)  # type: ignore[attr-defined]
    invoice_number = adjustment.invoice_number  # type: ignore[attr-defined]
    credit_note = adjustment.credit_note  # type: ignore[attr-defined]
    if invoice_number:
        where, number = "invoice", invoice_number
    elif credit_note:
        where, number = "note", credit_note
    else:
        where, number = "next", ""
    charge, credit = _ADJUSTMENT_SAVED[where]
    message = charge if kind == "charge" else credit
    return _(message).format(line=esc(text), amount=amount, number=esc(number))


def late_fee_setting(operator: OperatorView) -> str:
    """Show the late-fee rule in /business."""
    days = operator.late_fee_days
    if operator.late_fee_kind == "fixed":
        return i18n.ngettext("{amount} after {n} day", "{amount} after {n} days", days).format(
            amount=format_money(operator.late_fee_sen, operator.currency), n=days
        )
    if operator.late_fee_kind == "percent":
        return i18n.ngettext(
            "{percent} of what is unpaid after {n} day",
            "{percent} of what is unpaid after {n} days",
            days,
        ).format(percent=percent(operator.late_fee_bp), n=days)
    return _("none")


def late_fee_added(family_name: str, invoice_number: str, amount_sen: int, currency: str) -> str:
    """Tell the operator a late fee was added (with a button to waive it)."""
    return _("⏰ Late fee {amount} added to {number} ({name}). Tap to waive it.").format(
        amount=format_money(amount_sen, currency),
        number=esc(invoice_number),
        name=esc(family_name),
    )


def late_fee_waived(waived: object, currency: str) -> str:
    """Confirm a waived late fee."""
    number = waived.invoice_number  # type: ignore[attr-defined]
    amount = format_money(waived.amount_sen, currency)  # type: ignore[attr-defined]
    total = format_money(waived.total_sen, currency)  # type: ignore[attr-defined]
    return _("✅ Late fee {amount} waived on {number}; it now totals {total}.").format(
        amount=amount, number=esc(number), total=total
    )


def credit_note_notice(operator: OperatorView, meta: Mapping[str, object]) -> str:
    """Tell a parent about a credit note on their account."""
    amount = format_money(int(str(meta.get("amount_sen") or 0)), operator.currency)
    return _(
        "💚 <b>{business}</b> has credited your account with <b>{amount}</b>: {line}. "
        "It goes towards what you owe."
    ).format(business=esc(operator.display_name), amount=amount, line=esc(meta.get("description")))


# -- Corrections and history: void an invoice or a payment, Undo, a family's history --------
# -- (bot/conversations/voiding.py, bot/handlers/corrections.py) ----------------------------

_VOID_IT = i18n.N_("🚫 Void it")
_KEEP_IT = i18n.N_("Keep it")
_CORRECTION_WORDS: dict[str, str] = {
    "UNDO_BUTTON": i18n.N_("↩️ Undo"),
    "VOID_INVOICE_BUTTON": i18n.N_("🚫 Void invoice"),
    "VOID_IT_BUTTON": _VOID_IT,
    "KEEP_IT_BUTTON": _KEEP_IT,
    "HISTORY_BUTTON": i18n.N_("📜 History"),
    "FIX_BUTTON": i18n.N_("🛠 Fix a mistake"),
    "VOID_KEPT": i18n.N_("Kept: nothing was voided."),
    "VOID_EXPIRED": i18n.N_(
        "That button has expired. Open the family card again (/customer) to void something."
    ),
    # The reason recorded for an Undo, in the operator's words (it is shown like a typed one).
    "UNDONE_REASON": i18n.N_("Undone right after recording"),
}
_CONSTANTS.update({name: (lambda m=message: _(m)) for name, message in _CORRECTION_WORDS.items()})
_CONSTANTS["VOID_USE_BUTTONS"] = lambda: _("Tap {void} or {keep} above (or /cancel).").format(
    void=_(_VOID_IT), keep=_(_KEEP_IT)
)


def void_invoice_button(invoice: InvoiceView, currency: str) -> str:
    """Label the button that starts voiding an invoice (plain text)."""
    return f"🚫 {invoice.number} · {format_money(invoice.total_sen, currency)}"


def void_payment_button(payment: PaymentView, currency: str) -> str:
    """Label the button that starts voiding a payment (plain text)."""
    return f"🚫 {payment.receipt_number} · {format_money(payment.amount_sen, currency)}"


def fix_menu(name: str, invoices: int, payments: int) -> str:
    """Ask which of a family's invoices or payments was a mistake."""
    if not invoices and not payments:
        return _("<b>{name}</b> has no invoices or payments that could be voided.").format(
            name=esc(name)
        )
    return _(
        "Which of <b>{name}</b>'s invoices or payments was a mistake? Voiding asks for a "
        "reason, keeps it on record, and tells the parent if they received it."
    ).format(name=esc(name))


def ask_void_invoice_reason(invoice: InvoiceView, currency: str) -> str:
    """Ask why an invoice is voided."""
    money = _currency(currency)
    text = _("Void <b>{number}</b> ({total}, {name})?").format(
        number=esc(invoice.number), total=money(invoice.total_sen), name=esc(invoice.customer_name)
    )
    if invoice.paid_sen:
        text += "\n" + _("{paid} paid on it becomes the family's credit.").format(
            paid=money(invoice.paid_sen)
        )
    return (
        text
        + "\n"
        + _("Why? Send the reason in a few words (e.g. <i>billed twice</i>). /cancel keeps it.")
    )


def ask_void_payment_reason(payment: PaymentView, currency: str) -> str:
    """Ask why a payment is voided."""
    money = _currency(currency)
    return _(
        "Void payment <b>{receipt}</b> ({amount} {method}, {name}, {day})?\n"
        "The invoices it paid are owed again.\n"
        "Why? Send the reason in a few words (e.g. <i>typed the wrong amount</i>). "
        "/cancel keeps it."
    ).format(
        receipt=esc(payment.receipt_number),
        amount=money(payment.amount_sen),
        method=esc(payment.method_label),
        name=esc(payment.customer_name),
        day=_day(payment.paid_on),
    )


def confirm_void(label: str, reason: str) -> str:
    """Ask to confirm a void, quoting the reason."""
    return _("Void <b>{what}</b>?\nReason: {reason}").format(what=esc(label), reason=esc(reason))


def invoice_voided(invoice: InvoiceView, balance: FamilyBalance, currency: str) -> str:
    """Confirm an invoice was voided, with what the family owes or holds now."""
    name = esc(invoice.customer_name)
    rows = [
        _("🚫 <b>{number}</b> is void ({reason}).").format(
            number=esc(invoice.number), reason=esc(invoice.void_reason)
        ),
        f"{name}: {_balance_words(balance.balance_sen, currency)}.",
    ]
    if invoice.period is not None:
        rows.append(
            _(
                "You can bill {month} again with /newinvoice (it includes the month's routes)."
            ).format(month=esc(_month(invoice.period)))
        )
    return "\n".join(rows)


def payment_voided(payment: PaymentView, balance: FamilyBalance, currency: str) -> str:
    """Confirm a payment was voided (or undone), with what the family owes or holds now."""
    money = _currency(currency)
    name = esc(payment.customer_name)
    if payment.void_reason:
        text = _(
            "🚫 Payment <b>{receipt}</b> of {amount} from {name} is void ({reason}): "
            "it no longer counts."
        )
    else:
        text = _(
            "🚫 Payment <b>{receipt}</b> of {amount} from {name} is void: it no longer counts."
        )
    text = text.format(
        receipt=esc(payment.receipt_number),
        amount=money(payment.amount_sen),
        name=name,
        reason=esc(payment.void_reason),
    )
    return f"{text}\n{name}: {_balance_words(balance.balance_sen, currency)}."


def undo_too_late(message: str) -> str:
    """Say the Undo window has closed and point to the void button below."""
    return f"⏱ {esc(message)}"


def void_invoice_caption(document: InvoiceDocument) -> str:
    """Caption the VOID-stamped invoice a parent receives when it is withdrawn."""
    invoice, operator = document.invoice, document.operator
    if invoice.void_reason:
        text = _(
            "🚫 <b>{business}</b>\nInvoice <b>{number}</b> for {name} is cancelled: {reason}. "
            "You do not need to pay it; anything paid on it counts as your credit."
        )
    else:
        text = _(
            "🚫 <b>{business}</b>\nInvoice <b>{number}</b> for {name} is cancelled. "
            "You do not need to pay it; anything paid on it counts as your credit."
        )
    return text.format(
        business=esc(operator.display_name),
        number=esc(invoice.number),
        name=esc(invoice.customer_name),
        reason=esc(invoice.void_reason),
    )


def void_receipt_caption(document: ReceiptDocument) -> str:
    """Caption the VOID-stamped receipt a parent receives when a payment is withdrawn."""
    payment, operator = document.payment, document.operator
    money = _money(operator)
    if payment.void_reason:
        text = _(
            "🚫 <b>{business}</b>\nReceipt <b>{receipt}</b> for {amount} was recorded by mistake "
            "and is cancelled ({reason})."
        )
    else:
        text = _(
            "🚫 <b>{business}</b>\nReceipt <b>{receipt}</b> for {amount} was recorded by mistake "
            "and is cancelled."
        )
    text = text.format(
        business=esc(operator.display_name),
        receipt=esc(payment.receipt_number),
        amount=money(payment.amount_sen),
        reason=esc(payment.void_reason),
    )
    if document.balance_after_sen > 0:
        text += "\n" + _("Still to pay: <b>{amount}</b>.").format(
            amount=money(document.balance_after_sen)
        )
    elif document.balance_after_sen < 0:
        text += "\n" + _("Your credit: <b>{amount}</b>.").format(
            amount=money(-document.balance_after_sen)
        )
    return text + "\n" + _("Please get in touch with them if anything is unclear.")


# What each audit log action is called in a family's history (words read when shown).
_HISTORY_ACTIONS: dict[str, str] = {
    "invoice_issued": i18n.N_("issued invoice"),
    "invoice_voided": i18n.N_("voided invoice"),
    "payment_recorded": i18n.N_("recorded payment"),
    "payment_voided": i18n.N_("voided payment"),
    "payment_undone": i18n.N_("undid payment"),
    "slip_recorded": i18n.N_("recorded a slip as payment"),
    "slip_dismissed": i18n.N_("dismissed slip"),
    "family.name": i18n.N_("changed the parent's name"),
    "family.phone": i18n.N_("changed the phone number"),
    "family.notes": i18n.N_("changed the notes"),
    "family.reminders_paused": i18n.N_("resumed the reminders"),
    "family.reminders_paused+": i18n.N_("paused the reminders"),
    "family.archived": i18n.N_("unarchived the family"),
    "family.archived+": i18n.N_("archived the family"),
    "family.bill_month": i18n.N_("billed a month now"),
    "family.join_billing": i18n.N_("chose how the month joined is billed"),
    "child.add": i18n.N_("added a child"),
    "child.leave": i18n.N_("recorded a child leaving"),
    "child.move": i18n.N_("moved a child to another route"),
    "child.name": i18n.N_("changed a child's name"),
    "child.school": i18n.N_("changed a child's school"),
    "child.category": i18n.N_("changed a child's school level"),
    "child.birth_year": i18n.N_("changed a child's birth year"),
    "adjustment.charge": i18n.N_("added a charge"),
    "adjustment.credit": i18n.N_("added a credit"),
    "invoice.late_fee": i18n.N_("added a late fee to invoice"),
    "invoice.waive_late_fee": i18n.N_("waived the late fee on invoice"),
    "settings.late_fee": i18n.N_("changed the late fee setting"),
}
_HISTORY_FIELDS: dict[str, str] = {
    "total_sen": i18n.N_("total"),
    "paid_sen": i18n.N_("paid"),
    "amount_sen": i18n.N_("amount"),
    "credit_sen": i18n.N_("credit"),
    "paid_on": i18n.N_("paid on"),
}
_CONSTANTS["HISTORY_ACTIONS"] = lambda: {k: _(v) for k, v in _HISTORY_ACTIONS.items()}
_CONSTANTS["HISTORY_FIELDS"] = lambda: {k: _(v) for k, v in _HISTORY_FIELDS.items()}


def _actor_words(event: AuditEvent, operator: OperatorView) -> str:
    if event.actor.kind == "operator":
        if event.actor.telegram_user_id in (None, operator.telegram_user_id):
            return _("You")
        return _("Staff {id}").format(id=event.actor.telegram_user_id)
    if event.actor.kind == "parent":
        return _("The parent")
    return "VanBill"


def _history_value(field: str, value: object, currency: str) -> str:
    if value is None or value == "":
        return "—"
    if field.endswith("_sen") and isinstance(value, int):
        return format_money(value, currency)
    if field in ("paid_on", "period") and isinstance(value, str):
        day = date.fromisoformat(value)
        return _month(day) if field == "period" else _day(day)
    return str(value)


def _history_subject(event: AuditEvent, currency: str) -> str:
    values = event.after or event.before or {}
    name = values.get("number") or values.get("receipt") or ""
    if not name and "slip" in values:
        name = _("slip #{number}").format(number=values["slip"])
    amount = values.get("total_sen", values.get("amount_sen"))
    money = f" {format_money(amount, currency)}" if isinstance(amount, int) else ""
    return f"{name}{money}".strip()


def history_entry(event: AuditEvent, operator: OperatorView) -> str:
    """Say one audit entry in plain words: when (local), who, what, before → after, why."""
    local = event.at.astimezone(zone(operator.timezone))
    # A flag switched on has its own words ("archived" against "unarchived").
    switched_on = (event.after or {}).get(event.action.partition(".")[2]) is True
    word = _HISTORY_ACTIONS.get(event.action + ("+" if switched_on else "")) or (
        _HISTORY_ACTIONS.get(event.action)
    )
    action = _(word) if word else event.action.replace("_", " ")
    what = (
        _("{who} {did} {what}")
        .format(
            who=esc(_actor_words(event, operator)),
            did=esc(action),
            what=esc(_history_subject(event, operator.currency)),
        )
        .rstrip()
    )
    rows = [f"<b>{_day(local.date())} {local:%H:%M}</b> · {what}"]
    if event.before is not None and event.after is not None:
        for field, old, new in event.changes():
            label_word = _HISTORY_FIELDS.get(field)
            label = _(label_word) if label_word else field.replace("_", " ")
            old_text = _history_value(field, old, operator.currency)
            new_text = _history_value(field, new, operator.currency)
            rows.append(f"   {esc(label)}: {esc(old_text)} → {esc(new_text)}")
    if event.reason:
        rows.append("   " + _("Reason: {reason}").format(reason=esc(event.reason)))
    return "\n".join(rows)


def family_history(name: str, events: Sequence[AuditEvent], operator: OperatorView) -> str:
    """Show a family's latest history entries, newest first."""
    if not events:
        return _("Nothing recorded yet in <b>{name}</b>'s history.").format(name=esc(name))
    head = i18n.ngettext(
        "📜 History of <b>{name}</b> (latest {n} entry):",
        "📜 History of <b>{name}</b> (latest {n} entries):",
        len(events),
    ).format(name=esc(name), n=len(events))
    return "\n\n".join([head, *(history_entry(e, operator) for e in events)])


# Refusals worded in bot/ (conversations, handlers, parsing): plain text, the error handler
# escapes them (texts.friendly).


def archived_cannot_change(name: str) -> str:
    """Refuse to change an archived family."""
    return _("{name} is archived; unarchive the family to change it.").format(name=name)


def archived_unarchive_first(name: str) -> str:
    """Refuse a charge or credit for an archived family."""
    return _("{name} is archived; unarchive the family first.").format(name=name)


def archived_cannot_bill(name: str) -> str:
    """Refuse to bill an archived family."""
    return _("{name} is archived; unarchive the family to bill it.").format(name=name)


def invoice_void_nothing_to_send(number: str) -> str:
    """Refuse to send a void invoice."""
    return _("{number} is void; there is nothing to send.").format(number=number)


def route_name_taken(name: str) -> str:
    """Refuse a route name already used."""
    return _("You already have a route called {name}.").format(name=repr(name))


def file_too_big(size_kb: int, limit_mb: int) -> str:
    """Refuse a file over the size limit."""
    return _("That file is too big ({size} kB); send one under {limit} MB.").format(
        size=f"{size_kb:,}", limit=limit_mb
    )


_REFUSAL_WORDS: dict[str, str] = {
    "NOTHING_TO_BILL_NOW": i18n.N_("Nothing of this month waits to be billed for this family."),
    "NO_OTHER_ROUTE": i18n.N_("There is no other active route. Add one with /newservice."),
    "LOST_THE_CHILD": i18n.N_("I lost track of the child. Send /newcustomer to start again."),
    "EARLIER_STEP": i18n.N_("That button belongs to an earlier step. Answer the last question."),
    "EARLIER_STEP_OR_CANCEL": i18n.N_(
        "That button belongs to an earlier step. Answer the last question, or /cancel."
    ),
}
_CONSTANTS.update({name: (lambda m=message: _(m)) for name, message in _REFUSAL_WORDS.items()})
