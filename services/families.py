"""Families change: the parent's details, children joining, changing and leaving, routes
changing, reminders paused, archiving; and a month billed now for a family added after its run.

Each function is one use case in one transaction that writes its audit entry (before -> after)
in that same transaction. An archived family is refused every change but unarchiving.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import adjustments, audit, proration, routes
from vanbill.services.billing import ChildFee, NewLine, added_sibling_discount
from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import (
    _check_birth_year,
    _check_category,
    _child_row,
    load_customer,
    lock_customer,
)
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.invoices import load_operator, take_numbers
from vanbill.services.models import (
    Child,
    Customer,
    Enrollment,
    HolidayMonth,
    Invoice,
    InvoiceItem,
    MonthlyRun,
    Operator,
    Service,
    ServiceFee,
)
from vanbill.services.monthly import generate_in, part_days, part_month_fee, plan_in
from vanbill.services.periods import add_months, month_label, month_start
from vanbill.services.phones import normalise_phone
from vanbill.services.routes import fee_in_force
from vanbill.services.text import clean_text
from vanbill.services.views import ChildView, CustomerView

PARENT_FIELDS = ("name", "phone", "notes")
CHILD_FIELDS = ("name", "school", "category", "birth_year")
NEXT_MONTH = "next"  # "From January": the month is not billed, the routes start next month
MADE_RUNS = ("delivering", "done")


def _family_values(family: CustomerView) -> dict[str, object]:
    return {
        "name": family.name,
        "phone": family.phone,
        "notes": family.notes,
        "archived": family.archived,
        "reminders_paused": family.reminders_paused,
    }


def _child_values(child: Child | ChildView) -> dict[str, object]:
    return {
        "name": child.name,
        "category": child.category,
        "birth_year": child.birth_year,
        "school": child.school,
    }


async def _live_family(session: AsyncSession, operator_id: int, customer_id: int) -> Customer:
    """Lock the family for this change; refuse an archived one with the reason."""
    row = await lock_customer(session, operator_id, customer_id)
    if row.archived:
        raise Conflict("family.archived_change", name=row.name)
    return row


async def _child(session: AsyncSession, operator_id: int, child_id: int) -> Child:
    row = (
        await session.execute(
            select(Child).where(Child.operator_id == operator_id, Child.id == child_id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("child.not_found")
    return row


@retried
async def edit_family(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    actor: audit.Actor,
    *,
    field: str,
    value: str,
) -> CustomerView:
    """Change the parent's name, phone ('' removes it) or notes."""
    if field not in PARENT_FIELDS:
        raise InvalidInput("family.detail_fixed")
    if field == "name":
        new: object = clean_text(value, "parent_name", limit=200)
    elif field == "phone":
        new = normalise_phone(value) if value.strip() else None
    else:
        new = clean_text(value, "note", limit=1000, required=False)
    async with db.sessions.begin() as session:
        row = await _live_family(session, operator_id, customer_id)
        before = _family_values(await load_customer(session, operator_id, customer_id))
        setattr(row, field, new)
        await session.flush()
        after = await load_customer(session, operator_id, customer_id)
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action=f"family.{field}",
            entity="customer",
            entity_id=customer_id,
            customer_id=customer_id,
            before={field: before[field]},
            after={field: new},
        )
        return after


@retried
async def _flag(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    actor: audit.Actor,
    field: str,
    value: bool,
) -> CustomerView:
    async with db.sessions.begin() as session:
        row = await lock_customer(session, operator_id, customer_id)
        if field != "archived" and row.archived:
            raise Conflict("family.archived_change", name=row.name)
        before = bool(getattr(row, field))
        if before == value:
            if field == "archived":
                raise Conflict(
                    "family.already_archived" if value else "family.not_archived", name=row.name
                )
            raise Conflict(
                "family.already_paused" if value else "family.not_paused", name=row.name
            )
        setattr(row, field, value)
        await session.flush()
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action=f"family.{field}",
            entity="customer",
            entity_id=customer_id,
            customer_id=customer_id,
            before={field: before},
            after={field: value},
        )
        return await load_customer(session, operator_id, customer_id)


