"""Operators: who they are (by Telegram user id), their business profile and settings."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select, update

from vanbill.services.clock import DEFAULT_TIMEZONE, Clock, zone
from vanbill.services.db import Database, insert_ignoring_duplicates, retried
from vanbill.services.documents import shrink_logo
from vanbill.services.duitnow import DuitNowCode, parse_payload
from vanbill.services.errors import InvalidInput, NotFound
from vanbill.services.models import Customer, HolidayMonth, Operator, Service
from vanbill.services.text import refuse_invisible, visible
from vanbill.services.views import OperatorView

DEFAULT_REMINDER_OFFSETS = (-3, 0, 3, 7, 14)
_OFFSET = re.compile(r"[-+]?[0-9]{1,3}")

# Free-text profile fields and their longest accepted length.
TEXT_FIELDS = {
    "business_name": 200,
    "address": 500,
    "phone": 20,
    "bank_name": 100,
    "bank_account": 50,
    "duitnow_id": 50,
    "payment_note": 500,
    "payment_qr_payload": 500,
    "invoice_prefix": 10,
    "account_holder": 200,
    "ssm_number": 30,
}


def to_view(row: Operator) -> OperatorView:
    """Turn an operator row into its view."""
    return OperatorView(
        id=row.id,
        telegram_user_id=row.telegram_user_id,
        business_name=row.business_name,
        address=row.address,
        phone=row.phone,
        bank_name=row.bank_name,
        bank_account=row.bank_account,
        duitnow_id=row.duitnow_id,
        payment_note=row.payment_note,
        payment_qr_payload=row.payment_qr_payload,
        logo=row.logo,
        timezone=row.timezone,
        currency=row.currency,
        invoice_prefix=row.invoice_prefix,
        due_day=row.due_day,
        billing_day=row.billing_day,
        billing_hour=row.billing_hour,
        reminder_hour=row.reminder_hour,
        reminder_offsets=parse_reminder_offsets(row.reminder_offsets),
        reminders_enabled=row.reminders_enabled,
        sibling_discount_bp=row.sibling_discount_bp,
        approval_required=row.approval_required,
        language=row.language,
        account_holder=row.account_holder,
        ssm_number=row.ssm_number,
        digest_hour=row.digest_hour,
        setup_step=row.setup_step,
        late_fee_kind=row.late_fee_kind,
        late_fee_sen=row.late_fee_sen,
        late_fee_bp=row.late_fee_bp,
        late_fee_days=row.late_fee_days,
    )


def parse_reminder_offsets(text: str) -> tuple[int, ...]:
    """Parse '-3,0,3,7,14' (days relative to the due date) into sorted unique offsets."""
    parts = [p.strip() for p in (text or "").replace(" ", ",").split(",") if p.strip()]
    if not all(_OFFSET.fullmatch(p) for p in parts):  # ASCII digits: int() also reads '١'
        raise InvalidInput("reminders.days_format")
    offsets = sorted({int(p) for p in parts})
    if any(not -30 <= o <= 90 for o in offsets):
        raise InvalidInput("reminders.days_range")
    if len(offsets) > 10:
        raise InvalidInput("reminders.too_many_days")
    return tuple(offsets)


def _clean_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Validate a profile update; return column values to write."""
    values: dict[str, Any] = {}
    for key, value in changes.items():
        if key in TEXT_FIELDS:
            text = visible(str(value)).strip()
            refuse_invisible(str(value), text, key)
            if len(text) > TEXT_FIELDS[key]:
                raise InvalidInput("setting.too_long", field=key, limit=TEXT_FIELDS[key])
            values[key] = text
        elif key in ("due_day", "billing_day"):
            day = int(value)
            if not 1 <= day <= 28:
                raise InvalidInput("setting.invoice_day")
            values[key] = day
        elif key == "billing_hour":
            if not 0 <= int(value) <= 23:
                raise InvalidInput("setting.hour")
            values[key] = int(value)
        elif key == "reminder_hour":
            if not 8 <= int(value) <= 20:
                raise InvalidInput("setting.reminder_hour")
            values[key] = int(value)
        elif key == "reminder_offsets":
            offsets = (
                parse_reminder_offsets(value) if isinstance(value, str) else tuple(sorted(value))
            )
            values[key] = ",".join(str(o) for o in offsets)
        elif key == "timezone":
            zone(str(value))
            values[key] = str(value)
        elif key == "currency":
            code = str(value).strip().upper()
            if len(code) != 3 or not code.isalpha():
                raise InvalidInput("setting.currency")
            values[key] = code
        elif key == "sibling_discount_bp":
            bp = int(value)
            if not 0 <= bp <= 10_000:
                raise InvalidInput("setting.sibling_discount")
            values[key] = bp
        elif key == "digest_hour":
            if value is not None and not 0 <= int(value) <= 23:
                raise InvalidInput("setting.digest_hour")
            values[key] = None if value is None else int(value)
        elif key == "setup_step":
            values[key] = str(value)[:20]
        elif key in ("reminders_enabled", "approval_required"):
            values[key] = bool(value)
        elif key == "logo":
            if value is not None and len(value) > 2_000_000:
                raise InvalidInput("logo.too_large_2mb")
            values[key] = value
        else:
            raise InvalidInput("setting.unknown", key=key)
    return values


