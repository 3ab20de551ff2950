"""/newinvoice: pick a family, edit the lines (routes filled in), preview, confirm, send."""

from __future__ import annotations

from datetime import timedelta

from tests.bot.conftest import OPERATOR, PARENT, SECOND_OPERATOR, BotHarness, texts
from tests.bot.factories import (
    SITI_PHONE,
    business,
    documents_to,
    invoice,
    pdf_text,
    press,
    second_business,
    sent,
    siti,
    wait_for_document,
)
from tests.bot.fake_telegram import Call
from vanbill.services import customers, delivery, invoices, monthly, operators
from vanbill.services.money import format_money
from vanbill.services.views import InvoiceView


async def _open_draft(harness: BotHarness) -> str:
    """Run /newinvoice Siti and pick her; return the draft the operator sees."""
    replies = await harness.say(OPERATOR, "/newinvoice Siti")
    assert replies[-1].seen == "Tap the family:"
    return texts(await press(harness, "Siti Nurhaliza"))


async def _add_line(harness: BotHarness, description: str, amount: str, quantity: str) -> str:
    await press(harness, "Add a line")
    await harness.say(OPERATOR, description)
    await harness.say(OPERATOR, amount)
    return texts(await harness.say(OPERATOR, quantity))


async def _invoices(harness: BotHarness, operator_id: int) -> list[InvoiceView]:
    return await invoices.list_invoices(harness.db, operator_id, harness.clock)


def _has(call: Call, label: str) -> bool:
    return any(label in button.get("text", "") for button in call.buttons)


