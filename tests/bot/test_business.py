"""/business: an operator changes settings one at a time; bad input is re-asked, never saved."""

from __future__ import annotations

import asyncio
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
from vanbill.services import operators


async def _menu(harness: BotHarness) -> None:
    replies = await harness.say(OPERATOR, "/business")
    assert "Your business" in replies[-1].seen


async def _choose(harness: BotHarness, label: str) -> str:
    menu = [c for c in harness.tg.seen_by(OPERATOR.id) if c.buttons][-1]
    replies = await harness.press_button(OPERATOR, menu, label)
    return texts(replies)


async def _profile(harness: BotHarness) -> operators.OperatorView:  # type: ignore[name-defined]
    found = await operators.find_operator(harness.db, OPERATOR.id)
    assert found is not None
    return found


async def test_an_operator_sets_a_name_with_markup_and_chinese_and_sees_it_exactly(
    harness: BotHarness,
) -> None:
    await _menu(harness)
    prompt = await _choose(harness, "Business name")
    assert "Send the new Business name" in prompt
    name = "Van <b>Kak</b> Ros & 陈美玲"
    replies = await harness.say(OPERATOR, name)
    (menu,) = replies
    assert menu.method == "editMessageText"  # the same message, not a new one
    assert menu.seen.startswith(f"Saved. Business name: {name}\n")
    assert f"Business name: {name}" in menu.seen
    assert "&lt;b&gt;Kak&lt;/b&gt;" in menu.text  # escaped on the wire, shown literally
    assert (await _profile(harness)).business_name == name


async def test_an_operator_changes_several_settings_and_finishes(harness: BotHarness) -> None:
    await _menu(harness)
    await _choose(harness, "Due day")
    assert texts(await harness.say(OPERATOR, "10")).startswith("Saved. Due day: 10")
    await _choose(harness, "Sibling discount")
    assert "Saved. Sibling discount: 12.5%" in texts(await harness.say(OPERATOR, "12.5%"))
    await _choose(harness, "Reminder days")
    assert "Saved. Reminder days: -3, 0, 7" in texts(await harness.say(OPERATOR, "7, 0, -3"))
    await _choose(harness, "Phone")
    assert "Saved. Phone: 012-345 6789" in texts(await harness.say(OPERATOR, "0123456789"))
    await _choose(harness, "Bank account")
    await harness.say(OPERATOR, "-")
    done = await _choose(harness, "Done")
    assert "Done." in done
    profile = await _profile(harness)
    assert (profile.due_day, profile.sibling_discount_bp, profile.reminder_offsets) == (
        10,
        1250,
        (-3, 0, 7),
    )
    assert profile.phone == "+60123456789" and profile.bank_account == ""
    # The conversation is over: a number is no longer taken as a setting.
    assert "What you can do" in texts(await harness.say(OPERATOR, "11"))
    assert (await _profile(harness)).due_day == 10


async def test_a_due_day_of_40_is_refused_and_asked_again(harness: BotHarness) -> None:
    await _menu(harness)
    await _choose(harness, "Due day")
    (refusal,) = await harness.say(OPERATOR, "40")
    assert "Pick a day from 1 to 28" in refusal.seen and "/cancel" in refusal.seen
    (refusal,) = await harness.say(OPERATOR, "soon")
    assert "whole number" in refusal.seen
    assert (await _profile(harness)).due_day == 7
    assert "Saved. Due day: 28" in texts(await harness.say(OPERATOR, "28"))


async def test_a_discount_of_abc_is_refused_and_nothing_changes(harness: BotHarness) -> None:
    await _menu(harness)
    await _choose(harness, "Sibling discount")
    (refusal,) = await harness.say(OPERATOR, "abc")
    assert "percentage" in refusal.seen
    (refusal,) = await harness.say(OPERATOR, "150")
    assert "between 0% and 100%" in refusal.seen
    assert (await _profile(harness)).sibling_discount_bp == 0


async def test_a_refusal_quotes_what_was_typed_escaped(harness: BotHarness) -> None:
    await _menu(harness)
    await _choose(harness, "Time zone")
    (refusal,) = await harness.say(OPERATOR, "<b>Mars</b>")
    assert "Unknown time zone '<b>Mars</b>'" in refusal.seen


