"""The bot's own state (conversations, user and chat data) kept as JSON in the bot_state table."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects import mysql, sqlite

from vanbill.services.clock import Clock
from vanbill.services.db import Database, retried
from vanbill.services.errors import InvalidInput
from vanbill.services.models import BotState

KINDS = ("conversation", "user_data", "chat_data", "bot_data")
MAX_KEY_LENGTH = 100
MAX_NAME_LENGTH = 64


def _check(kind: str, name: str, state_key: str | None = None) -> None:
    if kind not in KINDS:
        raise InvalidInput("botstate.kind", kind=kind, kinds=", ".join(KINDS))
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput("botstate.name_too_long", limit=MAX_NAME_LENGTH)
    if state_key is not None and len(state_key) > MAX_KEY_LENGTH:
        raise InvalidInput("botstate.key_too_long", limit=MAX_KEY_LENGTH)


def encode(value: Any) -> str:
    """Return value as compact JSON, or raise InvalidInput when it is not JSON-serialisable."""
    try:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise InvalidInput("botstate.not_json", detail=str(exc)) from exc


async def load(db: Database, kind: str, name: str) -> dict[str, Any]:
    """Return every stored value of one kind and name, keyed by state key."""
    _check(kind, name)
    async with db.sessions() as session:
        rows = await session.execute(
            select(BotState.state_key, BotState.value).where(
                BotState.kind == kind, BotState.name == name
            )
        )
        return {key: json.loads(value) for key, value in rows}


@retried
async def save(
    db: Database, kind: str, name: str, state_key: str, value: Any, clock: Clock
) -> None:
    """Store (insert or replace) one value."""
    _check(kind, name, state_key)
    text = encode(value)
    row = {
        "kind": kind,
        "name": name,
        "state_key": state_key,
        "value": text,
        "updated_at": clock.now(),
    }
    if db.is_mysql:
        my = mysql.insert(BotState).values(**row)
        stmt: Any = my.on_duplicate_key_update(
            value=my.inserted.value, updated_at=my.inserted.updated_at
        )
    else:
        lite = sqlite.insert(BotState).values(**row)
        stmt = lite.on_conflict_do_update(
            index_elements=["kind", "name", "state_key"],
            set_={"value": lite.excluded.value, "updated_at": lite.excluded.updated_at},
        )
    async with db.sessions.begin() as session:
        await session.execute(stmt)


@retried
async def forget(db: Database, kind: str, name: str, state_key: str) -> None:
    """Delete one value (nothing happens when it is not there)."""
    _check(kind, name, state_key)
    async with db.sessions.begin() as session:
        await session.execute(
            delete(BotState).where(
                BotState.kind == kind, BotState.name == name, BotState.state_key == state_key
            )
        )


async def load_key(db: Database, kind: str, state_key: str) -> dict[str, Any]:
    """Return every stored value of one kind for one state key, by name (one query)."""
    async with db.sessions() as session:
        rows = await session.execute(
            select(BotState.name, BotState.value).where(
                BotState.kind == kind, BotState.state_key == state_key
            )
        )
        return {name: json.loads(value) for name, value in rows}