async def set_reminders_paused(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    actor: audit.Actor,
    paused: bool,
) -> CustomerView:
    """Pause or resume a family's payment reminders."""
    return await _flag(db, operator_id, customer_id, clock, actor, "reminders_paused", paused)


async def set_archived(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    actor: audit.Actor,
    archived: bool,
) -> CustomerView:
    """Archive a family (no more monthly invoices) or bring it back."""
    return await _flag(db, operator_id, customer_id, clock, actor, "archived", archived)


@retried
async def edit_child(
    db: Database,
    operator_id: int,
    child_id: int,
    clock: Clock,
    actor: audit.Actor,
    *,
    field: str,
    value: str | int | None,
) -> ChildView:
    """Change a child's name, school, category or birth year."""
    if field not in CHILD_FIELDS:
        raise InvalidInput("family.detail_fixed")
    async with db.sessions.begin() as session:
        child = await _child(session, operator_id, child_id)
        await _live_family(session, operator_id, child.customer_id)
        operator = await load_operator(session, operator_id)
        if field == "name":
            new: object = clean_text(str(value or ""), "child_name", limit=200)
        elif field == "school":
            new = clean_text(str(value or ""), "school", limit=200, required=False)
        elif field == "category":
            new = _check_category(str(value or ""))
        else:
            today = local_today(clock, operator.timezone)
            new = _check_birth_year(value if isinstance(value, int) else None, today)
        before = getattr(child, field)
        setattr(child, field, new)
        await session.flush()
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action=f"child.{field}",
            entity="child",
            entity_id=child_id,
            customer_id=child.customer_id,
            before={field: before},
            after={field: new},
        )
        return ChildView(
            child.id, child.customer_id, child.name, child.category, child.birth_year, child.school
        )


@dataclass(frozen=True)
class ChildAdded:
    """A child added to a family, the routes they take, and from which month."""

    child: ChildView
    routes: tuple[str, ...]
    start_month: date
    joined_on: date | None = None  # joining in the middle of start_month, before its run:
    join_rule: str | None = None  # how that month's run bills the routes
    join_figure_sen: int = 0  # and what it bills for them


@retried
async def add_child(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    actor: audit.Actor,
    *,
    name: str,
    category: str = "primary",
    birth_year: int | None = None,
    school: str = "",
    route_ids: Sequence[int] = (),
    next_month: bool = False,
    join_rule: str | None = None,
) -> ChildAdded:
    """Add a child to a family with their routes from this month (or the next).

    With join_rule, a child joining today in the middle of a month whose run is still to come
    has that month billed by the rule (stored on the enrollments, honoured by the run); once
    the run was made the rule is not stored, and unbilled_month offers the month instead.
    """
    if join_rule is not None:
        proration.check_rule(join_rule)
    async with db.sessions.begin() as session:
        await _live_family(session, operator_id, customer_id)
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        start = add_months(month_start(today), 1 if next_month else 0)
        joined_on = None
        if (
            join_rule is not None
            and not next_month
            and await _joins_before_run(session, operator, today)
        ):
            joined_on = today
        child = _child_row(
            operator_id,
            customer_id,
            clock,
            today,
            name=name,
            category=category,
            birth_year=birth_year,
            school=school,
        )
        session.add(child)
        await session.flush()
        names, fees = [], []
        for route_id in dict.fromkeys(route_ids):
            taken = await routes.add_enrollment(
                session,
                operator_id,
                clock,
                child_id=child.id,
                service_id=route_id,
                start_month=start,
                joined_on=joined_on,
                join_billing=join_rule if joined_on else None,
            )
            names.append(taken.service_name)
            fees.append(await _route_fee(session, operator_id, route_id, start))
        after: dict[str, object] = {**_child_values(child), "routes": names, "from": start}
        figure = 0
        if joined_on is not None and join_rule is not None and names:
            figure = proration.joining_figures(fees, start, joined_on)[join_rule]
            after |= {"joined_on": joined_on, "billing": join_rule, "billed_sen": figure}
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action="child.add",
            entity="child",
            entity_id=child.id,
            customer_id=customer_id,
            after=after,
        )
        view = ChildView(
            child.id, customer_id, child.name, child.category, child.birth_year, child.school
        )
        if joined_on is None or not names:
            return ChildAdded(view, tuple(names), start)
        return ChildAdded(view, tuple(names), start, joined_on, join_rule, figure)


