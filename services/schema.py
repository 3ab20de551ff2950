"""The schema's versions: create or upgrade a database with the Alembic revisions, say where it
stands, and render schema.sql from the revisions.

The revisions in `services/migrations/versions/` are the one source of the schema. A database
made by VanBill 0.1.0's `initdb` (tables, no `alembic_version`) is recognised as the baseline
revision, stamped, and upgraded like any other. `python -m vanbill.services.schema --write`
writes schema.sql (the MySQL DDL of the latest revision); a test fails when it is out of date.
"""

from __future__ import annotations

import argparse
import io
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, create_engine, inspect
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from vanbill.services.db import SCHEMA_SQL, Database, configure_sqlite
from vanbill.services.errors import CONSOLE, VanBillError

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
BASELINE = "0001"
VERSION_TABLE = "alembic_version"
_LOCK = "vanbill_migrate"

SCHEMA_SQL_HEADER = """\
-- VanBill's MySQL / MariaDB schema at the latest revision (InnoDB, utf8mb4).
-- Produced from the Alembic revisions in services/migrations/versions/ by
--   .venv/bin/python -m vanbill.services.schema --write
-- never edited by hand (tests/data/test_migrations.py fails when it is out of date).
-- Load it into an empty database: mariadb vanbill < schema.sql
-- To create or upgrade a database, `vanbill initdb` is the way: it runs the revisions.

"""


class SchemaError(VanBillError):
    """The database's schema is not one this VanBill can use or upgrade."""

    def __init__(self, message: str) -> None:
        # Read by the one running the command line, in English like the logs.
        super().__init__(CONSOLE, text=message)
        self.message = message


def alembic_config(**attributes: object) -> Config:
    """Return the Alembic configuration for our revisions (no alembic.ini is read)."""
    config = Config(output_buffer=attributes.pop("output_buffer", None))  # type: ignore[arg-type]
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes.update(attributes)
    return config


@cache
def head_revision() -> str:
    """Return the latest revision this VanBill knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "no revisions in services/migrations/versions"
    return head


@cache
def known_revisions() -> tuple[str, ...]:
    """Return every revision, oldest first."""
    script = ScriptDirectory.from_config(alembic_config())
    return tuple(reversed([rev.revision for rev in script.walk_revisions()]))


@cache
def baseline_tables() -> dict[str, frozenset[str]]:
    """Return the tables (and their columns) of the baseline: what 0.1.0's initdb made."""
    engine = create_engine("sqlite://", poolclass=NullPool)
    with engine.begin() as conn:
        _run(conn, lambda config: command.upgrade(config, BASELINE))
        inspector = inspect(conn)
        tables = {
            name: frozenset(c["name"] for c in inspector.get_columns(name))
            for name in inspector.get_table_names()
            if name != VERSION_TABLE
        }
    engine.dispose()
    return tables


@dataclass(frozen=True)
class SchemaStatus:
    """Where a database's schema stands against this VanBill's revisions."""

    dialect: str
    current: str | None
    head: str
    tables: frozenset[str]

    @property
    def state(self) -> str:
        """Return empty, legacy (made before migrations), current, behind or unknown."""
        if self.current is None:
            return "legacy" if self.tables - {VERSION_TABLE} else "empty"
        if self.current == self.head:
            return "current"
        if self.current in known_revisions():
            return "behind"
        return "unknown"

    def problem(self) -> str | None:
        """Return, in one line, why the bot cannot run on this database (None when it can)."""
        if self.state == "current":
            return None
        if self.state == "empty":
            return "the database has no VanBill schema yet: run `vanbill initdb` first"
        if self.state == "legacy":
            return (
                "the database was made by a VanBill from before migrations: run `vanbill initdb`"
                " to upgrade it in place (it keeps every row)"
            )
        if self.state == "behind":
            return (
                f"the database schema is at revision {self.current} but this VanBill needs "
                f"{self.head}: run `vanbill initdb` to upgrade it in place"
            )
        return (
            f"the database schema is at revision {self.current}, which this VanBill does not "
            f"know (its latest is {self.head}): it was upgraded by a newer VanBill; run that one"
        )


@dataclass(frozen=True)
class MigrationReport:
    """What `vanbill initdb` did."""

    dialect: str
    before: str | None
    after: str
    legacy: bool
    applied: tuple[str, ...]
    tables: int

    def describe(self) -> str:
        """Say it in a sentence for the console."""
        if self.before is None and not self.legacy:
            return (
                f"{self.dialect}: created the schema ({self.tables} tables) at revision "
                f"{self.after}."
            )
        start = f"{self.dialect}: "
        if self.legacy:
            start += (
                "recognised a database made before migrations as revision "
                f"{BASELINE}, every row kept; "
            )
        if not self.applied:
            return start + f"already at the latest revision {self.after}, nothing to do."
        return start + (
            f"upgraded from revision {self.before or BASELINE} to {self.after} "
            f"(applied {', '.join(self.applied)})."
        )


