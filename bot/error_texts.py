"""The words of every domain error: services raise a code and parameters, this table words them.

`MESSAGES` maps each code (services/errors.py) to its English message, marked for the catalog
and translated when an error is shown, in the reader's language. A placeholder is a parameter of
the error, shown by its name: `*_sen` as money (RM 1,234.50), a date called `month` as the
month's name, any other date as a day, `field` and `amount_of` as the words of FIELDS and
AMOUNTS, another error as its own message; anything else as it is. tests/unit/test_error_texts.py
checks that every code raised in services/ is here with the parameters its message needs.

The text returned is plain (escape it for HTML: texts.friendly does).
"""

from __future__ import annotations

from datetime import date

from vanbill.services import i18n
from vanbill.services.errors import CONSOLE, VanBillError
from vanbill.services.money import format_money

N_ = i18n.N_

_AMOUNT_HINT = "Send an amount like 150, RM150 or RM 1,234.50."
_PHONE_HINT = "Send a Malaysian phone number such as 012-345 6789 or +60123456789."

MESSAGES: dict[str, str] = {
    CONSOLE: "{text}",  # StartupError, SchemaError: the command line's English, as is
    # -- money
    "amount.negative": N_(
        "The amount cannot be negative. Send an amount like 150, RM150 or RM 1,234.50."
    ),
    "amount.unreadable": N_(
        "I could not read '{text}' as an amount. Send an amount like 150, RM150 or RM 1,234.50."
    ),
    "amount.zero": N_(
        "The amount must be more than zero. Send an amount like 150, RM150 or RM 1,234.50."
    ),
    "amount.too_large": N_(
        "{amount_sen} is more than the most I accept ({limit_sen}); please check the amount."
    ),
    "amount.not_sen": N_("{amount_of} must be a whole number of sen."),
    "amount.field_negative": N_("{amount_of} cannot be negative."),
    "amount.field_zero": N_("{amount_of} must be more than zero."),
    "amount.field_too_large": N_("{amount_of} is more than {limit_sen}; please check it."),
    # -- text typed
    "text.invisible": N_("The {field} has only invisible characters; type it in letters, please."),
    "text.empty": N_("The {field} cannot be empty."),
    "text.too_long": N_("The {field} is too long ({limit} characters at most)."),
    "phone.unreadable": N_(
        "I could not read '{text}' as a phone number. "
        "Send a Malaysian phone number such as 012-345 6789 or +60123456789."
    ),
    "phone.not_malaysian": N_(
        "'{text}' is not a Malaysian phone number. "
        "Send a Malaysian phone number such as 012-345 6789 or +60123456789."
    ),
    "month.unreadable": N_("I could not read '{text}' as a month; use YYYY-MM, e.g. 2026-03."),
    "month.out_of_range": N_("'{text}' is not a month I can bill; use YYYY-MM, e.g. 2026-03."),
    "timezone.unknown": N_("Unknown time zone '{name}'; use a name such as Asia/Kuala_Lumpur."),
    "language.unknown": N_("'{locale}' is not a language VanBill writes in."),
    # -- not found
    "operator.not_found": N_("No such operator."),
    "family.not_found": N_("I could not find that family."),
    "family.no_such": N_("No such family."),
    "child.not_found": N_("I could not find that child."),
    "child.route_not_found": N_("I could not find that route for the child."),
    "route.not_found": N_("I could not find that route."),
    "invoice.not_found": N_("I could not find that invoice."),
    "invoice.number_not_found": N_("I could not find invoice '{number}'."),
    "payment.not_found": N_("I could not find that payment."),
    "payment.invoice_not_found": N_("I could not find that invoice for this family."),
    "adjustment.not_found": N_("I could not find that adjustment."),
    "run.not_found": N_("I could not find that monthly run."),
    "slip.not_found": N_("I could not find that slip."),
    # -- families and children
    "family.archived_first": N_("{name} is archived; unarchive the family first."),
    "family.archived_change": N_("{name} is archived; unarchive the family to change it."),
    "family.archived_bill": N_("{name} is archived; unarchive the family to bill it."),
    "family.already_archived": N_("{name} is already archived."),
    "family.join_chosen": N_(
        "How {month} is billed for this family was chosen already, or its run was made."
    ),
    "family.not_archived": N_("{name} is not archived."),
    "family.already_paused": N_("{name} is already paused."),
    "family.not_paused": N_("{name} is not paused."),
    "family.detail_fixed": N_("That detail cannot be changed here."),
    "family.nothing_to_bill": N_("Nothing of {month} waits to be billed for this family."),
    "child.category": N_("A child's category is one of: {choices}."),
    "child.birth_year": N_("A birth year lies between {first} and {last}."),
    "child.on_invoices": N_(
        "This child is on invoices already, so their record stays; end their route instead "
        "and they will not be billed again."
    ),
    "child.refused": N_("{name}: {reason}"),
    "child.leave_past": N_("A child can leave from this month on, not in a month gone by."),
    "child.no_route_after": N_("{name} takes no route after {month} already."),
    "child.takes_route": N_("{name} takes that route already."),
    # -- routes
    "route.change_past": N_("A route changes from this month on, not in a month gone by."),
    "route.names_twice": N_("Two of those routes have the same name."),
    "route.inactive": N_("The route '{name}' is no longer active."),
    "route.exists": N_("You already have a route called '{name}'."),
    "route.exists_one_of": N_("You already have a route with one of those names."),
    "enrolment.end_before_start": N_("The last month cannot come before the first."),
    "enrolment.end_before_route": N_("The last month cannot come before the route started."),
    "enrolment.overlap": N_("{child} already takes {route} in those months."),
    "proration.kind": N_("Choose full, half, none, by days or by school days."),
    # -- invoices
    "invoice.no_lines": N_("An invoice needs at least one line."),
    "invoice.too_many_lines": N_("At most {limit} lines on one invoice, please."),
    "line.no_description": N_("Every line needs a description."),
    "line.description_too_long": N_("A line's description is 300 characters at most."),
    "line.quantity": N_("A quantity is a whole number from 1 to {limit}."),
    "invoice.discount_too_large": N_("The discount cannot be more than the lines add up to."),
    "invoice.due_before_date": N_("The due date cannot come before the invoice date."),
    "invoice.child_not_in_family": N_("A line names a child who is not in this family."),
    "invoice.route_not_found": N_("A line names a route I could not find."),
    "invoice.month_billed": N_(
        "This family already has its invoice for {month}; add extras as separate lines on a "
        "new invoice without the month's routes."
    ),
    "void.already": N_("{number} is void already."),
    "void.already_because": N_("{number} is void already ({reason})."),
    "statement.end_before_start": N_("The statement's end date cannot come before its start."),
    "adjustment.kind": N_("An adjustment is a charge or a credit."),
    "adjustment.when": N_("Choose the next invoice, or now."),
    "late_fee.kind": N_("A late fee is none, a fixed amount or a percentage."),
    "late_fee.percentage": N_("A late fee percentage lies between 0.01% and 100%."),
    "late_fee.days": N_("Send the days after the due date as a number from 1 to 365."),
    "late_fee.none": N_("That invoice has no late fee."),
    "late_fee.waived_already": N_("The late fee on {number} was waived already."),
    "late_fee.invoice_void": N_("{number} is void; there is nothing to waive."),
    "run.approved_already": N_("That month has been approved already."),
    "run.not_waiting": N_("That month is not waiting for approval."),
    "report.months": N_("A report covers 1 to 60 months."),
    # -- payments
    "payment.method": N_("A payment method is one of: {methods}."),
    "payment.future": N_("A payment cannot be dated in the future."),
    "payment.too_far_back": N_("That date is too far back; please check it."),
    "payment.invoice_paid": N_("That invoice is paid already; nothing is owed on it."),
    "payment.invoice_void": N_("That invoice is void already; nothing is owed on it."),
    "payment.undo_too_late": N_(
        "It is more than {minutes} minutes since {number} was recorded, so it can no longer be "
        "undone here. Void it instead (it asks for a reason)."
    ),
    "payment.voided_no_receipt": N_("That payment was voided; there is no receipt for it."),
    "slip.recorded_already": N_("That slip was recorded already."),
    "slip.dismissed_already": N_("That slip was dismissed already."),
    # -- invite links
    "invite.invalid": N_("That invite link is not valid. Ask your van operator for a new one."),
    "invite.no_longer_valid": N_(
        "That invite link is no longer valid. Ask your van operator for a new one."
    ),
    "invite.used": N_(
        "That invite link has already been used. Ask your van operator for a new one."
    ),
    "invite.used_operator": N_("That invite link has already been used."),
    "invite.expired": N_(
        "That invite link has expired (links last 7 days). Ask your van operator for a new one."
    ),
    "invite.operator_already": N_("You already have an operator account; this link was not used."),
    # -- business settings
    "reminders.days_format": N_(
        "Reminder days are whole numbers of days from the due date, e.g. -3,0,3,7,14."
    ),
    "reminders.days_range": N_("Reminder days must lie between 30 days before and 90 days after."),
    "reminders.too_many_days": N_("At most 10 reminder days, please."),
    "setting.too_long": N_("That {field} is too long ({limit} characters at most)."),
    "setting.invoice_day": N_("Pick a day from 1 to 28, so every month has it."),
    "setting.hour": N_("Pick an hour from 0 to 23."),
    "setting.reminder_hour": N_("Reminders go out between 08:00 and 20:00; pick 8 to 20."),
    "setting.currency": N_("A currency is a three-letter code such as MYR."),
    "setting.sibling_discount": N_("A sibling discount lies between 0% and 100%."),
    "setting.digest_hour": N_("Pick an hour from 0 to 23 for the daily digest."),
    "setting.unknown": N_("'{key}' is not a setting I know."),
    "logo.too_large_2mb": N_("That logo is too large; send one under 2 MB."),
    "logo.too_large": N_("That picture is too large; send one under 20 MB."),
    "logo.unreadable": N_("I could not read that picture; send the logo as a photo."),
    # -- DuitNow QR
    "qr.not_payment": N_("That QR code is not a payment code."),
    "qr.link_or_text": N_(
        "That QR code is not a payment code (it holds a link or text, not DuitNow)."
    ),
    "qr.no_checksum": N_("That QR code is not a payment code: it has no checksum (tag 63)."),
    "qr.checksum": N_(
        "That QR code's checksum does not match: it was damaged or misread. "
        "Send a sharper photo or the PDF your bank gave you."
    ),
    "qr.no_account": N_("That QR code is not a payment code: it names no account to pay."),
    "qr.dynamic": N_(
        "That is a one-time (dynamic) QR code, made for a single payment. Send the static "
        "DuitNow QR your bank issued for your account (the one you print for customers)."
    ),
    "qr.fixed_amount": N_(
        "That QR code asks for a fixed amount, so it would be wrong on every other invoice. "
        "Send the static DuitNow QR without an amount."
    ),
    "qr.currency": N_("That QR code is for payments in another currency, not ringgit."),
    "qr.not_found": N_(
        "I could not find a QR code in that picture. Send a photo or screenshot where the "
        "whole QR code is sharp and fills a good part of the picture, or your bank's PDF."
    ),
    "qr.file_too_big": N_("That file is too big; send one under 10 MB."),
    "qr.pdf_unreadable": N_("I could not open that PDF. Send a photo or screenshot of the QR."),
    "qr.picture_too_big": N_("That picture is too big; send a screenshot instead."),
    "qr.picture_unreadable": N_(
        "I could not open that picture. Send it as a photo (JPEG or PNG)."
    ),
    # -- /import (a row's reason is shown after "Row 3:", so it starts in lower case)
    "import.file_type": N_(
        "I can import families from a CSV file or an Excel .xlsx file. Send /import for a "
        "template to fill in."
    ),
    "import.too_big": N_(
        "That file is too big ({size_kb} kB); I take files up to {limit_mb} MB — about "
        "{rows} rows."
    ),
    "import.empty": N_("That file is empty."),
    "import.xls": N_(
        "That is an old Excel .xls file. In Excel choose Save As → Excel Workbook (.xlsx), "
        "or CSV UTF-8, and send that."
    ),
    "import.not_utf8": N_(
        "That CSV file is not in UTF-8, so names in Chinese or Tamil would come out garbled. "
        "In Excel choose Save As → 'CSV UTF-8 (Comma delimited)', or send the .xlsx file itself."
    ),
    "import.excel_unreadable": N_(
        "I could not open that Excel file. Save it again as .xlsx (or CSV UTF-8) and send it."
    ),
    "import.row_formula": N_(
        "Row {row} has a formula ({formula}). Formulas are not imported: in Excel copy the "
        "sheet and Paste Special → Values, then send it again."
    ),
    "import.too_many_rows": N_("That file has more than {rows} rows; split it in two."),
    "import.no_headings": N_(
        "I could not find the column headings in the first row (at least 'parent', and "
        "'phone', 'child', 'category', 'birth year', 'school', 'routes', 'fee'). Send /import "
        "for a template."
    ),
    "import.formula": N_("the {column} '{text}' is a formula; type the value itself"),
    "import.category": N_("the category '{text}' is not one of {choices}"),
    "import.birth_year": N_("the birth year '{text}' is not a year from {first} to {last}"),
    "import.fee": N_("the fee '{text}' is not an amount like 150 or 180.50"),
    "import.family_exists": N_("{name} is already one of your families"),
    "import.family_exists_phone": N_(
        "{name} is already one of your families with the phone {phone}"
    ),
    "import.route_unknown": N_(
        "the route '{route}' is not one of yours ({routes}); give its fee in the fee column to "
        "create it, or add it with /newservice"
    ),
    "import.route_unknown_none": N_(
        "the route '{route}' is not one of yours (none yet); give its fee in the fee column to "
        "create it, or add it with /newservice"
    ),
    "import.phone_taken": N_("the phone is {parent}'s (row {row})"),
    "import.child_twice": N_("{name} is already in row {row}"),
    "import.nothing": N_("No row of that file can be imported; nothing was written."),
    "import.done_already": N_("That file was imported already; nothing was written again."),
    # -- what bot/ refuses itself (parsing.py, the conversations and handlers)
    "button.stale": N_(
        "That button is not valid any more. Send the command again for fresh buttons."
    ),
    "button.invalid": N_("That button is not valid."),
    "button.invalid_business": N_("That button is not valid. Send /business for a fresh menu."),
    "button.invalid_invoices": N_("That button is not valid. Send /invoices for a fresh list."),
    "button.invalid_slip": N_("That button is not valid. Send the slip again."),
    "button.not_yours": N_("That button is not yours."),
    "invoice.not_yours": N_("That invoice is not yours."),
    "paid.earlier_step": N_(
        "That button belongs to an earlier step. Answer the last question, or /cancel."
    ),
    "newinvoice.earlier_step": N_(
        "That button belongs to an earlier step. Answer the last question."
    ),
    "newcustomer.lost_child": N_("I lost track of the child. Send /newcustomer to start again."),
    "number.whole": N_("Send the {field} as a whole number, for example {example}."),
    "page.number": N_("Send {command} for the first page, or a page number like {command} 3."),
    "percent.unreadable": N_("Send a percentage such as 10 or 12.5 (0 for none)."),
    "routes.none_typed": N_("Send a route's name and its monthly fee, e.g. Morning 150."),
    "routes.line_unreadable": N_(
        "I could not read '{line}': send a route's name and its monthly fee, e.g. Morning 150."
    ),
    "route.no_other_active": N_("There is no other active route. Add one with /newservice."),
    "family.nothing_this_month": N_("Nothing of this month waits to be billed for this family."),
    "child.birth_year_or_age": N_(
        "Send the birth year (e.g. 2017) or the age (e.g. 8), or - to skip."
    ),
    "child.birth_year_typed": N_(
        "A birth year lies between {first} and {last}; send e.g. 2017, or an age such as 8."
    ),
    "day.unreadable": N_("I could not read '{text}' as a date; use YYYY-MM-DD, e.g. 2026-02-07."),
    "day.not_on_calendar": N_(
        "'{text}' is not a day on the calendar; use YYYY-MM-DD, e.g. 2026-02-07."
    ),
    "due_date.past": N_("The due date cannot be in the past (today is {today})."),
    "due_date.too_far": N_("That due date is more than a year away; please check it."),
    "payment.future_today": N_("A payment cannot be dated in the future (today is {today})."),
    "line.description_missing": N_("Send a few words describing the line."),
    "line.quantity_typed": N_("Send the quantity as a whole number from 1 to {limit}, like 3."),
    "invoices.filter": N_(
        "Send /invoices for the latest invoices, /invoices unpaid, /invoices overdue, or a "
        "month such as /invoices 2026-01."
    ),
    "invoice.number_missing": N_(
        "Send /invoice followed by its number, e.g. /invoice INV-2026-0001."
    ),
    "invoice.void_nothing_to_send": N_("{number} is void; there is nothing to send."),
    "late_fee.unreadable": N_(
        "Send the late fee and the days after the due date, e.g. RM 10 after 7 or "
        "5% after 14 (- for none)."
    ),
    "file.too_big": N_("That file is too big ({size_kb} kB); send one under {limit_mb} MB."),
    # -- the bot's own saved state (a fault of ours, not the reader's)
    "botstate.kind": N_("'{kind}' is not a kind of bot state ({kinds})."),
    "botstate.name_too_long": N_("A bot state name has at most {limit} characters."),
    "botstate.key_too_long": N_("A bot state key has at most {limit} characters."),
    "botstate.not_json": N_("Bot state must be plain JSON data: {detail}"),
}