@dataclass(frozen=True)
class JoinPreview:
    """What a child's routes cost this month by each rule, joining today in its middle."""

    period: date
    joined_on: date
    figures: dict[str, int]  # rule -> what the month's run bills for the routes


async def join_preview(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    *,
    route_ids: Sequence[int],
) -> JoinPreview | None:
    """Return what each rule bills for routes a new child takes from today, when today is in
    the middle of a month whose run is still to come (the choice then goes to add_child);
    None on the 1st, in a holiday month, or once the run was made (the offer comes after)."""
    async with db.sessions() as session:
        await _live_family(session, operator_id, customer_id)
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        if not route_ids or not await _joins_before_run(session, operator, today):
            return None
        period = month_start(today)
        fees = [
            await _route_fee(session, operator_id, route_id, period)
            for route_id in dict.fromkeys(route_ids)
        ]
        return JoinPreview(period, today, proration.joining_figures(fees, period, today))


async def _joining_this_month(
    session: AsyncSession, operator_id: int, customer_id: int, period: date
) -> list[Enrollment]:
    """Return the family's enrollments starting in period with no joining rule yet."""
    return list(
        (
            await session.execute(
                select(Enrollment)
                .join(
                    Child,
                    and_(
                        Child.operator_id == Enrollment.operator_id,
                        Child.id == Enrollment.child_id,
                    ),
                )
                .where(
                    Enrollment.operator_id == operator_id,
                    Child.customer_id == customer_id,
                    Enrollment.start_month == period,
                    Enrollment.joined_on.is_(None),
                )
                .order_by(Enrollment.id)
                .with_for_update()
            )
        ).scalars()
    )


async def family_join_preview(
    db: Database, operator_id: int, customer_id: int, clock: Clock
) -> JoinPreview | None:
    """Return what each rule bills this month for a family just added in its middle, before
    the month's run (its routes from this month); None otherwise (the 1st, a holiday month,
    the run made: then unbilled_month offers the month instead)."""
    async with db.sessions() as session:
        await _live_family(session, operator_id, customer_id)
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        if not await _joins_before_run(session, operator, today):
            return None
        period = month_start(today)
        taken = await _joining_this_month(session, operator_id, customer_id, period)
        if not taken:
            return None
        fees = [await _route_fee(session, operator_id, e.service_id, period) for e in taken]
        return JoinPreview(period, today, proration.joining_figures(fees, period, today))


@retried
async def set_family_joining(
    db: Database, operator_id: int, customer_id: int, clock: Clock, actor: audit.Actor, rule: str
) -> tuple[date, int]:
    """Bill the month a family just added joined in by rule (full, half, none, by days or
    school days): stored on its routes from this month, honoured by the month's run, in one
    transaction; return the month and what its run will bill for those routes."""
    proration.check_rule(rule)
    async with db.sessions.begin() as session:
        await _live_family(session, operator_id, customer_id)
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        period = month_start(today)
        taken = (
            await _joining_this_month(session, operator_id, customer_id, period)
            if await _joins_before_run(session, operator, today)
            else []
        )
        if not taken:  # chosen already, or the run was made meanwhile, or a new day/month
            raise Conflict("family.join_chosen", month=period)
        fees = [await _route_fee(session, operator_id, e.service_id, period) for e in taken]
        figure = proration.joining_figures(fees, period, today)[rule]
        for enrollment in taken:
            enrollment.joined_on = today
            enrollment.join_billing = rule
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action="family.join_billing",
            entity="customer",
            entity_id=customer_id,
            customer_id=customer_id,
            after={"month": period, "joined_on": today, "billing": rule, "billed_sen": figure},
        )
        return period, figure


