"""The delivery outbox: every message to a parent or an operator is a row first, then a send,
then a record.

A row is written in the same transaction as what caused it (an invoice generated, a payment
recorded, a reminder chosen), keyed by (operator_id, dedupe_key) so it exists at most once. A
sender claims due rows (`FOR UPDATE SKIP LOCKED` on MySQL, so two senders never take the same
row; SQLite has one writer at a time anyway), sends them, and records Telegram's message id and
file id. A row claimed by a sender that died is taken again once its lease runs out: at most the
one message in flight at the moment of a crash can go out twice.

Telling the operator something (a family blocked the bot, a month's run report, a run waiting
for approval) goes the same way: a service calls `notify_operator` inside its own transaction,
so the notice commits with the change it reports (or not at all), exists once per
(operator, notice, key) and is retried on 429 and network errors like any delivery::

    async with db.sessions.begin() as session:
        ...  # the change itself
        await delivery.notify_operator(
            session, db.dialect, operator_id, "family_blocked", f"{customer_id}:{stamp}",
            clock.now(), {"name": family.name},
        )

The row has kind 'operator_notice' and no customer; the sender sends it to the operator's own
chat as text worded by `bot.texts.operator_notice(meta)` (meta is {"notice": notice, **params};
params must be JSON values), with buttons from `bot.keyboards.operator_notice_buttons` when the
notice has any. A new notice needs a name, its wording there, and a key that is the same every
time the same event is reported (a run id, a customer id and the time it happened), never a
fresh random one. Wake the sender afterwards (`Services.outbox.wake()`) to send it at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services.clock import Clock, zone
from vanbill.services.db import Database, insert_ignoring_duplicates, retried
from vanbill.services.models import Customer, Delivery, Invoice, Operator

MAX_ATTEMPTS = 8
DEFAULT_LEASE = timedelta(seconds=60)
QUIET_FROM = time(21, 0)
QUIET_UNTIL = time(8, 0)
OPERATOR_NOTICE = "operator_notice"
# The file id of an invoice PDF that changed after it was uploaded: render it again, never reuse.
STALE_FILE_ID = ""


@dataclass(frozen=True)
class DeliveryJob:
    """A claimed delivery, with everything a sender needs to find its content."""

    id: int
    operator_id: int
    customer_id: int | None  # None for an operator notice
    kind: str
    invoice_id: int | None
    payment_id: int | None
    meta: dict[str, object]
    chat_id: int
    attempts: int
    reuse_file_id: str | None
    language: str | None = None  # its reader's: the family's, or the operator's for a notice


@dataclass(frozen=True)
class RunDeliveries:
    """How the deliveries of one month's invoices stand."""

    queued: int
    delivered: int
    waiting_for_link: tuple[str, ...]
    failed: tuple[tuple[str, str], ...]


def quiet_until(now: datetime, tz: str) -> datetime | None:
    """Return when quiet hours (21:00 to 08:00 local) end, or None when it is not quiet now."""
    local = now.astimezone(zone(tz))
    if QUIET_UNTIL <= local.time() < QUIET_FROM:
        return None
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + timedelta(days=1)
    return datetime.combine(day, QUIET_UNTIL, tzinfo=zone(tz)).astimezone(now.tzinfo)


def backoff(attempts: int) -> timedelta:
    """Return how long to wait before another try after `attempts` failed ones."""
    return timedelta(seconds=min(2 ** max(attempts, 0), 300))


def delivery_row(
    operator_id: int,
    customer_id: int | None,
    kind: str,
    dedupe_key: str,
    now: datetime,
    *,
    linked: bool,
    invoice_id: int | None = None,
    payment_id: int | None = None,
    meta: dict[str, object] | None = None,
    not_before: datetime | None = None,
) -> dict[str, object]:
    return {
        "operator_id": operator_id,
        "customer_id": customer_id,
        "kind": kind,
        "dedupe_key": dedupe_key,
        "invoice_id": invoice_id,
        "payment_id": payment_id,
        "body": json.dumps(meta or {}, sort_keys=True),
        "status": "pending" if linked else "waiting_link",
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }


async def insert_rows(session: AsyncSession, dialect: str, rows: list[dict[str, object]]) -> None:
    if rows:
        await session.execute(insert_ignoring_duplicates(dialect, Delivery.__table__), rows)


