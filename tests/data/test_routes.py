"""Routes and plans: fees over time without rewriting history, and enrollments."""

from __future__ import annotations

from datetime import date

import pytest

from tests.data.factories import make_business, make_family
from vanbill.services import monthly, routes
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput


async def test_a_fee_change_applies_from_its_month_and_leaves_earlier_months_alone(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    await make_family(db, clock, biz, "Aminah")
    january = await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)
    await routes.change_fee(
        db, biz.id, biz.morning.id, clock, from_month=date(2026, 3, 1), fee_sen=16500
    )
    assert await routes.service_fee_for(db, biz.id, biz.morning.id, date(2026, 2, 1)) == 15000
    assert await routes.service_fee_for(db, biz.id, biz.morning.id, date(2026, 3, 1)) == 16500
    assert await routes.service_fee_for(db, biz.id, biz.morning.id, date(2027, 1, 1)) == 16500
    february = await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)
    march = await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)
    assert (january.total_sen, february.total_sen, march.total_sen) == (15000, 15000, 16500)


async def test_a_special_fee_for_one_child_overrides_the_route_fee(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah", start=date(2026, 1, 1))
    child = family.children[0]
    await routes.enroll(
        db,
        biz.id,
        clock,
        child_id=child.id,
        service_id=biz.afternoon.id,
        start_month=date(2026, 2, 1),
        end_month=date(2026, 3, 1),
        fee_override_sen=8000,
    )
    totals = []
    for month in (1, 2, 3, 4):
        report = await monthly.generate_month(db, biz.id, date(2026, month, 1), clock)
        totals.append(report.total_sen)
    assert totals == [15000, 23000, 23000, 15000]


async def test_a_route_name_is_unique_per_operator(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    with pytest.raises(Conflict, match=r"^route\.exists"):
        await routes.add_service(
            db, biz.id, clock, name="Taman Melati → SK Setapak", monthly_fee_sen=100
        )


async def test_a_deactivated_route_is_hidden_and_takes_no_new_children(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await routes.update_service(db, biz.id, biz.afternoon.id, active=False)
    assert [s.id for s in await routes.list_services(db, biz.id)] == [biz.morning.id]
    with pytest.raises(Conflict, match=r"^route\.inactive"):
        await routes.enroll(
            db,
            biz.id,
            clock,
            child_id=family.children[0].id,
            service_id=biz.afternoon.id,
            start_month=date(2026, 1, 1),
        )


async def test_a_child_cannot_take_the_same_route_twice_in_one_month(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah", start=date(2026, 1, 1))
    with pytest.raises(Conflict, match=r"^enrolment\.overlap"):
        await routes.enroll(
            db,
            biz.id,
            clock,
            child_id=family.children[0].id,
            service_id=biz.morning.id,
            start_month=date(2026, 5, 1),
        )


async def test_ending_a_route_stops_billing_after_the_last_month(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    (enrollment,) = await routes.list_enrollments(db, biz.id, family.id)
    await routes.end_enrollment(db, biz.id, enrollment.id, last_month=date(2026, 2, 1))
    assert (await monthly.generate_month(db, biz.id, date(2026, 2, 1), clock)).created == 1
    assert (await monthly.generate_month(db, biz.id, date(2026, 3, 1), clock)).created == 0
    assert await routes.list_enrollments(db, biz.id, family.id, month=date(2026, 3, 1)) == []


@pytest.mark.parametrize("fee", [-100, 10**12])
async def test_a_route_with_an_impossible_fee_is_refused(
    db: Database, clock: FixedClock, fee: int
) -> None:
    biz = await make_business(db, clock)
    with pytest.raises(InvalidInput):
        await routes.add_service(db, biz.id, clock, name="Night", monthly_fee_sen=fee)
