"""Routes and plans (the operator's services), their fees over time, and enrollments."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services.clock import Clock
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.models import Child, Enrollment, Service, ServiceFee
from vanbill.services.money import check_amount
from vanbill.services.text import clean_text
from vanbill.services.views import EnrollmentView, ServiceView


def _service_view(row: Service) -> ServiceView:
    return ServiceView(
        id=row.id,
        name=row.name,
        description=row.description,
        monthly_fee_sen=row.monthly_fee_sen,
        active=row.active,
    )


def fee_in_force(base_fee_sen: int, changes: Sequence[tuple[date, int]], month: date) -> int:
    """Return a service's fee for month: the latest change on or before it, else the base fee."""
    fee = base_fee_sen
    for effective_from, changed_fee in sorted(changes):
        if effective_from <= month:
            fee = changed_fee
    return fee


@retried
async def add_service(
    db: Database,
    operator_id: int,
    clock: Clock,
    *,
    name: str,
    monthly_fee_sen: int,
    description: str = "",
) -> ServiceView:
    """Add a route or plan with its monthly fee."""
    row = Service(
        operator_id=operator_id,
        name=clean_text(name, "route_name", limit=100),
        description=clean_text(description, "description", limit=500, required=False),
        monthly_fee_sen=check_amount(monthly_fee_sen, what="monthly_fee", allow_zero=True),
        created_at=clock.now(),
    )
    try:
        async with db.sessions.begin() as session:
            session.add(row)
            await session.flush()
            return _service_view(row)
    except IntegrityError as exc:
        raise Conflict("route.exists", name=row.name) from exc


@retried
async def add_services(
    db: Database, operator_id: int, clock: Clock, wanted: Sequence[tuple[str, int]]
) -> list[ServiceView]:
    """Add several routes with their monthly fees at once: all of them, or none."""
    rows = [
        Service(
            operator_id=operator_id,
            name=clean_text(name, "route_name", limit=100),
            monthly_fee_sen=check_amount(fee, what="monthly_fee", allow_zero=True),
            created_at=clock.now(),
        )
        for name, fee in wanted
    ]
    names = [row.name.lower() for row in rows]
    if len(set(names)) != len(names):
        raise Conflict("route.names_twice")
    try:
        async with db.sessions.begin() as session:
            session.add_all(rows)
            await session.flush()
            return [_service_view(row) for row in rows]
    except IntegrityError as exc:
        raise Conflict("route.exists_one_of") from exc