async def _joins_before_run(session: AsyncSession, operator: Operator, today: date) -> bool:
    """Return whether a child joining today joins mid-month, before the month's run."""
    period = month_start(today)
    if today == period:
        return False
    return not await _run_made(session, operator.id, period) and not await _holiday(
        session, operator.id, period
    )


async def _run_made(session: AsyncSession, operator_id: int, period: date) -> bool:
    return (
        await session.execute(
            select(MonthlyRun.id).where(
                MonthlyRun.operator_id == operator_id,
                MonthlyRun.period == period,
                MonthlyRun.status.in_(MADE_RUNS),
            )
        )
    ).first() is not None


async def _holiday(session: AsyncSession, operator_id: int, period: date) -> bool:
    return (
        await session.execute(
            select(HolidayMonth.month).where(
                HolidayMonth.operator_id == operator_id, HolidayMonth.month == period
            )
        )
    ).first() is not None


async def _open_enrollments(
    session: AsyncSession, operator_id: int, child_id: int, month: date
) -> list[Enrollment]:
    rows = await session.execute(
        select(Enrollment)
        .where(
            Enrollment.operator_id == operator_id,
            Enrollment.child_id == child_id,
            or_(Enrollment.end_month.is_(None), Enrollment.end_month >= month),
        )
        .order_by(Enrollment.id)
        .with_for_update()
    )
    return list(rows.scalars())


@dataclass(frozen=True)
class ChildLeft:
    """A child's routes ended: the last day ridden, and a credit for a month billed in full."""

    child_name: str
    last_day: date
    routes: tuple[str, ...]
    credit_sen: int
    credit_note: str | None


async def _billed_for(
    session: AsyncSession, operator_id: int, customer_id: int, child_id: int, period: date
) -> dict[int, int]:
    """Return what the family's invoice for period billed per route of this child."""
    rows = await session.execute(
        select(InvoiceItem.service_id, InvoiceItem.amount_sen)
        .join(
            Invoice,
            and_(
                Invoice.operator_id == InvoiceItem.operator_id,
                Invoice.id == InvoiceItem.invoice_id,
            ),
        )
        .where(
            Invoice.operator_id == operator_id,
            Invoice.customer_id == customer_id,
            Invoice.period == period,
            Invoice.status != "void",
            InvoiceItem.child_id == child_id,
        )
    )
    billed: dict[int, int] = {}
    for service_id, amount in rows:
        if service_id is not None:
            billed[service_id] = billed.get(service_id, 0) + int(amount)
    return billed


@retried
async def child_leaves(
    db: Database,
    operator_id: int,
    child_id: int,
    clock: Clock,
    actor: audit.Actor,
    *,
    last_day: date,
    rule: str = proration.FULL,
) -> ChildLeft:
    """End a child's routes with last_day (history kept); that month is billed by rule.

    A month already invoiced in full and now billed for less gives the family a credit note for
    the difference.
    """
    proration.check_rule(rule)
    async with db.sessions.begin() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        if last_day < month_start(today):
            raise InvalidInput("child.leave_past")
        child = await _child(session, operator_id, child_id)
        customer = await _live_family(session, operator_id, child.customer_id)
        month = month_start(last_day)
        whole = last_day == proration.month_end(month)
        taken = await _open_enrollments(session, operator_id, child_id, month)
        if not taken:
            raise Conflict("child.no_route_after", name=child.name, month=month)
        billed = await _billed_for(session, operator_id, customer.id, child_id, month)
        names, credit = [], 0
        for row in taken:
            if row.start_month > month:
                await session.delete(row)  # a route that had not started yet
                continue
            row.end_month = month
            if not whole:
                row.left_on, row.leave_billing = last_day, rule
            if row.service_id in billed:
                fee, _ = part_month_fee(
                    await _fee(session, operator_id, row, month),
                    month,
                    row.start_month,
                    row.end_month,
                    row.joined_on,
                    row.join_billing,
                    row.left_on,
                    row.leave_billing,
                )
                credit += max(0, billed[row.service_id] - fee)
            names.append(await _route_name(session, row.service_id))
        await session.flush()
        note = None
        if credit:
            description = f"{child.name} left on {last_day.isoformat()}: {month_label(month)}"
            _, note = await adjustments.credit_note_in(
                session,
                db.dialect,
                operator,
                customer.id,
                clock,
                amount_sen=credit,
                description=description,
            )
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action="child.leave",
            entity="child",
            entity_id=child_id,
            customer_id=customer.id,
            before={"routes": names},
            after={"routes": [], "last_day": last_day, "billing": rule, "credit_sen": credit},
        )
        return ChildLeft(child.name, last_day, tuple(names), credit, note)


