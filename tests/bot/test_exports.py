"""/statement and /export: the operator gets a family's statement PDF and four CSV files."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

from pypdf import PdfReader

from tests.bot.conftest import OPERATOR, PARENT, BotHarness, add_family, texts
from tests.bot.factories import business, pdf_text, siti, wait_for_document
from tests.data.factories import make_business, make_family
from vanbill.services import monthly, operators, payments


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_statement_arrives_as_a_pdf_naming_the_family(harness: BotHarness) -> None:
    biz = await make_business(harness.db, harness.clock, OPERATOR.id)
    family = await make_family(harness.db, harness.clock, biz, "Nur Aisyah binti Ahmad")
    await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock)
    (sent,) = await harness.say(OPERATOR, "/statement aisyah binti")
    assert sent.method == "sendDocument"
    assert "Statement of Nur Aisyah binti Ahmad, 1 Dec 2025 to 15 Jan 2026" in sent.seen
    (document,) = sent.files.values()
    assert document.filename == f"statement-{family.id}-2025-12-01-to-2026-01-15.pdf"
    assert document.content.startswith(b"%PDF")
    text = _pdf_text(document.content)
    assert "Nur Aisyah binti Ahmad" in text and "150.00" in text


async def test_the_statement_button_of_several_matches_sends_that_familys_pdf(
    harness: BotHarness,
) -> None:
    biz = await make_business(harness.db, harness.clock, OPERATOR.id)
    await make_family(harness.db, harness.clock, biz, "Siti Aminah")
    await make_family(harness.db, harness.clock, biz, "Siti Zubaidah")
    (choice,) = await harness.say(OPERATOR, "/statement siti")
    replies = await harness.press_button(OPERATOR, choice, "Zubaidah")
    (sent,) = [c for c in replies if c.method == "sendDocument"]
    (document,) = sent.files.values()
    assert "Siti Zubaidah" in _pdf_text(document.content)
    assert "no family matching" in texts(await harness.say(OPERATOR, "/statement Nobody"))


async def test_export_sends_four_csv_files_with_the_operators_data(harness: BotHarness) -> None:
    biz = await make_business(harness.db, harness.clock, OPERATOR.id)
    family = await make_family(harness.db, harness.clock, biz, "陈美玲", ("குமார்",))
    await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock)
    await payments.record_payment(
        harness.db, biz.id, family.id, harness.clock, amount_sen=5000, method="cash"
    )
    replies = await harness.say(OPERATOR, "/export")
    assert [c.method for c in replies] == ["sendDocument"] * 4
    files = {f.filename: f.content.decode("utf-8-sig") for c in replies for f in c.files.values()}
    assert set(files) == {"customers.csv", "invoices.csv", "payments.csv", "history.csv"}
    (customer,) = csv.DictReader(io.StringIO(files["customers.csv"]))
    assert (customer["parent"], customer["child"]) == ("陈美玲", "குமார்")
    (invoice,) = csv.DictReader(io.StringIO(files["invoices.csv"]))
    assert (invoice["total"], invoice["balance"]) == ("150.00", "100.00")
    (payment,) = csv.DictReader(io.StringIO(files["payments.csv"]))
    assert (payment["amount"], payment["method"]) == ("50.00", "Cash")
    issued, paid = csv.DictReader(io.StringIO(files["history.csv"]))
    assert (issued["action"], issued["actor"], issued["parent"]) == (
        "invoice_issued",
        "system",
        "陈美玲",
    )
    assert issued["at_utc"] == "2026-01-15T02:00:00+00:00"
    assert issued["at_local"] == "2026-01-15 10:00"
    assert json.loads(issued["after"])["number"] == "INV-2026-0001"
    assert (paid["action"], paid["entity"], json.loads(paid["after"])["amount_sen"]) == (
        "payment_recorded",
        "payment",
        5000,
    )


async def test_a_parent_sending_export_or_statement_is_refused(harness: BotHarness) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await add_family(harness.db, op.id, "Siti", telegram_user_id=PARENT.id)
    for command in ("/export", "/statement Siti"):
        (refusal,) = await harness.say(PARENT, command)
        assert refusal.method == "sendMessage" and "for van operators" in refusal.seen


async def test_export_leaves_the_cells_of_missing_details_empty(harness: BotHarness) -> None:
    biz = await make_business(harness.db, harness.clock, OPERATOR.id)
    family = await make_family(harness.db, harness.clock, biz, "Siti Nurhaliza")  # no phone
    await payments.record_payment(
        harness.db, biz.id, family.id, harness.clock, amount_sen=5000, method="cash"
    )
    replies = await harness.say(OPERATOR, "/export")
    files = {f.filename: f.content.decode("utf-8-sig") for c in replies for f in c.files.values()}
    (customer,) = csv.DictReader(io.StringIO(files["customers.csv"]))
    assert (customer["phone"], customer["notes"]) == ("", "")
    (payment,) = csv.DictReader(io.StringIO(files["payments.csv"]))
    assert payment["reference"] == ""
    assert all("'" not in row.split(",") for text in files.values() for row in text.splitlines())


async def test_one_payment_has_one_receipt_number_on_the_receipt_the_statement_and_the_export(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)  # linked to PARENT
    await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock)
    for amount_sen in (5000, 7000):
        await payments.record_payment(
            harness.db, biz.id, family.id, harness.clock, amount_sen=amount_sen,
            method="duitnow", notify_parent=True,
        )  # fmt: skip
    receipt = await wait_for_document(harness, PARENT.id, 2)
    assert receipt.files["document"].filename == "RCPT-2026-0002.pdf"
    assert "Receipt no. RCPT-2026-0002" in pdf_text(receipt)
    (statement,) = await harness.say(OPERATOR, "/statement Siti")
    text = pdf_text(statement)
    assert "RCPT-2026-0001" in text and "RCPT-2026-0002" in text and "PAY-" not in text
    replies = await harness.say(OPERATOR, "/export")
    (exported,) = [f for c in replies for f in c.files.values() if f.filename == "payments.csv"]
    rows = list(csv.DictReader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert [r["receipt"] for r in rows] == ["RCPT-2026-0001", "RCPT-2026-0002"]
