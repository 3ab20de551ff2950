"""Transfer slips become payments in one step; CSV exports are exact and safe to open."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import select

from tests.data.factories import make_business, make_family
from vanbill.services import exports, monthly, payments, slips
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.models import Delivery


async def test_recording_a_slip_makes_the_payment_and_closes_the_slip(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)
    slip = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="AgAD-photo", file_kind="photo"
    )
    assert slip.balance_sen == 15000 and slip.status == "pending"
    paid = await slips.record_from_slip(
        db, biz.id, slip.id, clock, amount_sen=slip.balance_sen, method="duitnow", recorded_by=1001
    )
    assert paid.amount_sen == 15000 and paid.method == "duitnow"
    assert paid.reference == f"Slip #{slip.id}" and paid.allocated_sen == 15000
    with pytest.raises(Conflict, match=r"^slip\.recorded_already$"):
        await slips.record_from_slip(db, biz.id, slip.id, clock, amount_sen=100, method="cash")
    assert len(await payments.list_payments(db, biz.id)) == 1


async def test_a_bad_amount_on_a_slip_leaves_the_slip_pending(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    slip = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="BQAD-pdf", file_kind="document"
    )
    with pytest.raises(InvalidInput):
        await slips.record_from_slip(db, biz.id, slip.id, clock, amount_sen=0, method="cash")
    await slips.dismiss_slip(db, biz.id, slip.id, clock)
    with pytest.raises(Conflict, match=r"^slip\.dismissed_already$"):
        await slips.dismiss_slip(db, biz.id, slip.id, clock)


async def test_another_operators_slip_cannot_be_touched(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    other = await make_business(db, clock, telegram_user_id=2002)
    family = await make_family(db, clock, biz, "Aminah")
    slip = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="x", file_kind="photo"
    )
    with pytest.raises(NotFound):
        await slips.record_from_slip(db, other.id, slip.id, clock, amount_sen=100, method="cash")
    with pytest.raises(NotFound):
        await slips.dismiss_slip(db, other.id, slip.id, clock)
    with pytest.raises(NotFound):
        await slips.get_pending_slip(db, other.id, slip.id)
    assert await _notices(db) == []


async def _notices(db: Database) -> list[tuple[int, int, str, dict[str, object]]]:
    async with db.sessions() as session:
        rows = await session.execute(
            select(Delivery.operator_id, Delivery.customer_id, Delivery.status, Delivery.body)
            .where(Delivery.kind == "notice")
            .order_by(Delivery.id)
        )
        return [(o, c, st, json.loads(b)) for o, c, st, b in rows]


async def test_dismissing_a_slip_queues_one_line_for_the_parent_with_the_reason(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "Aminah")
    slip = await slips.receive_slip(
        db, biz.id, family.id, clock, telegram_file_id="x", file_kind="photo"
    )
    with pytest.raises(InvalidInput, match=r"^text\.too_long"):
        await slips.dismiss_slip(db, biz.id, slip.id, clock, reason="x" * 201)
    assert (await slips.get_pending_slip(db, biz.id, slip.id)).status == "pending"
    assert await _notices(db) == []  # refused: nothing written

    dismissed = await slips.dismiss_slip(
        db, biz.id, slip.id, clock, reason="  the amount\n does not match "
    )
    assert (dismissed.customer_name, dismissed.reason) == ("Aminah", "the amount does not match")
    assert not dismissed.parent_linked
    assert await _notices(db) == [
        (
            biz.id,
            family.id,
            "waiting_link",  # goes out when the parent links, like every message to them
            {
                "notice": "slip_dismissed",
                "slip_id": slip.id,
                "sent_on": "2026-01-15",
                "reason": "the amount does not match",
            },
        )
    ]
    with pytest.raises(Conflict, match=r"^slip\.dismissed_already$"):
        await slips.get_pending_slip(db, biz.id, slip.id)


def _read(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


async def test_exports_list_every_row_with_exact_amounts(db: Database, clock: FixedClock) -> None:
    biz = await make_business(db, clock)
    family = await make_family(db, clock, biz, "陈美玲", ("Mei", "Lin"), phone="0123456789")
    await make_family(db, clock, biz, "=HYPERLINK(1)")
    await monthly.generate_month(db, biz.id, date(2026, 1, 1), clock)
    await payments.record_payment(
        db, biz.id, family.id, clock, amount_sen=10005, method="duitnow", reference="DN123"
    )
    people = _read(await exports.export_customers(db, biz.id))
    assert [(p["parent"], p["child"]) for p in people] == [
        ("'=HYPERLINK(1)", "Aisyah"),
        ("陈美玲", "Mei"),
        ("陈美玲", "Lin"),
    ]
    assert people[1]["phone"] == "+60123456789"
    bills = _read(await exports.export_invoices(db, biz.id))
    chen = next(b for b in bills if b["parent"] == "陈美玲")
    assert (chen["total"], chen["paid"], chen["balance"], chen["status"]) == (
        "300.00",
        "100.05",
        "199.95",
        "partial",
    )
    (money,) = _read(await exports.export_payments(db, biz.id))
    assert (money["amount"], money["method"], money["reference"]) == ("100.05", "DuitNow", "DN123")


async def test_an_empty_cell_stays_empty_while_a_formula_is_still_defused(
    db: Database, clock: FixedClock
) -> None:
    biz = await make_business(db, clock)
    await make_family(db, clock, biz, "-Siti", ())  # no phone, no note, no child
    await make_family(db, clock, biz, "Tan", ("@Mei",), phone="+60123456789")
    raw = (await exports.export_customers(db, biz.id)).decode("utf-8-sig")
    assert "'," not in raw and not raw.rstrip("\r\n").endswith("'")
    siti, tan = _read(raw.encode("utf-8-sig"))
    assert siti == {
        "customer_id": str(siti["customer_id"]),
        "parent": "'-Siti",
        "phone": "",
        "linked": "no",
        "archived": "no",
        "child": "",
        "category": "",
        "birth_year": "",
        "school": "",
        "routes": "",
        "route_fees": "",
        "fee": "",
        "notes": "",
    }
    assert (tan["phone"], tan["child"], tan["notes"]) == ("+60123456789", "'@Mei", "")
    for row in _read(await exports.export_invoices(db, biz.id)):
        assert "'" not in row.values()
