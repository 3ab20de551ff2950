"""Linking Telegram accounts: one-time invite tokens, and linking a parent by phone number."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services import delivery, i18n, operators
from vanbill.services.clock import Clock
from vanbill.services.db import Database, retried
from vanbill.services.errors import Conflict, InvalidInput, NotFound
from vanbill.services.models import Customer, LinkToken, Operator
from vanbill.services.phones import normalise_phone, phone_variants
from vanbill.services.views import OperatorView

INVITE_LIFETIME = timedelta(days=7)
PARENT = "parent"
OPERATOR = "operator"

# Telegram deep-link payloads may hold up to 64 characters of [A-Za-z0-9_-].
_TOKEN_SHAPE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


PARENT_LINKED = "parent_linked"  # the operator notice (delivery.notify_operator)


@dataclass(frozen=True)
class Redeemed:
    """What an invite did: linked a parent to a family, or made a new operator account."""

    purpose: str
    operator_id: int
    business_name: str
    customer_id: int | None = None
    customer_name: str | None = None
    operator: OperatorView | None = None  # the business a parent is now linked to


@dataclass(frozen=True)
class LinkedFamily:
    """A family (one operator's customer) now linked to a Telegram account."""

    operator_id: int
    customer_id: int
    name: str
    business_name: str
    operator: OperatorView | None = None  # the business, for the parent's welcome


def hash_token(token: str) -> str:
    """Return the sha256 hex digest stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@retried
async def create_parent_invite(
    db: Database, operator_id: int, customer_id: int, clock: Clock
) -> str:
    """Make a one-time link token for a family of this operator; return the token itself."""
    token = secrets.token_urlsafe(24)
    async with db.sessions.begin() as session:
        customer = (
            await session.execute(
                select(Customer.id).where(
                    Customer.id == customer_id,
                    Customer.operator_id == operator_id,
                    Customer.archived.is_(False),
                )
            )
        ).scalar_one_or_none()
        if customer is None:
            raise NotFound("family.not_found")
        session.add(_token_row(token, PARENT, operator_id, customer_id, clock))
    return token


@retried
async def create_operator_invite(db: Database, operator_id: int, clock: Clock) -> str:
    """Make a one-time link token that gives its user their own operator account."""
    token = secrets.token_urlsafe(24)
    async with db.sessions.begin() as session:
        if await session.get(Operator, operator_id) is None:
            raise NotFound("operator.not_found")
        session.add(_token_row(token, OPERATOR, operator_id, None, clock))
    return token


def _token_row(
    token: str, purpose: str, operator_id: int, customer_id: int | None, clock: Clock
) -> LinkToken:
    now = clock.now()
    return LinkToken(
        operator_id=operator_id,
        customer_id=customer_id,
        purpose=purpose,
        token_hash=hash_token(token),
        expires_at=now + INVITE_LIFETIME,
        created_at=now,
    )


@retried
async def redeem(
    db: Database,
    token: str,
    telegram_user_id: int,
    chat_id: int,
    clock: Clock,
    *,
    language: str | None = None,
) -> Redeemed:
    """Use a one-time token: link the parent, or create the new operator; refuse it otherwise.

    language is the one the person's Telegram reports (services/i18n.py from_telegram): a
    family whose language nobody has chosen yet is written to in it from now on.
    """
    if not _TOKEN_SHAPE.match(token or ""):
        raise NotFound("invite.invalid")
    now = clock.now()
    async with db.sessions.begin() as session:
        row = (
            await session.execute(
                select(LinkToken)
                .where(LinkToken.token_hash == hash_token(token))
                .with_for_update()
            )
        ).scalar_one_or_none()
        if row is None:
            raise NotFound("invite.invalid")
        if row.used_at is not None:
            raise Conflict("invite.used")
        if row.expires_at <= now:
            raise InvalidInput("invite.expired")
        inviter = await session.get(Operator, row.operator_id)
        if inviter is None:  # pragma: no cover - the foreign key cascades
            raise NotFound("invite.invalid")
        if row.purpose == OPERATOR:
            redeemed = await _make_operator(session, inviter, telegram_user_id, now)
        else:
            redeemed = await _link_parent(
                session, db.dialect, row, inviter, telegram_user_id, chat_id, now, language
            )
            redeemed = replace(redeemed, operator=operators.to_view(inviter))
        marked = await session.execute(
            update(LinkToken)
            .where(LinkToken.id == row.id, LinkToken.used_at.is_(None))
            .values(used_at=now, used_by=telegram_user_id)
        )
        if marked.rowcount != 1:  # pragma: no cover - the row lock makes this unreachable
            raise Conflict("invite.used_operator")
        return redeemed


async def _make_operator(
    session: AsyncSession, inviter: Operator, telegram_user_id: int, now: datetime
) -> Redeemed:
    existing = (
        await session.execute(
            select(Operator.id).where(Operator.telegram_user_id == telegram_user_id)
        )
    ).scalar_one_or_none()
    if existing is not None:
        raise Conflict("invite.operator_already")
    operator = Operator(
        telegram_user_id=telegram_user_id, timezone=inviter.timezone, created_at=now
    )
    session.add(operator)
    await session.flush()
    return Redeemed(purpose=OPERATOR, operator_id=operator.id, business_name="")


async def _tell_operator_linked(
    session: AsyncSession, dialect: str, customer: Customer, user_id: int, now: datetime
) -> None:
    """Queue 'Siti is now linked' for the operator, once per family and Telegram account."""
    await delivery.notify_operator(
        session,
        dialect,
        customer.operator_id,
        PARENT_LINKED,
        f"{customer.id}:{user_id}",
        now,
        {"name": customer.name},
    )


async def _link_parent(
    session: AsyncSession,
    dialect: str,
    row: LinkToken,
    inviter: Operator,
    user_id: int,
    chat_id: int,
    now: datetime,
    language: str | None = None,
) -> Redeemed:
    customer = (
        await session.execute(
            select(Customer)
            .where(Customer.id == row.customer_id, Customer.operator_id == row.operator_id)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if customer is None or customer.archived:
        raise NotFound("invite.no_longer_valid")
    customer.telegram_user_id = user_id
    customer.telegram_chat_id = chat_id
    if customer.language is None and i18n.known(language) is not None:
        customer.language = language
    await session.flush()
    # What waited for this family (invoices, receipts) goes out now.
    await delivery.release_waiting(session, customer.operator_id, customer.id, now)
    await _tell_operator_linked(session, dialect, customer, user_id, now)
    return Redeemed(
        purpose=PARENT,
        operator_id=inviter.id,
        business_name=inviter.business_name,
        customer_id=customer.id,
        customer_name=customer.name,
    )


@retried
async def link_by_phone(
    db: Database,
    telegram_user_id: int,
    chat_id: int,
    phone_e164: str,
    clock: Clock,
    *,
    tell_operator: bool = True,
    language: str | None = None,
) -> list[LinkedFamily]:
    """Link every current family, across operators, whose phone is this one and who is unlinked
    (each operator is told, unless tell_operator is False: a builder of test data).

    language is the one the person's Telegram reports: a family whose language nobody has
    chosen yet is written to in it from now on, as with an invite."""
    phone = normalise_phone(phone_e164)
    now = clock.now()
    async with db.sessions.begin() as session:
        rows = (
            await session.execute(
                select(Customer, Operator)
                .join(Operator, Operator.id == Customer.operator_id)
                .where(
                    Customer.phone.in_(phone_variants(phone)),
                    Customer.archived.is_(False),
                    # Never take a family away from another Telegram account by phone alone.
                    (Customer.telegram_user_id.is_(None))
                    | (Customer.telegram_user_id == telegram_user_id),
                )
                .order_by(Customer.operator_id, Customer.id)
                .with_for_update()
            )
        ).all()
        linked = []
        for customer, operator in rows:
            customer.telegram_user_id = telegram_user_id
            customer.telegram_chat_id = chat_id
            if customer.language is None and i18n.known(language) is not None:
                customer.language = language
            await session.flush()
            await delivery.release_waiting(session, customer.operator_id, customer.id, now)
            if tell_operator:
                await _tell_operator_linked(session, db.dialect, customer, telegram_user_id, now)
            linked.append(
                LinkedFamily(
                    operator_id=customer.operator_id,
                    customer_id=customer.id,
                    name=customer.name,
                    business_name=operator.business_name,
                    operator=operators.to_view(operator),
                )
            )
        return linked


@retried
async def welcome_back(db: Database, telegram_user_id: int, clock: Clock) -> int:
    """A linked parent opened the bot again: release what was held (after a block, say).

    Returns how many messages were released.
    """
    async with db.sessions.begin() as session:
        families = (
            await session.execute(
                select(Customer.operator_id, Customer.id).where(
                    Customer.telegram_user_id == telegram_user_id,
                    Customer.archived.is_(False),
                    Customer.telegram_blocked_at.is_not(None),
                )
            )
        ).all()
        released = 0
        for operator_id, customer_id in families:
            released += await delivery.release_waiting(
                session, operator_id, customer_id, clock.now()
            )
        return released
