-- Shopper events and the console's statistics (docs/metrics.md). Raw events
-- are append-only and deduplicated by the client's UUID; one row per session
-- (the closed funnel) and per Beijing day and visitor (exact visitors) are
-- upserted as events arrive; paid orders are attributed to a session by the
-- server. The rollups are recomputed per touched bucket by a background job
-- (DELETE + INSERT ... SELECT), so running it twice changes nothing.
-- migrations/sqlite/0009_events.sql is the same schema in SQLite types.

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    event_uuid TEXT NOT NULL UNIQUE,
    -- the client's time (unix seconds, kept within a window of the receive time)
    ts BIGINT NOT NULL,
    received_at BIGINT NOT NULL,
    visitor TEXT NOT NULL,
    user_id BIGINT,
    session TEXT NOT NULL,
    name TEXT NOT NULL,
    product_id BIGINT,
    sku_id BIGINT,
    ch TEXT NOT NULL DEFAULT '',
    scene BIGINT,
    props TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ts ON events (ts, name);
CREATE INDEX events_received ON events (received_at);

-- One row per session: the funnel is SUM over these flags, exact and closed.
CREATE TABLE session_facts (
    session TEXT PRIMARY KEY,
    visitor TEXT NOT NULL,
    user_id BIGINT,
    first_ts BIGINT NOT NULL,
    last_ts BIGINT NOT NULL,
    ch TEXT NOT NULL DEFAULT '',
    scene BIGINT,
    viewed_product BIGINT NOT NULL DEFAULT 0,
    added_to_cart BIGINT NOT NULL DEFAULT 0,
    reached_checkout BIGINT NOT NULL DEFAULT 0,
    paid BIGINT NOT NULL DEFAULT 0,
    order_id BIGINT
);
CREATE INDEX session_facts_first ON session_facts (first_ts);
CREATE INDEX session_facts_user ON session_facts (user_id, last_ts);

-- One row per Beijing day (its first unix second) and visitor: exact visitors
-- over any range with COUNT(DISTINCT visitor).
CREATE TABLE visitor_days (
    day_start BIGINT NOT NULL,
    visitor TEXT NOT NULL,
    user_id BIGINT,
    first_ts BIGINT NOT NULL,
    ch TEXT NOT NULL DEFAULT '',
    scene BIGINT,
    viewed_product BIGINT NOT NULL DEFAULT 0,
    added_to_cart BIGINT NOT NULL DEFAULT 0,
    reached_checkout BIGINT NOT NULL DEFAULT 0,
    paid BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (day_start, visitor)
);
CREATE INDEX visitor_days_first ON visitor_days (first_ts);

-- The session a paid order came from (written when it is paid).
CREATE TABLE order_attribution (
    order_id BIGINT PRIMARY KEY REFERENCES orders (id),
    session TEXT NOT NULL,
    visitor TEXT NOT NULL,
    ch TEXT NOT NULL DEFAULT '',
    scene BIGINT
);

-- Sales per hour (its first unix second; Beijing hours are UTC hours):
-- paid orders and GMV by paid_at, successful refunds by succeeded_at.
CREATE TABLE agg_sales_hour (
    hour_start BIGINT PRIMARY KEY,
    paid_orders BIGINT NOT NULL,
    gmv BIGINT NOT NULL,
    refunds BIGINT NOT NULL,
    refund_count BIGINT NOT NULL
);

-- Products per Beijing day: views and add-to-carts from events, paid orders,
-- units and amount from paid order lines (by the order's paid_at).
CREATE TABLE agg_product_day (
    day_start BIGINT NOT NULL,
    product_id BIGINT NOT NULL,
    views BIGINT NOT NULL,
    add_to_carts BIGINT NOT NULL,
    orders BIGINT NOT NULL,
    units BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    PRIMARY KEY (day_start, product_id)
);

-- How far each rollup is complete: buckets before rolled_until are read from
-- the rollup, later ones live; checked_at is the last run's clock.
CREATE TABLE stats_rollups (
    name TEXT PRIMARY KEY,
    rolled_until BIGINT NOT NULL,
    checked_at BIGINT NOT NULL
);

-- The rollup job finds the buckets touched since its last run.
CREATE INDEX orders_updated ON orders (updated_at);
CREATE INDEX refunds_succeeded ON refunds (status, succeeded_at);
CREATE INDEX refunds_updated ON refunds (updated_at);
-- The overview counts after-sales requests waiting for the merchant.
CREATE INDEX after_sales_status ON after_sales (status);
