"""The summary's ledger: per-month totals and each family's amount owed, kept by triggers

Revision ID: 0012
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0012"
down_revision = "0008"
branch_labels = None
depends_on = None

# The money collected per month, answered from the index alone (credit notes left out).
OLD_PAYMENTS_INDEX = "ix_payments_operator_id_paid_on_amount"
OLD_PAYMENTS_COLUMNS = ["operator_id", "paid_on", "voided", "amount_sen"]
PAYMENTS_INDEX = "ix_payments_operator_id_paid_on_money"
PAYMENTS_COLUMNS = ["operator_id", "paid_on", "voided", "method", "amount_sen"]
OWED_INDEX = "ix_customers_operator_id_owed_sen"
# A prefix of the new one: SQLite's planner took it and read every payment row of the window.
NARROW_PAYMENTS_INDEX = "ix_payments_operator_id_paid_on"

# Each trigger is one statement (MySQL/MariaDB runs single-statement triggers without a
# delimiter, so schema.sql stays a list of statements split on ';').
TRIGGERS = (
    ("trg_invoices_summary_insert", "AFTER INSERT", "invoices"),
    ("trg_invoices_summary_update", "AFTER UPDATE", "invoices"),
    ("trg_invoices_summary_delete", "AFTER DELETE", "invoices"),
    ("trg_invoices_owed_insert", "AFTER INSERT", "invoices"),
    ("trg_invoices_owed_update", "AFTER UPDATE", "invoices"),
    ("trg_invoices_owed_delete", "AFTER DELETE", "invoices"),
    ("trg_allocations_summary_insert", "AFTER INSERT", "payment_allocations"),
    ("trg_allocations_summary_update", "AFTER UPDATE", "payment_allocations"),
    ("trg_allocations_summary_delete", "AFTER DELETE", "payment_allocations"),
    ("trg_payments_summary_update", "AFTER UPDATE", "payments"),
)


# An update that moves an invoice's total in the ledger (a payment only changes paid_sen).
MOVED = (
    "(OLD.total_sen <> NEW.total_sen OR OLD.issue_date <> NEW.issue_date"
    " OR (OLD.status = 'void') <> (NEW.status = 'void'))"
)


class Sql:
    """The few expressions that differ between MySQL/MariaDB and SQLite."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def month(self, day: str) -> str:
        """The first day of day's month."""
        if self.sqlite:
            return f"date({day}, 'start of month')"
        return f"({day} - INTERVAL (DAYOFMONTH({day}) - 1) DAY)"

    def later(self, a: str, b: str) -> str:
        """The later of two dates."""
        return f"{'MAX' if self.sqlite else 'GREATEST'}({a}, {b})"

    def upsert(self, rows: str) -> str:
        """Add rows (o, m, inv, st, own) to summary_months, skipping rows that change nothing."""
        head = (
            "INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen,"
            " own_settled_sen) SELECT o, m, inv, st, own FROM (" + rows + ") AS d"
            " WHERE inv <> 0 OR st <> 0 OR own <> 0"
        )
        if self.sqlite:
            return (
                head + " ON CONFLICT (operator_id, month) DO UPDATE SET"
                " invoiced_sen = invoiced_sen + excluded.invoiced_sen,"
                " settled_sen = settled_sen + excluded.settled_sen,"
                " own_settled_sen = own_settled_sen + excluded.own_settled_sen"
            )
        return (
            head + " ON DUPLICATE KEY UPDATE invoiced_sen = invoiced_sen + VALUES(invoiced_sen),"
            " settled_sen = settled_sen + VALUES(settled_sen),"
            " own_settled_sen = own_settled_sen + VALUES(own_settled_sen)"
        )

    # -- the rows a change adds (sign "") or takes away (sign "-") ------------------------------

    def invoice(self, row: str, sign: str, when: str = "1 = 1") -> str:
        """An invoice's total in its month (nothing when void, or unless `when`)."""
        return (
            f"SELECT {row}.operator_id AS o, {self.month(f'{row}.issue_date')} AS m,"
            f" {sign}(CASE WHEN {row}.status <> 'void' AND {when} THEN {row}.total_sen"
            " ELSE 0 END) AS inv, 0 AS st, 0 AS own"
        )

    def _allocation(self, op_id: str, amount: str, issued: str, paid: str, where: str) -> str:
        settled_in = self.later(self.month(issued), self.month(paid))
        own = f"{self.month(paid)} <= {self.month(issued)}"
        return (
            f"SELECT {op_id} AS o, {settled_in} AS m, 0 AS inv, {amount} AS st, 0 AS own"
            f" {where} UNION ALL SELECT {op_id}, {self.month(issued)}, 0, 0,"
            f" CASE WHEN {own} THEN {amount} ELSE 0 END {where}"
        )

    def allocation(self, row: str, sign: str) -> str:
        """An allocation's money: settled in the later month, and its invoice month's own."""
        return self._allocation(
            f"{row}.operator_id",
            f"{sign}{row}.amount_sen",
            "i.issue_date",
            "p.paid_on",
            f"FROM invoices i, payments p WHERE i.operator_id = {row}.operator_id"
            f" AND i.id = {row}.invoice_id AND p.operator_id = {row}.operator_id"
            f" AND p.id = {row}.payment_id",
        )

    def invoice_allocations(self, row: str, sign: str) -> str:
        """The allocations to an invoice whose issue date moved, at its issue date then."""
        return self._allocation(
            "a.operator_id",
            f"{sign}a.amount_sen",
            f"{row}.issue_date",
            "p.paid_on",
            f"FROM payment_allocations a, payments p WHERE a.operator_id = {row}.operator_id"
            f" AND a.invoice_id = {row}.id AND p.operator_id = a.operator_id"
            " AND p.id = a.payment_id AND OLD.issue_date <> NEW.issue_date",
        )

    def payment_allocations(self, row: str, sign: str) -> str:
        """The allocations of a payment whose date moved, at its date then."""
        return self._allocation(
            "a.operator_id",
            f"{sign}a.amount_sen",
            "i.issue_date",
            f"{row}.paid_on",
            f"FROM payment_allocations a, invoices i WHERE a.operator_id = {row}.operator_id"
            f" AND a.payment_id = {row}.id AND i.operator_id = a.operator_id"
            " AND i.id = a.invoice_id AND OLD.paid_on <> NEW.paid_on",
        )

    # -- the statements -----------------------------------------------------------------------

    def owed(self, delta: str, customer: str) -> str:
        """Add delta to the family's owed_sen (no write when it is 0)."""
        return (
            f"UPDATE customers SET owed_sen = owed_sen + ({delta})"
            f" WHERE operator_id = {customer}.operator_id AND id = {customer}.customer_id"
            f" AND ({delta}) <> 0"
        )

    @staticmethod
    def owing(row: str) -> str:
        return (
            f"(CASE WHEN {row}.status IN ('open', 'partial')"
            f" THEN {row}.total_sen - {row}.paid_sen ELSE 0 END)"
        )

    def bodies(self) -> dict[str, str]:
        """Return each trigger's one statement."""
        return {
            "trg_invoices_summary_insert": self.upsert(self.invoice("NEW", "")),
            "trg_invoices_summary_update": self.upsert(
                " UNION ALL ".join(
                    (
                        self.invoice("OLD", "-", MOVED),
                        self.invoice("NEW", "", MOVED),
                        self.invoice_allocations("OLD", "-"),
                        self.invoice_allocations("NEW", ""),
                    )
                )
            ),
            "trg_invoices_summary_delete": self.upsert(self.invoice("OLD", "-")),
            "trg_invoices_owed_insert": self.owed(self.owing("NEW"), "NEW"),
            # An invoice never moves to another family (no code changes customer_id).
            "trg_invoices_owed_update": self.owed(
                f"{self.owing('NEW')} - {self.owing('OLD')}", "NEW"
            ),
            "trg_invoices_owed_delete": self.owed(f"-{self.owing('OLD')}", "OLD"),
            "trg_allocations_summary_insert": self.upsert(self.allocation("NEW", "")),
            "trg_allocations_summary_update": self.upsert(
                self.allocation("OLD", "-") + " UNION ALL " + self.allocation("NEW", "")
            ),
            "trg_allocations_summary_delete": self.upsert(self.allocation("OLD", "-")),
            "trg_payments_summary_update": self.upsert(
                self.payment_allocations("OLD", "-")
                + " UNION ALL "
                + self.payment_allocations("NEW", "")
            ),
        }

    def create(self, name: str, when: str, table: str, body: str) -> str:
        """CREATE TRIGGER in the dialect's words."""
        if self.sqlite:
            return f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW BEGIN {body}; END"
        return f"CREATE TRIGGER {name} {when} ON {table} FOR EACH ROW {body}"

    def backfill(self) -> list[str]:
        """Fill the ledger and every family's owed amount from the rows already there."""
        rows = " UNION ALL ".join(
            (
                f"SELECT i.operator_id AS o, {self.month('i.issue_date')} AS m,"
                " i.total_sen AS inv, 0 AS st, 0 AS own FROM invoices i WHERE i.status <> 'void'",
                self._allocation(
                    "a.operator_id",
                    "a.amount_sen",
                    "i.issue_date",
                    "p.paid_on",
                    "FROM payment_allocations a, invoices i, payments p"
                    " WHERE i.operator_id = a.operator_id AND i.id = a.invoice_id"
                    " AND p.operator_id = a.operator_id AND p.id = a.payment_id",
                ),
            )
        )
        return [
            "INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen,"
            " own_settled_sen) SELECT o, m, SUM(inv), SUM(st), SUM(own) FROM (" + rows + ") AS d"
            " GROUP BY o, m",
            "UPDATE customers SET owed_sen = (SELECT COALESCE(SUM(i.total_sen - i.paid_sen), 0)"
            " FROM invoices i WHERE i.operator_id = customers.operator_id"
            " AND i.customer_id = customers.id AND i.status IN ('open', 'partial'))",
        ]


