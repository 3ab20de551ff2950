"""Invoices: numbering, ad-hoc creation, voiding, lookups and the documents' view of them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import audit, delivery, i18n
from vanbill.services.billing import (
    OPEN_STATUSES,
    NewLine,
    check_lines,
    closed_when_issued,
    due_date_for,
    invoice_status,
    is_overdue,
)
from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import load_customer, lock_customer
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.models import (
    Child,
    Customer,
    Invoice,
    InvoiceCounter,
    InvoiceItem,
    LateFee,
    Operator,
    PaymentAllocation,
    Service,
)
from vanbill.services.money import check_amount
from vanbill.services.numbering import format_number, take_sequence
from vanbill.services.operators import to_view as operator_view
from vanbill.services.payments import apply_credit, refresh_invoices
from vanbill.services.periods import add_months
from vanbill.services.text import clean_text
from vanbill.services.views import InvoiceDocument, InvoiceLineView, InvoiceView, UnpaidInvoice

Which = Literal["all", "unpaid", "overdue"]


async def take_numbers(
    session: AsyncSession, dialect: str, operator: Operator, year: int, count: int
) -> list[str]:
    """Reserve count consecutive invoice numbers for the year, holding the counter's row lock."""
    last = await take_sequence(
        session, dialect, InvoiceCounter.__table__, operator.id, year, count
    )
    return [format_number(operator.invoice_prefix, year, last + i) for i in range(1, count + 1)]


async def load_operator(session: AsyncSession, operator_id: int) -> Operator:
    """Return the operator row, or raise NotFound."""
    row = await session.get(Operator, operator_id)
    if row is None:
        raise NotFound("operator.not_found")
    return row


async def load_invoices(
    session: AsyncSession, operator_id: int, conditions: Sequence, today: date, *, limit: int = 200
) -> list[InvoiceView]:
    """Return the operator's invoices matching conditions, with lines, oldest due first."""
    rows = (
        await session.execute(
            select(Invoice, Operator.timezone)
            .join(Operator, Operator.id == Invoice.operator_id)
            .where(Invoice.operator_id == operator_id, *conditions)
            .order_by(Invoice.due_date, Invoice.id)
            .limit(limit)
            .execution_options(populate_existing=True)
        )
    ).all()
    if not rows:
        return []
    ids = [r[0].id for r in rows]
    customers = {
        c.id: c
        for c in (
            await session.execute(
                select(Customer).where(
                    Customer.operator_id == operator_id,
                    Customer.id.in_({r[0].customer_id for r in rows}),
                )
            )
        ).scalars()
    }
    lines: dict[int, list[InvoiceLineView]] = {i: [] for i in ids}
    item_rows = await session.execute(
        select(InvoiceItem, Child.name, Service.name)
        .outerjoin(Child, Child.id == InvoiceItem.child_id)
        .outerjoin(Service, Service.id == InvoiceItem.service_id)
        .where(InvoiceItem.operator_id == operator_id, InvoiceItem.invoice_id.in_(ids))
        .order_by(InvoiceItem.invoice_id, InvoiceItem.position, InvoiceItem.id)
    )
    for item, child_name, service_name in item_rows:
        lines[item.invoice_id].append(
            InvoiceLineView(
                description=item.description,
                quantity=item.quantity,
                unit_price_sen=item.unit_price_sen,
                amount_sen=item.amount_sen,
                child_name=child_name,
                service_name=service_name,
                period=item.period,
                route_name=item.route_name,
                part_from=item.part_from,
                part_to=item.part_to,
                part_rule=item.part_rule,
            )
        )
    credit = dict(
        (
            await session.execute(
                select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount_sen))
                .where(
                    PaymentAllocation.operator_id == operator_id,
                    PaymentAllocation.invoice_id.in_(ids),
                    PaymentAllocation.from_credit.is_(True),
                )
                .group_by(PaymentAllocation.invoice_id)
            )
        ).all()
    )
    late = dict(
        (
            await session.execute(
                select(LateFee.invoice_id, LateFee.amount_sen).where(
                    LateFee.operator_id == operator_id,
                    LateFee.invoice_id.in_(ids),
                    LateFee.waived_at.is_(None),
                )
            )
        ).all()
    )
    views = []
    for inv, _tz in rows:
        customer = customers[inv.customer_id]
        views.append(
            InvoiceView(
                id=inv.id,
                number=inv.number,
                customer_id=inv.customer_id,
                customer_name=customer.name,
                customer_phone=customer.phone,
                kind=inv.kind,
                period=inv.period,
                issue_date=inv.issue_date,
                due_date=inv.due_date,
                description=inv.description,
                subtotal_sen=inv.subtotal_sen,
                discount_sen=inv.discount_sen,
                total_sen=inv.total_sen,
                paid_sen=inv.paid_sen,
                credit_applied_sen=int(credit.get(inv.id, 0)),
                status=inv.status,
                overdue=is_overdue(inv.status, inv.due_date, today),
                lines=tuple(lines[inv.id]),
                late_fee_sen=int(late.get(inv.id, 0)),
                void_reason=inv.void_reason,
                customer_language=customer.language,
            )
        )
    return views


