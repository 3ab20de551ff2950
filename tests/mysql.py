"""Scratch MariaDB databases holding schema.sql (the latest revision), for tests and benchmarks."""

from __future__ import annotations

import os
import uuid

import pymysql
from sqlalchemy.engine import URL, make_url

from vanbill.services.db import schema_statements

DEFAULT_TEST_MYSQL_URL = "mysql+aiomysql://root@127.0.0.1:3306/"


def mysql_server_url(url: str | None = None) -> URL:
    """Return the server URL (default TEST_MYSQL_URL), without a database part."""
    return make_url(url or os.environ.get("TEST_MYSQL_URL", DEFAULT_TEST_MYSQL_URL)).set(
        database=None
    )


def mysql_admin_connection(
    database: str | None = None, url: str | None = None
) -> pymysql.connections.Connection:
    """Open a plain synchronous connection to the server (for set-up and clean-up)."""
    server = mysql_server_url(url)
    return pymysql.connect(
        host=server.host or "127.0.0.1",
        port=server.port or 3306,
        user=server.username or "root",
        password=server.password or "",
        database=database,
        charset="utf8mb4",
        autocommit=True,
    )


class ScratchMySQL:
    """A scratch MariaDB database holding schema.sql, emptied between tests."""

    def __init__(self, url: str | None = None, prefix: str = "vanbill_test") -> None:
        self.server = url
        self.name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with mysql_admin_connection(url=url) as conn, conn.cursor() as cur:
            cur.execute(
                f"CREATE DATABASE `{self.name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        with mysql_admin_connection(self.name, url) as conn, conn.cursor() as cur:
            for statement in schema_statements():
                cur.execute(statement)
            cur.execute("SHOW TABLES")
            # alembic_version keeps its row: the database stays at the latest revision.
            self.tables = [row[0] for row in cur.fetchall() if row[0] != "alembic_version"]

    @property
    def url(self) -> str:
        """Return the async URL of the scratch database."""
        return (
            mysql_server_url(self.server)
            .set(database=self.name)
            .render_as_string(hide_password=False)
        )

    def empty(self) -> None:
        """Delete every row (foreign keys off for the moment)."""
        with mysql_admin_connection(self.name, self.server) as conn, conn.cursor() as cur:
            cur.execute("SET FOREIGN_KEY_CHECKS=0")
            for table in self.tables:
                cur.execute(f"DELETE FROM `{table}`")
            cur.execute("SET FOREIGN_KEY_CHECKS=1")

    def drop(self) -> None:
        """Drop the scratch database."""
        with mysql_admin_connection(url=self.server) as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{self.name}`")
