"""schema.sql and services/models.py describe one schema; these tests fail when they drift.

(tests/data/test_migrations.py checks the third description, the revisions, against both.)
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Float, create_engine, inspect
from sqlalchemy.engine import Engine

from tests.conftest import ScratchMySQL, mysql_admin_connection, mysql_server_url
from vanbill.services.db import SCHEMA_SQL, schema_statements
from vanbill.services.models import Base
from vanbill.services.schema import head_revision


def _sync_engine(database: str) -> Engine:
    url = mysql_server_url().set(drivername="mysql+pymysql", database=database)
    return create_engine(url.update_query_dict({"charset": "utf8mb4"}))


@pytest.fixture
def empty_database(mysql_scratch: ScratchMySQL) -> Iterator[str]:
    """A throw-away empty MariaDB database, dropped afterwards."""
    name = f"vanbill_drift_{uuid.uuid4().hex[:10]}"
    with mysql_admin_connection() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        yield name
    finally:
        with mysql_admin_connection() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def _squash(text: str | None) -> str | None:
    return None if text is None else re.sub(r"\s+", " ", text).strip()


def describe_schema(engine: Engine) -> dict[str, dict[str, Any]]:
    """Reflect everything that matters about every table, in a comparable form."""
    insp = inspect(engine)
    described: dict[str, dict[str, Any]] = {}
    for table in sorted(set(insp.get_table_names()) - {"alembic_version"}):
        options = insp.get_table_options(table)
        described[table] = {
            "columns": [
                (
                    c["name"],
                    repr(c["type"]),
                    c["nullable"],
                    _squash(c.get("default")),
                    c.get("autoincrement"),
                )
                for c in insp.get_columns(table)
            ],
            "primary_key": insp.get_pk_constraint(table)["constrained_columns"],
            "foreign_keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    tuple(sorted(fk.get("options", {}).items())),
                )
                for fk in insp.get_foreign_keys(table)
            ),
            "unique": sorted(
                (u["name"], tuple(u["column_names"])) for u in insp.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (i["name"], tuple(i["column_names"]), bool(i["unique"]))
                for i in insp.get_indexes(table)
            ),
            "checks": sorted(
                (c["name"], _squash(c["sqltext"])) for c in insp.get_check_constraints(table)
            ),
            "options": {
                k: v
                for k, v in options.items()
                if k in ("mysql_engine", "mysql_default charset", "mysql_collate")
            },
        }
    return described


def load_schema_sql(database: str, sql: str | None = None) -> dict[str, dict[str, Any]]:
    """Apply schema.sql (or the given text) to database and describe what it made."""
    with mysql_admin_connection(database) as conn, conn.cursor() as cur:
        for statement in schema_statements(sql):
            cur.execute(statement)
    engine = _sync_engine(database)
    try:
        return describe_schema(engine)
    finally:
        engine.dispose()


def create_from_models(database: str) -> dict[str, dict[str, Any]]:
    """Create the models' tables in database and describe what they made."""
    engine = _sync_engine(database)
    try:
        Base.metadata.create_all(engine)
        return describe_schema(engine)
    finally:
        engine.dispose()


def differences(a: dict[str, dict[str, Any]], b: dict[str, dict[str, Any]]) -> list[str]:
    """List, in words, where two described schemas differ."""
    found = [f"table {t} only in schema.sql" for t in sorted(set(a) - set(b))]
    found += [f"table {t} only in the models" for t in sorted(set(b) - set(a))]
    for table in sorted(set(a) & set(b)):
        for aspect in a[table]:
            if a[table][aspect] != b[table][aspect]:
                found.append(
                    f"{table}.{aspect}:\n  schema.sql: {a[table][aspect]}\n"
                    f"  models:     {b[table][aspect]}"
                )
    return found


@pytest.fixture
def second_database(empty_database: str) -> Iterator[str]:
    """Another throw-away database beside empty_database."""
    name = empty_database + "_m"
    with mysql_admin_connection() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        yield name
    finally:
        with mysql_admin_connection() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


def test_schema_sql_and_models_describe_the_same_schema(
    empty_database: str, second_database: str
) -> None:
    from_sql = load_schema_sql(empty_database)
    from_models = create_from_models(second_database)
    assert set(from_sql) == set(Base.metadata.tables)
    assert differences(from_sql, from_models) == []


def test_a_column_added_only_to_schema_sql_is_reported_as_drift(
    empty_database: str, second_database: str
) -> None:
    sql = SCHEMA_SQL.read_text(encoding="utf-8").replace(
        "    notes VARCHAR(1000) NOT NULL DEFAULT '',",
        "    notes VARCHAR(1000) NOT NULL DEFAULT '',\n    nickname VARCHAR(50) NULL,",
        1,
    )
    from_sql = load_schema_sql(empty_database, sql)
    from_models = create_from_models(second_database)
    found = differences(from_sql, from_models)
    assert len(found) == 1 and found[0].startswith("customers.columns")
    assert "nickname" in found[0]


def test_schema_sql_leaves_the_database_at_the_latest_revision(empty_database: str) -> None:
    load_schema_sql(empty_database)
    with mysql_admin_connection(empty_database) as conn, conn.cursor() as cur:
        cur.execute("SELECT version_num FROM alembic_version")
        assert cur.fetchall() == ((head_revision(),),)


def test_schema_sql_has_no_floating_point_column() -> None:
    sql = SCHEMA_SQL.read_text(encoding="utf-8")
    code = re.sub(r"--.*$", "", sql, flags=re.MULTILINE).upper()
    assert not re.search(r"\b(FLOAT|DOUBLE|REAL)\b", code)


def test_models_have_no_floating_point_column() -> None:
    for table in Base.metadata.tables.values():
        for column in table.columns:
            assert not isinstance(column.type, Float), f"{table.name}.{column.name} is a float"
