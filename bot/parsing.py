"""Reading what people type and what buttons carry; anything unacceptable is InvalidInput.

Every id or number read from a button or a command goes through number(): ASCII digits only
(str.isdigit() also takes '²' and '١', which int() refuses or reads), within a range the
database can hold, never empty.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import date

from vanbill.services import i18n
from vanbill.services.billing import MAX_QUANTITY
from vanbill.services.errors import InvalidInput, PermissionDenied
from vanbill.services.money import parse_amount
from vanbill.services.periods import parse_month
from vanbill.services.phones import normalise_phone

BUSINESS_PREFIX = "biz"
BUSINESS_DONE = "done"
CLEAR = "-"

_PERCENT = re.compile(r"^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*%?\s*$", re.ASCII)
_START_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")

MAX_ID = 2**53  # ids are BIGINT; 2**53 also stays exact wherever the number passes as JSON
MAX_PAGE = 9999
_ = i18n.gettext
STALE_BUTTON = "button.stale"  # an error code: bot/error_texts.py words it


def number(
    text: str | None,
    *,
    low: int = 1,
    high: int = MAX_ID,
    refusal: str = STALE_BUTTON,
    **params: object,
) -> int:
    """Return text as a whole number from low to high (ASCII digits only), else InvalidInput
    (the refusal's code, with its parameters)."""
    value = text or ""
    refusal = refusal or STALE_BUTTON
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(high)):
        raise InvalidInput(refusal, **params)
    found = int(value)
    if not low <= found <= high:
        raise InvalidInput(refusal, **params)
    return found


def slip_and_amount(argument: str) -> tuple[int, int, int | None]:
    """Read a slip method button: <slip>-<amount sen>[-<its message>] (keyboards.slip_methods)."""
    parts = argument.split("-")
    if len(parts) not in (2, 3):
        raise InvalidInput(STALE_BUTTON)
    message = number(parts[2]) if len(parts) == 3 else None
    return number(parts[0]), number(parts[1]), message


def start_token(args: Sequence[str] | None) -> str | None:
    """Return the deep-link payload of /start <token>, or None for a plain /start."""
    if not args:
        return None
    token = args[0].strip()
    if not _START_TOKEN.match(token):
        raise InvalidInput("invite.invalid")
    return token


def whole_number(text: str, what: str, example: int) -> int:
    """Parse a small whole number such as a day or an hour."""
    return number(
        (text or "").strip(),
        low=0,
        high=9999,
        refusal="number.whole",
        field=what,
        example=example,
    )


def percent_as_basis_points(text: str) -> int:
    """Parse '10', '10%' or '12.5' into basis points (1000, 1000, 1250)."""
    match = _PERCENT.match(text or "")
    if not match:
        raise InvalidInput("percent.unreadable")
    whole, fraction = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


_ROUTE_AND_FEE = re.compile(
    r"^(?P<name>.+?)[\s:=]+(?P<fee>-?\s*(?:rm|myr)?\s*[0-9][0-9,]*(?:\.[0-9]{1,2})?)$", re.I
)


def routes_and_fees(text: str) -> list[tuple[str, int]]:
    """Parse lines such as 'Morning 150' or 'Taman Melati → SK Setapak RM 120.50'."""
    found = []
    for line in (text or "").splitlines():
        line = " ".join(line.split())
        if not line:
            continue
        match = _ROUTE_AND_FEE.match(line)
        if match is None:
            raise InvalidInput("routes.line_unreadable", line=line[:40])
        found.append((match.group("name").strip(), parse_amount(match.group("fee"))))
    if not found:
        raise InvalidInput("routes.none_typed")
    return found


def setting_text(text: str) -> str:
    """Return a free-text setting as typed; a lone '-' clears it."""
    value = (text or "").strip()
    return "" if value == CLEAR else value


LANGUAGE_PREFIX = "lang"
LANGUAGE_PATTERN = r"^lang:(en|ms|zh_Hans)$"


def language_button_data(locale: str) -> str:
    """Return the callback data of a /language button."""
    return f"{LANGUAGE_PREFIX}:{locale}"


def language_button(data: str | None) -> str:
    """Return the language a /language button names (its pattern let only ours through)."""
    return (data or "").split(":", 1)[1]


def business_button_data(operator_id: int, key: str) -> str:
    """Return the callback data of a /business menu button."""
    return f"{BUSINESS_PREFIX}:{operator_id}:{key}"


