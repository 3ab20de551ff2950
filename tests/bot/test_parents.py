"""Parents: /balance and /invoices show their own families only, and each invoice's PDF."""

from __future__ import annotations

from datetime import date

from tests.bot.conftest import (
    OPERATOR,
    PARENT,
    SECOND_OPERATOR,
    STRANGER,
    BotHarness,
    add_family,
    texts,
)
from tests.bot.fake_telegram import TgUser
from vanbill.services import invoices, operators, payments
from vanbill.services.billing import NewLine

OTHER_PARENT = TgUser(2002, "Mei Ling")


async def business(harness: BotHarness, user: TgUser = OPERATOR, name: str = "Van Kak Ros") -> int:
    """Make the operator behind user, with a business name; return its id."""
    op = await operators.ensure_operator(harness.db, user.id, harness.clock)
    await operators.update_profile(harness.db, op.id, business_name=name)
    return op.id


async def bill(
    harness: BotHarness,
    op: int,
    family: int,
    amount_sen: int,
    issued: date,
    due: date,
    what: str = "School van",
) -> invoices.InvoiceView:
    """Create an ad-hoc invoice for the family."""
    return await invoices.create_invoice(
        harness.db,
        op,
        family,
        harness.clock,
        [NewLine(what, amount_sen)],
        issue_date=issued,
        due_date=due,
    )


async def test_balance_lists_unpaid_invoices_with_overdue_marks_and_the_total(
    harness: BotHarness,
) -> None:
    op = await business(harness)
    family = await add_family(harness.db, op, "Siti Nurhaliza", telegram_user_id=PARENT.id)
    await bill(harness, op, family, 150_00, date(2025, 12, 1), date(2025, 12, 7))
    await bill(harness, op, family, 160_00, date(2026, 1, 1), date(2026, 1, 20))
    (reply,) = await harness.say(PARENT, "/balance")
    lines = reply.seen.splitlines()
    assert lines[0] == "🚐 Van Kak Ros — Siti Nurhaliza"
    assert lines[1] == "• INV-2025-0001, due 7 Dec 2025: RM 150.00 left ⚠️ overdue"
    assert lines[2] == "• INV-2026-0001, due 20 Jan 2026: RM 160.00 left"
    assert lines[3] == "Total to pay: RM 310.00"
    assert "Send a photo of the transfer slip here." in reply.seen


async def test_balance_after_paying_says_all_paid_and_shows_any_credit(
    harness: BotHarness,
) -> None:
    op = await business(harness)
    family = await add_family(harness.db, op, "Siti", telegram_user_id=PARENT.id)
    await bill(harness, op, family, 150_00, date(2026, 1, 1), date(2026, 1, 20))
    await payments.record_payment(
        harness.db, op, family, harness.clock, amount_sen=170_00, method="cash"
    )
    (reply,) = await harness.say(PARENT, "/balance")
    assert "All paid" in reply.seen and "INV-" not in reply.seen
    assert "Your credit for the next invoice: RM 20.00" in reply.seen
    assert "transfer slip" not in reply.seen


async def test_balance_with_nothing_billed_yet_says_all_paid(harness: BotHarness) -> None:
    op = await business(harness)
    await add_family(harness.db, op, "Siti", telegram_user_id=PARENT.id)
    (reply,) = await harness.say(PARENT, "/balance")
    assert reply.seen == "🚐 Van Kak Ros — Siti\n✅ All paid. Thank you!"


