"""Monthly runs: when each operator's month is due, started once, approved or held, finished.

Whether a month has run is decided from the monthly_runs table, never from an in-memory job
store, so a bot that was down on billing day catches up when it starts, and a run never happens
twice for one operator and period: starting one inserts its row in the same transaction that
generates the invoices and queues them, under the unique key (operator_id, period).

What the operator is told (the preview to approve, a holiday month, the report of a finished
run) is queued in the outbox in the same transactions, once per run (delivery.notify_operator).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import delivery
from vanbill.services.clock import Clock, local_now
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, NotFound
from vanbill.services.invoices import load_operator
from vanbill.services.models import Delivery, Invoice, MonthlyRun, Operator
from vanbill.services.monthly import MonthlyReport, MonthPlan, generate_in, plan_in


@dataclass(frozen=True)
class RunView:
    """A monthly run as recorded."""

    id: int
    operator_id: int
    period: date
    status: str
    created_count: int
    total_sen: int


@dataclass(frozen=True)
class StartedRun:
    """What starting a run did: generated and queued, or waiting for the operator's approval."""

    run: RunView
    report: MonthlyReport | None
    plan: MonthPlan | None


def billing_due(local: datetime, billing_day: int, billing_hour: int) -> bool:
    """Say whether this month's billing time (day and hour, local) has come."""
    return (local.day, local.hour) >= (billing_day, billing_hour)


def preview_params(run_id: int, plan: MonthPlan) -> dict[str, object]:
    """Return what the approval preview of a run says, as the notice's JSON parameters."""
    return {
        "run_id": run_id,
        "period": plan.period.isoformat(),
        "families": len(plan.families),
        "total_sen": plan.total_sen,
        "new_families": list(plan.new_families),
        "skipped": [[s.name, s.reason] for s in plan.skipped],
    }


def report_params(row: MonthlyRun, figures: delivery.RunDeliveries) -> dict[str, object]:
    """Return what the report of a finished run says, as the notice's JSON parameters."""
    return {
        "run_id": row.id,
        "period": row.period.isoformat(),
        "created": row.created_count,
        "total_sen": row.total_sen,
        "delivered": figures.delivered,
        "waiting_for_link": list(figures.waiting_for_link),
        "failed": [list(f) for f in figures.failed],
    }


async def _notify(
    session: AsyncSession,
    db: Database,
    row: MonthlyRun,
    notice: str,
    now: datetime,
    **params: object,
) -> None:
    params.setdefault("period", row.period.isoformat())
    await delivery.notify_operator(
        session, db.dialect, row.operator_id, notice, str(row.id), now, params
    )


def _view(row: MonthlyRun) -> RunView:
    return RunView(
        row.id, row.operator_id, row.period, row.status, row.created_count, row.total_sen
    )


async def due_runs(db: Database, clock: Clock) -> list[tuple[int, date]]:
    """Return (operator, period) pairs whose billing time has come and that have no run yet."""
    async with db.sessions() as session:
        operators = (await session.execute(select(Operator))).scalars().all()
        started = {
            (r[0], r[1])
            for r in await session.execute(select(MonthlyRun.operator_id, MonthlyRun.period))
        }
    due = []
    for operator in operators:
        local = local_now(clock, operator.timezone)
        period = local.date().replace(day=1)
        if (operator.id, period) in started:
            continue
        if billing_due(local, operator.billing_day, operator.billing_hour):
            due.append((operator.id, period))
    return due


