"""Which invoices need which payment reminder today; each stage goes out at most once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import delivery
from vanbill.services.billing import OPEN_STATUSES, next_reminder_day, reminder_stage
from vanbill.services.clock import Clock, local_today, zone
from vanbill.services.db import Database, retried
from vanbill.services.invoices import load_invoices, load_operator
from vanbill.services.models import Customer, Delivery, Invoice, Operator, ReminderLog
from vanbill.services.operators import parse_reminder_offsets
from vanbill.services.views import InvoiceView


@dataclass(frozen=True)
class ReminderDue:
    """A reminder to send: which invoice, which stage (days from due), how late it is."""

    invoice: InvoiceView
    stage: int
    days_late: int
    chat_id: int | None

    @property
    def customer_id(self) -> int:
        """Return the family the invoice belongs to."""
        return self.invoice.customer_id


async def _select(session: AsyncSession, operator_id: int, clock: Clock) -> list[ReminderDue]:
    operator = await load_operator(session, operator_id)
    if not operator.reminders_enabled:
        return []
    offsets = parse_reminder_offsets(operator.reminder_offsets)
    if not offsets:
        return []
    today = local_today(clock, operator.timezone)
    latest_due = today - timedelta(days=min(offsets))
    candidates = (
        await session.execute(
            select(Invoice.id, Invoice.due_date, Invoice.issue_date, Customer.telegram_chat_id)
            .join(
                Customer,
                and_(
                    Customer.operator_id == Invoice.operator_id, Customer.id == Invoice.customer_id
                ),
            )
            .where(
                Invoice.operator_id == operator_id,
                Invoice.status.in_(OPEN_STATUSES),
                Invoice.due_date <= latest_due,
                Customer.archived.is_(False),
                Customer.reminders_paused.is_(False),
            )
        )
    ).all()
    if not candidates:
        return []
    ids = [c[0] for c in candidates]
    sent: dict[int, set[int]] = defaultdict(set)
    for invoice_id, stage in await session.execute(
        select(ReminderLog.invoice_id, ReminderLog.stage).where(
            ReminderLog.operator_id == operator_id, ReminderLog.invoice_id.in_(ids)
        )
    ):
        sent[invoice_id].add(stage)
    chosen: dict[int, tuple[int, int | None]] = {}
    for invoice_id, due_date, issued_on, chat_id in candidates:
        stage = reminder_stage(offsets, due_date, today, sent[invoice_id], issued_on)
        if stage is not None:
            chosen[invoice_id] = (stage, chat_id)
    if not chosen:
        return []
    views = await load_invoices(
        session, operator_id, [Invoice.id.in_(list(chosen))], today, limit=len(chosen)
    )
    return [
        ReminderDue(
            invoice=v,
            stage=chosen[v.id][0],
            days_late=(today - v.due_date).days,
            chat_id=chosen[v.id][1],
        )
        for v in views
    ]


async def reminders_due(db: Database, operator_id: int, clock: Clock) -> list[ReminderDue]:
    """Return the reminders due today, writing nothing."""
    async with db.sessions() as session:
        return await _select(session, operator_id, clock)


@dataclass(frozen=True)
class ReminderOutlook:
    """Today's reminders; when there are none, who owes and when the next reminder goes out."""

    due: tuple[ReminderDue, ...]
    owing_families: int  # families (not archived) with unpaid invoices
    paused_families: int  # of those, the ones whose reminders are paused
    next_on: date | None  # the first day after today a reminder is chosen (None: no more)
    reminder_hour: int
    reminders_enabled: bool
    held: int = 0  # reminders queued already and held by quiet hours (21:00 to 08:00)
    held_until: date | None = None  # the local day they go out, at 08:00


