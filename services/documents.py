"""Invoice, receipt and statement PDFs: Jinja2 templates laid out by WeasyPrint.

Build one `DocumentRenderer` per process (in `post_init`) and close it in `post_shutdown`: it
parses the stylesheet and compiles the templates once and holds the one WeasyPrint
FontConfiguration of the process (a new one per render leaks memory). The sync methods render in
the calling thread; the async ones render in the renderer's own worker thread, or, for bulk
runs, in a pool of worker processes (one per core) that each build their own renderer once.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import io
import logging
import multiprocessing
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import jinja2
import segno
from babel import dates as babel_dates
from babel.numbers import format_decimal
from PIL import Image, ImageOps
from weasyprint import CSS, HTML
from weasyprint.css.counters import CounterStyle
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from vanbill.services import i18n
from vanbill.services.errors import InvalidInput
from vanbill.services.i18n import N_, _
from vanbill.services.money import format_money, percent_of
from vanbill.services.phones import national
from vanbill.services.views import (
    InvoiceDocument,
    InvoiceLineView,
    InvoiceView,
    OperatorView,
    PaymentView,
    ReceiptDocument,
    StatementDocument,
    StatementEntry,
    StatementView,
)

LOGGER = logging.getLogger(__name__)

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

# Font family -> the Debian package that ships it. Noto Sans covers Malay and accented Latin
# names; Chinese and Tamil names need their own faces or they print as empty boxes (tofu).
REQUIRED_FONTS: dict[str, str] = {
    "Noto Sans": "fonts-noto-core",
    "Noto Sans Tamil": "fonts-noto-core",
    "Noto Sans CJK SC": "fonts-noto-cjk",
}

# Statuses that get a stamp beside the totals; open and partial invoices get none.
STAMPS: dict[str, str] = {
    "paid": N_("PAID"),
    "void": N_("VOID"),
    "overdue": N_("OVERDUE"),
    "draft": N_("DRAFT"),
}

ENTRY_KINDS: dict[str, str] = {
    "invoice": N_("Invoice"),
    "payment": N_("Payment"),
    "void": N_("Void"),
    "credit": N_("Credit"),
    "refund": N_("Refund"),
    "adjustment": N_("Adjustment"),
}

# How a payment was made, as a receipt says it.
METHOD_WORDS: dict[str, str] = {
    "cash": N_("Cash"),
    "bank_transfer": N_("Bank transfer"),
    "duitnow": N_("DuitNow"),
    "cheque": N_("Cheque"),
    "other": N_("Other"),
    "credit": N_("Credit note"),
}

# A month ridden in part, as an invoice line's note says how it was billed.
RULE_WORDS: dict[str, str] = {
    "full": N_("full month"),
    "half": N_("half month"),
    "none": N_("not billed"),
    "days": N_("by days"),
    "school_days": N_("by school days"),
}

# The line services/latefees.py adds: "Late fee (due 2026-03-07)".
_LATE_FEE_LINE = re.compile(r"^Late fee \(due (\d{4}-\d{2}-\d{2})\)$")
# What 0.1.0 to 0008 stored as a monthly invoice's description (words, not data).
_OLD_MONTHLY_DESCRIPTION = re.compile(r"^School transport — [A-Z][a-z]+ \d{4}$")

# Rendering options handed to WeasyPrint. Only used font subsets are embedded (full_fonts off);
# images are our own small PNGs, so recompressing them (optimize_images) would only cost time.
PDF_OPTIONS: dict[str, Any] = {"optimize_images": False, "full_fonts": False}

# The logo prints at most 40 x 18 mm; 480 px on the long side is well over 300 dpi there.
LOGO_MAX_PX = 480

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


class FontsMissing(RuntimeError):
    """The fonts the documents need are not installed (names would print as empty boxes)."""


def installed_font_families() -> set[str]:
    """Return every font family name fontconfig knows about."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        raise FontsMissing(
            "fc-list was not found, so the fonts cannot be checked; install the Debian packages "
            "fontconfig, fonts-noto-core and fonts-noto-cjk (apt-get install fontconfig "
            "fonts-noto-core fonts-noto-cjk)."
        )
    listed = subprocess.run(
        [fc_list, ":", "family"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    return {name.strip() for line in listed.splitlines() for name in line.split(",") if name}


def missing_fonts(families: Iterable[str]) -> dict[str, str]:
    """Return the required font families absent from families, each with its Debian package."""
    present = {family.casefold() for family in families}
    return {
        family: package
        for family, package in REQUIRED_FONTS.items()
        if family.casefold() not in present
    }


def check_fonts(families: Iterable[str] | None = None) -> None:
    """Raise FontsMissing, naming the Debian packages to install, when a needed font is absent."""
    missing = missing_fonts(installed_font_families() if families is None else families)
    if missing:
        packages = sorted(set(missing.values()))
        raise FontsMissing(
            f"The PDF documents need the fonts {', '.join(sorted(missing))}, which are not "
            f"installed; without them Chinese and Tamil names print as empty boxes. Install "
            f"the Debian packages {' and '.join(packages)} "
            f"(apt-get install {' '.join(packages)}), then run fc-cache."
        )


# Chinese names. The installed Noto Sans CJK face is a 20 MB collection of 65,000 glyphs, and
# WeasyPrint copies and subsets the whole face for every PDF that uses it (about 25 ms, and
# 100 KB of PDF). Each renderer therefore cuts it down once, with HarfBuzz, to the characters
# of GB 2312 and Big5 level 1 (every common name character, simplified and traditional; about
# 0.1 s per weight) and puts that first in the font stack; a rarer character still falls
# through to the full face, so nothing prints as tofu either way.
CJK_FAMILY = "VanBill CJK"
CJK_SOURCE_FAMILY = "Noto Sans CJK SC"


def common_cjk_characters() -> str:
    """Return the characters of GB 2312 and of Big5 level 1, and every kind of space."""
    chars: set[str] = set()
    big5_trails = [*range(0x40, 0x7F), *range(0xA1, 0xFF)]
    tables = (
        ("gb2312", range(0xA1, 0xF8), range(0xA1, 0xFF)),
        ("big5", range(0xA4, 0xC7), big5_trails),
    )
    for codec, leads, trails in tables:
        for lead in leads:
            for trail in trails:
                try:
                    chars.add(bytes((lead, trail)).decode(codec))
                except UnicodeDecodeError:
                    continue
    chars = {char for char in chars if not char.isascii()}
    # Pango sets a space in the font of the text before it, assuming every font has one; a cut
    # without spaces would print a box after each Chinese name.
    chars.update(char for char in map(chr, range(0x3100)) if unicodedata.category(char) == "Zs")
    return "".join(sorted(chars))


def _font_file(family: str, weight: str) -> tuple[str, int] | None:
    """Return the file and face index fontconfig picks for family at weight, if it is that one."""
    fc_match = shutil.which("fc-match")
    if fc_match is None:
        return None
    done = subprocess.run(
        [fc_match, "-f", "%{file}\n%{index}\n%{family}", f"{family}:weight={weight}"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = done.stdout.split("\n")
    if done.returncode != 0 or len(lines) < 3 or family not in lines[2].split(","):
        return None
    return lines[0], int(lines[1] or 0)


_HB_SUBSET_SETS_DROP_TABLE_TAG = 3
# Vertical writing and OpenType layout are not needed to set names across a page; dropping them
# halves the face that WeasyPrint copies for every document.
_DROPPED_TABLES = (b"vhea", b"vmtx", b"VORG", b"BASE", b"GSUB", b"GPOS")


class _HarfBuzzSubsetter:
    """Font subsetting with the HarfBuzz that WeasyPrint itself loads (libharfbuzz-subset0)."""

    def __init__(self) -> None:
        import cffi  # a WeasyPrint dependency

        self.ffi = cffi.FFI()
        self.ffi.cdef(
            """
            typedef struct hb_blob_t hb_blob_t;
            typedef struct hb_face_t hb_face_t;
            typedef struct hb_set_t hb_set_t;
            typedef struct hb_subset_input_t hb_subset_input_t;
            hb_blob_t *hb_blob_create_from_file_or_fail (const char *file_name);
            void hb_blob_destroy (hb_blob_t *blob);
            const char *hb_blob_get_data (hb_blob_t *blob, unsigned int *length);
            hb_face_t *hb_face_create (hb_blob_t *blob, unsigned int index);
            void hb_face_destroy (hb_face_t *face);
            hb_blob_t *hb_face_reference_blob (hb_face_t *face);
            void hb_set_add (hb_set_t *set, uint32_t codepoint);
            hb_subset_input_t *hb_subset_input_create_or_fail (void);
            void hb_subset_input_destroy (hb_subset_input_t *input);
            hb_set_t *hb_subset_input_unicode_set (hb_subset_input_t *input);
            hb_set_t *hb_subset_input_set (hb_subset_input_t *input, int set_type);
            hb_face_t *hb_subset_or_fail (hb_face_t *source, const hb_subset_input_t *input);
            """
        )
        self.hb = self.ffi.dlopen("libharfbuzz.so.0")
        self.hb_subset = self.ffi.dlopen("libharfbuzz-subset.so.0")

    def subset(self, path: str, index: int, text: str) -> bytes | None:
        """Return face index of the font file at path cut down to the characters of text."""
        ffi, hb, hb_subset = self.ffi, self.hb, self.hb_subset
        blob = hb.hb_blob_create_from_file_or_fail(path.encode())
        if blob == ffi.NULL:
            return None
        face = hb.hb_face_create(blob, index)
        wanted = hb_subset.hb_subset_input_create_or_fail()
        try:
            if wanted == ffi.NULL:
                return None
            unicodes = hb_subset.hb_subset_input_unicode_set(wanted)
            for char in text:
                hb.hb_set_add(unicodes, ord(char))
            dropped = hb_subset.hb_subset_input_set(wanted, _HB_SUBSET_SETS_DROP_TABLE_TAG)
            for tag in _DROPPED_TABLES:
                hb.hb_set_add(dropped, int.from_bytes(tag, "big"))
            subset = hb_subset.hb_subset_or_fail(face, wanted)
            if subset == ffi.NULL:
                return None
            out = hb.hb_face_reference_blob(subset)
            length = ffi.new("unsigned int *")
            data = hb.hb_blob_get_data(out, length)
            content = bytes(ffi.buffer(data, length[0])) if length[0] else None
            hb.hb_blob_destroy(out)
            hb.hb_face_destroy(subset)
            return content
        finally:
            if wanted != ffi.NULL:
                hb_subset.hb_subset_input_destroy(wanted)
            hb.hb_face_destroy(face)
            hb.hb_blob_destroy(blob)


def common_cjk_font_faces(folder: Path) -> str:
    """Write the common-character CJK faces into folder; return @font-face rules naming them."""
    try:
        subsetter = _HarfBuzzSubsetter()
    except (ImportError, OSError, AttributeError) as error:
        LOGGER.warning("Chinese names will render more slowly: cannot load HarfBuzz (%s)", error)
        return ""
    text = common_cjk_characters()
    rules = []
    for css_weight, fc_weight in (("normal", "regular"), ("bold", "bold")):
        try:
            found = _font_file(CJK_SOURCE_FAMILY, fc_weight)
            content = subsetter.subset(*found, text) if found else None
        except (OSError, ValueError, subprocess.SubprocessError) as error:
            LOGGER.warning("Chinese names will render more slowly: %s", error)
            content = None
        if content is None:
            LOGGER.warning("Chinese names will render more slowly: no %s subset", fc_weight)
            continue
        path = folder / f"vanbill-cjk-{fc_weight}.otf"
        path.write_bytes(content)
        rules.append(
            f'@font-face {{ font-family: "{CJK_FAMILY}"; font-weight: {css_weight}; '
            f'src: url("{path.as_uri()}"); }}\n'
        )
    return "".join(rules)


# WeasyPrint styles a document with its user-agent sheet first, which covers all of HTML; every
# element is matched against every one of its rules. templates/ua.css is the cut of it for the
# elements our templates use (about 12% less time per PDF, the same pixels). WeasyPrint has no
# public option for this: its HTML class reads the sheet through two methods, which a subclass
# overrides. Should a later WeasyPrint rename them, the full sheet is used and nothing breaks.
_UA_HOOKS = ("_ua_stylesheets", "_ua_counter_style")


def user_agent_stylesheet(templates_dir: Path) -> tuple[CSS, CounterStyle] | None:
    """Return the documents' cut of WeasyPrint's user-agent sheet, or None if it cannot be used."""
    if not all(callable(getattr(HTML, hook, None)) for hook in _UA_HOOKS):
        LOGGER.warning("this WeasyPrint cannot take a user-agent stylesheet; using its own")
        return None
    counters = CounterStyle()
    sheet = CSS(
        string=(templates_dir / "ua.css").read_text(encoding="utf-8"),
        counter_style=counters,
        url_fetcher=URLFetcher(allowed_protocols={"data"}),
    )
    return sheet, counters


class _DocumentHTML(HTML):
    """An HTML document styled with the renderer's user-agent sheet instead of WeasyPrint's."""

    def __init__(self, ua: tuple[CSS, CounterStyle], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._vanbill_ua = ua

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        return [self._vanbill_ua[0]]

    def _ua_counter_style(self) -> list[CounterStyle]:
        return [self._vanbill_ua[1]]


def format_date(day: date, locale: str | None = None) -> str:
    """Format a date for a document: 5 Mar 2026, 5 Mac 2026, 2026年3月5日 (Babel, CLDR medium)."""
    return babel_dates.format_date(day, "medium", locale=i18n.cldr(locale))


def format_balance(sen: int, currency: str = "MYR") -> str:
    """Format a balance: what is owed as RM 20.50, credit as RM 20.50 in credit (never -RM)."""
    if sen < 0:
        return _("{amount} in credit").format(amount=format_money(-sen, currency))
    return format_money(sen, currency)


def document_balance(sen: int, currency: str = "MYR") -> str:
    """Format a balance for a document's narrow column: the amount never breaks across lines."""
    if sen < 0:
        amount = format_money(-sen, currency).replace(" ", "\u00a0")  # a no-break space
        return _("{amount} in credit").format(amount=amount)
    return format_money(sen, currency)


def entry_kind_label(kind: str) -> str:
    """Return a statement entry's kind as people say it."""
    word = ENTRY_KINDS.get(kind)
    return _(word) if word else kind.replace("_", " ").capitalize()


def method_label(method: str) -> str:
    """Return a payment method as people say it, in the current language."""
    word = METHOD_WORDS.get(method)
    return _(word) if word else method


def stamp_label(stamp: str | None) -> str | None:
    """Return a status stamp's word in the current language."""
    return _(stamp) if stamp else None


def line_text(line: InvoiceLineView, period: date | None) -> str:
    """Return what an invoice line bills, in the current language.

    A route line is worded from its data: the route, and the month only when it is not the
    invoice's own (the month is said once, at the top). A typed line is shown as typed.
    """
    if not line.route_name:
        late = _LATE_FEE_LINE.match(line.description)
        if late is not None:
            return _("Late fee (due {day})").format(
                day=format_date(date.fromisoformat(late.group(1)))
            )
        return line.description
    if line.period is not None and line.period != period:
        return _("{route} — {month}").format(
            route=line.route_name, month=i18n.month_name(line.period)
        )
    return line.route_name


def line_note(line: InvoiceLineView) -> str:
    """Return how a month ridden in part was billed: 'from 5 Mar, by days' ('': whole)."""
    if not line.route_name or line.part_rule is None:
        return ""
    rule = _(RULE_WORDS.get(line.part_rule, line.part_rule))
    first = i18n.short_day(line.part_from) if line.part_from else None
    last = i18n.short_day(line.part_to) if line.part_to else None
    if first and last:
        return _("from {first} to {last}, {rule}").format(first=first, last=last, rule=rule)
    if first:
        return _("from {first}, {rule}").format(first=first, rule=rule)
    if last:
        return _("to {last}, {rule}").format(last=last, rule=rule)
    return rule


def invoice_description(invoice: InvoiceView) -> str:
    """Return the invoice's own description: a monthly invoice's is worded for its month."""
    words = not invoice.description or _OLD_MONTHLY_DESCRIPTION.match(invoice.description)
    if invoice.kind == "monthly" and invoice.period is not None and words:
        return _("School transport — {month}").format(month=i18n.month_name(invoice.period))
    return invoice.description


def sibling_discount_label(invoice: InvoiceView, sibling_discount_bp: int) -> tuple[str, str]:
    """Return the discount's label and whom it covers: ('Sibling discount', '10% for Hakim').

    The child whose routes cost most pays in full and every further child gets the discount
    (services/billing.py monthly_bill); the lines list the children in that order. The percent
    is said only when it is the one that gives this discount.
    """
    children = invoice.children
    if invoice.kind != "monthly" or len(children) < 2:
        return _("Discount"), ""
    covered = list(children[1:])
    if len(covered) == 1:
        who = covered[0]
    else:
        who = _("{names} and {last}").format(names=_(", ").join(covered[:-1]), last=covered[-1])
    discounted = sum(
        line.amount_sen for line in invoice.lines if line.child_name in covered and line.route_name
    )
    if sibling_discount_bp and percent_of(discounted, sibling_discount_bp) == invoice.discount_sen:
        percent = f"{format_decimal(sibling_discount_bp / 100, locale=i18n.cldr())}%"
        return _("Sibling discount"), _("{percent} for {children}").format(
            percent=percent, children=who
        )
    return _("Sibling discount"), _("For {children}").format(children=who)


def entry_text(entry: StatementEntry) -> str:
    """Return what a statement line is, in the current language: a payment's method (and the
    payer's reference), a monthly invoice's month; words someone typed are shown as typed."""
    if entry.method is not None:
        method = method_label(entry.method)
        if entry.payer_reference:
            return _("{method} ({reference})").format(
                method=method, reference=entry.payer_reference
            )
        return method
    if entry.invoice_kind == "monthly" and entry.period is not None:
        stored = entry.description.removesuffix(" (void)")
        if not stored or stored == "Invoice" or _OLD_MONTHLY_DESCRIPTION.match(stored):
            return _("School transport — {month}").format(month=i18n.month_name(entry.period))
    if entry.invoice_kind is not None:
        stored = entry.description.removesuffix(" (void)")
        return _("Invoice") if stored in ("", "Invoice") else stored
    return entry.description


def page_counter_css() -> str:
    """Return the CSS content of the page footer's 'Page 1 of 2' in the current language."""
    words = _("Page {page} of {pages}")
    parts = re.split(r"(\{page\}|\{pages\})", words)
    out = []
    for part in parts:
        if part == "{page}":
            out.append("counter(page)")
        elif part == "{pages}":
            out.append("counter(pages)")
        elif part:
            out.append('"' + part.replace("\\", "\\\\").replace('"', '\\"') + '"')
    return " ".join(out) or "counter(page)"


def _safe_filename(stem: str, fallback: str) -> str:
    cleaned = _UNSAFE_FILENAME.sub("-", stem).strip(".-")
    return f"{cleaned or fallback}.pdf"


def invoice_filename(invoice: InvoiceView) -> str:
    """Return the file name an invoice PDF is sent under: INV-2026-0001.pdf."""
    return _safe_filename(invoice.number, f"invoice-{invoice.id}")


def receipt_filename(payment: PaymentView) -> str:
    """Return the file name a receipt PDF is sent under: RCPT-2026-0042.pdf."""
    return _safe_filename(payment.receipt_number, f"receipt-{payment.id}")


def statement_filename(statement: StatementView) -> str:
    """Return the file name a statement PDF is sent under."""
    stem = (
        f"statement-{statement.customer.id}-"
        f"{statement.start.isoformat()}-to-{statement.end.isoformat()}"
    )
    return _safe_filename(stem, f"statement-{statement.customer.id}")


@functools.lru_cache(maxsize=64)
def qr_data_uri(payload: str) -> str | None:
    """Return the payment QR code for payload as a PNG data URI, or None if it cannot hold it."""
    try:
        # Never a Micro QR (banking apps do not read them); PNG draws faster than SVG.
        code = segno.make_qr(payload, error="m")
    except segno.DataOverflowError:
        LOGGER.warning("Payment QR payload too long for a QR code (%d characters)", len(payload))
        return None
    return code.png_data_uri(scale=4, border=2)


def qr_png(text: str) -> bytes:
    """Return a QR code of text as a PNG to send or print (an invite link, say)."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()


@functools.lru_cache(maxsize=8)
def logo_data_uri(logo: bytes) -> str | None:
    """Return the operator's logo as a data URI at print size, or None when it is unreadable."""
    head = logo[:1024].lstrip()
    if head.startswith(b"<?xml") or b"<svg" in head:
        return _data_uri("image/svg+xml", logo)
    try:
        with Image.open(io.BytesIO(logo)) as image:
            image.load()
            if image.format in ("PNG", "JPEG") and max(image.size) <= LOGO_MAX_PX:
                return _data_uri(Image.MIME[image.format], logo)
            # A phone photo would otherwise be embedded whole in every invoice.
            image.thumbnail((LOGO_MAX_PX, LOGO_MAX_PX))
            out = io.BytesIO()
            if image.mode in ("RGBA", "LA", "P", "PA"):
                image.convert("RGBA").save(out, format="PNG", optimize=True)
                return _data_uri("image/png", out.getvalue())
            image.convert("RGB").save(out, format="JPEG", quality=88)
            return _data_uri("image/jpeg", out.getvalue())
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def shrink_logo(content: bytes) -> bytes:
    """Return a logo photo as a PNG or JPEG at most LOGO_MAX_PX on its long side (done once,
    when the operator sends it); refuse what is no picture."""
    if len(content) > 20_000_000:
        raise InvalidInput("logo.too_large")
    try:
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            image = ImageOps.exif_transpose(image) or image
            image.thumbnail((LOGO_MAX_PX, LOGO_MAX_PX))
            out = io.BytesIO()
            if image.mode in ("RGBA", "LA", "P", "PA"):
                image.convert("RGBA").save(out, format="PNG", optimize=True)
            else:
                image.convert("RGB").save(out, format="JPEG", quality=88)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("logo.unreadable") from exc


def _data_uri(mime: str, data: bytes) -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"


def usable_cores() -> int:
    """Return how many cores this process may run on (the default number of PDF workers)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


class DocumentRenderer:
    """Renders invoices, receipts and statements to PDF bytes; build one per process."""

    def __init__(
        self,
        *,
        templates_dir: Path = TEMPLATES_DIR,
        processes: int | None = None,
        check: bool = True,
        common_cjk: bool = True,
        full_user_agent_sheet: bool = False,
    ) -> None:
        if check:
            check_fonts()
        self._templates_dir = templates_dir
        self._processes = processes if processes is not None else usable_cores()
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(templates_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        # Every word of a template goes through the catalogs: {{ _("Due date") }}, in the
        # language the render runs in (i18n.use around it; a worker process gets it in the doc).
        env.install_gettext_callables(  # type: ignore[attr-defined]
            i18n.gettext, i18n.ngettext, newstyle=False
        )
        env.filters["phone"] = national  # 012-345 6789 on every document
        self._invoice = env.get_template("invoice.html")
        self._receipt = env.get_template("receipt.html")
        self._statement = env.get_template("statement.html")
        self._font_config = FontConfiguration()
        # Documents carry only data: URIs; refusing every other scheme means a template can
        # never make the renderer read a local file or reach the network.
        self._fetcher = URLFetcher(allowed_protocols={"data"})
        style = (templates_dir / "style.css").read_text(encoding="utf-8")
        # WeasyPrint copies @font-face files into its own folder while it parses, so ours can
        # go straight away. Only our stylesheet may read files; documents may not.
        with tempfile.TemporaryDirectory(prefix="vanbill-fonts-") as folder:
            font_faces = common_cjk_font_faces(Path(folder)) if common_cjk else ""
            self._css = CSS(
                string=font_faces + style,
                font_config=self._font_config,
                url_fetcher=URLFetcher(allowed_protocols={"data", "file"}),
            )
        self._ua = None if full_user_agent_sheet else user_agent_stylesheet(templates_dir)
        # Sync calls from several threads take turns: WeasyPrint's font state is not thread-safe.
        self._lock = threading.Lock()
        # One thread for async callers: renders are CPU-bound and hold the GIL anyway.
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vanbill-pdf")
        self._pool: ProcessPoolExecutor | None = None

    # Sync rendering, in the calling thread.

    def invoice_html(self, doc: InvoiceDocument) -> str:
        """Return the invoice as HTML (what invoice_pdf lays out), in the document's language."""
        with i18n.use(doc.locale):
            invoice = doc.invoice
            payable = invoice.status != "void" and (
                invoice.balance_sen > 0 or doc.previous_unpaid_sen > 0
            )
            payload = doc.operator.payment_qr_payload.strip()
            to_pay = max(invoice.balance_sen, 0) + doc.previous_unpaid_sen
            return self._invoice.render(
                **self._common(doc.operator, doc.today),
                doc=doc,
                invoice=invoice,
                stamp=stamp_label(STAMPS.get(invoice.display_status)),
                payable=payable,
                to_pay=to_pay,
                qr_uri=qr_data_uri(payload) if payable and payload else None,
                qr_amount=to_pay,
                # Quantity and unit price only say something when some quantity is not 1.
                show_quantities=any(line.quantity != 1 for line in invoice.lines),
                description=invoice_description(invoice),
                discount=sibling_discount_label(invoice, doc.operator.sibling_discount_bp),
            )

    def receipt_html(self, doc: ReceiptDocument) -> str:
        """Return the receipt as HTML (what receipt_pdf lays out), in the document's language."""
        with i18n.use(doc.locale):
            return self._receipt.render(
                **self._common(doc.operator, doc.today),
                doc=doc,
                payment=doc.payment,
                customer=doc.customer,
                receipt_no=doc.payment.receipt_number,
                method=method_label(doc.payment.method),
                stamp=stamp_label("VOID" if doc.payment.voided else None),
            )

    def statement_html(self, doc: StatementDocument) -> str:
        """Return the statement as HTML (what statement_pdf lays out), in its language."""
        with i18n.use(doc.locale):
            owed = doc.statement.closing_balance_sen
            payload = doc.operator.payment_qr_payload.strip()
            return self._statement.render(
                **self._common(doc.operator, doc.today),
                doc=doc,
                statement=doc.statement,
                customer=doc.statement.customer,
                kind=entry_kind_label,
                entry_text=entry_text,
                stamp=None,
                qr_uri=qr_data_uri(payload) if owed > 0 and payload else None,
                qr_amount=owed,
            )

    def invoice_pdf(self, doc: InvoiceDocument) -> bytes:
        """Render an invoice to PDF bytes."""
        return self._pdf(self.invoice_html(doc))

    def receipt_pdf(self, doc: ReceiptDocument) -> bytes:
        """Render a receipt to PDF bytes."""
        return self._pdf(self.receipt_html(doc))

    def statement_pdf(self, doc: StatementDocument) -> bytes:
        """Render a statement to PDF bytes."""
        return self._pdf(self.statement_html(doc))

    # Async rendering, off the event loop.

    async def render_invoice(self, doc: InvoiceDocument) -> bytes:
        """Render an invoice in the renderer's worker thread."""
        return await self._in_thread(self.invoice_pdf, doc)

    async def render_receipt(self, doc: ReceiptDocument) -> bytes:
        """Render a receipt in the renderer's worker thread."""
        return await self._in_thread(self.receipt_pdf, doc)

    async def render_statement(self, doc: StatementDocument) -> bytes:
        """Render a statement in the renderer's worker thread."""
        return await self._in_thread(self.statement_pdf, doc)

    async def render_invoices(self, docs: Sequence[InvoiceDocument]) -> list[bytes]:
        """Render many invoices across the worker processes, returned in the order given."""
        results = await asyncio.gather(*self.start_invoices(docs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return [result for result in results if isinstance(result, bytes)]

    def start_invoices(self, docs: Sequence[InvoiceDocument]) -> list[asyncio.Future[bytes]]:
        """Start rendering many invoices across the worker processes; one future each, in order.

        Each future is done as soon as its own PDF is, so a caller can use the first ones
        while the rest are still being drawn. Call from a running event loop.
        """
        if not docs:
            return []
        executor: Executor
        if self._processes <= 1 or len(docs) == 1:
            executor, render = self._thread, self.invoice_pdf
        else:
            executor, render = self._process_pool(), _render_invoice_in_worker
        loop = asyncio.get_running_loop()

        async def one(doc: InvoiceDocument) -> bytes:
            try:
                return await loop.run_in_executor(executor, render, doc)
            except BrokenProcessPool:
                # A worker died (killed, out of memory); the next call starts a fresh pool.
                if self._pool is executor:
                    self._discard_pool()
                raise

        return [asyncio.ensure_future(one(doc)) for doc in docs]

    def start_pool(self, timeout: float = 60.0) -> None:
        """Start the worker processes now and wait until each has built its renderer."""
        if self._processes <= 1:
            return
        pool = self._process_pool()
        # A worker takes tasks only once its initializer has built its renderer; each round
        # gives every worker a short task, until all have answered.
        answered: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(answered) < self._processes and time.monotonic() < deadline:
            futures = [pool.submit(_worker_pid) for _ in range(self._processes)]
            answered.update(future.result() for future in futures)

    async def warm(self, timeout: float = 60.0) -> None:  # noqa: ASYNC109 - a start-up bound
        """Start the worker processes without blocking the loop, and return once each has built
        its renderer: the first bulk render (a month's invoices) then starts at once instead of
        waiting seconds for the workers to import WeasyPrint and check the fonts."""
        if self._processes <= 1:
            return
        loop = asyncio.get_running_loop()
        pool = self._process_pool()
        answered: set[int] = set()
        deadline = time.monotonic() + timeout
        while len(answered) < self._processes and time.monotonic() < deadline:
            tasks = [loop.run_in_executor(pool, _worker_pid) for _ in range(self._processes)]
            answered.update(await asyncio.gather(*tasks))

    def close(self) -> None:
        """Stop the worker thread and the worker processes."""
        self._thread.shutdown(wait=True, cancel_futures=True)
        self._discard_pool()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    # Internals.

    def _common(self, operator: OperatorView, today: date) -> dict[str, Any]:
        return {
            "operator": operator,
            "today": today,
            "logo_uri": logo_data_uri(operator.logo) if operator.logo else None,
            "money": functools.partial(format_money, currency=operator.currency or "MYR"),
            "balance": functools.partial(document_balance, currency=operator.currency or "MYR"),
            # An amount inside a sentence in a narrow cell: kept on one line (a no-break space).
            "whole_money": lambda sen: format_money(sen, operator.currency or "MYR").replace(
                " ", "\u00a0"
            ),
            "day": format_date,
            "month": i18n.month_name,
            "line_text": line_text,
            "line_note": line_note,
            "page_counter": page_counter_css(),
            "lang": i18n.current().replace("_", "-"),
        }

    def _pdf(self, html: str) -> bytes:
        options = {
            "string": html,
            "base_url": str(self._templates_dir),
            "url_fetcher": self._fetcher,
        }
        document = HTML(**options) if self._ua is None else _DocumentHTML(self._ua, **options)
        with self._lock:
            pdf = document.write_pdf(
                stylesheets=[self._css], font_config=self._font_config, **PDF_OPTIONS
            )
        assert pdf is not None  # write_pdf returns bytes when given no target
        return pdf

    async def _in_thread(self, render: Callable[[Any], bytes], doc: Any) -> bytes:
        return await asyncio.get_running_loop().run_in_executor(self._thread, render, doc)

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def _process_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            # spawn, not fork: forking a process that runs threads (the bot's, ours) can copy a
            # held lock into the child and hang it.
            self._pool = ProcessPoolExecutor(
                max_workers=self._processes,
                mp_context=_PoolContext(),
                initializer=_start_worker,
                initargs=(str(self._templates_dir),),
            )
        return self._pool


class _PoolProcess(multiprocessing.context.SpawnProcess):
    """A PDF worker: it ignores SIGTERM (the parent's to act on), so terminate() means kill."""

    def terminate(self) -> None:
        # The pool terminates its workers when one dies (a broken pool) and then joins them.
        self.kill()


class _PoolContext(multiprocessing.context.SpawnContext):
    """spawn, with workers that the pool can still stop although they ignore SIGTERM."""

    Process = _PoolProcess


# Worker processes of the bulk pool each hold one renderer, built once by the initializer.
_worker_renderer: DocumentRenderer | None = None

# Bulk rendering is background work: the workers run at a lower priority, so that the bot's own
# process (answering chats, pacing sends to Telegram) gets a core the moment it needs one while
# both workers keep every core busy. They still use all the idle CPU there is.
PDF_WORKER_NICENESS = 10


def _start_worker(templates_dir: str) -> None:
    global _worker_renderer
    # SIGTERM/SIGINT to the whole process group (systemd, Ctrl-C) are for the parent: it
    # finishes or gives back what it holds, then stops its workers itself. A worker that died
    # of the signal first would fail every PDF still on its way.
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        try:
            os.nice(PDF_WORKER_NICENESS)
        except OSError:  # pragma: no cover - lowering one's own priority is always allowed
            LOGGER.warning("could not lower the priority of PDF worker %s", os.getpid())
    # The parent checked the fonts already; workers have no pool of their own.
    _worker_renderer = DocumentRenderer(
        templates_dir=Path(templates_dir), processes=1, check=False
    )


def _worker_pid() -> int:
    time.sleep(0.05)  # long enough that one ready worker cannot take every task of a round
    return os.getpid()


def _render_invoice_in_worker(doc: InvoiceDocument) -> bytes:
    if _worker_renderer is None:  # pragma: no cover - the initializer always runs first
        raise RuntimeError("the PDF worker process was started without its renderer")
    return _worker_renderer.invoice_pdf(doc)
