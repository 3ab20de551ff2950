"""Phone numbers normalised to E.164, the way Malaysian parents write them."""

from __future__ import annotations

import re

from vanbill.services.errors import InvalidInput

_PHONE_PUNCTUATION = re.compile(r"[\s\-.()/]")


def normalise_phone(text: str) -> str:
    """Return a phone number in E.164 (Malaysia by default), or raise InvalidInput."""
    raw = (text or "").strip()
    cleaned = _PHONE_PUNCTUATION.sub("", raw)
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    international = cleaned.startswith("+")
    digits = cleaned[1:] if international else cleaned
    if not digits.isascii() or not digits.isdigit():
        raise InvalidInput("phone.unreadable", text=raw[:40])
    if not international:
        if digits.startswith("0"):
            digits = "60" + digits[1:]  # national format: 012-345 6789
        elif digits.startswith("1") and len(digits) in (9, 10):
            digits = "60" + digits  # a mobile number typed without its leading 0
        # Otherwise it already carries a country code (Telegram sends 60123456789).
    if digits.startswith("60"):
        national = digits[2:]
        if not (8 <= len(national) <= 10) or national.startswith("0"):
            raise InvalidInput("phone.not_malaysian", text=raw[:40])
    elif not (8 <= len(digits) <= 15) or digits.startswith("0"):
        raise InvalidInput("phone.unreadable", text=raw[:40])
    return "+" + digits


def phone_variants(e164: str) -> tuple[str, ...]:
    """Return the spellings of an E.164 number a customer row may hold (+60..., 60..., 0...)."""
    variants = [e164, e164.lstrip("+")]
    if e164.startswith("+60"):
        variants.append("0" + e164[3:])
    return tuple(variants)


def national(phone: str) -> str:
    """Return a phone as Malaysians write it: 012-345 6789, 011-2345 6789, 03-1234 5678.

    A number from elsewhere keeps its international form; text that is no phone stays as it is.
    """
    try:
        e164 = normalise_phone(phone)
    except InvalidInput:
        return (phone or "").strip()
    if not e164.startswith("+60"):
        return e164
    digits = "0" + e164[3:]
    if digits.startswith("01"):  # mobiles: 01X-XXX XXXX, or 011-XXXX XXXX with 11 digits
        head, rest = digits[:3], digits[3:]
    elif digits.startswith(("03", "04", "05", "06", "07", "09")):  # a one-digit area code
        head, rest = digits[:2], digits[2:]
    else:  # East Malaysia: 08X
        head, rest = digits[:3], digits[3:]
    split = 3 if len(rest) == 6 else len(rest) - 4  # 088-123 456
    return f"{head}-{rest[:split]} {rest[split:]}" if split > 0 else f"{head}-{rest}"
