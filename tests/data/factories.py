"""Small builders for data tests: an operator with routes and families, in a few lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from vanbill.services import customers, operators, routes
from vanbill.services.clock import Clock
from vanbill.services.db import Database
from vanbill.services.views import ChildView, CustomerView, OperatorView, ServiceView


@dataclass(frozen=True)
class Family:
    """A family and its children as created."""

    customer: CustomerView
    children: tuple[ChildView, ...]

    @property
    def id(self) -> int:
        """Return the customer id."""
        return self.customer.id


@dataclass(frozen=True)
class Business:
    """An operator with a morning and an afternoon route."""

    operator: OperatorView
    morning: ServiceView
    afternoon: ServiceView

    @property
    def id(self) -> int:
        """Return the operator id."""
        return self.operator.id


async def make_business(
    db: Database, clock: Clock, telegram_user_id: int = 1001, **profile: object
) -> Business:
    """Create an operator (due day 7 unless told) with two routes: RM 150 and RM 120."""
    op = await operators.ensure_operator(db, telegram_user_id, clock)
    op = await operators.update_profile(
        db, op.id, **{"business_name": "Van Kak Ros", "due_day": 7, **profile}
    )
    morning = await routes.add_service(
        db, op.id, clock, name="Taman Melati → SK Setapak", monthly_fee_sen=15000
    )
    afternoon = await routes.add_service(
        db, op.id, clock, name="SK Setapak → Taman Melati", monthly_fee_sen=12000
    )
    return Business(op, morning, afternoon)


async def make_family(
    db: Database,
    clock: Clock,
    business: Business,
    name: str,
    children: tuple[str, ...] = ("Aisyah",),
    *,
    phone: str | None = None,
    start: date = date(2026, 1, 1),
    both_routes: bool = False,
) -> Family:
    """Create a family whose children take the morning route (and the afternoon one)."""
    customer = await customers.add_customer(db, business.id, clock, name=name, phone=phone)
    made = []
    for child_name in children:
        child = await customers.add_child(
            db, business.id, customer.id, clock, name=child_name, school="SK Setapak"
        )
        made.append(child)
        await routes.enroll(
            db,
            business.id,
            clock,
            child_id=child.id,
            service_id=business.morning.id,
            start_month=start,
        )
        if both_routes:
            await routes.enroll(
                db,
                business.id,
                clock,
                child_id=child.id,
                service_id=business.afternoon.id,
                start_month=start,
            )
    return Family(customer, tuple(made))
