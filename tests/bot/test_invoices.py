"""/invoices lists an operator's invoices; /invoice <number> sends one as a PDF."""

from __future__ import annotations

from datetime import date

from tests.bot.conftest import OPERATOR, PARENT, SECOND_OPERATOR, BotHarness, texts
from tests.bot.factories import (
    business,
    invoice,
    pdf_text,
    second_business,
    sent,
    siti,
    wait_for_document,
)
from vanbill.services import customers, payments
from vanbill.services.money import format_money


async def _three_invoices(harness: BotHarness) -> int:
    """Make a paid, a part-paid and an overdue invoice (Dec 2025, Jan 2026); return the op id."""
    biz = await business(harness)
    family = await siti(harness, biz)
    tan = await customers.add_customer(harness.db, biz.id, harness.clock, name="Tan Mei Ling")
    await invoice(
        harness,
        biz.id,
        tan.id,
        12000,
        issue_date=date(2025, 12, 1),
        due_date=date(2025, 12, 7),
    )
    paid = await invoice(harness, biz.id, family.id, 15000)
    partial = await invoice(harness, biz.id, family.id, 8000)
    for target, amount in ((paid.id, 15000), (partial.id, 3000)):
        await payments.record_payment(
            harness.db,
            biz.id,
            family.id,
            harness.clock,
            amount_sen=amount,
            method="cash",
            invoice_id=target,
        )
    return biz.id


async def test_invoices_lists_number_family_total_balance_and_status(harness: BotHarness) -> None:
    await _three_invoices(harness)
    (listed,) = await harness.say(OPERATOR, "/invoices")
    assert listed.seen.startswith("Invoices (3):")
    assert "INV-2025-0001 Tan Mei Ling · RM 120.00 · left RM 120.00 · ⚠️ overdue" in listed.seen
    assert "INV-2026-0001 Siti Nurhaliza · RM 150.00 · left RM 0.00 · paid" in listed.seen
    assert "INV-2026-0002 Siti Nurhaliza · RM 80.00 · left RM 50.00 · part paid" in listed.seen
    assert "Send /invoice followed by a number" in listed.seen

    (unpaid,) = await harness.say(OPERATOR, "/invoices unpaid")
    assert unpaid.seen.startswith("Unpaid invoices (2):")
    assert "INV-2026-0001" not in unpaid.seen
    (overdue,) = await harness.say(OPERATOR, "/invoices OVERDUE")
    assert overdue.seen.startswith("Overdue invoices (1):") and "Tan Mei Ling" in overdue.seen
    (december,) = await harness.say(OPERATOR, "/invoices 2025-12")
    assert december.seen.startswith("Invoices of December 2025 (1):")
    (empty,) = await harness.say(OPERATOR, "/invoices 2025-11")
    assert empty.seen == "Invoices of November 2025: none."


async def test_a_bad_invoices_argument_gets_the_usage(harness: BotHarness) -> None:
    await business(harness)
    for argument in ("late", "2026-13", "unpaid overdue", "<b>x</b>"):
        (reply,) = await harness.say(OPERATOR, f"/invoices {argument}")
        assert "/invoices unpaid, /invoices overdue, or a month" in reply.seen, argument


async def test_a_long_list_shows_the_latest_thirty_and_counts_the_rest(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    for _ in range(33):
        await invoice(harness, biz.id, family.id, 1000)
    (listed,) = await harness.say(OPERATOR, "/invoices")
    assert listed.seen.startswith("Invoices (33):")
    assert listed.seen.count("Siti Nurhaliza") == 30
    assert "… and 3 older not shown." in listed.seen
    assert "INV-2026-0033" in listed.seen and "INV-2026-0003 " not in listed.seen
    (unpaid,) = await harness.say(OPERATOR, "/invoices unpaid")
    assert "… and 3 more not shown." in unpaid.seen and "INV-2026-0001 " in unpaid.seen


async def test_invoice_sends_the_pdf_named_by_its_number_with_a_caption(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 23450)
    (document,) = await harness.say(OPERATOR, "/invoice INV-2026-0001")
    assert document.method == "sendDocument"
    assert document.files["document"].filename == "INV-2026-0001.pdf"
    assert document.seen.startswith("🧾 INV-2026-0001 · Siti Nurhaliza")
    assert "Total RM 234.50 · left to pay RM 234.50 · unpaid · due 7 Feb 2026" in document.seen
    text = pdf_text(document)
    assert "INV-2026-0001" in text and "Siti Nurhaliza" in text
    assert format_money(23450) in text
    queued = texts(await harness.press_button(OPERATOR, document, "Send to parent"))
    assert "INV-2026-0001 is on its way to Siti Nurhaliza." in queued
    received = await wait_for_document(harness, PARENT.id)
    assert received.files["document"].filename == "INV-2026-0001.pdf"
    again = sent(await harness.press_button(OPERATOR, document, "Send to parent"))
    assert "was queued for Siti Nurhaliza before; I won't send it twice" in again[0].seen


async def test_an_unknown_or_missing_invoice_number_is_answered_kindly(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    (reply,) = await harness.say(OPERATOR, "/invoice INV-2026-9999")
    assert reply.seen == "I could not find invoice 'INV-2026-9999'."
    (reply,) = await harness.say(OPERATOR, "/invoice")
    assert "e.g. /invoice INV-2026-0001" in reply.seen
    await second_business(harness, SECOND_OPERATOR.id)
    (reply,) = await harness.say(SECOND_OPERATOR, "/invoice INV-2026-0001")
    assert reply.method == "sendMessage" and "could not find" in reply.seen


async def test_a_parent_cannot_fetch_an_operators_invoice(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    (refusal,) = await harness.say(PARENT, "/invoice INV-2026-0001")
    assert "for van operators" in refusal.seen
