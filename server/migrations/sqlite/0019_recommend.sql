-- Recommendations (issue 16): the shop's model, rebuilt by a background job
-- from co-views and co-purchases (the core's item_similarity) and the
-- channels' best sellers; every instance loads it when its version changes.
-- One row: the job claims a rebuild with one conditional UPDATE of
-- claimed_at, so several instances build once per window.
CREATE TABLE recommend_model (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    built_at INTEGER NOT NULL,
    claimed_at INTEGER NOT NULL,
    -- the events and purchases the model was built from
    inputs INTEGER NOT NULL,
    -- JSON: {"similar": [Neighbours…], "bestSellers": {"<channel>": [product id…]}}
    body TEXT NOT NULL
);
INSERT INTO recommend_model (id, version, built_at, claimed_at, inputs, body)
VALUES (1, 0, 0, 0, 0, '{"similar":[],"bestSellers":{}}');

-- Categories whose products are bought again and again (食品, 日用品): a
-- shopper is shown them even just after buying them.
ALTER TABLE categories ADD COLUMN consumable INTEGER NOT NULL DEFAULT 0;

-- A shopper's recent views (recommendation seeds) and paid orders.
CREATE INDEX events_user_ts ON events (user_id, ts);
CREATE INDEX orders_user_paid ON orders (user_id, paid_at);

-- Recommendation slots' impressions and clicks (the shopper events
-- rec_impression / rec_click, copied here when first stored): the dashboard's
-- click-through per slot, and with order_attribution its conversion.
CREATE TABLE rec_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id INTEGER NOT NULL UNIQUE REFERENCES events (id),
    ts INTEGER NOT NULL,
    slot TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('impression', 'click')),
    session TEXT NOT NULL,
    product_id INTEGER NOT NULL
);
CREATE INDEX rec_events_ts ON rec_events (ts, slot, kind);
CREATE INDEX rec_events_session ON rec_events (session, product_id);
CREATE INDEX order_attribution_session ON order_attribution (session);
