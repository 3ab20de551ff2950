"""Adjustments: a one-off charge (a school trip, a replacement fee) or a credit (goodwill, days
the van did not run) on a family's account, with a description.

A charge goes on the family's next monthly invoice as a line, or on an invoice of its own now.
A credit becomes a credit note (a payment row of method 'credit', numbered CN-2026-0001 per
operator and year): money the family holds, settling its unpaid invoices oldest first, the rest
kept as credit, never a negative balance. "On the next invoice" holds it until the next monthly
invoice is made, which it then settles first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import audit, delivery
from vanbill.services.billing import (
    NewLine,
    check_lines,
    closed_when_issued,
    due_date_for,
    invoice_status,
)
from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import lock_customer
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.invoices import item_rows, load_operator, take_numbers
from vanbill.services.models import (
    Adjustment,
    CreditNoteCounter,
    Invoice,
    InvoiceItem,
    Operator,
    Payment,
)
from vanbill.services.money import check_amount
from vanbill.services.numbering import format_number, take_sequence
from vanbill.services.payments import apply_credit
from vanbill.services.text import clean_text

CHARGE, CREDIT = "charge", "credit"
NEXT, NOW = "next", "now"
CREDIT_NOTE_PREFIX = "CN"
CREDIT_METHOD = "credit"


@dataclass(frozen=True)
class AdjustmentView:
    """An adjustment as recorded, and where it went (an invoice, a credit note) if anywhere."""

    id: int
    customer_id: int
    kind: str
    description: str
    amount_sen: int
    timing: str
    invoice_id: int | None
    invoice_number: str | None
    credit_note: str | None

    @property
    def pending(self) -> bool:
        """Say whether it still waits for the family's next invoice."""
        return self.invoice_id is None and self.credit_note is None


def check_adjustment(kind: str, description: str, amount_sen: int, timing: str) -> str:
    """Refuse an adjustment that cannot be recorded; return its cleaned description."""
    if kind not in (CHARGE, CREDIT):
        raise InvalidInput("adjustment.kind")
    if timing not in (NEXT, NOW):
        raise InvalidInput("adjustment.when")
    check_amount(amount_sen, what="amount")
    return clean_text(description, "description", limit=300)


async def issue_invoice_in(
    session: AsyncSession,
    dialect: str,
    operator: Operator,
    customer_id: int,
    clock: Clock,
    lines: Sequence[NewLine],
    *,
    description: str,
    period: date | None = None,
    discount_sen: int = 0,
) -> int:
    """Write an invoice of these lines (less discount_sen) in the caller's transaction, apply
    credit, queue it.

    The caller holds the counter and family locks in that order (take_numbers first).
    """
    check_lines(lines)
    today = local_today(clock, operator.timezone)
    (number,) = await take_numbers(session, dialect, operator, today.year, 1)
    subtotal = sum(line.amount_sen for line in lines)
    if not 0 <= discount_sen <= subtotal:
        raise InvalidInput("invoice.discount_too_large")
    total = subtotal - discount_sen
    invoice = Invoice(
        operator_id=operator.id,
        customer_id=customer_id,
        number=number,
        kind="monthly" if period is not None else "adhoc",
        period=period,
        issue_date=today,
        due_date=due_date_for(today, operator.due_day, period),
        description=description[:500],
        subtotal_sen=subtotal,
        discount_sen=discount_sen,
        total_sen=total,
        paid_sen=0,
        status=invoice_status(total, 0),
        closed_on=closed_when_issued(total, today),
        created_at=clock.now(),
    )
    session.add(invoice)
    await session.flush()
    await session.execute(
        InvoiceItem.__table__.insert(),
        item_rows(operator.id, invoice.id, lines),
    )
    await apply_credit(session, operator.id, customer_id, clock)
    await delivery.enqueue_invoices(session, dialect, operator.id, [invoice.id], clock.now())
    return invoice.id


async def credit_note_in(
    session: AsyncSession,
    dialect: str,
    operator: Operator,
    customer_id: int,
    clock: Clock,
    *,
    amount_sen: int,
    description: str,
    target_invoice_id: int | None = None,
) -> tuple[int, str]:
    """Write a credit note in the caller's transaction and settle unpaid invoices with it.

    Returns (payment id, number). The caller holds the family lock.
    """
    today = local_today(clock, operator.timezone)
    last = await take_sequence(
        session, dialect, CreditNoteCounter.__table__, operator.id, today.year, 1
    )
    number = format_number(CREDIT_NOTE_PREFIX, today.year, last + 1)
    note = Payment(
        operator_id=operator.id,
        customer_id=customer_id,
        amount_sen=check_amount(amount_sen, what="credit"),
        method=CREDIT_METHOD,
        reference=description[:100],
        paid_on=today,
        note=description[:500],
        created_at=clock.now(),
        receipt_number=number,
    )
    session.add(note)
    await session.flush()
    await apply_credit(
        session,
        operator.id,
        customer_id,
        clock,
        new_payment_id=note.id,
        target_invoice_id=target_invoice_id,
    )
    return note.id, number


