"""Invoice, receipt and statement PDFs: what a parent reads in them, checked in the PDF text."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from PIL import Image
from pypdf import PdfReader

from vanbill.services import duitnow
from vanbill.services.documents import (
    LOGO_MAX_PX,
    PDF_WORKER_NICENESS,
    TEMPLATES_DIR,
    DocumentRenderer,
    FontsMissing,
    check_fonts,
    common_cjk_characters,
    common_cjk_font_faces,
    invoice_filename,
    missing_fonts,
    qr_data_uri,
    receipt_filename,
    statement_filename,
)
from vanbill.services.money import format_money
from vanbill.services.views import (
    AllocationView,
    ChildView,
    CustomerView,
    InvoiceDocument,
    InvoiceLineView,
    InvoiceView,
    OperatorView,
    PaymentView,
    ReceiptDocument,
    SettledInvoice,
    StatementDocument,
    StatementEntry,
    StatementView,
    UnpaidInvoice,
)

CHINESE = "陈美玲"
TAMIL = "குமார்"
ESCAPED = '<b>Ali</b> & "Sons"'
QR_PAYLOAD = "00020201021126580014A000000615000101065887340212DUITNOW-DEMO5204000053034585802MY"


def make_operator(**changes: object) -> OperatorView:
    """Build a Kuala Lumpur van operator with bank details and a DuitNow QR payload."""
    operator = OperatorView(
        id=1,
        telegram_user_id=1001,
        business_name="Van Sekolah Kak Ros",
        address="12 Jalan Melati 3\nTaman Melati, 53100 Kuala Lumpur",
        phone="+60 12-345 6789",
        bank_name="Maybank",
        bank_account="5140 1234 5678",
        duitnow_id="+60123456789",
        payment_note="Cash is welcome at pick-up too.",
        payment_qr_payload=QR_PAYLOAD,
        logo=None,
        timezone="Asia/Kuala_Lumpur",
        currency="MYR",
        invoice_prefix="INV",
        due_day=7,
        billing_day=1,
        billing_hour=8,
        reminder_hour=9,
        reminder_offsets=(0, 3, 7),
        reminders_enabled=True,
        sibling_discount_bp=1000,
        approval_required=False,
    )
    return replace(operator, **changes)  # type: ignore[arg-type]


def make_invoice(**changes: object) -> InvoiceView:
    """Build a March invoice for a family of three children, one of them discounted."""
    lines = (
        InvoiceLineView("Morning route, March", 1, 18_000, 18_000, "Nur Aisyah binti Ahmad"),
        InvoiceLineView("Morning route, March", 1, 18_000, 18_000, CHINESE),
        InvoiceLineView("Afternoon route, March", 1, 15_050, 15_050, TAMIL),
        InvoiceLineView("School trip to Zoo Negara", 2, 1_225, 2_450, "José Müller"),
    )
    subtotal = sum(line.amount_sen for line in lines)
    invoice = InvoiceView(
        id=7,
        number="INV-2026-0001",
        customer_id=3,
        customer_name="Ahmad bin Abdullah",
        customer_phone="+60 13-222 3344",
        kind="monthly",
        period=date(2026, 3, 1),
        issue_date=date(2026, 3, 1),
        due_date=date(2026, 3, 7),
        description="",
        subtotal_sen=subtotal,
        discount_sen=1_805,
        total_sen=subtotal - 1_805,
        paid_sen=10_000,
        credit_applied_sen=2_500,
        status="partial",
        overdue=False,
        lines=lines,
    )
    return replace(invoice, **changes)  # type: ignore[arg-type]


def make_invoice_document(**changes: object) -> InvoiceDocument:
    """Build an invoice document with an earlier unpaid balance."""
    return InvoiceDocument(
        operator=make_operator(),
        invoice=make_invoice(**changes),
        previous_unpaid_sen=4_510,
        today=date(2026, 3, 1),
    )


def make_customer() -> CustomerView:
    """Build the family the receipt and statement are about."""
    return CustomerView(
        id=3,
        name="Ahmad bin Abdullah",
        phone="+60 13-222 3344",
        telegram_user_id=None,
        telegram_chat_id=None,
        notes="",
        archived=False,
        reminders_paused=False,
        children=(
            ChildView(1, 3, "Nur Aisyah binti Ahmad", "primary", 2016, "SK Taman Melati"),
            ChildView(2, 3, CHINESE, "primary", 2017, "SJK(C) Kepong"),
            ChildView(3, 3, TAMIL, "kindergarten", 2020, "Tadika Sri"),
        ),
    )


def make_receipt_document(balance_after_sen: int, **changes: object) -> ReceiptDocument:
    """Build a receipt for a bank transfer that settled two invoices."""
    payment = PaymentView(
        id=42,
        receipt_number="RCPT-2026-0042",
        customer_id=3,
        customer_name="Ahmad bin Abdullah",
        amount_sen=50_000,
        method="bank_transfer",
        reference="MBB-778812",
        paid_on=date(2026, 3, 5),
        voided=False,
        created_at=datetime(2026, 3, 5, 2, 30, tzinfo=UTC),
        allocations=(
            AllocationView(6, "INV-2026-0000", 12_345),
            AllocationView(7, "INV-2026-0001", 30_000),
        ),
    )
    return ReceiptDocument(
        operator=make_operator(),
        payment=replace(payment, **changes),  # type: ignore[arg-type]
        customer=make_customer(),
        balance_after_sen=balance_after_sen,
        today=date(2026, 3, 5),
    )


def make_statement_document() -> StatementDocument:
    """Build a quarter's statement that ends in credit."""
    entries = (
        StatementEntry(date(2026, 1, 1), "invoice", "INV-2026-0101", "January", 51_000, 0, 63_345),
        StatementEntry(date(2026, 1, 9), "payment", "MBB-11", "Bank transfer", 0, 63_345, 0),
        StatementEntry(
            date(2026, 2, 1), "invoice", "INV-2026-0202", "February", 49_875, 0, 49_875
        ),
        StatementEntry(date(2026, 2, 3), "void", "INV-2026-0202", "Void", 0, 49_875, 0),
        StatementEntry(date(2026, 3, 2), "payment", "CASH", "Cash at pick-up", 0, 2_050, -2_050),
    )
    statement = StatementView(
        customer=make_customer(),
        start=date(2026, 1, 1),
        end=date(2026, 3, 31),
        opening_balance_sen=12_345,
        entries=entries,
        closing_balance_sen=-2_050,
    )
    return StatementDocument(operator=make_operator(), statement=statement, today=date(2026, 4, 1))


