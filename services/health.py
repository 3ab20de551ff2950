"""Start-up health: reach the database, say in one line what is wrong when it cannot be reached.

Every failure a person can meet when VanBill starts (a server that is down, a wrong password, a
database that does not exist, a file that cannot be opened, a schema that is out of date) becomes
a `StartupError` with one line that says what is wrong and what to do, and never the password.
"""

from __future__ import annotations

import re
import socket
from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from vanbill.services.db import Database, split_hosts
from vanbill.services.errors import CONSOLE, VanBillError
from vanbill.services.schema import SchemaError, SchemaStatus, schema_status


class StartupError(VanBillError):
    """VanBill cannot start; the message is the one line to print."""

    def __init__(self, message: str) -> None:
        # Read by the one running the command line, in English like the logs.
        super().__init__(CONSOLE, text=message)
        self.message = message


def mask_url(url: str) -> str:
    """Return the URL with its password (if any) replaced by ***."""
    try:
        url, _servers = split_hosts(url)  # several servers: shown by _where, one by one
        parsed = make_url(url)
    except (ArgumentError, ValueError):
        return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)
    shown = parsed.set(query={k: v for k, v in parsed.query.items() if k != "charset"})
    return shown.render_as_string(hide_password=True)


def _where(db: Database) -> str:
    return ", ".join(f"{host or 'localhost'}:{port or 3306}" for host, port in db.hosts)


# MySQL client and server error numbers we can explain.
_CANNOT_CONNECT = {2002, 2003, 2006, 2013}
_UNKNOWN_HOST = 2005
_ACCESS_DENIED = {1044, 1045, 1698}
_UNKNOWN_DATABASE = 1049


def _mysql_reason(error: BaseException) -> str:
    """Return the short cause of a "Can't connect" error (connection refused...)."""
    cause = error.__cause__ or error.__context__
    if isinstance(cause, ConnectionRefusedError):
        return "connection refused"
    if isinstance(cause, socket.gaierror):
        return "unknown host"
    if isinstance(cause, TimeoutError):
        return "timed out"
    lowered = f"{error} {cause or ''}".lower()
    for needle, reason in (
        ("refused", "connection refused"),
        ("timed out", "timed out"),
        ("name or service not known", "unknown host"),
        ("nodename nor servname", "unknown host"),
        ("temporary failure in name resolution", "unknown host"),
        ("no route to host", "no route to host"),
        ("network is unreachable", "network unreachable"),
    ):
        if needle in lowered:
            return reason
    return "no answer"


def explain(exc: BaseException, db: Database) -> str:
    """Turn an error from connecting or querying into the one line a person reads."""
    shown = mask_url(db.url)
    if isinstance(exc, StartupError | SchemaError):
        return exc.message
    original = exc.orig if isinstance(exc, DBAPIError) else exc
    args = getattr(original, "args", ())
    code = args[0] if args and isinstance(args[0], int) else None
    message = str(args[1]) if len(args) > 1 else str(original)
    if db.is_mysql:
        parsed = make_url(db.url)
        reason = _mysql_reason(original)
        if code == _UNKNOWN_HOST or (code in _CANNOT_CONNECT and reason == "unknown host"):
            return (
                f"cannot find the MySQL host {parsed.host!r} (unknown host): check the host "
                f"name in DATABASE_URL={shown}"
            )
        if code in _CANNOT_CONNECT or isinstance(original, OSError | TimeoutError):
            return (
                f"cannot reach MySQL at {_where(db)} ({reason}): is the server "
                f"running? DATABASE_URL={shown}"
            )
        if code in _ACCESS_DENIED:
            return (
                f"MySQL at {_where(db)} refused user {parsed.username!r} (access denied): check "
                f"the user and password in DATABASE_URL={shown}"
            )
        if code == _UNKNOWN_DATABASE:
            name = parsed.database
            return (
                f"MySQL at {_where(db)} has no database {name!r}: create it with "
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; "
                f"then run `vanbill initdb` (DATABASE_URL={shown})"
            )
        return (
            f"MySQL at {_where(db)} answered with an error ({code}: {message}); "
            f"DATABASE_URL={shown}"
        )
    path = make_url(db.url).database or ""
    if "unable to open database file" in message or isinstance(original, OSError):
        return (
            f"cannot open the SQLite file {path!r}: does its folder exist, and may VanBill write "
            f"there? DATABASE_URL={shown}"
        )
    if "locked" in message:
        return f"the SQLite file {path!r} is locked by another program; DATABASE_URL={shown}"
    if "not a database" in message:
        return f"{path!r} is not an SQLite database file; DATABASE_URL={shown}"
    return f"the database answered with an error ({message}); DATABASE_URL={shown}"


def open_database(url: str, **options: object) -> Database:
    """Build the Database for a URL, or raise StartupError saying what is wrong with the URL."""
    try:
        return Database(url, **options)  # type: ignore[arg-type]
    except (ArgumentError, NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StartupError(
            f"DATABASE_URL={mask_url(url)} cannot be used ({exc.__class__.__name__}): use "
            "sqlite+aiosqlite:///path/vanbill.db or mysql+aiomysql://user:password@host:3306/db"
        ) from exc


@dataclass(frozen=True)
class DatabaseHealth:
    """What a reachable database said about itself."""

    dialect: str
    server: str
    schema: SchemaStatus


async def reach(db: Database) -> DatabaseHealth:
    """Connect, ask the server's version and the schema's revision; one line on any failure."""
    try:
        async with db.engine.connect() as conn:
            if db.is_mysql:
                server = str((await conn.execute(text("SELECT VERSION()"))).scalar_one())
            else:
                server = "SQLite " + str(
                    (await conn.execute(text("SELECT sqlite_version()"))).scalar_one()
                )
        status = await schema_status(db)
    except Exception as exc:  # every cause is explained in one line, never a traceback
        raise StartupError(explain(exc, db)) from exc
    return DatabaseHealth(dialect=db.dialect, server=server, schema=status)


async def ready(db: Database) -> DatabaseHealth:
    """Like reach, and also refuse a schema that is not at the latest revision."""
    health = await reach(db)
    problem = health.schema.problem()
    if problem is not None:
        raise StartupError(problem)
    return health