def business_button(data: str | None, operator_id: int, keys: Collection[str]) -> str:
    """Return the setting a /business button names; refuse another operator's button."""
    stale = "button.invalid_business"
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != BUSINESS_PREFIX:
        raise InvalidInput(stale)
    if number(parts[1], refusal=stale) != operator_id:
        raise PermissionDenied("button.not_yours")
    if parts[2] != BUSINESS_DONE and parts[2] not in keys:
        raise InvalidInput(stale)
    return parts[2]


RUN_PREFIX = "run"


def run_button_data(operator_id: int, run_id: int, action: str) -> str:
    """Return the callback data of a monthly run's Approve / Hold button."""
    return f"{RUN_PREFIX}:{operator_id}:{run_id}:{action}"


def run_button(data: str | None, operator_id: int) -> tuple[int, str]:
    """Return (run id, action) of a run button; refuse another operator's button."""
    stale = "button.invalid"
    parts = (data or "").split(":")
    if len(parts) != 4 or parts[0] != RUN_PREFIX or parts[3] not in ("ok", "hold"):
        raise InvalidInput(stale)
    owner, run_id = number(parts[1], refusal=stale), number(parts[2], refusal=stale)
    if owner != operator_id:
        raise PermissionDenied("button.not_yours")
    return run_id, parts[3]


# -- Parents' invoice buttons and transfer slips ---------------------------------------------

PARENT_INVOICE_PREFIX = "pinv"
SLIP_PREFIX = "slip"
SLIP_FOR_PREFIX = "slipto"
SLIP_RECORD, SLIP_OTHER_AMOUNT, SLIP_DISMISS = "rec", "amt", "dis"
SLIP_ACTIONS = (SLIP_RECORD, SLIP_OTHER_AMOUNT, SLIP_DISMISS)


def _numbers(data: str | None, prefix: str, count: int) -> list[int] | None:
    parts = (data or "").split(":")
    if len(parts) != count + 1 or parts[0] != prefix:
        return None
    try:
        return [number(part) for part in parts[1:]]
    except InvalidInput:
        return None


def parent_invoice_button_data(customer_id: int, invoice_id: int) -> str:
    """Return the callback data of a parent's 'PDF of this invoice' button."""
    return f"{PARENT_INVOICE_PREFIX}:{customer_id}:{invoice_id}"


def parent_invoice_button(data: str | None, customer_ids: Collection[int]) -> tuple[int, int]:
    """Return (family, invoice) an invoice button names; refuse a family not the sender's."""
    numbers = _numbers(data, PARENT_INVOICE_PREFIX, 2)
    if numbers is None:
        raise InvalidInput("button.invalid_invoices")
    if numbers[0] not in customer_ids:
        raise PermissionDenied("invoice.not_yours")
    return numbers[0], numbers[1]


def slip_for_button_data(customer_id: int, message_id: int) -> str:
    """Return the callback data of a 'this slip is for that business' button."""
    return f"{SLIP_FOR_PREFIX}:{customer_id}:{message_id}"


def slip_for_button(data: str | None, customer_ids: Collection[int]) -> tuple[int, int]:
    """Return (family, slip message) a 'this slip is for' button names; refuse another's."""
    numbers = _numbers(data, SLIP_FOR_PREFIX, 2)
    if numbers is None:
        raise InvalidInput("button.invalid_slip")
    if numbers[0] not in customer_ids:
        raise PermissionDenied("button.not_yours")
    return numbers[0], numbers[1]


def slip_button_data(operator_id: int, slip_id: int, action: str, amount_sen: int = 0) -> str:
    """Return the callback data of a slip's Record / Record other amount / Dismiss button."""
    amount = f":{amount_sen}" if action == SLIP_RECORD else ""
    return f"{SLIP_PREFIX}:{operator_id}:{slip_id}:{action}{amount}"


def slip_button(
    data: str | None, operator_id: int, actions: Collection[str] = SLIP_ACTIONS
) -> tuple[int, str, int]:
    """Return (slip, action, amount in sen) of a slip button; refuse another operator's."""
    parts = (data or "").split(":")
    action = parts[3] if len(parts) in (4, 5) else ""
    numbers = _numbers(":".join(parts[:3] + parts[4:]), SLIP_PREFIX, len(parts) - 2)
    if numbers is None or action not in actions or (len(parts) == 5) != (action == SLIP_RECORD):
        raise InvalidInput("button.invalid")
    if numbers[0] != operator_id:
        raise PermissionDenied("button.not_yours")
    return numbers[1], action, numbers[2] if action == SLIP_RECORD else 0


