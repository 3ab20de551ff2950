"""/paid: pick the family (or reply to an invoice), amount, method, date, confirm; receipt out."""

from __future__ import annotations

from datetime import date

from tests.bot.conftest import OPERATOR, PARENT, SECOND_OPERATOR, BotHarness, texts
from tests.bot.factories import (
    SITI_PHONE,
    business,
    documents_to,
    invoice,
    pdf_text,
    press,
    reply_to,
    second_business,
    sent,
    siti,
    wait_for_document,
)
from vanbill.services import accounts, delivery, payments


async def _up_to_amount(harness: BotHarness) -> str:
    """Run /paid Siti and pick her; return the account the operator sees."""
    (pick,) = await harness.say(OPERATOR, "/paid Siti")
    assert pick.button("Siti Nurhaliza")
    return texts(await press(harness, "Siti Nurhaliza"))


async def _balance(harness: BotHarness, operator_id: int, customer_id: int) -> int:
    found = await accounts.family_balance(harness.db, operator_id, customer_id, harness.clock)
    return found.balance_sen


async def test_an_operator_records_a_cash_payment_and_the_parent_gets_the_receipt(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    assert "Which family paid?" in texts(await harness.say(OPERATOR, "/paid"))
    await harness.say(OPERATOR, "Aisyah")  # a child's name finds the family too
    account = texts(await press(harness, "Siti Nurhaliza"))
    assert "Siti Nurhaliza owes RM 150.00." in account
    assert "• INV-2026-0001 RM 150.00 left, due 7 Feb 2026" in account
    assert "How much did they pay?" in account
    (methods,) = await harness.say(OPERATOR, "RM100")
    assert [b["text"] for b in methods.buttons] == [
        "Cash",
        "Bank transfer",
        "DuitNow",
        "Cheque",
        "Other",
    ]
    assert "When was it paid?" in texts(await press(harness, "Cash"))
    summary = texts(await press(harness, "Today"))
    assert "Family: Siti Nurhaliza\nAmount: RM 100.00\nMethod: Cash\nPaid on: 15 Jan 2026" in (
        summary
    )
    done = texts(await press(harness, "Record payment"))
    assert "Recorded RM 100.00 (Cash) from Siti Nurhaliza on 15 Jan 2026." in done
    assert "It went to: INV-2026-0001 RM 100.00." in done
    assert "Siti Nurhaliza still owes RM 50.00." in done
    assert "Receipt RCPT-2026-0001 is on its way to the parent." in done
    receipt = await wait_for_document(harness, PARENT.id)
    assert receipt.files["document"].filename.startswith("RCPT-")
    assert "We received RM 100.00 (Cash)" in receipt.seen
    assert "RM 100.00" in pdf_text(receipt)
    assert await _balance(harness, biz.id, family.id) == 5000
    (recorded,) = await payments.list_payments(harness.db, biz.id)
    assert recorded.method == "cash"
    # The summary's button cannot record the same payment twice.
    summary_call = [c for c in harness.tg.seen_by(OPERATOR.id) if "Please check" in c.seen][-1]
    (alert,) = await harness.press_button(OPERATOR, summary_call, "Record payment")
    assert "expired" in alert.text
    assert len(await payments.list_payments(harness.db, biz.id)) == 1


async def test_replying_paid_to_an_invoice_message_settles_that_invoice_first(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    await invoice(harness, biz.id, family.id, 8000, description="Zoo trip")
    shown = sent(await harness.say(OPERATOR, "/invoice INV-2026-0002"), "sendDocument")[0]
    account = texts(await reply_to(harness, OPERATOR, "/paid", shown))
    assert "Siti Nurhaliza owes RM 230.00." in account
    assert "This payment goes to INV-2026-0002 first." in account
    await harness.say(OPERATOR, "50")
    await press(harness, "DuitNow")
    summary = texts(await press(harness, "Today"))
    assert "For: INV-2026-0002 first" in summary and "Paid on: 15 Jan 2026" in summary
    done = texts(await press(harness, "Record payment"))
    assert "It went to: INV-2026-0002 RM 50.00." in done
    assert "Siti Nurhaliza still owes RM 180.00." in done


async def test_replying_paid_to_a_paid_invoice_says_the_money_goes_to_the_oldest(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    second = await invoice(harness, biz.id, family.id, 8000)
    await payments.record_payment(
        harness.db,
        biz.id,
        family.id,
        harness.clock,
        amount_sen=8000,
        method="cash",
        invoice_id=second.id,
    )
    shown = sent(await harness.say(OPERATOR, "/invoice INV-2026-0002"), "sendDocument")[0]
    account = texts(await reply_to(harness, OPERATOR, "/paid", shown))
    assert "INV-2026-0002 is paid already, so this payment goes to the oldest" in account


async def test_bad_amounts_methods_and_dates_are_refused_and_asked_again(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    await _up_to_amount(harness)
    for typed, refusal in [
        ("abc", "I could not read 'abc' as an amount."),
        ("-5", "The amount cannot be negative."),
        ("0", "The amount must be more than zero."),
        ("1.005", "I could not read '1.005' as an amount."),
    ]:
        (reply,) = await harness.say(OPERATOR, typed)
        assert refusal in reply.seen and "Send an amount like 150, RM150" in reply.seen
    (methods,) = await harness.say(OPERATOR, "rm 1,234.50")
    assert methods.button("Bank transfer")
    (reply,) = await harness.say(OPERATOR, "cash")
    assert "Tap one of the buttons" in reply.seen
    await press(harness, "Bank transfer")
    (reply,) = await harness.say(OPERATOR, "2026-13-01")
    assert "not a day on the calendar" in reply.seen
    (reply,) = await harness.say(OPERATOR, "2026-01-16")
    assert "cannot be dated in the future (today is 2026-01-15)" in reply.seen
    summary = texts(await harness.say(OPERATOR, "2026-01-10"))
    assert "Amount: RM 1,234.50" in summary and "Method: Bank transfer" in summary
    assert "Paid on: 10 Jan 2026" in summary
    (reply,) = await harness.say(OPERATOR, "yes")
    assert "Tap one of the buttons" in reply.seen
    assert await payments.list_payments(harness.db, biz.id) == []
    done = texts(await press(harness, "Record payment"))
    assert "is paid up, with RM 1,084.50 in credit." in done


async def test_an_unlinked_family_gets_its_receipt_when_the_parent_links(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz, linked=False)
    await invoice(harness, biz.id, family.id, 15000)
    await _up_to_amount(harness)
    await harness.say(OPERATOR, "150")
    await press(harness, "Cheque")
    await press(harness, "Today")
    done = texts(await press(harness, "Record payment"))
    assert "Siti Nurhaliza is all paid up." in done
    assert "not linked their Telegram yet: receipt RCPT-2026-0001 goes to them when" in done
    assert documents_to(harness, PARENT.id) == []
    await harness.share_contact(PARENT, SITI_PHONE)
    receipt = await wait_for_document(harness, PARENT.id)
    assert "We received RM 150.00 (Cheque)" in receipt.seen


async def test_cancel_records_nothing(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    await _up_to_amount(harness)
    await harness.say(OPERATOR, "150")
    await press(harness, "Cash")
    await press(harness, "Today")
    (cancelled,) = sent(await press(harness, "Cancel"))
    assert cancelled.seen == "Cancelled. No payment was recorded."
    await _up_to_amount(harness)
    assert "Cancelled" in texts(await harness.say(OPERATOR, "/cancel"))
    assert "What you can do" in texts(await harness.say(OPERATOR, "150"))
    assert await payments.list_payments(harness.db, biz.id) == []


async def test_a_parent_sending_paid_is_refused(harness: BotHarness) -> None:
    biz = await business(harness)
    await siti(harness, biz)
    (refusal,) = await harness.say(PARENT, "/paid")
    assert "for van operators" in refusal.seen and not refusal.buttons
    (alert,) = await harness.press(PARENT, f"pd:{biz.id}:ok", message_id=1)
    assert alert.text == "This button is not for you."
    assert await payments.list_payments(harness.db, biz.id) == []


async def test_a_forged_paid_button_or_reply_for_another_operators_family_records_nothing(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    mine = await second_business(harness, SECOND_OPERATOR.id)
    (alert,) = await harness.press(SECOND_OPERATOR, f"pd:{mine}:fam:{family.id}", message_id=1)
    assert alert.params.get("show_alert") and alert.text == "I could not find that family."
    (alert,) = await harness.press(SECOND_OPERATOR, f"pd:{biz.id}:fam:{family.id}", message_id=1)
    assert alert.text == "That button is not yours."
    # No conversation started: an amount typed now records nothing for anyone.
    assert "What you can do" in texts(await harness.say(SECOND_OPERATOR, "150"))
    # Quoting the victim's invoice number in a reply finds nothing either.
    await harness.say(SECOND_OPERATOR, "/invoices")
    listed = harness.tg.last_to(SECOND_OPERATOR.id)
    harness.tg.message(SECOND_OPERATOR.id, listed.message_id or 0)["text"] = "INV-2026-0001"
    refusal = texts(await reply_to(harness, SECOND_OPERATOR, "/paid", listed))
    assert "I could not find invoice 'INV-2026-0001'" in refusal
    assert await payments.list_payments(harness.db, biz.id) == []
    assert await payments.list_payments(harness.db, mine) == []
    assert await delivery.pending_count(harness.db) == 0
    assert await _balance(harness, biz.id, family.id) == 15000


async def test_a_payment_dated_earlier_keeps_its_date(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await invoice(harness, biz.id, family.id, 15000)
    await _up_to_amount(harness)
    await harness.say(OPERATOR, "150")
    await press(harness, "Other")
    await harness.say(OPERATOR, "2025-12-31")
    await press(harness, "Record payment")
    (recorded,) = await payments.list_payments(harness.db, biz.id)
    assert (recorded.paid_on, recorded.method) == (date(2025, 12, 31), "other")
