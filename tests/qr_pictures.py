"""QR pictures for tests, made with segno as a phone would photograph them: scaled, turned a
little, on a coloured border, saved as JPEG; and the DuitNow payloads they carry."""

from __future__ import annotations

import io

import segno
from PIL import Image

from vanbill.services import duitnow


def duitnow_payload(
    name: str = "KAK ROS ENTERPRISE",
    city: str = "Kuala Lumpur",
    *,
    initiation: str = "11",
    amount: str | None = None,
) -> str:
    """Return a DuitNow merchant-presented payload with a correct CRC."""
    account = (
        duitnow.tlv("00", "A000000615000101")
        + duitnow.tlv("01", "890087")
        + duitnow.tlv("02", "0000001234567890")
    )
    fields = (
        duitnow.tlv("00", "01")
        + duitnow.tlv("01", initiation)
        + duitnow.tlv("26", account)
        + duitnow.tlv("52", "4121")
        + duitnow.tlv("53", "458")
        + (duitnow.tlv("54", amount) if amount else "")
        + duitnow.tlv("58", "MY")
        + duitnow.tlv("59", name)
        + duitnow.tlv("60", city)
    )
    return duitnow.with_crc(fields)


def damaged(payload: str) -> str:
    """Return the payload with one character of the name changed and the old CRC kept."""
    at = payload.index("KAK")
    return payload[:at] + "C" + payload[at + 1 :]


def photo_of_qr(text: str, *, turn: float = 4.0, scale: float = 1.6, fmt: str = "JPEG") -> bytes:
    """Return a photo-like picture of a QR code holding text."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=6, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    code = code.rotate(turn, expand=True, fillcolor=(255, 255, 255))
    picture = Image.new("RGB", (code.width + 320, code.height + 440), (196, 184, 160))
    picture.paste(code, (160, 200))
    picture = picture.resize((int(picture.width * scale), int(picture.height * scale)))
    out = io.BytesIO()
    picture.save(out, format=fmt, quality=85)
    return out.getvalue()


def picture_without_qr() -> bytes:
    """Return a photo of nothing in particular."""
    picture = Image.new("RGB", (800, 600), (120, 160, 200))
    for x in range(0, 800, 40):
        picture.paste((250, 250, 250), (x, 0, x + 10, 600))
    out = io.BytesIO()
    picture.save(out, format="JPEG")
    return out.getvalue()


def pdf_with_qr(text: str) -> bytes:
    """Return a one-page PDF holding a picture of the QR (as a bank's PDF does)."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=8, border=4)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="PDF", resolution=150)
    return out.getvalue()
