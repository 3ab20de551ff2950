"""Late fees: optional, a fixed amount or a percentage of what is unpaid, added once per invoice
a chosen number of days after its due date, as a line on the invoice; waivable with one tap.

Never twice: the late_fees table holds at most one row per invoice (a unique key), kept when
the fee is waived, so a waived fee is never added again. Never on a paid or void invoice. The
pass runs from the scheduler every tick and is idempotent: it holds the operator's row lock
while it decides, and the unique key is the backstop.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import audit, delivery
from vanbill.services.billing import OPEN_STATUSES, invoice_status
from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import lock_customer
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.invoices import load_operator
from vanbill.services.models import (
    Customer,
    Delivery,
    Invoice,
    InvoiceItem,
    LateFee,
    Operator,
    PaymentAllocation,
)
from vanbill.services.money import check_amount, percent_of
from vanbill.services.payments import apply_credit, refresh_invoices

NONE, FIXED, PERCENT = "none", "fixed", "percent"
KINDS = (NONE, FIXED, PERCENT)
LINE = "Late fee"


@dataclass(frozen=True)
class LateFeeSettings:
    """An operator's late-fee rule."""

    kind: str
    amount_sen: int
    basis_points: int
    days: int

    @property
    def enabled(self) -> bool:
        """Say whether late fees are added at all."""
        return self.kind != NONE


LATE_FEE_NOTICE = "late_fee"


@dataclass(frozen=True)
class LateFeeAdded:
    """A late fee added to an invoice."""

    invoice_id: int
    invoice_number: str
    customer_id: int
    amount_sen: int


def late_fee_for(settings: LateFeeSettings, unpaid_sen: int) -> int:
    """Return the late fee on an invoice with unpaid_sen left (0 when there is none)."""
    if unpaid_sen <= 0 or not settings.enabled:
        return 0
    if settings.kind == FIXED:
        return settings.amount_sen
    return percent_of(unpaid_sen, settings.basis_points)


def fee_due(due_date: date, today: date, days: int) -> bool:
    """Say whether an invoice due on due_date gets its late fee today (days after due)."""
    return today >= due_date + timedelta(days=days)


def _settings(row: Operator) -> LateFeeSettings:
    return LateFeeSettings(row.late_fee_kind, row.late_fee_sen, row.late_fee_bp, row.late_fee_days)


async def get_settings(db: Database, operator_id: int) -> LateFeeSettings:
    """Return the operator's late-fee rule."""
    async with db.sessions() as session:
        return _settings(await load_operator(session, operator_id))


@retried
async def set_settings(
    db: Database,
    operator_id: int,
    clock: Clock,
    actor: audit.Actor,
    *,
    kind: str,
    amount_sen: int = 0,
    basis_points: int = 0,
    days: int = 7,
) -> LateFeeSettings:
    """Switch late fees off, or set a fixed amount or a percentage and the days after due."""
    if kind not in KINDS:
        raise InvalidInput("late_fee.kind")
    if kind == FIXED:
        check_amount(amount_sen, what="late_fee")
    if kind == PERCENT and not 1 <= basis_points <= 10_000:
        raise InvalidInput("late_fee.percentage")
    if not 1 <= days <= 365:
        raise InvalidInput("late_fee.days")
    async with db.sessions.begin() as session:
        row = (
            await session.execute(
                select(Operator).where(Operator.id == operator_id).with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("operator.not_found")
        before = _settings(row)
        row.late_fee_kind = kind
        row.late_fee_sen = amount_sen if kind == FIXED else 0
        row.late_fee_bp = basis_points if kind == PERCENT else 0
        row.late_fee_days = days
        await session.flush()
        after = _settings(row)
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action="settings.late_fee",
            entity="operator",
            entity_id=operator_id,
            before=before.__dict__,
            after=after.__dict__,
        )
        return after


@retried
async def add_late_fees(
    db: Database, operator_id: int, clock: Clock, *, session: AsyncSession | None = None
) -> list[LateFeeAdded]:
    """Add today's late fees to the operator's overdue invoices, each invoice at most once."""
    if session is None:
        async with db.sessions.begin() as own:
            return await add_late_fees(db, operator_id, clock, session=own)
    operator = (
        await session.execute(select(Operator).where(Operator.id == operator_id).with_for_update())
    ).scalar_one_or_none()
    if operator is None:
        raise NotFound("operator.not_found")
    settings = _settings(operator)
    if not settings.enabled:
        return []
    today = local_today(clock, operator.timezone)
    rows = (
        await session.execute(
            select(Invoice)
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
                Invoice.due_date <= today - timedelta(days=settings.days),
                Customer.archived.is_(False),
                ~exists().where(LateFee.invoice_id == Invoice.id),
            )
            .order_by(Invoice.id)
        )
    ).scalars()
    added = []
    for invoice in list(rows):
        fee = late_fee_for(settings, invoice.total_sen - invoice.paid_sen)
        if fee <= 0:
            continue
        position = len(
            (
                await session.execute(
                    select(InvoiceItem.id).where(
                        InvoiceItem.operator_id == operator_id,
                        InvoiceItem.invoice_id == invoice.id,
                    )
                )
            ).all()
        )
        item = InvoiceItem(
            operator_id=operator_id,
            invoice_id=invoice.id,
            position=position,
            description=f"{LINE} (due {invoice.due_date.isoformat()})",
            unit_price_sen=fee,
            quantity=1,
            amount_sen=fee,
        )
        session.add(item)
        await session.flush()
        session.add(
            LateFee(
                operator_id=operator_id,
                invoice_id=invoice.id,
                item_id=item.id,
                amount_sen=fee,
                added_on=today,
                created_at=clock.now(),
            )
        )
        before = {"total_sen": invoice.total_sen}
        invoice.subtotal_sen += fee
        invoice.total_sen += fee
        invoice.status = invoice_status(invoice.total_sen, invoice.paid_sen)
        await session.flush()
        await forget_uploaded_pdf(session, operator_id, invoice.id)
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=audit.BOT,
            action="invoice.late_fee",
            entity="invoice",
            entity_id=invoice.id,
            customer_id=invoice.customer_id,
            before=before,
            after={"total_sen": invoice.total_sen, "late_fee_sen": fee},
        )
        family_name = await session.scalar(
            select(Customer.name).where(
                Customer.operator_id == operator_id, Customer.id == invoice.customer_id
            )
        )
        # The operator hears of it through the outbox, once per invoice, with a Waive button.
        await delivery.notify_operator(
            session,
            db.dialect,
            operator_id,
            LATE_FEE_NOTICE,
            str(invoice.id),
            clock.now(),
            {
                "name": family_name or "",
                "invoice_id": invoice.id,
                "number": invoice.number,
                "amount_sen": fee,
                "currency": operator.currency,
            },
        )
        added.append(LateFeeAdded(invoice.id, invoice.number, invoice.customer_id, fee))
    return added


