"""Who reads which language: a person's choice is kept for them as operator and as parent; an
operator sets a family's language only for her own families."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from tests.data.factories import make_business
from vanbill.services import customers, languages, operators, roles
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import InvalidInput, NotFound
from vanbill.services.models import Customer


async def test_a_parents_choice_is_kept_in_every_family_they_pay_for(
    db: Database, clock: FixedClock
) -> None:
    ros = await make_business(db, clock, telegram_user_id=1001)
    ali = await make_business(db, clock, telegram_user_id=1002)
    parent = 2001
    for biz in (ros, ali):
        family = await customers.add_customer(db, biz.id, clock, name="Siti")
        await _link(db, biz.id, family.id, parent)
    other = await customers.add_customer(db, ros.id, clock, name="Farah")
    assert await languages.choose(db, parent, "zh_Hans") == 2
    sender = await roles.identify(db, parent, frozenset(), clock, "Asia/Kuala_Lumpur")
    assert sender.language == "zh_Hans"
    assert {f.language for f in sender.families} == {"zh_Hans"}
    assert (await customers.get_customer(db, ros.id, other.id)).id == other.id
    farah = await roles.identify(db, 2999, frozenset(), clock, "Asia/Kuala_Lumpur")
    assert farah.language is None


async def _link(db: Database, operator_id: int, customer_id: int, user_id: int) -> None:
    async with db.sessions.begin() as session:
        await session.execute(
            update(Customer)
            .where(Customer.operator_id == operator_id, Customer.id == customer_id)
            .values(telegram_user_id=user_id, telegram_chat_id=user_id)
        )


async def test_an_operators_choice_is_her_own(db: Database, clock: FixedClock) -> None:
    ros = await make_business(db, clock, telegram_user_id=1001)
    await make_business(db, clock, telegram_user_id=1002)
    assert await languages.choose(db, 1001, "ms") == 1
    assert (await operators.get_operator(db, ros.id)).language == "ms"
    other = await roles.identify(db, 1002, frozenset(), clock, "Asia/Kuala_Lumpur")
    assert other.language is None


async def test_an_unknown_language_is_refused_and_nothing_changes(
    db: Database, clock: FixedClock
) -> None:
    ros = await make_business(db, clock, telegram_user_id=1001)
    for bad in ("xx", "MS", "zh", "", "ms;DROP"):
        with pytest.raises(InvalidInput):
            await languages.choose(db, 1001, bad)
    assert (await operators.get_operator(db, ros.id)).language is None


async def test_an_operator_sets_the_language_of_her_own_families_only(
    db: Database, clock: FixedClock
) -> None:
    ros = await make_business(db, clock, telegram_user_id=1001)
    ali = await make_business(db, clock, telegram_user_id=1002)
    family = await customers.add_customer(db, ros.id, clock, name="陈美玲")
    await _link(db, ros.id, family.id, 2002)
    await languages.set_family_language(db, ros.id, family.id, "zh_Hans")
    sender = await roles.identify(db, 2002, frozenset(), clock, "Asia/Kuala_Lumpur")
    assert sender.language == "zh_Hans"
    with pytest.raises(NotFound):
        await languages.set_family_language(db, ali.id, family.id, "ms")
    with pytest.raises(InvalidInput):
        await languages.set_family_language(db, ros.id, family.id, "klingon")
    await languages.set_family_language(db, ros.id, family.id, None)
    sender = await roles.identify(db, 2002, frozenset(), clock, "Asia/Kuala_Lumpur")
    assert sender.language is None