async def linked_customers(
    session: AsyncSession, operator_id: int, customer_ids: Iterable[int]
) -> set[int]:
    ids = set(customer_ids)
    if not ids:
        return set()
    rows = await session.execute(
        select(Customer.id).where(
            Customer.operator_id == operator_id,
            Customer.id.in_(ids),
            Customer.telegram_chat_id.is_not(None),
        )
    )
    return {r[0] for r in rows}


async def enqueue_invoices(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    invoice_ids: Iterable[int],
    now: datetime,
) -> None:
    """Queue each invoice's PDF for its family (once per invoice, whatever calls it)."""
    ids = list(invoice_ids)
    if not ids:
        return
    owners = dict(
        (
            await session.execute(
                select(Invoice.id, Invoice.customer_id).where(
                    Invoice.operator_id == operator_id,
                    Invoice.id.in_(ids),
                    Invoice.status != "void",
                )
            )
        ).all()
    )
    linked = await linked_customers(session, operator_id, owners.values())
    await insert_rows(
        session,
        dialect,
        [
            delivery_row(
                operator_id,
                customer_id,
                "invoice",
                f"invoice:{invoice_id}",
                now,
                linked=customer_id in linked,
                invoice_id=invoice_id,
            )
            for invoice_id, customer_id in owners.items()
        ],
    )


async def _enqueue_one(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    customer_id: int,
    kind: str,
    dedupe_key: str,
    now: datetime,
    **fields: object,
) -> None:
    linked = await linked_customers(session, operator_id, [customer_id])
    await insert_rows(
        session,
        dialect,
        [
            delivery_row(
                operator_id,
                customer_id,
                kind,
                dedupe_key,
                now,
                linked=customer_id in linked,
                **fields,  # type: ignore[arg-type]
            )
        ],
    )


async def enqueue_receipt(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    customer_id: int,
    payment_id: int,
    now: datetime,
) -> None:
    """Queue a payment's receipt for its family."""
    await _enqueue_one(
        session,
        dialect,
        operator_id,
        customer_id,
        "receipt",
        f"receipt:{payment_id}",
        now,
        payment_id=payment_id,
    )


async def enqueue_notice(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    customer_id: int,
    dedupe_key: str,
    meta: dict[str, object],
    now: datetime,
) -> None:
    """Queue a one-line text message for a family (kind 'notice'), once per dedupe_key.

    meta names the notice and its values ({"notice": "slip_dismissed", ...}); the sender words
    it with bot.texts.parent_notice(operator, meta) and sends it as a text message.
    """
    await _enqueue_one(
        session, dialect, operator_id, customer_id, "notice", dedupe_key, now, meta=meta
    )


async def notify_operator(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    notice: str,
    key: str,
    now: datetime,
    params: Mapping[str, object] | None = None,
) -> None:
    """Queue a notice for the operator in the caller's transaction, once per (notice, key).

    The sender words it with bot.texts.operator_notice({"notice": notice, **params}) and sends
    it to the operator's own chat; queuing the same notice and key again changes nothing.
    """
    dedupe_key = f"op:{notice}:{key}"
    if len(dedupe_key) > 100 or not notice or not key:
        raise ValueError(f"an operator notice needs a short name and key, not {dedupe_key!r}")
    meta: dict[str, object] = {**(params or {}), "notice": notice}
    await insert_rows(
        session,
        dialect,
        [
            delivery_row(
                operator_id, None, OPERATOR_NOTICE, dedupe_key, now, linked=True, meta=meta
            )
        ],
    )


@retried
async def send_invoice(db: Database, operator_id: int, invoice_id: int, clock: Clock) -> bool:
    """Queue an invoice for its family now; return False when it was queued already."""
    async with db.sessions.begin() as session:
        before = await _count_key(session, operator_id, f"invoice:{invoice_id}")
        await enqueue_invoices(session, db.dialect, operator_id, [invoice_id], clock.now())
        return before == 0 and await _count_key(session, operator_id, f"invoice:{invoice_id}") == 1


async def _count_key(session: AsyncSession, operator_id: int, key: str) -> int:
    return (
        await session.execute(
            select(func.count()).where(
                Delivery.operator_id == operator_id, Delivery.dedupe_key == key
            )
        )
    ).scalar_one()