@pytest.fixture(scope="module")
def renderer() -> Iterator[DocumentRenderer]:
    """Build one renderer for the whole module, as the bot builds one per process."""
    built = DocumentRenderer(processes=2)
    yield built
    built.close()


def pdf_text(pdf: bytes) -> str:
    """Return the text of every page, as pypdf extracts it."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def poppler_text(pdf: bytes) -> str:
    """Return the text as poppler's pdftotext extracts it (it reads Tamil conjuncts right)."""
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-layout", "-", "-"],
        input=pdf,
        capture_output=True,
        check=True,
        timeout=30,
    )
    return done.stdout.decode("utf-8")


def font_names(pdf: bytes) -> set[str]:
    """Return the base names of every font embedded in the PDF, without subset tags."""
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            base = str(font.get_object()["/BaseFont"]).lstrip("/")
            names.add(base.split("+", 1)[-1])
    return names


def image_count(pdf: bytes) -> int:
    """Return how many images the pages draw."""
    return sum(len(page.images) for page in PdfReader(io.BytesIO(pdf)).pages)


def page_count(pdf: bytes) -> int:
    """Return the number of pages."""
    return len(PdfReader(io.BytesIO(pdf)).pages)


def flat(text: str) -> str:
    """Collapse runs of white space, since extraction breaks lines where the layout does."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def invoice_pdf(renderer: DocumentRenderer) -> bytes:
    """Render the sample invoice once for the tests that only read it."""
    return renderer.invoice_pdf(make_invoice_document())


def test_invoice_shows_number_parent_lines_totals_and_balance_to_the_sen(
    invoice_pdf: bytes,
) -> None:
    text = flat(pdf_text(invoice_pdf))
    invoice = make_invoice()
    assert "INV-2026-0001" in text
    assert "Ahmad bin Abdullah" in text
    assert "013-222 3344" in text  # one national format
    assert "March 2026" in text
    assert "7 Mar 2026" in text
    for line in invoice.lines:
        assert format_money(line.amount_sen) in text
        assert format_money(line.unit_price_sen) in text
    assert "RM 51.00" not in text  # guards against a formatter dropping the odd sen
    assert "RM 150.50" in text
    assert "RM 24.50" in text
    assert f"Subtotal {format_money(invoice.subtotal_sen)}" in text
    assert f"-{format_money(invoice.discount_sen)}" in text
    assert "Sibling discount For 陈美玲" in text  # whom it covers: every child after the first
    assert f"Total {format_money(invoice.total_sen)}" in text
    assert f"Credit applied -{format_money(2_500)}" in text
    assert f"Amount paid so far -{format_money(7_500)}" in text
    assert f"Balance due {format_money(invoice.balance_sen)}" in text
    assert f"Earlier unpaid invoices {format_money(4_510)}" in text
    assert f"Total to pay now {format_money(invoice.balance_sen + 4_510)}" in text


def test_invoice_tells_the_parent_how_to_pay_and_to_quote_the_invoice_number(
    invoice_pdf: bytes,
) -> None:
    text = flat(pdf_text(invoice_pdf))
    assert "Maybank" in text
    assert "5140 1234 5678" in text
    assert "+60123456789" in text
    assert "Cash is welcome at pick-up too." in text
    # The reference is given once, as a payment detail; the operator's note is not repeated.
    assert "Payment reference INV-2026-0001" in text
    assert text.count("INV-2026-0001") == 2  # the invoice number at the top, the reference


def test_invoice_hides_discount_and_previous_balance_when_there_are_none(
    renderer: DocumentRenderer,
) -> None:
    doc = replace(
        make_invoice_document(discount_sen=0, credit_applied_sen=0, paid_sen=0),
        previous_unpaid_sen=0,
    )
    text = pdf_text(renderer.invoice_pdf(doc))
    assert "Sibling discount" not in text
    assert "Earlier unpaid" not in text
    assert "Total to pay now" not in text
    assert "Credit applied" not in text
    assert "Amount paid so far" not in text


def test_names_from_every_community_come_out_as_text(invoice_pdf: bytes) -> None:
    text = pdf_text(invoice_pdf)
    assert "Nur Aisyah binti Ahmad" in text
    assert "José Müller" in text
    assert CHINESE in text
    # pypdf reorders the Tamil vowel sign; poppler maps the shaped glyphs back in order.
    assert TAMIL in poppler_text(invoice_pdf)


def test_chinese_and_tamil_names_are_drawn_with_noto_fonts_not_tofu(invoice_pdf: bytes) -> None:
    fonts = font_names(invoice_pdf)
    assert any("CJK" in name for name in fonts), fonts
    assert any("Tamil" in name for name in fonts), fonts


def test_common_chinese_names_use_the_small_cjk_cut_and_rare_ones_the_full_face(
    renderer: DocumentRenderer,
) -> None:
    assert {"陈", "陳", "林", "黄", "玲"} <= set(common_cjk_characters())
    assert [char for char in common_cjk_characters() if char.isascii()] == [" "]
    common = font_names(renderer.invoice_pdf(make_invoice_document()))
    assert "VanBill-CJK" in common
    assert "Noto-Sans-CJK-SC" not in common
    lines = (InvoiceLineView("Morning route, March", 1, 18_000, 18_000, "林堃"),)
    pdf = renderer.invoice_pdf(make_invoice_document(lines=lines))
    assert {"VanBill-CJK", "Noto-Sans-CJK-SC"} <= font_names(pdf)  # 林 from the cut, 堃 not
    assert "林堃" in pdf_text(pdf)


def test_the_small_cjk_cut_has_spaces_so_pango_never_sets_a_box_after_a_chinese_name(
    tmp_path: Path,
) -> None:
    rules = common_cjk_font_faces(tmp_path)
    assert rules.count("@font-face") == 2
    for path in sorted(tmp_path.glob("*.otf")):
        cmap = TTFont(path)["cmap"].getBestCmap()
        assert {0x20, 0xA0, 0x3000, ord("陈"), ord("陳")} <= set(cmap), path.name


def test_chinese_names_still_print_without_the_small_cjk_cut() -> None:
    with DocumentRenderer(processes=1, check=False, common_cjk=False) as plain:
        pdf = plain.invoice_pdf(make_invoice_document())
    assert "Noto-Sans-CJK-SC" in font_names(pdf)
    assert CHINESE in pdf_text(pdf)


def test_a_family_without_chinese_or_tamil_names_embeds_no_cjk_or_tamil_font(
    renderer: DocumentRenderer,
) -> None:
    lines = (InvoiceLineView("Morning route, March", 1, 18_000, 18_000, "Siti"),)
    pdf = renderer.invoice_pdf(make_invoice_document(lines=lines))
    fonts = font_names(pdf)
    assert not any("CJK" in name or "Tamil" in name for name in fonts), fonts


def test_markup_in_a_customer_name_prints_literally(renderer: DocumentRenderer) -> None:
    pdf = renderer.invoice_pdf(make_invoice_document(customer_name=ESCAPED))
    assert ESCAPED in pdf_text(pdf)


def test_markup_is_escaped_in_the_html_handed_to_weasyprint(renderer: DocumentRenderer) -> None:
    html = renderer.invoice_html(make_invoice_document(customer_name=ESCAPED))
    assert "&lt;b&gt;Ali&lt;/b&gt; &amp; &#34;Sons&#34;" in html
    assert "<b>Ali</b>" not in html


def test_a_normal_family_invoice_is_exactly_one_page(invoice_pdf: bytes) -> None:
    assert page_count(invoice_pdf) == 1


def test_a_long_statement_flows_onto_more_pages(renderer: DocumentRenderer) -> None:
    doc = make_statement_document()
    many = doc.statement.entries * 10
    pdf = renderer.statement_pdf(replace(doc, statement=replace(doc.statement, entries=many)))
    assert page_count(pdf) > 1
    assert "Page 2 of" in pdf_text(pdf)


@pytest.mark.parametrize(
    ("status", "overdue", "stamp"),
    [
        ("paid", False, "PAID"),
        ("void", False, "VOID"),
        ("open", True, "OVERDUE"),
        ("partial", True, "OVERDUE"),
        ("draft", False, "DRAFT"),
        ("open", False, None),
        ("partial", False, None),
    ],
)
def test_status_stamp_appears_only_for_that_status(
    renderer: DocumentRenderer, status: str, overdue: bool, stamp: str | None
) -> None:
    text = pdf_text(renderer.invoice_pdf(make_invoice_document(status=status, overdue=overdue)))
    for word in ("PAID", "VOID", "OVERDUE", "DRAFT"):
        assert (word in text) == (word == stamp), (word, text)


def test_payment_qr_code_appears_only_when_a_payload_is_set(
    renderer: DocumentRenderer, invoice_pdf: bytes
) -> None:
    doc = make_invoice_document()
    without = replace(doc, operator=make_operator(payment_qr_payload=""))
    assert image_count(invoice_pdf) == 1
    # The amount to enter is the total to pay now (this invoice and the earlier unpaid ones).
    assert "Scan with your banking app and enter RM 462.05" in flat(pdf_text(invoice_pdf))
    assert image_count(renderer.invoice_pdf(without)) == 0


def test_the_qr_printed_on_the_invoice_reads_back_as_the_payload(
    renderer: DocumentRenderer,
) -> None:
    payload = duitnow_payload("KAK ROS ENTERPRISE")
    doc = replace(make_invoice_document(), operator=make_operator(payment_qr_payload=payload))
    pdf = renderer.invoice_pdf(doc)
    (image,) = [i.image for page in PdfReader(io.BytesIO(pdf)).pages for i in page.images]
    assert duitnow.find_codes(png(image)) == [payload]


def test_account_holder_ssm_number_and_national_phone_are_printed(
    renderer: DocumentRenderer,
) -> None:
    operator = make_operator(
        account_holder="Rosnah binti Ismail",
        ssm_number="202301012345 (1234567-A)",
        phone="+60123456789",
    )
    text = flat(
        pdf_text(renderer.invoice_pdf(replace(make_invoice_document(), operator=operator)))
    )
    assert "Account name Rosnah binti Ismail" in text
    assert "SSM 202301012345 (1234567-A)" in text
    assert "Tel: 012-345 6789" in text


def png(image: object) -> bytes:
    """Return a PIL image as PNG bytes."""
    out = io.BytesIO()
    image.save(out, format="PNG")  # type: ignore[attr-defined]
    return out.getvalue()


def duitnow_payload(name: str) -> str:
    """Return a static DuitNow payload for a merchant, with its CRC."""
    account = duitnow.tlv("00", "A000000615000101") + duitnow.tlv("02", "0000001234567890")
    return duitnow.with_crc(
        duitnow.tlv("00", "01")
        + duitnow.tlv("01", "11")
        + duitnow.tlv("26", account)
        + duitnow.tlv("53", "458")
        + duitnow.tlv("58", "MY")
        + duitnow.tlv("59", name)
        + duitnow.tlv("60", "Kuala Lumpur")
    )


def test_a_short_qr_payload_still_makes_a_full_qr_code_that_banking_apps_read() -> None:
    uri = qr_data_uri("60123456789")
    assert uri is not None
    png = base64.b64decode(uri.split(",", 1)[1])
    with Image.open(io.BytesIO(png)) as image:
        # A full QR code is at least 21 modules across (a Micro QR 11-17), plus the border.
        assert image.size[0] >= (21 + 2 * 2) * 4


def test_a_qr_payload_too_long_for_a_qr_code_leaves_it_out_instead_of_failing(
    renderer: DocumentRenderer,
) -> None:
    doc = make_invoice_document()
    doc = replace(doc, operator=make_operator(payment_qr_payload="9" * 8_000))
    pdf = renderer.invoice_pdf(doc)
    assert image_count(pdf) == 0
    assert "Payment reference INV-2026-0001" in flat(pdf_text(pdf))


def test_paid_invoice_carries_no_payment_qr_code_inviting_a_second_payment(
    renderer: DocumentRenderer,
) -> None:
    invoice = make_invoice()
    doc = replace(
        make_invoice_document(status="paid", paid_sen=invoice.total_sen), previous_unpaid_sen=0
    )
    pdf = renderer.invoice_pdf(doc)
    assert image_count(pdf) == 0
    assert "Balance due RM 0.00" in flat(pdf_text(pdf))


def test_operator_logo_is_drawn_in_the_letterhead(renderer: DocumentRenderer) -> None:
    # A 1x1 red PNG.
    logo = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de"
        "0000000c4944415408d763f8cfc000000301010018dd8db00000000049454e44ae426082"
    )
    doc = make_invoice_document()
    doc = replace(doc, operator=make_operator(logo=logo, payment_qr_payload=""))
    assert image_count(renderer.invoice_pdf(doc)) == 1


def test_a_phone_photo_logo_is_shrunk_before_it_goes_into_every_invoice(
    renderer: DocumentRenderer,
) -> None:
    photo = io.BytesIO()
    Image.effect_noise((2400, 1800), 80).convert("RGB").save(photo, format="JPEG", quality=95)
    assert len(photo.getvalue()) > 1_000_000
    doc = make_invoice_document()
    doc = replace(doc, operator=make_operator(logo=photo.getvalue(), payment_qr_payload=""))
    pdf = renderer.invoice_pdf(doc)
    (image,) = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert max(image.image.size) == LOGO_MAX_PX
    assert len(pdf) < 300_000


def test_a_logo_that_is_no_image_is_left_out_instead_of_failing(
    renderer: DocumentRenderer,
) -> None:
    doc = make_invoice_document()
    doc = replace(doc, operator=make_operator(logo=b"not an image", payment_qr_payload=""))
    pdf = renderer.invoice_pdf(doc)
    assert image_count(pdf) == 0
    assert "INV-2026-0001" in pdf_text(pdf)


def test_receipt_lists_what_was_paid_and_the_invoices_it_settled(
    renderer: DocumentRenderer,
) -> None:
    text = flat(pdf_text(renderer.receipt_pdf(make_receipt_document(balance_after_sen=4_510))))
    assert "RCPT-2026-0042" in text
    assert "RM 500.00" in text
    assert "Bank transfer" in text
    assert "MBB-778812" in text
    assert "5 Mar 2026" in text
    assert "INV-2026-0000 RM 123.45" in text
    assert "INV-2026-0001 RM 300.00" in text
    assert "Kept as credit RM 76.55" in text
    assert "Balance still owing: RM 45.10" in text
    assert "VOID" not in text
    assert "voided" not in text


def test_receipt_shows_credit_when_the_family_paid_more_than_it_owed(
    renderer: DocumentRenderer,
) -> None:
    text = flat(pdf_text(renderer.receipt_pdf(make_receipt_document(balance_after_sen=-7_655))))
    assert "RM 76.55 in credit (taken off your next invoice)" in text
    assert "owing" not in text and "-RM" not in text


def test_receipt_says_nothing_is_owing_when_the_balance_is_zero(
    renderer: DocumentRenderer,
) -> None:
    text = flat(pdf_text(renderer.receipt_pdf(make_receipt_document(balance_after_sen=0))))
    assert "Fully paid: nothing is owing." in text
    assert "In credit" not in text


def test_voided_payment_receipt_is_stamped_void(renderer: DocumentRenderer) -> None:
    doc = make_receipt_document(balance_after_sen=50_000, voided=True)
    text = flat(pdf_text(renderer.receipt_pdf(doc)))
    assert "VOID" in text
    assert "This payment was voided" in text


def test_statement_shows_every_entry_with_its_running_balance(
    renderer: DocumentRenderer,
) -> None:
    text = flat(pdf_text(renderer.statement_pdf(make_statement_document())))
    assert "Opening balance RM 123.45" in text
    assert "9 Jan 2026 Payment MBB-11 Bank transfer RM 633.45 RM 0.00" in text
    assert "1 Feb 2026 Invoice INV-2026-0202 February RM 498.75 RM 498.75" in text
    assert "3 Feb 2026 Void INV-2026-0202 Void RM 498.75 RM 0.00" in text
    assert "2 Mar 2026 Payment CASH Cash at pick-up RM 20.50 RM 20.50 in credit" in text
    assert "Closing balance RM 20.50 in credit" in text
    assert "RM 20.50 in credit: taken off your next invoices." in text
    assert "-RM" not in text  # credit is never shown as a negative balance
    assert "Account of Ahmad bin Abdullah" in text


def test_sync_and_async_renders_are_the_same_document(renderer: DocumentRenderer) -> None:
    doc = make_receipt_document(balance_after_sen=0)
    pdf = asyncio.run(renderer.render_receipt(doc))
    assert pdf.startswith(b"%PDF-")
    assert pdf_text(pdf) == pdf_text(renderer.receipt_pdf(doc))


def test_bulk_render_in_worker_processes_returns_invoices_in_order(
    renderer: DocumentRenderer,
) -> None:
    renderer.start_pool()
    workers = renderer._process_pool()._processes  # white box: every worker is up
    assert len(workers) == 2
    docs = [make_invoice_document(number=f"INV-2026-{n:04d}") for n in range(1, 5)]
    pdfs = asyncio.run(renderer.render_invoices(docs))
    assert [f"INV-2026-{n:04d}" in pdf_text(pdf) for n, pdf in enumerate(pdfs, 1)] == [True] * 4


def test_warming_starts_every_worker_without_blocking_the_loop() -> None:
    """`vanbill run` and `vanbill send` warm their workers as they start: the loop goes on
    (a tick of 10 ms keeps ticking) while each worker builds its renderer, and then every
    worker is up, so the month's first PDF does not wait for them."""
    with DocumentRenderer(processes=2) as fresh:

        async def warm_while_ticking() -> int:
            ticks = 0
            warming = asyncio.ensure_future(fresh.warm())
            while not warming.done():
                await asyncio.sleep(0.01)
                ticks += 1
            await warming
            return ticks

        ticks = asyncio.run(warm_while_ticking())
        workers = fresh._process_pool()._processes  # white box: the live worker processes
        assert len(workers) == 2 and all(p.is_alive() for p in workers.values())
        assert ticks >= 10  # the workers took a while, and the loop was free meanwhile
        assert asyncio.run(fresh.render_invoices([make_invoice_document()] * 2))[0][:5] == b"%PDF-"


