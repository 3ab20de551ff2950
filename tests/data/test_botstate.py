"""The bot's state survives as JSON: saved, replaced, forgotten; only JSON data accepted."""

from __future__ import annotations

import pytest

from vanbill.bot.context import BotData
from vanbill.bot.persistence import DatabasePersistence
from vanbill.services import botstate
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.errors import InvalidInput


async def test_values_are_saved_replaced_and_forgotten(db: Database, clock: FixedClock) -> None:
    await botstate.save(db, "user_data", "vanbill", "2001", {"name": "陈美玲", "n": 1}, clock)
    await botstate.save(db, "user_data", "vanbill", "2002", ["x"], clock)
    await botstate.save(db, "user_data", "vanbill", "2001", {"name": "<b>Siti</b>"}, clock)
    await botstate.save(db, "user_data", "other", "2001", 5, clock)
    assert await botstate.load(db, "user_data", "vanbill") == {
        "2001": {"name": "<b>Siti</b>"},
        "2002": ["x"],
    }
    await botstate.forget(db, "user_data", "vanbill", "2002")
    await botstate.forget(db, "user_data", "vanbill", "missing")
    assert await botstate.load(db, "user_data", "vanbill") == {"2001": {"name": "<b>Siti</b>"}}


async def test_only_known_kinds_and_json_values_are_accepted(
    db: Database, clock: FixedClock
) -> None:
    with pytest.raises(InvalidInput):
        await botstate.save(db, "secrets", "vanbill", "1", 1, clock)
    with pytest.raises(InvalidInput, match=r"^botstate\.not_json"):
        await botstate.save(db, "chat_data", "vanbill", "1", {"when": clock.now()}, clock)
    with pytest.raises(InvalidInput):
        await botstate.save(db, "chat_data", "vanbill", "k" * 101, 1, clock)
    assert await botstate.load(db, "chat_data", "vanbill") == {}


async def test_a_new_persistence_reads_what_the_last_one_wrote(
    db: Database, clock: FixedClock
) -> None:
    first = DatabasePersistence(db, clock)
    assert await first.get_conversations("business") == {}
    await first.update_conversation("business", (1001, 1001), "asking")
    await first.update_conversation("business", (1002, 1002), "menu")
    await first.update_conversation("business", (1002, 1002), None)
    await first.update_user_data(1001, {"business_field": "due"})
    await first.update_chat_data(1001, {"page": 2})
    await first.update_user_data(1003, {"gone": True})
    await first.drop_user_data(1003)

    second = DatabasePersistence(db, clock)
    assert await second.get_conversations("business") == {(1001, 1001): "asking"}
    assert await second.get_user_data() == {1001: {"business_field": "due"}}
    assert await second.get_chat_data() == {1001: {"page": 2}}
    assert isinstance(await second.get_bot_data(), BotData)


async def test_data_that_is_not_json_is_logged_and_skipped_not_fatal(
    db: Database, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    persistence = DatabasePersistence(db, clock)
    await persistence.update_user_data(1001, {"when": clock.now()})
    assert "not plain JSON" in caplog.text
    assert await DatabasePersistence(db, clock).get_user_data() == {}