# The words of a `field` parameter: a text a person typed ("The {field} cannot be empty.").
FIELDS: dict[str, str] = {
    "parent_name": N_("parent's name"),
    "child_name": N_("child's name"),
    "note": N_("note"),
    "school": N_("school"),
    "description": N_("description"),
    "route_name": N_("route name"),
    "reason": N_("reason"),
    "reference": N_("reference"),
    "caption": N_("caption"),
    "search": N_("search"),
    "due_day": N_("due day"),
    "hour": N_("hour"),
    "reminder_hour": N_("reminder hour"),
    # the business settings (services/operators.py TEXT_FIELDS)
    "business_name": N_("business name"),
    "address": N_("address"),
    "phone": N_("phone"),
    "bank_name": N_("bank name"),
    "bank_account": N_("bank account"),
    "duitnow_id": N_("duitnow id"),
    "payment_note": N_("payment note"),
    "payment_qr_payload": N_("payment qr payload"),
    "invoice_prefix": N_("invoice prefix"),
    "account_holder": N_("account holder"),
    "ssm_number": N_("ssm number"),
}

# The words of an `amount_of` parameter: which amount ("{amount_of} cannot be negative.").
AMOUNTS: dict[str, str] = {
    "amount": N_("The amount"),
    "payment": N_("The payment"),
    "credit": N_("The credit"),
    "discount": N_("The discount"),
    "late_fee": N_("The late fee"),
    "monthly_fee": N_("The monthly fee"),
    "special_fee": N_("The special fee"),
    "line_price": N_("A line's price"),
    "line_amount": N_("A line's amount"),
    "invoice_total": N_("The invoice total"),
}