def test_pdf_workers_run_at_a_lower_priority_than_the_bot(renderer: DocumentRenderer) -> None:
    renderer.start_pool()
    workers = renderer._process_pool()._processes  # white box: the live worker processes
    mine = os.getpriority(os.PRIO_PROCESS, 0)
    expected = min(19, mine + PDF_WORKER_NICENESS)
    assert {os.getpriority(os.PRIO_PROCESS, pid) for pid in workers} == {expected}


def test_filenames_follow_the_document_numbers() -> None:
    doc = make_statement_document()
    assert invoice_filename(make_invoice()) == "INV-2026-0001.pdf"
    assert invoice_filename(make_invoice(number="INV/2026 01")) == "INV-2026-01.pdf"
    assert receipt_filename(make_receipt_document(0).payment) == "RCPT-2026-0042.pdf"
    assert statement_filename(doc.statement) == "statement-3-2026-01-01-to-2026-03-31.pdf"


def test_missing_fonts_name_the_debian_packages_to_install() -> None:
    assert missing_fonts(["Noto Sans", "Noto Sans Tamil", "Noto Sans CJK SC"]) == {}
    with pytest.raises(FontsMissing, match="fonts-noto-cjk") as raised:
        check_fonts(["Noto Sans", "Noto Sans Tamil", "DejaVu Sans"])
    assert "fonts-noto-core" not in str(raised.value)
    with pytest.raises(FontsMissing, match="fonts-noto-core"):
        check_fonts(["Noto Sans CJK SC"])


