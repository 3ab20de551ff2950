"""/newcustomer, /customers, /customer and its card, /invite: families as operators see them."""

from __future__ import annotations

from datetime import date, timedelta

from tests.bot.conftest import (
    OPERATOR,
    PARENT,
    SECOND_OPERATOR,
    STRANGER,
    BotHarness,
    add_family,
    texts,
)
from tests.bot.factories import pdf_text
from tests.bot.fake_telegram import Call
from tests.data.factories import Business, make_business, make_family
from vanbill.services import customers, monthly, operators, payments, routes


def _with_buttons(harness: BotHarness, user_id: int = OPERATOR.id) -> Call:
    return [c for c in harness.tg.seen_by(user_id) if c.buttons][-1]


async def _tap(harness: BotHarness, label: str) -> str:
    return texts(await harness.press_button(OPERATOR, _with_buttons(harness), label))


async def _families(harness: BotHarness, operator_id: int) -> list[customers.CustomerView]:  # type: ignore[name-defined]
    page = await customers.list_customers(harness.db, operator_id, include_archived=True)
    return [await customers.get_customer(harness.db, operator_id, f.id) for f in page.items]


async def _business(harness: BotHarness) -> Business:
    return await make_business(harness.db, harness.clock, OPERATOR.id)


async def _child_up_to_routes(harness: BotHarness, name: str, category: str) -> None:
    await harness.say(OPERATOR, name)
    await _tap(harness, category)
    await harness.say(OPERATOR, "-")
    await harness.say(OPERATOR, "-")


# -- /newcustomer ---------------------------------------------------------------------------


async def test_an_operator_adds_a_family_with_two_children_and_their_routes(
    harness: BotHarness,
) -> None:
    biz = await _business(harness)
    assert "name of the parent" in texts(await harness.say(OPERATOR, "/newcustomer"))
    (ask_phone,) = await harness.say(OPERATOR, "<b>Ali</b> 陈美玲")
    assert ask_phone.seen.startswith("<b>Ali</b> 陈美玲's phone number?")
    assert "&lt;b&gt;Ali&lt;/b&gt;" in ask_phone.text
    assert "first child" in texts(await harness.say(OPERATOR, "012-345 6789"))
    (ask_category,) = await harness.say(OPERATOR, "குமார்")
    assert "Is குமார் in kindergarten" in ask_category.seen
    assert "Birth year" in await _tap(harness, "Primary school")
    assert "Which school" in texts(await harness.say(OPERATOR, "8"))  # an age: born 2018
    (pick,) = await harness.say(OPERATOR, "SK Setapak")
    assert "Which routes does குமார் take" in pick.seen
    await harness.press_button(OPERATOR, pick, biz.morning.name)
    await harness.press_button(OPERATOR, _with_buttons(harness), biz.afternoon.name)
    assert _with_buttons(harness).button(f"✅ {biz.morning.name}")
    assert "குமார்: 2 routes" in await _tap(harness, "Done")
    assert "next child" in await _tap(harness, "Yes")
    await harness.say(OPERATOR, "Mei")
    await _tap(harness, "Kindergarten")
    await harness.say(OPERATOR, "2021")
    await harness.say(OPERATOR, "-")
    assert "Mei: no route for now" in await _tap(harness, "No route")
    summary = await _tap(harness, "No, save")
    assert "Saved the family of <b>Ali</b> 陈美玲 (012-345 6789)" in summary
    assert f"குமார் (Primary school, born 2018, SK Setapak) — {biz.morning.name}" in summary
    assert "Mei (Kindergarten, born 2021) — no route" in summary
    assert "Send /newinvoice and pick <b>Ali</b> 陈美玲." in await _tap(harness, "New invoice")
    assert f"t.me/{harness.tg.bot_username}?start=" in await _tap(harness, "Invite link")

    (family,) = await _families(harness, biz.id)
    assert (family.name, family.phone) == ("<b>Ali</b> 陈美玲", "+60123456789")
    kumar, mei = family.children
    assert (kumar.category, kumar.birth_year, kumar.school) == ("primary", 2018, "SK Setapak")
    assert (mei.category, mei.birth_year, mei.school) == ("kindergarten", 2021, "")
    taken = await routes.list_enrollments(harness.db, biz.id, family.id)
    assert sorted((e.child_name, e.service_id, e.start_month) for e in taken) == sorted(
        [
            ("குமார்", biz.morning.id, date(2026, 1, 1)),
            ("குமார்", biz.afternoon.id, date(2026, 1, 1)),
        ]
    )


