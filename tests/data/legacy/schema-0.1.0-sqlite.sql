-- The SQLite schema `vanbill initdb` made before migrations (0.1.0, models.create_all).
CREATE TABLE operators (
	id INTEGER NOT NULL, 
	telegram_user_id BIGINT NOT NULL, 
	business_name VARCHAR(200) DEFAULT '' NOT NULL, 
	address VARCHAR(500) DEFAULT '' NOT NULL, 
	phone VARCHAR(20) DEFAULT '' NOT NULL, 
	bank_name VARCHAR(100) DEFAULT '' NOT NULL, 
	bank_account VARCHAR(50) DEFAULT '' NOT NULL, 
	duitnow_id VARCHAR(50) DEFAULT '' NOT NULL, 
	payment_note VARCHAR(500) DEFAULT '' NOT NULL, 
	payment_qr_payload VARCHAR(500) DEFAULT '' NOT NULL, 
	logo BLOB, 
	timezone VARCHAR(64) DEFAULT 'Asia/Kuala_Lumpur' NOT NULL, 
	currency CHAR(3) DEFAULT 'MYR' NOT NULL, 
	invoice_prefix VARCHAR(10) DEFAULT 'INV' NOT NULL, 
	due_day SMALLINT DEFAULT 7 NOT NULL, 
	billing_day SMALLINT DEFAULT 1 NOT NULL, 
	billing_hour SMALLINT DEFAULT 8 NOT NULL, 
	reminder_hour SMALLINT DEFAULT 9 NOT NULL, 
	reminder_offsets VARCHAR(100) DEFAULT '-3,0,3,7,14' NOT NULL, 
	reminders_enabled BOOLEAN DEFAULT 1 NOT NULL, 
	sibling_discount_bp INTEGER DEFAULT 0 NOT NULL, 
	approval_required BOOLEAN DEFAULT 0 NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_operators_telegram_user_id UNIQUE (telegram_user_id), 
	CONSTRAINT ck_operators_due_day CHECK (due_day BETWEEN 1 AND 28), 
	CONSTRAINT ck_operators_billing_day CHECK (billing_day BETWEEN 1 AND 28), 
	CONSTRAINT ck_operators_billing_hour CHECK (billing_hour BETWEEN 0 AND 23), 
	CONSTRAINT ck_operators_reminder_hour CHECK (reminder_hour BETWEEN 8 AND 20), 
	CONSTRAINT ck_operators_sibling_discount_bp CHECK (sibling_discount_bp BETWEEN 0 AND 10000)
);

CREATE TABLE bot_state (
	kind VARCHAR(20) NOT NULL, 
	name VARCHAR(64) NOT NULL, 
	state_key VARCHAR(100) NOT NULL, 
	value TEXT NOT NULL, 
	updated_at DATETIME NOT NULL, 
	PRIMARY KEY (kind, name, state_key)
);