async def test_a_parent_of_two_businesses_sees_each_and_never_another_familys(
    harness: BotHarness,
) -> None:
    kak_ros = await business(harness)
    ravi = await business(harness, SECOND_OPERATOR, "Ravi <Transport> & Sons")
    mine = await add_family(harness.db, kak_ros, "Siti", telegram_user_id=PARENT.id)
    also_mine = await add_family(harness.db, ravi, "Siti N.", telegram_user_id=PARENT.id)
    theirs = await add_family(harness.db, kak_ros, "Mei Ling", telegram_user_id=OTHER_PARENT.id)
    await bill(harness, kak_ros, mine, 150_00, date(2026, 1, 1), date(2026, 1, 20))
    await bill(harness, ravi, also_mine, 90_00, date(2026, 1, 1), date(2026, 1, 20))
    await bill(harness, kak_ros, theirs, 999_00, date(2026, 1, 1), date(2026, 1, 20))
    seen = texts(await harness.say(PARENT, "/balance"))
    assert "🚐 Van Kak Ros — Siti\n" in seen and "RM 150.00" in seen
    assert "🚐 Ravi <Transport> & Sons — Siti N.\n" in seen and "RM 90.00" in seen
    assert "Mei Ling" not in seen and "999" not in seen
    listed = texts(await harness.say(PARENT, "/invoices"))
    assert "Van Kak Ros" in listed and "Ravi <Transport> & Sons" in listed
    assert "Mei Ling" not in listed and "999" not in listed


async def test_invoices_lists_the_ten_newest_with_a_pdf_button_each(harness: BotHarness) -> None:
    op = await business(harness)
    family = await add_family(harness.db, op, "Siti", telegram_user_id=PARENT.id)
    for month in range(1, 13):
        made = await bill(harness, op, family, 100_00, date(2025, month, 1), date(2025, month, 7))
        if month <= 10:
            await payments.record_payment(
                harness.db, op, family, harness.clock, amount_sen=100_00, method="cash"
            )
    await invoices.void_invoice(harness.db, op, made.id, harness.clock)
    (reply,) = await harness.say(PARENT, "/invoices")
    numbers = [b["text"] for b in reply.buttons]
    assert numbers == [f"📄 INV-2025-{n:04d}" for n in range(12, 2, -1)]
    lines = reply.seen.splitlines()
    assert lines[0] == "🚐 Van Kak Ros — Siti: your recent invoices"
    assert lines[1] == "• INV-2025-0012 (1 Dec 2025): RM 100.00, void"
    assert lines[2] == "• INV-2025-0011 (1 Nov 2025): RM 100.00, ⚠️ overdue, RM 100.00 left"
    assert lines[3] == "• INV-2025-0010 (1 Oct 2025): RM 100.00, paid ✅"
    assert "INV-2025-0002" not in reply.seen


async def test_invoices_with_none_yet_says_so_without_buttons(harness: BotHarness) -> None:
    op = await business(harness)
    await add_family(harness.db, op, "Siti", telegram_user_id=PARENT.id)
    (reply,) = await harness.say(PARENT, "/invoices")
    assert reply.seen == "🚐 Van Kak Ros — Siti\nNo invoices yet."
    assert reply.buttons == []


async def test_an_invoice_button_sends_that_invoices_pdf_with_how_to_pay(
    harness: BotHarness,
) -> None:
    op = await business(harness)
    await operators.update_profile(harness.db, op, bank_name="Maybank", bank_account="5140 1234")
    family = await add_family(harness.db, op, "Siti", telegram_user_id=PARENT.id)
    invoice = await bill(harness, op, family, 150_00, date(2026, 1, 1), date(2026, 1, 20))
    (listing,) = await harness.say(PARENT, "/invoices")
    answer, document = await harness.press_button(PARENT, listing, invoice.number)
    assert answer.method == "answerCallbackQuery" and not answer.params.get("show_alert")
    assert document.method == "sendDocument"
    pdf = document.files["document"]
    assert pdf.filename == "INV-2026-0001.pdf" and pdf.content.startswith(b"%PDF")
    assert "Invoice INV-2026-0001 for Siti" in document.seen
    assert "Maybank 5140 1234" in document.seen


