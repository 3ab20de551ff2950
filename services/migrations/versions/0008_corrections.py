"""Corrections: one live monthly invoice per family and month, void reasons, VOID deliveries

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

OLD_UNIQUE = "uq_invoices_customer_id_period"
LIVE_UNIQUE = "uq_invoices_customer_id_live_period"
LIVE_CHECK = "ck_invoices_live_period"
LIVE_RULE = (
    "(status = 'void' AND live_period IS NULL) OR (status <> 'void' AND"
    " ((period IS NULL AND live_period IS NULL) OR (period IS NOT NULL AND"
    " live_period IS NOT NULL AND live_period = period)))"
)
KINDS = "ck_deliveries_kind"
OLD_KINDS = "kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice', 'operator_notice')"
NEW_KINDS = (
    "kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice', 'operator_notice',"
    " 'void_invoice', 'void_receipt')"
)


def upgrade() -> None:
    """Corrections: one live monthly invoice per family and month, void reasons, VOID deliveries"""
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("live_period", sa.Date(), nullable=True))
    if not context.is_offline_mode():  # schema.sql is rendered offline, for an empty database
        invoices = sa.table(
            "invoices",
            sa.column("period", sa.Date()),
            sa.column("live_period", sa.Date()),
            sa.column("status", sa.String()),
        )
        op.execute(
            invoices.update()
            .where(invoices.c.status != "void")
            .values(live_period=invoices.c.period)
        )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_constraint(OLD_UNIQUE, type_="unique")
        batch_op.create_unique_constraint(LIVE_UNIQUE, ["customer_id", "live_period"])
        batch_op.create_check_constraint(LIVE_CHECK, LIVE_RULE)
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "void_reason", sa.String(length=200), server_default=sa.text("''"), nullable=False
            )
        )
    _replace_check("deliveries", KINDS, NEW_KINDS)


def _replace_check(table: str, name: str, condition: str) -> None:
    """Put a new condition in a named CHECK (MariaDB knows DROP CONSTRAINT, not DROP CHECK)."""
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(name, type_="check")
            batch_op.create_check_constraint(name, condition)
        return
    op.execute(f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    op.create_check_constraint(name, table, condition)


def downgrade() -> None:
    """Undo: the live key, the payments' void reasons and the VOID deliveries go"""
    op.execute("DELETE FROM deliveries WHERE kind IN ('void_invoice', 'void_receipt')")
    _replace_check("deliveries", KINDS, OLD_KINDS)
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("void_reason")
    if op.get_context().dialect.name != "sqlite":
        op.execute(f"ALTER TABLE invoices DROP CONSTRAINT {LIVE_CHECK}")
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        if op.get_context().dialect.name == "sqlite":
            batch_op.drop_constraint(LIVE_CHECK, type_="check")
        batch_op.drop_constraint(LIVE_UNIQUE, type_="unique")
        batch_op.create_unique_constraint(OLD_UNIQUE, ["customer_id", "period"])
        batch_op.drop_column("live_period")
