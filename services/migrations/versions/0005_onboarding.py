"""The operator's account holder, SSM number, digest hour and set-up step; family imports

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# Aware UTC timestamps: microseconds on MySQL (services.models.UTCDateTime's storage).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """The operator's account holder, SSM number, digest hour and set-up step; family imports"""
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "account_holder",
                sa.String(length=200),
                server_default=sa.text("''"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column(
                "ssm_number", sa.String(length=30), server_default=sa.text("''"), nullable=False
            )
        )
        batch_op.add_column(sa.Column("digest_hour", sa.SmallInteger(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "setup_step", sa.String(length=20), server_default=sa.text("''"), nullable=False
            )
        )
        batch_op.create_check_constraint(
            "ck_operators_digest_hour", "digest_hour IS NULL OR digest_hour BETWEEN 0 AND 23"
        )
    op.create_table(
        "family_imports",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("file_sha256", sa.CHAR(length=64), nullable=False),
        sa.Column("filename", sa.String(length=200), server_default=sa.text("''"), nullable=False),
        sa.Column("families", sa.Integer(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_family_imports_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "operator_id", "file_sha256", name="uq_family_imports_operator_id_file"
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )


def downgrade() -> None:
    """Drop the columns and the imports table again."""
    op.drop_table("family_imports")
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_constraint("ck_operators_digest_hour", type_="check")
        batch_op.drop_column("setup_step")
        batch_op.drop_column("digest_hour")
        batch_op.drop_column("ssm_number")
        batch_op.drop_column("account_holder")