async def test_a_forged_invoice_button_is_not_yours_and_sends_nothing(
    harness: BotHarness,
) -> None:
    kak_ros = await business(harness)
    ravi = await business(harness, SECOND_OPERATOR, "Ravi")
    mine = await add_family(harness.db, kak_ros, "Siti", telegram_user_id=PARENT.id)
    theirs = await add_family(harness.db, kak_ros, "Mei Ling", telegram_user_id=OTHER_PARENT.id)
    elsewhere = await add_family(harness.db, ravi, "Ah Kow")
    their_invoice = await bill(harness, kak_ros, theirs, 99_00, date(2026, 1, 1), date(2026, 1, 9))
    far_invoice = await bill(harness, ravi, elsewhere, 88_00, date(2026, 1, 1), date(2026, 1, 9))
    await harness.say(PARENT, "/invoices")
    for data in (
        f"pinv:{mine}:{their_invoice.id}",  # my family, their invoice
        f"pinv:{theirs}:{their_invoice.id}",  # their family
        f"pinv:{mine}:{far_invoice.id}",  # another business's invoice
        f"pinv:{elsewhere}:{far_invoice.id}",
        f"pinv:{mine}:999999",
    ):
        (alert,) = await harness.press(PARENT, data)
        assert alert.method == "answerCallbackQuery", data
        assert alert.text == "That invoice is not yours.", data
    assert harness.tg.calls_to(PARENT.id, "sendDocument") == []


async def test_a_stranger_asking_for_balance_or_invoices_is_told_how_to_link(
    harness: BotHarness,
) -> None:
    op = await business(harness)
    family = await add_family(harness.db, op, "Siti", telegram_user_id=PARENT.id)
    await bill(harness, op, family, 150_00, date(2026, 1, 1), date(2026, 1, 20))
    for command in ("/balance", "/invoices"):
        (reply,) = await harness.say(STRANGER, command)
        assert "I don't know you yet" in reply.seen, command
        assert reply.button("Share my phone number")
        assert "RM" not in reply.seen and "Siti" not in reply.seen


async def test_an_operators_balance_is_refused_as_a_parents_command(harness: BotHarness) -> None:
    await business(harness)
    (reply,) = await harness.say(OPERATOR, "/balance")
    assert reply.seen == "That is for parents linked to a van service."


async def test_the_parent_menu_offers_balance_and_invoices(harness: BotHarness) -> None:
    default = [c["command"] for c in harness.tg.commands["default"]]
    assert {"balance", "invoices"} <= set(default)
    op = await business(harness)
    await add_family(harness.db, op, "Siti", telegram_user_id=PARENT.id)
    shown = texts(await harness.say(PARENT, "/help"))
    assert "/balance" in shown and "/invoices" in shown


async def _invoice_caption(harness: BotHarness, number: str) -> str:
    """Tap the invoice's PDF button in /invoices as the parent; return its caption."""
    (listing,) = await harness.say(PARENT, "/invoices")
    _, document = await harness.press_button(PARENT, listing, number)
    assert document.method == "sendDocument"
    return document.seen


async def test_a_paid_invoice_says_paid_in_full_and_names_credit_only_when_credit_paid_it(
    harness: BotHarness,
) -> None:
    op = await business(harness)
    family = await add_family(harness.db, op, "Siti", telegram_user_id=PARENT.id)
    cash = await bill(harness, op, family, 150_00, date(2025, 12, 1), date(2025, 12, 7))
    await payments.record_payment(
        harness.db, op, family, harness.clock, amount_sen=150_00, method="cash"
    )
    caption = await _invoice_caption(harness, cash.number)
    assert caption.endswith("\nPaid in full. Thank you!")
    assert "credit" not in caption

    await payments.record_payment(  # paid ahead: RM 200 of credit
        harness.db, op, family, harness.clock, amount_sen=200_00, method="cash"
    )
    covered = await bill(harness, op, family, 120_00, date(2026, 1, 2), date(2026, 1, 20))
    assert (await _invoice_caption(harness, covered.number)).endswith(
        "\nNothing to pay: your credit covers it. Thank you!"
    )
    partly = await bill(harness, op, family, 130_00, date(2026, 1, 3), date(2026, 1, 20))
    await payments.record_payment(
        harness.db, op, family, harness.clock, amount_sen=50_00, method="cash"
    )
    assert (await _invoice_caption(harness, partly.number)).endswith(
        "\nPaid in full (RM 80.00 of it from your credit). Thank you!"
    )
