"""The bank's DuitNow QR: found in a photo, screenshot or PDF, read as EMVCo merchant-presented
TLV fields, its CRC checked, and kept as the payload every invoice re-encodes at full quality.

The pure part (parse_payload, crc16, describe) has no I/O; find_codes reads an image or a PDF.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from PIL import Image, ImageOps

from vanbill.services.errors import InvalidInput

LOGGER = logging.getLogger(__name__)

MAX_FILE_BYTES = 10_000_000
MAX_PIXELS = 40_000_000
# The reader finds a code more surely in an image of a sensible size (a phone photo is huge).
READ_SIDE_PX = 1600

# EMVCo merchant-presented mode tags (EMV QRCPS MPM 1.1).
PAYLOAD_FORMAT, POINT_OF_INITIATION, MCC, CURRENCY, AMOUNT = "00", "01", "52", "53", "54"
COUNTRY, MERCHANT_NAME, MERCHANT_CITY, CRC = "58", "59", "60", "63"
STATIC, DYNAMIC = "11", "12"
MERCHANT_ACCOUNT_TAGS = frozenset(f"{n:02d}" for n in range(2, 52))
# PayNet's DuitNow application identifier in a merchant account template (tag 26 and on).
DUITNOW_AID = "A000000615"
MYR = "458"


class NotPaymentCode(InvalidInput):
    """The QR holds something other than a merchant payment code (a link, text...)."""


class DamagedCode(InvalidInput):
    """The QR is a payment code whose checksum does not match: it was misread or altered."""


class OneTimeCode(InvalidInput):
    """The QR is a dynamic code, made for one payment: it cannot go on every invoice."""


class NoCodeFound(InvalidInput):
    """No QR code could be found in the picture."""


@dataclass(frozen=True)
class DuitNowCode:
    """What a confirmed DuitNow QR says, and the payload to re-encode."""

    payload: str
    merchant_name: str
    merchant_city: str
    country: str
    currency: str
    is_duitnow: bool


def crc16(data: bytes) -> int:
    """Return the CRC-16/CCITT-FALSE of data (poly 0x1021, init 0xFFFF, no reflection)."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def with_crc(payload_without_crc: str) -> str:
    """Return the payload with its tag 63 appended (the CRC covers '6304' itself)."""
    body = payload_without_crc + CRC + "04"
    return body + f"{crc16(body.encode('utf-8')):04X}"


def tlv(tag: str, value: str) -> str:
    """Return one EMVCo field: two-digit tag, two-digit length, value."""
    if len(value) > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def parse_fields(text: str) -> list[tuple[str, str]]:
    """Split EMVCo TLV text into (tag, value) pairs, or raise NotPaymentCode."""
    fields: list[tuple[str, str]] = []
    at = 0
    while at < len(text):
        head = text[at : at + 4]
        if len(head) < 4 or not head.isascii() or not head.isdigit():
            raise NotPaymentCode("qr.not_payment")
        tag, length = head[:2], int(head[2:])
        value = text[at + 4 : at + 4 + length]
        if len(value) != length:
            raise NotPaymentCode("qr.not_payment")
        fields.append((tag, value))
        at += 4 + length
    return fields


def parse_payload(text: str) -> DuitNowCode:
    """Check a scanned payload is a static DuitNow (EMVCo) code with a good CRC; describe it."""
    payload = text.strip()
    if not payload.startswith("000201"):
        raise NotPaymentCode("qr.link_or_text")
    fields = parse_fields(payload)
    tags = dict(fields)
    if fields[-1][0] != CRC or len(fields[-1][1]) != 4:
        raise NotPaymentCode("qr.no_checksum")
    body = payload[:-4]
    if f"{crc16(body.encode('utf-8')):04X}" != fields[-1][1].upper():
        raise DamagedCode("qr.checksum")
    accounts = [value for tag, value in fields if tag in MERCHANT_ACCOUNT_TAGS]
    if not accounts:
        raise NotPaymentCode("qr.no_account")
    if tags.get(POINT_OF_INITIATION) == DYNAMIC:
        raise OneTimeCode("qr.dynamic")
    if tags.get(AMOUNT):
        raise OneTimeCode("qr.fixed_amount")
    if tags.get(CURRENCY, MYR) != MYR:
        raise NotPaymentCode("qr.currency")
    return DuitNowCode(
        payload=payload,
        merchant_name=tags.get(MERCHANT_NAME, "").strip(),
        merchant_city=tags.get(MERCHANT_CITY, "").strip(),
        country=tags.get(COUNTRY, "").strip(),
        currency=tags.get(CURRENCY, MYR),
        is_duitnow=any(DUITNOW_AID in value.upper() for value in accounts),
    )


def choose_code(texts: list[str]) -> DuitNowCode:
    """Return the one payment code among the codes found; the first refusal otherwise."""
    if not texts:
        raise NoCodeFound("qr.not_found")
    problem: InvalidInput | None = None
    for text in texts:
        try:
            return parse_payload(text)
        except InvalidInput as refused:
            problem = problem or refused
    assert problem is not None
    raise problem


def _images_of_pdf(content: bytes) -> list[Image.Image]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content))
        found = []
        for page in reader.pages[:5]:
            for embedded in page.images:
                found.append(embedded.image)
        return found
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise InvalidInput("qr.pdf_unreadable") from exc


def _images(content: bytes, is_pdf: bool) -> list[Image.Image]:
    if len(content) > MAX_FILE_BYTES:
        raise InvalidInput("qr.file_too_big")
    if is_pdf or content[:5] == b"%PDF-":
        return _images_of_pdf(content)
    try:
        image = Image.open(io.BytesIO(content))
        if image.width * image.height > MAX_PIXELS:
            raise InvalidInput("qr.picture_too_big")
        image.load()
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise InvalidInput("qr.picture_unreadable") from exc
    return [ImageOps.exif_transpose(image) or image]


def _read(image: Image.Image) -> list[str]:
    import zxingcpp

    picture = image.convert("L")
    tries = [picture]
    if max(picture.size) > READ_SIDE_PX:
        smaller = picture.copy()
        smaller.thumbnail((READ_SIDE_PX, READ_SIDE_PX))
        tries.insert(0, smaller)
    for attempt in tries:
        codes = zxingcpp.read_barcodes(attempt, formats=zxingcpp.BarcodeFormat.QRCode)
        texts = [c.text for c in codes if c.valid and c.text]
        if texts:
            return texts
    return []


def find_codes(content: bytes, *, is_pdf: bool = False) -> list[str]:
    """Return the text of every QR code in a photo, screenshot or PDF (the PDF's images)."""
    found: list[str] = []
    for image in _images(content, is_pdf):
        found.extend(_read(image))
    return found


def read_code(content: bytes, *, is_pdf: bool = False) -> DuitNowCode:
    """Find the DuitNow QR in a picture or PDF and check it; raise the reason it cannot be used."""
    return choose_code(find_codes(content, is_pdf=is_pdf))