@pytest.mark.skipif(shutil.which("fc-list") is None, reason="fontconfig is not installed")
def test_the_fonts_this_machine_needs_are_installed() -> None:
    check_fonts()


def test_bulk_render_recovers_after_a_worker_process_dies(renderer: DocumentRenderer) -> None:
    docs = [make_invoice_document(number=f"INV-2026-{n:04d}") for n in range(1, 4)]
    asyncio.run(renderer.render_invoices(docs))
    pid = next(iter(renderer._process_pool()._processes))  # white box: kill one worker
    os.kill(pid, signal.SIGKILL)
    time.sleep(0.2)  # let the pool notice, so the next call cannot race the death
    with pytest.raises(BrokenProcessPool):
        asyncio.run(renderer.render_invoices(docs))
    pdfs = asyncio.run(renderer.render_invoices(docs))
    assert "INV-2026-0003" in pdf_text(pdfs[2])


def page_pixels(pdf: bytes) -> list[bytes]:
    """Return every page rasterised by poppler at 72 dpi, as raw RGB pixels."""
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(
            ["pdftoppm", "-r", "72", "-png", "-", f"{folder}/page"],
            input=pdf,
            check=True,
            timeout=60,
        )
        pages = sorted(Path(folder).glob("page*.png"))
        return [Image.open(page).convert("RGB").tobytes() for page in pages]


