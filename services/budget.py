"""One send budget per bot token, shared through the database by every sender of that bot.

Telegram counts a bot's messages per token, on arrival: at most about 30 in any second. A send
takes a turn here before it leaves and gives it back when Telegram has answered; a turn counts
while its send is in flight or was answered within the window, across every process and node,
so all senders together keep within the limit however many there are (each sender's own pace,
bot/sender.py's _Pace, does the same within one process).
"""

from __future__ import annotations

from sqlalchemy import and_, delete, func, or_, select, update

from vanbill.services.db import Database, insert_ignoring_duplicates, retried
from vanbill.services.models import SendBudget, SendTurn

STALE_US = 10_000_000  # a turn never given back (its sender died) stops counting after 10 s
KEEP_US = 10_000_000  # answered turns older than this are deleted


@retried
async def take_turn(
    db: Database, bot_id: int, *, limit: int, window_us: int, now_us: int
) -> int | None:
    """Take a send turn for the bot now (Unix time in µs); return its id, or None when full."""
    async with db.sessions.begin() as session:
        await session.execute(
            insert_ignoring_duplicates(db.dialect, SendBudget.__table__).values(
                bot_id=bot_id, turns=0
            )
        )
        # A write, not a SELECT … FOR UPDATE: turns taken on two Galera nodes at once then
        # conflict at commit, and one is retried, instead of both passing on their local locks.
        await session.execute(
            update(SendBudget)
            .where(SendBudget.bot_id == bot_id)
            .values(turns=SendBudget.turns + 1)
        )
        counting = or_(
            and_(SendTurn.answered_us.is_(None), SendTurn.started_us > now_us - STALE_US),
            SendTurn.answered_us > now_us - window_us,
        )
        busy = (
            await session.execute(select(func.count()).where(SendTurn.bot_id == bot_id, counting))
        ).scalar_one()
        if busy >= limit:
            return None
        await session.execute(
            delete(SendTurn).where(
                SendTurn.bot_id == bot_id,
                or_(
                    SendTurn.answered_us < now_us - KEEP_US,
                    and_(SendTurn.answered_us.is_(None), SendTurn.started_us < now_us - STALE_US),
                ),
            )
        )
        turn = SendTurn(bot_id=bot_id, started_us=now_us)
        session.add(turn)
        await session.flush()
        return turn.id


@retried
async def give_back(db: Database, turn_id: int, *, now_us: int) -> None:
    """Mark the turn's send answered (or failed) now; it counts for one more window."""
    async with db.sessions.begin() as session:
        await session.execute(
            update(SendTurn).where(SendTurn.id == turn_id).values(answered_us=now_us)
        )
