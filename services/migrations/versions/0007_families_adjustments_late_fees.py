"""Part months on enrollments, adjustments and credit notes, late fees and their settings

Revision ID: 0007
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0007"
down_revision = "0005"
branch_labels = None
depends_on = None

# Aware UTC timestamps: microseconds on MySQL (services.models.UTCDateTime's storage).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
OPTIONS = {
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
    "mysql_engine": "InnoDB",
}
RULES = "('full', 'half', 'none', 'days', 'school_days')"
OLD_METHODS = "method IN ('cash', 'bank_transfer', 'duitnow', 'cheque', 'other')"
NEW_METHODS = "method IN ('cash', 'bank_transfer', 'duitnow', 'cheque', 'other', 'credit')"


def upgrade() -> None:
    """Part months on enrollments, adjustments and credit notes, late fees and their settings"""
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "late_fee_kind",
                sa.String(length=10),
                server_default=sa.text("'none'"),
                nullable=False,
            )
        )
        batch_op.add_column(
            sa.Column("late_fee_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column("late_fee_bp", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(
            sa.Column(
                "late_fee_days", sa.SmallInteger(), server_default=sa.text("7"), nullable=False
            )
        )
        batch_op.create_check_constraint(
            "ck_operators_late_fee",
            "late_fee_kind IN ('none', 'fixed', 'percent') AND late_fee_sen >= 0"
            " AND late_fee_bp BETWEEN 0 AND 10000 AND late_fee_days BETWEEN 1 AND 365",
        )
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("joined_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("join_billing", sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column("left_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("leave_billing", sa.String(length=12), nullable=True))
        batch_op.create_check_constraint(
            "ck_enrollments_part_months",
            f"(join_billing IS NULL OR join_billing IN {RULES})"
            f" AND (leave_billing IS NULL OR leave_billing IN {RULES})",
        )
    _replace_method_check(NEW_METHODS)
    op.create_table(
        "credit_note_counters",
        sa.Column("operator_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_credit_note_counters_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operator_id", "year"),
        **OPTIONS,
    )
    op.create_table(
        "adjustments",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("timing", sa.String(length=10), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("applied_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("amount_sen > 0", name="ck_adjustments_amount_sen"),
        sa.CheckConstraint("kind IN ('charge', 'credit')", name="ck_adjustments_kind"),
        sa.CheckConstraint("timing IN ('next', 'now')", name="ck_adjustments_timing"),
        sa.ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_adjustments_customer",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_adjustments_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "id", name="uq_adjustments_operator_id_id"),
        **OPTIONS,
    )
    op.create_index(
        "ix_adjustments_operator_id_customer_id", "adjustments", ["operator_id", "customer_id"]
    )
    op.create_table(
        "late_fees",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("item_id", sa.BigInteger(), nullable=True),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("added_on", sa.Date(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("waived_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint("amount_sen > 0", name="ck_late_fees_amount_sen"),
        sa.ForeignKeyConstraint(
            ["operator_id", "invoice_id"],
            ["invoices.operator_id", "invoices.id"],
            name="fk_late_fees_invoice",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_late_fees_operator_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", name="uq_late_fees_invoice_id"),
        **OPTIONS,
    )
    op.create_index(
        "ix_late_fees_operator_id_invoice_id", "late_fees", ["operator_id", "invoice_id"]
    )


def _replace_method_check(condition: str) -> None:
    """Let payments.method take these methods (a credit note's 'credit' among them)."""
    if op.get_context().dialect.name == "sqlite":
        with op.batch_alter_table("payments", schema=None) as batch_op:
            batch_op.drop_constraint("ck_payments_method", type_="check")
            batch_op.create_check_constraint("ck_payments_method", condition)
        return
    # DROP CONSTRAINT is what both MariaDB and MySQL 8 take (SQLAlchemy writes DROP CHECK).
    op.execute("ALTER TABLE payments DROP CONSTRAINT ck_payments_method")
    op.create_check_constraint("ck_payments_method", "payments", condition)


def downgrade() -> None:
    """Undo: part months, adjustments, credit notes and late fees"""
    op.drop_index("ix_late_fees_operator_id_invoice_id", table_name="late_fees")
    op.drop_table("late_fees")
    op.drop_index("ix_adjustments_operator_id_customer_id", table_name="adjustments")
    op.drop_table("adjustments")
    op.drop_table("credit_note_counters")
    _replace_method_check(OLD_METHODS)
    with op.batch_alter_table("enrollments", schema=None) as batch_op:
        batch_op.drop_constraint("ck_enrollments_part_months", type_="check")
        for column in ("leave_billing", "left_on", "join_billing", "joined_on"):
            batch_op.drop_column(column)
    with op.batch_alter_table("operators", schema=None) as batch_op:
        batch_op.drop_constraint("ck_operators_late_fee", type_="check")
        for column in ("late_fee_days", "late_fee_bp", "late_fee_sen", "late_fee_kind"):
            batch_op.drop_column(column)
