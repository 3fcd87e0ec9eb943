-- Shopper events and the console's statistics (docs/metrics.md). Raw events
-- are append-only and deduplicated by the client's UUID; one row per session
-- (the closed funnel) and per Beijing day and visitor (exact visitors) are
-- upserted as events arrive; paid orders are attributed to a session by the
-- server. The rollups are recomputed per touched bucket by a background job
-- (DELETE + INSERT ... SELECT), so running it twice changes nothing.
-- migrations/postgres/0009_events.sql is the same schema in PostgreSQL types.

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_uuid TEXT NOT NULL UNIQUE,
    -- the client's time (unix seconds, kept within a window of the receive time)
    ts INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    visitor TEXT NOT NULL,
    user_id INTEGER,
    session TEXT NOT NULL,
    name TEXT NOT NULL,
    product_id INTEGER,
    sku_id INTEGER,
    ch TEXT NOT NULL DEFAULT '',
    scene INTEGER,
    props TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_ts ON events (ts, name);
CREATE INDEX events_received ON events (received_at);

-- One row per session: the funnel is SUM over these flags, exact and closed.
CREATE TABLE session_facts (
    session TEXT PRIMARY KEY,
    visitor TEXT NOT NULL,
    user_id INTEGER,
    first_ts INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    ch TEXT NOT NULL DEFAULT '',
    scene INTEGER,
    viewed_product INTEGER NOT NULL DEFAULT 0,
    added_to_cart INTEGER NOT NULL DEFAULT 0,
    reached_checkout INTEGER NOT NULL DEFAULT 0,
    paid INTEGER NOT NULL DEFAULT 0,
    order_id INTEGER
);
CREATE INDEX session_facts_first ON session_facts (first_ts);
CREATE INDEX session_facts_user ON session_facts (user_id, last_ts);

-- One row per Beijing day (its first unix second) and visitor: exact visitors
-- over any range with COUNT(DISTINCT visitor).
CREATE TABLE visitor_days (
    day_start INTEGER NOT NULL,
    visitor TEXT NOT NULL,
    user_id INTEGER,
    first_ts INTEGER NOT NULL,
    ch TEXT NOT NULL DEFAULT '',
    scene INTEGER,
    viewed_product INTEGER NOT NULL DEFAULT 0,
    added_to_cart INTEGER NOT NULL DEFAULT 0,
    reached_checkout INTEGER NOT NULL DEFAULT 0,
    paid INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day_start, visitor)
);
CREATE INDEX visitor_days_first ON visitor_days (first_ts);

-- The session a paid order came from (written when it is paid).
CREATE TABLE order_attribution (
    order_id INTEGER PRIMARY KEY REFERENCES orders (id),
    session TEXT NOT NULL,
    visitor TEXT NOT NULL,
    ch TEXT NOT NULL DEFAULT '',
    scene INTEGER
);

-- Sales per hour (its first unix second; Beijing hours are UTC hours):
-- paid orders and GMV by paid_at, successful refunds by succeeded_at.
CREATE TABLE agg_sales_hour (
    hour_start INTEGER PRIMARY KEY,
    paid_orders INTEGER NOT NULL,
    gmv INTEGER NOT NULL,
    refunds INTEGER NOT NULL,
    refund_count INTEGER NOT NULL
);

-- Products per Beijing day: views and add-to-carts from events, paid orders,
-- units and amount from paid order lines (by the order's paid_at).
CREATE TABLE agg_product_day (
    day_start INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    views INTEGER NOT NULL,
    add_to_carts INTEGER NOT NULL,
    orders INTEGER NOT NULL,
    units INTEGER NOT NULL,
    amount INTEGER NOT NULL,
    PRIMARY KEY (day_start, product_id)
);

-- How far each rollup is complete: buckets before rolled_until are read from
-- the rollup, later ones live; checked_at is the last run's clock.
CREATE TABLE stats_rollups (
    name TEXT PRIMARY KEY,
    rolled_until INTEGER NOT NULL,
    checked_at INTEGER NOT NULL
);

-- The rollup job finds the buckets touched since its last run.
CREATE INDEX orders_updated ON orders (updated_at);
CREATE INDEX refunds_succeeded ON refunds (status, succeeded_at);
CREATE INDEX refunds_updated ON refunds (updated_at);
-- The overview counts after-sales requests waiting for the merchant.
CREATE INDEX after_sales_status ON after_sales (status);