async def _service_row(session, operator_id: int, service_id: int) -> Service:  # type: ignore[no-untyped-def]
    row = (
        await session.execute(
            select(Service).where(Service.operator_id == operator_id, Service.id == service_id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("route.not_found")
    return row


@retried
async def update_service(
    db: Database,
    operator_id: int,
    service_id: int,
    *,
    name: str | None = None,
    description: str | None = None,
    active: bool | None = None,
) -> ServiceView:
    """Rename, describe, deactivate or reactivate a route (fees change with change_fee)."""
    try:
        async with db.sessions.begin() as session:
            row = await _service_row(session, operator_id, service_id)
            if name is not None:
                row.name = clean_text(name, "route_name", limit=100)
            if description is not None:
                row.description = clean_text(description, "description", limit=500, required=False)
            if active is not None:
                row.active = active
            await session.flush()
            return _service_view(row)
    except IntegrityError as exc:
        raise Conflict("route.exists", name=name) from exc


@retried
async def change_fee(
    db: Database,
    operator_id: int,
    service_id: int,
    clock: Clock,
    *,
    from_month: date,
    fee_sen: int,
) -> None:
    """Set a route's fee from a month on; months before keep the fee they had."""
    check_amount(fee_sen, what="monthly_fee", allow_zero=True)
    month = from_month.replace(day=1)
    async with db.sessions.begin() as session:
        await _service_row(session, operator_id, service_id)
        existing = (
            await session.execute(
                select(ServiceFee).where(
                    ServiceFee.service_id == service_id, ServiceFee.effective_from == month
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            existing.fee_sen = fee_sen
        else:
            session.add(
                ServiceFee(
                    operator_id=operator_id,
                    service_id=service_id,
                    effective_from=month,
                    fee_sen=fee_sen,
                    created_at=clock.now(),
                )
            )


async def service_fee_for(db: Database, operator_id: int, service_id: int, month: date) -> int:
    """Return the route's fee in force for month."""
    async with db.sessions() as session:
        row = await _service_row(session, operator_id, service_id)
        changes = (
            await session.execute(
                select(ServiceFee.effective_from, ServiceFee.fee_sen).where(
                    ServiceFee.operator_id == operator_id, ServiceFee.service_id == service_id
                )
            )
        ).all()
        return fee_in_force(row.monthly_fee_sen, [(c[0], c[1]) for c in changes], month)


async def list_services(
    db: Database, operator_id: int, *, include_inactive: bool = False
) -> list[ServiceView]:
    """Return the operator's routes by name."""
    conditions = [Service.operator_id == operator_id]
    if not include_inactive:
        conditions.append(Service.active.is_(True))
    async with db.sessions() as session:
        rows = (
            await session.execute(select(Service).where(*conditions).order_by(Service.name))
        ).scalars()
        return [_service_view(r) for r in rows]


async def get_service(db: Database, operator_id: int, service_id: int) -> ServiceView:
    """Return one of the operator's routes, or raise NotFound."""
    async with db.sessions() as session:
        return _service_view(await _service_row(session, operator_id, service_id))


@retried
async def enroll(
    db: Database,
    operator_id: int,
    clock: Clock,
    *,
    child_id: int,
    service_id: int,
    start_month: date,
    end_month: date | None = None,
    fee_override_sen: int | None = None,
) -> EnrollmentView:
    """Put a child on a route from a month (optionally until a month, at a special fee)."""
    async with db.sessions.begin() as session:
        return await add_enrollment(
            session,
            operator_id,
            clock,
            child_id=child_id,
            service_id=service_id,
            start_month=start_month,
            end_month=end_month,
            fee_override_sen=fee_override_sen,
        )


async def add_enrollment(
    session: AsyncSession,
    operator_id: int,
    clock: Clock,
    *,
    child_id: int,
    service_id: int,
    start_month: date,
    end_month: date | None = None,
    fee_override_sen: int | None = None,
    joined_on: date | None = None,
    join_billing: str | None = None,
) -> EnrollmentView:
    """Check and write an enrollment inside the caller's transaction (see enroll); joined_on
    and join_billing say how its first month is billed when the child joins in its middle."""
    start = start_month.replace(day=1)
    end = end_month.replace(day=1) if end_month else None
    if end is not None and end < start:
        raise InvalidInput("enrolment.end_before_start")
    if fee_override_sen is not None:
        check_amount(fee_override_sen, what="special_fee", allow_zero=True)
    child = (
        await session.execute(
            select(Child).where(Child.operator_id == operator_id, Child.id == child_id)
        )
    ).scalar_one_or_none()
    if child is None:
        raise NotFound("child.not_found")
    service = await _service_row(session, operator_id, service_id)
    if not service.active:
        raise Conflict("route.inactive", name=service.name)
    overlapping = (
        await session.execute(
            select(Enrollment.id).where(
                Enrollment.operator_id == operator_id,
                Enrollment.child_id == child_id,
                Enrollment.service_id == service_id,
                or_(Enrollment.end_month.is_(None), Enrollment.end_month >= start),
                Enrollment.start_month <= (end or date.max),
            )
        )
    ).first()
    if overlapping is not None:
        raise Conflict("enrolment.overlap", child=child.name, route=service.name)
    row = Enrollment(
        operator_id=operator_id,
        child_id=child_id,
        service_id=service_id,
        start_month=start,
        end_month=end,
        fee_override_sen=fee_override_sen,
        joined_on=joined_on,
        join_billing=join_billing,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return EnrollmentView(
        id=row.id,
        child_id=child.id,
        child_name=child.name,
        service_id=service.id,
        service_name=service.name,
        start_month=start,
        end_month=end,
        fee_override_sen=fee_override_sen,
    )


@retried
async def end_enrollment(
    db: Database, operator_id: int, enrollment_id: int, *, last_month: date
) -> None:
    """Stop a child's route after last_month (inclusive)."""
    last = last_month.replace(day=1)
    async with db.sessions.begin() as session:
        row = (
            await session.execute(
                select(Enrollment).where(
                    Enrollment.operator_id == operator_id, Enrollment.id == enrollment_id
                )
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("child.route_not_found")
        if last < row.start_month:
            raise InvalidInput("enrolment.end_before_route")
        await session.execute(
            update(Enrollment).where(Enrollment.id == enrollment_id).values(end_month=last)
        )


async def list_enrollments(
    db: Database, operator_id: int, customer_id: int, *, month: date | None = None
) -> list[EnrollmentView]:
    """Return a family's routes (only those active in month, when given)."""
    conditions = [Enrollment.operator_id == operator_id, Child.customer_id == customer_id]
    if month is not None:
        m = month.replace(day=1)
        conditions += [
            Enrollment.start_month <= m,
            or_(Enrollment.end_month.is_(None), Enrollment.end_month >= m),
        ]
    async with db.sessions() as session:
        rows = await session.execute(
            select(Enrollment, Child.name, Service.name)
            .join(
                Child,
                and_(Child.operator_id == Enrollment.operator_id, Child.id == Enrollment.child_id),
            )
            .join(
                Service,
                and_(
                    Service.operator_id == Enrollment.operator_id,
                    Service.id == Enrollment.service_id,
                ),
            )
            .where(*conditions)
            .order_by(Child.id, Service.name, Enrollment.start_month)
        )
        return [
            EnrollmentView(
                id=e.id,
                child_id=e.child_id,
                child_name=child_name,
                service_id=e.service_id,
                service_name=service_name,
                start_month=e.start_month,
                end_month=e.end_month,
                fee_override_sen=e.fee_override_sen,
            )
            for e, child_name, service_name in rows
        ]
