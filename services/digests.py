"""The operator's short daily digest at her hour: payments recorded, slips waiting, invoices
falling due, families overdue, deliveries that failed. Queued once a day through the outbox."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from vanbill.services import delivery
from vanbill.services.billing import OPEN_STATUSES
from vanbill.services.clock import Clock, local_now
from vanbill.services.db import Database, retried
from vanbill.services.errors import NotFound
from vanbill.services.models import Delivery, Invoice, Operator, Payment, PaymentSlip

DIGEST = "digest"  # the operator notice (delivery.notify_operator)
DUE_SOON_DAYS = 3
FAILED = ("failed", "undeliverable")


@dataclass(frozen=True)
class Digest:
    """One day's figures for an operator (amounts in sen)."""

    day: str  # the local date, ISO
    payments: int
    collected_sen: int
    slips_waiting: int
    falling_due: int
    falling_due_sen: int
    families_overdue: int
    deliveries_failed: int


def digest_due(digest_hour: int | None, local_hour: int) -> bool:
    """Say whether the digest goes out in this local hour (None: the operator wants none)."""
    return digest_hour is not None and local_hour == digest_hour


async def day_figures(db: Database, operator_id: int, clock: Clock) -> Digest:
    """Return today's figures for the operator (its local day)."""
    async with db.sessions() as session:
        return await _figures(session, operator_id, clock)


async def _figures(session, operator_id: int, clock: Clock) -> Digest:  # type: ignore[no-untyped-def]
    tz = await session.scalar(select(Operator.timezone).where(Operator.id == operator_id))
    if tz is None:
        raise NotFound("operator.not_found")
    today: date = local_now(clock, tz).date()
    paid = (
        await session.execute(
            select(func.count(), func.coalesce(func.sum(Payment.amount_sen), 0)).where(
                Payment.operator_id == operator_id,
                Payment.paid_on == today,
                Payment.voided.is_(False),
            )
        )
    ).one()
    slips = await session.scalar(
        select(func.count()).where(
            PaymentSlip.operator_id == operator_id, PaymentSlip.status == "pending"
        )
    )
    due = (
        await session.execute(
            select(
                func.count(), func.coalesce(func.sum(Invoice.total_sen - Invoice.paid_sen), 0)
            ).where(
                Invoice.operator_id == operator_id,
                Invoice.status.in_(OPEN_STATUSES),
                Invoice.due_date >= today,
                Invoice.due_date <= today + timedelta(days=DUE_SOON_DAYS),
            )
        )
    ).one()
    overdue = await session.scalar(
        select(func.count(func.distinct(Invoice.customer_id))).where(
            Invoice.operator_id == operator_id,
            Invoice.status.in_(OPEN_STATUSES),
            Invoice.due_date < today,
        )
    )
    failed = await session.scalar(
        select(func.count()).where(
            Delivery.operator_id == operator_id,
            Delivery.status.in_(FAILED),
            Delivery.created_at >= clock.now() - timedelta(days=1),
        )
    )
    return Digest(
        day=today.isoformat(),
        payments=int(paid[0]),
        collected_sen=int(paid[1]),
        slips_waiting=int(slips or 0),
        falling_due=int(due[0]),
        falling_due_sen=int(due[1]),
        families_overdue=int(overdue or 0),
        deliveries_failed=int(failed or 0),
    )


@retried
async def queue_digest(db: Database, operator_id: int, clock: Clock) -> Digest:
    """Queue today's digest for the operator; queuing it again the same day changes nothing."""
    async with db.sessions.begin() as session:
        figures = await _figures(session, operator_id, clock)
        await delivery.notify_operator(
            session, db.dialect, operator_id, DIGEST, figures.day, clock.now(), asdict(figures)
        )
        return figures
