"""Who reads which language: an operator's own choice, a family's (chosen by its parent or set
by the operator on the family's card). Nobody chosen yet: the language Telegram reports."""

from __future__ import annotations

from sqlalchemy import select, update

from vanbill.services import delivery, i18n
from vanbill.services.db import Database, retried
from vanbill.services.errors import InvalidInput, NotFound
from vanbill.services.models import Customer, Delivery, Operator


def _check(locale: str | None) -> str | None:
    if locale is None:
        return None
    if i18n.known(locale) is None:
        raise InvalidInput("language.unknown", locale=locale)
    return locale


@retried
async def choose(db: Database, telegram_user_id: int, locale: str) -> int:
    """Write to this person in locale from now on: as an operator, and in every family they
    are the parent of; return how many rows took it (0: nobody to remember it for)."""
    locale = _check(locale) or i18n.DEFAULT
    async with db.sessions.begin() as session:
        operators = await session.execute(
            update(Operator)
            .where(Operator.telegram_user_id == telegram_user_id)
            .values(language=locale)
        )
        families = await session.execute(
            update(Customer)
            .where(Customer.telegram_user_id == telegram_user_id)
            .values(language=locale)
        )
        await delivery.forget_uploaded_pdfs(
            session,
            Delivery.customer_id.in_(
                select(Customer.id).where(Customer.telegram_user_id == telegram_user_id)
            ),
        )
        return operators.rowcount + families.rowcount


@retried
async def set_family_language(
    db: Database, operator_id: int, customer_id: int, locale: str | None
) -> None:
    """Set the language a family's documents and messages are in (None: the parent's own)."""
    locale = _check(locale)
    async with db.sessions.begin() as session:
        result = await session.execute(
            update(Customer)
            .where(Customer.operator_id == operator_id, Customer.id == customer_id)
            .values(language=locale)
        )
        if result.rowcount == 0:
            raise NotFound("family.no_such")
        await delivery.forget_uploaded_pdfs(
            session, Delivery.operator_id == operator_id, Delivery.customer_id == customer_id
        )