@pytest.fixture(scope="module")
def full_ua_renderer() -> Iterator[DocumentRenderer]:
    """Build a renderer that styles with WeasyPrint's whole user-agent stylesheet."""
    built = DocumentRenderer(processes=1, full_user_agent_sheet=True)
    yield built
    built.close()


def long_statement_document() -> StatementDocument:
    """Build a statement long enough for two pages (page numbers in the margin)."""
    doc = make_statement_document()
    return replace(doc, statement=replace(doc.statement, entries=doc.statement.entries * 10))


@pytest.mark.parametrize(
    "document",
    [
        pytest.param(
            lambda: make_invoice_document(status="paid", customer_name=f"{CHINESE} {TAMIL}"),
            id="invoice-paid-cjk-tamil",
        ),
        pytest.param(lambda: make_invoice_document(overdue=True), id="invoice-overdue-qr"),
        pytest.param(lambda: make_receipt_document(-2_050), id="receipt-credit"),
        pytest.param(long_statement_document, id="statement-two-pages"),
    ],
)
def test_the_cut_user_agent_sheet_draws_the_same_pixels_as_weasyprints_own(
    renderer: DocumentRenderer, full_ua_renderer: DocumentRenderer, document: Callable[[], Any]
) -> None:
    doc = document()
    render = {
        InvoiceDocument: "invoice_pdf",
        ReceiptDocument: "receipt_pdf",
        StatementDocument: "statement_pdf",
    }[type(doc)]
    cut = page_pixels(getattr(renderer, render)(doc))
    full = page_pixels(getattr(full_ua_renderer, render)(doc))
    assert len(cut) == len(full) >= 1
    assert cut == full


