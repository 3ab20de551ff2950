"""Payments, their allocation to invoices, and the family credit that is left over."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import audit, delivery, i18n
from vanbill.services.billing import OPEN_STATUSES, allocate
from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import load_customer, lock_customer
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound, TooLate
from vanbill.services.models import (
    Customer,
    Invoice,
    Operator,
    Payment,
    PaymentAllocation,
    PaymentSlip,
    ReceiptCounter,
)
from vanbill.services.money import check_amount
from vanbill.services.numbering import RECEIPT_PREFIX, format_number, take_sequence
from vanbill.services.operators import to_view as operator_view
from vanbill.services.text import clean_text
from vanbill.services.views import (
    PAYMENT_METHODS,
    AllocationView,
    PaymentView,
    ReceiptDocument,
    SettledInvoice,
)

# Audit log actions.
PAYMENT_RECORDED, PAYMENT_VOIDED = "payment_recorded", "payment_voided"
PAYMENT_UNDONE = "payment_undone"
SLIP_RECORDED = "slip_recorded"
# How long after recording a payment its confirmation's Undo button works.
UNDO_WINDOW = timedelta(minutes=10)


def payment_values(payment: PaymentView) -> dict[str, object]:
    """Return what the audit log keeps of a payment."""
    return {
        "receipt": payment.receipt_number,
        "amount_sen": payment.amount_sen,
        "method": payment.method,
        "paid_on": payment.paid_on,
        "status": "void" if payment.voided else "recorded",
        "settled": ", ".join(a.invoice_number for a in payment.allocations),
        "credit_sen": payment.unallocated_sen,
    }


async def refresh_invoices(
    session: AsyncSession, operator_id: int, invoice_ids: Iterable[int]
) -> None:
    """Recompute paid_sen and status of these invoices from their allocations."""
    ids = sorted(set(invoice_ids))
    if not ids:
        return
    paid = (
        select(func.coalesce(func.sum(PaymentAllocation.amount_sen), 0))
        .where(
            PaymentAllocation.operator_id == operator_id,
            PaymentAllocation.invoice_id == Invoice.id,
        )
        .scalar_subquery()
    )
    await session.execute(
        update(Invoice)
        .where(Invoice.operator_id == operator_id, Invoice.id.in_(ids))
        .values(paid_sen=paid)
        .execution_options(synchronize_session=False)
    )
    # A second statement: MySQL and SQLite disagree on whether SET sees values set before it.
    await session.execute(
        update(Invoice)
        .where(Invoice.operator_id == operator_id, Invoice.id.in_(ids))
        .values(
            status=case(
                (Invoice.status == "void", "void"),
                (Invoice.paid_sen >= Invoice.total_sen, "paid"),
                (Invoice.paid_sen > 0, "partial"),
                else_="open",
            )
        )
        .execution_options(synchronize_session=False)
    )
    last_paid = (
        select(func.max(Payment.paid_on))
        .join(
            PaymentAllocation,
            and_(
                PaymentAllocation.operator_id == Payment.operator_id,
                PaymentAllocation.payment_id == Payment.id,
            ),
        )
        .where(
            PaymentAllocation.operator_id == operator_id,
            PaymentAllocation.invoice_id == Invoice.id,
        )
        .scalar_subquery()
    )
    # A third: closed_on reads the status just set (reports.summary_report skips closed rows).
    await session.execute(
        update(Invoice)
        .where(Invoice.operator_id == operator_id, Invoice.id.in_(ids))
        .values(
            closed_on=case(
                (Invoice.status == "void", Invoice.issue_date),
                (
                    Invoice.status == "paid",
                    case((last_paid > Invoice.issue_date, last_paid), else_=Invoice.issue_date),
                ),
                else_=None,
            )
        )
        .execution_options(synchronize_session=False)
    )


async def unallocated_payments(
    session: AsyncSession, operator_id: int, customer_id: int
) -> list[tuple[int, int]]:
    """Return (payment id, amount not yet allocated) for a family, oldest payment first."""
    allocated = (
        select(func.coalesce(func.sum(PaymentAllocation.amount_sen), 0))
        .where(
            PaymentAllocation.operator_id == operator_id,
            PaymentAllocation.payment_id == Payment.id,
        )
        .scalar_subquery()
    )
    rows = await session.execute(
        select(Payment.id, Payment.amount_sen - allocated)
        .where(
            Payment.operator_id == operator_id,
            Payment.customer_id == customer_id,
            Payment.voided.is_(False),
        )
        .order_by(Payment.paid_on, Payment.id)
    )
    return [(r[0], int(r[1])) for r in rows if int(r[1]) > 0]


async def apply_credit(
    session: AsyncSession,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    *,
    new_payment_id: int | None = None,
    target_invoice_id: int | None = None,
) -> None:
    """Allocate a family's unallocated money to its unpaid invoices, oldest due first.

    The caller holds the customer's row lock. A chosen target invoice is settled first. Money
    from a payment other than new_payment_id was already credit, and is marked so. Every change
    of a family's payments or allocations ends here, so the family's credit_sen is set here.
    """
    await _allocate_credit(
        session,
        operator_id,
        customer_id,
        clock,
        new_payment_id=new_payment_id,
        target_invoice_id=target_invoice_id,
    )
    left = await unallocated_payments(session, operator_id, customer_id)
    await session.execute(
        update(Customer)
        .where(Customer.operator_id == operator_id, Customer.id == customer_id)
        .values(credit_sen=sum(amount for _, amount in left))
        .execution_options(synchronize_session=False)
    )


async def _allocate_credit(
    session: AsyncSession,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    *,
    new_payment_id: int | None,
    target_invoice_id: int | None,
) -> None:
    available = await unallocated_payments(session, operator_id, customer_id)
    if not available:
        return
    owed_rows = await session.execute(
        select(Invoice.id, Invoice.total_sen - Invoice.paid_sen)
        .where(
            Invoice.operator_id == operator_id,
            Invoice.customer_id == customer_id,
            Invoice.status.in_(OPEN_STATUSES),
        )
        .order_by(
            case((Invoice.id == (target_invoice_id or 0), 0), else_=1),
            Invoice.due_date,
            Invoice.id,
        )
    )
    owed = [(r[0], int(r[1])) for r in owed_rows]
    triples = allocate(available, owed)
    if not triples:
        return
    existing = {
        (r.payment_id, r.invoice_id): r
        for r in (
            await session.execute(
                select(PaymentAllocation).where(
                    PaymentAllocation.operator_id == operator_id,
                    PaymentAllocation.payment_id.in_({t[0] for t in triples}),
                    PaymentAllocation.invoice_id.in_({t[1] for t in triples}),
                )
            )
        ).scalars()
    }
    now = clock.now()
    for payment_id, invoice_id, amount in triples:
        row = existing.get((payment_id, invoice_id))
        if row is not None:
            row.amount_sen += amount
        else:
            session.add(
                PaymentAllocation(
                    operator_id=operator_id,
                    payment_id=payment_id,
                    invoice_id=invoice_id,
                    amount_sen=amount,
                    from_credit=payment_id != new_payment_id,
                    created_at=now,
                )
            )
    await session.flush()
    await refresh_invoices(session, operator_id, (t[1] for t in triples))


async def family_credit(session: AsyncSession, operator_id: int, customer_id: int) -> int:
    """Return the family's unallocated money in sen."""
    return sum(left for _, left in await unallocated_payments(session, operator_id, customer_id))


