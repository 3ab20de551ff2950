"""Invite links both ways and sharing a phone number: people end up linked, or are told why not."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.bot.conftest import (
    OPERATOR,
    PARENT,
    STRANGER,
    BotHarness,
    add_family,
    texts,
)
from vanbill.services import links, operators, roles


async def _family(
    harness: BotHarness, name: str = "Siti Nurhaliza", **fields: object
) -> tuple[int, int]:
    op = await operators.ensure_operator(harness.db, OPERATOR.id, harness.clock)
    await operators.update_profile(harness.db, op.id, business_name="Van Kak Ros")
    return op.id, await add_family(harness.db, op.id, name, **fields)  # type: ignore[arg-type]


async def _role(harness: BotHarness, telegram_user_id: int) -> str:
    sender = await roles.identify(
        harness.db, telegram_user_id, frozenset(), harness.clock, "Asia/Kuala_Lumpur"
    )
    return sender.role


async def test_a_parent_opening_their_invite_link_is_linked_and_greeted(
    harness: BotHarness,
) -> None:
    op, family = await _family(harness)
    token = await links.create_parent_invite(harness.db, op, family, harness.clock)
    (reply,) = await harness.say(PARENT, f"/start {token}")
    assert reply.seen.startswith("Thank you, Siti Nurhaliza! You are now linked to Van Kak Ros")
    assert reply.reply_markup == {"remove_keyboard": True}
    assert "Hello, Siti Nurhaliza!" in texts(await harness.say(PARENT, "/start"))


async def test_a_used_expired_or_forged_invite_is_refused_kindly(harness: BotHarness) -> None:
    op, family = await _family(harness)
    used = await links.create_parent_invite(harness.db, op, family, harness.clock)
    expired = await links.create_parent_invite(harness.db, op, family, harness.clock)
    await harness.say(PARENT, f"/start {used}")
    assert "already been used" in texts(await harness.say(STRANGER, f"/start {used}"))
    harness.clock.advance(timedelta(days=7, seconds=1))
    assert "expired" in texts(await harness.say(STRANGER, f"/start {expired}"))
    forged = texts(await harness.say(STRANGER, "/start AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"))
    assert "not valid" in forged
    assert "not valid" in texts(await harness.say(STRANGER, "/start <script>"))
    assert await _role(harness, STRANGER.id) == "stranger"


async def test_an_operator_invites_a_second_operator_who_gets_their_own_account(
    harness: BotHarness,
) -> None:
    await _family(harness)
    (reply,) = await harness.say(OPERATOR, "/invite_operator")
    match = re.search(r"https://t\.me/vanbill_test_bot\?start=([A-Za-z0-9_-]+)", reply.seen)
    assert match is not None, reply.seen
    (welcome,) = await harness.say(STRANGER, f"/start {match.group(1)}")
    assert "Your operator account is ready" in welcome.seen
    assert "business" in [c["command"] for c in harness.tg.commands[f"chat:{STRANGER.id}"]]
    assert await _role(harness, STRANGER.id) == "operator"
    menu = texts(await harness.say(STRANGER, "/business"))
    assert "Business name: not set" in menu  # their own, empty business
    again = texts(await harness.say(PARENT, f"/start {match.group(1)}"))
    assert "already been used" in again


async def test_a_parent_cannot_make_operator_invites(harness: BotHarness) -> None:
    await _family(harness, telegram_user_id=PARENT.id)
    (refusal,) = await harness.say(PARENT, "/invite_operator")
    assert "for van operators" in refusal.seen and "t.me" not in refusal.seen


async def test_a_stranger_sharing_their_own_phone_is_linked_to_their_family(
    harness: BotHarness,
) -> None:
    await _family(harness, phone="+60123456789")
    (reply,) = await harness.share_contact(STRANGER, "60123456789")
    # The whole welcome an invite gives: what comes here and how to pay.
    assert reply.seen.startswith("Thank you, Siti Nurhaliza! You are now linked to Van Kak Ros")
    assert "What you will get here" in reply.seen and "How to pay" in reply.seen
    assert await _role(harness, STRANGER.id) == "parent"


async def test_a_phone_of_two_families_lists_both_and_links_both(harness: BotHarness) -> None:
    await _family(harness, phone="+60123456789")
    await _family(harness, phone="+60123456789", name="Siti (adik)")
    (reply,) = await harness.share_contact(STRANGER, "60123456789")
    assert "You are now linked:" in reply.seen
    assert "Siti Nurhaliza with Van Kak Ros" in reply.seen
    assert "Siti (adik) with Van Kak Ros" in reply.seen


async def test_sharing_someone_elses_contact_is_refused_and_links_nothing(
    harness: BotHarness,
) -> None:
    await _family(harness, phone="+60123456789")
    (refusal,) = await harness.share_contact(STRANGER, "60123456789", contact_user_id=PARENT.id)
    assert "your own" in refusal.seen
    assert refusal.button("Share my phone number")
    (refusal,) = await harness.share_contact(STRANGER, "60123456789", contact_user_id=0)
    assert "your own" in refusal.seen
    assert await _role(harness, STRANGER.id) == "stranger"


async def test_a_phone_number_nobody_has_links_nothing_and_says_so(harness: BotHarness) -> None:
    await _family(harness, phone="+60123456789")
    (reply,) = await harness.share_contact(STRANGER, "+60 19-999 9999")
    assert "could not find a family" in reply.seen
    assert await _role(harness, STRANGER.id) == "stranger"