# -- Families, routes, /newcustomer and /newservice buttons --------------------------------

FAMILY_PREFIX = "fam"
# Corrections (bot/conversations/voiding.py, bot/handlers/corrections.py).
FIX_PREFIX = "fix"
VOID_INVOICE, VOID_PAYMENT, VOID_YES, VOID_NO, UNDO_PAYMENT = "vinv", "vpay", "yes", "no", "undo"
ROUTE_PREFIX = "rt"
# A family's language on its card: flang:<operator>:<ms|en|zh|auto>:<family>.
FAMILY_LANGUAGE_PREFIX = "flang"
FAMILY_LANGUAGES = {"ms": "ms", "en": "en", "zh": "zh_Hans", "auto": None}

# How a month joined in its middle may be billed, in the order the buttons offer them.
JOIN_RULES = ("full", "days", "school_days", "half", "none")
# How the month a family just added joins in is billed: fjoin:<operator>:bill:<family>-<rule>.
FAMILY_JOIN_PREFIX = "fjoin"

NEW_CUSTOMER_PREFIX = "nc"
NEW_SERVICE_PREFIX = "ns"
_OWNED = re.compile(r"^([a-z]{1,8}):([0-9]{1,20}):([a-z]{1,12})(?::([A-Za-z0-9_-]{1,32}))?$")
OLDEST_CHILD = 25  # years: the range services/customers.py accepts for a birth year


def owned_button_data(
    prefix: str, operator_id: int, action: str, argument: int | str | None = None
) -> str:
    """Return callback data naming its owner: prefix:operator:action[:argument]."""
    data = f"{prefix}:{operator_id}:{action}"
    return data if argument is None else f"{data}:{argument}"


def owned_button(
    data: str | None, prefix: str, operator_id: int, actions: Collection[str]
) -> tuple[str, str]:
    """Return (action, argument) of a button; refuse a malformed or another operator's one."""
    match = _OWNED.match(data or "")
    if match is None or match.group(1) != prefix or match.group(3) not in actions:
        raise InvalidInput(STALE_BUTTON)
    if number(match.group(2)) != operator_id:
        raise PermissionDenied("button.not_yours")
    return match.group(3), match.group(4) or ""


def button_number(argument: str, *, high: int = MAX_ID) -> int:
    """Return the id (or, with high=MAX_PAGE, the page number) a button carries."""
    return number(argument, high=high)


def page_number(args: Sequence[str] | None, command: str) -> int:
    """Return the page typed after a command such as /customers (1 when none is)."""
    typed = " ".join(args or []).strip()
    return number(typed, high=MAX_PAGE, refusal="page.number", command=command) if typed else 1


def birth_year(text: str, today: date) -> int | None:
    """Read a birth year (2017) or an age (8, counted from today's year); '-' skips it."""
    value = setting_text(text)
    if not value:
        return None
    typed = number(
        value,
        low=0,
        high=9999,
        refusal="child.birth_year_or_age",
    )
    year = typed if typed >= 100 else today.year - typed
    if not today.year - OLDEST_CHILD <= year <= today.year:
        raise InvalidInput(
            "child.birth_year_typed", first=today.year - OLDEST_CHILD, last=today.year
        )
    return year


def optional_phone(text: str) -> str | None:
    """Return a phone number in E.164, or None for '-'."""
    value = setting_text(text)
    return normalise_phone(value) if value else None


def search_text(args: Sequence[str] | None) -> str:
    """Return what follows a command such as /customer (empty when nothing does)."""
    return " ".join(args or []).strip()


# -- Billing commands: /newinvoice, /paid, /invoices, /invoice, /remind -----------------------

NEWINVOICE_PREFIX = "ni"
PAID_PREFIX = "pd"
INVOICE_PREFIX = "iv"
REMIND_PREFIX = "rm"
DEFAULT_DUE = "default"
INVOICE_FILTERS = ("unpaid", "overdue")
MAX_DAYS_AHEAD = 366

_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$", re.ASCII)
_INVOICE_NUMBER = re.compile(r"\b([A-Za-z][A-Za-z0-9]{0,9}-\d{4}-\d{4,6})\b", re.ASCII)


def day(text: str) -> date:
    """Parse a date typed as YYYY-MM-DD."""
    match = _DAY.match(text or "")
    if not match:
        raise InvalidInput("day.unreadable", text=(text or "").strip()[:40])
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        raise InvalidInput("day.not_on_calendar", text=text.strip()) from None