@retried
async def ensure_operator(
    db: Database, telegram_user_id: int, clock: Clock, *, timezone: str = DEFAULT_TIMEZONE
) -> OperatorView:
    """Return the operator for this Telegram user, creating it on first use."""
    zone(timezone)
    async with db.sessions.begin() as session:
        await session.execute(
            insert_ignoring_duplicates(db.dialect, Operator.__table__).values(
                telegram_user_id=telegram_user_id, timezone=timezone, created_at=clock.now()
            )
        )
        row = (
            await session.execute(
                select(Operator).where(Operator.telegram_user_id == telegram_user_id)
            )
        ).scalar_one()
        return to_view(row)


async def find_operator(db: Database, telegram_user_id: int) -> OperatorView | None:
    """Return the operator for this Telegram user, or None."""
    async with db.sessions() as session:
        row = (
            await session.execute(
                select(Operator).where(Operator.telegram_user_id == telegram_user_id)
            )
        ).scalar_one_or_none()
        return None if row is None else to_view(row)


async def get_operator(db: Database, operator_id: int) -> OperatorView:
    """Return the operator, or raise NotFound."""
    async with db.sessions() as session:
        row = await session.get(Operator, operator_id)
        if row is None:
            raise NotFound("operator.not_found")
        return to_view(row)


async def list_operators(db: Database) -> list[OperatorView]:
    """Return every operator (for the schedules)."""
    async with db.sessions() as session:
        rows = (await session.execute(select(Operator).order_by(Operator.id))).scalars()
        return [to_view(r) for r in rows]


@retried
async def update_profile(db: Database, operator_id: int, **changes: Any) -> OperatorView:
    """Change business profile fields and settings; return the updated profile."""
    values = _clean_changes(changes)
    async with db.sessions.begin() as session:
        if values:
            result = await session.execute(
                update(Operator).where(Operator.id == operator_id).values(**values)
            )
            if result.rowcount == 0:
                raise NotFound("operator.not_found")
        row = await session.get(Operator, operator_id)
        if row is None:
            raise NotFound("operator.not_found")
        await session.refresh(row)
        return to_view(row)


async def set_payment_qr(db: Database, operator_id: int, payload: str) -> DuitNowCode:
    """Keep a checked static DuitNow payload for the invoices ('' removes it); return it."""
    code = parse_payload(payload) if payload else None
    await update_profile(db, operator_id, payment_qr_payload=code.payload if code else "")
    return code or DuitNowCode("", "", "", "", "", is_duitnow=False)


async def set_logo(db: Database, operator_id: int, content: bytes | None) -> OperatorView:
    """Keep the logo shrunk once to print size (None removes it); refuse what is no picture."""
    return await update_profile(
        db, operator_id, logo=shrink_logo(content) if content is not None else None
    )


@dataclass(frozen=True)
class Readiness:
    """How far a business is set up: its profile, and how many routes and families it has."""

    operator: OperatorView
    routes: int
    families: int


async def readiness(db: Database, operator_id: int) -> Readiness:
    """Return the operator with the number of active routes and families (the set-up's end)."""
    async with db.sessions() as session:
        row = await session.get(Operator, operator_id)
        if row is None:
            raise NotFound("operator.not_found")
        routes = await session.scalar(
            select(func.count())
            .select_from(Service)
            .where(Service.operator_id == operator_id, Service.active.is_(True))
        )
        families = await session.scalar(
            select(func.count())
            .select_from(Customer)
            .where(Customer.operator_id == operator_id, Customer.archived.is_(False))
        )
        return Readiness(to_view(row), int(routes or 0), int(families or 0))


@retried
async def set_holiday(
    db: Database, operator_id: int, month: date, *, holiday: bool = True, note: str = ""
) -> None:
    """Mark (or unmark) a month with no service: nothing is billed for it."""
    month = month.replace(day=1)
    async with db.sessions.begin() as session:
        if holiday:
            await session.execute(
                insert_ignoring_duplicates(db.dialect, HolidayMonth.__table__).values(
                    operator_id=operator_id, month=month, note=note[:200]
                )
            )
        else:
            await session.execute(
                delete(HolidayMonth).where(
                    HolidayMonth.operator_id == operator_id, HolidayMonth.month == month
                )
            )


async def list_holidays(db: Database, operator_id: int) -> list[date]:
    """Return the operator's holiday months, oldest first."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(HolidayMonth.month)
            .where(HolidayMonth.operator_id == operator_id)
            .order_by(HolidayMonth.month)
        )
        return [r[0] for r in rows]
