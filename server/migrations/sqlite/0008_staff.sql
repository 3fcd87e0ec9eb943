-- The merchant console: staff accounts with roles, their sessions (only the
-- token's SHA-256 is kept, with the session's CSRF token), the audit log of
-- every write made through the console, the stock ledger (every stock change
-- with its reason and actor), and the SKU/product fields the console edits.
-- migrations/postgres/0008_staff.sql is the same schema in PostgreSQL types.

CREATE TABLE staff (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    first_failed_at INTEGER,
    locked_until INTEGER,
    last_login_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE staff_sessions (
    token_hash TEXT PRIMARY KEY,
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX staff_sessions_staff ON staff_sessions (staff_id);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id INTEGER,
    staff_username TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_value TEXT,
    after_value TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_log_staff ON audit_log (staff_id, id);

CREATE TABLE stock_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    sku_id INTEGER NOT NULL REFERENCES skus (id),
    delta INTEGER NOT NULL,
    before_stock INTEGER NOT NULL,
    after_stock INTEGER NOT NULL,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    order_id INTEGER,
    created_at INTEGER NOT NULL
);
CREATE INDEX stock_ledger_sku ON stock_ledger (sku_id, id);

ALTER TABLE skus ADD COLUMN code TEXT NOT NULL DEFAULT '';
ALTER TABLE skus ADD COLUMN alert_threshold INTEGER NOT NULL DEFAULT 0;
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
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    filters TEXT NOT NULL,
    status TEXT NOT NULL,
    total INTEGER NOT NULL DEFAULT 0,
    done INTEGER NOT NULL DEFAULT 0,
    max_id INTEGER NOT NULL,
    cursor_id INTEGER NOT NULL DEFAULT 0,
    chunks INTEGER NOT NULL DEFAULT 0,
    claim TEXT,
    lease_until INTEGER,
    error TEXT,
    staff_id INTEGER,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX export_jobs_status ON export_jobs (status, lease_until);
CREATE TABLE export_chunks (
    job_id INTEGER NOT NULL REFERENCES export_jobs (id),
    seq INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
