"""Fixtures shared by every test: the two real databases and a pinned clock.

Data tests take the `db` fixture and run once on embedded SQLite and once on MariaDB through
aiomysql (ids `[sqlite]` and `[mysql]`). MariaDB is found at TEST_MYSQL_URL (default
mysql+aiomysql://root@127.0.0.1:3306/); the suite makes its own scratch database, empties it
between tests and drops it at the end. With CI=true an unreachable MariaDB fails the run.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import pymysql
import pytest

from tests.mysql import ScratchMySQL, mysql_admin_connection, mysql_server_url
from vanbill.services.clock import FixedClock
from vanbill.services.db import Database
from vanbill.services.schema import migrate

__all__ = ["ScratchMySQL", "mysql_admin_connection", "mysql_server_url"]

# python-telegram-bot 22: RetryAfter.retry_after as a timedelta now, as it will be in 23.
os.environ.setdefault("PTB_TIMEDELTA", "1")


def _mysql_unreachable_reason() -> str | None:
    try:
        with mysql_admin_connection() as conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
    except pymysql.MySQLError as exc:
        return f"MariaDB is not reachable at {mysql_server_url()!s}: {exc}"
    return None


@pytest.fixture(scope="session")
def mysql_scratch() -> Iterator[ScratchMySQL]:
    """Create the session's scratch MariaDB database (or fail/skip if there is no server)."""
    reason = _mysql_unreachable_reason()
    if reason is not None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the [mysql] tests must run)", pytrace=False)
        pytest.skip(reason)
    scratch = ScratchMySQL()
    yield scratch
    scratch.drop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file upgraded by the migrations once; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "vanbill-template.db"
    database = Database(f"sqlite+aiosqlite:///{path}")

    async def build() -> None:
        try:
            await migrate(database)
        finally:
            await database.dispose()

    # Requested from inside the running test loop: build on a thread with its own loop.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, build()).result()
    with sqlite3.connect(path) as conn:  # everything in the main file: copies need nothing else
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


@pytest.fixture(params=["sqlite", "mysql"])
async def db(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh, empty database at the latest revision: embedded SQLite, then MariaDB."""
    if request.param == "sqlite":
        target = tmp_path / "vanbill-test.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), target)
        database = Database(f"sqlite+aiosqlite:///{target}")
    else:
        scratch: ScratchMySQL = request.getfixturevalue("mysql_scratch")
        scratch.empty()
        database = Database(scratch.url, pool_size=25)
    try:
        yield database
    finally:
        await database.dispose()


@pytest.fixture
def clock() -> FixedClock:
    """A clock pinned to 10:00 in Kuala Lumpur on 15 January 2026."""
    return FixedClock(datetime(2026, 1, 15, 2, 0, tzinfo=UTC))