def due_date(text: str, today: date) -> date | None:
    """Parse a due date from today up to a year ahead; 'default' gives None (the usual day)."""
    if (text or "").strip().lower() == DEFAULT_DUE:
        return None
    due = day(text)
    if due < today:
        raise InvalidInput("due_date.past", today=today.isoformat())
    if (due - today).days > MAX_DAYS_AHEAD:
        raise InvalidInput("due_date.too_far")
    return due


def payment_day(text: str, today: date) -> date:
    """Parse the day a payment was made: today or earlier."""
    paid_on = day(text)
    if paid_on > today:
        raise InvalidInput("payment.future_today", today=today.isoformat())
    return paid_on


def quantity(text: str) -> int:
    """Parse how many of a line: a whole number from 1 to MAX_QUANTITY."""
    return number(
        (text or "").strip(), high=MAX_QUANTITY, refusal="line.quantity_typed", limit=MAX_QUANTITY
    )


def line_description(text: str) -> str:
    """Return a line's description as typed, refusing an empty or overlong one."""
    value = " ".join((text or "").split())
    if not value:
        raise InvalidInput("line.description_missing")
    if len(value) > 300:
        raise InvalidInput("line.description_too_long")
    return value


def invoice_filter(args: Sequence[str] | None) -> tuple[str, date | None]:
    """Read /invoices [unpaid|overdue|YYYY-MM] into (which, month)."""
    words = [w.lower() for w in args or []]
    if not words:
        return "all", None
    if len(words) == 1 and words[0] in INVOICE_FILTERS:
        return words[0], None
    if len(words) == 1:
        try:
            return "all", parse_month(words[0])
        except InvalidInput:
            pass
    raise InvalidInput("invoices.filter")


def invoice_number(args: Sequence[str] | None) -> str:
    """Return the invoice number after /invoice."""
    text = " ".join(args or []).strip()
    if not text:
        raise InvalidInput("invoice.number_missing")
    return text


def invoice_numbers_in(text: str | None) -> list[str]:
    """Return the distinct invoice numbers a message mentions, in order."""
    found: dict[str, None] = {}
    for match in _INVOICE_NUMBER.finditer(text or ""):
        found.setdefault(match.group(1).upper(), None)
    return list(found)


# -- Families change (bot/conversations/family.py) and late fees -----------------------------

FAMILY_EDIT_PREFIX = "fe"
LATE_FEE_PREFIX = "lf"
_LATE_FEE = re.compile(
    r"^\s*(?:rm\s*)?([0-9][0-9,]*(?:\.[0-9]{1,2})?)\s*(%?)(?:\s+after\s+|\s+)([0-9]{1,3})\s*"
    r"(?:days?)?\s*$",
    re.ASCII | re.IGNORECASE,
)


def parts(argument: str, count: int) -> list[str]:
    """Split a button argument such as 12-name into count parts, or refuse it as stale."""
    found = argument.split("-")
    if len(found) != count or not all(found):
        raise InvalidInput(STALE_BUTTON)
    return found


# Words a person may type in their own language as well as in English (see `means`).
AFTER, DAYS, NONE, OFF, NO = (
    i18n.N_("after"),
    i18n.N_("days"),
    i18n.N_("none"),
    i18n.N_("off"),
    i18n.N_("no"),
)


def means(text: str, *words: str) -> bool:
    """Say whether text is one of words, in English or in the reader's language."""
    typed = (text or "").strip().casefold()
    return any(typed in (word.casefold(), _(word).casefold()) for word in words)


def _in_english(text: str, *words: str) -> str:
    """Return text with the reader's words for `words` put in English (for the patterns)."""
    for word in words:
        translated = _(word)
        if translated != word:
            text = re.sub(re.escape(translated), f" {word} ", text, flags=re.IGNORECASE)
    return text


def late_fee(text: str) -> tuple[str, int, int, int]:
    """Read 'RM 10 after 7', '5% after 14' or '-' into (kind, sen, basis points, days), the
    words 'after', 'days' and 'none' also in the reader's language ('RM 10 selepas 7 hari')."""
    value = setting_text(text)
    if not value or means(value, NONE):
        return "none", 0, 0, 7
    match = _LATE_FEE.match(_in_english(value, AFTER, DAYS).strip())
    if match is None:
        raise InvalidInput("late_fee.unreadable")
    amount, is_percent, days = match.group(1), match.group(2), int(match.group(3))
    if is_percent:
        return "percent", 0, percent_as_basis_points(amount), days
    return "fixed", parse_amount(amount), 0, days
