"""The operator's summary: invoiced, collected, outstanding and overdue per month, in SQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import and_, case, func, or_, select

from vanbill.services import i18n
from vanbill.services.billing import OPEN_STATUSES
from vanbill.services.clock import Clock, local_today
from vanbill.services.db import Database
from vanbill.services.errors import InvalidInput
from vanbill.services.invoices import load_operator
from vanbill.services.models import Customer, Invoice, Payment, PaymentAllocation
from vanbill.services.periods import add_months
from vanbill.services.views import DEFAULT_BUSINESS_NAME, Debtor, MonthFigures, SummaryReport


def _sum_when(condition, value):  # type: ignore[no-untyped-def]
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def month_tallies(
    starts: list[date],
    ends: list[date],
    as_ofs: list[date],
    invoices: list[tuple[date, date, date | None, int, int]],
    allocations: list[tuple[date, date, int]],
) -> tuple[list[int], list[int], list[int], list[int], list[int]]:
    """Return invoiced, issued by the end, settled by the end, own settled, overdue per month.

    invoices: (issue date, due date, closed on, total, count) groups; allocations: (issue date
    of the invoice, date paid, amount) groups. An invoice is overdue on day a when it fell due
    before a and was not closed (paid whole) by a.
    """
    n = len(starts)
    invoiced, issued_by, settled, own, overdue = ([0] * n for _ in range(5))
    for issued, due, closed, total, count in invoices:
        for i in range(n):
            if issued < ends[i]:
                issued_by[i] += total
                if issued >= starts[i]:
                    invoiced[i] += total
            if due < as_ofs[i] and (closed is None or closed > as_ofs[i]):
                overdue[i] += count
    for issued, paid_on, amount in allocations:
        for i in range(n):
            if issued < ends[i] and paid_on < ends[i]:
                settled[i] += amount
                if issued >= starts[i]:
                    own[i] += amount
    return invoiced, issued_by, settled, own, overdue


async def summary_report(
    db: Database, operator_id: int, clock: Clock, *, months: int = 12, top: int = 5
) -> SummaryReport:
    """Return the last `months` months (this one last) and the families owing most.

    Every figure comes from the rows: two GROUP BYs by date give invoiced, outstanding, settled
    and overdue for every month, reading only invoices not closed before the first month
    (closed_on, kept by payments.refresh_invoices); one query for collected; one for the debtors;
    one for the families owing; one for the credit held (customers.credit_sen, kept by
    payments.apply_credit).
    """
    if not 1 <= months <= 60:
        raise InvalidInput("report.months")
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        first = add_months(today.replace(day=1), -(months - 1))
        starts = [add_months(first, i) for i in range(months)]
        ends = [add_months(m, 1) for m in starts]
        as_ofs = [min(e - timedelta(days=1), today) for e in ends]
        # Only invoices open at the window's start or touched since weigh on any figure: one
        # closed before it (paid by payments all dated before it) was issued before it, counts
        # its total as issued and as settled alike, and is overdue in no month of the window.
        weighing = and_(
            Invoice.operator_id == operator_id,
            Invoice.status != "void",
            or_(Invoice.closed_on.is_(None), Invoice.closed_on >= first),
        )
        # Two GROUP BYs over those rows, by dates only; the months are tallied from the dates.
        invoice_groups = (
            await session.execute(
                select(
                    Invoice.issue_date,
                    Invoice.due_date,
                    Invoice.closed_on,
                    func.sum(Invoice.total_sen),
                    func.count(),
                )
                .where(weighing)
                .group_by(Invoice.issue_date, Invoice.due_date, Invoice.closed_on)
            )
        ).all()
        allocation_groups = (
            await session.execute(
                select(Invoice.issue_date, Payment.paid_on, func.sum(PaymentAllocation.amount_sen))
                .select_from(Invoice)
                .join(
                    PaymentAllocation,
                    and_(
                        PaymentAllocation.operator_id == Invoice.operator_id,
                        PaymentAllocation.invoice_id == Invoice.id,
                    ),
                )
                .join(
                    Payment,
                    and_(
                        Payment.operator_id == PaymentAllocation.operator_id,
                        Payment.id == PaymentAllocation.payment_id,
                    ),
                )
                .where(weighing)
                .group_by(Invoice.issue_date, Payment.paid_on)
            )
        ).all()
        invoiced, issued_by, settled, own_settled, overdue = month_tallies(
            starts,
            ends,
            as_ofs,
            [(r[0], r[1], r[2], int(r[3]), int(r[4])) for r in invoice_groups],
            [(r[0], r[1], int(r[2])) for r in allocation_groups],
        )

        collected_cols = [
            _sum_when(and_(Payment.paid_on >= s, Payment.paid_on < e), Payment.amount_sen)
            for s, e in zip(starts, ends, strict=True)
        ]
        collected_row = (
            await session.execute(
                select(*collected_cols).where(
                    Payment.operator_id == operator_id,
                    Payment.paid_on >= first,
                    Payment.paid_on < ends[-1],
                    Payment.voided.is_(False),
                    Payment.method != "credit",  # a credit note is not money received
                )
            )
        ).one()

        figures = [
            MonthFigures(
                month=start,
                invoiced_sen=invoiced[i],
                collected_sen=int(collected_row[i]),
                outstanding_sen=issued_by[i] - settled[i],
                overdue_count=overdue[i],
                settled_sen=own_settled[i],
            )
            for i, start in enumerate(starts)
        ]

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
        credit_sen, in_credit = (
            await session.execute(
                select(func.coalesce(func.sum(Customer.credit_sen), 0), func.count()).where(
                    Customer.operator_id == operator_id, Customer.credit_sen > 0
                )
            )
        ).one()
        return SummaryReport(
            business_name=operator.business_name or i18n.gettext(DEFAULT_BUSINESS_NAME),
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
