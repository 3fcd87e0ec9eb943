-- 砍价 bargains (server/src/bargains/). A merchant's activity names one SKU, its
-- start price and floor, the helpers N every bargain needs (disclosed to all),
-- the window and the caps. A bargain snapshots the settings it was started
-- with and its seed; the cuts are recomputed by the core (bargain_split) from
-- the seed, so only `helped` moves. Every cap is one conditional statement or
-- a unique key: `helped < helpers` in the help's UPDATE, (bargain, helper) and
-- (bargain, seq) on helps, started < cap on initiations, helps < cap per
-- helper and Beijing day.
-- migrations/postgres/0012_bargains.sql is the same schema in PostgreSQL types.

CREATE TABLE bargain_activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    sku_id INTEGER NOT NULL REFERENCES skus (id),
    start_price INTEGER NOT NULL,
    floor_price INTEGER NOT NULL,
    helpers INTEGER NOT NULL,
    window_hours INTEGER NOT NULL,
    buy_before_floor INTEGER NOT NULL DEFAULT 0,
    initiations_per_user INTEGER NOT NULL,
    helps_per_day INTEGER NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (floor_price >= 0 AND start_price > floor_price AND helpers >= 1)
);

CREATE TABLE bargain_initiations (
    activity_id INTEGER NOT NULL REFERENCES bargain_activities (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    started INTEGER NOT NULL,
    PRIMARY KEY (activity_id, user_id)
);

CREATE TABLE bargains (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id INTEGER NOT NULL REFERENCES bargain_activities (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    sku_id INTEGER NOT NULL REFERENCES skus (id),
    start_price INTEGER NOT NULL,
    floor_price INTEGER NOT NULL,
    helpers INTEGER NOT NULL,
    seed INTEGER NOT NULL,
    buy_before_floor INTEGER NOT NULL,
    helps_per_day INTEGER NOT NULL,
    helped INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    order_id INTEGER REFERENCES orders (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK (helped >= 0 AND helped <= helpers)
);
CREATE INDEX bargains_user ON bargains (user_id, id);
CREATE INDEX bargains_order ON bargains (order_id);

CREATE TABLE bargain_helps (
    bargain_id INTEGER NOT NULL REFERENCES bargains (id),
    helper_id INTEGER NOT NULL REFERENCES users (id),
    seq INTEGER NOT NULL,
    cut INTEGER NOT NULL CHECK (cut >= 1),
    helped_at INTEGER NOT NULL,
    PRIMARY KEY (bargain_id, helper_id),
    UNIQUE (bargain_id, seq)
);

CREATE TABLE bargain_helper_days (
    activity_id INTEGER NOT NULL REFERENCES bargain_activities (id),
    helper_id INTEGER NOT NULL REFERENCES users (id),
    day INTEGER NOT NULL,
    helps INTEGER NOT NULL,
    PRIMARY KEY (activity_id, helper_id, day)
);