async def test_holiday_months_are_switched_on_and_off(harness: BotHarness) -> None:
    await _menu(harness)
    assert "none" in await _choose(harness, "Holiday months")
    replies = await harness.say(OPERATOR, "2026-12")
    assert "2026-12 is a holiday month" in texts(replies)
    assert "Holiday months: 2026-12" in replies[-1].seen
    op = await _profile(harness)
    assert await operators.list_holidays(harness.db, op.id) == [date(2026, 12, 1)]
    await _choose(harness, "Holiday months")
    (refusal,) = await harness.say(OPERATOR, "December")
    assert "YYYY-MM" in refusal.seen
    assert "normal month again" in texts(await harness.say(OPERATOR, "2026-12"))
    assert await operators.list_holidays(harness.db, op.id) == []


async def test_cancel_leaves_business_without_saving(harness: BotHarness) -> None:
    await _menu(harness)
    await _choose(harness, "Due day")
    assert "Cancelled" in texts(await harness.say(OPERATOR, "/cancel"))
    assert "What you can do" in texts(await harness.say(OPERATOR, "12"))
    assert (await _profile(harness)).due_day == 7


async def test_a_parent_or_a_stranger_sending_business_is_refused(harness: BotHarness) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await add_family(harness.db, op.id, "Siti", telegram_user_id=PARENT.id)
    (refusal,) = await harness.say(PARENT, "/business")
    assert "for van operators" in refusal.seen and not refusal.buttons
    (refusal,) = await harness.say(STRANGER, "/business")
    assert "invite link" in refusal.seen
    assert refusal.button("Share my phone number")


async def test_a_forged_button_naming_another_operator_is_refused(harness: BotHarness) -> None:
    victim = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await harness.say(SECOND_OPERATOR, "/start")
    (alert,) = await harness.press(SECOND_OPERATOR, f"biz:{victim.id}:name", message_id=1)
    assert alert.method == "answerCallbackQuery" and alert.params["show_alert"] is True
    assert alert.text == "That button is not yours."
    # No conversation was started, so the next text is not taken as anyone's business name.
    await harness.say(SECOND_OPERATOR, "Hijacked")
    assert (await _profile(harness)).business_name == ""
    for forged in ("biz:abc:name", "biz:1:drop_tables", "biz", "other:1:name"):
        (alert,) = await harness.press(SECOND_OPERATOR, forged, message_id=1)
        assert alert.method == "answerCallbackQuery" and alert.params.get("show_alert")


async def test_a_parent_pressing_an_operator_button_is_refused(harness: BotHarness) -> None:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await add_family(harness.db, op.id, "Siti", telegram_user_id=PARENT.id)
    (alert,) = await harness.press(PARENT, f"biz:{op.id}:name", message_id=1)
    assert alert.text == "This button is not for you."


async def test_a_restart_in_the_middle_of_business_resumes_where_the_operator_was(
    harness: BotHarness,
) -> None:
    await _menu(harness)
    await _choose(harness, "Due day")
    await harness.restart()
    replies = await harness.say(OPERATOR, "12")
    assert replies[0].seen.startswith("Saved. Due day: 12\n")
    assert (await _profile(harness)).due_day == 12


async def test_a_quiet_business_session_times_out_with_a_note(harness: BotHarness) -> None:
    await harness.restart(conversation_timeout=timedelta(seconds=1.5))
    await _menu(harness)
    await _choose(harness, "Due day")
    await harness.say(OPERATOR, "40")  # a refusal must not cancel the timeout
    seen = len(harness.tg.seen_by(OPERATOR.id))
    await harness.tg.wait_for(seen + 1, chat_id=OPERATOR.id, timeout=6)
    assert "closed your /business session" in harness.tg.last_to(OPERATOR.id).seen
    assert "What you can do" in texts(await harness.say(OPERATOR, "12"))
    assert (await _profile(harness)).due_day == 7


