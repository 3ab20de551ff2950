"""Invoices say when they closed and families what credit they hold, so reports skip history; one send budget per bot

Revision ID: 0006
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0006"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "ix_invoices_operator_id_closed_on"
# The summary report's other reads, answered from the indexes alone.
COVERING = (
    (
        "invoices",
        "ix_invoices_operator_id_status_customer_id",
        ["operator_id", "status", "customer_id", "due_date", "total_sen", "paid_sen"],
    ),
    (
        "payments",
        "ix_payments_operator_id_paid_on_amount",
        ["operator_id", "paid_on", "voided", "amount_sen"],
    ),
    (
        "payment_allocations",
        "ix_payment_allocations_invoice_amount",
        ["operator_id", "invoice_id", "payment_id", "amount_sen"],
    ),
)


def upgrade() -> None:
    """Invoices say when they closed and families what credit they hold, so reports skip history; one send budget per bot"""
    op.create_table(
        "send_budgets",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("turns", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("bot_id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "send_turns",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("started_us", sa.BigInteger(), nullable=False),
        sa.Column("answered_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("send_turns", schema=None) as batch_op:
        batch_op.create_index(
            "ix_send_turns_bot_id_answered_us",
            ["bot_id", "answered_us", "started_us"],
            unique=False,
        )
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch_op.create_index(
            INDEX,
            ["operator_id", "closed_on", "status", "issue_date", "due_date", "total_sen"],
            unique=False,
        )
    for table, name, columns in COVERING:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(name, columns, unique=False)
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("credit_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
    if not context.is_offline_mode():  # schema.sql is rendered offline, for an empty database
        _fill_from_rows()


def _fill_from_rows() -> None:
    """Set both from the rows, as payments.refresh_invoices and apply_credit would have."""
    invoices = sa.table(
        "invoices",
        sa.column("id", sa.BigInteger()),
        sa.column("operator_id", sa.BigInteger()),
        sa.column("issue_date", sa.Date()),
        sa.column("status", sa.String()),
        sa.column("closed_on", sa.Date()),
    )
    customers = sa.table(
        "customers",
        sa.column("id", sa.BigInteger()),
        sa.column("operator_id", sa.BigInteger()),
        sa.column("credit_sen", sa.BigInteger()),
    )
    payments = sa.table(
        "payments",
        sa.column("id", sa.BigInteger()),
        sa.column("operator_id", sa.BigInteger()),
        sa.column("customer_id", sa.BigInteger()),
        sa.column("paid_on", sa.Date()),
        sa.column("amount_sen", sa.BigInteger()),
        sa.column("voided", sa.Boolean()),
    )
    allocations = sa.table(
        "payment_allocations",
        sa.column("operator_id", sa.BigInteger()),
        sa.column("payment_id", sa.BigInteger()),
        sa.column("invoice_id", sa.BigInteger()),
        sa.column("amount_sen", sa.BigInteger()),
    )
    connection = op.get_bind()
    last_paid = (
        sa.select(sa.func.max(payments.c.paid_on))
        .join(
            allocations,
            sa.and_(
                allocations.c.operator_id == payments.c.operator_id,
                allocations.c.payment_id == payments.c.id,
            ),
        )
        .where(
            allocations.c.operator_id == invoices.c.operator_id,
            allocations.c.invoice_id == invoices.c.id,
        )
        .scalar_subquery()
    )
    connection.execute(
        invoices.update().values(
            closed_on=sa.case(
                (invoices.c.status == "void", invoices.c.issue_date),
                (
                    invoices.c.status == "paid",
                    sa.case(
                        (last_paid > invoices.c.issue_date, last_paid),
                        else_=invoices.c.issue_date,
                    ),
                ),
                else_=None,
            )
        )
    )
    allocated = (
        sa.select(sa.func.coalesce(sa.func.sum(allocations.c.amount_sen), 0))
        .where(
            allocations.c.operator_id == payments.c.operator_id,
            allocations.c.payment_id == payments.c.id,
        )
        .scalar_subquery()
    )
    unallocated = (
        sa.select(sa.func.coalesce(sa.func.sum(payments.c.amount_sen - allocated), 0))
        .where(
            payments.c.operator_id == customers.c.operator_id,
            payments.c.customer_id == customers.c.id,
            payments.c.voided == sa.false(),
        )
        .scalar_subquery()
    )
    connection.execute(customers.update().values(credit_sen=unallocated))


def downgrade() -> None:
    """Undo: the closing dates, the credit held and the send budgets go"""
    op.drop_table("send_turns")
    op.drop_table("send_budgets")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_column("credit_sen")
    for table, name, _ in reversed(COVERING):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(name)
    with op.batch_alter_table("invoices", schema=None) as batch_op:
        batch_op.drop_index(INDEX)
        batch_op.drop_column("closed_on")
