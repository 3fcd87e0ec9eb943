-- 分销 distribution: promoters, bindings and the commission ledger's states.

-- A shopper who shares and earns: applied (approval mode) → approved | rejected;
-- approved at once in the everyone mode. One row per user.
CREATE TABLE promoters (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    decided_at INTEGER
);
CREATE INDEX promoters_status ON promoters (status, created_at);

-- A new shopper's promoter: first touch wins (the primary key), set once by one
-- conditional insert; expires_at NULL = permanent.
CREATE TABLE distribution_bindings (
    user_id INTEGER PRIMARY KEY REFERENCES users (id),
    promoter_id INTEGER NOT NULL REFERENCES users (id),
    share_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE INDEX distribution_bindings_promoter ON distribution_bindings (promoter_id);

-- Ledger states: pending (paid) → frozen (received; available_at set) →
-- available (the job, once available_at has passed) → withdrawn (payouts).
ALTER TABLE commissions ADD COLUMN status TEXT NOT NULL DEFAULT 'pending';
ALTER TABLE commissions ADD COLUMN available_at INTEGER;
ALTER TABLE commissions ADD COLUMN updated_at INTEGER;
CREATE INDEX commissions_due ON commissions (status, available_at);
CREATE INDEX commissions_promoter ON commissions (promoter_id, status);
