"""Deliveries may be addressed to the operator (operator notices go through the outbox)

Revision ID: 0004
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0006"
branch_labels = None
depends_on = None

KINDS = "('invoice', 'reminder', 'receipt', 'statement', 'notice'{})"
RECIPIENT = (
    "(kind = 'operator_notice' AND customer_id IS NULL)"
    " OR (kind <> 'operator_notice' AND customer_id IS NOT NULL)"
)


def _drop_check(batch_op: object, name: str) -> None:
    """Drop a CHECK constraint; MariaDB knows DROP CONSTRAINT only, not MySQL's DROP CHECK."""
    if op.get_context().dialect.name == "mysql":
        op.execute(f"ALTER TABLE deliveries DROP CONSTRAINT {name}")
    else:
        batch_op.drop_constraint(name, type_="check")  # type: ignore[attr-defined]


def upgrade() -> None:
    """Deliveries may be addressed to the operator (operator notices go through the outbox)"""
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        _drop_check(batch_op, "ck_deliveries_kind")
        batch_op.alter_column("customer_id", existing_type=sa.BigInteger(), nullable=True)
        batch_op.create_check_constraint(
            "ck_deliveries_kind", "kind IN " + KINDS.format(", 'operator_notice'")
        )
        batch_op.create_check_constraint("ck_deliveries_recipient", RECIPIENT)


def downgrade() -> None:
    """Undo: operator notices go, and every delivery is a family's again"""
    op.execute("DELETE FROM deliveries WHERE kind = 'operator_notice'")
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        _drop_check(batch_op, "ck_deliveries_recipient")
        _drop_check(batch_op, "ck_deliveries_kind")
        batch_op.alter_column("customer_id", existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint("ck_deliveries_kind", "kind IN " + KINDS.format(""))