def _run(connection: Connection, work) -> None:  # type: ignore[no-untyped-def]
    work(alembic_config(connection=connection))


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def _status(connection: Connection, dialect: str) -> SchemaStatus:
    return SchemaStatus(
        dialect=dialect,
        current=_current_revision(connection),
        head=head_revision(),
        tables=frozenset(inspect(connection).get_table_names()),
    )


async def schema_status(db: Database) -> SchemaStatus:
    """Return where the database's schema stands (no change made)."""
    async with db.engine.connect() as conn:
        return await conn.run_sync(_status, db.dialect)


def _check_legacy(connection: Connection) -> None:
    """Refuse a database whose tables are not exactly what 0.1.0's initdb made."""
    inspector = inspect(connection)
    present = set(inspector.get_table_names())
    expected = baseline_tables()
    missing = sorted(set(expected) - present)
    if missing:
        raise SchemaError(
            "the database holds some tables but not VanBill's whole schema (missing: "
            f"{', '.join(missing[:4])}{'...' if len(missing) > 4 else ''}): restore it from a "
            "backup, or point DATABASE_URL at an empty database"
        )
    for table, columns in sorted(expected.items()):
        found = {c["name"] for c in inspector.get_columns(table)}
        if found != columns:
            raise SchemaError(
                f"the table {table} has columns VanBill 0.1.0 did not make "
                f"({', '.join(sorted(found ^ columns))}): it cannot be upgraded automatically"
            )


def _upgrade(connection: Connection, dialect: str) -> MigrationReport:
    status = _status(connection, dialect)
    if status.state == "unknown":
        raise SchemaError(status.problem() or "")
    legacy = status.state == "legacy"
    if legacy:
        _check_legacy(connection)
        _run(connection, lambda config: command.stamp(config, BASELINE))
    before = _current_revision(connection)
    _run(connection, lambda config: command.upgrade(config, "head"))
    after = _current_revision(connection)
    assert after is not None
    revisions = known_revisions()
    start = revisions.index(before) + 1 if before is not None else 0
    applied = revisions[start : revisions.index(after) + 1]
    tables = len(set(inspect(connection).get_table_names()) - {VERSION_TABLE})
    return MigrationReport(
        dialect=dialect,
        before=None if status.state == "empty" else before,
        after=after,
        legacy=legacy,
        applied=applied,
        tables=tables,
    )


def _sqlite_migration_engine(url: str) -> AsyncEngine:
    """An engine for migrating SQLite: foreign keys off while batch mode copies tables."""
    engine = create_async_engine(url, poolclass=NullPool, connect_args={"timeout": 30})
    configure_sqlite(engine, foreign_keys=False)
    return engine


def _check_foreign_keys(connection: Connection) -> None:
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise SchemaError(
            f"the upgrade would leave {len(broken)} row(s) pointing at nothing "
            f"(first in table {broken[0][0]}); nothing was changed"
        )


async def migrate(db: Database) -> MigrationReport:
    """Create the schema in an empty database, or upgrade an existing one to the latest."""
    if db.is_sqlite:
        engine = _sqlite_migration_engine(db.url)
        try:
            async with engine.begin() as conn:
                report = await conn.run_sync(_upgrade, db.dialect)
                await conn.run_sync(_check_foreign_keys)
            return report
        finally:
            await engine.dispose()
    async with db.engine.connect() as conn:
        # MySQL DDL commits as it goes: one migrating process at a time.
        await _named_lock(conn)
        try:
            report = await conn.run_sync(_upgrade, db.dialect)
            await conn.commit()
        finally:
            await conn.exec_driver_sql(f"DO RELEASE_LOCK('{_LOCK}')")
        return report


async def _named_lock(conn: AsyncConnection) -> None:
    got = (await conn.exec_driver_sql(f"SELECT GET_LOCK('{_LOCK}', 120)")).scalar()
    if got != 1:
        raise SchemaError("another `vanbill initdb` is upgrading this database; try again later")


def render_mysql_schema() -> str:
    """Return schema.sql's text: the revisions rendered as MySQL DDL, oldest first."""
    buffer = io.StringIO()
    command.upgrade(
        alembic_config(output_buffer=buffer, offline_url="mysql+pymysql://"), "head", sql=True
    )
    body = "\n".join(line.rstrip() for line in buffer.getvalue().strip().splitlines()) + "\n"
    return SCHEMA_SQL_HEADER + body


def main(argv: list[str] | None = None) -> int:
    """Print schema.sql as the revisions make it, or --write it, or --check it."""
    parser = argparse.ArgumentParser(prog="python -m vanbill.services.schema")
    parser.add_argument("--write", action="store_true", help=f"write {SCHEMA_SQL.name}")
    parser.add_argument("--check", action="store_true", help="exit 1 when it is out of date")
    args = parser.parse_args(argv)
    rendered = render_mysql_schema()
    if args.write:
        SCHEMA_SQL.write_text(rendered, encoding="utf-8")
        print(f"wrote {SCHEMA_SQL}")
    elif args.check:
        if SCHEMA_SQL.read_text(encoding="utf-8") != rendered:
            print(f"{SCHEMA_SQL} is out of date: run with --write", file=sys.stderr)
            return 1
    else:
        sys.stdout.write(rendered)
    return 0


if __name__ == "__main__":
    sys.exit(main())
