"""What people type, made tidy: trimmed, spaces folded, control characters gone, length checked."""

from __future__ import annotations

import re
import unicodedata

from vanbill.services.errors import InvalidInput


def clean_text(text: str | None, what: str, *, limit: int, required: bool = True) -> str:
    """Return text trimmed, spaces folded, control characters gone; refuse empty or too long."""
    cleaned = "".join(
        ch for ch in unicodedata.normalize("NFC", text or "") if unicodedata.category(ch) != "Cc"
    )
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    if required and not cleaned:
        raise InvalidInput(f"The {what} cannot be empty.")
    if len(cleaned) > limit:
        raise InvalidInput(f"The {what} is too long ({limit} characters at most).")
    return cleaned
