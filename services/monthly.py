"""Monthly generation: one invoice per family and period, set-based, idempotent, concurrent-safe.

Two runs of one period (twice in a row, or in two processes at once) create each invoice once:
a run holds the operator's invoice-number counter row lock while it decides which families still
lack an invoice, and the unique key (customer_id, period) is the database's backstop.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import adjustments, audit, delivery, proration
from vanbill.services.billing import (
    ChildFee,
    MonthlyBill,
    NewLine,
    PartDays,
    due_date_for,
    invoice_status,
    monthly_bill,
)
from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import balances_query
from vanbill.services.db import Database, retried
from vanbill.services.invoices import INVOICE_ISSUED, item_rows, load_operator, take_numbers
from vanbill.services.models import (
    Child,
    Customer,
    Enrollment,
    HolidayMonth,
    Invoice,
    InvoiceItem,
    Operator,
    Service,
    ServiceFee,
)
from vanbill.services.payments import apply_credit
from vanbill.services.periods import add_months, month_label
from vanbill.services.routes import fee_in_force


@dataclass(frozen=True)
class SkippedFamily:
    """A family not billed this month, and why."""

    customer_id: int
    name: str
    reason: str  # archived, routes_inactive or zero_fees (worded by bot/error_texts.py)


@dataclass(frozen=True)
class FamilyPlan:
    """What one family is to be billed for the month."""

    customer_id: int
    name: str
    bill: MonthlyBill
    charges: tuple[int, ...] = ()  # adjustments billed on this invoice as lines


@dataclass(frozen=True)
class MonthPlan:
    """What a monthly run would do, before it does it."""

    period: date
    holiday: bool
    families: tuple[FamilyPlan, ...]
    existing: int
    skipped: tuple[SkippedFamily, ...]
    new_families: tuple[str, ...]

    @property
    def total_sen(self) -> int:
        """Return what the families to be billed owe in all."""
        return sum(f.bill.total_sen for f in self.families)


@dataclass(frozen=True)
class MonthlyReport:
    """What a monthly run did."""

    period: date
    holiday: bool
    created: int
    existing: int
    skipped: tuple[SkippedFamily, ...]
    total_sen: int
    invoice_ids: tuple[int, ...]

    def describe(self) -> str:
        """Say what happened in a line, in English: the run's record and the command line's
        output (the operator's chat gets texts.run_decided in her language)."""
        label = month_label(self.period)
        if self.holiday:
            return f"{label} is a holiday month: nothing was billed."
        text = f"{label}: {self.created} invoice(s) created, {self.existing} already existed"
        if self.skipped:
            text += f", families not billed: {len(self.skipped)}"
        return text + "."


async def _is_holiday(session: AsyncSession, operator_id: int, period: date) -> bool:
    return (
        await session.execute(
            select(func.count()).where(
                HolidayMonth.operator_id == operator_id, HolidayMonth.month == period
            )
        )
    ).scalar_one() > 0


async def plan_in(
    session: AsyncSession,
    operator: Operator,
    period: date,
    customer_id: int | None = None,
    joins: Mapping[int, tuple[date, str]] | None = None,
) -> MonthPlan:
    """Work out, with a handful of set-based queries, which families to bill and for what.

    joins gives enrollments (by id) a first day and billing rule other than recorded: what a
    preview of "bill this month now" shows before anything is saved.
    """
    period = period.replace(day=1)
    if await _is_holiday(session, operator.id, period):
        return MonthPlan(period, True, (), 0, (), ())
    active_in_month = and_(
        Enrollment.operator_id == operator.id,
        Enrollment.start_month <= period,
        or_(Enrollment.end_month.is_(None), Enrollment.end_month >= period),
    )
    billed = exists().where(
        Invoice.operator_id == operator.id,
        Invoice.customer_id == Customer.id,
        Invoice.live_period == period,
    )
    scope = [Customer.operator_id == operator.id]
    if customer_id is not None:
        scope.append(Customer.id == customer_id)
    rows = (
        await session.execute(
            select(
                Customer.id,
                Customer.name,
                Customer.archived,
                Child.id,
                Child.name,
                Service.id,
                Service.name,
                Service.active,
                Service.monthly_fee_sen,
                Enrollment.fee_override_sen,
                Enrollment.start_month,
                Enrollment.end_month,
                Enrollment.joined_on,
                Enrollment.join_billing,
                Enrollment.left_on,
                Enrollment.leave_billing,
                Enrollment.id,
            )
            .join(
                Child,
                and_(Child.operator_id == Customer.operator_id, Child.customer_id == Customer.id),
            )
            .join(Enrollment, and_(Enrollment.child_id == Child.id, active_in_month))
            .join(
                Service,
                and_(Service.operator_id == operator.id, Service.id == Enrollment.service_id),
            )
            .where(*scope, ~billed)
            .order_by(Customer.id, Child.id, Service.id)
        )
    ).all()
    changes: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for service_id, effective_from, fee in await session.execute(
        select(ServiceFee.service_id, ServiceFee.effective_from, ServiceFee.fee_sen).where(
            ServiceFee.operator_id == operator.id, ServiceFee.effective_from <= period
        )
    ):
        changes[service_id].append((effective_from, fee))
    fees: dict[int, list[ChildFee]] = defaultdict(list)
    names: dict[int, str] = {}
    skipped: dict[int, SkippedFamily] = {}
    for (
        cid,
        cname,
        archived,
        child_id,
        child_name,
        sid,
        sname,
        active,
        base,
        override,
        *part,
    ) in rows:
        enrollment_id = part.pop()
        if joins and enrollment_id in joins:
            part[2], part[3] = joins[enrollment_id]
        names[cid] = cname
        if archived:
            skipped[cid] = SkippedFamily(cid, cname, "archived")
            continue
        if not active:
            continue
        fee = override if override is not None else fee_in_force(base, changes[sid], period)
        fee, note = part_month_fee(fee, period, *part)
        if fee == 0 and note:
            continue  # a part month the operator chose not to bill
        days = part_days(period, *part)
        fees[cid].append(ChildFee(child_id, child_name, sid, sname, fee, note, days))
    charges: dict[int, list[adjustments.Adjustment]] = defaultdict(list)
    for row in await adjustments.pending_for(session, operator.id, list(names)):
        if row.kind == adjustments.CHARGE:
            charges[row.customer_id].append(row)
    label = month_label(period)
    families = []
    for cid, name in names.items():
        if cid in skipped:
            continue
        if not fees[cid]:
            skipped[cid] = SkippedFamily(cid, name, "routes_inactive")
            continue
        bill = monthly_bill(fees[cid], operator.sibling_discount_bp, label, period)
        extra = tuple(NewLine(c.description, c.amount_sen) for c in charges[cid])
        if extra:
            bill = MonthlyBill(
                bill.lines + extra,
                bill.subtotal_sen + sum(line.amount_sen for line in extra),
                bill.discount_sen,
            )
        if bill.total_sen == 0:
            skipped[cid] = SkippedFamily(cid, name, "zero_fees")
            continue
        families.append(FamilyPlan(cid, name, bill, tuple(c.id for c in charges[cid])))
    existing = (
        await session.execute(
            select(func.count()).where(
                Invoice.operator_id == operator.id,
                Invoice.live_period == period,
                *([Invoice.customer_id == customer_id] if customer_id is not None else []),
            )
        )
    ).scalar_one()
    previous = add_months(period, -1)
    billed_before = {
        r[0]
        for r in await session.execute(
            select(Invoice.customer_id).where(
                Invoice.operator_id == operator.id, Invoice.live_period == previous
            )
        )
    }
    new_families = tuple(f.name for f in families if f.customer_id not in billed_before)
    return MonthPlan(
        period=period,
        holiday=False,
        families=tuple(families),
        existing=int(existing),
        skipped=tuple(skipped.values()),
        new_families=new_families,
    )


def part_month_fee(
    fee_sen: int,
    period: date,
    start_month: date,
    end_month: date | None,
    joined_on: date | None,
    join_billing: str | None,
    left_on: date | None,
    leave_billing: str | None,
) -> tuple[int, str]:
    """Return an enrollment's fee for period, and the note of a month ridden in part."""
    first = joined_on if start_month == period and joined_on and join_billing else None
    last = left_on if end_month == period and left_on and leave_billing else None
    if first is None and last is None:
        return fee_sen, ""
    rule = (join_billing if first is not None else leave_billing) or proration.FULL
    part = proration.PartMonth(period, first or period, last or proration.month_end(period), rule)
    days = []
    if first is not None:
        days.append(f"from {first.day} {month_label(period)[:3]}")
    if last is not None:
        days.append(f"to {last.day} {month_label(period)[:3]}")
    note = f"{' '.join(days)}, {proration.rule_label(rule)}"
    return proration.part_of_fee(fee_sen, part), note


def part_days(
    period: date,
    start_month: date,
    end_month: date | None,
    joined_on: date | None,
    join_billing: str | None,
    left_on: date | None,
    leave_billing: str | None,
) -> PartDays | None:
    """Return the days of period an enrollment rides in part, as data (None: the whole month)."""
    first = joined_on if start_month == period and joined_on and join_billing else None
    last = left_on if end_month == period and left_on and leave_billing else None
    if first is None and last is None:
        return None
    rule = (join_billing if first is not None else leave_billing) or proration.FULL
    return PartDays(first, last, rule)


async def preview_month(db: Database, operator_id: int, period: date) -> MonthPlan:
    """Return what a run for period would bill, writing nothing."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        return await plan_in(session, operator, period)


async def family_bill(
    db: Database, operator_id: int, customer_id: int, period: date
) -> MonthlyBill | None:
    """Return a family's routes for a month as invoice lines (for a hand-made invoice)."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        plan = await plan_in(session, operator, period, customer_id)
        return plan.families[0].bill if plan.families else None


async def _families_with_credit(
    session: AsyncSession, operator_id: int, customer_ids: list[int]
) -> list[int]:
    _, credit, _ = balances_query(operator_id)
    rows = await session.execute(credit.having(credit.selected_columns.credit > 0))
    wanted = set(customer_ids)
    return [row.customer_id for row in rows if row.customer_id in wanted]


@retried
async def generate_month(
    db: Database, operator_id: int, period: date, clock: Clock, *, deliver: bool = False
) -> MonthlyReport:
    """Create the period's invoice for every family that has routes in it and none yet.

    With deliver, each new invoice is queued for its family in the same transaction.
    """
    async with db.sessions.begin() as session:
        return await generate_in(session, db.dialect, operator_id, period, clock, deliver=deliver)


async def generate_in(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    period: date,
    clock: Clock,
    *,
    deliver: bool = False,
    customer_id: int | None = None,
    actor: audit.Actor = audit.BOT,
) -> MonthlyReport:
    """Do generate_month's work inside the caller's transaction (for one family when given)."""
    period = period.replace(day=1)
    operator = await load_operator(session, operator_id)
    issue = local_today(clock, operator.timezone)
    # Take the counter's row lock before deciding who still needs an invoice, so a second
    # run waits here and then finds every invoice already made.
    await take_numbers(session, dialect, operator, issue.year, 0)
    plan = await plan_in(session, operator, period, customer_id)
    if plan.holiday or not plan.families:
        return MonthlyReport(
            period, plan.holiday, 0, plan.existing, plan.skipped, 0, invoice_ids=()
        )
    numbers = await take_numbers(session, dialect, operator, issue.year, len(plan.families))
    due = due_date_for(issue, operator.due_day, period)
    now = clock.now()
    label = month_label(period)
    await session.execute(
        Invoice.__table__.insert(),
        [
            {
                "operator_id": operator_id,
                "customer_id": family.customer_id,
                "number": number,
                "kind": "monthly",
                "period": period,
                "live_period": period,
                "issue_date": issue,
                "due_date": due,
                "description": f"School transport — {label}",
                "subtotal_sen": family.bill.subtotal_sen,
                "discount_sen": family.bill.discount_sen,
                "total_sen": family.bill.total_sen,
                "paid_sen": 0,
                "status": invoice_status(family.bill.total_sen, 0),
                "created_at": now,
            }
            for family, number in zip(plan.families, numbers, strict=True)
        ],
    )
    ids = dict(
        (
            await session.execute(
                select(Invoice.number, Invoice.id).where(
                    Invoice.operator_id == operator_id,
                    Invoice.period == period,
                    Invoice.number.in_(numbers),
                )
            )
        ).all()
    )
    items = []
    for family, number in zip(plan.families, numbers, strict=True):
        items.extend(item_rows(operator_id, ids[number], family.bill.lines))
    await session.execute(InvoiceItem.__table__.insert(), items)
    created_customers = [f.customer_id for f in plan.families]
    new_invoices = {
        f.customer_id: ids[number] for f, number in zip(plan.families, numbers, strict=True)
    }
    waiting = await adjustments.pending_for(session, operator_id, created_customers)
    for family_id in sorted({row.customer_id for row in waiting}):
        await session.execute(
            select(Customer.id)
            .where(Customer.operator_id == operator_id, Customer.id == family_id)
            .with_for_update()
        )
    await adjustments.settle_on_invoice(session, dialect, operator, clock, new_invoices, waiting)
    for family_id in await _families_with_credit(session, operator_id, created_customers):
        await session.execute(
            select(Customer.id)
            .where(Customer.operator_id == operator_id, Customer.id == family_id)
            .with_for_update()
        )
        await apply_credit(session, operator_id, family_id, clock)
    for family, number in zip(plan.families, numbers, strict=True):
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action=INVOICE_ISSUED,
            entity="invoice",
            entity_id=ids[number],
            customer_id=family.customer_id,
            after={
                "number": number,
                "period": period,
                "total_sen": family.bill.total_sen,
                "status": invoice_status(family.bill.total_sen, 0),
            },
        )
    if deliver:
        await delivery.enqueue_invoices(session, dialect, operator_id, ids.values(), now)
    return MonthlyReport(
        period=period,
        holiday=False,
        created=len(plan.families),
        existing=plan.existing,
        skipped=plan.skipped,
        total_sen=plan.total_sen,
        invoice_ids=tuple(ids[n] for n in numbers),
    )
