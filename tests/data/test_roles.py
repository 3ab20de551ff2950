"""Who is the sender: admins and invited operators, parents of one or more families, strangers."""

from __future__ import annotations

import asyncio

from tests.bot.conftest import add_family
from vanbill.services import operators, roles
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database

KL = "Asia/Kuala_Lumpur"


async def test_an_admin_becomes_an_operator_on_first_contact_and_only_once(
    db: Database, clock: FixedClock
) -> None:
    assert await operators.find_operator(db, 1001) is None
    first, second = await asyncio.gather(
        roles.identify(db, 1001, {1001}, clock, "Asia/Singapore"),
        roles.identify(db, 1001, {1001}, clock, "Asia/Singapore"),
    )
    assert first.role == second.role == "operator"
    assert first.operator is not None and second.operator is not None
    assert first.operator.id == second.operator.id
    assert first.operator.timezone == "Asia/Singapore"
    assert len(await operators.list_operators(db)) == 1


async def test_an_operator_stays_an_operator_without_being_an_admin(
    db: Database, clock: FixedClock
) -> None:
    op = await operators.ensure_operator(db, 1005, clock)
    sender = await roles.identify(db, 1005, set(), clock, KL)
    assert sender.is_operator and sender.operator == op


async def test_a_parent_of_families_at_two_operators_sees_both(
    db: Database, clock: FixedClock
) -> None:
    op1 = (await operators.ensure_operator(db, 1001, clock)).id
    op2 = (await operators.ensure_operator(db, 1002, clock)).id
    await operators.update_profile(db, op2, business_name="Ravi Transport")
    a = await add_family(db, op1, "Siti", telegram_user_id=2001)
    b = await add_family(db, op2, "Puan Siti", telegram_user_id=2001)
    await add_family(db, op1, "Archived Siti", telegram_user_id=2001, archived=True)
    sender = await roles.identify(db, 2001, {1001, 1002}, clock, KL)
    assert sender.is_parent and not sender.is_operator and sender.operator is None
    assert sender.families == (
        roles.Family(op1, a, "Siti", ""),
        roles.Family(op2, b, "Puan Siti", "Ravi Transport"),
    )
    assert sender.display_name == "Siti"


async def test_a_parent_whose_only_family_is_archived_is_a_stranger(
    db: Database, clock: FixedClock
) -> None:
    op = (await operators.ensure_operator(db, 1001, clock)).id
    await add_family(db, op, "Siti", telegram_user_id=2001, archived=True)
    sender = await roles.identify(db, 2001, {1001}, clock, KL)
    assert sender.role == "stranger" and sender.families == ()


async def test_someone_unknown_is_a_stranger_and_nothing_is_created(
    db: Database, clock: FixedClock
) -> None:
    sender = await roles.identify(db, 3001, {1001}, clock, KL)
    assert sender == roles.Sender(3001, "stranger")
    assert await operators.list_operators(db) == []
