"""The audit log: every change and correction, who made it, when (UTC), before and after.

A use case records its entry inside its own transaction (`record(session, ...)`), so the entry
commits with the change it describes or not at all. Entries are never changed: the table has a
trigger that refuses UPDATE on both databases. Values are stored as JSON objects of plain values
(dates as ISO strings, money as integer sen).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services.clock import Clock
from vanbill.services.db import Database
from vanbill.services.models import AuditEntry

OPERATOR = "operator"
PARENT = "parent"
SYSTEM = "system"


@dataclass(frozen=True)
class Actor:
    """Who acted: the operator (or one of her staff), a parent, or the bot itself."""

    kind: str = SYSTEM
    telegram_user_id: int | None = None

    @classmethod
    def operator(cls, telegram_user_id: int | None) -> Actor:
        """Return the operator (or her staff member) with this Telegram id."""
        return cls(OPERATOR, telegram_user_id)

    @classmethod
    def parent(cls, telegram_user_id: int | None) -> Actor:
        """Return the parent with this Telegram id."""
        return cls(PARENT, telegram_user_id)


BOT = Actor()


@dataclass(frozen=True)
class AuditEvent:
    """One entry of the log, as read back."""

    id: int
    at: datetime
    actor: Actor
    action: str
    entity: str
    entity_id: int | None
    customer_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str

    def changes(self) -> list[tuple[str, Any, Any]]:
        """Return (field, before, after) for every field whose value differs."""
        old, new = self.before or {}, self.after or {}
        return [
            (key, old.get(key), new.get(key))
            for key in sorted(old.keys() | new.keys(), key=_field_order(old, new))
            if old.get(key) != new.get(key)
        ]


def _field_order(old: Mapping[str, Any], new: Mapping[str, Any]):  # type: ignore[no-untyped-def]
    order = {key: i for i, key in enumerate([*old, *(k for k in new if k not in old)])}
    return order.__getitem__


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not a plain value for the audit log: {value!r}")


def _dump(values: Mapping[str, Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps(dict(values), default=_plain, ensure_ascii=False, sort_keys=False)


def record(
    session: AsyncSession,
    clock: Clock,
    *,
    operator_id: int,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None = None,
    customer_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
) -> None:
    """Add one entry to the log in the caller's transaction."""
    session.add(
        AuditEntry(
            operator_id=operator_id,
            customer_id=customer_id,
            at=clock.now(),
            actor_kind=actor.kind,
            actor_user_id=actor.telegram_user_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=_dump(before),
            after=_dump(after),
            reason=reason[:500],
        )
    )


def _event(row: AuditEntry) -> AuditEvent:
    return AuditEvent(
        id=row.id,
        at=row.at,
        actor=Actor(row.actor_kind, row.actor_user_id),
        action=row.action,
        entity=row.entity,
        entity_id=row.entity_id,
        customer_id=row.customer_id,
        before=None if row.before is None else json.loads(row.before),
        after=None if row.after is None else json.loads(row.after),
        reason=row.reason,
    )


async def family_history(
    db: Database, operator_id: int, customer_id: int, *, limit: int = 20
) -> list[AuditEvent]:
    """Return a family's latest entries, newest first."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.operator_id == operator_id, AuditEntry.customer_id == customer_id)
            .order_by(AuditEntry.id.desc())
            .limit(limit)
        )
        return [_event(row) for row in rows]


async def operator_log(db: Database, operator_id: int) -> list[AuditEvent]:
    """Return every entry of one operator, oldest first (for the export)."""
    async with db.sessions() as session:
        rows = await session.scalars(
            select(AuditEntry).where(AuditEntry.operator_id == operator_id).order_by(AuditEntry.id)
        )
        return [_event(row) for row in rows]
