-- VanBill's MySQL / MariaDB schema at the latest revision (InnoDB, utf8mb4).
-- Produced from the Alembic revisions in services/migrations/versions/ by
--   .venv/bin/python -m vanbill.services.schema --write
-- never edited by hand (tests/data/test_migrations.py fails when it is out of date).
-- Load it into an empty database: mariadb vanbill < schema.sql
-- To create or upgrade a database, `vanbill initdb` is the way: it runs the revisions.

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

CREATE TABLE bot_state (
    kind VARCHAR(20) NOT NULL,
    name VARCHAR(64) NOT NULL,
    state_key VARCHAR(100) NOT NULL,
    value TEXT NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    PRIMARY KEY (kind, name, state_key)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE TABLE operators (
    id BIGINT NOT NULL AUTO_INCREMENT,
    telegram_user_id BIGINT NOT NULL,
    business_name VARCHAR(200) NOT NULL DEFAULT '',
    address VARCHAR(500) NOT NULL DEFAULT '',
    phone VARCHAR(20) NOT NULL DEFAULT '',
    bank_name VARCHAR(100) NOT NULL DEFAULT '',
    bank_account VARCHAR(50) NOT NULL DEFAULT '',
    duitnow_id VARCHAR(50) NOT NULL DEFAULT '',
    payment_note VARCHAR(500) NOT NULL DEFAULT '',
    payment_qr_payload VARCHAR(500) NOT NULL DEFAULT '',
    logo MEDIUMBLOB,
    timezone VARCHAR(64) NOT NULL DEFAULT 'Asia/Kuala_Lumpur',
    currency CHAR(3) NOT NULL DEFAULT 'MYR',
    invoice_prefix VARCHAR(10) NOT NULL DEFAULT 'INV',
    due_day SMALLINT NOT NULL DEFAULT 7,
    billing_day SMALLINT NOT NULL DEFAULT 1,
    billing_hour SMALLINT NOT NULL DEFAULT 8,
    reminder_hour SMALLINT NOT NULL DEFAULT 9,
    reminder_offsets VARCHAR(100) NOT NULL DEFAULT '-3,0,3,7,14',
    reminders_enabled BOOL NOT NULL DEFAULT 1,
    sibling_discount_bp INTEGER NOT NULL DEFAULT 0,
    approval_required BOOL NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_operators_billing_day CHECK (billing_day BETWEEN 1 AND 28),
    CONSTRAINT ck_operators_billing_hour CHECK (billing_hour BETWEEN 0 AND 23),
    CONSTRAINT ck_operators_due_day CHECK (due_day BETWEEN 1 AND 28),
    CONSTRAINT ck_operators_reminder_hour CHECK (reminder_hour BETWEEN 8 AND 20),
    CONSTRAINT ck_operators_sibling_discount_bp CHECK (sibling_discount_bp BETWEEN 0 AND 10000),
    CONSTRAINT uq_operators_telegram_user_id UNIQUE (telegram_user_id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE TABLE customers (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    phone VARCHAR(20),
    telegram_user_id BIGINT,
    telegram_chat_id BIGINT,
    telegram_blocked_at DATETIME(6),
    notes VARCHAR(1000) NOT NULL DEFAULT '',
    archived BOOL NOT NULL DEFAULT 0,
    reminders_paused BOOL NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_customers_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_customers_operator_id_id UNIQUE (operator_id, id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_customers_operator_id_name ON customers (operator_id, name);

CREATE INDEX ix_customers_operator_id_phone ON customers (operator_id, phone);

CREATE INDEX ix_customers_telegram_user_id ON customers (telegram_user_id);

CREATE TABLE holiday_months (
    operator_id BIGINT NOT NULL,
    month DATE NOT NULL,
    note VARCHAR(200) NOT NULL DEFAULT '',
    PRIMARY KEY (operator_id, month),
    CONSTRAINT fk_holiday_months_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE TABLE invoice_counters (
    operator_id BIGINT NOT NULL,
    year SMALLINT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (operator_id, year),
    CONSTRAINT fk_invoice_counters_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE TABLE monthly_runs (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    period DATE NOT NULL,
    status VARCHAR(20) NOT NULL,
    created_count INTEGER NOT NULL DEFAULT 0,
    total_sen BIGINT NOT NULL DEFAULT 0,
    report TEXT,
    started_at DATETIME(6) NOT NULL,
    decided_at DATETIME(6),
    finished_at DATETIME(6),
    PRIMARY KEY (id),
    CONSTRAINT ck_monthly_runs_status CHECK (status IN ('generating', 'awaiting_approval', 'approved', 'held', 'delivering', 'done')),
    CONSTRAINT fk_monthly_runs_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_monthly_runs_operator_id_period UNIQUE (operator_id, period)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE TABLE services (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    name VARCHAR(100) NOT NULL,
    description VARCHAR(500) NOT NULL DEFAULT '',
    monthly_fee_sen BIGINT NOT NULL,
    active BOOL NOT NULL DEFAULT 1,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_services_monthly_fee_sen CHECK (monthly_fee_sen >= 0),
    CONSTRAINT fk_services_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_services_operator_id_id UNIQUE (operator_id, id),
    CONSTRAINT uq_services_operator_id_name UNIQUE (operator_id, name)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE TABLE children (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    name VARCHAR(200) NOT NULL,
    category VARCHAR(20) NOT NULL DEFAULT 'primary',
    birth_year SMALLINT,
    school VARCHAR(200) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_children_category CHECK (category IN ('kindergarten', 'primary', 'secondary', 'other')),
    CONSTRAINT fk_children_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_children_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_children_operator_id_id UNIQUE (operator_id, id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_children_operator_id_customer_id ON children (operator_id, customer_id);

CREATE TABLE deliveries (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    kind VARCHAR(20) NOT NULL,
    dedupe_key VARCHAR(100) NOT NULL,
    invoice_id BIGINT,
    payment_id BIGINT,
    body TEXT,
    status VARCHAR(20) NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL,
    claimed_by VARCHAR(64),
    claimed_at DATETIME(6),
    chat_id BIGINT,
    telegram_message_id BIGINT,
    file_id VARCHAR(255),
    last_error VARCHAR(500) NOT NULL DEFAULT '',
    created_at DATETIME(6) NOT NULL,
    sent_at DATETIME(6),
    PRIMARY KEY (id),
    CONSTRAINT ck_deliveries_kind CHECK (kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice')),
    CONSTRAINT ck_deliveries_status CHECK (status IN ('pending', 'waiting_link', 'sending', 'sent', 'skipped', 'failed', 'undeliverable')),
    CONSTRAINT fk_deliveries_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_deliveries_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_deliveries_operator_id_dedupe_key UNIQUE (operator_id, dedupe_key)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_deliveries_operator_id_customer_id ON deliveries (operator_id, customer_id);

CREATE INDEX ix_deliveries_operator_id_invoice_id ON deliveries (operator_id, invoice_id);

CREATE INDEX ix_deliveries_status_next_attempt_at ON deliveries (status, next_attempt_at);

CREATE TABLE invoices (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    number VARCHAR(32) NOT NULL,
    kind VARCHAR(10) NOT NULL DEFAULT 'adhoc',
    period DATE,
    issue_date DATE NOT NULL,
    due_date DATE NOT NULL,
    description VARCHAR(500) NOT NULL DEFAULT '',
    subtotal_sen BIGINT NOT NULL,
    discount_sen BIGINT NOT NULL DEFAULT 0,
    total_sen BIGINT NOT NULL,
    paid_sen BIGINT NOT NULL DEFAULT 0,
    status VARCHAR(10) NOT NULL DEFAULT 'open',
    created_at DATETIME(6) NOT NULL,
    voided_at DATETIME(6),
    void_reason VARCHAR(200) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    CONSTRAINT ck_invoices_kind CHECK (kind IN ('monthly', 'adhoc')),
    CONSTRAINT ck_invoices_status CHECK (status IN ('draft', 'open', 'partial', 'paid', 'void')),
    CONSTRAINT ck_invoices_amounts CHECK (subtotal_sen >= 0 AND discount_sen >= 0 AND discount_sen <= subtotal_sen AND total_sen = subtotal_sen - discount_sen AND paid_sen >= 0 AND paid_sen <= total_sen),
    CONSTRAINT fk_invoices_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id),
    CONSTRAINT fk_invoices_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_invoices_customer_id_period UNIQUE (customer_id, period),
    CONSTRAINT uq_invoices_operator_id_id UNIQUE (operator_id, id),
    CONSTRAINT uq_invoices_operator_id_number UNIQUE (operator_id, number)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_invoices_operator_id_customer_id ON invoices (operator_id, customer_id);

CREATE INDEX ix_invoices_operator_id_due_date ON invoices (operator_id, due_date);

CREATE INDEX ix_invoices_operator_id_period ON invoices (operator_id, period);

CREATE INDEX ix_invoices_operator_id_status ON invoices (operator_id, status);

CREATE TABLE link_tokens (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    customer_id BIGINT,
    purpose VARCHAR(10) NOT NULL,
    token_hash CHAR(64) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    used_at DATETIME(6),
    used_by BIGINT,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_link_tokens_purpose CHECK (purpose IN ('parent', 'operator')),
    CONSTRAINT fk_link_tokens_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_link_tokens_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_link_tokens_token_hash UNIQUE (token_hash)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_link_tokens_operator_id_customer_id ON link_tokens (operator_id, customer_id);

CREATE TABLE payments (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    amount_sen BIGINT NOT NULL,
    method VARCHAR(20) NOT NULL,
    reference VARCHAR(100) NOT NULL DEFAULT '',
    paid_on DATE NOT NULL,
    recorded_by BIGINT,
    note VARCHAR(500) NOT NULL DEFAULT '',
    voided BOOL NOT NULL DEFAULT 0,
    voided_at DATETIME(6),
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_payments_method CHECK (method IN ('cash', 'bank_transfer', 'duitnow', 'cheque', 'other')),
    CONSTRAINT ck_payments_amount_sen CHECK (amount_sen > 0),
    CONSTRAINT fk_payments_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id),
    CONSTRAINT fk_payments_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_payments_operator_id_id UNIQUE (operator_id, id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_payments_operator_id_customer_id ON payments (operator_id, customer_id);

CREATE INDEX ix_payments_operator_id_paid_on ON payments (operator_id, paid_on);

CREATE TABLE service_fees (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    service_id BIGINT NOT NULL,
    effective_from DATE NOT NULL,
    fee_sen BIGINT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_service_fees_fee_sen CHECK (fee_sen >= 0),
    CONSTRAINT fk_service_fees_service FOREIGN KEY(operator_id, service_id) REFERENCES services (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_service_fees_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_service_fees_service_id_effective_from UNIQUE (service_id, effective_from)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_service_fees_operator_id_service_id ON service_fees (operator_id, service_id);

CREATE TABLE enrollments (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    child_id BIGINT NOT NULL,
    service_id BIGINT NOT NULL,
    start_month DATE NOT NULL,
    end_month DATE,
    fee_override_sen BIGINT,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_enrollments_months CHECK (end_month IS NULL OR end_month >= start_month),
    CONSTRAINT ck_enrollments_fee_override_sen CHECK (fee_override_sen IS NULL OR fee_override_sen >= 0),
    CONSTRAINT fk_enrollments_child FOREIGN KEY(operator_id, child_id) REFERENCES children (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_enrollments_service FOREIGN KEY(operator_id, service_id) REFERENCES services (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_enrollments_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_enrollments_child_id_service_id_start_month UNIQUE (child_id, service_id, start_month)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_enrollments_operator_id_child_id ON enrollments (operator_id, child_id);

CREATE INDEX ix_enrollments_operator_id_service_id ON enrollments (operator_id, service_id);

CREATE INDEX ix_enrollments_operator_id_start_month ON enrollments (operator_id, start_month);

CREATE TABLE invoice_items (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    position SMALLINT NOT NULL DEFAULT 0,
    description VARCHAR(300) NOT NULL,
    child_id BIGINT,
    service_id BIGINT,
    unit_price_sen BIGINT NOT NULL,
    quantity INTEGER NOT NULL DEFAULT 1,
    amount_sen BIGINT NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_invoice_items_quantity CHECK (quantity > 0),
    CONSTRAINT ck_invoice_items_amount CHECK (unit_price_sen >= 0 AND amount_sen = unit_price_sen * quantity),
    CONSTRAINT fk_invoice_items_child_id FOREIGN KEY(child_id) REFERENCES children (id) ON DELETE SET NULL,
    CONSTRAINT fk_invoice_items_invoice FOREIGN KEY(operator_id, invoice_id) REFERENCES invoices (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_invoice_items_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT fk_invoice_items_service_id FOREIGN KEY(service_id) REFERENCES services (id) ON DELETE SET NULL
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_invoice_items_operator_id_invoice_id ON invoice_items (operator_id, invoice_id);

CREATE TABLE payment_allocations (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    payment_id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    amount_sen BIGINT NOT NULL,
    from_credit BOOL NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT ck_payment_allocations_amount_sen CHECK (amount_sen > 0),
    CONSTRAINT fk_payment_allocations_invoice FOREIGN KEY(operator_id, invoice_id) REFERENCES invoices (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_payment_allocations_payment FOREIGN KEY(operator_id, payment_id) REFERENCES payments (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_payment_allocations_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_payment_allocations_payment_id_invoice_id UNIQUE (payment_id, invoice_id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_payment_allocations_operator_id_invoice_id ON payment_allocations (operator_id, invoice_id);

CREATE INDEX ix_payment_allocations_operator_id_payment_id ON payment_allocations (operator_id, payment_id);

CREATE TABLE payment_slips (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    telegram_file_id VARCHAR(255) NOT NULL,
    file_kind VARCHAR(10) NOT NULL,
    caption VARCHAR(1000) NOT NULL DEFAULT '',
    status VARCHAR(10) NOT NULL DEFAULT 'pending',
    payment_id BIGINT,
    created_at DATETIME(6) NOT NULL,
    decided_at DATETIME(6),
    PRIMARY KEY (id),
    CONSTRAINT ck_payment_slips_file_kind CHECK (file_kind IN ('photo', 'document')),
    CONSTRAINT ck_payment_slips_status CHECK (status IN ('pending', 'recorded', 'dismissed')),
    CONSTRAINT fk_payment_slips_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_payment_slips_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT fk_payment_slips_payment_id FOREIGN KEY(payment_id) REFERENCES payments (id) ON DELETE SET NULL
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_payment_slips_operator_id_status ON payment_slips (operator_id, status);

CREATE TABLE reminder_log (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    stage SMALLINT NOT NULL,
    sent_on DATE NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_reminder_log_invoice FOREIGN KEY(operator_id, invoice_id) REFERENCES invoices (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_reminder_log_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_reminder_log_invoice_id_stage UNIQUE (invoice_id, stage)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_reminder_log_operator_id_invoice_id ON reminder_log (operator_id, invoice_id);

INSERT INTO alembic_version (version_num) VALUES ('0001');

-- Running upgrade 0001 -> 0002

CREATE TABLE receipt_counters (
    operator_id BIGINT NOT NULL,
    year SMALLINT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (operator_id, year),
    CONSTRAINT fk_receipt_counters_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

ALTER TABLE payments ADD COLUMN receipt_number VARCHAR(32);

ALTER TABLE payments MODIFY receipt_number VARCHAR(32) NOT NULL;

ALTER TABLE payments ADD CONSTRAINT uq_payments_operator_id_receipt_number UNIQUE (operator_id, receipt_number);

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';

-- Running upgrade 0002 -> 0003

CREATE TABLE audit_log (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    customer_id BIGINT,
    at DATETIME(6) NOT NULL,
    actor_kind VARCHAR(10) NOT NULL,
    actor_user_id BIGINT,
    action VARCHAR(40) NOT NULL,
    entity VARCHAR(20) NOT NULL,
    entity_id BIGINT,
    `before` TEXT,
    after TEXT,
    reason VARCHAR(500) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    CONSTRAINT ck_audit_log_actor_kind CHECK (actor_kind IN ('operator', 'parent', 'system')),
    CONSTRAINT fk_audit_log_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_audit_log_operator_id_customer_id_id ON audit_log (operator_id, customer_id, id);

CREATE INDEX ix_audit_log_operator_id_at ON audit_log (operator_id, at);

CREATE TRIGGER trg_audit_log_append_only BEFORE UPDATE ON audit_log FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit_log is append-only';

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';

-- Running upgrade 0003 -> 0009

ALTER TABLE operators ADD COLUMN language VARCHAR(10);

ALTER TABLE operators ADD CONSTRAINT ck_operators_language CHECK (language IN ('en', 'ms', 'zh_Hans'));

ALTER TABLE customers ADD COLUMN language VARCHAR(10);

ALTER TABLE customers ADD CONSTRAINT ck_customers_language CHECK (language IN ('en', 'ms', 'zh_Hans'));

UPDATE alembic_version SET version_num='0009' WHERE alembic_version.version_num = '0003';

-- Running upgrade 0009 -> 0006

CREATE TABLE send_budgets (
    bot_id BIGINT NOT NULL,
    turns BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (bot_id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE TABLE send_turns (
    id BIGINT NOT NULL AUTO_INCREMENT,
    bot_id BIGINT NOT NULL,
    started_us BIGINT NOT NULL,
    answered_us BIGINT,
    PRIMARY KEY (id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_send_turns_bot_id_answered_us ON send_turns (bot_id, answered_us, started_us);

ALTER TABLE invoices ADD COLUMN closed_on DATE;

CREATE INDEX ix_invoices_operator_id_closed_on ON invoices (operator_id, closed_on, status, issue_date, due_date, total_sen);

CREATE INDEX ix_invoices_operator_id_status_customer_id ON invoices (operator_id, status, customer_id, due_date, total_sen, paid_sen);

CREATE INDEX ix_payments_operator_id_paid_on_amount ON payments (operator_id, paid_on, voided, amount_sen);

CREATE INDEX ix_payment_allocations_invoice_amount ON payment_allocations (operator_id, invoice_id, payment_id, amount_sen);

ALTER TABLE customers ADD COLUMN credit_sen BIGINT NOT NULL DEFAULT 0;

UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0009';

-- Running upgrade 0006 -> 0004

ALTER TABLE deliveries DROP CONSTRAINT ck_deliveries_kind;

ALTER TABLE deliveries MODIFY customer_id BIGINT NULL;

ALTER TABLE deliveries ADD CONSTRAINT ck_deliveries_kind CHECK (kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice', 'operator_notice'));

ALTER TABLE deliveries ADD CONSTRAINT ck_deliveries_recipient CHECK ((kind = 'operator_notice' AND customer_id IS NULL) OR (kind <> 'operator_notice' AND customer_id IS NOT NULL));

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0006';

-- Running upgrade 0004 -> 0005

ALTER TABLE operators ADD COLUMN account_holder VARCHAR(200) NOT NULL DEFAULT '';

ALTER TABLE operators ADD COLUMN ssm_number VARCHAR(30) NOT NULL DEFAULT '';

ALTER TABLE operators ADD COLUMN digest_hour SMALLINT;

ALTER TABLE operators ADD COLUMN setup_step VARCHAR(20) NOT NULL DEFAULT '';

ALTER TABLE operators ADD CONSTRAINT ck_operators_digest_hour CHECK (digest_hour IS NULL OR digest_hour BETWEEN 0 AND 23);

CREATE TABLE family_imports (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    file_sha256 CHAR(64) NOT NULL,
    filename VARCHAR(200) NOT NULL DEFAULT '',
    families INTEGER NOT NULL,
    children INTEGER NOT NULL,
    created_at DATETIME(6) NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT fk_family_imports_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_family_imports_operator_id_file UNIQUE (operator_id, file_sha256)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004';

-- Running upgrade 0005 -> 0007

ALTER TABLE operators ADD COLUMN late_fee_kind VARCHAR(10) NOT NULL DEFAULT 'none';

ALTER TABLE operators ADD COLUMN late_fee_sen BIGINT NOT NULL DEFAULT 0;

ALTER TABLE operators ADD COLUMN late_fee_bp INTEGER NOT NULL DEFAULT 0;

ALTER TABLE operators ADD COLUMN late_fee_days SMALLINT NOT NULL DEFAULT 7;

ALTER TABLE operators ADD CONSTRAINT ck_operators_late_fee CHECK (late_fee_kind IN ('none', 'fixed', 'percent') AND late_fee_sen >= 0 AND late_fee_bp BETWEEN 0 AND 10000 AND late_fee_days BETWEEN 1 AND 365);

ALTER TABLE enrollments ADD COLUMN joined_on DATE;

ALTER TABLE enrollments ADD COLUMN join_billing VARCHAR(12);

ALTER TABLE enrollments ADD COLUMN left_on DATE;

ALTER TABLE enrollments ADD COLUMN leave_billing VARCHAR(12);

ALTER TABLE enrollments ADD CONSTRAINT ck_enrollments_part_months CHECK ((join_billing IS NULL OR join_billing IN ('full', 'half', 'none', 'days', 'school_days')) AND (leave_billing IS NULL OR leave_billing IN ('full', 'half', 'none', 'days', 'school_days')));

ALTER TABLE payments DROP CONSTRAINT ck_payments_method;

ALTER TABLE payments ADD CONSTRAINT ck_payments_method CHECK (method IN ('cash', 'bank_transfer', 'duitnow', 'cheque', 'other', 'credit'));

CREATE TABLE credit_note_counters (
    operator_id BIGINT NOT NULL,
    year SMALLINT NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (operator_id, year),
    CONSTRAINT fk_credit_note_counters_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE TABLE adjustments (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    customer_id BIGINT NOT NULL,
    kind VARCHAR(10) NOT NULL,
    description VARCHAR(300) NOT NULL,
    amount_sen BIGINT NOT NULL,
    timing VARCHAR(10) NOT NULL,
    invoice_id BIGINT,
    payment_id BIGINT,
    created_at DATETIME(6) NOT NULL,
    applied_at DATETIME(6),
    PRIMARY KEY (id),
    CONSTRAINT ck_adjustments_amount_sen CHECK (amount_sen > 0),
    CONSTRAINT ck_adjustments_kind CHECK (kind IN ('charge', 'credit')),
    CONSTRAINT ck_adjustments_timing CHECK (timing IN ('next', 'now')),
    CONSTRAINT fk_adjustments_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_adjustments_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_adjustments_operator_id_id UNIQUE (operator_id, id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_adjustments_operator_id_customer_id ON adjustments (operator_id, customer_id);

CREATE TABLE late_fees (
    id BIGINT NOT NULL AUTO_INCREMENT,
    operator_id BIGINT NOT NULL,
    invoice_id BIGINT NOT NULL,
    item_id BIGINT,
    amount_sen BIGINT NOT NULL,
    added_on DATE NOT NULL,
    created_at DATETIME(6) NOT NULL,
    waived_at DATETIME(6),
    PRIMARY KEY (id),
    CONSTRAINT ck_late_fees_amount_sen CHECK (amount_sen > 0),
    CONSTRAINT fk_late_fees_invoice FOREIGN KEY(operator_id, invoice_id) REFERENCES invoices (operator_id, id) ON DELETE CASCADE,
    CONSTRAINT fk_late_fees_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE,
    CONSTRAINT uq_late_fees_invoice_id UNIQUE (invoice_id)
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

CREATE INDEX ix_late_fees_operator_id_invoice_id ON late_fees (operator_id, invoice_id);

UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0005';

-- Running upgrade 0007 -> 0008

ALTER TABLE invoices ADD COLUMN live_period DATE;

ALTER TABLE invoices DROP INDEX uq_invoices_customer_id_period;

ALTER TABLE invoices ADD CONSTRAINT uq_invoices_customer_id_live_period UNIQUE (customer_id, live_period);

ALTER TABLE invoices ADD CONSTRAINT ck_invoices_live_period CHECK ((status = 'void' AND live_period IS NULL) OR (status <> 'void' AND ((period IS NULL AND live_period IS NULL) OR (period IS NOT NULL AND live_period IS NOT NULL AND live_period = period))));

ALTER TABLE payments ADD COLUMN void_reason VARCHAR(200) NOT NULL DEFAULT '';

ALTER TABLE deliveries DROP CONSTRAINT ck_deliveries_kind;

ALTER TABLE deliveries ADD CONSTRAINT ck_deliveries_kind CHECK (kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice', 'operator_notice', 'void_invoice', 'void_receipt'));

UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0007';

-- Running upgrade 0008 -> 0010

ALTER TABLE invoice_items ADD COLUMN period DATE;

ALTER TABLE invoice_items ADD COLUMN route_name VARCHAR(100);

ALTER TABLE invoice_items ADD COLUMN part_from DATE;

ALTER TABLE invoice_items ADD COLUMN part_to DATE;

ALTER TABLE invoice_items ADD COLUMN part_rule VARCHAR(20);

ALTER TABLE invoice_items ADD CONSTRAINT ck_invoice_items_part_rule CHECK (part_rule IS NULL OR part_rule IN ('full', 'half', 'none', 'days', 'school_days'));

UPDATE alembic_version SET version_num='0010' WHERE alembic_version.version_num = '0008';

-- Running upgrade 0010 -> 0012

CREATE TABLE summary_months (
    operator_id BIGINT NOT NULL,
    month DATE NOT NULL,
    invoiced_sen BIGINT NOT NULL DEFAULT 0,
    settled_sen BIGINT NOT NULL DEFAULT 0,
    own_settled_sen BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (operator_id, month),
    CONSTRAINT fk_summary_months_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
)CHARSET=utf8mb4 ENGINE=InnoDB COLLATE utf8mb4_unicode_ci;

ALTER TABLE customers ADD COLUMN owed_sen BIGINT NOT NULL DEFAULT 0;

CREATE INDEX ix_customers_operator_id_owed_sen ON customers (operator_id, owed_sen);

CREATE INDEX ix_payments_operator_id_paid_on_money ON payments (operator_id, paid_on, voided, method, amount_sen);

DROP INDEX ix_payments_operator_id_paid_on_amount ON payments;

DROP INDEX ix_payments_operator_id_paid_on ON payments;

CREATE TRIGGER trg_invoices_summary_insert AFTER INSERT ON invoices FOR EACH ROW INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen, own_settled_sen) SELECT o, m, inv, st, own FROM (SELECT NEW.operator_id AS o, (NEW.issue_date - INTERVAL (DAYOFMONTH(NEW.issue_date) - 1) DAY) AS m, (CASE WHEN NEW.status <> 'void' AND 1 = 1 THEN NEW.total_sen ELSE 0 END) AS inv, 0 AS st, 0 AS own) AS d WHERE inv <> 0 OR st <> 0 OR own <> 0 ON DUPLICATE KEY UPDATE invoiced_sen = invoiced_sen + VALUES(invoiced_sen), settled_sen = settled_sen + VALUES(settled_sen), own_settled_sen = own_settled_sen + VALUES(own_settled_sen);

CREATE TRIGGER trg_invoices_summary_update AFTER UPDATE ON invoices FOR EACH ROW INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen, own_settled_sen) SELECT o, m, inv, st, own FROM (SELECT OLD.operator_id AS o, (OLD.issue_date - INTERVAL (DAYOFMONTH(OLD.issue_date) - 1) DAY) AS m, -(CASE WHEN OLD.status <> 'void' AND (OLD.total_sen <> NEW.total_sen OR OLD.issue_date <> NEW.issue_date OR (OLD.status = 'void') <> (NEW.status = 'void')) THEN OLD.total_sen ELSE 0 END) AS inv, 0 AS st, 0 AS own UNION ALL SELECT NEW.operator_id AS o, (NEW.issue_date - INTERVAL (DAYOFMONTH(NEW.issue_date) - 1) DAY) AS m, (CASE WHEN NEW.status <> 'void' AND (OLD.total_sen <> NEW.total_sen OR OLD.issue_date <> NEW.issue_date OR (OLD.status = 'void') <> (NEW.status = 'void')) THEN NEW.total_sen ELSE 0 END) AS inv, 0 AS st, 0 AS own UNION ALL SELECT a.operator_id AS o, GREATEST((OLD.issue_date - INTERVAL (DAYOFMONTH(OLD.issue_date) - 1) DAY), (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY)) AS m, 0 AS inv, -a.amount_sen AS st, 0 AS own FROM payment_allocations a, payments p WHERE a.operator_id = OLD.operator_id AND a.invoice_id = OLD.id AND p.operator_id = a.operator_id AND p.id = a.payment_id AND OLD.issue_date <> NEW.issue_date UNION ALL SELECT a.operator_id, (OLD.issue_date - INTERVAL (DAYOFMONTH(OLD.issue_date) - 1) DAY), 0, 0, CASE WHEN (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY) <= (OLD.issue_date - INTERVAL (DAYOFMONTH(OLD.issue_date) - 1) DAY) THEN -a.amount_sen ELSE 0 END FROM payment_allocations a, payments p WHERE a.operator_id = OLD.operator_id AND a.invoice_id = OLD.id AND p.operator_id = a.operator_id AND p.id = a.payment_id AND OLD.issue_date <> NEW.issue_date UNION ALL SELECT a.operator_id AS o, GREATEST((NEW.issue_date - INTERVAL (DAYOFMONTH(NEW.issue_date) - 1) DAY), (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY)) AS m, 0 AS inv, a.amount_sen AS st, 0 AS own FROM payment_allocations a, payments p WHERE a.operator_id = NEW.operator_id AND a.invoice_id = NEW.id AND p.operator_id = a.operator_id AND p.id = a.payment_id AND OLD.issue_date <> NEW.issue_date UNION ALL SELECT a.operator_id, (NEW.issue_date - INTERVAL (DAYOFMONTH(NEW.issue_date) - 1) DAY), 0, 0, CASE WHEN (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY) <= (NEW.issue_date - INTERVAL (DAYOFMONTH(NEW.issue_date) - 1) DAY) THEN a.amount_sen ELSE 0 END FROM payment_allocations a, payments p WHERE a.operator_id = NEW.operator_id AND a.invoice_id = NEW.id AND p.operator_id = a.operator_id AND p.id = a.payment_id AND OLD.issue_date <> NEW.issue_date) AS d WHERE inv <> 0 OR st <> 0 OR own <> 0 ON DUPLICATE KEY UPDATE invoiced_sen = invoiced_sen + VALUES(invoiced_sen), settled_sen = settled_sen + VALUES(settled_sen), own_settled_sen = own_settled_sen + VALUES(own_settled_sen);

CREATE TRIGGER trg_invoices_summary_delete AFTER DELETE ON invoices FOR EACH ROW INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen, own_settled_sen) SELECT o, m, inv, st, own FROM (SELECT OLD.operator_id AS o, (OLD.issue_date - INTERVAL (DAYOFMONTH(OLD.issue_date) - 1) DAY) AS m, -(CASE WHEN OLD.status <> 'void' AND 1 = 1 THEN OLD.total_sen ELSE 0 END) AS inv, 0 AS st, 0 AS own) AS d WHERE inv <> 0 OR st <> 0 OR own <> 0 ON DUPLICATE KEY UPDATE invoiced_sen = invoiced_sen + VALUES(invoiced_sen), settled_sen = settled_sen + VALUES(settled_sen), own_settled_sen = own_settled_sen + VALUES(own_settled_sen);

CREATE TRIGGER trg_invoices_owed_insert AFTER INSERT ON invoices FOR EACH ROW UPDATE customers SET owed_sen = owed_sen + ((CASE WHEN NEW.status IN ('open', 'partial') THEN NEW.total_sen - NEW.paid_sen ELSE 0 END)) WHERE operator_id = NEW.operator_id AND id = NEW.customer_id AND ((CASE WHEN NEW.status IN ('open', 'partial') THEN NEW.total_sen - NEW.paid_sen ELSE 0 END)) <> 0;

CREATE TRIGGER trg_invoices_owed_update AFTER UPDATE ON invoices FOR EACH ROW UPDATE customers SET owed_sen = owed_sen + ((CASE WHEN NEW.status IN ('open', 'partial') THEN NEW.total_sen - NEW.paid_sen ELSE 0 END) - (CASE WHEN OLD.status IN ('open', 'partial') THEN OLD.total_sen - OLD.paid_sen ELSE 0 END)) WHERE operator_id = NEW.operator_id AND id = NEW.customer_id AND ((CASE WHEN NEW.status IN ('open', 'partial') THEN NEW.total_sen - NEW.paid_sen ELSE 0 END) - (CASE WHEN OLD.status IN ('open', 'partial') THEN OLD.total_sen - OLD.paid_sen ELSE 0 END)) <> 0;

CREATE TRIGGER trg_invoices_owed_delete AFTER DELETE ON invoices FOR EACH ROW UPDATE customers SET owed_sen = owed_sen + (-(CASE WHEN OLD.status IN ('open', 'partial') THEN OLD.total_sen - OLD.paid_sen ELSE 0 END)) WHERE operator_id = OLD.operator_id AND id = OLD.customer_id AND (-(CASE WHEN OLD.status IN ('open', 'partial') THEN OLD.total_sen - OLD.paid_sen ELSE 0 END)) <> 0;

CREATE TRIGGER trg_allocations_summary_insert AFTER INSERT ON payment_allocations FOR EACH ROW INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen, own_settled_sen) SELECT o, m, inv, st, own FROM (SELECT NEW.operator_id AS o, GREATEST((i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY)) AS m, 0 AS inv, NEW.amount_sen AS st, 0 AS own FROM invoices i, payments p WHERE i.operator_id = NEW.operator_id AND i.id = NEW.invoice_id AND p.operator_id = NEW.operator_id AND p.id = NEW.payment_id UNION ALL SELECT NEW.operator_id, (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), 0, 0, CASE WHEN (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY) <= (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY) THEN NEW.amount_sen ELSE 0 END FROM invoices i, payments p WHERE i.operator_id = NEW.operator_id AND i.id = NEW.invoice_id AND p.operator_id = NEW.operator_id AND p.id = NEW.payment_id) AS d WHERE inv <> 0 OR st <> 0 OR own <> 0 ON DUPLICATE KEY UPDATE invoiced_sen = invoiced_sen + VALUES(invoiced_sen), settled_sen = settled_sen + VALUES(settled_sen), own_settled_sen = own_settled_sen + VALUES(own_settled_sen);

CREATE TRIGGER trg_allocations_summary_update AFTER UPDATE ON payment_allocations FOR EACH ROW INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen, own_settled_sen) SELECT o, m, inv, st, own FROM (SELECT OLD.operator_id AS o, GREATEST((i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY)) AS m, 0 AS inv, -OLD.amount_sen AS st, 0 AS own FROM invoices i, payments p WHERE i.operator_id = OLD.operator_id AND i.id = OLD.invoice_id AND p.operator_id = OLD.operator_id AND p.id = OLD.payment_id UNION ALL SELECT OLD.operator_id, (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), 0, 0, CASE WHEN (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY) <= (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY) THEN -OLD.amount_sen ELSE 0 END FROM invoices i, payments p WHERE i.operator_id = OLD.operator_id AND i.id = OLD.invoice_id AND p.operator_id = OLD.operator_id AND p.id = OLD.payment_id UNION ALL SELECT NEW.operator_id AS o, GREATEST((i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY)) AS m, 0 AS inv, NEW.amount_sen AS st, 0 AS own FROM invoices i, payments p WHERE i.operator_id = NEW.operator_id AND i.id = NEW.invoice_id AND p.operator_id = NEW.operator_id AND p.id = NEW.payment_id UNION ALL SELECT NEW.operator_id, (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), 0, 0, CASE WHEN (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY) <= (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY) THEN NEW.amount_sen ELSE 0 END FROM invoices i, payments p WHERE i.operator_id = NEW.operator_id AND i.id = NEW.invoice_id AND p.operator_id = NEW.operator_id AND p.id = NEW.payment_id) AS d WHERE inv <> 0 OR st <> 0 OR own <> 0 ON DUPLICATE KEY UPDATE invoiced_sen = invoiced_sen + VALUES(invoiced_sen), settled_sen = settled_sen + VALUES(settled_sen), own_settled_sen = own_settled_sen + VALUES(own_settled_sen);

CREATE TRIGGER trg_allocations_summary_delete AFTER DELETE ON payment_allocations FOR EACH ROW INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen, own_settled_sen) SELECT o, m, inv, st, own FROM (SELECT OLD.operator_id AS o, GREATEST((i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY)) AS m, 0 AS inv, -OLD.amount_sen AS st, 0 AS own FROM invoices i, payments p WHERE i.operator_id = OLD.operator_id AND i.id = OLD.invoice_id AND p.operator_id = OLD.operator_id AND p.id = OLD.payment_id UNION ALL SELECT OLD.operator_id, (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), 0, 0, CASE WHEN (p.paid_on - INTERVAL (DAYOFMONTH(p.paid_on) - 1) DAY) <= (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY) THEN -OLD.amount_sen ELSE 0 END FROM invoices i, payments p WHERE i.operator_id = OLD.operator_id AND i.id = OLD.invoice_id AND p.operator_id = OLD.operator_id AND p.id = OLD.payment_id) AS d WHERE inv <> 0 OR st <> 0 OR own <> 0 ON DUPLICATE KEY UPDATE invoiced_sen = invoiced_sen + VALUES(invoiced_sen), settled_sen = settled_sen + VALUES(settled_sen), own_settled_sen = own_settled_sen + VALUES(own_settled_sen);

CREATE TRIGGER trg_payments_summary_update AFTER UPDATE ON payments FOR EACH ROW INSERT INTO summary_months (operator_id, month, invoiced_sen, settled_sen, own_settled_sen) SELECT o, m, inv, st, own FROM (SELECT a.operator_id AS o, GREATEST((i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), (OLD.paid_on - INTERVAL (DAYOFMONTH(OLD.paid_on) - 1) DAY)) AS m, 0 AS inv, -a.amount_sen AS st, 0 AS own FROM payment_allocations a, invoices i WHERE a.operator_id = OLD.operator_id AND a.payment_id = OLD.id AND i.operator_id = a.operator_id AND i.id = a.invoice_id AND OLD.paid_on <> NEW.paid_on UNION ALL SELECT a.operator_id, (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), 0, 0, CASE WHEN (OLD.paid_on - INTERVAL (DAYOFMONTH(OLD.paid_on) - 1) DAY) <= (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY) THEN -a.amount_sen ELSE 0 END FROM payment_allocations a, invoices i WHERE a.operator_id = OLD.operator_id AND a.payment_id = OLD.id AND i.operator_id = a.operator_id AND i.id = a.invoice_id AND OLD.paid_on <> NEW.paid_on UNION ALL SELECT a.operator_id AS o, GREATEST((i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), (NEW.paid_on - INTERVAL (DAYOFMONTH(NEW.paid_on) - 1) DAY)) AS m, 0 AS inv, a.amount_sen AS st, 0 AS own FROM payment_allocations a, invoices i WHERE a.operator_id = NEW.operator_id AND a.payment_id = NEW.id AND i.operator_id = a.operator_id AND i.id = a.invoice_id AND OLD.paid_on <> NEW.paid_on UNION ALL SELECT a.operator_id, (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY), 0, 0, CASE WHEN (NEW.paid_on - INTERVAL (DAYOFMONTH(NEW.paid_on) - 1) DAY) <= (i.issue_date - INTERVAL (DAYOFMONTH(i.issue_date) - 1) DAY) THEN a.amount_sen ELSE 0 END FROM payment_allocations a, invoices i WHERE a.operator_id = NEW.operator_id AND a.payment_id = NEW.id AND i.operator_id = a.operator_id AND i.id = a.invoice_id AND OLD.paid_on <> NEW.paid_on) AS d WHERE inv <> 0 OR st <> 0 OR own <> 0 ON DUPLICATE KEY UPDATE invoiced_sen = invoiced_sen + VALUES(invoiced_sen), settled_sen = settled_sen + VALUES(settled_sen), own_settled_sen = own_settled_sen + VALUES(own_settled_sen);

UPDATE alembic_version SET version_num='0012' WHERE alembic_version.version_num = '0010';

-- Running upgrade 0012 -> 0013

UPDATE alembic_version SET version_num='0013' WHERE alembic_version.version_num = '0012';
