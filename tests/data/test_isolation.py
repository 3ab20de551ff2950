"""Operator isolation: nothing operator A does can read or change operator B's rows.

Both operators hold look-alike data: the same business name, route names, parent's name and
phone number, children's names, and invoice numbers INV-2026-0001 and -0002 on both sides. B has
a little more (INV-2026-0003 and a second payment), so a leak into A's listings or totals shows.

Every call below is made with A's operator id. Given B's object ids it must raise NotFound (or
return nothing); B's rows, read with plain SQL from every table, are identical before and after,
and so are A's, since a refused call writes nothing at all.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import select

from tests.conftest import ScratchMySQL
from tests.data.factories import Business, Family, make_business, make_family
from vanbill.services import (
    accounts,
    customers,
    invoices,
    monthly,
    operators,
    payments,
    reminders,
    reports,
    routes,
)
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import NotFound
from vanbill.services.models import Base, ReminderLog
from vanbill.services.schema import migrate
from vanbill.services.views import ChildView, InvoiceView, PaymentView

JANUARY = date(2026, 1, 1)
FEBRUARY = date(2026, 2, 1)
BUILT_AT = datetime(2026, 1, 15, 2, 0, tzinfo=UTC)  # 10:00 on 15 January in Kuala Lumpur
# Ten days on: January's invoice (due 22 January) is three days late, so a reminder is due.
CHECKED_AT = datetime(2026, 1, 25, 2, 0, tzinfo=UTC)
PHONE = "012-345 6789"


@dataclass(frozen=True)
class Side:
    """One operator's look-alike data."""

    business: Business
    family: Family
    child: ChildView  # Aisyah: on the morning route and on invoices
    spare_child: ChildView  # Adam: no route, never billed
    enrollment_id: int
    january: InvoiceView  # INV-2026-0001, part paid
    trip: InvoiceView  # INV-2026-0002
    payment: PaymentView

    @property
    def id(self) -> int:
        """Return the operator id."""
        return self.business.id


@dataclass(frozen=True)
class World:
    """Operators A and B, and what A's listings returned before B existed."""

    a: Side
    b: Side
    alone: dict[str, Any]


Call = Callable[[Database, FixedClock, World], Awaitable[Any]]
Listing = Callable[[Database, FixedClock, Side], Awaitable[Any]]


async def build_side(
    db: Database, clock: FixedClock, telegram_user_id: int, *, more: bool
) -> Side:
    """Create an operator with the look-alike data (and a little more when asked)."""
    business = await make_business(db, clock, telegram_user_id)
    family = await make_family(db, clock, business, "Puan Aminah", ("Aisyah",), phone=PHONE)
    spare = await customers.add_child(db, business.id, family.id, clock, name="Adam")
    (enrollment,) = await routes.list_enrollments(db, business.id, family.id)
    run = await monthly.generate_month(db, business.id, JANUARY, clock)
    january = await invoices.get_invoice(db, business.id, run.invoice_ids[0], clock)
    trip = await invoices.create_invoice(
        db,
        business.id,
        family.id,
        clock,
        [NewLine(description="Zoo trip", unit_price_sen=4000, child_id=family.children[0].id)],
    )
    payment = await payments.record_payment(
        db, business.id, family.id, clock, amount_sen=10000, method="cash", reference="TNG-1"
    )
    if more:
        late = await invoices.create_invoice(
            db, business.id, family.id, clock, [NewLine("Late pick-up", unit_price_sen=3000)]
        )
        await payments.record_payment(
            db,
            business.id,
            family.id,
            clock,
            amount_sen=2500,
            method="duitnow",
            invoice_id=late.id,
        )
    return Side(
        business=business,
        family=family,
        child=family.children[0],
        spare_child=spare,
        enrollment_id=enrollment.id,
        january=january,
        trip=trip,
        payment=payment,
    )