async def _route_name(session: AsyncSession, service_id: int) -> str:
    return (
        await session.execute(select(Service.name).where(Service.id == service_id))
    ).scalar_one()


async def _fee(session: AsyncSession, operator_id: int, row: Enrollment, month: date) -> int:
    if row.fee_override_sen is not None:
        return row.fee_override_sen
    return await _route_fee(session, operator_id, row.service_id, month)


async def _route_fee(session: AsyncSession, operator_id: int, service_id: int, month: date) -> int:
    """Return a route's fee in force in month (one of the operator's routes, or NotFound)."""
    base = (
        await session.execute(
            select(Service.monthly_fee_sen).where(
                Service.operator_id == operator_id, Service.id == service_id
            )
        )
    ).scalar_one_or_none()
    if base is None:
        raise NotFound("route.not_found")
    changes = (
        await session.execute(
            select(ServiceFee.effective_from, ServiceFee.fee_sen).where(
                ServiceFee.operator_id == operator_id, ServiceFee.service_id == service_id
            )
        )
    ).all()
    return fee_in_force(base, [(c[0], c[1]) for c in changes], month)


@dataclass(frozen=True)
class ChildMoved:
    """A child moved from one route to another from a month."""

    child_name: str
    old_route: str
    new_route: str
    from_month: date


@retried
async def move_child(
    db: Database,
    operator_id: int,
    child_id: int,
    clock: Clock,
    actor: audit.Actor,
    *,
    enrollment_id: int,
    route_id: int,
    from_month: date,
) -> ChildMoved:
    """Move a child from one of their routes to another from a month (the old one kept)."""
    month = month_start(from_month)
    async with db.sessions.begin() as session:
        operator = await load_operator(session, operator_id)
        if month < month_start(local_today(clock, operator.timezone)):
            raise InvalidInput("route.change_past")
        child = await _child(session, operator_id, child_id)
        await _live_family(session, operator_id, child.customer_id)
        old = next(
            (
                e
                for e in await _open_enrollments(session, operator_id, child_id, month)
                if e.id == enrollment_id
            ),
            None,
        )
        if old is None:
            raise NotFound("child.route_not_found")
        if old.service_id == route_id:
            raise Conflict("child.takes_route", name=child.name)
        old_name = await _route_name(session, old.service_id)
        if old.start_month >= month:
            await session.delete(old)  # not ridden yet: nothing to keep
        else:
            old.end_month = add_months(month, -1)
        await session.flush()
        new = await routes.add_enrollment(
            session,
            operator_id,
            clock,
            child_id=child_id,
            service_id=route_id,
            start_month=month,
            end_month=old.end_month if old.start_month >= month else None,
        )
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action="child.move",
            entity="child",
            entity_id=child_id,
            customer_id=child.customer_id,
            before={"route": old_name},
            after={"route": new.service_name, "from": month},
        )
        return ChildMoved(child.name, old_name, new.service_name, month)


# -- a month billed now, for a family (or a child) added after its run ---------------------


@dataclass(frozen=True)
class UnbilledMonth:
    """This month's routes of a family, added after the month's run: what each choice bills."""

    customer_id: int
    period: date
    joined_on: date
    figures: dict[str, int]  # rule -> total billed now
    own_invoice: bool  # the month's invoice exists already: the new routes get one of their own

    @property
    def next_month(self) -> date:
        """Return the month billing starts from when this one is not billed."""
        return add_months(self.period, 1)