async def test_an_operator_bills_the_routes_plus_a_line_confirms_and_sends_it_to_the_parent(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    ask = texts(await harness.say(OPERATOR, "/newinvoice"))
    assert "Which family is it for?" in ask
    (pick,) = await harness.say(OPERATOR, "nurhal")
    assert pick.button("Siti Nurhaliza (Aisyah)")
    draft = texts(await press(harness, "Siti Nurhaliza"))
    assert "I filled in Siti Nurhaliza's routes for January 2026." in draft
    assert "1. Taman Melati → SK Setapak — January 2026 (Aisyah): RM 150.00" in draft
    assert "Total: RM 150.00" in draft and "Due: 7 Feb 2026 (your usual due day)" in draft

    assert "Send its description" in texts(await press(harness, "Add a line"))
    assert "How much is Zoo trip, each?" in texts(await harness.say(OPERATOR, "Zoo trip"))
    asked = texts(await harness.say(OPERATOR, "rm 25.50"))
    assert "How many of Zoo trip at RM 25.50?" in asked
    draft = texts(await harness.say(OPERATOR, "2"))
    assert "2. Zoo trip: 2 × RM 25.50 = RM 51.00" in draft and "Total: RM 201.00" in draft

    done = texts(await press(harness, "Confirm"))
    assert "Invoice INV-2026-0001 created for Siti Nurhaliza." in done
    assert "Total: RM 201.00, due 7 Feb 2026." in done
    assert "tap 📤 Send to parent" in done
    queued = texts(await press(harness, "Send to parent"))
    assert "📤 INV-2026-0001 is on its way to Siti Nurhaliza." in queued
    received = await wait_for_document(harness, PARENT.id)
    assert received.files["document"].filename == "INV-2026-0001.pdf"
    assert "INV-2026-0001" in pdf_text(received)
    (made,) = await _invoices(harness, biz.id)
    assert (made.number, made.total_sen, len(made.lines)) == ("INV-2026-0001", 20100, 2)
    # The conversation is over: the menu's Confirm cannot make a second invoice.
    menu = [c for c in harness.tg.seen_by(OPERATOR.id) if _has(c, "Confirm")][-1]
    (alert,) = await harness.press_button(OPERATOR, menu, "Confirm")
    assert "expired" in alert.text
    assert len(await _invoices(harness, biz.id)) == 1


async def test_an_unknown_name_is_said_so_and_asked_again(harness: BotHarness) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    (reply,) = await harness.say(OPERATOR, "/newinvoice <b>Nobody</b>")
    assert reply.seen.startswith("No family matches <b>Nobody</b>.")
    (pick,) = await harness.say(OPERATOR, SITI_PHONE)
    assert pick.button("Siti Nurhaliza")


async def test_bad_amounts_quantities_and_due_dates_are_refused_and_asked_again(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    await _open_draft(harness)
    await press(harness, "Add a line")
    await harness.say(OPERATOR, "Zoo trip")
    for typed, refusal in [
        ("abc", "I could not read 'abc' as an amount."),
        ("-5", "The amount cannot be negative."),
        ("1.005", "I could not read '1.005' as an amount."),
        ("0", "The amount must be more than zero."),
    ]:
        (reply,) = await harness.say(OPERATOR, typed)
        assert refusal in reply.seen and "Send it again, or /cancel to stop." in reply.seen
    await harness.say(OPERATOR, "30")
    (reply,) = await harness.say(OPERATOR, "0")
    assert "whole number from 1 to 1000" in reply.seen
    (reply,) = await harness.say(OPERATOR, "two")
    assert "whole number from 1 to 1000" in reply.seen
    assert "3. " not in texts(await press(harness, "1"))  # one line added, as the 2nd

    await press(harness, "Due date")
    (reply,) = await harness.say(OPERATOR, "2026-13-01")
    assert "not a day on the calendar" in reply.seen
    (reply,) = await harness.say(OPERATOR, "14/02/2026")
    assert "use YYYY-MM-DD" in reply.seen
    (reply,) = await harness.say(OPERATOR, "2026-01-14")
    assert "cannot be in the past (today is 2026-01-15)" in reply.seen
    draft = texts(await harness.say(OPERATOR, "2026-01-15"))
    assert "Due: 15 Jan 2026" in draft and "usual due day" not in draft
    await press(harness, "Due date")
    assert "Due: 7 Feb 2026 (your usual due day)" in texts(await harness.say(OPERATOR, "default"))
    (reply,) = await harness.say(OPERATOR, "anything")
    assert "Tap one of the buttons" in reply.seen
    done = texts(await press(harness, "Confirm"))
    assert "Total: RM 180.00, due 7 Feb 2026." in done


async def test_the_preview_is_a_draft_pdf_with_the_family_and_total_and_saves_nothing(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    await _open_draft(harness)
    await _add_line(harness, "Zoo trip", "49.99", "1")
    (preview,) = sent(await press(harness, "Preview"), "sendDocument")
    assert f"total {format_money(19999)}" in preview.seen and "Nothing is saved" in preview.seen
    text = pdf_text(preview)
    assert "DRAFT" in text and "Siti Nurhaliza" in text and format_money(19999) in text
    assert preview.button("Confirm")  # the menu travels with the preview
    assert await _invoices(harness, biz.id) == []
    assert "INV-2026-0001" in texts(await harness.press_button(OPERATOR, preview, "Confirm"))


async def test_invoice_pdf_of_the_new_invoice_has_its_number_family_and_total(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    await _open_draft(harness)
    await press(harness, "Confirm")
    (document,) = await harness.say(OPERATOR, "/invoice inv-2026-0001")
    assert document.files["document"].filename == "INV-2026-0001.pdf"
    text = pdf_text(document)
    assert "INV-2026-0001" in text and "Siti Nurhaliza" in text and "RM 150.00" in text


async def test_a_restart_in_the_middle_of_newinvoice_resumes_with_the_lines(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    await _open_draft(harness)
    await _add_line(harness, "Zoo trip", "20", "1")
    await press(harness, "Add a line")
    await harness.say(OPERATOR, "Late pick-up")
    await harness.restart()
    (asked,) = await harness.say(OPERATOR, "12")
    assert "How many of Late pick-up at RM 12.00?" in asked.seen
    await harness.restart()
    draft = texts(await harness.say(OPERATOR, "3"))
    assert "1. Taman Melati → SK Setapak — January 2026 (Aisyah): RM 150.00" in draft
    assert "2. Zoo trip: RM 20.00" in draft
    assert "3. Late pick-up: 3 × RM 12.00 = RM 36.00" in draft
    assert "Total: RM 206.00" in draft
    await harness.restart()
    assert "Total: RM 206.00" in texts(await press(harness, "Confirm"))
    (made,) = await _invoices(harness, biz.id)
    assert [line.amount_sen for line in made.lines] == [15000, 2000, 3600]


async def test_removing_a_route_line_drops_the_sibling_discount_and_says_so(
    harness: BotHarness,
) -> None:
    biz = await business(harness, sibling_discount_bp=1000)
    await siti(harness, biz, children=("Aisyah", "Amir"))
    draft = await _open_draft(harness)
    assert "Sibling discount: −RM 15.00" in draft and "Total: RM 285.00" in draft
    draft = texts(await press(harness, "Remove last line"))
    assert "The sibling discount of RM 15.00 was dropped" in draft
    assert "Sibling discount" not in draft.split("dropped")[1]
    assert "Total: RM 150.00" in draft
    await press(harness, "Remove last line")
    (alert,) = await press(harness, "Remove last line")
    assert alert.method == "answerCallbackQuery" and alert.text == "There are no lines to remove."
    (refusal,) = await press(harness, "Confirm")
    assert refusal.method == "answerCallbackQuery"
    assert refusal.text == "An invoice needs at least one line."
    assert await _invoices(harness, biz.id) == []


async def test_an_unlinked_family_gets_the_invoice_when_the_parent_links(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await siti(harness, biz, linked=False)
    await _open_draft(harness)
    replies = await press(harness, "Confirm")
    assert "has not linked their Telegram yet, so I queued the invoice" in texts(replies)
    assert not any(_has(c, "Send to parent") for c in replies)
    assert documents_to(harness, PARENT.id) == []
    await harness.share_contact(PARENT, SITI_PHONE)
    received = await wait_for_document(harness, PARENT.id)
    assert "INV-2026-0001" in received.seen and "RM 150.00" in received.seen


async def test_a_family_without_routes_starts_empty_and_takes_typed_lines(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await customers.add_customer(harness.db, biz.id, harness.clock, name="Tan Mei Ling")
    await harness.say(OPERATOR, "/newinvoice Tan")
    draft = texts(await press(harness, "Tan Mei Ling"))
    assert "has no routes to bill for January 2026" in draft and "No lines yet." in draft
    draft = await _add_line(harness, "Holiday trip", "RM 1,234.50", "1")
    assert "Total: RM 1,234.50" in draft


async def test_cancel_or_another_command_ends_newinvoice_without_an_invoice(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    await _open_draft(harness)
    (cancelled,) = sent(await press(harness, "Cancel"))
    assert cancelled.seen == "Cancelled. No invoice was made."
    await _open_draft(harness)
    await press(harness, "Add a line")
    (chart,) = await harness.say(OPERATOR, "/summary")  # another command is simply done
    assert chart.method == "sendPhoto"
    assert "What you can do" in texts(await harness.say(OPERATOR, "Zoo trip"))  # not a line
    await _open_draft(harness)
    assert "Cancelled" in texts(await harness.say(OPERATOR, "/cancel"))
    assert await _invoices(harness, biz.id) == []


async def test_a_quiet_newinvoice_times_out_with_a_note(harness: BotHarness) -> None:
    await harness.restart(conversation_timeout=timedelta(seconds=1.5))
    biz = await business(harness)
    await siti(harness, biz)
    await _open_draft(harness)
    seen = len(harness.tg.seen_by(OPERATOR.id))
    await harness.tg.wait_for(seen + 1, chat_id=OPERATOR.id, timeout=6)
    assert "I closed your /newinvoice" in harness.tg.last_to(OPERATOR.id).seen
    assert "What you can do" in texts(await harness.say(OPERATOR, "hello"))


async def test_a_parent_sending_newinvoice_is_refused(harness: BotHarness) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    (refusal,) = await harness.say(PARENT, "/newinvoice Siti")
    assert "for van operators" in refusal.seen and not refusal.buttons
    (alert,) = await harness.press(PARENT, f"ni:{biz.id}:ok", message_id=1)
    assert alert.text == "This button is not for you."


async def test_forged_buttons_naming_another_operators_family_or_invoice_change_nothing(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    victim_invoice = await invoice(harness, biz.id, family.id)
    mine = await second_business(harness, SECOND_OPERATOR.id)
    await harness.say(SECOND_OPERATOR, "/start")
    for data, refusal in [
        (f"ni:{mine}:fam:{family.id}", "I could not find that family."),
        (f"ni:{biz.id}:fam:{family.id}", "That button is not yours."),
        (f"iv:{mine}:send:{victim_invoice.id}", "I could not find that invoice."),
        (f"iv:{biz.id}:send:{victim_invoice.id}", "That button is not yours."),
        (f"ni:{mine}:fam:abc", "That button is not valid any more."),
        (f"ni:{mine}:drop:1", "That button is not valid any more."),
    ]:
        (alert,) = await harness.press(SECOND_OPERATOR, data, message_id=1)
        assert alert.method == "answerCallbackQuery" and alert.params.get("show_alert")
        assert alert.text.startswith(refusal), (data, alert.text)
    # No draft was started: the next text is not a line of anybody's invoice.
    assert "What you can do" in texts(await harness.say(SECOND_OPERATOR, "Zoo trip"))
    assert await delivery.pending_count(harness.db) == 0
    assert await _invoices(harness, mine) == []
    assert (await operators.find_operator(harness.db, SECOND_OPERATOR.id)) is not None
    assert documents_to(harness, PARENT.id) == []


async def test_a_months_routes_billed_by_hand_are_not_billed_again_by_the_monthly_run(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    await _open_draft(harness)
    assert "Invoice INV-2026-0001 created" in texts(await press(harness, "Confirm"))
    (made,) = await _invoices(harness, biz.id)
    assert made.kind == "monthly" and made.period is not None
    run = await monthly.generate_month(harness.db, biz.id, made.period, harness.clock)
    assert (run.created, run.existing) == (0, 1)
    # The month is billed: a second draft starts without the routes, and an empty one is refused.
    draft = await _open_draft(harness)
    assert "Taman Melati → SK Setapak" not in draft
    refused = texts(await press(harness, "Confirm"))
    assert "at least one line" in refused
    assert len(await _invoices(harness, biz.id)) == 1