@retried
async def claim_due(
    db: Database,
    worker: str,
    clock: Clock,
    *,
    limit: int = 30,
    lease: timedelta = DEFAULT_LEASE,
    operator_id: int | None = None,
) -> list[DeliveryJob]:
    """Take up to `limit` due deliveries for this worker; no other worker gets them meanwhile."""
    now = clock.now()
    due = or_(
        and_(Delivery.status == "pending", Delivery.next_attempt_at <= now),
        and_(Delivery.status == "sending", Delivery.claimed_at < now - lease),
    )
    scope = [due] if operator_id is None else [due, Delivery.operator_id == operator_id]
    async with db.sessions.begin() as session:
        ids = list(
            (
                await session.execute(
                    select(Delivery.id)
                    .where(*scope)
                    .order_by(Delivery.next_attempt_at, Delivery.id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
            ).scalars()
        )
        if not ids:
            return []
        rows = (
            await session.execute(
                select(
                    Delivery,
                    Customer.telegram_chat_id,
                    Customer.telegram_blocked_at,
                    Operator.telegram_user_id,
                    Customer.language,
                    Operator.language,
                )
                .join(Operator, Operator.id == Delivery.operator_id)
                .outerjoin(
                    Customer,
                    and_(
                        Customer.operator_id == Delivery.operator_id,
                        Customer.id == Delivery.customer_id,
                    ),
                )
                .where(Delivery.id.in_(ids))
                .order_by(Delivery.next_attempt_at, Delivery.id)
            )
        ).all()
        jobs = []
        languages = {}
        for delivery, family_chat, blocked_at, operator_chat, family_lang, operator_lang in rows:
            languages[delivery.id] = operator_lang if delivery.customer_id is None else family_lang
            # An operator notice goes to the operator's private chat (its id is the user's).
            chat_id = operator_chat if delivery.customer_id is None else family_chat
            if chat_id is None:
                delivery.status = "waiting_link"
                continue
            if blocked_at is not None:
                delivery.status = "undeliverable"
                delivery.last_error = "The parent has blocked the bot."
                continue
            delivery.status = "sending"
            delivery.claimed_by = worker[:64]
            delivery.claimed_at = now
            delivery.attempts += 1
            delivery.chat_id = chat_id
            jobs.append((delivery, chat_id))
        reuse = await _invoice_file_ids(session, [d.invoice_id for d, _ in jobs if d.invoice_id])
        return [
            DeliveryJob(
                id=d.id,
                operator_id=d.operator_id,
                customer_id=d.customer_id,
                kind=d.kind,
                invoice_id=d.invoice_id,
                payment_id=d.payment_id,
                meta=json.loads(d.body or "{}"),
                chat_id=chat_id,
                attempts=d.attempts,
                reuse_file_id=reuse.get(d.invoice_id) if d.invoice_id else None,
                language=languages.get(d.id),
            )
            for d, chat_id in jobs
        ]


@retried
async def confirm_claims(
    db: Database, delivery_ids: Iterable[int], worker: str, clock: Clock
) -> set[int]:
    """Renew this worker's claims just before sending; return those it still holds.

    A claim whose lease ran out may have been taken by another sender; checking (and renewing)
    them right before the sends keeps two senders from both sending one.
    """
    ids = list(delivery_ids)
    if not ids:
        return set()
    owned = [
        Delivery.id.in_(ids),
        Delivery.status == "sending",
        Delivery.claimed_by == worker[:64],
    ]
    async with db.sessions.begin() as session:
        await session.execute(update(Delivery).where(*owned).values(claimed_at=clock.now()))
        rows = await session.execute(select(Delivery.id).where(*owned))
        return {r[0] for r in rows}


@retried
async def release_claims(
    db: Database, delivery_ids: Iterable[int], worker: str, clock: Clock
) -> int:
    """Give back claims this worker holds but will not send (it is stopping); return how many.

    They are due again at once for any sender, without waiting for the lease to run out, and
    the attempt that never happened is not counted.
    """
    ids = list(delivery_ids)
    if not ids:
        return 0
    async with db.sessions.begin() as session:
        result = await session.execute(
            update(Delivery)
            .where(
                Delivery.id.in_(ids),
                Delivery.status == "sending",
                Delivery.claimed_by == worker[:64],
            )
            .values(
                status="pending",
                next_attempt_at=clock.now(),
                attempts=func.greatest(Delivery.attempts - 1, 0)
                if db.is_mysql
                else func.max(Delivery.attempts - 1, 0),
            )
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def _invoice_file_ids(session: AsyncSession, invoice_ids: list[int]) -> dict[int, str]:
    """Return the Telegram file id of each invoice PDF already uploaded (to send it again)."""
    if not invoice_ids:
        return {}
    rows = await session.execute(
        select(Delivery.invoice_id, Delivery.file_id).where(
            Delivery.invoice_id.in_(set(invoice_ids)),
            Delivery.kind == "invoice",
            Delivery.status == "sent",
            Delivery.file_id.is_not(None),
            Delivery.file_id != STALE_FILE_ID,
        )
    )
    return {r[0]: r[1] for r in rows}


async def forget_uploaded_pdfs(session: AsyncSession, *which: ColumnElement[bool]) -> None:
    """Mark the invoice PDFs uploaded (or in flight) for the deliveries `which` selects as stale:
    reminders draw them again (the invoice changed, or the family's language did)."""
    await session.execute(
        update(Delivery)
        .where(*which, Delivery.kind == "invoice", Delivery.status.in_(("sending", "sent")))
        .values(file_id=STALE_FILE_ID)
        .execution_options(synchronize_session=False)
    )


@retried
async def mark_sent(
    db: Database,
    delivery_id: int,
    clock: Clock,
    *,
    message_id: int | None,
    file_id: str | None = None,
) -> None:
    """Record that Telegram accepted the message."""
    async with db.sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(
                status="sent",
                sent_at=clock.now(),
                telegram_message_id=message_id,
                # An invoice changed while its PDF was in flight keeps its mark: never reused.
                file_id=case(
                    (Delivery.file_id == STALE_FILE_ID, STALE_FILE_ID),
                    else_=file_id[:255] if file_id else None,
                ),
                last_error="",
            )
        )


@retried
async def mark_skipped(db: Database, delivery_id: int, clock: Clock, *, reason: str) -> None:
    """Record that a delivery was not needed when its turn came (a reminder for a paid invoice)."""
    async with db.sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status="skipped", last_error=reason[:500], sent_at=clock.now())
        )


