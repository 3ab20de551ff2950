"""Two bot instances on one database (behind one webhook) share a person's conversation: each
step may reach either instance and carries on where the other left off."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Update

from tests.bot.conftest import OPERATOR, BotHarness, texts
from tests.bot.fake_telegram import Call
from vanbill.bot.app import build_application
from vanbill.bot.context import VanBillApplication
from vanbill.services import operators, routes
from vanbill.services.documents import DocumentRenderer


@pytest.fixture
async def second_instance(
    harness: BotHarness, renderer: DocumentRenderer
) -> AsyncIterator[VanBillApplication]:
    """Another Application on the same database and Telegram, fed updates by hand."""
    app = build_application(
        harness.settings,
        harness.db,
        harness.clock,
        renderer=renderer,
        run_sender=False,
        run_schedules=False,
        persistence_interval=60,  # it must not rely on its timer
    )
    await app.initialize()
    assert app.post_init is not None
    await app.post_init(app)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await app.shutdown()


async def _say_to(app: VanBillApplication, harness: BotHarness, text: str) -> list[Call]:
    """Deliver one message from the operator to this instance; return what they saw."""
    tg = harness.tg
    message = tg._user_message(OPERATOR, None)
    message["text"] = text
    if text.startswith("/"):
        message["entities"] = [
            {"type": "bot_command", "offset": 0, "length": len(text.split()[0])}
        ]
    before = len(tg.seen_by(OPERATOR.id))
    update = {"update_id": next(tg._update_ids), "message": message}
    await app.process_update(Update.de_json(update, app.bot))
    return tg.seen_by(OPERATOR.id)[before:]


async def test_a_conversation_moves_between_instances_step_by_step(
    harness: BotHarness, second_instance: VanBillApplication
) -> None:
    assert "What is it called" in texts(await harness.say(OPERATOR, "/newservice"))
    # The next message reaches the other instance: it knows where the operator was.
    asked = texts(await _say_to(second_instance, harness, "Night Route"))
    assert "monthly fee for Night Route" in asked
    # And back: the first instance sees the step the second one took.
    assert "description" in texts(await harness.say(OPERATOR, "90"))
    confirm = texts(await _say_to(second_instance, harness, "-"))
    assert "Night Route: RM 90.00 a month" in confirm
    operator = await operators.find_operator(harness.db, OPERATOR.id)
    assert operator is not None
    assert await routes.list_services(harness.db, operator.id) == []  # not confirmed yet


async def test_a_conversation_cancelled_on_one_instance_is_over_on_the_other(
    harness: BotHarness, second_instance: VanBillApplication
) -> None:
    await harness.say(OPERATOR, "/newservice")
    await harness.say(OPERATOR, "Night Route")
    assert "Nothing was saved" in texts(await _say_to(second_instance, harness, "/cancel"))
    # The first instance no longer waits for a fee: "90" is not taken as one.
    reply = texts(await harness.say(OPERATOR, "90"))
    assert "description" not in reply
