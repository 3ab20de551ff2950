"""The audit log: entries commit with their change, read back per family, and are never changed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import text, update
from sqlalchemy.exc import DatabaseError

from tests.data.factories import make_business
from vanbill.services import audit, customers
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.models import AuditEntry


async def test_an_entry_reads_back_with_who_when_and_what_changed(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await customers.add_customer(db, biz.id, clock, name="陈美玲")
    async with db.sessions.begin() as session:
        audit.record(
            session,
            clock,
            operator_id=biz.id,
            actor=audit.Actor.operator(501),
            action="family.edited",
            entity="customer",
            entity_id=family.id,
            customer_id=family.id,
            before={"name": "陈美玲", "phone": None, "since": date(2026, 3, 1)},
            after={"name": "陈美玲 <b>", "phone": "+60123456789", "since": date(2026, 3, 1)},
            reason="typo",
        )
    clock.advance(timedelta(minutes=5))
    async with db.sessions.begin() as session:
        audit.record(
            session,
            clock,
            operator_id=biz.id,
            actor=audit.BOT,
            action="invoice.issued",
            entity="invoice",
            entity_id=7,
            customer_id=family.id,
            after={"total_sen": 15050},
        )
    events = await audit.family_history(db, biz.id, family.id)
    assert [e.action for e in events] == ["invoice.issued", "family.edited"]
    edited = events[1]
    assert edited.actor == audit.Actor("operator", 501)
    assert edited.at == clock.now() - timedelta(minutes=5)
    assert edited.reason == "typo"
    assert edited.changes() == [
        ("name", "陈美玲", "陈美玲 <b>"),
        ("phone", None, "+60123456789"),
    ]
    assert events[0].actor == audit.BOT and events[0].changes() == [("total_sen", None, 15050)]


async def test_an_entry_of_a_transaction_that_fails_is_not_kept(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    with pytest.raises(RuntimeError):
        async with db.sessions.begin() as session:
            audit.record(
                session, clock, operator_id=biz.id, actor=audit.BOT, action="x", entity="y"
            )
            await session.flush()
            raise RuntimeError("the use case failed after writing its entry")
    assert await audit.operator_log(db, biz.id) == []


async def test_history_is_scoped_to_the_operator_and_the_family(
    db: Database, clock: FixedClock
) -> None:
    ros = await make_business(db, clock, telegram_user_id=1001)
    ali = await make_business(db, clock, telegram_user_id=1002)
    family = await customers.add_customer(db, ros.id, clock, name="Aminah")
    other = await customers.add_customer(db, ros.id, clock, name="Farah")
    async with db.sessions.begin() as session:
        for customer_id in (family.id, other.id):
            audit.record(
                session,
                clock,
                operator_id=ros.id,
                actor=audit.BOT,
                action="family.added",
                entity="customer",
                entity_id=customer_id,
                customer_id=customer_id,
            )
    assert [e.customer_id for e in await audit.family_history(db, ros.id, family.id)] == [
        family.id
    ]
    assert await audit.family_history(db, ali.id, family.id) == []
    assert await audit.operator_log(db, ali.id) == []
    assert len(await audit.operator_log(db, ros.id)) == 2


async def test_the_database_refuses_to_change_an_entry(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    async with db.sessions.begin() as session:
        audit.record(
            session,
            clock,
            operator_id=biz.id,
            actor=audit.BOT,
            action="payment.recorded",
            entity="payment",
            after={"amount_sen": 5000},
        )
    with pytest.raises(DatabaseError, match="append-only"):
        async with db.sessions.begin() as session:
            await session.execute(update(AuditEntry).values(after='{"amount_sen": 1}'))
    async with db.sessions() as session:
        stored = (await session.execute(text("SELECT after FROM audit_log"))).scalar_one()
    assert stored == '{"amount_sen": 5000}'