async def _view(session: AsyncSession, row: Adjustment) -> AdjustmentView:
    number = None
    if row.invoice_id is not None:
        number = (
            await session.execute(select(Invoice.number).where(Invoice.id == row.invoice_id))
        ).scalar_one_or_none()
    credit_note = None
    if row.payment_id is not None:
        credit_note = (
            await session.execute(
                select(Payment.receipt_number).where(Payment.id == row.payment_id)
            )
        ).scalar_one_or_none()
    return AdjustmentView(
        id=row.id,
        customer_id=row.customer_id,
        kind=row.kind,
        description=row.description,
        amount_sen=row.amount_sen,
        timing=row.timing,
        invoice_id=row.invoice_id,
        invoice_number=number,
        credit_note=credit_note,
    )


def _audit_values(row: Adjustment) -> dict[str, object]:
    return {
        "kind": row.kind,
        "description": row.description,
        "amount_sen": row.amount_sen,
        "timing": row.timing,
        "invoice_id": row.invoice_id,
        "payment_id": row.payment_id,
    }


@retried
async def add_adjustment(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    actor: audit.Actor,
    *,
    kind: str,
    description: str,
    amount_sen: int,
    timing: str,
) -> AdjustmentView:
    """Record a charge or credit: for the next invoice, or as an invoice / credit note now."""
    text = check_adjustment(kind, description, amount_sen, timing)
    async with db.sessions.begin() as session:
        operator = await load_operator(session, operator_id)
        if kind == CHARGE and timing == NOW:
            # Lock order everywhere: the number counter first, then the family.
            today = local_today(clock, operator.timezone)
            await take_numbers(session, db.dialect, operator, today.year, 0)
        customer = await lock_customer(session, operator_id, customer_id)
        if customer.archived:
            raise Conflict("family.archived_first", name=customer.name)
        row = Adjustment(
            operator_id=operator_id,
            customer_id=customer_id,
            kind=kind,
            description=text,
            amount_sen=amount_sen,
            timing=timing,
            created_at=clock.now(),
        )
        session.add(row)
        await session.flush()
        if timing == NOW and kind == CHARGE:
            row.invoice_id = await issue_invoice_in(
                session,
                db.dialect,
                operator,
                customer_id,
                clock,
                [NewLine(description=text, unit_price_sen=amount_sen)],
                description=text,
            )
            row.applied_at = clock.now()
        elif timing == NOW:
            row.payment_id, _ = await credit_note_in(
                session,
                db.dialect,
                operator,
                customer_id,
                clock,
                amount_sen=amount_sen,
                description=text,
            )
            row.applied_at = clock.now()
            await delivery.enqueue_notice(
                session,
                db.dialect,
                operator_id,
                customer_id,
                f"credit:{row.id}",
                {"notice": "credit_note", "amount_sen": amount_sen, "description": text},
                clock.now(),
            )
        await session.flush()
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action=f"adjustment.{kind}",
            entity="adjustment",
            entity_id=row.id,
            customer_id=customer_id,
            after=_audit_values(row),
        )
        return await _view(session, row)


async def pending_for(
    session: AsyncSession, operator_id: int, customer_ids: Sequence[int]
) -> list[Adjustment]:
    """Return the adjustments waiting for these families' next invoice, oldest first."""
    if not customer_ids:
        return []
    rows = await session.execute(
        select(Adjustment)
        .where(
            Adjustment.operator_id == operator_id,
            Adjustment.customer_id.in_(set(customer_ids)),
            Adjustment.timing == NEXT,
            Adjustment.invoice_id.is_(None),
            Adjustment.payment_id.is_(None),
        )
        .order_by(Adjustment.id)
    )
    return list(rows.scalars())


async def settle_on_invoice(
    session: AsyncSession,
    dialect: str,
    operator: Operator,
    clock: Clock,
    invoices: dict[int, int],
    waiting: Sequence[Adjustment],
) -> None:
    """Mark charges billed on the family's new invoice; turn credits into credit notes on it.

    invoices maps each family to the invoice just made for it. The caller holds the locks.
    """
    for row in waiting:
        invoice_id = invoices.get(row.customer_id)
        if invoice_id is None:
            continue
        row.applied_at = clock.now()
        if row.kind == CHARGE:
            row.invoice_id = invoice_id
            continue
        row.invoice_id = invoice_id
        row.payment_id, _ = await credit_note_in(
            session,
            dialect,
            operator,
            row.customer_id,
            clock,
            amount_sen=row.amount_sen,
            description=row.description,
            target_invoice_id=invoice_id,
        )
    await session.flush()


async def list_adjustments(
    db: Database, operator_id: int, customer_id: int
) -> list[AdjustmentView]:
    """Return a family's adjustments, newest first."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(Adjustment)
            .where(Adjustment.operator_id == operator_id, Adjustment.customer_id == customer_id)
            .order_by(Adjustment.id.desc())
        )
        return [await _view(session, row) for row in rows.scalars()]


async def get_adjustment(db: Database, operator_id: int, adjustment_id: int) -> AdjustmentView:
    """Return one of the operator's adjustments, or raise NotFound."""
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(Adjustment).where(
                    Adjustment.operator_id == operator_id, Adjustment.id == adjustment_id
                )
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("adjustment.not_found")
        return await _view(session, row)
