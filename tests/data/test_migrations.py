"""The Alembic revisions: the one source of the schema, and the upgrade path for every database.

`tests/data/legacy/` holds what VanBill 0.1.0's `initdb` made before migrations existed (its
schema.sql for MySQL, its models' DDL for SQLite) and a business's rows taken from such a
database (the demo business plus an invite, a slip, a run, reminders, a holiday, a fee change
and a saved conversation: 312 rows in all 18 tables). The upgrade tests build that database on
both engines, upgrade it with `migrate` (what `vanbill initdb` runs) and compare every row.
When a later revision changes rows on purpose, say so in EXPECTED_CHANGES below.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
import sqlite3
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from pypdf import PdfReader
from sqlalchemy import Connection, MetaData, create_engine, insert, select, text
from sqlalchemy.engine import Engine

from tests.conftest import ScratchMySQL, mysql_admin_connection, mysql_server_url
from tests.data.factories import make_business, make_family
from tests.data.test_schema_drift import create_from_models, describe_schema, differences
from vanbill.services import invoices, languages, payments, reports, schema
from vanbill.services.billing import NewLine
from vanbill.services.clock import FixedClock
from vanbill.services.db import SCHEMA_SQL, Database, schema_statements
from vanbill.services.documents import DocumentRenderer
from vanbill.services.models import Base
from vanbill.services.schema import (
    BASELINE,
    SchemaError,
    SchemaStatus,
    head_revision,
    migrate,
    render_mysql_schema,
    schema_status,
)

LEGACY = Path(__file__).parent / "legacy"
LEGACY_ROWS: dict[str, list[dict[str, Any]]] = json.loads(
    (LEGACY / "rows-0.1.0.json").read_text(encoding="utf-8")
)


def receipt_numbers(payments: list[dict[str, Any]]) -> dict[int, str]:
    """Number payments by hand as 0002 must: per operator and year paid, in the order recorded."""
    recorded = sorted(
        payments, key=lambda p: (p["operator_id"], _decode(p["created_at"]), p["id"])
    )
    taken: Counter[tuple[int, int]] = Counter()
    numbers = {}
    for payment in recorded:
        year = _decode(payment["paid_on"]).year
        taken[payment["operator_id"], year] += 1
        numbers[payment["id"]] = f"RCPT-{year}-{taken[payment['operator_id'], year]:04d}"
    return numbers


def receipt_counters(payments: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the counter rows 0002 leaves: the last number of each operator's year."""
    last: Counter[tuple[int, int]] = Counter()
    for payment in payments:
        last[payment["operator_id"], _decode(payment["paid_on"]).year] += 1
    return [
        {"operator_id": operator_id, "year": year, "last_seq": seq}
        for (operator_id, year), seq in sorted(last.items())
    ]


