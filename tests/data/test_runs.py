"""Monthly runs: due at the operator's local day and hour, caught up after downtime, once only."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from tests.data.factories import make_business, make_family
from vanbill.services import delivery, operators, runs
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict
from vanbill.services.models import Customer


def test_billing_is_due_from_the_operators_day_and_hour() -> None:
    assert not runs.billing_due(datetime(2026, 3, 1, 7, 59), 1, 8)  # noqa: DTZ001 - local time
    assert runs.billing_due(datetime(2026, 3, 1, 8, 0), 1, 8)  # noqa: DTZ001
    assert runs.billing_due(datetime(2026, 3, 2, 0, 0), 1, 8)  # noqa: DTZ001
    assert not runs.billing_due(datetime(2026, 3, 24, 23, 0), 25, 6)  # noqa: DTZ001


async def test_the_month_falls_due_at_eight_in_the_morning_in_kuala_lumpur(
    db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 2, 28, 23, 59, tzinfo=UTC))  # 07:59 on 1 March in KL
    biz = await make_business(db, clock)
    assert await runs.due_runs(db, clock) == []
    clock.set(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))  # 08:00 in KL
    assert await runs.due_runs(db, clock) == [(biz.id, date(2026, 3, 1))]


async def test_an_operator_in_another_zone_is_due_at_their_own_hour(
    db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    await make_business(db, clock, timezone="Europe/London", billing_hour=9)
    assert await runs.due_runs(db, clock) == []
    clock.set(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))
    assert len(await runs.due_runs(db, clock)) == 1


async def test_a_run_starts_once_and_queues_every_invoice(db: Database, clock: FixedClock) -> None:
    clock.set(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    biz = await make_business(db, clock)
    for name in ("Aminah", "Bala", "Chong"):
        await make_family(db, clock, biz, name, start=date(2026, 3, 1))
    results = await asyncio.gather(
        runs.start_run(db, biz.id, date(2026, 3, 1), clock),
        runs.start_run(db, biz.id, date(2026, 3, 1), clock),
    )
    started = [r for r in results if r is not None]
    assert len(started) == 1
    assert started[0].run.status == "delivering" and started[0].run.created_count == 3
    assert await runs.due_runs(db, clock) == []
    assert await runs.start_run(db, biz.id, date(2026, 3, 1), clock) is None
    report = await delivery.run_deliveries(db, biz.id, date(2026, 3, 1))
    assert report.queued == 3 and len(report.waiting_for_link) == 3


async def test_a_run_missed_while_the_bot_was_down_happens_when_it_is_back(
    db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 2, 15, 2, 0, tzinfo=UTC))
    biz = await make_business(db, clock)
    await make_family(db, clock, biz, "Aminah", start=date(2026, 2, 1))
    # Down from before 1 March until the 4th: the run is due as soon as the bot checks.
    clock.set(datetime(2026, 3, 4, 5, 0, tzinfo=UTC))
    assert await runs.due_runs(db, clock) == [(biz.id, date(2026, 3, 1))]
    started = await runs.start_run(db, biz.id, date(2026, 3, 1), clock)
    assert started is not None and started.report is not None and started.report.created == 1


async def test_a_holiday_month_is_recorded_as_done_with_nothing_billed(
    db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 12, 1, 1, 0, tzinfo=UTC))
    biz = await make_business(db, clock)
    await make_family(db, clock, biz, "Aminah")
    await operators.set_holiday(db, biz.id, date(2026, 12, 1))
    started = await runs.start_run(db, biz.id, date(2026, 12, 1), clock)
    assert started is not None and started.run.status == "done"
    assert started.report is not None and started.report.holiday
    assert await runs.due_runs(db, clock) == []


async def test_with_approval_nothing_is_billed_until_the_operator_approves(
    db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    biz = await make_business(db, clock, approval_required=True)
    await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    await make_family(db, clock, biz, "Bala", ("Budi", "Bunga"), start=date(2026, 3, 1))
    started = await runs.start_run(db, biz.id, date(2026, 3, 1), clock)
    assert started is not None and started.run.status == "awaiting_approval"
    assert started.plan is not None and len(started.plan.families) == 2
    assert started.plan.total_sen == 45000 and started.plan.new_families == ("Aminah", "Bala")
    assert (await delivery.run_deliveries(db, biz.id, date(2026, 3, 1))).queued == 0
    held = await runs.hold_run(db, biz.id, started.run.id, clock)
    assert held.status == "held"
    approved = await runs.approve_run(db, biz.id, started.run.id, clock)
    assert approved.run.status == "delivering" and approved.run.created_count == 2
    assert (await delivery.run_deliveries(db, biz.id, date(2026, 3, 1))).queued == 2
    with pytest.raises(Conflict):
        await runs.approve_run(db, biz.id, started.run.id, clock)


async def test_a_run_is_ready_to_report_once_nothing_is_in_flight(
    db: Database, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 3, 1, 0, 0, tzinfo=UTC))
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah", start=date(2026, 3, 1))
    await make_family(db, clock, biz, "Bala", start=date(2026, 3, 1))
    async with db.sessions.begin() as session:
        await session.execute(
            update(Customer).where(Customer.id == family.id).values(telegram_chat_id=42)
        )
    started = await runs.start_run(db, biz.id, date(2026, 3, 1), clock)
    assert started is not None
    assert await runs.runs_ready_to_report(db) == []
    (job,) = await delivery.claim_due(db, "w", clock)
    await delivery.mark_sent(db, job.id, clock, message_id=1, file_id="f")
    (ready,) = await runs.runs_ready_to_report(db)
    figures = await runs.finish_run(db, biz.id, ready.id, clock)
    assert figures is not None and figures.delivered == 1
    assert figures.waiting_for_link == ("Bala",)
    assert await runs.finish_run(db, biz.id, ready.id, clock) is None
    assert (await runs.get_run(db, biz.id, ready.id)).status == "done"
