"""Languages: which one a person reads, the gettext catalogs, and dates in the reader's words.

The catalogs (`services/locale/<locale>/LC_MESSAGES/vanbill.po`) are gettext catalogs kept with
Babel (`bash .ci/dev catalogs` extracts, updates and compiles them). A compiled `.mo` next to its
`.po` is used when it is at least as new; otherwise the `.po` is compiled in memory once per
process, so a checkout or a wheel works without a build step.

The language of the text being written is a context variable: the bot sets it for each update
(the sender's chosen language, else the one Telegram reports) and for each delivery (the
family's), and every `gettext` call reads it. Money is never translated: `RM 1,234.50` in every
language (services/money.py).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import io
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DOMAIN = "vanbill"
LOCALE_DIR = Path(__file__).with_name("locale")
ENGLISH = "en"
MALAY = "ms"
CHINESE = "zh_Hans"
LOCALES = (MALAY, ENGLISH, CHINESE)  # the order the /language buttons show them
DEFAULT = ENGLISH
# The CLDR locale each language's dates are written in (Malaysian usage).
_CLDR = {ENGLISH: "en_MY", MALAY: "ms_MY", CHINESE: "zh_Hans_MY"}
# What each language calls itself (the /language buttons are never translated).
NATIVE_NAMES = {MALAY: "Bahasa Melayu", ENGLISH: "English", CHINESE: "中文"}

_current: contextvars.ContextVar[str] = contextvars.ContextVar("vanbill_locale", default=DEFAULT)
_lock = threading.Lock()


def from_telegram(language_code: str | None) -> str:
    """Return our language for a Telegram language code (ms/id Malay, zh Chinese, else en)."""
    code = (language_code or "").strip().lower().replace("_", "-")
    primary = code.split("-", 1)[0]
    if primary in ("ms", "id"):
        return MALAY
    if primary == "zh":
        return CHINESE
    return ENGLISH


def known(locale: str | None) -> str | None:
    """Return locale if it is one of ours, else None."""
    return locale if locale in LOCALES else None


def current() -> str:
    """Return the language being written now."""
    return _current.get()


def set_current(locale: str) -> None:
    """Write in this language from now on, in this task (the bot sets it per update)."""
    _current.set(known(locale) or DEFAULT)


@contextlib.contextmanager
def use(locale: str | None) -> Iterator[str]:
    """Write in this language inside the block (None or unknown: English)."""
    token = _current.set(known(locale) or DEFAULT)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def catalog_path(locale: str) -> Path:
    """Return the .po file of a language."""
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(locale: str) -> NullTranslations:
    """Return the compiled catalog of a language (English falls back to the message ids)."""
    po = catalog_path(locale)
    mo = po.with_suffix(".mo")
    with _lock:
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as file:
                return Translations(file, domain=DOMAIN)
        if not po.exists():
            return NullTranslations()
        with po.open("rb") as file:
            catalog = read_po(file, locale=locale, domain=DOMAIN)
        buffer = io.BytesIO()
        write_mo(buffer, catalog, use_fuzzy=False)
        buffer.seek(0)
        return Translations(buffer, domain=DOMAIN)


def gettext(message: str) -> str:
    """Return message in the current language."""
    return translations(current()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Return the singular or plural of message for count, in the current language."""
    return translations(current()).ngettext(singular, plural, count)


def N_(message: str) -> str:
    """Mark message for the catalog; translate it later with gettext."""
    return message


_ = gettext


def cldr(locale: str | None = None) -> Locale:
    """Return the CLDR locale dates are written in for a language (default: the current one)."""
    return Locale.parse(_CLDR[known(locale or current()) or DEFAULT])


def month_name(month: date, locale: str | None = None) -> str:
    """Return 'March 2026' / 'Mac 2026' / '2026年3月'."""
    return format_skeleton("yMMMM", month, locale=cldr(locale))


# A month on a chart's axis: 'Mar 26', 'Mac 26', '26年3月'.
_SHORT_MONTH = {ENGLISH: "MMM yy", MALAY: "MMM yy", CHINESE: "yy年M月"}


def short_month(month: date, locale: str | None = None) -> str:
    """Return 'Mar 26' (a chart's axis label) in the language."""
    language = known(locale or current()) or DEFAULT
    return format_date(month, _SHORT_MONTH[language], locale=cldr(language))


def day(value: date, locale: str | None = None) -> str:
    """Return '5 March 2026' / '5 Mac 2026' / '2026年3月5日'."""
    return format_date(value, "long", locale=cldr(locale))


def short_day(value: date, locale: str | None = None) -> str:
    """Return '5 Mar' / '5 Mac' / '3月5日' (this year's dates in lists)."""
    return format_skeleton("MMMd", value, locale=cldr(locale))