async def test_bad_input_at_each_step_is_asked_again(harness: BotHarness) -> None:
    biz = await _business(harness)
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Siti")
    (refusal,) = await harness.say(OPERATOR, "call me maybe")
    assert "as a phone number" in refusal.seen and "/cancel" in refusal.seen
    assert "first child" in texts(await harness.say(OPERATOR, "-"))  # no phone is fine
    await harness.say(OPERATOR, "Aisyah")
    assert "Tap one of the buttons" in texts(await harness.say(OPERATOR, "primary"))
    await _tap(harness, "Primary school")
    (refusal,) = await harness.say(OPERATOR, "1800")
    assert "A birth year lies between 2001 and 2026" in refusal.seen
    (refusal,) = await harness.say(OPERATOR, "soon")
    assert "birth year (e.g. 2017) or the age" in refusal.seen
    assert "Which school" in texts(await harness.say(OPERATOR, "2017"))
    await harness.say(OPERATOR, "-")
    assert "Tap one of the buttons" in texts(await harness.say(OPERATOR, "Done"))
    await _tap(harness, biz.morning.name)
    await _tap(harness, "Done")
    await _tap(harness, "No, save")
    (family,) = await _families(harness, biz.id)
    assert family.phone is None and family.children[0].birth_year == 2017


async def test_cancel_midway_leaves_no_family_behind(harness: BotHarness) -> None:
    biz = await _business(harness)
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Siti")
    await harness.say(OPERATOR, "0123456789")
    await _child_up_to_routes(harness, "Aisyah", "Primary school")
    await _tap(harness, biz.morning.name)
    assert "Nothing was saved" in texts(await harness.say(OPERATOR, "/cancel"))
    assert await _families(harness, biz.id) == []
    # The conversation is over: the next text is not taken as anything.
    assert "What you can do" in texts(await harness.say(OPERATOR, "Ahmad"))


async def test_a_restart_in_the_middle_of_newcustomer_resumes_at_the_same_step(
    harness: BotHarness,
) -> None:
    biz = await _business(harness)
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Siti")
    await harness.say(OPERATOR, "-")
    await harness.say(OPERATOR, "Aisyah")
    await harness.restart()
    assert "Birth year" in await _tap(harness, "Secondary school")
    await harness.restart()
    await harness.say(OPERATOR, "2012")
    await harness.say(OPERATOR, "SMK Setapak")
    await _tap(harness, "No route")
    assert "Saved the family of Siti" in await _tap(harness, "No, save")
    (family,) = await _families(harness, biz.id)
    (child,) = family.children
    assert (child.name, child.category, child.birth_year) == ("Aisyah", "secondary", 2012)


async def test_a_refusal_of_the_last_child_leaves_no_family_behind(harness: BotHarness) -> None:
    biz = await _business(harness)
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Siti")
    await harness.say(OPERATOR, "0123456789")
    await _child_up_to_routes(harness, "Aisyah", "Primary school")
    await harness.say(OPERATOR, "2017")
    await harness.say(OPERATOR, "-")
    await _tap(harness, biz.morning.name)
    await _tap(harness, "Done")
    await _tap(harness, "Yes")
    await _child_up_to_routes(harness, "Danish", "Primary school")
    await harness.say(OPERATOR, "2019")
    await harness.say(OPERATOR, "-")
    await _tap(harness, biz.afternoon.name)
    await _tap(harness, "Done")
    await routes.update_service(harness.db, biz.id, biz.afternoon.id, active=False)
    summary = await _tap(harness, "No, save")
    assert summary.strip() == (
        "⚠️ Nothing was saved: Danish: The route 'SK Setapak → Taman Melati' is no longer "
        "active.\nSend /newcustomer to try again."
    )
    assert await _families(harness, biz.id) == []  # not Siti, not Aisyah, not her route
    assert await customers.find_customers(harness.db, biz.id, "Aisyah") == []
    assert "What you can do" in texts(await harness.say(OPERATOR, "Ahmad"))  # it is over


async def test_without_routes_the_child_is_saved_without_one(harness: BotHarness) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Siti")
    await harness.say(OPERATOR, "-")
    await harness.say(OPERATOR, "Aisyah")
    await _tap(harness, "Other")
    await harness.say(OPERATOR, "-")
    replies = texts(await harness.say(OPERATOR, "-"))
    assert "no active routes yet" in replies and "Add another child" in replies
    assert "Saved the family of Siti" in await _tap(harness, "No, save")
    assert [c.category for c in (await _families(harness, op.id))[0].children] == ["other"]


async def test_a_parent_or_a_stranger_sending_newcustomer_is_refused(harness: BotHarness) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await add_family(harness.db, op.id, "Siti", telegram_user_id=PARENT.id)
    (refusal,) = await harness.say(PARENT, "/newcustomer")
    assert "for van operators" in refusal.seen
    (refusal,) = await harness.say(STRANGER, "/newcustomer")
    assert "invite link" in refusal.seen
    await harness.say(PARENT, "Hijacker")
    assert [f.name for f in await _families(harness, op.id)] == ["Siti"]


