"""One-time invite links and linking by phone: single use, expiry, ownership, races."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.bot.conftest import add_family
from vanbill.services import links, operators, roles
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.models import Customer, LinkToken, Operator

SITI, AHMAD = 2001, 2002


async def _operator(db: Database, clock: FixedClock, telegram_user_id: int = 1001) -> int:
    return (await operators.ensure_operator(db, telegram_user_id, clock)).id


async def _warm_pool(db: Database) -> None:
    async def touch() -> None:
        async with db.sessions() as session:
            await session.execute(select(1))
            await asyncio.sleep(0.01)

    await asyncio.gather(touch(), touch())


async def _customer(db: Database, customer_id: int) -> Customer:
    async with db.sessions() as session:
        row = await session.get(Customer, customer_id)
        assert row is not None
        return row


async def test_a_parent_invite_links_the_family_and_stores_only_a_hash(
    db: Database, clock: FixedClock
) -> None:
    op = await _operator(db, clock)
    await operators.update_profile(db, op, business_name="Van Kak Ros")
    family = await add_family(db, op, "Siti")
    token = await links.create_parent_invite(db, op, family, clock)
    assert len(token) >= 32
    async with db.sessions() as session:
        (stored,) = (await session.execute(select(LinkToken))).scalars()
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, str(stored.id))
    assert stored.expires_at == clock.now() + timedelta(days=7)

    redeemed = await links.redeem(db, token, SITI, 92001, clock)
    assert redeemed.operator is not None and redeemed.operator.id == op  # for the welcome
    assert redeemed == links.Redeemed(
        purpose="parent",
        operator_id=op,
        business_name="Van Kak Ros",
        customer_id=family,
        customer_name="Siti",
        operator=redeemed.operator,
    )
    customer = await _customer(db, family)
    assert (customer.telegram_user_id, customer.telegram_chat_id) == (SITI, 92001)


async def test_an_invite_works_only_once(db: Database, clock: FixedClock) -> None:
    op = await _operator(db, clock)
    token = await links.create_parent_invite(db, op, await add_family(db, op, "Siti"), clock)
    await links.redeem(db, token, SITI, SITI, clock)
    with pytest.raises(Conflict, match=r"^invite\.used$"):
        await links.redeem(db, token, AHMAD, AHMAD, clock)


async def test_an_invite_expires_after_seven_days(db: Database, clock: FixedClock) -> None:
    op = await _operator(db, clock)
    family = await add_family(db, op, "Siti")
    late = await links.create_parent_invite(db, op, family, clock)
    on_time = await links.create_parent_invite(db, op, family, clock)
    clock.advance(timedelta(days=7) - timedelta(seconds=1))
    await links.redeem(db, on_time, SITI, SITI, clock)
    clock.advance(timedelta(seconds=2))
    with pytest.raises(InvalidInput, match=r"^invite\.expired$"):
        await links.redeem(db, late, SITI, SITI, clock)


@pytest.mark.parametrize("forged", ["A" * 32, "short", "x" * 65, "../../etc/passwd", ""])
async def test_a_forged_or_unknown_token_is_refused(
    db: Database, clock: FixedClock, forged: str
) -> None:
    op = await _operator(db, clock)
    await links.create_parent_invite(db, op, await add_family(db, op, "Siti"), clock)
    with pytest.raises(NotFound, match=r"^invite\.invalid$"):
        await links.redeem(db, forged, SITI, SITI, clock)


async def test_an_operator_cannot_invite_for_another_operators_family(
    db: Database, clock: FixedClock
) -> None:
    mine, theirs = await _operator(db, clock, 1001), await _operator(db, clock, 1002)
    their_family = await add_family(db, theirs, "Siti")
    with pytest.raises(NotFound):
        await links.create_parent_invite(db, mine, their_family, clock)
    archived = await add_family(db, mine, "Gone", archived=True)
    with pytest.raises(NotFound):
        await links.create_parent_invite(db, mine, archived, clock)


async def test_two_people_redeeming_one_invite_at_once_leaves_exactly_one_winner(
    db: Database, clock: FixedClock
) -> None:
    op = await _operator(db, clock)
    family = await add_family(db, op, "Siti")
    for _ in range(5):
        token = await links.create_parent_invite(db, op, family, clock)
        await _warm_pool(db)  # so neither redeem waits for a connection: they really overlap
        results = await asyncio.gather(
            *(links.redeem(db, token, user, user, clock) for user in (SITI, AHMAD)),
            return_exceptions=True,
        )
        winners = [r for r in results if isinstance(r, links.Redeemed)]
        losers = [r for r in results if isinstance(r, Conflict)]
        assert (len(winners), len(losers)) == (1, 1), results
        winner = SITI if results[0] is winners[0] else AHMAD
        assert (await _customer(db, family)).telegram_user_id == winner


async def test_an_operator_invite_makes_a_separate_empty_operator_account(
    db: Database, clock: FixedClock
) -> None:
    inviter = await _operator(db, clock)
    await operators.update_profile(
        db, inviter, business_name="Van Kak Ros", timezone="Asia/Singapore"
    )
    await add_family(db, inviter, "Siti")
    token = await links.create_operator_invite(db, inviter, clock)
    redeemed = await links.redeem(db, token, 1005, 1005, clock)
    assert redeemed.purpose == "operator" and redeemed.operator_id != inviter
    created = await operators.get_operator(db, redeemed.operator_id)
    assert created.telegram_user_id == 1005 and created.business_name == ""
    assert created.timezone == "Asia/Singapore"
    sender = await roles.identify(db, 1005, frozenset(), clock, "Asia/Kuala_Lumpur")
    assert sender.role == "operator" and sender.operator == created and sender.families == ()


async def test_an_operator_invite_is_refused_and_kept_for_someone_already_an_operator(
    db: Database, clock: FixedClock
) -> None:
    inviter = await _operator(db, clock)
    token = await links.create_operator_invite(db, inviter, clock)
    with pytest.raises(Conflict, match=r"^invite\.operator_already$"):
        await links.redeem(db, token, 1001, 1001, clock)
    await links.redeem(db, token, 1005, 1005, clock)  # still unused, so still good
    async with db.sessions() as session:
        count = len((await session.execute(select(Operator))).all())
    assert count == 2


async def test_sharing_a_phone_links_every_current_family_with_that_number(
    db: Database, clock: FixedClock
) -> None:
    op1, op2 = await _operator(db, clock, 1001), await _operator(db, clock, 1002)
    await operators.update_profile(db, op2, business_name="Ravi Transport")
    first = await add_family(db, op1, "Siti", phone="+60123456789")
    second = await add_family(db, op2, "Puan Siti", phone="0123456789")
    await add_family(db, op1, "Old Siti", phone="+60123456789", archived=True)
    await add_family(db, op1, "Other", phone="+60129999999")
    linked = await links.link_by_phone(db, SITI, SITI, "60123456789", clock)
    assert [(f.customer_id, f.name, f.business_name) for f in linked] == [
        (first, "Siti", ""),
        (second, "Puan Siti", "Ravi Transport"),
    ]
    assert (await _customer(db, second)).telegram_chat_id == SITI


async def test_sharing_a_phone_never_takes_a_family_from_another_account(
    db: Database, clock: FixedClock
) -> None:
    op = await _operator(db, clock)
    family = await add_family(db, op, "Siti", phone="+60123456789", telegram_user_id=AHMAD)
    assert await links.link_by_phone(db, SITI, SITI, "+60123456789", clock) == []
    assert (await _customer(db, family)).telegram_user_id == AHMAD
