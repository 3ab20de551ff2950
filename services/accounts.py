"""A family's account: its balance, unpaid invoices and statements over a date range."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from vanbill.services import i18n
from vanbill.services.billing import OPEN_STATUSES
from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import load_customer
from vanbill.services.db import Database
from vanbill.services.errors import InvalidInput
from vanbill.services.invoices import load_invoices, load_operator
from vanbill.services.models import Customer, Invoice, Payment
from vanbill.services.operators import to_view as operator_view
from vanbill.services.payments import family_credit, family_owed
from vanbill.services.views import (
    FamilyBalance,
    StatementDocument,
    StatementEntry,
    StatementView,
    method_label,
)


async def family_balance(
    db: Database, operator_id: int, customer_id: int, clock: Clock
) -> FamilyBalance:
    """Return what a family owes now, its credit, and its unpaid invoices oldest first."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        customer = await load_customer(session, operator_id, customer_id)
        today = local_today(clock, operator.timezone)
        unpaid = await load_invoices(
            session,
            operator_id,
            [Invoice.customer_id == customer_id, Invoice.status.in_(OPEN_STATUSES)],
            today,
        )
        return FamilyBalance(
            customer_id=customer_id,
            customer_name=customer.name,
            owed_sen=await family_owed(session, operator_id, customer_id),
            credit_sen=await family_credit(session, operator_id, customer_id),
            unpaid=tuple(unpaid),
        )


async def statement(
    db: Database, operator_id: int, customer_id: int, start: date, end: date
) -> StatementView:
    """Return a family's statement: opening balance, invoices and payments, closing balance.

    The balance is invoices less payments (void ones count for nothing), so credit shows as a
    negative balance.
    """
    if end < start:
        raise InvalidInput("statement.end_before_start")
    async with db.sessions() as session:
        customer = await load_customer(session, operator_id, customer_id)
        invoiced_before = (
            await session.execute(
                select(func.coalesce(func.sum(Invoice.total_sen), 0)).where(
                    Invoice.operator_id == operator_id,
                    Invoice.customer_id == customer_id,
                    Invoice.status != "void",
                    Invoice.issue_date < start,
                )
            )
        ).scalar_one()
        paid_before = (
            await session.execute(
                select(func.coalesce(func.sum(Payment.amount_sen), 0)).where(
                    Payment.operator_id == operator_id,
                    Payment.customer_id == customer_id,
                    Payment.voided.is_(False),
                    Payment.paid_on < start,
                )
            )
        ).scalar_one()
        opening = int(invoiced_before) - int(paid_before)
        events: list[tuple[date, int, int, str, str, str, int, int, dict[str, object]]] = []
        for inv in (
            await session.execute(
                select(Invoice).where(
                    Invoice.operator_id == operator_id,
                    Invoice.customer_id == customer_id,
                    Invoice.issue_date >= start,
                    Invoice.issue_date <= end,
                )
            )
        ).scalars():
            void = inv.status == "void"
            events.append(
                (
                    inv.issue_date,
                    0,
                    inv.id,
                    "void" if void else "invoice",
                    inv.number,
                    (inv.description or "Invoice") + (" (void)" if void else ""),
                    0 if void else inv.total_sen,
                    0,
                    {"invoice_kind": inv.kind, "period": inv.period},
                )
            )
        for pay in (
            await session.execute(
                select(Payment).where(
                    Payment.operator_id == operator_id,
                    Payment.customer_id == customer_id,
                    Payment.voided.is_(False),
                    Payment.paid_on >= start,
                    Payment.paid_on <= end,
                )
            )
        ).scalars():
            label = method_label(pay.method)
            if pay.reference:
                label += f" ({pay.reference})"
            events.append(
                (
                    pay.paid_on,
                    1,
                    pay.id,
                    "payment",
                    pay.receipt_number,
                    label if pay.method == "credit" else f"Payment — {label}",
                    0,
                    pay.amount_sen,
                    {"method": pay.method, "payer_reference": pay.reference or ""},
                )
            )
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        running = opening
        entries = []
        for on, _order, _id, kind, reference, description, debit, credit, data in events:
            running += debit - credit
            entries.append(
                StatementEntry(
                    on=on,
                    kind=kind,
                    reference=reference,
                    description=description,
                    debit_sen=debit,
                    credit_sen=credit,
                    balance_sen=running,
                    **data,  # type: ignore[arg-type]
                )
            )
        return StatementView(
            customer=customer,
            start=start,
            end=end,
            opening_balance_sen=opening,
            entries=tuple(entries),
            closing_balance_sen=running,
        )


async def statement_document(
    db: Database, operator_id: int, customer_id: int, clock: Clock, start: date, end: date
) -> StatementDocument:
    """Return what the statement PDF shows."""
    view = await statement(db, operator_id, customer_id, start, end)
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        language = (
            await session.execute(
                select(Customer.language).where(
                    Customer.operator_id == operator_id, Customer.id == customer_id
                )
            )
        ).scalar_one_or_none()
        today = local_today(clock, operator.timezone)
        on = min(end, today)
        open_rows = await session.execute(
            select(Invoice.due_date, Invoice.total_sen - Invoice.paid_sen).where(
                Invoice.operator_id == operator_id,
                Invoice.customer_id == customer_id,
                Invoice.status.in_(OPEN_STATUSES),
                Invoice.issue_date <= on,
            )
        )
        buckets = [0, 0, 0, 0]
        for due, owed in open_rows:
            buckets[ageing_bucket(due, on)] += int(owed)
        return StatementDocument(
            operator=operator_view(operator),
            statement=view,
            today=today,
            locale=i18n.known(language) or i18n.DEFAULT,
            ageing=(buckets[0], buckets[1], buckets[2], buckets[3]),
        )


def ageing_bucket(due: date, on: date) -> int:
    """Return which ageing column owed money falls in on a day: 0 not yet due (current),
    1 for 1-30 days past due, 2 for 31-60, 3 for over 60."""
    late = (on - due).days
    if late <= 0:
        return 0
    if late <= 30:
        return 1
    if late <= 60:
        return 2
    return 3