async def _check_line_owners(
    session: AsyncSession, operator_id: int, customer_id: int, lines: Sequence[NewLine]
) -> None:
    child_ids = {line.child_id for line in lines if line.child_id is not None}
    service_ids = {line.service_id for line in lines if line.service_id is not None}
    if child_ids:
        found = (
            await session.execute(
                select(func.count()).where(
                    Child.operator_id == operator_id,
                    Child.customer_id == customer_id,
                    Child.id.in_(child_ids),
                )
            )
        ).scalar_one()
        if found != len(child_ids):
            raise NotFound("invoice.child_not_in_family")
    if service_ids:
        found = (
            await session.execute(
                select(func.count()).where(
                    Service.operator_id == operator_id, Service.id.in_(service_ids)
                )
            )
        ).scalar_one()
        if found != len(service_ids):
            raise NotFound("invoice.route_not_found")


def item_rows(operator_id: int, invoice_id: int, lines: Sequence[NewLine]) -> list[dict]:
    """Return invoice_items rows for lines (amount computed here, never typed)."""
    return [
        {
            "operator_id": operator_id,
            "invoice_id": invoice_id,
            "position": position,
            "description": line.description.strip()[:300],
            "child_id": line.child_id,
            "service_id": line.service_id,
            "unit_price_sen": line.unit_price_sen,
            "quantity": line.quantity,
            "amount_sen": line.amount_sen,
            "period": line.period,
            "route_name": line.route_name,
            "part_from": line.part_from,
            "part_to": line.part_to,
            "part_rule": line.part_rule,
        }
        for position, line in enumerate(lines)
    ]


def _plan(
    operator: Operator,
    lines: Sequence[NewLine],
    today: date,
    issue_date: date | None,
    due_date: date | None,
    discount_sen: int,
) -> tuple[date, date, int, int]:
    check_lines(lines)
    subtotal = sum(line.amount_sen for line in lines)
    check_amount(discount_sen, what="discount", allow_zero=True)
    if discount_sen > subtotal:
        raise InvalidInput("invoice.discount_too_large")
    issue = issue_date or today
    due = due_date or due_date_for(issue, operator.due_day)
    if due < issue:
        raise InvalidInput("invoice.due_before_date")
    return issue, due, subtotal, subtotal - discount_sen


async def create_invoice(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    lines: Sequence[NewLine],
    *,
    issue_date: date | None = None,
    due_date: date | None = None,
    description: str = "",
    discount_sen: int = 0,
    period: date | None = None,
    actor: audit.Actor = audit.BOT,
) -> InvoiceView:
    """Create an invoice for a family; any credit the family holds is applied to it.

    With a period (a month's routes billed by hand), it is that month's invoice: the monthly run
    then skips the family, and a second invoice for the month is refused.
    """
    description = clean_text(description, "description", limit=500, required=False)
    month = period.replace(day=1) if period is not None else None
    try:
        return await _create(
            db,
            operator_id,
            customer_id,
            clock,
            lines,
            issue_date,
            due_date,
            description,
            discount_sen,
            month,
            actor,
        )
    except IntegrityError as exc:
        if month is None:
            raise
        raise Conflict("invoice.month_billed", month=month) from exc


