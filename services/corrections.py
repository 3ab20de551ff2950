"""Corrections: what a family's mistakes can be undone on, and the reason a void asks for.

The voids themselves are `invoices.void_invoice` and `payments.void_payment` (each one
transaction, with its audit entry and the parent's VOID document queued in it).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from vanbill.services.clock import Clock, local_today
from vanbill.services.customers import load_customer
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, NotFound
from vanbill.services.invoices import load_invoices, load_operator
from vanbill.services.models import Invoice, Payment
from vanbill.services.payments import load_payment
from vanbill.services.text import clean_text
from vanbill.services.views import InvoiceView, PaymentView

REASON_LIMIT = 200
LATEST = 6  # invoices and payments offered for a correction, newest first


@dataclass(frozen=True)
class Correctable:
    """A family's latest invoices and payments that are not void yet."""

    customer_id: int
    customer_name: str
    invoices: tuple[InvoiceView, ...]
    payments: tuple[PaymentView, ...]


def check_reason(text: str | None) -> str:
    """Return the reason for a void, cleaned; refuse an empty or overlong one."""
    return clean_text(text or "", "reason", limit=REASON_LIMIT, required=True)


async def correctable(
    db: Database, operator_id: int, customer_id: int, clock: Clock
) -> Correctable:
    """Return the family's latest invoices and payments that can still be voided."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        customer = await load_customer(session, operator_id, customer_id)
        invoice_ids = list(
            (
                await session.execute(
                    select(Invoice.id)
                    .where(
                        Invoice.operator_id == operator_id,
                        Invoice.customer_id == customer_id,
                        Invoice.status != "void",
                    )
                    .order_by(Invoice.issue_date.desc(), Invoice.id.desc())
                    .limit(LATEST)
                )
            ).scalars()
        )
        today = local_today(clock, operator.timezone)
        found = await load_invoices(session, operator_id, [Invoice.id.in_(invoice_ids)], today)
        order = {invoice_id: i for i, invoice_id in enumerate(invoice_ids)}
        payment_ids = (
            await session.execute(
                select(Payment.id)
                .where(
                    Payment.operator_id == operator_id,
                    Payment.customer_id == customer_id,
                    Payment.voided.is_(False),
                )
                .order_by(Payment.created_at.desc(), Payment.id.desc())
                .limit(LATEST)
            )
        ).scalars()
        return Correctable(
            customer_id=customer_id,
            customer_name=customer.name,
            invoices=tuple(sorted(found, key=lambda v: order[v.id])),
            payments=tuple([await load_payment(session, operator_id, p) for p in payment_ids]),
        )


async def invoice_to_void(
    db: Database, operator_id: int, invoice_id: int, clock: Clock
) -> InvoiceView:
    """Return one of the operator's invoices that can be voided (Conflict when void already)."""
    async with db.sessions() as session:
        operator = await load_operator(session, operator_id)
        today = local_today(clock, operator.timezone)
        found = await load_invoices(session, operator_id, [Invoice.id == invoice_id], today)
    if not found:
        raise NotFound("invoice.not_found")
    invoice = found[0]
    if invoice.status == "void":
        if invoice.void_reason:
            raise Conflict(
                "void.already_because", number=invoice.number, reason=invoice.void_reason
            )
        raise Conflict("void.already", number=invoice.number)
    return invoice


async def payment_to_void(db: Database, operator_id: int, payment_id: int) -> PaymentView:
    """Return one of the operator's payments that can be voided (Conflict when void already)."""
    async with db.sessions() as session:
        payment = await load_payment(session, operator_id, payment_id)
    if payment.voided:
        if payment.void_reason:
            raise Conflict(
                "void.already_because", number=payment.receipt_number, reason=payment.void_reason
            )
        raise Conflict("void.already", number=payment.receipt_number)
    return payment