async def family_owed(session: AsyncSession, operator_id: int, customer_id: int) -> int:
    """Return what the family owes on open invoices in sen."""
    owed = (
        await session.execute(
            select(func.coalesce(func.sum(Invoice.total_sen - Invoice.paid_sen), 0)).where(
                Invoice.operator_id == operator_id,
                Invoice.customer_id == customer_id,
                Invoice.status.in_(OPEN_STATUSES),
            )
        )
    ).scalar_one()
    return int(owed)


async def load_payment(session: AsyncSession, operator_id: int, payment_id: int) -> PaymentView:
    """Return one of the operator's payments with its allocations, or raise NotFound."""
    row = (
        await session.execute(
            select(Payment).where(Payment.operator_id == operator_id, Payment.id == payment_id)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("payment.not_found")
    customer = await load_customer(session, operator_id, row.customer_id)
    allocations = await session.execute(
        select(PaymentAllocation.invoice_id, Invoice.number, PaymentAllocation.amount_sen)
        .join(
            Invoice,
            (Invoice.operator_id == PaymentAllocation.operator_id)
            & (Invoice.id == PaymentAllocation.invoice_id),
        )
        .where(
            PaymentAllocation.operator_id == operator_id,
            PaymentAllocation.payment_id == payment_id,
        )
        .order_by(Invoice.due_date, Invoice.id)
    )
    return PaymentView(
        id=row.id,
        receipt_number=row.receipt_number,
        customer_id=row.customer_id,
        customer_name=customer.name,
        amount_sen=row.amount_sen,
        method=row.method,
        reference=row.reference,
        paid_on=row.paid_on,
        voided=row.voided,
        created_at=row.created_at,
        allocations=tuple(
            AllocationView(invoice_id=a[0], invoice_number=a[1], amount_sen=int(a[2]))
            for a in allocations
        ),
        void_reason=row.void_reason,
    )


async def _operator_timezone(session: AsyncSession, operator_id: int) -> str:
    tz = (
        await session.execute(select(Operator.timezone).where(Operator.id == operator_id))
    ).scalar_one_or_none()
    if tz is None:
        raise NotFound("operator.not_found")
    return tz


async def new_payment(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    *,
    amount_sen: int,
    method: str,
    paid_on: date | None = None,
    reference: str = "",
    invoice_id: int | None = None,
    recorded_by: int | None = None,
    note: str = "",
) -> int:
    """Check and write a payment and settle invoices with it; the caller holds the family lock.

    A chosen invoice is settled first, then the oldest unpaid ones; the rest is credit. The
    payment takes the next receipt number of its year (RCPT-2026-0003) in this transaction.
    """
    check_amount(amount_sen, what="payment")
    if method not in PAYMENT_METHODS:
        raise InvalidInput("payment.method", methods=", ".join(PAYMENT_METHODS))
    reference = clean_text(reference, "reference", limit=100, required=False)
    note = clean_text(note, "note", limit=500, required=False)
    today = local_today(clock, await _operator_timezone(session, operator_id))
    paid_on = paid_on or today
    if paid_on > today:
        raise InvalidInput("payment.future")
    if paid_on.year < today.year - 5:
        raise InvalidInput("payment.too_far_back")
    if invoice_id is not None:
        status = (
            await session.execute(
                select(Invoice.status).where(
                    Invoice.operator_id == operator_id,
                    Invoice.customer_id == customer_id,
                    Invoice.id == invoice_id,
                )
            )
        ).scalar_one_or_none()
        if status is None:
            raise NotFound("payment.invoice_not_found")
        if status not in OPEN_STATUSES:
            raise (
                Conflict("payment.invoice_paid")
                if status == "paid"
                else Conflict("payment.invoice_void")
            )
    last = await take_sequence(
        session, dialect, ReceiptCounter.__table__, operator_id, paid_on.year, 1
    )
    payment = Payment(
        operator_id=operator_id,
        customer_id=customer_id,
        amount_sen=amount_sen,
        method=method,
        reference=reference,
        paid_on=paid_on,
        recorded_by=recorded_by,
        note=note,
        created_at=clock.now(),
        receipt_number=format_number(RECEIPT_PREFIX, paid_on.year, last + 1),
    )
    session.add(payment)
    await session.flush()
    await apply_credit(
        session,
        operator_id,
        customer_id,
        clock,
        new_payment_id=payment.id,
        target_invoice_id=invoice_id,
    )
    return payment.id


@retried
async def record_payment(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    *,
    amount_sen: int,
    method: str,
    paid_on: date | None = None,
    reference: str = "",
    invoice_id: int | None = None,
    recorded_by: int | None = None,
    note: str = "",
    notify_parent: bool = False,
    actor: audit.Actor | None = None,
) -> PaymentView:
    """Record money received from a family and settle invoices with it; the rest is credit.

    With notify_parent, the receipt is queued for the family in the same transaction.
    """
    async with db.sessions.begin() as session:
        await _operator_timezone(session, operator_id)
        await lock_customer(session, operator_id, customer_id)
        payment_id = await new_payment(
            session,
            db.dialect,
            operator_id,
            customer_id,
            clock,
            amount_sen=amount_sen,
            method=method,
            paid_on=paid_on,
            reference=reference,
            invoice_id=invoice_id,
            recorded_by=recorded_by,
            note=note,
        )
        if notify_parent:
            await delivery.enqueue_receipt(
                session, db.dialect, operator_id, customer_id, payment_id, clock.now()
            )
        recorded = await load_payment(session, operator_id, payment_id)
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor if actor is not None else audit.Actor.operator(recorded_by),
            action=PAYMENT_RECORDED,
            entity="payment",
            entity_id=payment_id,
            customer_id=customer_id,
            after=payment_values(recorded),
        )
        return recorded


@retried
async def void_payment(
    db: Database,
    operator_id: int,
    payment_id: int,
    clock: Clock,
    *,
    reason: str = "",
    actor: audit.Actor = audit.BOT,
    within: timedelta | None = None,
) -> PaymentView:
    """Void a payment recorded by mistake: its allocations are undone, statuses recomputed.

    The parent, if their receipt reached them, gets it again stamped VOID; the audit log
    records who voided it and why. With `within`, only a payment recorded that recently (by
    the service clock) is voided: the Undo button of a confirmation.
    """
    reason = clean_text(reason, "reason", limit=200, required=False)
    async with db.sessions.begin() as session:
        voided, _ = await _void(
            session, db.dialect, operator_id, payment_id, clock, reason, actor, within
        )
        return voided


@dataclass(frozen=True)
class UndonePayment:
    """A payment undone right after it was recorded, and the slip that waits again (if any)."""

    payment: PaymentView
    slip_id: int | None


@retried
async def undo_payment(
    db: Database,
    operator_id: int,
    payment_id: int,
    clock: Clock,
    *,
    reason: str = "",
    actor: audit.Actor = audit.BOT,
) -> UndonePayment:
    """Undo a payment recorded less than UNDO_WINDOW ago (the Undo button): it is voided as
    void_payment does, and a transfer slip it was recorded from goes back to waiting for a
    decision, so it can be recorded again; all in one transaction."""
    reason = clean_text(reason, "reason", limit=200, required=False)
    async with db.sessions.begin() as session:
        voided, slip_id = await _void(
            session, db.dialect, operator_id, payment_id, clock, reason, actor, UNDO_WINDOW
        )
        return UndonePayment(voided, slip_id)


async def _reopen_slip(session: AsyncSession, operator_id: int, payment_id: int) -> int | None:
    """Put the slip a payment was recorded from back to waiting; return its id (or None)."""
    slip = (
        await session.execute(
            select(PaymentSlip).where(
                PaymentSlip.operator_id == operator_id,
                PaymentSlip.payment_id == payment_id,
                PaymentSlip.status == "recorded",
            )
        )
    ).scalar_one_or_none()
    if slip is None:
        return None
    slip.status = "pending"
    slip.payment_id = None
    slip.decided_at = None
    return slip.id


async def _void(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    payment_id: int,
    clock: Clock,
    reason: str,
    actor: audit.Actor,
    within: timedelta | None,
) -> tuple[PaymentView, int | None]:
    """Void a payment in the session (void_payment's work); return it and a reopened slip."""
    customer_id = (
        await session.execute(
            select(Payment.customer_id).where(
                Payment.operator_id == operator_id, Payment.id == payment_id
            )
        )
    ).scalar_one_or_none()
    if customer_id is None:
        raise NotFound("payment.not_found")
    await lock_customer(session, operator_id, customer_id)
    payment = (
        await session.execute(
            select(Payment)
            .where(Payment.operator_id == operator_id, Payment.id == payment_id)
            .execution_options(populate_existing=True)
        )
    ).scalar_one()
    if payment.voided:
        if payment.void_reason:
            raise Conflict(
                "void.already_because", number=payment.receipt_number, reason=payment.void_reason
            )
        raise Conflict("void.already", number=payment.receipt_number)
    if within is not None and clock.now() - payment.created_at > within:
        raise TooLate(
            "payment.undo_too_late",
            minutes=int(within.total_seconds() // 60),
            number=payment.receipt_number,
        )
    before = payment_values(await load_payment(session, operator_id, payment_id))
    touched = [
        r[0]
        for r in await session.execute(
            select(PaymentAllocation.invoice_id).where(
                PaymentAllocation.operator_id == operator_id,
                PaymentAllocation.payment_id == payment_id,
            )
        )
    ]
    await session.execute(
        delete(PaymentAllocation).where(
            PaymentAllocation.operator_id == operator_id,
            PaymentAllocation.payment_id == payment_id,
        )
    )
    payment.voided = True
    payment.voided_at = clock.now()
    payment.void_reason = reason
    await session.flush()
    await refresh_invoices(session, operator_id, touched)
    await apply_credit(session, operator_id, customer_id, clock)
    voided = await load_payment(session, operator_id, payment_id)
    audit.record(
        session,
        clock,
        operator_id=operator_id,
        actor=actor,
        action=PAYMENT_UNDONE if within is not None else PAYMENT_VOIDED,
        entity="payment",
        entity_id=payment_id,
        customer_id=customer_id,
        before=before,
        after=payment_values(voided),
        reason=reason,
    )
    if await delivery.reached_parent(session, operator_id, payment_id=payment_id):
        await delivery.enqueue_void_receipt(
            session, dialect, operator_id, customer_id, payment_id, clock.now()
        )
    slip_id = None
    if within is not None:  # undone: the slip it was recorded from waits again
        slip_id = await _reopen_slip(session, operator_id, payment_id)
    return voided, slip_id


async def get_payment(db: Database, operator_id: int, payment_id: int) -> PaymentView:
    """Return one of the operator's payments with its allocations."""
    async with db.sessions() as session:
        return await load_payment(session, operator_id, payment_id)


async def list_payments(
    db: Database, operator_id: int, *, customer_id: int | None = None, limit: int = 50
) -> list[PaymentView]:
    """Return recent payments, newest first (one family's, when given)."""
    conditions = [Payment.operator_id == operator_id]
    if customer_id is not None:
        conditions.append(Payment.customer_id == customer_id)
    async with db.sessions() as session:
        ids = (
            await session.execute(
                select(Payment.id)
                .where(*conditions)
                .order_by(Payment.paid_on.desc(), Payment.id.desc())
                .limit(max(1, min(limit, 500)))
            )
        ).scalars()
        return [await load_payment(session, operator_id, pid) for pid in list(ids)]


async def receipt_document(
    db: Database, operator_id: int, payment_id: int, clock: Clock, *, voided: bool = False
) -> ReceiptDocument:
    """Return what the receipt PDF of a payment shows (with voided, of a void one: stamped)."""
    async with db.sessions() as session:
        payment = await load_payment(session, operator_id, payment_id)
        if payment.voided and not voided:
            raise Conflict("payment.voided_no_receipt")
        operator = await session.get(Operator, operator_id)
        assert operator is not None
        customer = await load_customer(session, operator_id, payment.customer_id)
        language = (
            await session.execute(
                select(Customer.language).where(
                    Customer.operator_id == operator_id, Customer.id == payment.customer_id
                )
            )
        ).scalar_one_or_none()
        owed = await family_owed(session, operator_id, payment.customer_id)
        credit = await family_credit(session, operator_id, payment.customer_id)
        balance, invoices = await _standing_after(session, operator_id, payment)
        return ReceiptDocument(
            operator=operator_view(operator),
            payment=payment,
            customer=customer,
            balance_after_sen=owed - credit,
            today=local_today(clock, operator.timezone),
            balance_then_sen=balance,
            invoices=invoices,
            locale=i18n.known(language) or i18n.DEFAULT,
        )


async def _standing_after(
    session: AsyncSession, operator_id: int, payment: PaymentView
) -> tuple[int, tuple[SettledInvoice, ...]]:
    """Return the family's balance right after payment (negative: credit), and each invoice it
    went to with what remained owing on it then.

    "Right after" counts the invoices issued by the day paid and the payments (credit notes
    included) recorded up to this one, in the order paid (day, then id); a payment voided since
    counts for nothing, and neither does a void invoice.
    """
    customer_id, paid_on = payment.customer_id, payment.paid_on
    earlier = or_(
        Payment.paid_on < paid_on, and_(Payment.paid_on == paid_on, Payment.id <= payment.id)
    )
    invoiced = (
        await session.execute(
            select(func.coalesce(func.sum(Invoice.total_sen), 0)).where(
                Invoice.operator_id == operator_id,
                Invoice.customer_id == customer_id,
                Invoice.status.in_((*OPEN_STATUSES, "paid")),
                Invoice.issue_date <= paid_on,
            )
        )
    ).scalar_one()
    paid = (
        await session.execute(
            select(func.coalesce(func.sum(Payment.amount_sen), 0)).where(
                Payment.operator_id == operator_id,
                Payment.customer_id == customer_id,
                Payment.voided.is_(False),
                earlier,
            )
        )
    ).scalar_one()
    if payment.voided:  # a void receipt shows the standing as if this payment had counted
        paid += payment.amount_sen
    ids = [a.invoice_id for a in payment.allocations]
    if not ids:
        return int(invoiced) - int(paid), ()
    rows = {
        row.id: row
        for row in await session.execute(
            select(Invoice.id, Invoice.number, Invoice.period, Invoice.total_sen).where(
                Invoice.operator_id == operator_id, Invoice.id.in_(ids)
            )
        )
    }
    applied = dict(
        (
            await session.execute(
                select(PaymentAllocation.invoice_id, func.sum(PaymentAllocation.amount_sen))
                .join(
                    Payment,
                    and_(
                        Payment.operator_id == PaymentAllocation.operator_id,
                        Payment.id == PaymentAllocation.payment_id,
                    ),
                )
                .where(
                    PaymentAllocation.operator_id == operator_id,
                    PaymentAllocation.invoice_id.in_(ids),
                    or_(Payment.voided.is_(False), Payment.id == payment.id),
                    earlier,
                )
                .group_by(PaymentAllocation.invoice_id)
            )
        ).all()
    )
    settled = tuple(
        SettledInvoice(
            number=rows[a.invoice_id].number,
            period=rows[a.invoice_id].period,
            total_sen=rows[a.invoice_id].total_sen,
            applied_sen=a.amount_sen,
            remaining_sen=max(0, rows[a.invoice_id].total_sen - int(applied.get(a.invoice_id, 0))),
        )
        for a in payment.allocations
        if a.invoice_id in rows
    )
    return int(invoiced) - int(paid), settled
