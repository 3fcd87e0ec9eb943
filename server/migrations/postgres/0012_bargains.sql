-- 砍价 bargains (server/src/bargains/). A merchant's activity names one SKU, its
-- start price and floor, the helpers N every bargain needs (disclosed to all),
-- the window and the caps. A bargain snapshots the settings it was started
-- with and its seed; the cuts are recomputed by the core (bargain_split) from
-- the seed, so only `helped` moves. Every cap is one conditional statement or
-- a unique key: `helped < helpers` in the help's UPDATE, (bargain, helper) and
-- (bargain, seq) on helps, started < cap on initiations, helps < cap per
-- helper and Beijing day.
-- migrations/sqlite/0012_bargains.sql is the same schema in SQLite types.

CREATE TABLE bargain_activities (
    id BIGSERIAL PRIMARY KEY,
    title TEXT NOT NULL,
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    start_price BIGINT NOT NULL,
    floor_price BIGINT NOT NULL,
    helpers BIGINT NOT NULL,
    window_hours BIGINT NOT NULL,
    buy_before_floor BIGINT NOT NULL DEFAULT 0,
    initiations_per_user BIGINT NOT NULL,
    helps_per_day BIGINT NOT NULL,
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (floor_price >= 0 AND start_price > floor_price AND helpers >= 1)
);

CREATE TABLE bargain_initiations (
    activity_id BIGINT NOT NULL REFERENCES bargain_activities (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    started BIGINT NOT NULL,
    PRIMARY KEY (activity_id, user_id)
);

CREATE TABLE bargains (
    id BIGSERIAL PRIMARY KEY,
    activity_id BIGINT NOT NULL REFERENCES bargain_activities (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    sku_id BIGINT NOT NULL REFERENCES skus (id),
    start_price BIGINT NOT NULL,
    floor_price BIGINT NOT NULL,
    helpers BIGINT NOT NULL,
    seed BIGINT NOT NULL,
    buy_before_floor BIGINT NOT NULL,
    helps_per_day BIGINT NOT NULL,
    helped BIGINT NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    order_id BIGINT REFERENCES orders (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (helped >= 0 AND helped <= helpers)
);
CREATE INDEX bargains_user ON bargains (user_id, id);
CREATE INDEX bargains_order ON bargains (order_id);

CREATE TABLE bargain_helps (
    bargain_id BIGINT NOT NULL REFERENCES bargains (id),
    helper_id BIGINT NOT NULL REFERENCES users (id),
    seq BIGINT NOT NULL,
    cut BIGINT NOT NULL CHECK (cut >= 1),
    helped_at BIGINT NOT NULL,
    PRIMARY KEY (bargain_id, helper_id),
    UNIQUE (bargain_id, seq)
);

CREATE TABLE bargain_helper_days (
    activity_id BIGINT NOT NULL REFERENCES bargain_activities (id),
    helper_id BIGINT NOT NULL REFERENCES users (id),
    day BIGINT NOT NULL,
    helps BIGINT NOT NULL,
    PRIMARY KEY (activity_id, helper_id, day)
);
