"""Corrections from the chat: void an invoice or a payment with a reason, Undo, the history."""

from __future__ import annotations

from datetime import date, timedelta

from tests.bot.conftest import OPERATOR, PARENT, SECOND_OPERATOR, BotHarness, texts
from tests.bot.factories import (
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
from tests.bot.test_slips import _family_owing, _slip_at_operator, send_photo
from vanbill.services import accounts, audit, families, invoices, monthly, payments
from vanbill.services.billing import NewLine


async def _balance(harness: BotHarness, operator_id: int, customer_id: int) -> int:
    found = await accounts.family_balance(harness.db, operator_id, customer_id, harness.clock)
    return found.balance_sen


async def _sent_invoice(harness: BotHarness) -> tuple[int, int, int]:
    """Make Siti's RM 150 invoice and deliver it to the parent; return (op, family, invoice)."""
    biz = await business(harness)
    family = await siti(harness, biz)
    made = await invoice(harness, biz.id, family.id, 15000)
    (document,) = sent(await harness.say(OPERATOR, "/invoice INV-2026-0001"), "sendDocument")
    await harness.press_button(OPERATOR, document, "Send to parent")
    await wait_for_document(harness, PARENT.id)
    return biz.id, family.id, made.id


async def _paid_by_chat(harness: BotHarness, amount: str = "RM100") -> list:
    """Record a cash payment from Siti through /paid; return what the last tap showed."""
    await harness.say(OPERATOR, "/paid Siti")
    await press(harness, "Siti Nurhaliza")
    await harness.say(OPERATOR, amount)
    await press(harness, "Cash")
    await press(harness, "Today")
    return await press(harness, "Record payment")


async def test_an_invoice_is_voided_with_a_reason_and_the_parent_gets_it_stamped_void(
    harness: BotHarness,
) -> None:
    op, family, made = await _sent_invoice(harness)
    await payments.record_payment(
        harness.db, op, family, harness.clock, amount_sen=5000, method="cash"
    )
    (document,) = sent(await harness.say(OPERATOR, "/invoice INV-2026-0001"), "sendDocument")
    asked = texts(await harness.press_button(OPERATOR, document, "Void invoice"))
    assert "Void INV-2026-0001 (RM 150.00, Siti Nurhaliza)?" in asked
    assert "RM 50.00 paid on it becomes the family's credit." in asked
    assert "Why?" in asked
    (confirm,) = await harness.say(OPERATOR, "<b>billed twice</b> 陈美玲")
    assert confirm.seen == "Void INV-2026-0001?\nReason: <b>billed twice</b> 陈美玲"
    assert [b["text"] for b in confirm.buttons] == ["🚫 Void it", "Keep it"]
    (nudge,) = await harness.say(OPERATOR, "yes")  # typed instead of tapped
    assert "Tap 🚫 Void it or Keep it" in nudge.seen
    done = texts(await harness.press_button(OPERATOR, confirm, "Void it"))
    assert "🚫 INV-2026-0001 is void (<b>billed twice</b> 陈美玲)." in done
    assert "Siti Nurhaliza: RM 50.00 in credit." in done
    voided = await invoices.get_invoice(harness.db, op, made, harness.clock)
    assert voided.status == "void" and voided.void_reason == "<b>billed twice</b> 陈美玲"
    assert await _balance(harness, op, family) == -5000
    stamped = await wait_for_document(harness, PARENT.id, 2)
    assert "Invoice INV-2026-0001 for Siti Nurhaliza is cancelled" in stamped.seen
    assert "VOID" in pdf_text(stamped)
    # The same Void it again, or the invoice's old Void button, changes nothing.
    (alert,) = await harness.press_button(OPERATOR, confirm, "Void it")
    assert "expired" in alert.text
    (alert,) = await harness.press_button(OPERATOR, document, "Void invoice")
    assert alert.text == "INV-2026-0001 is void already (<b>billed twice</b> 陈美玲)."
    assert len(documents_to(harness, PARENT.id)) == 2


async def test_a_bad_reason_is_refused_and_the_void_goes_on_or_is_kept(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    made = await invoice(harness, biz.id, family.id, 15000)
    (document,) = sent(await harness.say(OPERATOR, "/invoice INV-2026-0001"), "sendDocument")
    await harness.press_button(OPERATOR, document, "Void invoice")
    (refused,) = await harness.say(OPERATOR, "x" * 201)
    assert "The reason is too long (200 characters at most)." in refused.seen
    (refused,) = await harness.say(OPERATOR, "\u200b\u200b")
    assert "reason" in refused.seen.lower()
    (confirm,) = await harness.say(OPERATOR, "wrong family")
    kept = texts(await harness.press_button(OPERATOR, confirm, "Keep it"))
    assert "Kept: nothing was voided." in kept
    assert (await invoices.get_invoice(harness.db, biz.id, made.id, harness.clock)).status == (
        "open"
    )
    # /cancel while asked for the reason keeps it too.
    await harness.press_button(OPERATOR, document, "Void invoice")
    assert texts(await harness.say(OPERATOR, "/cancel")) == "Kept: nothing was voided."
    (after,) = await harness.say(OPERATOR, "some text")
    assert "Void" not in after.seen
    assert (await invoices.get_invoice(harness.db, biz.id, made.id, harness.clock)).status == (
        "open"
    )


async def test_paid_offers_undo_for_ten_minutes_and_the_parent_gets_the_receipt_stamped_void(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    (done,) = sent(await _paid_by_chat(harness))
    assert [b["text"] for b in done.buttons] == ["↩️ Undo"]
    await wait_for_document(harness, PARENT.id)  # the receipt
    harness.clock.set(harness.clock.now() + timedelta(minutes=9, seconds=59))
    undone = texts(await harness.press_button(OPERATOR, done, "Undo"))
    assert "Payment RCPT-2026-0001 of RM 100.00 from Siti Nurhaliza is void" in undone
    assert "(Undone right after recording)" in undone
    assert "Siti Nurhaliza: owes RM 150.00." in undone
    assert await _balance(harness, biz.id, family.id) == 15000
    stamped = await wait_for_document(harness, PARENT.id, 2)
    assert stamped.files["document"].filename == "RCPT-2026-0001.pdf"
    assert "Receipt RCPT-2026-0001 for RM 100.00 was recorded by mistake" in stamped.seen
    assert "VOID" in pdf_text(stamped)
    (alert, *_) = await harness.press_button(OPERATOR, done, "Undo")
    assert alert.text == "RCPT-2026-0001 is void already (Undone right after recording)."
    (entry, *_) = await audit.family_history(harness.db, biz.id, family.id)
    assert entry.action == payments.PAYMENT_UNDONE
    assert entry.actor == audit.Actor.operator(OPERATOR.id)


async def test_undo_after_ten_minutes_is_too_late_and_offers_the_void_instead(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    (done,) = sent(await _paid_by_chat(harness))
    harness.clock.set(harness.clock.now() + timedelta(minutes=10, seconds=1))
    alert, offer = await harness.press_button(OPERATOR, done, "Undo")
    assert alert.params.get("show_alert")
    assert "more than 10 minutes since RCPT-2026-0001 was recorded" in alert.text
    assert [b["text"] for b in offer.buttons] == ["🚫 RCPT-2026-0001 · RM 100.00"]
    assert await _balance(harness, biz.id, family.id) == 5000  # nothing changed
    asked = texts(await harness.press_button(OPERATOR, offer, "RCPT-2026-0001"))
    assert "Void payment RCPT-2026-0001 (RM 100.00 Cash, Siti Nurhaliza, 15 Jan 2026)?" in asked
    (confirm,) = await harness.say(OPERATOR, "typed 100 for 10")
    done_text = texts(await harness.press_button(OPERATOR, confirm, "Void it"))
    assert "is void (typed 100 for 10)" in done_text
    assert await _balance(harness, biz.id, family.id) == 15000


async def test_the_family_card_shows_the_history_and_offers_the_voids(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    await _paid_by_chat(harness, "RM 40")
    (card,) = await harness.say(OPERATOR, "/customer Siti")
    assert {"📜 History", "🛠 Fix a mistake"} <= {b["text"] for b in card.buttons}
    (fixes,) = sent(await harness.press_button(OPERATOR, card, "Fix a mistake"))
    assert [b["text"] for b in fixes.buttons] == [
        "🚫 INV-2026-0001 · RM 150.00",
        "🚫 RCPT-2026-0001 · RM 40.00",
    ]
    await harness.press_button(OPERATOR, fixes, "RCPT-2026-0001")
    (confirm,) = await harness.say(OPERATOR, "Wrong family")
    await harness.press_button(OPERATOR, confirm, "Void it")
    (history,) = sent(await harness.press_button(OPERATOR, card, "History"))
    assert history.seen.startswith("📜 History of Siti Nurhaliza (latest 3 entries):")
    lines = history.seen.split("\n\n")[1:]
    assert lines[0].startswith("15 Jan 2026 10:00 · You voided payment RCPT-2026-0001 RM 40.00")
    assert "status: recorded → void" in lines[0]
    assert "settled: INV-2026-0001 → —" in lines[0]
    assert "Reason: Wrong family" in lines[0]
    assert lines[1].startswith("15 Jan 2026 10:00 · You recorded payment RCPT-2026-0001 RM 40.00")
    assert lines[2].startswith("15 Jan 2026 10:00 · VanBill issued invoice INV-2026-0001")
    (fixes,) = sent(await harness.press_button(OPERATOR, card, "Fix a mistake"))
    assert [b["text"] for b in fixes.buttons] == ["🚫 INV-2026-0001 · RM 150.00"]


async def test_forged_and_other_operators_correction_buttons_change_nothing(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    made = await invoice(harness, biz.id, family.id, 15000)
    paid = await payments.record_payment(
        harness.db, biz.id, family.id, harness.clock, amount_sen=1000, method="cash"
    )
    other = await second_business(harness, SECOND_OPERATOR.id)
    for user in (OPERATOR, SECOND_OPERATOR, PARENT):  # a message for the buttons to sit under
        await harness.say(user, "/help")
    # The other operator presses buttons naming OPERATOR's business, then their own id.
    for data in (
        f"fix:{biz.id}:vinv:{made.id}",
        f"fix:{biz.id}:undo:{paid.id}",
        f"fix:{biz.id}:vpay:{paid.id}",
        f"fam:{biz.id}:hist:{family.id}",
        f"fam:{biz.id}:fix:{family.id}",
    ):
        (alert,) = await harness.press(SECOND_OPERATOR, data)
        assert alert.text == "That button is not yours.", data
    for data in (
        f"fix:{other}:vinv:{made.id}",
        f"fix:{other}:vpay:{paid.id}",
        f"fix:{other}:undo:{paid.id}",
        f"fam:{other}:hist:{family.id}",
        f"fam:{other}:fix:{family.id}",
    ):
        replies = await harness.press(SECOND_OPERATOR, data)
        assert any("could not find" in c.text for c in replies if c.text), data
    # Malformed, stale and a parent's presses.
    for data in ("fix:1:vinv:abc", "fix:1:vinv:²", f"fix:{biz.id}:yes", f"fix:{biz.id}:no"):
        (alert,) = await harness.press(OPERATOR, data)
        assert alert.params.get("show_alert"), data
    (alert,) = await harness.press(PARENT, f"fix:{biz.id}:undo:{paid.id}")
    assert alert.text
    assert (await invoices.get_invoice(harness.db, biz.id, made.id, harness.clock)).status == (
        "partial"
    )
    assert not (await payments.get_payment(harness.db, biz.id, paid.id)).voided
    assert [e.action for e in await audit.family_history(harness.db, biz.id, family.id)] == [
        payments.PAYMENT_RECORDED,
        invoices.INVOICE_ISSUED,
    ]


async def test_a_voided_monthly_invoice_can_be_billed_again_with_newinvoice(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    (january,) = (
        await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock)
    ).invoice_ids
    await harness.say(OPERATOR, "/help")  # a message for the forged button to sit under
    await harness.press(OPERATOR, f"fix:{biz.id}:vinv:{january}")
    (confirm,) = await harness.say(OPERATOR, "Wrong route")
    done = texts(await harness.press_button(OPERATOR, confirm, "Void it"))
    assert "You can bill January 2026 again with /newinvoice" in done
    replacement = await invoices.create_invoice(
        harness.db,
        biz.id,
        family.id,
        harness.clock,
        [NewLine("Routes", 15000)],
        period=date(2026, 1, 1),
    )
    assert replacement.number == "INV-2026-0002" and replacement.period == date(2026, 1, 1)


async def test_a_recorded_slip_offers_undo_and_undoing_it_owes_the_invoice_again(
    harness: BotHarness,
) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    slip = await _slip_at_operator(harness)
    _, methods = await harness.press_button(OPERATOR, slip, "Record RM")
    _, edited = await harness.press_button(OPERATOR, methods, "DuitNow")
    assert [b["text"] for b in edited.buttons] == ["↩️ Undo"]
    assert await _balance(harness, op, family) == 0
    undone = texts(await harness.press_button(OPERATOR, edited, "Undo"))
    assert "Payment RCPT-2026-0001 of RM 150.00 from Siti Nurhaliza is void" in undone
    assert await _balance(harness, op, family) == 15000
    actions = [e.action for e in await audit.family_history(harness.db, op, family)]
    assert actions[:2] == [payments.PAYMENT_UNDONE, payments.SLIP_RECORDED]


async def test_undoing_a_slips_payment_shows_the_slip_again_to_be_recorded_right(
    harness: BotHarness,
) -> None:
    op, family = await _family_owing(harness)
    await send_photo(harness, PARENT)
    slip = await _slip_at_operator(harness)
    _, methods = await harness.press_button(OPERATOR, slip, "Record RM")
    _, edited = await harness.press_button(OPERATOR, methods, "Cash")  # it was DuitNow
    undone = await harness.press_button(OPERATOR, edited, "Undo")
    assert "The transfer slip from Siti Nurhaliza is waiting again" in texts(undone)
    (again,) = [c for c in undone if c.method == "sendPhoto"]
    assert again.button("Record RM 150.00") and "Owed when it came: RM 150.00" in again.seen
    assert await _balance(harness, op, family) == 15000
    _, methods = await harness.press_button(OPERATOR, again, "Record RM")
    _, edited = await harness.press_button(OPERATOR, methods, "DuitNow")
    assert "Recorded RM 150.00 from Siti Nurhaliza (DuitNow)" in edited.seen
    assert await _balance(harness, op, family) == 0
    recorded = await payments.list_payments(harness.db, op)
    assert [(p.receipt_number, p.method, p.voided) for p in recorded] == [
        ("RCPT-2026-0002", "duitnow", False),
        ("RCPT-2026-0001", "cash", True),
    ]
    # The first slip message's buttons are gone: its Record cannot record it a third time.
    (alert, *_) = await harness.press(OPERATOR, slip.buttons[0]["callback_data"])
    assert alert.method == "answerCallbackQuery"
    assert len(await payments.list_payments(harness.db, op)) == 2


async def test_the_history_words_every_change_to_a_family(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    me = audit.Actor.operator(OPERATOR.id)
    clock, db = harness.clock, harness.db
    await families.set_reminders_paused(db, biz.id, family.id, clock, me, True)
    await families.set_reminders_paused(db, biz.id, family.id, clock, me, False)
    await families.add_child(
        db, biz.id, family.id, clock, me, name="Hakim", route_ids=[biz.morning.id]
    )
    (card,) = await harness.say(OPERATOR, "/customer Siti")
    (history,) = sent(await harness.press_button(OPERATOR, card, "History"))
    lines = history.seen.split("\n\n")[1:]
    assert lines[0].startswith("15 Jan 2026 10:00 · You added a child")
    assert lines[1].startswith("15 Jan 2026 10:00 · You resumed the reminders")
    assert lines[2].startswith("15 Jan 2026 10:00 · You paused the reminders")
    assert "." not in "".join(line.split("\n")[0] for line in lines)  # no internal names
