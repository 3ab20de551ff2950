"""Reading what people type and what buttons carry; anything unacceptable is InvalidInput."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence

from services.errors import InvalidInput, PermissionDenied

BUSINESS_PREFIX = "biz"
BUSINESS_DONE = "done"
CLEAR = "-"

_WHOLE = re.compile(r"^\s*(\d{1,4})\s*$")
_PERCENT = re.compile(r"^\s*(\d{1,3})(?:[.,](\d{1,2}))?\s*%?\s*$")
_START_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def start_token(args: Sequence[str] | None) -> str | None:
    """Return the deep-link payload of /start <token>, or None for a plain /start."""
    if not args:
        return None
    token = args[0].strip()
    if not _START_TOKEN.match(token):
        raise InvalidInput("That invite link is not valid. Ask your van operator for a new one.")
    return token


def whole_number(text: str, what: str, example: int) -> int:
    """Parse a small whole number such as a day or an hour."""
    match = _WHOLE.match(text or "")
    if not match:
        raise InvalidInput(f"Send the {what} as a whole number, for example {example}.")
    return int(match.group(1))


def percent_as_basis_points(text: str) -> int:
    """Parse '10', '10%' or '12.5' into basis points (1000, 1000, 1250)."""
    match = _PERCENT.match(text or "")
    if not match:
        raise InvalidInput("Send a percentage such as 10 or 12.5 (0 for none).")
    whole, fraction = match.group(1), (match.group(2) or "").ljust(2, "0")
    return int(whole) * 100 + int(fraction)


def setting_text(text: str) -> str:
    """Return a free-text setting as typed; a lone '-' clears it."""
    value = (text or "").strip()
    return "" if value == CLEAR else value


def business_button_data(operator_id: int, key: str) -> str:
    """Return the callback data of a /business menu button."""
    return f"{BUSINESS_PREFIX}:{operator_id}:{key}"


def business_button(data: str | None, operator_id: int, keys: Collection[str]) -> str:
    """Return the setting a /business button names; refuse another operator's button."""
    parts = (data or "").split(":")
    if len(parts) != 3 or parts[0] != BUSINESS_PREFIX or not parts[1].isdigit():
        raise InvalidInput("That button is not valid. Send /business for a fresh menu.")
    if int(parts[1]) != operator_id:
        raise PermissionDenied("That button is not yours.")
    if parts[2] != BUSINESS_DONE and parts[2] not in keys:
        raise InvalidInput("That button is not valid. Send /business for a fresh menu.")
    return parts[2]