@retried
async def _create(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    lines: Sequence[NewLine],
    issue_date: date | None,
    due_date: date | None,
    description: str,
    discount_sen: int,
    period: date | None,
    actor: audit.Actor,
) -> InvoiceView:
    async with db.sessions.begin() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        issue, due, subtotal, total = _plan(
            operator, lines, today, issue_date, due_date, discount_sen
        )
        # Lock order everywhere: the number counter first, then the family.
        (number,) = await take_numbers(session, db.dialect, operator, issue.year, 1)
        customer = await lock_customer(session, operator_id, customer_id)
        if customer.archived:
            raise Conflict("family.archived_bill", name=customer.name)
        await _check_line_owners(session, operator_id, customer_id, lines)
        invoice = Invoice(
            operator_id=operator_id,
            customer_id=customer_id,
            number=number,
            kind="monthly" if period is not None else "adhoc",
            period=period,
            live_period=period,
            issue_date=issue,
            due_date=due,
            description=description,
            subtotal_sen=subtotal,
            discount_sen=discount_sen,
            total_sen=total,
            paid_sen=0,
            status=invoice_status(total, 0),
            closed_on=closed_when_issued(total, issue),
            created_at=clock.now(),
        )
        session.add(invoice)
        await session.flush()
        await session.execute(
            InvoiceItem.__table__.insert(), item_rows(operator_id, invoice.id, lines)
        )
        await apply_credit(session, operator_id, customer_id, clock)
        await session.refresh(invoice)
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action=INVOICE_ISSUED,
            entity="invoice",
            entity_id=invoice.id,
            customer_id=customer_id,
            after=invoice_values(invoice),
        )
        (view,) = await load_invoices(session, operator_id, [Invoice.id == invoice.id], today)
        return view