# What A can list or look up of its own; each must come out the same whether or not B exists.
LISTINGS: dict[str, Listing] = {
    "customers.list_customers": lambda db, clock, a: customers.list_customers(
        db, a.id, include_archived=True
    ),
    "customers.find_customers by parent": lambda db, clock, a: customers.find_customers(
        db, a.id, "Aminah"
    ),
    "customers.find_customers by child": lambda db, clock, a: customers.find_customers(
        db, a.id, "Aisyah"
    ),
    "customers.find_customers by phone": lambda db, clock, a: customers.find_customers(
        db, a.id, PHONE
    ),
    "customers.get_customer": lambda db, clock, a: customers.get_customer(db, a.id, a.family.id),
    "routes.list_services": lambda db, clock, a: routes.list_services(
        db, a.id, include_inactive=True
    ),
    "routes.list_enrollments": lambda db, clock, a: routes.list_enrollments(db, a.id, a.family.id),
    "invoices.list_invoices": lambda db, clock, a: invoices.list_invoices(db, a.id, clock),
    "invoices.list_invoices unpaid": lambda db, clock, a: invoices.list_invoices(
        db, a.id, clock, which="unpaid", period=JANUARY
    ),
    "invoices.find_invoice_by_number": lambda db, clock, a: invoices.find_invoice_by_number(
        db, a.id, "inv-2026-0001", clock
    ),
    "invoices.invoice_document": lambda db, clock, a: invoices.invoice_document(
        db, a.id, a.trip.id, clock
    ),
    "payments.list_payments": lambda db, clock, a: payments.list_payments(db, a.id),
    "payments.receipt_document": lambda db, clock, a: payments.receipt_document(
        db, a.id, a.payment.id, clock
    ),
    "accounts.family_balance": lambda db, clock, a: accounts.family_balance(
        db, a.id, a.family.id, clock
    ),
    "accounts.statement": lambda db, clock, a: accounts.statement(
        db, a.id, a.family.id, JANUARY, date(2026, 1, 31)
    ),
    "monthly.preview_month": lambda db, clock, a: monthly.preview_month(db, a.id, FEBRUARY),
    "monthly.family_bill": lambda db, clock, a: monthly.family_bill(
        db, a.id, a.family.id, FEBRUARY
    ),
    "reminders.reminders_due": lambda db, clock, a: reminders.reminders_due(db, a.id, clock),
    "reminders.reminder_outlook": lambda db, clock, a: reminders.reminder_outlook(db, a.id, clock),
    "reports.summary_report": lambda db, clock, a: reports.summary_report(
        db, a.id, clock, months=3
    ),
}


async def build_world(db: Database, clock: FixedClock) -> World:
    """Build A, note what A's listings return, then build B alike; leave the clock at 25 Jan."""
    clock.set(BUILT_AT)
    a = await build_side(db, clock, 1001, more=False)
    clock.set(CHECKED_AT)
    alone = {name: await listing(db, clock, a) for name, listing in LISTINGS.items()}
    clock.set(BUILT_AT)
    b = await build_side(db, clock, 2002, more=True)
    clock.set(CHECKED_AT)
    return World(a, b, alone)


@dataclass(frozen=True)
class Shared:
    """A database holding both operators, shared by the tests that must change nothing."""

    db: Database
    clock: FixedClock
    world: World


@pytest_asyncio.fixture(scope="module", loop_scope="module", params=["sqlite", "mysql"])
async def shared(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Shared]:
    """Build the two operators once per database for the tests that only read or are refused.

    On MariaDB it gets a scratch database of its own, which the `db` fixture of the other
    tests here (emptying the session's scratch database) cannot touch.
    """
    scratch: ScratchMySQL | None = None
    if request.param == "sqlite":
        db = Database(f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('isolation') / 'ab.db'}")
        await migrate(db)
    else:
        request.getfixturevalue("mysql_scratch")  # skips (or fails under CI) without MariaDB
        scratch = ScratchMySQL()
        db = Database(scratch.url)
    try:
        clock = FixedClock(BUILT_AT)
        yield Shared(db, clock, await build_world(db, clock))
    finally:
        await db.dispose()
        if scratch is not None:
            scratch.drop()


@pytest.fixture
async def world(db: Database, clock: FixedClock) -> World:
    """Both operators in a fresh database, for a test that changes A's rows."""
    return await build_world(db, clock)


