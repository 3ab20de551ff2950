"""The engine and session factory for MySQL/MariaDB and embedded SQLite (the schema: schema.py)."""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Concatenate, ParamSpec, TypeVar

from sqlalchemy import Insert, Table, event, exc, inspect
from sqlalchemy.dialects import mysql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

SCHEMA_SQL = Path(__file__).resolve().parent.parent / "schema.sql"


def schema_statements(sql: str | None = None) -> list[str]:
    """Split schema.sql into statements (comments dropped)."""
    text = SCHEMA_SQL.read_text(encoding="utf-8") if sql is None else sql
    without_comments = re.sub(r"^\s*--.*$", "", text, flags=re.MULTILINE)
    return [s.strip() for s in without_comments.split(";") if s.strip()]


# The authority of a URL naming several servers: mysql+aiomysql://user:pw@h1:3306,h2:3306/vanbill
_AUTHORITY = re.compile(r"^(?P<scheme>[^:/]+://)(?P<authority>[^/?#]*)(?P<rest>.*)$", re.DOTALL)


def split_hosts(url: str) -> tuple[str, list[tuple[str, int | None]]]:
    """Return the URL on its first server and every server it names, in order.

    A DATABASE_URL may list several MariaDB servers (the nodes of a Galera cluster) separated
    by commas: `mysql+aiomysql://vanbill:pw@10.0.0.1:3306,10.0.0.2:3306,10.0.0.3/vanbill`.
    A URL naming one server (or a file) comes back as it is, with that one server.
    """
    match = _AUTHORITY.match(url)
    if match is None or "," not in match["authority"]:
        parsed = make_url(url)
        return url, [(parsed.host or "", parsed.port)]
    credentials, at, hosts = match["authority"].rpartition("@")
    servers: list[tuple[str, int | None]] = []
    for item in hosts.split(","):
        host, colon, port = item.strip().rpartition(":") if ":" in item else (item, "", "")
        host = host.strip()
        if not host or (colon and not (port.isascii() and port.isdigit())):
            raise ValueError(f"cannot read the server {item.strip()!r} in the database URL")
        servers.append((host, int(port) if colon else None))
    first_host, first_port = servers[0]
    first = first_host + (f":{first_port}" if first_port else "")
    return f"{match['scheme']}{credentials}{at}{first}{match['rest']}", servers


def url_password(url: str) -> str | None:
    """Return the password a database URL holds (None if none, or if it cannot be read)."""
    try:
        password = make_url(split_hosts(url)[0]).password
    except (ArgumentError, ValueError):
        return None
    return None if password is None else str(password)