async def test_two_operators_edit_their_own_business_at_the_same_time(
    harness: BotHarness,
) -> None:
    await harness.say(OPERATOR, "/business")
    await harness.say(SECOND_OPERATOR, "/business")
    await _choose(harness, "Due day")
    second_menu = [c for c in harness.tg.seen_by(SECOND_OPERATOR.id) if c.buttons][-1]
    await harness.press_button(SECOND_OPERATOR, second_menu, "Due day")
    await asyncio.gather(harness.say(OPERATOR, "3"), harness.say(SECOND_OPERATOR, "21"))
    first = await operators.find_operator(harness.db, OPERATOR.id)
    second = await operators.find_operator(harness.db, SECOND_OPERATOR.id)
    assert first is not None and second is not None
    assert (first.due_day, second.due_day) == (3, 21)


async def test_every_step_edits_the_one_menu_message_and_sends_nothing_new(
    harness: BotHarness,
) -> None:
    await _menu(harness)
    menu_id = harness.tg.last_to(OPERATOR.id).message_id
    before = len(harness.tg.calls_to(OPERATOR.id, "sendMessage"))
    for label, value in (
        ("Due day", "9"),
        ("Account holder", "Rosnah binti Ismail"),
        ("SSM no.", "202301012345"),
        ("Daily digest", "18"),
    ):
        asked = await _choose(harness, label)
        assert "Send the new" in asked
        await harness.say(OPERATOR, value)
    await _choose(harness, "Approve each month")
    await _choose(harness, "Reminders")
    assert len(harness.tg.calls_to(OPERATOR.id, "sendMessage")) == before
    edits = {c.params["message_id"] for c in harness.tg.calls_to(OPERATOR.id, "editMessageText")}
    assert edits == {menu_id}
    profile = await _profile(harness)
    assert (profile.account_holder, profile.ssm_number, profile.digest_hour) == (
        "Rosnah binti Ismail",
        "202301012345",
        18,
    )
    assert profile.approval_required is True and profile.reminders_enabled is False
    shown = harness.tg.message(OPERATOR.id, menu_id)["text"]
    assert "Approve each month:</b> on" in shown and "Reminders:</b> off" in shown


async def test_back_returns_to_the_menu_and_a_digest_is_switched_off(harness: BotHarness) -> None:
    await _menu(harness)
    await _choose(harness, "Daily digest")
    assert "Your business" in await _choose(harness, "Back")
    assert "What you can do" not in texts(await harness.say(OPERATOR, "7"))  # the menu asks taps
    await _choose(harness, "Daily digest")
    await harness.say(OPERATOR, "7")
    assert (await _profile(harness)).digest_hour == 7
    await _choose(harness, "Daily digest")
    assert "Daily digest: off" in texts(await harness.say(OPERATOR, "off"))
    assert (await _profile(harness)).digest_hour is None
    await _choose(harness, "Daily digest")
    assert "0 to 23" in texts(await harness.say(OPERATOR, "25"))


async def test_a_logo_photo_is_kept_shrunk_and_the_qr_is_read_from_business(
    harness: BotHarness,
) -> None:
    import io

    from PIL import Image

    from tests.qr_pictures import duitnow_payload, photo_of_qr

    big = io.BytesIO()
    Image.new("RGB", (3000, 2000), (200, 30, 30)).save(big, format="JPEG")
    await _menu(harness)
    await _choose(harness, "Logo")
    assert "as a photo" in texts(await harness.say(OPERATOR, "my logo"))
    update = harness.tg.send_photo(OPERATOR, big.getvalue())
    assert "Saved. Logo: set" in texts(await harness.deliver(update, OPERATOR.id))
    logo = (await _profile(harness)).logo
    assert logo is not None and max(Image.open(io.BytesIO(logo)).size) == 480
    await _choose(harness, "DuitNow QR")
    update = harness.tg.send_photo(OPERATOR, photo_of_qr(duitnow_payload()))
    assert "KAK ROS ENTERPRISE" in texts(await harness.deliver(update, OPERATOR.id))
    use = [
        c for c in harness.tg.seen_by(OPERATOR.id) if any("Use it" in b["text"] for b in c.buttons)
    ][-1]
    await harness.press_button(OPERATOR, use, "Use it")
    assert (await _profile(harness)).payment_qr_payload == duitnow_payload()
    await harness.say(OPERATOR, "/business")
    assert (
        "DuitNow QR:</b> KAK ROS ENTERPRISE, Kuala Lumpur" in harness.tg.last_to(OPERATOR.id).text
    )
