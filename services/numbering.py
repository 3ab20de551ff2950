"""Gap-free yearly numbers per operator (invoices, receipts), from a locked counter row."""

from __future__ import annotations

from sqlalchemy import Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from vanbill.services.db import insert_ignoring_duplicates

RECEIPT_PREFIX = "RCPT"


def format_number(prefix: str, year: int, seq: int) -> str:
    """Return a document number such as INV-2026-0001 or RCPT-2026-0003."""
    return f"{prefix}-{year}-{seq:04d}"


async def take_sequence(
    session: AsyncSession, dialect: str, counters: Table, operator_id: int, year: int, count: int
) -> int:
    """Reserve count consecutive numbers of the year; return the last one taken before them.

    The counter row (operator_id, year, last_seq) stays locked until the transaction ends, so
    numbers are gap-free (a rollback returns them) and two transactions never take the same one.
    """
    await session.execute(
        insert_ignoring_duplicates(dialect, counters).values(
            operator_id=operator_id, year=year, last_seq=0
        )
    )
    where = (counters.c.operator_id == operator_id, counters.c.year == year)
    last = (
        await session.execute(select(counters.c.last_seq).where(*where).with_for_update())
    ).scalar_one()
    await session.execute(counters.update().where(*where).values(last_seq=last + count))
    return int(last)
