"""Operators: created on first use, profile updates validated, holidays kept per operator."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from vanbill.services import operators
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import InvalidInput, NotFound


async def test_an_operator_is_created_once_however_often_it_is_asked_for(
    db: Database, clock: FixedClock
) -> None:
    first, second = await asyncio.gather(
        operators.ensure_operator(db, 5001, clock), operators.ensure_operator(db, 5001, clock)
    )
    assert first.id == second.id
    assert first.timezone == "Asia/Kuala_Lumpur" and first.currency == "MYR"
    assert first.reminder_offsets == (-3, 0, 3, 7, 14)
    assert (await operators.find_operator(db, 5001)) == first
    assert await operators.find_operator(db, 9999) is None


async def test_profile_updates_are_validated_and_saved(db: Database, clock: FixedClock) -> None:
    op = await operators.ensure_operator(db, 5001, clock)
    updated = await operators.update_profile(
        db,
        op.id,
        business_name="Van Kak Ros 陈",
        due_day=10,
        reminder_offsets="14, 0,-3",
        sibling_discount_bp=1000,
        timezone="Asia/Singapore",
    )
    assert updated.business_name == "Van Kak Ros 陈"
    assert updated.due_day == 10
    assert updated.reminder_offsets == (-3, 0, 14)
    assert updated.sibling_discount_bp == 1000
    assert (await operators.get_operator(db, op.id)) == updated


@pytest.mark.parametrize(
    "change",
    [
        {"due_day": 31},
        {"reminder_hour": 22},
        {"timezone": "Mars/Base"},
        {"reminder_offsets": "soon"},
        {"reminder_offsets": "-٣,٠"},
        {"business_name": "\u200b\u202e"},
        {"sibling_discount_bp": -5},
        {"business_name": "x" * 201},
        {"owner": "someone"},
    ],
)
async def test_bad_settings_are_refused_and_nothing_changes(
    db: Database, clock: FixedClock, change: dict[str, object]
) -> None:
    op = await operators.ensure_operator(db, 5001, clock)
    with pytest.raises(InvalidInput):
        await operators.update_profile(db, op.id, **{"address": "Changed", **change})
    assert (await operators.get_operator(db, op.id)).address == ""


async def test_holidays_belong_to_one_operator(db: Database, clock: FixedClock) -> None:
    a = await operators.ensure_operator(db, 1, clock)
    b = await operators.ensure_operator(db, 2, clock)
    await operators.set_holiday(db, a.id, date(2026, 12, 1))
    await operators.set_holiday(db, a.id, date(2026, 12, 15))  # same month, no duplicate
    assert await operators.list_holidays(db, a.id) == [date(2026, 12, 1)]
    assert await operators.list_holidays(db, b.id) == []
    await operators.set_holiday(db, a.id, date(2026, 12, 1), holiday=False)
    assert await operators.list_holidays(db, a.id) == []


async def test_an_unknown_operator_is_not_found(db: Database) -> None:
    with pytest.raises(NotFound):
        await operators.get_operator(db, 424242)
    with pytest.raises(NotFound):
        await operators.update_profile(db, 424242, business_name="x")
