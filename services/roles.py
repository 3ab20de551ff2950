"""Who is writing to the bot: an operator, a parent (of one or more families), or a stranger."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select

from vanbill.services import operators
from vanbill.services.clock import Clock
from vanbill.services.db import Database
from vanbill.services.models import Customer, Operator
from vanbill.services.views import OperatorView

OPERATOR = "operator"
PARENT = "parent"
STRANGER = "stranger"
ROLES = (OPERATOR, PARENT, STRANGER)


@dataclass(frozen=True)
class Family:
    """A family the sender pays for, with the operator who bills it."""

    operator_id: int
    customer_id: int
    name: str
    business_name: str = ""
    language: str | None = None


@dataclass(frozen=True)
class Sender:
    """The person behind an update and what they may do."""

    telegram_user_id: int
    role: str
    operator: OperatorView | None = None
    families: tuple[Family, ...] = ()

    @property
    def is_operator(self) -> bool:
        """Say whether the sender runs a van business here."""
        return self.role == OPERATOR

    @property
    def is_parent(self) -> bool:
        """Say whether the sender is a linked parent (and not an operator)."""
        return self.role == PARENT

    @property
    def language(self) -> str | None:
        """Return the language the sender chose (an operator's own, else their family's)."""
        if self.operator is not None:
            return self.operator.language
        return next((f.language for f in self.families if f.language), None)

    @property
    def display_name(self) -> str:
        """Return the name the business knows the sender by (the first family's), if any."""
        return self.families[0].name if self.families else ""


async def identify(
    db: Database,
    telegram_user_id: int,
    admin_ids: Collection[int],
    clock: Clock,
    default_timezone: str,
) -> Sender:
    """Return who this Telegram user is; an admin gets an operator row on first contact."""
    async with db.sessions() as session:
        operator_row = (
            await session.execute(
                select(Operator).where(Operator.telegram_user_id == telegram_user_id)
            )
        ).scalar_one_or_none()
        operator = None if operator_row is None else operators.to_view(operator_row)
        rows = await session.execute(
            select(
                Customer.operator_id,
                Customer.id,
                Customer.name,
                Operator.business_name,
                Customer.language,
            )
            .join(Operator, Operator.id == Customer.operator_id)
            .where(Customer.telegram_user_id == telegram_user_id, Customer.archived.is_(False))
            .order_by(Customer.operator_id, Customer.id)
        )
        families = tuple(
            Family(
                operator_id=r[0],
                customer_id=r[1],
                name=r[2],
                business_name=r[3],
                language=r[4],
            )
            for r in rows
        )
    if operator is None and telegram_user_id in admin_ids:
        operator = await operators.ensure_operator(
            db, telegram_user_id, clock, timezone=default_timezone
        )
    if operator is not None:
        role = OPERATOR
    elif families:
        role = PARENT
    else:
        role = STRANGER
    return Sender(telegram_user_id, role, operator, families)
