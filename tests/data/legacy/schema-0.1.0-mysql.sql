-- VanBill schema for MySQL 8 / MariaDB 10.6+ (InnoDB, utf8mb4).
--
-- Money is integer sen (BIGINT), as Stripe stores minor units: SUMs stay exact on every engine.
-- Timestamps (*_at) are UTC. Billing dates (issue/due/paid-on) are local dates in the operator's
-- time zone; months (period, start_month, ...) are stored as the first day of that month.
-- Every business table carries operator_id; child rows reference their parent through
-- (operator_id, parent_id) so the database itself refuses a row that mixes two operators.
--
-- services/models.py mirrors this file; tests/data/test_schema_drift.py fails when they differ.
-- Every statement is idempotent (CREATE ... IF NOT EXISTS) so `vanbill initdb` can run again.

CREATE TABLE IF NOT EXISTS operators (
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
  logo MEDIUMBLOB NULL,
  timezone VARCHAR(64) NOT NULL DEFAULT 'Asia/Kuala_Lumpur',
  currency CHAR(3) NOT NULL DEFAULT 'MYR',
  invoice_prefix VARCHAR(10) NOT NULL DEFAULT 'INV',
  due_day SMALLINT NOT NULL DEFAULT 7,
  billing_day SMALLINT NOT NULL DEFAULT 1,
  billing_hour SMALLINT NOT NULL DEFAULT 8,
  reminder_hour SMALLINT NOT NULL DEFAULT 9,
  reminder_offsets VARCHAR(100) NOT NULL DEFAULT '-3,0,3,7,14',
  reminders_enabled BOOLEAN NOT NULL DEFAULT 1,
  sibling_discount_bp INTEGER NOT NULL DEFAULT 0,
  approval_required BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_operators_telegram_user_id UNIQUE (telegram_user_id),
  CONSTRAINT ck_operators_due_day CHECK (due_day BETWEEN 1 AND 28),
  CONSTRAINT ck_operators_billing_day CHECK (billing_day BETWEEN 1 AND 28),
  CONSTRAINT ck_operators_billing_hour CHECK (billing_hour BETWEEN 0 AND 23),
  CONSTRAINT ck_operators_reminder_hour CHECK (reminder_hour BETWEEN 8 AND 20),
  CONSTRAINT ck_operators_sibling_discount_bp CHECK (sibling_discount_bp BETWEEN 0 AND 10000)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Parents. phone is E.164 (+60123456789); telegram ids are set once the parent links;
-- telegram_blocked_at is set when Telegram says the parent blocked the bot (403).
CREATE TABLE IF NOT EXISTS customers (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  name VARCHAR(200) NOT NULL,
  phone VARCHAR(20) NULL,
  telegram_user_id BIGINT NULL,
  telegram_chat_id BIGINT NULL,
  telegram_blocked_at DATETIME(6) NULL,
  notes VARCHAR(1000) NOT NULL DEFAULT '',
  archived BOOLEAN NOT NULL DEFAULT 0,
  reminders_paused BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_customers_operator_id_id UNIQUE (operator_id, id),
  INDEX ix_customers_operator_id_name (operator_id, name),
  INDEX ix_customers_operator_id_phone (operator_id, phone),
  INDEX ix_customers_telegram_user_id (telegram_user_id),
  CONSTRAINT fk_customers_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS children (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  name VARCHAR(200) NOT NULL,
  category VARCHAR(20) NOT NULL DEFAULT 'primary',
  birth_year SMALLINT NULL,
  school VARCHAR(200) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_children_operator_id_id UNIQUE (operator_id, id),
  INDEX ix_children_operator_id_customer_id (operator_id, customer_id),
  CONSTRAINT ck_children_category
    CHECK (category IN ('kindergarten', 'primary', 'secondary', 'other')),
  CONSTRAINT fk_children_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_children_customer FOREIGN KEY (operator_id, customer_id)
    REFERENCES customers (operator_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Routes and plans. monthly_fee_sen is the fee from the start; service_fees holds later changes.
CREATE TABLE IF NOT EXISTS services (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  name VARCHAR(100) NOT NULL,
  description VARCHAR(500) NOT NULL DEFAULT '',
  monthly_fee_sen BIGINT NOT NULL,
  active BOOLEAN NOT NULL DEFAULT 1,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_services_operator_id_id UNIQUE (operator_id, id),
  CONSTRAINT uq_services_operator_id_name UNIQUE (operator_id, name),
  CONSTRAINT ck_services_monthly_fee_sen CHECK (monthly_fee_sen >= 0),
  CONSTRAINT fk_services_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A fee change takes effect from a month on, without rewriting earlier invoices.
CREATE TABLE IF NOT EXISTS service_fees (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  service_id BIGINT NOT NULL,
  effective_from DATE NOT NULL,
  fee_sen BIGINT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_service_fees_service_id_effective_from UNIQUE (service_id, effective_from),
  INDEX ix_service_fees_operator_id_service_id (operator_id, service_id),
  CONSTRAINT ck_service_fees_fee_sen CHECK (fee_sen >= 0),
  CONSTRAINT fk_service_fees_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_service_fees_service FOREIGN KEY (operator_id, service_id)
    REFERENCES services (operator_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A child takes a route from start_month to end_month (inclusive; NULL = open-ended).
CREATE TABLE IF NOT EXISTS enrollments (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  child_id BIGINT NOT NULL,
  service_id BIGINT NOT NULL,
  start_month DATE NOT NULL,
  end_month DATE NULL,
  fee_override_sen BIGINT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_enrollments_child_id_service_id_start_month
    UNIQUE (child_id, service_id, start_month),
  INDEX ix_enrollments_operator_id_start_month (operator_id, start_month),
  INDEX ix_enrollments_operator_id_child_id (operator_id, child_id),
  INDEX ix_enrollments_operator_id_service_id (operator_id, service_id),
  CONSTRAINT ck_enrollments_fee_override_sen
    CHECK (fee_override_sen IS NULL OR fee_override_sen >= 0),
  CONSTRAINT ck_enrollments_months CHECK (end_month IS NULL OR end_month >= start_month),
  CONSTRAINT fk_enrollments_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_enrollments_child FOREIGN KEY (operator_id, child_id)
    REFERENCES children (operator_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_enrollments_service FOREIGN KEY (operator_id, service_id)
    REFERENCES services (operator_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Months with no service (school holidays): nothing is generated for them.
CREATE TABLE IF NOT EXISTS holiday_months (
  operator_id BIGINT NOT NULL,
  month DATE NOT NULL,
  note VARCHAR(200) NOT NULL DEFAULT '',
  PRIMARY KEY (operator_id, month),
  CONSTRAINT fk_holiday_months_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Gap-free invoice numbering: the row is locked while a number is taken.
CREATE TABLE IF NOT EXISTS invoice_counters (
  operator_id BIGINT NOT NULL,
  year SMALLINT NOT NULL,
  last_seq INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (operator_id, year),
  CONSTRAINT fk_invoice_counters_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- status is stored for indexed queries and recomputed from allocations on every change;
-- overdue is derived (due_date past, balance left) and never stored. A void invoice keeps its row.
CREATE TABLE IF NOT EXISTS invoices (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  number VARCHAR(32) NOT NULL,
  kind VARCHAR(10) NOT NULL DEFAULT 'adhoc',
  period DATE NULL,
  issue_date DATE NOT NULL,
  due_date DATE NOT NULL,
  description VARCHAR(500) NOT NULL DEFAULT '',
  subtotal_sen BIGINT NOT NULL,
  discount_sen BIGINT NOT NULL DEFAULT 0,
  total_sen BIGINT NOT NULL,
  paid_sen BIGINT NOT NULL DEFAULT 0,
  status VARCHAR(10) NOT NULL DEFAULT 'open',
  created_at DATETIME(6) NOT NULL,
  voided_at DATETIME(6) NULL,
  void_reason VARCHAR(200) NOT NULL DEFAULT '',
  PRIMARY KEY (id),
  CONSTRAINT uq_invoices_operator_id_id UNIQUE (operator_id, id),
  CONSTRAINT uq_invoices_operator_id_number UNIQUE (operator_id, number),
  CONSTRAINT uq_invoices_customer_id_period UNIQUE (customer_id, period),
  INDEX ix_invoices_operator_id_status (operator_id, status),
  INDEX ix_invoices_operator_id_period (operator_id, period),
  INDEX ix_invoices_operator_id_due_date (operator_id, due_date),
  INDEX ix_invoices_operator_id_customer_id (operator_id, customer_id),
  CONSTRAINT ck_invoices_kind CHECK (kind IN ('monthly', 'adhoc')),
  CONSTRAINT ck_invoices_status CHECK (status IN ('draft', 'open', 'partial', 'paid', 'void')),
  CONSTRAINT ck_invoices_amounts CHECK (
    subtotal_sen >= 0 AND discount_sen >= 0 AND discount_sen <= subtotal_sen
    AND total_sen = subtotal_sen - discount_sen AND paid_sen >= 0 AND paid_sen <= total_sen),
  CONSTRAINT fk_invoices_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_invoices_customer FOREIGN KEY (operator_id, customer_id)
    REFERENCES customers (operator_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE IF NOT EXISTS invoice_items (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  invoice_id BIGINT NOT NULL,
  position SMALLINT NOT NULL DEFAULT 0,
  description VARCHAR(300) NOT NULL,
  child_id BIGINT NULL,
  service_id BIGINT NULL,
  unit_price_sen BIGINT NOT NULL,
  quantity INTEGER NOT NULL DEFAULT 1,
  amount_sen BIGINT NOT NULL,
  PRIMARY KEY (id),
  INDEX ix_invoice_items_operator_id_invoice_id (operator_id, invoice_id),
  CONSTRAINT ck_invoice_items_quantity CHECK (quantity > 0),
  CONSTRAINT ck_invoice_items_amount CHECK (
    unit_price_sen >= 0 AND amount_sen = unit_price_sen * quantity),
  CONSTRAINT fk_invoice_items_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_invoice_items_invoice FOREIGN KEY (operator_id, invoice_id)
    REFERENCES invoices (operator_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_invoice_items_child_id FOREIGN KEY (child_id)
    REFERENCES children (id) ON DELETE SET NULL,
  CONSTRAINT fk_invoice_items_service_id FOREIGN KEY (service_id)
    REFERENCES services (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- recorded_by is the Telegram user id of whoever recorded it (the operator, or a parent's slip).
CREATE TABLE IF NOT EXISTS payments (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  amount_sen BIGINT NOT NULL,
  method VARCHAR(20) NOT NULL,
  reference VARCHAR(100) NOT NULL DEFAULT '',
  paid_on DATE NOT NULL,
  recorded_by BIGINT NULL,
  note VARCHAR(500) NOT NULL DEFAULT '',
  voided BOOLEAN NOT NULL DEFAULT 0,
  voided_at DATETIME(6) NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_payments_operator_id_id UNIQUE (operator_id, id),
  INDEX ix_payments_operator_id_paid_on (operator_id, paid_on),
  INDEX ix_payments_operator_id_customer_id (operator_id, customer_id),
  CONSTRAINT ck_payments_amount_sen CHECK (amount_sen > 0),
  CONSTRAINT ck_payments_method
    CHECK (method IN ('cash', 'bank_transfer', 'duitnow', 'cheque', 'other')),
  CONSTRAINT fk_payments_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_payments_customer FOREIGN KEY (operator_id, customer_id)
    REFERENCES customers (operator_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which part of a payment settles which invoice. A payment's unallocated rest is family credit;
-- from_credit marks money that was already credit when it was applied ("credit applied").
CREATE TABLE IF NOT EXISTS payment_allocations (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  payment_id BIGINT NOT NULL,
  invoice_id BIGINT NOT NULL,
  amount_sen BIGINT NOT NULL,
  from_credit BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_payment_allocations_payment_id_invoice_id UNIQUE (payment_id, invoice_id),
  INDEX ix_payment_allocations_operator_id_payment_id (operator_id, payment_id),
  INDEX ix_payment_allocations_operator_id_invoice_id (operator_id, invoice_id),
  CONSTRAINT ck_payment_allocations_amount_sen CHECK (amount_sen > 0),
  CONSTRAINT fk_payment_allocations_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_payment_allocations_payment FOREIGN KEY (operator_id, payment_id)
    REFERENCES payments (operator_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_payment_allocations_invoice FOREIGN KEY (operator_id, invoice_id)
    REFERENCES invoices (operator_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which reminder stage (days relative to the due date: -3, 0, 3, 7, 14) went out for an invoice.
-- The unique key makes "each stage at most once per invoice" a fact of the database.
CREATE TABLE IF NOT EXISTS reminder_log (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  invoice_id BIGINT NOT NULL,
  stage SMALLINT NOT NULL,
  sent_on DATE NOT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_reminder_log_invoice_id_stage UNIQUE (invoice_id, stage),
  INDEX ix_reminder_log_operator_id_invoice_id (operator_id, invoice_id),
  CONSTRAINT fk_reminder_log_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_reminder_log_invoice FOREIGN KEY (operator_id, invoice_id)
    REFERENCES invoices (operator_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One-time links: a parent's invite (customer_id set) or a second operator's (customer_id NULL).
-- Only a hash of the token is kept; the token itself lives only in the link.
CREATE TABLE IF NOT EXISTS link_tokens (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  customer_id BIGINT NULL,
  purpose VARCHAR(10) NOT NULL,
  token_hash CHAR(64) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  used_at DATETIME(6) NULL,
  used_by BIGINT NULL,
  created_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_link_tokens_token_hash UNIQUE (token_hash),
  INDEX ix_link_tokens_operator_id_customer_id (operator_id, customer_id),
  CONSTRAINT ck_link_tokens_purpose CHECK (purpose IN ('parent', 'operator')),
  CONSTRAINT fk_link_tokens_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_link_tokens_customer FOREIGN KEY (operator_id, customer_id)
    REFERENCES customers (operator_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A photo or PDF of a transfer slip a parent sent, waiting for the operator to act on it.
CREATE TABLE IF NOT EXISTS payment_slips (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  telegram_file_id VARCHAR(255) NOT NULL,
  file_kind VARCHAR(10) NOT NULL,
  caption VARCHAR(1000) NOT NULL DEFAULT '',
  status VARCHAR(10) NOT NULL DEFAULT 'pending',
  payment_id BIGINT NULL,
  created_at DATETIME(6) NOT NULL,
  decided_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  INDEX ix_payment_slips_operator_id_status (operator_id, status),
  CONSTRAINT ck_payment_slips_file_kind CHECK (file_kind IN ('photo', 'document')),
  CONSTRAINT ck_payment_slips_status CHECK (status IN ('pending', 'recorded', 'dismissed')),
  CONSTRAINT fk_payment_slips_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_payment_slips_customer FOREIGN KEY (operator_id, customer_id)
    REFERENCES customers (operator_id, id) ON DELETE CASCADE,
  CONSTRAINT fk_payment_slips_payment_id FOREIGN KEY (payment_id)
    REFERENCES payments (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per operator and period once a monthly run has started: the catch-up after downtime
-- and "never twice" are decided here, never from an in-memory job store.
CREATE TABLE IF NOT EXISTS monthly_runs (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  period DATE NOT NULL,
  status VARCHAR(20) NOT NULL,
  created_count INTEGER NOT NULL DEFAULT 0,
  total_sen BIGINT NOT NULL DEFAULT 0,
  report TEXT NULL,
  started_at DATETIME(6) NOT NULL,
  decided_at DATETIME(6) NULL,
  finished_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_monthly_runs_operator_id_period UNIQUE (operator_id, period),
  CONSTRAINT ck_monthly_runs_status CHECK (
    status IN ('generating', 'awaiting_approval', 'approved', 'held', 'delivering', 'done')),
  CONSTRAINT fk_monthly_runs_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The outbox: every message to a parent is first a row here, written in the same transaction as
-- what caused it; a sender claims due rows, sends them, records Telegram's ids.
CREATE TABLE IF NOT EXISTS deliveries (
  id BIGINT NOT NULL AUTO_INCREMENT,
  operator_id BIGINT NOT NULL,
  customer_id BIGINT NOT NULL,
  kind VARCHAR(20) NOT NULL,
  dedupe_key VARCHAR(100) NOT NULL,
  invoice_id BIGINT NULL,
  payment_id BIGINT NULL,
  body TEXT NULL,
  status VARCHAR(20) NOT NULL DEFAULT 'pending',
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at DATETIME(6) NOT NULL,
  claimed_by VARCHAR(64) NULL,
  claimed_at DATETIME(6) NULL,
  chat_id BIGINT NULL,
  telegram_message_id BIGINT NULL,
  file_id VARCHAR(255) NULL,
  last_error VARCHAR(500) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  sent_at DATETIME(6) NULL,
  PRIMARY KEY (id),
  CONSTRAINT uq_deliveries_operator_id_dedupe_key UNIQUE (operator_id, dedupe_key),
  INDEX ix_deliveries_status_next_attempt_at (status, next_attempt_at),
  INDEX ix_deliveries_operator_id_customer_id (operator_id, customer_id),
  INDEX ix_deliveries_operator_id_invoice_id (operator_id, invoice_id),
  CONSTRAINT ck_deliveries_kind
    CHECK (kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice')),
  CONSTRAINT ck_deliveries_status CHECK (
    status IN ('pending', 'waiting_link', 'sending', 'sent', 'skipped', 'failed',
      'undeliverable')),
  CONSTRAINT fk_deliveries_operator_id FOREIGN KEY (operator_id)
    REFERENCES operators (id) ON DELETE CASCADE,
  CONSTRAINT fk_deliveries_customer FOREIGN KEY (operator_id, customer_id)
    REFERENCES customers (operator_id, id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Conversation state and per-chat data of the bot (python-telegram-bot persistence), so a
-- restart mid-conversation resumes and two webhook instances share it. Keyed by Telegram ids,
-- not by operator: it holds where a chat is in a conversation, never business data.
CREATE TABLE IF NOT EXISTS bot_state (
  kind VARCHAR(20) NOT NULL,
  name VARCHAR(64) NOT NULL,
  state_key VARCHAR(100) NOT NULL,
  value TEXT NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (kind, name, state_key)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