@retried
async def mark_failed(db: Database, delivery_id: int, clock: Clock, *, error: str) -> None:
    """Give up on a delivery Telegram refused for good (a bad request)."""
    async with db.sessions.begin() as session:
        await session.execute(
            update(Delivery)
            .where(Delivery.id == delivery_id)
            .values(status="failed", last_error=error[:500])
        )


@retried
async def mark_retry(
    db: Database,
    delivery_id: int,
    clock: Clock,
    *,
    error: str,
    retry_after: timedelta | None = None,
) -> str:
    """Put a delivery back for another try later (or give up after MAX_ATTEMPTS); return status."""
    async with db.sessions.begin() as session:
        row = (
            await session.execute(
                select(Delivery).where(Delivery.id == delivery_id).with_for_update()
            )
        ).scalar_one()
        if retry_after is None and row.attempts >= MAX_ATTEMPTS:
            row.status = "failed"
        else:
            row.status = "pending"
            row.next_attempt_at = clock.now() + (retry_after or backoff(row.attempts))
            if retry_after is not None:
                row.attempts = max(row.attempts - 1, 0)  # Telegram's flood wait is not a failure
        row.last_error = error[:500]
        return row.status


@retried
async def mark_blocked(db: Database, delivery_id: int, clock: Clock, *, error: str) -> bool:
    """Mark a delivery undeliverable because the parent blocked the bot.

    The first time the family is found blocked, the operator's notice is queued in the same
    transaction (once per blocking) and True is returned. An operator who blocked the bot
    gets nothing queued.
    """
    now = clock.now()
    async with db.sessions.begin() as session:
        row = (
            await session.execute(select(Delivery).where(Delivery.id == delivery_id))
        ).scalar_one()
        row.status = "undeliverable"
        row.last_error = error[:500]
        if row.customer_id is None:
            return False
        result = await session.execute(
            update(Customer)
            .where(
                Customer.operator_id == row.operator_id,
                Customer.id == row.customer_id,
                Customer.telegram_blocked_at.is_(None),
            )
            .values(telegram_blocked_at=now)
        )
        if result.rowcount != 1:  # type: ignore[attr-defined]
            return False
        name = (
            await session.execute(
                select(Customer.name).where(
                    Customer.operator_id == row.operator_id, Customer.id == row.customer_id
                )
            )
        ).scalar_one()
        await notify_operator(
            session,
            db.dialect,
            row.operator_id,
            "family_blocked",
            f"{row.customer_id}:{now:%Y%m%dT%H%M%S}",
            now,
            {"customer_id": row.customer_id, "name": name},
        )
        return True