@dataclass(frozen=True)
class LateFeeWaived:
    """A late fee taken off an invoice."""

    invoice_id: int
    invoice_number: str
    customer_id: int
    amount_sen: int
    total_sen: int


@retried
async def waive_late_fee(
    db: Database, operator_id: int, invoice_id: int, clock: Clock, actor: audit.Actor
) -> LateFeeWaived:
    """Take an invoice's late fee off it (kept on record as waived, never added again).

    Whatever was paid towards the fee goes back to the family as credit.
    """
    async with db.sessions.begin() as session:
        fee = (
            await session.execute(
                select(LateFee).where(
                    LateFee.operator_id == operator_id, LateFee.invoice_id == invoice_id
                )
            )
        ).scalar_one_or_none()
        if fee is None:
            raise NotFound("late_fee.none")
        invoice = (
            await session.execute(
                select(Invoice).where(Invoice.operator_id == operator_id, Invoice.id == invoice_id)
            )
        ).scalar_one()
        await lock_customer(session, operator_id, invoice.customer_id)
        if fee.waived_at is not None:
            raise Conflict("late_fee.waived_already", number=invoice.number)
        if invoice.status == "void":
            raise Conflict("late_fee.invoice_void", number=invoice.number)
        if fee.item_id is not None:
            await session.execute(
                delete(InvoiceItem).where(
                    InvoiceItem.operator_id == operator_id, InvoiceItem.id == fee.item_id
                )
            )
        before = invoice.total_sen
        excess = invoice.paid_sen - (before - fee.amount_sen)
        if excess > 0:  # first, while the invoice row still adds up
            await _give_back(session, operator_id, invoice_id, excess)
            invoice.paid_sen -= excess
        fee.waived_at = clock.now()
        invoice.subtotal_sen -= fee.amount_sen
        invoice.total_sen -= fee.amount_sen
        await session.flush()
        await refresh_invoices(session, operator_id, [invoice_id])
        await apply_credit(session, operator_id, invoice.customer_id, clock)
        await forget_uploaded_pdf(session, operator_id, invoice_id)
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action="invoice.waive_late_fee",
            entity="invoice",
            entity_id=invoice_id,
            customer_id=invoice.customer_id,
            before={"total_sen": before, "late_fee_sen": fee.amount_sen},
            after={"total_sen": invoice.total_sen, "late_fee_sen": 0},
        )
        return LateFeeWaived(
            invoice_id, invoice.number, invoice.customer_id, fee.amount_sen, invoice.total_sen
        )


async def forget_uploaded_pdf(session: AsyncSession, operator_id: int, invoice_id: int) -> None:
    """Stop the sender reusing the PDF uploaded before the invoice changed: render it again.

    A send still in flight is marked too: when Telegram's answer is recorded after this
    change, its file id is of the old PDF and must not be reused either.
    """
    await delivery.forget_uploaded_pdfs(
        session, Delivery.operator_id == operator_id, Delivery.invoice_id == invoice_id
    )


async def _give_back(
    session: AsyncSession, operator_id: int, invoice_id: int, excess: int
) -> None:
    """Undo the latest allocations to an invoice by excess sen (that money is credit again)."""
    rows = (
        await session.execute(
            select(PaymentAllocation)
            .where(
                PaymentAllocation.operator_id == operator_id,
                PaymentAllocation.invoice_id == invoice_id,
            )
            .order_by(PaymentAllocation.id.desc())
        )
    ).scalars()
    for row in list(rows):
        if excess <= 0:
            break
        taken = min(excess, row.amount_sen)
        excess -= taken
        if taken == row.amount_sen:
            await session.delete(row)
        else:
            await session.execute(
                update(PaymentAllocation)
                .where(PaymentAllocation.id == row.id)
                .values(amount_sen=row.amount_sen - taken)
            )
    await session.flush()


async def late_fees_of(db: Database, operator_id: int, invoice_ids: list[int]) -> dict[int, int]:
    """Return the late fee (not waived) of each of these invoices that has one."""
    if not invoice_ids:
        return {}
    async with db.sessions() as session:
        rows = await session.execute(
            select(LateFee.invoice_id, LateFee.amount_sen).where(
                LateFee.operator_id == operator_id,
                LateFee.invoice_id.in_(invoice_ids),
                LateFee.waived_at.is_(None),
            )
        )
        return {r[0]: int(r[1]) for r in rows}