async def draft_invoice_document(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    lines: Sequence[NewLine],
    *,
    due_date: date | None = None,
    description: str = "",
    discount_sen: int = 0,
) -> InvoiceDocument:
    """Return the document of an invoice not yet created (a preview; nothing is written)."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        issue, due, subtotal, total = _plan(operator, lines, today, None, due_date, discount_sen)
        customer = await load_customer(session, operator_id, customer_id)
        await _check_line_owners(session, operator_id, customer_id, lines)
        names = {c.id: c.name for c in customer.children}
        services = {
            r[0]: r[1]
            for r in await session.execute(
                select(Service.id, Service.name).where(Service.operator_id == operator_id)
            )
        }
        view = InvoiceView(
            id=0,
            number="DRAFT",
            customer_id=customer_id,
            customer_name=customer.name,
            customer_phone=customer.phone,
            kind="adhoc",
            period=None,
            issue_date=issue,
            due_date=due,
            description=clean_text(description, "description", limit=500, required=False),
            subtotal_sen=subtotal,
            discount_sen=discount_sen,
            total_sen=total,
            paid_sen=0,
            credit_applied_sen=0,
            status="draft",
            overdue=False,
            lines=tuple(
                InvoiceLineView(
                    description=line.description,
                    quantity=line.quantity,
                    unit_price_sen=line.unit_price_sen,
                    amount_sen=line.amount_sen,
                    child_name=names.get(line.child_id) if line.child_id else None,
                    service_name=services.get(line.service_id) if line.service_id else None,
                    period=line.period,
                    route_name=line.route_name,
                    part_from=line.part_from,
                    part_to=line.part_to,
                    part_rule=line.part_rule,
                )
                for line in lines
            ),
        )
        earlier = await _previous_unpaid(session, operator_id, customer_id, None)
        return InvoiceDocument(
            operator=operator_view(operator),
            invoice=view,
            previous_unpaid_sen=sum(e.balance_sen for e in earlier),
            today=today,
            earlier_unpaid=earlier,
            locale=await _family_language(session, operator_id, customer_id),
        )


INVOICE_ISSUED, INVOICE_VOIDED = "invoice_issued", "invoice_voided"  # audit log actions


def invoice_values(invoice: Invoice) -> dict[str, object]:
    """Return what the audit log keeps of an invoice."""
    values: dict[str, object] = {
        "number": invoice.number,
        "total_sen": invoice.total_sen,
        "paid_sen": invoice.paid_sen,
        "status": invoice.status,
    }
    if invoice.period is not None:
        values["period"] = invoice.period
    return values


@retried
async def void_invoice(
    db: Database,
    operator_id: int,
    invoice_id: int,
    clock: Clock,
    *,
    reason: str = "",
    actor: audit.Actor = audit.BOT,
) -> InvoiceView:
    """Void an invoice: it stays on record, owes nothing, and what was paid on it is credit.

    Its month is free again for a replacement; a parent who received it gets it stamped VOID
    (queued in this transaction), and the audit log records who voided it and why.
    """
    reason = clean_text(reason, "reason", limit=200, required=False)
    async with db.sessions.begin() as session:
        operator = await load_operator(session, operator_id)
        customer_id = (
            await session.execute(
                select(Invoice.customer_id).where(
                    Invoice.operator_id == operator_id, Invoice.id == invoice_id
                )
            )
        ).scalar_one_or_none()
        if customer_id is None:
            raise NotFound("invoice.not_found")
        await lock_customer(session, operator_id, customer_id)
        invoice = (
            await session.execute(
                select(Invoice)
                .where(Invoice.operator_id == operator_id, Invoice.id == invoice_id)
                .execution_options(populate_existing=True)
            )
        ).scalar_one()
        if invoice.status == "void":
            if invoice.void_reason:
                raise Conflict(
                    "void.already_because", number=invoice.number, reason=invoice.void_reason
                )
            raise Conflict("void.already", number=invoice.number)
        before = invoice_values(invoice)
        await session.execute(
            delete(PaymentAllocation).where(
                PaymentAllocation.operator_id == operator_id,
                PaymentAllocation.invoice_id == invoice_id,
            )
        )
        invoice.status = "void"
        invoice.live_period = None
        invoice.paid_sen = 0
        invoice.voided_at = clock.now()
        invoice.void_reason = reason
        await session.flush()
        await refresh_invoices(session, operator_id, [invoice_id])
        await apply_credit(session, operator_id, customer_id, clock)
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action=INVOICE_VOIDED,
            entity="invoice",
            entity_id=invoice_id,
            customer_id=customer_id,
            before=before,
            after=invoice_values(invoice),
            reason=reason,
        )
        if await delivery.reached_parent(session, operator_id, invoice_id=invoice_id):
            await delivery.enqueue_void_invoice(
                session, db.dialect, operator_id, customer_id, invoice_id, clock.now()
            )
        today = local_today(clock, operator.timezone)
        (view,) = await load_invoices(session, operator_id, [Invoice.id == invoice_id], today)
        return view


async def _one_invoice(
    session: AsyncSession, operator_id: int, condition, clock: Clock, number: str | None = None
) -> tuple[InvoiceView, Operator]:
    operator = await load_operator(session, operator_id)
    today = local_today(clock, operator.timezone)
    found = await load_invoices(session, operator_id, [condition], today)
    if not found:
        raise (
            NotFound("invoice.number_not_found", number=number)
            if number is not None
            else NotFound("invoice.not_found")
        )
    return found[0], operator


async def get_invoice(
    db: Database, operator_id: int, invoice_id: int, clock: Clock
) -> InvoiceView:
    """Return one of the operator's invoices, or raise NotFound."""
    async with db.sessions() as session:
        view, _ = await _one_invoice(session, operator_id, Invoice.id == invoice_id, clock)
        return view


async def find_invoice_by_number(
    db: Database, operator_id: int, number: str, clock: Clock
) -> InvoiceView:
    """Return the operator's invoice with this number (case and spaces forgiven)."""
    wanted = "".join((number or "").split()).upper()
    async with db.sessions() as session:
        view, _ = await _one_invoice(
            session, operator_id, Invoice.number == wanted, clock, wanted[:32]
        )
        return view


