"""A DATABASE_URL naming several MariaDB servers: connections go to the next one that answers.

The nodes of a Galera cluster hold the same data; here a private MariaDB (killed on purpose)
stands before the shared one in the URL, both holding the schema under the same name, so a test
sees which server each use case reached.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from tests.mysql import ScratchMySQL, mysql_admin_connection
from tests.private_mariadb import PrivateMariaDB
from vanbill.services import operators
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database, split_hosts, unreachable, url_password
from vanbill.services.health import mask_url


def test_a_url_may_name_several_servers_and_is_read_on_its_first() -> None:
    url = "mysql+aiomysql://van:p%40ss@10.0.0.1:3306,10.0.0.2,10.0.0.3:3307/vanbill?ssl=true"
    assert split_hosts(url) == (
        "mysql+aiomysql://van:p%40ss@10.0.0.1:3306/vanbill?ssl=true",
        [("10.0.0.1", 3306), ("10.0.0.2", None), ("10.0.0.3", 3307)],
    )
    assert url_password(url) == "p@ss"
    assert "p%40ss" not in mask_url(url) and "p@ss" not in mask_url(url)
    one = "mysql+aiomysql://root@127.0.0.1:3306/vanbill"
    assert split_hosts(one) == (one, [("127.0.0.1", 3306)])
    assert split_hosts("sqlite+aiosqlite:///vanbill.db")[0] == "sqlite+aiosqlite:///vanbill.db"
    for bad in ("mysql+aiomysql://root@h1,/v", "mysql+aiomysql://root@h1,h2:x/v"):
        with pytest.raises(ValueError, match="cannot read the server"):
            split_hosts(bad)


def _dead_port() -> int:
    with socket.socket() as probe:  # bound, then closed: nothing listens there
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def private(mysql_scratch: ScratchMySQL) -> Iterator[PrivateMariaDB]:
    """A private MariaDB holding the schema under the scratch database's name."""
    server = PrivateMariaDB(database=mysql_scratch.name)
    try:
        server.start()
        server.load_schema()
        yield server
    finally:
        server.remove()


def _operators_on(server: PrivateMariaDB | ScratchMySQL) -> list[int]:
    if isinstance(server, PrivateMariaDB):
        conn = server.connect(server.database)
    else:
        conn = mysql_admin_connection(server.name, server.server)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT telegram_user_id FROM operators ORDER BY telegram_user_id")
        return [row[0] for row in cur.fetchall()]


async def test_connections_go_to_the_next_server_when_the_first_dies(
    private: PrivateMariaDB, mysql_scratch: ScratchMySQL, clock: FixedClock
) -> None:
    mysql_scratch.empty()
    url = f"mysql+aiomysql://root@127.0.0.1:{private.port},127.0.0.1:3306/{mysql_scratch.name}"
    db = Database(url, pool_size=2)
    try:
        await operators.ensure_operator(db, 1, clock)
        assert db.current_host == ("127.0.0.1", private.port)
        private.stop()  # SIGKILL: its pooled connections are dead
        await operators.ensure_operator(db, 2, clock)  # pre-ping, then the next server
        assert db.current_host == ("127.0.0.1", 3306)
        await operators.ensure_operator(db, 3, clock)
        private.start()  # back: connections stay where they are while it answers
        await operators.ensure_operator(db, 4, clock)
        assert db.current_host == ("127.0.0.1", 3306)
        assert _operators_on(private) == [1]
        assert _operators_on(mysql_scratch) == [2, 3, 4]
    finally:
        await db.dispose()


async def test_a_first_server_that_is_down_at_start_is_passed_over(
    mysql_scratch: ScratchMySQL, clock: FixedClock
) -> None:
    mysql_scratch.empty()
    url = f"mysql+aiomysql://root@127.0.0.1:{_dead_port()},127.0.0.1:3306/{mysql_scratch.name}"
    db = Database(url, pool_size=2)
    try:
        await operators.ensure_operator(db, 7, clock)
        assert db.current_host == ("127.0.0.1", 3306)
        assert _operators_on(mysql_scratch) == [7]
    finally:
        await db.dispose()


async def test_every_server_down_is_an_outage_the_bot_recognises(
    mysql_scratch: ScratchMySQL, clock: FixedClock
) -> None:
    url = f"mysql+aiomysql://root@127.0.0.1:{_dead_port()},127.0.0.1:{_dead_port()}/vanbill"
    db = Database(url, pool_size=1)
    try:
        with pytest.raises(Exception) as caught:
            await operators.ensure_operator(db, 7, clock)
        assert unreachable(caught.value)
    finally:
        await db.dispose()
