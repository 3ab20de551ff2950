"""The operator's summary: invoiced, collected, outstanding and overdue per month, in SQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, case, func, select

from vanbill.services.billing import OPEN_STATUSES
from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import balances_query
from vanbill.services.db import Database
from vanbill.services.errors import InvalidInput
from vanbill.services.invoices import load_operator
from vanbill.services.models import Customer, Invoice, Payment, PaymentAllocation
from vanbill.services.periods import add_months
from vanbill.services.views import Debtor, MonthFigures, SummaryReport


def _sum_when(condition, value):  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


async def summary_report(
    db: Database, operator_id: int, clock: Clock, *, months: int = 12, top: int = 5
) -> SummaryReport:
    """Return the last `months` months (this one last) and the families owing most.

    Every figure is an SQL aggregate: one query for invoiced, collected and outstanding across all
    months, one per month for the overdue count, one for the debtors, one for the credit held.
    """
    if not 1 <= months <= 60:
        raise InvalidInput("A report covers 1 to 60 months.")
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        first = add_months(today.replace(day=1), -(months - 1))
        starts = [add_months(first, i) for i in range(months)]
        ends = [add_months(m, 1) for m in starts]
        live = and_(Invoice.operator_id == operator_id, Invoice.status != "void")

        invoiced_cols = [
            _sum_when(and_(Invoice.issue_date >= s, Invoice.issue_date < e), Invoice.total_sen)
            for s, e in zip(starts, ends, strict=True)
        ]
        issued_by_cols = [_sum_when(Invoice.issue_date < e, Invoice.total_sen) for e in ends]
        invoice_row = (
            await session.execute(select(*invoiced_cols, *issued_by_cols).where(live))
        ).one()

        collected_cols = [
            _sum_when(and_(Payment.paid_on >= s, Payment.paid_on < e), Payment.amount_sen)
            for s, e in zip(starts, ends, strict=True)
        ]
        collected_row = (
            await session.execute(
                select(*collected_cols).where(
                    Payment.operator_id == operator_id,
                    Payment.voided.is_(False),
                    Payment.method != "credit",  # a credit note is not money received
                )
            )
        ).one()

        settled_cols = [
            _sum_when(
                and_(Payment.paid_on < e, Invoice.issue_date < e), PaymentAllocation.amount_sen
            )
            for e in ends
        ]
        # What the month's own invoices were paid by its end, from credit held or money paid
        # then: never more than they total, however much a family paid over.
        own_settled_cols = [
            _sum_when(
                and_(Payment.paid_on < e, Invoice.issue_date >= s, Invoice.issue_date < e),
                PaymentAllocation.amount_sen,
            )
            for s, e in zip(starts, ends, strict=True)
        ]
        settled_row = (
            await session.execute(
                select(*settled_cols, *own_settled_cols)
                .select_from(PaymentAllocation)
                .join(
                    Payment,
                    and_(
                        Payment.operator_id == PaymentAllocation.operator_id,
                        Payment.id == PaymentAllocation.payment_id,
                    ),
                )
                .join(
                    Invoice,
                    and_(
                        Invoice.operator_id == PaymentAllocation.operator_id,
                        Invoice.id == PaymentAllocation.invoice_id,
                    ),
                )
                .where(PaymentAllocation.operator_id == operator_id, Invoice.status != "void")
            )
        ).one()

        figures = []
        for i, (start, end) in enumerate(zip(starts, ends, strict=True)):
            as_of = min(end - timedelta(days=1), today)
            paid_by = (
                select(func.coalesce(func.sum(PaymentAllocation.amount_sen), 0))
                .join(
                    Payment,
                    and_(
                        Payment.operator_id == PaymentAllocation.operator_id,
                        Payment.id == PaymentAllocation.payment_id,
                    ),
                )
                .where(
                    PaymentAllocation.operator_id == operator_id,
                    PaymentAllocation.invoice_id == Invoice.id,
                    Payment.paid_on <= as_of,
                )
                .scalar_subquery()
            )
            overdue = (
                await session.execute(
                    select(func.count()).where(
                        live, Invoice.due_date < as_of, Invoice.total_sen > paid_by
                    )
                )
            ).scalar_one()
            figures.append(
                MonthFigures(
                    month=start,
                    invoiced_sen=int(invoice_row[i]),
                    collected_sen=int(collected_row[i]),
                    outstanding_sen=int(invoice_row[months + i]) - int(settled_row[i]),
                    overdue_count=int(overdue),
                    settled_sen=int(settled_row[months + i]),
                )
            )

        owed = func.sum(Invoice.total_sen - Invoice.paid_sen)
        debtors = await session.execute(
            select(Customer.id, Customer.name, owed, func.min(Invoice.due_date))
            .join(
                Invoice,
                and_(
                    Invoice.operator_id == Customer.operator_id, Invoice.customer_id == Customer.id
                ),
            )
            .where(Customer.operator_id == operator_id, Invoice.status.in_(OPEN_STATUSES))
            .group_by(Customer.id, Customer.name)
            .order_by(owed.desc(), Customer.name)
            .limit(max(1, min(top, 50)))
        )
        overdue_families = (
            await session.execute(
                select(func.count(func.distinct(Invoice.customer_id))).where(
                    Invoice.operator_id == operator_id,
                    Invoice.status.in_(OPEN_STATUSES),
                    Invoice.due_date < today,
                )
            )
        ).scalar_one()
        _, credit_q, _ = balances_query(operator_id)
        held = credit_q.subquery()
        credit_sen, in_credit = (
            await session.execute(
                select(func.coalesce(func.sum(held.c.credit), 0), func.count()).where(
                    held.c.credit > 0
                )
            )
        ).one()
        return SummaryReport(
            business_name=operator.business_name or "My van service",
            currency=operator.currency,
            generated_on=today,
            months=tuple(figures),
            top_debtors=tuple(
                Debtor(customer_id=r[0], name=r[1], owed_sen=int(r[2]), oldest_due=r[3])
                for r in debtors
            ),
            overdue_families=int(overdue_families),
            credit_sen=int(credit_sen),
            families_in_credit=int(in_credit),
        )
