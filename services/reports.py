"""The operator's summary: invoiced, collected, outstanding and overdue per month, in SQL."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import exists, func, select, union_all

from vanbill.services import i18n
from vanbill.services.billing import OPEN_STATUSES
from vanbill.services.clock import Clock, local_today
from vanbill.services.db import Database
from vanbill.services.errors import InvalidInput
from vanbill.services.invoices import load_operator
from vanbill.services.models import Customer, Invoice, Payment, SummaryMonth
from vanbill.services.periods import add_months
from vanbill.services.views import DEFAULT_BUSINESS_NAME, Debtor, MonthFigures, SummaryReport


def ledger_figures(
    starts: list[date], base_sen: int, months: dict[date, tuple[int, int, int]]
) -> tuple[list[int], list[int], list[int]]:
    """Return invoiced, outstanding at the month's end and own settled for each month.

    base_sen: invoiced - settled over every month before the first; months: the ledger's rows
    (invoiced, settled, own settled) by month (summary_months, kept by the database's triggers).
    What is owed at the end of a month is what was invoiced up to it less what was settled up
    to it, an allocation counting in the later of its invoice's month and its payment's.
    """
    invoiced, outstanding, own = [], [], []
    running = base_sen
    for start in starts:
        month_invoiced, month_settled, month_own = months.get(start, (0, 0, 0))
        running += month_invoiced - month_settled
        invoiced.append(month_invoiced)
        outstanding.append(running)
        own.append(month_own)
    return invoiced, outstanding, own


def overdue_counts(as_ofs: list[date], groups: list[tuple[date, date | None, int]]) -> list[int]:
    """Return how many invoices were overdue on each day: due before it, not closed by it.

    groups: (due date, closed on, count) of the invoices not closed before the first day.
    """
    return [
        sum(
            count
            for due, closed, count in groups
            if due < as_of and (closed is None or closed > as_of)
        )
        for as_of in as_ofs
    ]


async def summary_report(
    db: Database, operator_id: int, clock: Clock, *, months: int = 12, top: int = 5
) -> SummaryReport:
    """Return the last `months` months (this one last) and the families owing most.

    Invoiced, outstanding and settled come from the summary's ledger (summary_months: one row
    per operator and month, kept in the same transaction as every write by the database's
    triggers, revision 0012), so the report reads a row per month whatever the history; overdue
    from the invoices not closed by the first month (closed_on, kept by
    payments.refresh_invoices); one query for collected; the debtors from customers.owed_sen
    (triggers too); one for the families owing; one for the credit held (customers.credit_sen,
    kept by payments.apply_credit).
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
        (base_sen,) = (
            await session.execute(
                select(
                    func.coalesce(
                        func.sum(SummaryMonth.invoiced_sen - SummaryMonth.settled_sen), 0
                    )
                ).where(SummaryMonth.operator_id == operator_id, SummaryMonth.month < first)
            )
        ).one()
        ledger = {
            row[0]: (int(row[1]), int(row[2]), int(row[3]))
            for row in await session.execute(
                select(
                    SummaryMonth.month,
                    SummaryMonth.invoiced_sen,
                    SummaryMonth.settled_sen,
                    SummaryMonth.own_settled_sen,
                ).where(
                    SummaryMonth.operator_id == operator_id,
                    SummaryMonth.month >= first,
                    SummaryMonth.month < ends[-1],
                )
            )
        }
        invoiced, outstanding, own_settled = ledger_figures(starts, int(base_sen), ledger)
        # Overdue on a day: due before it and not closed by it; only invoices not closed by
        # the first month's last day can be, read from an index by (closed_on, due_date).
        # Two ranges of the (operator_id, closed_on, ...) index, grouped in its order: an OR of
        # them, a condition on due_date next to the second or grouping by due_date first sends
        # SQLite's planner to the due_date index, which reads the whole history.
        overdue_groups = (
            await session.execute(
                union_all(
                    *(
                        select(Invoice.due_date, Invoice.closed_on, func.count())
                        .where(Invoice.operator_id == operator_id, Invoice.status != "void", *cut)
                        .group_by(Invoice.closed_on, Invoice.due_date)
                        for cut in (
                            (Invoice.closed_on.is_(None), Invoice.due_date < as_ofs[-1]),
                            (Invoice.closed_on > as_ofs[0],),
                        )
                    )
                )
            )
        ).all()
        overdue = overdue_counts(as_ofs, [(r[0], r[1], int(r[2])) for r in overdue_groups])

        # Money received per day of the window (credit notes are not money received).
        collected = [0] * months
        for paid_on, amount in await session.execute(
            select(Payment.paid_on, func.sum(Payment.amount_sen))
            .where(
                Payment.operator_id == operator_id,
                Payment.paid_on >= first,
                Payment.paid_on < ends[-1],
                Payment.voided.is_(False),
                Payment.method != "credit",
            )
            .group_by(Payment.paid_on)
        ):
            collected[(paid_on.year - first.year) * 12 + paid_on.month - first.month] += int(
                amount
            )

        figures = [
            MonthFigures(
                month=start,
                invoiced_sen=invoiced[i],
                collected_sen=collected[i],
                outstanding_sen=outstanding[i],
                overdue_count=overdue[i],
                settled_sen=own_settled[i],
            )
            for i, start in enumerate(starts)
        ]

        # The families owing most: customers.owed_sen, kept by the triggers on invoices.
        debtors = (
            await session.execute(
                select(Customer.id, Customer.name, Customer.owed_sen)
                .where(Customer.operator_id == operator_id, Customer.owed_sen > 0)
                .order_by(Customer.owed_sen.desc(), Customer.name)
                .limit(max(1, min(top, 50)))
            )
        ).all()
        oldest_due = dict(
            (
                await session.execute(
                    select(Invoice.customer_id, func.min(Invoice.due_date))
                    .where(
                        Invoice.operator_id == operator_id,
                        Invoice.status.in_(OPEN_STATUSES),
                        Invoice.customer_id.in_([r[0] for r in debtors] or [0]),
                    )
                    .group_by(Invoice.customer_id)
                )
            ).all()
        )
        # Families with an open invoice past due: only families owing can have one.
        overdue_families = (
            await session.execute(
                select(func.count()).where(
                    Customer.operator_id == operator_id,
                    Customer.owed_sen > 0,
                    exists().where(
                        Invoice.operator_id == operator_id,
                        Invoice.customer_id == Customer.id,
                        Invoice.status.in_(OPEN_STATUSES),
                        Invoice.due_date < today,
                    ),
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
                Debtor(
                    customer_id=r[0],
                    name=r[1],
                    owed_sen=int(r[2]),
                    oldest_due=oldest_due.get(r[0]),
                )
                for r in debtors
            ),
            overdue_families=int(overdue_families),
            credit_sen=int(credit_sen),
            families_in_credit=int(in_credit),
        )