CREATE TABLE customers (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	phone VARCHAR(20), 
	telegram_user_id BIGINT, 
	telegram_chat_id BIGINT, 
	telegram_blocked_at DATETIME, 
	notes VARCHAR(1000) DEFAULT '' NOT NULL, 
	archived BOOLEAN DEFAULT 0 NOT NULL, 
	reminders_paused BOOLEAN DEFAULT 0 NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_customers_operator_id_id UNIQUE (operator_id, id), 
	CONSTRAINT fk_customers_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_customers_telegram_user_id ON customers (telegram_user_id);

CREATE INDEX ix_customers_operator_id_name ON customers (operator_id, name);

CREATE INDEX ix_customers_operator_id_phone ON customers (operator_id, phone);

CREATE TABLE services (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	description VARCHAR(500) DEFAULT '' NOT NULL, 
	monthly_fee_sen BIGINT NOT NULL, 
	active BOOLEAN DEFAULT 1 NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_services_operator_id_id UNIQUE (operator_id, id), 
	CONSTRAINT uq_services_operator_id_name UNIQUE (operator_id, name), 
	CONSTRAINT ck_services_monthly_fee_sen CHECK (monthly_fee_sen >= 0), 
	CONSTRAINT fk_services_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE TABLE holiday_months (
	operator_id BIGINT NOT NULL, 
	month DATE NOT NULL, 
	note VARCHAR(200) DEFAULT '' NOT NULL, 
	PRIMARY KEY (operator_id, month), 
	CONSTRAINT fk_holiday_months_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE TABLE invoice_counters (
	operator_id BIGINT NOT NULL, 
	year SMALLINT NOT NULL, 
	last_seq INTEGER DEFAULT 0 NOT NULL, 
	PRIMARY KEY (operator_id, year), 
	CONSTRAINT fk_invoice_counters_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE TABLE monthly_runs (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	period DATE NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	created_count INTEGER DEFAULT 0 NOT NULL, 
	total_sen BIGINT DEFAULT 0 NOT NULL, 
	report TEXT, 
	started_at DATETIME NOT NULL, 
	decided_at DATETIME, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_monthly_runs_operator_id_period UNIQUE (operator_id, period), 
	CONSTRAINT ck_monthly_runs_status CHECK (status IN ('generating', 'awaiting_approval', 'approved', 'held', 'delivering', 'done')), 
	CONSTRAINT fk_monthly_runs_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE TABLE children (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	customer_id BIGINT NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	category VARCHAR(20) DEFAULT 'primary' NOT NULL, 
	birth_year SMALLINT, 
	school VARCHAR(200) DEFAULT '' NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_children_operator_id_id UNIQUE (operator_id, id), 
	CONSTRAINT ck_children_category CHECK (category IN ('kindergarten', 'primary', 'secondary', 'other')), 
	CONSTRAINT fk_children_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_children_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_children_operator_id_customer_id ON children (operator_id, customer_id);

CREATE TABLE service_fees (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	service_id BIGINT NOT NULL, 
	effective_from DATE NOT NULL, 
	fee_sen BIGINT NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_service_fees_service_id_effective_from UNIQUE (service_id, effective_from), 
	CONSTRAINT ck_service_fees_fee_sen CHECK (fee_sen >= 0), 
	CONSTRAINT fk_service_fees_service FOREIGN KEY(operator_id, service_id) REFERENCES services (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_service_fees_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_service_fees_operator_id_service_id ON service_fees (operator_id, service_id);

CREATE TABLE invoices (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	customer_id BIGINT NOT NULL, 
	number VARCHAR(32) NOT NULL, 
	kind VARCHAR(10) DEFAULT 'adhoc' NOT NULL, 
	period DATE, 
	issue_date DATE NOT NULL, 
	due_date DATE NOT NULL, 
	description VARCHAR(500) DEFAULT '' NOT NULL, 
	subtotal_sen BIGINT NOT NULL, 
	discount_sen BIGINT DEFAULT 0 NOT NULL, 
	total_sen BIGINT NOT NULL, 
	paid_sen BIGINT DEFAULT 0 NOT NULL, 
	status VARCHAR(10) DEFAULT 'open' NOT NULL, 
	created_at DATETIME NOT NULL, 
	voided_at DATETIME, 
	void_reason VARCHAR(200) DEFAULT '' NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_invoices_operator_id_id UNIQUE (operator_id, id), 
	CONSTRAINT uq_invoices_operator_id_number UNIQUE (operator_id, number), 
	CONSTRAINT uq_invoices_customer_id_period UNIQUE (customer_id, period), 
	CONSTRAINT ck_invoices_kind CHECK (kind IN ('monthly', 'adhoc')), 
	CONSTRAINT ck_invoices_status CHECK (status IN ('draft', 'open', 'partial', 'paid', 'void')), 
	CONSTRAINT ck_invoices_amounts CHECK (subtotal_sen >= 0 AND discount_sen >= 0 AND discount_sen <= subtotal_sen AND total_sen = subtotal_sen - discount_sen AND paid_sen >= 0 AND paid_sen <= total_sen), 
	CONSTRAINT fk_invoices_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id), 
	CONSTRAINT fk_invoices_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_invoices_operator_id_customer_id ON invoices (operator_id, customer_id);

CREATE INDEX ix_invoices_operator_id_status ON invoices (operator_id, status);

CREATE INDEX ix_invoices_operator_id_period ON invoices (operator_id, period);

CREATE INDEX ix_invoices_operator_id_due_date ON invoices (operator_id, due_date);

CREATE TABLE payments (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	customer_id BIGINT NOT NULL, 
	amount_sen BIGINT NOT NULL, 
	method VARCHAR(20) NOT NULL, 
	reference VARCHAR(100) DEFAULT '' NOT NULL, 
	paid_on DATE NOT NULL, 
	recorded_by BIGINT, 
	note VARCHAR(500) DEFAULT '' NOT NULL, 
	voided BOOLEAN DEFAULT 0 NOT NULL, 
	voided_at DATETIME, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_payments_operator_id_id UNIQUE (operator_id, id), 
	CONSTRAINT ck_payments_amount_sen CHECK (amount_sen > 0), 
	CONSTRAINT ck_payments_method CHECK (method IN ('cash', 'bank_transfer', 'duitnow', 'cheque', 'other')), 
	CONSTRAINT fk_payments_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id), 
	CONSTRAINT fk_payments_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_payments_operator_id_customer_id ON payments (operator_id, customer_id);

CREATE INDEX ix_payments_operator_id_paid_on ON payments (operator_id, paid_on);

CREATE TABLE link_tokens (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	customer_id BIGINT, 
	purpose VARCHAR(10) NOT NULL, 
	token_hash CHAR(64) NOT NULL, 
	expires_at DATETIME NOT NULL, 
	used_at DATETIME, 
	used_by BIGINT, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_link_tokens_token_hash UNIQUE (token_hash), 
	CONSTRAINT ck_link_tokens_purpose CHECK (purpose IN ('parent', 'operator')), 
	CONSTRAINT fk_link_tokens_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_link_tokens_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_link_tokens_operator_id_customer_id ON link_tokens (operator_id, customer_id);

CREATE TABLE deliveries (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	customer_id BIGINT NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	dedupe_key VARCHAR(100) NOT NULL, 
	invoice_id BIGINT, 
	payment_id BIGINT, 
	body TEXT, 
	status VARCHAR(20) DEFAULT 'pending' NOT NULL, 
	attempts INTEGER DEFAULT 0 NOT NULL, 
	next_attempt_at DATETIME NOT NULL, 
	claimed_by VARCHAR(64), 
	claimed_at DATETIME, 
	chat_id BIGINT, 
	telegram_message_id BIGINT, 
	file_id VARCHAR(255), 
	last_error VARCHAR(500) DEFAULT '' NOT NULL, 
	created_at DATETIME NOT NULL, 
	sent_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_deliveries_operator_id_dedupe_key UNIQUE (operator_id, dedupe_key), 
	CONSTRAINT ck_deliveries_kind CHECK (kind IN ('invoice', 'reminder', 'receipt', 'statement', 'notice')), 
	CONSTRAINT ck_deliveries_status CHECK (status IN ('pending', 'waiting_link', 'sending', 'sent', 'skipped', 'failed', 'undeliverable')), 
	CONSTRAINT fk_deliveries_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_deliveries_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_deliveries_operator_id_customer_id ON deliveries (operator_id, customer_id);

CREATE INDEX ix_deliveries_operator_id_invoice_id ON deliveries (operator_id, invoice_id);

CREATE INDEX ix_deliveries_status_next_attempt_at ON deliveries (status, next_attempt_at);

CREATE TABLE enrollments (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	child_id BIGINT NOT NULL, 
	service_id BIGINT NOT NULL, 
	start_month DATE NOT NULL, 
	end_month DATE, 
	fee_override_sen BIGINT, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_enrollments_child_id_service_id_start_month UNIQUE (child_id, service_id, start_month), 
	CONSTRAINT ck_enrollments_fee_override_sen CHECK (fee_override_sen IS NULL OR fee_override_sen >= 0), 
	CONSTRAINT ck_enrollments_months CHECK (end_month IS NULL OR end_month >= start_month), 
	CONSTRAINT fk_enrollments_child FOREIGN KEY(operator_id, child_id) REFERENCES children (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_enrollments_service FOREIGN KEY(operator_id, service_id) REFERENCES services (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_enrollments_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_enrollments_operator_id_start_month ON enrollments (operator_id, start_month);

CREATE INDEX ix_enrollments_operator_id_child_id ON enrollments (operator_id, child_id);

CREATE INDEX ix_enrollments_operator_id_service_id ON enrollments (operator_id, service_id);

CREATE TABLE invoice_items (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	invoice_id BIGINT NOT NULL, 
	position SMALLINT DEFAULT 0 NOT NULL, 
	description VARCHAR(300) NOT NULL, 
	child_id BIGINT, 
	service_id BIGINT, 
	unit_price_sen BIGINT NOT NULL, 
	quantity INTEGER DEFAULT 1 NOT NULL, 
	amount_sen BIGINT NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_invoice_items_quantity CHECK (quantity > 0), 
	CONSTRAINT ck_invoice_items_amount CHECK (unit_price_sen >= 0 AND amount_sen = unit_price_sen * quantity), 
	CONSTRAINT fk_invoice_items_invoice FOREIGN KEY(operator_id, invoice_id) REFERENCES invoices (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_invoice_items_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE, 
	CONSTRAINT fk_invoice_items_child_id FOREIGN KEY(child_id) REFERENCES children (id) ON DELETE SET NULL, 
	CONSTRAINT fk_invoice_items_service_id FOREIGN KEY(service_id) REFERENCES services (id) ON DELETE SET NULL
);

CREATE INDEX ix_invoice_items_operator_id_invoice_id ON invoice_items (operator_id, invoice_id);

CREATE TABLE payment_allocations (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	payment_id BIGINT NOT NULL, 
	invoice_id BIGINT NOT NULL, 
	amount_sen BIGINT NOT NULL, 
	from_credit BOOLEAN DEFAULT 0 NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_payment_allocations_payment_id_invoice_id UNIQUE (payment_id, invoice_id), 
	CONSTRAINT ck_payment_allocations_amount_sen CHECK (amount_sen > 0), 
	CONSTRAINT fk_payment_allocations_payment FOREIGN KEY(operator_id, payment_id) REFERENCES payments (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_payment_allocations_invoice FOREIGN KEY(operator_id, invoice_id) REFERENCES invoices (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_payment_allocations_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_payment_allocations_operator_id_payment_id ON payment_allocations (operator_id, payment_id);

CREATE INDEX ix_payment_allocations_operator_id_invoice_id ON payment_allocations (operator_id, invoice_id);

CREATE TABLE reminder_log (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	invoice_id BIGINT NOT NULL, 
	stage SMALLINT NOT NULL, 
	sent_on DATE NOT NULL, 
	created_at DATETIME NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_reminder_log_invoice_id_stage UNIQUE (invoice_id, stage), 
	CONSTRAINT fk_reminder_log_invoice FOREIGN KEY(operator_id, invoice_id) REFERENCES invoices (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_reminder_log_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE
);

CREATE INDEX ix_reminder_log_operator_id_invoice_id ON reminder_log (operator_id, invoice_id);

CREATE TABLE payment_slips (
	id INTEGER NOT NULL, 
	operator_id BIGINT NOT NULL, 
	customer_id BIGINT NOT NULL, 
	telegram_file_id VARCHAR(255) NOT NULL, 
	file_kind VARCHAR(10) NOT NULL, 
	caption VARCHAR(1000) DEFAULT '' NOT NULL, 
	status VARCHAR(10) DEFAULT 'pending' NOT NULL, 
	payment_id BIGINT, 
	created_at DATETIME NOT NULL, 
	decided_at DATETIME, 
	PRIMARY KEY (id), 
	CONSTRAINT ck_payment_slips_file_kind CHECK (file_kind IN ('photo', 'document')), 
	CONSTRAINT ck_payment_slips_status CHECK (status IN ('pending', 'recorded', 'dismissed')), 
	CONSTRAINT fk_payment_slips_customer FOREIGN KEY(operator_id, customer_id) REFERENCES customers (operator_id, id) ON DELETE CASCADE, 
	CONSTRAINT fk_payment_slips_operator_id FOREIGN KEY(operator_id) REFERENCES operators (id) ON DELETE CASCADE, 
	CONSTRAINT fk_payment_slips_payment_id FOREIGN KEY(payment_id) REFERENCES payments (id) ON DELETE SET NULL
);

CREATE INDEX ix_payment_slips_operator_id_status ON payment_slips (operator_id, status);