def _normalise_url(url: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
    return parsed.render_as_string(hide_password=False)


# MySQL client errors that mean the server is away, not that the request was wrong: can't
# connect (2002, 2003), gone away (2006), lost the connection (2013, 2055), server shutting down
# (1053), too many connections (1040), lock wait or deadlock (1205, 1213), read-only (1290).
_MYSQL_AWAY = {1040, 1053, 1205, 1213, 1290, 2002, 2003, 2006, 2013, 2055}
_SQLITE_BUSY = ("database is locked", "database is busy", "database table is locked")


def unreachable(error: BaseException | None) -> bool:
    """Say whether an error means the database cannot be reached now (down, locked, gone away).

    Such an error says nothing about the request: the same request works once the database
    answers again. Anything else (a bad statement, a broken rule) is a bug, not an outage.
    """
    seen = 0
    while error is not None and seen < 8:
        seen += 1
        if isinstance(error, exc.DBAPIError) and error.connection_invalidated:
            return True
        if isinstance(error, exc.DisconnectionError | exc.TimeoutError):
            return True  # no connection, or the pool waited too long for one
        if isinstance(error, ConnectionError | TimeoutError):
            return True
        original = error.orig if isinstance(error, exc.DBAPIError) else error
        code = original.args[0] if original is not None and original.args else None
        if isinstance(code, int) and code in _MYSQL_AWAY and _is_mysql_error(original):
            return True
        if isinstance(error, exc.OperationalError) and any(
            busy in str(original).lower() for busy in _SQLITE_BUSY
        ):
            return True
        if isinstance(error, OSError) and not isinstance(error, FileNotFoundError):
            return True  # a refused or reset socket
        error = error.__cause__ or error.__context__
    return False


def _is_mysql_error(error: BaseException | None) -> bool:
    module = type(error).__module__
    return module.startswith(("pymysql", "aiomysql", "MySQLdb"))


def configure_sqlite(
    engine: AsyncEngine, *, foreign_keys: bool = True, busy_timeout: float = 30.0
) -> None:
    """Foreign keys on, WAL, and BEGIN IMMEDIATE so a writer never dead-ends on an upgrade.

    Migrations turn foreign keys off (SQLite only changes it outside a transaction) while batch
    mode copies tables, and check them at the end.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def insert_ignoring_duplicates(dialect: str, table: Table) -> Insert:
    """Return an INSERT that skips rows whose unique key already exists (MySQL and SQLite)."""
    if dialect in ("mysql", "mariadb"):
        # Not INSERT IGNORE: that would also turn foreign-key and truncation errors into warnings.
        first_key = next(iter(table.primary_key.columns))
        stmt = mysql.insert(table)
        return stmt.on_duplicate_key_update({first_key.name: first_key})
    return sqlite.insert(table).on_conflict_do_nothing()


# MariaDB error codes after which the transaction is gone whole and nothing of it committed:
# a deadlock or a Galera certification failure (1213), a lock wait timeout (1205; the session
# rolls the rest back), a Galera node that is not ready to run statements (1047).
ABORTED = frozenset({1213, 1205, 1047})
CANNOT_CONNECT = frozenset({2002, 2003})  # nothing was sent
LOST_CONNECTION = frozenset({2006, 2013})  # retried only when lost during a statement


def error_code(exc: BaseException) -> int | None:
    """Return the MySQL error number behind a SQLAlchemy error, if there is one."""
    orig = exc.orig if isinstance(exc, DBAPIError) else None
    args = getattr(orig, "args", ())
    return args[0] if args and isinstance(args[0], int) else None


def retryable(exc: BaseException) -> bool:
    """Return whether a use case that raised exc may run again whole: nothing of it committed.

    A connection lost during a statement is retried (the server rolls back what it had not
    committed); one lost with no statement may have been lost during COMMIT, whose outcome is
    unknown, so it is not.
    """
    if not isinstance(exc, DBAPIError) or getattr(exc, "vanbill_gave_up", False):
        return False
    code = error_code(exc)
    if code in ABORTED or code in CANNOT_CONNECT:
        return True
    return code in LOST_CONNECTION and exc.statement is not None


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently an aborted transaction is run again."""

    attempts: int = 5  # in all, the first one included
    base_delay: float = 0.02  # seconds; doubles each time, with full jitter
    max_delay: float = 1.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Return the pause before attempt number `attempt + 1` (full jitter)."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


class Database:
    """One engine and its session factory; built once, disposed at shutdown."""

    def __init__(
        self,
        url: str,
        *,
        echo: bool = False,
        pool_size: int = 10,
        retry: RetryPolicy | None = None,
        busy_timeout: float = 30.0,
    ) -> None:
        self.retry = retry or RetryPolicy()
        self.retries_taken = 0  # transactions run again since start (for monitoring, benches)
        self._rng = random.Random()
        primary, self.hosts = split_hosts(url)
        self.url = _normalise_url(primary)  # on the first server named
        self.current_host: tuple[str, int | None] = self.hosts[0]
        backend = make_url(self.url).get_backend_name()
        self.is_mysql = backend in ("mysql", "mariadb")
        self.is_sqlite = backend == "sqlite"
        options: dict[str, object] = {"echo": echo}
        if self.is_mysql:
            options.update(
                pool_pre_ping=True,
                pool_recycle=3600,
                pool_size=pool_size,
                max_overflow=pool_size,
                isolation_level="READ COMMITTED",
            )
            if len(self.hosts) > 1:
                options["async_creator"] = self._connect_to_any_server
        elif self.is_sqlite:
            # How long a write waits for SQLite's one write lock before giving up.
            options.update(connect_args={"timeout": busy_timeout})
        self.engine: AsyncEngine = create_async_engine(self.url, **options)
        if self.is_sqlite:
            configure_sqlite(self.engine, busy_timeout=busy_timeout)
        self.sessions: async_sessionmaker[AsyncSession] = async_sessionmaker(
            self.engine, expire_on_commit=False
        )

    async def _connect_to_any_server(self) -> object:
        """Open a connection to the server last seen up, else to the next one that answers.

        With several servers named (a Galera cluster), new connections stay on one node while
        it answers (fewer certification conflicts than spreading the writes); when it dies,
        pool_pre_ping finds its connections dead and they are opened again on the next node.
        """
        import aiomysql  # the driver of every MySQL URL VanBill accepts

        parsed = make_url(self.url)
        _, params = parsed.get_dialect()().create_connect_args(parsed)
        params.setdefault("connect_timeout", 3)
        params.pop("host", None)
        params.pop("port", None)
        start = self.hosts.index(self.current_host)
        last_error: BaseException | None = None
        for step in range(len(self.hosts)):
            host, port = self.hosts[(start + step) % len(self.hosts)]
            try:
                connection = await aiomysql.connect(
                    **{**params, "host": host, "port": port or 3306}
                )
            except (OSError, aiomysql.OperationalError) as error:
                last_error = error
                log.warning("database server %s:%s does not answer: %s", host, port or 3306, error)
                continue
            if (host, port) != self.current_host:
                log.warning("database connections now go to %s:%s", host, port or 3306)
                self.current_host = (host, port)
            return connection
        assert last_error is not None
        raise last_error

    @property
    def dialect(self) -> str:
        """Return 'mysql' or 'sqlite'."""
        return "mysql" if self.is_mysql else self.engine.dialect.name

    async def retrying(
        self, use_case: Callable[P, Awaitable[R]], *args: P.args, **kwargs: P.kwargs
    ) -> R:
        """Await use_case(*args, **kwargs), running it again whole while retryable() says so."""
        attempt = 1
        while True:
            try:
                return await use_case(*args, **kwargs)
            except DBAPIError as exc:
                if not retryable(exc):
                    raise
                if attempt >= self.retry.attempts:
                    exc.vanbill_gave_up = True  # type: ignore[attr-defined]  # outer: no retry
                    raise
                pause = self.retry.delay(attempt, self._rng)
                log.info(
                    "%s: transaction aborted (%s), attempt %d of %d in %.3f s",
                    getattr(use_case, "__qualname__", use_case),
                    error_code(exc),
                    attempt + 1,
                    self.retry.attempts,
                    pause,
                )
                self.retries_taken += 1
                attempt += 1
                await asyncio.sleep(pause)

    async def table_names(self) -> list[str]:
        """Return the tables that exist now."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(lambda c: inspect(c).get_table_names())

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


def retried(
    use_case: Callable[Concatenate[Database, P], Awaitable[R]],
) -> Callable[Concatenate[Database, P], Awaitable[R]]:
    """Run a use case (db first, one transaction) again whole when the database aborted it."""

    @functools.wraps(use_case)
    async def run(db: Database, *args: P.args, **kwargs: P.kwargs) -> R:
        if any(isinstance(a, AsyncSession) for a in (*args, *kwargs.values())):
            # Inside a caller's transaction: the caller's own retry runs it again with the rest.
            return await use_case(db, *args, **kwargs)
        return await db.retrying(use_case, db, *args, **kwargs)

    return run
