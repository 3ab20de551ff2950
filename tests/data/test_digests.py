"""The operator's daily digest: today's figures, queued once a day whatever runs twice."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from tests.data.factories import make_business, make_family
from vanbill.services import digests, invoices, payments
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.models import Delivery


async def test_the_digest_counts_the_day_and_is_queued_once(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    other = await make_business(db, clock, telegram_user_id=5005)
    late = await make_family(db, clock, biz, "Late", phone="0123456789")
    soon = await make_family(db, clock, biz, "Soon", phone="0123456780")
    for family, due in ((late, date(2026, 1, 10)), (soon, date(2026, 1, 16))):
        await invoices.create_invoice(
            db,
            biz.id,
            family.id,
            clock,
            [NewLine("Transport", 15000)],
            issue_date=date(2026, 1, 2),
            due_date=due,
        )
    await payments.record_payment(db, biz.id, soon.id, clock, amount_sen=4000, method="cash")
    theirs = await make_family(db, clock, other, "Elsewhere")
    await payments.record_payment(db, other.id, theirs.id, clock, amount_sen=999, method="cash")
    first = await digests.queue_digest(db, biz.id, clock)
    again = await digests.queue_digest(db, biz.id, clock)
    assert first == again
    assert (first.day, first.payments, first.collected_sen) == ("2026-01-15", 1, 4000)
    assert (first.falling_due, first.falling_due_sen, first.families_overdue) == (1, 11000, 1)
    async with db.sessions() as session:
        queued = await session.scalar(
            select(func.count()).where(Delivery.dedupe_key == "op:digest:2026-01-15")
        )
    assert queued == 1


def test_the_digest_goes_only_in_its_hour() -> None:
    assert digests.digest_due(18, 18) and not digests.digest_due(18, 17)
    assert not digests.digest_due(None, 18)
