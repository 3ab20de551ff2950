"""The operator's account holder, SSM number, daily digest hour and guided set-up step

Revision ID: 0005
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The operator's account holder, SSM number, daily digest hour and guided set-up step"""
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "account_holder", sa.String(length=200), server_default=sa.text("''"), nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("ssm_number", sa.String(length=30), server_default=sa.text("''"), nullable=False)
        )
        batch_op.add_column(sa.Column("digest_hour", sa.SmallInteger(), nullable=True))
        batch_op.add_column(
            sa.Column("setup_step", sa.String(length=20), server_default=sa.text("''"), nullable=False)
        )
        batch_op.create_check_constraint(
            "ck_operators_digest_hour", "digest_hour IS NULL OR digest_hour BETWEEN 0 AND 23"
        )


def downgrade() -> None:
    """Drop the columns again."""
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_constraint("ck_operators_digest_hour", type_="check")
        batch_op.drop_column("setup_step")
        batch_op.drop_column("digest_hour")
        batch_op.drop_column("ssm_number")
        batch_op.drop_column("account_holder")