def closed_on(invoice: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> Any:
    """Return the day the invoice closed: issue date if void, last payment date if paid."""
    if invoice["status"] == "void":
        return invoice["issue_date"]
    if invoice["status"] != "paid":
        return None
    paid_on = {p["id"]: p["paid_on"] for p in rows["payments"]}
    dates = [
        paid_on[a["payment_id"]]
        for a in rows["payment_allocations"]
        if a["invoice_id"] == invoice["id"]
    ]
    # Dates are compared as the rows encode them ({"date": "2026-01-07"}): ISO text sorts so.
    return max([invoice["issue_date"], *dates], key=lambda d: d["date"] if d else "")


def credit_sen(customer: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> int:
    """Return what the family paid and no invoice took (void payments left out)."""
    allocated: dict[int, int] = {}
    for a in rows["payment_allocations"]:
        allocated[a["payment_id"]] = allocated.get(a["payment_id"], 0) + a["amount_sen"]
    return sum(
        p["amount_sen"] - allocated.get(p["id"], 0)
        for p in rows["payments"]
        if p["customer_id"] == customer["id"] and not p["voided"]
    )


MONTHS = "January February March April May June July August September October November December"


def old_line(item: dict[str, Any]) -> dict[str, Any]:
    """Return what 0010 reads from a 0.1.0 route line: "Morning: A → B — August 2026"."""
    empty = dict.fromkeys(("period", "route_name", "part_from", "part_to", "part_rule"))
    if item["service_id"] is None or " — " not in item["description"]:
        return empty
    route, label = item["description"].rsplit(" — ", 1)
    month, year = label.split(" ")
    number = MONTHS.split().index(month) + 1
    return {**empty, "period": {"date": f"{year}-{number:02d}-01"}, "route_name": route}


# (table, column) -> function(old row, old rows) -> the value expected after upgrading to the
# latest; a column the old row lacks is one a revision added.
def owed_sen(customer: dict[str, Any], rows: dict[str, list[dict[str, Any]]]) -> int:
    """Return what the family owes on its invoices (0012): total - paid of the open ones."""
    return sum(
        i["total_sen"] - i["paid_sen"]
        for i in rows["invoices"]
        if i["customer_id"] == customer["id"] and i["status"] in ("open", "partial")
    )


def _month(day: dict[str, str]) -> str:
    return day["date"][:8] + "01"


def summary_months(rows: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Return the summary's ledger 0012 builds from the old rows, worked out here by hand."""
    ledger: dict[tuple[int, str], list[int]] = {}

    def add(operator_id: int, month: str, column: int, amount: int) -> None:
        ledger.setdefault((operator_id, month), [0, 0, 0])[column] += amount

    invoices = {i["id"]: i for i in rows["invoices"]}
    payments = {p["id"]: p for p in rows["payments"]}
    for invoice in invoices.values():
        if invoice["status"] != "void":
            add(invoice["operator_id"], _month(invoice["issue_date"]), 0, invoice["total_sen"])
    for allocation in rows["payment_allocations"]:
        issued = _month(invoices[allocation["invoice_id"]]["issue_date"])
        paid = _month(payments[allocation["payment_id"]]["paid_on"])
        add(allocation["operator_id"], max(issued, paid), 1, allocation["amount_sen"])
        if paid <= issued:
            add(allocation["operator_id"], issued, 2, allocation["amount_sen"])
    return [
        {
            "operator_id": operator_id,
            "month": {"date": month},
            "invoiced_sen": figures[0],
            "settled_sen": figures[1],
            "own_settled_sen": figures[2],
        }
        for (operator_id, month), figures in sorted(ledger.items())
    ]


EXPECTED_CHANGES: dict[tuple[str, str], Any] = {
    ("payments", "receipt_number"): lambda row, rows: receipt_numbers(rows["payments"])[row["id"]],
    ("invoices", "closed_on"): closed_on,
    ("customers", "credit_sen"): credit_sen,
    # 0008: the live key of a monthly invoice is its month while it is not void.
    ("invoices", "live_period"): lambda row, rows: (
        None if row["status"] == "void" else row["period"]
    ),
    ("payments", "void_reason"): lambda row, rows: "",
    ("customers", "owed_sen"): owed_sen,  # 0012
    # 0010: a route line's month and route, read back from its English description.
    ("invoice_items", "period"): lambda row, rows: old_line(row)["period"],
    ("invoice_items", "route_name"): lambda row, rows: old_line(row)["route_name"],
    ("invoice_items", "part_from"): lambda row, rows: old_line(row)["part_from"],
    ("invoice_items", "part_to"): lambda row, rows: old_line(row)["part_to"],
    ("invoice_items", "part_rule"): lambda row, rows: old_line(row)["part_rule"],
}
# table -> function(old rows) -> the rows a revision adds to a table the old schema lacked;
# a new table not named here must start empty.
EXPECTED_NEW_ROWS: dict[str, Any] = {
    "receipt_counters": lambda rows: receipt_counters(rows["payments"]),
    "family_imports": lambda rows: [],  # 0005: files imported from now on
    "send_budgets": lambda rows: [],  # filled by the senders as they send
    "send_turns": lambda rows: [],
    "summary_months": summary_months,  # 0012: the summary's ledger of the invoices so far
}


class EmptyDatabase:
    """An empty database on one engine: its async URL and a synchronous engine for checks."""

    def __init__(self, dialect: str, url: str, sync_url: str) -> None:
        self.dialect = dialect
        self.url = url
        self.sync: Engine = create_engine(sync_url)


@pytest.fixture(params=["sqlite", "mysql"])
def empty(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EmptyDatabase]:
    """An empty database with no tables: embedded SQLite, then MariaDB."""
    if request.param == "sqlite":
        path = tmp_path / "empty.db"
        made = EmptyDatabase("sqlite", f"sqlite+aiosqlite:///{path}", f"sqlite:///{path}")
        yield made
        made.sync.dispose()
        return
    request.getfixturevalue("mysql_scratch")  # skips (or fails under CI) without MariaDB
    name = f"vanbill_migrate_{uuid.uuid4().hex[:10]}"
    with mysql_admin_connection() as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    server = mysql_server_url().set(database=name)
    made = EmptyDatabase(
        "mysql",
        server.render_as_string(hide_password=False),
        server.set(drivername="mysql+pymysql")
        .update_query_dict({"charset": "utf8mb4"})
        .render_as_string(hide_password=False),
    )
    try:
        yield made
    finally:
        made.sync.dispose()
        with mysql_admin_connection() as conn, conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


@pytest.fixture
async def database(empty: EmptyDatabase) -> AsyncIterator[Database]:
    """The VanBill Database over the empty database."""
    db = Database(empty.url)
    try:
        yield db
    finally:
        await db.dispose()


def load_legacy_schema(empty: EmptyDatabase) -> None:
    """Make the tables exactly as VanBill 0.1.0's initdb did on this engine."""
    if empty.dialect == "sqlite":
        path = empty.sync.url.database
        assert path is not None
        with sqlite3.connect(path) as conn:
            conn.executescript((LEGACY / "schema-0.1.0-sqlite.sql").read_text(encoding="utf-8"))
        return
    sql = (LEGACY / "schema-0.1.0-mysql.sql").read_text(encoding="utf-8")
    name = empty.sync.url.database
    with mysql_admin_connection(name) as conn, conn.cursor() as cur:
        for statement in schema_statements(sql):
            cur.execute(statement)


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        kind, raw = next(iter(value.items()))
        return {
            "datetime": datetime.fromisoformat,
            "date": date.fromisoformat,
            "bytes": base64.b64decode,
        }[kind](raw)
    return value


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"datetime": value.replace(tzinfo=None).isoformat()}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, bytes):
        return {"bytes": base64.b64encode(value).decode()}
    if isinstance(value, bool):
        return int(value)
    return value


def insert_legacy_rows(engine: Engine) -> int:
    """Insert the 0.1.0 business's rows, parents first; return how many."""
    tables = MetaData()
    tables.reflect(engine)
    count = 0
    with engine.begin() as conn:
        for table in tables.sorted_tables:
            rows = [
                {k: _decode(v) for k, v in row.items()} for row in LEGACY_ROWS.get(table.name, [])
            ]
            if rows:
                conn.execute(insert(table), rows)
                count += len(rows)
    return count


def read_rows(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Return every row of every table but alembic_version, by primary key, as JSON values."""
    tables = MetaData()
    tables.reflect(conn)
    found = {}
    for table in tables.sorted_tables:
        if table.name == "alembic_version":
            continue
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        found[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    return found


def expected_after_upgrade(
    table: str, row: dict[str, Any], rows: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Return the old row as the latest revision should hold it (added columns included)."""
    expected = {
        column: EXPECTED_CHANGES[(table, column)](row, rows)
        if (table, column) in EXPECTED_CHANGES
        else value
        for column, value in row.items()
    }
    for (changed, column), value in EXPECTED_CHANGES.items():
        if changed == table and column not in row:
            expected[column] = value(row, rows)
    return expected


def check_upgraded_rows(
    before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]
) -> None:
    """Check every old row is kept as EXPECTED_CHANGES says, and the new tables' rows."""
    for table, rows in before.items():
        expected = [expected_after_upgrade(table, row, before) for row in rows]
        kept = [{k: row[k] for k in expected[0]} for row in after[table]] if rows else after[table]
        assert kept == expected, table
    for table in set(after) - set(before):
        assert after[table] == EXPECTED_NEW_ROWS.get(table, lambda _: [])(before), table


def test_schema_sql_is_what_the_revisions_render() -> None:
    assert SCHEMA_SQL.read_text(encoding="utf-8") == render_mysql_schema(), (
        "schema.sql is out of date: run .venv/bin/python -m vanbill.services.schema --write"
    )


def test_the_revisions_form_one_line_from_the_baseline() -> None:
    revisions = schema.known_revisions()
    assert revisions[0] == BASELINE
    assert revisions[-1] == head_revision()
    assert len(set(revisions)) == len(revisions)


async def test_initdb_on_an_empty_database_creates_the_latest_schema(
    empty: EmptyDatabase, database: Database
) -> None:
    report = await migrate(database)
    assert report.before is None and not report.legacy
    assert report.after == head_revision()
    assert report.tables == len(Base.metadata.tables)
    assert "created the schema" in report.describe()
    status = await schema_status(database)
    assert status.state == "current" and status.problem() is None


async def test_the_migrated_schema_is_what_the_models_describe(
    empty: EmptyDatabase, database: Database
) -> None:
    await migrate(database)
    with empty.sync.connect() as conn:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_migrations_and_models_reflect_identically_on_mariadb(mysql_scratch: ScratchMySQL) -> None:
    names = [f"vanbill_mdiff_{uuid.uuid4().hex[:8]}_{i}" for i in (1, 2)]
    with mysql_admin_connection() as conn, conn.cursor() as cur:
        for name in names:
            cur.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    try:
        migrated, from_models = names
        url = mysql_server_url().set(database=migrated).render_as_string(hide_password=False)

        async def upgrade() -> None:
            db = Database(url)
            try:
                await migrate(db)
            finally:
                await db.dispose()

        asyncio.run(upgrade())
        engine = create_engine(
            mysql_server_url()
            .set(drivername="mysql+pymysql", database=migrated)
            .update_query_dict({"charset": "utf8mb4"})
        )
        try:
            described = describe_schema(engine)
        finally:
            engine.dispose()
        assert differences(described, create_from_models(from_models)) == []
    finally:
        with mysql_admin_connection() as conn, conn.cursor() as cur:
            for name in names:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")


async def test_a_database_made_before_migrations_is_upgraded_and_keeps_every_row(
    empty: EmptyDatabase, database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    load_legacy_schema(empty)
    inserted = insert_legacy_rows(empty.sync)
    with empty.sync.connect() as conn:
        before = read_rows(conn)
    assert inserted == sum(len(rows) for rows in LEGACY_ROWS.values()) == 312
    assert (await schema_status(database)).state == "legacy"

    report = await migrate(database)

    assert report.legacy and report.after == head_revision()
    assert "every row kept" in report.describe()
    with empty.sync.connect() as conn:
        after = read_rows(conn)
    check_upgraded_rows(before, after)
    assert after["payments"][2]["receipt_number"] == "RCPT-2026-0003"
    assert after["receipt_counters"] == [{"operator_id": 1, "year": 2026, "last_seq": 29}]
    counts_before = sum(len(r) for r in before.values())
    counts_after = sum(len(r) for r in after.values())
    with capsys.disabled():
        print(
            f"\n[{empty.dialect}] legacy upgrade {report.describe()!r}: "
            f"{counts_before} rows in {len(before)} tables before, {counts_after} after"
        )
    # The upgraded database works: VanBill reads it, and the bot would start on it.
    assert (await schema_status(database)).problem() is None
    async with database.sessions() as session:
        invoices = (await session.execute(text("SELECT COUNT(*) FROM invoices"))).scalar_one()
    assert invoices == len(LEGACY_ROWS["invoices"])


async def test_the_upgrade_numbers_receipts_per_operator_and_year_in_the_order_recorded(
    empty: EmptyDatabase, database: Database
) -> None:
    load_legacy_schema(empty)
    insert_legacy_rows(empty.sync)
    with empty.sync.begin() as conn:
        # Payment 3 was recorded first; payment 29 was money paid in 2025, recorded last.
        conn.execute(text("UPDATE payments SET created_at = '2026-08-05 09:00:00' WHERE id = 3"))
        conn.execute(text("UPDATE payments SET paid_on = '2025-12-31' WHERE id = 29"))
        conn.execute(text("UPDATE payments SET voided = 1 WHERE id = 2"))
        before = read_rows(conn)

    await migrate(database)

    with empty.sync.connect() as conn:
        after = read_rows(conn)
    check_upgraded_rows(before, after)
    number = {row["id"]: row["receipt_number"] for row in after["payments"]}
    assert [number[i] for i in (3, 1, 2, 4, 28, 29)] == [
        "RCPT-2026-0001",
        "RCPT-2026-0002",
        "RCPT-2026-0003",  # voided, and numbered all the same
        "RCPT-2026-0004",
        "RCPT-2026-0028",
        "RCPT-2025-0001",
    ]
    assert after["receipt_counters"] == [
        {"operator_id": 1, "year": 2025, "last_seq": 1},
        {"operator_id": 1, "year": 2026, "last_seq": 28},
    ]


async def test_initdb_a_second_time_changes_nothing(database: Database) -> None:
    await migrate(database)
    again = await migrate(database)
    assert again.applied == () and "nothing to do" in again.describe()


async def test_a_database_with_only_part_of_the_tables_is_refused(
    empty: EmptyDatabase, database: Database
) -> None:
    load_legacy_schema(empty)
    with empty.sync.begin() as conn:
        conn.execute(text("DROP TABLE bot_state"))
    with pytest.raises(SchemaError, match="missing: bot_state"):
        await migrate(database)
    assert (await schema_status(database)).current is None  # nothing stamped


async def test_a_database_from_a_newer_vanbill_is_refused(
    empty: EmptyDatabase, database: Database
) -> None:
    await migrate(database)
    with empty.sync.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    status = await schema_status(database)
    assert status.state == "unknown"
    assert "newer VanBill" in (status.problem() or "")
    with pytest.raises(SchemaError, match="9999"):
        await migrate(database)


def test_a_schema_one_revision_behind_names_the_command_to_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(schema, "known_revisions", lambda: ("0001", "0002"))
    status = SchemaStatus(dialect="sqlite", current="0001", head="0002", tables=frozenset())
    assert status.state == "behind"
    assert status.problem() == (
        "the database schema is at revision 0001 but this VanBill needs 0002: run "
        "`vanbill initdb` to upgrade it in place"
    )


async def test_an_invoice_from_before_0010_is_drawn_in_the_familys_language(
    empty: EmptyDatabase, database: Database
) -> None:
    """0010 reads the month and route back from an old line's English words, so a 0.1.0
    invoice re-rendered for a Malay family says 'Ogos 2026', the month once, not 'August'."""
    load_legacy_schema(empty)
    insert_legacy_rows(empty.sync)
    part = "Morning: Taman Melati → schools — August 2026 (from 16 Aug, by days)"
    with empty.sync.begin() as conn:
        conn.execute(text("UPDATE invoice_items SET description = :d WHERE id = 2"), {"d": part})
        conn.execute(
            text("UPDATE invoice_items SET description = 'Zoo trip — August 2026' WHERE id = 3")
        )
        conn.execute(text("UPDATE invoice_items SET service_id = NULL WHERE id = 3"))

    await migrate(database)

    with empty.sync.connect() as conn:
        rows = {
            row.id: row
            for row in conn.execute(
                text(
                    "SELECT id, period, route_name, part_from, part_to, part_rule"
                    " FROM invoice_items WHERE invoice_id = 1"
                )
            )
        }
    assert rows[1].route_name == "Afternoon: schools → Taman Melati"
    assert str(rows[1].period) == "2026-08-01" and rows[1].part_rule is None
    assert rows[2].route_name == "Morning: Taman Melati → schools"
    assert (str(rows[2].part_from), rows[2].part_to, rows[2].part_rule) == (
        "2026-08-16",
        None,
        "days",
    )
    assert rows[3].route_name is None and rows[3].period is None  # a typed line stays words
    await languages.set_family_language(database, 1, 1, "ms")
    clock = FixedClock(datetime(2026, 9, 1, 2, tzinfo=UTC))
    document = await invoices.invoice_document(database, 1, 1, clock)
    assert document.locale == "ms"
    with DocumentRenderer(processes=1, check=False) as renderer:
        pdf = renderer.invoice_pdf(document)
    words = " ".join(
        " ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages
    )
    assert "INVOIS" in words and "Ogos 2026" in words
    assert "August" not in words.replace("Zoo trip — August 2026", "")
    assert "Afternoon: schools → Taman Melati Muhammad Adam" in words  # no month on the line
    assert "dari 16 Ogo, ikut hari" in words or "dari 16 Ogos, ikut hari" in words
    assert "Zoo trip — August 2026" in words  # typed by the operator, shown as typed


async def test_0013_closes_the_invoices_of_nothing_that_0012_left_open_and_nothing_else(
    database: Database,
) -> None:
    """Before 0013, an invoice of RM 0.00 was paid but never closed, and the summary counted it
    overdue after its due date. A database holding one (and invoices open, paid and void
    beside it) is upgraded from 0012: only that one is closed, on its issue date."""
    await migrate(database)
    clock = FixedClock(datetime(2026, 3, 2, 2, tzinfo=UTC))
    business = await make_business(database, clock)
    family = await make_family(database, clock, business, "Puan Aminah", ("Aisyah",))
    line = [NewLine(description="Lawatan", unit_price_sen=5000)]
    nothing = await invoices.create_invoice(
        database, business.id, family.id, clock, line, discount_sen=5000
    )
    await invoices.create_invoice(database, business.id, family.id, clock, line)  # stays open
    paid = await invoices.create_invoice(database, business.id, family.id, clock, line)
    await payments.record_payment(
        database,
        business.id,
        family.id,
        clock,
        amount_sen=5000,
        method="cash",
        invoice_id=paid.id,
    )
    void = await invoices.create_invoice(database, business.id, family.id, clock, line)
    await invoices.void_invoice(database, business.id, void.id, clock, reason="Salah")
    async with database.sessions.begin() as session:
        closed = dict(
            (await session.execute(text("SELECT id, closed_on FROM invoices"))).tuples().all()
        )
        assert closed[nothing.id] is not None  # written right from now on
        # As 0006 to 0012 wrote it; and the database says it stands at 0012.
        await session.execute(
            text("UPDATE invoices SET closed_on = NULL WHERE id = :id"), {"id": nothing.id}
        )
        await session.execute(text("UPDATE alembic_version SET version_num = '0012'"))
    later = FixedClock(datetime(2026, 5, 2, 2, tzinfo=UTC))  # every due date long past
    wrong = await reports.summary_report(database, business.id, later, months=1)
    assert wrong.months[-1].overdue_count == 2  # the defect: the invoice of nothing overdue

    report = await migrate(database)

    assert report.before == "0012" and report.after == head_revision() == "0013"
    async with database.sessions() as session:
        after = dict(
            (await session.execute(text("SELECT id, closed_on FROM invoices"))).tuples().all()
        )
    assert str(after[nothing.id]) == str(nothing.issue_date)
    assert {i: after[i] for i in after if i != nothing.id} == {
        i: closed[i] for i in closed if i != nothing.id
    }
    fixed = await reports.summary_report(database, business.id, later, months=1)
    assert fixed.months[-1].overdue_count == 1  # only the one still open
