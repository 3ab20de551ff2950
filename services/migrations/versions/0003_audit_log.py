"""An append-only audit log: who changed what, when, before and after

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# Aware UTC timestamps: microseconds on MySQL (services.models.UTCDateTime's storage).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
TRIGGER = "trg_audit_log_append_only"
MESSAGE = "audit_log is append-only"


def upgrade() -> None:
    """An append-only audit log: who changed what, when, before and after"""
    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("at", TIMESTAMP, nullable=False),
        sa.Column("actor_kind", sa.String(length=10), nullable=False),
        sa.Column("actor_user_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("entity", sa.String(length=20), nullable=False),
        sa.Column("entity_id", sa.BigInteger(), nullable=True),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("reason", sa.String(length=500), server_default=sa.text("''"), nullable=False),
        sa.CheckConstraint(
            "actor_kind IN ('operator', 'parent', 'system')", name="ck_audit_log_actor_kind"
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_audit_log_operator_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_audit_log_operator_id_customer_id_id",
        "audit_log",
        ["operator_id", "customer_id", "id"],
        unique=False,
    )
    op.create_index("ix_audit_log_operator_id_at", "audit_log", ["operator_id", "at"])
    if op.get_context().dialect.name == "sqlite":
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON audit_log"
            f" BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"
        )
    else:
        op.execute(
            f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE ON audit_log FOR EACH ROW"
            f" SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = '{MESSAGE}'"
        )


def downgrade() -> None:
    """Undo: an append-only audit log"""
    op.execute(f"DROP TRIGGER IF EXISTS {TRIGGER}")
    op.drop_index("ix_audit_log_operator_id_at", table_name="audit_log")
    op.drop_index("ix_audit_log_operator_id_customer_id_id", table_name="audit_log")
    op.drop_table("audit_log")
