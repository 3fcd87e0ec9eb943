-- 秒杀 in Redis mode: every claim Redis granted is resolved once in the
-- database, by its id: applied (with the order that took the units) or void
-- (its units go back to Redis). The primary key makes the two exclusive.
CREATE TABLE flash_claims (
    claim_id TEXT PRIMARY KEY,
    activity_id TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    status TEXT NOT NULL CHECK (status IN ('applied', 'void')),
    created_at BIGINT NOT NULL
);
