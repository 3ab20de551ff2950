"""What people type, made tidy: trimmed, spaces folded, invisible characters gone, checked."""

from __future__ import annotations

import re
import unicodedata

from vanbill.services.errors import InvalidInput

# Letters that show nothing (Hangul fillers, the blank Braille pattern); control characters (Cc)
# and format characters (Cf: zero-width spaces and joiners, the word joiner, the byte-order mark,
# the bidirectional marks, embeddings, overrides and isolates) are removed as well.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible(text: str | None) -> str:
    """Return text in NFC with every invisible character removed (spaces and line breaks kept)."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFC", text or "")
        if ch.isspace()
        or (unicodedata.category(ch) not in ("Cc", "Cf") and ch not in BLANK_LETTERS)
    )


def refuse_invisible(text: str | None, cleaned: str, what: str) -> None:
    """Refuse text that had something in it but nothing visible (e.g. only zero-width spaces)."""
    if (text or "").strip() and not cleaned:
        raise InvalidInput("text.invisible", field=what)


def clean_text(text: str | None, what: str, *, limit: int, required: bool = True) -> str:
    """Return text trimmed, spaces folded, invisible characters gone; refuse empty or too long."""
    cleaned = re.sub(r"\s+", " ", visible(text)).strip()
    refuse_invisible(text, cleaned, what)
    if required and not cleaned:
        raise InvalidInput("text.empty", field=what)
    if len(cleaned) > limit:
        raise InvalidInput("text.too_long", field=what, limit=limit)
    return cleaned
