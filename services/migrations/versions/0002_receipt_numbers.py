"""Receipt numbers per operator and year (RCPT-2026-0003), the payments so far numbered

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UNIQUE = "uq_payments_operator_id_receipt_number"


def upgrade() -> None:
    """Receipt numbers per operator and year (RCPT-2026-0003), the payments so far numbered"""
    op.create_table(
        "receipt_counters",
        sa.Column("operator_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_receipt_counters_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operator_id", "year"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("receipt_number", sa.String(length=32), nullable=True))
    if not context.is_offline_mode():  # schema.sql is rendered offline, for an empty database
        _number_recorded_payments()
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.alter_column("receipt_number", existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint(UNIQUE, ["operator_id", "receipt_number"])


def _number_recorded_payments() -> None:
    """Number the payments already recorded, voided ones too: per operator and year paid, in
    the order they were recorded; each counter row then holds the last number of its year."""
    payments = sa.table(
        "payments",
        sa.column("id", sa.BigInteger()),
        sa.column("operator_id", sa.BigInteger()),
        sa.column("paid_on", sa.Date()),
        sa.column("created_at", sa.DateTime()),
        sa.column("receipt_number", sa.String()),
    )
    counters = sa.table(
        "receipt_counters",
        sa.column("operator_id", sa.BigInteger()),
        sa.column("year", sa.SmallInteger()),
        sa.column("last_seq", sa.Integer()),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(payments.c.id, payments.c.operator_id, payments.c.paid_on).order_by(
            payments.c.operator_id, payments.c.created_at, payments.c.id
        )
    ).all()
    last: dict[tuple[int, int], int] = {}
    numbers = []
    for payment_id, operator_id, paid_on in rows:
        key = (operator_id, paid_on.year)
        last[key] = last.get(key, 0) + 1
        numbers.append({"payment": payment_id, "number": f"RCPT-{key[1]}-{last[key]:04d}"})
    if not numbers:
        return
    connection.execute(
        payments.update()
        .where(payments.c.id == sa.bindparam("payment"))
        .values(receipt_number=sa.bindparam("number")),
        numbers,
    )
    connection.execute(
        counters.insert(),
        [{"operator_id": o, "year": y, "last_seq": seq} for (o, y), seq in sorted(last.items())],
    )


def downgrade() -> None:
    """Undo: the receipt numbers and their counters go"""
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_constraint(UNIQUE, type_="unique")
        batch_op.drop_column("receipt_number")
    op.drop_table("receipt_counters")
