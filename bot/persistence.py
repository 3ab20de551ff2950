"""Conversation states and user/chat data kept in the database, so a restart resumes them.

Two bot instances behind one webhook share them: before each update the chat's conversation
states and the user's data are read again (bot/handlers/sharing.py, refresh_user_data), and
after it they are written at once.

Updates of different people are handled at the same time (bot/intake.py), and python-telegram-bot
hands every changed value to the persistence at once; the values are written one at a time, so
writes never pile up against each other (on SQLite each would wait for the one write lock).

While the database cannot be reached, a value that could not be written is kept here and
written before anything else once the database answers (python-telegram-bot forgets what it
handed over); until then, reading that key back gives the value kept here, never the older one
in the database, so a conversation under way when the database went away goes on where it was.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from telegram.ext import BasePersistence, PersistenceInput

from vanbill.bot.context import BotData
from vanbill.services import botstate
from vanbill.services.clock import Clock
from vanbill.services.db import Database, unreachable
from vanbill.services.errors import InvalidInput

log = logging.getLogger(__name__)

# python-telegram-bot's own aliases (telegram.ext._utils.types is private).
ConversationKey = tuple[int | str, ...]
ConversationDict = dict[ConversationKey, object]
CDCData = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]

CONVERSATION = "conversation"
USER_DATA = "user_data"
CHAT_DATA = "chat_data"
_FORGET = object()  # an unsaved deletion
StateKey = tuple[str, str, str]


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], BotData]):
    """python-telegram-bot persistence on the bot_state table (JSON values only)."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        namespace: str = "vanbill",
        update_interval: float = 1.0,
    ) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=True, user_data=True, callback_data=False
            ),
            update_interval=update_interval,
        )
        self.db = db
        self.clock = clock
        self.namespace = namespace
        # What was last read or written, so an unchanged value is not written again.
        self._written: dict[StateKey, str] = {}
        self._writing = asyncio.Lock()
        # What could not be written while the database was unreachable: value, or _FORGET.
        self._unsaved: dict[StateKey, Any] = {}

    async def _write_unsaved(self) -> None:
        """Write what an outage held back, oldest first; stop at the first that still fails."""
        while self._unsaved:
            (kind, name, key), value = next(iter(self._unsaved.items()))
            if value is _FORGET:
                await botstate.forget(self.db, kind, name, key)
                self._written.pop((kind, name, key), None)
            else:
                await botstate.save(self.db, kind, name, key, value, self.clock)
                self._written[(kind, name, key)] = botstate.encode(value)
            self._unsaved.pop((kind, name, key), None)
        log.info("wrote the conversation data held back while the database was unreachable")

    async def _store(self, kind: str, name: str, key: str, value: Any) -> None:
        """Write (or, with _FORGET, delete) one value; keep it if the database is away."""
        self._unsaved.pop((kind, name, key), None)
        try:
            if self._unsaved:
                await self._write_unsaved()
            if value is _FORGET:
                await botstate.forget(self.db, kind, name, key)
                self._written.pop((kind, name, key), None)
            else:
                await botstate.save(self.db, kind, name, key, value, self.clock)
                self._written[(kind, name, key)] = botstate.encode(value)
        except Exception as error:
            if not unreachable(error):
                raise
            self._unsaved[(kind, name, key)] = value
            log.warning("keeping %s %s until the database answers again", kind, key)

    async def write_held_back(self) -> bool:
        """Try again to write what an outage held back; return True when nothing is left."""
        async with self._writing:
            if not self._unsaved:
                return True
            try:
                await self._write_unsaved()
            except Exception as error:
                if not unreachable(error):
                    raise
                return False
            return True

    def _held_back(self, kind: str, name: str, key: str) -> tuple[bool, Any]:
        """Return (True, value) when a newer value than the database's waits to be written."""
        if (kind, name, key) not in self._unsaved:
            return False, None
        value = self._unsaved[(kind, name, key)]
        return True, (None if value is _FORGET else value)

    async def _load(self, kind: str, name: str) -> dict[str, Any]:
        values = await botstate.load(self.db, kind, name)
        for key, value in values.items():
            self._written[(kind, name, key)] = botstate.encode(value)
        return values

    async def _save(self, kind: str, name: str, key: str, value: Any) -> None:
        try:
            text = botstate.encode(value)
        except InvalidInput:
            log.exception("not persisting %s %s %s: it is not plain JSON data", kind, name, key)
            return
        async with self._writing:
            if self._written.get((kind, name, key)) == text and (kind, name, key) not in (
                self._unsaved
            ):
                return
            await self._store(kind, name, key, value)

    async def _forget(self, kind: str, name: str, key: str) -> None:
        async with self._writing:
            if (kind, name, key) not in self._written and (kind, name, key) not in self._unsaved:
                return
            await self._store(kind, name, key, _FORGET)

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        """Return every user's data."""
        values = await self._load(USER_DATA, self.namespace)
        return {int(key): value for key, value in values.items()}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        """Return every chat's data."""
        values = await self._load(CHAT_DATA, self.namespace)
        return {int(key): value for key, value in values.items()}

    async def get_bot_data(self) -> BotData:
        """Return fresh bot data (it holds the services and is never persisted)."""
        return BotData()

    async def get_callback_data(self) -> CDCData | None:
        """Return nothing: arbitrary callback data is not used."""
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        """Return the states of one named conversation handler, by conversation key."""
        values = await self._load(CONVERSATION, name)
        return {tuple(json.loads(key)): state for key, state in values.items()}

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Store (or, when None, delete) one conversation's state."""
        state_key = json.dumps(list(key), separators=(",", ":"))
        if new_state is None:
            await self._forget(CONVERSATION, name, state_key)
        else:
            await self._save(CONVERSATION, name, state_key, new_state)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        """Store one user's data."""
        if data:
            await self._save(USER_DATA, self.namespace, str(user_id), data)
        else:
            await self._forget(USER_DATA, self.namespace, str(user_id))

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        """Store one chat's data."""
        if data:
            await self._save(CHAT_DATA, self.namespace, str(chat_id), data)
        else:
            await self._forget(CHAT_DATA, self.namespace, str(chat_id))

    async def update_bot_data(self, data: BotData) -> None:
        """Do nothing: bot data is not persisted."""

    async def update_callback_data(self, data: CDCData) -> None:
        """Do nothing: arbitrary callback data is not used."""

    async def drop_user_data(self, user_id: int) -> None:
        """Delete one user's data."""
        self._written[(USER_DATA, self.namespace, str(user_id))] = ""
        await self._forget(USER_DATA, self.namespace, str(user_id))

    async def drop_chat_data(self, chat_id: int) -> None:
        """Delete one chat's data."""
        self._written[(CHAT_DATA, self.namespace, str(chat_id))] = ""
        await self._forget(CHAT_DATA, self.namespace, str(chat_id))

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        """Re-read one user's data before a handler runs (another instance may have changed it)."""
        await self._refresh(USER_DATA, str(user_id), user_data)

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        """Re-read one chat's data before a handler runs."""
        await self._refresh(CHAT_DATA, str(chat_id), chat_data)

    async def _refresh(self, kind: str, key: str, data: dict[Any, Any]) -> None:
        await self.write_held_back()
        if self._held_back(kind, self.namespace, key)[0]:
            return  # what this process holds is newer than the database's
        stored = (await botstate.load_key(self.db, kind, key)).get(self.namespace, {})
        self._written[(kind, self.namespace, key)] = botstate.encode(stored) if stored else ""
        if stored != data:
            data.clear()
            data.update(stored)

    async def conversation_states(self, key: ConversationKey) -> dict[str, object]:
        """Return the stored state of every conversation for one key, by conversation name."""
        state_key = json.dumps(list(key), separators=(",", ":"))
        await self.write_held_back()
        states = await botstate.load_key(self.db, CONVERSATION, state_key)
        for name, state in states.items():
            self._written[(CONVERSATION, name, state_key)] = botstate.encode(state)
        for kind, name, held_key in list(self._unsaved):
            if kind == CONVERSATION and held_key == state_key:  # newer here than stored
                held = self._held_back(kind, name, held_key)[1]
                if held is None:
                    states.pop(name, None)
                else:
                    states[name] = held
        return states

    async def refresh_bot_data(self, bot_data: BotData) -> None:
        """Do nothing: bot data is not persisted."""

    async def flush(self) -> None:
        """Write what an outage held back (every other update is written as it is made)."""
        if not await self.write_held_back():
            log.error("%d conversation values could not be written", len(self._unsaved))