# Why a family was left out of a month's run (services/monthly.py SkippedFamily.reason).
SKIPPED: dict[str, str] = {
    "archived": N_("archived"),
    "routes_inactive": N_("its routes are no longer active"),
    "zero_fees": N_("nothing to bill (the fees are zero)"),
}


def skipped(reason: str) -> str:
    """Return why a family was not billed, in the current language (an older notice's words as
    they are)."""
    words = SKIPPED.get(reason)
    return i18n.gettext(words) if words else reason


def _shown(name: str, value: object) -> str:
    """Return one parameter as the reader sees it (in the current language)."""
    if isinstance(value, VanBillError):
        return message(value)
    if name == "field" and isinstance(value, str) and value in FIELDS:
        return i18n.gettext(FIELDS[value])
    if name == "amount_of" and isinstance(value, str) and value in AMOUNTS:
        return i18n.gettext(AMOUNTS[value])
    if name.endswith("_sen") and isinstance(value, int):
        return format_money(value)
    if isinstance(value, date):
        return i18n.month_name(value) if name == "month" else i18n.day(value)
    return str(value)


def message(error: VanBillError) -> str:
    """Return an error's message in the current language (plain text, not escaped).

    A code without a message is a text bot/ wrote itself (a stale button...): shown as it is.
    """
    template = MESSAGES.get(error.code)
    if template is None:
        return error.code
    params = {name: _shown(name, value) for name, value in error.params.items()}
    text = template if error.code == CONSOLE else i18n.gettext(template)
    return text.format(**params)


def short(error: VanBillError) -> str:
    """Return an error's message as a reason after "Row 3:": capital first, no full stop."""
    text = message(error).rstrip(".")
    return text[:1].upper() + text[1:]