def test_every_element_the_templates_use_is_styled_by_the_cut_user_agent_sheet() -> None:
    used = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        used.update(re.findall(r"<([a-z][a-z0-9]*)\b", template.read_text(encoding="utf-8")))
    sheet = (TEMPLATES_DIR / "ua.css").read_text(encoding="utf-8")
    sheet = re.sub(r"/\*.*?\*/", "", sheet, flags=re.S)
    styled = set(re.findall(r"(?<![-\w.#:@])([a-z][a-z0-9]*)\b(?=[^{}]*\{)", sheet))
    # Inline elements with no rules of their own in WeasyPrint's sheet need none here.
    inline = {"span", "img"} - styled
    assert used - styled - inline == set(), f"add these to templates/ua.css: {used - styled}"
    assert {"table", "td", "tr", "div", "b", "head", "footer"} <= used


def test_a_renderer_uses_the_cut_user_agent_sheet_unless_told_otherwise(
    renderer: DocumentRenderer, full_ua_renderer: DocumentRenderer
) -> None:
    assert renderer._ua is not None
    assert full_ua_renderer._ua is None


# The documents in the family's language (issue 14).


def route_invoice(**changes: object) -> InvoiceView:
    """Build a March invoice whose lines are route lines as data (month and route stored)."""
    march = date(2026, 3, 1)
    lines = (
        InvoiceLineView(
            "Morning route — March 2026",
            1,
            18_000,
            18_000,
            "Aina",
            period=march,
            route_name="Morning route",
        ),
        InvoiceLineView(
            "Morning route — March 2026",
            1,
            18_000,
            18_000,
            "Hakim",
            period=march,
            route_name="Morning route",
        ),
        InvoiceLineView(
            "Afternoon route — March 2026 (from 16 Mar, by days)",
            1,
            8_000,
            8_000,
            "Hakim",
            period=march,
            route_name="Afternoon route",
            part_from=date(2026, 3, 16),
            part_rule="days",
        ),
    )
    subtotal = sum(line.amount_sen for line in lines)
    discount = 2_600  # 10% of Hakim's routes
    return make_invoice(
        lines=lines,
        subtotal_sen=subtotal,
        discount_sen=discount,
        total_sen=subtotal - discount,
        paid_sen=0,
        credit_applied_sen=0,
        status="open",
        **changes,
    )


