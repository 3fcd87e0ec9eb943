-- WeChat Pay, shipping, after-sales, refunds, commission, subscription outbox.
-- migrations/sqlite/0002_pay.sql is the same schema in SQLite types.

ALTER TABLE orders ADD COLUMN prepay_id TEXT;
ALTER TABLE orders ADD COLUMN prepay_at BIGINT;
ALTER TABLE orders ADD COLUMN transaction_id TEXT;
ALTER TABLE orders ADD COLUMN paid_amount BIGINT;
ALTER TABLE orders ADD COLUMN refunded_amount BIGINT NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN carrier TEXT;
ALTER TABLE orders ADD COLUMN tracking_no TEXT;
ALTER TABLE orders ADD COLUMN pickup_code TEXT;
-- Optional promoter chain and commission rule at the time of the order:
-- {"rule": CommissionRule, "promoters": [...]} (mall-core shapes).
ALTER TABLE orders ADD COLUMN distribution TEXT;
CREATE UNIQUE INDEX orders_pickup_code ON orders (pickup_code);
CREATE INDEX orders_status_updated ON orders (status, updated_at);

-- A shopper's after-sales request: lines and quantities, the core's refund.
CREATE TABLE after_sales (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    items TEXT NOT NULL,
    include_shipping BIGINT NOT NULL DEFAULT 0,
    reason TEXT NOT NULL DEFAULT '',
    amount BIGINT NOT NULL,
    points_returned BIGINT NOT NULL DEFAULT 0,
    coupons_returned TEXT NOT NULL DEFAULT '[]',
    whole_order BIGINT NOT NULL DEFAULT 0,
    refund_quote TEXT,
    reject_reason TEXT,
    return_carrier TEXT,
    return_tracking_no TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX after_sales_order ON after_sales (order_id);
CREATE INDEX after_sales_user ON after_sales (user_id, id);

-- Cash going back through WeChat Pay: one row per refund call (out_refund_no).
CREATE TABLE refunds (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    after_sale_id BIGINT REFERENCES after_sales (id),
    out_refund_no TEXT NOT NULL UNIQUE,
    refund_id TEXT,
    amount BIGINT NOT NULL CHECK (amount > 0),
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    succeeded_at BIGINT
);
CREATE INDEX refunds_order ON refunds (order_id);
CREATE INDEX refunds_status ON refunds (status);

-- Commission earned (positive) and reversed (negative), per level.
CREATE TABLE commissions (
    id BIGSERIAL PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES orders (id),
    after_sale_id BIGINT REFERENCES after_sales (id),
    level BIGINT NOT NULL,
    promoter_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX commissions_order ON commissions (order_id);

-- Subscription messages, written in the same transaction as the state change.
CREATE TABLE outbox (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    event TEXT NOT NULL,
    dedupe_key TEXT NOT NULL UNIQUE,
    template_id TEXT NOT NULL,
    page TEXT NOT NULL,
    data TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