async def list_invoices(
    db: Database,
    operator_id: int,
    clock: Clock,
    *,
    which: Which = "all",
    customer_id: int | None = None,
    period: date | None = None,
    limit: int = 50,
) -> list[InvoiceView]:
    """Return invoices: all, unpaid or overdue; for one family or month when given."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        conditions: list = []
        if which in ("unpaid", "overdue"):
            conditions.append(Invoice.status.in_(OPEN_STATUSES))
        if which == "overdue":
            conditions.append(Invoice.due_date < today)
        if customer_id is not None:
            conditions.append(Invoice.customer_id == customer_id)
        if period is not None:
            month = period.replace(day=1)
            next_month = add_months(month, 1)
            conditions.append(
                or_(
                    Invoice.period == month,
                    and_(
                        Invoice.period.is_(None),
                        Invoice.issue_date >= month,
                        Invoice.issue_date < next_month,
                    ),
                )
            )
        return await load_invoices(
            session, operator_id, conditions, today, limit=max(1, min(limit, 500))
        )


async def _previous_unpaid(
    session: AsyncSession, operator_id: int, customer_id: int, invoice: Invoice | None
) -> tuple[UnpaidInvoice, ...]:
    """Return the family's open invoices issued before invoice (all of them when None)."""
    conditions = [
        Invoice.operator_id == operator_id,
        Invoice.customer_id == customer_id,
        Invoice.status.in_(OPEN_STATUSES),
    ]
    if invoice is not None:
        conditions += [
            Invoice.id != invoice.id,
            or_(
                Invoice.issue_date < invoice.issue_date,
                and_(Invoice.issue_date == invoice.issue_date, Invoice.id < invoice.id),
            ),
        ]
    rows = await session.execute(
        select(
            Invoice.number,
            Invoice.period,
            Invoice.issue_date,
            Invoice.total_sen - Invoice.paid_sen,
        )
        .where(*conditions)
        .order_by(Invoice.issue_date, Invoice.id)
    )
    return tuple(
        UnpaidInvoice(number, period, issued, int(owed))
        for number, period, issued, owed in rows
        if owed > 0
    )


async def _family_language(session: AsyncSession, operator_id: int, customer_id: int) -> str:
    language = (
        await session.execute(
            select(Customer.language).where(
                Customer.operator_id == operator_id, Customer.id == customer_id
            )
        )
    ).scalar_one_or_none()
    return i18n.known(language) or i18n.DEFAULT


async def invoice_document(
    db: Database, operator_id: int, invoice_id: int, clock: Clock
) -> InvoiceDocument:
    """Return everything the invoice PDF shows, including the family's earlier unpaid balance."""
    async with db.sessions() as session:
        view, operator = await _one_invoice(session, operator_id, Invoice.id == invoice_id, clock)
        row = (
            await session.execute(
                select(Invoice).where(Invoice.operator_id == operator_id, Invoice.id == invoice_id)
            )
        ).scalar_one()
        earlier = await _previous_unpaid(session, operator_id, row.customer_id, row)
        return InvoiceDocument(
            operator=operator_view(operator),
            invoice=view,
            previous_unpaid_sen=sum(e.balance_sen for e in earlier),
            today=local_today(clock, operator.timezone),
            earlier_unpaid=earlier,
            locale=i18n.known(view.customer_language) or i18n.DEFAULT,
        )


async def invoice_documents(
    db: Database, operator_id: int, invoice_ids: Sequence[int], clock: Clock
) -> dict[int, InvoiceDocument]:
    """Return the documents of many invoices at once (for bulk delivery), by invoice id."""
    if not invoice_ids:
        return {}
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        views = await load_invoices(
            session, operator_id, [Invoice.id.in_(set(invoice_ids))], today, limit=len(invoice_ids)
        )
        open_rows = (
            await session.execute(
                select(
                    Invoice.id,
                    Invoice.customer_id,
                    Invoice.issue_date,
                    Invoice.total_sen - Invoice.paid_sen,
                    Invoice.number,
                    Invoice.period,
                )
                .where(
                    Invoice.operator_id == operator_id,
                    Invoice.customer_id.in_({v.customer_id for v in views}),
                    Invoice.status.in_(OPEN_STATUSES),
                )
                .order_by(Invoice.issue_date, Invoice.id)
            )
        ).all()
        profile = operator_view(operator)
        documents = {}
        for view in views:
            earlier = tuple(
                UnpaidInvoice(number, period, issued, int(owed))
                for other_id, customer_id, issued, owed, number, period in open_rows
                if customer_id == view.customer_id
                and other_id != view.id
                and (issued, other_id) < (view.issue_date, view.id)
                and owed > 0
            )
            documents[view.id] = InvoiceDocument(
                operator=profile,
                invoice=view,
                previous_unpaid_sen=sum(e.balance_sen for e in earlier),
                today=today,
                earlier_unpaid=earlier,
                locale=i18n.known(view.customer_language) or i18n.DEFAULT,
            )
        return documents