async def _undecided(
    session: AsyncSession, operator: Operator, customer_id: int, period: date
) -> list[Enrollment]:
    """Return the family's routes starting this month and not billed, once the run was made."""
    if not await _run_made(session, operator.id, period):
        return []  # the run has not been made: it bills the family itself
    if await _holiday(session, operator.id, period):
        return []
    rows = await session.execute(
        select(Enrollment)
        .join(
            Child,
            and_(Child.operator_id == Enrollment.operator_id, Child.id == Enrollment.child_id),
        )
        .join(
            Service,
            and_(
                Service.operator_id == Enrollment.operator_id, Service.id == Enrollment.service_id
            ),
        )
        .where(
            Enrollment.operator_id == operator.id,
            Child.customer_id == customer_id,
            Enrollment.start_month == period,
            Enrollment.join_billing.is_(None),
            Service.active.is_(True),
            ~exists().where(
                InvoiceItem.operator_id == operator.id,
                InvoiceItem.child_id == Enrollment.child_id,
                InvoiceItem.service_id == Enrollment.service_id,
                Invoice.operator_id == operator.id,
                Invoice.id == InvoiceItem.invoice_id,
                Invoice.period == period,
                Invoice.status != "void",
            ),
        )
        .order_by(Enrollment.id)
    )
    return list(rows.scalars())


async def _month_invoice(
    session: AsyncSession, operator_id: int, customer_id: int, period: date
) -> int | None:
    return (
        await session.execute(
            select(Invoice.id).where(
                Invoice.operator_id == operator_id,
                Invoice.customer_id == customer_id,
                Invoice.period == period,
                Invoice.status != "void",
            )
        )
    ).scalar_one_or_none()


async def _own_lines(
    session: AsyncSession,
    operator: Operator,
    period: date,
    taken: Sequence[Enrollment],
    joined_on: date,
    rule: str,
    billed_invoice_id: int,
) -> tuple[list[NewLine], int]:
    """Return the lines of an invoice of its own for routes added to a month billed already,
    and the sibling discount due on them (the monthly run's rule, services/billing.py)."""
    lines, added = [], []
    for row in taken:
        part = (period, row.start_month, row.end_month, joined_on, rule)
        fee, note = part_month_fee(
            await _fee(session, operator.id, row, period), *part, row.left_on, row.leave_billing
        )
        if fee:
            child = await _child(session, operator.id, row.child_id)
            route = await _route_name(session, row.service_id)
            days = part_days(*part, row.left_on, row.leave_billing)
            lines.append(
                NewLine(
                    description=f"{route} — {month_label(period)} ({note})",
                    unit_price_sen=fee,
                    child_id=child.id,
                    service_id=row.service_id,
                    period=period,
                    route_name=route[:100],
                    part_from=days.first if days else None,
                    part_to=days.last if days else None,
                    part_rule=days.rule if days else None,
                )
            )
            added.append(ChildFee(child.id, child.name, row.service_id, route, fee, note))
    billed = [
        ChildFee(child_id, "", service_id, "", amount)
        for child_id, service_id, amount in await session.execute(
            select(InvoiceItem.child_id, InvoiceItem.service_id, InvoiceItem.amount_sen).where(
                InvoiceItem.operator_id == operator.id,
                InvoiceItem.invoice_id == billed_invoice_id,
                InvoiceItem.child_id.is_not(None),
                InvoiceItem.service_id.is_not(None),
            )
        )
    ]
    return lines, added_sibling_discount(billed, added, operator.sibling_discount_bp)


async def _figures(
    session: AsyncSession,
    operator: Operator,
    customer_id: int,
    period: date,
    taken: Sequence[Enrollment],
    joined_on: date,
    own_invoice: int | None,
) -> dict[str, int]:
    figures = {}
    for rule in proration.RULES:
        if own_invoice is not None:
            lines, discount = await _own_lines(
                session, operator, period, taken, joined_on, rule, own_invoice
            )
            figures[rule] = sum(line.amount_sen for line in lines) - discount
            continue
        plan = await plan_in(
            session, operator, period, customer_id, {row.id: (joined_on, rule) for row in taken}
        )
        figures[rule] = sum(f.bill.total_sen for f in plan.families)
    return figures


