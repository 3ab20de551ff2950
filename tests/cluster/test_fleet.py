"""Exactly once across nodes: two webhook bot instances and a `vanbill send`, each on its own
Galera node, share one operator's monthly run and two more operators' reminders.

Every family gets exactly one invoice document and every reminder family one reminder; with a
node SIGKILLed mid-run, the processes on it move to another node, nothing is lost, and a family
gets a second copy only of a send that was in flight at the kill (at most once each).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench import galera
from tests.bot.fake_telegram import FakeTelegram
from tests.cluster.conftest import causal, galera_nodes, node_url
from tests.cluster.fleet import (
    Fleet,
    Tally,
    World,
    build_world,
    run_figures,
    tally,
    wait_until_delivered,
)
from tests.mysql import ScratchMySQL
from vanbill.services.db import Database

pytestmark = [pytest.mark.galera, pytest.mark.slow]

FAMILIES = 90
REMINDER_OPERATORS = 2
REMINDER_FAMILIES = 10
IN_FLIGHT_PER_PROCESS = 16  # bot/sender.py: at most this many sends in flight at once


@pytest.fixture
async def checker(galera_scratch: ScratchMySQL) -> AsyncIterator[Database]:
    """The test's own connection, on the first node (never the one killed), reads causal."""
    galera_scratch.empty()
    db = causal(Database(node_url(galera_nodes()[0], galera_scratch.name), pool_size=2))
    try:
        yield db
    finally:
        await db.dispose()


async def _run(
    checker: Database,
    scratch: ScratchMySQL,
    tmp_path: Path,
    *,
    kill_node: int | None,
    report: bool = False,
) -> tuple[World, Tally, Fleet, dict[str, object]]:
    world = await build_world(
        checker,
        families=FAMILIES,
        reminder_operators=REMINDER_OPERATORS,
        reminder_families=REMINDER_FAMILIES,
    )
    killed: list[int] = []

    async def kill_half_way(counts: Tally) -> None:
        if kill_node is not None and not killed and sum(counts.invoices) >= FAMILIES // 2:
            galera.kill(galera.DEFAULT_DIR, kill_node)
            killed.append(kill_node)

    async with FakeTelegram(max_per_second=30) as tg:
        fleet = Fleet(galera_nodes(), scratch.name, tg, tmp_path)
        await fleet.start()
        try:
            await wait_until_delivered(
                checker, tg, fleet, world, timeout=240, on_progress=kill_half_way
            )
            if report:
                # The run is done, and reported to its operator, as the outbox empties (by
                # whichever process sent last), or at the next minute's tick at the latest.
                await tg.wait_for(
                    lambda: tally(tg, world).operator_messages[world.operator_chats[0]] >= 1,
                    timeout=90,
                )
            await asyncio.sleep(2.0)  # anything sent twice would arrive by now
            counts = tally(tg, world)
        finally:
            await fleet.stop()
            if killed:
                await asyncio.to_thread(galera.rejoin, galera.DEFAULT_DIR, killed[0])
    if kill_node is not None:
        assert killed, "the run finished before half of it was delivered"
    return world, counts, fleet, await run_figures(checker, world)


async def test_three_processes_on_three_nodes_send_every_message_exactly_once(
    checker: Database, galera_scratch: ScratchMySQL, tmp_path: Path
) -> None:
    world, counts, fleet, figures = await _run(
        checker, galera_scratch, tmp_path, kill_node=None, report=True
    )
    assert counts.invoices == [1] * FAMILIES
    assert counts.reminders == [1] * (REMINDER_OPERATORS * REMINDER_FAMILIES)
    assert figures["runs"] == [("done", FAMILIES)]
    assert figures["reminder_stages"] == REMINDER_OPERATORS * REMINDER_FAMILIES
    assert figures["errors"] == []
    assert counts.too_many == 0
    assert counts.most_in_a_second <= 30
    # The run report reaches the run's operator once, whichever instance ran it.
    assert counts.operator_messages[world.operator_chats[0]] == 1
    # Each process really took part: the two bots served their webhook, the sender sent.
    for member in fleet.members:
        assert "Traceback" not in member.text(), member.text()[-3000:]


def _node_number(node: str) -> int:
    """Return bench/galera.py's number of a node named host:port (its port 4305 + N)."""
    number = int(node.rsplit(":", 1)[1]) - galera.CLIENT_PORT_BASE
    if number not in galera.NODES or not galera.node_dir(galera.DEFAULT_DIR, number).exists():
        pytest.skip("the cluster is not bench/galera.py's: cannot kill a node")
    return number


async def test_a_node_killed_mid_run_loses_nothing_and_duplicates_only_sends_in_flight(
    checker: Database, galera_scratch: ScratchMySQL, tmp_path: Path
) -> None:
    victim = _node_number(galera_nodes()[1])  # bot B's node
    _world, counts, fleet, figures = await _run(
        checker, galera_scratch, tmp_path, kill_node=victim
    )
    assert counts.losses == 0
    # A family gets a second copy only of a send in flight at the kill: at most once each, and
    # no more than the processes that lost their node had in flight.
    assert max(counts.invoices + counts.reminders) <= 2
    assert counts.duplicates <= IN_FLIGHT_PER_PROCESS * 2
    print(f"duplicates {counts.duplicates}, retries {fleet.retries()}")
    # One run, every invoice created once (done or, a moment later, reported done).
    assert [n for _, n in figures["runs"]] == [FAMILIES]  # type: ignore[union-attr]
    assert figures["reminder_stages"] == REMINDER_OPERATORS * REMINDER_FAMILIES
    # bot B lost its node and its connections went to another one.
    bot_b = next(m for m in fleet.members if m.name == "bot-b")
    assert bot_b.moved() >= 1, bot_b.text()[-3000:]
