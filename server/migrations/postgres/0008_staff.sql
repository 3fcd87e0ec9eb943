-- The merchant console: staff accounts with roles, their sessions (only the
-- token's SHA-256 is kept, with the session's CSRF token), the audit log of
-- every write made through the console, the stock ledger (every stock change
-- with its reason and actor), and the SKU/product fields the console edits.
-- migrations/sqlite/0008_staff.sql is the same schema in SQLite types.

CREATE TABLE staff (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled BIGINT NOT NULL DEFAULT 0,
    failed_logins BIGINT NOT NULL DEFAULT 0,
    first_failed_at BIGINT,
    locked_until BIGINT,
    last_login_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id BIGINT NOT NULL REFERENCES staff (id),
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    staff_id BIGINT,
    staff_username TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX audit_log_staff ON audit_log (staff_id, id);

CREATE TABLE stock_ledger (
    id BIGSERIAL PRIMARY KEY,
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    delta BIGINT NOT NULL,
    before_stock BIGINT NOT NULL,
    after_stock BIGINT NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    order_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX stock_ledger_sku ON stock_ledger (sku_id, id);

ALTER TABLE skus ADD COLUMN code TEXT NOT NULL DEFAULT '';
ALTER TABLE skus ADD COLUMN alert_threshold BIGINT NOT NULL DEFAULT 0;
ALTER TABLE products ADD COLUMN video_url TEXT NOT NULL DEFAULT '';
-- The receiver's phone is sealed with the address; its last four digits are
-- kept in clear so the console can find an order by them (尾号).
ALTER TABLE orders ADD COLUMN phone_tail TEXT;
CREATE INDEX orders_phone_tail ON orders (phone_tail);
CREATE INDEX orders_paid_at ON orders (paid_at);
CREATE INDEX orders_created_at ON orders (created_at);

-- Exports run in the background: a job pages through the orders (keyset, up
-- to the newest order when it was asked for) and appends its CSV in chunks,
-- so the file is served by any instance and nothing is held in memory.
CREATE TABLE export_jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    filters TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL DEFAULT 0,
    done BIGINT NOT NULL DEFAULT 0,
    max_id BIGINT NOT NULL,
    cursor_id BIGINT NOT NULL DEFAULT 0,
    chunks BIGINT NOT NULL DEFAULT 0,
    claim TEXT,
    lease_until BIGINT,
    error TEXT,
    staff_id BIGINT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX export_jobs_status ON export_jobs (status, lease_until);
CREATE TABLE export_chunks (
    job_id BIGINT NOT NULL REFERENCES export_jobs (id),
    seq BIGINT NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