def route_document(locale: str, **changes: object) -> InvoiceDocument:
    """Build the route invoice's document in locale, with one earlier invoice unpaid."""
    earlier = (UnpaidInvoice("INV-2026-0077", date(2026, 2, 1), date(2026, 2, 1), 4_510),)
    return InvoiceDocument(
        operator=make_operator(),
        invoice=route_invoice(**changes),
        previous_unpaid_sen=4_510,
        today=date(2026, 3, 1),
        earlier_unpaid=earlier,
        locale=locale,
    )


def test_a_malay_familys_invoice_is_in_malay(renderer: DocumentRenderer) -> None:
    text = flat(pdf_text(renderer.invoice_pdf(route_document("ms"))))
    assert "INVOIS" in text and "INVOICE" not in text
    assert "Jumlah perlu dibayar" in text
    assert "Tarikh akhir bayaran 7 Mac 2026" in text
    assert "Bulan bil Mac 2026" in text
    assert "Yuran van sekolah — Mac 2026" in text
    assert "Februari 2026" in text  # the earlier unpaid invoice's month
    assert "dari 16 Mac, ikut hari" in text  # a part month's note, from its data
    assert "Diskaun adik-beradik 10% untuk Hakim" in text
    assert "Halaman 1 daripada 1" in text
    assert "RM 459.10" in text  # money is the same in every language
    for english in ("Due date", "Balance due", "March", "Subtotal", "Page 1"):
        assert english not in text, english


def test_a_chinese_familys_invoice_is_in_chinese(renderer: DocumentRenderer) -> None:
    text = flat(pdf_text(renderer.invoice_pdf(route_document("zh_Hans"))))
    for words in ("发票", "应付总额", "到期日", "2026年3月", "2026年2月", "现在应付总额", "小计"):
        assert words in text, words
    assert "3月16日" in text
    for english in ("INVOICE", "Due date", "Balance due", "March"):
        assert english not in text, english


def test_an_english_invoice_says_the_month_once_and_drops_quantities_of_one(
    renderer: DocumentRenderer,
) -> None:
    text = flat(pdf_text(renderer.invoice_pdf(route_document("en"))))
    assert "Morning route — March 2026" not in text  # the month is not on every line
    assert "Billing period March 2026" in text
    assert "Morning route Aina RM 180.00" in text
    assert "Afternoon route from 16 Mar, by days Hakim RM 80.00" in text
    assert "Qty" not in text and "Unit price" not in text
    assert "Sibling discount 10% for Hakim -RM 26.00" in text
    # When earlier invoices are unpaid the headline is the total to pay now, each one listed.
    assert "Total to pay now RM 459.10" in text
    assert "INV-2026-0077 February 2026 RM 45.10" in text
    assert "INV-2026-0001 March 2026 RM 414.00" in text


def test_quantities_show_when_a_line_has_more_than_one(invoice_pdf: bytes) -> None:
    text = flat(pdf_text(invoice_pdf))
    assert "Qty" in text and "Unit price" in text


def test_an_old_line_without_data_is_shown_as_it_was_written(renderer: DocumentRenderer) -> None:
    invoice = route_invoice()
    old = tuple(replace(line, route_name=None, period=None) for line in invoice.lines)
    doc = replace(route_document("ms"), invoice=replace(invoice, lines=old))
    text = flat(pdf_text(renderer.invoice_pdf(doc)))
    assert "Morning route — March 2026" in text
    assert "Diskaun adik-beradik Untuk Hakim" in text  # no route lines: no percent to check


def test_worker_processes_draw_each_document_in_its_own_language(
    renderer: DocumentRenderer,
) -> None:
    docs = [route_document(locale) for locale in ("ms", "zh_Hans", "en", "ms")]
    pdfs = asyncio.run(renderer.render_invoices(docs))
    texts = [flat(pdf_text(pdf)) for pdf in pdfs]
    assert "INVOIS" in texts[0] and "INVOIS" in texts[3]
    assert "发票" in texts[1]
    assert "INVOICE" in texts[2]


