"""Transfer slips parents send: kept until the operator records the payment or dismisses them."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import audit, delivery
from vanbill.services.clock import Clock, zone
from vanbill.services.customers import lock_customer
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, NotFound
from vanbill.services.models import Operator, PaymentSlip
from vanbill.services.payments import (
    SLIP_RECORDED,
    family_credit,
    family_owed,
    load_payment,
    new_payment,
    payment_values,
)
from vanbill.services.text import clean_text
from vanbill.services.views import PaymentView

# The operator notice that shows a slip waiting (sent by bot/sender.py as the slip itself).
SLIP_WAITING = "slip_waiting"


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


@retried
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
        family = await lock_customer(session, operator_id, customer_id)
        slip = PaymentSlip(
            operator_id=operator_id,
            customer_id=customer_id,
            telegram_file_id=telegram_file_id[:255],
            file_kind=file_kind,
            caption=clean_text(caption, "caption", limit=1000, required=False),
            status="pending",
            created_at=clock.now(),
        )
        session.add(slip)
        await session.flush()
        balance_sen = await _balance(session, operator_id, customer_id)
        # Shown to the operator through the outbox, in this transaction: a slip kept is a slip
        # shown, even when Telegram is refusing for a while (the sender retries).
        await delivery.notify_operator(
            session,
            db.dialect,
            operator_id,
            SLIP_WAITING,
            str(slip.id),
            clock.now(),
            {"slip_id": slip.id, "name": family.name, "balance_sen": balance_sen},
        )
        return _view(slip, balance_sen)


async def _balance(session: AsyncSession, operator_id: int, customer_id: int) -> int:
    """Return what the family owes less its credit (negative: in credit)."""
    owed = await family_owed(session, operator_id, customer_id)
    return owed - await family_credit(session, operator_id, customer_id)


def _view(slip: PaymentSlip, balance_sen: int) -> SlipView:
    return SlipView(
        slip.id,
        slip.customer_id,
        slip.telegram_file_id,
        slip.file_kind,
        slip.caption,
        slip.status,
        balance_sen,
    )


async def _pending_slip(  # type: ignore[no-untyped-def]
    session, operator_id: int, slip_id: int, *, lock: bool = True
) -> PaymentSlip:
    query = select(PaymentSlip).where(
        PaymentSlip.operator_id == operator_id, PaymentSlip.id == slip_id
    )
    slip = (await session.execute(query.with_for_update() if lock else query)).scalar_one_or_none()
    if slip is None:
        raise NotFound("slip.not_found")
    if slip.status != "pending":
        raise (
            Conflict("slip.recorded_already")
            if slip.status == "recorded"
            else Conflict("slip.dismissed_already")
        )
    return slip


async def get_pending_slip(db: Database, operator_id: int, slip_id: int) -> SlipView:
    """Return one of the operator's slips still waiting for a decision, or raise (NotFound,
    or Conflict when it was recorded or dismissed already)."""
    async with db.sessions() as session:
        slip = await _pending_slip(session, operator_id, slip_id, lock=False)
        return _view(slip, await _balance(session, operator_id, slip.customer_id))


@retried
async def record_from_slip(
    db: Database,
    operator_id: int,
    slip_id: int,
    clock: Clock,
    *,
    amount_sen: int,
    method: str,
    recorded_by: int | None = None,
) -> PaymentView:
    """Record the payment a slip shows, by the method the operator says, close the slip and
    queue the receipt, in one go."""
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
        recorded = await load_payment(session, operator_id, payment_id)
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=audit.Actor.operator(recorded_by),
            action=SLIP_RECORDED,
            entity="payment",
            entity_id=payment_id,
            customer_id=slip.customer_id,
            after={**payment_values(recorded), "slip": slip.id},
        )
        return recorded


@dataclass(frozen=True)
class DismissedSlip:
    """A slip the operator dismissed, and the line its parent is sent about it."""

    id: int
    customer_id: int
    customer_name: str
    reason: str
    parent_linked: bool


SLIP_DISMISSED = "slip_dismissed"  # the notice a parent gets (bot.texts.parent_notice)


@retried
async def dismiss_slip(
    db: Database,
    operator_id: int,
    slip_id: int,
    clock: Clock,
    *,
    reason: str = "",
    actor: audit.Actor = audit.BOT,
) -> DismissedSlip:
    """Close a slip without recording anything, and queue a line telling the parent (with the
    operator's reason, if one is given), in one go."""
    reason = clean_text(reason, "reason", limit=200, required=False)
    async with db.sessions.begin() as session:
        slip = await _pending_slip(session, operator_id, slip_id)
        customer = await lock_customer(session, operator_id, slip.customer_id)
        slip.status = "dismissed"
        slip.decided_at = clock.now()
        tz = (
            await session.execute(select(Operator.timezone).where(Operator.id == operator_id))
        ).scalar_one()
        await delivery.enqueue_notice(
            session,
            db.dialect,
            operator_id,
            slip.customer_id,
            f"slip-dismissed:{slip.id}",
            {
                "notice": SLIP_DISMISSED,
                "slip_id": slip.id,
                "sent_on": slip.created_at.astimezone(zone(tz)).date().isoformat(),
                "reason": reason,
            },
            clock.now(),
        )
        audit.record(
            session,
            clock,
            operator_id=operator_id,
            actor=actor,
            action=SLIP_DISMISSED,
            entity="slip",
            entity_id=slip.id,
            customer_id=slip.customer_id,
            before={"slip": slip.id, "status": "pending"},
            after={"slip": slip.id, "status": "dismissed"},
            reason=reason,
        )
        return DismissedSlip(
            id=slip.id,
            customer_id=slip.customer_id,
            customer_name=customer.name,
            reason=reason,
            parent_linked=customer.telegram_chat_id is not None,
        )
