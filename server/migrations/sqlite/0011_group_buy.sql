-- 拼团 group buys and share tokens (issue 13). A group's counters `held`
-- (seats taken by orders, paid or not) and `paid` are the truth the joiners
-- race for: a seat is taken with one conditional UPDATE (held < size, open,
-- not expired) and a member row unique per live (group, user); the CHECK keeps
-- paid <= held <= size whatever the code does. The rules (joinable or not,
-- what a group becomes at expiry) are the core's (core/src/group.rs).
-- migrations/postgres/0011_group_buy.sql is the same schema in PostgreSQL types.

ALTER TABLE activities ADD COLUMN group_window_secs INTEGER;
ALTER TABLE activities ADD COLUMN group_auto_percent INTEGER;
ALTER TABLE activities ADD COLUMN share_reward_template INTEGER;
ALTER TABLE activity_skus ADD COLUMN leader_price INTEGER CHECK (leader_price IS NULL OR leader_price >= 0);

CREATE TABLE buy_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    activity_id TEXT NOT NULL REFERENCES activities (id),
    sku_id INTEGER NOT NULL REFERENCES skus (id),
    leader_id INTEGER NOT NULL REFERENCES users (id),
    size INTEGER NOT NULL,
    held INTEGER NOT NULL DEFAULT 1,
    paid INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    window_secs INTEGER NOT NULL,
    auto_percent INTEGER,
    expires_at INTEGER,
    created_at INTEGER NOT NULL,
    opened_at INTEGER,
    closed_at INTEGER,
    updated_at INTEGER NOT NULL,
    CHECK (paid >= 0 AND paid <= held AND held <= size)
);
CREATE INDEX buy_groups_activity ON buy_groups (activity_id, sku_id, status, expires_at);
CREATE INDEX buy_groups_due ON buy_groups (status, expires_at);

CREATE TABLE group_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    group_id INTEGER NOT NULL REFERENCES buy_groups (id),
    user_id INTEGER NOT NULL REFERENCES users (id),
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders (id),
    role TEXT NOT NULL,
    status TEXT NOT NULL,
    -- who shared the group this member came through (a share token), if anyone
    shared_by INTEGER REFERENCES users (id),
    -- no paid order before this one
    new_user INTEGER NOT NULL DEFAULT 0,
    joined_at INTEGER NOT NULL,
    paid_at INTEGER
);
-- One live seat per shopper per group; a released seat frees the pair.
CREATE UNIQUE INDEX group_members_live ON group_members (group_id, user_id) WHERE status <> 'released';
CREATE INDEX group_members_group ON group_members (group_id, status);
CREATE INDEX group_members_user ON group_members (user_id, joined_at);

-- The sharer's reward for a formed group: at most one per (group, sharer).
CREATE TABLE share_rewards (
    group_id INTEGER NOT NULL REFERENCES buy_groups (id),
    sharer_id INTEGER NOT NULL REFERENCES users (id),
    coupon_id INTEGER,
    granted_at INTEGER NOT NULL,
    PRIMARY KEY (group_id, sharer_id)
);

-- A share token: what was shared (product, group, bargain, gift), by whom,
-- through which channel. ≤ 32 characters of WeChat's scene alphabet.
CREATE TABLE share_tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    target TEXT NOT NULL,
    sharer_id INTEGER NOT NULL REFERENCES users (id),
    channel TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (kind, target, sharer_id, channel)
);