async def test_a_quiet_newcustomer_times_out_with_a_note_and_saves_nothing(
    harness: BotHarness,
) -> None:
    await harness.restart(conversation_timeout=timedelta(seconds=1.5))
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Siti")
    seen = len(harness.tg.seen_by(OPERATOR.id))
    await harness.tg.wait_for(seen + 1, chat_id=OPERATOR.id, timeout=6)
    assert "closed your /newcustomer" in harness.tg.last_to(OPERATOR.id).seen
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    assert await _families(harness, op.id) == []


# -- /customers, /customer and the card -----------------------------------------------------


async def test_customers_pages_ten_families_at_a_time_with_balances(harness: BotHarness) -> None:
    biz = await _business(harness)
    for number in range(12):
        await customers.add_customer(
            harness.db, biz.id, harness.clock, name=f"Family {number:02d}"
        )
    await make_family(harness.db, harness.clock, biz, "Aminah")
    await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock)
    (first,) = await harness.say(OPERATOR, "/customers")
    assert "page 1 of 2, 13 in all" in first.seen
    assert "1. Aminah — owes RM 150.00, 1 unpaid · not linked" in first.seen
    assert "2. Family 00 — paid up" in first.seen and "Family 09" not in first.seen
    assert len([b for b in first.buttons if "callback_data" in b]) == 11  # 10 + Next
    second, answered = await harness.press_button(OPERATOR, first, "Next")
    assert (second.method, answered.method) == ("editMessageText", "answerCallbackQuery")
    assert "page 2 of 2" in second.seen and "13. Family 11" in second.seen
    assert second.button("Previous")
    card = texts(await harness.press_button(OPERATOR, second, "Family 11"))
    assert "Family 11" in card and "No children yet" in card
    assert "page 2 of 2" in texts(await harness.say(OPERATOR, "/customers 99"))


async def test_a_family_card_shows_children_routes_link_and_balance(harness: BotHarness) -> None:
    biz = await _business(harness)
    family = await make_family(
        harness.db, harness.clock, biz, "Siti", ("Aisyah", "Danish"), phone="0123456789"
    )
    await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock)
    (card,) = await harness.say(OPERATOR, "/customer siti")
    assert "Siti" in card.seen and "012-345 6789" in card.seen and "not linked" in card.seen
    assert f"Aisyah (Primary school, SK Setapak) — {biz.morning.name}" in card.seen
    assert "Balance: owes RM 300.00 (1 unpaid invoice)" in card.seen
    unpaid = await _tap(harness, "Invoices")
    assert "Unpaid invoices of Siti" in unpaid and "RM 300.00 left of RM 300.00" in unpaid
    assert "Send /paid and pick Siti." in await _tap(harness, "Record payment")
    invite = await _tap(harness, "Invite link")
    assert "Send this link to Siti" in invite
    assert f"https://t.me/{harness.tg.bot_username}?start=" in invite
    assert "Siti is archived" in await _tap(harness, "Archive")
    assert (await customers.get_customer(harness.db, biz.id, family.id)).archived
    card = _with_buttons(harness)
    assert "Archived" in card.seen and card.button("Unarchive")
    assert "Siti is back" in await _tap(harness, "Unarchive")
    assert not (await customers.get_customer(harness.db, biz.id, family.id)).archived


async def test_customer_finds_by_phone_offers_several_and_says_when_none(
    harness: BotHarness,
) -> None:
    biz = await _business(harness)
    await make_family(harness.db, harness.clock, biz, "Siti Aminah", phone="012-345 6789")
    await make_family(harness.db, harness.clock, biz, "Siti Zubaidah", ("Danish",))
    assert "Siti Aminah" in texts(await harness.say(OPERATOR, "/customer 012 345 6789"))
    (choice,) = await harness.say(OPERATOR, "/customer Siti")
    assert "2 families match Siti" in choice.seen
    assert "Siti Zubaidah" in texts(await harness.press_button(OPERATOR, choice, "Zubaidah"))
    (none,) = await harness.say(OPERATOR, "/customer <b>Nobody</b>")
    assert "no family matching <b>Nobody</b>" in none.seen
    assert "Which family?" in texts(await harness.say(OPERATOR, "/customer"))


async def test_invite_gives_a_deep_link_for_one_family(harness: BotHarness) -> None:
    biz = await _business(harness)
    await make_family(harness.db, harness.clock, biz, "Siti")
    (reply,) = await harness.say(OPERATOR, "/invite siti")
    link = reply.seen.split()[-1]
    assert link.startswith(f"https://t.me/{harness.tg.bot_username}?start=")
    (linked,) = await harness.say(PARENT, "/start " + link.split("start=")[1])
    assert "You are now linked" in linked.seen
    assert "Telegram: linked" in texts(await harness.say(OPERATOR, "/customer Siti"))