def upgrade() -> None:
    """The summary's ledger: per-month totals and each family's amount owed, kept by triggers"""
    dialect = op.get_context().dialect.name
    sql = Sql(dialect)
    op.create_table(
        "summary_months",
        sa.Column("operator_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("invoiced_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("settled_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("own_settled_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_summary_months_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operator_id", "month"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("owed_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.create_index(OWED_INDEX, ["operator_id", "owed_sen"], unique=False)
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(PAYMENTS_INDEX, PAYMENTS_COLUMNS, unique=False)
        batch_op.drop_index(OLD_PAYMENTS_INDEX)
        batch_op.drop_index(NARROW_PAYMENTS_INDEX)
    if not context.is_offline_mode():  # schema.sql is rendered offline, for an empty database
        for statement in sql.backfill():
            op.execute(statement)
    bodies = sql.bodies()
    for name, when, table in TRIGGERS:
        op.execute(sql.create(name, when, table, bodies[name]))


def downgrade() -> None:
    """Undo: the summary's ledger"""
    for name, _when, _table in reversed(TRIGGERS):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.create_index(NARROW_PAYMENTS_INDEX, ["operator_id", "paid_on"], unique=False)
        batch_op.create_index(OLD_PAYMENTS_INDEX, OLD_PAYMENTS_COLUMNS, unique=False)
        batch_op.drop_index(PAYMENTS_INDEX)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index(OWED_INDEX)
        batch_op.drop_column("owed_sen")
    op.drop_table("summary_months")
