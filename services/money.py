"""Money as integer sen: parsing what people type, and the one way amounts are printed."""

from __future__ import annotations

import re

from vanbill.services.errors import InvalidInput

# Far above any school-van bill; a typo such as an extra three zeros is refused, not recorded.
MAX_AMOUNT_SEN = 1_000_000_00  # RM 1,000,000.00

CURRENCY_SYMBOLS = {"MYR": "RM", "SGD": "S$", "USD": "US$", "IDR": "Rp", "BND": "B$"}

_AMOUNT = re.compile(
    r"""^(?:rm|myr)?\s*             # optional currency
        (?P<whole>\d{1,3}(?:,\d{3})+|\d+)  # 1234 or 1,234
        (?:\.(?P<frac>\d{1,2}))?$   # .5 or .50
    """,
    re.VERBOSE | re.ASCII,
)


def parse_amount(text: str, *, allow_zero: bool = False) -> int:
    """Parse what a person typed (150, RM150, rm 1,234.50) into sen, or raise InvalidInput."""
    cleaned = (text or "").strip().lower().replace("\u00a0", " ")
    if cleaned.startswith("-") or "-" in cleaned:
        raise InvalidInput("amount.negative")
    match = _AMOUNT.match(cleaned)
    if not match:
        raise InvalidInput("amount.unreadable", text=text.strip()[:40])
    whole = int(match.group("whole").replace(",", ""))
    frac = (match.group("frac") or "").ljust(2, "0")
    sen = whole * 100 + int(frac or "0")
    if sen == 0 and not allow_zero:
        raise InvalidInput("amount.zero")
    if sen > MAX_AMOUNT_SEN:
        raise InvalidInput("amount.too_large", amount_sen=sen, limit_sen=MAX_AMOUNT_SEN)
    return sen


def check_amount(sen: int, *, what: str = "amount", allow_zero: bool = False) -> int:
    """Return sen if it is a sane amount of money, else raise InvalidInput saying why."""
    if isinstance(sen, bool) or not isinstance(sen, int):
        raise InvalidInput("amount.not_sen", amount_of=what)
    if sen < 0:
        raise InvalidInput("amount.field_negative", amount_of=what)
    if sen == 0 and not allow_zero:
        raise InvalidInput("amount.field_zero", amount_of=what)
    if sen > MAX_AMOUNT_SEN:
        raise InvalidInput("amount.field_too_large", amount_of=what, limit_sen=MAX_AMOUNT_SEN)
    return sen


def format_money(sen: int, currency: str = "MYR") -> str:
    """Format sen for people: RM 1,234.50 (a minus sign in front when negative)."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency.upper())
    sign = "-" if sen < 0 else ""
    whole, frac = divmod(abs(sen), 100)
    return f"{sign}{symbol} {whole:,}.{frac:02d}"


def percent_of(sen: int, basis_points: int) -> int:
    """Return basis_points/10000 of sen, rounded half up to the sen."""
    return (sen * basis_points + 5_000) // 10_000
