"""The three-node Galera cluster of bench/galera.py, for the tests marked `galera`.

They run only when TEST_GALERA_NODES names the nodes (host:port,host:port,...); the default
suite skips them:

    python bench/galera.py start
    TEST_GALERA_NODES=$(python bench/galera.py nodes) pytest -m galera tests/cluster
    python bench/galera.py stop
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pymysql
import pytest
from sqlalchemy import event

from tests.mysql import ScratchMySQL, mysql_admin_connection
from vanbill.services.db import Database


def galera_nodes() -> list[str]:
    """Return the nodes' host:port from TEST_GALERA_NODES (empty when unset)."""
    return [n.strip() for n in os.environ.get("TEST_GALERA_NODES", "").split(",") if n.strip()]


def node_url(node: str, database: str | None = None) -> str:
    """Return the async URL of one node (and database)."""
    return f"mysql+aiomysql://root@{node}/{database or ''}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the galera tests unless the cluster was named."""
    if len(galera_nodes()) >= 2:
        return
    skip = pytest.mark.skip(reason="no cluster: set TEST_GALERA_NODES (bench/galera.py start)")
    for item in items:
        if "galera" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def galera_scratch() -> Iterator[ScratchMySQL]:
    """A scratch database made through the first node (DDL replicates to the others)."""
    nodes = galera_nodes()
    for node in nodes:
        try:
            with mysql_admin_connection(url=node_url(node)) as conn, conn.cursor() as cur:
                cur.execute("SHOW STATUS LIKE 'wsrep_local_state_comment'")
                row = cur.fetchone()
        except pymysql.MySQLError as exc:
            pytest.fail(f"Galera node {node} is not reachable: {exc}", pytrace=False)
        if row is None or row[1] != "Synced":
            pytest.fail(f"Galera node {node} is not Synced: {row}", pytrace=False)
    scratch = ScratchMySQL(node_url(nodes[0]), prefix="vanbill_galera")
    yield scratch
    scratch.drop()


def causal(db: Database) -> Database:
    """Make every read on db wait until the node has applied what the cluster committed."""

    @event.listens_for(db.engine.sync_engine, "connect")
    def _sync_wait(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        cursor = dbapi_connection.cursor()
        cursor.execute("SET SESSION wsrep_sync_wait = 1")
        cursor.close()

    return db


@pytest.fixture
async def nodes(galera_scratch: ScratchMySQL) -> AsyncIterator[list[Database]]:
    """One Database per node, on the emptied scratch database, reads causal."""
    galera_scratch.empty()
    dbs = [
        causal(Database(node_url(node, galera_scratch.name), pool_size=4))
        for node in galera_nodes()
    ]
    try:
        yield dbs
    finally:
        for db in dbs:
            await db.dispose()
