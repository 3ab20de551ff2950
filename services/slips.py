"""Transfer slips parents send: kept until the operator records the payment or dismisses them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from vanbill.services import delivery
from vanbill.services.clock import Clock
from vanbill.services.customers import clean_text, lock_customer
from vanbill.services.db import Database
from vanbill.services.errors import Conflict, NotFound
from vanbill.services.models import PaymentSlip
from vanbill.services.payments import family_credit, family_owed, load_payment, new_payment
from vanbill.services.views import PaymentView


@dataclass(frozen=True)
class SlipView:
    """A slip a parent sent, with what the family owed when it arrived."""

    id: int
    customer_id: int
    telegram_file_id: str
    file_kind: str
    caption: str
    status: str
    balance_sen: int


async def receive_slip(
    db: Database,
    operator_id: int,
    customer_id: int,
    clock: Clock,
    *,
    telegram_file_id: str,
    file_kind: str,
    caption: str = "",
) -> SlipView:
    """Keep a slip a linked parent sent; return it with the family's balance."""
    if file_kind not in ("photo", "document"):
        raise ValueError(f"unknown slip kind {file_kind!r}")
    async with db.sessions.begin() as session:
        await lock_customer(session, operator_id, customer_id)
        slip = PaymentSlip(
            operator_id=operator_id,
            customer_id=customer_id,
            telegram_file_id=telegram_file_id[:255],
            file_kind=file_kind,
            caption=clean_text(caption, "caption", limit=1000, required=False),
            created_at=clock.now(),
        )
        session.add(slip)
        await session.flush()
        balance = await family_owed(session, operator_id, customer_id) - await family_credit(
            session, operator_id, customer_id
        )
        return SlipView(
            slip.id,
            customer_id,
            slip.telegram_file_id,
            file_kind,
            slip.caption,
            "pending",
            balance,
        )


async def _pending_slip(session, operator_id: int, slip_id: int) -> PaymentSlip:  # type: ignore[no-untyped-def]
    slip = (
        await session.execute(
            select(PaymentSlip)
            .where(PaymentSlip.operator_id == operator_id, PaymentSlip.id == slip_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if slip is None:
        raise NotFound("I could not find that slip.")
    if slip.status != "pending":
        raise Conflict(f"That slip was {slip.status} already.")
    return slip


async def record_from_slip(
    db: Database,
    operator_id: int,
    slip_id: int,
    clock: Clock,
    *,
    amount_sen: int,
    method: str = "bank_transfer",
    recorded_by: int | None = None,
) -> PaymentView:
    """Record the payment a slip shows, close the slip and queue the receipt, in one go."""
    async with db.sessions.begin() as session:
        slip = await _pending_slip(session, operator_id, slip_id)
        await lock_customer(session, operator_id, slip.customer_id)
        payment_id = await new_payment(
            session,
            db.dialect,
            operator_id,
            slip.customer_id,
            clock,
            amount_sen=amount_sen,
            method=method,
            reference=f"Slip #{slip.id}",
            recorded_by=recorded_by,
        )
        await delivery.enqueue_receipt(
            session, db.dialect, operator_id, slip.customer_id, payment_id, clock.now()
        )
        slip.status = "recorded"
        slip.payment_id = payment_id
        slip.decided_at = clock.now()
        return await load_payment(session, operator_id, payment_id)


async def dismiss_slip(db: Database, operator_id: int, slip_id: int, clock: Clock) -> None:
    """Close a slip without recording anything."""
    async with db.sessions.begin() as session:
        slip = await _pending_slip(session, operator_id, slip_id)
        slip.status = "dismissed"
        slip.decided_at = clock.now()
