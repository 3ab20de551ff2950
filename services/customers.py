"""Families (customers) and their children, always within one operator."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import routes
from vanbill.services.billing import OPEN_STATUSES
from vanbill.services.clock import DEFAULT_TIMEZONE, Clock, local_today
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound, VanBillError
from vanbill.services.models import (
    Child,
    Customer,
    Invoice,
    InvoiceItem,
    Operator,
    Payment,
    PaymentAllocation,
)
from vanbill.services.periods import month_start
from vanbill.services.phones import normalise_phone
from vanbill.services.text import clean_text
from vanbill.services.views import CHILD_CATEGORIES, ChildView, CustomerBalance, CustomerView, Page

MAX_PAGE_SIZE = 50


def _child_view(row: Child) -> ChildView:
    return ChildView(
        id=row.id,
        customer_id=row.customer_id,
        name=row.name,
        category=row.category,
        birth_year=row.birth_year,
        school=row.school,
    )


def _customer_view(row: Customer, children: list[Child]) -> CustomerView:
    return CustomerView(
        id=row.id,
        name=row.name,
        phone=row.phone,
        telegram_user_id=row.telegram_user_id,
        telegram_chat_id=row.telegram_chat_id,
        notes=row.notes,
        archived=row.archived,
        reminders_paused=row.reminders_paused,
        children=tuple(_child_view(c) for c in children),
        language=row.language,
    )


async def lock_customer(session: AsyncSession, operator_id: int, customer_id: int) -> Customer:
    """Return the operator's customer row locked for this transaction, or raise NotFound."""
    row = (
        await session.execute(
            select(Customer)
            .where(Customer.operator_id == operator_id, Customer.id == customer_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("family.not_found")
    return row


async def load_customer(session: AsyncSession, operator_id: int, customer_id: int) -> CustomerView:
    """Return the operator's customer with its children, inside an open session."""
    row = (
        await session.execute(
            select(Customer).where(Customer.operator_id == operator_id, Customer.id == customer_id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("family.not_found")
    children = (
        await session.execute(
            select(Child)
            .where(Child.operator_id == operator_id, Child.customer_id == customer_id)
            .order_by(Child.id)
        )
    ).scalars()
    return _customer_view(row, list(children))


def _check_category(category: str) -> str:
    value = (category or "").strip().lower()
    if value not in CHILD_CATEGORIES:
        raise InvalidInput("child.category", choices=", ".join(CHILD_CATEGORIES))
    return value


async def _local_today(session: AsyncSession, operator_id: int, clock: Clock) -> date:
    tz = (
        await session.execute(select(Operator.timezone).where(Operator.id == operator_id))
    ).scalar_one_or_none()
    return local_today(clock, tz or DEFAULT_TIMEZONE)


def _check_birth_year(birth_year: int | None, today: date) -> int | None:
    if birth_year is None:
        return None
    if not today.year - 25 <= birth_year <= today.year:
        raise InvalidInput("child.birth_year", first=today.year - 25, last=today.year)
    return birth_year


def _customer_row(
    operator_id: int, clock: Clock, name: str, phone: str | None, notes: str
) -> Customer:
    return Customer(
        operator_id=operator_id,
        name=clean_text(name, "parent_name", limit=200),
        phone=normalise_phone(phone) if phone else None,
        notes=clean_text(notes, "note", limit=1000, required=False),
        created_at=clock.now(),
    )


def _child_row(
    operator_id: int,
    customer_id: int,
    clock: Clock,
    today: date,
    *,
    name: str,
    category: str,
    birth_year: int | None,
    school: str,
) -> Child:
    return Child(
        operator_id=operator_id,
        customer_id=customer_id,
        name=clean_text(name, "child_name", limit=200),
        category=_check_category(category),
        birth_year=_check_birth_year(birth_year, today),
        school=clean_text(school, "school", limit=200, required=False),
        created_at=clock.now(),
    )


@retried
async def add_customer(
    db: Database,
    operator_id: int,
    clock: Clock,
    *,
    name: str,
    phone: str | None = None,
    notes: str = "",
) -> CustomerView:
    """Add a family (the parent who pays); return it."""
    row = _customer_row(operator_id, clock, name, phone, notes)
    async with db.sessions.begin() as session:
        session.add(row)
        await session.flush()
        return _customer_view(row, [])


@dataclass(frozen=True)
class NewChild:
    """A child to add with a new family, and the routes they take from the first month."""

    name: str
    category: str = "primary"
    birth_year: int | None = None
    school: str = ""
    route_ids: tuple[int, ...] = ()


@dataclass(frozen=True)
class FamilyAdded:
    """What add_family wrote: the family with its children, each child's routes, from when."""

    customer: CustomerView
    start_month: date
    routes: tuple[tuple[str, ...], ...]  # route names, a tuple per child in customer.children


@retried
async def add_family(
    db: Database,
    operator_id: int,
    clock: Clock,
    *,
    name: str,
    phone: str | None = None,
    notes: str = "",
    children: Sequence[NewChild] = (),
) -> FamilyAdded:
    """Add a family, its children and their routes from this month, in one transaction.

    A refusal anywhere (a child's details, a route switched off meanwhile) leaves nothing
    written; its message names the child.
    """
    customer = _customer_row(operator_id, clock, name, phone, notes)
    async with db.sessions.begin() as session:
        today = await _local_today(session, operator_id, clock)
        start = month_start(today)
        session.add(customer)
        await session.flush()
        added: list[Child] = []
        taken: list[tuple[str, ...]] = []
        for wanted in children:
            try:
                child = _child_row(
                    operator_id,
                    customer.id,
                    clock,
                    today,
                    name=wanted.name,
                    category=wanted.category,
                    birth_year=wanted.birth_year,
                    school=wanted.school,
                )
                session.add(child)
                await session.flush()
                names = []
                for route_id in dict.fromkeys(wanted.route_ids):
                    enrolment = await routes.add_enrollment(
                        session,
                        operator_id,
                        clock,
                        child_id=child.id,
                        service_id=route_id,
                        start_month=start,
                    )
                    names.append(enrolment.service_name)
            except VanBillError as error:
                raise type(error)(
                    "child.refused", name=(wanted.name or "").strip(), reason=error
                ) from error
            added.append(child)
            taken.append(tuple(names))
        return FamilyAdded(_customer_view(customer, added), start, tuple(taken))


@retried
async def update_customer(
    db: Database,
    operator_id: int,
    customer_id: int,
    *,
    name: str | None = None,
    phone: str | None = None,
    notes: str | None = None,
) -> CustomerView:
    """Change a family's name, phone or notes (an empty phone removes it)."""
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = clean_text(name, "parent_name", limit=200)
    if phone is not None:
        values["phone"] = normalise_phone(phone) if phone.strip() else None
    if notes is not None:
        values["notes"] = clean_text(notes, "note", limit=1000, required=False)
    async with db.sessions.begin() as session:
        await lock_customer(session, operator_id, customer_id)
        if values:
            await session.execute(
                update(Customer)
                .where(Customer.operator_id == operator_id, Customer.id == customer_id)
                .values(**values)
            )
        return await load_customer(session, operator_id, customer_id)


@retried
async def _set_flag(
    db: Database, operator_id: int, customer_id: int, **flag: bool
) -> CustomerView:
    async with db.sessions.begin() as session:
        result = await session.execute(
            update(Customer)
            .where(Customer.operator_id == operator_id, Customer.id == customer_id)
            .values(**flag)
        )
        if result.rowcount == 0:
            raise NotFound("family.not_found")
        return await load_customer(session, operator_id, customer_id)


async def set_archived(
    db: Database, operator_id: int, customer_id: int, archived: bool = True
) -> CustomerView:
    """Archive a family (no more monthly invoices) or bring it back."""
    return await _set_flag(db, operator_id, customer_id, archived=archived)


async def set_reminders_paused(
    db: Database, operator_id: int, customer_id: int, paused: bool = True
) -> CustomerView:
    """Pause or resume payment reminders for a family."""
    return await _set_flag(db, operator_id, customer_id, reminders_paused=paused)


async def get_customer(db: Database, operator_id: int, customer_id: int) -> CustomerView:
    """Return one of the operator's families with its children, or raise NotFound."""
    async with db.sessions() as session:
        return await load_customer(session, operator_id, customer_id)


def _like(fragment: str) -> str:
    escaped = fragment.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def find_customers(
    db: Database,
    operator_id: int,
    query: str,
    *,
    limit: int = 10,
    include_archived: bool = False,
) -> list[CustomerView]:
    """Find families by a fragment of the parent's or a child's name, or by phone number."""
    text = clean_text(query, "search", limit=100)
    conditions = [Customer.operator_id == operator_id]
    if not include_archived:
        conditions.append(Customer.archived.is_(False))
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 6 and len(digits) >= len(text.replace(" ", "")) - 3:
        try:
            phone = normalise_phone(text)
        except InvalidInput:
            phone = None
        matches = [Customer.phone.like(_like(digits), escape="\\")]
        if phone:
            matches.append(Customer.phone == phone)
        conditions.append(or_(*matches))
    else:
        child_match = (
            select(Child.customer_id)
            .where(Child.operator_id == operator_id, Child.name.like(_like(text), escape="\\"))
            .scalar_subquery()
        )
        conditions.append(
            or_(Customer.name.like(_like(text), escape="\\"), Customer.id.in_(child_match))
        )
    async with db.sessions() as session:
        rows = (
            await session.execute(
                select(Customer).where(and_(*conditions)).order_by(Customer.name).limit(limit)
            )
        ).scalars()
        ids = [r.id for r in rows]
        return [await load_customer(session, operator_id, cid) for cid in ids]


def balances_query(operator_id: int) -> tuple[Select, Select, Select]:
    """Return per-customer subqueries: owed on open invoices, count unpaid, and credit."""
    owed = (
        select(
            Invoice.customer_id.label("customer_id"),
            func.sum(Invoice.total_sen - Invoice.paid_sen).label("owed"),
            func.count().label("unpaid"),
        )
        .where(Invoice.operator_id == operator_id, Invoice.status.in_(OPEN_STATUSES))
        .group_by(Invoice.customer_id)
    )
    allocated = (
        select(
            PaymentAllocation.payment_id.label("payment_id"),
            func.sum(PaymentAllocation.amount_sen).label("allocated"),
        )
        .where(PaymentAllocation.operator_id == operator_id)
        .group_by(PaymentAllocation.payment_id)
        .subquery()
    )
    credit = (
        select(
            Payment.customer_id.label("customer_id"),
            func.sum(Payment.amount_sen - func.coalesce(allocated.c.allocated, 0)).label("credit"),
        )
        .outerjoin(allocated, allocated.c.payment_id == Payment.id)
        .where(Payment.operator_id == operator_id, Payment.voided.is_(False))
        .group_by(Payment.customer_id)
    )
    return owed, credit, allocated


async def list_customers(
    db: Database,
    operator_id: int,
    *,
    page: int = 1,
    page_size: int = 10,
    include_archived: bool = False,
) -> Page[CustomerBalance]:
    """Return one page of families, by name, each with its current balance."""
    page_size = max(1, min(page_size, MAX_PAGE_SIZE))
    page = max(1, page)
    owed_q, credit_q, _ = balances_query(operator_id)
    owed = owed_q.subquery()
    credit = credit_q.subquery()
    conditions = [Customer.operator_id == operator_id]
    if not include_archived:
        conditions.append(Customer.archived.is_(False))
    async with db.sessions() as session:
        total = (
            await session.execute(select(func.count()).select_from(Customer).where(*conditions))
        ).scalar_one()
        rows = await session.execute(
            select(
                Customer.id,
                Customer.name,
                Customer.phone,
                Customer.telegram_chat_id,
                Customer.archived,
                func.coalesce(owed.c.owed, 0),
                func.coalesce(owed.c.unpaid, 0),
                func.coalesce(credit.c.credit, 0),
            )
            .outerjoin(owed, owed.c.customer_id == Customer.id)
            .outerjoin(credit, credit.c.customer_id == Customer.id)
            .where(*conditions)
            .order_by(Customer.name, Customer.id)
            .limit(page_size)
            .offset((page - 1) * page_size)
        )
        items = tuple(
            CustomerBalance(
                id=r[0],
                name=r[1],
                phone=r[2],
                linked=r[3] is not None,
                archived=bool(r[4]),
                balance_sen=int(r[5]) - int(r[7]),
                unpaid_invoices=int(r[6]),
            )
            for r in rows
        )
    return Page(items=items, page=page, page_size=page_size, total=int(total))


@retried
async def add_child(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    *,
    name: str,
    category: str = "primary",
    birth_year: int | None = None,
    school: str = "",
) -> ChildView:
    """Add a child to a family; return it."""
    async with db.sessions.begin() as session:
        await lock_customer(session, operator_id, customer_id)
        row = _child_row(
            operator_id,
            customer_id,
            clock,
            await _local_today(session, operator_id, clock),
            name=name,
            category=category,
            birth_year=birth_year,
            school=school,
        )
        session.add(row)
        await session.flush()
        return _child_view(row)


@retried
async def update_child(
    db: Database,
    operator_id: int,
    child_id: int,
    clock: Clock,
    *,
    name: str | None = None,
    category: str | None = None,
    birth_year: int | None = None,
    school: str | None = None,
) -> ChildView:
    """Change a child's details."""
    values: dict[str, object] = {}
    if name is not None:
        values["name"] = clean_text(name, "child_name", limit=200)
    if category is not None:
        values["category"] = _check_category(category)
    if school is not None:
        values["school"] = clean_text(school, "school", limit=200, required=False)
    async with db.sessions.begin() as session:
        if birth_year is not None:
            values["birth_year"] = _check_birth_year(
                birth_year, await _local_today(session, operator_id, clock)
            )
        row = (
            await session.execute(
                select(Child).where(Child.operator_id == operator_id, Child.id == child_id)
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("child.not_found")
        for key, value in values.items():
            setattr(row, key, value)
        await session.flush()
        return _child_view(row)


@retried
async def remove_child(db: Database, operator_id: int, child_id: int) -> None:
    """Remove a child entered by mistake, with their routes; one already billed stays."""
    async with db.sessions.begin() as session:
        billed = (
            await session.execute(
                select(func.count())
                .select_from(InvoiceItem)
                .where(InvoiceItem.operator_id == operator_id, InvoiceItem.child_id == child_id)
            )
        ).scalar_one()
        if billed:
            raise Conflict("child.on_invoices")
        result = await session.execute(
            delete(Child).where(Child.operator_id == operator_id, Child.id == child_id)
        )
        if result.rowcount == 0:
            raise NotFound("child.not_found")