async def reminder_outlook(db: Database, operator_id: int, clock: Clock) -> ReminderOutlook:
    """Return today's reminders, or why there are none: who owes, what quiet hours hold, and
    when the next reminder goes out (writing nothing)."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        due = await _select(session, operator_id, clock)
        today = local_today(clock, operator.timezone)
        open_invoices = (
            await session.execute(
                select(
                    Invoice.id, Invoice.customer_id, Invoice.due_date, Customer.reminders_paused
                )
                .join(
                    Customer,
                    and_(
                        Customer.operator_id == Invoice.operator_id,
                        Customer.id == Invoice.customer_id,
                    ),
                )
                .where(
                    Invoice.operator_id == operator_id,
                    Invoice.status.in_(OPEN_STATUSES),
                    Customer.archived.is_(False),
                )
            )
        ).all()
        sent: dict[int, set[int]] = defaultdict(set)
        for invoice_id, stage in await session.execute(
            select(ReminderLog.invoice_id, ReminderLog.stage)
            .join(
                Invoice,
                and_(
                    Invoice.operator_id == ReminderLog.operator_id,
                    Invoice.id == ReminderLog.invoice_id,
                ),
            )
            .where(ReminderLog.operator_id == operator_id, Invoice.status.in_(OPEN_STATUSES))
        ):
            sent[invoice_id].add(stage)
        offsets = parse_reminder_offsets(operator.reminder_offsets)
        upcoming = [
            day
            for invoice_id, _, due_date, paused in open_invoices
            if not paused
            and (day := next_reminder_day(offsets, due_date, today, sent[invoice_id]))
        ]
        now = clock.now()
        quiet_end = delivery.quiet_until(now, operator.timezone)
        held = 0
        if quiet_end is not None:
            held = (
                await session.execute(
                    select(func.count()).where(
                        Delivery.operator_id == operator_id,
                        Delivery.kind == "reminder",
                        Delivery.status == "pending",
                        Delivery.next_attempt_at > now,
                    )
                )
            ).scalar_one()
        return ReminderOutlook(
            due=tuple(due),
            owing_families=len({row[1] for row in open_invoices}),
            paused_families=len({row[1] for row in open_invoices if row[3]}),
            next_on=min(upcoming, default=None) if offsets else None,
            reminder_hour=operator.reminder_hour,
            reminders_enabled=operator.reminders_enabled,
            held=int(held),
            held_until=(
                quiet_end.astimezone(zone(operator.timezone)).date()
                if held and quiet_end is not None
                else None
            ),
        )


@retried
async def claim_reminders(
    db: Database, operator_id: int, clock: Clock, session: AsyncSession | None = None
) -> list[ReminderDue]:
    """Choose today's reminders and record them, so no stage is ever chosen twice.

    Pass a session to record them inside a larger transaction (the outbox's).
    """
    if session is None:
        async with db.sessions.begin() as own:
            return await claim_reminders(db, operator_id, clock, own)
    # Claims for one operator queue up on its row, so a second pass sees the first's log rows;
    # the unique key (invoice_id, stage) stays the backstop.
    operator = (
        await session.execute(select(Operator).where(Operator.id == operator_id).with_for_update())
    ).scalar_one()
    due = await _select(session, operator_id, clock)
    today = local_today(clock, operator.timezone)
    if due:
        await session.execute(
            ReminderLog.__table__.insert(),
            [
                {
                    "operator_id": operator_id,
                    "invoice_id": reminder.invoice.id,
                    "stage": reminder.stage,
                    "sent_on": today,
                    "created_at": clock.now(),
                }
                for reminder in due
            ],
        )
    return due


@retried
async def queue_reminders(db: Database, operator_id: int, clock: Clock) -> list[ReminderDue]:
    """Choose today's reminders and queue them, in one transaction; return what was queued.

    Outside 08:00-21:00 local time they wait in the outbox until 08:00.
    """
    async with db.sessions.begin() as session:
        tz = (
            await session.execute(select(Operator.timezone).where(Operator.id == operator_id))
        ).scalar_one()
        due = await claim_reminders(db, operator_id, clock, session)
        now = clock.now()
        not_before = delivery.quiet_until(now, tz)
        linked = await delivery.linked_customers(
            session, operator_id, (r.customer_id for r in due)
        )
        await delivery.insert_rows(
            session,
            db.dialect,
            [
                delivery.delivery_row(
                    operator_id,
                    r.customer_id,
                    "reminder",
                    f"reminder:{r.invoice.id}:{r.stage}",
                    now,
                    linked=r.customer_id in linked,
                    invoice_id=r.invoice.id,
                    meta={"stage": r.stage, "days_late": r.days_late},
                    not_before=not_before,
                )
                for r in due
            ],
        )
        return due
