"""The family card's changes through the real Application: details, children joining (a month
billed now), leaving and moving, charges and credits, reminders paused, late fees waived; bad
input, stale and forged buttons, another operator's family, an archived family."""

from __future__ import annotations

from datetime import UTC, date, datetime

from tests.bot.conftest import OPERATOR, PARENT, SECOND_OPERATOR, BotHarness, texts
from tests.bot.factories import (
    business,
    documents_to,
    pdf_text,
    press,
    siti,
    wait_for_document,
    with_buttons,
)
from vanbill.services import (
    accounts,
    adjustments,
    audit,
    customers,
    invoices,
    latefees,
    monthly,
    operators,
    routes,
    runs,
)

JAN = date(2026, 1, 1)


async def _card(harness: BotHarness, name: str = "Siti") -> str:
    return texts(await harness.say(OPERATOR, f"/customer {name}"))


async def test_the_operator_changes_the_parents_phone_after_a_refusal(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await _card(harness)
    assert "What do you want to change?" in texts(await press(harness, "Edit details"))
    assert "phone number" in texts(await press(harness, "Phone"))
    (refusal,) = await harness.say(OPERATOR, "call me maybe")
    assert "phone number" in refusal.seen and "/cancel" in refusal.seen
    replies = texts(await harness.say(OPERATOR, "012-987 6543"))
    assert "The phone number is now +60129876543" in replies
    assert "👪 Siti Nurhaliza" in replies  # the card again
    changed = await customers.get_customer(harness.db, biz.id, family.id)
    assert changed.phone == "+60129876543"
    (entry,) = await audit.family_history(harness.db, biz.id, family.id)
    assert entry.actor == audit.Actor.operator(OPERATOR.id)
    assert entry.changes() == [("phone", "+60123456789", "+60129876543")]


async def test_notes_with_markup_and_chinese_are_kept_as_typed(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await _card(harness)
    await press(harness, "Edit details")
    await press(harness, "Notes")
    replies = texts(await harness.say(OPERATOR, "<b>gate</b> 陈美玲 ²"))
    assert "<b>gate</b> 陈美玲 ²" in replies
    assert (await customers.get_customer(harness.db, biz.id, family.id)).notes == (
        "<b>gate</b> 陈美玲 ²"
    )


async def test_a_child_added_after_the_run_is_offered_the_month_and_billed_by_days(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await runs.start_run(harness.db, biz.id, JAN, harness.clock)  # January billed: RM 150
    await _card(harness)
    await press(harness, "Children")
    assert "new child's name" in texts(await press(harness, "Add a child"))
    await harness.say(OPERATOR, "Danish")
    await press(harness, "Primary school")
    (refusal,) = await harness.say(OPERATOR, "abc")
    assert "birth year" in refusal.seen
    await harness.say(OPERATOR, "2019")
    await harness.say(OPERATOR, "SK Setapak")
    assert "Tap one of the buttons" in texts(await harness.say(OPERATOR, "Done"))
    await press(harness, biz.afternoon.name)
    assert "From which month" in texts(await press(harness, "Done"))
    replies = await press(harness, "From January 2026")
    assert "Added Danish to" in texts(replies)
    offer = with_buttons(harness, OPERATOR.id)
    # 15 to 31 January: 17 of 31 days of RM 120.00 = 6,580.6 sen -> RM 65.81;
    # 12 of 22 school days (Thursday 15th on) = 6,545.45 -> RM 65.45.
    labels = [b["text"] for b in offer.buttons]
    assert labels == [
        "RM 120.00 (full)",
        "RM 65.81 (by days)",
        "RM 65.45 (by school days)",
        "RM 60.00 (half)",
        "From February",
    ]
    assert "Billed January 2026: RM 65.81 (by days)" in texts(
        await harness.press_button(OPERATOR, offer, "by days")
    )
    balance = await accounts.family_balance(harness.db, biz.id, family.id, harness.clock)
    assert balance.owed_sen == 15000 + 6581
    # The offer is gone: pressing it again changes nothing.
    (refusal,) = await harness.press_button(OPERATOR, offer, "full")
    assert "Nothing of January 2026 waits" in refusal.seen
    assert (
        await accounts.family_balance(harness.db, biz.id, family.id, harness.clock)
    ).owed_sen == 21581
    await wait_for_document(harness, PARENT.id, 2)  # January's invoice, then Danish's


async def test_a_family_added_by_newcustomer_after_an_empty_run_is_offered_the_month(
    harness: BotHarness,
) -> None:
    """The first-month defect: an operator's empty first run was the end of that month."""
    biz = await business(harness)
    started = await runs.start_run(harness.db, biz.id, JAN, harness.clock)
    assert started is not None and started.run.status == "done"
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Bala")
    await harness.say(OPERATOR, "-")
    await harness.say(OPERATOR, "Kumar")
    await press(harness, "Primary school")
    await harness.say(OPERATOR, "-")
    await harness.say(OPERATOR, "-")
    await press(harness, biz.morning.name)
    await press(harness, "Done")
    replies = texts(await press(harness, "No, save"))
    assert "Bill January now?" in replies
    assert "went out before <b>Bala</b>" not in replies  # words, not markup
    assert "Billed January 2026: RM 150.00 (full)" in texts(await press(harness, "(full)"))
    (found,) = await customers.find_customers(harness.db, biz.id, "Bala")
    (invoice,) = await invoices.list_invoices(
        harness.db, biz.id, harness.clock, customer_id=found.id
    )
    assert (invoice.period, invoice.total_sen) == (JAN, 15000)


async def test_from_next_month_bills_nothing_now_and_the_card_stops_offering(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    await runs.start_run(harness.db, biz.id, JAN, harness.clock)
    family = await siti(harness, biz, linked=False)
    await _card(harness)
    await press(harness, "Bill January now")
    assert "not billed; the routes start next month" in texts(
        await press(harness, "From February")
    )
    await _card(harness)
    assert all("Bill January" not in b["text"] for b in with_buttons(harness, OPERATOR.id).buttons)
    plan = await monthly.preview_month(harness.db, biz.id, date(2026, 2, 1))
    assert [f.customer_id for f in plan.families] == [family.id]


async def test_a_child_leaving_today_after_the_invoice_gets_a_credit_note(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await runs.start_run(harness.db, biz.id, JAN, harness.clock)
    await _card(harness)
    await press(harness, "Children")
    await press(harness, "Aisyah")
    assert "When does Aisyah stop riding?" in texts(await press(harness, "Leaves"))
    await press(harness, "Today")
    # 1 to 15 January: 15 of 31 days of RM 150.00 = 7,258.06 -> RM 72.58.
    replies = texts(await press(harness, "RM 72.58 (by days)"))
    assert "Aisyah rides until" in replies and "CN-2026-0001: RM 77.42" in replies
    balance = await accounts.family_balance(harness.db, biz.id, family.id, harness.clock)
    assert balance.balance_sen == 7258
    assert (await monthly.preview_month(harness.db, biz.id, date(2026, 2, 1))).families == ()


async def test_a_child_changes_route_from_next_month(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await _card(harness)
    await press(harness, "Children")
    await press(harness, "Aisyah")
    await press(harness, "Change route")
    await press(harness, biz.afternoon.name)
    replies = texts(await press(harness, "From February 2026"))
    assert f"takes {biz.afternoon.name} from February 2026" in replies
    taken = await routes.list_enrollments(harness.db, biz.id, family.id, month=date(2026, 2, 1))
    assert [e.service_id for e in taken] == [biz.afternoon.id]


async def test_a_charge_with_bad_amounts_then_on_the_next_invoice(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await _card(harness)
    await press(harness, "Charge or credit")
    assert "What is it for?" in texts(await press(harness, "Charge"))
    await harness.say(OPERATOR, "Zoo Negara trip")
    for bad in ("abc", "-5", "²", "1.005"):
        (refusal,) = await harness.say(OPERATOR, bad)
        assert "/cancel" in refusal.seen, bad
    assert "next monthly invoice, or now?" in texts(await harness.say(OPERATOR, "RM 1,234.50"))
    assert "on the family's next monthly invoice" in texts(await press(harness, "next invoice"))
    (made,) = await adjustments.list_adjustments(harness.db, biz.id, family.id)
    assert (made.amount_sen, made.pending) == (123450, True)


async def test_a_credit_note_now_settles_what_is_owed_and_tells_the_parent(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await monthly.generate_month(harness.db, biz.id, JAN, harness.clock)
    await _card(harness)
    await press(harness, "Charge or credit")
    await press(harness, "Credit")
    await harness.say(OPERATOR, "Van off 3 days")
    await harness.say(OPERATOR, "20")
    assert "as credit note CN-2026-0001" in texts(await press(harness, "credit note now"))
    balance = await accounts.family_balance(harness.db, biz.id, family.id, harness.clock)
    assert balance.balance_sen == 13000
    await harness.tg.wait_for(
        lambda: any("credited your account" in t for t in harness.tg.texts_to(PARENT.id)),
        timeout=10,
    )


async def test_reminders_are_paused_and_resumed_from_the_card(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await _card(harness)
    assert "Reminders paused" in texts(await press(harness, "Pause reminders"))
    assert (await customers.get_customer(harness.db, biz.id, family.id)).reminders_paused
    assert "Reminders paused." in await _card(harness)
    assert "Reminders resumed" in texts(await press(harness, "Resume reminders"))


async def test_an_archived_family_is_refused_with_the_reason(harness: BotHarness) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await customers.set_archived(harness.db, biz.id, family.id, True)
    card = await _card(harness)
    assert "Archived" in card
    assert all("Edit" not in b["text"] for b in with_buttons(harness, OPERATOR.id).buttons)
    (refusal,) = await harness.press(OPERATOR, f"fe:{biz.id}:adj:{family.id}")
    assert "archived" in refusal.seen
    await harness.press(OPERATOR, f"fe:{biz.id}:pf:{family.id}-name")
    (refusal,) = await harness.say(OPERATOR, "New name")
    assert "archived; unarchive the family" in refusal.seen
    assert (await customers.get_customer(harness.db, biz.id, family.id)).name == "Siti Nurhaliza"


async def test_forged_stale_and_another_operators_buttons_change_nothing(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await latefees.set_settings(
        harness.db, biz.id, harness.clock, audit.BOT, kind="fixed", amount_sen=1000, days=1
    )
    await monthly.generate_month(harness.db, biz.id, JAN, harness.clock)  # invoice 1, due 22nd
    harness.clock.set(datetime(2026, 1, 24, 2, 0, tzinfo=UTC))
    assert len(await latefees.add_late_fees(harness.db, biz.id, harness.clock)) == 1
    other = await operators.ensure_operator(harness.db, SECOND_OPERATOR.id, harness.clock)
    child_id = family.children[0].id
    await harness.say(SECOND_OPERATOR, "/customers")  # a message of the bot to press under
    await harness.say(PARENT, "/balance")
    await _card(harness)
    for data in (
        f"fe:{biz.id}:pause:{family.id}",  # not Ravi's button
        f"fe:{other.id}:pause:{family.id}",  # Ravi's button, Aminah's family
        f"fe:{other.id}:lrule:{child_id}-days",
        f"fe:{other.id}:akind:{family.id}-charge",
        f"lf:{biz.id}:waive:1",  # Aminah's waive button
        f"lf:{other.id}:waive:1",  # Ravi's button on Aminah's invoice
    ):
        (refusal,) = await harness.press(SECOND_OPERATOR, data)
        assert refusal.method == "answerCallbackQuery" and refusal.params["show_alert"], data
        assert any(w in refusal.seen for w in ("not yours", "could not find", "no late fee"))
    for data in (
        f"fe:{biz.id}:pause:²",
        f"fe:{biz.id}:pause:",
        f"fe:{biz.id}:lrule:{child_id}-weekly",
        f"fe:{biz.id}:bill:{family.id}-full",  # nothing waits to be billed
        f"fe:{biz.id}:atime:now",  # no adjustment on the way
        f"fe:{biz.id}:pf:{family.id}-telegram_user_id",
    ):
        (refusal,) = await harness.press(OPERATOR, data)
        assert refusal.method == "answerCallbackQuery", data
    (refusal,) = await harness.press(PARENT, f"fe:{biz.id}:pause:{family.id}")
    assert "not for you" in refusal.seen
    unchanged = await customers.get_customer(harness.db, biz.id, family.id)
    assert not unchanged.reminders_paused and len(unchanged.children) == 1
    assert [e.action for e in await audit.family_history(harness.db, biz.id, family.id)] == [
        "invoice.late_fee",  # and no waiver
        "invoice_issued",
    ]
    assert await adjustments.list_adjustments(harness.db, biz.id, family.id) == []


async def test_a_late_fee_set_in_business_is_added_named_in_the_reminder_and_waived(
    harness: BotHarness,
) -> None:
    biz = await business(harness)
    family = await siti(harness, biz)
    await harness.say(OPERATOR, "/business")
    await press(harness, "Late fee")
    (refusal,) = await harness.say(OPERATOR, "sometimes")
    assert "RM 10 after 7" in refusal.seen
    assert "RM 10.00 after 3 days" in texts(await harness.say(OPERATOR, "RM 10 after 3"))
    await harness.say(OPERATOR, "/cancel")
    await monthly.generate_month(harness.db, biz.id, JAN, harness.clock, deliver=True)
    await wait_for_document(harness, PARENT.id, 1)
    harness.clock.set(datetime(2026, 1, 25, 2, 0, tzinfo=UTC))  # due 22 Jan; 10:00 in KL
    assert harness.application is not None
    scheduler = harness.application.bot_data.services.scheduler
    before = len(harness.tg.seen_by(OPERATOR.id))
    tick = await scheduler.tick()
    assert [f.amount_sen for f in tick.late_fees] == [1000]
    assert (await scheduler.tick()).late_fees == []  # never twice
    # The operator is told through the outbox, once, with the Waive button.
    await harness.tg.wait_for(
        lambda: any(
            "Late fee RM 10.00 added to INV-2026-0001" in c.seen
            for c in harness.tg.seen_by(OPERATOR.id)[before:]
        ),
        timeout=30,
    )
    await harness.tg.wait_for(lambda: len(documents_to(harness, PARENT.id)) >= 2, timeout=30)
    reminder = documents_to(harness, PARENT.id)[1]
    assert "including a late fee of RM 10.00" in reminder.seen
    assert "Left to pay: RM 160.00" in reminder.seen
    assert "Late fee" in pdf_text(reminder)  # the PDF rendered again, not the first upload
    assert "waived on INV-2026-0001" in texts(await press(harness, "Waive late fee"))
    (again,) = await harness.press_button(OPERATOR, with_buttons(harness, OPERATOR.id), "Waive")
    assert again.method == "answerCallbackQuery"  # a stale button: nothing more happens
    balance = await accounts.family_balance(harness.db, biz.id, family.id, harness.clock)
    assert balance.owed_sen == 15000
    assert (await latefees.add_late_fees(harness.db, biz.id, harness.clock)) == []


async def test_a_child_joining_mid_month_before_the_run_is_billed_as_chosen_by_the_run(
    harness: BotHarness,
) -> None:
    biz = await business(harness, billing_day=20)  # January's invoices go out on the 20th
    family = await siti(harness, biz)  # Aisyah, morning RM 150.00
    await _card(harness)
    await press(harness, "Children")
    await press(harness, "Add a child")
    await harness.say(OPERATOR, "Danish")
    await press(harness, "Primary school")
    await harness.say(OPERATOR, "2019")
    await harness.say(OPERATOR, "SK Setapak")
    await press(harness, biz.afternoon.name)
    await press(harness, "Done")
    (question,) = [c for c in await press(harness, "From January 2026") if c.buttons]
    assert question.seen.startswith(
        "Danish joins today, 15 January 2026, in the middle of January 2026; January 2026's "
        "invoices are still to go out. How should Danish's routes be billed for January 2026?"
    )
    # 15 to 31 January: 17 of 31 days of RM 120.00 -> RM 65.81; 12 of 22 school days -> 65.45.
    assert [b["text"] for b in question.buttons] == [
        "RM 120.00 (full)",
        "RM 65.81 (by days)",
        "RM 65.45 (by school days)",
        "RM 60.00 (half)",
        "RM 0.00 (nothing)",
    ]
    assert await customers.find_customers(harness.db, biz.id, "Danish") == []  # nothing saved
    assert "Tap one of the buttons" in texts(await harness.say(OPERATOR, "by days"))
    other = await operators.ensure_operator(harness.db, SECOND_OPERATOR.id, harness.clock)
    await harness.say(SECOND_OPERATOR, "/help")
    (alert,) = await harness.press(SECOND_OPERATOR, f"fe:{biz.id}:njoin:days")
    assert alert.text == "That button is not yours."
    (alert,) = await harness.press(OPERATOR, f"fe:{biz.id}:njoin:most")  # forged
    assert alert.params.get("show_alert")
    done = texts(await harness.press_button(OPERATOR, question, "by school days"))
    assert "Added Danish to" in done
    assert "January 2026's run will bill RM 65.45 for Danish's routes, as you chose." in done
    assert "Bill January" not in done  # the run is still to come: no offer
    (stale,) = await harness.press_button(OPERATOR, question, "full")  # a second tap
    assert stale.method == "answerCallbackQuery"
    plan = await monthly.preview_month(harness.db, biz.id, JAN)
    assert [f.bill.total_sen for f in plan.families] == [15000 + 6545]
    (made,) = (await monthly.generate_month(harness.db, biz.id, JAN, harness.clock)).invoice_ids
    invoice = await invoices.get_invoice(harness.db, biz.id, made, harness.clock)
    assert invoice.total_sen == 21545
    assert any("by school days" in line.description for line in invoice.lines)
    balance = await accounts.family_balance(harness.db, biz.id, family.id, harness.clock)
    assert balance.owed_sen == 21545 and other.id != biz.id
