"""SQLAlchemy 2.0 models that mirror schema.sql (the drift test keeps the two in step)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import CHAR, TypeDecorator

# SQLite only auto-increments an INTEGER PRIMARY KEY; MySQL gets BIGINT.
Id = BigInteger().with_variant(Integer(), "sqlite")
Blob = LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")


class UTCDateTime(TypeDecorator[datetime]):
    """Store aware UTC datetimes as naive UTC; hand back aware UTC datetimes."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect):  # type: ignore[no-untyped-def]
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware UTC timestamp is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _default(sql: str):  # type: ignore[no-untyped-def]
    return text(sql)


TABLE_OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}


class Base(DeclarativeBase):
    metadata = MetaData()


def _operator_fk(table: str) -> Mapped[int]:
    return mapped_column(
        BigInteger,
        ForeignKey("operators.id", ondelete="CASCADE", name=f"fk_{table}_operator_id"),
        nullable=False,
    )


class Operator(Base):
    __tablename__ = "operators"
    __table_args__ = (
        UniqueConstraint("telegram_user_id", name="uq_operators_telegram_user_id"),
        CheckConstraint("due_day BETWEEN 1 AND 28", name="ck_operators_due_day"),
        CheckConstraint("billing_day BETWEEN 1 AND 28", name="ck_operators_billing_day"),
        CheckConstraint("billing_hour BETWEEN 0 AND 23", name="ck_operators_billing_hour"),
        CheckConstraint("reminder_hour BETWEEN 8 AND 20", name="ck_operators_reminder_hour"),
        CheckConstraint(
            "sibling_discount_bp BETWEEN 0 AND 10000", name="ck_operators_sibling_discount_bp"
        ),
        CheckConstraint("language IN ('en', 'ms', 'zh_Hans')", name="ck_operators_language"),
        CheckConstraint(
            "digest_hour IS NULL OR digest_hour BETWEEN 0 AND 23", name="ck_operators_digest_hour"
        ),
        CheckConstraint(
            "late_fee_kind IN ('none', 'fixed', 'percent') AND late_fee_sen >= 0"
            " AND late_fee_bp BETWEEN 0 AND 10000 AND late_fee_days BETWEEN 1 AND 365",
            name="ck_operators_late_fee",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    telegram_user_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    business_name: Mapped[str] = mapped_column(
        String(200), nullable=False, server_default=_default("''")
    )
    address: Mapped[str] = mapped_column(
        String(500), nullable=False, server_default=_default("''")
    )
    phone: Mapped[str] = mapped_column(String(20), nullable=False, server_default=_default("''"))
    bank_name: Mapped[str] = mapped_column(
        String(100), nullable=False, server_default=_default("''")
    )
    bank_account: Mapped[str] = mapped_column(
        String(50), nullable=False, server_default=_default("''")
    )
    duitnow_id: Mapped[str] = mapped_column(
        String(50), nullable=False, server_default=_default("''")
    )
    payment_note: Mapped[str] = mapped_column(
        String(500), nullable=False, server_default=_default("''")
    )
    payment_qr_payload: Mapped[str] = mapped_column(
        String(500), nullable=False, server_default=_default("''")
    )
    logo: Mapped[bytes | None] = mapped_column(Blob, nullable=True)
    timezone: Mapped[str] = mapped_column(
        String(64), nullable=False, server_default=_default("'Asia/Kuala_Lumpur'")
    )
    currency: Mapped[str] = mapped_column(
        CHAR(3), nullable=False, server_default=_default("'MYR'")
    )
    invoice_prefix: Mapped[str] = mapped_column(
        String(10), nullable=False, server_default=_default("'INV'")
    )
    due_day: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default=_default("7")
    )
    billing_day: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default=_default("1")
    )
    billing_hour: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default=_default("8")
    )
    reminder_hour: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default=_default("9")
    )
    reminder_offsets: Mapped[str] = mapped_column(
        String(100), nullable=False, server_default=_default("'-3,0,3,7,14'")
    )
    reminders_enabled: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=_default("1")
    )
    sibling_discount_bp: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=_default("0")
    )
    approval_required: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=_default("0")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The language the operator reads (None: the one her Telegram reports).
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # Who the bank account belongs to, printed under the account number (a person, often).
    account_holder: Mapped[str] = mapped_column(
        String(200), nullable=False, server_default=_default("''")
    )
    ssm_number: Mapped[str] = mapped_column(
        String(30), nullable=False, server_default=_default("''")
    )
    # The local hour of the daily digest to the operator; NULL: no digest.
    digest_hour: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    # The guided set-up: '' not begun, a step's name while under way, 'done' after it.
    setup_step: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=_default("''")
    )
    # Late fees (services/latefees.py): none, a fixed amount or a percentage of what is unpaid,
    # added once per invoice late_fee_days after its due date.
    late_fee_kind: Mapped[str] = mapped_column(
        String(10), nullable=False, server_default=_default("'none'")
    )
    late_fee_sen: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=_default("0")
    )
    late_fee_bp: Mapped[int] = mapped_column(Integer, nullable=False, server_default=_default("0"))
    late_fee_days: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default=_default("7")
    )