async def unbilled_month(
    db: Database, operator_id: int, customer_id: int, clock: Clock
) -> UnbilledMonth | None:
    """Return the offer to bill this month now, when routes were added after its run."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        period = month_start(today)
        taken = await _undecided(session, operator, customer_id, period)
        if not taken:
            return None
        own = await _month_invoice(session, operator_id, customer_id, period)
        figures = await _figures(session, operator, customer_id, period, taken, today, own)
        return UnbilledMonth(customer_id, period, today, figures, own is not None)


@dataclass(frozen=True)
class BilledNow:
    """What bill_month_now did: the invoice made (if any) and its total, or from next month."""

    period: date
    rule: str
    invoice_id: int | None
    total_sen: int


@retried
async def bill_month_now(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    actor: audit.Actor,
    *,
    rule: str,
) -> BilledNow:
    """Bill this month's routes added after its run by rule, or start them next month."""
    if rule != NEXT_MONTH:
        proration.check_rule(rule)
    async with db.sessions.begin() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        period = month_start(today)
        # Lock order everywhere: the number counter first, then the family.
        await take_numbers(session, db.dialect, operator, today.year, 0)
        await _live_family(session, operator_id, customer_id)
        taken = await _undecided(session, operator, customer_id, period)
        if not taken:
            raise Conflict("family.nothing_to_bill", month=period)
        existing = await _month_invoice(session, operator_id, customer_id, period)
        invoice_id, total = None, 0
        if rule == NEXT_MONTH:
            for row in taken:
                row.start_month = add_months(period, 1)
                if row.end_month is not None and row.end_month < row.start_month:
                    await session.delete(row)
            await session.flush()
        elif existing is not None:
            lines, discount = await _own_lines(
                session, operator, period, taken, today, rule, existing
            )
            for row in taken:
                row.joined_on, row.join_billing = today, rule
            await session.flush()
            if lines:
                invoice_id = await adjustments.issue_invoice_in(
                    session,
                    db.dialect,
                    operator,
                    customer_id,
                    clock,
                    lines,
                    description=f"School transport — {month_label(period)}",
                    discount_sen=discount,
                )
                total = sum(line.amount_sen for line in lines) - discount
        else:
            for row in taken:
                row.joined_on, row.join_billing = today, rule
            await session.flush()
            report = await generate_in(
                session,
                db.dialect,
                operator_id,
                period,
                clock,
                deliver=True,
                customer_id=customer_id,
            )
            invoice_id = report.invoice_ids[0] if report.invoice_ids else None
            total = report.total_sen
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action="family.bill_month",
            entity="customer",
            entity_id=customer_id,
            customer_id=customer_id,
            after={"period": period, "rule": rule, "invoice_id": invoice_id, "total_sen": total},
        )
        return BilledNow(period, rule, invoice_id, total)


async def leave_figures(
    db: Database, operator_id: int, child_id: int, clock: Clock
) -> dict[str, int]:
    """Return what this month costs for a child leaving today, under each rule (a preview)."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        month = month_start(today)
        child = await _child(session, operator_id, child_id)
        rows = (
            await session.execute(
                select(Enrollment).where(
                    Enrollment.operator_id == operator_id,
                    Enrollment.child_id == child.id,
                    Enrollment.start_month <= month,
                    or_(Enrollment.end_month.is_(None), Enrollment.end_month >= month),
                )
            )
        ).scalars()
        taken = [(row, await _fee(session, operator_id, row, month)) for row in rows]
        return {
            rule: sum(
                part_month_fee(
                    fee,
                    month,
                    row.start_month,
                    month,
                    row.joined_on,
                    row.join_billing,
                    today,
                    rule,
                )[0]
                for row, fee in taken
            )
            for rule in proration.RULES
        }


async def find_child(
    db: Database, operator_id: int, child_id: int
) -> tuple[CustomerView, ChildView] | None:
    """Return (family, child) of one of the operator's children, or None."""
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(Child).where(Child.operator_id == operator_id, Child.id == child_id)
            )
        ).scalar_one_or_none()
        if row is None:
            return None
        family = await load_customer(session, operator_id, row.customer_id)
        return family, next(c for c in family.children if c.id == child_id)
