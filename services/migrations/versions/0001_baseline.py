"""Baseline: the schema of VanBill 0.1.0, before migrations

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

# Aware UTC timestamps: microseconds on MySQL (services.models.UTCDateTime's storage).
TIMESTAMP = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Baseline: the schema of VanBill 0.1.0, before migrations"""
    op.create_table(
        "bot_state",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("state_key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", TIMESTAMP, nullable=False),
        sa.PrimaryKeyConstraint("kind", "name", "state_key"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "operators",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "business_name", sa.String(length=200), server_default=sa.text("''"), nullable=False
        ),
        sa.Column("address", sa.String(length=500), server_default=sa.text("''"), nullable=False),
        sa.Column("phone", sa.String(length=20), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "bank_name", sa.String(length=100), server_default=sa.text("''"), nullable=False
        ),
        sa.Column(
            "bank_account", sa.String(length=50), server_default=sa.text("''"), nullable=False
        ),
        sa.Column(
            "duitnow_id", sa.String(length=50), server_default=sa.text("''"), nullable=False
        ),
        sa.Column(
            "payment_note", sa.String(length=500), server_default=sa.text("''"), nullable=False
        ),
        sa.Column(
            "payment_qr_payload",
            sa.String(length=500),
            server_default=sa.text("''"),
            nullable=False,
        ),
        sa.Column(
            "logo",
            sa.LargeBinary()
            .with_variant(mysql.MEDIUMBLOB(), "mariadb")
            .with_variant(mysql.MEDIUMBLOB(), "mysql"),
            nullable=True,
        ),
        sa.Column(
            "timezone",
            sa.String(length=64),
            server_default=sa.text("'Asia/Kuala_Lumpur'"),
            nullable=False,
        ),
        sa.Column("currency", sa.CHAR(length=3), server_default=sa.text("'MYR'"), nullable=False),
        sa.Column(
            "invoice_prefix", sa.String(length=10), server_default=sa.text("'INV'"), nullable=False
        ),
        sa.Column("due_day", sa.SmallInteger(), server_default=sa.text("7"), nullable=False),
        sa.Column("billing_day", sa.SmallInteger(), server_default=sa.text("1"), nullable=False),
        sa.Column("billing_hour", sa.SmallInteger(), server_default=sa.text("8"), nullable=False),
        sa.Column("reminder_hour", sa.SmallInteger(), server_default=sa.text("9"), nullable=False),
        sa.Column(
            "reminder_offsets",
            sa.String(length=100),
            server_default=sa.text("'-3,0,3,7,14'"),
            nullable=False,
        ),
        sa.Column("reminders_enabled", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column(
            "sibling_discount_bp", sa.Integer(), server_default=sa.text("0"), nullable=False
        ),
        sa.Column("approval_required", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("billing_day BETWEEN 1 AND 28", name="ck_operators_billing_day"),
        sa.CheckConstraint("billing_hour BETWEEN 0 AND 23", name="ck_operators_billing_hour"),
        sa.CheckConstraint("due_day BETWEEN 1 AND 28", name="ck_operators_due_day"),
        sa.CheckConstraint("reminder_hour BETWEEN 8 AND 20", name="ck_operators_reminder_hour"),
        sa.CheckConstraint(
            "sibling_discount_bp BETWEEN 0 AND 10000", name="ck_operators_sibling_discount_bp"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("telegram_user_id", name="uq_operators_telegram_user_id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "customers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("telegram_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("telegram_blocked_at", TIMESTAMP, nullable=True),
        sa.Column("notes", sa.String(length=1000), server_default=sa.text("''"), nullable=False),
        sa.Column("archived", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("reminders_paused", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_customers_operator_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "id", name="uq_customers_operator_id_id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_customers_operator_id_name", "customers", ["operator_id", "name"], unique=False
    )
    op.create_index(
        "ix_customers_operator_id_phone", "customers", ["operator_id", "phone"], unique=False
    )
    op.create_index(
        "ix_customers_telegram_user_id", "customers", ["telegram_user_id"], unique=False
    )

    op.create_table(
        "holiday_months",
        sa.Column("operator_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=200), server_default=sa.text("''"), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_holiday_months_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operator_id", "month"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "invoice_counters",
        sa.Column("operator_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("year", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("last_seq", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_invoice_counters_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("operator_id", "year"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "monthly_runs",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("period", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_count", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("report", sa.Text(), nullable=True),
        sa.Column("started_at", TIMESTAMP, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.Column("finished_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "status IN ('generating', 'awaiting_approval', 'approved', 'held', 'delivering', 'done')",
            name="ck_monthly_runs_status",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_monthly_runs_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "period", name="uq_monthly_runs_operator_id_period"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "services",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column(
            "description", sa.String(length=500), server_default=sa.text("''"), nullable=False
        ),
        sa.Column("monthly_fee_sen", sa.BigInteger(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("1"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("monthly_fee_sen >= 0", name="ck_services_monthly_fee_sen"),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_services_operator_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "id", name="uq_services_operator_id_id"),
        sa.UniqueConstraint("operator_id", "name", name="uq_services_operator_id_name"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_table(
        "children",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "category", sa.String(length=20), server_default=sa.text("'primary'"), nullable=False
        ),
        sa.Column("birth_year", sa.SmallInteger(), nullable=True),
        sa.Column("school", sa.String(length=200), server_default=sa.text("''"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "category IN ('kindergarten', 'primary', 'secondary', 'other')",
            name="ck_children_category",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_children_customer",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_children_operator_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "id", name="uq_children_operator_id_id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_children_operator_id_customer_id",
        "children",
        ["operator_id", "customer_id"],
        unique=False,
    )

    op.create_table(
        "deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=100), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=True),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column(
            "status", sa.String(length=20), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_attempt_at", TIMESTAMP, nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", TIMESTAMP, nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("telegram_message_id", sa.BigInteger(), nullable=True),
        sa.Column("file_id", sa.String(length=255), nullable=True),
        sa.Column(
            "last_error", sa.String(length=500), server_default=sa.text("''"), nullable=False
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("sent_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice')",
            name="ck_deliveries_kind",
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'waiting_link', 'sending', 'sent', 'skipped', 'failed', 'undeliverable')",
            name="ck_deliveries_status",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_deliveries_customer",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_deliveries_operator_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "operator_id", "dedupe_key", name="uq_deliveries_operator_id_dedupe_key"
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_deliveries_operator_id_customer_id",
        "deliveries",
        ["operator_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_deliveries_operator_id_invoice_id",
        "deliveries",
        ["operator_id", "invoice_id"],
        unique=False,
    )
    op.create_index(
        "ix_deliveries_status_next_attempt_at",
        "deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )

    op.create_table(
        "invoices",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=10), server_default=sa.text("'adhoc'"), nullable=False),
        sa.Column("period", sa.Date(), nullable=True),
        sa.Column("issue_date", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column(
            "description", sa.String(length=500), server_default=sa.text("''"), nullable=False
        ),
        sa.Column("subtotal_sen", sa.BigInteger(), nullable=False),
        sa.Column("discount_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("total_sen", sa.BigInteger(), nullable=False),
        sa.Column("paid_sen", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column(
            "status", sa.String(length=10), server_default=sa.text("'open'"), nullable=False
        ),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("voided_at", TIMESTAMP, nullable=True),
        sa.Column(
            "void_reason", sa.String(length=200), server_default=sa.text("''"), nullable=False
        ),
        sa.CheckConstraint("kind IN ('monthly', 'adhoc')", name="ck_invoices_kind"),
        sa.CheckConstraint(
            "status IN ('draft', 'open', 'partial', 'paid', 'void')", name="ck_invoices_status"
        ),
        sa.CheckConstraint(
            "subtotal_sen >= 0 AND discount_sen >= 0 AND discount_sen <= subtotal_sen AND total_sen = subtotal_sen - discount_sen AND paid_sen >= 0 AND paid_sen <= total_sen",
            name="ck_invoices_amounts",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_invoices_customer",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_invoices_operator_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("customer_id", "period", name="uq_invoices_customer_id_period"),
        sa.UniqueConstraint("operator_id", "id", name="uq_invoices_operator_id_id"),
        sa.UniqueConstraint("operator_id", "number", name="uq_invoices_operator_id_number"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_invoices_operator_id_customer_id",
        "invoices",
        ["operator_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_invoices_operator_id_due_date", "invoices", ["operator_id", "due_date"], unique=False
    )
    op.create_index(
        "ix_invoices_operator_id_period", "invoices", ["operator_id", "period"], unique=False
    )
    op.create_index(
        "ix_invoices_operator_id_status", "invoices", ["operator_id", "status"], unique=False
    )

    op.create_table(
        "link_tokens",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=True),
        sa.Column("purpose", sa.String(length=10), nullable=False),
        sa.Column("token_hash", sa.CHAR(length=64), nullable=False),
        sa.Column("expires_at", TIMESTAMP, nullable=False),
        sa.Column("used_at", TIMESTAMP, nullable=True),
        sa.Column("used_by", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("purpose IN ('parent', 'operator')", name="ck_link_tokens_purpose"),
        sa.ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_link_tokens_customer",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_link_tokens_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash", name="uq_link_tokens_token_hash"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_link_tokens_operator_id_customer_id",
        "link_tokens",
        ["operator_id", "customer_id"],
        unique=False,
    )

    op.create_table(
        "payments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column(
            "reference", sa.String(length=100), server_default=sa.text("''"), nullable=False
        ),
        sa.Column("paid_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.String(length=500), server_default=sa.text("''"), nullable=False),
        sa.Column("voided", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("voided_at", TIMESTAMP, nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "method IN ('cash', 'bank_transfer', 'duitnow', 'cheque', 'other')",
            name="ck_payments_method",
        ),
        sa.CheckConstraint("amount_sen > 0", name="ck_payments_amount_sen"),
        sa.ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_payments_customer",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"], ["operators.id"], name="fk_payments_operator_id", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("operator_id", "id", name="uq_payments_operator_id_id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_payments_operator_id_customer_id",
        "payments",
        ["operator_id", "customer_id"],
        unique=False,
    )
    op.create_index(
        "ix_payments_operator_id_paid_on", "payments", ["operator_id", "paid_on"], unique=False
    )

    op.create_table(
        "service_fees",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("fee_sen", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("fee_sen >= 0", name="ck_service_fees_fee_sen"),
        sa.ForeignKeyConstraint(
            ["operator_id", "service_id"],
            ["services.operator_id", "services.id"],
            name="fk_service_fees_service",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_service_fees_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "service_id", "effective_from", name="uq_service_fees_service_id_effective_from"
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_service_fees_operator_id_service_id",
        "service_fees",
        ["operator_id", "service_id"],
        unique=False,
    )

    op.create_table(
        "enrollments",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("child_id", sa.BigInteger(), nullable=False),
        sa.Column("service_id", sa.BigInteger(), nullable=False),
        sa.Column("start_month", sa.Date(), nullable=False),
        sa.Column("end_month", sa.Date(), nullable=True),
        sa.Column("fee_override_sen", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint(
            "end_month IS NULL OR end_month >= start_month", name="ck_enrollments_months"
        ),
        sa.CheckConstraint(
            "fee_override_sen IS NULL OR fee_override_sen >= 0",
            name="ck_enrollments_fee_override_sen",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id", "child_id"],
            ["children.operator_id", "children.id"],
            name="fk_enrollments_child",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id", "service_id"],
            ["services.operator_id", "services.id"],
            name="fk_enrollments_service",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_enrollments_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "child_id",
            "service_id",
            "start_month",
            name="uq_enrollments_child_id_service_id_start_month",
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_enrollments_operator_id_child_id",
        "enrollments",
        ["operator_id", "child_id"],
        unique=False,
    )
    op.create_index(
        "ix_enrollments_operator_id_service_id",
        "enrollments",
        ["operator_id", "service_id"],
        unique=False,
    )
    op.create_index(
        "ix_enrollments_operator_id_start_month",
        "enrollments",
        ["operator_id", "start_month"],
        unique=False,
    )

    op.create_table(
        "invoice_items",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("description", sa.String(length=300), nullable=False),
        sa.Column("child_id", sa.BigInteger(), nullable=True),
        sa.Column("service_id", sa.BigInteger(), nullable=True),
        sa.Column("unit_price_sen", sa.BigInteger(), nullable=False),
        sa.Column("quantity", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint("quantity > 0", name="ck_invoice_items_quantity"),
        sa.CheckConstraint(
            "unit_price_sen >= 0 AND amount_sen = unit_price_sen * quantity",
            name="ck_invoice_items_amount",
        ),
        sa.ForeignKeyConstraint(
            ["child_id"], ["children.id"], name="fk_invoice_items_child_id", ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["operator_id", "invoice_id"],
            ["invoices.operator_id", "invoices.id"],
            name="fk_invoice_items_invoice",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_invoice_items_operator_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["service_id"],
            ["services.id"],
            name="fk_invoice_items_service_id",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_invoice_items_operator_id_invoice_id",
        "invoice_items",
        ["operator_id", "invoice_id"],
        unique=False,
    )

    op.create_table(
        "payment_allocations",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("payment_id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("amount_sen", sa.BigInteger(), nullable=False),
        sa.Column("from_credit", sa.Boolean(), server_default=sa.text("0"), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.CheckConstraint("amount_sen > 0", name="ck_payment_allocations_amount_sen"),
        sa.ForeignKeyConstraint(
            ["operator_id", "invoice_id"],
            ["invoices.operator_id", "invoices.id"],
            name="fk_payment_allocations_invoice",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id", "payment_id"],
            ["payments.operator_id", "payments.id"],
            name="fk_payment_allocations_payment",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_payment_allocations_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "payment_id", "invoice_id", name="uq_payment_allocations_payment_id_invoice_id"
        ),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_payment_allocations_operator_id_invoice_id",
        "payment_allocations",
        ["operator_id", "invoice_id"],
        unique=False,
    )
    op.create_index(
        "ix_payment_allocations_operator_id_payment_id",
        "payment_allocations",
        ["operator_id", "payment_id"],
        unique=False,
    )

    op.create_table(
        "payment_slips",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("telegram_file_id", sa.String(length=255), nullable=False),
        sa.Column("file_kind", sa.String(length=10), nullable=False),
        sa.Column("caption", sa.String(length=1000), server_default=sa.text("''"), nullable=False),
        sa.Column(
            "status", sa.String(length=10), server_default=sa.text("'pending'"), nullable=False
        ),
        sa.Column("payment_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.Column("decided_at", TIMESTAMP, nullable=True),
        sa.CheckConstraint(
            "file_kind IN ('photo', 'document')", name="ck_payment_slips_file_kind"
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'recorded', 'dismissed')", name="ck_payment_slips_status"
        ),
        sa.ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_payment_slips_customer",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_payment_slips_operator_id",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["payment_id"],
            ["payments.id"],
            name="fk_payment_slips_payment_id",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_payment_slips_operator_id_status",
        "payment_slips",
        ["operator_id", "status"],
        unique=False,
    )

    op.create_table(
        "reminder_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("operator_id", sa.BigInteger(), nullable=False),
        sa.Column("invoice_id", sa.BigInteger(), nullable=False),
        sa.Column("stage", sa.SmallInteger(), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("created_at", TIMESTAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id", "invoice_id"],
            ["invoices.operator_id", "invoices.id"],
            name="fk_reminder_log_invoice",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operators.id"],
            name="fk_reminder_log_operator_id",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("invoice_id", "stage", name="uq_reminder_log_invoice_id_stage"),
        mysql_charset="utf8mb4",
        mysql_collate="utf8mb4_unicode_ci",
        mysql_engine="InnoDB",
    )
    op.create_index(
        "ix_reminder_log_operator_id_invoice_id",
        "reminder_log",
        ["operator_id", "invoice_id"],
        unique=False,
    )


def downgrade() -> None:
    """Undo: Baseline: the schema of VanBill 0.1.0, before migrations"""
    op.drop_index("ix_reminder_log_operator_id_invoice_id", table_name="reminder_log")

    op.drop_table("reminder_log")
    op.drop_index("ix_payment_slips_operator_id_status", table_name="payment_slips")

    op.drop_table("payment_slips")
    op.drop_index(
        "ix_payment_allocations_operator_id_payment_id", table_name="payment_allocations"
    )
    op.drop_index(
        "ix_payment_allocations_operator_id_invoice_id", table_name="payment_allocations"
    )

    op.drop_table("payment_allocations")
    op.drop_index("ix_invoice_items_operator_id_invoice_id", table_name="invoice_items")

    op.drop_table("invoice_items")
    op.drop_index("ix_enrollments_operator_id_start_month", table_name="enrollments")
    op.drop_index("ix_enrollments_operator_id_service_id", table_name="enrollments")
    op.drop_index("ix_enrollments_operator_id_child_id", table_name="enrollments")

    op.drop_table("enrollments")
    op.drop_index("ix_service_fees_operator_id_service_id", table_name="service_fees")

    op.drop_table("service_fees")
    op.drop_index("ix_payments_operator_id_paid_on", table_name="payments")
    op.drop_index("ix_payments_operator_id_customer_id", table_name="payments")

    op.drop_table("payments")
    op.drop_index("ix_link_tokens_operator_id_customer_id", table_name="link_tokens")

    op.drop_table("link_tokens")
    op.drop_index("ix_invoices_operator_id_status", table_name="invoices")
    op.drop_index("ix_invoices_operator_id_period", table_name="invoices")
    op.drop_index("ix_invoices_operator_id_due_date", table_name="invoices")
    op.drop_index("ix_invoices_operator_id_customer_id", table_name="invoices")

    op.drop_table("invoices")
    op.drop_index("ix_deliveries_status_next_attempt_at", table_name="deliveries")
    op.drop_index("ix_deliveries_operator_id_invoice_id", table_name="deliveries")
    op.drop_index("ix_deliveries_operator_id_customer_id", table_name="deliveries")

    op.drop_table("deliveries")
    op.drop_index("ix_children_operator_id_customer_id", table_name="children")

    op.drop_table("children")
    op.drop_table("services")
    op.drop_table("monthly_runs")
    op.drop_table("invoice_counters")
    op.drop_table("holiday_months")
    op.drop_index("ix_customers_telegram_user_id", table_name="customers")
    op.drop_index("ix_customers_operator_id_phone", table_name="customers")
    op.drop_index("ix_customers_operator_id_name", table_name="customers")

    op.drop_table("customers")
    op.drop_table("operators")
    op.drop_table("bot_state")