class Customer(Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("operator_id", "id", name="uq_customers_operator_id_id"),
        Index("ix_customers_operator_id_name", "operator_id", "name"),
        Index("ix_customers_operator_id_phone", "operator_id", "phone"),
        Index("ix_customers_telegram_user_id", "telegram_user_id"),
        Index("ix_customers_operator_id_owed_sen", "operator_id", "owed_sen"),
        CheckConstraint("language IN ('en', 'ms', 'zh_Hans')", name="ck_customers_language"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("customers")
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20), nullable=True)
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    telegram_chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    telegram_blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    notes: Mapped[str] = mapped_column(String(1000), nullable=False, server_default=_default("''"))
    archived: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=_default("0"))
    reminders_paused: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=_default("0")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The language the family's documents and messages are in (None: the parent's Telegram's).
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # Money paid and not allocated to any invoice; set by payments.apply_credit only, which
    # every change of a family's payments or allocations ends with.
    credit_sen: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=_default("0")
    )
    # What the family owes on its open invoices (total - paid of each open or partial), kept by
    # the database's triggers on invoices (revision 0012), never written by the code.
    owed_sen: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=_default("0"))


class Child(Base):
    __tablename__ = "children"
    __table_args__ = (
        UniqueConstraint("operator_id", "id", name="uq_children_operator_id_id"),
        Index("ix_children_operator_id_customer_id", "operator_id", "customer_id"),
        CheckConstraint(
            "category IN ('kindergarten', 'primary', 'secondary', 'other')",
            name="ck_children_category",
        ),
        ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            ondelete="CASCADE",
            name="fk_children_customer",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("children")
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=_default("'primary'")
    )
    birth_year: Mapped[int | None] = mapped_column(SmallInteger, nullable=True)
    school: Mapped[str] = mapped_column(String(200), nullable=False, server_default=_default("''"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Service(Base):
    __tablename__ = "services"
    __table_args__ = (
        UniqueConstraint("operator_id", "id", name="uq_services_operator_id_id"),
        UniqueConstraint("operator_id", "name", name="uq_services_operator_id_name"),
        CheckConstraint("monthly_fee_sen >= 0", name="ck_services_monthly_fee_sen"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("services")
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    description: Mapped[str] = mapped_column(
        String(500), nullable=False, server_default=_default("''")
    )
    monthly_fee_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=_default("1"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ServiceFee(Base):
    __tablename__ = "service_fees"
    __table_args__ = (
        UniqueConstraint(
            "service_id", "effective_from", name="uq_service_fees_service_id_effective_from"
        ),
        Index("ix_service_fees_operator_id_service_id", "operator_id", "service_id"),
        CheckConstraint("fee_sen >= 0", name="ck_service_fees_fee_sen"),
        ForeignKeyConstraint(
            ["operator_id", "service_id"],
            ["services.operator_id", "services.id"],
            ondelete="CASCADE",
            name="fk_service_fees_service",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("service_fees")
    service_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    effective_from: Mapped[date] = mapped_column(Date, nullable=False)
    fee_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class Enrollment(Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint(
            "child_id",
            "service_id",
            "start_month",
            name="uq_enrollments_child_id_service_id_start_month",
        ),
        Index("ix_enrollments_operator_id_start_month", "operator_id", "start_month"),
        Index("ix_enrollments_operator_id_child_id", "operator_id", "child_id"),
        Index("ix_enrollments_operator_id_service_id", "operator_id", "service_id"),
        CheckConstraint(
            "fee_override_sen IS NULL OR fee_override_sen >= 0",
            name="ck_enrollments_fee_override_sen",
        ),
        CheckConstraint(
            "end_month IS NULL OR end_month >= start_month", name="ck_enrollments_months"
        ),
        CheckConstraint(
            "(join_billing IS NULL OR join_billing IN"
            " ('full', 'half', 'none', 'days', 'school_days'))"
            " AND (leave_billing IS NULL OR leave_billing IN"
            " ('full', 'half', 'none', 'days', 'school_days'))",
            name="ck_enrollments_part_months",
        ),
        ForeignKeyConstraint(
            ["operator_id", "child_id"],
            ["children.operator_id", "children.id"],
            ondelete="CASCADE",
            name="fk_enrollments_child",
        ),
        ForeignKeyConstraint(
            ["operator_id", "service_id"],
            ["services.operator_id", "services.id"],
            ondelete="CASCADE",
            name="fk_enrollments_service",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("enrollments")
    child_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    service_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    start_month: Mapped[date] = mapped_column(Date, nullable=False)
    end_month: Mapped[date | None] = mapped_column(Date, nullable=True)
    fee_override_sen: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # A first or last month ridden in part (services/proration.py): the day, and how it is billed.
    joined_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    join_billing: Mapped[str | None] = mapped_column(String(12), nullable=True)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    leave_billing: Mapped[str | None] = mapped_column(String(12), nullable=True)


class HolidayMonth(Base):
    __tablename__ = "holiday_months"
    __table_args__ = (TABLE_OPTIONS,)

    operator_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("operators.id", ondelete="CASCADE", name="fk_holiday_months_operator_id"),
        primary_key=True,
        autoincrement=False,
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    note: Mapped[str] = mapped_column(String(200), nullable=False, server_default=_default("''"))


class SummaryMonth(Base):
    """An operator's month in the summary's ledger, kept by triggers (revision 0012) only.

    invoiced_sen: the totals of the invoices issued that month (not void); settled_sen: the money
    allocated to invoices, counted in the later of the invoice's month and the payment's;
    own_settled_sen: money allocated to the invoices issued that month and paid by its end. So
    what was owed at the end of a month is the sum of invoiced - settled up to it.
    """

    __tablename__ = "summary_months"
    __table_args__ = (TABLE_OPTIONS,)

    operator_id: Mapped[int] = mapped_column(
        BigInteger,
        ForeignKey("operators.id", ondelete="CASCADE", name="fk_summary_months_operator_id"),
        primary_key=True,
        autoincrement=False,
    )
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    invoiced_sen: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=_default("0")
    )
    settled_sen: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=_default("0")
    )
    own_settled_sen: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=_default("0")
    )


def _year_counter(name: str) -> Table:
    """Return a counter table: the last number an operator took in a year (numbering.py)."""
    return Table(
        name,
        Base.metadata,
        Column(
            "operator_id",
            BigInteger,
            ForeignKey("operators.id", ondelete="CASCADE", name=f"fk_{name}_operator_id"),
            primary_key=True,
            autoincrement=False,
        ),
        Column("year", SmallInteger, primary_key=True, autoincrement=False),
        Column("last_seq", Integer, nullable=False, server_default=_default("0")),
        **TABLE_OPTIONS,
    )


class InvoiceCounter(Base):
    __table__ = _year_counter("invoice_counters")


class ReceiptCounter(Base):
    __table__ = _year_counter("receipt_counters")


class CreditNoteCounter(Base):
    __table__ = _year_counter("credit_note_counters")


class Invoice(Base):
    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("operator_id", "id", name="uq_invoices_operator_id_id"),
        UniqueConstraint("operator_id", "number", name="uq_invoices_operator_id_number"),
        # One live monthly invoice per family and month: a void one lets go of its month.
        UniqueConstraint("customer_id", "live_period", name="uq_invoices_customer_id_live_period"),
        Index("ix_invoices_operator_id_status", "operator_id", "status"),
        Index("ix_invoices_operator_id_period", "operator_id", "period"),
        Index("ix_invoices_operator_id_due_date", "operator_id", "due_date"),
        Index("ix_invoices_operator_id_customer_id", "operator_id", "customer_id"),
        # Covers the summary report's reads of the invoices not closed before its first month.
        Index(
            "ix_invoices_operator_id_closed_on",
            "operator_id",
            "closed_on",
            "status",
            "issue_date",
            "due_date",
            "total_sen",
        ),
        # Covers the families owing most: open invoices grouped by family.
        Index(
            "ix_invoices_operator_id_status_customer_id",
            "operator_id",
            "status",
            "customer_id",
            "due_date",
            "total_sen",
            "paid_sen",
        ),
        CheckConstraint("kind IN ('monthly', 'adhoc')", name="ck_invoices_kind"),
        CheckConstraint(
            "status IN ('draft', 'open', 'partial', 'paid', 'void')", name="ck_invoices_status"
        ),
        CheckConstraint(
            "subtotal_sen >= 0 AND discount_sen >= 0 AND discount_sen <= subtotal_sen"
            " AND total_sen = subtotal_sen - discount_sen AND paid_sen >= 0"
            " AND paid_sen <= total_sen",
            name="ck_invoices_amounts",
        ),
        CheckConstraint(
            # Written so no part is NULL: a CHECK that comes out NULL lets the row in.
            "(status = 'void' AND live_period IS NULL) OR (status <> 'void' AND"
            " ((period IS NULL AND live_period IS NULL) OR (period IS NOT NULL AND"
            " live_period IS NOT NULL AND live_period = period)))",
            name="ck_invoices_live_period",
        ),
        ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_invoices_customer",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("invoices")
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    number: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(
        String(10), nullable=False, server_default=_default("'adhoc'")
    )
    period: Mapped[date | None] = mapped_column(Date, nullable=True)
    issue_date: Mapped[date] = mapped_column(Date, nullable=False)
    due_date: Mapped[date] = mapped_column(Date, nullable=False)
    description: Mapped[str] = mapped_column(
        String(500), nullable=False, server_default=_default("''")
    )
    subtotal_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    discount_sen: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=_default("0")
    )
    total_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    paid_sen: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=_default("0"))
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, server_default=_default("'open'")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    void_reason: Mapped[str] = mapped_column(
        String(200), nullable=False, server_default=_default("''")
    )
    # The day after which no report figure of this invoice changes: for a paid invoice the later
    # of its issue date and its last payment's date, for a void one its issue date, NULL while
    # anything is owed. Set by payments.refresh_invoices only, so reports skip closed history.
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    # The period while the invoice is not void (NULL once voided): the unique live key.
    live_period: Mapped[date | None] = mapped_column(Date, nullable=True)


class InvoiceItem(Base):
    __tablename__ = "invoice_items"
    __table_args__ = (
        Index("ix_invoice_items_operator_id_invoice_id", "operator_id", "invoice_id"),
        CheckConstraint("quantity > 0", name="ck_invoice_items_quantity"),
        CheckConstraint(
            "unit_price_sen >= 0 AND amount_sen = unit_price_sen * quantity",
            name="ck_invoice_items_amount",
        ),
        ForeignKeyConstraint(
            ["operator_id", "invoice_id"],
            ["invoices.operator_id", "invoices.id"],
            ondelete="CASCADE",
            name="fk_invoice_items_invoice",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("invoice_items")
    invoice_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    position: Mapped[int] = mapped_column(
        SmallInteger, nullable=False, server_default=_default("0")
    )
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    child_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("children.id", ondelete="SET NULL", name="fk_invoice_items_child_id"),
        nullable=True,
    )
    service_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("services.id", ondelete="SET NULL", name="fk_invoice_items_service_id"),
        nullable=True,
    )
    unit_price_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False, server_default=_default("1"))
    amount_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("operator_id", "id", name="uq_payments_operator_id_id"),
        UniqueConstraint(
            "operator_id", "receipt_number", name="uq_payments_operator_id_receipt_number"
        ),
        # Covers the money collected per month (credit notes left out).
        Index(
            "ix_payments_operator_id_paid_on_money",
            "operator_id",
            "paid_on",
            "voided",
            "method",
            "amount_sen",
        ),
        Index("ix_payments_operator_id_customer_id", "operator_id", "customer_id"),
        CheckConstraint("amount_sen > 0", name="ck_payments_amount_sen"),
        CheckConstraint(
            "method IN ('cash', 'bank_transfer', 'duitnow', 'cheque', 'other', 'credit')",
            name="ck_payments_method",
        ),
        ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            name="fk_payments_customer",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("payments")
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    method: Mapped[str] = mapped_column(String(20), nullable=False)
    reference: Mapped[str] = mapped_column(
        String(100), nullable=False, server_default=_default("''")
    )
    paid_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    note: Mapped[str] = mapped_column(String(500), nullable=False, server_default=_default("''"))
    voided: Mapped[bool] = mapped_column(Boolean, nullable=False, server_default=_default("0"))
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # RCPT-2026-0003: gap-free per operator and year of paid_on (receipt_counters); kept on void.
    receipt_number: Mapped[str] = mapped_column(String(32), nullable=False)
    void_reason: Mapped[str] = mapped_column(
        String(200), nullable=False, server_default=_default("''")
    )


class PaymentAllocation(Base):
    __tablename__ = "payment_allocations"
    __table_args__ = (
        UniqueConstraint(
            "payment_id", "invoice_id", name="uq_payment_allocations_payment_id_invoice_id"
        ),
        Index("ix_payment_allocations_operator_id_payment_id", "operator_id", "payment_id"),
        Index("ix_payment_allocations_operator_id_invoice_id", "operator_id", "invoice_id"),
        # Covers what was paid to each invoice not closed before the report's first month.
        Index(
            "ix_payment_allocations_invoice_amount",
            "operator_id",
            "invoice_id",
            "payment_id",
            "amount_sen",
        ),
        CheckConstraint("amount_sen > 0", name="ck_payment_allocations_amount_sen"),
        ForeignKeyConstraint(
            ["operator_id", "payment_id"],
            ["payments.operator_id", "payments.id"],
            ondelete="CASCADE",
            name="fk_payment_allocations_payment",
        ),
        ForeignKeyConstraint(
            ["operator_id", "invoice_id"],
            ["invoices.operator_id", "invoices.id"],
            ondelete="CASCADE",
            name="fk_payment_allocations_invoice",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("payment_allocations")
    payment_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    invoice_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    amount_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    from_credit: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=_default("0")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class ReminderLog(Base):
    __tablename__ = "reminder_log"
    __table_args__ = (
        UniqueConstraint("invoice_id", "stage", name="uq_reminder_log_invoice_id_stage"),
        Index("ix_reminder_log_operator_id_invoice_id", "operator_id", "invoice_id"),
        ForeignKeyConstraint(
            ["operator_id", "invoice_id"],
            ["invoices.operator_id", "invoices.id"],
            ondelete="CASCADE",
            name="fk_reminder_log_invoice",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("reminder_log")
    invoice_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    stage: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    sent_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class LinkToken(Base):
    __tablename__ = "link_tokens"
    __table_args__ = (
        UniqueConstraint("token_hash", name="uq_link_tokens_token_hash"),
        Index("ix_link_tokens_operator_id_customer_id", "operator_id", "customer_id"),
        CheckConstraint("purpose IN ('parent', 'operator')", name="ck_link_tokens_purpose"),
        ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            ondelete="CASCADE",
            name="fk_link_tokens_customer",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("link_tokens")
    customer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    purpose: Mapped[str] = mapped_column(String(10), nullable=False)
    token_hash: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    used_by: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class PaymentSlip(Base):
    __tablename__ = "payment_slips"
    __table_args__ = (
        Index("ix_payment_slips_operator_id_status", "operator_id", "status"),
        CheckConstraint("file_kind IN ('photo', 'document')", name="ck_payment_slips_file_kind"),
        CheckConstraint(
            "status IN ('pending', 'recorded', 'dismissed')", name="ck_payment_slips_status"
        ),
        ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            ondelete="CASCADE",
            name="fk_payment_slips_customer",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("payment_slips")
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    telegram_file_id: Mapped[str] = mapped_column(String(255), nullable=False)
    file_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    caption: Mapped[str] = mapped_column(
        String(1000), nullable=False, server_default=_default("''")
    )
    status: Mapped[str] = mapped_column(
        String(10), nullable=False, server_default=_default("'pending'")
    )
    payment_id: Mapped[int | None] = mapped_column(
        BigInteger,
        ForeignKey("payments.id", ondelete="SET NULL", name="fk_payment_slips_payment_id"),
        nullable=True,
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class MonthlyRun(Base):
    __tablename__ = "monthly_runs"
    __table_args__ = (
        UniqueConstraint("operator_id", "period", name="uq_monthly_runs_operator_id_period"),
        CheckConstraint(
            "status IN ('generating', 'awaiting_approval', 'approved', 'held', 'delivering',"
            " 'done')",
            name="ck_monthly_runs_status",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("monthly_runs")
    period: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)
    created_count: Mapped[int] = mapped_column(
        Integer, nullable=False, server_default=_default("0")
    )
    total_sen: Mapped[int] = mapped_column(
        BigInteger, nullable=False, server_default=_default("0")
    )
    report: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Delivery(Base):
    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("operator_id", "dedupe_key", name="uq_deliveries_operator_id_dedupe_key"),
        Index("ix_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_deliveries_operator_id_customer_id", "operator_id", "customer_id"),
        Index("ix_deliveries_operator_id_invoice_id", "operator_id", "invoice_id"),
        CheckConstraint(
            "kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice', 'operator_notice',"
            " 'void_invoice', 'void_receipt')",
            name="ck_deliveries_kind",
        ),
        # An operator notice goes to the operator's own chat, every other kind to a family.
        CheckConstraint(
            "(kind = 'operator_notice' AND customer_id IS NULL)"
            " OR (kind <> 'operator_notice' AND customer_id IS NOT NULL)",
            name="ck_deliveries_recipient",
        ),
        CheckConstraint(
            "status IN ('pending', 'waiting_link', 'sending', 'sent', 'skipped', 'failed',"
            " 'undeliverable')",
            name="ck_deliveries_status",
        ),
        ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            ondelete="CASCADE",
            name="fk_deliveries_customer",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("deliveries")
    customer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    dedupe_key: Mapped[str] = mapped_column(String(100), nullable=False)
    invoice_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(
        String(20), nullable=False, server_default=_default("'pending'")
    )
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, server_default=_default("0"))
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    chat_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    file_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    last_error: Mapped[str] = mapped_column(
        String(500), nullable=False, server_default=_default("''")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class FamilyImport(Base):
    """A file of families imported: one row per operator and file, so a file imports once."""

    __tablename__ = "family_imports"
    __table_args__ = (
        UniqueConstraint("operator_id", "file_sha256", name="uq_family_imports_operator_id_file"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("family_imports")
    file_sha256: Mapped[str] = mapped_column(CHAR(64), nullable=False)
    filename: Mapped[str] = mapped_column(
        String(200), nullable=False, server_default=_default("''")
    )
    families: Mapped[int] = mapped_column(Integer, nullable=False)
    children: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class BotState(Base):
    __tablename__ = "bot_state"
    __table_args__ = (TABLE_OPTIONS,)

    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    state_key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)


class AuditEntry(Base):
    """One change or correction, as it happened: append-only (a trigger refuses updates)."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_operator_id_customer_id_id", "operator_id", "customer_id", "id"),
        Index("ix_audit_log_operator_id_at", "operator_id", "at"),
        CheckConstraint(
            "actor_kind IN ('operator', 'parent', 'system')", name="ck_audit_log_actor_kind"
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("audit_log")
    customer_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(10), nullable=False)
    actor_user_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    action: Mapped[str] = mapped_column(String(40), nullable=False)
    entity: Mapped[str] = mapped_column(String(20), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    before: Mapped[str | None] = mapped_column(Text, nullable=True)
    after: Mapped[str | None] = mapped_column(Text, nullable=True)
    reason: Mapped[str] = mapped_column(String(500), nullable=False, server_default=_default("''"))


class SendBudget(Base):
    """One row per bot token: the sends of every sender of that bot queue up on it."""

    __tablename__ = "send_budgets"
    __table_args__ = (TABLE_OPTIONS,)

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    turns: Mapped[int] = mapped_column(BigInteger, nullable=False, server_default=_default("0"))


class SendTurn(Base):
    """A send to Telegram in flight (answered_us NULL) or answered lately, by any sender."""

    __tablename__ = "send_turns"
    __table_args__ = (
        Index("ix_send_turns_bot_id_answered_us", "bot_id", "answered_us", "started_us"),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    bot_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    started_us: Mapped[int] = mapped_column(BigInteger, nullable=False)  # Unix time, in µs
    answered_us: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class Adjustment(Base):
    """A one-off charge or credit on a family's account: on its next invoice, or billed now."""

    __tablename__ = "adjustments"
    __table_args__ = (
        UniqueConstraint("operator_id", "id", name="uq_adjustments_operator_id_id"),
        Index("ix_adjustments_operator_id_customer_id", "operator_id", "customer_id"),
        CheckConstraint("kind IN ('charge', 'credit')", name="ck_adjustments_kind"),
        CheckConstraint("amount_sen > 0", name="ck_adjustments_amount_sen"),
        CheckConstraint("timing IN ('next', 'now')", name="ck_adjustments_timing"),
        ForeignKeyConstraint(
            ["operator_id", "customer_id"],
            ["customers.operator_id", "customers.id"],
            ondelete="CASCADE",
            name="fk_adjustments_customer",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("adjustments")
    customer_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    description: Mapped[str] = mapped_column(String(300), nullable=False)
    amount_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    timing: Mapped[str] = mapped_column(String(10), nullable=False)
    # Where it went: the invoice that bills a charge, the credit note (a payment) of a credit.
    invoice_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    payment_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class LateFee(Base):
    """The late fee of one invoice: at most one ever (unique), kept when waived."""

    __tablename__ = "late_fees"
    __table_args__ = (
        UniqueConstraint("invoice_id", name="uq_late_fees_invoice_id"),
        Index("ix_late_fees_operator_id_invoice_id", "operator_id", "invoice_id"),
        CheckConstraint("amount_sen > 0", name="ck_late_fees_amount_sen"),
        ForeignKeyConstraint(
            ["operator_id", "invoice_id"],
            ["invoices.operator_id", "invoices.id"],
            ondelete="CASCADE",
            name="fk_late_fees_invoice",
        ),
        TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    operator_id: Mapped[int] = _operator_fk("late_fees")
    invoice_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    item_id: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    amount_sen: Mapped[int] = mapped_column(BigInteger, nullable=False)
    added_on: Mapped[date] = mapped_column(Date, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    waived_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
