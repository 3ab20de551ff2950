"""Phone numbers normalised to E.164, the way Malaysian parents write them."""

from __future__ import annotations

import re

from services.errors import InvalidInput

DEFAULT_COUNTRY_CODE = "60"  # Malaysia


def normalise_phone(text: str, country_code: str = DEFAULT_COUNTRY_CODE) -> str:
    """Return text as E.164 (+60123456789): '012-345 6789', '60123456789' and '+6012...' agree."""
    raw = (text or "").strip()
    digits = re.sub(r"[\s\-().]", "", raw)
    if digits.startswith("00"):
        digits = "+" + digits[2:]
    if not re.fullmatch(r"\+?\d+", digits or "x"):
        raise InvalidInput(
            f"{raw[:30]!r} does not look like a phone number; send it like 012-345 6789."
        )
    if digits.startswith("+"):
        number = digits[1:]
    elif digits.startswith("0"):
        number = country_code + digits[1:]
    elif digits.startswith(country_code):
        number = digits
    else:
        number = country_code + digits
    if not 8 <= len(number) <= 15:
        raise InvalidInput(
            f"{raw[:30]!r} has too {'few' if len(number) < 8 else 'many'} digits for a phone "
            "number; send it like 012-345 6789."
        )
    return "+" + number