async def snapshot(db: Database, operator_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table that belongs to the operator, in key order."""
    result: dict[str, list[tuple[Any, ...]]] = {}
    async with db.sessions() as session:
        for table in Base.metadata.sorted_tables:
            if "operator_id" in table.c:
                owner = table.c.operator_id
            elif table.name == "operators":
                owner = table.c.id
            else:
                continue  # bot_state belongs to no operator
            rows = await session.execute(
                select(table).where(owner == operator_id).order_by(*table.primary_key.columns)
            )
            result[table.name] = [tuple(row) for row in rows]
    return result


def line(**kwargs: Any) -> list[NewLine]:
    """Return one ad-hoc line, with a child or route id when given."""
    return [NewLine(description="Extra", unit_price_sen=1000, **kwargs)]


# Each is called with A's operator id and B's ids; each must raise NotFound.
FOREIGN_CALLS = [
    pytest.param(
        lambda db, clock, w: customers.get_customer(db, w.a.id, w.b.family.id),
        id="customers.get_customer",
    ),
    pytest.param(
        lambda db, clock, w: customers.update_customer(
            db, w.a.id, w.b.family.id, name="Taken over", phone="019-999 9999"
        ),
        id="customers.update_customer",
    ),
    pytest.param(
        lambda db, clock, w: customers.set_archived(db, w.a.id, w.b.family.id),
        id="customers.set_archived",
    ),
    pytest.param(
        lambda db, clock, w: customers.set_reminders_paused(db, w.a.id, w.b.family.id),
        id="customers.set_reminders_paused",
    ),
    pytest.param(
        lambda db, clock, w: customers.add_child(
            db, w.a.id, w.b.family.id, clock, name="Stranger"
        ),
        id="customers.add_child to B's family",
    ),
    pytest.param(
        lambda db, clock, w: customers.update_child(
            db, w.a.id, w.b.child.id, clock, name="Renamed"
        ),
        id="customers.update_child",
    ),
    pytest.param(
        lambda db, clock, w: customers.remove_child(db, w.a.id, w.b.spare_child.id),
        id="customers.remove_child never billed",
    ),
    pytest.param(
        lambda db, clock, w: customers.remove_child(db, w.a.id, w.b.child.id),
        id="customers.remove_child billed",
    ),
    pytest.param(
        lambda db, clock, w: routes.get_service(db, w.a.id, w.b.business.morning.id),
        id="routes.get_service",
    ),
    pytest.param(
        lambda db, clock, w: routes.update_service(
            db, w.a.id, w.b.business.morning.id, name="Renamed", active=False
        ),
        id="routes.update_service",
    ),
    pytest.param(
        lambda db, clock, w: routes.change_fee(
            db, w.a.id, w.b.business.morning.id, clock, from_month=FEBRUARY, fee_sen=1
        ),
        id="routes.change_fee",
    ),
    pytest.param(
        lambda db, clock, w: routes.service_fee_for(db, w.a.id, w.b.business.morning.id, FEBRUARY),
        id="routes.service_fee_for",
    ),
    pytest.param(
        lambda db, clock, w: routes.enroll(
            db,
            w.a.id,
            clock,
            child_id=w.b.spare_child.id,
            service_id=w.a.business.afternoon.id,
            start_month=FEBRUARY,
        ),
        id="routes.enroll B's child",
    ),
    pytest.param(
        lambda db, clock, w: routes.enroll(
            db,
            w.a.id,
            clock,
            child_id=w.a.spare_child.id,
            service_id=w.b.business.afternoon.id,
            start_month=FEBRUARY,
        ),
        id="routes.enroll on B's route",
    ),
    pytest.param(
        lambda db, clock, w: routes.end_enrollment(
            db, w.a.id, w.b.enrollment_id, last_month=JANUARY
        ),
        id="routes.end_enrollment",
    ),
    pytest.param(
        lambda db, clock, w: invoices.get_invoice(db, w.a.id, w.b.january.id, clock),
        id="invoices.get_invoice",
    ),
    pytest.param(
        lambda db, clock, w: invoices.find_invoice_by_number(db, w.a.id, "INV-2026-0003", clock),
        id="invoices.find_invoice_by_number only B has",
    ),
    pytest.param(
        lambda db, clock, w: invoices.void_invoice(db, w.a.id, w.b.january.id, clock),
        id="invoices.void_invoice",
    ),
    pytest.param(
        lambda db, clock, w: invoices.create_invoice(db, w.a.id, w.b.family.id, clock, line()),
        id="invoices.create_invoice for B's family",
    ),
    pytest.param(
        lambda db, clock, w: invoices.create_invoice(
            db, w.a.id, w.a.family.id, clock, line(child_id=w.b.child.id)
        ),
        id="invoices.create_invoice naming B's child",
    ),
    pytest.param(
        lambda db, clock, w: invoices.create_invoice(
            db, w.a.id, w.a.family.id, clock, line(service_id=w.b.business.morning.id)
        ),
        id="invoices.create_invoice naming B's route",
    ),
    pytest.param(
        lambda db, clock, w: invoices.invoice_document(db, w.a.id, w.b.january.id, clock),
        id="invoices.invoice_document",
    ),
    pytest.param(
        lambda db, clock, w: invoices.draft_invoice_document(
            db, w.a.id, w.b.family.id, clock, line()
        ),
        id="invoices.draft_invoice_document for B's family",
    ),
    pytest.param(
        lambda db, clock, w: invoices.draft_invoice_document(
            db, w.a.id, w.a.family.id, clock, line(child_id=w.b.child.id)
        ),
        id="invoices.draft_invoice_document naming B's child",
    ),
    pytest.param(
        lambda db, clock, w: payments.record_payment(
            db, w.a.id, w.b.family.id, clock, amount_sen=1000, method="cash"
        ),
        id="payments.record_payment for B's family",
    ),
    pytest.param(
        lambda db, clock, w: payments.record_payment(
            db,
            w.a.id,
            w.a.family.id,
            clock,
            amount_sen=1000,
            method="cash",
            invoice_id=w.b.january.id,
        ),
        id="payments.record_payment on B's invoice",
    ),
    pytest.param(
        lambda db, clock, w: payments.void_payment(db, w.a.id, w.b.payment.id, clock),
        id="payments.void_payment",
    ),
    pytest.param(
        lambda db, clock, w: payments.get_payment(db, w.a.id, w.b.payment.id),
        id="payments.get_payment",
    ),
    pytest.param(
        lambda db, clock, w: payments.receipt_document(db, w.a.id, w.b.payment.id, clock),
        id="payments.receipt_document",
    ),
    pytest.param(
        lambda db, clock, w: accounts.family_balance(db, w.a.id, w.b.family.id, clock),
        id="accounts.family_balance",
    ),
    pytest.param(
        lambda db, clock, w: accounts.statement(
            db, w.a.id, w.b.family.id, JANUARY, date(2026, 1, 31)
        ),
        id="accounts.statement",
    ),
    pytest.param(
        lambda db, clock, w: accounts.statement_document(
            db, w.a.id, w.b.family.id, clock, JANUARY, date(2026, 1, 31)
        ),
        id="accounts.statement_document",
    ),
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("call", FOREIGN_CALLS)
async def test_a_call_for_one_operator_with_the_other_operators_ids_is_refused(
    shared: Shared, call: Call
) -> None:
    db, world = shared.db, shared.world
    before_b = await snapshot(db, world.b.id)
    before_a = await snapshot(db, world.a.id)

    with pytest.raises(NotFound):
        await call(db, shared.clock, world)

    assert await snapshot(db, world.b.id) == before_b, "B's rows changed"
    assert await snapshot(db, world.a.id) == before_a, "a refused call wrote to A's rows"


# Each is called with A's operator id and B's family; each must find nothing of B's.
FOREIGN_LOOKUPS = [
    pytest.param(
        lambda db, clock, w: monthly.family_bill(db, w.a.id, w.b.family.id, FEBRUARY),
        None,
        id="monthly.family_bill",
    ),
    pytest.param(
        lambda db, clock, w: routes.list_enrollments(db, w.a.id, w.b.family.id),
        [],
        id="routes.list_enrollments",
    ),
    pytest.param(
        lambda db, clock, w: invoices.list_invoices(db, w.a.id, clock, customer_id=w.b.family.id),
        [],
        id="invoices.list_invoices",
    ),
    pytest.param(
        lambda db, clock, w: payments.list_payments(db, w.a.id, customer_id=w.b.family.id),
        [],
        id="payments.list_payments",
    ),
]


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize(("call", "nothing"), FOREIGN_LOOKUPS)
async def test_a_lookup_for_one_operator_of_the_other_operators_family_finds_nothing(
    shared: Shared, call: Call, nothing: object
) -> None:
    db, world = shared.db, shared.world
    before_b = await snapshot(db, world.b.id)

    assert await call(db, shared.clock, world) == nothing

    assert await snapshot(db, world.b.id) == before_b


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("name", list(LISTINGS))
async def test_an_operators_listings_are_the_same_whether_or_not_a_look_alike_exists(
    shared: Shared, name: str
) -> None:
    alone = shared.world.alone[name]
    assert alone not in (None, [], ()), "the listing should show something of A's"

    assert await LISTINGS[name](shared.db, shared.clock, shared.world.a) == alone


@pytest.mark.asyncio(loop_scope="module")
async def test_the_look_alikes_really_are_alike_and_each_finds_its_own_invoice_number(
    shared: Shared,
) -> None:
    db, clock = shared.db, shared.clock
    a, b = shared.world.a, shared.world.b
    assert a.id != b.id and a.family.id != b.family.id
    assert (a.january.number, a.trip.number) == (b.january.number, b.trip.number)
    assert (a.january.number, a.trip.number) == ("INV-2026-0001", "INV-2026-0002")
    assert a.family.customer.phone == b.family.customer.phone == "+60123456789"
    assert [c.name for c in a.family.children] == [c.name for c in b.family.children]
    assert a.business.morning.name == b.business.morning.name

    for side in (a, b):
        found = await invoices.find_invoice_by_number(db, side.id, "INV-2026-0001", clock)
        assert (found.id, found.customer_id) == (side.january.id, side.family.id)
        assert found.paid_sen == 10000
    b_balance = await accounts.family_balance(db, b.id, b.family.id, clock)
    a_balance = await accounts.family_balance(db, a.id, a.family.id, clock)
    assert (a_balance.balance_sen, b_balance.balance_sen) == (9000, 9500)


# Changes A may make to its own rows; each must change A's rows and leave B's as they were.
OWN_CHANGES = [
    pytest.param(
        lambda db, clock, w: monthly.generate_month(db, w.a.id, FEBRUARY, clock),
        id="monthly.generate_month",
    ),
    pytest.param(
        lambda db, clock, w: reminders.claim_reminders(db, w.a.id, clock),
        id="reminders.claim_reminders",
    ),
    pytest.param(
        lambda db, clock, w: payments.record_payment(
            db, w.a.id, w.a.family.id, clock, amount_sen=9000, method="cash"
        ),
        id="payments.record_payment",
    ),
    pytest.param(
        lambda db, clock, w: payments.void_payment(db, w.a.id, w.a.payment.id, clock),
        id="payments.void_payment",
    ),
    pytest.param(
        lambda db, clock, w: invoices.void_invoice(db, w.a.id, w.a.january.id, clock),
        id="invoices.void_invoice",
    ),
    pytest.param(
        lambda db, clock, w: invoices.create_invoice(
            db, w.a.id, w.a.family.id, clock, line(child_id=w.a.child.id)
        ),
        id="invoices.create_invoice",
    ),
    pytest.param(
        lambda db, clock, w: customers.update_customer(
            db, w.a.id, w.a.family.id, name="Puan Aminah binti Ali"
        ),
        id="customers.update_customer",
    ),
    pytest.param(
        lambda db, clock, w: customers.set_archived(db, w.a.id, w.a.family.id),
        id="customers.set_archived",
    ),
    pytest.param(
        lambda db, clock, w: customers.remove_child(db, w.a.id, w.a.spare_child.id),
        id="customers.remove_child",
    ),
    pytest.param(
        lambda db, clock, w: routes.change_fee(
            db, w.a.id, w.a.business.morning.id, clock, from_month=FEBRUARY, fee_sen=16000
        ),
        id="routes.change_fee",
    ),
    pytest.param(
        lambda db, clock, w: routes.enroll(
            db,
            w.a.id,
            clock,
            child_id=w.a.spare_child.id,
            service_id=w.a.business.afternoon.id,
            start_month=FEBRUARY,
        ),
        id="routes.enroll",
    ),
    pytest.param(
        lambda db, clock, w: routes.end_enrollment(
            db, w.a.id, w.a.enrollment_id, last_month=JANUARY
        ),
        id="routes.end_enrollment",
    ),
    pytest.param(
        lambda db, clock, w: operators.set_holiday(db, w.a.id, FEBRUARY),
        id="operators.set_holiday",
    ),
]


@pytest.mark.parametrize("call", OWN_CHANGES)
async def test_a_change_by_one_operator_to_its_own_rows_leaves_the_other_untouched(
    db: Database, clock: FixedClock, world: World, call: Call
) -> None:
    before_b = await snapshot(db, world.b.id)
    before_a = await snapshot(db, world.a.id)

    await call(db, clock, world)

    assert await snapshot(db, world.a.id) != before_a, "the change should show on A's side"
    assert await snapshot(db, world.b.id) == before_b


async def test_reminders_claimed_for_one_operator_are_logged_for_its_invoices_only(
    db: Database, clock: FixedClock, world: World
) -> None:
    claimed = await reminders.claim_reminders(db, world.a.id, clock)

    assert [(r.invoice.id, r.stage) for r in claimed] == [(world.a.january.id, 3)]
    async with db.sessions() as session:
        logged = (
            await session.execute(select(ReminderLog.operator_id, ReminderLog.invoice_id))
        ).all()
    assert [tuple(row) for row in logged] == [(world.a.id, world.a.january.id)]
    due_for_b = await reminders.reminders_due(db, world.b.id, clock)
    assert [r.invoice.id for r in due_for_b] == [world.b.january.id]