async def release_waiting(
    session: AsyncSession, operator_id: int, customer_id: int, now: datetime
) -> int:
    """Let a family's waiting messages go out now that it is linked (and unblocked)."""
    await session.execute(
        update(Customer)
        .where(Customer.operator_id == operator_id, Customer.id == customer_id)
        .values(telegram_blocked_at=None)
    )
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.operator_id == operator_id,
            Delivery.customer_id == customer_id,
            Delivery.status.in_(("waiting_link", "undeliverable")),
        )
        .values(status="pending", next_attempt_at=now, attempts=0)
    )
    return int(result.rowcount or 0)


async def pending_count(db: Database, operator_id: int | None = None) -> int:
    """Return how many deliveries are still to be sent (due now or later, or in flight)."""
    conditions = [Delivery.status.in_(("pending", "sending"))]
    if operator_id is not None:
        conditions.append(Delivery.operator_id == operator_id)
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).where(*conditions))).scalar_one())


async def run_deliveries(db: Database, operator_id: int, period: date) -> RunDeliveries:
    """Return how the invoice deliveries of one month stand (for the run report)."""
    async with db.sessions() as session:
        return await run_deliveries_in(session, operator_id, period)


async def run_deliveries_in(
    session: AsyncSession, operator_id: int, period: date
) -> RunDeliveries:
    """Return how the invoice deliveries of one month stand, inside the caller's transaction."""
    rows = (
        await session.execute(
            select(Delivery.status, Customer.name, Delivery.last_error)
            .join(
                Invoice,
                and_(
                    Invoice.operator_id == Delivery.operator_id,
                    Invoice.id == Delivery.invoice_id,
                ),
            )
            .join(
                Customer,
                and_(
                    Customer.operator_id == Delivery.operator_id,
                    Customer.id == Delivery.customer_id,
                ),
            )
            .where(
                Delivery.operator_id == operator_id,
                Delivery.kind == "invoice",
                Invoice.period == period.replace(day=1),
            )
            .order_by(Customer.name)
        )
    ).all()
    return RunDeliveries(
        queued=len(rows),
        delivered=sum(1 for r in rows if r[0] == "sent"),
        waiting_for_link=tuple(r[1] for r in rows if r[0] == "waiting_link"),
        failed=tuple((r[1], r[2]) for r in rows if r[0] in ("failed", "undeliverable")),
    )


# -- corrections: a voided invoice or payment is sent again, stamped VOID ------------------

VOID_INVOICE, VOID_RECEIPT = "void_invoice", "void_receipt"


async def reached_parent(
    session: AsyncSession,
    operator_id: int,
    *,
    invoice_id: int | None = None,
    payment_id: int | None = None,
) -> bool:
    """Return whether the invoice (or its reminder), or the payment's receipt, reached the parent.

    A delivery still waiting is skipped once its invoice or payment is void, so only a parent
    who has (or may have, while it is being sent) the document is told of the void.
    """
    if invoice_id is not None:
        which = and_(Delivery.invoice_id == invoice_id, Delivery.kind.in_(("invoice", "reminder")))
    else:
        which = and_(Delivery.payment_id == payment_id, Delivery.kind == "receipt")
    found = await session.execute(
        select(func.count()).where(
            Delivery.operator_id == operator_id,
            which,
            Delivery.status.in_(("sent", "sending")),
        )
    )
    return found.scalar_one() > 0


async def enqueue_void_invoice(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    customer_id: int,
    invoice_id: int,
    now: datetime,
) -> None:
    """Queue a voided invoice, stamped VOID, for its family (once per invoice)."""
    await _enqueue_one(
        session,
        dialect,
        operator_id,
        customer_id,
        VOID_INVOICE,
        f"void-invoice:{invoice_id}",
        now,
        invoice_id=invoice_id,
    )


async def enqueue_void_receipt(
    session: AsyncSession,
    dialect: str,
    operator_id: int,
    customer_id: int,
    payment_id: int,
    now: datetime,
) -> None:
    """Queue a voided payment's receipt, stamped VOID, for its family (once per payment)."""
    await _enqueue_one(
        session,
        dialect,
        operator_id,
        customer_id,
        VOID_RECEIPT,
        f"void-receipt:{payment_id}",
        now,
        payment_id=payment_id,
    )