def receipt_in(locale: str, balance_then_sen: int) -> ReceiptDocument:
    """Build the receipt with the standing right after the payment and its invoices' months."""
    invoices = (
        SettledInvoice("INV-2026-0000", date(2026, 2, 1), 12_345, 12_345, 0),
        SettledInvoice("INV-2026-0001", date(2026, 3, 1), 48_000, 30_000, 18_000),
    )
    return replace(
        make_receipt_document(balance_after_sen=54_000),
        balance_then_sen=balance_then_sen,
        invoices=invoices,
        locale=locale,
    )


def test_a_receipt_shows_the_balance_right_after_that_payment_with_its_date(
    renderer: DocumentRenderer,
) -> None:
    text = flat(pdf_text(renderer.receipt_pdf(receipt_in("en", 18_000))))
    assert "Balance still owing after this payment (5 Mar 2026): RM 180.00" in text
    assert "RM 540.00" not in text  # today's balance is the caption's, not the receipt's
    assert "INV-2026-0000 February 2026 RM 123.45 RM 123.45 settled" in text
    assert "INV-2026-0001 March 2026 RM 480.00 RM 300.00 RM 180.00" in text


def test_a_malay_and_a_chinese_receipt(renderer: DocumentRenderer) -> None:
    malay = flat(pdf_text(renderer.receipt_pdf(receipt_in("ms", -2_000))))
    assert "RESIT" in malay and "Pindahan bank" in malay and "Februari 2026" in malay
    assert "Kredit selepas bayaran ini (5 Mac 2026): RM 20.00" in malay
    assert "selesai" in malay
    chinese = flat(pdf_text(renderer.receipt_pdf(receipt_in("zh_Hans", 0))))
    assert "收据" in chinese and "银行转账" in chinese and "2026年3月" in chinese
    assert "已全部付清" in chinese


def test_a_malay_statement(renderer: DocumentRenderer) -> None:
    doc = replace(make_statement_document(), locale="ms")
    text = flat(pdf_text(renderer.statement_pdf(doc)))
    assert "PENYATA" in text and "Baki awal" in text and "Bayaran" in text
    assert "RM 20.50 kredit" in text  # credit as credit, never -RM
    assert "9 Jan 2026" in text and "2 Mac 2026" in text


def owing_statement(locale: str) -> StatementDocument:
    """Build a statement that ends owing, its entries as data, with what is owed by age."""
    entries = (
        StatementEntry(
            date(2026, 1, 1),
            "invoice",
            "INV-2026-0101",
            "School transport — January 2026",
            51_000,
            0,
            63_345,
            invoice_kind="monthly",
            period=date(2026, 1, 1),
        ),
        StatementEntry(
            date(2026, 1, 9),
            "payment",
            "RCPT-2026-0011",
            "Payment — Bank transfer (MBB-11)",
            0,
            30_000,
            33_345,
            method="bank_transfer",
            payer_reference="MBB-11",
        ),
    )
    base = make_statement_document()
    statement = replace(base.statement, entries=entries, closing_balance_sen=33_345)
    return replace(base, statement=statement, locale=locale, ageing=(0, 12_345, 21_000, 0))


def test_a_statement_that_ends_owing_says_how_to_pay_with_the_qr_and_the_ageing(
    renderer: DocumentRenderer,
) -> None:
    pdf = renderer.statement_pdf(owing_statement("en"))
    text = flat(pdf_text(pdf))
    assert image_count(pdf) == 1  # the payment QR
    assert "How to pay" in text and "5140 1234 5678" in text
    assert "Scan with your banking app and enter RM 333.45" in text
    # Payment rows carry the receipt number; the words come from the data.
    assert "9 Jan 2026 Payment RCPT-2026-0011 Bank transfer (MBB-11)" in text
    assert "School transport — January 2026" in text
    assert "Not yet due 1–30 days late 31–60 days late Over 60 days late" in text
    assert "RM 0.00 RM 123.45 RM 210.00 RM 0.00" in text


def test_a_chinese_statement_words_its_lines_and_ageing_in_chinese(
    renderer: DocumentRenderer,
) -> None:
    text = flat(pdf_text(renderer.statement_pdf(owing_statement("zh_Hans"))))
    joined = text.replace(" ", "")  # a narrow column breaks Chinese anywhere
    for words in (
        "对账单",
        "校车车费（2026年1月）",
        "银行转账（MBB-11）",
        "逾期 1–30 天",
        "付款方式",
    ):
        assert words.replace(" ", "") in joined, words
    assert "School transport" not in text and "Bank transfer" not in text


def test_a_statement_in_credit_has_no_qr_inviting_a_payment(renderer: DocumentRenderer) -> None:
    pdf = renderer.statement_pdf(make_statement_document())
    assert image_count(pdf) == 0
    assert "How to pay" not in pdf_text(pdf)


def test_a_late_fee_line_is_worded_in_the_familys_language(renderer: DocumentRenderer) -> None:
    invoice = route_invoice()
    late = InvoiceLineView("Late fee (due 2026-03-07)", 1, 1_000, 1_000)
    doc = replace(route_document("ms"), invoice=replace(invoice, lines=(*invoice.lines, late)))
    text = flat(pdf_text(renderer.invoice_pdf(doc)))
    assert "Caj lewat bayar (tarikh akhir 7 Mac 2026)" in text
    assert "Late fee" not in text