async def _lock_operator(session: AsyncSession, operator_id: int) -> Operator:
    row = (
        await session.execute(select(Operator).where(Operator.id == operator_id).with_for_update())
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("operator.not_found")
    return row


@retried
async def start_run(
    db: Database, operator_id: int, period: date, clock: Clock
) -> StartedRun | None:
    """Start the month's run once: generate and queue it, or ask for approval first.

    Returns None when the run had already started (in this process or another).
    """
    period = period.replace(day=1)
    async with db.sessions.begin() as session:
        operator = await _lock_operator(session, operator_id)
        existing = (
            await session.execute(
                select(MonthlyRun.id).where(
                    MonthlyRun.operator_id == operator_id, MonthlyRun.period == period
                )
            )
        ).scalar_one_or_none()
        if existing is not None:
            return None
        now = clock.now()
        if operator.approval_required:
            plan = await plan_in(session, operator, period)
            status = "done" if plan.holiday or not plan.families else "awaiting_approval"
            row = MonthlyRun(
                operator_id=operator_id,
                period=period,
                status=status,
                created_count=0,
                total_sen=plan.total_sen,
                started_at=now,
            )
            session.add(row)
            await session.flush()
            if plan.holiday:
                await _notify(session, db, row, "run_holiday", now)
            elif plan.families:
                await _notify(session, db, row, "run_preview", now, **preview_params(row.id, plan))
            return StartedRun(_view(row), None, plan)
        report = await generate_in(session, db.dialect, operator_id, period, clock, deliver=True)
        row = MonthlyRun(
            operator_id=operator_id,
            period=period,
            status="delivering" if report.created else "done",
            created_count=report.created,
            total_sen=report.total_sen,
            report=report.describe(),
            started_at=now,
            finished_at=None if report.created else now,
        )
        session.add(row)
        await session.flush()
        if report.holiday:
            await _notify(session, db, row, "run_holiday", now)
        return StartedRun(_view(row), report, None)


async def _run_row(session: AsyncSession, operator_id: int, run_id: int) -> MonthlyRun:
    row = (
        await session.execute(
            select(MonthlyRun)
            .where(MonthlyRun.operator_id == operator_id, MonthlyRun.id == run_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("run.not_found")
    return row


@retried
async def approve_run(db: Database, operator_id: int, run_id: int, clock: Clock) -> StartedRun:
    """Generate and queue a run the operator approved (a held one too)."""
    async with db.sessions.begin() as session:
        await _lock_operator(session, operator_id)
        row = await _run_row(session, operator_id, run_id)
        if row.status not in ("awaiting_approval", "held"):
            raise Conflict("run.approved_already")
        report = await generate_in(
            session, db.dialect, operator_id, row.period, clock, deliver=True
        )
        row.status = "delivering" if report.created else "done"
        row.created_count = report.created
        row.total_sen = report.total_sen
        row.report = report.describe()
        row.decided_at = clock.now()
        if not report.created:
            row.finished_at = clock.now()
        await session.flush()
        return StartedRun(_view(row), report, None)


@retried
async def hold_run(db: Database, operator_id: int, run_id: int, clock: Clock) -> RunView:
    """Keep a run on hold: nothing is billed until it is approved."""
    async with db.sessions.begin() as session:
        row = await _run_row(session, operator_id, run_id)
        if row.status != "awaiting_approval":
            raise Conflict("run.not_waiting")
        row.status = "held"
        row.decided_at = clock.now()
        await session.flush()
        return _view(row)


async def runs_ready_to_report(db: Database) -> list[RunView]:
    """Return delivering runs whose invoices have all been sent, parked or given up on."""
    async with db.sessions() as session:
        in_flight = (
            select(func.count())
            .select_from(Delivery)
            .join(
                Invoice,
                and_(
                    Invoice.operator_id == Delivery.operator_id, Invoice.id == Delivery.invoice_id
                ),
            )
            .where(
                Delivery.operator_id == MonthlyRun.operator_id,
                Delivery.kind == "invoice",
                Invoice.period == MonthlyRun.period,
                Delivery.status.in_(("pending", "sending")),
            )
            .scalar_subquery()
        )
        rows = (
            await session.execute(
                select(MonthlyRun).where(MonthlyRun.status == "delivering", in_flight == 0)
            )
        ).scalars()
        return [_view(r) for r in rows]


async def report_finished_runs(db: Database, clock: Clock) -> list[RunView]:
    """Mark done, and queue the report of, every run whose invoices have all gone out.

    One transaction per run; a run another process reported meanwhile is left out.
    """
    reported = []
    for run in await runs_ready_to_report(db):
        if await finish_run(db, run.operator_id, run.id, clock) is not None:
            reported.append(run)
    return reported


@retried
async def finish_run(
    db: Database, operator_id: int, run_id: int, clock: Clock
) -> delivery.RunDeliveries | None:
    """Mark a delivering run done and queue its report (None if finished already)."""
    async with db.sessions.begin() as session:
        row = await _run_row(session, operator_id, run_id)
        if row.status != "delivering":
            return None
        row.status = "done"
        row.finished_at = clock.now()
        figures = await delivery.run_deliveries_in(session, operator_id, row.period)
        await _notify(session, db, row, "run_report", clock.now(), **report_params(row, figures))
        return figures


async def get_run(db: Database, operator_id: int, run_id: int) -> RunView:
    """Return one of the operator's runs."""
    async with db.sessions() as session:
        await load_operator(session, operator_id)
        row = (
            await session.execute(
                select(MonthlyRun).where(
                    MonthlyRun.operator_id == operator_id, MonthlyRun.id == run_id
                )
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("run.not_found")
        return _view(row)
