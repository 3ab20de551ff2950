"""The bank's DuitNow QR: read from photos and PDFs, EMVCo fields, CRC, refusals."""

from __future__ import annotations

import pytest

from tests.qr_pictures import (
    damaged,
    duitnow_payload,
    pdf_with_qr,
    photo_of_qr,
    picture_without_qr,
)
from vanbill.services import duitnow


def test_crc_is_ccitt_false() -> None:
    assert duitnow.crc16(b"123456789") == 0x29B1  # the catalogue's check value


def test_a_static_duitnow_code_is_described() -> None:
    code = duitnow.parse_payload(duitnow_payload())
    assert (code.merchant_name, code.merchant_city, code.is_duitnow) == (
        "KAK ROS ENTERPRISE",
        "Kuala Lumpur",
        True,
    )


@pytest.mark.parametrize(("turn", "scale"), [(0.0, 1.0), (4.0, 1.6), (-7.0, 0.8), (2.0, 3.0)])
def test_a_photographed_code_is_found_and_read(turn: float, scale: float) -> None:
    payload = duitnow_payload()
    assert duitnow.read_code(photo_of_qr(payload, turn=turn, scale=scale)).payload == payload


def test_the_code_in_a_banks_pdf_is_read() -> None:
    payload = duitnow_payload()
    assert duitnow.read_code(pdf_with_qr(payload), is_pdf=True).payload == payload


@pytest.mark.parametrize(
    ("picture", "refusal", "says"),
    [
        (picture_without_qr(), duitnow.NoCodeFound, "qr.not_found"),
        (photo_of_qr("https://example.com/menu"), duitnow.NotPaymentCode, "qr.link_or_text"),
        (photo_of_qr("000201hello"), duitnow.NotPaymentCode, "qr.not_payment"),
        (photo_of_qr(damaged(duitnow_payload())), duitnow.DamagedCode, "qr.checksum"),
        (photo_of_qr(duitnow_payload(initiation="12")), duitnow.OneTimeCode, "qr.dynamic"),
        (photo_of_qr(duitnow_payload(amount="205.50")), duitnow.OneTimeCode, "qr.fixed_amount"),
        (b"not a picture at all", duitnow.InvalidInput, "qr.picture_unreadable"),
    ],
)
def test_what_is_no_usable_code_is_refused_with_the_reason(
    picture: bytes, refusal: type[Exception], says: str
) -> None:
    with pytest.raises(refusal, match=says):
        duitnow.read_code(picture)