async def test_forged_family_buttons_are_refused_and_nothing_changes(harness: BotHarness) -> None:
    biz = await _business(harness)
    family = await make_family(harness.db, harness.clock, biz, "Siti")
    await harness.say(SECOND_OPERATOR, "/start")
    own = await operators.ensure_operator(harness.db, SECOND_OPERATOR.id, harness.clock)
    for action in ("arch", "card", "inv", "stmt", "unpaid"):
        (alert,) = await harness.press(
            SECOND_OPERATOR, f"fam:{biz.id}:{action}:{family.id}", message_id=1
        )
        assert alert.text == "That button is not yours." and alert.params["show_alert"] is True
        (alert,) = await harness.press(
            SECOND_OPERATOR, f"fam:{own.id}:{action}:{family.id}", message_id=1
        )
        assert alert.text == "I could not find that family."
    for forged in ("fam:x:arch:1", f"fam:{own.id}:drop:1", f"fam:{own.id}:arch:abc", "fam"):
        (alert,) = await harness.press(SECOND_OPERATOR, forged, message_id=1)
        assert alert.method == "answerCallbackQuery" and alert.params.get("show_alert")
    assert not (await customers.get_customer(harness.db, biz.id, family.id)).archived
    (alert,) = await harness.press(PARENT, f"fam:{biz.id}:arch:{family.id}", message_id=1)
    assert alert.text == "This button is not for you."


async def test_credit_reads_the_same_in_the_list_the_card_and_the_statement(
    harness: BotHarness,
) -> None:
    biz = await _business(harness)
    family = await make_family(harness.db, harness.clock, biz, "Siti")
    await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock)
    await payments.record_payment(
        harness.db, biz.id, family.id, harness.clock, amount_sen=200_00, method="cash"
    )  # RM 150 owed: RM 50 over
    (listing,) = await harness.say(OPERATOR, "/customers")
    assert "1. Siti — RM 50.00 in credit · not linked" in listing.seen
    (card,) = await harness.say(OPERATOR, "/customer siti")
    assert "Balance: RM 50.00 in credit" in card.seen
    (statement,) = await harness.say(OPERATOR, "/statement siti")
    assert statement.seen.endswith("Balance: RM 50.00 in credit.")
    text = " ".join(pdf_text(statement).split())
    assert "Closing balance RM 50.00 in credit" in text
    assert "-RM" not in text and "-RM" not in listing.seen + card.seen + statement.seen


async def test_a_family_added_mid_month_before_the_run_chooses_how_the_month_is_billed(
    harness: BotHarness,
) -> None:
    biz = await _business(harness)  # 15 January, January's run still to come
    await harness.say(OPERATOR, "/newcustomer")
    await harness.say(OPERATOR, "Siti")
    await harness.say(OPERATOR, "-")
    await harness.say(OPERATOR, "Aisyah")
    await _tap(harness, "Primary school")
    await harness.say(OPERATOR, "-")
    (pick,) = await harness.say(OPERATOR, "-")
    await harness.press_button(OPERATOR, pick, biz.morning.name)
    await _tap(harness, "Done")
    summary = await _tap(harness, "No, save")
    assert "Saved the family of Siti." in summary
    assert "Siti joins today, 15 January 2026, in the middle of January 2026" in summary
    offer = _with_buttons(harness)
    # By hand: 17 of January's 31 days (15th to 31st) of RM 150.00 = RM 82.258..., half up.
    labels = [b["text"] for b in offer.buttons]
    for label in (
        "RM 150.00 (full)",
        "RM 82.26 (by days)",
        "RM 75.00 (half)",
        "RM 0.00 (nothing)",
    ):
        assert label in labels
    assert "New invoice" in " ".join(labels)  # the saved family's own buttons stay
    (family,) = await _families(harness, biz.id)
    # Another operator's press and a made-up rule change nothing.
    for forged in (
        f"fjoin:{biz.id + 1}:bill:{family.id}-days",
        f"fjoin:{biz.id}:bill:{family.id}-x",
    ):
        (refusal,) = await harness.press(OPERATOR, forged)
        assert refusal.method == "answerCallbackQuery"
    chosen = texts(await harness.press_button(OPERATOR, offer, "RM 82.26 (by days)"))
    assert "January 2026's run will bill RM 82.26 for Siti's routes, as you chose." in chosen
    (again,) = await harness.press(OPERATOR, f"fjoin:{biz.id}:bill:{family.id}-full")
    assert "chosen already" in again.seen  # once only
    run = await monthly.generate_month(harness.db, biz.id, date(2026, 1, 1), harness.clock)
    assert run.total_sen == 8226
